//! The analysis scheduler: one analysis task per document at a time, on the
//! newest text, results through the one publisher; and how request work runs
//! (guarded against panics, on a blocking thread when it may take long).

use super::state::*;

impl Backend {
    /// Starts the analysis task of a document. The task re-reads the
    /// document until the version it analysed is still the newest, so a
    /// burst of edits costs one analysis at a time, and work on a version
    /// that an edit superseded stops between `---` documents.
    pub(in crate::lsp) fn analyse(&self, uri: Url, ticket: Ticket) {
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
                let limit = lock(&shared.settings_store).max_file_size();
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
                        // A template or values file of a chart: the chart judged
                        // with its values speaks for it.
                        if let Some((chart, file)) = super::helm::judge(&shared, &uri, &config) {
                            let diagnostics = super::helm::diagnostics(&chart, file, encoding);
                            return Some((DiagnosticsJson::from_diagnostics(&diagnostics), None));
                        }
                        // A chart's partials hold `define` blocks, not manifests.
                        if uri.to_file_path().is_ok_and(|p| crate::chart::is_template_partial(&p)) {
                            return Some((DiagnosticsJson::from_diagnostics(&[]), None));
                        }
                        let superseded = || !shared.documents.is_current(&uri, ticket, version);
                        let mut cache = lock(&snapshot.cache);
                        let (own, work) = diagnostics::compute_segments(
                            &uri,
                            &snapshot.segments,
                            &config,
                            encoding,
                            &mut cache,
                            superseded,
                        )?;
                        // A base or patch of Kustomize overlays: what they make of it too.
                        match super::kustomize::view(&shared, &uri) {
                            Some(view) => {
                                let text = snapshot.text();
                                Some((super::kustomize::diagnostics(&shared, &view, &text, own, encoding), Some(work)))
                            }
                            None => Some((own, Some(work))),
                        }
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
pub(in crate::lsp) fn guarded<T>(method: &str, uri: &Url, work: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .map_err(|panic| internal_error(method, uri, super::transport::panic_message(panic.as_ref())))
}

/// Runs a request's work on a blocking thread (it may take a while on a
/// large file); a panic there is an error response and a log line, as in
/// [`guarded`].
pub(in crate::lsp) async fn on_blocking_thread<T: Send + 'static>(
    method: &str,
    uri: &Url,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|error| internal_error(method, uri, &error.to_string()))
}

/// The error response for a bug met while answering `method`, logged.
pub(in crate::lsp) fn internal_error(method: &str, uri: &Url, detail: &str) -> tower_lsp::jsonrpc::Error {
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
pub(in crate::lsp) async fn publish(output: Output, shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Publish>) {
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
