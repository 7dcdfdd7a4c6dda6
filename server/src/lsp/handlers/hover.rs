//! `textDocument/hover`: the document under the cursor only.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let place = params.text_document_position_params;
    let uri = place.text_document.uri;
    if !backend.answerable(&uri, false) {
        return Ok(None);
    }
    let Some(placed) = backend.shared.documents.segment_at(&uri, place.position.line as usize) else {
        tracing::debug!(%uri, "hover on a document that is not open");
        return Ok(None);
    };
    let (config, _) = backend.shared.config_for(&uri);
    let encoding = backend.shared.encoding();
    guarded("hover", &uri, || ide::hover(&placed, place.position, &config, encoding))
}
