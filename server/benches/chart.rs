//! A Helm chart judged with its values: a generated chart of 40 templates
//! (20 workloads in Bitnami and prometheus-community idioms, 20 Services and
//! ConfigMaps) with a 1,500-line values.yaml.
//!
//! - the engine: `helm::analyze_chart` on the loaded chart;
//! - `podsec check CHART` with the release binary, wall time per run;
//! - the language server: an edit to values.yaml, from `didChange` to the
//!   `publishDiagnostics` of its version.
//!
//! `cargo bench --bench chart`; prints p50/p90 and writes
//! `target/bench-results/chart.json`.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

mod support;
use support::{check_times, report, summary, target_dir, timed, Server};

const WORKLOADS: usize = 20;
const OTHERS: usize = 20;
const VALUES_LINES: usize = 1_500;

fn main() {
    let root = target_dir().join("bench-corpus/chart-40");
    let _ = std::fs::remove_dir_all(&root);
    write_chart(&root);
    // URIs name it as the server normalises them (no `..`).
    let root = root.canonicalize().unwrap();
    let values_lines = std::fs::read_to_string(root.join("values.yaml")).unwrap().lines().count();
    let templates = std::fs::read_dir(root.join("templates")).unwrap().count();
    eprintln!("chart: {templates} files under templates/ (one _helpers.tpl), values.yaml {values_lines} lines");

    // The engine alone.
    let mut paths = Vec::new();
    let chart = podsec::chart_files::load_chart(&root, &|p| std::fs::read_to_string(p).ok(), &mut paths);
    let config = podsec::config::Config::default();
    let environment = Default::default();
    let analysis = podsec::helm::analyze_chart(&chart, &Default::default(), &config, &environment);
    let in_values =
        analysis.findings.iter().filter(|f| paths[f.location.file.0 as usize].ends_with("values.yaml")).count();
    assert!(analysis.read_alone.is_empty(), "every template renders to YAML that parses");
    assert!(in_values >= WORKLOADS, "findings land in values.yaml ({in_values})");
    eprintln!("findings: {} ({in_values} in values.yaml), {} usages", analysis.findings.len(), analysis.usages.len());
    let engine = timed(60, || {
        std::hint::black_box(podsec::helm::analyze_chart(&chart, &Default::default(), &config, &environment));
    });

    // `podsec check CHART`, the release binary as a user runs it.
    let binary = env!("CARGO_BIN_EXE_podsec");
    let check = check_times(binary, &root, 30);

    // The server: edits to values.yaml, each waiting for its diagnostics.
    let edit = values_edits(binary, &root, 200);

    report("analyze_chart", &engine);
    report("podsec check CHART", &check);
    report("values.yaml edit -> its diagnostics", &edit);
    let result = json!({
        "templates": templates,
        "values_lines": values_lines,
        "findings": analysis.findings.len(),
        "engine_ms": summary(&engine),
        "check_ms": summary(&check),
        "values_edit_ms": summary(&edit),
    });
    let out = target_dir().join("bench-results/chart.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&result).unwrap()).unwrap();
    eprintln!("written {}", out.display());
}

/// Opens values.yaml in a fresh server and flips one value `count` times,
/// timing each edit until the diagnostics of its version arrive.
fn values_edits(binary: &str, root: &Path, count: usize) -> Vec<Duration> {
    let mut server = Server::start(binary, root);
    let (uri, text) = server.open(root, "values.yaml");
    server.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 1);
    // `hostNetwork: false` of the first component, flipped back and forth.
    let line = text.lines().position(|l| l.trim() == "hostNetwork: false").expect("a hostNetwork value") as u64;
    let column = text.lines().nth(line as usize).unwrap().find("false").unwrap() as u64;
    let mut times = Vec::new();
    for i in 0..count {
        let version = i as i64 + 2;
        let (old, new) = if i % 2 == 0 { ("false", "true") } else { ("true", "false") };
        let started = Instant::now();
        server.change(&uri, version, (line, column), old, new);
        let message = server.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        times.push(started.elapsed());
        // The flip shows: hostNetwork on is a baseline violation in values.yaml.
        let host =
            message["params"]["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "pss/hostNamespaces");
        assert_eq!(host, new == "true", "version {version}");
    }
    server.shutdown();
    times.sort();
    times
}

/// The chart: Chart.yaml, values.yaml, templates/_helpers.tpl, one
/// workload template per component, Services and ConfigMaps.
fn write_chart(root: &Path) {
    let templates = root.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(root.join("Chart.yaml"), "apiVersion: v2\nname: platform\nversion: 3.1.0\nappVersion: \"3.1.0\"\n")
        .unwrap();
    std::fs::write(
        templates.join("_helpers.tpl"),
        r#"{{- define "platform.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "platform.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
"#,
    )
    .unwrap();
    let mut values = String::from("## Values shared by every component\nglobal:\n  imageRegistry: docker.io\n\n");
    for i in 0..WORKLOADS {
        let name = format!("component{i}");
        let bitnami = i % 2 == 0;
        let kind = if i % 3 == 0 { "StatefulSet" } else { "Deployment" };
        values.push_str(&component_values(&name, bitnami, i));
        std::fs::write(templates.join(format!("{name}.yaml")), workload_template(&name, kind, bitnami)).unwrap();
    }
    for i in 0..OTHERS {
        let (file, body) = if i % 2 == 0 {
            (format!("service{i}.yaml"), format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{{{ include \"platform.fullname\" . }}}}-svc{i}\n  labels: {{{{- include \"platform.labels\" . | nindent 4 }}}}\nspec:\n  ports:\n    - port: {{{{ .Values.component{}.port }}}}\n      targetPort: http\n", i % WORKLOADS))
        } else {
            (format!("configmap{i}.yaml"), format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ include \"platform.fullname\" . }}}}-config{i}\ndata:\n  LOG_LEVEL: {{{{ .Values.component{}.logLevel | quote }}}}\n", i % WORKLOADS))
        };
        std::fs::write(templates.join(file), body).unwrap();
    }
    // Documentation comments pad values.yaml to its size, as in real charts.
    let mut padding = 0;
    while values.lines().count() < VALUES_LINES {
        values.push_str(&format!("## @param extra{padding} An extra setting, documented as chart READMEs are generated\nextra{padding}: \"\"\n"));
        padding += 1;
    }
    std::fs::write(root.join("values.yaml"), values).unwrap();
}

fn component_values(name: &str, bitnami: bool, i: usize) -> String {
    let uid = 1001 + i;
    let mut v = format!(
        "## {name}\n{name}:\n  enabled: true\n  replicaCount: 2\n  port: {}\n  logLevel: info\n  hostNetwork: false\n",
        8080 + i
    );
    v.push_str(&format!("  image:\n    repository: example/{name}\n    tag: 1.{i}.0\n"));
    if bitnami {
        v.push_str(&format!(
            "  podSecurityContext:\n    enabled: true\n    fsGroupChangePolicy: Always\n    fsGroup: {uid}\n    sysctls: []\n    supplementalGroups: []\n  containerSecurityContext:\n    enabled: true\n    runAsUser: {uid}\n    runAsGroup: {uid}\n    runAsNonRoot: true\n    privileged: false\n    readOnlyRootFilesystem: true\n    allowPrivilegeEscalation: false\n    capabilities:\n      drop: [\"ALL\"]\n    seccompProfile:\n      type: RuntimeDefault\n"
        ));
    } else {
        v.push_str(&format!(
            "  podSecurityContext:\n    runAsNonRoot: true\n    runAsUser: {uid}\n    fsGroup: {uid}\n    seccompProfile:\n      type: RuntimeDefault\n  securityContext:\n    allowPrivilegeEscalation: false\n    readOnlyRootFilesystem: true\n    capabilities:\n      drop:\n        - ALL\n"
        ));
    }
    v.push_str("  resources:\n    limits:\n      memory: 256Mi\n    requests:\n      cpu: 100m\n      memory: 128Mi\n");
    v.push_str("  extraVolumes:\n    - name: tmp\n      emptyDir: {}\n  nodeSelector: {}\n  tolerations: []\n\n");
    v
}

fn workload_template(name: &str, kind: &str, bitnami: bool) -> String {
    let v = format!(".Values.{name}");
    let (pod_sc, container_sc) = if bitnami {
        (
            format!("      {{{{- if {v}.podSecurityContext.enabled }}}}\n      securityContext: {{{{- include \"common.compatibility.renderSecurityContext\" (dict \"secContext\" {v}.podSecurityContext \"context\" $) | nindent 8 }}}}\n      {{{{- end }}}}\n"),
            format!("          {{{{- if {v}.containerSecurityContext.enabled }}}}\n          securityContext: {{{{- include \"common.compatibility.renderSecurityContext\" (dict \"secContext\" {v}.containerSecurityContext \"context\" $) | nindent 12 }}}}\n          {{{{- end }}}}\n"),
        )
    } else {
        (
            format!("      {{{{- with {v}.podSecurityContext }}}}\n      securityContext:\n        {{{{- toYaml . | nindent 8 }}}}\n      {{{{- end }}}}\n"),
            format!("          securityContext:\n            {{{{- toYaml {v}.securityContext | nindent 12 }}}}\n"),
        )
    };
    format!(
        "{{{{- if {v}.enabled }}}}\napiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {{{{ include \"platform.fullname\" . }}}}-{name}\n  labels: {{{{- include \"platform.labels\" . | nindent 4 }}}}\nspec:\n  replicas: {{{{ {v}.replicaCount }}}}\n  selector:\n    matchLabels: {{{{- include \"platform.labels\" . | nindent 6 }}}}\n  template:\n    metadata:\n      labels: {{{{- include \"platform.labels\" . | nindent 8 }}}}\n    spec:\n      hostNetwork: {{{{ {v}.hostNetwork }}}}\n{pod_sc}      containers:\n        - name: {name}\n          image: \"{{{{ .Values.global.imageRegistry }}}}/{{{{ {v}.image.repository }}}}:{{{{ {v}.image.tag }}}}\"\n{container_sc}          ports:\n            - name: http\n              containerPort: {{{{ {v}.port }}}}\n          resources: {{{{- toYaml {v}.resources | nindent 12 }}}}\n      {{{{- with {v}.nodeSelector }}}}\n      nodeSelector: {{{{- toYaml . | nindent 8 }}}}\n      {{{{- end }}}}\n      volumes:\n        {{{{- range {v}.extraVolumes }}}}\n        - name: {{{{ .name }}}}\n          emptyDir: {{}}\n        {{{{- end }}}}\n{{{{- end }}}}\n"
    )
}
