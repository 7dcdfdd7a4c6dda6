//! podsec's rendering of a chart against Helm's, for measuring the values
//! evaluation on public charts.
//!
//!     cargo run --example helm_compare -- CHART_DIR HELM_JSON [VALUES_FILE]
//!
//! HELM_JSON is what `tests/helm/render.py` prints for the same chart and
//! values. Prints one JSON object: the counts of `tests/helm/compare.rs`
//! and every mismatch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use podsec::chart_files::load_chart;
use podsec::config::Config;
use podsec::helm::{self, eval::Environment, ChartFile, Overrides};
use podsec::provenance::FileId;

#[path = "../../tests/helm/compare.rs"]
mod compare;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [chart, helm_json, rest @ ..] = args.as_slice() else {
        eprintln!("usage: helm_compare CHART_DIR HELM_JSON [VALUES_FILE]");
        std::process::exit(2);
    };
    let chart = Path::new(chart);
    let helm: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(helm_json).expect("read HELM_JSON")).expect("HELM_JSON is JSON");
    let config = Config::default();
    let mut paths: Vec<PathBuf> = Vec::new();
    let loaded = load_chart(chart, &|p: &Path| std::fs::read_to_string(p).ok(), &mut paths);
    let mut overrides = Overrides::default();
    for values in rest {
        let text = std::fs::read_to_string(values).expect("read VALUES_FILE");
        overrides.files.push(ChartFile { id: FileId(paths.len() as u32), path: values.clone(), text });
        paths.push(PathBuf::from(values));
    }
    let analysis = helm::analyze_chart(&loaded, &overrides, &config, &Environment::default());
    // Helm names a template `<chart name>/<path in the chart>`.
    let ours: BTreeMap<String, String> = analysis
        .expansions
        .iter()
        .map(|(id, expansion)| {
            let relative = paths[id.0 as usize].strip_prefix(chart).unwrap().to_string_lossy().replace('\\', "/");
            (relative, expansion.text.clone())
        })
        .collect();
    let mut total = compare::Comparison::default();
    let mut missing = Vec::new();
    for (template, rendered) in &helm {
        let relative = template.split_once('/').map_or(template.as_str(), |(_, r)| r);
        match ours.get(relative) {
            Some(expansion) => total.add(compare::compare(template, expansion, rendered, &config)),
            None if rendered.contains("containers:") => missing.push(template.clone()),
            None => {}
        }
    }
    let read_alone: Vec<String> =
        analysis.read_alone.iter().map(|id| paths[id.0 as usize].display().to_string()).collect();
    let report = serde_json::json!({
        "workloads": total.workloads,
        "sections": total.sections,
        "sections_predicted": total.sections_predicted,
        "fields_compared": total.fields_compared,
        "fields_unknown": total.fields_unknown,
        "mismatches": total.mismatches,
        "unpredicted": total.unpredicted,
        "verdicts_compared": total.verdicts_compared,
        "verdict_mismatches": total.verdict_mismatches,
        "findings_compared": total.findings_compared,
        "contradicted": total.contradicted,
        "findings": analysis.findings.len(),
        "missing": missing,
        "read_alone": read_alone,
    });
    println!("{report}");
}
