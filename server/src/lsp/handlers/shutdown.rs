//! `shutdown`: remembered, so that `exit` ends the process with 0.

use super::prelude::*;

pub(in crate::lsp) async fn handle(backend: &Backend) -> Result<()> {
    backend.shared.shutdown_requested.store(true, Ordering::SeqCst);
    Ok(())
}
