//! Patches as Kubernetes applies them to pod specs: strategic merge (lists
//! of containers, volumes and the like merged by their key, `$patch`
//! directives, `null` deletes) and JSON 6902 operations. Every node keeps
//! its origin: what a patch writes points at the patch.

use super::tree::{KEntry, KNode, KValue};
use crate::provenance::Location;

/// The key that identifies an item of each list strategic merge merges
/// item by item (from the patch strategies of the Kubernetes API); other
/// lists are replaced whole.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "hostAliases"
        | "resourceClaims" => match field {
            "hostAliases" => "ip",
            _ => "name",
        },
        "volumeMounts" | "volumeDevices" => "mountPath",
        "ports" => "containerPort",
        "tolerations" | "topologySpreadConstraints" => return None,
        _ => return None,
    })
}

fn directive(node: &KNode) -> Option<&str> {
    node.get("$patch").and_then(KNode::as_str)
}

/// The patch without its `$` directives.
fn strip(node: &KNode) -> KNode {
    let mut node = node.clone();
    strip_in_place(&mut node);
    node
}

fn strip_in_place(node: &mut KNode) {
    match &mut node.value {
        KValue::Mapping(entries) => {
            entries.retain(|e| !e.key.as_str().is_some_and(|k| k.starts_with('$')));
            entries.iter_mut().for_each(|e| strip_in_place(&mut e.value));
        }
        KValue::Sequence(items) => {
            // A delete directive, or an item that is only a directive, goes.
            items.retain(|i| directive(i).is_none_or(|d| d != "delete" && i.entries().is_some_and(|e| e.len() > 1)));
            items.iter_mut().for_each(strip_in_place);
        }
        KValue::Scalar(_) => {}
    }
}

/// A container's securityContext taken away by a patch: the container's
/// `name` entry (where what it then lacks is reported) and what removed it.
pub type Removal = (Location, Location);

/// The removal of `key` from `container` by `by`, when `key` is a
/// container's securityContext: one for the `name` key and one for its
/// value (a patch that names the container gives the value its origin).
pub fn security_context_removal(container: &KNode, key: &str, by: Location) -> Vec<Removal> {
    let name = container.entries().and_then(|e| e.iter().find(|e| e.key.as_str() == Some("name")));
    match name {
        Some(name) if key == "securityContext" => vec![(name.key.origin, by), (name.value.origin, by)],
        _ => Vec::new(),
    }
}

/// Merges `patch` into `base` (strategic merge). Returns false when the
/// patch deletes `base` as a whole (`$patch: delete`). A container
/// securityContext the patch deletes is added to `removed`.
pub fn strategic_merge(base: &mut KNode, patch: &KNode, removed: &mut Vec<Removal>) -> bool {
    match directive(patch) {
        Some("delete") => return false,
        Some("replace") => {
            *base = strip(patch);
            return true;
        }
        _ => {}
    }
    let (KValue::Mapping(_), Some(patch_entries)) = (&base.value, patch.entries()) else {
        *base = strip(patch);
        return true;
    };
    for entry in patch_entries {
        let Some(key) = entry.key.as_str() else { continue };
        if key.starts_with('$') {
            continue;
        }
        if entry.value.is_null() {
            removed.extend(security_context_removal(base, key, entry.value.origin));
            base.remove(key);
            continue;
        }
        match base.get_mut(key) {
            Some(existing) => match (merge_key(key), existing.items().is_some(), entry.value.items()) {
                (Some(merge_key), true, Some(patch_items)) => merge_list(existing, patch_items, merge_key, removed),
                _ if existing.entries().is_some() && entry.value.entries().is_some() => {
                    if !strategic_merge(existing, &entry.value, removed) {
                        let by = entry.value.get("$patch").map_or(entry.value.origin, |d| d.origin);
                        removed.extend(security_context_removal(base, key, by));
                        base.remove(key);
                    }
                }
                _ => *existing = strip(&entry.value),
            },
            None => {
                if directive(&entry.value) == Some("delete") {
                    continue;
                }
                if let KValue::Mapping(entries) = &mut base.value {
                    entries.push(KEntry { key: entry.key.clone(), value: strip(&entry.value) });
                }
            }
        }
    }
    true
}

