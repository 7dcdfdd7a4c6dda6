//! Open documents: a rope, a version, and the text cut into `---` documents.
//!
//! Every mutation happens synchronously under one lock, so the order in
//! which handlers call in is the order in which edits apply. The store also
//! tracks whether an analysis of a document is running, so a burst of edits
//! starts one analysis at a time and the newest text is what gets analysed.
//!
//! Each `---` document is kept as a [`Segment`] of its own text. An edit
//! re-cuts only the segments it touches; the others keep their identity,
//! which is what the analysis cache is keyed on, so a keystroke costs what
//! the edited document costs, whatever the size of the file, and a document
//! moved down by lines typed above it keeps its results.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ropey::Rope;
use tower_lsp::lsp_types::{TextDocumentContentChangeEvent, Url};

use super::diagnostics::SegmentCache;
use super::position::{char_range, PositionEncoding};
pub use super::segment::{PlacedSegment, Segment};
use crate::syntax::{is_document_start, split_documents};

struct Document {
    rope: Rope,
    /// In order; together they hold exactly the rope's text.
    segments: Vec<Segment>,
    version: i32,
    /// Distinguishes this opening from an earlier one of the same URI, so
    /// work started for a closed document never touches a reopened one.
    open_id: u64,
    /// An analysis task for this document is running.
    analysing: bool,
    /// The running analysis must go round once more at the same version.
    again: bool,
    /// Analysis results per segment; dropped with the document.
    cache: Arc<Mutex<SegmentCache>>,
    /// An edit since the last [`Documents::take_namespace_edit`] touched a
    /// document that names a `Namespace`, before or after the edit.
    namespace_edit: bool,
}

/// What the analysis of one version of a document needs: the segments
/// (shared, not copied) and the cache of the document's earlier results.
pub struct Snapshot {
    pub segments: Vec<PlacedSegment>,
    pub version: i32,
    pub cache: Arc<Mutex<SegmentCache>>,
}

impl Snapshot {
    /// The whole text, for the small files analysed as a whole.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| &*s.segment.text).collect()
    }

    pub fn len(&self) -> usize {
        self.segments.iter().map(|s| s.segment.text.len()).sum()
    }
}

/// Permission to start the analysis task of an opened document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub open_id: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ChangeError {
    NotOpen,
    Stale { current: i32 },
}

#[derive(Default)]
pub struct Documents {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    documents: HashMap<Url, Document>,
    next_open_id: u64,
    next_segment_id: u64,
}

impl State {
    fn segments_of(&mut self, text: &str) -> Vec<Segment> {
        split_documents(text)
            .into_iter()
            .map(|span| {
                self.next_segment_id += 1;
                Segment::new(self.next_segment_id, &text[span.start..span.end])
            })
            .collect()
    }
}

impl Document {
    /// Re-cuts the segments after the rope's bytes `start..old_end` were
    /// replaced by `new_len` bytes. Only the segments the edit touches (an
    /// edit at a boundary touches both sides) are cut again; a new segment
    /// with the text of a replaced one takes over its identity.
    fn resegment(&mut self, start: usize, old_end: usize, new_len: usize, next_id: &mut u64) {
        let mut starts = Vec::with_capacity(self.segments.len());
        let mut offset = 0;
        for segment in &self.segments {
            starts.push(offset);
            offset += segment.text.len();
        }
        let end_of = |i: usize| starts[i] + self.segments[i].text.len();
        let mut first = (0..self.segments.len()).find(|&i| end_of(i) >= start).unwrap_or(self.segments.len() - 1);
        let last = (first..self.segments.len()).rev().find(|&i| starts[i] <= old_end).unwrap_or(first);
        let region_end = end_of(last) + new_len - (old_end - start);
        let mut text = self.rope.byte_slice(starts[first]..region_end).to_string();
        // An edit that broke the `---` line opening the region joins it to
        // the document before.
        if first > 0 && !is_document_start(&text) {
            first -= 1;
            text.insert_str(0, &self.segments[first].text);
        }
        let replaced: Vec<Segment> = self.segments.drain(first..=last).collect();
        let pieces: Vec<Segment> = split_documents(&text)
            .into_iter()
            .map(|span| {
                let piece = &text[span.start..span.end];
                replaced.iter().find(|old| &*old.text == piece).cloned().unwrap_or_else(|| {
                    *next_id += 1;
                    Segment::new(*next_id, piece)
                })
            })
            .collect();
        let names_namespace = |segment: &Segment| segment.text.contains("Namespace");
        self.namespace_edit |= replaced.iter().chain(&pieces).any(names_namespace);
        self.segments.splice(first..first, pieces);
    }
}

