//! `textDocument/didClose`: the document and its diagnostics forgotten.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    if backend.shared.documents.close(&uri) {
        // Closing an unsaved settings file brings back what the disk says.
        backend.settings_file_changed(&uri);
        backend.index_document(&uri, false);
        // The disk speaks for it again in its chart and the overlays that read it.
        if let Ok(path) = uri.to_file_path() {
            backend.file_changed(&path, Some(&uri));
        }
        let _ = backend.shared.publisher.send(Publish::Clear { uri });
    } else {
        tracing::warn!(%uri, "didClose for a document that is not open");
    }
}
