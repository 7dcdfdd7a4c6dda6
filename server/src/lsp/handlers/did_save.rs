//! `textDocument/didSave`: a saved settings file applies; the document is analysed again.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: DidSaveTextDocumentParams) {
    backend.settings_file_changed(&params.text_document.uri);
    if let Some(ticket) = backend.shared.documents.touch(&params.text_document.uri) {
        backend.analyse(params.text_document.uri, ticket);
    }
}
