//! Kustomize overlays: a generated GitOps repository of 50 bases (a
//! Deployment and a Service each, one StatefulSet in five) and 150
//! overlays (dev, staging, prod per base: a namespace and name prefix, a
//! strategic-merge patch file, an inline JSON 6902 patch, prod with a
//! Namespace labelled `enforce: restricted`), laid out as
//! `apps/<app>/{base,overlays/<env>}`.
//!
//! - `podsec check REPO` with the release binary, wall time per run;
//! - the language server: a base and the patch files of its three
//!   overlays open; an edit to the base (its pod's `runAsNonRoot` flipped),
//!   from `didChange` until the open patch files are published again,
//!   prod's showing or losing the conflict with its `runAsUser: 0`.
//!
//! `cargo bench --bench kustomize`; prints p50/p90 and writes
//! `target/bench-results/kustomize.json`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod support;
use support::{check_times, ms, report, summary, target_dir, Server};

const BASES: usize = 50;
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

fn main() {
    let root = target_dir().join("bench-corpus/kustomize-50x150");
    let _ = std::fs::remove_dir_all(&root);
    write_repository(&root);
    let root = root.canonicalize().unwrap();
    let files = count_files(&root);
    eprintln!("repository: {BASES} bases, {} overlays, {files} files", BASES * ENVIRONMENTS.len());

    // `podsec check REPO`, the release binary as a user runs it.
    let binary = env!("CARGO_BIN_EXE_podsec");
    let output = Command::new(binary).args(["check", "--format", "json"]).arg(&root).output().unwrap();
    let output: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let findings = output.as_array().expect("a list of findings");
    let overlays: BTreeSet<&str> = findings.iter().filter_map(|f| f["overlay"].as_str()).collect();
    let findings = findings.len();
    // Every prod overlay's root user is found, in its patch file.
    assert!(overlays.len() >= BASES, "findings name the overlays ({} named)", overlays.len());
    eprintln!("podsec check: {findings} findings, {} overlays named in them", overlays.len());
    let check = check_times(binary, &root, 10);

    let (first, edit) = base_edits(binary, &root, 200);

    report("podsec check REPO", &check);
    eprintln!("first diagnostics of a patch after the scan (every overlay built): {:.2} ms", ms(first));
    report("base edit -> its overlays' open patches published", &edit);
    let result = json!({
        "bases": BASES,
        "overlays": BASES * ENVIRONMENTS.len(),
        "files": files,
        "findings": findings,
        "check_ms": summary(&check),
        "first_patch_diagnostics_ms": ms(first),
        "base_edit_ms": summary(&edit),
    });
    let out = target_dir().join("bench-results/kustomize.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&result).unwrap()).unwrap();
    eprintln!("written {}", out.display());
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| if e.file_type().unwrap().is_dir() { count_files(&e.path()) } else { 1 })
        .sum()
}

