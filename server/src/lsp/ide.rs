//! Hover and completion: LSP shapes around the plain-data answers of `ide`.

use tower_lsp::lsp_types::{
    ClientCapabilities, CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, Hover, HoverContents,
    InsertTextFormat, InsertTextMode, MarkupContent, MarkupKind, Position, Range, TextEdit,
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

/// How a client inserts a completion of several lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompletionClient {
    /// It offers `insertTextMode: asIs`: podsec's full indentation is kept.
    /// Without it (Helix), the client indents every new line like the
    /// cursor's line, as `adjustIndentation` says.
    pub inserts_as_is: bool,
    /// It takes snippets. Helix re-indents only snippets, so a plain text
    /// of several lines goes as a snippet to such a client.
    pub snippets: bool,
}

impl CompletionClient {
    pub fn new(capabilities: &ClientCapabilities) -> Self {
        let item = capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref());
        CompletionClient {
            inserts_as_is: item
                .and_then(|i| i.insert_text_mode_support.as_ref())
                .is_some_and(|m| m.value_set.contains(&InsertTextMode::AS_IS)),
            snippets: item.and_then(|i| i.snippet_support).unwrap_or(false),
        }
    }

    /// The text, whether it is a snippet, and the insert text mode to send.
    fn insert(self, item: &ide::CompletionItem, text: &str) -> (String, bool, Option<InsertTextMode>) {
        if self.inserts_as_is {
            return (item.insert_text.clone(), item.is_snippet, Some(InsertTextMode::AS_IS));
        }
        if !item.insert_text.contains('\n') {
            return (item.insert_text.clone(), item.is_snippet, None);
        }
        let relative = item.insert_text_relative_to_line(text);
        let mode = Some(InsertTextMode::ADJUST_INDENTATION);
        if item.is_snippet || !self.snippets {
            (relative, item.is_snippet, mode)
        } else {
            (escape_snippet(&relative), true, mode)
        }
    }
}

/// Plain text as a snippet that inserts exactly that text.
fn escape_snippet(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '\\' | '$' | '}') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Completion at `position` of a file, from its document `placed`.
pub fn completion(
    placed: &PlacedSegment,
    position: Position,
    config: &Config,
    encoding: PositionEncoding,
    client: CompletionClient,
) -> Vec<CompletionItem> {
    let doc = InDocument::new(placed, encoding);
    ide::complete(doc.text, doc.offset(position), config)
        .into_iter()
        .map(|item| {
            let (new_text, is_snippet, insert_text_mode) = client.insert(&item, doc.text);
            CompletionItem {
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
                insert_text_format: Some(if is_snippet {
                    InsertTextFormat::SNIPPET
                } else {
                    InsertTextFormat::PLAIN_TEXT
                }),
                insert_text_mode,
                text_edit: Some(CompletionTextEdit::Edit(TextEdit { range: doc.range(item.replace), new_text })),
                label: item.label,
                ..CompletionItem::default()
            }
        })
        .collect()
}
