//! Inputs the fuzz targets (`server/fuzz`) found breaking a promise of the
//! library, each minimised, kept with what a user would have seen.
//!
//! Every case also passes the checks the targets make: each span of the
//! tree, of the findings and of hover and completion slices the text, the
//! documents of a file do not overlap, and every node lies inside its
//! document (ranges sent to the editor come from these spans).

use podsec::analysis::analyze;
use podsec::config::Config;
use podsec::ide;
use podsec::syntax::{self, Node, Span, Value};

fn assert_slices(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end),
        "{what} {span:?} does not slice {text:?}"
    );
}

fn assert_inside(text: &str, node: &Node, document: Span) {
    assert_slices(text, node.span, "node");
    assert!(
        document.start <= node.span.start && node.span.end <= document.end,
        "node {:?} outside its document {document:?} in {text:?}",
        node.span
    );
    match &node.value {
        Value::Mapping(entries) => entries.iter().for_each(|e| {
            assert_inside(text, &e.key, document);
            assert_inside(text, &e.value, document);
        }),
        Value::Sequence(items) => items.iter().for_each(|item| assert_inside(text, item, document)),
        Value::Scalar(_) | Value::Alias => {}
    }
}

/// What the `syntax`, `analysis` and `ide` targets check, on one input.
fn assert_well_formed(text: &str) {
    let parsed = syntax::parse(text);
    let mut previous_end = 0;
    for document in &parsed.documents {
        assert_slices(text, document.span, "document");
        assert!(document.span.start >= previous_end, "documents overlap in {text:?}: {:?}", parsed.documents);
        previous_end = document.span.end;
        if let Some(root) = &document.root {
            assert_inside(text, root, document.span);
        }
    }
    let config = Config::default();
    for finding in analyze(text, &config).findings {
        assert_slices(text, finding.span, finding.code());
    }
    for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
        if let Some(hover) = ide::hover(text, offset, &config) {
            assert_slices(text, hover.range, "hover");
        }
        for item in ide::complete(text, offset, &config) {
            assert_slices(text, item.replace, "completion");
        }
    }
}

/// A pod spec on its own, as in a Helm partial or a kustomize patch.
const BARE_POD_SPEC: &str = "\
securityContext:
  runAsNonRoot: true
containers:
  - name: web
    image: registry.example.com/web:1.4.2
";

#[test]
fn a_document_starts_at_its_first_key_and_that_key_has_a_hover() {
    // The document used to start at the first key's `:`, so the key before
    // it was outside every document: no hover there, and no quick fix for
    // a finding on it.
    let parsed = syntax::parse(BARE_POD_SPEC);
    assert_eq!(parsed.documents[0].span, Span::new(0, BARE_POD_SPEC.len()));
    let hover = ide::hover(BARE_POD_SPEC, 3, &Config::default()).expect("a hover on `securityContext`");
    assert_eq!(hover.range, Span::new(0, "securityContext".len()));
    assert_well_formed(BARE_POD_SPEC);
    assert_well_formed("apiVersion: v1\nkind: Pod\nmetadata:\n  \nspec:\n  containers:\n    - name: app\n");
}

#[test]
fn a_document_cut_short_ends_where_the_next_one_starts() {
    // A less indented key after an indented mapping ends the document; the
    // error (at `b`'s colon) starts another. The first used to run to the
    // end of the file, over the second.
    let text = "  a: 1\nb: 2\n";
    let parsed = syntax::parse(text);
    let spans: Vec<Span> = parsed.documents.iter().map(|d| d.span).collect();
    assert_eq!(spans, [Span::new(2, 8), Span::new(8, text.len())]);
    assert_eq!(parsed.documents[1].errors.len(), 1);
    assert_well_formed(text);
}

#[test]
fn an_empty_list_item_after_a_tab_sits_after_its_dash() {
    // The empty item used to be placed at the start of the file, before
    // the list that holds it.
    let text = "\t-";
    let parsed = syntax::parse(text);
    let root = parsed.documents[0].root.as_ref().unwrap();
    let item = &root.as_sequence().unwrap()[0];
    assert!(item.is_null());
    assert_eq!(item.span, Span::new(2, 2));
    assert_well_formed(text);
}

#[test]
fn a_node_the_parser_reports_before_its_error_stays_in_its_document() {
    // A second `!` makes yaml-rust2 report a scalar and then an error at
    // the same place; the first document used to end before its own root.
    let text = "!\n!";
    let parsed = syntax::parse(text);
    let root = parsed.documents[0].root.as_ref().unwrap();
    assert!(parsed.documents[0].span.end >= root.span.end);
    assert_eq!(parsed.documents.iter().flat_map(|d| &d.errors).count(), 1);
    assert_well_formed(text);
}

#[test]
fn an_error_inside_an_unclosed_template_action_covers_whole_characters() {
    // The action runs to the end of the file and is masked byte by byte, so
    // the error, found in the masked text, used to end inside the `Ü`.
    let text = "args: [{{ .Values.args\nÜber alles";
    let findings = analyze(text, &Config::default()).findings;
    let syntax_error = findings.iter().find(|f| f.code() == "yaml-syntax").expect("a syntax error");
    let at = text.find('Ü').unwrap();
    assert_eq!(syntax_error.span, Span::new(at, at + 'Ü'.len_utf8()));
    assert_well_formed(text);
}
