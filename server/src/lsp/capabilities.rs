//! What the server offers (`ServerCapabilities`) and what it remembers of
//! the client's capabilities.

use std::sync::atomic::Ordering;

use serde_json::Value;
use tower_lsp::lsp_types::{
    ClientCapabilities, CodeActionOptions, CodeActionProviderCapability, CodeLensOptions, CompletionOptions,
    ExecuteCommandOptions, HoverProviderCapability, InlayHintServerCapabilities, OneOf, SaveOptions,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use super::ide::CompletionClient;
use super::lens;
use super::position::PositionEncoding;
use super::state::Shared;

/// The server's capabilities, positions in `encoding`.
pub(super) fn server(encoding: PositionEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..TextDocumentSyncOptions::default()
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(crate::lsp::actions::kinds()),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(crate::ide::TRIGGER_CHARACTERS.iter().map(|c| c.to_string()).collect()),
            ..CompletionOptions::default()
        }),
        inlay_hint_provider: Some(OneOf::Right(InlayHintServerCapabilities::Options(Default::default()))),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![lens::SHOW_VIOLATIONS.to_string()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Keeps what the server needs to know of the client's capabilities.
/// Returns whether it answers `workspace/configuration`.
pub(super) fn remember_client(shared: &Shared, capabilities: &ClientCapabilities) -> bool {
    let pulls = capabilities.workspace.as_ref().and_then(|w| w.configuration).unwrap_or(false);
    shared.pulls_configuration.store(pulls, Ordering::SeqCst);
    let document_changes = capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.workspace_edit.as_ref())
        .and_then(|e| e.document_changes)
        .unwrap_or(false);
    shared.document_changes.store(document_changes, Ordering::SeqCst);
    let refreshes = capabilities.workspace.as_ref().and_then(|w| w.inlay_hint.as_ref()).and_then(|h| h.refresh_support);
    shared.refreshes_inlay_hints.store(refreshes.unwrap_or(false), Ordering::SeqCst);
    let _ = shared.completion_client.set(CompletionClient::new(capabilities));
    let workspace = capabilities.workspace.as_ref();
    let progress = capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
    shared.work_done_progress.store(progress, Ordering::SeqCst);
    let watchers = workspace.and_then(|w| w.did_change_watched_files.as_ref()).and_then(|w| w.dynamic_registration);
    shared.registers_file_watchers.store(watchers.unwrap_or(false), Ordering::SeqCst);
    let lens_refresh = workspace.and_then(|w| w.code_lens.as_ref()).and_then(|c| c.refresh_support);
    shared.refreshes_code_lenses.store(lens_refresh.unwrap_or(false), Ordering::SeqCst);
    let lists = capabilities.experimental.as_ref().and_then(|e| e.get("podsecViolationList")).and_then(Value::as_bool);
    shared.lists_violations.store(lists.unwrap_or(false), Ordering::SeqCst);
    pulls
}
