//! Where the cursor is, read from the indentation of the lines around it.
//!
//! Half-typed YAML (a key without its colon, an empty `securityContext:`, a
//! broken line further down) stops the parser, but its indentation still
//! says where everything belongs. Block-style YAML only: a flow collection
//! is understood only as a `[a, b, |` list on the cursor's own line.

use crate::syntax::Span;

/// One step of a path from the document root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Item,
}

/// The structure of one line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line<'a> {
    pub start: usize,
    pub end: usize,
    /// Column of the first non-blank character.
    pub indent: usize,
    /// Column of the first `- ` and how many `- ` start the line.
    pub first_dash: Option<usize>,
    pub dashes: usize,
    /// The key and its column.
    pub key: Option<(&'a str, usize)>,
    /// What follows the key's colon, or a list item's scalar, without a
    /// trailing comment.
    pub value: &'a str,
    /// False for blank lines, comments and lines holding only a template
    /// directive: they say nothing about structure.
    pub content: bool,
}

impl<'a> Line<'a> {
    fn parse(text: &'a str, start: usize, end: usize) -> Self {
        let line = &text[start..end];
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        let indent = i;
        let mut first_dash = None;
        let mut dashes = 0;
        while i < bytes.len() && bytes[i] == b'-' && bytes.get(i + 1).is_none_or(|b| matches!(b, b' ' | b'\t')) {
            first_dash.get_or_insert(i);
            dashes += 1;
            i += 1;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
        }
        let rest = &line[i..];
        let content = dashes > 0 || !(rest.is_empty() || rest.starts_with('#') || rest.starts_with("{{"));
        let (key, value) = match split_key(rest) {
            Some((k_start, k_end, after)) => {
                (Some((&rest[k_start..k_end], i + k_start)), strip_comment(&rest[after..]))
            }
            None => (None, strip_comment(rest)),
        };
        Line { start, end, indent, first_dash, dashes, key, value, content }
    }
}

fn strip_comment(s: &str) -> &str {
    let s = s.trim_start();
    if s.starts_with('#') {
        return "";
    }
    match s.find(" #") {
        Some(p) => s[..p].trim_end(),
        None => s.trim_end(),
    }
}

/// `(key start, key end, offset after the colon)` of a `key:` at the start
/// of `rest`; quotes around the key are not part of it.
pub(crate) fn split_key(rest: &str) -> Option<(usize, usize, usize)> {
    let bytes = rest.as_bytes();
    let colon_at = |p: usize| {
        bytes.get(p) == Some(&b':') && bytes.get(p + 1).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    };
    match bytes.first()? {
        quote @ (b'"' | b'\'') => {
            let close = rest[1..].find(*quote as char)? + 1;
            let mut p = close + 1;
            while bytes.get(p) == Some(&b' ') {
                p += 1;
            }
            colon_at(p).then_some((1, close, p + 1))
        }
        b'[' | b'{' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => None,
        _ => {
            for p in 0..bytes.len() {
                if colon_at(p) {
                    return Some((0, rest[..p].trim_end().len(), p + 1));
                }
                if bytes[p] == b'#' && p > 0 && bytes[p - 1] == b' ' {
                    return None;
                }
            }
            None
        }
    }
}

/// Every line of a document, parsed once per request.
pub(crate) struct Outline<'a> {
    pub text: &'a str,
    pub lines: Vec<Line<'a>>,
}

