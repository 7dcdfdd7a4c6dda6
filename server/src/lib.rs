//! podsec: the analysis engine behind the `podsec` language server and CLI.
//!
//! Layers, bottom up (each uses only those below it; `module_graph` checks
//! that no two modules depend on each other):
//!
//! - leaves: [`text`] (offsets, lines, columns), [`standards`] (profile and
//!   Kubernetes version), [`rules`] (every rule code, its documentation and
//!   the Pod Security controls table), [`suggest`] (did-you-mean);
//! - [`syntax`]: the positioned YAML tree, Helm actions masked;
//! - data: [`catalog`] (the field catalog), [`api_docs`] (Kubernetes' own
//!   field descriptions), [`namespaces`] (Pod Security labels of
//!   Namespaces), [`config`] (what a run is judged against), [`chart`];
//! - [`model`]: pod specs, containers, effective securityContext;
//! - [`analysis`]: findings as plain data in byte offsets, and how admission
//!   judges each workload;
//! - [`provenance`]: text assembled from several files (a chart's
//!   template and values, an overlay's base and patches) and the map of
//!   each finding back to the file the user edits;
//! - [`fix`] (edits that fix findings) and [`ide`] (hover, completion,
//!   inlay hints), plain data in byte offsets;
//! - front ends: [`lsp`] and [`cli`], the only modules that know LSP types,
//!   output formats, files and stdout ([`settings_file`] reads settings
//!   files for both).

pub mod analysis;
pub mod api_docs;
pub mod catalog;
pub mod chart;
pub mod chart_files;
pub mod cli;
pub mod config;
pub mod fix;
pub mod helm;
pub mod ide;
pub mod kustomize;
pub mod lsp;
pub mod model;
#[cfg(test)]
mod module_graph;
pub mod namespaces;
pub mod provenance;
pub mod rules;
pub mod settings_file;
pub mod standards;
pub mod suggest;
pub mod syntax;
pub mod text;
