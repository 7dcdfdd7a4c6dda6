//! `workspace/didChangeConfiguration`: new editor settings, every open document judged again.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend, params: DidChangeConfigurationParams) {
    // Clients that answer `workspace/configuration` are asked; others
    // send the settings along (under `podsec`, or as they are).
    let pulled = if backend.shared.pulls_configuration.load(Ordering::SeqCst) {
        backend.pull_configuration().await
    } else {
        None
    };
    let value = pulled.or_else(|| match params.settings {
        Value::Object(mut object) if object.contains_key(NAME) => object.remove(NAME),
        Value::Null => None,
        other => Some(other),
    });
    backend.apply_editor_settings(value.as_ref(), "settings").await;
}
