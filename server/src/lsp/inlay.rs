//! `textDocument/inlayHint`: [`crate::ide::inlay`] hints as LSP inlay hints.

use tower_lsp::lsp_types::{InlayHint, InlayHintLabel, InlayHintTooltip, MarkupContent, MarkupKind, Range};

use super::position::{offset, position, PositionEncoding};
use crate::config::Config;
use crate::ide::inlay::{inlay_hints, verdict_hints, Hint};
use crate::text::LineIndex;

/// The hints of `text` whose position lies in `range`: the inherited values
/// (with `inherited`), and the verdicts (with a `verdicts` configuration).
/// CPU-bound: run it off the message loop.
pub fn compute(
    text: &str,
    range: Range,
    encoding: PositionEncoding,
    inherited: bool,
    verdicts: Option<&Config>,
) -> Vec<InlayHint> {
    let index = LineIndex::new(text);
    let (start, end) = (offset(text, &index, range.start, encoding), offset(text, &index, range.end, encoding));
    let (start, end) = (start.min(end), start.max(end));
    let mut hints: Vec<Hint> = Vec::new();
    if inherited {
        hints.extend(inlay_hints(text).iter().map(|hint| hint.shown(&index)));
    }
    if let Some(config) = verdicts {
        hints.extend(verdict_hints(text, config));
    }
    hints
        .into_iter()
        .filter(|hint| start <= hint.offset && hint.offset <= end)
        .map(|hint| InlayHint {
            position: position(text, &index, hint.offset, encoding),
            label: InlayHintLabel::String(hint.label),
            kind: None,
            text_edits: None,
            tooltip: Some(InlayHintTooltip::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: hint.tooltip,
            })),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}
