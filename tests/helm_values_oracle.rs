//! Helm's own template engine as the oracle of podsec's values evaluation:
//! every fixture chart under `tests/fixtures/helm/` is rendered by Helm
//! (PyPI `helm-python-sdk`, `tests/helm/render.py`) and by
//! `podsec::helm::analyze_chart`, with the chart's defaults and with each
//! `ci/*.yaml` values file. For every pod spec Helm renders:
//! - every securityContext field (pod and container) and every
//!   `hostNetwork`/`hostPID`/`hostIPC` podsec claims to know has Helm's
//!   value, and a field podsec knows to be absent Helm does not render;
//! - the fixtures leave nothing unknown: podsec predicts every section whole;
//! - the Pod Security verdicts (baseline and restricted) on podsec's
//!   rendering are those on Helm's;
//! - every finding podsec reports on known text is reported on Helm's
//!   rendering too.
//!
//! And `--set` arguments read as Helm's own parser reads them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use podsec::chart_files::load_chart;
use podsec::config::Config;
use podsec::helm::values::{apply_set, Data, V};
use podsec::helm::{self, eval::Environment, ChartFile, Overrides};
use podsec::provenance::FileId;

use crate::support;
use crate::support::helm::{render as helm_render, sorted_entries};

#[path = "helm/compare.rs"]
mod compare;

/// Template name → podsec's expansion, with the same values.
fn podsec_render(chart: &Path, values: Option<&Path>, config: &Config) -> BTreeMap<String, String> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let loaded = load_chart(chart, &|p: &Path| std::fs::read_to_string(p).ok(), &mut paths);
    let mut overrides = Overrides::default();
    if let Some(values) = values {
        let text = std::fs::read_to_string(values).unwrap();
        overrides.files.push(ChartFile { id: FileId(paths.len() as u32), path: values.display().to_string(), text });
        paths.push(values.to_path_buf());
    }
    let analysis = helm::analyze_chart(&loaded, &overrides, config, &Environment::default());
    assert!(analysis.read_alone.is_empty(), "{}: podsec's rendering does not parse", chart.display());
    let name = chart.file_name().unwrap().to_string_lossy();
    analysis
        .expansions
        .into_iter()
        .map(|(id, expansion)| {
            let relative = paths[id.0 as usize].strip_prefix(chart).unwrap().to_string_lossy().replace('\\', "/");
            (format!("{name}/{relative}"), expansion.text)
        })
        .collect()
}

#[test]
#[ignore = "needs Helm's template engine: PODSEC_HELM_PYTHON, a Python with helm-python-sdk (.ci/run installs it)"]
fn values_rendered_as_helm_renders_them() {
    let python = std::env::var("PODSEC_HELM_PYTHON").expect("PODSEC_HELM_PYTHON: a Python with helm-python-sdk");
    let config = Config::default();
    let charts: Vec<PathBuf> = sorted_entries(&support::repository().join("tests/fixtures/helm"))
        .into_iter()
        .filter(|c| c.join("Chart.yaml").exists())
        .collect();
    assert!(charts.len() >= 2, "the fixture charts: {charts:?}");
    let mut total = compare::Comparison::default();
    let mut renders = 0;
    for chart in &charts {
        let mut values_files = vec![None];
        values_files.extend(
            sorted_entries(&chart.join("ci"))
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .map(Some),
        );
        for values in &values_files {
            renders += 1;
            let helm = helm_render(&python, chart, values.as_deref());
            let ours = podsec_render(chart, values.as_deref(), &config);
            let context = format!(
                "{} with {}",
                chart.display(),
                values.as_deref().map_or("its defaults".into(), |v| v.display().to_string())
            );
            for (template, rendered) in &helm {
                let Some(expansion) = ours.get(template) else {
                    assert!(
                        rendered.trim().is_empty() || !rendered.contains("containers:"),
                        "{context}: podsec does not render {template}"
                    );
                    continue;
                };
                let comparison = compare::compare(template, expansion, rendered, &config);
                assert!(comparison.mismatches.is_empty(), "{context}: {:#?}", comparison.mismatches);
                assert!(comparison.verdict_mismatches.is_empty(), "{context}: {:#?}", comparison.verdict_mismatches);
                assert!(comparison.contradicted.is_empty(), "{context}: {:#?}", comparison.contradicted);
                assert_eq!(
                    (comparison.sections_predicted, comparison.fields_unknown),
                    (comparison.sections, 0),
                    "{context}: {template}: the fixtures leave no securityContext unknown"
                );
                total.add(comparison);
            }
        }
    }
    // Not vacuous: the fixtures render workloads, fields and verdicts.
    assert!(total.workloads >= 10 && total.fields_compared >= 100 && total.verdicts_compared >= 20, "{total:?}");
    println!(
        "helm values oracle: {} charts, {renders} renders, {} workloads, {} securityContexts predicted whole, {} fields compared, {} verdicts compared, {} findings confirmed",
        charts.len(),
        total.workloads,
        total.sections_predicted,
        total.fields_compared,
        total.verdicts_compared,
        total.findings_compared
    );
}

/// A value as JSON, for comparing with what Helm's Python binding prints.
fn json(v: &V) -> serde_json::Value {
    match &v.data {
        Data::Null | Data::Unknown => serde_json::Value::Null,
        Data::Bool(b) => (*b).into(),
        Data::Int(i) => (*i).into(),
        Data::Float(f) => (*f).into(),
        Data::Str(s) => s.clone().into(),
        Data::List(items) => items.iter().map(json).collect::<Vec<_>>().into(),
        Data::Map(members) => {
            members.iter().map(|m| (m.key.clone(), json(&m.value))).collect::<serde_json::Map<_, _>>().into()
        }
    }
}

#[test]
#[ignore = "needs Helm's template engine: PODSEC_HELM_PYTHON, a Python with helm-python-sdk (.ci/run installs it)"]
fn set_arguments_read_as_helm_reads_them() {
    let python = std::env::var("PODSEC_HELM_PYTHON").expect("PODSEC_HELM_PYTHON: a Python with helm-python-sdk");
    let expressions = [
        "containerSecurityContext.runAsUser=0,podSecurityContext.enabled=false",
        "securityContext.capabilities.add={NET_ADMIN,SYS_TIME}",
        "ports={80,443},ratio=1.5,negative=-3,octal=007,empty=",
        "extraVolumes[1].hostPath=/var/log,extraVolumes[0].name=tmp",
        "annotations.example\\.com/reason=a\\,b,flag=true,nothing=null",
        "sidecars[0].securityContext.privileged=true",
        "a[0]=1,a[2]=3,b.c=1,b=2,m.n[1].o=1",
        "q=\"quoted\",l={},x=1e3,y=0x10,t=True,f=FALSE,n=Null",
        "big=12345678901234567890,u=0,v=-0,w=+5,s=a=b",
    ];
    for expression in expressions {
        let script = "import json, sys, helm_python; print(json.dumps(helm_python.parse_set_string(sys.argv[1])))";
        let output = Command::new(&python).args(["-c", script, expression]).output().expect("run Python");
        assert!(output.status.success(), "{expression}: {}", String::from_utf8_lossy(&output.stderr));
        let helm: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut ours = V::empty_map();
        apply_set(&mut ours, FileId(0), expression, false).unwrap_or_else(|e| panic!("{expression}: {e:?}"));
        assert_eq!(json(&ours), helm, "--set {expression}");
    }
}
