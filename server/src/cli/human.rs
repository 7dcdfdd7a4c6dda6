//! The human format: `path:line:col: severity[code] message`, the source
//! line and a caret underline, like rustc and ruff.
//!
//! Everything is written with ANSI styles; the caller's `anstream` stream
//! strips them when colour is off (not a terminal, `NO_COLOR`, `--color never`).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthStr;

use super::report::{FileReport, Located, Totals};
use crate::analysis::policy::ProfileSource;
use crate::analysis::Severity;

const BOLD: Style = Style::new().bold();
const GUTTER: Style = AnsiColor::Blue.on_default().bold();

/// Lines longer than this many characters are shown as a window around the finding.
const MAX_SHOWN_CHARS: usize = 160;
/// Characters kept before the finding in a windowed line.
const CONTEXT_BEFORE: usize = 40;

pub fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Information => AnsiColor::Blue,
        Severity::Hint => AnsiColor::Cyan,
    };
    color.on_default().bold()
}

/// Writes every finding of one file.
pub fn write_file(out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
    for finding in &report.findings {
        write_finding(out, report, finding)?;
    }
    Ok(())
}

fn write_finding(out: &mut dyn Write, report: &FileReport, f: &Located) -> io::Result<()> {
    let sev = severity_style(f.severity);
    writeln!(
        out,
        "{BOLD}{}:{}:{}:{BOLD:#} {sev}{}[{}]{sev:#} {}",
        report.path,
        f.start.line,
        f.start.column,
        f.severity.as_str(),
        f.rule.code,
        f.message
    )?;
    let line = (f.start.line - 1) as usize;
    let range = report.index.line_range(&report.text, line);
    let start = f.start_offset.clamp(range.start, range.end) - range.start;
    let end = f.end_offset.clamp(range.start, range.end) - range.start;
    let snippet = Snippet::new(&report.text[range], start, end);
    let number = f.start.line.to_string();
    let blank = " ".repeat(number.len());
    writeln!(out, "{GUTTER}{blank} |{GUTTER:#}")?;
    writeln!(out, "{GUTTER}{number} |{GUTTER:#} {}", snippet.text)?;
    writeln!(out, "{GUTTER}{blank} |{GUTTER:#} {}{sev}{}{sev:#}", " ".repeat(snippet.pad), "^".repeat(snippet.carets))?;
    if let Some(source @ ProfileSource::Namespace(_)) = &f.profile_source {
        writeln!(out, "{GUTTER}{blank} ={GUTTER:#} profile from {source}")?;
    }
    writeln!(out)
}

/// A source line prepared for the terminal: tabs expanded, control
/// characters made visible, long lines cut to a window around the finding,
/// with the caret position measured in display columns (an emoji is two).
#[derive(Debug, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub pad: usize,
    pub carets: usize,
}

impl Snippet {
    /// `start..end` are byte offsets into `line`, on char boundaries or clamped down to one.
    pub fn new(line: &str, start: usize, end: usize) -> Self {
        // Character indices of the span and the line length, without
        // collecting the line: a minified manifest can be one 5 MB line.
        let (mut len, mut first, mut last) = (0, None, None);
        for (n, (i, _)) in line.char_indices().enumerate() {
            if first.is_none() && i >= start {
                first = Some(n);
            }
            if last.is_none() && i >= end {
                last = Some(n);
            }
            len = n + 1;
        }
        let first = first.unwrap_or(len);
        let last = last.unwrap_or(len).max(first);
        let (from, to) = if len > MAX_SHOWN_CHARS {
            let from = first.saturating_sub(CONTEXT_BEFORE).min(len - MAX_SHOWN_CHARS);
            (from, from + MAX_SHOWN_CHARS)
        } else {
            (0, len)
        };
        let mut text = String::new();
        let (mut pad, mut carets) = (0, 0);
        if from > 0 {
            text.push('…');
            pad += 1;
        }
        for (n, ch) in line.chars().enumerate().take(to).skip(from) {
            let shown = visible(ch);
            let width = shown.width();
            text.push_str(&shown);
            if n < first {
                pad += width;
            } else if n < last {
                carets += width;
            }
        }
        if to < len {
            text.push('…');
        }
        Snippet { text, pad, carets: carets.max(1) }
    }
}

fn visible(ch: char) -> String {
    match ch {
        '\t' => "    ".to_owned(),
        // Control pictures (␀, ␛, ...) keep the terminal safe and the caret aligned.
        '\0'..='\u{1f}' => char::from_u32(0x2400 + ch as u32).unwrap_or('\u{FFFD}').to_string(),
        '\u{7f}' => '\u{2421}'.to_string(),
        c if c.is_control() => '\u{FFFD}'.to_string(),
        c => c.to_string(),
    }
}

