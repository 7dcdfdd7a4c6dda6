//! `podsec check CHART_DIR [-f values.yaml] [--set k=v]` as a user runs it
//! from a shell, on the fixture charts under `tests/fixtures/helm/`: each
//! finding printed at the values file (or `--set` argument, or template
//! line) where the user fixes it, and the exit code that CI acts on.

use crate::support::{self, cli};

fn fixtures() -> std::path::PathBuf {
    support::repository().join("tests/fixtures/helm")
}

/// The `path:line:column: severity[rule]` head of each finding line of the
/// human output.
fn finding_heads(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let (location, rest) = line.split_once(": ")?;
            let mut parts = location.rsplitn(3, ':');
            let numeric = |p: Option<&str>| p.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let located = numeric(parts.next()) && numeric(parts.next()) && parts.next().is_some();
            let head = &rest[..rest.find(']')? + 1];
            (located && head.contains('[')).then(|| format!("{location}: {head}"))
        })
        .collect()
}

#[test]
fn an_override_file_and_a_set_argument_move_the_findings_to_the_values_that_cause_them() {
    let output = cli::run(
        &fixtures(),
        &["check", "webapp-prom", "-f", "webapp-prom/ci/prod-values.yaml", "--set", "debug.enabled=true"],
    );
    let stdout = cli::stdout(&output);
    assert_eq!(
        finding_heads(&stdout),
        [
            "webapp-prom/ci/prod-values.yaml:5:15: hint[low-user-id]",
            "webapp-prom/ci/prod-values.yaml:8:27: information[read-only-root-filesystem]",
            "webapp-prom/ci/prod-values.yaml:11:9: warning[pss/capabilities_restricted]",
            "webapp-prom/values.yaml:49:3: warning[pss/allowPrivilegeEscalation]",
            "webapp-prom/values.yaml:49:3: warning[pss/capabilities_restricted]",
            "webapp-prom/values.yaml:49:3: information[read-only-root-filesystem]",
            "webapp-prom/values.yaml:50:17: warning[pss/privileged]",
            "webapp-prom/values.yaml:64:3: information[read-only-root-filesystem]",
        ],
        "{stdout}"
    );
    // The source line shown is the values file's.
    assert!(stdout.contains("11 |       - NET_RAW"), "{stdout}");
    // Warnings do not fail the run.
    assert_eq!(cli::code(&output), 0, "{stdout}{}", cli::stderr(&output));

    // Without the override, the production file's findings are gone and
    // the default volume list's hostPath is judged.
    let defaults = cli::run(&fixtures(), &["check", "webapp-prom"]);
    assert_eq!(
        finding_heads(&cli::stdout(&defaults)),
        [
            "webapp-prom/templates/deployment.yaml:72:11: warning[pss/restrictedVolumes]",
            "webapp-prom/values.yaml:57:15: warning[sensitive-host-path]",
            "webapp-prom/values.yaml:64:3: information[read-only-root-filesystem]",
        ],
        "{}",
        cli::stdout(&defaults)
    );
}

#[test]
fn json_output_names_the_values_path_and_the_template_that_puts_it() {
    let output =
        cli::run(&fixtures(), &["check", "cachestore", "-f", "cachestore/ci/metrics-values.yaml", "--format", "json"]);
    let findings = cli::json(&output);
    let at = |path: &str, line: u64, rule: &str| {
        findings
            .iter()
            .find(|f| f["path"] == path && f["line"] == line && f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} at {path}:{line} in {findings:#?}"))
            .clone()
    };
    let capability = at("cachestore/ci/metrics-values.yaml", 10, "dangerous-capability");
    assert_eq!(capability["column"], 11);
    assert_eq!(capability["values_path"], "metrics.capabilities.add[0]");
    let related = capability["related"].as_array().unwrap();
    assert!(
        related.iter().any(|r| r["path"] == "cachestore/templates/statefulset.yaml" && r["line"] == 40),
        "{related:#?}"
    );
    // `containerSecurityContext.fsGroup: null` deleted the default, and the
    // exporter subchart is off: neither is reported.
    assert!(!findings
        .iter()
        .any(|f| f["rule"] == "pod-only-field" || f["path"].as_str().unwrap().contains("exporter")));
    assert_eq!(cli::code(&output), 0);
}

#[test]
fn a_set_argument_is_reported_as_the_place_to_fix_and_fails_the_run() {
    let output = cli::run(
        &fixtures(),
        &["check", "cachestore", "--set", "containerSecurityContext.runAsUser=0", "--format", "json"],
    );
    let findings = cli::json(&output);
    let on_set: Vec<(&str, u64)> = findings
        .iter()
        .filter(|f| f["path"] == "--set")
        .map(|f| (f["rule"].as_str().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(on_set, [("conflicting-settings", 36), ("low-user-id", 36), ("pss/runAsUser", 36)], "{findings:#?}");
    // The default UID's finding is gone: `--set` replaced it.
    assert!(!findings.iter().any(|f| f["path"] == "cachestore/values.yaml" && f["line"] == 26), "{findings:#?}");
    // `runAsUser: 0` beside `runAsNonRoot: true` is an error.
    assert_eq!(cli::code(&output), 1);
}

#[test]
fn checking_only_the_templates_still_reports_the_values_findings_they_cause() {
    // The walk reads templates/ alone; the findings the chart's values
    // cause are printed at the values files all the same.
    let output = cli::run(&fixtures(), &["check", "cachestore/templates"]);
    let stdout = cli::stdout(&output);
    assert_eq!(
        finding_heads(&stdout),
        [
            "cachestore/charts/exporter/values.yaml:3:1: information[read-only-root-filesystem]",
            "cachestore/values.yaml:26:14: hint[low-user-id]",
            "cachestore/values.yaml:27:15: hint[low-user-id]",
            "cachestore/values.yaml:32:3: error[pod-only-field]",
        ],
        "{stdout}"
    );
    assert_eq!(cli::code(&output), 1, "{stdout}");
}
