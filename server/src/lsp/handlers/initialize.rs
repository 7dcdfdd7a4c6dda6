//! `initialize`: the client's capabilities and settings in, the server's capabilities out.

use super::prelude::*;
use crate::lsp::capabilities;

pub(in crate::lsp) async fn handle(backend: &Backend, params: InitializeParams) -> Result<InitializeResult> {
    let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_deref());
    let encoding = *backend.shared.encoding.get_or_init(|| PositionEncoding::negotiate(offered));
    if let Some(trace) = params.trace {
        *lock(&backend.shared.trace) = trace;
    }
    let options = settings::podsec_section(params.initialization_options.as_ref());
    let (editor, warnings) = settings::EditorSettings::from_json(options, "initializationOptions");
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    *lock(&backend.shared.startup_warnings) = warnings;
    let pulls = capabilities::remember_client(&backend.shared, &params.capabilities);
    let mut roots: Vec<std::path::PathBuf> =
        params.workspace_folders.iter().flatten().filter_map(|folder| folder.uri.to_file_path().ok()).collect();
    #[allow(deprecated)] // Clients without workspace folders still send rootUri.
    if roots.is_empty() {
        roots.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
    }
    tracing::info!(?encoding, ?roots, pulls_configuration = pulls, "initialize");
    {
        let mut configuration = lock(&backend.shared.settings_store);
        configuration.set_editor(editor);
        configuration.roots = roots;
    }

    Ok(InitializeResult {
        capabilities: capabilities::server(encoding),
        server_info: Some(ServerInfo { name: NAME.to_string(), version: Some(VERSION.to_string()) }),
    })
}
