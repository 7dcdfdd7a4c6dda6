//! A positioned YAML tree.
//!
//! [`parse`] never fails: it splits a file into its `---` documents, masks
//! Helm template actions, and parses each document with yaml-rust2's event
//! parser into a tree whose every node knows its byte span in the original
//! text. A syntax error ends its own document's tree (the part before the
//! error is kept) and leaves the other documents untouched.
//!
//! Aliases are followed as Kubernetes reads them: `*name` becomes a copy of
//! the node anchored `&name`, every span of the copy being the alias's own
//! (findings land where the alias is written), and merge keys (`<<: *base`)
//! add the keys the mapping does not set itself. Copies are bounded per
//! document ([`MAX_ALIAS_NODES`]): past the bound an alias stays an
//! [`Value::Alias`], so an alias bomb costs nothing.

mod build;
mod split;
pub(crate) mod template;

pub use split::{document_at, is_document_start, split_documents};
pub use template::{mask_templates, TemplateMask};

/// A byte range in the file text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end: end.max(start) }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    pub fn overlaps(&self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn shifted(self, by: usize) -> Self {
        Span { start: self.start + by, end: self.end + by }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The scalar's value after unescaping and folding.
    pub value: String,
    pub style: ScalarStyle,
    /// An explicit tag such as `!!str`, written as `!!str`.
    pub tag: Option<String>,
}

impl Scalar {
    /// A plain scalar that YAML reads as null: empty, `~` or `null`.
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain
            && self.tag.is_none()
            && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    pub fn is_quoted(&self) -> bool {
        matches!(self.style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Mapping(Vec<Entry>),
    Sequence(Vec<Node>),
    /// `*name` whose anchor is unknown, or past [`MAX_ALIAS_NODES`].
    Alias,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Entry {
    /// The key's text when the key is a scalar.
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }
}

impl Node {
    pub fn as_mapping(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The scalar's value, for any scalar style.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.value.as_str())
    }

    /// A null scalar (also what an empty `key:` holds).
    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// The first entry of a mapping whose key is `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_mapping()?.iter().find(|e| e.key_str() == Some(key))
    }

    /// The value of the first entry whose key is `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follows a dotted path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Short description of the node's YAML type, for messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(s) if s.is_null() => "null",
            Value::Scalar(_) => "scalar",
            Value::Mapping(_) => "mapping",
            Value::Sequence(_) => "list",
            Value::Alias => "alias",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

/// One `---` document of a file.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document's byte range in the file, `---` line included.
    pub span: Span,
    /// The root node, or `None` for a document with no content. After a
    /// syntax error this is the part of the tree read before the error.
    pub root: Option<Node>,
    pub errors: Vec<SyntaxError>,
    /// The aliases and merge keys followed in this document.
    pub followed: Vec<Followed>,
}

/// Text whose nodes in the tree stand for other text: an alias replaced by
/// a copy of its anchored node, or the value of a merge key (`<<`) whose
/// entries were merged into the mapping around it. No edit may touch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Followed {
    /// The alias (`*base`) or the merge key's value.
    pub at: Span,
    /// The anchored node the copy comes from (`at` itself for a merge of
    /// a mapping written in place).
    pub anchor: Span,
}

/// How many nodes the copies of aliases may hold in one document.
pub const MAX_ALIAS_NODES: usize = 10_000;

/// A parsed file: its documents and where Helm template actions were masked.
#[derive(Clone, Debug, Default)]
pub struct ParsedFile {
    pub documents: Vec<Document>,
    pub templates: TemplateMask,
}

impl ParsedFile {
    /// Whether `span` touches text that stands for other text (see
    /// [`Followed`]): an edit there would change what it does not show.
    pub fn touches_followed(&self, span: Span) -> bool {
        let touches = |at: Span| at.start <= span.end && span.start <= at.end;
        self.documents.iter().filter(|d| touches(d.span)).flat_map(|d| &d.followed).any(|f| touches(f.at))
    }
}

