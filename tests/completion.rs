//! Completion tests.
//!
//! Every `tests/fixtures/completion/*.yaml` holds one `$0` cursor. The
//! harness removes it, asks for completions there, and snapshots the list:
//! labels in order with detail and insert text, and the replaced text
//! (`tests/snapshots/`, update with `INSTA_UPDATE=always`). The same file
//! with CRLF line breaks must give the same list. A first line
//! `# podsec-test: ...` sets the configuration as in `tests/hover.rs`.
//!
//! The tests below the fixtures state the behaviour directly, and accept
//! completions to check that the inserted YAML lands where it belongs.

use podsec::analysis::{analyze, rules::RuleGroup};
use podsec::config::{Config, Profile};
use podsec::ide::{complete, CompletionItem, CompletionKind, TRIGGER_CHARACTERS};
use podsec::syntax::{parse, Node};

use crate::support;

fn cursor(fixture: &str) -> (String, usize) {
    let offset = fixture.find("$0").expect("a `$0` cursor");
    assert_eq!(fixture.matches("$0").count(), 1, "one `$0` expected");
    (fixture.replacen("$0", "", 1), offset)
}

fn complete_at(fixture: &str) -> (String, Vec<CompletionItem>) {
    let (text, offset) = cursor(fixture);
    let items = complete(&text, offset, &support::config_for(&text, Config::default()));
    (text, items)
}

