//! Building the positioned tree from yaml-rust2 events.
//!
//! yaml-rust2 markers carry a 1-based line and a 0-based column counted in
//! characters; `index()` is not a byte offset after non-ASCII text, so it is
//! never used. Start offsets come from (line, column); end offsets are read
//! off the text, since events carry no end.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use std::collections::{HashMap, HashSet};

use super::{
    Document, Entry, Followed, Node, Scalar, ScalarStyle, Span, SyntaxError, Value, MAX_ALIAS_NODES, MAX_DEPTH,
};

/// Parses the document(s) in `span` of `text`. A span holding only comments
/// and blank lines gives no document.
pub(super) fn parse_document(text: &str, span: Span) -> Vec<Document> {
    let chunk = &text[span.start..span.end];
    let mut builder = Builder::new(text, span);
    let mut parser = Parser::new_from_str(chunk);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, marker)) => {
                if let Err(message) = builder.event(event, marker) {
                    let offset = builder.offset(marker);
                    builder.fail(message, offset);
                    break;
                }
            }
            Err(error) => {
                let offset = builder.offset(*error.marker());
                let message = describe_scan_error(error.info());
                match line_without_colon(text, span, offset, &message) {
                    Some(line) => builder.fail_at(MISSING_COLON.to_string(), line),
                    None => builder.fail(message, offset),
                }
                break;
            }
        }
    }
    let mut documents = builder.finish();
    if let Some((offset, ch)) = first_non_printable(chunk) {
        let start = span.start + offset;
        let error = SyntaxError {
            message: format!("control character U+{:04X} is not allowed in YAML", ch as u32),
            span: Span::new(start, start + ch.len_utf8()),
        };
        let at = documents.iter().position(|d| d.span.contains(start)).or(documents.len().checked_sub(1));
        match at {
            Some(i) => documents[i].errors.push(error),
            None => documents.push(Document { span, root: None, errors: vec![error], followed: Vec::new() }),
        }
    }
    documents
}

/// The first character outside YAML's printable set (tab and line breaks
/// allowed): NUL and other control characters that editors hide.
fn first_non_printable(text: &str) -> Option<(usize, char)> {
    // Most manifests are printable ASCII: a byte scan settles them.
    let suspect = text.bytes().position(|b| !matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E))?;
    let start = crate::text::floor_char_boundary(text, suspect);
    text[start..].char_indices().map(|(i, c)| (start + i, c)).find(|&(_, c)| {
        let printable = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}';
        !printable
    })
}

/// The message for a key written without its `:`.
const MISSING_COLON: &str = "expected `key: value`, but this line has no `:`";

/// yaml-rust2 finds out that a line lacks its `:` only at the next token:
/// on the next key's line (as "simple key expect ':'", or as "mapping values
/// are not allowed" when the two lines read as one scalar), or at the end
/// of the input (at the start of the last line, or past it). The line being typed is the one before: its content, when
/// the error is one of these and that line holds no `:`.
fn line_without_colon(text: &str, chunk: Span, offset: usize, message: &str) -> Option<Span> {
    let offset = crate::text::floor_char_boundary(text, offset.min(chunk.end)).max(chunk.start);
    let line_start = text[chunk.start..offset].rfind('\n').map_or(chunk.start, |i| chunk.start + i + 1);
    let before = &text[line_start..offset];
    // The error is on the last line with content (or past it).
    let line_end = text[offset..chunk.end].find('\n').map_or(chunk.end, |i| offset + i);
    let at_end = text[line_end..chunk.end].trim().is_empty();
    let placed_late = match message {
        "simple key expect ':'" | "simple key expected" | "could not find expected ':'" => {
            before.trim().is_empty() || at_end
        }
        "mapping values are not allowed in this context" => !before.contains(':') && !before.trim().is_empty(),
        _ => false,
    };
    if !placed_late {
        return None;
    }
    // At the end of input without a final line break, the last line is the one.
    let mut end = if at_end { line_end + 1 } else { line_start };
    while end > chunk.start {
        let start = text[chunk.start..end - 1].rfind('\n').map_or(chunk.start, |i| chunk.start + i + 1);
        let line = text[start..(end - 1).min(chunk.end)].trim_end_matches(['\r', '\n']);
        let content = line.split(" #").next().unwrap_or_default().trim_end();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            end = start;
            continue;
        }
        if trimmed.ends_with(':') || trimmed.contains(": ") {
            if start <= offset && offset <= start + line.len() {
                // The error's own line is fine: the one before it lacks the `:`.
                end = start;
                continue;
            }
            return None;
        }
        let from = start + (content.len() - trimmed.len());
        return Some(Span::new(from, start + content.len()));
    }
    None
}

