//! Hostile input: the analysis never panics, follows aliases only within a
//! bound and never recurses without bound; each case gives a clear finding
//! or none.

use podsec::analysis::{analyze, Analysis};
use podsec::config::Config;

fn run(text: &str) -> Analysis {
    // Structure only: the Pod Security Standards have their own tests.
    let config = Config { profile: podsec::config::Profile::Privileged, best_practices: false, ..Config::default() };
    let analysis = analyze(text, &config);
    for finding in &analysis.findings {
        assert!(
            finding.span.end <= text.len()
                && text.is_char_boundary(finding.span.start)
                && text.is_char_boundary(finding.span.end)
        );
    }
    analysis
}

fn codes(analysis: &Analysis) -> Vec<&'static str> {
    analysis.findings.iter().map(|f| f.code()).collect()
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: example/app:1\n      securityContext:\n        fsGroup: 1\n";

#[test]
fn every_truncation_of_a_manifest() {
    // Every prefix, as a document looks while being typed.
    for end in 0..=POD.len() {
        run(&POD[..end]);
    }
    let half = run(&POD[..POD.len() - 2]);
    assert_eq!(codes(&half), ["pod-only-field"]);
}

#[test]
fn tabs_as_indentation_are_a_syntax_error() {
    let text = "kind: Pod\nspec:\n\tcontainers: []\n";
    let analysis = run(text);
    assert_eq!(codes(&analysis), ["yaml-syntax"]);
    assert!(analysis.findings[0].message.contains("tab"), "{}", analysis.findings[0].message);
}

#[test]
fn nul_bytes() {
    let text = format!("{POD}---\nkind: Pod\nspec: \0\n");
    let analysis = run(&text);
    assert_eq!(codes(&analysis), ["pod-only-field", "yaml-syntax"]);
}

#[test]
fn alias_bomb_stays_within_the_bound() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..30 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("---\n");
    text.push_str(POD);
    let analysis = run(&text);
    assert_eq!(codes(&analysis), ["pod-only-field"]);
}

#[test]
fn ten_thousand_levels_of_nesting() {
    for text in [
        "[".repeat(10_000),
        "{a: ".repeat(10_000),
        format!("spec:\n{}x\n", "- ".repeat(10_000)),
        (0..10_000).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect::<String>(),
    ] {
        let analysis = run(&text);
        assert_eq!(codes(&analysis), ["yaml-syntax"], "{}", &text[..20]);
    }
}

#[test]
fn five_megabyte_file() {
    let mut text = String::new();
    while text.len() < 5_000_000 {
        text.push_str("---\n");
        text.push_str(POD);
    }
    let analysis = run(&text);
    let documents = text.matches("---\n").count();
    assert_eq!(analysis.findings.len(), documents);
}

#[test]
fn one_megabyte_line() {
    let text = format!(
        "kind: Pod\nspec: {{containers: [{}{{name: a, securityContext: {{fsGroup: 1}}}}]}}\n",
        "{name: x}, ".repeat(90_000)
    );
    let analysis = run(&text);
    assert_eq!(codes(&analysis), ["pod-only-field"]);
}

#[test]
fn byte_order_mark_and_lone_carriage_returns() {
    let text = format!("\u{feff}{}", POD.replace('\n', "\r"));
    let analysis = run(&text);
    assert_eq!(codes(&analysis), ["pod-only-field"]);
    assert_eq!(&text[analysis.findings[0].span.start..analysis.findings[0].span.end], "fsGroup");
}
