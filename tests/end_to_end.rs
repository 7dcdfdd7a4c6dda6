//! The end-to-end tests, one module per file: the real `podsec` binary as
//! the command line, as a language server over stdio (as VS Code, Helix and
//! Neovim drive it), and against Helm. One test binary, linked once.

#[path = "support/mod.rs"]
mod support;
#[path = "support/lsp.rs"]
mod lsp;

#[path = "cli.rs"]
mod cli;
#[path = "versions.rs"]
mod versions;
#[path = "lsp_stdio.rs"]
mod lsp_stdio;
#[path = "helix_stdio.rs"]
mod helix_stdio;
#[path = "workspace_stdio.rs"]
mod workspace_stdio;
#[path = "protocol.rs"]
mod protocol;
#[path = "stress.rs"]
mod stress;
#[path = "security.rs"]
mod security;
#[path = "fix_safety.rs"]
mod fix_safety;
#[path = "editors.rs"]
mod editors;
#[path = "helm_oracle.rs"]
mod helm_oracle;
