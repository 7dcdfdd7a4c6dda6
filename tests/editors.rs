//! The editor clients in `editors/`: the Helix and VS Code settings against
//! the server's, and the shipped Neovim config in a real Neovim.
//!
//! The Neovim test needs `PODSEC_NVIM` to name an `nvim` 0.11 or newer:
//! `cargo test` lists it as ignored; `.ci/run` installs Neovim and runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Starts the real server with these initializationOptions and returns
/// every `window/logMessage` (type, text) it sends until it is ready.
// On a failed assertion the server is not waited for: its input closes and it ends.
#[allow(clippy::zombie_processes)]
fn startup_messages(options: &Value) -> Vec<(u64, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut send = move |message: Value| {
        let body = message.to_string();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    };
    // Handlers run one at a time in order, so the log messages of
    // `initialized` come before the answer to `shutdown`.
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "initializationOptions": options}}),
    );
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut logs = Vec::new();
    loop {
        let mut length = None;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                let status = child.wait().unwrap();
                assert!(status.success(), "{status}: {logs:?}");
                return logs;
            }
            if let Some(n) = line.trim().strip_prefix("Content-Length: ") {
                length = Some(n.parse::<usize>().unwrap());
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length.unwrap()];
        reader.read_exact(&mut body).unwrap();
        let message: Value = serde_json::from_slice(&body).unwrap();
        if message["id"] == 1 && message.get("method").is_none() {
            send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        }
        // The last message of `initialized` says which settings are in force.
        let text = message["params"]["message"].as_str().unwrap_or_default();
        if message["method"] == "window/logMessage" && text.starts_with("podsec ") {
            send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
        }
        // `exit` is acted on as soon as it arrives: only after the shutdown answer.
        if message["id"] == 2 && message.get("method").is_none() {
            send(json!({"jsonrpc": "2.0", "method": "exit"}));
        }
        if message["method"] == "window/logMessage" {
            logs.push((
                message["params"]["type"].as_u64().unwrap(),
                message["params"]["message"].as_str().unwrap().to_string(),
            ));
        }
    }
}

fn assert_accepted(options: &Value, expect: &str) {
    let logs = startup_messages(options);
    let warnings: Vec<_> = logs.iter().filter(|(kind, _)| *kind <= 2).collect();
    assert!(warnings.is_empty(), "{options}: {warnings:?}");
    assert!(logs.iter().any(|(_, text)| text.contains(expect)), "{options}: {logs:?}");
}

// ---------------------------------------------------------------- Helix

fn helix_config() -> toml::Table {
    read("editors/helix/languages.toml").parse().expect("editors/helix/languages.toml is TOML")
}

