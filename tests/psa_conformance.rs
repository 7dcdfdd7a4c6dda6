//! Conformance with the official Pod Security Admission fixtures.
//!
//! For every `<level>/v1.<N>/{pass,fail}/*.yaml` under `PODSEC_PSA_FIXTURES`
//! (set by `.ci/run`), with profile `<level>` at version `1.<N>`: a pass file
//! gives no `pss/*` finding; a fail file, named after the check it fails,
//! gives that check's code or the code of the restricted check that
//! replaces it.

use std::path::{Path, PathBuf};

use podsec::analysis::analyze;
use podsec::config::{Config, KubeVersion, Profile};
use podsec::rules::controls::PSS_CONTROLS;

/// The codes that may satisfy a fixture whose name starts with a check ID
/// (lower-cased): that check's code, or the restricted check's that
/// replaces it (`rules::controls`).
fn expected_codes(file_name: &str) -> Option<Vec<&'static str>> {
    let stem = file_name.trim_end_matches(".yaml").trim_end_matches(|c: char| c.is_ascii_digit());
    PSS_CONTROLS.iter().find(|c| c.rule.code["pss/".len()..].eq_ignore_ascii_case(stem)).map(|c| c.codes())
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
                        // Every fail fixture is named after the check it fails.
                        _ => expected_codes(&name).is_some_and(|codes| pss.iter().any(|c| codes.contains(c))),
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
