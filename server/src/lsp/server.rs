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
use tower_lsp::lsp_types::notification::{LogTrace, Notification, PublishDiagnostics};
use tower_lsp::lsp_types::{
    CodeActionOptions, CodeActionParams, CodeActionProviderCapability, CodeActionResponse, CompletionOptions,
    CompletionParams, CompletionResponse, ConfigurationItem, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams, Hover, HoverParams,
    HoverProviderCapability, InitializeParams, InitializeResult, InitializedParams, InlayHint, InlayHintParams,
    InlayHintServerCapabilities, LogTraceParams, MessageType, OneOf, PublishDiagnosticsParams, SaveOptions,
    ServerCapabilities, ServerInfo, SetTraceParams, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TraceValue, Url,
};
use tower_lsp::lsp_types::{
    CodeLens, CodeLensOptions, CodeLensParams, DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions,
    ExecuteCommandOptions, ExecuteCommandParams, FileSystemWatcher, GlobPattern, Registration,
};
use tower_lsp::{Client, LanguageServer};

use super::diagnostics::{self, DiagnosticsJson};
use super::documents::{ChangeError, Documents, Ticket};
use super::features::{self, CompletionClient};
use super::index::{self, IndexEvent};
use super::inlay;
use super::lens;
use super::output::Output;
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
    /// The workspace index's worker.
    index: mpsc::UnboundedSender<IndexEvent>,
    /// The client shows work-done progress, registers file watchers
    /// dynamically, accepts `workspace/codeLens/refresh`.
    work_done_progress: AtomicBool,
    registers_file_watchers: AtomicBool,
    refreshes_code_lenses: AtomicBool,
    /// The client shows the list `podsec.showViolations` returns itself
    /// (experimental capability `podsecViolationList`): no message then.
    lists_violations: AtomicBool,
    /// How the client inserts completions of several lines.
    completion_client: OnceLock<CompletionClient>,
}

