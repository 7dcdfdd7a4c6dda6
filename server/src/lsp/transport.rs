//! The JSON-RPC transport around tower-lsp 0.20, for what it gets wrong:
//!
//! - one malformed message (a bad header, a body that is not JSON, JSON that
//!   is not JSON-RPC) ends tower-lsp's read loop, and with it the server.
//!   [`screen`] reads the client's frames first, passes the well-formed ones
//!   on, and has each malformed one answered with an error (-32700 parse
//!   error, -32600 invalid request), as JSON-RPC asks;
//! - with one handler at a time, tower-lsp runs a `$/cancelRequest` only
//!   after the request it cancels has finished. [`Frontline`] applies it as
//!   soon as it is read: a cancelled request still waiting is never run, and
//!   a running one is answered at once (-32800);
//! - a panic in a handler unwinds through the whole server. [`Frontline`]
//!   turns it into an internal error response (-32603) and a log line;
//! - tower-lsp leaves a request for an unknown `$/` method unanswered, and
//!   drops notifications before `initialize` and after `shutdown` without a
//!   word: [`Frontline`] answers the one and logs the others;
//! - tower-lsp handles `exit` as soon as it is read: it cancels what is
//!   still running, so a `shutdown` sent in the same write as the `exit`
//!   (Helix does this on every quit) is answered -32800 or not at all, and
//!   it keeps reading until the end of input. [`Frontline`] keeps `exit`
//!   from tower-lsp: it takes its turn after the requests before it (one
//!   message at a time) and then says that the client asked to exit.

