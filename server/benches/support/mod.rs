//! What the benchmarks that drive the release binary share: timing and
//! percentiles, and a language server session over stdio.
#![allow(dead_code)] // Each benchmark uses a different part.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "../../../tests/support/jsonrpc.rs"]
mod jsonrpc;
use jsonrpc::{read_frame, write_frame};

/// Where cargo builds: the corpora and results go under it.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// `f` run once to warm up, then `runs` times; the times, sorted.
pub fn timed(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Milliseconds, two decimals.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// `name: p50 …, p90 … (n runs)` on stderr.
pub fn report(name: &str, sorted: &[Duration]) {
    eprintln!(
        "{name}: p50 {:.2} ms, p90 {:.2} ms ({} runs)",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.9)),
        sorted.len()
    );
}

/// `{"p50": …, "p90": …}` in milliseconds.
pub fn summary(sorted: &[Duration]) -> Value {
    json!({ "p50": ms(percentile(sorted, 0.5)), "p90": ms(percentile(sorted, 0.9)) })
}

/// Wall times of `podsec check --quiet --format json PATH`, `runs` runs,
/// as a user runs it (exit 0 or 1: findings are no failure).
pub fn check_times(binary: &str, path: &Path, runs: usize) -> Vec<Duration> {
    timed(runs, || {
        let status = Command::new(binary)
            .args(["check", "--quiet", "--format", "json"])
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.code().is_some_and(|c| c <= 1));
    })
}

/// `podsec lsp` started on a workspace folder, initialized.
pub struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub root_uri: String,
}

impl Server {
    pub fn start(binary: &str, root: &Path) -> Server {
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let root_uri = format!("file://{}", root.display());
        let mut server = Server { child, stdin, stdout, root_uri };
        let initialize = json!({ "rootUri": server.root_uri, "capabilities": {} });
        server.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize }));
        server.wait(|m| m["id"] == 1);
        server.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
        server
    }

    pub fn send(&mut self, message: Value) {
        write_frame(&mut self.stdin, &message).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message that `matches`; the server's own requests
    /// (progress tokens, registrations) are answered with `null` meanwhile.
    pub fn wait(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = read_frame(&mut self.stdout).expect("the server answers");
            let message: Value = serde_json::from_slice(&frame).unwrap();
            if message.get("method").is_some() && message.get("id").is_some() {
                self.send(json!({ "jsonrpc": "2.0", "id": message["id"], "result": null }));
            }
            if matches(&message) {
                return message;
            }
        }
    }

    /// Opens the file at `relative` (to the workspace folder) with its text
    /// on disk; returns its URI and text.
    pub fn open(&mut self, root: &Path, relative: &str) -> (String, String) {
        let uri = format!("{}/{relative}", self.root_uri);
        let text = std::fs::read_to_string(root.join(relative)).unwrap();
        self.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text } } }));
        (uri, text)
    }

    /// Replaces `old` at `line`:`character` with `new` in version `version` of `uri`.
    pub fn change(&mut self, uri: &str, version: i64, (line, character): (u64, u64), old: &str, new: &str) {
        let end = character + old.len() as u64;
        self.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "range": {
                "start": { "line": line, "character": character },
                "end": { "line": line, "character": end } }, "text": new }] } }));
    }

    pub fn shutdown(mut self) {
        self.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }));
        self.wait(|m| m["id"] == 2);
        self.send(json!({ "jsonrpc": "2.0", "method": "exit" }));
        let _ = self.child.wait();
    }
}
