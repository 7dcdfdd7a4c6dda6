//! A JSON-RPC client for the real `podsec lsp` binary over stdio, with
//! Content-Length framing; every wait has a deadline, so a hung server
//! fails the test instead of blocking it. Included by the end-to-end tests
//! with `#[path = "support/lsp.rs"] mod lsp;`.
#![allow(dead_code)] // Each test file uses a different part.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "jsonrpc.rs"]
mod jsonrpc;
use jsonrpc::{read_frame, write_frame};

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The result an editor gives to one request of the server.
type Answer = dyn FnMut(&Value) -> Value;

pub struct Lsp {
    pub child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for something else.
    pub backlog: VecDeque<Value>,
    next_id: i64,
    stderr: Arc<Mutex<String>>,
    /// Answers the server's requests as they arrive, as an editor does
    /// (the result for a request); unset, they wait in the backlog.
    answer: Option<Box<Answer>>,
}

impl Lsp {
    /// The debug binary of this build.
    pub fn spawn() -> Lsp {
        let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
        command.arg("lsp");
        Lsp::spawn_command(command)
    }

    /// Runs `command` (the server, or a program that runs it) with its
    /// standard streams connected to this client.
    pub fn spawn_command(mut command: Command) -> Lsp {
        let mut child = command
            .env("PODSEC_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start podsec lsp");
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut pipe = child.stderr.take().unwrap();
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let stdin = child.stdin.take();
        Lsp { child, stdin, incoming, backlog: VecDeque::new(), next_id: 1, stderr, answer: None }
    }

    /// Spawns, initializes with these client capabilities and options, and
    /// sends `initialized`. Returns the `initialize` result.
    pub fn start(capabilities: Value, options: Value) -> (Lsp, Value) {
        let mut lsp = Lsp::spawn();
        let response = lsp.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": capabilities,
                "initializationOptions": options,
                "trace": "off",
            }),
        );
        let result = response.get("result").cloned().unwrap_or_else(|| panic!("initialize failed: {response}"));
        lsp.notify("initialized", json!({}));
        (lsp, result)
    }

    /// Spawns and initializes a server on the workspace folder `root`, with
    /// a client that shows progress, registers file watchers and refreshes
    /// code lenses, and answers the server's requests with `null`. Returns
    /// the `initialize` result.
    pub fn start_in(root: &std::path::Path, options: Value) -> (Lsp, Value) {
        let mut lsp = Lsp::spawn();
        lsp.answer_requests(|_| Value::Null);
        let uri = file_url(root);
        let capabilities = json!({
            "window": { "workDoneProgress": true },
            "workspace": {
                "didChangeWatchedFiles": { "dynamicRegistration": true },
                "codeLens": { "refreshSupport": true },
            },
        });
        let response = lsp.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{ "uri": uri, "name": "workspace" }],
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        let result = response.get("result").cloned().unwrap_or_else(|| panic!("initialize failed: {response}"));
        lsp.notify("initialized", json!({}));
        (lsp, result)
    }

    pub fn started() -> Lsp {
        Lsp::start(json!({}), Value::Null).0
    }

    pub fn send(&mut self, message: &Value) {
        write_frame(self.stdin.as_mut().expect("stdin open"), message).unwrap();
    }

    /// `params: null` is left out, as clients do for `shutdown` and `exit`.
    pub fn message(id: Option<i64>, method: &str, params: Value) -> Value {
        let mut message = json!({ "jsonrpc": "2.0", "method": method });
        if let Some(id) = id {
            message["id"] = json!(id);
        }
        if !params.is_null() {
            message["params"] = params;
        }
        message
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&Lsp::message(None, method, params));
    }

    /// Sends a request; returns its id without waiting.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&Lsp::message(Some(id), method, params));
        id
    }

    /// Sends a request and returns the whole response message.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    pub fn response(&mut self, id: i64) -> Value {
        self.wait_for(&format!("response {id}"), |m| m.get("method").is_none() && m["id"] == json!(id))
    }

    /// From now on, answers each request of the server with `result(request)`.
    pub fn answer_requests(&mut self, result: impl FnMut(&Value) -> Value + 'static) {
        self.answer = Some(Box::new(result));
    }

    /// The first message (from the backlog, then from the server) that
    /// matches; the others stay in the backlog in order.
    pub fn wait_for(&mut self, what: &str, mut matches: impl FnMut(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&mut matches) {
            return self.backlog.remove(i).unwrap();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) => {
                    // A request of the server is answered as it arrives (when
                    // answers are set), and still kept for a wait to find.
                    let request = message.get("method").is_some() && message.get("id").is_some();
                    let answered = request && self.answer.is_some();
                    if answered {
                        let result = (self.answer.as_mut().unwrap())(&message);
                        self.send(&json!({ "jsonrpc": "2.0", "id": message["id"], "result": result }));
                    }
                    if matches(&message) {
                        return message;
                    }
                    self.backlog.push_back(message);
                }
                Err(RecvTimeoutError::Timeout) => self.fail(&format!("timed out waiting for {what}")),
                Err(RecvTimeoutError::Disconnected) => self.fail(&format!("server closed stdout before {what}")),
            }
        }
    }

    /// The `publishDiagnostics` params for `uri` at `version` (`None`: the
    /// versionless one a close sends). Earlier publications for the URI are
    /// consumed and their versions returned too, oldest first.
    pub fn diagnostics_at(&mut self, uri: &str, version: Option<i64>) -> (Value, Vec<Option<i64>>) {
        let mut seen = Vec::new();
        loop {
            let message = self.wait_for(&format!("diagnostics of {uri} at {version:?}"), |m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            });
            let params = message["params"].clone();
            let published = params["version"].as_i64();
            if published == version {
                return (params, seen);
            }
            seen.push(published);
        }
    }

    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let (params, _) = self.diagnostics_at(uri, Some(version));
        params["diagnostics"].as_array().unwrap().clone()
    }

    pub fn open(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": version, "text": text } }),
        );
    }

    /// `shutdown`, then `exit` with stdin still open: the server must stop
    /// by itself.
    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                self.fail("server did not exit");
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Writes raw bytes, framed or not.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes the server's standard input (the end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the server's stderr (its log) contains `needle`.
    pub fn wait_for_log(&mut self, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.stderr.lock().unwrap().contains(needle) {
            if Instant::now() > deadline {
                self.fail(&format!("no log line with `{needle}`"));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        thread::sleep(Duration::from_millis(50));
        panic!("{why}\n--- server stderr ---\n{}", self.stderr.lock().unwrap());
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    read_frame(reader).map(|body| serde_json::from_slice(&body).expect("server sent invalid JSON"))
}

/// The rule codes of published diagnostics, in order.
pub fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

/// (line, character, code) of each published diagnostic, 0-based, sorted.
pub fn placed(diagnostics: &[Value]) -> Vec<(u64, u64, String)> {
    let mut out: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let start = &d["range"]["start"];
            (
                start["line"].as_u64().unwrap(),
                start["character"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn range(l1: u64, c1: u64, l2: u64, c2: u64) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

/// xorshift64*: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The `file://` URL of a path.
pub fn file_url(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
