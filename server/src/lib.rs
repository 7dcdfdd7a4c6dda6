//! podsec: the analysis engine behind the `podsec` language server and CLI.
//!
//! Layers, bottom up: [`text`] (offsets, lines, columns), [`syntax`]
//! (positioned YAML tree), [`model`] (pod specs, containers, effective
//! securityContext), [`analysis`] (findings as plain data in byte offsets),
//! [`ide`] (hover and completion, plain data in byte offsets).
//! Only [`lsp`] and [`cli`] know LSP types, JSON output, files and stdout.

pub mod analysis;
pub mod catalog;
pub mod chart;
pub mod cli;
pub mod config;
pub mod docs;
pub mod fix;
pub mod ide;
pub mod lsp;
pub mod model;
#[cfg(test)]
mod module_graph;
pub mod namespaces;
pub mod rules;
pub mod standards;
pub mod suggest;
pub mod syntax;
pub mod text;
pub mod workspace;
