//! Data-driven rule tests.
//!
//! Every `tests/fixtures/**/*.yaml` is analysed, and its findings are
//! checked two ways:
//! - against its own annotations: a comment `# expect: code` (or
//!   `code(text)`, where `text` is exactly what the range covers, and several
//!   separated by `, `) ends each line a finding starts on; lines without one
//!   must have none. The same fixture is checked again with CRLF line breaks.
//! - against a reviewed snapshot of every range and message
//!   (`tests/snapshots/`, update with `INSTA_UPDATE=always`).
//!
//! A first line `# podsec-test: kubernetes-version=1.29 profile=baseline`
//! sets the configuration (also `best-practices=true`, `rule=CODE:LEVEL`).
//! The profile defaults to `privileged` and best practices to off, so
//! structural fixtures show only their rule.

use std::path::Path;

use podsec::analysis::{analyze, Finding};
use podsec::config::Config;
use podsec::text::{ColumnUnit, LineIndex};

use crate::support;

/// `(line, code, covered text)` of every annotation.
fn expectations(text: &str) -> Vec<(usize, String, Option<String>)> {
    let mut expected = Vec::new();
    for (line, content) in text.lines().enumerate() {
        let Some((_, list)) = content.split_once("# expect: ") else { continue };
        let mut rest = list.trim();
        while !rest.is_empty() {
            let code_end = rest.find(['(', ',']).unwrap_or(rest.len());
            let code = rest[..code_end].trim().to_string();
            rest = &rest[code_end..];
            let mut covered = None;
            if let Some(inner) = rest.strip_prefix('(') {
                let close = inner.rfind(')').expect("unclosed `(` in expect annotation");
                // Up to the `)` that ends this item: the next `), ` or the last `)`.
                let close = inner.find("), ").unwrap_or(close);
                covered = Some(inner[..close].to_string());
                rest = &inner[close + 1..];
            }
            rest = rest.trim_start_matches(',').trim_start();
            expected.push((line, code, covered));
        }
    }
    expected
}

fn actual(text: &str, findings: &[Finding]) -> Vec<(usize, String, Option<String>)> {
    let index = LineIndex::new(text);
    findings
        .iter()
        .map(|f| {
            let line = index.line_col(text, f.span.start, ColumnUnit::Char).line as usize;
            (line, f.code().to_string(), Some(text[f.span.start..f.span.end].to_string()))
        })
        .collect()
}

fn check_annotations(path: &Path, text: &str, findings: &[Finding]) {
    let mut expected = expectations(text);
    let mut actual = actual(text, findings);
    // An annotation without `(text)` matches any range on its line.
    for exp in expected.iter_mut() {
        if exp.2.is_none() {
            if let Some(found) = actual.iter().find(|a| a.0 == exp.0 && a.1 == exp.1) {
                exp.2 = found.2.clone();
            }
        }
    }
    expected.sort();
    actual.sort();
    assert_eq!(
        actual,
        expected,
        "{}: findings (left) differ from the `# expect:` annotations (right); findings:\n{}",
        path.display(),
        render(text, findings)
    );
}

fn render(text: &str, findings: &[Finding]) -> String {
    let index = LineIndex::new(text);
    findings
        .iter()
        .map(|f| {
            let start = index.line_col(text, f.span.start, ColumnUnit::Char);
            let end = index.line_col(text, f.span.end, ColumnUnit::Char);
            format!(
                "{}:{}-{}:{} {}[{}] {}\n",
                start.line + 1,
                start.col + 1,
                end.line + 1,
                end.col + 1,
                f.severity,
                f.code(),
                f.message
            )
        })
        .collect()
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/{rules,cases,pss,best-practice}/*.yaml", |path| {
        insta::assert_snapshot!(check_fixture(path));
    });
}

/// The templates of the fixture charts, read as podsec reads a chart.
#[test]
fn chart_templates() {
    insta::glob!("fixtures/charts/*/templates/*.yaml", |path| {
        insta::assert_snapshot!(check_fixture(path));
    });
}

/// Checks a fixture's annotations (with LF and CRLF line breaks); returns
/// its findings rendered, for the snapshot.
fn check_fixture(path: &Path) -> String {
    {
        let text = std::fs::read_to_string(path).unwrap();
        let config = support::config_for(
            &text,
            Config { profile: podsec::config::Profile::Privileged, best_practices: false, ..Config::default() },
        );
        let analysis = analyze(&text, &config);
        check_annotations(path, &text, &analysis.findings);

        let crlf = text.replace('\n', "\r\n");
        let crlf_analysis = analyze(&crlf, &config);
        check_annotations(path, &crlf, &crlf_analysis.findings);
        assert_eq!(
            render(&text, &analysis.findings),
            render(&crlf, &crlf_analysis.findings),
            "{}: CRLF changes findings",
            path.display()
        );

        render(&text, &analysis.findings)
    }
}

#[test]
fn expectations_parse() {
    let text = "a: 1 # expect: invalid-type(\"1\"), yaml11-boolean\nb: 2\n";
    assert_eq!(
        expectations(text),
        vec![(0, "invalid-type".into(), Some("\"1\"".into())), (0, "yaml11-boolean".into(), None)]
    );
}
