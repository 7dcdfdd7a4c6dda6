//! Properties of every code action, over every fixture and example (and,
//! when `PODSEC_PSA_FIXTURES` names the Pod Security Admission fixtures,
//! every `fail/` fixture there). Applying an offered action gives text that
//! (a) parses as well as before, (b) still deserializes into the
//! k8s-openapi type of each document's kind where it did before, (c) no
//! longer has the findings the action targets, (d) has no new finding, and
//! for "fix all" (e) applying it again changes nothing.
//!
//! (d) counts findings per code. An action that makes a value readable
//! (`Action::reveals`: a type, a spelling, a level) lets the rules judge
//! that value for the first time: findings inside the text it wrote are
//! exposed, not new.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use podsec::analysis::{analyze, Analysis};
use podsec::config::{Config, KubeVersion, Profile};
use podsec::fix::{self, Action, ActionKind};
use podsec::syntax::Span;
use serde::Deserialize;

use crate::support;

/// The configurations a file is checked with: its own (a `# podsec-test:`
/// directive, or the nearest `.podsec.yaml`), and the defaults.
fn configs_for(path: &Path, text: &str) -> Vec<Config> {
    let mut own = Config::default();
    if let Some(directive) = text.lines().next().and_then(|l| l.strip_prefix("# podsec-test:")) {
        own = Config { profile: Profile::Privileged, best_practices: false, ..Config::default() };
        for setting in directive.split_whitespace() {
            match setting.split_once('=') {
                Some(("kubernetes-version", v)) => own.kubernetes_version = v.parse().unwrap(),
                Some(("profile", v)) => own.profile = v.parse().unwrap(),
                Some(("best-practices", v)) => own.best_practices = v.parse().unwrap(),
                Some(("rule", v)) => {
                    let (code, level) = v.split_once(':').unwrap();
                    own.set_rule(code, level.parse().unwrap()).unwrap();
                }
                _ => {}
            }
        }
    } else if let Some(settings) =
        podsec::settings_file::find_settings_file(path.parent().unwrap(), Some(&support::repository()))
    {
        podsec::settings_file::load_settings_file(&settings).unwrap().settings.apply(&mut own);
    }
    let mut configs = vec![own];
    if configs[0] != Config::default() {
        configs.push(Config::default());
    }
    configs
}

type Counts = HashMap<&'static str, usize>;

fn counts(analysis: &Analysis, exposed: &[Span]) -> Counts {
    let mut counts = Counts::new();
    for f in &analysis.findings {
        if !exposed.iter().any(|r| r.start <= f.span.start && f.span.end <= r.end) {
            *counts.entry(f.rule.code).or_default() += 1;
        }
    }
    counts.insert("", analysis.file.documents.iter().map(|d| d.errors.len()).sum());
    counts
}

