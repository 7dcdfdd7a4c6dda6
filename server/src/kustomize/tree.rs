//! A YAML tree whose every node keeps the place in the input it came from,
//! so that what a patch merges in stays traceable to the patch line.

use crate::provenance::{FileId, Location};
use crate::syntax::{Node, ScalarStyle, Span, Value};

/// A node of a resource being built.
#[derive(Clone, Debug, PartialEq)]
pub struct KNode {
    pub value: KValue,
    pub origin: Location,
    /// Merged in by a patch (else copied from a resource).
    pub patched: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum KValue {
    Scalar(KScalar),
    Mapping(Vec<KEntry>),
    Sequence(Vec<KNode>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct KScalar {
    pub value: String,
    /// The scalar as written (one line, not a block scalar): copied so that
    /// positions inside it map to the input byte for byte.
    pub written: Option<String>,
    pub null: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KEntry {
    pub key: KNode,
    pub value: KNode,
}

impl KNode {
    pub fn scalar(value: &str, origin: Location, patched: bool) -> KNode {
        let scalar = KScalar { value: value.to_string(), written: None, null: false };
        KNode { value: KValue::Scalar(scalar), origin, patched }
    }

    pub fn mapping(origin: Location, patched: bool) -> KNode {
        KNode { value: KValue::Mapping(Vec::new()), origin, patched }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            KValue::Scalar(s) if !s.null => Some(&s.value),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, KValue::Scalar(s) if s.null)
    }

    pub fn entries(&self) -> Option<&[KEntry]> {
        match &self.value {
            KValue::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[KNode]> {
        match &self.value {
            KValue::Sequence(items) => Some(items),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&KNode> {
        self.entries()?.iter().find(|e| e.key.as_str() == Some(key)).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut KNode> {
        match &mut self.value {
            KValue::Mapping(entries) => entries.iter_mut().find(|e| e.key.as_str() == Some(key)).map(|e| &mut e.value),
            _ => None,
        }
    }

    pub fn get_path(&self, path: &[&str]) -> Option<&KNode> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Sets `key` to `value`, in place when the key exists, else appended
    /// with a key that stands for `key_origin`.
    pub fn set(&mut self, key: &str, value: KNode, key_origin: Location) {
        if let Some(existing) = self.get_mut(key) {
            *existing = value;
            return;
        }
        if !matches!(self.value, KValue::Mapping(_)) {
            self.value = KValue::Mapping(Vec::new());
        }
        if let KValue::Mapping(entries) = &mut self.value {
            let patched = value.patched;
            entries.push(KEntry { key: KNode::scalar(key, key_origin, patched), value });
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<KNode> {
        match &mut self.value {
            KValue::Mapping(entries) => {
                let at = entries.iter().position(|e| e.key.as_str() == Some(key))?;
                Some(entries.remove(at).value)
            }
            _ => None,
        }
    }

    /// Every node of the tree, this one first.
    pub fn walk(&self, visit: &mut dyn FnMut(&KNode)) {
        visit(self);
        match &self.value {
            KValue::Mapping(entries) => entries.iter().for_each(|e| {
                e.key.walk(visit);
                e.value.walk(visit);
            }),
            KValue::Sequence(items) => items.iter().for_each(|i| i.walk(visit)),
            KValue::Scalar(_) => {}
        }
    }
}

/// Maps spans of a text to places in an input file: the identity for a
/// file, line by line for the content of a block scalar (an inline patch).
#[derive(Clone, Debug)]
pub struct SpanMap {
    pub file: FileId,
    /// (offset in the text, offset in the file) at each line start, sorted.
    lines: Vec<(usize, usize)>,
}

impl SpanMap {
    pub fn identity(file: FileId) -> Self {
        SpanMap { file, lines: vec![(0, 0)] }
    }

    pub fn location(&self, span: Span) -> Location {
        let at = self.lines.partition_point(|(text, _)| *text <= span.start).saturating_sub(1);
        let (text_start, file_start) = self.lines[at];
        let start = file_start + (span.start - text_start);
        Location::new(self.file, Span::new(start, start + span.len()))
    }

    /// The map of a block scalar's value (`patch: |-` and its lines) to its
    /// lines in `file_text`, or the whole node when it is not one.
    pub fn of_block_scalar(file: FileId, file_text: &str, node: &Node, value: &str) -> Self {
        let whole = SpanMap { file, lines: vec![(0, node.span.start)] };
        let Some(scalar) = node.as_scalar() else { return whole };
        if scalar.style != ScalarStyle::Literal {
            return whole;
        }
        let Some(body) = file_text.get(node.span.start..node.span.end) else { return whole };
        // The span starts at the `|` header or at the first content line.
        let content_start = if body.starts_with('|') {
            match body.find('\n') {
                Some(header_end) => node.span.start + header_end + 1,
                None => return whole,
            }
        } else {
            file_text[..node.span.start].rfind('\n').map_or(0, |at| at + 1)
        };
        // As many file lines as the value has (the node's span may end
        // before the block does).
        let rest = &file_text[content_start.min(file_text.len())..];
        let indent =
            rest.lines().find(|l| !l.trim().is_empty()).map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
        // Each value line is one file line without the block's indentation.
        let mut lines = Vec::new();
        let (mut text_offset, mut file_offset) = (0, content_start);
        for (value_line, file_line) in value.split_inclusive('\n').zip(rest.split_inclusive('\n')) {
            let spaces = file_line.len() - file_line.trim_start_matches(' ').len();
            lines.push((text_offset, file_offset + spaces.min(indent)));
            text_offset += value_line.len();
            file_offset += file_line.len();
        }
        if lines.is_empty() {
            return whole;
        }
        SpanMap { file, lines }
    }
}

/// The positioned tree of `node` (spans into the text `map` maps).
pub fn from_syntax(node: &Node, text: &str, map: &SpanMap, patched: bool) -> KNode {
    let origin = map.location(node.span);
    let value = match &node.value {
        Value::Scalar(scalar) => {
            let written = text
                .get(node.span.start..node.span.end)
                .filter(|w| {
                    !w.is_empty()
                        && !w.contains('\n')
                        && !matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded)
                        && scalar.tag.is_none()
                })
                .map(str::to_string);
            KValue::Scalar(KScalar { value: scalar.value.clone(), written, null: scalar.is_null() })
        }
        Value::Alias => KValue::Scalar(KScalar { value: String::new(), written: None, null: true }),
        Value::Mapping(entries) => KValue::Mapping(
            entries
                .iter()
                .map(|e| KEntry {
                    key: from_syntax(&e.key, text, map, patched),
                    value: from_syntax(&e.value, text, map, patched),
                })
                .collect(),
        ),
        Value::Sequence(items) => KValue::Sequence(items.iter().map(|i| from_syntax(i, text, map, patched)).collect()),
    };
    KNode { value, origin, patched }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax;

    #[test]
    fn an_inline_patch_maps_to_its_lines_in_the_kustomization() {
        let text = "patches:\n  - patch: |-\n      kind: Deployment\n      spec:\n        hostNetwork: true\n";
        let file = syntax::parse(text);
        let root = file.documents[0].root.as_ref().unwrap();
        let node = root.get("patches").unwrap().as_sequence().unwrap()[0].get("patch").unwrap();
        let value = node.as_str().unwrap();
        let map = SpanMap::of_block_scalar(FileId(1), text, node, value);
        let at = value.find("true").unwrap();
        let location = map.location(Span::new(at, at + 4));
        assert_eq!(text.get(location.span.start..location.span.end), Some("true"), "{:?} {map:?}", node.span);
        let at = value.find("spec").unwrap();
        let location = map.location(Span::new(at, at + 4));
        assert_eq!(&text[location.span.start..location.span.end], "spec");
    }
}