fn describe_scan_error(info: &str) -> String {
    let info = info.trim_end_matches('.');
    if info.contains("tab") {
        format!("{info}: YAML indentation must use spaces")
    } else {
        info.to_string()
    }
}

enum Frame {
    Mapping { start: Option<usize>, flow: bool, entries: Vec<Entry>, key: Option<Node>, anchor: usize },
    Sequence { start: usize, flow: bool, items: Vec<Node>, anchor: usize },
}

struct Builder<'a> {
    text: &'a str,
    chunk: Span,
    /// Line starts of the chunk (byte offsets into `text`).
    lines: Vec<usize>,
    /// Last marker converted: (line, column, byte offset), to walk forward
    /// from instead of from the line start (1 MB single-line flow YAML).
    cursor: (usize, usize, usize),
    stack: Vec<Frame>,
    documents: Vec<Document>,
    current: Option<Document>,
    /// The current document's anchored nodes, by yaml-rust2's anchor id.
    anchors: HashMap<usize, Node>,
    /// Nodes copied for aliases or kept for anchors in the current document.
    copied: usize,
    /// The aliases and merges followed in the current document.
    followed: Vec<Followed>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, chunk: Span) -> Self {
        let bytes = text.as_bytes();
        let mut lines = vec![chunk.start];
        let mut i = chunk.start;
        while i < chunk.end {
            match bytes[i] {
                b'\n' => lines.push(i + 1),
                b'\r' => {
                    if i + 1 < chunk.end && bytes[i + 1] == b'\n' {
                        i += 1;
                    }
                    lines.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        Builder {
            text,
            chunk,
            lines,
            cursor: (0, 0, chunk.start),
            stack: Vec::new(),
            documents: Vec::new(),
            current: None,
            anchors: HashMap::new(),
            copied: 0,
            followed: Vec::new(),
        }
    }

    /// Keeps a copy of a node anchored `anchor` (0: none), within the budget.
    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor == 0 {
            return;
        }
        match count_nodes(node, MAX_ALIAS_NODES - self.copied) {
            Some(n) => {
                self.copied += n;
                self.anchors.insert(anchor, node.clone());
            }
            // Too big to keep: its aliases stay aliases.
            None => {
                self.anchors.remove(&anchor);
            }
        }
    }

    /// The node an alias at `span` stands for, when its anchor is known
    /// and the copy fits the budget.
    fn follow(&mut self, anchor: usize, span: Span) -> Option<Node> {
        let anchored = self.anchors.get(&anchor)?;
        let Some(n) = count_nodes(anchored, MAX_ALIAS_NODES - self.copied) else {
            // The budget only shrinks: this anchor will never fit again.
            self.anchors.remove(&anchor);
            return None;
        };
        self.copied += n;
        let copy = relocated(anchored, span);
        let anchor_span = anchored.span;
        self.followed.push(Followed { at: span, anchor: anchor_span });
        Some(copy)
    }

    /// Byte offset of a marker (clamped to the chunk).
    fn offset(&mut self, marker: Marker) -> usize {
        let line = marker.line().saturating_sub(1).min(self.lines.len() - 1);
        let col = marker.col();
        let (mut walked_col, mut offset) = (0, self.lines[line]);
        if self.cursor.0 == line && self.cursor.1 <= col {
            walked_col = self.cursor.1;
            offset = self.cursor.2;
        }
        let line_end = self.lines.get(line + 1).copied().unwrap_or(self.chunk.end);
        let rest = &self.text[offset..line_end];
        for ch in rest.chars() {
            if walked_col >= col || ch == '\n' || ch == '\r' {
                break;
            }
            walked_col += 1;
            offset += ch.len_utf8();
        }
        self.cursor = (line, walked_col, offset);
        offset
    }

    fn event(&mut self, event: Event, marker: Marker) -> Result<(), String> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart => {
                self.end_document();
                let start = self.offset(marker);
                self.current = Some(Document {
                    span: Span::new(start, self.chunk.end),
                    root: None,
                    errors: Vec::new(),
                    followed: Vec::new(),
                });
            }
            Event::DocumentEnd => self.end_document(),
            Event::Alias(anchor) => {
                let start = self.offset(marker);
                let span = Span::new(start, scan_token(self.text, start + 1, self.chunk.end));
                let node = self.follow(anchor, span).unwrap_or(Node { value: Value::Alias, span });
                self.push_node(node);
            }
            Event::Scalar(value, style, anchor, tag) => {
                let start = self.offset(marker);
                let span = if value.is_empty() && style == TScalarStyle::Plain && tag.is_none() {
                    self.empty_scalar_span(start)
                } else {
                    Span::new(start, scalar_end(self.text, start, self.chunk.end, &value, style))
                };
                let style = match style {
                    TScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    TScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    TScalarStyle::Literal => ScalarStyle::Literal,
                    TScalarStyle::Folded => ScalarStyle::Folded,
                    _ => ScalarStyle::Plain,
                };
                let tag = tag
                    .map(|t| format!("{}{}", t.handle, t.suffix))
                    .map(|t| t.strip_prefix("tag:yaml.org,2002:").map_or(t.clone(), |s| format!("!!{s}")));
                let node = Node { value: Value::Scalar(Scalar { value, style, tag }), span };
                self.remember(anchor, &node);
                self.push_node(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth()?;
                let start = self.offset(marker);
                let flow = self.text.as_bytes().get(start) == Some(&b'[');
                self.stack.push(Frame::Sequence { start, flow, items: Vec::new(), anchor });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth()?;
                let start = self.offset(marker);
                let flow = self.text.as_bytes().get(start) == Some(&b'{');
                // A block mapping's marker points at its first key's `:`; its
                // start is taken from that key instead.
                let start = flow.then_some(start);
                self.stack.push(Frame::Mapping { start, flow, entries: Vec::new(), key: None, anchor });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end_marker = self.offset(marker);
                if let Some(frame) = self.stack.pop() {
                    self.close(frame, Some(end_marker));
                }
            }
        }
        Ok(())
    }

    fn check_depth(&self) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            Err(format!("nesting deeper than {MAX_DEPTH} levels; podsec stops reading this document here"))
        } else {
            Ok(())
        }
    }

    /// An empty value (`key:` with nothing after it) sits just after the
    /// key's `:`, or after a sequence's `-`; zero width.
    fn empty_scalar_span(&self, marker_offset: usize) -> Span {
        let after = match self.stack.last() {
            Some(Frame::Mapping { key: Some(key), .. }) => {
                let rest = &self.text[key.span.end..self.chunk.end];
                rest.find(':').filter(|&p| rest[..p].trim().is_empty()).map(|p| key.span.end + p + 1)
            }
            _ => None,
        };
        // Never before what holds it (a tab before a `-` moves the marker).
        let floor = match self.stack.last() {
            Some(Frame::Sequence { start, .. }) => start + 1,
            Some(Frame::Mapping { start: Some(start), .. }) => *start,
            _ => self.chunk.start,
        };
        let at = after.unwrap_or(marker_offset).max(floor).min(self.chunk.end);
        Span::new(at, at)
    }

    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(Frame::Mapping { start, entries, key, .. }) => match key.take() {
                None => {
                    if start.is_none() {
                        *start = Some(node.span.start);
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push(Entry { key: k, value: node }),
            },
            Some(Frame::Sequence { items, .. }) => items.push(node),
            None => {
                let document = self.current.get_or_insert_with(|| Document {
                    span: Span::new(node.span.start, self.chunk.end),
                    root: None,
                    errors: Vec::new(),
                    followed: Vec::new(),
                });
                // An implicit document's start event points at its first
                // block mapping's `:`; the document starts with its root.
                document.span.start = document.span.start.min(node.span.start);
                document.root = Some(node);
            }
        }
    }

    fn end_document(&mut self) {
        self.close_all();
        let followed = std::mem::take(&mut self.followed);
        if let Some(mut document) = self.current.take() {
            document.followed = followed;
            self.documents.push(document);
        }
        // Anchors and the budget are per document.
        self.anchors.clear();
        self.copied = 0;
    }

    fn close_all(&mut self) {
        while let Some(frame) = self.stack.pop() {
            self.close(frame, None);
        }
    }

    /// Finishes a mapping or sequence: merge keys merged, the node kept for
    /// its anchor, and placed in its parent.
    fn close(&mut self, mut frame: Frame, end_marker: Option<usize>) {
        let anchor = match &mut frame {
            Frame::Mapping { entries, anchor, .. } => {
                let merged = merge_keys(std::mem::take(entries));
                *entries = merged.entries;
                self.followed.extend(merged.followed);
                *anchor
            }
            Frame::Sequence { anchor, .. } => *anchor,
        };
        let node = close_frame(frame, end_marker, self.text);
        self.remember(anchor, &node);
        self.push_node(node);
    }

    fn fail(&mut self, message: String, offset: usize) {
        let span = error_span(self.text, offset, self.chunk.end);
        self.fail_at(message, span);
    }

    fn fail_at(&mut self, message: String, span: Span) {
        self.close_all();
        let document = self.current.get_or_insert_with(|| Document {
            span: Span::new(span.start, span.end),
            root: None,
            errors: Vec::new(),
            followed: Vec::new(),
        });
        document.errors.push(SyntaxError { message, span });
    }

    fn finish(mut self) -> Vec<Document> {
        self.end_document();
        // Each document ends where the next one starts, the last one with the chunk.
        let mut end = self.chunk.end;
        for document in self.documents.iter_mut().rev() {
            document.span.end = end.max(document.span.start);
            end = document.span.start;
        }
        self.documents.retain(|d| d.root.is_some() || !d.errors.is_empty());
        self.documents
    }
}