/// Whether each document deserializes into the k8s-openapi type of its kind.
fn typed(text: &str) -> Vec<Result<(), String>> {
    fn as_kind(value: serde_yaml::Value) -> Result<(), String> {
        use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
        fn to<T: serde::de::DeserializeOwned>(value: serde_yaml::Value) -> Result<(), String> {
            serde_yaml::from_value::<T>(value).map(|_| ()).map_err(|e| e.to_string())
        }
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_string();
        match kind.as_str() {
            "Pod" => to::<core::Pod>(value),
            "PodTemplate" => to::<core::PodTemplate>(value),
            "ReplicationController" => to::<core::ReplicationController>(value),
            "Deployment" => to::<apps::Deployment>(value),
            "StatefulSet" => to::<apps::StatefulSet>(value),
            "DaemonSet" => to::<apps::DaemonSet>(value),
            "ReplicaSet" => to::<apps::ReplicaSet>(value),
            "Job" => to::<batch::Job>(value),
            "CronJob" => to::<batch::CronJob>(value),
            "List" => match value.get("items").and_then(|i| i.as_sequence()) {
                Some(items) => items.iter().cloned().try_for_each(as_kind),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
    // serde_yaml's document iterator repeats its error forever: stop at the first.
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        match serde_yaml::Value::deserialize(document) {
            Ok(value) => out.push(as_kind(value)),
            Err(error) => {
                out.push(Err(error.to_string()));
                break;
            }
        }
    }
    out
}

/// Checks (a) to (e) for one action. A rewrite to restricted is judged
/// under the restricted profile too.
fn check_action(name: &str, text: &str, config: &Config, action: &Action, problems: &mut Vec<String>) {
    let mut fail =
        |what: String| problems.push(format!("{name}: `{}` ({}): {what}", action.title, action.kind.as_str()));
    let after = fix::apply(text, &action.edits);
    if after == text {
        fail("changes nothing".into());
        return;
    }
    let strict = Config { profile: Profile::Restricted, ..config.clone() };
    let judges: Vec<&Config> =
        if action.kind == ActionKind::RefactorRewrite { vec![&strict, config] } else { vec![config] };
    let exposed = if action.reveals { fix::written_regions(&after, &action.edits, |_| true) } else { Vec::new() };
    for (i, judge) in judges.iter().enumerate() {
        let (before, now) = (analyze(text, judge), analyze(&after, judge));
        let (before_all, after_all) = (counts(&before, &[]), counts(&now, &[]));
        // (a) and (d)
        for (code, n) in counts(&now, &exposed) {
            let was = before_all.get(code).copied().unwrap_or(0);
            if n > was {
                fail(format!("{} new `{code}` finding(s) (syntax errors if empty):\n{after}", n - was));
            }
        }
        // (c)
        if i == 0 {
            let mut targeted: HashMap<&str, usize> = HashMap::new();
            for t in &action.fixes {
                *targeted.entry(t.code).or_default() += 1;
            }
            for (code, n) in targeted {
                let (was, now) =
                    (before_all.get(code).copied().unwrap_or(0), after_all.get(code).copied().unwrap_or(0));
                if now + n > was {
                    fail(format!("`{code}` not resolved ({was} before, {now} after, {n} targeted)"));
                }
            }
        }
    }
    // (b)
    let (before, now) = (typed(text), typed(&after));
    for (i, b) in before.iter().enumerate() {
        match (b, now.get(i)) {
            (Ok(()), Some(Err(e))) => fail(format!("document {i} no longer deserializes: {e}\n{after}")),
            (Ok(()), None) => fail(format!("document {i} is gone")),
            _ => {}
        }
    }
    // (e)
    if action.kind == ActionKind::SourceFixAll {
        if let Some(again) = fix::fix_all(&after, config) {
            fail(format!("a second fix all still changes: {:?}", again.edits));
        }
    }
}

/// Every action offered for `text`, checked. Returns how many were checked.
fn check_file(name: &str, text: &str, config: &Config, problems: &mut Vec<String>) -> usize {
    let mut actions = fix::actions(text, config, None);
    actions.extend(fix::make_restricted(text, config, None));
    actions.extend(fix::fix_all(text, config));
    for action in &actions {
        check_action(name, text, config, action, problems);
    }
    actions.len()
}

fn run(work: Vec<(String, String, Config)>) -> (usize, Vec<String>) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let chunks: Vec<Vec<(String, String, Config)>> = {
        let mut chunks = vec![Vec::new(); workers];
        for (i, item) in work.into_iter().enumerate() {
            chunks[i % workers].push(item);
        }
        chunks
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut problems = Vec::new();
                    let mut checked = 0;
                    for (name, text, config) in chunk {
                        checked += check_file(&name, &text, &config, &mut problems);
                    }
                    (checked, problems)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).fold((0, Vec::new()), |(n, mut all), (m, p)| {
            all.extend(p);
            (n + m, all)
        })
    })
}

#[test]
fn every_action_on_every_fixture_and_example_keeps_the_manifest_valid() {
    let mut files = Vec::new();
    support::yaml_files(&support::repository().join("tests/fixtures"), &mut files);
    support::yaml_files(&support::repository().join("examples"), &mut files);
    files.sort();
    let mut work = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.strip_prefix(support::repository()).unwrap().display().to_string();
        for config in configs_for(path, &text) {
            work.push((name.clone(), text.clone(), config.clone()));
            if !text.contains('\r') {
                work.push((format!("{name} (CRLF)"), text.replace('\n', "\r\n"), config));
            }
        }
    }
    let (checked, problems) = run(work);
    eprintln!("fix properties: {checked} actions over {} files", files.len());
    assert!(checked > 100, "only {checked} actions");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n\n"));
}

#[test]
#[ignore = "needs the Pod Security Admission fixtures in PODSEC_PSA_FIXTURES (.ci/run sets it)"]
fn every_action_on_every_failing_pod_security_admission_fixture() {
    let root = std::env::var_os("PODSEC_PSA_FIXTURES").expect("PODSEC_PSA_FIXTURES names the fixtures folder");
    let root = PathBuf::from(root);
    let mut work = Vec::new();
    for (level, profile) in [("baseline", Profile::Baseline), ("restricted", Profile::Restricted)] {
        for minor in 0..=KubeVersion::NEWEST.minor {
            let config = Config { profile, kubernetes_version: KubeVersion::new(minor), ..Config::default() };
            let mut files = Vec::new();
            support::yaml_files(&root.join(level).join(format!("v1.{minor}")).join("fail"), &mut files);
            for path in files {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                work.push((name, std::fs::read_to_string(&path).unwrap(), config.clone()));
            }
        }
    }
    let files = work.len();
    let (checked, problems) = run(work);
    eprintln!("fix properties over PSA fixtures: {checked} actions over {files} files");
    assert!(files > 1000, "only {files} fixtures under {}", root.display());
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n\n"));
}
