//! Stress: one client drives the server over stdio with 10,000 messages,
//! edits and requests mixed as an editor sends them, on a multi-document
//! manifest made of every example in `examples/`. Every request is answered
//! without error, the edits end where a fresh open of the final text does,
//! and the memory the server holds stays flat after warm-up.
//!
//! Runs the binary named by `PODSEC_RELEASE_BIN` when set (`.ci/run` builds
//! the release binary for it), else the debug binary of this build.

use crate::support;

use crate::lsp;

use std::collections::HashSet;
use std::process::Command;

use serde_json::{json, Value};

use lsp::{range, Lsp, Rng};

const MESSAGES: usize = 10_000;
/// Messages sent before the client waits for the answers to them, as an
/// editor has a few requests in flight while the user types.
const ROUND: usize = 20;
/// The first messages warm the server up (caches, thread pools, allocator).
const WARM_UP: usize = 2_000;
/// Growth of resident memory allowed after warm-up.
const RSS_GROWTH_LIMIT_KB: u64 = 20 * 1024;

/// Every example manifest, as one multi-document file, with non-ASCII
/// comments so that positions are UTF-16.
fn manifest() -> String {
    let mut files = Vec::new();
    support::yaml_files(&support::repository().join("examples"), &mut files);
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut text = String::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        text.push_str(&format!("---\n# {name} · 例 🚀\n"));
        text.push_str(&std::fs::read_to_string(file).unwrap());
    }
    text
}

fn utf16_len(text: &str) -> u64 {
    text.encode_utf16().count() as u64
}

fn utf16_col(line: &str, chars: usize) -> u64 {
    line.chars().take(chars).map(char::len_utf16).sum::<usize>() as u64
}

/// `VmRSS` or `VmHWM` (the peak) of a process, in kB.
fn memory_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

struct Memory {
    rss: u64,
    peak: u64,
}

fn memory(pid: u32) -> Memory {
    Memory { rss: memory_kb(pid, "VmRSS:"), peak: memory_kb(pid, "VmHWM:") }
}

/// The edit the client makes next: a character typed somewhere, then
/// deleted again, so that the text stays the size of the manifest.
struct Typing {
    lines: Vec<String>,
    /// The character typed last, not yet deleted: (line, char index).
    typed: Option<(usize, usize)>,
}

impl Typing {
    fn next_change(&mut self, rng: &mut Rng) -> Value {
        const PALETTE: [char; 12] = ['a', 'z', '0', '7', ' ', ':', '-', '#', '"', '[', 'é', '🚀'];
        match self.typed.take() {
            Some((line, at)) => {
                let text = &self.lines[line];
                let (start, end) = (utf16_col(text, at), utf16_col(text, at + 1));
                let mut chars: Vec<char> = text.chars().collect();
                chars.remove(at);
                self.lines[line] = chars.into_iter().collect();
                json!({ "range": range(line as u64, start, line as u64, end), "text": "" })
            }
            None => {
                let line = rng.below(self.lines.len());
                let text = &self.lines[line];
                let at = rng.below(text.chars().count() + 1);
                let column = utf16_col(text, at);
                let ch = PALETTE[rng.below(PALETTE.len())];
                let mut chars: Vec<char> = text.chars().collect();
                chars.insert(at, ch);
                self.lines[line] = chars.into_iter().collect();
                self.typed = Some((line, at));
                json!({ "range": range(line as u64, column, line as u64, column), "text": ch.to_string() })
            }
        }
    }

    fn text(&self) -> String {
        self.lines.join("\n")
    }
}

