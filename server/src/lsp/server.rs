//! The `LanguageServer` implementation: one short handler per method.
//!
//! Handlers never analyse: they update the document store synchronously
//! and hand the work to an analysis task per document, whose results go
//! through a single publisher task that drops anything superseded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::mpsc;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::notification::LogTrace;
use tower_lsp::lsp_types::{
    CodeActionOptions, CodeActionParams, CodeActionProviderCapability, CodeActionResponse, CompletionOptions,
    CompletionParams, CompletionResponse, ConfigurationItem, Diagnostic, DidChangeConfigurationParams,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    Hover, HoverParams, HoverProviderCapability, InitializeParams, InitializeResult, InitializedParams, InlayHint,
    InlayHintParams, InlayHintServerCapabilities, LogTraceParams, MessageType, OneOf, SaveOptions, ServerCapabilities,
    ServerInfo, SetTraceParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TraceValue, Url,
};
use tower_lsp::{Client, LanguageServer};

use super::diagnostics;
use super::documents::{ChangeError, Documents, Ticket};
use super::features;
use super::inlay;
use super::position::PositionEncoding;
use super::settings::{self, is_settings_file, Configuration};
use crate::config::Config;

pub const NAME: &str = "podsec";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub struct Backend {
    client: Client,
    shared: Arc<Shared>,
}

pub struct Shared {
    documents: Documents,
    configuration: Mutex<Configuration>,
    /// The client answers `workspace/configuration`.
    pulls_configuration: AtomicBool,
    /// The client accepts `workspace/inlayHint/refresh`.
    refreshes_inlay_hints: AtomicBool,
    encoding: OnceLock<PositionEncoding>,
    trace: Mutex<TraceValue>,
    /// Warnings from `initialize`, shown once the client can receive them.
    startup_warnings: Mutex<Vec<String>>,
    publisher: mpsc::UnboundedSender<Publish>,
    /// `shutdown` was received: `exit` then ends the process with 0.
    pub shutdown_requested: AtomicBool,
    /// The client takes versioned `documentChanges` in workspace edits.
    document_changes: AtomicBool,
}

enum Publish {
    Diagnostics { uri: Url, ticket: Ticket, version: i32, diagnostics: Vec<Diagnostic> },
    Clear { uri: Url },
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// The configuration for one document (settings file, then editor settings).
    fn config_for(&self, uri: &Url) -> (Config, Vec<String>) {
        let open_text = |path: &std::path::Path| Url::from_file_path(path).ok().and_then(|u| self.documents.text(&u));
        let mut configuration = lock(&self.configuration);
        let config = configuration.config_for(uri, open_text);
        (config, configuration.take_problems())
    }

    fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    fn trace(&self) -> TraceValue {
        *lock(&self.trace)
    }
}

impl Backend {
    /// Must be called inside the runtime: it starts the publisher task.
    pub fn new(client: Client) -> Self {
        let (publisher, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            documents: Documents::default(),
            configuration: Mutex::new(Configuration::default()),
            pulls_configuration: AtomicBool::new(false),
            refreshes_inlay_hints: AtomicBool::new(false),
            encoding: OnceLock::new(),
            trace: Mutex::new(TraceValue::Off),
            startup_warnings: Mutex::new(Vec::new()),
            publisher,
            shutdown_requested: AtomicBool::new(false),
            document_changes: AtomicBool::new(false),
        });
        tokio::spawn(publish(client.clone(), shared.clone(), queue));
        Backend { client, shared }
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// `$/setTrace`, which tower-lsp 0.20 does not route by itself.
    pub async fn set_trace(&self, params: SetTraceParams) {
        tracing::debug!(value = ?params.value, "$/setTrace");
        *lock(&self.shared.trace) = params.value;
    }

    /// Analyses every open document again (configuration changed).
    fn analyse_all(&self) {
        for uri in self.shared.documents.uris() {
            if let Some(ticket) = self.shared.documents.touch(&uri) {
                self.analyse(uri, ticket);
            }
        }
    }

    /// A settings file was opened, edited or saved: what it says may apply
    /// to every other open document.
    fn settings_file_changed(&self, uri: &Url) {
        if is_settings_file(uri) {
            lock(&self.shared.configuration).forget_files();
            self.analyse_all();
        }
    }

