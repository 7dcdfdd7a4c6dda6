//! Hover tests.
//!
//! Every `tests/fixtures/hover/*.yaml` holds one or more `$0` cursors. The
//! harness removes them, asks for the hover at each, and snapshots every
//! hover's range and markdown (`tests/snapshots/`, update with
//! `INSTA_UPDATE=always`). The same file with CRLF line breaks must give
//! the same hovers. A first line `# podsec-test: kubernetes-version=1.29
//! profile=baseline best-practices=false` sets the configuration (default:
//! restricted, newest version).
//!
//! The tests below the fixtures state the behaviour directly.

use podsec::catalog::{Catalog, Scope};
use podsec::config::{Config, Profile};
use podsec::ide::{hover, Hover};
use podsec::text::{ColumnUnit, LineIndex};

use crate::support;

/// The text without its `$0` markers, and the offset of each.
fn cursors(fixture: &str) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut offsets = Vec::new();
    for (i, piece) in fixture.split("$0").enumerate() {
        if i > 0 {
            offsets.push(text.len());
        }
        text.push_str(piece);
    }
    (text, offsets)
}

fn hover_at(fixture: &str) -> Option<Hover> {
    let (text, offsets) = cursors(fixture);
    assert_eq!(offsets.len(), 1, "one `$0` expected");
    hover(&text, offsets[0], &support::config_for(&text, Config::default()))
}

