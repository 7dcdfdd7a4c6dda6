//! Namespace Pod Security labels choose the profile, on the fixture
//! workspace `tests/fixtures/workspace/`: a Namespace `payments` enforcing
//! baseline at v1.30 (and warning at restricted, latest), an unlabelled
//! Namespace `tools`, Deployments in both, and a kustomization that puts a
//! Deployment without a namespace into `payments`.
//!
//! Each workload file marks its expected Pod Security findings on their
//! line, `# expect: error pss/privileged, warning pss/runAsNonRoot`, and
//! its verdict on its `kind:` line, `# verdict: <lens> | <lens>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use podsec::analysis::policy::{policy_for, ProfileSource};
use podsec::analysis::rules::RuleGroup;
use podsec::analysis::{analyze, verdicts, Severity};
use podsec::config::{Config, KubeVersion, Profile};
use podsec::namespaces::{file_facts, kustomized_namespace, NamespacePolicies};
use podsec::text::LineIndex;
use serde_json::Value;

use crate::support;

struct Workspace {
    root: PathBuf,
    /// Every manifest, with its text, in path order.
    files: Vec<(PathBuf, String)>,
    policies: NamespacePolicies,
    kustomizations: BTreeMap<PathBuf, String>,
}

fn workspace() -> Workspace {
    let root = support::repository().join("tests/fixtures/workspace");
    let mut paths = Vec::new();
    support::yaml_files(&root, &mut paths);
    paths.sort();
    let files: Vec<(PathBuf, String)> =
        paths.into_iter().map(|path| (path.clone(), std::fs::read_to_string(&path).unwrap())).collect();
    let mut namespaces = Vec::new();
    let mut kustomizations = BTreeMap::new();
    for (path, text) in &files {
        let display = path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        let facts = file_facts(path, &display, text);
        namespaces.extend(facts.namespaces);
        if let Some(namespace) = facts.kustomization_namespace {
            kustomizations.insert(path.parent().unwrap().to_path_buf(), namespace);
        }
    }
    Workspace { root, files, policies: NamespacePolicies::new(namespaces, 1), kustomizations }
}

impl Workspace {
    /// The configuration a front end gives `path`: defaults (restricted,
    /// the newest version), the namespaces, the kustomization's namespace.
    fn config_for(&self, path: &Path) -> Config {
        let folder = path.parent().unwrap();
        Config {
            namespaces: self.policies.clone(),
            default_namespace: kustomized_namespace(folder, Some(&self.root), &self.kustomizations).map(str::to_string),
            ..Config::default()
        }
    }

    fn workloads(&self) -> impl Iterator<Item = &(PathBuf, String)> {
        self.files.iter().filter(|(path, text)| {
            !podsec::namespaces::is_kustomization(path) && !podsec::namespaces::may_define_namespace(text)
        })
    }
}

/// The text after `# <marker>:` on each line that has it, by 1-based line.
fn marks<'t>(text: &'t str, marker: &str) -> Vec<(usize, &'t str)> {
    let needle = format!("# {marker}: ");
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| line.find(&needle).map(|at| (i + 1, line[at + needle.len()..].trim())))
        .collect()
}

