//! `podsec check`: the command-line front end.

use std::path::PathBuf;
use std::process::ExitCode;

/// No finding is an error.
pub const EXIT_OK: u8 = 0;
/// At least one finding is an error.
pub const EXIT_FINDINGS: u8 = 1;
/// Usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files, directories (searched for *.yaml and *.yml), or - for stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
}

pub fn check(_args: CheckArgs) -> ExitCode {
    ExitCode::from(EXIT_OK)
}
