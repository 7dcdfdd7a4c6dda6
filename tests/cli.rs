//! End-to-end tests of `podsec check`: the real binary on real files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/cli")
}

use crate::support::cli::{code, json, podsec, run, run_with_stdin, stderr, stdout};

/// (path, rule, severity, line, column, end_line, end_column) of each finding.
fn positions(findings: &[Value]) -> Vec<(String, String, String, u64, u64, u64, u64)> {
    findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["end_line"].as_u64().unwrap(),
                f["end_column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn syntax(path: &str, line: u64, column: u64) -> (String, String, String, u64, u64, u64, u64) {
    (path.to_owned(), "yaml-syntax".into(), "error".into(), line, column, line, column + 1)
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A Pod whose line 4 has trailing content after a quoted name, at column 15.
const BROKEN: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"web\" extra\n";

#[test]
fn json_reports_every_fixture_finding_at_its_exact_position() {
    let output = run(&fixtures(), &["check", "--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let findings = json(&output);
    assert_eq!(
        positions(&findings),
        vec![
            // CRLF: line 17, `extra` after the quoted image.
            syntax("crlf.yaml", 17, 32),
            // Column 57 counts the rocket as one character (58 in UTF-16).
            syntax("emoji.yaml", 13, 57),
            // The Service document before `---` is fine; the Deployment breaks.
            syntax("two-documents.yaml", 27, 42),
        ]
    );
    let keys: Vec<&str> = findings[0].as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected =
        vec!["path", "rule", "severity", "message", "line", "column", "end_line", "end_column", "profile_source"];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert!(findings[0]["message"].as_str().unwrap().contains("trailing content"));
}

#[test]
fn clean_manifests_exit_zero() {
    let output = run(&fixtures(), &["check", "--format", "json", "deployment.yaml", "cronjob.yml"]);
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output), "[]\n");

    let output = run(&fixtures(), &["check", "deployment.yaml", "cronjob.yml"]);
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "All checked: 2 files, no findings.\n");
}

#[test]
fn a_finding_that_is_an_error_exits_one() {
    let output = run(&fixtures(), &["check", "crlf.yaml"]);
    assert_eq!(code(&output), 1);
    assert_eq!(stderr(&output), "Found 1 error in 1 of 1 file.\n");
}

#[test]
fn human_format_has_header_source_line_and_caret_without_colour_when_piped() {
    let output = run(&fixtures(), &["check", "emoji.yaml", "two-documents.yaml"]);
    assert_eq!(code(&output), 1);
    let out = stdout(&output);
    assert!(!out.contains('\x1b') && !stderr(&output).contains('\x1b'), "{out:?}");
    let expected = "\
emoji.yaml:13:57: error[yaml-syntax] YAML syntax error: while parsing a flow sequence, expected ',' or ']'. \
The rest of this document is not analysed until it parses.
   |
13 |       labels: {app: rocket, team: \"🚀 launch\", tier: [web}
   |                                                          ^

two-documents.yaml:27:42: error[yaml-syntax] YAML syntax error: mapping values are not allowed in this context. \
The rest of this document is not analysed until it parses.
   |
27 |           image: registry.example.com/api: 2.1
   |                                          ^

";
    assert_eq!(out, expected);
    assert_eq!(stderr(&output), "Found 2 errors in 2 of 2 files.\n");
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let dir = fixtures();
    let forced = run(&dir, &["check", "--color", "always", "crlf.yaml"]);
    assert!(stdout(&forced).contains("\x1b["), "{:?}", stdout(&forced));

    let env_forced = podsec(&dir).args(["check", "crlf.yaml"]).env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(stdout(&env_forced).contains("\x1b["));

    let no_color =
        podsec(&dir).args(["check", "crlf.yaml"]).env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1").output().unwrap();
    assert!(!stdout(&no_color).contains('\x1b') && !stderr(&no_color).contains('\x1b'));
    assert!(stdout(&no_color).starts_with("crlf.yaml:17:32: error[yaml-syntax]"));

    let never = run(&dir, &["check", "--color", "never", "crlf.yaml"]);
    assert!(!stdout(&never).contains('\x1b'));
}

#[test]
fn quiet_drops_the_summary_but_not_the_findings() {
    let output = run(&fixtures(), &["check", "--quiet", "crlf.yaml", "deployment.yaml"]);
    assert_eq!(code(&output), 1);
    assert_eq!(stderr(&output), "");
    assert!(stdout(&output).starts_with("crlf.yaml:17:32: error[yaml-syntax]"));

    let clean = run(&fixtures(), &["check", "-q", "deployment.yaml"]);
    assert_eq!((code(&clean), stdout(&clean), stderr(&clean)), (0, String::new(), String::new()));
}

#[test]
fn stdin_is_read_for_dash_and_reported_as_dash() {
    let text = std::fs::read(fixtures().join("emoji.yaml")).unwrap();
    let output = run_with_stdin(&fixtures(), &["check", "--format", "json", "-"], &text);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(positions(&json(&output)), vec![syntax("-", 13, 57)]);

    let named = run_with_stdin(&fixtures(), &["check", "--stdin-filename", "k8s/rocket.yaml", "-"], &text);
    assert!(stdout(&named).starts_with("k8s/rocket.yaml:13:57: error[yaml-syntax]"));

    let clean = std::fs::read(fixtures().join("deployment.yaml")).unwrap();
    let output = run_with_stdin(&fixtures(), &["check", "-"], &clean);
    assert_eq!(code(&output), 0);
}

#[test]
fn directories_are_walked_for_yaml_only_honouring_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "b.yaml", BROKEN);
    write(root, "a/nested/deep.yml", BROKEN);
    write(root, "a/upper.YAML", BROKEN);
    write(root, "notes.txt", BROKEN);
    write(root, "values.json", BROKEN);
    write(root, "build/generated.yaml", BROKEN);
    write(root, "skip-me.yaml", BROKEN);
    write(root, ".hidden/secret.yaml", BROKEN);
    write(root, ".gitignore", "build/\nskip-me.yaml\n");

    // No PATH: the current directory, reported without `./`.
    let output = run(root, &["check", "--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let paths: Vec<String> = positions(&json(&output)).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, ["a/nested/deep.yml", "a/upper.YAML", "b.yaml"]);
    assert!(positions(&json(&output)).iter().all(|p| (p.3, p.4) == (4, 15)));

    // A directory named on the command line keeps its prefix.
    let output = run(root, &["check", "--format", "json", "a"]);
    let paths: Vec<String> = positions(&json(&output)).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, ["a/nested/deep.yml", "a/upper.YAML"]);
}

#[test]
fn explicitly_named_files_are_checked_whatever_their_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", BROKEN);
    write(dir.path(), "skip-me.yaml", BROKEN);
    write(dir.path(), ".gitignore", "skip-me.yaml\n");
    let output =
        run(dir.path(), &["check", "--format", "json", "skip-me.yaml", "notes.txt", "./notes.txt", "notes.txt"]);
    let paths: Vec<String> = positions(&json(&output)).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, ["./notes.txt", "notes.txt", "skip-me.yaml"]);
}

