//! The server's state: `Backend` (what every handler gets), `Shared` (what
//! the analysis tasks and the publisher share with the handlers).

pub(in crate::lsp) use std::sync::atomic::{AtomicBool, Ordering};
pub(in crate::lsp) use std::sync::{Arc, Mutex, OnceLock};
pub(in crate::lsp) use std::time::Instant;

pub(in crate::lsp) use serde_json::Value;
pub(in crate::lsp) use tokio::sync::mpsc;
pub(in crate::lsp) use tower_lsp::jsonrpc::Result;
pub(in crate::lsp) use tower_lsp::lsp_types::notification::{LogTrace, Notification, PublishDiagnostics};
pub(in crate::lsp) use tower_lsp::lsp_types::{
    CodeActionParams, CodeActionResponse, CompletionParams, CompletionResponse, ConfigurationItem,
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, Hover, HoverParams, InitializeParams, InitializeResult, InitializedParams, InlayHint,
    InlayHintParams, LogTraceParams, MessageType, PublishDiagnosticsParams, ServerInfo, SetTraceParams, TraceValue,
    Url,
};
pub(in crate::lsp) use tower_lsp::lsp_types::{
    CodeLens, CodeLensParams, DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions,
    ExecuteCommandParams, FileSystemWatcher, GlobPattern, Registration,
};
pub(in crate::lsp) use tower_lsp::{Client, LanguageServer};

pub(in crate::lsp) use super::diagnostics::{self, DiagnosticsJson};
pub(in crate::lsp) use super::documents::{ChangeError, Documents, Ticket};
pub(in crate::lsp) use super::ide::{self, CompletionClient};
pub(in crate::lsp) use super::index::{self, IndexEvent};
pub(in crate::lsp) use super::inlay;
pub(in crate::lsp) use super::lens;
pub(in crate::lsp) use super::lock::lock;
pub(in crate::lsp) use super::output::Output;
pub(in crate::lsp) use super::position::PositionEncoding;
pub(in crate::lsp) use super::settings::{self, is_settings_file, SettingsStore};
pub(in crate::lsp) use crate::config::Config;

pub const NAME: &str = "podsec";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub struct Backend {
    pub(in crate::lsp) client: Client,
    pub(in crate::lsp) shared: Arc<Shared>,
}

pub struct Shared {
    pub(in crate::lsp) documents: Documents,
    pub(in crate::lsp) settings_store: Mutex<SettingsStore>,
    /// The client answers `workspace/configuration`.
    pub(in crate::lsp) pulls_configuration: AtomicBool,
    /// The client accepts `workspace/inlayHint/refresh`.
    pub(in crate::lsp) refreshes_inlay_hints: AtomicBool,
    pub(in crate::lsp) encoding: OnceLock<PositionEncoding>,
    pub(in crate::lsp) trace: Mutex<TraceValue>,
    /// Warnings from `initialize`, shown once the client can receive them.
    pub(in crate::lsp) startup_warnings: Mutex<Vec<String>>,
    pub(in crate::lsp) publisher: mpsc::UnboundedSender<Publish>,
    /// `shutdown` was received: `exit` then ends the process with 0.
    pub shutdown_requested: AtomicBool,
    /// The client takes versioned `documentChanges` in workspace edits.
    pub(in crate::lsp) document_changes: AtomicBool,
    /// The workspace index's worker.
    pub(in crate::lsp) index: mpsc::UnboundedSender<IndexEvent>,
    /// The client shows work-done progress, registers file watchers
    /// dynamically, accepts `workspace/codeLens/refresh`.
    pub(in crate::lsp) work_done_progress: AtomicBool,
    pub(in crate::lsp) registers_file_watchers: AtomicBool,
    pub(in crate::lsp) refreshes_code_lenses: AtomicBool,
    /// The client shows the list `podsec.showViolations` returns itself
    /// (experimental capability `podsecViolationList`): no message then.
    pub(in crate::lsp) lists_violations: AtomicBool,
    /// How the client inserts completions of several lines.
    pub(in crate::lsp) completion_client: OnceLock<CompletionClient>,
    /// The workspace's Kustomize overlays, as last built.
    pub(in crate::lsp) overlays: super::overlay_cache::Overlays,
    /// The charts of the open files, as last judged.
    pub(in crate::lsp) charts: super::chart_cache::Charts,
}

pub(in crate::lsp) enum Publish {
    Diagnostics { uri: Url, ticket: Ticket, version: i32, diagnostics: DiagnosticsJson },
    Clear { uri: Url },
}

impl Shared {
    /// The configuration for one document (settings file, then editor settings).
    pub(in crate::lsp) fn config_for(&self, uri: &Url) -> (Config, Vec<String>) {
        let open_text = |path: &std::path::Path| Url::from_file_path(path).ok().and_then(|u| self.documents.text(&u));
        let mut configuration = lock(&self.settings_store);
        let config = configuration.config_for(uri, open_text);
        (config, configuration.take_problems())
    }

    pub(in crate::lsp) fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub(in crate::lsp) fn trace(&self) -> TraceValue {
        *lock(&self.trace)
    }
}
