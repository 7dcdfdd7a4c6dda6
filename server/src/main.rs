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
    /// Show a rule's documentation (`podsec rule CODE`), or list them (`--all`).
    Rule(podsec::cli::RuleArgs),
    /// Print a completion script for a shell, e.g. `podsec completions bash > /etc/bash_completion.d/podsec`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
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
        Command::Rule(args) => podsec::cli::rule(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            use std::io::Write;
            // Into memory first: clap_complete panics on a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "podsec", &mut script);
            let _ = std::io::stdout().write_all(&script);
            ExitCode::SUCCESS
        }
    }
}

/// Logs go to stderr (stdout is the LSP channel), filtered by `PODSEC_LOG`
/// (e.g. `PODSEC_LOG=debug`); warnings and errors by default.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PODSEC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}

// The engine allocates many small nodes per document; mimalloc serves them
// faster than the system allocator on every thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
