//! `podsec lsp`: the language server on stdio. The only code that knows
//! LSP types.
//!
//! - [`state`], the server's state
//! - [`handlers`], the `LanguageServer` trait, one file per LSP method
//! - [`server`], what handlers set going: re-analysis, refreshes, watchers
//! - [`capabilities`], what the server offers and keeps of the client's
//! - [`scheduler`], analysis tasks, the diagnostics publisher, request work
//!   guarded against panics
//! - [`documents`], open documents (ropes and versions), cut into
//!   [`segment`]s
//! - [`position`], every conversion between LSP positions and offsets
//! - [`diagnostics`], findings as LSP diagnostics
//! - [`actions`], code actions (quick fixes, moves, rewrites, fix all)
//! - [`ide`], hover and completion: LSP shapes around `crate::ide`
//! - [`inlay`], `ide`'s inlay hints in a range, as LSP inlay hints
//! - [`settings`], where each document's configuration comes from
//! - [`index`], the workspace's labelled Namespaces and kustomizations
//! - [`helm`], a chart's files judged with the chart's values ([`chart_cache`]
//!   keeps the judgement while nothing changes)
//! - [`kustomize`], bases and patches judged in the overlays that read them
//!   ([`overlay_cache`] keeps the overlays built)
//! - [`lens`], each workload's verdict as code lenses and its command
//! - [`transport`], JSON-RPC framing, cancellation and panics around tower-lsp
//! - [`output`], the one writer of stdout

mod actions;
mod capabilities;
mod chart_cache;
mod diagnostics;
mod documents;
mod handlers;
mod helm;
mod ide;
#[cfg(test)]
mod incremental_tests;
mod index;
mod inlay;
mod kustomize;
mod lens;
mod lock;
mod output;
mod overlay_cache;
mod position;
mod scheduler;
mod segment;
mod server;
mod settings;
mod state;
mod transport;

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::AsyncRead;
use tokio::sync::Notify;
use tower_lsp::{ClientSocket, LspService, Server};

pub use position::PositionEncoding;
pub use settings::{ANALYSIS_KEYS, CLIENT_SIDE_KEYS};

use output::Output;
use state::Backend;
use transport::Frontline;

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
    let build = |output: Output| {
        LspService::build(move |client| Backend::new(client, output))
            .custom_method("$/setTrace", Backend::set_trace)
            .finish()
    };
    serve_on(tokio::io::stdin(), std::io::stdout(), build).await
}

/// Serves one client on `input` and `sink` until `exit` or the end of
/// input; `build` makes the service around the handle for typed output.
async fn serve_on(
    input: impl AsyncRead + Unpin,
    sink: impl std::io::Write + Send + 'static,
    build: impl FnOnce(Output) -> (LspService<Backend>, ClientSocket),
) -> ExitCode {
    let (server_output, output, _writer) = output::start(sink);
    let (service, socket) = build(output.clone());
    let shared = service.inner().shared();
    let exit = Arc::new(Notify::new());
    let service = Frontline::new(service, exit.clone());
    // tower-lsp reads only what the screen let through (see `transport`).
    let (screened, server_input) = tokio::io::duplex(64 * 1024);
    // One message at a time: `didChange` edits apply in the order sent
    // (tower-lsp 0.20 otherwise runs up to four handlers at once, see its
    // issue 284). Handlers stay short; analysis runs on other tasks.
    let server = Server::new(server_input, server_output, socket).concurrency_level(1).serve(service);
    let serving = async { tokio::join!(transport::screen(input, screened), server) };
    tokio::pin!(serving);
    tokio::select! {
        _ = &mut serving => tracing::info!("end of input"),
        () = exit.notified() => {
            tracing::info!("exit");
            // The answers to the messages before `exit` (`shutdown`, sent in
            // the same write) are ready but may still be on their way from
            // tower-lsp to the writer: drive it a moment longer.
            let _ = tokio::time::timeout(std::time::Duration::from_millis(50), &mut serving).await;
        }
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

    use super::*;

    /// A handler with a bug. It is registered here only: no message a
    /// client sends to the real server can reach a deliberate panic, so the
    /// safety net is proven on the real service and transport, in process.
    async fn handler_with_a_bug(_: &Backend) -> tower_lsp::jsonrpc::Result<Value> {
        let empty: Vec<u32> = Vec::new();
        Ok(json!(empty[0]))
    }

    struct ChannelSink(tokio::sync::mpsc::UnboundedSender<Vec<u8>>);

    impl std::io::Write for ChannelSink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.send(bytes.to_vec()).map_err(|_| std::io::ErrorKind::BrokenPipe)?;
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Client {
        to_server: DuplexStream,
        from_server: BufReader<DuplexStream>,
    }

    impl Client {
        async fn send(&mut self, message: Value) {
            let body = message.to_string();
            self.to_server.write_all(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await.unwrap();
        }

        /// The response to request `id`, skipping notifications.
        async fn response(&mut self, id: i64) -> Value {
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    assert_ne!(self.from_server.read_line(&mut line).await.unwrap(), 0, "the server stopped");
                    match line.trim_end().split_once(": ") {
                        Some(("Content-Length", value)) => length = value.parse().unwrap(),
                        None => break,
                        Some(_) => {}
                    }
                }
                let mut body = vec![0; length];
                self.from_server.read_exact(&mut body).await.unwrap();
                let message: Value = serde_json::from_slice(&body).unwrap();
                if message["id"] == id && message.get("method").is_none() {
                    return message;
                }
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_in_a_handler_is_an_internal_error_and_the_server_goes_on() {
        let build = |output: Output| {
            LspService::build(move |client| Backend::new(client, output))
                .custom_method("test/handlerWithABug", handler_with_a_bug)
                .finish()
        };
        let (to_server, server_input) = tokio::io::duplex(1 << 16);
        let (mut server_output, from_server) = tokio::io::duplex(1 << 16);
        // The server writes from a thread of its own, as to stdout.
        let (written, mut to_client) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            while let Some(bytes) = to_client.recv().await {
                server_output.write_all(&bytes).await.unwrap();
            }
        });
        let serving = tokio::spawn(serve_on(server_input, ChannelSink(written), build));
        let mut client = Client { to_server, from_server: BufReader::new(from_server) };

        client
            .send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } }))
            .await;
        assert!(client.response(1).await["result"].is_object());
        client.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;
        client.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "test/handlerWithABug" })).await;
        let failed = client.response(2).await;
        assert_eq!(failed["error"]["code"], -32603, "{failed}");
        assert_eq!(failed["error"]["message"], "podsec: internal error in test/handlerWithABug");

        // The server goes on: a hover on an open document is answered.
        let uri = "file:///panic/pod.yaml";
        let text = "kind: Pod\nspec:\n  securityContext:\n    fsGroup: 2000\n";
        client
            .send(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } } }))
            .await;
        client
            .send(json!({ "jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
                "textDocument": { "uri": uri }, "position": { "line": 3, "character": 6 } } }))
            .await;
        let hover = client.response(3).await;
        assert!(hover["result"]["contents"]["value"].as_str().is_some_and(|m| m.contains("fsGroup")), "{hover}");

        client.send(json!({ "jsonrpc": "2.0", "id": 4, "method": "shutdown" })).await;
        assert_eq!(client.response(4).await["result"], Value::Null);
        client.send(json!({ "jsonrpc": "2.0", "method": "exit" })).await;
        assert_eq!(serving.await.unwrap(), ExitCode::SUCCESS);
    }
}
