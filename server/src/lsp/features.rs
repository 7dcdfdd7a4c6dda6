//! Hover and completion: LSP shapes around the plain-data answers of `ide`.

use tower_lsp::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, Hover, HoverContents, InsertTextFormat,
    InsertTextMode, MarkupContent, MarkupKind, Position, TextEdit,
};

use super::position::{offset, range, PositionEncoding};
use crate::config::Config;
use crate::ide;
use crate::text::LineIndex;

pub fn hover(text: &str, position: Position, config: &Config, encoding: PositionEncoding) -> Option<Hover> {
    let index = LineIndex::new(text);
    let answer = ide::hover(text, offset(text, &index, position, encoding), config)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: answer.markdown }),
        range: Some(range(text, &index, answer.range, encoding)),
    })
}

pub fn completion(text: &str, position: Position, config: &Config, encoding: PositionEncoding) -> Vec<CompletionItem> {
    let index = LineIndex::new(text);
    ide::complete(text, offset(text, &index, position, encoding), config)
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
                range: range(text, &index, item.replace, encoding),
                new_text: item.insert_text,
            })),
            label: item.label,
            ..CompletionItem::default()
        })
        .collect()
}
