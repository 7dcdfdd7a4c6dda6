//! The language server as an editor sees it: a stdio JSON-RPC client drives
//! the release `podsec lsp` (or any other server, for the comparison) and
//! timestamps messages. Per corpus file, in a fresh server: didOpen -> first
//! publishDiagnostics; hover and completion at securityContext keys spread
//! through the file; incremental edits spread through the file, each
//! waiting for the diagnostics of its version; the server's peak RSS.
//! Then `podsec check` on a directory of 2,000 manifests.
//!
//! `cargo bench --bench lsp [-- OPTIONS]`; `--help` lists the options.
//! Prints a table and writes the figures as JSON (default
//! `target/bench-results/lsp-<server-name>.json`).

#[path = "corpus.rs"]
mod corpus;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use corpus::Corpus;

// The JSON-RPC framing of the test client, shared.
#[path = "../../tests/support/jsonrpc.rs"]
mod jsonrpc;
use jsonrpc::{read_frame, write_frame};
use serde_json::{json, Value};

const HELP: &str = "\
cargo bench --bench lsp [-- OPTIONS]

  --server 'CMD ARG...'   the server command line, split at spaces
                          (default: the release podsec, `podsec lsp`)
  --server-name NAME      its name in the output (default: podsec)
  --settings JSON         settings sent as initializationOptions, in
                          workspace/didChangeConfiguration and as the answer
                          to workspace/configuration (by section)
  --corpus LIST           comma-separated: pod,10k,2mb (default: all three)
  --edits N               edits per file (default 1000)
  --requests N            hover and completion requests per file (default 500)
  --files N               manifests in the `podsec check` directory (default 2000)
  --no-check              skip `podsec check` on the directory
  --corpus-only           write the corpus files and stop
  --timeout SECONDS       give up waiting for one answer after this (default 60)
  --out FILE              the JSON result (default target/bench-results/lsp-NAME.json)
";

struct Options {
    server: Vec<String>,
    server_name: String,
    settings: Value,
    corpora: Vec<String>,
    edits: usize,
    requests: usize,
    files: usize,
    check: bool,
    corpus_only: bool,
    timeout: Duration,
    out: Option<PathBuf>,
}

fn options() -> Options {
    let mut o = Options {
        server: vec![env!("CARGO_BIN_EXE_podsec").to_string(), "lsp".to_string()],
        server_name: "podsec".to_string(),
        settings: Value::Null,
        corpora: vec!["pod".into(), "10k".into(), "2mb".into()],
        edits: 1000,
        requests: 500,
        files: 2000,
        check: true,
        corpus_only: false,
        timeout: Duration::from_secs(60),
        out: None,
    };
    let mut args = std::env::args().skip(1);
    let mut custom_server = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--bench" => {} // cargo bench passes it
            "--server" => {
                o.server = value().split_whitespace().map(str::to_string).collect();
                custom_server = true;
            }
            "--server-name" => o.server_name = value(),
            "--settings" => {
                o.settings = serde_json::from_str(&value()).unwrap_or_else(|e| usage(&format!("--settings: {e}")))
            }
            "--corpus" => o.corpora = value().split(',').map(str::to_string).collect(),
            "--edits" => o.edits = number(&value()),
            "--requests" => o.requests = number(&value()),
            "--files" => o.files = number(&value()),
            "--no-check" => o.check = false,
            "--corpus-only" => o.corpus_only = true,
            "--timeout" => o.timeout = Duration::from_secs(number(&value()) as u64),
            "--out" => o.out = Some(PathBuf::from(value())),
            "--help" | "-h" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            other => usage(&format!("unknown option {other}")),
        }
    }
    if o.server.is_empty() {
        usage("--server is empty");
    }
    // `podsec check` belongs with the podsec server's figures only.
    if custom_server && o.server_name != "podsec" {
        o.check = false;
    }
    o
}

fn number(text: &str) -> usize {
    text.parse().unwrap_or_else(|_| usage(&format!("not a number: {text}")))
}

