//! Hover and completion: LSP shapes around the plain-data answers of `ide`.

use tower_lsp::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, Hover, HoverContents, InsertTextFormat,
    InsertTextMode, MarkupContent, MarkupKind, Position, Range, TextEdit,
};

use super::documents::PlacedSegment;
use super::position::{offset, range, PositionEncoding};
use crate::config::Config;
use crate::ide;
use crate::syntax::Span;
use crate::text::LineIndex;

/// Positions of one `---` document of a file: LSP positions of the file in
/// and out, byte offsets of the document for the `ide` layer.
struct InDocument<'a> {
    text: &'a str,
    first_line: u32,
    index: LineIndex,
    encoding: PositionEncoding,
}

impl<'a> InDocument<'a> {
    fn new(placed: &'a PlacedSegment, encoding: PositionEncoding) -> Self {
        let text = &*placed.segment.text;
        InDocument { text, first_line: placed.first_line as u32, index: LineIndex::new(text), encoding }
    }

    fn offset(&self, position: Position) -> usize {
        let local = Position::new(position.line.saturating_sub(self.first_line), position.character);
        offset(self.text, &self.index, local, self.encoding)
    }

    fn range(&self, span: Span) -> Range {
        let mut range = range(self.text, &self.index, span, self.encoding);
        range.start.line += self.first_line;
        range.end.line += self.first_line;
        range
    }
}

/// Hover at `position` of a file, answered from its document `placed`
/// (the one holding the position).
pub fn hover(placed: &PlacedSegment, position: Position, config: &Config, encoding: PositionEncoding) -> Option<Hover> {
    let doc = InDocument::new(placed, encoding);
    let answer = ide::hover_in_document(doc.text, placed.first_line, doc.offset(position), config)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: answer.markdown }),
        range: Some(doc.range(answer.range)),
    })
}

/// Completion at `position` of a file, from its document `placed`.
pub fn completion(
    placed: &PlacedSegment,
    position: Position,
    config: &Config,
    encoding: PositionEncoding,
) -> Vec<CompletionItem> {
    let doc = InDocument::new(placed, encoding);
    ide::complete(doc.text, doc.offset(position), config)
        .into_iter()
        .map(|item| CompletionItem {
            kind: Some(match item.kind {
                ide::CompletionKind::Field => CompletionItemKind::PROPERTY,
                ide::CompletionKind::Value => CompletionItemKind::VALUE,
                ide::CompletionKind::Snippet => CompletionItemKind::SNIPPET,
            }),
            detail: Some(item.detail),
            documentation: Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: item.documentation,
            })),
            sort_text: Some(item.sort_text),
            filter_text: Some(item.label.clone()),
            insert_text_format: Some(if item.is_snippet {
                InsertTextFormat::SNIPPET
            } else {
                InsertTextFormat::PLAIN_TEXT
            }),
            // Continuation lines already carry their indentation.
            insert_text_mode: Some(InsertTextMode::AS_IS),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: doc.range(item.replace),
                new_text: item.insert_text,
            })),
            label: item.label,
            ..CompletionItem::default()
        })
        .collect()
}
