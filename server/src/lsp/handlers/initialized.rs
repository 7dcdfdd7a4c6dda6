//! `initialized`: the startup warnings, the pulled settings, the workspace scan and file watchers.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, _: InitializedParams) {
    // Messages sent during `initialize` would be dropped by tower-lsp.
    let warnings = std::mem::take(&mut *lock(&backend.shared.startup_warnings));
    for warning in warnings {
        backend.client.log_message(MessageType::WARNING, warning).await;
    }
    if backend.shared.pulls_configuration.load(Ordering::SeqCst) {
        // A null answer: the client has no `podsec` section, so the
        // initializationOptions stay in force.
        if let Some(value) = backend.pull_configuration().await.filter(|v| !v.is_null()) {
            backend.apply_editor_settings(Some(&value), "settings").await;
        }
    }
    let roots = lock(&backend.shared.settings_store).roots.clone();
    if !roots.is_empty() {
        let progress = backend.shared.work_done_progress.load(Ordering::SeqCst);
        let _ = backend.shared.index.send(IndexEvent::Scan { roots, progress });
    }
    if backend.shared.registers_file_watchers.load(Ordering::SeqCst) {
        backend.watch_files();
    }
    let mut defaults = Config::default();
    lock(&backend.shared.settings_store).editor.apply(&mut defaults);
    backend
        .client
        .log_message(
            MessageType::INFO,
            format!(
                "{NAME} {VERSION}: profile {}, Kubernetes {} (a .podsec.yaml may change them per folder)",
                defaults.profile, defaults.kubernetes_version
            ),
        )
        .await;
}