fn usage(problem: &str) -> ! {
    eprint!("lsp bench: {problem}\n\n{HELP}");
    std::process::exit(2);
}

/// `target/`: the bench runs as `target/release/deps/lsp-HASH`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.ancestors().nth(3).expect("target/release/deps/lsp-*").to_path_buf()
}

fn main() {
    let options = options();
    let target = target_dir();
    let corpus_dir = target.join("bench-corpus");
    // The files in a folder of their own: it is the server's workspace
    // folder, which a server may index, and the manifest directory is not
    // part of that workspace.
    let files_dir = corpus_dir.join("files");
    std::fs::create_dir_all(&files_dir).expect("create target/bench-corpus/files");
    let machine = machine();
    println!("machine: {}", machine_line(&machine));

    let mut corpora = Vec::new();
    for name in &options.corpora {
        let corpus = match name.as_str() {
            "pod" => corpus::single_pod(),
            "10k" => corpus::ten_thousand_lines(),
            "2mb" => corpus::two_megabytes(),
            other => usage(&format!("unknown corpus {other}")),
        };
        let path = files_dir.join(format!("{name}.yaml"));
        std::fs::write(&path, &corpus.text).expect("write the corpus");
        corpora.push((corpus, path));
    }
    let directory = corpus_dir.join("manifests");
    let directory_bytes = corpus::write_directory(&directory, options.files).expect("write the manifest directory");
    println!("corpus: {} ({} files, {:.1} MB)", directory.display(), options.files, directory_bytes as f64 / 1e6);
    if options.corpus_only {
        return;
    }

    println!("server: {} ({})", options.server_name, options.server.join(" "));
    let mut results = Vec::new();
    for (corpus, path) in &corpora {
        let result = run_file(&options, corpus, path);
        print_file(&result);
        results.push(result);
    }
    // The edit cost should not grow with the file.
    let edit_p50 = |name: &str| results.iter().find(|r| r["file"] == name)?["edit"]["p50_ms"].as_f64();
    let pod = corpus::SINGLE_POD;
    for file in [corpus::TEN_THOUSAND_LINES, corpus::TWO_MEGABYTES] {
        if let (Some(small), Some(large)) = (edit_p50(pod), edit_p50(file)) {
            println!("edit -> diagnostics p50, {file} / {pod}: {:.1}", large / small);
        }
    }
    let check = options.check.then(|| run_check(&directory, options.files, directory_bytes, &machine));

    let report = json!({
        "server": options.server_name,
        "command": options.server,
        "machine": machine,
        "files": results,
        "check": check,
    });
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| target.join("bench-results").join(format!("lsp-{}.json", options.server_name)));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).expect("create the results folder");
    }
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).expect("write the results");
    println!("results: {}", out.display());
}

// ---------------------------------------------------------------------------
// One file in a fresh server.

