//! Open documents: a rope and a version each.
//!
//! Every mutation happens synchronously under one lock, so the order in
//! which handlers call in is the order in which edits apply. The store also
//! tracks whether an analysis of a document is running, so a burst of edits
//! starts one analysis at a time and the newest text is what gets analysed.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use ropey::Rope;
use tower_lsp::lsp_types::{TextDocumentContentChangeEvent, Url};

use super::position::{char_range, PositionEncoding};

struct Document {
    rope: Rope,
    version: i32,
    /// Distinguishes this opening from an earlier one of the same URI, so
    /// work started for a closed document never touches a reopened one.
    open_id: u64,
    /// An analysis task for this document is running.
    analysing: bool,
    /// The running analysis must go round once more at the same version.
    again: bool,
}

/// A copy of a document's text at one version, for analysis.
pub struct Snapshot {
    pub text: String,
    pub version: i32,
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
        state
            .documents
            .insert(uri, Document { rope: Rope::from_str(text), version, open_id, analysing: true, again: false });
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
        let mut state = self.lock();
        let document = state.documents.get_mut(uri).ok_or(ChangeError::NotOpen)?;
        if version <= document.version {
            return Err(ChangeError::Stale { current: document.version });
        }
        for change in changes {
            match change.range {
                Some(range) => {
                    let chars = char_range(&document.rope, range, encoding);
                    document.rope.remove(chars.clone());
                    document.rope.insert(chars.start, &change.text);
                }
                None => document.rope = Rope::from_str(&change.text),
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

    /// The current text of the document this ticket belongs to, or `None`
    /// once it was closed (or reopened).
    pub fn snapshot(&self, uri: &Url, ticket: Ticket) -> Option<Snapshot> {
        let state = self.lock();
        let document = state.documents.get(uri).filter(|d| d.open_id == ticket.open_id)?;
        Some(Snapshot { text: document.rope.to_string(), version: document.version })
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

    /// The current text of an open document and its version.
    pub fn text_and_version(&self, uri: &Url) -> Option<(String, i32)> {
        self.lock().documents.get(uri).map(|d| (d.rope.to_string(), d.version))
    }

    /// Whether `version` is still the newest text of this opening of `uri`.
    pub fn is_current(&self, uri: &Url, ticket: Ticket, version: i32) -> bool {
        let state = self.lock();
        state.documents.get(uri).is_some_and(|d| d.open_id == ticket.open_id && d.version == version)
    }
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
