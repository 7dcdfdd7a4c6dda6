//! End-to-end, over stdio: Kustomize overlays in the editor. On a copy of
//! `tests/fixtures/kustomize/shop`, a five-line patch shows what its
//! overlay makes of the base (the privileged container, the root user
//! under the base's `runAsNonRoot: true`), never "missing" settings the
//! base has, nor fixes and lenses for them (the fixes offered are those of
//! what the overlay finds in it); hover on a base field says
//! what each overlay makes of it; an edit to the base re-publishes the
//! open patch.

use serde_json::{json, Value};

use crate::lsp::{placed, range, Lsp};
use crate::support;
use crate::workspace_stdio::{copy_dir, WorkspaceClient};

#[test]
fn a_patch_shows_its_overlays_findings_and_a_base_edit_republishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("shop");
    copy_dir(&support::repository().join("tests/fixtures/kustomize/shop"), &root);
    let mut lsp = Lsp::start_workspace(&root, Value::Null);
    lsp.answer_requests(|_| Value::Null);
    lsp.indexed();

    // The five-line patch: what it does to overlays/prod's cart, at its
    // own lines; nothing "missing" (the base sets it all), no standalone
    // findings of a patch read as a whole Deployment.
    let patch = lsp.open_file(&root.join("overlays/prod/cart-debug.yaml"));
    let diagnostics = lsp.next_diagnostics(&patch);
    let expected = [
        (10, 24, "pss/privileged".to_string()),
        (11, 23, "conflicting-settings".to_string()),
        (11, 23, "low-user-id".to_string()),
        (11, 23, "pss/runAsUser".to_string()),
    ];
    assert_eq!(placed(&diagnostics), expected, "{diagnostics:#?}");
    let conflict = diagnostics.iter().find(|d| d["code"] == "conflicting-settings").unwrap();
    let message = conflict["message"].as_str().unwrap();
    // The kubelet refuses it: root under the base's `runAsNonRoot: true`.
    assert!(message.contains("line 20 of base/cart/deployment.yaml"), "{message}");
    assert!(message.ends_with("(in overlay overlays/prod)"), "{message}");
    assert_eq!(conflict["severity"], 1);

    // On the patch, the fixes of what its overlay finds in it, not of what
    // it would lack alone; no verdict lens of its own.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": patch }, "range": range(0, 0, 12, 0), "context": { "diagnostics": [] } }),
    );
    let actions = actions["result"].as_array().unwrap_or_else(|| panic!("{actions}"));
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Remove `privileged: true`"), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("Remove `runAsUser: 0`")), "{titles:?}");
    for action in actions {
        assert_eq!(action["kind"], "quickfix", "{action}");
        for fixed in action["diagnostics"].as_array().unwrap() {
            assert!(fixed["message"].as_str().unwrap().ends_with("(in overlay overlays/prod)"), "{action}");
        }
    }
    assert!(
        !titles.iter().any(|t| t.contains("seccomp") || t.contains("Drop all") || t.contains("readOnlyRootFilesystem")),
        "{titles:?}"
    );
    assert_eq!(lsp.lenses(&patch), Vec::<Value>::new());

    // The base, open: its line the prod patch contradicts, naming prod.
    let base_path = root.join("base/cart/deployment.yaml");
    let base = lsp.open_file(&base_path);
    let diagnostics = lsp.next_diagnostics(&base);
    assert_eq!(placed(&diagnostics), [(29, 38, "conflicting-settings".to_string())], "{diagnostics:#?}");
    assert!(diagnostics[0]["message"].as_str().unwrap().ends_with("(in overlay overlays/prod)"), "{diagnostics:#?}");
    // Opening it made its text the one the overlays read: the patch again.
    assert_eq!(placed(&lsp.next_diagnostics(&patch)), expected);

    // Hover on the container's securityContext in the base: what each
    // overlay makes of it, with the patch's file and line.
    let hover = |lsp: &mut Lsp, line: u64, character: u64| -> String {
        let hover = lsp.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": base }, "position": { "line": line, "character": character } }),
        );
        hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}")).to_string()
    };
    let text = hover(&mut lsp, 28, 12);
    let overlays = text.split_once("**In overlays:**").unwrap_or_else(|| panic!("{text}")).1;
    assert_eq!(
        overlays.trim(),
        "- overlays/dev keeps it\n\
         - overlays/prod sets `privileged: true` (overlays/prod/cart-debug.yaml:11), \
         sets `runAsUser: 0` (overlays/prod/cart-debug.yaml:12)\n\
         - overlays/staging keeps it",
        "{text}"
    );
    let text = hover(&mut lsp, 19, 9);
    assert!(text.contains("- overlays/prod keeps `runAsNonRoot: true`"), "{text}");

    // The base no longer says `runAsNonRoot: true`: the open patch is
    // published again without the conflict; root is still reported.
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": base, "version": 2 },
            "contentChanges": [{ "range": range(19, 22, 19, 26), "text": "false" }],
        }),
    );
    let diagnostics = lsp.next_diagnostics(&patch);
    let found = placed(&diagnostics);
    assert!(!found.iter().any(|(_, _, code)| code == "conflicting-settings"), "{found:?}");
    assert!(found.contains(&(11, 23, "pss/runAsUser".to_string())), "{found:?}");

    // An inline JSON 6902 patch in overlays/dev's kustomization adds
    // `hostNetwork: true` (reported on the `value:` line of the patch) and
    // removes the log shipper's securityContext: what the container then
    // lacks is reported on the removal's `path:`.
    let dev = lsp.open_file(&root.join("overlays/dev/kustomization.yaml"));
    let diagnostics = lsp.next_diagnostics(&dev);
    // (The base's pod still says `runAsNonRoot: false` from the edit above.)
    assert_eq!(
        placed(&diagnostics),
        [
            (15, 15, "pss/hostNamespaces".to_string()),
            (20, 14, "pss/allowPrivilegeEscalation".to_string()),
            (20, 14, "pss/capabilities_restricted".to_string()),
            (20, 14, "pss/runAsNonRoot".to_string()),
            (20, 14, "read-only-root-filesystem".to_string()),
        ],
        "{diagnostics:#?}"
    );
    let removed = diagnostics.iter().find(|d| d["code"] == "read-only-root-filesystem").unwrap();
    let container = &removed["relatedInformation"][0]["location"];
    assert_eq!(container["uri"], crate::lsp::file_url(&root.join("base/cart/deployment.yaml")));
    assert_eq!(container["range"]["start"]["line"], 36, "{removed}");
    assert!(lsp.shutdown_and_exit().success());
}