impl<'a> Outline<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut lines = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    lines.push(Line::parse(text, start, i));
                    start = i + 1;
                }
                b'\r' => {
                    lines.push(Line::parse(text, start, i));
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        lines.push(Line::parse(text, start, bytes.len()));
        Outline { text, lines }
    }

    /// The index of the line holding `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.lines.partition_point(|l| l.start <= offset).saturating_sub(1)
    }

    /// The path from the root to the collection at the given column that
    /// the line `before` belongs to, and the keys of that mapping found on
    /// the lines above.
    pub fn ancestors(&self, before: usize, start: Want) -> (Vec<Seg<'a>>, Vec<&'a str>) {
        let mut reversed = Vec::new();
        let mut siblings = Vec::new();
        let mut first_level = true;
        let mut want = start;
        let mut i = before;
        while i > 0 {
            let l = &self.lines[i - 1];
            if !l.content {
                i -= 1;
                continue;
            }
            match want {
                Want::Mapping(c) => {
                    if l.indent > c {
                        i -= 1;
                        continue;
                    }
                    match l.key {
                        Some((key, kc)) if kc == c => {
                            if first_level {
                                siblings.push(key);
                            }
                            if let Some(d) = l.first_dash.filter(|&d| d < c) {
                                // This key starts a list item: the mapping is that item.
                                reversed.extend(std::iter::repeat_n(Seg::Item, l.dashes));
                                first_level = false;
                                want = Want::Sequence(d);
                            }
                            i -= 1;
                        }
                        Some((key, kc)) if kc < c => {
                            // The parent key; read its line again as a member of its own mapping.
                            reversed.push(Seg::Key(key));
                            first_level = false;
                            want = Want::Mapping(kc);
                        }
                        _ => {
                            match l.first_dash {
                                // A bare `-` above: the mapping is its item.
                                Some(d) if d < c && l.key.is_none() && l.value.is_empty() => {
                                    reversed.extend(std::iter::repeat_n(Seg::Item, l.dashes));
                                    first_level = false;
                                    want = Want::Sequence(d);
                                }
                                _ => {}
                            }
                            i -= 1;
                        }
                    }
                }
                Want::Sequence(d) => {
                    if l.indent > d || l.first_dash == Some(d) {
                        i -= 1;
                        continue;
                    }
                    match l.key {
                        Some((key, kc)) if kc <= d && (l.indent < d || l.first_dash.is_none()) => {
                            reversed.push(Seg::Key(key));
                            want = Want::Mapping(kc);
                        }
                        _ => {
                            match l.first_dash {
                                // `- - x`: the sequence is an item of an outer one.
                                Some(d0) if d0 < d && l.key.is_none() => {
                                    reversed.push(Seg::Item);
                                    want = Want::Sequence(d0);
                                }
                                _ => {}
                            }
                            i -= 1;
                        }
                    }
                }
            }
        }
        reversed.reverse();
        (reversed, siblings)
    }

    /// Keys at column `col` on the lines from `from` down to the end of
    /// their mapping.
    pub fn keys_below(&self, from: usize, col: usize) -> Vec<&'a str> {
        let mut keys = Vec::new();
        for l in self.lines.iter().skip(from).filter(|l| l.content) {
            if l.indent < col {
                break;
            }
            if l.indent == col && l.first_dash.is_none() {
                keys.extend(l.key.map(|(k, _)| k));
            }
        }
        keys
    }

    /// The scalar items of the block list whose `- ` sit at column `dash`,
    /// around line `at` (excluded).
    pub fn items_around(&self, at: usize, dash: usize) -> Vec<&'a str> {
        let is_item = |l: &Line| l.first_dash == Some(dash) && l.indent == dash;
        let ends = |l: &Line| l.content && (l.indent < dash || (l.indent == dash && l.first_dash.is_none()));
        let mut items = Vec::new();
        for l in self.lines[..at].iter().rev() {
            if ends(l) {
                break;
            }
            if is_item(l) && l.key.is_none() {
                items.push(l.value);
            }
        }
        for l in self.lines.iter().skip(at + 1) {
            if ends(l) {
                break;
            }
            if is_item(l) && l.key.is_none() {
                items.push(l.value);
            }
        }
        items
    }

    /// The value of a top-level `key:` (`kind`, `apiVersion`).
    pub fn top_level(&self, key: &str) -> Option<&'a str> {
        self.lines
            .iter()
            .find(|l| l.indent == 0 && l.first_dash.is_none() && l.key.is_some_and(|(k, _)| k == key))
            .map(|l| l.value)
    }

    /// The document's indentation step and how far its block lists are
    /// indented under their key (0 for `- ` at the key's column).
    pub fn style(&self) -> Style {
        let mut unit = None;
        let mut list = None;
        let content: Vec<&Line> = self.lines.iter().filter(|l| l.content).collect();
        for pair in content.windows(2) {
            let (parent, child) = (pair[0], pair[1]);
            let Some((_, kc)) = parent.key.filter(|_| parent.value.is_empty()) else { continue };
            match child.first_dash {
                Some(d) if child.indent == d && d >= kc && list.is_none() => list = Some(d - kc),
                None if child.indent > kc && unit.is_none() => unit = Some(child.indent - kc),
                _ => {}
            }
            if unit.is_some() && list.is_some() {
                break;
            }
        }
        let unit = unit.filter(|u| (1..=8).contains(u)).unwrap_or(2);
        Style { unit, list: list.filter(|l| *l <= 8).unwrap_or(unit) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// The mapping whose keys sit at this column.
    Mapping(usize),
    /// The block list whose `- ` sit at this column.
    Sequence(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    pub unit: usize,
    pub list: usize,
}

/// What is being typed at the cursor.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Position<'a> {
    /// A key (or nothing yet) of the mapping at `path`.
    Key {
        path: Vec<Seg<'a>>,
        col: usize,
        existing: Vec<&'a str>,
        replace: Span,
        /// The line already has the key's colon after the word.
        has_colon: bool,
    },
    /// The value of `key` in the mapping at `path`.
    Value { path: Vec<Seg<'a>>, key: &'a str, replace: Span, needs_space: bool },
    /// An item of the list at `path` (the path ends with the list's key).
    /// `col` is where an item's own keys would sit; `item_keys` are the keys
    /// already below it, for a list of mappings.
    Item {
        path: Vec<Seg<'a>>,
        existing: Vec<&'a str>,
        replace: Span,
        needs_space: bool,
        col: usize,
        item_keys: Vec<&'a str>,
    },
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')
}

/// The position at `cursor` of a document, or `None` where nothing can be
/// completed (comments, flow mappings, the middle of other text).
pub(crate) fn position<'a>(outline: &Outline<'a>, cursor: usize) -> Option<Position<'a>> {
    let text = outline.text;
    let li = outline.line_at(cursor);
    let line = outline.lines[li];
    let line_text = &text[line.start..line.end];
    // Between the `\r` and `\n` of a line break is the end of the line.
    let cursor = cursor.clamp(line.start, line.end);
    let col = cursor - line.start;
    let prefix = line_text.get(..col)?;
    let bytes = prefix.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let mut dashes = Vec::new();
    while i < bytes.len() && bytes[i] == b'-' && bytes.get(i + 1).is_none_or(|b| *b == b' ') {
        dashes.push(i);
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
    }
    let body = &prefix[i..];
    if body.starts_with('#') || body.contains(" #") || body.starts_with("{{") || body.contains('\t') {
        return None;
    }
    let word_end = |from: usize| {
        let mut e = from;
        while e < line.end && is_word(text.as_bytes()[e]) {
            e += 1;
        }
        e
    };
    let item_path = |outline: &Outline<'a>| {
        let (mut path, _) = outline.ancestors(li, Want::Sequence(dashes[0]));
        path.extend(std::iter::repeat_n(Seg::Item, dashes.len() - 1));
        path
    };

    if let Some((k_start, k_end, after)) = split_key(body) {
        let key = &body[k_start..k_end];
        let mut path = if dashes.is_empty() {
            outline.ancestors(li, Want::Mapping(i)).0
        } else {
            let mut path = item_path(outline);
            path.push(Seg::Item);
            path
        };
        let value = &body[after..];
        let trimmed = value.trim_start();
        let value_start = line.start + i + after + (value.len() - trimmed.len());
        if let Some(inner) = trimmed.strip_prefix('[') {
            // `key: [A, B, |`: an item of a flow list.
            if inner.contains(']') {
                return None;
            }
            let (done, partial) = inner.rsplit_once(',').unwrap_or(("", inner));
            let partial_start = cursor - partial.trim_start().len();
            let existing = done.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            path.push(Seg::Key(key));
            return Some(Position::Item {
                path,
                existing,
                replace: Span::new(partial_start, word_end(cursor)),
                needs_space: false,
                col: 0,
                item_keys: Vec::new(),
            });
        }
        if trimmed.starts_with('{')
            || trimmed.starts_with('&')
            || trimmed.starts_with('*')
            || trimmed.starts_with('|')
            || trimmed.starts_with('>')
        {
            return None;
        }
        let mut end = cursor;
        while end < line.end && !matches!(text.as_bytes()[end], b' ' | b'\t' | b'#') {
            end += 1;
        }
        return Some(Position::Value {
            path,
            key,
            replace: Span::new(value_start.min(cursor), end),
            needs_space: value.is_empty(),
        });
    }

    if !body.bytes().all(is_word) {
        return None;
    }
    let replace = Span::new(line.start + i, word_end(cursor));
    if dashes.is_empty() {
        // A cursor inside the indentation of a line that has text after it
        // is not typing anything.
        if body.is_empty() && line_text[col..].trim_start().len() != line_text[col..].len() {
            return None;
        }
        let (path, mut existing) = outline.ancestors(li, Want::Mapping(i));
        existing.extend(outline.keys_below(li + 1, i));
        let has_colon = text[replace.end..line.end].trim_start().starts_with(':');
        return Some(Position::Key { path, col: i, existing, replace, has_colon });
    }
    let dash = *dashes.last().unwrap();
    let path = item_path(outline);
    // The items of a `- - x` inner list are not gathered.
    let existing = if dashes.len() == 1 { outline.items_around(li, dash) } else { Vec::new() };
    let item_keys = outline.keys_below(li + 1, i);
    let needs_space = body.is_empty() && prefix.ends_with('-');
    let col = if needs_space { i + 1 } else { i };
    Some(Position::Item { path, existing, replace, needs_space, col, item_keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(fixture: &str) -> (String, Option<String>) {
        let cursor = fixture.find("$0").unwrap();
        let text = fixture.replace("$0", "");
        let outline = Outline::new(&text);
        let pos = position(&outline, cursor).map(|p| format!("{p:?}"));
        (text.clone(), pos)
    }

    fn path_of(fixture: &str) -> String {
        at(fixture).1.unwrap()
    }

    #[test]
    fn keys_in_indented_and_flat_lists() {
        let p = path_of("spec:\n  containers:\n  - name: a\n    securityContext:\n      runAs$0\n      privileged: true\n    image: x\n");
        assert!(p.starts_with("Key { path: [Key(\"spec\"), Key(\"containers\"), Item, Key(\"securityContext\")], col: 6, existing: [\"privileged\"]"), "{p}");
        let p =
            path_of("spec:\n    containers:\n        -   name: a\n            securityContext:\n                $0\n");
        assert!(p.starts_with("Key { path: [Key(\"spec\"), Key(\"containers\"), Item, Key(\"securityContext\")], col: 16, existing: []"), "{p}");
    }

    #[test]
    fn items_values_and_flow_lists() {
        let p = path_of("sc:\n  capabilities:\n    drop:\n    - ALL\n    - $0\n");
        assert!(
            p.starts_with("Item { path: [Key(\"sc\"), Key(\"capabilities\"), Key(\"drop\")], existing: [\"ALL\"]"),
            "{p}"
        );
        let p = path_of("sc:\n  capabilities:\n    add: [CHOWN, NE$0]\n");
        assert!(
            p.starts_with("Item { path: [Key(\"sc\"), Key(\"capabilities\"), Key(\"add\")], existing: [\"CHOWN\"]"),
            "{p}"
        );
        let p = path_of("sc:\n  seccompProfile:\n    type:$0\n");
        assert!(p.contains("key: \"type\"") && p.contains("needs_space: true"), "{p}");
        let p = path_of("a:\n  - name: x\n    value: y\n  - name: $0\n");
        assert!(p.starts_with("Value { path: [Key(\"a\"), Item], key: \"name\""), "{p}");
    }

    #[test]
    fn no_position_in_comments_or_before_text() {
        assert_eq!(at("a:\n  # runAs$0\n").1, None);
        assert_eq!(at("a:\n  $0  b: 1\n").1, None);
        assert_eq!(at("a: {b: $0}\n").1, None);
    }

    #[test]
    fn style_of_a_document() {
        assert_eq!(Outline::new("a:\n    b:\n    - x\n").style(), Style { unit: 4, list: 0 });
        assert_eq!(Outline::new("a:\n  b:\n    - x\n").style(), Style { unit: 2, list: 2 });
        assert_eq!(Outline::new("a: 1\n").style(), Style { unit: 2, list: 2 });
    }
}