#[test]
fn a_missing_path_exits_two_with_one_line_naming_it_and_the_rest_is_checked() {
    let output = run(&fixtures(), &["check", "--format", "json", "missing.yaml", "crlf.yaml"]);
    assert_eq!(code(&output), 2);
    assert_eq!(stderr(&output), "podsec: cannot read `missing.yaml`: No such file or directory\n");
    assert_eq!(positions(&json(&output)), vec![syntax("crlf.yaml", 17, 32)]);

    let human = run(&fixtures(), &["check", "missing.yaml", "deployment.yaml"]);
    assert_eq!(code(&human), 2);
    assert_eq!(
        stderr(&human),
        "podsec: cannot read `missing.yaml`: No such file or directory\n\
         All checked: 1 file, no findings. 1 path could not be read.\n"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_reported_and_the_others_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin1.yaml"), b"kind: Pod\nmetadata:\n  name: caf\xe9\n").unwrap();
    write(dir.path(), "z.yaml", BROKEN);
    let output = run(dir.path(), &["check", "--format", "json", "-q"]);
    assert_eq!(code(&output), 2);
    assert_eq!(
        stderr(&output),
        "podsec: cannot read `latin1.yaml`: not valid UTF-8 (byte 0xE9 on line 3); podsec reads UTF-8 only\n"
    );
    assert_eq!(positions(&json(&output)), vec![syntax("z.yaml", 4, 15)]);
}

#[test]
fn a_byte_order_mark_does_not_shift_columns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bom.yaml"), b"\xEF\xBB\xBFname: \"x\" y\n").unwrap();
    let output = run(dir.path(), &["check", "--format", "json", "bom.yaml"]);
    assert_eq!(positions(&json(&output)), vec![syntax("bom.yaml", 1, 11)]);
}

