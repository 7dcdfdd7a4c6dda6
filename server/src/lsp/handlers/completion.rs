//! `textDocument/completion`: the document under the cursor only.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: CompletionParams) -> Result<Option<CompletionResponse>> {
    let place = params.text_document_position;
    let uri = place.text_document.uri;
    // A values section that feeds a chart's securityContext.
    let in_chart = guarded("completion", &uri, || {
        let (config, _) = backend.shared.config_for(&uri);
        if !crate::lsp::helm::is_values_file(&backend.shared, &uri, &config) {
            return None;
        }
        let (chart, file) = crate::lsp::helm::judge(&backend.shared, &uri, &config)?;
        crate::lsp::helm::completion(&chart, file, place.position, backend.shared.encoding())
    })?;
    if let Some(items) = in_chart {
        return Ok(Some(CompletionResponse::Array(items)));
    }
    let Some((placed, config, encoding)) = backend.document_at_cursor("completion", &uri, place.position.line) else {
        return Ok(None);
    };
    let client = backend.shared.completion_client.get().copied().unwrap_or_default();
    let items = guarded("completion", &uri, || ide::completion(&placed, place.position, &config, encoding, client))?;
    Ok(Some(CompletionResponse::Array(items)))
}