impl Documents {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere never leaves a document half edited (edits are
        // applied before anything that could panic), so keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens (or, if the client reopens without closing, replaces) a
    /// document. Returns the ticket for its analysis task.
    pub fn open(&self, uri: Url, version: i32, text: &str) -> Ticket {
        let mut state = self.lock();
        state.next_open_id += 1;
        let open_id = state.next_open_id;
        let segments = state.segments_of(text);
        let document = Document {
            rope: Rope::from_str(text),
            segments,
            version,
            open_id,
            analysing: true,
            again: false,
            cache: Arc::default(),
            namespace_edit: false,
        };
        state.documents.insert(uri, document);
        Ticket { open_id }
    }

    /// Applies the changes of one `didChange` in order. Returns a ticket
    /// when no analysis is running for the document; otherwise the running
    /// one picks up the new version when it finishes.
    pub fn change(
        &self,
        uri: &Url,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: PositionEncoding,
    ) -> Result<Option<Ticket>, ChangeError> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let document = state.documents.get_mut(uri).ok_or(ChangeError::NotOpen)?;
        if version <= document.version {
            return Err(ChangeError::Stale { current: document.version });
        }
        for change in changes {
            match change.range {
                Some(range) => {
                    let chars = char_range(&document.rope, range, encoding);
                    let start = document.rope.char_to_byte(chars.start);
                    let old_end = document.rope.char_to_byte(chars.end);
                    document.rope.remove(chars.clone());
                    document.rope.insert(chars.start, &change.text);
                    document.resegment(start, old_end, change.text.len(), &mut state.next_segment_id);
                }
                None => {
                    document.rope = Rope::from_str(&change.text);
                    let old_end = document.segments.iter().map(|s| s.text.len()).sum();
                    document.resegment(0, old_end, change.text.len(), &mut state.next_segment_id);
                }
            }
        }
        document.version = version;
        Ok(if document.analysing {
            None
        } else {
            document.analysing = true;
            Some(Ticket { open_id: document.open_id })
        })
    }

    /// Whether edits since the last call may have added, changed or
    /// removed a `Namespace` (which the workspace index must then read).
    /// Edits elsewhere leave the index alone, so typing in a long file
    /// does not make it scan the whole text again.
    pub fn take_namespace_edit(&self, uri: &Url) -> bool {
        self.lock().documents.get_mut(uri).is_some_and(|d| std::mem::take(&mut d.namespace_edit))
    }

    /// Closes a document; `false` if it was not open.
    pub fn close(&self, uri: &Url) -> bool {
        self.lock().documents.remove(uri).is_some()
    }

    /// Asks for a new analysis of an open document (after a save or a
    /// configuration change).
    pub fn touch(&self, uri: &Url) -> Option<Ticket> {
        let mut state = self.lock();
        let document = state.documents.get_mut(uri)?;
        if document.analysing {
            document.again = true;
            return None;
        }
        document.analysing = true;
        Some(Ticket { open_id: document.open_id })
    }

    /// The current segments of the document this ticket belongs to, or
    /// `None` once it was closed (or reopened). Copies no text.
    pub fn snapshot(&self, uri: &Url, ticket: Ticket) -> Option<Snapshot> {
        let state = self.lock();
        let document = state.documents.get(uri).filter(|d| d.open_id == ticket.open_id)?;
        Some(Snapshot {
            segments: placed(&document.segments),
            version: document.version,
            cache: document.cache.clone(),
        })
    }

    /// Called by the analysis task after analysing `version`: `true` if the
    /// document moved on and must be analysed again, `false` if the task is
    /// done (the document is marked idle).
    pub fn analysed(&self, uri: &Url, ticket: Ticket, version: i32) -> bool {
        let mut state = self.lock();
        match state.documents.get_mut(uri).filter(|d| d.open_id == ticket.open_id) {
            Some(document) if document.version != version || document.again => {
                document.again = false;
                true
            }
            Some(document) => {
                document.analysing = false;
                false
            }
            None => false,
        }
    }

