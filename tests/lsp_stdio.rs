//! End-to-end: the real `podsec lsp` binary over stdio, driven by the
//! client in `support/lsp.rs`.

use crate::lsp;

use serde_json::{json, Value};

use lsp::{codes, range, Lsp, Rng};

fn crlf(text: &str) -> String {
    assert!(!text.contains('\r'));
    text.replace('\n', "\r\n")
}

const WEB_DEPLOYMENT: &str = include_str!("fixtures/lsp/web-deployment.yaml");

// ---------------------------------------------------------------------------

#[test]
fn initialize_announces_incremental_sync_and_negotiates_utf8() {
    let capabilities = json!({ "general": { "positionEncodings": ["utf-16", "utf-8"] } });
    let (lsp, result) = Lsp::start(capabilities, Value::Null);
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    let sync = &result["capabilities"]["textDocumentSync"];
    assert_eq!(sync["openClose"], true);
    assert_eq!(sync["change"], 2, "incremental");
    assert!(sync["save"].is_object(), "{sync}");
    assert_eq!(result["serverInfo"]["name"], "podsec");
    assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn initialize_defaults_to_utf16() {
    let (lsp, result) = Lsp::start(json!({ "general": { "positionEncodings": ["utf-32"] } }), Value::Null);
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
    let (lsp, result) = Lsp::start(json!({}), Value::Null);
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn bad_initialization_options_are_reported_and_defaults_kept() {
    let options = json!({ "profile": "strict", "kubernetesVersion": "1.30" });
    let (mut lsp, _) = Lsp::start(json!({}), options);
    let warning =
        lsp.wait_for("a logMessage warning", |m| m["method"] == "window/logMessage" && m["params"]["type"] == 2);
    assert!(warning["params"]["message"].as_str().unwrap().contains("strict"), "{warning}");
    // `$/setTrace` is accepted (no error, the server keeps going).
    lsp.notify("$/setTrace", json!({ "value": "verbose" }));
    lsp.open("file:///t.yaml", 1, "a: [\n");
    assert_eq!(codes(&lsp.diagnostics("file:///t.yaml", 1)), ["yaml-syntax"]);
    let trace = lsp.wait_for("a $/logTrace", |m| m["method"] == "$/logTrace");
    assert!(trace["params"]["verbose"].is_string(), "{trace}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

/// The error line of the fixture, in CRLF form: the range is the second
/// `:`, after an emoji (two UTF-16 units, four bytes) and CJK text.
fn check_web_deployment(encoding: Option<&str>, error_columns: (u64, u64)) {
    let capabilities = match encoding {
        Some(encoding) => json!({ "general": { "positionEncodings": [encoding] } }),
        None => json!({}),
    };
    let (mut lsp, _) = Lsp::start(capabilities, Value::Null);
    let text = crlf(WEB_DEPLOYMENT);
    let uri = "file:///work/web-deployment.yaml";
    lsp.open(uri, 7, &text);
    let diagnostics = lsp.diagnostics(uri, 7);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let lines: Vec<&str> = text.split("\r\n").collect();
    let error_line = lines.iter().position(|l| l.contains("frontend: public")).unwrap() as u64;
    let separator = lines.iter().position(|l| *l == "---").unwrap() as u64;
    assert!(error_line > separator);
    let d = &diagnostics[0];
    assert_eq!(d["range"], range(error_line, error_columns.0, error_line, error_columns.1), "{d:#}");
    assert_eq!(d["code"], "yaml-syntax");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "podsec");
    assert!(d["codeDescription"]["href"].as_str().unwrap().starts_with("https://"), "{d}");
    assert!(!d["message"].as_str().unwrap().is_empty());
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn syntax_error_in_second_document_has_exact_utf16_range() {
    // "    description: " 17 + "🚀" 2 + " " + "ウェブ" 3 + " " + "前端" 2 + " " + "frontend" 8 = 35.
    check_web_deployment(None, (35, 36));
}

#[test]
fn syntax_error_in_second_document_has_exact_utf8_range() {
    // 17 + 4 + 1 + 9 + 1 + 6 + 1 + 8 = 47 bytes.
    check_web_deployment(Some("utf-8"), (47, 48));
}

#[test]
fn did_close_publishes_an_empty_list() {
    let mut lsp = Lsp::started();
    let uri = "file:///closing.yaml";
    lsp.open(uri, 1, "kind: Pod\r\nspec: [\r\n");
    assert_eq!(codes(&lsp.diagnostics(uri, 1)), ["yaml-syntax"]);
    lsp.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    let (params, _) = lsp.diagnostics_at(uri, None);
    assert_eq!(params["diagnostics"], json!([]));
    // A change to the closed document is ignored, and the server goes on.
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    lsp.wait_for("a warning about the ignored change", |m| {
        m["method"] == "window/logMessage" && m["params"]["message"].as_str().unwrap().contains("not open")
    });
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

// --- 1,000 edits ------------------------------------------------------------

fn utf16_col(line: &str, chars: usize) -> u64 {
    line.chars().take(chars).map(char::len_utf16).sum::<usize>() as u64
}

fn edit_script_text() -> String {
    let mut text = String::new();
    for i in 0..12 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  annotations:\n    note: \"🚀 デプロイ {i} 🎉\"\nspec:\n  securityContext:\n    runAsNonRoot: true\n  containers:\n    - name: app # 日本語 😀\n      image: nginx:1.27\n      securityContext:\n        allowPrivilegeEscalation: false\n"
        ));
    }
    crlf(&text)
}

#[test]
fn thousand_incremental_edits_match_a_fresh_open() {
    let mut lsp = Lsp::started();
    let uri = "file:///edited.yaml";
    let mut lines: Vec<String> = edit_script_text().split("\r\n").map(str::to_string).collect();
    lsp.open(uri, 1, &lines.join("\r\n"));
    let palette = ['a', 'z', ' ', ':', '-', '#', '"', '[', '{', '🚀', '日', 'é', '😀'];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut version = 1;
    let mut edits_on_emoji_lines = 0;
    for _ in 0..1000 {
        let emoji_lines: Vec<usize> =
            (0..lines.len()).filter(|&i| lines[i].chars().any(|c| c.len_utf16() == 2)).collect();
        let line = if !emoji_lines.is_empty() && rng.below(3) == 0 {
            emoji_lines[rng.below(emoji_lines.len())]
        } else {
            rng.below(lines.len())
        };
        if lines[line].chars().any(|c| c.len_utf16() == 2) {
            edits_on_emoji_lines += 1;
        }
        let len = lines[line].chars().count();
        let l = line as u64;
        let (range, inserted) = match rng.below(20) {
            // Delete one character.
            0..=8 if len > 0 => {
                let at = rng.below(len);
                let (c1, c2) = (utf16_col(&lines[line], at), utf16_col(&lines[line], at + 1));
                let mut chars: Vec<char> = lines[line].chars().collect();
                chars.remove(at);
                lines[line] = chars.into_iter().collect();
                (range(l, c1, l, c2), String::new())
            }
            // Delete a line break: join with the next line.
            9 | 10 if line + 1 < lines.len() => {
                let end = utf16_col(&lines[line], len);
                let next = lines.remove(line + 1);
                lines[line].push_str(&next);
                (range(l, end, l + 1, 0), String::new())
            }
            // Break a line.
            11 => {
                let at = rng.below(len + 1);
                let col = utf16_col(&lines[line], at);
                let rest: String = lines[line].chars().skip(at).collect();
                lines[line] = lines[line].chars().take(at).collect();
                lines.insert(line + 1, rest);
                (range(l, col, l, col), "\r\n".to_string())
            }
            // Insert one character.
            _ => {
                let at = rng.below(len + 1);
                let col = utf16_col(&lines[line], at);
                let ch = palette[rng.below(palette.len())];
                let mut chars: Vec<char> = lines[line].chars().collect();
                chars.insert(at, ch);
                lines[line] = chars.into_iter().collect();
                (range(l, col, l, col), ch.to_string())
            }
        };
        version += 1;
        lsp.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": range, "text": inserted }],
            }),
        );
    }
    assert_eq!(version, 1001);
    assert!(edits_on_emoji_lines >= 200, "{edits_on_emoji_lines}");
    let final_text = lines.join("\r\n");

    let (params, earlier) = lsp.diagnostics_at(uri, Some(version));
    let edited = params["diagnostics"].clone();
    let earlier: Vec<i64> = earlier.into_iter().map(|v| v.expect("versioned")).collect();
    assert!(earlier.windows(2).all(|w| w[0] < w[1]), "published out of order: {earlier:?}");
    assert!(earlier.iter().all(|&v| v < version));

    // Every edit applied: none was refused as out of order.
    let refused: Vec<&Value> = lsp
        .backlog
        .iter()
        .filter(|m| m["method"] == "window/logMessage" && m["params"]["message"].as_str().unwrap().contains("ignored"))
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");

    // A stale change is ignored: a save re-analyses the same text.
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 500 }, "contentChanges": [{ "text": "garbage: [" }] }),
    );
    lsp.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let after_save = lsp.diagnostics(uri, version);
    assert_eq!(Value::Array(after_save), edited);

    let fresh = "file:///fresh.yaml";
    lsp.open(fresh, 1, &final_text);
    let expected = Value::Array(lsp.diagnostics(fresh, 1));
    assert_eq!(edited, expected, "final text:\n{final_text}");

    // Reveal the server's text: one change of many edits (applied in order)
    // empties every line as the model knows it and then opens a flow
    // sequence at the top. Any character the server holds beyond the model,
    // and its line count, would move the resulting syntax error.
    let mut changes: Vec<Value> = (0..lines.len())
        .rev()
        .map(|i| json!({ "range": range(i as u64, 0, i as u64, utf16_col(&lines[i], usize::MAX)), "text": "" }))
        .collect();
    changes.push(json!({ "range": range(0, 0, 0, 0), "text": "a: [" }));
    version += 1;
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
    );
    let revealed = Value::Array(lsp.diagnostics(uri, version));
    let reference = "file:///reference.yaml";
    lsp.open(reference, 1, &format!("a: [{}", "\r\n".repeat(lines.len() - 1)));
    let expected = Value::Array(lsp.diagnostics(reference, 1));
    assert_eq!(codes(expected.as_array().unwrap()), ["yaml-syntax"]);
    assert_eq!(revealed, expected);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

