//! Hover and completion, as plain data in byte offsets.
//!
//! Both take the whole file text, the cursor's byte offset and the
//! configuration, and look only at the `---` document holding the cursor,
//! so a request in a long stream costs what its own document costs. Hover
//! reads the positioned tree; completion reads the indentation of the lines
//! around the cursor, which half-typed YAML still has when the tree does not.

mod completion;
mod context;
mod field_advice;
mod hover;
pub mod inlay;

pub use completion::{complete, CompletionItem, CompletionKind, TRIGGER_CHARACTERS};
pub use hover::{hover, hover_in_document, Hover};

use crate::syntax::{self, Node, Span};

/// The document holding the cursor, cut out of the file: offsets inside it
/// are local; `base` turns them back into file offsets.
pub(crate) struct DocText<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub base: usize,
    /// The cursor, local.
    pub cursor: usize,
    base_line: std::cell::OnceCell<usize>,
}

impl<'a> DocText<'a> {
    pub fn at(file: &'a str, offset: usize) -> Self {
        let offset = crate::text::floor_char_boundary(file, offset.min(file.len()));
        let span = syntax::document_at(file, offset);
        DocText {
            file,
            text: &file[span.start..span.end],
            base: span.start,
            cursor: offset - span.start,
            base_line: std::cell::OnceCell::new(),
        }
    }

    /// `text` is one whole `---` document, cut out of a file where it
    /// starts on line `first_line` (0-based).
    pub fn excerpt(text: &'a str, first_line: usize, offset: usize) -> Self {
        let doc = DocText::at(text, offset);
        let _ = doc.base_line.set(first_line);
        doc
    }

    pub fn to_file(&self, span: Span) -> Span {
        span.shifted(self.base)
    }

    /// The 1-based line number in the file of a local offset.
    pub fn line_number(&self, local: usize) -> usize {
        let base = *self.base_line.get_or_init(|| count_line_breaks(self.file, self.base));
        base + count_line_breaks(self.text, local) + 1
    }
}

/// Line breaks (`\n`, `\r\n`, lone `\r`) before `offset`.
fn count_line_breaks(text: &str, offset: usize) -> usize {
    let bytes = &text.as_bytes()[..offset.min(text.len())];
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    if !bytes.contains(&b'\r') {
        return newlines;
    }
    let all = text.as_bytes();
    newlines + bytes.iter().enumerate().filter(|&(i, &b)| b == b'\r' && all.get(i + 1) != Some(&b'\n')).count()
}

/// A node as a short one-line YAML text, for hover tables.
pub(crate) fn compact(doc: &DocText, node: &Node) -> String {
    syntax::flow_text(doc.text, node, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_count_every_kind_of_line_break() {
        let file = "a: 1\r\nb: 2\rc: 3\n---\nd: 4\ne: 5\n";
        let doc = DocText::at(file, file.find("e:").unwrap());
        assert_eq!(doc.text, "---\nd: 4\ne: 5\n");
        assert_eq!(doc.line_number(doc.text.find("e:").unwrap()), 6);
        assert_eq!(doc.line_number(0), 4);
    }

    #[test]
    fn compact_values() {
        let text = "a: {type: RuntimeDefault}\nb:\n  - ALL\n  - \"X\"\nc:\n";
        let doc = DocText::at(text, 0);
        let root = syntax::parse(text).documents.remove(0).root.unwrap();
        assert_eq!(compact(&doc, root.get("a").unwrap()), "{type: RuntimeDefault}");
        assert_eq!(compact(&doc, root.get("b").unwrap()), "[ALL, \"X\"]");
        assert_eq!(compact(&doc, root.get("c").unwrap()), "null");
    }
}
