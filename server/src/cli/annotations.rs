//! Formats for CI systems that show findings on a pull or merge request's
//! lines: GitHub Actions workflow commands, and GitLab's Code Quality report.

use std::io::{self, Write};

use serde::Serialize;

use super::report::{FileReport, Located};
use crate::analysis::Severity;

/// GitHub workflow commands, one line per finding:
/// `::error title=podsec (code),file=…,line=…,col=…,endLine=…,endColumn=…::path:line:col: code message`.
pub fn write_github(out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
    for finding in &report.findings {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information | Severity::Hint => "notice",
        };
        let (start, end) = (finding.start, finding.end);
        writeln!(
            out,
            "::{command} title={},file={},line={},col={},endLine={},endColumn={}::{}",
            github_property(&format!("podsec ({})", finding.rule.code)),
            github_property(&report.path),
            start.line,
            start.column,
            end.line,
            end.column,
            github_data(&format!(
                "{}:{}:{}: {}[{}] {}{}",
                report.path,
                start.line,
                start.column,
                finding.severity,
                finding.rule.code,
                finding.message,
                profile_note(finding)
            )),
        )?;
    }
    Ok(())
}

/// A path that could not be read, as a workflow error on that file.
pub fn write_github_unreadable(out: &mut dyn Write, path: &str, reason: &str) -> io::Result<()> {
    writeln!(out, "::error title=podsec,file={}::{}", github_property(path), github_data(reason))
}

/// Where a Pod Security finding's profile came from, as the human format says it.
fn profile_note(finding: &Located) -> String {
    match &finding.profile_source {
        Some(source @ crate::analysis::policy::ProfileSource::Namespace(_)) => format!(" (profile from {source})"),
        _ => String::new(),
    }
}

/// Escapes a command's message (GitHub's `escapeData`).
fn github_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property (GitHub's `escapeProperty`).
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One entry of a GitLab Code Quality report (the Code Climate issue
/// format GitLab reads: `description`, `check_name`, `fingerprint`,
/// `severity`, `location`).
#[derive(Serialize)]
struct CodeQualityIssue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: CodeQualityLocation<'a>,
}

#[derive(Serialize)]
struct CodeQualityLocation<'a> {
    path: &'a str,
    positions: CodeQualityPositions,
}

#[derive(Serialize)]
struct CodeQualityPositions {
    begin: LineColumn,
    end: LineColumn,
}

#[derive(Serialize)]
struct LineColumn {
    line: u32,
    column: u32,
}

/// Each finding of a file as one Code Quality issue (JSON), for the same
/// streamed array as the JSON format.
pub fn render_gitlab(report: &FileReport) -> Vec<Vec<u8>> {
    // The same finding twice in a file (same rule, message and text)
    // still needs two fingerprints.
    let mut seen: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    report
        .findings
        .iter()
        .map(|finding| {
            let flagged = report.text.get(finding.start_offset..finding.end_offset).unwrap_or_default();
            let base = fingerprint(&[&report.path, finding.rule.code, &finding.message, flagged]);
            let occurrence = seen.entry(base).or_insert(0);
            *occurrence += 1;
            let issue = CodeQualityIssue {
                description: format!("{}{}", finding.message, profile_note(finding)),
                check_name: finding.rule.code,
                fingerprint: format!("{:016x}", fingerprint(&[&base.to_string(), &occurrence.to_string()])),
                severity: match finding.severity {
                    Severity::Error => "critical",
                    Severity::Warning => "major",
                    Severity::Information => "minor",
                    Severity::Hint => "info",
                },
                location: CodeQualityLocation {
                    path: &report.path,
                    positions: CodeQualityPositions {
                        begin: LineColumn { line: finding.start.line, column: finding.start.column },
                        end: LineColumn { line: finding.end.line, column: finding.end.column },
                    },
                },
            };
            serde_json::to_vec(&issue).expect("an issue serializes")
        })
        .collect()
}

/// A fingerprint that stays the same from run to run and release to
/// release (FNV-1a, 64 bits; the standard library's hasher may change), so
/// GitLab can tell new findings from old ones. It does not depend on the
/// line, so a finding keeps it when lines above it move.
fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_properties_and_data_are_escaped() {
        assert_eq!(github_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(github_data("a:b, 100%\r\n"), "a:b, 100%25%0D%0A");
    }

    #[test]
    fn fingerprints_are_fixed_values() {
        // FNV-1a of the empty input is its offset basis; a change of
        // algorithm would change every fingerprint users' reports hold.
        assert_eq!(fingerprint(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