/// Opens app 0's base and its overlays' patch files in a fresh server
/// (once the workspace scan is over) and flips the base pod's
/// `runAsNonRoot` `count` times, timing each edit until every open patch
/// is published again. Also returns the time to the first patch's first
/// diagnostics, when every overlay is built.
fn base_edits(binary: &str, root: &Path, count: usize) -> (Duration, Vec<Duration>) {
    let mut server = Server::start(binary, root);
    server.wait(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"].as_str().is_some_and(|t| t.starts_with("podsec: indexed"))
    });
    let publication = |m: &Value| m["method"] == "textDocument/publishDiagnostics";
    let codes = |message: &Value| -> Vec<String> {
        let diagnostics = message["params"]["diagnostics"].as_array().unwrap();
        diagnostics.iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
    };
    let patches: Vec<String> =
        ENVIRONMENTS.iter().map(|env| format!("apps/app-00/overlays/{env}/patch.yaml")).collect();
    let started = Instant::now();
    let (prod, _) = server.open(root, &patches[2]);
    let first_diagnostics = server.wait(|m| publication(m) && m["params"]["uri"] == prod);
    let first = started.elapsed();
    assert!(codes(&first_diagnostics).contains(&"conflicting-settings".to_string()), "{first_diagnostics}");
    let mut uris = vec![prod];
    for patch in &patches[..2] {
        uris.push(server.open(root, patch).0);
    }
    let (base, text) = server.open(root, "apps/app-00/base/deployment.yaml");
    uris.push(base.clone());
    // Every open file published once before the edits begin.
    let mut pending: BTreeSet<&String> = uris.iter().collect();
    while !pending.is_empty() {
        let message = server.wait(publication);
        pending.retain(|uri| message["params"]["uri"] != **uri);
    }
    let line = text.lines().position(|l| l.trim() == "runAsNonRoot: true").expect("the pod's runAsNonRoot") as u64;
    let column = text.lines().nth(line as usize).unwrap().find("true").unwrap() as u64;
    let mut times = Vec::new();
    for i in 0..count {
        let version = i as i64 + 2;
        let (old, new) = if i % 2 == 0 { ("true", "false") } else { ("false", "true") };
        let started = Instant::now();
        server.change(&base, version, (line, column), old, new);
        let mut pending: BTreeSet<&String> = uris[..3].iter().collect();
        let mut prod_codes = Vec::new();
        while !pending.is_empty() {
            let message = server.wait(publication);
            if message["params"]["uri"] == uris[0] {
                prod_codes = codes(&message);
            }
            pending.retain(|uri| message["params"]["uri"] != **uri);
        }
        times.push(started.elapsed());
        // prod's `runAsUser: 0` conflicts with the base only while it says true.
        assert_eq!(prod_codes.contains(&"conflicting-settings".to_string()), new == "true", "version {version}");
    }
    server.shutdown();
    times.sort();
    (first, times)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `apps/<app>/base` (kustomization, Deployment or StatefulSet, Service)
/// and `apps/<app>/overlays/{dev,staging,prod}`.
fn write_repository(root: &Path) {
    for i in 0..BASES {
        let app = format!("app-{i:02}");
        let dir = root.join("apps").join(&app);
        let kind = if i % 5 == 4 { "StatefulSet" } else { "Deployment" };
        write(
            &dir.join("base/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n",
        );
        write(&dir.join("base/deployment.yaml"), &workload(&app, kind));
        write(
            &dir.join("base/service.yaml"),
            &format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\nspec:\n  selector:\n    app.kubernetes.io/name: {app}\n  ports:\n    - port: 80\n      targetPort: http\n"
            ),
        );
        for env in ENVIRONMENTS {
            let overlay = dir.join("overlays").join(env);
            let namespace_file = if env == "prod" { "  - namespace.yaml\n" } else { "" };
            write(
                &overlay.join("kustomization.yaml"),
                &format!(
                    "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {app}-{env}
namePrefix: {env}-
resources:
  - ../../base
{namespace_file}patches:
  - path: patch.yaml
  - target:
      kind: {kind}
      name: {app}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: {replicas}
      - op: add
        path: /spec/template/metadata/labels/environment
        value: {env}
",
                    replicas = if env == "prod" { 3 } else { 1 },
                ),
            );
            write(&overlay.join("patch.yaml"), &patch(&app, kind, env));
            if env == "prod" {
                write(
                    &overlay.join("namespace.yaml"),
                    &format!(
                        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {app}\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.30\n"
                    ),
                );
            }
        }
    }
}

fn workload(app: &str, kind: &str) -> String {
    let service_name = if kind == "StatefulSet" { format!("  serviceName: {app}\n") } else { String::new() };
    format!(
        "apiVersion: apps/v1
kind: {kind}
metadata:
  name: {app}
  labels:
    app.kubernetes.io/name: {app}
spec:
  replicas: 2
{service_name}  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {app}
          image: registry.example.com/{app}:1.4.2
          ports:
            - name: http
              containerPort: 8080
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [\"ALL\"]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {{}}
"
    )
}

/// dev gives the container more memory; staging adds a sidecar; prod runs
/// a debug container as root (the finding each prod overlay has).
fn patch(app: &str, kind: &str, env: &str) -> String {
    let head = format!("apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {app}\nspec:\n  template:\n    spec:\n");
    let body = match env {
        "dev" => format!(
            "      containers:\n        - name: {app}\n          resources:\n            limits: {{cpu: \"1\", memory: 512Mi}}\n"
        ),
        "staging" => "      containers:
        - name: log-shipper
          image: registry.example.com/log-shipper:0.9.1
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [\"ALL\"]
"
        .to_string(),
        _ => format!("      containers:\n        - name: {app}\n          securityContext:\n            runAsUser: 0\n"),
    };
    head + &body
}
