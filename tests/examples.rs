//! `podsec check --format json examples/` reports every code at the line
//! each example marks with `# expect: <code>`, and nothing else.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support;

/// `(path, line, code)` for every annotation under `dir`, paths relative to the repository.
fn annotations(dir: &Path, skip: Option<&Path>) -> BTreeSet<(String, u64, String)> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if skip.is_some_and(|s| path.starts_with(s)) {
            continue;
        }
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let relative = path.strip_prefix(support::repository()).unwrap().to_string_lossy().into_owned();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, codes)) = line.split_once("# expect: ") {
                for code in codes.split(',') {
                    found.insert((relative.clone(), i as u64 + 1, code.trim().to_string()));
                }
            }
        }
    }
    found
}

fn check_json(args: &[&str]) -> BTreeSet<(String, u64, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .current_dir(support::repository())
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.code() == Some(0) || output.status.code() == Some(1), "{output:?}");
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap().trim_start_matches("./").to_string();
            (path, f["line"].as_u64().unwrap(), f["rule"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn examples_report_exactly_what_they_mark() {
    // Folders with a `.podsec.yaml` (a baseline namespace, a 1.29 cluster)
    // are judged by it: one run checks them all.
    let root = support::repository();
    assert_eq!(check_json(&["examples"]), annotations(&root.join("examples"), None));
}

#[test]
fn examples_show_every_rule() {
    let root = support::repository();
    let marked: BTreeSet<String> =
        annotations(&root.join("examples"), None).into_iter().map(|(_, _, code)| code).collect();
    let missing: Vec<&str> = podsec::analysis::rules::ALL
        .iter()
        .map(|r| r.code)
        .filter(|code| !marked.contains(*code) && *code != "invalid-config")
        .collect();
    assert!(missing.is_empty(), "no example shows {missing:?}");
}

#[test]
fn clean_examples_have_no_findings() {
    assert_eq!(check_json(&["examples/clean"]), BTreeSet::new());
}