/// The nodes of `node`, or `None` when there are more than `limit`.
fn count_nodes(node: &Node, limit: usize) -> Option<usize> {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        count += 1;
        if count > limit {
            return None;
        }
        match &node.value {
            Value::Mapping(entries) => stack.extend(entries.iter().flat_map(|e| [&e.key, &e.value])),
            Value::Sequence(items) => stack.extend(items),
            Value::Scalar(_) | Value::Alias => {}
        }
    }
    Some(count)
}

/// A copy of `node` whose every span is `span`.
fn relocated(node: &Node, span: Span) -> Node {
    let value = match &node.value {
        Value::Mapping(entries) => Value::Mapping(
            entries.iter().map(|e| Entry { key: relocated(&e.key, span), value: relocated(&e.value, span) }).collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.iter().map(|item| relocated(item, span)).collect()),
        other => other.clone(),
    };
    Node { value, span }
}

struct Merged {
    entries: Vec<Entry>,
    followed: Vec<Followed>,
}

/// YAML merge keys, as Kubernetes' YAML reader applies them: each `<<`
/// whose value is a mapping (or a list of mappings) adds the keys that the
/// mapping does not set itself, the first merged mapping winning.
fn merge_keys(entries: Vec<Entry>) -> Merged {
    let is_merge = |e: &Entry| e.key.as_scalar().is_some_and(|k| k.value == "<<" && k.style == ScalarStyle::Plain);
    if !entries.iter().any(is_merge) {
        return Merged { entries, followed: Vec::new() };
    }
    let mut taken: HashSet<String> =
        entries.iter().filter(|e| !is_merge(e)).filter_map(|e| e.key_str().map(str::to_string)).collect();
    let mut out = Vec::with_capacity(entries.len());
    let mut followed = Vec::new();
    for entry in entries {
        if !is_merge(&entry) {
            out.push(entry);
            continue;
        }
        let sources: Vec<&Node> = match &entry.value.value {
            Value::Mapping(_) => vec![&entry.value],
            Value::Sequence(items) if items.iter().all(|i| i.as_mapping().is_some()) => items.iter().collect(),
            // A merge of an unknown alias, or of a scalar: left as written.
            _ => {
                out.push(entry);
                continue;
            }
        };
        followed.push(Followed { at: entry.value.span, anchor: entry.value.span });
        for source in sources {
            for merged in source.as_mapping().unwrap_or_default() {
                let new = merged.key_str().is_none_or(|k| taken.insert(k.to_string()));
                if new {
                    out.push(merged.clone());
                }
            }
        }
    }
    Merged { entries: out, followed }
}