fn render(text: &str, offsets: &[usize], config: &Config) -> Vec<(usize, Option<(String, String)>)> {
    let index = LineIndex::new(text);
    offsets
        .iter()
        .map(|&offset| {
            let line = index.line_col(text, offset, ColumnUnit::Char).line as usize + 1;
            let found = hover(text, offset, config).map(|h| (text[h.range.start..h.range.end].to_string(), h.markdown));
            (line, found)
        })
        .collect()
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/hover/*.yaml", |path| {
        let fixture = std::fs::read_to_string(path).unwrap();
        let (text, offsets) = cursors(&fixture);
        assert!(!offsets.is_empty(), "{}: no `$0` cursor", path.display());
        let config = support::config_for(&text, Config::default());
        let hovers = render(&text, &offsets, &config);

        let crlf_fixture = fixture.replace('\n', "\r\n");
        let (crlf, crlf_offsets) = cursors(&crlf_fixture);
        assert_eq!(hovers, render(&crlf, &crlf_offsets, &config), "{}: CRLF changes hovers", path.display());

        let mut out = String::new();
        for (line, found) in hovers {
            match found {
                Some((range, markdown)) => out.push_str(&format!("── line {line}: `{range}`\n{markdown}\n\n")),
                None => out.push_str(&format!("── line {line}: no hover\n\n")),
            }
        }
        insta::assert_snapshot!(out);
    });
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        runAsUser: 1000
        fsGroup: 2000
      containers:
        - name: app
          image: nginx
          securityContext:
            fsGroup: 3000
            runAsUser: 4000
            allowPrivilegeEscalation: false
        - name: sidecar
          securityContext:
            runAsGroup: 5000
";

fn at(marker_after: &str) -> String {
    // Puts the cursor on the first character of the text that follows `marker_after`.
    let at = DEPLOYMENT.find(marker_after).unwrap() + marker_after.len();
    format!("{}$0{}", &DEPLOYMENT[..at], &DEPLOYMENT[at..])
}

#[test]
fn container_fs_group_is_an_integer_and_pod_only() {
    let hover = hover_at(&at("            fs")).unwrap();
    assert!(hover.markdown.starts_with("**`fsGroup`** · integer (int64), written unquoted"), "{}", hover.markdown);
    assert!(hover.markdown.contains("pod-only"), "{}", hover.markdown);
    assert!(hover.markdown.contains("Not valid in a container securityContext"), "{}", hover.markdown);
}

#[test]
fn the_range_is_the_key_under_the_cursor() {
    let (text, offsets) = cursors(&at("            allowPriv"));
    let hover = hover(&text, offsets[0], &Config::default()).unwrap();
    assert_eq!(&text[hover.range.start..hover.range.end], "allowPrivilegeEscalation");
}

#[test]
fn a_container_value_says_it_overrides_the_pod_and_where() {
    let hover = hover_at(&at("            runAs")).unwrap();
    assert!(hover.markdown.contains("`4000`, set here; it overrides the pod's `1000` (line 9)"), "{}", hover.markdown);
}

#[test]
fn the_pod_value_says_which_containers_inherit_and_override_it() {
    let hover = hover_at(&at("        runAs")).unwrap();
    assert!(hover.markdown.contains("`1000` for container `sidecar`"), "{}", hover.markdown);
    assert!(hover.markdown.contains("Overridden by `app` (`4000`, line 16)"), "{}", hover.markdown);
}

#[test]
fn the_container_summary_merges_pod_and_container() {
    let hover = hover_at(&at("        - name: sidecar\n          security")).unwrap();
    let md = &hover.markdown;
    assert!(md.contains("| `runAsUser` | `1000` | pod, line 9 |"), "{md}");
    assert!(md.contains("| `runAsGroup` | `5000` | container, line 20 |"), "{md}");
    assert!(md.contains("| `fsGroup` | `2000` | pod (pod-only), line 10 |"), "{md}");
    // Restricted: the sidecar sets neither allowPrivilegeEscalation nor capabilities.
    assert!(md.contains("pss/allowPrivilegeEscalation"), "{md}");
}

#[test]
fn no_hover_outside_security_context() {
    for marker in ["apiVersion", "  name: w", "          image: ng", "      containers", "\n        - name: ap"] {
        assert_eq!(hover_at(&at(marker)), None, "{marker}");
    }
    assert_eq!(hover("kind: ConfigMap\ndata:\n  securityContext: x\n", 22, &Config::default()), None);
    assert_eq!(hover("", 0, &Config::default()), None);
}

#[test]
fn the_verdict_follows_the_configured_profile() {
    let text = "kind: Pod\nspec:\n  containers:\n    - name: a\n      securityContext:\n        allowPrivilegeEscalation: $0true\n";
    let (text, offsets) = cursors(text);
    let restricted = hover(&text, offsets[0], &Config::default()).unwrap().markdown;
    assert!(restricted.contains("✗ this value fails"), "{restricted}");
    let baseline = Config { profile: Profile::Baseline, ..Config::default() };
    let markdown = hover(&text, offsets[0], &baseline).unwrap().markdown;
    assert!(markdown.contains("Configured: **baseline**, Kubernetes 1.37: does not restrict it."), "{markdown}");
}

/// Every field of the catalog, written at each level it is valid at, has a
/// hover that names it and its YAML type, and gives its official description.
#[test]
fn every_field_at_every_level_has_a_hover() {
    let catalog = Catalog::embedded();
    for level in [Scope::Pod, Scope::Container] {
        for field in &catalog.security_context().fields {
            let valid = if level == Scope::Pod { field.scope.allows_pod() } else { field.scope.allows_container() };
            if !valid {
                continue;
            }
            let block = format!("{}: ", field.name);
            let text = match level {
                Scope::Pod => {
                    format!("kind: Pod\nspec:\n  securityContext:\n    {block}$0\n  containers:\n    - name: a\n")
                }
                _ => format!(
                    "kind: Pod\nspec:\n  containers:\n    - name: a\n      securityContext:\n        {block}$0\n"
                ),
            };
            let cursor_on_key = text.replace(&format!("{block}$0"), &format!("$0{block}"));
            let hover = hover_at(&cursor_on_key).unwrap_or_else(|| panic!("no hover on {} at {level:?}", field.name));
            assert!(
                hover.markdown.starts_with(&format!("**`{}`** · {}", field.name, field.type_description())),
                "{}",
                hover.markdown
            );
            let description = podsec::api_docs::describe("securityContext", level, &field.name).unwrap();
            assert!(
                hover.markdown.contains(description.trim()),
                "{} at {level:?}: no official description",
                field.name
            );
        }
    }
}

#[test]
fn a_security_context_a_template_fills_says_what_fills_it() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            {{- toYaml .Values.containerSecurityContext | nindent 12 }}
";
    let at = text.find("securityContext:").unwrap() + 3;
    let hover = podsec::ide::hover(text, at, &Config::default()).expect("a hover on the key");
    assert!(
        hover
            .markdown
            .contains("**Filled by the template**: `toYaml .Values.containerSecurityContext | nindent 12` (line 10)"),
        "{}",
        hover.markdown
    );
}