#[test]
fn sarif_is_version_2_1_0_with_every_rule_and_utf16_regions() {
    let output = run(&fixtures(), &["check", "--format", "sarif", "emoji.yaml", "deployment.yaml"]);
    assert_eq!(code(&output), 1);
    let log: Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &log["runs"].as_array().unwrap()[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "podsec");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].as_str().unwrap().starts_with("https://"));
    let ids: Vec<&str> = driver["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = podsec::analysis::rules::ALL.iter().map(|r| r.code).collect();
    assert_eq!(ids, codes);
    for rule in driver["rules"].as_array().unwrap() {
        assert!(rule["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
        assert!(["error", "warning", "note"].contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["ruleId"], "yaml-syntax");
    assert_eq!(result["level"], "error");
    assert!(result["message"]["text"].as_str().unwrap().contains("flow sequence"));
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "emoji.yaml");
    // The rocket is two UTF-16 code units: column 58, where JSON says 57.
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 13, "startColumn": 58, "endLine": 13, "endColumn": 59})
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_records_unreadable_paths() {
    let output = run(&fixtures(), &["check", "--format", "sarif", "missing.yaml"]);
    assert_eq!(code(&output), 2);
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(invocation["toolExecutionNotifications"][0]["message"]["text"].as_str().unwrap().contains("missing.yaml"));
}

#[test]
fn checking_never_modifies_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut before = Vec::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let entry = entry.unwrap();
        let target = dir.path().join(entry.file_name());
        std::fs::copy(entry.path(), &target).unwrap();
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::metadata(&path).unwrap();
        before.push((path.clone(), std::fs::read(&path).unwrap(), meta.modified().unwrap(), meta.len()));
    }
    for format in ["human", "json", "sarif"] {
        let output = run(dir.path(), &["check", "--format", format]);
        assert_eq!(code(&output), 1);
    }
    for (path, bytes, modified, len) in before {
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{}", path.display());
        assert_eq!((meta.modified().unwrap(), meta.len()), (modified, len), "{}", path.display());
    }
    let count = |dir: &Path| std::fs::read_dir(dir).unwrap().count();
    assert_eq!(count(dir.path()), count(&fixtures()), "no file created");
}

#[test]
fn many_files_stream_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for i in 0..60 {
        let name = format!("m{i:02}.yaml");
        // Varying sizes so workers finish out of order.
        let padding = "# padding line\n".repeat((60 - i) * 50);
        write(dir.path(), &name, &format!("{padding}kind: Pod\nmetadata:\n  name: [p{i}\n"));
        expected.push(name);
    }
    let output = run(dir.path(), &["check", "--format", "json"]);
    let paths: Vec<String> = positions(&json(&output)).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, expected);
    // Piped stderr: the summary only, no progress bar.
    assert_eq!(run(dir.path(), &["check"]).stderr, b"Found 60 errors in 60 of 60 files.\n");
}

#[test]
fn each_file_is_printed_as_soon_as_it_and_those_before_it_are_done() {
    // Standard input, reported as `zz.yaml`, sorts after `crlf.yaml` and stays
    // open: the finding in `crlf.yaml` must be printed before it closes.
    let mut child = podsec(&fixtures())
        .args(["check", "--stdin-filename", "zz.yaml", "crlf.yaml", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line);
        let _ = tx.send(line);
    });
    let first = rx.recv_timeout(std::time::Duration::from_secs(20));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"kind: Pod\n").unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let first = first.expect("the first file's finding is printed while stdin is still open");
    assert!(first.starts_with("crlf.yaml:17:32: error[yaml-syntax]"), "{first}");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn an_empty_directory_checks_nothing_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["check"]);
    assert_eq!(code(&output), 0);
    assert_eq!(stderr(&output), "No YAML files found.\n");
    assert_eq!(stdout(&run(dir.path(), &["check", "--format", "json"])), "[]\n");
}

