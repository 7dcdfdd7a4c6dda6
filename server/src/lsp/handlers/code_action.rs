//! `textDocument/codeAction`: quick fixes, moves, rewrites and fix all.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri.clone();
    let (config, _) = backend.shared.config_for(&uri);
    if crate::lsp::helm::is_values_file(&backend.shared, &uri, &config) {
        // A chart's values: actions that edit the values, judged with the chart.
        let encoding = backend.shared.encoding();
        let actions = guarded("textDocument/codeAction", &uri, || {
            let (chart, file) = crate::lsp::helm::judge(&backend.shared, &uri, &config)?;
            Some(crate::lsp::helm::code_actions(&chart, file, &uri, params.range, encoding))
        })?;
        return Ok(actions);
    }
    if !backend.answerable(&uri, true) {
        return Ok(None);
    }
    let Some((text, version)) = backend.shared.documents.text_and_version(&uri) else { return Ok(None) };
    let (config, _) = backend.shared.config_for(&uri);
    let encoding = backend.shared.encoding();
    let document_changes = backend.shared.document_changes.load(Ordering::SeqCst);
    let shared = backend.shared.clone();
    let actions = on_blocking_thread("textDocument/codeAction", &uri, move || {
        let view = crate::lsp::kustomize::view(&shared, &params.text_document.uri).filter(|view| view.patch_only);
        let document = crate::lsp::actions::Document {
            uri: &params.text_document.uri,
            version,
            text: &text,
            config: &config,
            encoding,
            document_changes,
        };
        let actions = crate::lsp::actions::code_actions(&document, &params);
        match view {
            // A file the overlays read only as a patch is not a workload:
            // only the fixes of what its overlays find in it are offered.
            Some(view) => crate::lsp::kustomize::patch_actions(&view, &text, actions, encoding),
            None => actions,
        }
    })
    .await?;
    Ok(Some(actions))
}