#[test]
fn helix_languages_toml_adds_podsec_beside_yaml_language_server() {
    let config = helix_config();
    let server = &config["language-server"]["podsec"];
    assert_eq!(server["command"].as_str(), Some("podsec"));
    assert_eq!(server["args"].as_array().unwrap(), &[toml::Value::from("lsp")]);
    let languages = config["language"].as_array().unwrap();
    let servers_of = |name: &str| -> Vec<String> {
        let language =
            languages.iter().find(|l| l["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("no {name} language"));
        language["language-servers"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    };
    // Beside Helix's own YAML server, which keeps doing completion and schemas.
    assert_eq!(servers_of("yaml"), ["yaml-language-server", "ansible-language-server", "podsec"]);
    assert!(servers_of("helm").contains(&"podsec".to_string()));
}

#[test]
fn helix_settings_and_their_commented_examples_are_accepted_by_the_server() {
    let config = helix_config();
    let settings = &config["language-server"]["podsec"]["config"]["podsec"];
    for key in settings.as_table().unwrap().keys() {
        let client_side = ["inlayHints", "verdictHints", "maxFileSizeMB"];
        assert!(
            podsec::lsp::ANALYSIS_KEYS.contains(&key.as_str()) || client_side.contains(&key.as_str()),
            "unknown setting {key}"
        );
    }
    // Helix sends `config` as it is: the server finds the `podsec` section.
    let options = serde_json::to_value(&config["language-server"]["podsec"]["config"]).unwrap();
    assert_accepted(&options, "profile restricted");
    // The commented examples, uncommented, are valid too.
    let uncommented: String = read("editors/helix/languages.toml")
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if podsec::lsp::ANALYSIS_KEYS.iter().any(|k| rest.starts_with(&format!("{k} ="))) => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config: toml::Table = uncommented.parse().unwrap();
    let settings = config["language-server"]["podsec"]["config"]["podsec"].as_table().unwrap();
    // inlayHints and verdictHints are set already.
    assert_eq!(settings.len(), podsec::lsp::ANALYSIS_KEYS.len() + 2, "every setting has an example");
    let options = serde_json::to_value(&config["language-server"]["podsec"]["config"]).unwrap();
    assert_accepted(&options, "profile baseline, Kubernetes 1.30");
}

// -------------------------------------------------------------- VS Code

#[test]
fn vscode_settings_are_the_server_keys_and_rules() {
    let manifest: Value = serde_json::from_str(&read("editors/vscode/package.json")).unwrap();
    let properties = manifest["contributes"]["configuration"]["properties"].as_object().unwrap();
    let mut keys: Vec<&str> = properties.keys().map(|k| k.strip_prefix("podsec.").expect("podsec.*")).collect();
    keys.sort();
    // `helm` is a section: VS Code contributes each of its keys, and hands
    // them to the extension nested under `helm`, as the server reads them.
    let helm: Vec<String> = podsec::config::HELM_KEYS.iter().map(|k| format!("helm.{k}")).collect();
    let mut expected: Vec<&str> = podsec::lsp::ANALYSIS_KEYS.iter().copied().filter(|&k| k != "helm").collect();
    expected.extend(helm.iter().map(String::as_str));
    expected.extend(["inlayHints", "verdictHints", "maxFileSizeMB", "server.path", "trace.server"]);
    expected.sort();
    assert_eq!(keys, expected);
    // The client-side ones are those the server ignores.
    for key in ["server", "trace", "inlayHints", "verdictHints", "maxFileSizeMB"] {
        assert!(podsec::lsp::CLIENT_SIDE_KEYS.contains(&key), "{key}");
    }
    // Every profile the dropdown offers, but its "unset" entry.
    for value in properties["podsec.profile"]["enum"].as_array().unwrap().iter().filter_map(Value::as_str) {
        if !value.is_empty() {
            value.parse::<podsec::config::Profile>().unwrap();
        }
    }
    // One entry per rule, each with every level, for completion in settings.json.
    let rules = properties["podsec.rules"]["properties"].as_object().unwrap();
    let mut codes: Vec<&str> = podsec::analysis::rules::ALL.iter().map(|r| r.code).collect();
    codes.sort();
    assert_eq!(rules.keys().map(String::as_str).collect::<Vec<_>>(), codes);
    for (code, rule) in rules {
        for level in rule["enum"].as_array().unwrap() {
            level.as_str().unwrap().parse::<podsec::config::RuleLevel>().unwrap_or_else(|e| panic!("{code}: {e}"));
        }
    }
    // Unset by default (an empty string, which the Settings UI can edit and
    // the extension sends as null), so a .podsec.yaml is not overridden.
    for key in ["profile", "kubernetesVersion", "bestPractices", "namespaceLabels", "helm.openshift"] {
        assert_eq!(properties[&format!("podsec.{key}")]["default"], "", "{key}");
    }
    // An empty list, which the extension sends as null too.
    let values_files = &properties["podsec.helm.valuesFiles"];
    assert_eq!((&values_files["type"], &values_files["items"]["type"]), (&json!("array"), &json!("string")));
    assert_eq!(values_files["default"], json!([]));
    // The server accepts what the Settings UI makes of them, nested under `helm`.
    assert_accepted(
        &json!({"helm": {"valuesFiles": ["values-prod.yaml"], "openshift": true}, "profile": "baseline"}),
        "profile baseline",
    );
}

// --------------------------------------------------------------- Neovim

const FS_GROUP_MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
            fsGroup: 2000
";

#[test]
#[ignore = "needs Neovim 0.11 in PODSEC_NVIM (.ci/run installs it)"]
fn neovim_config_shows_podsec_diagnostics_in_a_real_neovim() {
    let lua = read("editors/neovim/lsp/podsec.lua");
    assert!(lua.contains("cmd = { 'podsec', 'lsp' }"), "{lua}");
    let nvim = std::env::var_os("PODSEC_NVIM").expect("PODSEC_NVIM names a Neovim binary");
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("web.yaml");
    std::fs::write(&manifest, FS_GROUP_MANIFEST).unwrap();
    let out = dir.path().join("result.json");
    // `podsec` is found on PATH, as the shipped config expects.
    let bin = Path::new(env!("CARGO_BIN_EXE_podsec")).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let script = repo().join("editors/neovim/test/e2e.lua");
    let output = Command::new(&nvim)
        .args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("PATH", path)
        .env("PODSEC_E2E_FILE", &manifest)
        .env("PODSEC_E2E_OUT", &out)
        // Keep Neovim's state and log files out of the home folder.
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .stdin(Stdio::null())
        .output()
        .expect("start nvim");
    let result: Value =
        std::fs::read_to_string(&out).ok().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_else(|| {
            panic!(
                "nvim wrote no result: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
    assert_eq!(result["errors"], json!([]), "{result:#}");
    assert!(result["nvim"].as_str().unwrap().starts_with("0.1"), "{result:#}");
    assert_eq!(result["filetype"], "yaml");
    assert_eq!(result["client"]["cmd"], json!(["podsec", "lsp"]));
    assert_eq!(result["server"]["name"], "podsec");

    // The diagnostic: code and exact range (Neovim columns are bytes).
    let line = FS_GROUP_MANIFEST.lines().position(|l| l.contains("fsGroup: 2000")).unwrap();
    let col = FS_GROUP_MANIFEST.lines().nth(line).unwrap().find("fsGroup").unwrap();
    let diagnostics = result["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{result:#}");
    let d = &diagnostics[0];
    assert_eq!(
        (d["code"].as_str(), d["source"].as_str(), d["severity"].as_u64()),
        (Some("pod-only-field"), Some("podsec"), Some(1))
    );
    assert_eq!(
        (d["lnum"].as_u64(), d["col"].as_u64(), d["end_lnum"].as_u64(), d["end_col"].as_u64()),
        (Some(line as u64), Some(col as u64), Some(line as u64), Some(col as u64 + "fsGroup".len() as u64))
    );
    assert!(d["message"].as_str().unwrap().contains("Move it to the pod's `spec.securityContext`"));

    // Inlay hints of the inherited pod values, after `securityContext:`.
    let labels: Vec<_> =
        result["inlay_hints"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["runAsUser: 10001, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault} (pod)"]);
    let screen: Vec<_> = result["screen"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with("          securityContext: runAsUser: 10001, runAsNonRoot: true, seccompProfile")),
        "{screen:#?}"
    );
    assert!(screen[line].contains("fsGroup: 2000") && screen[line].contains("is a pod-level field"), "{screen:#?}");

    // Hover on the misplaced key: its type as written and its scope.
    let hover = result["hover"].as_str().unwrap_or_else(|| panic!("no hover: {result:#}"));
    assert!(hover.starts_with("**`fsGroup`** · integer (int64), written unquoted"), "{hover}");
    assert!(hover.contains("pod-only"), "{hover}");
    // The move code action, applied by Neovim itself: the buffer text after it.
    let text = result["text_after_action"].as_str().unwrap_or_else(|| panic!("no code action applied: {result:#}"));
    let expected = FS_GROUP_MANIFEST
        .replace(
            "        seccompProfile: {type: RuntimeDefault}\n",
            "        seccompProfile: {type: RuntimeDefault}\n        fsGroup: 2000\n",
        )
        .replace(
            "            capabilities: {drop: [ALL]}\n            fsGroup: 2000\n",
            "            capabilities: {drop: [ALL]}\n",
        );
    assert_eq!(text, expected);
    let after = result["diagnostics_after_action"].as_array().unwrap();
    assert!(after.iter().all(|d| d["code"] != "pod-only-field"), "{result:#}");
}
