//! `textDocument/hover`: the document under the cursor only.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let place = params.text_document_position_params;
    let uri = place.text_document.uri;
    // A values key that flows into a chart's securityContexts.
    let in_chart = guarded("hover", &uri, || {
        let (config, _) = backend.shared.config_for(&uri);
        // Only a values file's keys flow anywhere: a template's hover is its own.
        if !super::super::helm::is_values_file(&backend.shared, &uri, &config) {
            return None;
        }
        let (chart, file) = super::super::helm::judge(&backend.shared, &uri, &config)?;
        super::super::helm::hover(&chart, file, place.position, backend.shared.encoding())
    })?;
    if in_chart.is_some() {
        return Ok(in_chart);
    }
    let Some((placed, config, encoding)) = backend.document_at_cursor("hover", &uri, place.position.line) else {
        return Ok(None);
    };
    guarded("hover", &uri, || {
        let hover = ide::hover(&placed, place.position, &config, encoding)?;
        // On a base or a patch: what each overlay that reads it makes of the field.
        match super::super::kustomize::view(&backend.shared, &uri) {
            Some(view) => {
                let text = backend.shared.documents.text(&uri)?;
                Some(super::super::kustomize::hover(&backend.shared, &view, &text, hover, place.position))
            }
            None => Some(hover),
        }
    })
}
