//! The engine's tests, one module per file: the analysis, fixes, hover,
//! completion and hints called as a library, on fixtures and the official
//! Pod Security Admission fixtures. One test binary, linked once.

#[path = "support/mod.rs"]
mod support;

#[path = "catalog_matches_api.rs"]
mod catalog_matches_api;
#[path = "rules.rs"]
mod rules;
#[path = "hostile.rs"]
mod hostile;
#[path = "examples.rs"]
mod examples;
#[path = "hover.rs"]
mod hover;
#[path = "completion.rs"]
mod completion;
#[path = "psa_conformance.rs"]
mod psa_conformance;
#[path = "fixes.rs"]
mod fixes;
#[path = "fix_properties.rs"]
mod fix_properties;
#[path = "properties.rs"]
mod properties;
#[path = "inlay.rs"]
mod inlay;
#[path = "namespaces.rs"]
mod namespaces;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