#[test]
fn findings_follow_the_namespace_level_version_and_warn_label() {
    let workspace = workspace();
    assert_eq!(workspace.policies.len(), 1, "only `payments` has Pod Security labels");
    let mut checked = 0;
    for (path, text) in workspace.workloads() {
        let config = workspace.config_for(path);
        let index = LineIndex::new(text);
        let mut expected: Vec<(usize, String, String)> = marks(text, "expect")
            .into_iter()
            .flat_map(|(line, list)| {
                list.split(", ").map(move |pair| {
                    let (severity, code) = pair.split_once(' ').expect("`severity code`");
                    (line, severity.to_string(), code.to_string())
                })
            })
            .collect();
        expected.sort();
        let findings: Vec<_> =
            analyze(text, &config).findings.into_iter().filter(|f| f.rule.group == RuleGroup::PodSecurity).collect();
        let mut actual: Vec<(usize, String, String)> = findings
            .iter()
            .map(|f| (index.line_of(f.span.start) + 1, f.severity.to_string(), f.code().to_string()))
            .collect();
        actual.sort();
        assert_eq!(actual, expected, "{}", path.display());
        // Errors are exactly the findings of an enforced level, and each
        // says which label chose its profile.
        for finding in &findings {
            assert_eq!(finding.severity == Severity::Error, finding.profile_source.is_enforced(), "{finding:?}");
            let source = finding.profile_source.to_string();
            let expected_source = match (&finding.profile_source, finding.severity) {
                (ProfileSource::Config, _) => "config",
                (_, Severity::Error) => "namespace payments (namespaces.yaml:8)",
                _ => "namespace payments, warn (namespaces.yaml:10)",
            };
            assert_eq!(source, expected_source);
            if finding.profile_source.is_enforced() {
                assert!(
                    finding.message.contains("Kubernetes 1.30; namespace `payments` enforces baseline"),
                    "{finding:?}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn verdict_lenses_of_clean_baseline_only_and_privileged_workloads() {
    let workspace = workspace();
    let mut seen = Vec::new();
    for (path, text) in workspace.workloads() {
        let config = workspace.config_for(path);
        let index = LineIndex::new(text);
        let expected: Vec<(usize, Vec<String>)> = marks(text, "verdict")
            .into_iter()
            .map(|(line, lenses)| (line, lenses.split(" | ").map(str::to_string).collect()))
            .collect();
        let actual: Vec<(usize, Vec<String>)> = verdicts(text, &config)
            .iter()
            .map(|v| {
                (
                    index.line_of(v.anchor.start) + 1,
                    std::iter::once(v.summary()).chain(v.enforcement_summary()).collect(),
                )
            })
            .collect();
        assert_eq!(actual, expected, "{}", path.display());
        seen.extend(actual.into_iter().map(|(_, lenses)| lenses[0].clone()));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "baseline ✓ · restricted ✓",
            "baseline ✓ · restricted ✗ 3",
            "baseline ✓ · restricted ✗ 4",
            "baseline ✗ 1 · restricted ✗ 3",
            "baseline ✗ 3 · restricted ✗ 7"
        ]
    );
}

/// One workload under a table of label sets and namespaces: the profile,
/// version and source it is judged by.
#[test]
fn resolution_table() {
    let namespace =
        |labels: &str| format!("kind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: shop\n{labels}");
    let label = |mode: &str, value: &str| format!("    pod-security.kubernetes.io/{mode}: {value}\n");
    // (labels, metadata.namespace, kustomization's namespace, (profile, minor, source)).
    type Case = (String, Option<&'static str>, Option<&'static str>, (Profile, u32, &'static str));
    let cases: &[Case] = &[
        // Enforce level and version replace the configuration.
        (
            label("enforce", "baseline") + &label("enforce-version", "v1.28"),
            Some("shop"),
            None,
            (Profile::Baseline, 28, "namespace shop (ns.yaml:6)"),
        ),
        // `latest` and a missing version: the configured version.
        (
            label("enforce", "privileged") + &label("enforce-version", "latest"),
            Some("shop"),
            None,
            (Profile::Privileged, 37, "namespace shop (ns.yaml:6)"),
        ),
        (label("enforce", "baseline"), Some("shop"), None, (Profile::Baseline, 37, "namespace shop (ns.yaml:6)")),
        // A version alone keeps the configured level.
        (
            label("enforce-version", "v1.25"),
            Some("shop"),
            None,
            (Profile::Restricted, 25, "namespace shop (ns.yaml:6)"),
        ),
        // A level admission does not know is restricted; a bad version is latest.
        (
            label("enforce", "strict") + &label("enforce-version", "1.28"),
            Some("shop"),
            None,
            (Profile::Restricted, 37, "namespace shop (ns.yaml:6)"),
        ),
        // Only warn or audit: the configuration decides.
        (
            label("warn", "baseline") + &label("audit", "restricted"),
            Some("shop"),
            None,
            (Profile::Restricted, 37, "config"),
        ),
        // The kustomization's namespace, unless the workload names one.
        (label("enforce", "baseline"), None, Some("shop"), (Profile::Baseline, 37, "namespace shop (ns.yaml:6)")),
        (label("enforce", "baseline"), Some("other"), Some("shop"), (Profile::Restricted, 37, "config")),
        (label("enforce", "baseline"), None, None, (Profile::Restricted, 37, "config")),
    ];
    for (labels, workload_namespace, kustomized, (profile, minor, source)) in cases {
        let policies = NamespacePolicies::new(podsec::namespaces::namespaces_in(&namespace(labels), "ns.yaml"), 1);
        let config =
            Config { namespaces: policies, default_namespace: kustomized.map(str::to_string), ..Config::default() };
        let metadata = workload_namespace.map(|n| format!("  namespace: {n}\n")).unwrap_or_default();
        let text = format!("kind: Pod\nmetadata:\n  name: p\n{metadata}spec:\n  containers: [{{name: a}}]\n");
        let file = podsec::syntax::parse(&text);
        let policy = policy_for(&config, file.documents[0].root.as_ref().unwrap());
        let judged = (policy.enforce.profile, policy.enforce.version, policy.enforce.source.to_string());
        assert_eq!(judged, (*profile, KubeVersion::new(*minor), source.to_string()), "{labels}");
    }
}

#[test]
fn hover_on_the_namespace_value_shows_the_labels_in_force_and_their_file() {
    let workspace = workspace();
    let (path, text) = workspace.files.iter().find(|(p, _)| p.ends_with("payments/api.yaml")).unwrap();
    let config = workspace.config_for(path);
    let at = text.find("namespace: payments").unwrap() + "namespace: ".len() + 2;
    let hover = podsec::ide::hover(text, at, &config).expect("a hover on the namespace");
    assert_eq!(&text[hover.range.start..hover.range.end], "payments");
    let md = &hover.markdown;
    assert!(md.starts_with("**namespace `payments`** · Pod Security labels set in `namespaces.yaml:3`"), "{md}");
    assert!(md.contains("| enforce (line 8) | baseline | v1.30 → 1.30 |"), "{md}");
    assert!(md.contains("| warn (line 10) | restricted | latest → 1.37 |"), "{md}");
    assert!(md.contains("judged at **baseline**, Kubernetes 1.30"), "{md}");
    // Hover on a setting judges it at the level and version in force.
    let (path, text) = workspace.files.iter().find(|(p, _)| p.ends_with("payments/card-reader.yaml")).unwrap();
    let config = workspace.config_for(path);
    let hover = podsec::ide::hover(text, text.find("privileged: true").unwrap(), &config).unwrap();
    assert!(
        hover.markdown.contains("Namespace `payments` enforces: **baseline**, Kubernetes 1.30"),
        "{}",
        hover.markdown
    );
    let hover = podsec::ide::hover(text, text.find("tcp_rmem").unwrap(), &config).unwrap();
    assert!(
        hover.markdown.contains("**Not safe** at Kubernetes 1.30: it joins the safe sysctls in Kubernetes 1.32"),
        "{}",
        hover.markdown
    );
    // In a namespace without labels, the hover says the configuration applies.
    let (path, text) = workspace.files.iter().find(|(p, _)| p.ends_with("tools/debug.yaml")).unwrap();
    let at = text.find("namespace: tools").unwrap() + "namespace: ".len();
    let hover = podsec::ide::hover(text, at, &workspace.config_for(path)).unwrap();
    assert!(hover.markdown.contains("No Namespace `tools` with Pod Security labels"), "{}", hover.markdown);
}

fn check_json(args: &[&str]) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--format", "json"])
        .args(args)
        .current_dir(support::repository().join("tests/fixtures/workspace"))
        .env_remove("PODSEC_LOG")
        .output()
        .unwrap();
    let findings: Value = serde_json::from_slice(&output.stdout).unwrap();
    findings.as_array().unwrap().clone()
}

#[test]
fn check_json_carries_the_profile_source() {
    let findings = check_json(&["."]);
    let source_of = |path: &str, rule: &str| -> Vec<Value> {
        findings
            .iter()
            .filter(|f| f["path"] == path && f["rule"] == rule)
            .map(|f| f["profile_source"].clone())
            .collect()
    };
    assert_eq!(source_of("payments/card-reader.yaml", "pss/privileged"), ["namespace payments (namespaces.yaml:8)"]);
    assert_eq!(
        source_of("payments/card-reader.yaml", "pss/runAsNonRoot"),
        ["namespace payments, warn (namespaces.yaml:10)"]
    );
    assert_eq!(source_of("tools/debug.yaml", "pss/seccompProfile_restricted"), ["config"]);
    // Rules that do not depend on the profile have none.
    assert_eq!(source_of("payments/card-reader.yaml", "read-only-root-filesystem"), [Value::Null]);
    let errors: Vec<_> =
        findings.iter().filter(|f| f["severity"] == "error").map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(errors, ["pss/hostNamespaces", "pss/sysctls", "pss/privileged", "pss/hostNamespaces"]);

    // Checking one file alone: the Namespace file is not among the paths,
    // so the configured profile applies.
    let alone = check_json(&["payments/card-reader.yaml"]);
    assert!(alone.iter().all(|f| f["profile_source"] != "namespace payments (namespaces.yaml:8)"), "{alone:#?}");
    assert!(alone.iter().all(|f| f["severity"] != "error"), "{alone:#?}");
    // With the Namespace file named too it applies again, and the
    // kustomization beside a file puts it in `payments`.
    let named = check_json(&["namespaces.yaml", "shop/migrate.yaml"]);
    let sources: Vec<_> = named.iter().map(|f| (f["rule"].as_str().unwrap(), f["profile_source"].as_str())).collect();
    assert!(sources.contains(&("pss/hostNamespaces", Some("namespace payments (namespaces.yaml:8)"))), "{named:#?}");
    // Turned off: everything is judged by the configuration.
    let off = check_json(&["--no-namespace-labels", "."]);
    assert!(off.iter().all(|f| f["profile_source"].is_null() || f["profile_source"] == "config"), "{off:#?}");
}

#[test]
fn check_standard_input_alone_applies_its_own_namespaces() {
    // What `kustomize build | podsec check -` sees: the Namespace and the
    // workloads in one stream.
    let workspace = workspace();
    let read = |name: &str| workspace.files.iter().find(|(p, _)| p.ends_with(name)).unwrap().1.clone();
    let stream = format!("{}\n---\n{}", read("namespaces.yaml"), read("payments/card-reader.yaml"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--format", "json", "--stdin-filename", "build.yaml", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stream.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let privileged = findings.iter().find(|f| f["rule"] == "pss/privileged").unwrap();
    assert_eq!(privileged["severity"], "error");
    assert_eq!(privileged["profile_source"], "namespace payments (build.yaml:8)");
    assert_eq!(output.status.code(), Some(1));
}

/// A repository with a folder per cluster, each with its own Namespace
/// `payments` and the same workload.
fn clusters() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (cluster, level) in [("dev", "privileged"), ("prod", "restricted")] {
        let folder = dir.path().join("clusters").join(cluster);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("namespace.yaml"),
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: {level}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            folder.join("agent.yaml"),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\n  namespace: payments\nspec:\n  containers:\n    - name: agent\n      image: example/agent:1\n      securityContext:\n        privileged: true\n",
        )
        .unwrap();
    }
    dir
}

#[test]
fn of_several_namespaces_of_one_name_the_nearest_judges_a_workload() {
    let dir = clusters();
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--format", "json", "--no-best-practices", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let of = |path: &str| -> Vec<(String, String)> {
        findings
            .iter()
            .filter(|f| f["path"] == path && f["rule"].as_str().is_some_and(|r| r.starts_with("pss/")))
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["profile_source"].as_str().unwrap().to_string()))
            .collect()
    };
    // prod enforces restricted: the privileged agent is rejected there.
    let prod = of("clusters/prod/agent.yaml");
    assert!(
        prod.contains(&("pss/privileged".into(), "namespace payments (clusters/prod/namespace.yaml:6)".into())),
        "{prod:?}"
    );
    // dev's Namespace enforces privileged: nothing to report.
    assert_eq!(of("clusters/dev/agent.yaml"), []);

    // Hover on the namespace names the other definition.
    let root = dir.path().join("clusters");
    let mut namespaces = Vec::new();
    for cluster in ["dev", "prod"] {
        let path = root.join(cluster).join("namespace.yaml");
        let display = format!("clusters/{cluster}/namespace.yaml");
        namespaces.extend(file_facts(&path, &display, &std::fs::read_to_string(&path).unwrap()).namespaces);
    }
    let agent = root.join("dev/agent.yaml");
    let config = Config {
        namespaces: NamespacePolicies::new(namespaces, 1),
        document_folder: agent.parent().map(Path::to_path_buf),
        ..Config::default()
    };
    let text = std::fs::read_to_string(&agent).unwrap();
    let at = text.find("namespace: payments").unwrap() + "namespace: ".len();
    let hover = podsec::ide::hover(&text, at, &config).unwrap();
    assert!(hover.markdown.contains("set in `clusters/dev/namespace.yaml:2`"), "{}", hover.markdown);
    assert!(
        hover
            .markdown
            .contains("defines namespace `payments` once more: `clusters/prod/namespace.yaml:2` (enforces restricted)"),
        "{}",
        hover.markdown
    );
}
