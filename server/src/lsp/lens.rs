//! Admission's verdict on each workload as code lenses (and, for clients
//! without code lens, inlay hints), and the command that lists a verdict's
//! violations.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp::lsp_types::{CodeLens, Command, Range, Url};

use super::position::{range, PositionEncoding};
use crate::analysis::{verdicts, Verdict};
use crate::config::{Config, Profile};
use crate::text::LineIndex;

/// Lists the violations of one level of one workload.
pub const SHOW_VIOLATIONS: &str = "podsec.showViolations";

/// The argument of [`SHOW_VIOLATIONS`]: the workload whose `kind:` is on
/// `line` (0-based) of `uri`, and the level.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShowViolations {
    pub uri: Url,
    pub line: u32,
    pub level: String,
}

/// The answer of [`SHOW_VIOLATIONS`], for clients that show it themselves.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ViolationList {
    pub uri: Url,
    /// `Deployment `api`: 3 restricted violations at Kubernetes 1.30`.
    pub title: String,
    pub violations: Vec<Violation>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Violation {
    pub range: Range,
    pub code: String,
    pub message: String,
}

impl ViolationList {
    /// The list as one message, a line per violation (1-based lines).
    pub fn to_message(&self) -> String {
        let mut message = self.title.clone();
        for v in &self.violations {
            message.push_str(&format!("\n• line {}: {} [{}]", v.range.start.line + 1, v.message, v.code));
        }
        message
    }
}

fn kind_line(text: &str, index: &LineIndex, verdict: &Verdict, encoding: PositionEncoding) -> Range {
    range(text, index, verdict.anchor, encoding)
}

fn command(title: String, uri: &Url, line: u32, level: Option<Profile>) -> Command {
    match level {
        // Nothing to list: the lens only informs.
        None => Command { title, command: String::new(), arguments: None },
        Some(level) => {
            let argument = ShowViolations { uri: uri.clone(), line, level: level.to_string() };
            Command {
                title,
                command: SHOW_VIOLATIONS.to_string(),
                arguments: Some(vec![serde_json::to_value(argument).expect("serializable")]),
            }
        }
    }
}

/// One lens with the verdict above each workload's `kind:` line, and one
/// with the namespace's enforced level where there is one.
pub fn code_lenses(uri: &Url, text: &str, config: &Config, encoding: PositionEncoding) -> Vec<CodeLens> {
    let index = LineIndex::new(text);
    let mut lenses = Vec::new();
    for verdict in verdicts(text, config) {
        let range = kind_line(text, &index, &verdict, encoding);
        let line = range.start.line;
        // The strictest level that fails lists every violation.
        let failing = [Profile::Restricted, Profile::Baseline].into_iter().find(|&l| !verdict.violations(l).is_empty());
        lenses.push(CodeLens { range, command: Some(command(verdict.summary(), uri, line, failing)), data: None });
        if let (Some(summary), Some(enforcement)) = (verdict.enforcement_summary(), &verdict.enforcement) {
            let level = verdict.rejected().then_some(enforcement.level);
            lenses.push(CodeLens { range, command: Some(command(summary, uri, line, level)), data: None });
        }
    }
    lenses
}

/// The violations of `level` of the workload whose `kind:` is on `line`,
/// or `None` when no workload is there any more.
pub fn violations(
    uri: &Url,
    text: &str,
    config: &Config,
    line: u32,
    level: Profile,
    encoding: PositionEncoding,
) -> Option<ViolationList> {
    let index = LineIndex::new(text);
    let verdict = verdicts(text, config).into_iter().find(|v| index.line_of(v.anchor.start) as u32 == line)?;
    let found = verdict.violations(level);
    let title = format!(
        "{}: {} {level} violation{} at Kubernetes {}",
        verdict.title(),
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        verdict.version
    );
    let violations = found
        .iter()
        .map(|f| Violation {
            range: range(text, &index, f.span, encoding),
            code: f.rule.code.to_string(),
            message: f.message.clone(),
        })
        .collect();
    Some(ViolationList { uri: uri.clone(), title, violations })
}

/// Reads the command's argument.
pub fn parse_arguments(arguments: &[Value]) -> Result<(ShowViolations, Profile), String> {
    let argument = arguments.first().ok_or("podsec.showViolations needs an argument")?;
    let parsed: ShowViolations = serde_json::from_value(argument.clone()).map_err(|e| e.to_string())?;
    let level = parsed.level.parse::<Profile>()?;
    Ok((parsed, level))
}
