use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::syntax::Span;

/// Files in memory, numbered in path order.
struct Files(BTreeMap<PathBuf, (FileId, Arc<str>)>);

impl Files {
    fn new(files: &[(&str, &str)]) -> Self {
        Files(
            files
                .iter()
                .enumerate()
                .map(|(i, (path, text))| (PathBuf::from(path), (FileId(i as u32), Arc::from(*text))))
                .collect(),
        )
    }

    fn id(&self, path: &str) -> FileId {
        self.0[Path::new(path)].0
    }

    fn text(&self, path: &str) -> &str {
        &self.0[Path::new(path)].1
    }
}

impl FileSource for Files {
    fn file(&self, path: &Path) -> Option<(FileId, Arc<str>)> {
        self.0.get(path).cloned()
    }
}

const BASE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  labels:
    app: cart
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: cart
          image: shop/cart:1.4
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            limits: {cpu: 500m, memory: 256Mi}
";

fn repository(prod_patch: &str) -> Files {
    Files::new(&[
        ("/r/base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
        ("/r/base/deployment.yaml", BASE),
        ("/r/overlays/prod/kustomization.yaml", "resources:\n  - ../../base\nnamespace: shop\npatches:\n  - path: cart-debug.yaml\n"),
        ("/r/overlays/prod/cart-debug.yaml", prod_patch),
        (
            "/r/overlays/dev/kustomization.yaml",
            "resources: [../../base]\nnamePrefix: dev-\npatches:\n  - target: {kind: Deployment, labelSelector: app=cart}\n    patch: |-\n      - op: add\n        path: /spec/template/spec/hostNetwork\n        value: true\n",
        ),
    ])
}

const RUN_AS_ROOT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  template:
    spec:
      containers:
        - name: cart
          securityContext:
            runAsUser: 0
";

fn text_at<'t>(files: &'t Files, finding: &SourceFinding) -> (&'t str, &'t str) {
    let path = files.0.iter().find(|(_, (id, _))| *id == finding.location.file).unwrap().0.to_str().unwrap();
    let text = files.text(path);
    (path, &text[finding.location.span.start..finding.location.span.end])
}

#[test]
fn each_overlay_is_judged_on_its_merged_workload_and_reported_where_the_value_is() {
    let files = repository(RUN_AS_ROOT);
    let overlays = overlays_among(
        &[PathBuf::from("/r/base"), PathBuf::from("/r/overlays/prod"), PathBuf::from("/r/overlays/dev")],
        &files,
    );
    assert_eq!(overlays, [PathBuf::from("/r/overlays/dev"), PathBuf::from("/r/overlays/prod")]);
    let named: Vec<(PathBuf, String)> =
        overlays.iter().map(|d| (d.clone(), d.strip_prefix("/r").unwrap().display().to_string())).collect();
    let judged = judge(&named, &files, &|_| Config::default());
    let patch = files.id("/r/overlays/prod/cart-debug.yaml");
    assert!(judged.patch_only.contains(&patch));

    // The patch's runAsUser: 0, at the patch line, naming the overlay.
    let root: Vec<_> = judged.findings_in(patch).collect();
    let conflict = root.iter().find(|f| f.finding.code() == "conflicting-settings").expect("the kubelet refuses it");
    // The lines named are those of the patch and the base, not of the built text.
    assert!(conflict.finding.message.contains("line 11)"), "{}", conflict.finding.message);
    assert!(conflict.finding.message.contains("line 11 of file 1)"), "{}", conflict.finding.message);
    for finding in &root {
        assert_eq!(text_at(&files, finding).1, "0", "{finding:#?}");
        assert!(finding.finding.message.contains("overlays/prod"), "{}", finding.finding.message);
    }
    // Nothing is missing: the base sets every restricted setting.
    assert!(judged.findings.iter().all(|f| !f.finding.message.contains("missing")), "{:#?}", judged.findings);

    // The dev overlay's JSON 6902 hostNetwork, in the kustomization's inline patch.
    let dev = files.id("/r/overlays/dev/kustomization.yaml");
    let host: Vec<_> = judged.findings_in(dev).collect();
    assert_eq!(host.len(), 1, "{host:#?}");
    assert_eq!(host[0].finding.code(), "pss/hostNamespaces");
    assert_eq!(text_at(&files, host[0]).1, "true");
    assert!(host[0].finding.message.ends_with("(in overlay overlays/dev)"));
}

#[test]
fn built_names_namespaces_and_containers() {
    let files = repository(RUN_AS_ROOT);
    let dev = build(Path::new("/r/overlays/dev"), &files);
    assert_eq!(dev.resources[0].name(), "dev-cart");
    let prod = build(Path::new("/r/overlays/prod"), &files);
    let object = &prod.resources[0].object;
    assert_eq!(object.get_path(&["metadata", "namespace"]).and_then(tree::KNode::as_str), Some("shop"));
    let expansion = expand(&prod);
    let at = expansion.text.find("runAsUser: 0").unwrap() + "runAsUser: ".len();
    let (location, via) = expansion.locate(Span::new(at, at + 1)).unwrap();
    assert_eq!(location.file, files.id("/r/overlays/prod/cart-debug.yaml"));
    assert_eq!(via, &provenance::Via::Patch);
    assert!(expansion.text.contains("runAsNonRoot: true"));
}