/// Byte offset of the `#` that starts a comment on a line, skipping `#`
/// inside quotes and `#` not preceded by whitespace (YAML's rule).
pub fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b':' | b'[' | b'{' | b',' | b'-') => {
                    quote = Some(b)
                }
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return Some(i),
                _ => {}
            },
        }
    }
    None
}

/// A node as one short line of YAML, for hovers and hints: scalars as
/// written (whitespace folded, null as `null`, block scalars quoted),
/// collections in flow style, cut to `max_chars` with `…`. `text` is the
/// text the node's spans index into.
pub fn flow_text(text: &str, node: &Node, max_chars: usize) -> String {
    fn write(text: &str, node: &Node, out: &mut String, depth: usize, budget: usize) {
        if out.len() > budget || depth > 8 {
            return;
        }
        let written = text.get(node.span.start..node.span.end).unwrap_or_default();
        match &node.value {
            Value::Scalar(s) if s.is_null() => out.push_str("null"),
            Value::Scalar(s) if matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded) => {
                out.push_str(&format!("{:?}", s.value))
            }
            Value::Scalar(_) | Value::Alias => out.push_str(&written.split_whitespace().collect::<Vec<_>>().join(" ")),
            Value::Mapping(entries) => {
                out.push('{');
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(text, &entry.key, out, depth + 1, budget);
                    out.push_str(": ");
                    write(text, &entry.value, out, depth + 1, budget);
                }
                out.push('}');
            }
            Value::Sequence(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(text, item, out, depth + 1, budget);
                }
                out.push(']');
            }
        }
    }
    let mut out = String::new();
    // Bytes bound the work; characters bound what is shown.
    write(text, node, &mut out, 0, max_chars * 4);
    if out.chars().count() > max_chars {
        out = out.chars().take(max_chars.saturating_sub(1)).collect();
        out.push('…');
    }
    out
}

/// Deeper nesting than this ends the document with an error: real manifests
/// stay far below it, and every tree walk stays well inside the stack.
pub const MAX_DEPTH: usize = 256;

/// Parses a whole file. Never fails and never panics.
pub fn parse(text: &str) -> ParsedFile {
    let templates = mask_templates(text);
    let source: &str = templates.masked.as_deref().unwrap_or(text);
    let mut documents: Vec<Document> =
        split_documents(source).into_iter().flat_map(|span| build::parse_document(source, span)).collect();
    settle_spans(text, &mut documents);
    ParsedFile { documents, templates }
}

/// Makes every span slice `text` and every node lie in its document, in
/// documents that do not overlap. Spans read off the masked text may end
/// inside a character the mask replaced byte by byte, and a document the
/// parser ends at an error may stop before the last node it reported.
fn settle_spans(text: &str, documents: &mut [Document]) {
    let ceil = |mut at: usize| {
        at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at += 1;
        }
        at
    };
    let snap = |span: Span| Span::new(crate::text::floor_char_boundary(text, span.start), ceil(span.end));
    fn fit(node: &mut Node, within: Span, snap: &dyn Fn(Span) -> Span) {
        let span = snap(node.span);
        let start = span.start.clamp(within.start, within.end);
        node.span = Span::new(start, span.end.clamp(start, within.end));
        match &mut node.value {
            Value::Mapping(entries) => entries.iter_mut().for_each(|e| {
                fit(&mut e.key, within, snap);
                fit(&mut e.value, within, snap);
            }),
            Value::Sequence(items) => items.iter_mut().for_each(|item| fit(item, within, snap)),
            Value::Scalar(_) | Value::Alias => {}
        }
    }
    let mut previous_end = 0;
    for document in documents {
        let content_end = document.root.as_ref().map_or(0, |root| snap(root.span).end);
        let span = snap(document.span);
        let start = span.start.max(previous_end);
        document.span = Span::new(start, span.end.max(content_end).max(start));
        previous_end = document.span.end;
        if let Some(root) = &mut document.root {
            fit(root, document.span, &snap);
        }
        for error in &mut document.errors {
            error.span = snap(error.span);
        }
        for followed in &mut document.followed {
            followed.at = snap(followed.at);
            followed.anchor = snap(followed.anchor);
        }
    }
}
