//! Properties that must hold for any text: position conversions round-trip,
//! and every finding's range lies inside the document, on char boundaries,
//! on the key or value it is about.

use std::collections::HashSet;
use std::path::Path;

use podsec::analysis::analyze;
use podsec::config::{Config, Profile};
use podsec::syntax::{parse, Node, Span, Value};
use podsec::text::{ColumnUnit, LineIndex};
use proptest::prelude::*;

/// Every fixture and example manifest: the seeds that mutations start from.
fn corpus() -> &'static [String] {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(read_corpus)
}

fn read_corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut texts = Vec::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                texts.push(text.replace("$0", ""));
            }
        }
    }
    texts.sort();
    texts
}

fn node_spans(node: &Node, spans: &mut HashSet<Span>, depth: usize) {
    spans.insert(node.span);
    if depth > 300 {
        return;
    }
    match &node.value {
        Value::Mapping(entries) => {
            for entry in entries {
                spans.insert(entry.key.span);
                spans.insert(Span::new(entry.key.span.start, entry.value.span.end));
                node_spans(&entry.key, spans, depth + 1);
                node_spans(&entry.value, spans, depth + 1);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| node_spans(item, spans, depth + 1)),
        _ => {}
    }
}

/// A text edit a user could make: replace a byte range (snapped to char
/// boundaries) with a few characters from a YAML-flavoured alphabet.
fn mutate(text: &str, at: usize, removed: usize, inserted: &str) -> String {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(at);
    let end = floor(start + removed);
    format!("{}{}{}", &text[..start], inserted, &text[end..])
}

fn yaml_bits() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(":".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("- ".to_string()),
            Just("  ".to_string()),
            Just("\t".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("#".to_string()),
            Just("&a ".to_string()),
            Just("*a".to_string()),
            Just("{{ .Values.x }}".to_string()),
            Just("---\n".to_string()),
            Just("🚀".to_string()),
            Just("é".to_string()),
            Just("securityContext:".to_string()),
            Just("runAsUser: 0".to_string()),
            Just("fsGroup: 1".to_string()),
            Just("privileged: true".to_string()),
            Just("capabilities: {add: [SYS_ADMIN]}".to_string()),
            Just("# podsec:ignore x".to_string()),
            "[a-zA-Z0-9_]{1,6}".prop_map(|s| s),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    // PROPTEST_CASES raises the count for a longer local run.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1000), ..ProptestConfig::default() })]

    #[test]
    fn positions_round_trip_in_every_unit(text in "(\\PC|\r\n|\n|\r|😀|é|\t){0,80}") {
        let index = LineIndex::new(&text);
        for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            for unit in [ColumnUnit::Utf8, ColumnUnit::Utf16, ColumnUnit::Char] {
                let position = index.line_col(&text, offset, unit);
                let back = index.offset(&text, position, unit);
                // A line break's second byte (\n of \r\n) maps to the end of its line.
                let expected = if offset > 0 && text[..offset].ends_with('\r') && text[offset..].starts_with('\n') { offset - 1 } else { offset };
                prop_assert_eq!(back, expected, "{:?} at {} in {:?}", unit, offset, text);
            }
        }
    }

    #[test]
    fn findings_lie_on_keys_and_values_of_any_edited_manifest(
        seed in 0usize..1000,
        at in 0usize..4000,
        removed in 0usize..40,
        inserted in yaml_bits(),
        profile in prop_oneof![Just(Profile::Restricted), Just(Profile::Baseline), Just(Profile::Privileged)],
    ) {
        let corpus = corpus();
        let text = mutate(&corpus[seed % corpus.len()], at, removed, &inserted);
        let config = Config { profile, ..Config::default() };
        let analysis = analyze(&text, &config);
        let mut spans = HashSet::new();
        for document in &parse(&text).documents {
            if let Some(root) = &document.root {
                node_spans(root, &mut spans, 0);
            }
        }
        for finding in &analysis.findings {
            let span = finding.span;
            prop_assert!(span.start <= span.end && span.end <= text.len(), "{finding:?}");
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{finding:?}");
            match finding.code() {
                // Where the parser stopped; inside a comment.
                "yaml-syntax" | "invalid-suppression" => {}
                _ => prop_assert!(spans.contains(&span), "{} at {:?} = {:?} is not a key or value", finding.code(), span, &text[span.start..span.end]),
            }
        }
    }
}
