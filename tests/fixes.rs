//! Code actions and `podsec check --fix`: what each action writes, that it
//! keeps the file's style, that every fixable finding of the examples and
//! fixtures gets its fix, that "make this workload restricted" passes the
//! official restricted fixtures, and that `--fix` is safe on a whole tree.
//!
//! A fixture marks the cursor with `$0`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use podsec::analysis::{analyze, Severity};
use podsec::config::{Config, KubeVersion, Profile};
use podsec::fix::{self, Action, ActionKind};
use podsec::rules::{self, Rule};
use podsec::syntax::Span;

use crate::support;

fn restricted() -> Config {
    Config { best_practices: false, ..Config::default() }
}

/// Every action at the `$0` cursor (quick fixes, moves, rewrites).
fn actions_at(fixture: &str, config: &Config) -> (String, Vec<Action>) {
    let at = fixture.find("$0").expect("a $0 cursor");
    let text = fixture.replacen("$0", "", 1);
    let range = Some(Span::new(at, at));
    let mut actions = fix::actions(&text, config, range);
    actions.extend(fix::make_restricted(&text, config, range));
    (text, actions)
}

/// Applies the action whose title starts with `title`; returns it and the new text.
fn apply_titled(fixture: &str, config: &Config, title: &str) -> (Action, String) {
    let (text, actions) = actions_at(fixture, config);
    let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
    let action = actions
        .iter()
        .find(|a| a.title.starts_with(title))
        .unwrap_or_else(|| panic!("no `{title}` among {titles:#?}"))
        .clone();
    let fixed = fix::apply(&text, &action.edits);
    (action, fixed)
}

fn codes(text: &str, config: &Config) -> Vec<&'static str> {
    analyze(text, config).findings.iter().map(|f| f.rule.code).collect()
}

#[test]
fn a_container_fs_group_moves_into_a_new_pod_security_context_in_four_space_style() {
    let fixture = include_str!("fixtures/fixes/four-spaces.yaml").replacen("fsGroup", "$0fsGroup", 1);
    let (action, fixed) = apply_titled(&fixture, &restricted(), "Move `fsGroup` to the pod securityContext");
    assert_eq!(action.kind, ActionKind::QuickFix);
    assert!(action.is_preferred && action.safe);
    assert_eq!(action.fixes.iter().map(|t| t.code).collect::<Vec<_>>(), ["pod-only-field"]);
    assert!(fixed.contains(
        "            initContainers:\n            -   name: migrate\n                image: ghcr.io/example/ledger-migrate:2.1.0\n            securityContext:\n                fsGroup: 30000 # the volume group\n"
    ), "{fixed}");
    assert!(fixed.contains("                securityContext:\n                    capabilities:\n"), "{fixed}");
    assert!(!codes(&fixed, &restricted()).contains(&"pod-only-field"));
}

#[test]
fn drop_all_joins_a_block_list_in_its_style_and_keeps_its_comment() {
    let fixture = include_str!("fixtures/fixes/four-spaces.yaml").replacen("drop:", "$0drop:", 1);
    let (_, fixed) = apply_titled(&fixture, &restricted(), "Drop all capabilities");
    assert!(fixed.contains("                        drop:\n                        - NET_RAW # not enough\n                        - ALL\n"), "{fixed}");
}

#[test]
fn a_missing_setting_creates_the_security_context_of_an_init_container() {
    let fixture = include_str!("fixtures/fixes/four-spaces.yaml").replacen("name: migrate", "name: $0migrate", 1);
    let (_, fixed) = apply_titled(&fixture, &restricted(), "Set `allowPrivilegeEscalation: false`");
    assert!(fixed.ends_with(
        "                image: ghcr.io/example/ledger-migrate:2.1.0\n                securityContext:\n                    allowPrivilegeEscalation: false\n"
    ), "{fixed}");
}