    /// Every open document.
    pub fn uris(&self) -> Vec<Url> {
        self.lock().documents.keys().cloned().collect()
    }

    /// The current text of an open document.
    pub fn text(&self, uri: &Url) -> Option<String> {
        self.lock().documents.get(uri).map(|d| d.rope.to_string())
    }

    /// The length in bytes of an open document.
    pub fn byte_len(&self, uri: &Url) -> Option<usize> {
        self.lock().documents.get(uri).map(|d| d.rope.len_bytes())
    }

    /// The current text of an open document and its version.
    pub fn text_and_version(&self, uri: &Url) -> Option<(String, i32)> {
        self.lock().documents.get(uri).map(|d| (d.rope.to_string(), d.version))
    }

    /// The `---` document holding `line` (the last one for a line past the
    /// end): what hover and completion read, without copying the file.
    pub fn segment_at(&self, uri: &Url, line: usize) -> Option<PlacedSegment> {
        let state = self.lock();
        let segments = &state.documents.get(uri)?.segments;
        let mut first_line = 0;
        for (i, segment) in segments.iter().enumerate() {
            if line < first_line + segment.line_breaks || i + 1 == segments.len() {
                return Some(PlacedSegment { segment: segment.clone(), first_line });
            }
            first_line += segment.line_breaks;
        }
        None
    }

    /// Whether `version` is still the newest text of this opening of `uri`.
    pub fn is_current(&self, uri: &Url, ticket: Ticket, version: i32) -> bool {
        let state = self.lock();
        state.documents.get(uri).is_some_and(|d| d.open_id == ticket.open_id && d.version == version)
    }
}

