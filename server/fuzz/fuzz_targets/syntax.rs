//! The YAML layer: `parse` never panics, and every span it gives (documents,
//! nodes, errors, masked templates) slices the original text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::syntax::{self, Node, Value};

#[path = "common.rs"]
mod common;

fn check_node(text: &str, node: &Node, within: syntax::Span) {
    common::assert_span(text, node.span, "node");
    assert!(
        within.start <= node.span.start && node.span.end <= within.end,
        "node {:?} outside its document {within:?}",
        node.span
    );
    // The one-line rendering hovers and hints show.
    let _ = syntax::flow_text(text, node, 80);
    match &node.value {
        Value::Mapping(entries) => {
            for entry in entries {
                check_node(text, &entry.key, within);
                check_node(text, &entry.value, within);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| check_node(text, item, within)),
        Value::Scalar(_) | Value::Alias => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let parsed = syntax::parse(&text);
    let mut previous_end = 0;
    for document in &parsed.documents {
        common::assert_span(&text, document.span, "document");
        assert!(document.span.start >= previous_end, "documents overlap: {:?}", document.span);
        previous_end = document.span.end;
        if let Some(root) = &document.root {
            check_node(&text, root, document.span);
        }
        for error in &document.errors {
            common::assert_span(&text, error.span, "syntax error");
            assert!(!error.message.is_empty());
        }
    }
    for span in parsed.templates.inline.iter().chain(&parsed.templates.control_lines) {
        common::assert_span(&text, *span, "template");
    }
    let templates = &parsed.templates;
    for action in &templates.actions {
        common::assert_span(&text, action.span, "template action");
        common::assert_span(&text, action.body, "template action body");
        assert!(action.span.start <= action.body.start && action.body.end <= action.span.end);
    }
    for span in templates.inserted.iter().map(|i| i.action).chain(templates.defines.iter().copied()) {
        common::assert_span(&text, span, "inserted content or define");
    }
    for branch in &templates.branches {
        assert!(branch.span.start <= branch.span.end && branch.span.end <= text.len(), "branch {:?}", branch.span);
    }
    if let Some(masked) = &templates.masked {
        // Masking keeps every offset and line of the text.
        assert_eq!(masked.len(), text.len(), "masking changed the length");
        let breaks = |s: &str| s.bytes().filter(|&b| b == b'\n' || b == b'\r').count();
        assert_eq!(breaks(masked), breaks(&text), "masking changed the lines");
    }
    for span in syntax::split_documents(&text) {
        common::assert_span(&text, span, "split document");
    }
    for line in text.lines() {
        if let Some(at) = syntax::comment_start(line) {
            assert_eq!(line.as_bytes()[at], b'#');
        }
    }
});
