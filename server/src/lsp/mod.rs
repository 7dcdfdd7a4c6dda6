//! `podsec lsp`: the language server on stdio. The only code that knows
//! LSP types.
//!
//! - [`server`], the handlers, analysis tasks and the diagnostics publisher
//! - [`documents`], open documents (ropes and versions)
//! - [`position`], every conversion between LSP positions and offsets
//! - [`diagnostics`], findings as LSP diagnostics
//! - [`actions`], code actions (quick fixes, moves, rewrites, fix all)
//! - [`features`], hover and completion
//! - [`inlay`], inherited securityContext values as inlay hints
//! - [`settings`], where each document's configuration comes from
//! - [`output`], the one writer of stdout
//! - [`index`], the workspace's labelled Namespaces and kustomizations
//! - [`lens`], each workload's verdict as code lenses and its command

mod actions;
mod diagnostics;
mod documents;
mod features;
#[cfg(test)]
mod incremental_tests;
mod index;
mod inlay;
mod lens;
mod position;
mod server;
mod settings;
mod output;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::Notify;
use tower_lsp::jsonrpc::Request;
use tower_lsp::{LspService, Server};

pub use position::PositionEncoding;
pub use settings::{ANALYSIS_KEYS, CLIENT_SIDE_KEYS};

use server::Backend;

/// Serves until `exit` (or the end of input). Exit code 0 when `shutdown`
/// came first, 1 otherwise, as the LSP specification asks.
pub fn serve() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Headroom for analysis of deeply nested input on blocking threads.
        .thread_stack_size(8 * 1024 * 1024)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run());
    // Stdin is read on a blocking thread that only returns at end of input:
    // do not wait for it after `exit`.
    runtime.shutdown_background();
    code
}

async fn run() -> ExitCode {
    let (stdout, output, _writer) = output::start(std::io::stdout());
    let (service, socket) = LspService::build(|client| Backend::new(client, output.clone()))
        .custom_method("$/setTrace", Backend::set_trace)
        .finish();
    let shared = service.inner().shared();
    let exit = Arc::new(Notify::new());
    let service = WatchExit { inner: service, exit: exit.clone() };
    // One message at a time: `didChange` edits apply in the order sent
    // (tower-lsp 0.20 otherwise runs up to four handlers at once, see its
    // issue 284). Handlers stay short; analysis runs on other tasks.
    let server = Server::new(tokio::io::stdin(), stdout, socket).concurrency_level(1).serve(service);
    tokio::select! {
        () = server => tracing::info!("end of input"),
        () = exit.notified() => tracing::info!("exit"),
    }
    // What is queued (the answer to `shutdown`, say) still reaches the client.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), output.flushed()).await;
    if shared.shutdown_requested.load(Ordering::SeqCst) {
        ExitCode::SUCCESS
    } else {
        tracing::warn!("stopped without a shutdown request");
        ExitCode::FAILURE
    }
}

/// Passes every message on and signals `exit`: tower-lsp 0.20 stops
/// handling messages after `exit` but keeps reading until end of input.
struct WatchExit<S> {
    inner: S,
    exit: Arc<Notify>,
}

impl<S> tower_service::Service<Request> for WatchExit<S>
where
    S: tower_service::Service<Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let is_exit = request.method() == "exit";
        let future = self.inner.call(request);
        let exit = self.exit.clone();
        Box::pin(async move {
            let response = future.await;
            if is_exit {
                exit.notify_one();
            }
            response
        })
    }
}
