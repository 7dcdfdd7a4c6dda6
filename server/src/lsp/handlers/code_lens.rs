//! `textDocument/codeLens`: each workload's verdict.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let uri = params.text_document.uri;
    if !backend.answerable(&uri, true) {
        return Ok(None);
    }
    let Some(text) = backend.shared.documents.text(&uri) else { return Ok(None) };
    let (config, _) = backend.shared.config_for(&uri);
    let encoding = backend.shared.encoding();
    let shared = backend.shared.clone();
    let lenses = on_blocking_thread("textDocument/codeLens", &uri, {
        let uri = uri.clone();
        move || {
            // A patch's verdict alone says nothing: its overlays' diagnostics do.
            if crate::lsp::kustomize::view(&shared, &uri).is_some_and(|view| view.patch_only) {
                return Vec::new();
            }
            lens::code_lenses(&uri, &text, &config, encoding)
        }
    })
    .await?;
    Ok(Some(lenses))
}
