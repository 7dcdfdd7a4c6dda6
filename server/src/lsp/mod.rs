//! `podsec lsp`: the language server. The only code that knows LSP types.

use std::process::ExitCode;

pub fn serve() -> ExitCode {
    ExitCode::SUCCESS
}