use std::any::Any;
use std::future::{poll_fn, ready, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Notify;
use tower_lsp::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp::ExitedError;

/// The method of the stand-in request that carries a malformed message's
/// error from [`screen`] to [`Frontline`], in its place in the order.
const REJECTED: &str = "$/podsec/rejected";

/// Longer header lines are garbage (and cannot make the server buffer
/// without bound while it waits for a line break).
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// Reads LSP frames from the client and writes them to `server` (tower-lsp's
/// input) with only a `Content-Length` header. A malformed one is replaced
/// by a [`REJECTED`] request that [`Frontline`] answers with the error.
/// Returns at the end of the client's input; dropping `server` then ends
/// tower-lsp's.
pub async fn screen(client: impl AsyncRead + Unpin, mut server: impl AsyncWrite + Unpin) {
    let mut frames = FrameReader::new(client);
    loop {
        let body = match frames.next().await {
            Ok(Some(Frame::Body(body))) => match check(&body) {
                Ok(()) => body,
                Err(rejection) => rejection.into_request(),
            },
            Ok(Some(Frame::BadHeader(reason))) => {
                Rejection { code: ErrorCode::ParseError, id: Value::Null, reason }.into_request()
            }
            Ok(None) => return,
            Err(error) => {
                tracing::error!("cannot read from the client: {error}");
                return;
            }
        };
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        let written = async {
            server.write_all(header.as_bytes()).await?;
            server.write_all(&body).await?;
            server.flush().await
        };
        if written.await.is_err() {
            // The server stopped reading (after `exit`).
            return;
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    /// Header lines that are not `Name: value`, or no usable `Content-Length`.
    BadHeader(String),
}

struct FrameReader<R> {
    reader: BufReader<R>,
    /// The rest of a garbage line from where a `Content-Length` header
    /// starts: the next frame begins there.
    carry: Option<Vec<u8>>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    fn new(reader: R) -> Self {
        FrameReader { reader: BufReader::with_capacity(64 * 1024, reader), carry: None }
    }

    /// The next frame; `None` at the end of input (a frame cut short there
    /// is dropped: nobody is left to answer).
    async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        let mut length: Option<std::result::Result<usize, String>> = None;
        let mut garbage: Option<String> = None;
        let mut in_header = false;
        loop {
            let line = match self.carry.take() {
                Some(line) => line,
                None => {
                    let mut line = Vec::new();
                    if read_line(&mut self.reader, &mut line).await? == 0 {
                        return Ok(None);
                    }
                    line
                }
            };
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.is_empty() {
                if in_header {
                    break;
                }
                // Blank lines between messages.
                continue;
            }
            in_header = true;
            if let Some(at) = find_ignore_case(text, b"content-length").filter(|&at| at > 0) {
                // A frame starts inside this line: what came before it is garbage.
                self.carry = Some(line[at..].to_vec());
                let before = describe_garbage(&String::from_utf8_lossy(&text[..at]));
                return Ok(Some(Frame::BadHeader(garbage.unwrap_or(before))));
            }
            match parse_header(text) {
                Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                    if let Some(garbage) = garbage {
                        // A new frame starts on this line.
                        self.carry = Some(line);
                        return Ok(Some(Frame::BadHeader(garbage)));
                    }
                    length = Some(value.trim().parse().map_err(|_| format!("bad Content-Length `{}`", value.trim())));
                }
                Some(_) => {} // Content-Type and the like: the body is UTF-8 regardless.
                None => {
                    garbage.get_or_insert_with(|| describe_garbage(&String::from_utf8_lossy(text)));
                }
            }
        }
        if let Some(garbage) = garbage {
            return Ok(Some(Frame::BadHeader(garbage)));
        }
        match length {
            Some(Ok(length)) => {
                let mut body = Vec::new();
                (&mut self.reader).take(length as u64).read_to_end(&mut body).await?;
                Ok((body.len() == length).then_some(Frame::Body(body)))
            }
            Some(Err(reason)) => Ok(Some(Frame::BadHeader(reason))),
            None => Ok(Some(Frame::BadHeader("a header without Content-Length".to_string()))),
        }
    }
}

/// Reads up to and including `\n`, or [`MAX_HEADER_LINE`] bytes.
async fn read_line(reader: &mut (impl AsyncBufRead + Unpin), line: &mut Vec<u8>) -> std::io::Result<usize> {
    reader.take(MAX_HEADER_LINE).read_until(b'\n', line).await
}

fn parse_header(line: &[u8]) -> Option<(&str, &str)> {
    let line = std::str::from_utf8(line).ok()?;
    let (name, value) = line.split_once(':')?;
    let token = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    token.then_some((name, value))
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

fn describe_garbage(text: &str) -> String {
    let shown: String = text.chars().take(40).collect();
    let more = if shown.len() < text.len() { "..." } else { "" };
    format!("a header line that is not `Name: value`: {shown:?}{more}")
}

/// A malformed message's error, for [`Frontline`] to send.
struct Rejection {
    code: ErrorCode,
    /// The message's id when it could be read, else null.
    id: Value,
    reason: String,
}

impl Rejection {
    fn into_request(self) -> Vec<u8> {
        tracing::warn!("rejected a malformed message ({}): {}", self.code.code(), self.reason);
        let message = format!("{}: {}", self.code.description(), self.reason);
        let request = json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "method": REJECTED,
            "params": { "code": self.code.code(), "message": message },
        });
        serde_json::to_vec(&request).expect("a JSON value serializes")
    }
}

/// Whether tower-lsp will read `body` as a message: a request, a
/// notification or a response to one of the server's requests.
fn check(body: &[u8]) -> std::result::Result<(), Rejection> {
    // The common case in one parse.
    if serde_json::from_slice::<Request>(body).is_ok() || serde_json::from_slice::<Response>(body).is_ok() {
        return Ok(());
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| Rejection {
        code: ErrorCode::ParseError,
        id: Value::Null,
        reason: format!("the body is not JSON ({error})"),
    })?;
    let id = match value.get("id") {
        Some(Value::Number(n)) if n.is_i64() => Value::Number(n.clone()),
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::Null,
    };
    let shown: String = value.to_string().chars().take(80).collect();
    Err(Rejection { code: ErrorCode::InvalidRequest, id, reason: format!("not a JSON-RPC 2.0 message: {shown}") })
}