// --- hostile input ------------------------------------------------------------

fn nested_flow(depth: usize) -> String {
    format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

fn nested_block(depth: usize) -> String {
    format!("a:\n{}x\n", "- ".repeat(depth))
}

fn alias_bomb() -> String {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (prev, name) in ('a'..='i').zip('b'..='j') {
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    text
}

/// A 5 MB ConfigMap whose last line is broken.
fn five_megabytes() -> (String, u64) {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let mut i = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(&format!("  key-{i:06}: \"{}\"\n", "x".repeat(60)));
        i += 1;
    }
    let last_line = text.matches('\n').count() as u64;
    text.push_str("  broken: key: value\n");
    (text, last_line)
}

#[test]
fn hostile_input_keeps_the_server_answering() {
    let mut lsp = Lsp::started();
    let truncated = &WEB_DEPLOYMENT[..WEB_DEPLOYMENT.find("name: web\n          image").unwrap() + 6];
    enum Expect {
        /// A yaml-syntax diagnostic whose message says this.
        SyntaxError(&'static str),
        NoDiagnostics,
    }
    let cases = [
        ("truncated", format!("{truncated}\"we"), Expect::SyntaxError("end of stream")),
        ("tabs", "apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n".to_string(), Expect::SyntaxError("tab")),
        (
            "nul",
            "apiVersion: v1\nkind: Pod\u{0}\nmetadata:\n  name: \u{0}\u{0}\n".to_string(),
            Expect::SyntaxError("U+0000"),
        ),
        ("alias-bomb", alias_bomb(), Expect::NoDiagnostics),
        ("flow-nesting", nested_flow(10_000), Expect::SyntaxError("recursion limit exceeded")),
        ("block-nesting", nested_block(10_000), Expect::SyntaxError("nesting deeper than 256 levels")),
    ];
    for (name, text, expect) in &cases {
        let uri = format!("file:///hostile/{name}.yaml");
        lsp.open(&uri, 1, text);
        let diagnostics = lsp.diagnostics(&uri, 1);
        match expect {
            Expect::SyntaxError(says) => assert!(
                diagnostics.iter().any(|d| d["code"] == "yaml-syntax" && d["message"].as_str().unwrap().contains(says)),
                "{name}: {diagnostics:#?}"
            ),
            Expect::NoDiagnostics => assert_eq!(diagnostics, Vec::<Value>::new(), "{name}"),
        }
        let answer = lsp.request("podsec/unknownRequest", json!({}));
        assert_eq!(answer["error"]["code"], -32601, "{name}: {answer}");
    }

    // A request sent right after a 5 MB document is answered before that
    // document's analysis is published: analysis is off the message loop.
    let (big, last_line) = five_megabytes();
    lsp.open("file:///hostile/big.yaml", 1, &big);
    let id = lsp.send_request("podsec/unknownRequest", json!({}));
    let answer = lsp.response(id);
    assert_eq!(answer["error"]["code"], -32601);
    assert!(
        !lsp.backlog.iter().any(|m| m["params"]["uri"] == "file:///hostile/big.yaml"),
        "diagnostics of the 5 MB document came before the answer"
    );
    let diagnostics = lsp.diagnostics("file:///hostile/big.yaml", 1);
    assert_eq!(codes(&diagnostics), ["yaml-syntax"]);
    assert_eq!(diagnostics[0]["range"], range(last_line, 13, last_line, 14));

    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_file_over_the_size_limit_gets_one_notice_and_no_analysis() {
    let (mut lsp, _) = Lsp::start(json!({}), json!({ "maxFileSizeMB": 1 }));
    // Over 1 MB of privileged pods: each would be reported, were it analysed.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    securityContext:\n      privileged: true\n";
    let text = vec![pod; 1024 * 1024 / pod.len() + 100].join("---\n");
    let uri = "file:///big/pods.yaml";
    lsp.open(uri, 1, &text);
    let diagnostics = lsp.diagnostics(uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let notice = &diagnostics[0];
    assert_eq!(notice["severity"], 3, "information");
    assert_eq!(notice["range"], range(0, 0, 0, 0));
    let message = notice["message"].as_str().unwrap();
    assert!(message.contains(" MB, over the 1 MB limit") && message.contains("maxFileSizeMB"), "{message}");
    let at = json!({ "textDocument": { "uri": uri }, "position": { "line": 9, "character": 8 } });
    assert_eq!(lsp.request("textDocument/hover", at)["result"], Value::Null);

    // Raised, the limit lets the same text be analysed.
    lsp.notify("workspace/didChangeConfiguration", json!({ "settings": { "podsec": { "maxFileSizeMB": 5 } } }));
    let (params, _) = lsp.diagnostics_at(uri, Some(1));
    let diagnostics = params["diagnostics"].as_array().unwrap();
    assert!(diagnostics.iter().filter(|d| d["code"] == "pss/privileged").count() > 1000, "{}", diagnostics.len());
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_bad_size_limit_is_named_in_a_warning_and_the_default_kept() {
    let (mut lsp, _) = Lsp::start(json!({}), json!({ "maxFileSizeMB": "big" }));
    let warning = lsp.wait_for("the warning", |m| m["method"] == "window/logMessage" && m["params"]["type"] == 2);
    let message = warning["params"]["message"].as_str().unwrap();
    assert!(message.contains("`maxFileSizeMB` must be a whole number"), "{message}");
    lsp.open("file:///a.yaml", 1, "kind: Pod\nspec:\n  containers: []\n");
    assert!(lsp.diagnostics("file:///a.yaml", 1).iter().all(|d| d["severity"] != 3 || d["range"] != range(0, 0, 0, 0)));
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn requests_before_initialize_and_unknown_methods_get_errors() {
    let mut lsp = Lsp::spawn();
    let early = lsp.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let early = lsp.request("shutdown", Value::Null);
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let init = lsp.request("initialize", json!({ "capabilities": {} }));
    assert!(init["result"]["capabilities"].is_object(), "{init}");
    lsp.notify("initialized", json!({}));
    let unknown = lsp.request("podsec/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    lsp.notify("podsec/noSuchNotification", json!({}));
    // Malformed params are an error too, not a crash.
    let bad = lsp.request("initialize", json!({ "capabilities": 5 }));
    assert!(bad["error"].is_object(), "{bad}");
    lsp.open("file:///after.yaml", 1, "a: 1\n");
    assert_eq!(lsp.diagnostics("file:///after.yaml", 1), Vec::<Value>::new());
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let mut lsp = Lsp::started();
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit().code(), Some(1));
}

/// A Deployment whose pod sets `runAsNonRoot` and `seccompProfile` for every
/// container, with a pod-only field in a container after a line of emoji.
const INHERITING: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop # 🛒 ショップ
spec:
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: shop
          image: ghcr.io/example/shop:1.0.0
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, note: \"🚀\", fsGroup: 2000}
";

#[test]
fn structural_findings_point_at_the_key_and_pod_settings_cover_containers() {
    let mut lsp = Lsp::started();
    let uri = "file:///shop/deployment.yaml";
    lsp.open(uri, 1, &crlf(INHERITING));
    let diagnostics = lsp.diagnostics(uri, 1);
    // No pss/runAsNonRoot or pss/seccompProfile_restricted: the pod covers the container.
    assert_eq!(codes(&diagnostics), ["unknown-field", "pod-only-field"], "{diagnostics:#?}");
    let line = INHERITING.lines().position(|l| l.contains("fsGroup: 2000")).unwrap() as u64;
    let text = INHERITING.lines().nth(line as usize).unwrap();
    let utf16 = |s: &str| s.encode_utf16().count() as u64;
    let start = utf16(&text[..text.find("fsGroup").unwrap()]);
    let pod_only = &diagnostics[1];
    assert_eq!(pod_only["range"], range(line, start, line, start + 7));
    assert_eq!(pod_only["severity"], 1);
    assert_eq!(pod_only["source"], "podsec");
    assert!(pod_only["message"].as_str().unwrap().starts_with("container `shop`: `fsGroup` is a pod-level field"));
    assert!(pod_only["codeDescription"]["href"].as_str().unwrap().ends_with("#pod-only-field"));
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

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
        runAsUser: 0
";

#[test]
fn a_configuration_change_republishes_every_open_document() {
    let mut lsp = Lsp::started();
    let (first, second) = ("file:///cfg/a.yaml", "file:///cfg/b.yaml");
    lsp.open(first, 1, PRIVILEGED_POD);
    lsp.open(second, 1, PRIVILEGED_POD);
    for uri in [first, second] {
        assert!(codes(&lsp.diagnostics(uri, 1)).contains(&"pss/privileged"));
    }
    // A client without `workspace/configuration` sends the settings along.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "podsec": { "profile": "privileged", "bestPractices": false } } }),
    );
    for uri in [first, second] {
        assert_eq!(codes(&lsp.diagnostics(uri, 1)), Vec::<&str>::new(), "{uri}");
    }
    lsp.notify("workspace/didChangeConfiguration", json!({ "settings": { "podsec": { "profile": "baseline" } } }));
    assert_eq!(codes(&lsp.diagnostics(first, 1)), ["read-only-root-filesystem", "pss/privileged", "low-user-id"]);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn settings_are_pulled_from_clients_that_answer_workspace_configuration() {
    let mut lsp = Lsp::spawn();
    let id = lsp.send_request(
        "initialize",
        json!({ "capabilities": { "workspace": { "configuration": true } }, "initializationOptions": { "profile": "restricted" } }),
    );
    lsp.response(id);
    lsp.notify("initialized", json!({}));
    let request = lsp.wait_for("workspace/configuration", |m| m["method"] == "workspace/configuration");
    assert_eq!(request["params"]["items"][0]["section"], "podsec");
    lsp.send(&json!({ "jsonrpc": "2.0", "id": request["id"], "result": [{ "profile": "baseline", "rules": { "pss/privileged": "error" } }] }));
    let uri = "file:///pull/pod.yaml";
    lsp.open(uri, 1, PRIVILEGED_POD);
    let diagnostics = lsp.diagnostics(uri, 1);
    assert_eq!(codes(&diagnostics), ["read-only-root-filesystem", "pss/privileged", "low-user-id"]);
    assert_eq!(diagnostics[1]["severity"], 1, "raised to error by the rules setting");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_settings_file_applies_to_its_folder_and_its_problems_are_diagnostics() {
    let dir = std::env::temp_dir().join(format!("podsec-lsp-settings-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("apps")).unwrap();
    std::fs::write(dir.join(".podsec.yaml"), "profile: privileged\nbestPractices: false\n").unwrap();
    let root = format!("file://{}", dir.display());
    let mut lsp = Lsp::spawn();
    let id = lsp.send_request("initialize", json!({ "capabilities": {}, "rootUri": root }));
    lsp.response(id);
    lsp.notify("initialized", json!({}));
    let manifest = format!("{root}/apps/pod.yaml");
    lsp.open(&manifest, 1, PRIVILEGED_POD);
    assert_eq!(codes(&lsp.diagnostics(&manifest, 1)), Vec::<&str>::new());

    // Editing the settings file (unsaved) re-judges the open manifest, and
    // its own problems are shown on it.
    let settings = format!("{root}/.podsec.yaml");
    lsp.open(&settings, 1, "profile: baseline\nbestPractices: false\nprofil: x\n");
    let problems = lsp.diagnostics(&settings, 1);
    assert_eq!(codes(&problems), ["invalid-config"]);
    assert_eq!(problems[0]["range"], range(2, 0, 2, 6));
    assert!(problems[0]["message"].as_str().unwrap().contains("did you mean `profile`"));
    assert_eq!(codes(&lsp.diagnostics(&manifest, 1)), ["pss/privileged"]);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

const HALF_TYPED: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: editor
spec:
  securityContext:
    runAsNonRoot: true
    
  containers:
    - name: app
      image: ghcr.io/example/app:1.0.0
      securityContext:
        fsGroup: 2000
        
";

fn labels(response: &Value) -> Vec<String> {
    response["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn hover_and_completion_know_pod_and_container_scope() {
    let mut lsp = Lsp::started();
    let uri = "file:///editor/pod.yaml";
    let text = crlf(HALF_TYPED);
    lsp.open(uri, 1, &text);
    lsp.diagnostics(uri, 1);
    let position = |line: usize, column: usize| json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": column } });
    let fs_group_line = HALF_TYPED.lines().position(|l| l.contains("fsGroup")).unwrap();

    let hover = lsp.request("textDocument/hover", position(fs_group_line, 10));
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(markdown.contains("integer"), "{markdown}");
    assert!(markdown.contains("pod-only"), "{markdown}");
    assert_eq!(hover["result"]["range"], range(fs_group_line as u64, 8, fs_group_line as u64, 15));
    // Outside any securityContext: no hover, not an error.
    let none = lsp.request("textDocument/hover", position(3, 4));
    assert_eq!(none["result"], Value::Null, "{none}");

    // The blank line under the container's fsGroup, and under the pod's runAsNonRoot.
    let container = lsp.request("textDocument/completion", position(fs_group_line + 1, 8));
    let container = labels(&container);
    assert!(container.iter().any(|l| l == "allowPrivilegeEscalation"), "{container:?}");
    assert!(!container.iter().any(|l| l == "fsGroup"), "{container:?}");
    let pod_line = HALF_TYPED.lines().position(|l| l.contains("runAsNonRoot")).unwrap() + 1;
    let pod = labels(&lsp.request("textDocument/completion", position(pod_line, 4)));
    assert!(pod.iter().any(|l| l == "fsGroup"), "{pod:?}");
    assert!(!pod.iter().any(|l| l == "privileged"), "{pod:?}");
    assert!(!pod.iter().any(|l| l == "runAsNonRoot"), "keys already present are not offered: {pod:?}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

const INLAY_POD: &str = "\
kind: Pod
metadata:
  annotations: {note: \"🚀 日本\"}
spec:
  securityContext: {runAsUser: 10001, runAsNonRoot: true}
  containers:
    - name: \"🚀app\"
    - name: sidecar
      securityContext:
        runAsUser: 20000
";

#[test]
fn inlay_hints_show_inherited_values_in_utf16_and_turn_off() {
    let capabilities = json!({ "workspace": { "inlayHint": { "refreshSupport": true } } });
    let (mut lsp, result) = Lsp::start(capabilities, Value::Null);
    assert!(result["capabilities"]["inlayHintProvider"].is_object(), "{result}");
    let uri = "file:///inlay/pod.yaml";
    lsp.open(uri, 1, &crlf(INLAY_POD));
    lsp.diagnostics(uri, 1);
    let whole = json!({ "textDocument": { "uri": uri }, "range": range(0, 0, 99, 0) });
    let hints = lsp.request("textDocument/inlayHint", whole.clone())["result"].clone();
    let labels: Vec<_> = hints.as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["securityContext (pod): runAsUser: 10001, runAsNonRoot: true", "runAsNonRoot: true (pod)"]);
    // After `name: "🚀app"`: the rocket counts two UTF-16 units.
    let line = "    - name: \"🚀app\"";
    assert_eq!(hints[0]["position"], json!({ "line": 6, "character": line.encode_utf16().count() }));
    assert_eq!(hints[1]["position"], json!({ "line": 8, "character": "      securityContext:".len() }));
    assert_eq!(hints[0]["paddingLeft"], true);
    assert!(hints[1]["tooltip"]["value"].as_str().unwrap().contains("`runAsNonRoot` is set on line 5"));
    // Only the hints inside the requested range.
    let part = json!({ "textDocument": { "uri": uri }, "range": range(8, 0, 9, 0) });
    assert_eq!(lsp.request("textDocument/inlayHint", part)["result"].as_array().unwrap().len(), 1);

    lsp.notify("workspace/didChangeConfiguration", json!({ "settings": { "podsec": { "inlayHints": false } } }));
    // The client is asked to ask again, since the setting changed.
    let refresh = lsp.wait_for("inlay hint refresh", |m| m["method"] == "workspace/inlayHint/refresh");
    lsp.send(&json!({ "jsonrpc": "2.0", "id": refresh["id"], "result": null }));
    lsp.diagnostics(uri, 1);
    assert_eq!(lsp.request("textDocument/inlayHint", whole.clone())["result"], Value::Null);
    lsp.notify("workspace/didChangeConfiguration", json!({ "settings": { "podsec": { "inlayHints": null } } }));
    let refresh = lsp.wait_for("inlay hint refresh", |m| m["method"] == "workspace/inlayHint/refresh");
    lsp.send(&json!({ "jsonrpc": "2.0", "id": refresh["id"], "result": null }));
    lsp.diagnostics(uri, 1);
    assert_eq!(lsp.request("textDocument/inlayHint", whole)["result"].as_array().unwrap().len(), 2);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

const FS_GROUP_IN_CONTAINER: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: 🚀-shop
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: shop
      image: ghcr.io/example/shop:1.0.0
      securityContext:
        fsGroup: 20000 # the volume group
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
";

/// Applies LSP text edits (UTF-16 positions) to `text`.
fn apply_lsp_edits(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        let rest = &text[start..];
        let within = rest.char_indices().find(|(_, c)| {
            let here = units >= character;
            units += c.len_utf16();
            here
        });
        start + within.map_or(rest.len(), |(i, _)| i)
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse((s.0, s.1)));
    let mut out = text.to_string();
    for (start, end, new_text) in spans {
        out.replace_range(start..end, new_text);
    }
    out
}

#[test]
fn code_action_moves_a_container_fs_group_to_the_pod() {
    let capabilities = json!({ "workspace": { "workspaceEdit": { "documentChanges": true } } });
    let (mut lsp, result) = Lsp::start(capabilities, json!({ "bestPractices": false }));
    let kinds = &result["capabilities"]["codeActionProvider"]["codeActionKinds"];
    assert_eq!(*kinds, json!(["quickfix", "refactor.move", "refactor.rewrite", "source.fixAll.podsec"]));
    let uri = "file:///shop/pod.yaml";
    lsp.open(uri, 1, FS_GROUP_IN_CONTAINER);
    let diagnostics = lsp.diagnostics(uri, 1);
    assert_eq!(codes(&diagnostics), ["pod-only-field"], "{diagnostics:#?}");
    let pod_only = diagnostics[0].clone();
    let at = pod_only["range"]["start"].clone();
    let response = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": at, "end": at },
            "context": { "diagnostics": [pod_only.clone()] },
        }),
    );
    let actions = response["result"].as_array().unwrap_or_else(|| panic!("{response}"));
    let moving = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Move `fsGroup` to the pod securityContext"))
        .unwrap_or_else(|| panic!("no move among {actions:#?}"));
    assert_eq!(moving["kind"], "quickfix");
    assert_eq!(moving["isPreferred"], true);
    assert_eq!(moving["diagnostics"], json!([pod_only]));
    let change = &moving["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"], json!({ "uri": uri, "version": 1 }));
    let fixed = apply_lsp_edits(FS_GROUP_IN_CONTAINER, change["edits"].as_array().unwrap());
    assert!(fixed.contains("  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n    fsGroup: 20000 # the volume group\n"), "{fixed}");
    assert!(actions.iter().any(|a| a["kind"] == "source.fixAll.podsec"), "asked for everything: {actions:#?}");

    // What an editor asks as the cursor moves (for a lightbulb) gets the
    // quick fixes only: rewrites of the whole file wait until asked for.
    let kinds_when = |lsp: &mut Lsp, trigger_kind: u8| -> Vec<String> {
        let response = lsp.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": { "start": at, "end": at },
                "context": { "diagnostics": [pod_only.clone()], "triggerKind": trigger_kind },
            }),
        );
        response["result"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap().to_string()).collect()
    };
    let automatic = kinds_when(&mut lsp, 2);
    assert!(automatic.contains(&"quickfix".to_string()), "{automatic:?}");
    assert!(!automatic.iter().any(|k| k.starts_with("source.") || k == "refactor.rewrite"), "{automatic:?}");
    assert!(kinds_when(&mut lsp, 1).contains(&"source.fixAll.podsec".to_string()));
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let diagnostics = lsp.diagnostics(uri, 2);
    assert!(!codes(&diagnostics).contains(&"pod-only-field"), "{diagnostics:#?}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_finding_through_an_alias_points_at_its_anchor() {
    let mut lsp = Lsp::started();
    let uri = "file:///alias/pod.yaml";
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  initContainers:
    - name: setup
      image: busybox:1.36
      securityContext: &loose {privileged: true}
  containers:
    - name: app
      image: nginx:1.27
      securityContext: *loose
";
    lsp.open(uri, 1, text);
    let diagnostics = lsp.diagnostics(uri, 1);
    let through_alias = diagnostics
        .iter()
        .find(|d| d["code"] == "pss/privileged" && d["range"]["start"]["line"] == 12)
        .unwrap_or_else(|| panic!("no finding at the alias: {diagnostics:#?}"));
    assert_eq!(through_alias["range"], range(12, 23, 12, 29));
    let related = &through_alias["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri);
    assert_eq!(related["location"]["range"]["start"]["line"], 8);
    assert_eq!(related["message"], "the value of `*loose` is anchored here");
    lsp.shutdown_and_exit();
}