#[test]
fn flow_style_security_contexts_are_edited_in_flow_style() {
    let base = include_str!("fixtures/fixes/flow-style.yaml");
    let config = restricted();
    let (_, fixed) =
        apply_titled(&base.replacen("fsGroup", "$0fsGroup", 1), &config, "Move `fsGroup` to the pod securityContext");
    assert!(
        fixed.contains("  securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, fsGroup: 2000}\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains("securityContext: {capabilities: {drop: [NET_RAW]}, seccompProfile: {type: runtimedefault}}"),
        "{fixed}"
    );
    let (_, fixed) = apply_titled(
        &base.replacen("readOnly", "$0readOnly", 1),
        &config,
        "Move `readOnlyRootFilesystem` to the containers'",
    );
    assert!(fixed.contains("  securityContext: {runAsNonRoot: true}\n"), "{fixed}");
    assert!(fixed.contains(", seccompProfile: {type: runtimedefault}, readOnlyRootFilesystem: true}"), "{fixed}");
    let (_, fixed) = apply_titled(&base.replacen("drop", "$0drop", 1), &config, "Drop all capabilities");
    assert!(fixed.contains("{drop: [NET_RAW, ALL]}"), "{fixed}");
    let (action, fixed) = apply_titled(
        &base.replacen("runtimedefault", "$0runtimedefault", 1),
        &config,
        "Change `runtimedefault` to `RuntimeDefault`",
    );
    assert!(fixed.contains("seccompProfile: {type: RuntimeDefault}}"), "{fixed}");
    assert!(action.is_preferred);
}

#[test]
fn crlf_files_stay_crlf() {
    let base = include_str!("fixtures/fixes/crlf.yaml");
    let all = fix::fix_all(base, &restricted()).expect("fixes");
    let fixed = fix::apply(base, &all.edits);
    assert!(!fixed.replace("\r\n", "").contains('\n'), "{fixed:?}");
    assert_eq!(
        fixed,
        "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: crlf\r\nspec:\r\n  containers:\r\n  - name: app\r\n    image: ghcr.io/example/app:1.0.0\r\n    securityContext:\r\n      runAsUser: 20000\r\n      capabilities:\r\n        add:\r\n        - NET_BIND_SERVICE\r\n        drop:\r\n        - ALL\r\n      allowPrivilegeEscalation: false\r\n  securityContext:\r\n    seccompProfile:\r\n      type: RuntimeDefault\r\n    runAsNonRoot: true\r\n"
    );
    // Minimal edits, not a whole-document replacement.
    assert!(all.edits.iter().all(|e| e.span.len() < base.len() / 2), "{:?}", all.edits);
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    fsGroup: 1000
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  initContainers:
    - name: init
      image: busybox:1.36
      securityContext:
        runAsUser: 20001
        allowPrivilegeEscalation: false
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        runAsUser: 20001
        fsGroup: 2000
        allowPrivilegeEscalation: false
";

#[test]
fn moving_onto_a_different_pod_value_says_so_and_is_not_preferred() {
    let fixture = POD.replacen("fsGroup: 2000", "$0fsGroup: 2000", 1);
    let (action, fixed) =
        apply_titled(&fixture, &restricted(), "Move `fsGroup` to the pod securityContext (replaces pod value 1000)");
    assert!(!action.is_preferred && !action.safe);
    assert!(fixed.contains("  securityContext:\n    fsGroup: 2000\n    runAsNonRoot: true\n"), "{fixed}");
    assert!(!fixed.contains("        fsGroup"), "{fixed}");
    // Not part of "fix all": it changes what the pod asks for.
    let all = fix::fix_all_text(POD, &restricted());
    assert!(all.text.contains("fsGroup: 1000") && all.text.contains("fsGroup: 2000"));
}

#[test]
fn hoisting_a_shared_value_and_pushing_it_down_keep_every_effective_value() {
    let config = restricted();
    let fixture = POD.replacen("runAsUser", "$0runAsUser", 1);
    let (action, hoisted) = apply_titled(&fixture, &config, "Hoist `runAsUser` to the pod securityContext");
    assert_eq!(action.kind, ActionKind::RefactorMove);
    // The pod's keys are sorted: the new one keeps them sorted.
    assert!(hoisted.contains("    runAsNonRoot: true\n    runAsUser: 20001\n    seccompProfile:\n"), "{hoisted}");
    assert_eq!(hoisted.matches("runAsUser").count(), 1, "{hoisted}");
    let fixture = hoisted.replacen("runAsUser", "$0runAsUser", 1);
    let (action, pushed) = apply_titled(&fixture, &config, "Push `runAsUser` down to the containers (2 of 2)");
    assert_eq!(action.kind, ActionKind::RefactorMove);
    assert_eq!(pushed.matches("runAsUser: 20001").count(), 2, "{pushed}");
    let sorted = |text: &str| {
        let mut c = codes(text, &config);
        c.sort_unstable();
        c
    };
    assert_eq!(sorted(&hoisted), sorted(POD), "same findings after hoisting");
    assert_eq!(sorted(&pushed), sorted(POD), "same findings after pushing down");
    // Not offered when the containers disagree.
    let differing = POD.replacen("runAsUser: 20001", "$0runAsUser: 20002", 1);
    let (_, actions) = actions_at(&differing, &config);
    assert!(
        !actions.iter().any(|a| a.title.starts_with("Hoist")),
        "{:?}",
        actions.iter().map(|a| &a.title).collect::<Vec<_>>()
    );
}

#[test]
fn a_container_only_pod_field_goes_to_every_container_that_lacks_it() {
    let fixture = POD.replacen(
        "    fsGroup: 1000\n",
        "    fsGroup: 1000\n    $0allowPrivilegeEscalation: true\n    readOnlyRootFilesystem: true\n",
        1,
    );
    let (_, fixed) = apply_titled(
        &fixture.replacen("$0", "", 1).replacen("readOnly", "$0readOnly", 1),
        &restricted(),
        "Move `readOnlyRootFilesystem` to the containers' securityContext (2 of 2",
    );
    assert_eq!(fixed.matches("readOnlyRootFilesystem: true").count(), 2, "{fixed}");
    assert!(
        fixed.contains("        allowPrivilegeEscalation: false\n        readOnlyRootFilesystem: true\n  containers:"),
        "{fixed}"
    );
    // Every container already sets its own: the pod value just goes.
    let (action, fixed) = apply_titled(
        &fixture,
        &restricted(),
        "Remove `allowPrivilegeEscalation` from the pod securityContext (every container sets its own)",
    );
    assert!(action.is_preferred);
    assert_eq!(fixed.matches("allowPrivilegeEscalation: false").count(), 2, "{fixed}");
    assert!(!fixed.contains("allowPrivilegeEscalation: true"), "{fixed}");
}

#[test]
fn a_dead_permissive_pod_setting_is_removed_not_brought_to_life_in_the_containers() {
    // `privileged: true` in the pod securityContext does nothing; in the
    // containers it would make them privileged (a baseline violation).
    const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    fsGroup: 1000
    runAsNonRoot: true
  containers:
    - name: web
      image: nginx:1.27
    - name: log
      image: busybox:1.36
      securityContext:
        readOnlyRootFilesystem: true
";
    let fixture = POD.replacen("    fsGroup: 1000\n", "    fsGroup: 1000\n    $0privileged: true\n", 1);
    let (_, actions) = actions_at(&fixture, &restricted());
    let preferred: Vec<&str> = actions.iter().filter(|a| a.is_preferred).map(|a| a.title.as_str()).collect();
    assert_eq!(preferred, ["Remove `privileged` from the pod securityContext (it has no effect there)"]);
    let (action, fixed) = apply_titled(&fixture, &restricted(), "Remove `privileged`");
    assert!(action.safe);
    assert_eq!(fixed, POD);
    // Moving stays an explicit choice that says what it does.
    let (action, fixed) = apply_titled(&fixture, &restricted(), "Move `privileged` to the containers'");
    assert!(!action.is_preferred && !action.safe, "{action:?}");
    assert!(action.title.contains("takes effect and loosens security (pss/privileged)"), "{}", action.title);
    assert!(codes(&fixed, &restricted()).contains(&"pss/privileged"));
    // Fix all (and `podsec check --fix`) removes it.
    let text = fixture.replacen("$0", "", 1);
    let fixed = fix::fix_all_text(&text, &restricted()).text;
    assert!(!fixed.contains("privileged"), "{fixed}");

    // A tightening value moves, as before.
    let fixture = POD.replacen("    fsGroup: 1000\n", "    fsGroup: 1000\n    $0privileged: false\n", 1);
    let (_, actions) = actions_at(&fixture, &restricted());
    let preferred: Vec<&str> = actions.iter().filter(|a| a.is_preferred).map(|a| a.title.as_str()).collect();
    assert_eq!(preferred, ["Move `privileged` to the containers' securityContext (2 of 2 containers)"]);
}

#[test]
fn a_removed_workload_api_version_becomes_the_served_one() {
    let legacy = "apiVersion: $0apps/v1beta2\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers:\n        - name: db\n          image: example/db:1\n";
    let (action, fixed) = apply_titled(legacy, &restricted(), "Use `apiVersion: apps/v1`");
    assert!(action.is_preferred && action.safe);
    assert!(fixed.starts_with("apiVersion: apps/v1\nkind: StatefulSet\n"), "{fixed}");
    assert!(!codes(&fixed, &restricted()).contains(&"removed-api"));
    // Without a selector, apps/v1 needs one: offered, but neither preferred nor applied by fix all.
    let no_selector = legacy.replace("  selector:\n    matchLabels: {app: db}\n", "");
    let (action, _) = apply_titled(&no_selector, &restricted(), "Use `apiVersion: apps/v1` (then add `spec.selector`)");
    assert!(!action.is_preferred && !action.safe);
    let cronjob = "apiVersion: $0batch/v1beta1\nkind: CronJob\nmetadata:\n  name: n\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job, image: example/job:1}]\n";
    let (_, fixed) = apply_titled(cronjob, &restricted(), "Use `apiVersion: batch/v1`");
    assert!(fixed.starts_with("apiVersion: batch/v1\n"), "{fixed}");
}

#[test]
fn no_fix_edits_an_alias_whose_text_stands_for_its_anchor() {
    let fixture = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  initContainers:\n    - name: setup\n      image: busybox:1.36\n      securityContext: &loose {privileged: true}\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext: $0*loose\n";
    let (text, actions) = actions_at(fixture, &restricted());
    let alias = text.find("*loose").unwrap();
    for action in &actions {
        for edit in &action.edits {
            let touches = edit.span.start <= alias + "*loose".len() && alias <= edit.span.end;
            assert!(!touches, "`{}` edits the alias: {edit:?}", action.title);
        }
    }
    // The anchored value itself is fixed where it is written, for both containers.
    let fixed = fix::fix_all_text(&text, &restricted()).text;
    assert!(!fixed.contains("privileged: true"), "{fixed}");
    assert!(fixed.contains("securityContext: *loose"), "{fixed}");
}

#[test]
fn tightening_fixes() {
    let config = Config::default();
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "privileged: true",
            "privileged: $0true\n        runAsUser: 20000",
            "Remove `privileged: true`",
            "      securityContext:\n        runAsUser: 20000\n",
        ),
        (
            "allowPrivilegeEscalation: true",
            "allowPrivilegeEscalation: $0true",
            "Set `allowPrivilegeEscalation: false`",
            "allowPrivilegeEscalation: false\n",
        ),
        (
            "capabilities: {add: [SYS_TIME], drop: [ALL]}",
            "capabilities: {add: [$0SYS_TIME], drop: [ALL]}",
            "Remove `SYS_TIME` from `capabilities.add`",
            "capabilities: {add: [], drop: [ALL]}",
        ),
        (
            "capabilities: {add: [CAP_NET_BIND_SERVICE]}",
            "capabilities: {add: [$0CAP_NET_BIND_SERVICE]}",
            "Write `NET_BIND_SERVICE`",
            "capabilities: {add: [NET_BIND_SERVICE]}",
        ),
        (
            "readOnlyRootFilesystem: false",
            "readOnlyRootFilesystem: $0false",
            "Set `readOnlyRootFilesystem: true`",
            "readOnlyRootFilesystem: true\n",
        ),
        ("runAsUser: \"20000\"", "runAsUser: $0\"20000\"", "Write `20000` unquoted", "runAsUser: 20000\n"),
        ("runAsUsr: 20000", "$0runAsUsr: 20000", "Rename `runAsUsr` to `runAsUser`", "runAsUser: 20000\n"),
        ("procMount: Unmasked", "procMount: $0Unmasked", "Set `procMount: Default`", "procMount: Default\n"),
        (
            "allowPrivilegeEscalation: no",
            "allowPrivilegeEscalation: $0no",
            "Write `false`",
            "allowPrivilegeEscalation: false\n",
        ),
    ];
    for (setting, marked, title, expected) in cases {
        let fixture = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {{type: RuntimeDefault}}\n  containers:\n    - name: c\n      image: x:1\n      securityContext:\n        {marked}\n"
        );
        let (action, fixed) = apply_titled(&fixture, &config, title);
        assert!(fixed.contains(expected), "{setting}: {fixed}");
        assert_eq!(action.kind, ActionKind::QuickFix);
        let before = analyze(&fixture.replacen("$0", "", 1), &config).findings.len();
        assert!(codes(&fixed, &config).len() < before, "{setting}: {fixed}");
    }
}

