//! Data-driven inlay hint tests.
//!
//! Each `tests/fixtures/inlay/*.yaml` is a manifest with its expected hints
//! written in place as `⟨label⟩`. The test removes them, computes the hints
//! of what is left, writes them back in and compares with the fixture; the
//! same again with CRLF line breaks. After an intended change, rewrite the
//! fixtures with `UPDATE_EXPECT=1 cargo test --test engine inlay::` and review the diff.

use std::path::Path;

use podsec::ide::inlay::{inlay_hints, HintKind};

const OPEN: char = '⟨';
const CLOSE: char = '⟩';

fn strip_hints(annotated: &str) -> String {
    let mut out = String::with_capacity(annotated.len());
    let mut inside = false;
    for ch in annotated.chars() {
        match ch {
            OPEN => inside = true,
            CLOSE => inside = false,
            _ if !inside => out.push(ch),
            _ => {}
        }
    }
    out
}

fn with_hints(text: &str) -> String {
    let hints = inlay_hints(text);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for hint in &hints {
        out.push_str(&text[at..hint.offset]);
        out.push(OPEN);
        out.push_str(&hint.label());
        out.push(CLOSE);
        at = hint.offset;
    }
    out.push_str(&text[at..]);
    out
}

fn check(path: &Path) {
    let annotated = std::fs::read_to_string(path).unwrap();
    let input = strip_hints(&annotated);
    let actual = with_hints(&input);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &actual).unwrap();
        return;
    }
    assert_eq!(actual, annotated, "hints of {} differ (UPDATE_EXPECT=1 rewrites the fixture)", path.display());
    let crlf = with_hints(&input.replace('\n', "\r\n")).replace("\r\n", "\n");
    assert_eq!(crlf, annotated, "hints of {} differ with CRLF line breaks", path.display());
}

#[test]
fn fixtures() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/inlay");
    let mut paths: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    assert!(paths.len() >= 4, "fixtures missing in {}", folder.display());
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
        check(path);
    }
}

#[test]
fn one_hint_per_container_with_every_inherited_field() {
    // Clients draw hints at one position side by side with nothing between
    // them (Helix: `runAsUser: 1000 (pod)runAsNonRoot: true (pod)`): the
    // fields of one place are one hint, separated by commas.
    let text = "kind: Pod\nspec:\n  securityContext: {runAsUser: 1000, runAsNonRoot: true}\n  containers:\n    - name: b\n      securityContext:\n        runAsGroup: 5\n";
    let hints = inlay_hints(text);
    let labels: Vec<_> = hints.iter().map(|h| (h.offset, h.label())).collect();
    let after_key = text.find("securityContext:\n        runAsGroup").unwrap() + "securityContext:".len();
    assert_eq!(labels, [(after_key, "runAsUser: 1000, runAsNonRoot: true (pod)".to_string())]);
    assert!(hints[0].tooltip().contains("does not set `runAsUser`, `runAsNonRoot` itself"), "{}", hints[0].tooltip());
}

#[test]
fn hints_for_a_container_with_and_without_a_security_context() {
    let text = "kind: Pod\nspec:\n  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n    - name: a\n    - name: b\n      securityContext:\n        runAsGroup: 5\n";
    let hints = inlay_hints(text);
    let summary: Vec<_> = hints.iter().map(|h| (h.kind, h.container.as_str(), h.label())).collect();
    assert_eq!(
        summary,
        [
            (HintKind::Effective, "a", "securityContext (pod): runAsUser: 1000, runAsGroup: 1000".to_string()),
            (HintKind::Inherited, "b", "runAsUser: 1000 (pod)".to_string()),
        ]
    );
    // Each part points at the pod entry that sets it.
    let source = hints[1].parts[0].source;
    assert_eq!(&text[source.start..source.end], "runAsUser");
    assert!(hints[1].tooltip().contains("container `b` does not set `runAsUser`"));
}

#[test]
fn text_without_pods_has_no_hints() {
    for text in ["", "a: [", "kind: Service\nspec: {ports: [{port: 80}]}\n", "{{ include \"x\" . }}\n"] {
        assert!(inlay_hints(text).is_empty(), "{text:?}");
    }
}