fn close_frame(frame: Frame, end_marker: Option<usize>, text: &str) -> Node {
    match frame {
        Frame::Mapping { start, flow, mut entries, key, .. } => {
            if let Some(key) = key {
                // A key whose value never came (error or end of input).
                let at = key.span.end;
                entries.push(Entry {
                    key,
                    value: Node {
                        value: Value::Scalar(Scalar { value: String::new(), style: ScalarStyle::Plain, tag: None }),
                        span: Span::new(at, at),
                    },
                });
            }
            let last_end = entries.last().map(|e| e.value.span.end.max(e.key.span.end));
            let start = start.unwrap_or_else(|| end_marker.unwrap_or(0));
            let end = flow_end(text, flow, end_marker, b'}').or(last_end).unwrap_or(start);
            Node { value: Value::Mapping(entries), span: Span::new(start, end) }
        }
        Frame::Sequence { start, flow, items, .. } => {
            let last_end = items.last().map(|n| n.span.end);
            let end = flow_end(text, flow, end_marker, b']').or(last_end).unwrap_or(start + 1);
            Node { value: Value::Sequence(items), span: Span::new(start, end) }
        }
    }
}

fn flow_end(text: &str, flow: bool, end_marker: Option<usize>, close: u8) -> Option<usize> {
    let at = end_marker.filter(|_| flow)?;
    (text.as_bytes().get(at) == Some(&close)).then_some(at + 1)
}