#[test]
fn what_each_overlay_makes_of_a_base_field() {
    let files = repository(RUN_AS_ROOT);
    let named = [
        (PathBuf::from("/r/overlays/dev"), "overlays/dev".to_string()),
        (PathBuf::from("/r/overlays/prod"), "overlays/prod".to_string()),
    ];
    let judged = judge(&named, &files, &|_| Config::default());
    let base = files.id("/r/base/deployment.yaml");
    let at = BASE.find("securityContext:\n            allowPrivilegeEscalation").unwrap();
    let views: Vec<String> = judged.overlays.iter().filter_map(|o| overlay_view(o, base, at, &files)).collect();
    assert_eq!(views, ["overlays/dev keeps it", "overlays/prod sets `runAsUser: 0` (file 3:11)"]);
    let at = BASE.find("readOnlyRootFilesystem").unwrap();
    let views: Vec<String> = judged.overlays.iter().filter_map(|o| overlay_view(o, base, at, &files)).collect();
    assert_eq!(
        views,
        ["overlays/dev keeps `readOnlyRootFilesystem: true`", "overlays/prod keeps `readOnlyRootFilesystem: true`"]
    );
}

#[test]
fn what_a_removed_security_context_leaves_missing_is_reported_at_the_removal() {
    let strip = "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: cart}\n    patch: |-\n      - op: add\n        path: /spec/replicas\n        value: 1\n      - op: remove\n        path: /spec/template/spec/containers/0/securityContext\n";
    let files = Files::new(&[
        ("/r/base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
        ("/r/base/deployment.yaml", BASE),
        ("/r/overlays/debug/kustomization.yaml", strip),
    ]);
    let judged =
        judge(&[(PathBuf::from("/r/overlays/debug"), "overlays/debug".into())], &files, &|_| Config::default());
    let kustomization = files.id("/r/overlays/debug/kustomization.yaml");
    let at_removal: Vec<_> = judged.findings_in(kustomization).collect();
    let codes: Vec<&str> = at_removal.iter().map(|f| f.finding.code()).collect();
    assert!(
        codes.contains(&"pss/allowPrivilegeEscalation") && codes.contains(&"pss/capabilities_restricted"),
        "{codes:?}"
    );
    for finding in &at_removal {
        assert_eq!(text_at(&files, finding).1, "/spec/template/spec/containers/0/securityContext", "{finding:#?}");
        assert_eq!(finding.finding.span, finding.location.span);
        assert!(
            finding.finding.message.contains("its securityContext is removed here; the container: file 1:15"),
            "{}",
            finding.finding.message
        );
        // The container, as a related location in the base.
        assert_eq!(finding.related[0].location.file, files.id("/r/base/deployment.yaml"));
    }
    // Nothing of it left on the base's container line.
    assert!(judged.findings_in(files.id("/r/base/deployment.yaml")).next().is_none(), "{:#?}", judged.findings);
}

#[test]
fn a_strategic_merge_null_or_delete_of_a_security_context_is_the_place_too() {
    for (patch, removed_by) in [
        ("kind: Deployment\nmetadata: {name: cart}\nspec:\n  template:\n    spec:\n      containers:\n        - name: cart\n          securityContext: null\n", "null"),
        ("kind: Deployment\nmetadata: {name: cart}\nspec:\n  template:\n    spec:\n      containers:\n        - name: cart\n          securityContext:\n            $patch: delete\n", "delete"),
    ] {
        let files = Files::new(&[
            ("/r/base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
            ("/r/base/deployment.yaml", BASE),
            ("/r/overlays/debug/kustomization.yaml", "resources: [../../base]\npatches:\n  - path: strip.yaml\n"),
            ("/r/overlays/debug/strip.yaml", patch),
        ]);
        let judged =
            judge(&[(PathBuf::from("/r/overlays/debug"), "overlays/debug".into())], &files, &|_| Config::default());
        let strip = files.id("/r/overlays/debug/strip.yaml");
        let codes: Vec<&str> = judged.findings_in(strip).map(|f| f.finding.code()).collect();
        assert!(codes.contains(&"pss/allowPrivilegeEscalation"), "{removed_by}: {:#?}", judged.findings);
        assert!(judged.findings_in(strip).all(|f| text_at(&files, f).1 == removed_by), "{:#?}", judged.findings);
        assert!(judged.findings_in(files.id("/r/base/deployment.yaml")).next().is_none(), "{:#?}", judged.findings);
    }
}