#[test]
fn options_are_validated_with_exit_two() {
    let dir = fixtures();
    let ok = run(&dir, &["check", "--kubernetes-version", "v1.30", "--profile", "baseline", "deployment.yaml"]);
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let ok = run(&dir, &["check", "--kubernetes-version", "1.25", "--profile", "privileged", "deployment.yaml"]);
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));

    let bad_version = run(&dir, &["check", "--kubernetes-version", "2.0", "deployment.yaml"]);
    assert_eq!(code(&bad_version), 2);
    assert!(stderr(&bad_version).contains("invalid Kubernetes version `2.0`"), "{}", stderr(&bad_version));

    let bad_profile = run(&dir, &["check", "--profile", "strict", "deployment.yaml"]);
    assert_eq!(code(&bad_profile), 2);
    assert!(stderr(&bad_profile).contains("strict"));

    let bad_format = run(&dir, &["check", "--format", "xml"]);
    assert_eq!(code(&bad_format), 2);
    assert_eq!(stdout(&bad_format), "");
}

#[test]
fn help_documents_the_exit_codes() {
    let output = run(&fixtures(), &["check", "--help"]);
    assert_eq!(code(&output), 0);
    let help = stdout(&output);
    for line in
        ["Exit codes:", "  0  no finding is an error", "  1  at least one finding is an error", "  2  usage error"]
    {
        assert!(help.contains(line), "{line:?} missing from:\n{help}");
    }
    for flag in ["--format", "--kubernetes-version", "--profile", "--quiet", "--color", "--stdin-filename"] {
        assert!(help.contains(flag), "{flag} missing");
    }
}

/// The CI formats on a small repository, compared with their golden files
/// (`PODSEC_BLESS=1` rewrites them after a deliberate change).
fn golden(format: &str, file: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/cli-golden");
    let output = run(&dir.join("manifests"), &["check", "--format", format, "."]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "the CI formats print no summary");
    let actual = stdout(&output);
    let expected_path = dir.join(file);
    if std::env::var_os("PODSEC_BLESS").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    assert_eq!(actual, expected, "--format {format} differs from {file}");
    actual
}

/// The JSON format's findings on the golden repository, as the positions tuple.
fn golden_json_positions() -> Vec<(String, String, String, u64, u64, u64, u64)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/cli-golden/manifests");
    positions(&json(&run(&dir, &["check", "--format", "json", "."])))
}

#[test]
fn github_format_is_workflow_commands_on_the_findings_lines() {
    let text = golden("github", "github.txt");
    let command = |line: &str| -> (String, String, String, u64, u64, u64, u64) {
        let (head, message) =
            line.split_once("::").and_then(|(_, rest)| rest.split_once("::")).expect("::cmd props::msg");
        let (level, properties) = head.split_once(' ').unwrap();
        let property = |name: &str| -> String {
            properties.split(',').find_map(|p| p.strip_prefix(&format!("{name}="))).unwrap().to_string()
        };
        let number = |name: &str| property(name).parse::<u64>().unwrap();
        let rule = property("title").trim_start_matches("podsec (").trim_end_matches(')').replace("%3A", ":");
        let severity = message.split(' ').nth(1).unwrap().split('[').next().unwrap().to_string();
        assert_eq!(
            level,
            match severity.as_str() {
                "error" => "error",
                "warning" => "warning",
                _ => "notice",
            }
        );
        (property("file"), rule, severity, number("line"), number("col"), number("endLine"), number("endColumn"))
    };
    let annotations: Vec<_> = text.lines().map(command).collect();
    assert_eq!(annotations, golden_json_positions(), "the same findings at the same places as --format json");
    // The namespace that chose the profile is named, as in the human format.
    assert!(text.contains("(profile from namespace team-a (team-a/namespace.yaml:6))"), "{text}");
}

