//! Protocol abuse over stdio: messages out of order, unknown, malformed or
//! about documents the server does not have. Each gets the JSON-RPC error
//! the specification asks for, or is ignored with a log line, and the
//! server goes on answering.
//!
//! A panic inside a handler is proven in `server/src/lsp/mod.rs`
//! (`a_panic_in_a_handler_is_an_internal_error_and_the_server_goes_on`):
//! the real service and transport in process, with a handler that panics
//! registered by the test only, so that no message a client can send to the
//! shipped server reaches a deliberate panic.

use crate::lsp;

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use lsp::{range, Lsp};

const SERVER_NOT_INITIALIZED: i64 = -32002;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const PARSE_ERROR: i64 = -32700;
const REQUEST_CANCELLED: i64 = -32800;

/// A Deployment that passes the restricted profile, whose pod sets
/// `fsGroup` (line 13) for its one container.
const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
";

const FS_GROUP_LINE: u64 = 13;

fn at(uri: &str, line: u64, character: u64) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

fn hover_markdown(response: &Value) -> &str {
    response["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("no hover: {response}"))
}

/// The server is alive and well: it opens a new document and explains the
/// pod's `fsGroup` on hover.
fn assert_hover_works(lsp: &mut Lsp) {
    static OPENED: AtomicUsize = AtomicUsize::new(0);
    let uri = format!("file:///alive/{}.yaml", OPENED.fetch_add(1, Ordering::Relaxed));
    lsp.open(&uri, 1, DEPLOYMENT);
    let hover = lsp.request("textDocument/hover", at(&uri, FS_GROUP_LINE, 9));
    assert!(hover_markdown(&hover).contains("fsGroup"), "{hover}");
}

fn error_code(response: &Value) -> i64 {
    response["error"]["code"].as_i64().unwrap_or_else(|| panic!("not an error: {response}"))
}

/// The next error response with a null id (the answer to a message whose id
/// could not be read).
fn error_without_id(lsp: &mut Lsp) -> Value {
    lsp.wait_for("an error response with a null id", |m| m.get("method").is_none() && m["id"].is_null())
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn log_message_containing(lsp: &mut Lsp, text: &str) -> Value {
    lsp.wait_for(&format!("a window/logMessage with `{text}`"), |m| {
        m["method"] == "window/logMessage" && m["params"]["message"].as_str().is_some_and(|s| s.contains(text))
    })
}

// --- order of the session ---------------------------------------------------

#[test]
fn a_request_before_initialize_is_refused_as_server_not_initialized() {
    let mut lsp = Lsp::spawn();
    let early = lsp.request("textDocument/hover", at("file:///early.yaml", FS_GROUP_LINE, 9));
    assert_eq!(error_code(&early), SERVER_NOT_INITIALIZED, "{early}");
    // A notification before initialize is dropped, with a log line.
    lsp.open("file:///early.yaml", 1, DEPLOYMENT);
    lsp.wait_for_log("ignored textDocument/didOpen: the client has not initialized the server");
    let init = lsp.request("initialize", json!({ "capabilities": {} }));
    assert!(init["result"]["capabilities"].is_object(), "{init}");
    lsp.notify("initialized", json!({}));
    let hover = lsp.request("textDocument/hover", at("file:///early.yaml", FS_GROUP_LINE, 9));
    assert_eq!(hover["result"], Value::Null, "the early didOpen was not applied: {hover}");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_second_initialize_is_an_invalid_request() {
    let mut lsp = Lsp::started();
    let again = lsp.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(error_code(&again), INVALID_REQUEST, "{again}");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn requests_after_shutdown_are_invalid_requests_and_exit_still_ends_the_server() {
    let mut lsp = Lsp::started();
    let uri = "file:///shutting-down.yaml";
    lsp.open(uri, 1, DEPLOYMENT);
    let shutdown = lsp.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null, "{shutdown}");
    let late = lsp.request("textDocument/hover", at(uri, FS_GROUP_LINE, 9));
    assert_eq!(error_code(&late), INVALID_REQUEST, "{late}");
    let twice = lsp.request("shutdown", Value::Null);
    assert_eq!(error_code(&twice), INVALID_REQUEST, "{twice}");
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": "a: [" }] }),
    );
    lsp.wait_for_log("ignored textDocument/didChange: the server is shutting down");
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit().code(), Some(0));
}

#[test]
fn the_end_of_input_without_exit_stops_the_server_with_1() {
    let mut lsp = Lsp::started();
    lsp.open("file:///eof.yaml", 1, DEPLOYMENT);
    lsp.close_stdin();
    assert_eq!(lsp.wait_exit().code(), Some(1));
}

// --- unknown methods ----------------------------------------------------------

#[test]
fn an_unknown_request_is_method_not_found() {
    let mut lsp = Lsp::started();
    let unknown = lsp.request("podsec/noSuchMethod", json!({}));
    assert_eq!(error_code(&unknown), METHOD_NOT_FOUND, "{unknown}");
    assert_eq!(unknown["error"]["data"], "podsec/noSuchMethod");
    // A method the LSP specification has and podsec does not offer.
    let formatting = lsp.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": "file:///x.yaml" }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(error_code(&formatting), METHOD_NOT_FOUND, "{formatting}");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn an_unknown_dollar_request_is_answered_method_not_found() {
    // `$/` notifications may be ignored, but a `$/` request must be answered
    // (tower-lsp alone would leave the client waiting forever).
    let mut lsp = Lsp::started();
    let unknown = lsp.request("$/podsec/noSuchMethod", json!({}));
    assert_eq!(error_code(&unknown), METHOD_NOT_FOUND, "{unknown}");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn unknown_notifications_are_ignored_and_a_notification_sent_as_a_request_is_invalid() {
    let mut lsp = Lsp::started();
    lsp.notify("podsec/noSuchNotification", json!({ "x": 1 }));
    lsp.notify("$/noSuchNotification", json!({}));
    let id = lsp.send_request(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "file:///as-request.yaml", "languageId": "yaml", "version": 1, "text": "a: 1\n" } }),
    );
    assert_eq!(error_code(&lsp.response(id)), INVALID_REQUEST);
    assert_hover_works(&mut lsp);
    // Nothing but answers came back: no error for a notification.
    assert!(!lsp.backlog.iter().any(|m| m.get("error").is_some()), "{:#?}", lsp.backlog);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

// --- malformed messages -----------------------------------------------------

#[test]
fn a_body_that_is_not_json_is_a_parse_error() {
    let mut lsp = Lsp::started();
    lsp.send_raw(&frame(br#"{"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {"#));
    let error = error_without_id(&mut lsp);
    assert_eq!(error_code(&error), PARSE_ERROR, "{error}");
    lsp.wait_for_log("rejected a malformed message (-32700)");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_body_that_is_not_utf8_is_a_parse_error() {
    let mut lsp = Lsp::started();
    lsp.send_raw(&frame(b"{\"jsonrpc\": \"2.0\", \"method\": \"x\xff\xfe\"}"));
    assert_eq!(error_code(&error_without_id(&mut lsp)), PARSE_ERROR);
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn json_that_is_not_json_rpc_is_an_invalid_request_with_its_id_when_readable() {
    let mut lsp = Lsp::started();
    // No `jsonrpc` member: the id can still be read.
    lsp.send_raw(&frame(br#"{"id": 41, "method": "textDocument/hover", "params": {}}"#));
    let answer = lsp.response(41);
    assert_eq!(error_code(&answer), INVALID_REQUEST, "{answer}");
    lsp.send_raw(&frame(br#"{"jsonrpc": "1.0", "id": "forty-two", "method": "textDocument/hover"}"#));
    let answer = lsp.wait_for("the answer to forty-two", |m| m["id"] == "forty-two");
    assert_eq!(error_code(&answer), INVALID_REQUEST, "{answer}");
    lsp.send_raw(&frame(br#"{"jsonrpc": "2.0", "id": 43, "method": 7}"#));
    assert_eq!(error_code(&lsp.response(43)), INVALID_REQUEST);
    // A batch (LSP has none), a bare value.
    for body in [&br#"[{"jsonrpc": "2.0", "id": 44, "method": "shutdown"}]"#[..], b"\"hover\""] {
        lsp.send_raw(&frame(body));
        let error = error_without_id(&mut lsp);
        assert_eq!(error_code(&error), INVALID_REQUEST, "{error}");
    }
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn broken_headers_are_parse_errors_and_the_next_frame_is_read() {
    let mut lsp = Lsp::started();
    // A line that is no header, a length that is no number, no length at all.
    for header in [&b"this is not a header\r\n\r\n"[..], b"Content-Length: many\r\n\r\n", b"Content-Type: x\r\n\r\n"] {
        lsp.send_raw(header);
        let error = error_without_id(&mut lsp);
        assert_eq!(error_code(&error), PARSE_ERROR, "{}: {error}", String::from_utf8_lossy(header));
    }
    // Noise glued to the front of a good frame: the noise is an error, the
    // frame is answered.
    let request = Lsp::message(Some(9001), "podsec/noSuchMethod", json!({}));
    let mut bytes = b"\x1b[2Jnoise".to_vec();
    bytes.extend(frame(request.to_string().as_bytes()));
    lsp.send_raw(&bytes);
    assert_eq!(error_code(&error_without_id(&mut lsp)), PARSE_ERROR);
    assert_eq!(error_code(&lsp.response(9001)), METHOD_NOT_FOUND);
    // A header line far too long to be one.
    let mut bytes = vec![b'x'; 100_000];
    bytes.extend_from_slice(b"\r\n\r\n");
    lsp.send_raw(&bytes);
    assert_eq!(error_code(&error_without_id(&mut lsp)), PARSE_ERROR);
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn params_of_the_wrong_shape_are_invalid_params() {
    let mut lsp = Lsp::started();
    let answer = lsp.request("textDocument/hover", json!({ "textDocument": 5, "position": "top" }));
    assert_eq!(error_code(&answer), INVALID_PARAMS, "{answer}");
    let answer = lsp.request("textDocument/hover", at("not a uri", 0, 0));
    assert_eq!(error_code(&answer), INVALID_PARAMS, "{answer}");
    let answer = lsp.request("textDocument/codeAction", json!(null));
    assert_eq!(error_code(&answer), INVALID_PARAMS, "{answer}");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_response_to_no_request_is_ignored() {
    let mut lsp = Lsp::started();
    lsp.send(&json!({ "jsonrpc": "2.0", "id": 777, "result": { "answer": 42 } }));
    lsp.send(&json!({ "jsonrpc": "2.0", "id": 778, "error": { "code": -32603, "message": "client trouble" } }));
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

// --- documents the server does not have ---------------------------------------

/// Hover, completion, code actions and inlay hints on `uri`: each is
/// answered with no result and no error.
fn assert_empty_answers(lsp: &mut Lsp, uri: &str) {
    let whole = json!({ "textDocument": { "uri": uri }, "range": range(0, 0, 20, 0) });
    let mut with_context = whole.clone();
    with_context["context"] = json!({ "diagnostics": [] });
    for (method, params) in [
        ("textDocument/hover", at(uri, FS_GROUP_LINE, 9)),
        ("textDocument/completion", at(uri, FS_GROUP_LINE + 1, 8)),
        ("textDocument/codeAction", with_context),
        ("textDocument/inlayHint", whole),
    ] {
        let answer = lsp.request(method, params);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        assert_eq!(answer["result"], Value::Null, "{method}: {answer}");
    }
}

#[test]
fn requests_about_a_document_never_opened_get_empty_answers() {
    let mut lsp = Lsp::started();
    assert_empty_answers(&mut lsp, "file:///never/opened.yaml");
    assert_empty_answers(&mut lsp, "untitled:Untitled-7");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn requests_about_a_closed_document_get_empty_answers() {
    let mut lsp = Lsp::started();
    let uri = "file:///closed/deployment.yaml";
    lsp.open(uri, 1, DEPLOYMENT);
    assert!(hover_markdown(&lsp.request("textDocument/hover", at(uri, FS_GROUP_LINE, 9))).contains("fsGroup"));
    lsp.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    assert_empty_answers(&mut lsp, uri);
    // Closing it again is ignored with a log line.
    lsp.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    lsp.wait_for_log("didClose for a document that is not open");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_document_that_is_not_a_file_is_analysed_with_the_defaults() {
    let mut lsp = Lsp::started();
    let uri = "untitled:Untitled-1";
    lsp.open(uri, 1, &DEPLOYMENT.replace("fsGroup: 2000", "fsGroup: 2000\n        privileged: true"));
    let diagnostics = lsp.diagnostics(uri, 1);
    assert!(diagnostics.iter().any(|d| d["code"] == "container-only-field"), "{diagnostics:#?}");
    assert!(hover_markdown(&lsp.request("textDocument/hover", at(uri, FS_GROUP_LINE, 9))).contains("fsGroup"));
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn positions_past_the_end_are_clamped() {
    let mut lsp = Lsp::started();
    let uri = "file:///clamped/deployment.yaml";
    lsp.open(uri, 1, DEPLOYMENT);
    assert_eq!(lsp.diagnostics(uri, 1), Vec::<Value>::new());
    let far = 1_000_000;
    for (method, params) in [
        ("textDocument/hover", at(uri, far, far)),
        ("textDocument/hover", at(uri, FS_GROUP_LINE, far)),
        ("textDocument/completion", at(uri, far, 0)),
    ] {
        let answer = lsp.request(method, params);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
    }
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(0, 0, far, far), "context": { "diagnostics": [] } }),
    );
    assert!(actions["result"].is_array(), "{actions}");
    let hints =
        lsp.request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": range(0, 0, far, 0) }));
    let labels: Vec<&str> = hints["result"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["runAsNonRoot: true, seccompProfile: {type: RuntimeDefault} (pod)"], "{hints}");

    // An edit past the end of the text lands at its end; one past the end of
    // a line, at the end of that line.
    let lines = DEPLOYMENT.lines().count() as u64;
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [
            { "range": range(far, 0, far, 5), "text": "---\nkind: Pod\nspec: [\n" },
            { "range": range(1, far, 1, far), "text": " # trailing" },
        ] }),
    );
    let diagnostics = lsp.diagnostics(uri, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "yaml-syntax");
    assert!(diagnostics[0]["range"]["start"]["line"].as_u64().unwrap() >= lines, "{diagnostics:#?}");
    let hover = lsp.request("textDocument/hover", at(uri, FS_GROUP_LINE, 9));
    assert!(hover_markdown(&hover).contains("fsGroup"), "the document above the edit is intact: {hover}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

// --- edits out of order -------------------------------------------------------

#[test]
fn a_change_to_a_document_that_is_not_open_is_ignored_with_a_log_message() {
    let mut lsp = Lsp::started();
    let uri = "file:///not-open.yaml";
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": DEPLOYMENT }] }),
    );
    let warning = log_message_containing(&mut lsp, "not open");
    assert_eq!(warning["params"]["type"], 2, "a warning: {warning}");
    assert!(warning["params"]["message"].as_str().unwrap().contains(uri), "{warning}");
    assert_empty_answers(&mut lsp, uri);
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_change_whose_version_goes_backwards_is_ignored_with_a_log_message() {
    let mut lsp = Lsp::started();
    let uri = "file:///versions.yaml";
    lsp.open(uri, 5, DEPLOYMENT);
    assert_eq!(lsp.diagnostics(uri, 5), Vec::<Value>::new());
    for stale in [3, 5] {
        lsp.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": stale }, "contentChanges": [{ "text": "spec: [\n" }] }),
        );
        let warning = log_message_containing(&mut lsp, &format!("with version {stale}, not newer than 5"));
        assert_eq!(warning["params"]["type"], 2, "{warning}");
    }
    // The text of version 5 is still the document's.
    let hover = lsp.request("textDocument/hover", at(uri, FS_GROUP_LINE, 9));
    assert!(hover_markdown(&hover).contains("fsGroup"), "{hover}");
    // And a newer version applies.
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 6 }, "contentChanges": [{ "text": "spec: [\n" }] }),
    );
    let diagnostics = lsp.diagnostics(uri, 6);
    assert_eq!(diagnostics[0]["code"], "yaml-syntax", "{diagnostics:#?}");
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}

// --- cancellation -------------------------------------------------------------

/// Many Deployments, each with several findings that have fixes: code
/// actions for the whole file take seconds in a debug build.
fn many_deployments(count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  template:\n    spec:\n      securityContext:\n        runAsUser: 0\n      containers:\n        - name: app\n          image: registry.example.com/app:{i}\n          securityContext:\n            fsGroup: 2000\n            privileged: true\n"
            )
        })
        .collect()
}

#[test]
fn cancelling_a_slow_request_gets_an_answer_and_the_server_goes_on() {
    let mut lsp = Lsp::started();
    let uri = "file:///slow/deployments.yaml";
    let text = many_deployments(20);
    let lines = text.lines().count() as u64;
    lsp.open(uri, 1, &text);
    assert!(!lsp.diagnostics(uri, 1).is_empty());
    let everything =
        json!({ "textDocument": { "uri": uri }, "range": range(0, 0, lines, 0), "context": { "diagnostics": [] } });
    let slow = lsp.send_request("textDocument/codeAction", everything);
    // A request waiting behind the slow one, cancelled too.
    let waiting = lsp.send_request("textDocument/hover", at(uri, 14, 14));
    let kept = lsp.send_request("textDocument/hover", at(uri, 14, 14));
    for id in [slow, waiting] {
        lsp.notify("$/cancelRequest", json!({ "id": id }));
    }
    // Cancelling what is already answered, or never was asked, is ignored.
    lsp.notify("$/cancelRequest", json!({ "id": 123_456 }));
    for id in [slow, waiting] {
        let answer = lsp.response(id);
        match answer["error"]["code"].as_i64() {
            Some(code) => assert_eq!(code, REQUEST_CANCELLED, "{answer}"),
            None => assert!(!answer["result"].is_null(), "{answer}"),
        }
        println!("request {id}: {}", if answer.get("error").is_some() { "cancelled" } else { "answered in full" });
    }
    let kept = lsp.response(kept);
    assert!(hover_markdown(&kept).contains("fsGroup"), "{kept}");
    assert_hover_works(&mut lsp);
    assert_eq!(lsp.shutdown_and_exit().code(), Some(0));
}
