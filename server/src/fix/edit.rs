//! Edits of the YAML source that keep its style: the indentation step, how
//! block sequences are indented, flow or block lists, comments, key order
//! and line breaks. Every function answers `None` where it cannot edit
//! safely (aliases, templated values, odd layouts): the action is then not
//! offered.

use super::TextEdit;
use crate::syntax::{comment_start, Entry, Node, Span, Value};

/// A value to write.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum New {
    /// A scalar, written as given.
    Scalar(String),
    Map(Vec<NewEntry>),
    /// A list of scalars.
    List(Vec<String>),
}

/// A key and its value to write; `raw` is an existing entry's own text
/// (first line starting at the key, later lines indented relative to it),
/// moved as it is so its comments and layout travel with it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NewEntry {
    pub key: String,
    pub value: New,
    pub raw: Option<Vec<String>>,
}

impl NewEntry {
    pub fn new(key: &str, value: New) -> Self {
        NewEntry { key: key.to_string(), value, raw: None }
    }
}

/// The layout conventions of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    /// Indentation of a nested mapping relative to its key.
    pub step: usize,
    /// Indentation of a block sequence's `-` relative to its key (0 or more).
    pub seq_offset: usize,
    /// New lists of scalars are written `[a, b]` rather than as `- a` lines.
    pub flow_lists: bool,
    pub crlf: bool,
}

impl Style {
    pub fn eol(&self) -> &'static str {
        if self.crlf {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// The most common conventions of the file's block collections.
    pub fn detect<'a>(text: &str, roots: impl Iterator<Item = &'a Node>) -> Style {
        let mut steps: Vec<usize> = Vec::new();
        let mut offsets: Vec<usize> = Vec::new();
        let (mut flow_lists, mut block_lists) = (0usize, 0usize);
        let mut stack: Vec<&Node> = roots.collect();
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Mapping(entries) => {
                    for entry in entries {
                        stack.push(&entry.value);
                        if is_flow(text, node) || !alone_or_item(text, entry.key.span.start) {
                            continue;
                        }
                        let key_col = column(text, entry.key.span.start);
                        match &entry.value.value {
                            Value::Mapping(children) if !is_flow(text, &entry.value) => {
                                if let Some(first) = children.first() {
                                    let col = column(text, first.key.span.start);
                                    if col > key_col
                                        && line_start(text, first.key.span.start)
                                            != line_start(text, entry.key.span.start)
                                    {
                                        steps.push(col - key_col);
                                    }
                                }
                            }
                            Value::Sequence(items) if !items.is_empty() => {
                                let scalars = items.iter().all(|i| i.as_scalar().is_some());
                                if is_flow(text, &entry.value) {
                                    if scalars {
                                        flow_lists += 1;
                                    }
                                } else {
                                    if scalars {
                                        block_lists += 1;
                                    }
                                    if let Some(dash) = dash_before(text, items[0].span.start) {
                                        offsets.push(column(text, dash).saturating_sub(key_col));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Value::Sequence(items) => stack.extend(items.iter()),
                _ => {}
            }
        }
        let step = most_common(&steps).filter(|s| *s > 0).unwrap_or(2);
        let seq_offset = most_common(&offsets).unwrap_or(step);
        Style { step, seq_offset, flow_lists: flow_lists >= block_lists, crlf: text.contains("\r\n") }
    }
}

fn most_common(values: &[usize]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &v in values {
        let n = values.iter().filter(|&&x| x == v).count();
        if best.is_none_or(|(bn, bv)| n > bn || (n == bn && v < bv)) {
            best = Some((n, v));
        }
    }
    best.map(|(_, v)| v)
}

pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind(['\n', '\r']).map_or(0, |p| p + 1)
}

/// End of the line holding `offset`, before its break.
pub(crate) fn line_end(text: &str, offset: usize) -> usize {
    text[offset..].find(['\n', '\r']).map_or(text.len(), |p| offset + p)
}

/// Start of the line after the one holding `offset` (the text's end on the last line).
pub(crate) fn next_line(text: &str, offset: usize) -> usize {
    let end = line_end(text, offset);
    if text[end..].starts_with("\r\n") {
        end + 2
    } else if end < text.len() {
        end + 1
    } else {
        end
    }
}

/// Column in characters.
pub(crate) fn column(text: &str, offset: usize) -> usize {
    text[line_start(text, offset)..offset].chars().count()
}

pub(crate) fn is_flow(text: &str, node: &Node) -> bool {
    matches!(text.as_bytes().get(node.span.start), Some(b'{' | b'['))
}

/// Only spaces before `offset` on its line.
fn alone(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].bytes().all(|b| b == b' ')
}

/// Only spaces and sequence dashes before `offset` on its line.
fn alone_or_item(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].bytes().all(|b| b == b' ' || b == b'-')
}

/// The `-` of the block sequence item that starts at `offset`.
fn dash_before(text: &str, offset: usize) -> Option<usize> {
    let before = text[line_start(text, offset)..offset].trim_end_matches(' ');
    before.ends_with('-').then(|| line_start(text, offset) + before.len() - 1)
}

/// The lines of `text[from..to]`, without their breaks.
fn lines_of(text: &str, from: usize, to: usize) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut at = from;
    while at < to {
        let end = line_end(text, at).min(to);
        lines.push(&text[at..end]);
        let next = next_line(text, at);
        if next <= at {
            break;
        }
        at = next;
    }
    lines
}

