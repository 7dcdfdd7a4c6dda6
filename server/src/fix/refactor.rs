//! Moves that keep every container's effective values: hoisting a shared
//! field that all containers set alike to the pod, and pushing a pod value
//! down into the containers.

use super::quick::{merge, without_comments, Cx};
use super::{Action, ActionKind, TextEdit};
use crate::analysis::values::same_value;
use crate::catalog::{Catalog, Scope};
use crate::model::{PodSpec, Workloads};
use crate::syntax::{Node, Span};

fn shared(key: &str) -> bool {
    Catalog::embedded().security_context().field(key).is_some_and(|f| f.scope == Scope::Both)
}

fn touches(a: Span, b: Span) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The moves offered for keys in `range` (every key when `None`).
pub(super) fn moves(cx: &Cx, range: Option<Span>) -> Vec<Action> {
    let wanted = |span: Span| range.is_none_or(|r| touches(span, r));
    let mut out = Vec::new();
    for document in &cx.file.documents {
        let Some(root) = &document.root else { continue };
        for pod in &Workloads::find(root).pods {
            if pod.containers.is_empty() {
                continue;
            }
            if let Some(sc) = pod.security_context_map() {
                for (i, entry) in sc.as_mapping().unwrap_or_default().iter().enumerate() {
                    let Some(key) = entry.key_str() else { continue };
                    if shared(key) && !entry.value.is_null() && wanted(entry.key.span) {
                        out.extend(push_down(cx, pod, sc, i));
                    }
                }
            }
            for container in &pod.containers {
                let Some(sc) = container.security_context_map() else { continue };
                for entry in sc.as_mapping().unwrap_or_default() {
                    let Some(key) = entry.key_str() else { continue };
                    if shared(key) && !entry.value.is_null() && wanted(entry.key.span) {
                        out.extend(hoist(cx, pod, key));
                    }
                }
            }
        }
    }
    merge(out)
}

fn index_of(mapping: &Node, value: &Node) -> Option<usize> {
    mapping.as_mapping()?.iter().position(|e| std::ptr::eq(&e.value, value))
}

fn push_down(cx: &Cx, pod: &PodSpec, sc: &Node, index: usize) -> Option<Action> {
    let entry = &sc.as_mapping()?[index];
    let key = entry.key_str()?;
    let raw = without_comments(cx.ed.raw_entry(sc, entry)?);
    let mut edits = Vec::new();
    for container in &pod.containers {
        let own = container.security_context_map().and_then(|s| s.get(key)).is_some_and(|v| !v.is_null());
        if !own {
            edits.push(cx.ed.put(container.node, &["securityContext"], raw.clone())?);
        }
    }
    let given = edits.len();
    edits.push(cx.ed.remove_pruned(&[(sc, index), (pod.spec, index_of(pod.spec, sc)?)], true)?);
    let title = if given == 0 {
        format!("Remove `{key}` from the pod securityContext (every container sets its own)")
    } else {
        format!("Push `{key}` down to the containers ({given} of {})", pod.containers.len())
    };
    cx.action(title, ActionKind::RefactorMove, edits, false, false, Vec::new())
}

fn hoist(cx: &Cx, pod: &PodSpec, key: &str) -> Option<Action> {
    let mut first: Option<(&Node, &crate::syntax::Entry)> = None;
    let mut edits: Vec<TextEdit> = Vec::new();
    for container in &pod.containers {
        let sc = container.security_context_map()?;
        let index = sc.as_mapping()?.iter().position(|e| e.key_str() == Some(key) && !e.value.is_null())?;
        let entry = &sc.as_mapping()?[index];
        match first {
            Some((_, f)) if !same_value(&f.value, &entry.value) => return None,
            None => first = Some((sc, entry)),
            _ => {}
        }
        edits.push(cx.ed.remove_pruned(&[(sc, index), (container.node, index_of(container.node, sc)?)], true)?);
    }
    let (sc, entry) = first?;
    let pod_value = pod.security_context_map().and_then(|s| s.get(key)).filter(|v| !v.is_null());
    if !pod_value.is_some_and(|v| same_value(v, &entry.value)) {
        let raw = without_comments(cx.ed.raw_entry(sc, entry)?);
        edits.push(cx.ed.put(pod.spec, &["securityContext"], raw)?);
    }
    let n = pod.containers.len();
    let every = if n == 1 { "its one container".to_string() } else { format!("all {n} containers") };
    cx.action(
        format!("Hoist `{key}` to the pod securityContext (set alike in {every})"),
        ActionKind::RefactorMove,
        edits,
        false,
        false,
        Vec::new(),
    )
}