/// The closing line on stderr, e.g. `Found 3 errors, 1 warning in 2 of 5 files.`
pub fn summary(totals: &Totals) -> String {
    let mut line = if totals.findings() > 0 {
        let mut parts = Vec::new();
        for (count, one, many) in [
            (totals.errors, "error", "errors"),
            (totals.warnings, "warning", "warnings"),
            (totals.information, "information", "information"),
            (totals.hints, "hint", "hints"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {}", if count == 1 { one } else { many }));
            }
        }
        format!("Found {} in {} of {}.", parts.join(", "), totals.files_with_findings, files(totals.files))
    } else if totals.files > 0 {
        format!("All checked: {}, no findings.", files(totals.files))
    } else if totals.unreadable == 0 {
        "No YAML files found.".to_owned()
    } else {
        "No file checked.".to_owned()
    };
    if totals.unreadable > 0 {
        let n = totals.unreadable;
        line.push_str(&format!(" {n} path{} could not be read.", if n == 1 { "" } else { "s" }));
    }
    line
}

fn files(n: usize) -> String {
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::{DUPLICATE_KEY, YAML_SYNTAX};
    use crate::analysis::Finding;
    use crate::syntax::Span;

    fn render(text: &str, findings: Vec<Finding>) -> String {
        let report = FileReport::new("deploy.yaml".into(), text.into(), findings);
        let mut out = Vec::new();
        write_file(&mut out, &report).unwrap();
        anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string()
    }

    #[test]
    fn header_snippet_and_carets() {
        let text = "kind: Pod\nspec:\n  hostPID: true\n";
        let at = text.find("hostPID").unwrap();
        let out = render(text, vec![Finding::new(DUPLICATE_KEY, Span::new(at, at + 7), "twice")]);
        assert_eq!(out, "deploy.yaml:3:3: error[duplicate-key] twice\n  |\n3 |   hostPID: true\n  |   ^^^^^^^\n\n");
    }

    #[test]
    fn emoji_and_tabs_shift_the_caret_by_their_display_width() {
        let text = "a: \"🚀\"\tb";
        let at = text.find('b').unwrap();
        let out = render(text, vec![Finding::new(YAML_SYNTAX, Span::new(at, at), "m")]);
        // `a: "` is 4 columns, the rocket 2, the quote 1, the tab 4.
        assert!(out.contains("1 | a: \"🚀\"    b\n  |            ^\n"), "{out}");
        assert!(out.starts_with("deploy.yaml:1:8: error[yaml-syntax] m\n"), "{out}");
    }

    #[test]
    fn multi_line_spans_underline_to_the_end_of_the_first_line() {
        let text = "a:\r\n  - b\r\n  - c\r\n";
        let at = text.find("- b").unwrap();
        let out = render(text, vec![Finding::new(YAML_SYNTAX, Span::new(at, text.len()), "m")]);
        assert!(out.contains("2 |   - b\n  |   ^^^\n"), "{out}");
    }

    #[test]
    fn control_characters_are_shown_as_pictures() {
        let snippet = Snippet::new("a\0b\x1b[31m", 2, 3);
        assert_eq!(snippet, Snippet { text: "a␀b␛[31m".into(), pad: 2, carets: 1 });
    }

    #[test]
    fn long_lines_are_windowed_around_the_finding() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let snippet = Snippet::new(&line, 500, 501);
        assert!(snippet.text.starts_with('…') && snippet.text.ends_with('…'));
        assert_eq!(snippet.text.chars().count(), MAX_SHOWN_CHARS + 2);
        assert_eq!(snippet.text.chars().nth(snippet.pad), Some('X'));
        assert_eq!(snippet.carets, 1);

        let at_end = Snippet::new(&line, 1001, 1001);
        assert!(at_end.text.starts_with('…') && !at_end.text.ends_with('…'));
        assert_eq!(at_end.pad, MAX_SHOWN_CHARS + 1);
    }

    #[test]
    fn severity_and_gutter_are_styled() {
        let text = "a: [\n";
        let report = FileReport::new("p".into(), text.into(), vec![Finding::new(YAML_SYNTAX, Span::new(3, 4), "m")]);
        let mut out = Vec::new();
        write_file(&mut out, &report).unwrap();
        let styled = String::from_utf8(out).unwrap();
        assert!(styled.starts_with("\x1b[1mp:1:4:\x1b[0m \x1b[1m\x1b[31merror[yaml-syntax]\x1b[0m m\n"), "{styled:?}");
        assert!(styled.contains("\x1b[1m\x1b[34m1 |\x1b[0m a: ["), "{styled:?}");
    }

    #[test]
    fn summaries() {
        let mut t = Totals { files: 5, files_with_findings: 2, errors: 3, warnings: 1, ..Totals::default() };
        assert_eq!(summary(&t), "Found 3 errors, 1 warning in 2 of 5 files.");
        t = Totals { files: 1, files_with_findings: 1, information: 2, hints: 1, ..Totals::default() };
        assert_eq!(summary(&t), "Found 2 information, 1 hint in 1 of 1 file.");
        t = Totals { files: 5, ..Totals::default() };
        assert_eq!(summary(&t), "All checked: 5 files, no findings.");
        t = Totals { files: 2, unreadable: 1, ..Totals::default() };
        assert_eq!(summary(&t), "All checked: 2 files, no findings. 1 path could not be read.");
        assert_eq!(summary(&Totals::default()), "No YAML files found.");
    }
}