#[test]
fn run_as_non_root_and_seccomp_go_to_the_pod_where_they_cover_every_container() {
    let fixture = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: $0a\n      image: x:1\n    - name: b\n      image: y:1\n";
    let (_, fixed) = apply_titled(fixture, &restricted(), "Set `runAsNonRoot: true` in the pod securityContext");
    assert!(!codes(&fixed, &restricted()).contains(&"pss/runAsNonRoot"), "both containers are covered: {fixed}");
    assert!(fixed.ends_with("      image: y:1\n  securityContext:\n    runAsNonRoot: true\n"), "{fixed}");
    let (_, fixed) =
        apply_titled(fixture, &restricted(), "Set `seccompProfile: {type: RuntimeDefault}` in the pod securityContext");
    assert!(fixed.ends_with("  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n"), "{fixed}");
}

#[test]
fn a_deprecated_annotation_becomes_the_field() {
    let fixture = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    team: shop\n    $0container.seccomp.security.alpha.kubernetes.io/app: localhost/profiles/audit.json\nspec:\n  containers:\n    - name: app\n      image: x:1\n";
    let (_, fixed) = apply_titled(fixture, &restricted(), "Replace the deprecated annotation with `seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}` in container `app`");
    assert_eq!(
        fixed,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    team: shop\nspec:\n  containers:\n    - name: app\n      image: x:1\n      securityContext:\n        seccompProfile:\n          type: Localhost\n          localhostProfile: profiles/audit.json\n"
    );
}

