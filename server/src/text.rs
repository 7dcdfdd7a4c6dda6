//! Line and column arithmetic over a text, in byte offsets.
//!
//! Everything below the lsp/cli layer speaks byte offsets; this module turns
//! them into (line, column) pairs in the unit a front end asks for and back.
//! Line breaks are `\n`, `\r\n` and a lone `\r`, as in LSP (and ropey's
//! `cr_lines`), so the two never disagree about line numbers.

/// The unit a column is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColumnUnit {
    /// UTF-8 code units (bytes).
    Utf8,
    /// UTF-16 code units: the LSP default.
    #[default]
    Utf16,
    /// Unicode scalar values: what `podsec check` prints.
    Char,
}

/// A zero-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    line_starts.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex { line_starts, len: text.len() }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset of the start of `line`, clamped to the end of the text.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte range of `line` without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.line_start(line);
        let mut end = self.line_start(line + 1);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }

    /// Zero-based line that contains `offset` (offsets past the end clamp).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Line and column of a byte offset. An offset inside a multi-byte
    /// character counts as the start of that character.
    pub fn line_col(&self, text: &str, offset: usize, unit: ColumnUnit) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let col = column_width(&text[start..offset], unit);
        LineCol { line: line as u32, col: col as u32 }
    }

    /// Byte offset of a line and column. Lines past the end clamp to the end
    /// of the text, columns past the end of a line clamp to the line's end,
    /// and a column inside a character (half a surrogate pair) rounds down.
    pub fn offset(&self, text: &str, pos: LineCol, unit: ColumnUnit) -> usize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return text.len();
        }
        let range = self.line_range(text, line);
        let mut remaining = pos.col as usize;
        for (i, ch) in text[range.clone()].char_indices() {
            let width = char_width(ch, unit);
            if remaining < width {
                return range.start + i;
            }
            remaining -= width;
        }
        range.end
    }
}

fn char_width(ch: char, unit: ColumnUnit) -> usize {
    match unit {
        ColumnUnit::Utf8 => ch.len_utf8(),
        ColumnUnit::Utf16 => ch.len_utf16(),
        ColumnUnit::Char => 1,
    }
}

/// Width of a string in the given unit.
pub fn column_width(s: &str, unit: ColumnUnit) -> usize {
    match unit {
        ColumnUnit::Utf8 => s.len(),
        ColumnUnit::Utf16 => s.chars().map(char::len_utf16).sum(),
        ColumnUnit::Char => s.chars().count(),
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lone_cr_are_line_breaks() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_col(text, 5, ColumnUnit::Char), LineCol { line: 2, col: 0 });
        assert_eq!(index.line_range(text, 0), 0..1);
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "name: 🚀 web\nx";
        let index = LineIndex::new(text);
        let web = text.find("web").unwrap();
        assert_eq!(index.line_col(text, web, ColumnUnit::Utf16).col, 9);
        assert_eq!(index.line_col(text, web, ColumnUnit::Char).col, 8);
        assert_eq!(index.line_col(text, web, ColumnUnit::Utf8).col, 11);
        assert_eq!(index.offset(text, LineCol { line: 0, col: 9 }, ColumnUnit::Utf16), web);
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, LineCol { line: 0, col: 99 }, ColumnUnit::Utf16), 2);
        assert_eq!(index.offset(text, LineCol { line: 9, col: 0 }, ColumnUnit::Utf16), 6);
        assert_eq!(index.line_col(text, 99, ColumnUnit::Utf16), LineCol { line: 1, col: 2 });
    }

    #[test]
    fn half_a_surrogate_pair_rounds_down() {
        let text = "😀x";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, LineCol { line: 0, col: 1 }, ColumnUnit::Utf16), 0);
        assert_eq!(index.offset(text, LineCol { line: 0, col: 2 }, ColumnUnit::Utf16), 4);
    }
}