fn run_file(options: &Options, corpus: &Corpus, path: &Path) -> Value {
    let uri = file_uri(path);
    let folder = file_uri(path.parent().unwrap());
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let stderr_log = path.with_file_name(format!("{}-{stem}.stderr.log", options.server_name));
    let mut server = Server::spawn(options, &stderr_log);
    let pid = server.child.id();
    let mut failures = Vec::new();

    let initialize = server.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": folder,
            "workspaceFolders": [{ "uri": folder, "name": "bench-corpus" }],
            "initializationOptions": options.settings,
            "capabilities": {
                "workspace": { "configuration": true, "didChangeConfiguration": { "dynamicRegistration": true } },
                "textDocument": {
                    "synchronization": { "dynamicRegistration": true },
                    "publishDiagnostics": { "versionSupport": true },
                    "hover": { "contentFormat": ["markdown", "plaintext"] },
                    "completion": { "completionItem": { "snippetSupport": true } },
                },
            },
        }),
    );
    if let Err(error) = initialize {
        panic!("{}: initialize failed: {error} (server stderr in {})", options.server_name, stderr_log.display());
    }
    server.notify("initialized", json!({}));
    if !options.settings.is_null() {
        server.notify("workspace/didChangeConfiguration", json!({ "settings": options.settings }));
    }

    // didOpen -> the first diagnostics.
    let mut version = 1;
    let sent = server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": version, "text": corpus.text } }),
    );
    let (first_ms, first_count, sample) = match server.diagnostics(&uri, version) {
        Ok((at, diagnostics)) => (Some(ms(at - sent)), Some(diagnostics.len()), sample_messages(&diagnostics)),
        Err(error) => {
            failures.push(format!("first diagnostics: {error}"));
            (None, None, Vec::new())
        }
    };

    // Hover and completion on the text as opened.
    let mut hover = Latencies::default();
    for position in spread(&corpus.hover_sites, options.requests) {
        let params = json!({ "textDocument": { "uri": uri }, "position": lsp_position(position) });
        match server.timed_request("textDocument/hover", params) {
            Ok((elapsed, result)) => hover.add(elapsed, !result.is_null()),
            Err(error) => {
                failures.push(format!("hover: {error}"));
                break;
            }
        }
    }
    let mut completion = Latencies::default();
    for position in spread(&corpus.completion_sites, options.requests) {
        let params = json!({
            "textDocument": { "uri": uri },
            "position": lsp_position(position),
            "context": { "triggerKind": 1 },
        });
        match server.timed_request("textDocument/completion", params) {
            Ok((elapsed, result)) => {
                let items = result.get("items").unwrap_or(&result);
                completion.add(elapsed, items.as_array().is_some_and(|a| !a.is_empty()))
            }
            Err(error) => {
                failures.push(format!("completion: {error}"));
                break;
            }
        }
    }

    // Edits, each waiting for the diagnostics of its version.
    let mut edits = Latencies::default();
    let mut last_count = None;
    // A server that does not version its diagnostics could answer the
    // first edit with the late diagnostics of didOpen: no edits then.
    let script = if first_ms.is_some() {
        edit_script(&corpus.text, &corpus.edit_sites, options.edits)
    } else {
        failures.push("edits skipped: no first diagnostics".to_string());
        Vec::new()
    };
    for change in script {
        version += 1;
        let sent = server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        );
        match server.diagnostics(&uri, version) {
            Ok((at, diagnostics)) => {
                edits.add(at - sent, true);
                last_count = Some(diagnostics.len());
            }
            Err(error) => {
                failures.push(format!("edit {}: {error}", version - 1));
                break;
            }
        }
    }

    let peak_rss = peak_rss_bytes(pid);
    server.stop();
    json!({
        "file": corpus.name,
        "bytes": corpus.text.len(),
        "lines": corpus.lines(),
        "documents": corpus.documents,
        "workloads": corpus.workloads,
        "first_diagnostics_ms": first_ms,
        "first_diagnostics_count": first_count,
        "first_diagnostics_sample": sample,
        "diagnostics_after_edits": last_count,
        "edit": edits.summary(),
        "hover": hover.summary(),
        "completion": completion.summary(),
        "peak_rss_mb": peak_rss.map(|b| b as f64 / 1048576.0),
        "failures": failures,
    })
}

/// `count` items of `sites`, evenly spread through them (cycling when there
/// are fewer sites than requests).
fn spread<T: Copy>(sites: &[T], count: usize) -> Vec<T> {
    if sites.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|i| if sites.len() >= count { sites[i * sites.len() / count] } else { sites[i % sites.len()] })
        .collect()
}