#[test]
fn make_restricted_says_what_it_leaves() {
    let text = std::fs::read_to_string(support::repository().join("examples/pod-security/node-agent.yaml")).unwrap();
    let actions = fix::make_restricted(&text, &Config::default(), None);
    assert_eq!(actions.len(), 1);
    let action = &actions[0];
    assert_eq!(action.kind, ActionKind::RefactorRewrite);
    assert_eq!(
        action.title,
        "Make `node-agent` restricted as far as safely possible (left to change by hand: `hostNetwork`, `hostPID`, a `hostPort`, a `hostPath` volume)"
    );
    let fixed = fix::apply(&text, &action.edits);
    let mut left: Vec<&str> = codes(&fixed, &Config::default()).into_iter().filter(|c| c.starts_with("pss/")).collect();
    left.dedup();
    assert_eq!(left, ["pss/hostNamespaces", "pss/hostPorts", "pss/restrictedVolumes"]);
}

/// Lower-cased PSA fixture prefix of a file name.
fn check_of(name: &str) -> String {
    name.trim_end_matches(".yaml").trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
}

#[test]
#[ignore = "needs the Pod Security Admission fixtures in PODSEC_PSA_FIXTURES (.ci/run sets it)"]
fn make_restricted_passes_every_restricted_psa_fixture_it_can() {
    let root = std::env::var_os("PODSEC_PSA_FIXTURES").expect("PODSEC_PSA_FIXTURES names the fixtures folder");
    let dir = PathBuf::from(root).join("restricted/v1.37/fail");
    let config = Config { profile: Profile::Restricted, kubernetes_version: KubeVersion::new(37), ..Config::default() };
    // check -> (made to pass, left with only what the action declines)
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let actions = fix::make_restricted(&text, &config, None);
        let fixed = match actions.as_slice() {
            [] => text.clone(),
            [action] => fix::apply(&text, &action.edits),
            _ => panic!("{name}: several pod specs"),
        };
        let left: Vec<&str> = codes(&fixed, &config).into_iter().filter(|c| c.starts_with("pss/")).collect();
        let entry = counts.entry(check_of(&name)).or_default();
        if left.is_empty() {
            entry.0 += 1;
        } else if left.iter().all(|c| fix::DECLINED.iter().any(|r| r.code == *c)) {
            entry.1 += 1;
        } else {
            problems.push(format!("{name}: {left:?} left\n{fixed}"));
        }
    }
    let (passed, declined): (usize, usize) = counts.values().fold((0, 0), |(p, d), (a, b)| (p + a, d + b));
    println!("make restricted over restricted/v1.37/fail: {passed} pass, {declined} left with only declined checks");
    for (check, (p, d)) in &counts {
        println!("  {check:<28} {p:>3} pass {d:>3} declined");
    }
    assert_eq!((passed, declined), (46, 30), "fixtures made to pass, and left with declined checks only");
    // Only the checks whose fixes podsec declines on purpose (it cannot
    // choose a volume type or give up a host namespace for the user) stay.
    let left: Vec<&str> = counts.iter().filter(|(_, (_, d))| *d > 0).map(|(c, _)| c.as_str()).collect();
    assert_eq!(left, ["hostnamespaces", "hostpathvolumes", "hostports", "restrictedvolumes", "windowshostprocess"]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether the list has a fix for this finding in this file. The
/// others: an ID, a GID or a user to choose, a volume, host namespace or
/// port to give up, a structure to rewrite, or a name with no near match.
fn expects_a_fix(rule: &Rule, message: &str, severity: Severity, text: &str) -> bool {
    match rule {
        rules::POD_ONLY_FIELD
        | rules::CONTAINER_ONLY_FIELD
        | rules::YAML11_BOOLEAN
        | rules::DEPRECATED_ANNOTATION
        | rules::PSS_PRIVILEGED
        | rules::PSS_PROC_MOUNT
        | rules::PSS_PROC_MOUNT_RESTRICTED
        | rules::PSS_APPARMOR
        | rules::PSS_SECCOMP_BASELINE
        | rules::PSS_SYSCTLS
        | rules::PSS_WINDOWS_HOST_PROCESS
        | rules::PSS_HOST_PROBES
        | rules::PSS_SELINUX
        | rules::PSS_RUN_AS_USER
        | rules::PSS_CAPABILITIES_BASELINE
        | rules::DANGEROUS_CAPABILITY
        | rules::READ_ONLY_ROOT_FILESYSTEM
        | rules::REDUNDANT_SETTING
        | rules::PSS_ALLOW_PRIVILEGE_ESCALATION => true,
        rules::UNKNOWN_FIELD | rules::INVALID_SUPPRESSION => {
            message.contains("Did you mean") && !message.contains("It belongs")
        }
        rules::INVALID_TYPE => ["unquoted", "Quote it", "Write `"].iter().any(|m| message.contains(m)),
        rules::INVALID_VALUE => message.contains("Did you mean") || message.contains("case-sensitive"),
        rules::INVALID_CAPABILITY => severity == Severity::Warning,
        rules::CONFLICTING_SETTINGS => message.contains("privileged: true") || message.contains("adding `SYS_ADMIN`"),
        // A container running as UID 0 conflicts with runAsNonRoot: the user is to choose.
        rules::PSS_RUN_AS_NON_ROOT => !text.contains("runAsUser: 0"),
        // A securityContext or capabilities written as a scalar is to rewrite by hand.
        rules::PSS_SECCOMP_RESTRICTED | rules::PSS_CAPABILITIES_RESTRICTED => {
            !message.contains("container `migrate`") && !message.contains("container `sidecar`")
        }
        _ => false,
    }
}

/// The rules whose fix depends on the finding (its message names a
/// suggestion, its severity, the file): each must expect one somewhere, so
/// that rewording a message cannot switch the check off.
const FIXED_SOMETIMES: &[&Rule] = &[
    rules::UNKNOWN_FIELD,
    rules::INVALID_TYPE,
    rules::INVALID_VALUE,
    rules::INVALID_CAPABILITY,
    rules::CONFLICTING_SETTINGS,
    rules::PSS_RUN_AS_NON_ROOT,
    rules::PSS_SECCOMP_RESTRICTED,
    rules::PSS_CAPABILITIES_RESTRICTED,
];

#[test]
fn every_fixable_finding_of_the_examples_and_fixtures_gets_its_fix() {
    let mut files = Vec::new();
    support::yaml_files(&support::repository().join("examples"), &mut files);
    support::yaml_files(&support::repository().join("tests/fixtures"), &mut files);
    files.sort();
    let mut missing = Vec::new();
    let mut fixed = 0;
    let mut expected = std::collections::BTreeSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for config in [Config::default(), Config { profile: Profile::Baseline, ..Config::default() }] {
            let analysis = analyze(&text, &config);
            // Half-typed YAML (a syntax error, or a `$0` cursor where a
            // mapping belongs): its fixes wait until it is written out.
            if text.contains("$0") || analysis.file.documents.iter().any(|d| !d.errors.is_empty()) {
                continue;
            }
            let actions = fix::actions(&text, &config, None);
            // Settings that come through an alias or merge key are fixed
            // at their anchor, by hand: an edit there changes every user.
            let through_alias =
                |at: usize| analysis.file.documents.iter().any(|d| d.span.contains(at) && !d.followed.is_empty());
            for finding in analysis.findings.iter().filter(|f| !through_alias(f.span.start)) {
                let offered = actions.iter().any(|a| {
                    a.kind == ActionKind::QuickFix
                        && a.fixes.iter().any(|t| t.code == finding.rule.code && t.span == finding.span)
                });
                if expects_a_fix(finding.rule, &finding.message, finding.severity, &text) {
                    expected.insert(finding.rule.code);
                }
                if offered {
                    fixed += 1;
                } else if expects_a_fix(finding.rule, &finding.message, finding.severity, &text) {
                    let line = text[..finding.span.start].lines().count();
                    missing.push(format!(
                        "{}:{line}: {} {}",
                        path.strip_prefix(support::repository()).unwrap().display(),
                        finding.rule.code,
                        finding.message
                    ));
                }
            }
        }
    }
    eprintln!("{fixed} findings with a fix");
    assert!(missing.is_empty(), "no fix for:\n{}", missing.join("\n"));
    for rule in FIXED_SOMETIMES {
        assert!(expected.contains(rule.code), "no finding of `{}` expects a fix: has its message changed?", rule.code);
    }
}

