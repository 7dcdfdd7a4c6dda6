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

fn is_document_marker(line: &[u8]) -> bool {
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
    fn crlf_and_lone_cr() {
        assert_eq!(pieces("a: 1\r\n---\r\nb: 2"), ["a: 1\r\n", "---\r\nb: 2"]);
        assert_eq!(pieces("a: 1\r---\rb: 2"), ["a: 1\r", "---\rb: 2"]);
    }
}
