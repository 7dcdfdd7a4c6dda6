//! Splitting a YAML stream into its `---` documents before parsing, so a
//! syntax error in one document cannot hide the documents after it.

use super::Span;

/// Byte spans of the documents of `text`. Each span after the first starts
/// at its `---` line; together they cover the whole text.
pub fn split_documents(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    let bytes = text.as_bytes();
    while line_start < bytes.len() {
        if line_start > start && is_document_marker(&bytes[line_start..]) {
            spans.push(Span::new(start, line_start));
            start = line_start;
        }
        line_start = next_line_start(bytes, line_start);
    }
    spans.push(Span::new(start, text.len()));
    spans
}

/// The span of the one document of `text` that holds `offset`: the span
/// [`split_documents`] would give it, found by scanning only that document, so
/// a request at one position of a long stream costs what its document costs.
pub fn document_at(text: &str, offset: usize) -> Span {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let is_line_start =
        |p: usize| p == 0 || bytes[p - 1] == b'\n' || (bytes[p - 1] == b'\r' && bytes.get(p) != Some(&b'\n'));
    // Back to the start of the line holding `offset`, then up line by line.
    let mut line = offset;
    while !is_line_start(line) {
        line -= 1;
    }
    let start = loop {
        if line == 0 || is_document_marker(&bytes[line..]) {
            break line;
        }
        line -= 1;
        while !is_line_start(line) {
            line -= 1;
        }
    };
    let mut end = next_line_start(bytes, offset.max(start));
    while end < bytes.len() && !is_document_marker(&bytes[end..]) {
        end = next_line_start(bytes, end);
    }
    Span::new(start, end.min(bytes.len()))
}

/// Whether `text` opens with a `---` line: the line a document after the
/// first starts with.
pub fn is_document_start(text: &str) -> bool {
    is_document_marker(text.as_bytes())
}

pub(super) fn is_document_marker(line: &[u8]) -> bool {
    line.starts_with(b"---") && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn next_line_start(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => return i + 1,
            b'\r' => return if bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 },
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        split_documents(text).into_iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn splits_at_marker_lines_only() {
        assert_eq!(pieces("a: 1\n---\nb: 2\n--- # c\nc: 3"), ["a: 1\n", "---\nb: 2\n", "--- # c\nc: 3"]);
        assert_eq!(pieces("---\na: 1\n"), ["---\na: 1\n"]);
        assert_eq!(pieces("a: |\n  ---\n----\n"), ["a: |\n  ---\n----\n"]);
    }

    #[test]
    fn document_at_agrees_with_split_documents() {
        for text in [
            "a: 1\n---\nb: 2\n--- # c\nc: 3",
            "---\na: 1\n",
            "a: 1\r\n---\r\nb: 2",
            "a: 1\r---\rb: 2\r",
            "",
            "x",
            "---",
            "a\n---\n",
        ] {
            let spans = split_documents(text);
            for offset in 0..=text.len() {
                let expected = spans.iter().rev().find(|s| s.start <= offset).copied().unwrap();
                assert_eq!(document_at(text, offset), expected, "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn crlf_and_lone_cr() {
        assert_eq!(pieces("a: 1\r\n---\r\nb: 2"), ["a: 1\r\n", "---\r\nb: 2"]);
        assert_eq!(pieces("a: 1\r---\rb: 2"), ["a: 1\r", "---\rb: 2"]);
    }
}