/// A visible span for an error: the character at the offset, or the rest of
/// an empty line's break position.
fn error_span(text: &str, offset: usize, limit: usize) -> Span {
    let offset = crate::text::floor_char_boundary(text, offset.min(limit));
    let next = text[offset..limit].chars().next();
    match next {
        Some(ch) if ch != '\n' && ch != '\r' => Span::new(offset, offset + ch.len_utf8()),
        _ => Span::new(offset, offset),
    }
}

/// End of a token such as an alias name or a tag: up to whitespace or a flow
/// indicator.
fn scan_token(text: &str, from: usize, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = from.min(limit);
    while i < limit && !matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}') {
        i += 1;
    }
    i
}

/// End offset of a scalar that starts at `start` (possibly at its tag or
/// anchor). Never past `limit`, always on a char boundary.
fn scalar_end(text: &str, start: usize, limit: usize, value: &str, style: TScalarStyle) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    // Skip a tag (`!!str`) and an anchor (`&a`) before the scalar itself.
    while i < limit && matches!(bytes[i], b'!' | b'&') {
        i = scan_token(text, i, limit);
        while i < limit && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
    }
    let end = match style {
        TScalarStyle::SingleQuoted => quoted_end(bytes, i, limit, b'\''),
        TScalarStyle::DoubleQuoted => quoted_end(bytes, i, limit, b'"'),
        TScalarStyle::Literal | TScalarStyle::Folded => block_scalar_end(text, i, limit),
        _ => plain_end(text, i, limit, value),
    };
    crate::text::floor_char_boundary(text, end.min(limit)).max(start)
}

