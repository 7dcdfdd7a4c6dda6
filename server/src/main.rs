use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kubernetes securityContext linter and language server.
#[derive(Parser)]
#[command(name = "podsec", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check manifests and report findings (files, directories, or - for stdin).
    Check(podsec::cli::CheckArgs),
    /// Run the language server on stdio.
    Lsp(LspArgs),
}

#[derive(clap::Args)]
struct LspArgs {
    /// Talk LSP over stdin and stdout (the default and only transport;
    /// accepted because many clients pass it).
    #[arg(long)]
    stdio: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { podsec::cli::EXIT_USAGE } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    init_logging();
    match cli.command {
        Command::Check(args) => podsec::cli::check(args),
        Command::Lsp(LspArgs { stdio: _ }) => podsec::lsp::serve(),
    }
}

/// Logs go to stderr (stdout is the LSP channel), filtered by `PODSEC_LOG`
/// (e.g. `PODSEC_LOG=debug`); warnings and errors by default.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PODSEC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}