/// Edits in pairs at a `runAsUser` value, which leave the text as it was:
/// change the last digit and change it back, or type a digit at the end
/// and delete it. The pairs visit values spread through the file.
fn edit_script(text: &str, sites: &[corpus::Value], count: usize) -> Vec<Value> {
    let mut script = Vec::with_capacity(count);
    for (visit, site) in spread(sites, count.div_ceil(2)).into_iter().enumerate() {
        let line = site.start.line;
        let end = site.start.column + site.len as u32;
        let at = |from: u32, to: u32| json!({ "start": { "line": line, "character": from }, "end": { "line": line, "character": to } });
        if visit % 2 == 0 {
            let last = site.start.offset + site.len - 1;
            let digit = &text[last..last + 1];
            let other = if digit == "9" { "8" } else { "9" };
            script.push(json!({ "range": at(end - 1, end), "text": other }));
            script.push(json!({ "range": at(end - 1, end), "text": digit }));
        } else {
            script.push(json!({ "range": at(end, end), "text": "7" }));
            script.push(json!({ "range": at(end, end + 1), "text": "" }));
        }
    }
    script.truncate(count);
    script
}

/// A few distinct diagnostic messages, to show what a server reports.
fn sample_messages(diagnostics: &[Value]) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    for message in diagnostics.iter().filter_map(|d| d["message"].as_str()) {
        let line = message.lines().next().unwrap_or_default().chars().take(160).collect::<String>();
        if messages.len() < 5 && !messages.contains(&line) {
            messages.push(line);
        }
    }
    messages
}

fn lsp_position(position: corpus::Position) -> Value {
    json!({ "line": position.line, "character": position.column })
}

fn file_uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[derive(Default)]
struct Latencies {
    samples: Vec<Duration>,
    answered: usize,
}

impl Latencies {
    fn add(&mut self, elapsed: Duration, answered: bool) {
        self.samples.push(elapsed);
        self.answered += answered as usize;
    }

    /// Nearest-rank percentile.
    fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
        let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
        sorted.get(rank - 1).map(|d| ms(*d))
    }

    fn summary(&self) -> Value {
        let mut sorted = self.samples.clone();
        sorted.sort();
        json!({
            "count": sorted.len(),
            "answered": self.answered,
            "p50_ms": Latencies::percentile(&sorted, 50.0),
            "p99_ms": Latencies::percentile(&sorted, 99.0),
            "max_ms": sorted.last().map(|d| ms(*d)),
        })
    }
}

fn print_file(result: &Value) {
    let f = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.2}"));
    let lat = |v: &Value| {
        format!("p50 {} ms, p99 {} ms ({} of {} answered)", f(&v["p50_ms"]), f(&v["p99_ms"]), v["answered"], v["count"])
    };
    println!(
        "\n{} ({} bytes, {} lines, {} documents)",
        result["file"].as_str().unwrap_or_default(),
        result["bytes"],
        result["lines"],
        result["documents"]
    );
    println!(
        "  didOpen -> first diagnostics  {} ms ({} diagnostics)",
        f(&result["first_diagnostics_ms"]),
        result["first_diagnostics_count"]
    );
    println!("  edit -> diagnostics           {}", lat(&result["edit"]));
    println!("  hover                         {}", lat(&result["hover"]));
    println!("  completion                    {}", lat(&result["completion"]));
    println!("  peak RSS                      {} MB", f(&result["peak_rss_mb"]));
    for failure in result["failures"].as_array().into_iter().flatten() {
        println!("  FAILED: {}", failure.as_str().unwrap_or_default());
    }
}

// ---------------------------------------------------------------------------
// `podsec check` on the directory.

