//! `textDocument/didOpen`: a document to keep, index and analyse.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: DidOpenTextDocumentParams) {
    let document = params.text_document;
    tracing::debug!(uri = %document.uri, version = document.version, "didOpen");
    let ticket = backend.shared.documents.open(document.uri.clone(), document.version, &document.text);
    backend.settings_file_changed(&document.uri);
    backend.index_document(&document.uri, true);
    // The open text now wins over the disk for its chart and the overlays that read it.
    if let Ok(path) = document.uri.to_file_path() {
        backend.file_changed(&path, Some(&document.uri));
    }
    backend.analyse(document.uri, ticket);
}
