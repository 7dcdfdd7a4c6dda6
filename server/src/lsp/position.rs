//! The one place that converts LSP positions.
//!
//! Everything else works in byte offsets (analysis) or char indices (the
//! ropey store). Out-of-range input is clamped, never a panic: a line past
//! the end of the text means the end of the text, a column past the end of
//! a line means the end of that line (before its break), and a column inside
//! a character (half a surrogate pair) rounds down to the character's start.

use ropey::Rope;
use tower_lsp::lsp_types::{Position, PositionEncodingKind, Range};

use crate::syntax::Span;
use crate::text::{ColumnUnit, LineIndex};

/// The column unit negotiated with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    Utf8,
    /// The LSP default.
    #[default]
    Utf16,
}

impl PositionEncoding {
    /// UTF-8 when the client offers it (no conversion needed on our side),
    /// otherwise the mandatory UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Self {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
            _ => PositionEncoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    pub fn column_unit(self) -> ColumnUnit {
        match self {
            PositionEncoding::Utf8 => ColumnUnit::Utf8,
            PositionEncoding::Utf16 => ColumnUnit::Utf16,
        }
    }

    fn width(self, ch: char) -> usize {
        match self {
            PositionEncoding::Utf8 => ch.len_utf8(),
            PositionEncoding::Utf16 => ch.len_utf16(),
        }
    }
}

/// The char index in `rope` of an LSP position, clamped.
pub fn char_index(rope: &Rope, position: Position, encoding: PositionEncoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let mut index = rope.line_to_char(line);
    let mut remaining = position.character as usize;
    for ch in rope.line(line).chars() {
        // With `cr_lines`, a break character can only end the line.
        if ch == '\n' || ch == '\r' {
            break;
        }
        let width = encoding.width(ch);
        if remaining < width {
            break;
        }
        remaining -= width;
        index += 1;
    }
    index
}

/// The char range in `rope` of an LSP range, clamped; a reversed range is
/// read as the range between its two ends.
pub fn char_range(rope: &Rope, range: Range, encoding: PositionEncoding) -> std::ops::Range<usize> {
    let start = char_index(rope, range.start, encoding);
    let end = char_index(rope, range.end, encoding);
    start.min(end)..start.max(end)
}

/// The byte offset of an LSP position in `text` (clamped into the text).
pub fn offset(text: &str, index: &LineIndex, position: Position, encoding: PositionEncoding) -> usize {
    index.offset(text, crate::text::LineCol { line: position.line, col: position.character }, encoding.column_unit())
}

/// The LSP position of a byte offset in `text`.
pub fn position(text: &str, index: &LineIndex, offset: usize, encoding: PositionEncoding) -> Position {
    let lc = index.line_col(text, offset, encoding.column_unit());
    Position { line: lc.line, character: lc.col }
}

/// The LSP range of a byte span in `text`.
pub fn range(text: &str, index: &LineIndex, span: Span, encoding: PositionEncoding) -> Range {
    Range { start: position(text, index, span.start, encoding), end: position(text, index, span.end, encoding) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_and_crlf_ends_lines() {
        let rope = Rope::from_str("a: 🚀x\r\nb: 日本\r\n");
        let enc = PositionEncoding::Utf16;
        assert_eq!(char_index(&rope, pos(0, 3), enc), 3);
        assert_eq!(char_index(&rope, pos(0, 5), enc), 4);
        // Half a surrogate pair rounds down.
        assert_eq!(char_index(&rope, pos(0, 4), enc), 3);
        // Past the line end: before the CRLF.
        assert_eq!(char_index(&rope, pos(0, 99), enc), 5);
        assert_eq!(char_index(&rope, pos(1, 4), enc), rope.line_to_char(1) + 4);
        // The empty last line and lines past the end.
        assert_eq!(char_index(&rope, pos(2, 0), enc), rope.len_chars());
        assert_eq!(char_index(&rope, pos(9, 9), enc), rope.len_chars());
    }

    #[test]
    fn utf8_columns_are_bytes() {
        let rope = Rope::from_str("é🚀z\n");
        let enc = PositionEncoding::Utf8;
        assert_eq!(char_index(&rope, pos(0, 2), enc), 1);
        assert_eq!(char_index(&rope, pos(0, 4), enc), 1);
        assert_eq!(char_index(&rope, pos(0, 6), enc), 2);
    }

    #[test]
    fn lone_cr_is_a_line_break_as_in_line_index() {
        let text = "a\rb\nc";
        let rope = Rope::from_str(text);
        assert_eq!(rope.len_lines(), LineIndex::new(text).line_count());
        assert_eq!(char_index(&rope, pos(1, 0), PositionEncoding::Utf16), 2);
    }

    #[test]
    fn ranges_from_byte_spans() {
        let text = "x: 🚀 日本\r\ny: [";
        let index = LineIndex::new(text);
        let start = text.find('[').unwrap();
        let span = Span::new(start, start + 1);
        assert_eq!(range(text, &index, span, PositionEncoding::Utf16), Range { start: pos(1, 3), end: pos(1, 4) });
        let span = Span::new(text.find('日').unwrap(), text.find('\r').unwrap());
        assert_eq!(range(text, &index, span, PositionEncoding::Utf16), Range { start: pos(0, 6), end: pos(0, 8) });
        assert_eq!(range(text, &index, span, PositionEncoding::Utf8), Range { start: pos(0, 8), end: pos(0, 14) });
    }

    #[test]
    fn negotiation_prefers_utf8_only_when_offered() {
        let both = [PositionEncodingKind::UTF16, PositionEncodingKind::UTF8];
        assert_eq!(PositionEncoding::negotiate(Some(&both)), PositionEncoding::Utf8);
        assert_eq!(PositionEncoding::negotiate(Some(&[PositionEncodingKind::UTF32])), PositionEncoding::Utf16);
        assert_eq!(PositionEncoding::negotiate(None), PositionEncoding::Utf16);
    }
}
