//! Hover and completion latency at a position deep in a 10,000-line file
//! of workload documents: each request looks only at its own document, so
//! the file's length should not show.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use podsec::config::Config;
use podsec::ide::{complete, hover};

/// One Deployment of 39 lines; `$HOVER` and `$COMPLETE` mark the positions.
fn deployment(i: usize) -> String {
    format!(
        "---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels:
    app: app-{i}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      securityContext:
        runAsUser: 10000
        runAsNonRoot: true
        fsGroup: 10000
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 8080
          securityContext:
            $HOVERrunAsUser: 20000
            allowPrivilegeEscalation: false
            $COMPLETE
            capabilities:
              drop: [ALL]
        - name: sidecar
          image: busybox
          securityContext:
            readOnlyRootFilesystem: true
            privileged: false
"
    )
}

/// The file, and the offsets of the hover and completion positions in the
/// document at 90% of it.
fn file() -> (String, usize, usize) {
    let documents = 260;
    let deep = documents * 9 / 10;
    let mut text = String::new();
    let (mut hover_at, mut complete_at) = (0, 0);
    for i in 0..documents {
        let doc = deployment(i);
        if i == deep {
            hover_at = text.len() + doc.find("$HOVER").unwrap();
            complete_at = text.len() + doc.find("$COMPLETE").unwrap() - "$HOVER".len();
        }
        text.push_str(&doc.replace("$HOVER", "").replace("$COMPLETE", ""));
    }
    (text, hover_at, complete_at)
}

fn bench(c: &mut Criterion) {
    let (text, hover_at, complete_at) = file();
    assert!(text.lines().count() >= 10_000, "{} lines", text.lines().count());
    let config = Config::default();
    let found = hover(&text, hover_at, &config).expect("a hover");
    assert_eq!(&text[found.range.start..found.range.end], "runAsUser");
    let items = complete(&text, complete_at, &config);
    assert!(
        items.iter().any(|i| i.label == "readOnlyRootFilesystem"),
        "{:?}",
        items.iter().map(|i| &i.label).collect::<Vec<_>>()
    );

    c.bench_function("hover: container runAsUser, 10,000-line file", |b| {
        b.iter(|| hover(black_box(&text), black_box(hover_at), &config))
    });
    c.bench_function("completion: container securityContext, 10,000-line file", |b| {
        b.iter(|| complete(black_box(&text), black_box(complete_at), &config))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
