//! `podsec check` on a GitOps repository with a base and overlays: each
//! overlay judged as kustomize builds it, findings where the value is.

use std::path::PathBuf;

use serde_json::Value;

use crate::support;
use crate::support::cli::{code, json, run, stdout};

fn shop() -> PathBuf {
    support::repository().join("tests/fixtures/kustomize/shop")
}

/// `path:line:column rule [overlay]`, as `tests/fixtures/kustomize/*.expected` lists them.
fn line_of(finding: &Value) -> String {
    let overlay = finding.get("overlay").and_then(Value::as_str).map(|o| format!(" [{o}]")).unwrap_or_default();
    format!(
        "{}:{}:{} {}{overlay}",
        finding["path"].as_str().unwrap(),
        finding["line"],
        finding["column"],
        finding["rule"].as_str().unwrap()
    )
}

#[test]
fn every_overlay_finding_is_reported_where_its_value_is_written() {
    let output = run(&shop(), &["check", ".", "--format", "json"]);
    assert_eq!(code(&output), 1, "errors: privileged and root in prod");
    let actual: Vec<String> = json(&output).iter().map(line_of).collect();
    let expected_text = std::fs::read_to_string(shop().with_extension("expected")).unwrap();
    let expected: Vec<&str> = expected_text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert_eq!(actual, expected, "\n{}", actual.join("\n"));
}

#[test]
fn a_patch_file_is_not_judged_as_a_whole_workload() {
    // Alone, the five-line patch looks like a Deployment missing every
    // restricted setting ...
    let patch = shop().join("overlays/prod/cart-debug.yaml");
    let alone = run(&shop(), &["check", "--format", "json", patch.to_str().unwrap()]);
    let codes: Vec<String> = json(&alone).iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    assert!(codes.iter().any(|c| c == "pss/seccompProfile_restricted"), "{codes:?}");
    // ... but in its overlay the base sets them: only what the patch changes is reported.
    let output = run(&shop(), &["check", "overlays/prod", "--format", "json"]);
    let in_patch: Vec<Value> =
        json(&output).into_iter().filter(|f| f["path"] == "overlays/prod/cart-debug.yaml").collect();
    let codes: Vec<&str> = in_patch.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(codes, ["pss/privileged", "conflicting-settings", "low-user-id", "pss/runAsUser"]);
    assert!(in_patch.iter().all(|f| f["overlay"] == "overlays/prod"));
    // The kubelet's refusal names both lines: the patch's and the base's.
    let conflict = in_patch[1]["message"].as_str().unwrap();
    assert!(conflict.contains("line 12)") && conflict.contains("line 20 of base/cart/deployment.yaml"), "{conflict}");
    // The Namespace the overlay builds enforces restricted, at its file and line.
    assert_eq!(in_patch[0]["profile_source"], "namespace shop-prod (overlays/prod/namespace.yaml:6)");
    // The base, outside the path given, gets the finding the merge makes there.
    assert!(
        json(&output).iter().any(|f| f["path"] == "base/cart/deployment.yaml"
            && f["rule"] == "conflicting-settings"
            && f["line"] == 30),
        "{}",
        stdout(&output)
    );
}

#[test]
fn the_human_format_names_the_overlay() {
    let output = run(&shop(), &["check", "overlays/dev", "--color", "never"]);
    let text = stdout(&output);
    assert!(
        text.contains("overlays/dev/kustomization.yaml:16:16: warning[pss/hostNamespaces]")
            && text.contains("(in overlay overlays/dev)"),
        "{text}"
    );
}

#[test]
fn fix_leaves_patches_alone_and_fixes_a_base_as_a_workload() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    crate::workspace_stdio::copy_dir(&shop(), &root);
    let patches = [
        "overlays/prod/cart-debug.yaml",
        "overlays/prod/drop-log-shipper.yaml",
        "overlays/staging/worker-replace.yaml",
    ];
    let before: Vec<String> = patches.iter().map(|p| std::fs::read_to_string(root.join(p)).unwrap()).collect();

    // --diff: only the base's own finding is fixable; the patches, which
    // alone look like Deployments lacking every restricted setting, are not.
    let diff = run(&root, &["check", "--diff", "."]);
    let shown = stdout(&diff);
    assert!(shown.contains("--- a/base/worker/worker.yaml\n"), "{shown}");
    assert!(!shown.contains("overlays/"), "{shown}");
    assert!(!shown.contains("(in overlay"), "findings are not printed with --diff: {shown}");

    let fixed = run(&root, &["check", "--fix", "."]);
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    assert!(
        stderr.contains("podsec: fixed 1 finding (read-only-root-filesystem) in `base/worker/worker.yaml`"),
        "{stderr}"
    );
    // Its overlays were built from the text before the fix: said, not misplaced.
    assert!(
        stderr.contains("the overlays that read `base/worker/worker.yaml` were judged before it was fixed"),
        "{stderr}"
    );
    let after: Vec<String> = patches.iter().map(|p| std::fs::read_to_string(root.join(p)).unwrap()).collect();
    assert_eq!(after, before, "a patch is never rewritten");
    // The overlay findings in the patches are still reported.
    let printed = stdout(&fixed);
    assert!(printed.contains("overlays/prod/cart-debug.yaml:11:25: error[pss/privileged]"), "{printed}");
}

#[test]
fn a_removed_security_context_names_its_container_in_json_and_sarif() {
    let output = run(&shop(), &["check", "overlays/dev", "base", "--format", "json"]);
    let findings = json(&output);
    let removed: Vec<&Value> =
        findings.iter().filter(|f| f["path"] == "overlays/dev/kustomization.yaml" && f["line"] == 21).collect();
    assert!(!removed.is_empty(), "{findings:#?}");
    for finding in &removed {
        assert_eq!(finding["overlay"], "overlays/dev");
        let container = &finding["related"][0];
        assert_eq!(
            (container["path"].as_str(), container["line"].as_u64()),
            (Some("base/cart/deployment.yaml"), Some(37)),
            "{finding}"
        );
        assert_eq!(container["message"], "the container");
    }

    let sarif = run(&shop(), &["check", "overlays/dev", "base", "--format", "sarif"]);
    let log: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let at_removal = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"] == 21)
        .unwrap_or_else(|| panic!("{log:#}"));
    let related = &at_removal["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], "base/cart/deployment.yaml");
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 37);
    assert_eq!(related["message"]["text"], "the container");
}