fn quoted_end(bytes: &[u8], start: usize, limit: usize, quote: u8) -> usize {
    if bytes.get(start) != Some(&quote) {
        return start;
    }
    let mut i = start + 1;
    while i < limit {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') && i + 1 < limit => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    limit
}

/// A plain scalar's text is its value on one line; over several lines each
/// line break and indentation folds to one space, so the value's words are
/// matched one by one.
fn plain_end(text: &str, start: usize, limit: usize, value: &str) -> usize {
    let rest = &text[start..limit];
    if rest.starts_with(value) {
        return start + value.len();
    }
    let mut cursor = start;
    for word in value.split_whitespace() {
        match text[cursor..limit].find(word) {
            Some(p) => cursor += p + word.len(),
            None => break,
        }
    }
    cursor
}

/// A block scalar (`|`, `>`) starts at its content, where yaml-rust2 marks
/// it, and ends at its last non-blank content line: the lines after the first indented at least as much as the first one.
fn block_scalar_end(text: &str, start: usize, limit: usize) -> usize {
    let header_end = text[start..limit].find(['\n', '\r']).map_or(limit, |p| start + p);
    let mut end = header_end;
    let mut indent: Option<usize> = None;
    let mut pos = header_end;
    while pos < limit {
        // Step over the line break.
        pos += if text[pos..].starts_with("\r\n") { 2 } else { 1 };
        if pos >= limit {
            break;
        }
        let line_end = text[pos..limit].find(['\n', '\r']).map_or(limit, |p| pos + p);
        let line = &text[pos..line_end];
        let content = line.trim_start_matches(' ');
        if !content.trim().is_empty() {
            let this_indent = line.len() - content.len();
            match indent {
                None if this_indent == 0 => break,
                None => indent = Some(this_indent),
                Some(n) if this_indent < n => break,
                Some(_) => {}
            }
            end = pos + line.trim_end().len();
        }
        pos = line_end;
    }
    end
}

#[cfg(test)]
mod tests {
    use crate::syntax::{parse, Node, Value};

    fn slice<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.start..node.span.end]
    }

    #[test]
    fn keys_and_values_have_exact_spans() {
        let text = "spec:\n  securityContext:\n    runAsUser: 1000 # uid\n    seLinuxOptions: {type: \"spc_t\"}\n";
        let file = parse(text);
        let root = file.documents[0].root.as_ref().unwrap();
        let sc = root.get_path(&["spec", "securityContext"]).unwrap();
        assert_eq!(slice(text, sc), "runAsUser: 1000 # uid\n    seLinuxOptions: {type: \"spc_t\"}");
        let entry = sc.entry("runAsUser").unwrap();
        assert_eq!(slice(text, &entry.key), "runAsUser");
        assert_eq!(slice(text, &entry.value), "1000");
        let selinux = sc.get("seLinuxOptions").unwrap();
        assert_eq!(slice(text, selinux), "{type: \"spc_t\"}");
        assert_eq!(slice(text, selinux.get("type").unwrap()), "\"spc_t\"");
    }

    #[test]
    fn non_ascii_before_a_value_keeps_byte_offsets() {
        let text = "metadata:\n  name: \"🚀 café\"\n  x: 'a''b'\nspec: {a: [é, 2]}\n";
        let root = parse(text).documents.remove(0).root.unwrap();
        assert_eq!(slice(text, root.get_path(&["metadata", "name"]).unwrap()), "\"🚀 café\"");
        assert_eq!(slice(text, root.get_path(&["metadata", "x"]).unwrap()), "'a''b'");
        let list = root.get_path(&["spec", "a"]).unwrap();
        assert_eq!(slice(text, list), "[é, 2]");
        assert_eq!(slice(text, &list.as_sequence().unwrap()[1]), "2");
    }

    #[test]
    fn crlf_documents() {
        let text = "a: 1\r\n---\r\nkind: Pod\r\nspec:\r\n  x: yes\r\n";
        let file = parse(text);
        assert_eq!(file.documents.len(), 2);
        let root = file.documents[1].root.as_ref().unwrap();
        assert_eq!(slice(text, root.get_path(&["spec", "x"]).unwrap()), "yes");
    }

    #[test]
    fn a_key_without_colon_is_reported_on_its_own_line_not_the_next() {
        let error_text = |text: &str| {
            let file = parse(text);
            let error = &file.documents.iter().flat_map(|d| &d.errors).next().expect("a syntax error").clone();
            let line = text[..error.span.start].matches('\n').count() + 1;
            (line, text[error.span.start..error.span.end].to_string(), error.message.clone())
        };
        let sc = "kind: Pod\nspec:\n  securityContext:\n    runAsUser: 1000\n";
        // Typed before another key ("simple key expect ':'" on the next key).
        let (line, text, message) = error_text(&format!("{sc}    runAsGroup\n    fsGroup: 2000\n"));
        assert_eq!((line, text.as_str()), (5, "runAsGroup"));
        assert!(message.contains("has no `:`"), "{message}");
        // At the end of the file (yaml-rust2 points past the last line).
        assert_eq!(error_text(&format!("{sc}    runAsGroup   # typing\n\n")).0, 5);
        assert_eq!(error_text(&format!("{sc}    runAsGroup")).1, "runAsGroup");
        // A value without its colon, read with the next line as one scalar
        // ("mapping values are not allowed" at the next line's colon).
        let (line, text, _) = error_text(&format!("{sc}    runAsGroup 3000\n    fsGroup: 2000\n"));
        assert_eq!((line, text.as_str()), (5, "runAsGroup 3000"));
        // Errors that are where yaml-rust2 says stay there.
        let (line, text, message) = error_text(&format!("{sc}    fsGroup: a: b\n"));
        assert_eq!((line, text.as_str()), (5, ":"));
        assert!(message.contains("mapping values"), "{message}");
        assert_eq!(error_text(&format!("{sc}   fsGroup: 2000\n")).0, 5);
    }

    #[test]
    fn syntax_error_keeps_other_documents_and_the_partial_tree() {
        let text = "kind: Pod\nspec:\n  a: 1\n  b: [\n---\nkind: Job\n";
        let file = parse(text);
        assert_eq!(file.documents.len(), 2);
        assert_eq!(file.documents[0].errors.len(), 1);
        let first = file.documents[0].root.as_ref().unwrap();
        assert_eq!(first.get("kind").and_then(Node::as_str), Some("Pod"));
        assert!(file.documents[1].errors.is_empty());
    }

    #[test]
    fn aliases_are_copies_of_their_anchor_placed_at_the_alias() {
        let text = "a: &x [1, 2]\nb: [*x, *x]\nc: *unknown-later\n";
        let file = parse("a: &x [1, 2]\nb: [*x, *x]\n");
        let root = file.documents[0].root.as_ref().unwrap();
        let b = root.get("b").unwrap().as_sequence().unwrap();
        let copy = b[1].as_sequence().unwrap();
        assert_eq!(copy.iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(slice(text, &b[1]), "*x");
        assert_eq!(slice(text, &copy[0]), "*x");
        assert_eq!(file.documents[0].followed.len(), 2);
        // Merge keys: the mapping's own keys win, then the first merged one.
        let text = "base: &b {x: 1, y: 2}\nmore: &m {y: 3, z: 4}\nm:\n  <<: [*b, *m]\n  x: 0\n";
        let root = parse(text).documents.remove(0).root.unwrap();
        let m = root.get("m").unwrap();
        let keys: Vec<_> =
            m.as_mapping().unwrap().iter().map(|e| (e.key_str().unwrap(), e.value.as_str().unwrap())).collect();
        assert_eq!(keys, [("y", "2"), ("z", "4"), ("x", "0")]);
    }

    #[test]
    fn alias_copies_stop_at_the_bound() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let file = parse(&text);
        let root = file.documents[0].root.as_ref().unwrap();
        fn nodes(node: &Node) -> usize {
            1 + match &node.value {
                Value::Mapping(entries) => entries.iter().map(|e| nodes(&e.key) + nodes(&e.value)).sum(),
                Value::Sequence(items) => items.iter().map(nodes).sum(),
                _ => 0,
            }
        }
        assert!(nodes(root) < 3 * crate::syntax::MAX_ALIAS_NODES, "{}", nodes(root));
        let last = root.get("a7").unwrap().as_sequence().unwrap();
        assert!(last.iter().all(|n| matches!(n.value, Value::Alias)), "a7 is past the bound");
    }

    #[test]
    fn block_scalars_and_multi_line_plain() {
        let text = "a: |\n  one\n  two\n\nb: plain\n  folded here\nc: 1\n";
        let root = parse(text).documents.remove(0).root.unwrap();
        assert_eq!(slice(text, root.get("a").unwrap()), "one\n  two");
        assert_eq!(slice(text, root.get("b").unwrap()), "plain\n  folded here");
    }

    #[test]
    fn empty_values_sit_after_the_colon() {
        let text = "securityContext:\nname: x\n";
        let root = parse(text).documents.remove(0).root.unwrap();
        let sc = root.get("securityContext").unwrap();
        assert!(sc.is_null());
        assert_eq!(sc.span.start, "securityContext:".len());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "a:\n".to_string() + &"- ".repeat(10_000) + "x\n";
        let file = parse(&text);
        assert!(!file.documents[0].errors.is_empty());
        let flow = "[".repeat(10_000);
        assert!(!parse(&flow).documents[0].errors.is_empty());
    }
}
