//! Security over stdio: the server never opens a network connection, never
//! runs a program, writes no file, and reads files only to look up
//! settings inside the workspace; the lookup stops at the workspace root.

use crate::lsp;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use lsp::{codes, range, Lsp};

const PRIVILEGED_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: tools
spec:
  containers:
    - name: tools
      image: ghcr.io/example/tools:1.0.0
      securityContext:
        privileged: true
";

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A workspace folder `ws` inside a temporary folder; the temporary folder
/// (above the workspace root) holds a `.podsec.yaml` that turns every check
/// off, and `ws/team` one that selects the baseline profile.
struct Tree {
    _dir: tempfile::TempDir,
    outside_settings: PathBuf,
    root: PathBuf,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    // Resolved, as the server sees paths in URIs.
    let top = dir.path().canonicalize().unwrap();
    let root = top.join("ws");
    std::fs::create_dir_all(root.join("apps")).unwrap();
    std::fs::create_dir_all(root.join("team")).unwrap();
    let outside_settings = top.join(".podsec.yaml");
    std::fs::write(&outside_settings, "profile: privileged\nbestPractices: false\n").unwrap();
    std::fs::write(root.join("team/.podsec.yaml"), "profile: baseline\nbestPractices: false\n").unwrap();
    // An overlay whose resources reach above the workspace root: the
    // server builds it from what is inside only.
    std::fs::create_dir_all(top.join("shared-base")).unwrap();
    std::fs::write(top.join("shared-base/kustomization.yaml"), "resources: [pod.yaml]\n").unwrap();
    std::fs::write(top.join("shared-base/pod.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::create_dir_all(root.join("overlay")).unwrap();
    std::fs::write(root.join("overlay/kustomization.yaml"), "resources:\n  - ../../shared-base\n  - pod.yaml\n")
        .unwrap();
    std::fs::write(root.join("overlay/pod.yaml"), PRIVILEGED_POD).unwrap();
    Tree { _dir: dir, outside_settings, root }
}

fn initialize_in(lsp: &mut Lsp, root: &Path) {
    let folder = json!([{ "uri": file_uri(root), "name": "ws" }]);
    let init = lsp.request("initialize", json!({ "capabilities": {}, "workspaceFolders": folder }));
    assert!(init["result"].is_object(), "{init}");
    lsp.notify("initialized", json!({}));
}

#[test]
fn a_settings_file_above_the_workspace_root_is_not_applied() {
    let tree = tree();
    let mut lsp = Lsp::spawn();
    initialize_in(&mut lsp, &tree.root);
    // Under `apps`, the nearest settings file is the one above the root: not
    // read, so the defaults (restricted, best practices on) apply.
    let apps = file_uri(&tree.root.join("apps/pod.yaml"));
    lsp.open(&apps, 1, PRIVILEGED_POD);
    let findings = lsp.diagnostics(&apps, 1);
    assert!(codes(&findings).contains(&"pss/privileged"), "{findings:#?}");
    assert!(codes(&findings).contains(&"pss/runAsNonRoot"), "restricted: {findings:#?}");
    assert!(codes(&findings).contains(&"read-only-root-filesystem"), "best practices: {findings:#?}");
    // Under `team`, its own settings file applies.
    let team = file_uri(&tree.root.join("team/pod.yaml"));
    lsp.open(&team, 1, PRIVILEGED_POD);
    assert_eq!(codes(&lsp.diagnostics(&team, 1)), ["pss/privileged"]);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
    assert!(tree.outside_settings.exists());
}

/// `strace` is installed and may trace here, or why not.
fn strace() -> Result<(), String> {
    match Command::new("strace").args(["-f", "-qq", "-o", "/dev/null", "true"]).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("strace cannot trace here ({status})")),
        Err(error) => Err(format!("strace is not installed ({error})")),
    }
}

/// One system call from an `strace -f` log line (`PID name(args) = result`).
struct Call {
    name: String,
    line: String,
}

impl Call {
    fn parse(line: &str) -> Option<Call> {
        let rest = line.split_once(' ')?.1.trim_start();
        if rest.starts_with("<...") {
            return None; // The end of a call already seen.
        }
        let name = rest.split('(').next()?.to_string();
        Some(Call { name, line: line.to_string() })
    }

    /// The first quoted argument: the path of a file system call (empty
    /// for a call on a descriptor, opened and checked before).
    fn path(&self) -> Option<&str> {
        let start = self.line.find('"')? + 1;
        let end = start + self.line[start..].find('"')?;
        Some(&self.line[start..end]).filter(|path| !path.is_empty())
    }
}