    /// Asks the client for the `podsec` section of its settings.
    async fn pull_configuration(&self) -> Option<Value> {
        let item = ConfigurationItem { scope_uri: None, section: Some(NAME.to_string()) };
        match self.client.configuration(vec![item]).await {
            Ok(mut values) if !values.is_empty() => Some(values.swap_remove(0)),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!("workspace/configuration failed: {error}");
                None
            }
        }
    }

    /// Replaces the editor settings and re-analyses every open document.
    async fn apply_editor_settings(&self, value: Option<&Value>, origin: &str) {
        let (settings, mut warnings) = settings::settings_from_json(value, origin);
        let (inlay_hints, warning) = settings::inlay_hints_from_json(value, origin);
        warnings.extend(warning);
        for warning in warnings {
            tracing::warn!("{warning}");
            self.client.log_message(MessageType::WARNING, warning).await;
        }
        let hints_changed = {
            let mut configuration = lock(&self.shared.configuration);
            configuration.editor = settings;
            let before = configuration.inlay_hints_enabled();
            configuration.inlay_hints = inlay_hints;
            before != configuration.inlay_hints_enabled()
        };
        self.analyse_all();
        if hints_changed && self.shared.refreshes_inlay_hints.load(Ordering::SeqCst) {
            // Not awaited here: one handler runs at a time, and the answer
            // must not hold up the messages behind this one.
            let client = self.client.clone();
            tokio::spawn(async move {
                if let Err(error) = client.inlay_hint_refresh().await {
                    tracing::warn!("workspace/inlayHint/refresh failed: {error}");
                }
            });
        }
    }

    /// Starts the analysis task of a document. The task re-reads the text
    /// until the version it analysed is still the newest, so a burst of
    /// edits costs one analysis at a time.
    fn analyse(&self, uri: Url, ticket: Ticket) {
        let shared = self.shared.clone();
        let client = self.client.clone();
        tokio::spawn(async move {
            loop {
                let Some(snapshot) = shared.documents.snapshot(&uri, ticket) else { return };
                let version = snapshot.version;
                let settings_file = is_settings_file(&uri);
                let (config, problems) =
                    if settings_file { (Config::default(), Vec::new()) } else { shared.config_for(&uri) };
                for problem in problems {
                    tracing::warn!("{problem}");
                    client.log_message(MessageType::WARNING, problem).await;
                }
                let summary = format!("profile {}, Kubernetes {}", config.profile, config.kubernetes_version);
                let encoding = shared.encoding();
                let started = Instant::now();
                let text = snapshot.text;
                let length = text.len();
                let result = tokio::task::spawn_blocking(move || {
                    if settings_file {
                        diagnostics::compute_settings(&text, encoding)
                    } else {
                        diagnostics::compute(&text, &config, encoding)
                    }
                })
                .await;
                match result {
                    Ok(diagnostics) => {
                        let elapsed = started.elapsed();
                        tracing::debug!(%uri, version, count = diagnostics.len(), ?elapsed, "analysed");
                        let trace = shared.trace();
                        if trace != TraceValue::Off {
                            let message = format!(
                                "analysed {uri} version {version}: {} diagnostics in {} ms",
                                diagnostics.len(),
                                elapsed.as_millis()
                            );
                            let verbose = (trace == TraceValue::Verbose)
                                .then(|| format!("{length} bytes, {summary}, {encoding:?}"));
                            client.send_notification::<LogTrace>(LogTraceParams { message, verbose }).await;
                        }
                        let _ = shared.publisher.send(Publish::Diagnostics {
                            uri: uri.clone(),
                            ticket,
                            version,
                            diagnostics,
                        });
                    }
                    Err(error) => {
                        tracing::error!(%uri, version, "analysis failed: {error}");
                        client
                            .log_message(
                                MessageType::ERROR,
                                format!("podsec: internal error analysing {uri} (version {version}): {error}"),
                            )
                            .await;
                    }
                }
                if !shared.documents.analysed(&uri, ticket, version) {
                    return;
                }
            }
        });
    }
}

/// Runs a request's work so that a bug in it becomes an error response and
/// a log line, not a dead server.
fn guarded<T>(method: &str, uri: &Url, work: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .map_err(|panic| internal_error(method, uri, super::transport::panic_message(panic.as_ref())))
}

/// Runs a request's work on a blocking thread (it may take a while on a
/// large file); a panic there is an error response and a log line, as in
/// [`guarded`].
async fn on_blocking_thread<T: Send + 'static>(
    method: &str,
    uri: &Url,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|error| internal_error(method, uri, &error.to_string()))
}

