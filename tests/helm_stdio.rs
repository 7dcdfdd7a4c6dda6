//! End-to-end, over stdio: a Helm chart in the editor. Opening the chart's
//! `values.yaml` shows the findings of the values that flow into the
//! workloads' securityContexts, at the values' own lines; hover on such a
//! key says where it goes; an edit to `values.yaml` re-publishes the
//! chart's open template.

use std::path::Path;

use serde_json::{json, Value};

use crate::lsp::{file_url as url, placed, range, Lsp};

const CHART_YAML: &str = "apiVersion: v2\nname: ledger\nversion: 0.1.0\n";

const VALUES: &str = "\
podSecurityContext:
  runAsNonRoot: true
  seccompProfile:
    type: RuntimeDefault

securityContext:
  allowPrivilegeEscalation: false
  fsGroup: 2000
  capabilities:
    drop: [ALL]

debug:
  enabled: false
";

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-ledger
spec:
  selector:
    matchLabels:
      app: ledger
  template:
    metadata:
      labels:
        app: ledger
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: ledger
          image: "example/ledger:2.3.1"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
        {{- if .Values.debug.enabled }}
        - name: debug
          image: "example/debug-shell:1.0"
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
        {{- end }}
"#;

fn write_chart(root: &Path) {
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(root.join("Chart.yaml"), CHART_YAML).unwrap();
    std::fs::write(root.join("values.yaml"), VALUES).unwrap();
    std::fs::write(root.join("templates/deployment.yaml"), DEPLOYMENT).unwrap();
}

fn next_diagnostics(lsp: &mut Lsp, uri: &str) -> Vec<Value> {
    let message = lsp.wait_for(&format!("diagnostics of {uri}"), |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
    });
    message["params"]["diagnostics"].as_array().unwrap().clone()
}

#[test]
fn values_yaml_gets_the_findings_of_what_flows_from_it_and_edits_republish_the_templates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("ledger");
    write_chart(&root);
    let (mut lsp, _) = Lsp::start_in(&root, Value::Null);
    lsp.answer_requests(|_| Value::Null);

    let values_uri = url(&root.join("values.yaml"));
    lsp.open(&values_uri, 1, VALUES);
    let diagnostics = next_diagnostics(&mut lsp, &values_uri);
    let found = placed(&diagnostics);
    // `fsGroup` (line 8) under the container section is pod-only, reported
    // where the user wrote it, and names the template it flows through.
    assert!(found.contains(&(7, 2, "pod-only-field".into())), "{found:?}");
    let pod_only = diagnostics.iter().find(|d| d["code"] == "pod-only-field").unwrap();
    let related = &pod_only["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], url(&root.join("templates/deployment.yaml")));
    assert_eq!(related["range"]["start"]["line"], 21, "{pod_only}");
    // What the container section lacks under restricted (runAsNonRoot is
    // inherited from the pod; seccomp too) is not reported as missing
    // from the template: the values set it all but `readOnlyRootFilesystem`.
    assert!(!found.iter().any(|(_, _, code)| code == "pss/runAsNonRoot" || code == "yaml-syntax"), "{found:?}");

    // Hover on the key: what it is, where it flows.
    let hover = lsp.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": values_uri }, "position": { "line": 7, "character": 4 } }),
    );
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(text.contains("`securityContext.fsGroup`"), "{text}");
    assert!(text.contains("pod-only"), "{text}");
    assert!(text.contains("Deployment"), "{text}");
    assert!(text.contains("container `ledger`"), "{text}");
    assert!(text.contains("templates/deployment.yaml:22"), "{text}");

    // Completion in a section offers the fields of the level it feeds.
    let labels = |lsp: &mut Lsp, line: u64| -> Vec<String> {
        let response = lsp.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": values_uri }, "position": { "line": line, "character": 2 } }),
        );
        let items = response["result"].as_array().unwrap_or_else(|| panic!("{response}"));
        items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };
    let container = labels(&mut lsp, 7);
    assert!(container.contains(&"readOnlyRootFilesystem".to_string()), "{container:?}");
    assert!(container.contains(&"runAsNonRoot".to_string()), "{container:?}");
    assert!(
        !container.iter().any(|l| l == "sysctls" || l == "fsGroup" || l == "allowPrivilegeEscalation"),
        "{container:?}"
    );
    let pod = labels(&mut lsp, 1);
    assert!(pod.contains(&"fsGroup".to_string()) && pod.contains(&"sysctls".to_string()), "{pod:?}");
    assert!(!pod.iter().any(|l| l == "privileged" || l == "capabilities" || l == "runAsNonRoot"), "{pod:?}");

    // The quick fix edits values.yaml: the field moves to the section that
    // feeds the pod securityContext of the same Deployment.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": values_uri },
            "range": range(7, 2, 7, 9),
            "context": { "diagnostics": [] },
        }),
    );
    let actions = actions["result"].as_array().unwrap_or_else(|| panic!("{actions}"));
    let moved = actions
        .iter()
        .find(|a| a["title"] == "Move `fsGroup` to `podSecurityContext`")
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(moved["isPreferred"], true);
    let edits = moved["edit"]["changes"][&values_uri].as_array().unwrap();
    let fixed = apply(VALUES, edits);
    assert_eq!(
        fixed,
        VALUES
            .replace("  fsGroup: 2000\n", "")
            .replace("    type: RuntimeDefault\n", "    type: RuntimeDefault\n  fsGroup: 2000\n")
    );

    // The template, open beside it: no finding for the debug container,
    // whose `if` is false under the values.
    let template_uri = url(&root.join("templates/deployment.yaml"));
    lsp.open(&template_uri, 1, DEPLOYMENT);
    let template = next_diagnostics(&mut lsp, &template_uri);
    assert!(!template.iter().any(|d| d["message"].as_str().unwrap().contains("`debug`")), "{template:#?}");

    // Turning the debug container on in values.yaml re-publishes the
    // template: the container it adds lacks a read-only root filesystem.
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": values_uri, "version": 2 },
            "contentChanges": [{ "range": range(12, 11, 12, 16), "text": "true" }],
        }),
    );
    let template = next_diagnostics(&mut lsp, &template_uri);
    let debug: Vec<_> = template.iter().filter(|d| d["message"].as_str().unwrap().contains("`debug`")).collect();
    assert!(!debug.is_empty(), "{template:#?}");
    assert!(debug.iter().all(|d| d["range"]["start"]["line"].as_u64().unwrap() >= 22), "{debug:#?}");
    assert!(lsp.shutdown_and_exit().success());
}

/// Applies LSP text edits (ASCII text, non-overlapping) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + character
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new_text) in edits {
        out.replace_range(start..end, new_text);
    }
    out
}
