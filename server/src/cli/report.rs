//! A checked file's findings with the line and column numbers the output
//! formats print.

use crate::analysis::policy::ProfileSource;
use crate::analysis::rules::RuleGroup;
use crate::analysis::{Finding, Rule, Severity};
use crate::text::{ColumnUnit, LineIndex};

/// A 1-based line and column, the column both in characters (Unicode scalar
/// values: what the human and JSON formats print) and in UTF-16 code units
/// (SARIF's default column kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub utf16_column: u32,
}

/// One finding, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    /// Byte offsets into the file text.
    pub start_offset: usize,
    pub end_offset: usize,
    pub start: Position,
    pub end: Position,
    /// Where the profile of a Pod Security finding came from (`None` for
    /// the other rules, which do not depend on it).
    pub profile_source: Option<ProfileSource>,
    /// For a finding in a Helm values file: the values path it is about.
    pub values_path: Option<String>,
    /// Other places, in other files, the finding is about.
    pub related: Vec<RelatedAt>,
    /// The Kustomize overlay(s) a finding holds in, when it comes from one.
    pub overlay: Option<String>,
}

/// A place in another file, located for output.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RelatedAt {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl RelatedAt {
    /// The place at byte `offset` of `text`, the file shown as `path`:
    /// 1-based, columns in characters.
    pub fn at(path: String, text: &str, index: &LineIndex, offset: usize, message: String) -> RelatedAt {
        let at = index.line_col(text, offset, ColumnUnit::Char);
        RelatedAt { path, line: at.line + 1, column: at.col + 1, message }
    }
}

/// The findings of one file, in order, with its text for source snippets.
#[derive(Debug)]
pub struct FileReport {
    pub path: String,
    pub text: String,
    pub index: LineIndex,
    pub findings: Vec<Located>,
}

impl FileReport {
    pub fn new(path: String, text: String, findings: Vec<Finding>) -> Self {
        let index = LineIndex::new(&text);
        let findings = findings
            .into_iter()
            .map(|f| {
                let start = position(&index, &text, f.span.start);
                let end = position(&index, &text, f.span.end);
                Located {
                    rule: f.rule,
                    severity: f.severity,
                    message: f.message,
                    start_offset: f.span.start.min(text.len()),
                    end_offset: f.span.end.min(text.len()),
                    start,
                    end,
                    profile_source: (f.rule.group == RuleGroup::PodSecurity).then_some(f.profile_source),
                    values_path: None,
                    related: Vec::new(),
                    overlay: None,
                }
            })
            .collect();
        FileReport { path, text, index, findings }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

fn position(index: &LineIndex, text: &str, offset: usize) -> Position {
    let chars = index.line_col(text, offset, ColumnUnit::Char);
    let utf16 = index.line_col(text, offset, ColumnUnit::Utf16);
    Position { line: chars.line + 1, column: chars.col + 1, utf16_column: utf16.col + 1 }
}

/// Totals over a run, for the summary line and the exit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: usize,
    pub files_with_findings: usize,
    pub unreadable: usize,
    pub errors: usize,
    pub warnings: usize,
    pub information: usize,
    pub hints: usize,
}

impl Totals {
    pub fn add(&mut self, report: &FileReport) {
        self.files += 1;
        if !report.findings.is_empty() {
            self.files_with_findings += 1;
        }
        self.errors += report.count(Severity::Error);
        self.warnings += report.count(Severity::Warning);
        self.information += report.count(Severity::Information);
        self.hints += report.count(Severity::Hint);
    }

    pub fn findings(&self) -> usize {
        self.errors + self.warnings + self.information + self.hints
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::YAML_SYNTAX;
    use crate::syntax::Span;

    #[test]
    fn positions_are_one_based_with_char_and_utf16_columns() {
        let text = "a: 1\r\nname: \"🚀\" x\n".to_owned();
        let x = text.find('x').unwrap();
        let report = FileReport::new("f".into(), text, vec![Finding::new(YAML_SYNTAX, Span::new(x, x + 1), "m")]);
        let f = &report.findings[0];
        assert_eq!(f.start, Position { line: 2, column: 11, utf16_column: 12 });
        assert_eq!(f.end, Position { line: 2, column: 12, utf16_column: 13 });
    }

    #[test]
    fn spans_past_the_end_clamp() {
        let report = FileReport::new("f".into(), "ab".into(), vec![Finding::new(YAML_SYNTAX, Span::new(5, 9), "m")]);
        let f = &report.findings[0];
        assert_eq!((f.start_offset, f.end_offset), (2, 2));
        assert_eq!(f.start, Position { line: 1, column: 3, utf16_column: 3 });
    }
}
