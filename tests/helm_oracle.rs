//! Helm's own template engine as the oracle: the PyPI package
//! `helm-python-sdk` renders every fixture chart (`tests/fixtures/charts/*`)
//! with its default values and with each `ci/*.yaml` values file, and podsec
//! must read each template as Helm renders it:
//! - a template that Helm renders into valid YAML gets no `yaml-syntax`
//!   finding;
//! - every finding podsec reports on a literal line of a template is on a
//!   line that Helm renders (never in a `define` body or text Helm drops).

use podsec::analysis::analyze;
use podsec::config::Config;

use crate::support;
use crate::support::helm::{render, sorted_entries};

/// A line without its comment and surrounding space.
fn content(line: &str) -> &str {
    podsec::syntax::comment_start(line).map_or(line, |at| &line[..at]).trim()
}

#[test]
#[ignore = "needs Helm's template engine: PODSEC_HELM_PYTHON, a Python with helm-python-sdk (.ci/run installs it)"]
fn fixture_charts_read_as_helm_renders_them() {
    let python = std::env::var("PODSEC_HELM_PYTHON").expect("PODSEC_HELM_PYTHON: a Python with helm-python-sdk");
    let charts = sorted_entries(&support::repository().join("tests/fixtures/charts"));
    assert!(!charts.is_empty(), "no fixture charts");
    let (mut templates, mut parsed, mut matched) = (0, 0, 0);
    for chart in charts.iter().filter(|c| c.join("Chart.yaml").exists()) {
        let name = chart.file_name().unwrap().to_string_lossy().to_string();
        let mut renders = vec![render(&python, chart, None)];
        for values in sorted_entries(&chart.join("ci")) {
            renders.push(render(&python, chart, Some(&values)));
        }
        for template in sorted_entries(&chart.join("templates")) {
            if podsec::chart::is_template_partial(&template) || template.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            templates += 1;
            let key = format!("{name}/templates/{}", template.file_name().unwrap().to_string_lossy());
            let source = std::fs::read_to_string(&template).unwrap();
            let config = support::config_for(&source, Config::default());
            let findings = analyze(&source, &config).findings;
            let rendered: Vec<&String> = renders.iter().filter_map(|r| r.get(&key)).collect();
            assert!(!rendered.is_empty(), "Helm did not render {key}");
            // 1. Valid YAML from Helm: no syntax error from podsec.
            let valid =
                rendered.iter().any(|text| podsec::syntax::parse(text).documents.iter().all(|d| d.errors.is_empty()));
            if valid {
                parsed += 1;
                let errors: Vec<_> =
                    findings.iter().filter(|f| f.rule.code == "yaml-syntax").map(|f| &f.message).collect();
                assert!(errors.is_empty(), "{key}: Helm renders valid YAML, podsec reports {errors:?}");
            }
            // 2. Findings on literal lines are on lines Helm renders.
            for finding in &findings {
                let line_start = source[..finding.span.start].rfind('\n').map_or(0, |i| i + 1);
                let line_end = source[finding.span.start..].find('\n').map_or(source.len(), |i| finding.span.start + i);
                let line = &source[line_start..line_end];
                if line.contains("{{") || content(line).is_empty() {
                    continue;
                }
                let shown = rendered.iter().any(|text| text.lines().any(|l| content(l) == content(line)));
                assert!(
                    shown,
                    "{key}: podsec reports {} on `{}`, a line Helm never renders",
                    finding.rule.code,
                    line.trim()
                );
                matched += 1;
            }
        }
    }
    println!("helm oracle: {templates} templates, {parsed} rendered as valid YAML and read without a syntax error, {matched} findings on lines Helm renders");
}
