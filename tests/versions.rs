//! `podsec check --profile P --kubernetes-version 1.N --format json` gives
//! that version's answer: one manifest per boundary, checked on both sides.

use std::path::Path;
use std::process::Command;

/// The `pss/*` codes podsec reports for a fixture at a profile and version.
fn pss_codes(fixture: &str, profile: &str, version: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/versions").join(fixture);
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args([
            "check",
            "--format",
            "json",
            "--no-best-practices",
            "--profile",
            profile,
            "--kubernetes-version",
            version,
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut codes: Vec<String> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .filter(|c| c.starts_with("pss/"))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

fn check(fixture: &str, profile: &str, cases: &[(&str, &[&str])]) {
    for (version, expected) in cases {
        assert_eq!(pss_codes(fixture, profile, version), *expected, "{fixture} at {profile} {version}");
    }
}

#[test]
fn seccomp_moves_from_annotations_to_fields_at_1_19() {
    check(
        "seccomp.yaml",
        "restricted",
        &[("1.18", &["pss/seccompProfile_baseline"]), ("1.19", &["pss/seccompProfile_restricted"])],
    );
    // Baseline reads only the fields from 1.19: the annotation no longer counts.
    check("seccomp.yaml", "baseline", &[("1.18", &["pss/seccompProfile_baseline"]), ("1.19", &[])]);
}

#[test]
fn restricted_capabilities_start_at_1_22() {
    check("capabilities.yaml", "restricted", &[("1.21", &[]), ("1.22", &["pss/capabilities_restricted"])]);
    check("capabilities.yaml", "baseline", &[("1.21", &[]), ("1.22", &[])]);
}

#[test]
fn run_as_user_zero_is_checked_from_1_23() {
    check(
        "root-user.yaml",
        "restricted",
        &[("1.22", &["pss/runAsNonRoot"]), ("1.23", &["pss/runAsNonRoot", "pss/runAsUser"])],
    );
}

#[test]
fn windows_pods_are_exempt_from_1_25() {
    check(
        "windows.yaml",
        "restricted",
        &[
            ("1.24", &["pss/allowPrivilegeEscalation", "pss/capabilities_restricted", "pss/seccompProfile_restricted"]),
            ("1.25", &[]),
        ],
    );
}

#[test]
fn tcp_keepalive_sysctls_are_safe_from_1_29() {
    check("sysctls.yaml", "baseline", &[("1.28", &["pss/sysctls"]), ("1.29", &[])]);
}

#[test]
fn probe_hosts_are_checked_from_1_34() {
    check("probes.yaml", "baseline", &[("1.33", &[]), ("1.34", &["pss/hostProbesAndHostLifecycle"])]);
}

#[test]
fn user_namespaces_relax_from_1_35() {
    check(
        "user-namespaces.yaml",
        "restricted",
        &[("1.34", &["pss/procMount", "pss/runAsNonRoot", "pss/runAsUser"]), ("1.35", &["pss/procMount_restricted"])],
    );
    check("user-namespaces.yaml", "baseline", &[("1.34", &["pss/procMount"]), ("1.35", &[])]);
}

#[test]
fn the_version_flag_changes_the_answer_in_the_json_output() {
    // The same manifest, the same profile, two versions: different findings.
    // `runAsUser: 0` is a restricted violation from 1.23; both spellings of the version are read.
    assert_eq!(pss_codes("root-user.yaml", "restricted", "1.22"), ["pss/runAsNonRoot"]);
    assert_eq!(pss_codes("root-user.yaml", "restricted", "v1.24"), ["pss/runAsNonRoot", "pss/runAsUser"]);
}