/// Applies non-overlapping edits.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in sorted {
        let start = edit.span.start.max(at);
        out.push_str(&text[at..start]);
        out.push_str(&edit.new_text);
        at = edit.span.end.max(start);
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Sorted, with edits that touch merged into one, so a client applies
/// them in one unambiguous order.
pub(crate) fn normalize(text: &str, mut edits: Vec<TextEdit>) -> Vec<TextEdit> {
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out: Vec<TextEdit> = Vec::with_capacity(edits.len());
    for edit in edits {
        if let Some(last) = out.last_mut() {
            if edit.span.start <= last.span.end {
                if edit.span.start < last.span.end && !edit.span.is_empty() && !last.span.is_empty() {
                    // Overlapping replacements: keep the first (callers avoid this).
                    continue;
                }
                let end = edit.span.end.max(last.span.end);
                let gap = &text[last.span.end.min(edit.span.start)..edit.span.start];
                last.new_text = format!("{}{}{}", last.new_text, gap, edit.new_text);
                last.span = Span::new(last.span.start, end);
                continue;
            }
        }
        out.push(edit);
    }
    out
}

/// Edits on one text in its own style.
#[derive(Clone, Copy)]
pub(crate) struct Editor<'a> {
    pub text: &'a str,
    pub style: Style,
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

impl<'a> Editor<'a> {
    fn insert(at: usize, text: String) -> TextEdit {
        TextEdit { span: Span::new(at, at), new_text: text }
    }

    pub fn replace(span: Span, text: impl Into<String>) -> TextEdit {
        TextEdit { span, new_text: text.into() }
    }