// --- podsec check --fix / --diff -------------------------------------------

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn podsec(args: &[&str], dir: &Path) -> std::process::Output {
    crate::support::cli::run(dir, args)
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = Vec::new();
    support::yaml_files(dir, &mut files);
    files.into_iter().map(|p| (p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap())).collect()
}

/// Every comment of a text, as written (a trailing or an own-line one).
fn comments(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.find(" #").map(|i| &l[i + 1..]).or_else(|| l.trim_start().starts_with('#').then(|| l.trim_start()))
        })
        // A fix may correct the case of a code in a suppression comment.
        .map(|c| c.trim().to_lowercase())
        .collect();
    out.sort();
    out
}

#[test]
fn check_fix_on_a_copy_of_the_examples_leaves_nothing_fixable_and_keeps_every_comment() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&support::repository().join("examples"), dir.path());
    let before = snapshot(dir.path());
    let broken = PathBuf::from("mistakes/rejected-by-the-api.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path().join("mistakes/typos.yaml"), std::fs::Permissions::from_mode(0o640))
            .unwrap();
    }

    // --diff shows the changes and writes nothing.
    let diff = podsec(&["check", "--diff", "."], dir.path());
    assert_eq!(diff.status.code(), Some(1), "{diff:?}");
    let shown = String::from_utf8(diff.stdout).unwrap();
    assert!(shown.contains("--- a/mistakes/wrong-level.yaml\n+++ b/mistakes/wrong-level.yaml\n"), "{shown}");
    assert!(shown.contains("-            fsGroup: 10001 # expect: pod-only-field\n"), "{shown}");
    assert_eq!(snapshot(dir.path()), before, "--diff wrote");

    let fixed = podsec(&["check", "--fix", "--format", "json", "."], dir.path());
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    assert!(
        stderr
            .contains("podsec: fixed 2 findings (container-only-field, pod-only-field) in `mistakes/wrong-level.yaml`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("podsec: left `mistakes/rejected-by-the-api.yaml` unchanged: it has YAML syntax errors"),
        "{stderr}"
    );
    // The findings that remain, as JSON on stdout.
    let remaining: serde_json::Value = serde_json::from_slice(&fixed.stdout).unwrap();
    assert!(remaining.as_array().unwrap().iter().all(|f| f["rule"] != "pod-only-field"), "{remaining}");
    let after = snapshot(dir.path());
    assert_ne!(after, before);
    assert_eq!(after[&broken], before[&broken], "a file with syntax errors is left alone");
    for (path, text) in &after {
        let (old, new) = (String::from_utf8_lossy(&before[path]), String::from_utf8_lossy(text));
        let (was, now) = (comments(&old), comments(&new));
        assert!(
            was.iter().all(|c| now.contains(c)),
            "{}: lost comments {:?}",
            path.display(),
            was.iter().filter(|c| !now.contains(c)).collect::<Vec<_>>()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("mistakes/typos.yaml")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    // Nothing fixable is left: a second run changes nothing and --diff shows nothing.
    let again = podsec(&["check", "--fix", "-q", "."], dir.path());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("podsec: fixed"), "{again:?}");
    assert_eq!(snapshot(dir.path()), after);
    let diff = podsec(&["check", "--diff", "."], dir.path());
    assert_eq!(diff.status.code(), Some(0), "{diff:?}");
    assert!(diff.stdout.is_empty());
    let patches = patch_only_files(dir.path());
    assert!(patches.contains(Path::new("kustomize/overlays/debug/debug.yaml")), "{patches:?}");
    for (path, text) in &after {
        let text = String::from_utf8_lossy(text);
        if path == &broken {
            continue;
        }
        // Judged with the defaults and with the folder's own settings (above).
        let config = if path.starts_with("pod-security/baseline") {
            Config { profile: Profile::Baseline, ..Config::default() }
        } else if path.starts_with("cluster-1.29") {
            Config { kubernetes_version: KubeVersion::new(29), ..Config::default() }
        } else {
            Config::default()
        };
        // A patch of an overlay is judged in its overlay: what it would lack
        // as a whole workload is not its to fix, and --fix leaves it alone.
        if patches.contains(path) {
            continue;
        }
        let safe: Vec<String> = fix::actions(&text, &config, None)
            .into_iter()
            .filter(|a| a.safe && a.kind == ActionKind::QuickFix)
            .map(|a| a.title)
            .collect();
        assert!(safe.is_empty(), "{}: still fixable: {safe:?}", path.display());
    }
}

#[test]
fn check_fix_reads_standard_input_and_prints_the_fixed_text() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--fix", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {allowPrivilegeEscalation: no}\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("securityContext: {allowPrivilegeEscalation: false"), "{stdout}");
}

/// The files under `root` (relative to it) that the overlays there read
/// only as patches.
fn patch_only_files(root: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut kustomizations = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else if entry.file_name() == "kustomization.yaml" {
                kustomizations.push(dir.clone());
            }
        }
    }
    let files = support::kustomize::DiskFiles::new(root);
    let overlays: Vec<(PathBuf, String)> =
        podsec::kustomize::overlays_among(&kustomizations, &files).into_iter().map(|d| (d, String::new())).collect();
    let judged = podsec::kustomize::judge(&overlays, &files, &|_| Config::default());
    judged.patch_only.iter().map(|file| PathBuf::from(files.path(*file))).collect()
}
