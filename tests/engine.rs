//! The engine's tests, one module per file: the analysis, fixes, hover,
//! completion and hints called as a library, on fixtures and the official
//! Pod Security Admission fixtures. One test binary, linked once.

#[path = "support/mod.rs"]
mod support;

#[path = "catalog_matches_api.rs"]
mod catalog_matches_api;
#[path = "completion.rs"]
mod completion;
#[path = "examples.rs"]
mod examples;
#[path = "fix_properties.rs"]
mod fix_properties;
#[path = "fixes.rs"]
mod fixes;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "helm_values.rs"]
mod helm_values;
#[path = "hostile.rs"]
mod hostile;
#[path = "hover.rs"]
mod hover;
#[path = "inlay.rs"]
mod inlay;
#[path = "namespaces.rs"]
mod namespaces;
#[path = "properties.rs"]
mod properties;
#[path = "psa_conformance.rs"]
mod psa_conformance;
#[path = "rules.rs"]
mod rules;