/// What every program reads at start: the dynamic loader's files, the
/// runtime's look at the CPUs and cgroups it may use, and the allocator's
/// at the kernel's memory settings and NUMA nodes.
fn is_startup_read(path: &str) -> bool {
    [
        "/etc/ld.so",
        "/lib",
        "/usr/lib",
        "/proc/self/",
        "/proc/thread-self/",
        "/sys/fs/cgroup/",
        "/sys/devices/system/cpu",
        "/proc/sys/vm/overcommit_memory",
        "/sys/kernel/mm/transparent_hugepage/",
        "/sys/devices/system/node/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

#[test]
#[ignore = "needs strace, allowed to trace (.ci/run installs it)"]
fn a_whole_session_opens_no_connection_runs_no_program_and_reads_only_workspace_settings() {
    strace().expect("strace runs and may trace here");
    let tree = tree();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new("strace");
    // cargo's library path would have the loader search the build folders;
    // the server needs only the system's libraries.
    command.env_remove("LD_LIBRARY_PATH");
    command
        .args(["-f", "-qq", "-e", "signal=none", "-s", "4096", "-o"])
        .arg(log.path())
        .args(["-e", "trace=%network,%file,execve,execveat,fork,vfork"])
        .arg(env!("CARGO_BIN_EXE_podsec"))
        .arg("lsp");
    let mut lsp = Lsp::spawn_command(command);
    initialize_in(&mut lsp, &tree.root);
    // The workspace scanned first: what it finds re-publishes every open file.
    lsp.wait_for("the end of the workspace scan", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"].as_str().is_some_and(|t| t.starts_with("podsec: indexed"))
    });

    // Open, edit, hover, complete, ask for code actions and inlay hints, in
    // a folder with a settings file, and edit that settings file.
    let manifest = tree.root.join("team/pod.yaml");
    let uri = file_uri(&manifest);
    lsp.open(&uri, 1, PRIVILEGED_POD);
    assert_eq!(codes(&lsp.diagnostics(&uri, 1)), ["pss/privileged"], "the settings file applies");
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [
            { "range": range(9, 20, 9, 24), "text": "false" },
        ] }),
    );
    assert_eq!(codes(&lsp.diagnostics(&uri, 2)), Vec::<&str>::new());
    let at = |line: u64, character: u64| json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
    let hover = lsp.request("textDocument/hover", at(9, 10));
    assert!(hover["result"]["contents"]["value"].as_str().is_some_and(|m| m.contains("privileged")), "{hover}");
    let completion = lsp.request("textDocument/completion", at(9, 8));
    assert!(completion["result"].is_array(), "{completion}");
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(0, 0, 10, 0), "context": { "diagnostics": [] } }),
    );
    assert!(actions["result"].is_array(), "{actions}");
    let hints =
        lsp.request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": range(0, 0, 10, 0) }));
    assert!(hints.get("error").is_none(), "{hints}");
    let settings = file_uri(&tree.root.join("team/.podsec.yaml"));
    lsp.open(&settings, 1, "profile: restricted\n");
    assert_eq!(lsp.diagnostics(&settings, 1), Vec::<Value>::new());
    assert!(!lsp.diagnostics(&uri, 2).is_empty(), "the open settings file applies");
    lsp.notify("textDocument/didSave", json!({ "textDocument": { "uri": settings } }));
    lsp.notify("textDocument/didClose", json!({ "textDocument": { "uri": settings } }));
    // Under `apps` the lookup climbs to the workspace root, and no further.
    let apps = file_uri(&tree.root.join("apps/pod.yaml"));
    lsp.open(&apps, 1, PRIVILEGED_POD);
    assert!(codes(&lsp.diagnostics(&apps, 1)).contains(&"pss/runAsNonRoot"));
    // A resource of an overlay: built without its base above the
    // workspace root.
    let overlay_pod = file_uri(&tree.root.join("overlay/pod.yaml"));
    lsp.open(&overlay_pod, 1, PRIVILEGED_POD);
    assert!(codes(&lsp.diagnostics(&overlay_pod, 1)).contains(&"pss/privileged"));
    let hover = lsp.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": overlay_pod }, "position": { "line": 9, "character": 10 } }),
    );
    let hover = hover["result"]["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(hover.contains("**In overlays:**\n\n- overlay keeps `privileged: true`"), "{hover}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));

    let trace = std::fs::read_to_string(log.path()).unwrap();
    let calls: Vec<Call> = trace.lines().filter_map(Call::parse).collect();
    assert!(calls.len() > 10, "{trace}");
    let network: Vec<&str> = calls
        .iter()
        .filter(|c| {
            c.name.contains("sock")
                || ["connect", "bind", "listen", "accept", "accept4"].contains(&c.name.as_str())
                || c.name.starts_with("send")
                || c.name.starts_with("recv")
        })
        .map(|c| c.line.as_str())
        .collect();
    assert!(network.is_empty(), "network calls: {network:#?}");
    let programs: Vec<&str> = calls
        .iter()
        .filter(|c| c.name.starts_with("exec") || c.name.ends_with("fork"))
        .map(|c| c.line.as_str())
        .collect();
    assert_eq!(programs.len(), 1, "only the server's own start: {programs:#?}");
    assert!(programs[0].contains(env!("CARGO_BIN_EXE_podsec")), "{programs:#?}");

    let outside = tree.outside_settings.to_str().unwrap();
    assert!(!trace.contains(outside), "the settings file above the workspace was looked at:\n{trace}");
    assert!(!trace.contains("shared-base"), "the base above the workspace was looked at:\n{trace}");
    let mut settings_read = 0;
    let mut elsewhere = Vec::new();
    for call in &calls {
        // Asking for the working directory reads no file.
        if call.name == "getcwd" {
            continue;
        }
        let Some(path) = call.path() else { continue };
        if call.name.starts_with("open") || call.name == "creat" {
            assert!(
                !call.line.contains("O_WRONLY") && !call.line.contains("O_RDWR") && !call.line.contains("O_CREAT"),
                "a file opened for writing: {}",
                call.line
            );
            if path.ends_with("/.podsec.yaml") && Path::new(path).starts_with(&tree.root) {
                settings_read += 1;
                continue;
            }
        }
        // Any other file system call: the loader and runtime at start, or
        // the settings lookup inside the workspace.
        if !(call.name.starts_with("exec") || is_startup_read(path) || Path::new(path).starts_with(&tree.root)) {
            elsewhere.push(call.line.as_str());
        }
    }
    assert!(elsewhere.is_empty(), "file system calls outside the workspace: {elsewhere:#?}");
    assert!(settings_read >= 1, "the settings file was read:\n{trace}");
    println!("security: {} traced calls, no network, one exec, {settings_read} settings file reads", calls.len());
}