/// The error response for a bug met while answering `method`, logged.
fn internal_error(method: &str, uri: &Url, detail: &str) -> tower_lsp::jsonrpc::Error {
    tracing::error!(%uri, "internal error in {method}: {detail}");
    tower_lsp::jsonrpc::Error {
        code: tower_lsp::jsonrpc::ErrorCode::InternalError,
        message: format!("podsec: internal error in {method} on {uri}").into(),
        data: None,
    }
}

/// The only sender of `publishDiagnostics`. Being one task, it sends in the
/// order it decides, and it checks each result against the store when it
/// sends: a result for a superseded version or a closed document is
/// dropped, and a close (queued after the store forgot the document) always
/// comes after any result published for that document.
async fn publish(client: Client, shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Publish>) {
    while let Some(item) = queue.recv().await {
        match item {
            Publish::Diagnostics { uri, ticket, version, diagnostics } => {
                if shared.documents.is_current(&uri, ticket, version) {
                    client.publish_diagnostics(uri, diagnostics, Some(version)).await;
                } else {
                    tracing::debug!(%uri, version, "dropping diagnostics of a superseded version");
                }
            }
            Publish::Clear { uri } => client.publish_diagnostics(uri, Vec::new(), None).await,
        }
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_deref());
        let encoding = *self.shared.encoding.get_or_init(|| PositionEncoding::negotiate(offered));
        if let Some(trace) = params.trace {
            *lock(&self.shared.trace) = trace;
        }
        let options = settings::podsec_section(params.initialization_options.as_ref());
        let (editor, mut warnings) = settings::settings_from_json(options, "initializationOptions");
        let (inlay_hints, warning) = settings::inlay_hints_from_json(options, "initializationOptions");
        warnings.extend(warning);
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        *lock(&self.shared.startup_warnings) = warnings;
        let pulls = params.capabilities.workspace.as_ref().and_then(|w| w.configuration).unwrap_or(false);
        self.shared.pulls_configuration.store(pulls, Ordering::SeqCst);
        let document_changes = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.document_changes)
            .unwrap_or(false);
        self.shared.document_changes.store(document_changes, Ordering::SeqCst);
        let refreshes =
            params.capabilities.workspace.as_ref().and_then(|w| w.inlay_hint.as_ref()).and_then(|h| h.refresh_support);
        self.shared.refreshes_inlay_hints.store(refreshes.unwrap_or(false), Ordering::SeqCst);
        let mut roots: Vec<std::path::PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|folder| folder.uri.to_file_path().ok()).collect();
        #[allow(deprecated)] // Clients without workspace folders still send rootUri.
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
        }
        tracing::info!(?encoding, ?roots, pulls_configuration = pulls, "initialize");
        {
            let mut configuration = lock(&self.shared.configuration);
            configuration.editor = editor;
            configuration.inlay_hints = inlay_hints;
            configuration.roots = roots;
        }

        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
                    ..TextDocumentSyncOptions::default()
                })),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(super::actions::kinds()),
                    resolve_provider: Some(false),
                    ..CodeActionOptions::default()
                })),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(crate::ide::TRIGGER_CHARACTERS.iter().map(|c| c.to_string()).collect()),
                    ..CompletionOptions::default()
                }),
                inlay_hint_provider: Some(OneOf::Right(InlayHintServerCapabilities::Options(Default::default()))),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo { name: NAME.to_string(), version: Some(VERSION.to_string()) }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Messages sent during `initialize` would be dropped by tower-lsp.
        let warnings = std::mem::take(&mut *lock(&self.shared.startup_warnings));
        for warning in warnings {
            self.client.log_message(MessageType::WARNING, warning).await;
        }
        if self.shared.pulls_configuration.load(Ordering::SeqCst) {
            // A null answer: the client has no `podsec` section, so the
            // initializationOptions stay in force.
            if let Some(value) = self.pull_configuration().await.filter(|v| !v.is_null()) {
                self.apply_editor_settings(Some(&value), "settings").await;
            }
        }
        let mut defaults = Config::default();
        lock(&self.shared.configuration).editor.apply(&mut defaults);
        self.client
            .log_message(
                MessageType::INFO,
                format!(
                    "{NAME} {VERSION}: profile {}, Kubernetes {} (a .podsec.yaml may change them per folder)",
                    defaults.profile, defaults.kubernetes_version
                ),
            )
            .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Clients that answer `workspace/configuration` are asked; others
        // send the settings along (under `podsec`, or as they are).
        let pulled =
            if self.shared.pulls_configuration.load(Ordering::SeqCst) { self.pull_configuration().await } else { None };
        let value = pulled.or_else(|| match params.settings {
            Value::Object(mut object) if object.contains_key(NAME) => object.remove(NAME),
            Value::Null => None,
            other => Some(other),
        });
        self.apply_editor_settings(value.as_ref(), "settings").await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown_requested.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        tracing::debug!(uri = %document.uri, version = document.version, "didOpen");
        let ticket = self.shared.documents.open(document.uri.clone(), document.version, &document.text);
        self.settings_file_changed(&document.uri);
        self.analyse(document.uri, ticket);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        // Applied before the first `.await`, and the server runs one handler
        // at a time: edits apply in the order the client sent them.
        let outcome = self.shared.documents.change(&uri, version, params.content_changes, self.shared.encoding());
        let problem = match outcome {
            Ok(Some(ticket)) => {
                self.settings_file_changed(&uri);
                self.analyse(uri, ticket);
                return;
            }
            Ok(None) => {
                self.settings_file_changed(&uri);
                return;
            }
            Err(ChangeError::NotOpen) => format!("podsec: ignored a change to {uri}, which is not open"),
            Err(ChangeError::Stale { current }) => {
                format!("podsec: ignored a change to {uri} with version {version}, not newer than {current}")
            }
        };
        tracing::warn!("{problem}");
        self.client.log_message(MessageType::WARNING, problem).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.settings_file_changed(&params.text_document.uri);
        if let Some(ticket) = self.shared.documents.touch(&params.text_document.uri) {
            self.analyse(params.text_document.uri, ticket);
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        if is_settings_file(&uri) {
            return Ok(None);
        }
        let Some((text, version)) = self.shared.documents.text_and_version(&uri) else { return Ok(None) };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        let document_changes = self.shared.document_changes.load(Ordering::SeqCst);
        let actions = on_blocking_thread("textDocument/codeAction", &uri, move || {
            let document = super::actions::Document {
                uri: &params.text_document.uri,
                version,
                text: &text,
                config: &config,
                encoding,
                document_changes,
            };
            super::actions::code_actions(&document, &params)
        })
        .await?;
        Ok(Some(actions))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let place = params.text_document_position_params;
        let uri = place.text_document.uri;
        let Some(text) = self.shared.documents.text(&uri) else {
            tracing::debug!(%uri, "hover on a document that is not open");
            return Ok(None);
        };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        guarded("hover", &uri, || features::hover(&text, place.position, &config, encoding))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let place = params.text_document_position;
        let uri = place.text_document.uri;
        let Some(text) = self.shared.documents.text(&uri) else {
            tracing::debug!(%uri, "completion in a document that is not open");
            return Ok(None);
        };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        let items = guarded("completion", &uri, || features::completion(&text, place.position, &config, encoding))?;
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let uri = params.text_document.uri;
        if !lock(&self.shared.configuration).inlay_hints_enabled() || is_settings_file(&uri) {
            return Ok(None);
        }
        let Some(text) = self.shared.documents.text(&uri) else { return Ok(None) };
        let encoding = self.shared.encoding();
        let range = params.range;
        let hints =
            on_blocking_thread("textDocument/inlayHint", &uri, move || inlay::compute(&text, range, encoding)).await?;
        Ok(Some(hints))
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if self.shared.documents.close(&uri) {
            // Closing an unsaved settings file brings back what the disk says.
            self.settings_file_changed(&uri);
            let _ = self.shared.publisher.send(Publish::Clear { uri });
        } else {
            tracing::warn!(%uri, "didClose for a document that is not open");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri() -> Url {
        Url::parse("file:///bug.yaml").unwrap()
    }

    #[test]
    fn a_panic_in_request_work_is_an_internal_error() {
        let error = guarded("textDocument/hover", &uri(), || -> u32 { panic!("a bug") }).unwrap_err();
        assert_eq!(error.code, tower_lsp::jsonrpc::ErrorCode::InternalError);
        assert_eq!(error.message, "podsec: internal error in textDocument/hover on file:///bug.yaml");
        assert_eq!(guarded("textDocument/hover", &uri(), || 7), Ok(7));
    }

    #[tokio::test]
    async fn a_panic_on_a_blocking_thread_is_an_internal_error() {
        let work = || -> u32 { panic!("a bug") };
        let error = on_blocking_thread("textDocument/codeAction", &uri(), work).await.unwrap_err();
        assert_eq!(error.code, tower_lsp::jsonrpc::ErrorCode::InternalError);
        assert_eq!(error.message, "podsec: internal error in textDocument/codeAction on file:///bug.yaml");
        assert_eq!(on_blocking_thread("textDocument/codeAction", &uri(), || 7).await, Ok(7));
    }
}
