//! `textDocument/didChange`: edits applied in order, before any await.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: DidChangeTextDocumentParams) {
    let uri = params.text_document.uri;
    let version = params.text_document.version;
    // Applied before the first `.await`, and the server runs one handler
    // at a time: edits apply in the order the client sent them.
    let outcome = backend.shared.documents.change(&uri, version, params.content_changes, backend.shared.encoding());
    let problem = match outcome {
        Ok(ticket) => {
            backend.settings_file_changed(&uri);
            let kustomization = uri.to_file_path().is_ok_and(|path| crate::namespaces::is_kustomization(&path));
            if backend.shared.documents.take_namespace_edit(&uri) || kustomization {
                backend.index_document(&uri, true);
            }
            // The chart's other open files (they depend on this one's values
            // or defines) and the open files of the overlays that read it.
            if let Ok(path) = uri.to_file_path() {
                backend.file_changed(&path, Some(&uri));
            }
            if let Some(ticket) = ticket {
                backend.analyse(uri, ticket);
            }
            return;
        }
        Err(ChangeError::NotOpen) => format!("podsec: ignored a change to {uri}, which is not open"),
        Err(ChangeError::Stale { current }) => {
            format!("podsec: ignored a change to {uri} with version {version}, not newer than {current}")
        }
    };
    tracing::warn!("{problem}");
    backend.client.log_message(MessageType::WARNING, problem).await;
}