#[test]
fn ten_thousand_mixed_messages_are_all_answered_and_memory_stays_flat() {
    let (binary, kind) = match std::env::var("PODSEC_RELEASE_BIN") {
        Ok(path) if !path.is_empty() => (path, "release"),
        _ => (env!("CARGO_BIN_EXE_podsec").to_string(), "debug"),
    };
    let mut command = Command::new(&binary);
    command.arg("lsp");
    let mut lsp = Lsp::spawn_command(command);
    let pid = lsp.child.id();
    let init = lsp.request("initialize", json!({ "capabilities": {} }));
    assert!(init["result"].is_object(), "{init}");
    lsp.notify("initialized", json!({}));

    let uri = "file:///stress/platform.yaml";
    let text = manifest();
    let mut typing = Typing { lines: text.split('\n').map(str::to_string).collect(), typed: None };
    let line_count = typing.lines.len();
    lsp.open(uri, 1, &text);
    lsp.diagnostics(uri, 1);

    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut version = 1;
    let (mut edits, mut hovers, mut completions, mut actions, mut hints) = (0, 0, 0, 0, 0);
    let mut answered_with_content = 0;
    let mut warm = None;
    let mut highest_rss = 0;
    let mut sent = 0;
    while sent < MESSAGES {
        let mut pending = HashSet::new();
        for _ in 0..ROUND.min(MESSAGES - sent) {
            sent += 1;
            let line = rng.below(line_count);
            let line_text = typing.lines[line].clone();
            let indent = line_text.len() - line_text.trim_start().len();
            let id = match rng.below(100) {
                0..55 => {
                    edits += 1;
                    version += 1;
                    let change = typing.next_change(&mut rng);
                    lsp.notify(
                        "textDocument/didChange",
                        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
                    );
                    continue;
                }
                55..72 => {
                    hovers += 1;
                    let position = json!({ "line": line, "character": indent as u64 + 1 });
                    lsp.send_request(
                        "textDocument/hover",
                        json!({ "textDocument": { "uri": uri }, "position": position }),
                    )
                }
                72..88 => {
                    completions += 1;
                    let position = json!({ "line": line, "character": utf16_len(&line_text) });
                    lsp.send_request(
                        "textDocument/completion",
                        json!({ "textDocument": { "uri": uri }, "position": position }),
                    )
                }
                88..90 => {
                    // Code actions compute "fix all" for the whole file: an
                    // editor asks on cursor moves, fewer times than it types.
                    actions += 1;
                    let l = line as u64;
                    lsp.send_request(
                        "textDocument/codeAction",
                        json!({
                            "textDocument": { "uri": uri },
                            "range": range(l, 0, l, utf16_len(&line_text)),
                            "context": { "diagnostics": [] },
                        }),
                    )
                }
                _ => {
                    hints += 1;
                    let top = line.saturating_sub(30) as u64;
                    lsp.send_request(
                        "textDocument/inlayHint",
                        json!({ "textDocument": { "uri": uri }, "range": range(top, 0, top + 60, 0) }),
                    )
                }
            };
            pending.insert(id);
        }
        for id in pending {
            let answer = lsp.response(id);
            assert!(answer.get("error").is_none(), "an error after {sent} messages: {answer}");
            assert!(answer.get("result").is_some(), "{answer}");
            if !answer["result"].is_null() && answer["result"] != json!([]) {
                answered_with_content += 1;
            }
        }
        // Nothing went wrong enough to tell the user.
        let complaints: Vec<&Value> = lsp
            .backlog
            .iter()
            .filter(|m| m["method"] == "window/logMessage" && m["params"]["type"].as_i64() != Some(3))
            .collect();
        assert!(complaints.is_empty(), "{complaints:#?}");
        // Only the newest diagnostics matter.
        lsp.backlog.retain(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version);
        let now = memory(pid);
        highest_rss = highest_rss.max(now.rss);
        if sent >= WARM_UP {
            warm.get_or_insert(now);
        }
    }

    // The server's text is the client's: its final diagnostics are those of
    // a fresh open of the same text.
    let (last, _) = lsp.diagnostics_at(uri, Some(version));
    let fresh = "file:///stress/fresh.yaml";
    lsp.open(fresh, 1, &typing.text());
    let (expected, _) = lsp.diagnostics_at(fresh, Some(1));
    assert_eq!(last["diagnostics"], expected["diagnostics"]);
    assert!(!expected["diagnostics"].as_array().unwrap().is_empty(), "the examples have findings");

    let warm = warm.unwrap();
    let end = memory(pid);
    let rss_growth = end.rss.saturating_sub(warm.rss);
    let peak_growth = end.peak.saturating_sub(warm.peak);
    println!(
        "stress ({kind} binary): {MESSAGES} messages on {line_count} lines: {edits} edits, {hovers} hovers, \
         {completions} completions, {actions} code action requests, {hints} inlay hint requests; \
         {answered_with_content} answers with content"
    );
    println!(
        "stress memory: RSS {} kB after {WARM_UP} messages, {} kB at the end (highest sampled {highest_rss} kB); \
         peak {} kB after warm-up, {} kB at the end",
        warm.rss, end.rss, warm.peak, end.peak
    );
    assert!(rss_growth < RSS_GROWTH_LIMIT_KB, "RSS grew by {rss_growth} kB after warm-up");
    assert!(peak_growth < RSS_GROWTH_LIMIT_KB, "peak RSS grew by {peak_growth} kB after warm-up");
    // A mix worth the name: each kind of request, and many answers say something.
    assert!(
        [hovers, completions, hints].iter().all(|&n| n > 500) && actions > 100,
        "{hovers} {completions} {actions} {hints}"
    );
    assert!(answered_with_content > (hovers + completions + actions + hints) / 3, "{answered_with_content}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}