fn placed(segments: &[Segment]) -> Vec<PlacedSegment> {
    let mut first_line = 0;
    segments
        .iter()
        .map(|segment| {
            let placed = PlacedSegment { segment: segment.clone(), first_line };
            first_line += segment.line_breaks;
            placed
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use tower_lsp::lsp_types::{Position, Range};

    use super::*;

    fn uri() -> Url {
        Url::parse("file:///a.yaml").unwrap()
    }

    fn edit(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range { start: Position::new(l1, c1), end: Position::new(l2, c2) }),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn changes_apply_in_order_and_clamp() {
        let docs = Documents::default();
        let ticket = docs.open(uri(), 1, "a: 🚀x\r\nb: 1\r\n");
        let enc = PositionEncoding::Utf16;
        let changes = vec![edit(0, 5, 0, 6, "y"), edit(1, 3, 1, 99, "22"), edit(7, 0, 9, 9, "c: 3")];
        assert_eq!(docs.change(&uri(), 2, changes, enc), Ok(None));
        assert_eq!(docs.text(&uri()).unwrap(), "a: 🚀y\r\nb: 22\r\nc: 3");
        // Deleting a CRLF as one character.
        assert_eq!(docs.change(&uri(), 3, vec![edit(0, 6, 1, 0, "")], enc), Ok(None));
        assert_eq!(docs.text(&uri()).unwrap(), "a: 🚀yb: 22\r\nc: 3");
        assert!(docs.analysed(&uri(), ticket, 2));
        assert!(!docs.analysed(&uri(), ticket, 3));
        let full = TextDocumentContentChangeEvent { range: None, range_length: None, text: "z".into() };
        assert_eq!(docs.change(&uri(), 4, vec![full], enc), Ok(Some(ticket)));
        assert_eq!(docs.text(&uri()).unwrap(), "z");
    }

    #[test]
    fn stale_and_unknown_changes_are_refused() {
        let docs = Documents::default();
        let other = Url::parse("file:///b.yaml").unwrap();
        assert_eq!(docs.change(&other, 1, vec![], PositionEncoding::Utf16), Err(ChangeError::NotOpen));
        docs.open(uri(), 5, "x");
        assert_eq!(
            docs.change(&uri(), 5, vec![edit(0, 0, 0, 0, "y")], PositionEncoding::Utf16),
            Err(ChangeError::Stale { current: 5 })
        );
        assert_eq!(docs.text(&uri()).unwrap(), "x");
    }

    #[test]
    fn closing_frees_the_text_and_the_cached_results() {
        let docs = Documents::default();
        let ticket = docs.open(uri(), 1, "kind: Pod\n---\nkind: Job\n");
        let snapshot = docs.snapshot(&uri(), ticket).unwrap();
        assert_eq!(Arc::strong_count(&snapshot.cache), 2);
        assert!(docs.close(&uri()));
        // Only this snapshot (an analysis still running) holds them now.
        assert_eq!(Arc::strong_count(&snapshot.cache), 1);
        assert!(snapshot.segments.iter().all(|s| Arc::strong_count(&s.segment.text) == 1));
    }

    #[test]
    fn an_edit_recuts_only_the_documents_it_touches() {
        let docs = Documents::default();
        let ticket = docs.open(uri(), 1, "a: 1\n---\nb: 2\n---\nc: 3\n");
        let ids = |docs: &Documents| -> Vec<u64> {
            docs.snapshot(&uri(), ticket).unwrap().segments.iter().map(|s| s.segment.id).collect()
        };
        let before = ids(&docs);
        let enc = PositionEncoding::Utf16;
        // Inside the middle document: only it gets a new identity.
        docs.change(&uri(), 2, vec![edit(2, 3, 2, 4, "20")], enc).unwrap();
        let after = ids(&docs);
        assert_eq!((after[0], after[2]), (before[0], before[2]));
        assert_ne!(after[1], before[1]);
        // A new `---` line splits a document in two; deleting it joins them.
        docs.change(&uri(), 3, vec![edit(0, 4, 0, 4, "\n---\nz: 0")], enc).unwrap();
        let texts = |docs: &Documents| -> Vec<String> {
            docs.snapshot(&uri(), ticket).unwrap().segments.iter().map(|s| s.segment.text.to_string()).collect()
        };
        assert_eq!(texts(&docs), ["a: 1\n", "---\nz: 0\n", "---\nb: 20\n", "---\nc: 3\n"]);
        docs.change(&uri(), 4, vec![edit(1, 0, 1, 1, "")], enc).unwrap();
        assert_eq!(texts(&docs), ["a: 1\n--\nz: 0\n", "---\nb: 20\n", "---\nc: 3\n"]);
        assert_eq!(ids(&docs)[2], after[2], "the last document was never touched");
    }

    #[test]
    fn only_edits_near_a_namespace_concern_the_workspace_index() {
        let docs = Documents::default();
        let text = "kind: Namespace\nmetadata:\n  name: a\n---\nkind: Pod\nmetadata:\n  name: p\n";
        docs.open(uri(), 1, text);
        let enc = PositionEncoding::Utf16;
        docs.change(&uri(), 2, vec![edit(6, 9, 6, 9, "x")], enc).unwrap();
        assert!(!docs.take_namespace_edit(&uri()), "an edit in the Pod");
        docs.change(&uri(), 3, vec![edit(2, 9, 2, 9, "b")], enc).unwrap();
        assert!(docs.take_namespace_edit(&uri()), "an edit in the Namespace");
        assert!(!docs.take_namespace_edit(&uri()), "taken");
        // Typing `kind: Namespace` into the Pod's document, or deleting the
        // Namespace's kind, both concern it.
        docs.change(&uri(), 4, vec![edit(4, 6, 4, 9, "Namespace")], enc).unwrap();
        assert!(docs.take_namespace_edit(&uri()));
        docs.change(&uri(), 5, vec![edit(0, 0, 1, 0, "")], enc).unwrap();
        assert!(docs.take_namespace_edit(&uri()));
    }

    #[test]
    fn a_reopened_document_ignores_the_old_ticket() {
        let docs = Documents::default();
        let old = docs.open(uri(), 1, "x");
        assert!(docs.close(&uri()));
        let new = docs.open(uri(), 1, "y");
        assert!(docs.snapshot(&uri(), old).is_none());
        assert!(!docs.is_current(&uri(), old, 1));
        assert!(docs.is_current(&uri(), new, 1));
    }
}
