//! `textDocument/inlayHint`: inherited values and verdicts in the range asked for.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    let uri = params.text_document.uri.clone();
    let (inherited, verdicts) = {
        let configuration = lock(&backend.shared.settings_store);
        (configuration.inlay_hints_enabled(), configuration.verdict_hints_enabled())
    };
    if !(inherited || verdicts) || !backend.answerable(&uri, true) {
        return Ok(None);
    }
    let Some(text) = backend.shared.documents.text(&uri) else { return Ok(None) };
    let encoding = backend.shared.encoding();
    let config = verdicts.then(|| backend.shared.config_for(&uri).0);
    let range = params.range;
    let shared = backend.shared.clone();
    let compute = move || {
        // A patch's verdict alone says nothing (its overlays' diagnostics
        // do); what it inherits comes from its base, not from itself.
        if crate::lsp::kustomize::view(&shared, &uri).is_some_and(|view| view.patch_only) {
            return Vec::new();
        }
        inlay::compute(&text, range, encoding, inherited, config.as_ref())
    };
    let hints = on_blocking_thread("textDocument/inlayHint", &params.text_document.uri, compute).await?;
    Ok(Some(hints))
}
