//! `textDocument/inlayHint`: [`crate::inlay`] hints as LSP inlay hints.

use tower_lsp::lsp_types::{InlayHint, InlayHintLabel, InlayHintTooltip, MarkupContent, MarkupKind, Position, Range};

use super::position::{position, PositionEncoding};
use crate::text::{LineCol, LineIndex};

/// The hints of `text` whose position lies in `range`. CPU-bound: run it
/// off the message loop.
pub fn compute(text: &str, range: Range, encoding: PositionEncoding) -> Vec<InlayHint> {
    let index = LineIndex::new(text);
    let unit = encoding.column_unit();
    let start = index.offset(text, LineCol { line: range.start.line, col: range.start.character }, unit);
    let end = index.offset(text, LineCol { line: range.end.line, col: range.end.character }, unit);
    let (start, end) = (start.min(end), start.max(end));
    crate::inlay::inlay_hints(text)
        .into_iter()
        .filter(|hint| start <= hint.offset && hint.offset <= end)
        .map(|hint| {
            let lines: Vec<String> = hint
                .parts
                .iter()
                .map(|p| {
                    format!(
                        "- `{}` is set on line {} of the pod securityContext",
                        p.field,
                        index.line_of(p.source.start) + 1
                    )
                })
                .collect();
            let tooltip = format!("{}\n\n{}", hint.tooltip(), lines.join("\n"));
            hint_at(position(text, &index, hint.offset, encoding), hint.label(), tooltip)
        })
        .collect()
}

/// An inlay hint as podsec shows them: a label after the text it is about,
/// with a markdown tooltip.
pub fn hint_at(position: Position, label: String, tooltip: String) -> InlayHint {
    InlayHint {
        position,
        label: InlayHintLabel::String(label),
        kind: None,
        text_edits: None,
        tooltip: Some(InlayHintTooltip::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: tooltip })),
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}