/// Wraps tower-lsp's service: answers [`REJECTED`] stand-ins, applies
/// `$/cancelRequest` at once, answers every request, catches panics, logs
/// the notifications tower-lsp drops, and signals `exit`.
pub struct Frontline<S> {
    inner: S,
    exit: Arc<Notify>,
    /// What tower-lsp's private state says, as far as logging needs it.
    phase: Arc<AtomicU8>,
}

const UNINITIALIZED: u8 = 0;
const INITIALIZED: u8 = 1;
const SHUT_DOWN: u8 = 2;

impl<S> Frontline<S> {
    /// `exit` is notified once the `exit` notification was handled.
    pub fn new(inner: S, exit: Arc<Notify>) -> Self {
        Frontline { inner, exit, phase: Arc::new(AtomicU8::new(UNINITIALIZED)) }
    }
}

type Reply = std::result::Result<Option<Response>, ExitedError>;

impl<S> tower_service::Service<Request> for Frontline<S>
where
    S: tower_service::Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = Pin<Box<dyn Future<Output = Reply> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method() == REJECTED {
            return Box::pin(ready(Ok(answer_rejection(request))));
        }
        let method = request.method().to_string();
        let id = request.id().cloned();
        if method == "exit" {
            // Its turn comes once the messages before it were answered.
            let exit = self.exit.clone();
            return Box::pin(async move {
                exit.notify_one();
                Ok(None)
            });
        }
        match (self.phase.load(Ordering::SeqCst), id.is_some(), method.as_str()) {
            (INITIALIZED, true, "shutdown") => self.phase.store(SHUT_DOWN, Ordering::SeqCst),
            // tower-lsp drops these without a word; requests get an error.
            (UNINITIALIZED, false, _) => tracing::warn!("ignored {method}: the client has not initialized the server"),
            (SHUT_DOWN, false, _) => tracing::warn!("ignored {method}: the server is shutting down"),
            _ => {}
        }
        let mut future = Box::pin(self.inner.call(request));
        if method == "$/cancelRequest" {
            // tower-lsp's handler only marks the request cancelled: it is
            // ready at once, here, while the request may still be waiting.
            let mut now = Context::from_waker(Waker::noop());
            if let Poll::Ready(reply) = future.as_mut().poll(&mut now) {
                return Box::pin(ready(reply));
            }
        }
        let phase = self.phase.clone();
        Box::pin(async move {
            let outcome = catching_panics(future).await;
            match outcome {
                Ok(Ok(Some(response))) => {
                    if method == "initialize" && response.is_ok() {
                        phase.store(INITIALIZED, Ordering::SeqCst);
                    }
                    Ok(Some(response))
                }
                // tower-lsp answers an unknown `$/` request with nothing, but
                // every request needs an answer (the LSP specification asks
                // for this error): a client would wait for it forever.
                Ok(Ok(None)) if method.starts_with("$/") => Ok(id.map(|id| {
                    let mut error = Error::method_not_found();
                    error.data = Some(Value::String(method));
                    Response::from_error(id, error)
                })),
                Ok(reply) => reply,
                Err(panic) => {
                    tracing::error!("internal error in {method}: {}", panic_message(panic.as_ref()));
                    let error = Error {
                        code: ErrorCode::InternalError,
                        message: format!("podsec: internal error in {method}").into(),
                        data: None,
                    };
                    Ok(id.map(|id| Response::from_error(id, error)))
                }
            }
        })
    }
}

/// Polls `future` to the end, or until it panics.
async fn catching_panics<F: Future>(future: F) -> std::thread::Result<F::Output> {
    let mut future = pin!(future);
    poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(poll) => poll.map(Ok),
        Err(panic) => Poll::Ready(Err(panic)),
    })
    .await
}

/// What a panic said, when it said it with a string.
pub fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("")
}

fn answer_rejection(request: Request) -> Option<Response> {
    let (_, id, params) = request.into_parts();
    let params = params.unwrap_or_default();
    let code = params["code"].as_i64().map_or(ErrorCode::InvalidRequest, ErrorCode::from);
    let message = params["message"].as_str().unwrap_or_default().to_string();
    Some(Response::from_error(id.unwrap_or(Id::Null), Error { code, message: message.into(), data: None }))
}
