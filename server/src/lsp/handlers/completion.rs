//! `textDocument/completion`: the document under the cursor only.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: CompletionParams) -> Result<Option<CompletionResponse>> {
    let place = params.text_document_position;
    let uri = place.text_document.uri;
    if !backend.answerable(&uri, false) {
        return Ok(None);
    }
    let Some(placed) = backend.shared.documents.segment_at(&uri, place.position.line as usize) else {
        tracing::debug!(%uri, "completion in a document that is not open");
        return Ok(None);
    };
    let (config, _) = backend.shared.config_for(&uri);
    let encoding = backend.shared.encoding();
    let client = backend.shared.completion_client.get().copied().unwrap_or_default();
    let items = guarded("completion", &uri, || ide::completion(&placed, place.position, &config, encoding, client))?;
    Ok(Some(CompletionResponse::Array(items)))
}
