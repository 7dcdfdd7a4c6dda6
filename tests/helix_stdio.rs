//! The server as Helix drives it: the exact `initialize` request Helix 25.07
//! sends (`fixtures/clients/helix-initialize.json`), `podsec lsp --stdio`
//! as its `languages.toml` may start it, completions of several lines that
//! land right with Helix's own insertion rules, and `shutdown` with `exit`
//! in one write, as Helix sends them on every quit and `:lsp-restart`.

use crate::lsp;

use std::process::Command;

use serde_json::{json, Value};

use lsp::Lsp;

const HELIX_INITIALIZE: &str = include_str!("fixtures/clients/helix-initialize.json");

/// The server started as Helix starts it, initialized with Helix's request.
fn helix() -> (Lsp, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    command.args(["lsp", "--stdio"]);
    let mut lsp = Lsp::spawn_command(command);
    // Helix answers `workspace/configuration` with the server's `config`
    // from languages.toml, and accepts registrations and progress tokens.
    lsp.answer_requests(|request| match request["method"].as_str() {
        Some("workspace/configuration") => {
            let items = request["params"]["items"].as_array().map_or(0, Vec::len);
            Value::Array(vec![json!({ "inlayHints": true, "verdictHints": true }); items])
        }
        _ => Value::Null,
    });
    let params: Value = serde_json::from_str(HELIX_INITIALIZE).unwrap();
    let response = lsp.request("initialize", params);
    let result = response.get("result").cloned().unwrap_or_else(|| panic!("initialize failed: {response}"));
    lsp.notify("initialized", json!({}));
    (lsp, result)
}

/// A VS Code-like client: snippets, and `insertTextMode: asIs` offered.
fn as_is_client() -> Value {
    json!({ "textDocument": { "completion": { "completionItem": {
        "snippetSupport": true,
        "insertTextModeSupport": { "valueSet": [1, 2] },
    } } } })
}

/// The text of a snippet as inserted with every placeholder accepted.
fn expand_snippet(snippet: &str) -> String {
    let mut out = String::new();
    let mut chars = snippet.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.extend(chars.next()),
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                while chars.next_if(|c| c.is_ascii_digit()).is_some() {}
                if chars.next_if_eq(&':').is_some() {
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        out.push(c);
                    }
                } else {
                    chars.next_if_eq(&'}');
                }
            }
            '$' => while chars.next_if(|c| c.is_ascii_digit()).is_some() {},
            _ => out.push(ch),
        }
    }
    out
}

/// Byte offset of an LSP position (UTF-8 columns: the text is ASCII).
fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    line_start + position["character"].as_u64().unwrap() as usize
}

/// Applies a completion item's edit as a client does: `asIs` inserts the
/// text unchanged; otherwise every new line gets the leading whitespace of
/// the line where the edit starts, as Helix does (`helix-core` snippet
/// rendering) and `adjustIndentation` asks.
fn accept(text: &str, item: &Value) -> String {
    let edit = &item["textEdit"];
    let (start, end) = (offset(text, &edit["range"]["start"]), offset(text, &edit["range"]["end"]));
    let raw = edit["newText"].as_str().unwrap();
    let mut new_text = if item["insertTextFormat"] == 2 { expand_snippet(raw) } else { raw.to_string() };
    if item["insertTextMode"] != 1 {
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..start];
        let indent = &prefix[..prefix.len() - prefix.trim_start().len()];
        new_text = new_text.replace('\n', &format!("\n{indent}"));
    }
    format!("{}{new_text}{}", &text[..start], &text[end..])
}

const TYPING_CAPABILITIES: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: false
            capa
";

/// The completion `label` at the end of `capa`, from a client with these
/// capabilities, applied as that client applies it.
fn completed(lsp: &mut Lsp, uri: &str, label: &str) -> (Value, String) {
    lsp.open(uri, 1, TYPING_CAPABILITIES);
    let line = TYPING_CAPABILITIES.lines().position(|l| l.trim() == "capa").unwrap();
    let answer = lsp.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 16 } }),
    );
    let items = answer["result"].as_array().unwrap_or_else(|| panic!("no completion: {answer}"));
    let item = items
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no `{label}` among {:?}", items.iter().map(|i| &i["label"]).collect::<Vec<_>>()))
        .clone();
    let text = accept(TYPING_CAPABILITIES, &item);
    (item, text)
}

#[test]
fn multi_line_completions_land_at_the_right_indentation_in_helix() {
    let (mut lsp, _) = helix();
    let (item, text) = completed(&mut lsp, "file:///helix/deploy.yaml", "capabilities");
    // Helix offers no `insertTextModeSupport`: no `asIs`, and continuation
    // lines relative to the cursor's line.
    assert_ne!(item["insertTextMode"], 1, "{item}");
    let expected_tail = "\
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop:
                - ALL
";
    assert!(text.ends_with(expected_tail), "{text}");
    lsp.shutdown_and_exit();

    // A client that inserts as is gets full indentation, and the same result.
    let (mut lsp, _) = Lsp::start(as_is_client(), Value::Null);
    let (item, as_is) = completed(&mut lsp, "file:///vscode/deploy.yaml", "capabilities");
    assert_eq!(item["insertTextMode"], 1, "{item}");
    assert_eq!(as_is, text);
    lsp.shutdown_and_exit();
}

#[test]
fn helix_gets_the_settings_and_the_features_it_declares() {
    let (mut lsp, result) = helix();
    let capabilities = &result["capabilities"];
    // Helix offers UTF-8 first: positions are counted in bytes.
    assert_eq!(capabilities["positionEncoding"], "utf-8", "{result}");
    assert!(capabilities["inlayHintProvider"].is_object(), "{result}");
    let uri = "file:///helix/pod.yaml";
    let pod = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: 10001
    runAsNonRoot: true
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        fsGroup: 2000
";
    lsp.open(uri, 1, pod);
    let diagnostics = lsp.diagnostics(uri, 1);
    assert!(lsp::codes(&diagnostics).contains(&"pod-only-field"), "{diagnostics:#?}");
    // The inherited values at one place are one hint, so Helix does not
    // draw them run together; Helix's `verdictHints: true` adds the verdict.
    let hints = lsp
        .request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": lsp::range(0, 0, 20, 0) }));
    let labels: Vec<&str> = hints["result"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"runAsUser: 10001, runAsNonRoot: true (pod)"), "{labels:?}");
    assert!(labels.iter().any(|l| l.contains("restricted")), "verdict hint missing: {labels:?}");
    lsp.shutdown_and_exit();
}

#[test]
fn shutdown_and_exit_in_one_write_are_answered_and_end_with_code_0() {
    for _ in 0..5 {
        let (mut lsp, _) = helix();
        lsp.open("file:///helix/pod.yaml", 1, TYPING_CAPABILITIES);
        let shutdown = Lsp::message(Some(90), "shutdown", Value::Null);
        let exit = Lsp::message(None, "exit", Value::Null);
        let mut bytes = Vec::new();
        for message in [shutdown, exit] {
            let body = serde_json::to_vec(&message).unwrap();
            bytes.extend(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            bytes.extend(body);
        }
        lsp.send_raw(&bytes);
        let answer = lsp.response(90);
        assert!(answer.get("error").is_none() && answer["result"].is_null(), "{answer}");
        let status = lsp.wait_exit();
        assert_eq!(status.code(), Some(0), "stderr: {}", lsp.stderr());
        assert!(!lsp.stderr().contains("without a shutdown request"), "{}", lsp.stderr());
    }
}
