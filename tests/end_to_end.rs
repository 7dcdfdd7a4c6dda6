//! The end-to-end tests, one module per file: the real `podsec` binary as
//! the command line, as a language server over stdio (as VS Code, Helix and
//! Neovim drive it), and against Helm. One test binary, linked once.

#[path = "support/lsp.rs"]
mod lsp;
#[path = "support/mod.rs"]
mod support;

#[path = "cli.rs"]
mod cli;
#[path = "editors.rs"]
mod editors;
#[path = "fix_safety.rs"]
mod fix_safety;
#[path = "helix_stdio.rs"]
mod helix_stdio;
#[path = "helm_oracle.rs"]
mod helm_oracle;
#[path = "helm_stdio.rs"]
mod helm_stdio;
#[path = "helm_values_cli.rs"]
mod helm_values_cli;
#[path = "helm_values_oracle.rs"]
mod helm_values_oracle;
#[path = "kustomize_cli.rs"]
mod kustomize_cli;
#[path = "kustomize_oracle.rs"]
mod kustomize_oracle;
#[path = "kustomize_stdio.rs"]
mod kustomize_stdio;
#[path = "lsp_stdio.rs"]
mod lsp_stdio;
#[path = "protocol.rs"]
mod protocol;
#[path = "security.rs"]
mod security;
#[path = "stress.rs"]
mod stress;
#[path = "versions.rs"]
mod versions;
#[path = "workspace_stdio.rs"]
mod workspace_stdio;