fn labels(items: &[CompletionItem]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

fn render(text: &str, items: &[CompletionItem]) -> String {
    let mut out = String::new();
    if let Some(first) = items.first() {
        out.push_str(&format!("replace: {:?}\n\n", &text[first.replace.start..first.replace.end]));
    }
    for item in items {
        let kind = match item.kind {
            CompletionKind::Field => "field",
            CompletionKind::Value => "value",
            CompletionKind::Snippet => "snippet",
        };
        out.push_str(&format!(
            "{} ({kind}{}) · {}\n",
            item.label,
            if item.is_snippet { ", snippet" } else { "" },
            item.detail
        ));
        for line in item.insert_text.split('\n') {
            out.push_str(&format!("    │{line}\n"));
        }
    }
    if items.is_empty() {
        out.push_str("(no completion)\n");
    }
    out
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/completion/*.yaml", |path| {
        let fixture = std::fs::read_to_string(path).unwrap();
        let (text, items) = complete_at(&fixture);
        for item in &items {
            assert!(item.replace.start <= item.replace.end && item.replace.end <= text.len());
        }
        let (crlf, crlf_items) = complete_at(&fixture.replace('\n', "\r\n"));
        assert_eq!(render(&text, &items), render(&crlf, &crlf_items), "{}: CRLF changes completions", path.display());
        insta::assert_snapshot!(render(&text, &items));
    });
}

/// The text after accepting `item`, snippet syntax resolved to its defaults.
fn accept(text: &str, item: &CompletionItem) -> String {
    let mut insert = String::new();
    let mut rest = item.insert_text.as_str();
    while let Some(p) = rest.find('$') {
        insert.push_str(&rest[..p]);
        rest = &rest[p + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}').unwrap();
            let body = &inner[..close];
            insert.push_str(body.split_once(':').map_or("", |(_, default)| default));
            rest = &inner[close + 1..];
        } else {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    insert.push_str(rest);
    format!("{}{}{}", &text[..item.replace.start], insert, &text[item.replace.end..])
}

fn pick<'a>(items: &'a [CompletionItem], label: &str) -> &'a CompletionItem {
    items.iter().find(|i| i.label == label).unwrap_or_else(|| panic!("no `{label}` in {:?}", labels(items)))
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsUser: 1000
    $POD
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: false
        $CONTAINER
";

fn pod_with(pod: &str, container: &str) -> String {
    POD.replace("$POD", pod).replace("$CONTAINER", container)
}

#[test]
fn container_scope_offers_container_fields_and_not_pod_only_ones() {
    let (_, items) = complete_at(&pod_with("", "$0"));
    let labels = labels(&items);
    assert!(labels.contains(&"allowPrivilegeEscalation"), "{labels:?}");
    assert!(labels.contains(&"runAsUser"), "{labels:?}");
    assert!(!labels.contains(&"fsGroup"), "{labels:?}");
    assert!(!labels.contains(&"sysctls"), "{labels:?}");
    // Present already.
    assert!(!labels.contains(&"privileged"), "{labels:?}");
    assert_eq!(labels[0], "allowPrivilegeEscalation");
}

#[test]
fn pod_scope_offers_pod_fields_and_not_container_only_ones() {
    let (_, items) = complete_at(&pod_with("$0", ""));
    let labels = labels(&items);
    assert!(labels.contains(&"fsGroup"), "{labels:?}");
    assert!(labels.contains(&"seccompProfile"), "{labels:?}");
    assert!(!labels.contains(&"privileged"), "{labels:?}");
    assert!(!labels.contains(&"allowPrivilegeEscalation"), "{labels:?}");
    assert!(!labels.contains(&"runAsUser"), "{labels:?}");
}

#[test]
fn the_secure_value_comes_first() {
    let (_, items) = complete_at(&pod_with("seccompProfile:\n      type: $0", ""));
    assert_eq!(labels(&items), ["RuntimeDefault", "Localhost", "Unconfined"]);
    let (_, items) = complete_at(&pod_with("", "allowPrivilegeEscalation: $0"));
    assert_eq!(labels(&items), ["false", "true"]);
    let (_, items) = complete_at(&pod_with("", "capabilities:\n          drop:\n            - $0"));
    assert_eq!(labels(&items)[0], "ALL");
    let (_, items) = complete_at(&pod_with("", "capabilities:\n          add: [$0]"));
    assert_eq!(labels(&items)[0], "NET_BIND_SERVICE");
    assert_eq!(labels(&items).last(), Some(&"ALL"));
}

#[test]
fn accepting_a_nested_skeleton_puts_it_under_the_key() {
    for (fixture, path) in [
        (pod_with("", "seccomp$0"), vec!["spec", "containers", "0", "securityContext", "seccompProfile", "type"]),
        (pod_with("seccomp$0", ""), vec!["spec", "securityContext", "seccompProfile", "type"]),
    ] {
        let (text, items) = complete_at(&fixture);
        let accepted = accept(&text, pick(&items, "seccompProfile"));
        let root = parse(&accepted).documents.remove(0).root.unwrap();
        let mut node: &Node = &root;
        for key in &path {
            node = match key.parse::<usize>() {
                Ok(i) => &node.as_sequence().unwrap()[i],
                Err(_) => node.get(key).unwrap_or_else(|| panic!("no `{key}` in\n{accepted}")),
            };
        }
        assert_eq!(node.as_str(), Some("RuntimeDefault"), "{accepted}");
    }
}

/// The restricted block passes the restricted profile: with 2- and
/// 4-space indentation, lists indented or not.
#[test]
fn the_restricted_security_context_snippet_passes_restricted() {
    let two = "kind: Pod\nspec:\n  containers:\n    - name: app\n      image: nginx\n      sec$0\n  initContainers:\n  - name: init\n    image: busybox\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n      readOnlyRootFilesystem: true\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n";
    let four = "kind: Pod\nspec:\n    securityCon$0\n    containers:\n    -   name: app\n        image: nginx\n        securityContext:\n            allowPrivilegeEscalation: false\n            capabilities:\n                drop:\n                - ALL\n            readOnlyRootFilesystem: true\n";
    let four_container = "kind: Pod\nspec:\n    containers:\n    -   name: app\n        image: nginx\n        $0\n";
    for fixture in [two, four, four_container] {
        let (text, items) = complete_at(fixture);
        let item = pick(&items, "securityContext");
        assert_eq!(item.kind, CompletionKind::Snippet);
        let accepted = accept(&text, item);
        let analysis = analyze(&accepted, &Config::default());
        assert!(analysis.file.documents[0].errors.is_empty(), "{accepted}");
        let problems: Vec<_> = analysis
            .findings
            .iter()
            .filter(|f| f.rule.group == RuleGroup::PodSecurity || f.rule.code == "redundant-setting")
            .collect();
        assert!(problems.is_empty(), "{accepted}\n{problems:#?}");
    }
}

#[test]
fn broken_yaml_still_completes() {
    // A key without its colon, and a later line that does not parse.
    let (_, items) = complete_at(
        "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      runAs$0\n    image: [oops\n",
    );
    assert!(labels(&items).contains(&"runAsUser"));
    assert!(labels(&items).contains(&"allowPrivilegeEscalation"));
    // An empty securityContext just typed, siblings after it.
    let (_, items) =
        complete_at("kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      $0\n    image: x\n");
    assert!(labels(&items).contains(&"capabilities"));
    assert!(!labels(&items).contains(&"fsGroup"));
}

#[test]
fn nothing_outside_security_context() {
    for fixture in [
        "kind: Pod\nmetadata:\n  $0\n",
        "kind: Pod\nspec:\n  containers:\n  - name: $0\n",
        "kind: ConfigMap\ndata:\n  $0\n",
        "$0",
        "# $0\n",
    ] {
        let (_, items) = complete_at(fixture);
        assert!(items.is_empty(), "{fixture:?}: {:?}", labels(&items));
    }
}

/// Each trigger character, typed where a user types it, brings completions
/// (the editor asks only after these characters unless the user asks).
#[test]
fn every_trigger_character_opens_completions_where_it_is_typed() {
    let typed = [
        (":", "kind: Pod\nspec:\n  securityContext:\n    runAsNonRoot:$0\n"),
        (" ", "kind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: $0\n"),
        (
            "-",
            "kind: Pod\nspec:\n  containers:\n    - name: app\n      securityContext:\n        capabilities:\n          drop:\n            -$0\n",
        ),
    ];
    assert_eq!(typed.map(|(c, _)| c), TRIGGER_CHARACTERS, "a case for each trigger character");
    for (character, fixture) in typed {
        let (text, offset) = cursor(fixture);
        assert!(text[..offset].ends_with(character), "{fixture:?}");
        let items = complete(&text, offset, &Config::default());
        assert!(!items.is_empty(), "nothing offered after typing {character:?} in {fixture:?}");
    }
}

#[test]
fn baseline_config_changes_detail_not_order() {
    let fixture = pod_with("", "procMount: $0");
    let (text, offset) = cursor(&fixture);
    let baseline = Config { profile: Profile::Baseline, ..Config::default() };
    let items = complete(&text, offset, &baseline);
    assert_eq!(labels(&items), ["Default", "Unmasked"]);
    assert!(items[1].detail.contains("forbidden by baseline"), "{}", items[1].detail);
}

/// Hover and completion answer at every offset of every fixture, emoji and
/// CRLF included, without panicking.
#[test]
fn every_offset_of_every_fixture_is_safe() {
    let mut texts = vec!["kind: Pod\nspec:\n  securityContext: # 🚀 é\n    runAsUser: 1\n  containers:\n  - name: \"🚀\"\n    securityContext: {capabilities: {add: [é]}}\n".to_string()];
    for dir in ["../tests/fixtures/completion", "../tests/fixtures/hover"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap().replace("$0", ""));
        }
    }
    let config = Config::default();
    for text in texts {
        for variant in [text.clone(), text.replace('\n', "\r\n")] {
            for offset in 0..=variant.len() + 1 {
                if let Some(hover) = podsec::ide::hover(&variant, offset, &config) {
                    // The range is text of the document, around the cursor.
                    assert!(hover.range.start <= offset && offset <= hover.range.end.max(hover.range.start + 1));
                    assert!(variant.is_char_boundary(hover.range.start) && variant.is_char_boundary(hover.range.end));
                    assert!(!hover.markdown.trim().is_empty());
                }
                for item in complete(&variant, offset, &config) {
                    assert!(item.replace.end <= variant.len() && variant.is_char_boundary(item.replace.start));
                }
            }
        }
    }
}
