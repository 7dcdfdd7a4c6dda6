//! The JSON format: one array of findings, written one element at a time so
//! it streams like the human format.

use std::io::{self, Write};

use serde::Serialize;

use super::report::{FileReport, Located};

/// One element of the array. Lines and columns are 1-based, columns in
/// characters (Unicode scalar values); the end is exclusive.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonFinding<'a> {
    pub path: &'a str,
    pub rule: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// Pod Security findings: `config`, or the namespace label that chose
    /// the profile (`namespace payments (ns.yaml:7)`); `null` for the others.
    pub profile_source: Option<String>,
    /// A finding in a Helm values file: the values path it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_path: Option<&'a str>,
    /// Places in other files the finding is about (the template a value
    /// flows into).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub related: &'a [super::report::RelatedAt],
    /// The Kustomize overlay(s) the finding holds in (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay: Option<&'a str>,
}

impl<'a> JsonFinding<'a> {
    pub fn new(path: &'a str, f: &'a Located) -> Self {
        JsonFinding {
            path,
            rule: f.rule.code,
            severity: f.severity.as_str(),
            message: &f.message,
            line: f.start.line,
            column: f.start.column,
            end_line: f.end.line,
            end_column: f.end.column,
            profile_source: f.profile_source.as_ref().map(ToString::to_string),
            values_path: f.values_path.as_deref(),
            related: &f.related,
            overlay: f.overlay.as_deref(),
        }
    }
}

/// Each finding of a file as one JSON object (done on the threads that
/// check, so that writing the array is only joining).
pub fn render(report: &FileReport) -> Vec<Vec<u8>> {
    report
        .findings
        .iter()
        .map(|finding| serde_json::to_vec(&JsonFinding::new(&report.path, finding)).expect("a finding serializes"))
        .collect()
}

/// Writes `[`, then each file's findings as they come, then `]`.
#[derive(Default)]
pub struct JsonWriter {
    written: usize,
}

impl JsonWriter {
    pub fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"[")
    }

    #[cfg(test)]
    pub fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        self.rendered(out, &render(report))
    }

    /// A file's findings as [`render`] gave them.
    pub fn rendered(&mut self, out: &mut dyn Write, findings: &[Vec<u8>]) -> io::Result<()> {
        let mut buffer = Vec::new();
        for finding in findings {
            buffer.extend_from_slice(if self.written == 0 { b"\n  " } else { b",\n  " });
            buffer.extend_from_slice(finding);
            self.written += 1;
        }
        out.write_all(&buffer)
    }

    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::YAML_SYNTAX;
    use crate::analysis::Finding;
    use crate::syntax::Span;

    fn run(reports: &[FileReport]) -> String {
        let mut out = Vec::new();
        let mut writer = JsonWriter::default();
        writer.start(&mut out).unwrap();
        for report in reports {
            writer.file(&mut out, report).unwrap();
        }
        writer.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn no_findings_is_an_empty_array() {
        let clean = FileReport::new("a.yaml".into(), "kind: Pod\n".into(), vec![]);
        assert_eq!(run(&[clean]), "[]\n");
    }

    #[test]
    fn findings_of_several_files_form_one_array() {
        let text = "x: 😀 [\n";
        let at = text.find('[').unwrap();
        let a = FileReport::new(
            "a.yaml".into(),
            text.into(),
            vec![Finding::new(YAML_SYNTAX, Span::new(at, at + 1), "bad \"x\"")],
        );
        let b = FileReport::new("b.yml".into(), "\n\n".into(), vec![Finding::new(YAML_SYNTAX, Span::new(1, 2), "m")]);
        let out = run(&[a, b]);
        assert_eq!(
            out,
            "[\n  {\"path\":\"a.yaml\",\"rule\":\"yaml-syntax\",\"severity\":\"error\",\"message\":\"bad \\\"x\\\"\",\
             \"line\":1,\"column\":6,\"end_line\":1,\"end_column\":7,\"profile_source\":null},\n  \
             {\"path\":\"b.yml\",\"rule\":\"yaml-syntax\",\"severity\":\"error\",\"message\":\"m\",\
             \"line\":2,\"column\":1,\"end_line\":3,\"end_column\":1,\"profile_source\":null}\n]\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 2);
    }
}