fn run_check(directory: &Path, files: usize, bytes: u64, machine: &Value) -> Value {
    let podsec = env!("CARGO_BIN_EXE_podsec");
    let run = || {
        let cpu_before = children_cpu_seconds();
        let started = Instant::now();
        let status = Command::new(podsec)
            .args(["check", "--quiet", "--format", "json"])
            .arg(directory)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run podsec check");
        let wall = started.elapsed();
        // Exit 1: some findings are errors, as the corpus means them to be.
        assert!(matches!(status.code(), Some(0 | 1)), "podsec check failed: {status}");
        (wall, children_cpu_seconds() - cpu_before)
    };
    let output = Command::new(podsec)
        .args(["check", "--quiet", "--format", "json"])
        .arg(directory)
        .output()
        .expect("run podsec check");
    let findings = serde_json::from_slice::<Value>(&output.stdout)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len))
        .expect("podsec check --format json prints an array");
    let runs = 5;
    let mut samples: Vec<(Duration, f64)> = (0..runs).map(|_| run()).collect();
    samples.sort_by_key(|&(wall, _)| wall);
    let (wall, cpu) = samples[runs / 2];
    let megabytes = bytes as f64 / 1e6;
    let cores = machine["cpus"].as_u64().unwrap_or(1) as f64;
    let result = json!({
        "files": files,
        "bytes": bytes,
        "findings": findings,
        "runs": runs,
        "wall_ms": ms(wall),
        "cpu_ms": cpu * 1000.0,
        "mb_per_s": megabytes / wall.as_secs_f64(),
        "mb_per_s_per_core_wall": megabytes / wall.as_secs_f64() / cores,
        "mb_per_cpu_second": if cpu > 0.0 { Some(megabytes / cpu) } else { None },
    });
    println!(
        "\npodsec check on {files} files ({megabytes:.1} MB, {findings} findings), median of {runs}: {:.0} ms wall, {:.0} ms CPU; {:.1} MB/s, {:.1} MB/s per core ({} cores), {} MB per CPU-second",
        ms(wall),
        cpu * 1000.0,
        result["mb_per_s"].as_f64().unwrap(),
        result["mb_per_s_per_core_wall"].as_f64().unwrap(),
        cores,
        result["mb_per_cpu_second"].as_f64().map_or("-".into(), |x| format!("{x:.1}")),
    );
    result
}

/// User and system time of the waited-for children of this process
/// (`cutime` and `cstime` of /proc/self/stat), in seconds.
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    // cutime and cstime are fields 16 and 17 of the whole line; `fields`
    // starts at field 3.
    let ticks: f64 = [13, 14].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
    ticks / clock_ticks_per_second()
}

/// `getconf CLK_TCK`; 100 on Linux unless told otherwise.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

// ---------------------------------------------------------------------------
// The machine and the server's memory.

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next()?.parse::<u64>().ok());
    json!({
        "cpus": thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "cpu": model,
        "memory_gb": memory_kb.map(|kb| (kb as f64 / 1048576.0 * 10.0).round() / 10.0),
        "os": std::env::consts::OS,
    })
}

fn machine_line(machine: &Value) -> String {
    format!(
        "{} cores, {}, {} GB RAM",
        machine["cpus"],
        machine["cpu"].as_str().unwrap_or("unknown CPU"),
        machine["memory_gb"]
    )
}

/// The high-water mark of resident memory (VmHWM) of the server and its
/// descendants, summed.
fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let mut total = 0;
    let mut pending = vec![pid];
    let mut found = false;
    while let Some(pid) = pending.pop() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|r| r.split_whitespace().next()?.parse::<u64>().ok())
            {
                total += kb * 1024;
                found = true;
            }
        }
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten();
        for task in tasks {
            let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            pending.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    found.then_some(total)
}

// ---------------------------------------------------------------------------
// The JSON-RPC client.

/// A message and when its last byte was read (before JSON parsing).
type Timed = (Instant, Value);

struct Server {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    incoming: Receiver<Timed>,
    backlog: VecDeque<Timed>,
    next_id: i64,
    timeout: Duration,
}

impl Server {
    fn spawn(options: &Options, stderr_log: &Path) -> Server {
        let stderr = std::fs::File::create(stderr_log).expect("create the server's stderr log");
        let mut child = Command::new(&options.server[0])
            .args(&options.server[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", options.server.join(" ")));
        let stdin = Arc::new(Mutex::new(child.stdin.take().unwrap()));
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = mpsc::channel();
        let replies = stdin.clone();
        let settings = options.settings.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some((at, message)) = read_message(&mut reader) {
                // Requests from the server are answered here, at once, so
                // that a server waiting for its answer is not held up.
                if message.get("id").is_some() && message.get("method").is_some() {
                    let result = answer(&message, &settings);
                    let reply = json!({ "jsonrpc": "2.0", "id": message["id"], "result": result });
                    write_message(&mut replies.lock().unwrap(), &reply);
                    continue;
                }
                if tx.send((at, message)).is_err() {
                    break;
                }
            }
        });
        Server { child, stdin, incoming, backlog: VecDeque::new(), next_id: 1, timeout: options.timeout }
    }

