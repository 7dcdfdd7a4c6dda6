//! The one writer of stdout.
//!
//! tower-lsp turns every outgoing message into a `serde_json::Value` tree
//! before writing it, which for `publishDiagnostics` of a long file costs
//! more than analysing the edit that caused it. So diagnostics are written
//! straight from their typed form, and tower-lsp writes into [`FrameSplitter`],
//! which passes on its messages whole: both streams meet in one task that
//! owns stdout and writes each message in one piece.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;
use std::sync::mpsc;

use tokio::io::AsyncWrite;
use tokio::sync::oneshot;

/// Sends complete, framed messages to the client.
#[derive(Clone)]
pub struct Output {
    frames: mpsc::Sender<Outgoing>,
}

enum Outgoing {
    Frame(Vec<u8>),
    /// Answered once everything queued before it is written.
    Flushed(oneshot::Sender<()>),
}

impl Output {
    /// Waits until everything queued so far is written (before the process
    /// exits, say).
    pub async fn flushed(&self) {
        let (done, written) = oneshot::channel();
        if self.frames.send(Outgoing::Flushed(done)).is_ok() {
            let _ = written.await;
        }
    }

    /// Sends a notification, serialized from its typed parameters.
    pub fn notify<P: Serialize>(&self, method: &str, params: &P) {
        #[derive(Serialize)]
        struct Notification<'a, P> {
            jsonrpc: &'static str,
            method: &'a str,
            params: &'a P,
        }
        match serde_json::to_vec(&Notification { jsonrpc: "2.0", method, params }) {
            Ok(body) => {
                let _ = self.frames.send(Outgoing::Frame(frame(&body)));
            }
            Err(error) => tracing::error!("cannot serialize {method}: {error}"),
        }
    }
}

impl Output {
    /// Sends a notification whose parameters are already JSON, written
    /// by `params` into the message.
    pub fn notify_with(&self, method: &str, params: impl FnOnce(&mut Vec<u8>)) {
        let method = serde_json::to_string(method).unwrap_or_default();
        let mut body = Vec::new();
        body.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
        body.extend_from_slice(method.as_bytes());
        body.extend_from_slice(br#","params":"#);
        params(&mut body);
        body.push(b'}');
        let _ = self.frames.send(Outgoing::Frame(frame(&body)));
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut message = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    message.extend_from_slice(body);
    message
}

/// Starts the writer thread on `sink`. Returns the writer to give
/// tower-lsp, the handle for typed messages, and the thread (it ends once
/// both are dropped, after writing everything sent). A thread of its own,
/// not an async task: each message then costs one hand-over and one
/// `write`, where tokio's stdout passes every write to a blocking thread.
pub fn start<W>(mut sink: W) -> (FrameSplitter, Output, std::thread::JoinHandle<()>)
where
    W: std::io::Write + Send + 'static,
{
    let (frames, queue) = mpsc::channel::<Outgoing>();
    let writer = std::thread::Builder::new()
        .name("podsec-stdout".into())
        .spawn(move || {
            let mut waiting = Vec::new();
            while let Ok(first) = queue.recv() {
                // Whatever else is ready goes out before the one flush.
                let mut next = Some(first);
                while let Some(outgoing) = next {
                    match outgoing {
                        Outgoing::Frame(bytes) => {
                            if let Err(error) = sink.write_all(&bytes) {
                                tracing::error!("cannot write to the client: {error}");
                                return;
                            }
                        }
                        Outgoing::Flushed(done) => waiting.push(done),
                    }
                    next = queue.try_recv().ok();
                }
                if let Err(error) = sink.flush() {
                    tracing::error!("cannot write to the client: {error}");
                    return;
                }
                for done in waiting.drain(..) {
                    let _ = done.send(());
                }
            }
        })
        .expect("a thread for stdout");
    (FrameSplitter { pending: Vec::new(), output: Output { frames: frames.clone() } }, Output { frames }, writer)
}

/// An `AsyncWrite` that cuts the byte stream tower-lsp writes into its
/// `Content-Length` framed messages and queues each one whole.
pub struct FrameSplitter {
    pending: Vec<u8>,
    output: Output,
}

impl FrameSplitter {
    fn queue_complete_frames(&mut self) {
        loop {
            let Some(header_end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4) else {
                return;
            };
            let length = std::str::from_utf8(&self.pending[..header_end]).ok().and_then(|header| {
                header.split("\r\n").find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
                })
            });
            let Some(length) = length else {
                // Not a frame: pass it on as it is rather than hold it forever.
                let _ = self.output.frames.send(Outgoing::Frame(std::mem::take(&mut self.pending)));
                return;
            };
            if self.pending.len() < header_end + length {
                return;
            }
            let rest = self.pending.split_off(header_end + length);
            let _ = self.output.frames.send(Outgoing::Frame(std::mem::replace(&mut self.pending, rest)));
        }
    }
}

impl AsyncWrite for FrameSplitter {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        self.pending.extend_from_slice(bytes);
        self.queue_complete_frames();
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test can read after the writer is done.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn messages_written_in_pieces_come_out_whole_and_in_order() {
        use tokio::io::AsyncWriteExt;
        let sink = Shared::default();
        let (mut splitter, output, writer) = start(sink.clone());
        let first = frame(br#"{"jsonrpc":"2.0","id":1,"result":null}"#);
        // tower-lsp may write a message in several calls.
        for piece in first.chunks(7) {
            splitter.write_all(piece).await.unwrap();
        }
        output.notify("window/logMessage", &serde_json::json!({"type": 3, "message": "é"}));
        splitter.write_all(&frame(b"{}")).await.unwrap();
        output.flushed().await;
        drop((splitter, output));
        writer.join().unwrap();
        let written = sink.0.lock().unwrap().clone();
        let expected_log =
            frame(r#"{"jsonrpc":"2.0","method":"window/logMessage","params":{"message":"é","type":3}}"#.as_bytes());
        let mut expected = first.clone();
        expected.extend_from_slice(&expected_log);
        expected.extend_from_slice(&frame(b"{}"));
        assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&expected));
    }
}
