//! `textDocument/codeAction`: the fix engine's actions as LSP code actions,
//! with their edits as a versioned `WorkspaceEdit`.

use std::collections::HashMap;

use ropey::Rope;
use tower_lsp::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic, DocumentChanges, NumberOrString,
    OneOf, OptionalVersionedTextDocumentIdentifier, Position, TextDocumentEdit, TextEdit, Url, WorkspaceEdit,
};

use super::diagnostics::to_diagnostic;
use super::position::{char_index, range, PositionEncoding};
use crate::analysis::analyze;
use crate::config::Config;
use crate::fix::{self, Action, ActionKind};
use crate::syntax::Span;
use crate::text::LineIndex;

/// Rewrites of a whole document analyse it many times: above this size
/// they are left out, and the quick fixes stay.
const REWRITE_LIMIT: usize = 512 * 1024;

/// The kinds announced in the server capabilities.
pub fn kinds() -> Vec<CodeActionKind> {
    [ActionKind::QuickFix, ActionKind::RefactorMove, ActionKind::RefactorRewrite, ActionKind::SourceFixAll]
        .iter()
        .map(|k| CodeActionKind::from(k.as_str().to_string()))
        .collect()
}

/// One document, as the request sees it.
pub struct Document<'a> {
    pub uri: &'a Url,
    pub version: i32,
    pub text: &'a str,
    pub config: &'a Config,
    pub encoding: PositionEncoding,
    /// The client takes `documentChanges` (versioned edits).
    pub document_changes: bool,
}

/// Whether a requested kind (`only`) covers `kind`: equal, or a prefix at a dot.
fn covers(requested: &CodeActionKind, kind: ActionKind) -> bool {
    let (requested, kind) = (requested.as_str(), kind.as_str());
    kind == requested || kind.strip_prefix(requested).is_some_and(|rest| rest.starts_with('.'))
}

pub fn code_actions(document: &Document, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let text = document.text;
    let index = LineIndex::new(text);
    let rope = Rope::from_str(text);
    let offset = |p: Position| rope.char_to_byte(char_index(&rope, p, document.encoding));
    let (a, b) = (offset(params.range.start), offset(params.range.end));
    let span = Span::new(a.min(b), a.max(b));
    let wants = |kind: ActionKind| match &params.context.only {
        Some(only) => only.iter().any(|k| covers(k, kind)),
        None => true,
    };
    // Rewrites of the whole document are computed when asked for, by kind
    // or by the user opening the menu, not for every automatic request an
    // editor sends as the cursor moves (to decide on a lightbulb).
    let automatic = params.context.only.is_none()
        && params.context.trigger_kind == Some(tower_lsp::lsp_types::CodeActionTriggerKind::AUTOMATIC);
    let small = text.len() <= REWRITE_LIMIT && !automatic;
    let mut actions: Vec<Action> = Vec::new();
    if wants(ActionKind::QuickFix) || wants(ActionKind::RefactorMove) {
        actions.extend(fix::actions(text, document.config, Some(span)).into_iter().filter(|a| wants(a.kind)));
    }
    if wants(ActionKind::RefactorRewrite) && small {
        actions.extend(fix::make_restricted(text, document.config, Some(span)));
    }
    if wants(ActionKind::SourceFixAll) && small {
        actions.extend(fix::fix_all(text, document.config));
    }
    if actions.is_empty() {
        return Vec::new();
    }
    let findings = analyze(text, document.config).findings;
    let diagnostic_for = |code: &str, span: Span| -> Option<Diagnostic> {
        let lsp_range = range(text, &index, span, document.encoding);
        let sent = params
            .context
            .diagnostics
            .iter()
            .find(|d| d.range == lsp_range && matches!(&d.code, Some(NumberOrString::String(c)) if c == code));
        sent.cloned().or_else(|| {
            findings
                .iter()
                .find(|f| f.rule.code == code && f.span == span)
                .map(|f| to_diagnostic(text, &index, f, document.encoding, Some((document.uri, 0))))
        })
    };
    actions
        .into_iter()
        .map(|action| {
            let diagnostics: Vec<Diagnostic> = if action.kind == ActionKind::SourceFixAll {
                Vec::new()
            } else {
                action.fixes.iter().filter_map(|t| diagnostic_for(t.code, t.span)).collect()
            };
            let edits: Vec<TextEdit> = action
                .edits
                .iter()
                .map(|e| TextEdit {
                    range: range(text, &index, e.span, document.encoding),
                    new_text: e.new_text.clone(),
                })
                .collect();
            let edit = if document.document_changes {
                WorkspaceEdit {
                    document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier {
                            uri: document.uri.clone(),
                            version: Some(document.version),
                        },
                        edits: edits.into_iter().map(OneOf::Left).collect(),
                    }])),
                    ..WorkspaceEdit::default()
                }
            } else {
                WorkspaceEdit {
                    changes: Some(HashMap::from([(document.uri.clone(), edits)])),
                    ..WorkspaceEdit::default()
                }
            };
            CodeActionOrCommand::CodeAction(CodeAction {
                title: action.title,
                kind: Some(CodeActionKind::from(action.kind.as_str().to_string())),
                diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
                edit: Some(edit),
                is_preferred: action.is_preferred.then_some(true),
                ..CodeAction::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_kinds_cover_their_sub_kinds() {
        assert!(covers(&CodeActionKind::SOURCE_FIX_ALL, ActionKind::SourceFixAll));
        assert!(covers(&CodeActionKind::SOURCE, ActionKind::SourceFixAll));
        assert!(covers(&CodeActionKind::REFACTOR, ActionKind::RefactorMove));
        assert!(!covers(&CodeActionKind::QUICKFIX, ActionKind::RefactorMove));
        assert!(!covers(&CodeActionKind::from("source.fix".to_string()), ActionKind::SourceFixAll));
    }
}