#[test]
fn gitlab_format_is_a_code_quality_report_with_stable_unique_fingerprints() {
    let text = golden("gitlab", "gitlab.json");
    let issues: Vec<Value> = serde_json::from_str(&text).unwrap();
    let located: Vec<_> = issues
        .iter()
        .map(|issue| {
            let severity = match issue["severity"].as_str().unwrap() {
                "critical" => "error",
                "major" => "warning",
                "minor" => "information",
                "info" => "hint",
                other => panic!("severity {other}"),
            };
            let at = |end: &str, field: &str| issue["location"]["positions"][end][field].as_u64().unwrap();
            (
                issue["location"]["path"].as_str().unwrap().to_string(),
                issue["check_name"].as_str().unwrap().to_string(),
                severity.to_string(),
                at("begin", "line"),
                at("begin", "column"),
                at("end", "line"),
                at("end", "column"),
            )
        })
        .collect();
    assert_eq!(located, golden_json_positions(), "the same findings at the same places as --format json");
    let mut fingerprints: Vec<&str> = issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    assert!(issues.iter().all(|i| !i["description"].as_str().unwrap().is_empty()));
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len(), "every fingerprint is unique");

    // A line added above a finding keeps its fingerprint.
    let dir = tempfile::tempdir().unwrap();
    let web = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/cli-golden/manifests/web.yaml"),
    )
    .unwrap();
    write(dir.path(), "web.yaml", &format!("# moved down\n{web}"));
    let moved: Vec<Value> =
        serde_json::from_slice(&run(dir.path(), &["check", "--format", "gitlab", "web.yaml"]).stdout).unwrap();
    let of_web: Vec<&Value> = issues.iter().filter(|i| i["location"]["path"] == "web.yaml").collect();
    assert_eq!(moved.len(), of_web.len());
    for (before, after) in of_web.iter().zip(&moved) {
        assert_eq!(before["fingerprint"], after["fingerprint"]);
        assert_eq!(
            before["location"]["positions"]["begin"]["line"].as_u64().unwrap() + 1,
            after["location"]["positions"]["begin"]["line"].as_u64().unwrap()
        );
    }
}

#[test]
fn rule_prints_the_documentation_that_docs_rules_md_holds() {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md")).unwrap();
    for rule in podsec::analysis::rules::ALL {
        let output = run(&fixtures(), &["rule", rule.code]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.starts_with(&format!("# {}\n", rule.code)), "{text}");
        assert!(text.contains(&format!("Default severity: {}", rule.default_severity)), "{text}");
        // The page's own words for the rule, read here from the file.
        let own_words = match rule.code.strip_prefix("pss/") {
            Some(check) => {
                let row = page.lines().find(|l| l.starts_with(&format!("| `pss/{check}` |"))).expect("a table row");
                row.rsplit(" | ").next().unwrap().trim_end_matches(" |").trim().to_string()
            }
            None => {
                let heading = format!("### {}\n", rule.code);
                let after = &page[page.find(&heading).expect("a section") + heading.len()..];
                let end = after.find("\n## ").into_iter().chain(after.find("\n### ")).min().unwrap_or(after.len());
                after[..end].trim().to_string()
            }
        };
        assert!(
            text.contains(&own_words),
            "`podsec rule {}` lacks the page's text:\n{own_words}\n---\n{text}",
            rule.code
        );
    }
}

#[test]
fn rule_all_lists_every_rule_and_an_unknown_code_gets_a_suggestion() {
    let output = run(&fixtures(), &["rule", "--all"]);
    assert_eq!(code(&output), 0);
    let listed: Vec<String> =
        stdout(&output).lines().map(|l| l.split_whitespace().next().unwrap().to_string()).collect();
    let codes: Vec<String> = podsec::analysis::rules::ALL.iter().map(|r| r.code.to_string()).collect();
    assert_eq!(listed, codes);
    let output = run(&fixtures(), &["rule", "pss/runAsNonroot"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("did you mean `pss/runAsNonRoot`?"), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn completions_are_generated_for_each_shell_and_bash_loads_them() {
    for (shell, marker) in [
        ("bash", "complete -F _podsec"),
        ("zsh", "#compdef podsec"),
        ("fish", "complete -c podsec"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = run(&fixtures(), &["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for word in ["check", "lsp", "rule", "format", "kubernetes-version"] {
            assert!(script.contains(word), "{shell}: `{word}` is not completed");
        }
        // PowerShell's completer offers options, not their values.
        if shell != "powershell" {
            assert!(script.contains("github"), "{shell}: the --format values are not completed");
        }
    }
    // Bash itself loads the script and completes the subcommands.
    let script = stdout(&run(&fixtures(), &["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "podsec.bash", &script);
    let output = Command::new("bash")
        .arg("-c")
        .arg("source podsec.bash && COMP_WORDS=(podsec ch) COMP_CWORD=1 && _podsec podsec ch podsec && echo \"${COMPREPLY[@]}\"")
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "check", "{}", String::from_utf8_lossy(&output.stderr));
}