enum Publish {
    Diagnostics { uri: Url, ticket: Ticket, version: i32, diagnostics: DiagnosticsJson },
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
    pub fn new(client: Client, output: Output) -> Self {
        let (publisher, queue) = mpsc::unbounded_channel();
        let (index_sender, index_events) = mpsc::unbounded_channel();
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
            index: index_sender.clone(),
            work_done_progress: AtomicBool::new(false),
            registers_file_watchers: AtomicBool::new(false),
            refreshes_code_lenses: AtomicBool::new(false),
            lists_violations: AtomicBool::new(false),
            completion_client: OnceLock::new(),
        });
        tokio::spawn(publish(output, shared.clone(), queue));
        let backend = Backend { client: client.clone(), shared: shared.clone() };
        let documents = shared.clone();
        let hooks = index::Hooks {
            client: client.clone(),
            text_of: Box::new(move |uri| documents.documents.text(uri)),
            changed: Box::new(move |snapshot| backend.workspace_changed(snapshot)),
        };
        index::spawn(hooks, index_sender, index_events);
        Backend { client, shared }
    }

    /// The index learnt something new about namespaces: every open
    /// document is judged again, and lenses and hints are asked for again.
    fn workspace_changed(&self, snapshot: index::Snapshot) {
        let verdict_hints = {
            let mut configuration = lock(&self.shared.configuration);
            configuration.workspace = snapshot;
            configuration.verdict_hints_enabled()
        };
        self.analyse_all();
        self.refresh_views(verdict_hints);
    }

    /// Asks the client for code lenses (and, with verdict hints on, inlay
    /// hints) again, without holding up other messages.
    fn refresh_views(&self, inlay_hints: bool) {
        let client = self.client.clone();
        let lenses = self.shared.refreshes_code_lenses.load(Ordering::SeqCst);
        let hints = inlay_hints && self.shared.refreshes_inlay_hints.load(Ordering::SeqCst);
        tokio::spawn(async move {
            if lenses {
                if let Err(error) = client.code_lens_refresh().await {
                    tracing::warn!("workspace/codeLens/refresh failed: {error}");
                }
            }
            if hints {
                if let Err(error) = client.inlay_hint_refresh().await {
                    tracing::warn!("workspace/inlayHint/refresh failed: {error}");
                }
            }
        });
    }

    /// Tells the index an open document's text changed (or it closed).
    fn index_document(&self, uri: &Url, open: bool) {
        if uri.scheme() != "file" || is_settings_file(uri) {
            return;
        }
        let event = if open { IndexEvent::Open(uri.clone()) } else { IndexEvent::Closed(uri.clone()) };
        let _ = self.shared.index.send(event);
    }

    /// Asks the client to report changes to manifests on disk.
    fn watch_files(&self) {
        let watchers = ["**/*.{yaml,yml}", "**/kustomization.{yaml,yml}", "**/Kustomization"]
            .into_iter()
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.to_string()), kind: None })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "podsec-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        let client = self.client.clone();
        // Not awaited here: the client answers while other messages flow.
        tokio::spawn(async move {
            if let Err(error) = client.register_capability(vec![registration]).await {
                tracing::warn!("registering file watchers failed: {error}");
            }
        });
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
            let verdict_hints = {
                let mut configuration = lock(&self.shared.configuration);
                configuration.forget_files();
                configuration.verdict_hints_enabled()
            };
            self.analyse_all();
            self.refresh_views(verdict_hints);
        }
    }

    /// Whether `uri` is open and over the size limit: requests on it get
    /// no answer, as its analysis is skipped (its one diagnostic says so).
    fn too_large(&self, uri: &Url) -> bool {
        let limit = lock(&self.shared.configuration).max_file_size();
        self.shared.documents.byte_len(uri).is_some_and(|length| length > limit)
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
        let (editor, warnings) = settings::EditorSettings::from_json(value, origin);
        for warning in warnings {
            tracing::warn!("{warning}");
            self.client.log_message(MessageType::WARNING, warning).await;
        }
        let (hints_changed, verdict_hints) = lock(&self.shared.configuration).set_editor(editor);
        // Verdicts depend on the profile, version and namespace settings.
        self.refresh_views(verdict_hints && !hints_changed);
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

    /// Starts the analysis task of a document. The task re-reads the
    /// document until the version it analysed is still the newest, so a
    /// burst of edits costs one analysis at a time, and work on a version
    /// that an edit superseded stops between `---` documents.
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
                let length = snapshot.len();
                let limit = lock(&shared.configuration).max_file_size();
                let task = {
                    let (shared, uri) = (shared.clone(), uri.clone());
                    tokio::task::spawn_blocking(move || {
                        if length > limit {
                            let notice = diagnostics::too_large(length, limit);
                            return Some((DiagnosticsJson::from_diagnostics(&[notice]), None));
                        }
                        if settings_file {
                            let diagnostics = diagnostics::compute_settings(&snapshot.text(), encoding);
                            return Some((DiagnosticsJson::from_diagnostics(&diagnostics), None));
                        }
                        // A chart's partials hold `define` blocks, not manifests.
                        if uri.to_file_path().is_ok_and(|p| crate::chart::is_template_partial(&p)) {
                            return Some((DiagnosticsJson::from_diagnostics(&[]), None));
                        }
                        let superseded = || !shared.documents.is_current(&uri, ticket, version);
                        let mut cache = lock(&snapshot.cache);
                        diagnostics::compute_segments(
                            &uri,
                            &snapshot.segments,
                            &config,
                            encoding,
                            &mut cache,
                            superseded,
                        )
                        .map(|(diagnostics, work)| (diagnostics, Some(work)))
                    })
                };
                match task.await {
                    Ok(Some((diagnostics, work))) => {
                        let elapsed = started.elapsed();
                        tracing::debug!(%uri, version, count = diagnostics.count, ?work, ?elapsed, "analysed");
                        let trace = shared.trace();
                        if trace != TraceValue::Off {
                            let message = format!(
                                "analysed {uri} version {version}: {} diagnostics in {:.1} ms",
                                diagnostics.count,
                                elapsed.as_secs_f64() * 1000.0
                            );
                            let verbose = (trace == TraceValue::Verbose).then(|| {
                                let work = work.map_or(String::new(), |w| {
                                    format!(", {} documents analysed, {} reused", w.analysed, w.reused)
                                });
                                format!("{length} bytes{work}, {summary}, {encoding:?}")
                            });
                            client.send_notification::<LogTrace>(LogTraceParams { message, verbose }).await;
                        }
                        let _ = shared.publisher.send(Publish::Diagnostics {
                            uri: uri.clone(),
                            ticket,
                            version,
                            diagnostics,
                        });
                    }
                    Ok(None) => tracing::debug!(%uri, version, "analysis of a superseded version stopped"),
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
async fn publish(output: Output, shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Publish>) {
    while let Some(item) = queue.recv().await {
        match item {
            Publish::Diagnostics { uri, ticket, version, diagnostics } => {
                if shared.documents.is_current(&uri, ticket, version) {
                    let uri = serde_json::to_string(&uri).unwrap_or_default();
                    output.notify_with(PublishDiagnostics::METHOD, |params| {
                        params.reserve(diagnostics.array.len() + uri.len() + 64);
                        params.extend_from_slice(
                            format!(r#"{{"uri":{uri},"version":{version},"diagnostics":"#).as_bytes(),
                        );
                        params.extend_from_slice(&diagnostics.array);
                        params.push(b'}');
                    });
                } else {
                    tracing::debug!(%uri, version, "dropping diagnostics of a superseded version");
                }
            }
            Publish::Clear { uri } => output.notify(
                PublishDiagnostics::METHOD,
                &PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None },
            ),
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
        let (editor, warnings) = settings::EditorSettings::from_json(options, "initializationOptions");
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
        let capabilities = &params.capabilities;
        let _ = self.shared.completion_client.set(CompletionClient::new(capabilities));
        let workspace = capabilities.workspace.as_ref();
        let progress = capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        self.shared.work_done_progress.store(progress, Ordering::SeqCst);
        let watchers = workspace.and_then(|w| w.did_change_watched_files.as_ref()).and_then(|w| w.dynamic_registration);
        self.shared.registers_file_watchers.store(watchers.unwrap_or(false), Ordering::SeqCst);
        let lens_refresh = workspace.and_then(|w| w.code_lens.as_ref()).and_then(|c| c.refresh_support);
        self.shared.refreshes_code_lenses.store(lens_refresh.unwrap_or(false), Ordering::SeqCst);
        let lists =
            capabilities.experimental.as_ref().and_then(|e| e.get("podsecViolationList")).and_then(Value::as_bool);
        self.shared.lists_violations.store(lists.unwrap_or(false), Ordering::SeqCst);
        let mut roots: Vec<std::path::PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|folder| folder.uri.to_file_path().ok()).collect();
        #[allow(deprecated)] // Clients without workspace folders still send rootUri.
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
        }
        tracing::info!(?encoding, ?roots, pulls_configuration = pulls, "initialize");
        {
            let mut configuration = lock(&self.shared.configuration);
            configuration.set_editor(editor);
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
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![lens::SHOW_VIOLATIONS.to_string()],
                    ..ExecuteCommandOptions::default()
                }),
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
        let roots = lock(&self.shared.configuration).roots.clone();
        if !roots.is_empty() {
            let progress = self.shared.work_done_progress.load(Ordering::SeqCst);
            let _ = self.shared.index.send(IndexEvent::Scan { roots, progress });
        }
        if self.shared.registers_file_watchers.load(Ordering::SeqCst) {
            self.watch_files();
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
        self.index_document(&document.uri, true);
        self.analyse(document.uri, ticket);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        // Applied before the first `.await`, and the server runs one handler
        // at a time: edits apply in the order the client sent them.
        let outcome = self.shared.documents.change(&uri, version, params.content_changes, self.shared.encoding());
        let problem = match outcome {
            Ok(ticket) => {
                self.settings_file_changed(&uri);
                let kustomization = uri.to_file_path().is_ok_and(|path| crate::namespaces::is_kustomization(&path));
                if self.shared.documents.take_namespace_edit(&uri) || kustomization {
                    self.index_document(&uri, true);
                }
                if let Some(ticket) = ticket {
                    self.analyse(uri, ticket);
                }
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
        if is_settings_file(&uri) || self.too_large(&uri) {
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
        if self.too_large(&uri) {
            return Ok(None);
        }
        let Some(placed) = self.shared.documents.segment_at(&uri, place.position.line as usize) else {
            tracing::debug!(%uri, "hover on a document that is not open");
            return Ok(None);
        };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        guarded("hover", &uri, || features::hover(&placed, place.position, &config, encoding))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let place = params.text_document_position;
        let uri = place.text_document.uri;
        if self.too_large(&uri) {
            return Ok(None);
        }
        let Some(placed) = self.shared.documents.segment_at(&uri, place.position.line as usize) else {
            tracing::debug!(%uri, "completion in a document that is not open");
            return Ok(None);
        };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        let client = self.shared.completion_client.get().copied().unwrap_or_default();
        let items =
            guarded("completion", &uri, || features::completion(&placed, place.position, &config, encoding, client))?;
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let uri = params.text_document.uri;
        let (inherited, verdicts) = {
            let configuration = lock(&self.shared.configuration);
            (configuration.inlay_hints_enabled(), configuration.verdict_hints_enabled())
        };
        if !(inherited || verdicts) || is_settings_file(&uri) || self.too_large(&uri) {
            return Ok(None);
        }
        let Some(text) = self.shared.documents.text(&uri) else { return Ok(None) };
        let encoding = self.shared.encoding();
        let config = verdicts.then(|| self.shared.config_for(&uri).0);
        let range = params.range;
        let compute = move || inlay::compute(&text, range, encoding, inherited, config.as_ref());
        let hints = on_blocking_thread("textDocument/inlayHint", &uri, compute).await?;
        Ok(Some(hints))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri;
        if is_settings_file(&uri) || self.too_large(&uri) {
            return Ok(None);
        }
        let Some(text) = self.shared.documents.text(&uri) else { return Ok(None) };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        let lenses = on_blocking_thread("textDocument/codeLens", &uri, {
            let uri = uri.clone();
            move || lens::code_lenses(&uri, &text, &config, encoding)
        })
        .await?;
        Ok(Some(lenses))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let invalid = |message: String| tower_lsp::jsonrpc::Error::invalid_params(message);
        if params.command != lens::SHOW_VIOLATIONS {
            return Err(invalid(format!("podsec has no command `{}`", params.command)));
        }
        let (argument, level) = lens::parse_arguments(&params.arguments).map_err(invalid)?;
        let uri = argument.uri;
        let Some(text) = self.shared.documents.text(&uri) else {
            return Err(invalid(format!("{uri} is not open")));
        };
        let (config, _) = self.shared.config_for(&uri);
        let encoding = self.shared.encoding();
        let list = guarded("workspace/executeCommand", &uri, || {
            lens::violations(&uri, &text, &config, argument.line, level, encoding)
        })?;
        let Some(list) = list else {
            let message = "podsec: the workload has moved since; try the lens again".to_string();
            self.client.show_message(MessageType::INFO, message).await;
            return Ok(None);
        };
        if !self.shared.lists_violations.load(Ordering::SeqCst) {
            self.client.show_message(MessageType::INFO, list.to_message()).await;
        }
        Ok(serde_json::to_value(list).ok())
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut settings_changed = false;
        let mut paths = Vec::new();
        for change in params.changes {
            tracing::debug!(uri = %change.uri, kind = ?change.typ, "watched file changed");
            settings_changed |= is_settings_file(&change.uri);
            match change.uri.to_file_path() {
                Ok(path) if !is_settings_file(&change.uri) => paths.push(path),
                _ => {}
            }
        }
        if settings_changed {
            lock(&self.shared.configuration).forget_files();
            self.analyse_all();
        }
        if !paths.is_empty() {
            let _ = self.shared.index.send(IndexEvent::Disk(paths));
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if self.shared.documents.close(&uri) {
            // Closing an unsaved settings file brings back what the disk says.
            self.settings_file_changed(&uri);
            self.index_document(&uri, false);
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