    fn eol(&self) -> &'static str {
        self.style.eol()
    }

    /// A break before text appended at `at`, when the file ends there without one.
    fn break_before(&self, at: usize) -> &'static str {
        if at == self.text.len() && !self.text.is_empty() && !self.text.ends_with(['\n', '\r']) {
            self.eol()
        } else {
            ""
        }
    }

    pub fn flow(&self, value: &New) -> String {
        match value {
            New::Scalar(s) => s.clone(),
            New::List(items) => format!("[{}]", items.join(", ")),
            New::Map(entries) => {
                let inner: Vec<String> = entries.iter().filter_map(|e| self.flow_entry(e)).collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    fn flow_entry(&self, entry: &NewEntry) -> Option<String> {
        match &entry.raw {
            Some(lines) if lines.len() == 1 && comment_start(&lines[0]).is_none() => {
                Some(lines[0].trim_end().to_string())
            }
            Some(_) => None,
            None => Some(format!("{}: {}", entry.key, self.flow(&entry.value))),
        }
    }

    fn flow_ok(&self, value: &New) -> bool {
        match value {
            New::Map(entries) => entries.iter().all(|e| self.flow_entry(e).is_some() && self.flow_ok(&e.value)),
            _ => true,
        }
    }

    /// The lines of an entry in block style at `col`, each with its break.
    fn block_entry(&self, entry: &NewEntry, col: usize) -> String {
        let eol = self.eol();
        let pad = spaces(col);
        if let Some(lines) = &entry.raw {
            return lines
                .iter()
                .map(|l| if l.is_empty() { eol.to_string() } else { format!("{pad}{l}{eol}") })
                .collect();
        }
        let key = &entry.key;
        match &entry.value {
            New::Scalar(s) => format!("{pad}{key}: {s}{eol}"),
            New::Map(children) if children.is_empty() => format!("{pad}{key}: {{}}{eol}"),
            New::Map(children) => {
                format!("{pad}{key}:{eol}{}", self.block_children(children, col + self.style.step))
            }
            New::List(items) if items.is_empty() || self.style.flow_lists => {
                format!("{pad}{key}: {}{eol}", self.flow(&entry.value))
            }
            New::List(items) => format!("{pad}{key}:{eol}{}", self.block_items(items, col + self.style.seq_offset)),
        }
    }

    fn block_children(&self, children: &[NewEntry], col: usize) -> String {
        children.iter().map(|c| self.block_entry(c, col)).collect()
    }

    fn block_items(&self, items: &[String], dash_col: usize) -> String {
        let pad = spaces(dash_col);
        items.iter().map(|i| format!("{pad}- {i}{}", self.eol())).collect()
    }

    /// An existing entry's text, to move elsewhere. `mapping` holds it.
    pub fn raw_entry(&self, mapping: &Node, entry: &Entry) -> Option<NewEntry> {
        let key = entry.key_str()?.to_string();
        let start = entry.key.span.start;
        let end = entry.value.span.end.max(entry.key.span.end);
        let lines = if is_flow(self.text, mapping) {
            let text = &self.text[start..end];
            if text.contains(['\n', '\r']) {
                return None;
            }
            vec![text.to_string()]
        } else {
            if !alone_or_item(self.text, start) {
                return None;
            }
            let col = column(self.text, start);
            let all = lines_of(self.text, start, line_end(self.text, end));
            all.iter()
                .enumerate()
                .map(|(i, line)| {
                    if i == 0 {
                        line.trim_end().to_string()
                    } else {
                        let indent = line.len() - line.trim_start_matches(' ').len();
                        line[indent.min(col)..].trim_end().to_string()
                    }
                })
                .collect()
        };
        Some(NewEntry { key, value: New::Scalar(String::new()), raw: Some(lines) })
    }

    /// Inserts an entry into a (non-null) mapping: in key order when the
    /// mapping's keys are sorted, else after its last entry.
    pub fn insert_entry(&self, mapping: &Node, entry: &NewEntry) -> Option<TextEdit> {
        let entries = mapping.as_mapping()?;
        if is_flow(self.text, mapping) {
            let rendered = self.flow_entry(entry)?;
            if !self.flow_ok(&entry.value) {
                return None;
            }
            return Some(match entries.last() {
                None => Self::replace(mapping.span, format!("{{{rendered}}}")),
                Some(last) => Self::insert(last.value.span.end.max(last.key.span.end), format!(", {rendered}")),
            });
        }
        let first = entries.first()?;
        if !alone_or_item(self.text, first.key.span.start) {
            return None;
        }
        let col = column(self.text, first.key.span.start);
        let block = self.block_entry(entry, col);
        let keys: Vec<&str> = entries.iter().filter_map(Entry::key_str).collect();
        let sorted = keys.len() == entries.len() && keys.len() >= 2 && keys.windows(2).all(|w| w[0] <= w[1]);
        if sorted {
            if let Some(i) = entries.iter().position(|e| e.key_str().is_some_and(|k| k > entry.key.as_str())) {
                let next = &entries[i];
                if i > 0 && alone(self.text, next.key.span.start) {
                    let prev = &entries[i - 1];
                    let floor = next_line(self.text, prev.value.span.end.max(prev.key.span.end));
                    let at = self.comments_above(line_start(self.text, next.key.span.start), floor);
                    return Some(Self::insert(at, block));
                }
            }
        }
        let last = entries.last()?;
        let at = next_line(self.text, last.value.span.end.max(last.key.span.end));
        Some(Self::insert(at, format!("{}{block}", self.break_before(at))))
    }

    /// The start of the comment lines directly above `line`, not above `floor`.
    fn comments_above(&self, line: usize, floor: usize) -> usize {
        let mut at = line;
        while at > floor {
            let prev = line_start(self.text, at.saturating_sub(1).max(floor));
            let content = self.text[prev..at].trim();
            if prev < floor || !content.starts_with('#') {
                break;
            }
            at = prev;
        }
        at
    }

    /// Gives a null value (`key:` or `key: ~`) the entries, list or scalar of `value`.
    pub fn fill_null(&self, entry: &Entry, value: &New) -> Option<TextEdit> {
        let v = &entry.value;
        if !v.is_null() {
            return None;
        }
        let block = v.span.is_empty() && alone_or_item(self.text, entry.key.span.start) && !self.in_flow(entry);
        let inline = |text: String| {
            if v.span.is_empty() {
                Self::insert(v.span.start, format!(" {text}"))
            } else {
                Self::replace(v.span, text)
            }
        };
        match value {
            New::Scalar(s) => Some(inline(s.clone())),
            New::List(items) if !block || self.style.flow_lists || items.is_empty() => Some(inline(self.flow(value))),
            New::Map(entries) if !block || entries.is_empty() => self.flow_ok(value).then(|| inline(self.flow(value))),
            _ => {
                let col = column(self.text, entry.key.span.start);
                let body = match value {
                    New::List(items) => self.block_items(items, col + self.style.seq_offset),
                    New::Map(children) => self.block_children(children, col + self.style.step),
                    New::Scalar(_) => unreachable!(),
                };
                let at = next_line(self.text, v.span.start);
                Some(Self::insert(at, format!("{}{body}", self.break_before(at))))
            }
        }
    }

    /// Whether an entry sits inside a flow collection (judged by its line:
    /// a key after `{` or `,` on the same line).
    fn in_flow(&self, entry: &Entry) -> bool {
        let before = self.text[line_start(self.text, entry.key.span.start)..entry.key.span.start].trim_end();
        before.ends_with(['{', ','])
    }

    /// Writes `entry` into the mapping reached from `mapping` by `path`,
    /// creating the mappings on the way, replacing an existing entry of the
    /// same key (a scalar by its value only, so its comment stays).
    pub fn put(&self, mapping: &Node, path: &[&str], entry: NewEntry) -> Option<TextEdit> {
        match path.split_first() {
            None => {
                let entries = mapping.as_mapping()?;
                match entries.iter().position(|e| e.key_str() == Some(entry.key.as_str())) {
                    Some(i) => self.replace_entry(mapping, i, &entry),
                    None => self.insert_entry(mapping, &entry),
                }
            }
            Some((first, rest)) => match mapping.entry(first) {
                Some(e) if e.value.is_null() => self.fill_null(e, &nest(rest, entry)),
                Some(e) if e.value.as_mapping().is_some() => self.put(&e.value, rest, entry),
                Some(_) => None,
                None => self.insert_entry(mapping, &NewEntry::new(first, nest(rest, entry))),
            },
        }
    }

    /// Sets `path` (the last key included) to a scalar, list or mapping.
    pub fn set(&self, mapping: &Node, path: &[&str], value: New) -> Option<TextEdit> {
        let (last, parents) = path.split_last()?;
        self.put(mapping, parents, NewEntry::new(last, value))
    }

    fn replace_entry(&self, mapping: &Node, index: usize, entry: &NewEntry) -> Option<TextEdit> {
        let old = &mapping.as_mapping()?[index];
        match (&old.value.value, &entry.value, &entry.raw) {
            (_, _, None) if old.value.is_null() => self.fill_null(old, &entry.value),
            (Value::Scalar(_), New::Scalar(s), None) => Some(Self::replace(old.value.span, s.clone())),
            (Value::Sequence(_), New::List(_), None) if is_flow(self.text, &old.value) => {
                Some(Self::replace(old.value.span, self.flow(&entry.value)))
            }
            _ => {
                let end = old.value.span.end.max(old.key.span.end);
                if is_flow(self.text, mapping) {
                    return Some(Self::replace(Span::new(old.key.span.start, end), self.flow_entry(entry)?));
                }
                if !alone(self.text, old.key.span.start) {
                    return None;
                }
                let col = column(self.text, old.key.span.start);
                let span = Span::new(line_start(self.text, old.key.span.start), next_line(self.text, end));
                Some(Self::replace(span, self.block_entry(entry, col)))
            }
        }
    }

    /// Removes entry `index` of `mapping`. `keep_comments` turns comments on
    /// the removed lines into lines of their own.
    pub fn remove_entry(&self, mapping: &Node, index: usize, keep_comments: bool) -> Option<TextEdit> {
        let entries = mapping.as_mapping()?;
        let entry = entries.get(index)?;
        let end = entry.value.span.end.max(entry.key.span.end);
        if is_flow(self.text, mapping) {
            return Some(if entries.len() == 1 {
                Self::replace(mapping.span, "{}")
            } else if index + 1 < entries.len() {
                Self::replace(Span::new(entry.key.span.start, entries[index + 1].key.span.start), "")
            } else {
                let prev = &entries[index - 1];
                Self::replace(Span::new(prev.value.span.end.max(prev.key.span.end), end), "")
            });
        }
        let start = entry.key.span.start;
        if alone(self.text, start) {
            return Some(self.remove_lines(
                line_start(self.text, start),
                next_line(self.text, end),
                keep_comments,
                column(self.text, start),
            ));
        }
        // The first entry of a sequence item (`- name: x`): the next entry
        // moves up behind the dash.
        if index == 0 && entries.len() > 1 && alone_or_item(self.text, start) {
            let next = &entries[1];
            if self.text[line_end(self.text, end)..next.key.span.start].trim().is_empty()
                && comment_start(&self.text[start..line_end(self.text, end)]).is_none()
            {
                return Some(Self::replace(Span::new(start, next.key.span.start), ""));
            }
        }
        None
    }

    /// Removes `levels[0]` (an entry index in its mapping); when that leaves
    /// the mapping empty, removes the entry holding the mapping instead,
    /// `levels[1]`, and so on.
    pub fn remove_pruned(&self, levels: &[(&Node, usize)], keep_comments: bool) -> Option<TextEdit> {
        let mut i = 0;
        while i + 1 < levels.len() && levels[i].0.as_mapping().is_some_and(|m| m.len() == 1) {
            i += 1;
        }
        self.remove_entry(levels[i].0, levels[i].1, keep_comments)
    }

    /// Removes item `index` of a sequence.
    pub fn remove_item(&self, seq: &Node, index: usize, keep_comments: bool) -> Option<TextEdit> {
        let items = seq.as_sequence()?;
        let item = items.get(index)?;
        if is_flow(self.text, seq) {
            return Some(if items.len() == 1 {
                Self::replace(seq.span, "[]")
            } else if index + 1 < items.len() {
                Self::replace(Span::new(item.span.start, items[index + 1].span.start), "")
            } else {
                Self::replace(Span::new(items[index - 1].span.end, item.span.end), "")
            });
        }
        let dash = dash_before(self.text, item.span.start)?;
        if !alone(self.text, dash) {
            return None;
        }
        let span = Span::new(line_start(self.text, dash), next_line(self.text, item.span.end));
        Some(self.remove_lines(span.start, span.end, keep_comments, column(self.text, dash)))
    }

    fn remove_lines(&self, from: usize, to: usize, keep_comments: bool, col: usize) -> TextEdit {
        let mut kept = String::new();
        if keep_comments {
            for line in lines_of(self.text, from, to) {
                if let Some(at) = comment_start(line) {
                    kept.push_str(&format!("{}{}{}", spaces(col), line[at..].trim_end(), self.eol()));
                }
            }
        }
        Self::replace(Span::new(from, to), kept)
    }

    /// Adds a scalar to a list (flow, block or null).
    pub fn add_item(&self, entry: &Entry, item: &str) -> Option<TextEdit> {
        let seq = &entry.value;
        if seq.is_null() {
            return self.fill_null(entry, &New::List(vec![item.to_string()]));
        }
        let items = seq.as_sequence()?;
        if is_flow(self.text, seq) {
            return Some(match items.last() {
                None => Self::replace(seq.span, format!("[{item}]")),
                Some(last) => Self::insert(last.span.end, format!(", {item}")),
            });
        }
        let last = items.last()?;
        let dash = dash_before(self.text, items[0].span.start)?;
        let at = next_line(self.text, last.span.end);
        Some(Self::insert(
            at,
            format!("{}{}- {item}{}", self.break_before(at), spaces(column(self.text, dash)), self.eol()),
        ))
    }
}

fn nest(path: &[&str], entry: NewEntry) -> New {
    match path.split_first() {
        None => New::Map(vec![entry]),
        Some((first, rest)) => New::Map(vec![NewEntry::new(first, nest(rest, entry))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn editor(text: &str) -> (Editor<'_>, Node) {
        let root = parse(text).documents.remove(0).root.unwrap();
        let style = Style::detect(text, std::iter::once(&root));
        (Editor { text, style }, root)
    }

    #[test]
    fn styles_are_detected() {
        let text = "a:\n    b:\n        c: 1\n    l:\n    - x\n";
        let (ed, _) = editor(text);
        assert_eq!(ed.style, Style { step: 4, seq_offset: 0, flow_lists: false, crlf: false });
        let (ed, _) = editor("a:\r\n  l: [x]\r\n  m:\r\n    - y\r\n  n: [z]\r\n");
        assert_eq!(ed.style, Style { step: 2, seq_offset: 2, flow_lists: true, crlf: true });
    }

    #[test]
    fn set_creates_nested_mappings_in_style() {
        let text = "spec:\n    containers:\n    - name: a\n      image: b\n      args:\n      - x\n";
        let (ed, root) = editor(text);
        let container = &root.get_path(&["spec", "containers"]).unwrap().as_sequence().unwrap()[0];
        let edit =
            ed.set(container, &["securityContext", "capabilities", "drop"], New::List(vec!["ALL".into()])).unwrap();
        assert_eq!(
            apply(text, &[edit]),
            "spec:\n    containers:\n    - name: a\n      image: b\n      args:\n      - x\n      securityContext:\n          capabilities:\n              drop:\n              - ALL\n"
        );
    }

    #[test]
    fn sorted_keys_stay_sorted_and_comments_stay_with_their_entry() {
        let text = "sc:\n  b: 1\n  # about d\n  d: 2\n";
        let (ed, root) = editor(text);
        let edit = ed.set(&root, &["sc", "c"], New::Scalar("3".into())).unwrap();
        assert_eq!(apply(text, &[edit]), "sc:\n  b: 1\n  c: 3\n  # about d\n  d: 2\n");
    }

    #[test]
    fn flow_mappings_and_lists() {
        let text = "sc: {a: 1, b: [X]}\n";
        let (ed, root) = editor(text);
        let sc = root.get("sc").unwrap();
        assert_eq!(
            apply(text, &[ed.set(sc, &["c"], New::Scalar("true".into())).unwrap()]),
            "sc: {a: 1, b: [X], c: true}\n"
        );
        assert_eq!(apply(text, &[ed.remove_entry(sc, 0, true).unwrap()]), "sc: {b: [X]}\n");
        assert_eq!(apply(text, &[ed.remove_entry(sc, 1, true).unwrap()]), "sc: {a: 1}\n");
        assert_eq!(apply(text, &[ed.add_item(sc.entry("b").unwrap(), "Y").unwrap()]), "sc: {a: 1, b: [X, Y]}\n");
        let b = sc.get("b").unwrap();
        assert_eq!(apply(text, &[ed.remove_item(b, 0, true).unwrap()]), "sc: {a: 1, b: []}\n");
    }

    #[test]
    fn removing_keeps_comments_and_crlf() {
        let text = "sc:\r\n  a: 1 # one\r\n  b:\r\n  - X # x\r\n  - Y\r\n";
        let (ed, root) = editor(text);
        let sc = root.get("sc").unwrap();
        assert_eq!(
            apply(text, &[ed.remove_entry(sc, 0, true).unwrap()]),
            "sc:\r\n  # one\r\n  b:\r\n  - X # x\r\n  - Y\r\n"
        );
        let b = sc.get("b").unwrap();
        assert_eq!(
            apply(text, &[ed.remove_item(b, 0, true).unwrap()]),
            "sc:\r\n  a: 1 # one\r\n  b:\r\n  # x\r\n  - Y\r\n"
        );
        assert_eq!(
            apply(text, &[ed.add_item(sc.entry("b").unwrap(), "Z").unwrap()]),
            "sc:\r\n  a: 1 # one\r\n  b:\r\n  - X # x\r\n  - Y\r\n  - Z\r\n"
        );
    }

    #[test]
    fn null_values_are_filled() {
        let text = "a:\n  sc: # note\n  b: 1";
        let (ed, root) = editor(text);
        let a = root.get("a").unwrap();
        let edit = ed.set(a, &["sc", "x"], New::Scalar("1".into())).unwrap();
        assert_eq!(apply(text, &[edit]), "a:\n  sc: # note\n    x: 1\n  b: 1");
        let edit = ed.set(a, &["z"], New::Scalar("2".into())).unwrap();
        assert_eq!(apply(text, &[edit]), "a:\n  sc: # note\n  b: 1\n  z: 2\n");
    }

    #[test]
    fn first_entry_of_a_sequence_item() {
        let text = "l:\n- a: 1\n  b: 2\n";
        let (ed, root) = editor(text);
        let item = &root.get("l").unwrap().as_sequence().unwrap()[0];
        assert_eq!(apply(text, &[ed.remove_entry(item, 0, true).unwrap()]), "l:\n- b: 2\n");
    }

    #[test]
    fn moved_entries_keep_their_text() {
        let text = "a:\n  s:\n    - name: x\n      value: \"1\" # c\n  t: 1\nb:\n      k: v\n";
        let (ed, root) = editor(text);
        let a = root.get("a").unwrap();
        let raw = ed.raw_entry(a, a.entry("s").unwrap()).unwrap();
        let b = root.get("b").unwrap();
        let edit = ed.insert_entry(b, &raw).unwrap();
        assert_eq!(apply(text, &[edit]), "a:\n  s:\n    - name: x\n      value: \"1\" # c\n  t: 1\nb:\n      k: v\n      s:\n        - name: x\n          value: \"1\" # c\n");
    }
}
