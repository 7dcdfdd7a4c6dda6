//! `workspace/executeCommand`: `podsec.showViolations`, the list behind a lens.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    let invalid = |message: String| tower_lsp::jsonrpc::Error::invalid_params(message);
    if params.command != lens::SHOW_VIOLATIONS {
        return Err(invalid(format!("podsec has no command `{}`", params.command)));
    }
    let (argument, level) = lens::parse_arguments(&params.arguments).map_err(invalid)?;
    let uri = argument.uri;
    let Some(text) = backend.shared.documents.text(&uri) else {
        return Err(invalid(format!("{uri} is not open")));
    };
    let (config, _) = backend.shared.config_for(&uri);
    let encoding = backend.shared.encoding();
    let list = guarded("workspace/executeCommand", &uri, || {
        lens::violations(&uri, &text, &config, argument.line, level, encoding)
    })?;
    let Some(list) = list else {
        let message = "podsec: the workload has moved since; try the lens again".to_string();
        backend.client.show_message(MessageType::INFO, message).await;
        return Ok(None);
    };
    if !backend.shared.lists_violations.load(Ordering::SeqCst) {
        backend.client.show_message(MessageType::INFO, list.to_message()).await;
    }
    Ok(serde_json::to_value(list).ok())
}
