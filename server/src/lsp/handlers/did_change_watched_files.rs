//! `workspace/didChangeWatchedFiles`: settings files forgotten, the index
//! and the overlays told.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: DidChangeWatchedFilesParams) {
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
        lock(&backend.shared.settings_store).forget_files();
        backend.analyse_all();
    }
    for path in &paths {
        backend.file_changed(path, None);
    }
    if !paths.is_empty() {
        let _ = backend.shared.index.send(IndexEvent::Disk(paths));
    }
}
