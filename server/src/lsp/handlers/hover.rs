//! `textDocument/hover`: the document under the cursor only.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let place = params.text_document_position_params;
    let uri = place.text_document.uri;
    let Some((placed, config, encoding)) = backend.document_at_cursor("hover", &uri, place.position.line) else {
        return Ok(None);
    };
    guarded("hover", &uri, || ide::hover(&placed, place.position, &config, encoding))
}