/// Merges a list by `merge_key`: the patch's items first, in its order
/// (merged into the base item of the same key), then the base items it
/// does not name, as kustomize orders them.
fn merge_list(base: &mut KNode, patch_items: &[KNode], merge_key: &str, removed: &mut Vec<Removal>) {
    if patch_items.iter().any(|i| directive(i) == Some("replace")) {
        let mut replaced = KNode { value: KValue::Sequence(patch_items.to_vec()), ..base.clone() };
        strip_in_place(&mut replaced);
        *base = replaced;
        return;
    }
    let KValue::Sequence(base_items) = &mut base.value else { return };
    let key_of = |node: &KNode| node.get(merge_key).and_then(KNode::as_str).map(str::to_string);
    let mut remaining: Vec<KNode> = std::mem::take(base_items);
    let mut merged = Vec::new();
    for item in patch_items {
        let key = key_of(item);
        let found = key.as_ref().and_then(|k| remaining.iter().position(|b| key_of(b).as_ref() == Some(k)));
        if directive(item) == Some("delete") {
            if let Some(at) = found {
                remaining.remove(at);
            }
            continue;
        }
        match found {
            Some(at) => {
                let mut existing = remaining.remove(at);
                if strategic_merge(&mut existing, item, removed) {
                    merged.push(existing);
                }
            }
            None => merged.push(strip(item)),
        }
    }
    merged.extend(remaining);
    *base_items = merged;
}

/// Why a JSON 6902 operation did not apply (kustomize then fails the build).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchError(pub String);

/// One JSON 6902 operation.
pub struct Operation<'a> {
    pub op: &'a str,
    pub path: &'a str,
    pub from: Option<&'a str>,
    pub value: Option<KNode>,
}

fn tokens(pointer: &str) -> Result<Vec<String>, PatchError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer.strip_prefix('/').ok_or_else(|| PatchError(format!("`{pointer}` is not a JSON pointer")))?;
    Ok(rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect())
}

fn resolve_mut<'n>(mut node: &'n mut KNode, path: &[String]) -> Option<&'n mut KNode> {
    for token in path {
        node = match &mut node.value {
            KValue::Mapping(entries) => &mut entries.iter_mut().find(|e| e.key.as_str() == Some(token))?.value,
            KValue::Sequence(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            KValue::Scalar(_) => return None,
        };
    }
    Some(node)
}

/// The node a JSON pointer names in `root`.
pub fn node_at<'n>(root: &'n KNode, pointer: &str) -> Option<&'n KNode> {
    resolve(root, &tokens(pointer).ok()?)
}

fn resolve<'n>(mut node: &'n KNode, path: &[String]) -> Option<&'n KNode> {
    for token in path {
        node = match &node.value {
            KValue::Mapping(_) => node.get(token)?,
            KValue::Sequence(items) => items.get(token.parse::<usize>().ok()?)?,
            KValue::Scalar(_) => return None,
        };
    }
    Some(node)
}

fn add(root: &mut KNode, path: &[String], value: KNode) -> Result<(), PatchError> {
    let Some((last, parent_path)) = path.split_last() else {
        *root = value;
        return Ok(());
    };
    let missing = || PatchError(format!("no `/{}` to add to", parent_path.join("/")));
    let parent = resolve_mut(root, parent_path).ok_or_else(missing)?;
    match &mut parent.value {
        KValue::Mapping(_) => {
            let key_origin = value.origin;
            parent.set(last, value, key_origin);
        }
        KValue::Sequence(items) => {
            if last == "-" {
                items.push(value);
            } else {
                let at = last.parse::<usize>().ok().filter(|at| *at <= items.len()).ok_or_else(missing)?;
                items.insert(at, value);
            }
        }
        KValue::Scalar(_) => return Err(missing()),
    }
    Ok(())
}

fn remove(root: &mut KNode, path: &[String]) -> Result<KNode, PatchError> {
    let (last, parent_path) = path.split_last().ok_or_else(|| PatchError("cannot remove the root".into()))?;
    let missing = || PatchError(format!("no `/{}` to remove", path.join("/")));
    let parent = resolve_mut(root, parent_path).ok_or_else(missing)?;
    match &mut parent.value {
        KValue::Mapping(_) => parent.remove(last).ok_or_else(missing),
        KValue::Sequence(items) => {
            let at = last.parse::<usize>().ok().filter(|at| *at < items.len()).ok_or_else(missing)?;
            Ok(items.remove(at))
        }
        KValue::Scalar(_) => Err(missing()),
    }
}

/// The value as plain data, to compare (`test`).
fn plain(node: &KNode) -> serde_json::Value {
    match &node.value {
        KValue::Scalar(s) if s.null => serde_json::Value::Null,
        KValue::Scalar(s) => serde_json::Value::String(s.value.clone()),
        KValue::Mapping(entries) => serde_json::Value::Object(
            entries.iter().map(|e| (e.key.as_str().unwrap_or_default().to_string(), plain(&e.value))).collect(),
        ),
        KValue::Sequence(items) => serde_json::Value::Array(items.iter().map(plain).collect()),
    }
}

