//! Built objects written out as YAML into an [`Expansion`]: each key and
//! scalar a piece pointing at its origin, copied as written where it can
//! be, so that a finding on it lands on the patch or base line.

use super::tree::{KNode, KValue};
use crate::provenance::{Expansion, Via};

fn via(node: &KNode) -> Via {
    if node.patched {
        Via::Patch
    } else {
        Via::Literal
    }
}

/// A scalar as YAML: as written, else plain where that reads back the
/// same, else double-quoted.
fn push_scalar(out: &mut Expansion, node: &KNode) {
    let KValue::Scalar(scalar) = &node.value else { return };
    if let Some(written) = &scalar.written {
        out.push_verbatim(written, node.origin, via(node));
        return;
    }
    let text = if scalar.null {
        "null".to_string()
    } else if is_plain_safe(&scalar.value) {
        scalar.value.clone()
    } else {
        serde_json::Value::String(scalar.value.clone()).to_string()
    };
    out.push_generated(&text, node.origin, via(node));
}

fn is_plain_safe(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !matches!(value, "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~")
        && value.parse::<f64>().is_err()
}

fn indent(out: &mut Expansion, depth: usize) {
    out.push_glue(&" ".repeat(depth));
}

/// Writes the value of a key (after `key:`), ending the line.
fn write_value(out: &mut Expansion, node: &KNode, depth: usize) {
    match &node.value {
        KValue::Scalar(_) => {
            out.push_glue(" ");
            push_scalar(out, node);
            out.push_glue("\n");
        }
        KValue::Mapping(entries) if entries.is_empty() => {
            out.push_glue(" ");
            out.push_generated("{}", node.origin, via(node));
            out.push_glue("\n");
        }
        KValue::Sequence(items) if items.is_empty() => {
            out.push_glue(" ");
            out.push_generated("[]", node.origin, via(node));
            out.push_glue("\n");
        }
        KValue::Mapping(_) => {
            out.push_glue("\n");
            write_entries(out, node, depth + 2, false);
        }
        KValue::Sequence(items) => {
            out.push_glue("\n");
            for item in items {
                write_item(out, item, depth + 2);
            }
        }
    }
}

/// A mapping's entries at `depth`; the first on the current line when it
/// follows a `- `.
fn write_entries(out: &mut Expansion, node: &KNode, depth: usize, first_inline: bool) {
    let Some(entries) = node.entries() else { return };
    for (i, entry) in entries.iter().enumerate() {
        if !(first_inline && i == 0) {
            indent(out, depth);
        }
        push_scalar(out, &entry.key);
        out.push_glue(":");
        write_value(out, &entry.value, depth);
    }
}

fn write_item(out: &mut Expansion, item: &KNode, depth: usize) {
    indent(out, depth);
    out.push_glue("- ");
    match &item.value {
        KValue::Mapping(entries) if !entries.is_empty() => write_entries(out, item, depth + 2, true),
        KValue::Sequence(items) if !items.is_empty() => {
            out.push_glue("\n");
            items.iter().for_each(|i| write_item(out, i, depth + 2));
        }
        KValue::Scalar(_) => {
            push_scalar(out, item);
            out.push_glue("\n");
        }
        KValue::Mapping(_) => {
            out.push_generated("{}", item.origin, via(item));
            out.push_glue("\n");
        }
        KValue::Sequence(_) => {
            out.push_generated("[]", item.origin, via(item));
            out.push_glue("\n");
        }
    }
}

/// Appends `object` as one `---` document.
pub fn write_document(out: &mut Expansion, object: &KNode) {
    out.push_glue("---\n");
    match &object.value {
        KValue::Mapping(_) => write_entries(out, object, 0, false),
        _ => {
            push_scalar(out, object);
            out.push_glue("\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{from_syntax, SpanMap};
    use super::*;
    use crate::provenance::{FileId, Location};
    use crate::syntax::{self, Span};

    #[test]
    fn written_text_reads_back_and_scalars_map_to_their_origin() {
        let text = "kind: Pod\nspec:\n  hostNetwork: true\n  containers:\n    - name: a\n      args: [\"x y\", 2]\n  volumes: []\n";
        let parsed = syntax::parse(text);
        let tree = from_syntax(parsed.documents[0].root.as_ref().unwrap(), text, &SpanMap::identity(FileId(4)), false);
        let mut out = Expansion::new();
        write_document(&mut out, &tree);
        let reread = syntax::parse(&out.text);
        let root = reread.documents[0].root.as_ref().unwrap();
        assert_eq!(root.get_path(&["spec", "hostNetwork"]).and_then(|n| n.as_str()), Some("true"));
        let args = root.get_path(&["spec", "containers"]).unwrap().as_sequence().unwrap()[0].get("args").unwrap();
        assert_eq!(args.as_sequence().unwrap()[0].as_str(), Some("x y"));
        let at = out.text.find("true").unwrap();
        let (location, _) = out.locate(Span::new(at, at + 4)).unwrap();
        assert_eq!(
            location,
            Location::new(FileId(4), Span::new(text.find("true").unwrap(), text.find("true").unwrap() + 4))
        );
    }
}
