//! Parse and analyse throughput (MB/s) of `podsec::analysis::analyze`, the
//! engine behind both `podsec check` and the server's diagnostics, on the
//! generated corpora: one Pod, a 10,000-line file and a 2 MB file.

#[path = "corpus.rs"]
mod corpus;

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use podsec::analysis::analyze;
use podsec::config::Config;

fn bench(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("parse+analyse");
    for corpus in [corpus::single_pod(), corpus::ten_thousand_lines(), corpus::two_megabytes()] {
        let findings = analyze(&corpus.text, &config).findings;
        // The corpus must be what it claims: workloads with findings, and
        // every document parsed.
        assert!(!findings.is_empty(), "{}: no findings", corpus.name);
        assert!(findings.iter().all(|f| f.code() != "yaml-syntax"), "{}: a syntax error", corpus.name);
        eprintln!(
            "{}: {} bytes, {} lines, {} documents ({} workloads), {} findings",
            corpus.name,
            corpus.text.len(),
            corpus.lines(),
            corpus.documents,
            corpus.workloads,
            findings.len()
        );
        let big = corpus.text.len() > 100_000;
        group.sample_size(if big { 20 } else { 100 });
        group.measurement_time(Duration::from_secs(if big { 8 } else { 4 }));
        group.throughput(Throughput::Bytes(corpus.text.len() as u64));
        group.bench_function(corpus.name, |b| b.iter(|| analyze(black_box(&corpus.text), &config)));
    }
    group.finish();

    // Reading a chart template costs what a plain manifest of its size
    // costs: 500 lines of the fixture chart's templates against 500 lines
    // of plain manifests.
    let mut group = c.benchmark_group("chart-template");
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/charts/webapp/templates");
    let sources: Vec<String> = ["deployment.yaml", "statefulset.yaml", "job.yaml", "configmap.yaml"]
        .iter()
        .map(|name| std::fs::read_to_string(templates.join(name)).expect("the fixture chart"))
        .collect();
    let mut chart = String::new();
    while chart.lines().count() < 500 {
        for source in &sources {
            chart.push_str("---\n");
            chart.push_str(source);
        }
    }
    let plain_all = corpus::ten_thousand_lines().text;
    let mut plain = String::new();
    for document in plain_all.split_inclusive("---\n") {
        if plain.lines().count() >= chart.lines().count() {
            break;
        }
        plain.push_str(document);
    }
    eprintln!("chart template: {} lines; plain manifests: {} lines", chart.lines().count(), plain.lines().count());
    for (name, text) in [("500-line chart template", &chart), ("500-line plain manifest", &plain)] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| b.iter(|| analyze(black_box(text), &config)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
