//! The incremental engine against a fresh start: any sequence of edits,
//! applied as `didChange` events and analysed now and then with the cache
//! carried along, ends with the same text, the same `---` documents and the
//! same diagnostics as analysing the final text from scratch.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use tower_lsp::lsp_types::{Diagnostic, Position, Range, TextDocumentContentChangeEvent, Url};

use super::diagnostics::{compute_segments, to_diagnostic, SegmentCache, Work};
use super::documents::{Documents, Snapshot};
use super::position::PositionEncoding;
use crate::config::{Config, Profile};
use crate::syntax::split_documents;
use crate::text::{ColumnUnit, LineCol, LineIndex};

fn uri() -> Url {
    Url::parse("file:///work/app.yaml").unwrap()
}

/// Every example and fixture manifest.
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut texts = Vec::new();
        let mut stack = vec![root.join("examples"), root.join("tests/fixtures/rules"), root.join("tests/fixtures/pss")];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "yaml") {
                texts.push(std::fs::read_to_string(&path).unwrap().replace("$0", ""));
            }
        }
        texts.sort();
        texts
    })
}

/// What users type, including what changes the document structure.
const INSERTS: &[&str] = &[
    "",
    "a",
    " ",
    "\n",
    "\r\n",
    "\r",
    "---\n",
    "---",
    "-",
    ":",
    "🚀",
    "é",
    "\t",
    "        privileged: true\n",
    "      securityContext:\n        runAsUser: 0\n",
    "# podsec:ignore-file\n",
    "# podsec:ignore pod-only-field\n",
    "  fsGroup: \"1000\"\n",
    "{{ .Values.uid }}",
    "kind: Pod\nspec:\n  containers:\n  - name: x\n    image: y\n",
];

#[derive(Clone, Debug)]
struct Edit {
    line: u32,
    character: u32,
    end_line_delta: u32,
    end_character: u32,
    insert: &'static str,
    analyse_after: bool,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    (0u32..400, 0u32..40, 0u32..3, 0u32..40, prop::sample::select(INSERTS), prop::bool::weighted(0.3)).prop_map(
        |(line, character, end_line_delta, end_character, insert, analyse_after)| Edit {
            line,
            character,
            end_line_delta,
            end_character,
            insert,
            analyse_after,
        },
    )
}

impl Edit {
    fn range(&self) -> Range {
        let start = Position::new(self.line, self.character);
        let end = if self.end_line_delta == 0 {
            Position::new(self.line, self.character.max(self.end_character))
        } else {
            Position::new(self.line + self.end_line_delta, self.end_character)
        };
        Range { start, end }
    }

    /// The same edit on a plain string, through the analysis layer's own
    /// line index rather than the rope.
    fn apply_to(&self, text: &mut String, unit: ColumnUnit) {
        let range = self.range();
        let index = LineIndex::new(text);
        let offset = |p: Position| index.offset(text, LineCol { line: p.line, col: p.character }, unit);
        let (start, end) = (offset(range.start), offset(range.end));
        text.replace_range(start..end.max(start), self.insert);
    }
}

fn analyse(snapshot: &Snapshot, config: &Config, encoding: PositionEncoding) -> (Vec<Diagnostic>, Work) {
    let mut cache = snapshot.cache.lock().unwrap();
    let (json, work) =
        compute_segments(&uri(), &snapshot.segments, config, encoding, &mut cache, || false).expect("never superseded");
    let diagnostics = json.parse();
    assert_eq!(diagnostics.len(), json.count);
    (diagnostics, work)
}

fn from_scratch(text: &str, config: &Config, encoding: PositionEncoding) -> Vec<Diagnostic> {
    let index = LineIndex::new(text);
    let analysis = crate::analysis::analyze(text, config);
    analysis.findings.iter().map(|f| to_diagnostic(text, &index, f, encoding, Some((&uri(), 0)))).collect()
}

fn check_edits(seeds: &[usize], edits: &[Edit], utf8: bool) -> Result<(), TestCaseError> {
    let corpus = corpus();
    let mut text: String = seeds.iter().map(|&i| corpus[i % corpus.len()].as_str()).collect::<Vec<_>>().join("---\n");
    let (encoding, unit) =
        if utf8 { (PositionEncoding::Utf8, ColumnUnit::Utf8) } else { (PositionEncoding::Utf16, ColumnUnit::Utf16) };
    let config = Config { profile: Profile::Restricted, ..Config::default() };
    let documents = Documents::default();
    let ticket = documents.open(uri(), 1, &text);
    for (version, edit) in (2..).zip(edits) {
        let change =
            TextDocumentContentChangeEvent { range: Some(edit.range()), range_length: None, text: edit.insert.into() };
        documents.change(&uri(), version, vec![change], encoding).unwrap();
        edit.apply_to(&mut text, unit);
        if edit.analyse_after {
            analyse(&documents.snapshot(&uri(), ticket).unwrap(), &config, encoding);
        }
    }
    let snapshot = documents.snapshot(&uri(), ticket).unwrap();
    prop_assert_eq!(&documents.text(&uri()).unwrap(), &text);
    let pieces: Vec<&str> = split_documents(&text).into_iter().map(|s| &text[s.start..s.end]).collect();
    let segments: Vec<&str> = snapshot.segments.iter().map(|s| &*s.segment.text).collect();
    prop_assert_eq!(segments, pieces);
    let (incremental, _) = analyse(&snapshot, &config, encoding);
    prop_assert_eq!(incremental, from_scratch(&text, &config, encoding));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(300),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn edits_applied_incrementally_equal_a_fresh_open(
        seeds in prop::collection::vec(0usize..10_000, 1..5),
        edits in prop::collection::vec(edit_strategy(), 1..25),
        utf8 in any::<bool>(),
    ) {
        check_edits(&seeds, &edits, utf8)?;
    }
}