/// Applies one JSON 6902 operation to `root`.
pub fn apply_operation(root: &mut KNode, operation: Operation<'_>) -> Result<(), PatchError> {
    let path = tokens(operation.path)?;
    let value = || operation.value.clone().ok_or_else(|| PatchError(format!("`{}` needs a value", operation.op)));
    match operation.op {
        "add" => add(root, &path, value()?),
        "replace" => {
            let target =
                resolve_mut(root, &path).ok_or_else(|| PatchError(format!("no `{}` to replace", operation.path)))?;
            *target = value()?;
            Ok(())
        }
        "remove" => remove(root, &path).map(drop),
        "copy" | "move" => {
            let from = tokens(operation.from.unwrap_or_default())?;
            let moved = if operation.op == "move" {
                remove(root, &from)?
            } else {
                resolve(root, &from).cloned().ok_or_else(|| PatchError(format!("no `{:?}` to copy", operation.from)))?
            };
            add(root, &path, moved)
        }
        "test" => {
            let found = resolve(root, &path).map(plain);
            if found == Some(plain(&value()?)) {
                Ok(())
            } else {
                Err(PatchError(format!("test of `{}` failed", operation.path)))
            }
        }
        other => Err(PatchError(format!("unknown operation `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{from_syntax, SpanMap};
    use super::*;
    use crate::provenance::FileId;
    use crate::syntax;

    fn tree(text: &str, file: u32, patched: bool) -> KNode {
        let parsed = syntax::parse(text);
        from_syntax(parsed.documents[0].root.as_ref().unwrap(), text, &SpanMap::identity(FileId(file)), patched)
    }

    fn names(node: &KNode) -> Vec<String> {
        node.get_path(&["spec", "containers"])
            .and_then(KNode::items)
            .unwrap()
            .iter()
            .map(|c| c.get("name").and_then(KNode::as_str).unwrap().to_string())
            .collect()
    }

    const BASE: &str = "spec:\n  containers:\n    - name: app\n      securityContext: {runAsNonRoot: true, privileged: false}\n    - name: sidecar\n      image: s\n";

    #[test]
    fn containers_merge_by_name_and_the_patch_value_keeps_its_origin() {
        let mut base = tree(BASE, 0, false);
        let patch = tree(
            "spec:\n  containers:\n    - name: app\n      securityContext: {privileged: true, runAsNonRoot: null}\n    - name: debug\n      image: d\n",
            1,
            true,
        );
        assert!(strategic_merge(&mut base, &patch, &mut Vec::new()));
        assert_eq!(names(&base), ["app", "debug", "sidecar"]);
        let context =
            base.get_path(&["spec", "containers"]).unwrap().items().unwrap()[0].get("securityContext").unwrap();
        assert_eq!(context.get("privileged").unwrap().origin.file, FileId(1));
        assert!(context.get("runAsNonRoot").is_none(), "null deletes");
    }

    #[test]
    fn patch_directives_delete_and_replace() {
        let mut base = tree(BASE, 0, false);
        let patch = tree("spec:\n  containers:\n    - name: sidecar\n      $patch: delete\n", 1, true);
        strategic_merge(&mut base, &patch, &mut Vec::new());
        assert_eq!(names(&base), ["app"]);
        let mut base = tree(BASE, 0, false);
        let patch = tree("spec:\n  containers:\n    - $patch: replace\n    - name: only\n", 1, true);
        strategic_merge(&mut base, &patch, &mut Vec::new());
        assert_eq!(names(&base), ["only"]);
    }

    #[test]
    fn json_6902_operations() {
        let mut base = tree(BASE, 0, false);
        let value = tree("true", 2, true);
        let add = Operation { op: "add", path: "/spec/hostNetwork", from: None, value: Some(value) };
        apply_operation(&mut base, add).unwrap();
        assert_eq!(base.get_path(&["spec", "hostNetwork"]).unwrap().origin.file, FileId(2));
        let item = tree("name: last", 2, true);
        apply_operation(&mut base, Operation { op: "add", path: "/spec/containers/-", from: None, value: Some(item) })
            .unwrap();
        apply_operation(&mut base, Operation { op: "remove", path: "/spec/containers/0", from: None, value: None })
            .unwrap();
        assert_eq!(names(&base), ["sidecar", "last"]);
        let copy = Operation { op: "copy", path: "/spec/containers/-", from: Some("/spec/containers/0"), value: None };
        apply_operation(&mut base, copy).unwrap();
        assert_eq!(names(&base), ["sidecar", "last", "sidecar"]);
        let test =
            Operation { op: "test", path: "/spec/containers/1/name", from: None, value: Some(tree("other", 2, true)) };
        assert!(apply_operation(&mut base, test).is_err());
        let replace = Operation { op: "replace", path: "/spec/nothing", from: None, value: Some(tree("1", 2, true)) };
        assert!(apply_operation(&mut base, replace).is_err());
    }
}