    /// Sends a message; returns when it started to go out.
    fn send(&mut self, message: &Value) -> Instant {
        let mut stdin = self.stdin.lock().unwrap();
        let at = Instant::now();
        write_message(&mut stdin, message);
        at
    }

    fn notify(&mut self, method: &str, params: Value) -> Instant {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
    }

    /// Sends a request; returns how long the response took and its result.
    fn timed_request(&mut self, method: &str, params: Value) -> Result<(Duration, Value), String> {
        let id = self.next_id;
        self.next_id += 1;
        let sent = self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let (at, response) =
            self.wait_for(&format!("the response to {method}"), |m| m.get("method").is_none() && m["id"] == json!(id))?;
        if let Some(error) = response.get("error") {
            return Err(format!("{method} failed: {error}"));
        }
        Ok((at - sent, response.get("result").cloned().unwrap_or(Value::Null)))
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.timed_request(method, params).map(|(_, result)| result)
    }

    /// Waits for the diagnostics of `uri` at `version`; a server that does
    /// not say the version (yaml-language-server) is taken at its next
    /// publication for the URI. Returns when it arrived and the
    /// diagnostics.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Result<(Instant, Vec<Value>), String> {
        loop {
            let (at, message) = self.wait_for(&format!("diagnostics of version {version}"), |m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            })?;
            let published = &message["params"]["version"];
            if published.is_null() || published.as_i64() == Some(version) {
                return Ok((at, message["params"]["diagnostics"].as_array().cloned().unwrap_or_default()));
            }
        }
    }

    /// The first message (from the backlog, then from the server) that
    /// matches; messages that do not match are kept only if they might be
    /// asked for later (responses), the rest is dropped.
    fn wait_for(&mut self, what: &str, mut matches: impl FnMut(&Value) -> bool) -> Result<Timed, String> {
        if let Some(i) = self.backlog.iter().position(|(_, m)| matches(m)) {
            return Ok(self.backlog.remove(i).unwrap());
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok((at, message)) if matches(&message) => return Ok((at, message)),
                Ok((at, message)) => {
                    if message.get("method").is_none() {
                        self.backlog.push_back((at, message));
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Err(format!("timed out waiting for {what}")),
                Err(RecvTimeoutError::Disconnected) => return Err(format!("the server closed stdout before {what}")),
            }
        }
    }

    /// `shutdown` and `exit`; a server still running a few seconds later
    /// is killed.
    fn stop(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.send(&json!({ "jsonrpc": "2.0", "method": "exit" }));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The answer to a request from the server: the settings section asked for
/// in `workspace/configuration`, null for anything else (registrations,
/// progress tokens).
fn answer(request: &Value, settings: &Value) -> Value {
    if request["method"] == "workspace/configuration" {
        let items = request["params"]["items"].as_array().cloned().unwrap_or_default();
        return Value::Array(
            items
                .iter()
                .map(|item| match item["section"].as_str() {
                    Some(section) => section.split('.').fold(settings, |v, key| &v[key]).clone(),
                    None => settings.clone(),
                })
                .collect(),
        );
    }
    Value::Null
}

fn write_message(stdin: &mut ChildStdin, message: &Value) {
    // A server that died is noticed by the reader; ignore the broken pipe.
    let _ = write_frame(stdin, message);
}

fn read_message(reader: &mut impl BufRead) -> Option<Timed> {
    let body = read_frame(reader)?;
    let at = Instant::now();
    Some((at, serde_json::from_slice(&body).ok()?))
}