/// A multi-document file as users have them: two Deployments and a Pod.
const STREAM: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        image: api:1
        securityContext:
          fsGroup: 1000
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
  - name: shell
    image: busybox
    securityContext:
      privileged: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      securityContext:
        sysctls:
        - name: kernel.shm_rmid_forced
          value: \"1\"
        - name: kernel.shm_rmid_forced
          value: \"0\"
      containers:
      - name: worker
        image: worker:1
";

fn insert_at(line: u32, text: &str) -> TextDocumentContentChangeEvent {
    let at = Position::new(line, 0);
    TextDocumentContentChangeEvent { range: Some(Range { start: at, end: at }), range_length: None, text: text.into() }
}

#[test]
fn an_edit_reanalyses_only_its_document_and_shifts_the_others() {
    let config = Config::default();
    let encoding = PositionEncoding::Utf16;
    let documents = Documents::default();
    let ticket = documents.open(uri(), 1, STREAM);
    let (before, work) = analyse(&documents.snapshot(&uri(), ticket).unwrap(), &config, encoding);
    assert_eq!(work, Work { analysed: 3, reused: 0 });

    // Two comment lines typed at the top of the first Deployment.
    documents.change(&uri(), 2, vec![insert_at(0, "# api\n# owned by team a\n")], encoding).unwrap();
    let (after, work) = analyse(&documents.snapshot(&uri(), ticket).unwrap(), &config, encoding);
    // The edited Deployment, and the worker, whose message names a line.
    assert_eq!(work, Work { analysed: 2, reused: 1 }, "the Pod's results are reused, shifted");
    let privileged = |diagnostics: &[Diagnostic]| {
        diagnostics.iter().find(|d| d.message.contains("privileged")).map(|d| d.range.start.line).unwrap()
    };
    assert_eq!(privileged(&after), privileged(&before) + 2);

    // The worker's duplicate sysctl message names a line of the file, so
    // that document is analysed again when lines above it move.
    let duplicate = |diagnostics: &[Diagnostic]| {
        diagnostics.iter().find(|d| d.message.contains("already set on line")).unwrap().message.clone()
    };
    assert!(duplicate(&before).contains("line 34"), "{}", duplicate(&before));
    assert!(duplicate(&after).contains("line 36"), "{}", duplicate(&after));
    assert_eq!(after, from_scratch(&documents.text(&uri()).unwrap(), &config, encoding));
}

#[test]
fn a_superseded_analysis_stops_and_keeps_what_it_did() {
    let config = Config::default();
    let documents = Documents::default();
    let ticket = documents.open(uri(), 1, STREAM);
    let snapshot = documents.snapshot(&uri(), ticket).unwrap();
    let asked = std::cell::Cell::new(0);
    let superseded = || {
        asked.set(asked.get() + 1);
        asked.get() > 2
    };
    let mut cache = SegmentCache::default();
    assert!(compute_segments(&uri(), &snapshot.segments, &config, PositionEncoding::Utf16, &mut cache, superseded)
        .is_none());
    let (_, work) =
        compute_segments(&uri(), &snapshot.segments, &config, PositionEncoding::Utf16, &mut cache, || false).unwrap();
    assert_eq!(work, Work { analysed: 1, reused: 2 });
}

#[test]
fn a_file_wide_suppression_in_one_document_silences_the_others() {
    let config = Config::default();
    let encoding = PositionEncoding::Utf16;
    let documents = Documents::default();
    let ticket = documents.open(uri(), 1, STREAM);
    let (before, _) = analyse(&documents.snapshot(&uri(), ticket).unwrap(), &config, encoding);
    assert!(before.iter().any(|d| d.message.contains("privileged")));
    let last_line = STREAM.lines().count() as u32;
    documents.change(&uri(), 2, vec![insert_at(last_line, "# podsec:ignore-file pss/privileged\n")], encoding).unwrap();
    let (after, work) = analyse(&documents.snapshot(&uri(), ticket).unwrap(), &config, encoding);
    assert_eq!(work, Work { analysed: 1, reused: 2 });
    assert!(!after.iter().any(|d| d.message.contains("privileged")), "{after:#?}");
    assert_eq!(after, from_scratch(&documents.text(&uri()).unwrap(), &config, encoding));
}

#[test]
fn a_configuration_change_reanalyses_everything() {
    let documents = Documents::default();
    let ticket = documents.open(uri(), 1, STREAM);
    let snapshot = documents.snapshot(&uri(), ticket).unwrap();
    analyse(&snapshot, &Config { profile: Profile::Baseline, ..Config::default() }, PositionEncoding::Utf16);
    let restricted = Config { profile: Profile::Restricted, ..Config::default() };
    let (diagnostics, work) = analyse(&snapshot, &restricted, PositionEncoding::Utf16);
    assert_eq!(work, Work { analysed: 3, reused: 0 });
    assert_eq!(diagnostics, from_scratch(STREAM, &restricted, PositionEncoding::Utf16));
}
