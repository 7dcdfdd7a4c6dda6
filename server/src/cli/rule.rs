//! `podsec rule`: a rule's documentation, or the list of rules.

use std::io::Write;
use std::process::ExitCode;

use crate::analysis;
use crate::rules::{self, docs as rule_docs};

#[derive(clap::Args, Debug)]
#[command(after_help = "The text is docs/rules.md's, built into the binary.")]
pub struct RuleArgs {
    /// The rule's code, e.g. `pod-only-field` or `pss/runAsNonRoot`.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub code: Option<String>,

    /// List every rule: code, default severity and summary.
    #[arg(long)]
    pub all: bool,
}

pub fn rule(args: RuleArgs) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let text = match &args.code {
        None => list(),
        Some(code) => match rules::by_code(code).and_then(rule_docs::doc) {
            Some(doc) => rule_docs::render(&doc),
            None => {
                let hint = analysis::nearest_code(code).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                eprintln!("podsec: unknown rule `{code}`{hint} (`podsec rule --all` lists them)");
                return ExitCode::from(super::EXIT_USAGE);
            }
        },
    };
    // A closed pipe (`podsec rule --all | head`) is not an error.
    let _ = stdout.write_all(text.as_bytes());
    ExitCode::from(super::EXIT_OK)
}

fn list() -> String {
    let width = rules::ALL.iter().map(|r| r.code.len()).max().unwrap_or(0);
    rules::ALL
        .iter()
        .map(|r| format!("{:width$}  {:11}  {}\n", r.code, r.default_severity.as_str(), r.summary))
        .collect()
}
