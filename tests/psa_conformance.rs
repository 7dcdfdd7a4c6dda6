//! Conformance with the official Pod Security Admission fixtures.
//!
//! For every `<level>/v1.<N>/{pass,fail}/*.yaml` under `PODSEC_PSA_FIXTURES`
//! (set by `.ci/run`), with profile `<level>` at version `1.<N>`: a pass file
//! gives no `pss/*` finding; a fail file gives at least one, and, when its
//! name starts with a check ID, that check's code or the code of the
//! restricted check that replaces it.

use std::path::{Path, PathBuf};

use podsec::analysis::analyze;
use podsec::config::{Config, KubeVersion, Profile};

/// Lower-cased fixture prefix → the codes that may satisfy it.
const CHECKS: &[(&str, &[&str])] = &[
    ("privileged", &["pss/privileged"]),
    ("hostnamespaces", &["pss/hostNamespaces"]),
    ("hostpathvolumes", &["pss/hostPathVolumes", "pss/restrictedVolumes"]),
    ("hostports", &["pss/hostPorts"]),
    ("hostprobesandhostlifecycle", &["pss/hostProbesAndHostLifecycle"]),
    ("apparmorprofile", &["pss/appArmorProfile"]),
    ("capabilities_baseline", &["pss/capabilities_baseline", "pss/capabilities_restricted"]),
    ("capabilities_restricted", &["pss/capabilities_restricted"]),
    ("selinuxoptions", &["pss/seLinuxOptions"]),
    ("procmount_restricted", &["pss/procMount_restricted"]),
    ("procmount", &["pss/procMount", "pss/procMount_restricted"]),
    ("seccompprofile_baseline", &["pss/seccompProfile_baseline", "pss/seccompProfile_restricted"]),
    ("seccompprofile_restricted", &["pss/seccompProfile_restricted"]),
    ("sysctls", &["pss/sysctls"]),
    ("windowshostprocess", &["pss/windowsHostProcess"]),
    ("restrictedvolumes", &["pss/restrictedVolumes"]),
    ("allowprivilegeescalation", &["pss/allowPrivilegeEscalation"]),
    ("runasnonroot", &["pss/runAsNonRoot"]),
    ("runasuser", &["pss/runAsUser"]),
];

fn expected_codes(file_name: &str) -> Option<&'static [&'static str]> {
    let stem = file_name.trim_end_matches(".yaml").trim_end_matches(|c: char| c.is_ascii_digit());
    CHECKS.iter().find(|(prefix, _)| *prefix == stem).map(|(_, codes)| *codes)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => {
            entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect()
        }
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
#[ignore = "needs the Pod Security Admission fixtures in PODSEC_PSA_FIXTURES (.ci/run sets it)"]
fn pod_security_admission_fixtures() {
    let root = std::env::var_os("PODSEC_PSA_FIXTURES").expect("PODSEC_PSA_FIXTURES names the fixtures folder");
    let root = PathBuf::from(root);
    assert!(root.is_dir(), "PODSEC_PSA_FIXTURES={} is not a folder", root.display());
    let (mut total, mut agreed) = (0, 0);
    let mut disagreements = Vec::new();
    for (level, profile) in [("baseline", Profile::Baseline), ("restricted", Profile::Restricted)] {
        for minor in 0..=KubeVersion::NEWEST.minor {
            let config = Config { profile, kubernetes_version: KubeVersion::new(minor), ..Config::default() };
            for outcome in ["pass", "fail"] {
                for path in files(&root.join(level).join(format!("v1.{minor}")).join(outcome)) {
                    total += 1;
                    let text = std::fs::read_to_string(&path).unwrap();
                    let findings = analyze(&text, &config).findings;
                    let pss: Vec<&str> = findings.iter().map(|f| f.code()).filter(|c| c.starts_with("pss/")).collect();
                    let name = path.file_name().unwrap().to_string_lossy();
                    let ok = match outcome {
                        "pass" => pss.is_empty(),
                        _ => match expected_codes(&name) {
                            Some(codes) => pss.iter().any(|c| codes.contains(c)),
                            None => !pss.is_empty(),
                        },
                    };
                    if ok {
                        agreed += 1;
                    } else {
                        disagreements.push(format!("{level} 1.{minor} {outcome}/{name}: {pss:?}"));
                    }
                }
            }
        }
    }
    println!("psa conformance: {agreed}/{total}");
    eprintln!("psa conformance: {agreed}/{total}");
    assert!(total > 4000, "only {total} fixtures found under {}", root.display());
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}
