//! What handlers do besides answering: start the server, re-analyse what a
//! change affects, refresh lenses and hints, watch files, take new editor
//! settings. Handlers never analyse: they update the document store
//! synchronously and hand the work to the scheduler (`scheduler.rs`), whose
//! results go through a single publisher task that drops anything superseded.

use super::scheduler::publish;
pub(in crate::lsp) use super::scheduler::{guarded, on_blocking_thread};
use super::segment::PlacedSegment;
pub(in crate::lsp) use super::state::*;

impl Backend {
    /// Must be called inside the runtime: it starts the publisher task.
    pub fn new(client: Client, output: Output) -> Self {
        let (publisher, queue) = mpsc::unbounded_channel();
        let (index_sender, index_events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            documents: Documents::default(),
            settings_store: Mutex::new(SettingsStore::default()),
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
            overlays: Default::default(),
            charts: Default::default(),
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
    pub(in crate::lsp) fn workspace_changed(&self, snapshot: index::Snapshot) {
        let verdict_hints = {
            let mut configuration = lock(&self.shared.settings_store);
            configuration.workspace = snapshot;
            configuration.verdict_hints_enabled()
        };
        self.analyse_all();
        self.refresh_views(verdict_hints);
    }

    /// Asks the client for code lenses (and, with verdict hints on, inlay
    /// hints) again, without holding up other messages.
    pub(in crate::lsp) fn refresh_views(&self, inlay_hints: bool) {
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
    pub(in crate::lsp) fn index_document(&self, uri: &Url, open: bool) {
        if uri.scheme() != "file" || is_settings_file(uri) {
            return;
        }
        let event = if open { IndexEvent::Open(uri.clone()) } else { IndexEvent::Closed(uri.clone()) };
        let _ = self.shared.index.send(event);
    }

    /// Asks the client to report changes to manifests on disk.
    pub(in crate::lsp) fn watch_files(&self) {
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

    /// `path` changed (edited, opened, closed, or on disk): what was judged
    /// from it is judged again when next asked (every chart, the overlays
    /// that read it), and the open files that depend on it (its chart's,
    /// its overlays'), `except` the one already being analysed, are
    /// analysed again. Called before any analysis of the new text starts.
    pub(in crate::lsp) fn file_changed(&self, path: &std::path::Path, except: Option<&Url>) {
        self.shared.charts.forget();
        let mut again = super::kustomize::file_changed(&self.shared, path);
        if let Ok(uri) = Url::from_file_path(path) {
            again.extend(super::helm::open_chart_files(&self.shared, &uri));
        }
        again.sort();
        again.dedup();
        for uri in again.into_iter().filter(|uri| Some(uri) != except) {
            if let Some(ticket) = self.shared.documents.touch(&uri) {
                self.analyse(uri, ticket);
            }
        }
    }

    /// Analyses every open document again (configuration or the workspace's
    /// namespaces changed).
    pub(in crate::lsp) fn analyse_all(&self) {
        // Overlays and charts are judged under the settings (and namespaces) in force.
        self.shared.overlays.forget_all();
        self.shared.charts.forget();
        for uri in self.shared.documents.uris() {
            if let Some(ticket) = self.shared.documents.touch(&uri) {
                self.analyse(uri, ticket);
            }
        }
    }

    /// A settings file was opened, edited or saved: what it says may apply
    /// to every other open document.
    pub(in crate::lsp) fn settings_file_changed(&self, uri: &Url) {
        if is_settings_file(uri) {
            let verdict_hints = {
                let mut configuration = lock(&self.shared.settings_store);
                configuration.forget_files();
                configuration.verdict_hints_enabled()
            };
            self.analyse_all();
            self.refresh_views(verdict_hints);
        }
    }

    /// Whether `uri` is open and over the size limit: requests on it get
    /// no answer, as its analysis is skipped (its one diagnostic says so).
    /// The preamble of every request about one document: whether there is
    /// an answer to compute. A document too large to analyse has none; nor,
    /// for a request about manifests (`manifests_only`), has a settings file.
    pub(in crate::lsp) fn answerable(&self, uri: &Url, manifests_only: bool) -> bool {
        let settings_file = manifests_only && is_settings_file(uri);
        !(settings_file || self.too_large(uri))
    }

    /// The preamble of a request at a cursor (hover, completion): the `---`
    /// document on `line`, with the settings it is judged with and the
    /// position encoding; `None` when there is nothing to answer.
    pub(in crate::lsp) fn document_at_cursor(
        &self,
        method: &str,
        uri: &Url,
        line: u32,
    ) -> Option<(PlacedSegment, Config, PositionEncoding)> {
        if !self.answerable(uri, false) {
            return None;
        }
        let Some(placed) = self.shared.documents.segment_at(uri, line as usize) else {
            tracing::debug!(%uri, "{method} in a document that is not open");
            return None;
        };
        Some((placed, self.shared.config_for(uri).0, self.shared.encoding()))
    }

    pub(in crate::lsp) fn too_large(&self, uri: &Url) -> bool {
        let limit = lock(&self.shared.settings_store).max_file_size();
        self.shared.documents.byte_len(uri).is_some_and(|length| length > limit)
    }

    /// Asks the client for the `podsec` section of its settings.
    pub(in crate::lsp) async fn pull_configuration(&self) -> Option<Value> {
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
    pub(in crate::lsp) async fn apply_editor_settings(&self, value: Option<&Value>, origin: &str) {
        let (editor, warnings) = settings::EditorSettings::from_json(value, origin);
        for warning in warnings {
            tracing::warn!("{warning}");
            self.client.log_message(MessageType::WARNING, warning).await;
        }
        let (hints_changed, verdict_hints) = lock(&self.shared.settings_store).set_editor(editor);
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
}
