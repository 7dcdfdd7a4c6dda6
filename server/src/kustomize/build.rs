//! A kustomization built as `kubectl kustomize` builds it: resources
//! (files and folders, recursively), components, patches (strategic merge
//! and JSON 6902, by file or inline, with targets), `namespace`,
//! `namePrefix`, `nameSuffix` and `images`. What it cannot know (remote resources,
//! generators, a patch that fails) is recorded as unknown, never guessed.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::merge::{apply_operation, node_at, security_context_removal, strategic_merge, Operation, Removal};
use super::tree::{from_syntax, KNode, KValue, SpanMap};
use crate::namespaces::KUSTOMIZATION_FILES;
use crate::provenance::{FileId, Location};
use crate::syntax::{self, Node};

/// The files a build reads, given by the front end (the engine does no I/O).
pub trait FileSource {
    /// A file's text and the id findings name it by; `None` when absent.
    fn file(&self, path: &Path) -> Option<(FileId, Arc<str>)>;

    /// How messages name a file (its path as the front end shows it).
    fn name(&self, file: FileId) -> String {
        format!("file {}", file.0)
    }
}

impl<F: Fn(&Path) -> Option<(FileId, Arc<str>)>> FileSource for F {
    fn file(&self, path: &Path) -> Option<(FileId, Arc<str>)> {
        self(path)
    }
}

/// One object of the build.
#[derive(Clone, Debug)]
pub struct Resource {
    pub object: KNode,
    /// Every name and namespace it had: patch targets match the names
    /// before prefixes and namespaces were set, as kustomize's do.
    names: Vec<String>,
    namespaces: Vec<String>,
}

impl Resource {
    pub fn kind(&self) -> &str {
        self.object.get("kind").and_then(KNode::as_str).unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object.get_path(&["metadata", "name"]).and_then(KNode::as_str).unwrap_or_default()
    }
}

/// A built kustomization.
#[derive(Clone, Debug, Default)]
pub struct Build {
    pub resources: Vec<Resource>,
    /// Every file the build read (kustomizations included).
    pub files: BTreeSet<FileId>,
    /// Their texts.
    pub texts: std::collections::BTreeMap<FileId, Arc<str>>,
    /// Files read as patches.
    pub patch_files: BTreeSet<FileId>,
    /// Files read as resources.
    pub resource_files: BTreeSet<FileId>,
    /// The folders of the kustomizations and components it includes.
    pub included: BTreeSet<PathBuf>,
    /// Whether the root is a `kind: Component`.
    pub is_component: bool,
    /// What the build could not know, for messages.
    pub unknown: Vec<String>,
    /// Containers whose securityContext a patch took away (JSON 6902
    /// `remove`, or `null` / `$patch: delete` in a strategic merge): the
    /// container's `name` entry (where what it then lacks is reported) and
    /// the patch's line that removed it (where the user undoes it).
    pub removed_security_contexts: Vec<Removal>,
}

/// How deep kustomizations may include each other (a cycle stops here).
const MAX_DEPTH: usize = 32;

/// `path` with `.` and `..` resolved without the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_in(dir: &Path, source: &dyn FileSource) -> Option<(PathBuf, FileId, Arc<str>)> {
    KUSTOMIZATION_FILES.iter().find_map(|name| {
        let path = dir.join(name);
        source.file(&path).map(|(id, text)| (path, id, text))
    })
}

/// Builds the kustomization in `dir`.
pub fn build(dir: &Path, source: &dyn FileSource) -> Build {
    let mut build = Build::default();
    let dir = normalize(dir);
    match kustomization_in(&dir, source) {
        Some((_, file, text)) => {
            let root = syntax::parse(&text).documents.into_iter().next().and_then(|d| d.root);
            build.is_component = root.as_ref().and_then(|r| r.get("kind")).and_then(Node::as_str) == Some("Component");
            let mut resources = Vec::new();
            let mut stack = vec![dir.clone()];
            accumulate(&dir, file, &text, source, &mut resources, &mut build, &mut stack);
            build.resources = resources;
        }
        None => build.unknown.push(format!("no kustomization in {}", dir.display())),
    }
    build
}

fn is_remote(reference: &str) -> bool {
    reference.contains("://")
        || reference.starts_with("github.com/")
        || reference.starts_with("git@")
        || reference.contains("?ref=")
}

fn strings(node: Option<&Node>) -> Vec<&Node> {
    node.and_then(Node::as_sequence)
        .map(|items| items.iter().filter(|i| i.as_str().is_some()).collect())
        .unwrap_or_default()
}

/// Adds what the kustomization (or component) `text` in `dir` makes to
/// `resources`, then applies its transformations to them all.
fn accumulate(
    dir: &Path,
    file: FileId,
    text: &str,
    source: &dyn FileSource,
    resources: &mut Vec<Resource>,
    build: &mut Build,
    stack: &mut Vec<PathBuf>,
) {
    build.files.insert(file);
    build.texts.insert(file, Arc::from(text));
    let parsed = syntax::parse(text);
    let Some(root) = parsed.documents.first().and_then(|d| d.root.as_ref()) else { return };
    let map = SpanMap::identity(file);

    // `bases` is the old name of folder resources.
    for reference in strings(root.get("resources")).into_iter().chain(strings(root.get("bases"))) {
        let reference = reference.as_str().unwrap_or_default();
        if is_remote(reference) {
            build.unknown.push(format!("remote resource `{reference}` (not fetched)"));
            continue;
        }
        let path = normalize(&dir.join(reference));
        if let Some((_, sub_file, sub_text)) = kustomization_in(&path, source) {
            if stack.contains(&path) || stack.len() >= MAX_DEPTH {
                build.unknown.push(format!("`{}` includes itself", path.display()));
                continue;
            }
            build.included.insert(path.clone());
            stack.push(path.clone());
            let mut included = Vec::new();
            accumulate(&path, sub_file, &sub_text, source, &mut included, build, stack);
            stack.pop();
            resources.extend(included);
        } else if let Some((resource_file, resource_text)) = source.file(&path) {
            build.files.insert(resource_file);
            build.texts.insert(resource_file, resource_text.clone());
            build.resource_files.insert(resource_file);
            resources.extend(objects(&resource_text, &SpanMap::identity(resource_file), false));
        } else {
            build.unknown.push(format!("resource `{reference}` not found"));
        }
    }
    for reference in strings(root.get("components")) {
        let path = normalize(&dir.join(reference.as_str().unwrap_or_default()));
        match kustomization_in(&path, source) {
            Some((_, component_file, component_text)) if !stack.contains(&path) && stack.len() < MAX_DEPTH => {
                build.included.insert(path.clone());
                stack.push(path.clone());
                accumulate(&path, component_file, &component_text, source, resources, build, stack);
                stack.pop();
            }
            _ => build.unknown.push(format!("component `{}` not found", path.display())),
        }
    }
    for generator in ["configMapGenerator", "secretGenerator", "helmCharts", "generators"] {
        if root.get(generator).is_some() {
            build.unknown.push(format!("`{generator}` (not run)"));
        }
    }

    // Transformations, in kustomize's order.
    for patch in root.get("patchesStrategicMerge").and_then(Node::as_sequence).unwrap_or_default() {
        let Some(content) = patch_content(dir, patch, patch.as_str(), text, file, source, build) else { continue };
        apply_patch(&content, None, resources, build);
    }
    for patch in root.get("patches").and_then(Node::as_sequence).unwrap_or_default() {
        let inline = patch.get("patch");
        let content = match (patch.get("path").and_then(Node::as_str), inline) {
            (Some(path), _) => patch_content(dir, patch, Some(path), text, file, source, build),
            (None, Some(inline)) => inline_content(inline, text, file),
            _ => None,
        };
        if let Some(content) = content {
            let target = patch.get("target").map(|t| Target::read(t, &map, text));
            apply_patch(&content, target.as_ref(), resources, build);
        }
    }
    let namespace = root.entry("namespace").filter(|e| e.value.as_str().is_some_and(|n| !n.trim().is_empty()));
    if let Some(namespace) = namespace {
        set_namespace(resources, &from_syntax(&namespace.value, text, &map, false));
    }
    let prefix = root.get("namePrefix").and_then(Node::as_str).unwrap_or_default();
    let suffix = root.get("nameSuffix").and_then(Node::as_str).unwrap_or_default();
    if !prefix.is_empty() || !suffix.is_empty() {
        rename(resources, prefix, suffix);
    }
    for patch in root.get("patchesJson6902").and_then(Node::as_sequence).unwrap_or_default() {
        let content = match (patch.get("path").and_then(Node::as_str), patch.get("patch")) {
            (Some(path), _) => patch_content(dir, patch, Some(path), text, file, source, build),
            (None, Some(inline)) => inline_content(inline, text, file),
            _ => None,
        };
        if let Some(content) = content {
            let target = patch.get("target").map(|t| Target::read(t, &map, text));
            apply_patch(&content, target.as_ref(), resources, build);
        }
    }
    for image in root.get("images").and_then(Node::as_sequence).unwrap_or_default() {
        if let Some(image) = ImageOverride::read(image, &map) {
            for resource in resources.iter_mut() {
                image.apply(&mut resource.object);
            }
        }
    }
}

/// An entry of `images:`: containers whose image has this name get the new
/// name, tag or digest (kustomize's image transformer).
struct ImageOverride {
    name: String,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
    origin: Location,
}

impl ImageOverride {
    fn read(entry: &Node, map: &SpanMap) -> Option<ImageOverride> {
        let field = |key: &str| entry.get(key).and_then(Node::as_str).map(str::to_string);
        Some(ImageOverride {
            name: field("name")?,
            new_name: field("newName"),
            new_tag: field("newTag"),
            digest: field("digest"),
            origin: map.location(entry.span),
        })
    }

    /// `image` with this override applied, when its name matches.
    fn retag(&self, image: &str) -> Option<String> {
        let (name, rest) = split_image(image);
        if name != self.name {
            return None;
        }
        let name = self.new_name.as_deref().unwrap_or(name);
        let rest = match (&self.digest, &self.new_tag) {
            (Some(digest), _) => format!("@{digest}"),
            (None, Some(tag)) => format!(":{tag}"),
            (None, None) => rest.to_string(),
        };
        Some(format!("{name}{rest}"))
    }

    /// Every container list's images in `node`, wherever it is.
    fn apply(&self, node: &mut KNode) {
        match &mut node.value {
            KValue::Mapping(entries) => {
                for entry in entries {
                    let lists = ["containers", "initContainers", "ephemeralContainers"];
                    if entry.key.as_str().is_some_and(|k| lists.contains(&k)) {
                        if let KValue::Sequence(containers) = &mut entry.value.value {
                            for container in containers {
                                let retagged =
                                    container.get("image").and_then(KNode::as_str).and_then(|i| self.retag(i));
                                if let Some(image) = retagged {
                                    container.set("image", KNode::scalar(&image, self.origin, true), self.origin);
                                }
                            }
                        }
                    }
                    self.apply(&mut entry.value);
                }
            }
            KValue::Sequence(items) => items.iter_mut().for_each(|item| self.apply(item)),
            KValue::Scalar(_) => {}
        }
    }
}

/// An image reference cut into its name and its `:tag` or `@digest`
/// (a registry's `:port` belongs to the name).
fn split_image(image: &str) -> (&str, &str) {
    if let Some(at) = image.find('@') {
        return image.split_at(at);
    }
    let last_part = image.rfind('/').map_or(0, |slash| slash + 1);
    match image[last_part..].rfind(':') {
        Some(colon) => image.split_at(last_part + colon),
        None => (image, ""),
    }
}

/// A patch's text and where it is.
struct PatchContent {
    text: String,
    map: SpanMap,
}

fn inline_content(node: &Node, kustomization: &str, file: FileId) -> Option<PatchContent> {
    let value = node.as_str()?;
    Some(PatchContent { text: value.to_string(), map: SpanMap::of_block_scalar(file, kustomization, node, value) })
}

/// The patch a `path` names, or (in `patchesStrategicMerge`) the patch
/// written inline in its place.
fn patch_content(
    dir: &Path,
    node: &Node,
    path: Option<&str>,
    kustomization: &str,
    file: FileId,
    source: &dyn FileSource,
    build: &mut Build,
) -> Option<PatchContent> {
    let path_text = path?;
    if let Some((patch_file, text)) =
        (!path_text.contains('\n')).then(|| source.file(&normalize(&dir.join(path_text)))).flatten()
    {
        build.files.insert(patch_file);
        build.texts.insert(patch_file, text.clone());
        build.patch_files.insert(patch_file);
        return Some(PatchContent { text: text.to_string(), map: SpanMap::identity(patch_file) });
    }
    if path_text.contains(':') {
        return inline_content(node, kustomization, file);
    }
    build.unknown.push(format!("patch `{path_text}` not found"));
    None
}

/// The objects of a manifest text (`List` items included).
fn objects(text: &str, map: &SpanMap, patched: bool) -> Vec<Resource> {
    let parsed = syntax::parse(text);
    let mut found = Vec::new();
    for document in &parsed.documents {
        let Some(root) = &document.root else { continue };
        let object = from_syntax(root, text, map, patched);
        if object.get("kind").and_then(KNode::as_str) == Some("List") {
            for item in object.get("items").and_then(KNode::items).unwrap_or_default() {
                found.push(resource(item.clone()));
            }
        } else if object.entries().is_some() {
            found.push(resource(object));
        }
    }
    found
}

fn resource(object: KNode) -> Resource {
    let mut resource = Resource { object, names: Vec::new(), namespaces: Vec::new() };
    resource.names.push(resource.name().to_string());
    if let Some(namespace) = resource.object.get_path(&["metadata", "namespace"]).and_then(KNode::as_str) {
        resource.namespaces.push(namespace.to_string());
    }
    resource
}

/// Which resources a patch applies to.
#[derive(Debug, Default)]
struct Target {
    group: Option<Pattern>,
    version: Option<Pattern>,
    kind: Option<Pattern>,
    name: Option<Pattern>,
    namespace: Option<Pattern>,
    label_selector: Option<String>,
    annotation_selector: Option<String>,
}

/// What a target's group, version, kind, name or namespace matches:
/// kustomize reads each as an anchored regular expression.
#[derive(Debug)]
struct Pattern {
    text: String,
    regex: Option<regex::Regex>,
}

impl Pattern {
    fn regex(text: &str) -> Pattern {
        let special = text.chars().any(|c| ".*+?()[]{}|^$\\".contains(c));
        // One that does not compile matches only itself, as written.
        let regex = special.then(|| regex::Regex::new(&format!("^(?:{text})$")).ok()).flatten();
        Pattern { text: text.to_string(), regex }
    }

    fn exact(text: &str) -> Pattern {
        Pattern { text: text.to_string(), regex: None }
    }

    fn matches(&self, value: &str) -> bool {
        match &self.regex {
            Some(regex) => regex.is_match(value),
            None => self.text == value,
        }
    }
}

impl Target {
    fn read(node: &Node, _map: &SpanMap, _text: &str) -> Target {
        let field = |key: &str| node.get(key).and_then(Node::as_str).map(str::to_string);
        let pattern = |key: &str| node.get(key).and_then(Node::as_str).map(Pattern::regex);
        Target {
            group: pattern("group"),
            version: pattern("version"),
            kind: pattern("kind"),
            name: pattern("name"),
            namespace: pattern("namespace"),
            label_selector: field("labelSelector"),
            annotation_selector: field("annotationSelector"),
        }
    }

    /// The target a strategic merge patch names by its own kind and name.
    fn of_patch(patch: &KNode) -> Target {
        let field = |path: &[&str]| patch.get_path(path).and_then(KNode::as_str).map(Pattern::exact);
        Target {
            kind: field(&["kind"]),
            name: field(&["metadata", "name"]),
            namespace: field(&["metadata", "namespace"]),
            ..Target::default()
        }
    }

    fn matches(&self, resource: &Resource) -> bool {
        let api_version = resource.object.get("apiVersion").and_then(KNode::as_str).unwrap_or_default();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        self.group.as_ref().is_none_or(|g| g.matches(group))
            && self.version.as_ref().is_none_or(|v| v.matches(version))
            && self.kind.as_ref().is_none_or(|k| k.matches(resource.kind()))
            && self
                .name
                .as_ref()
                .is_none_or(|n| resource.names.iter().any(|name| n.matches(name)) || n.matches(resource.name()))
            && self.namespace.as_ref().is_none_or(|n| resource.namespaces.iter().any(|ns| n.matches(ns)))
            && self
                .label_selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, resource.object.get_path(&["metadata", "labels"])))
            && self
                .annotation_selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, resource.object.get_path(&["metadata", "annotations"])))
    }
}

/// A label selector (`app=web,tier!=db,canary,!legacy`, `env in (a,b)`).
fn selector_matches(selector: &str, labels: Option<&KNode>) -> bool {
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(KNode::as_str);
    let mut requirements = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                requirements.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    requirements.push(&selector[start..]);
    requirements.into_iter().map(str::trim).filter(|r| !r.is_empty()).all(|requirement| {
        let set = |r: &str, op: &str| {
            r.split_once(op).map(|(key, values)| {
                let values = values.trim().trim_start_matches('(').trim_end_matches(')');
                (key.trim().to_string(), values.split(',').map(|v| v.trim().to_string()).collect::<Vec<_>>())
            })
        };
        if let Some((key, values)) = set(requirement, " notin ") {
            return label(&key).is_none_or(|v| !values.iter().any(|x| x == v));
        }
        if let Some((key, values)) = set(requirement, " in ") {
            return label(&key).is_some_and(|v| values.iter().any(|x| x == v));
        }
        if let Some((key, value)) = requirement.split_once("!=") {
            return label(key.trim()) != Some(value.trim());
        }
        if let Some((key, value)) = requirement.split_once("==").or_else(|| requirement.split_once('=')) {
            return label(key.trim()) == Some(value.trim());
        }
        match requirement.strip_prefix('!') {
            Some(key) => label(key.trim()).is_none(),
            None => label(requirement).is_some(),
        }
    })
}

fn apply_patch(content: &PatchContent, target: Option<&Target>, resources: &mut Vec<Resource>, build: &mut Build) {
    let parsed = syntax::parse(&content.text);
    for document in &parsed.documents {
        let Some(root) = &document.root else { continue };
        let patch = from_syntax(root, &content.text, &content.map, true);
        match &patch.value {
            KValue::Sequence(operations) => {
                let Some(target) = target else {
                    build.unknown.push("a JSON 6902 patch without a target".into());
                    continue;
                };
                for resource in resources.iter_mut().filter(|r| target.matches(r)) {
                    for operation in operations {
                        let field = |key: &str| operation.get(key).and_then(KNode::as_str);
                        let path = field("path").unwrap_or_default();
                        if field("op") == Some("remove") {
                            let container =
                                path.strip_suffix("/securityContext").and_then(|p| node_at(&resource.object, p));
                            let by = operation.get("path").map(|p| p.origin);
                            if let Some((container, by)) = container.zip(by) {
                                build.removed_security_contexts.extend(security_context_removal(
                                    container,
                                    "securityContext",
                                    by,
                                ));
                            }
                        }
                        let operation = Operation {
                            op: field("op").unwrap_or_default(),
                            path: field("path").unwrap_or_default(),
                            from: field("from"),
                            value: operation.get("value").cloned(),
                        };
                        if let Err(error) = apply_operation(&mut resource.object, operation) {
                            build.unknown.push(format!("JSON 6902 patch of {}: {}", resource.name(), error.0));
                        }
                    }
                }
            }
            KValue::Mapping(_) => {
                let own_target;
                let target = match target {
                    Some(target) => target,
                    None => {
                        own_target = Target::of_patch(&patch);
                        &own_target
                    }
                };
                let mut deleted = Vec::new();
                for (index, resource) in resources.iter_mut().enumerate().filter(|(_, r)| target.matches(r)) {
                    // The patch's own name does not rename what it targets.
                    let metadata = resource.object.get("metadata").cloned();
                    let kind = resource.object.get("kind").cloned();
                    if !strategic_merge(&mut resource.object, &patch, &mut build.removed_security_contexts) {
                        deleted.push(index);
                        continue;
                    }
                    restore_identity(&mut resource.object, metadata, kind);
                }
                for index in deleted.into_iter().rev() {
                    resources.remove(index);
                }
            }
            KValue::Scalar(_) => {}
        }
    }
}

fn restore_identity(object: &mut KNode, metadata: Option<KNode>, kind: Option<KNode>) {
    for (key, field, before) in [("metadata", "name", &metadata), ("metadata", "namespace", &metadata)] {
        let before = before.as_ref().and_then(|m| m.get(field)).cloned();
        if let (Some(before), Some(parent)) = (before, object.get_mut(key)) {
            let origin = before.origin;
            parent.set(field, before, origin);
        }
    }
    if let Some(kind) = kind {
        let origin = kind.origin;
        object.set("kind", kind, origin);
    }
}

/// Kinds the namespace transformer leaves alone (cluster-scoped).
const CLUSTER_SCOPED: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "Node",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

fn set_namespace(resources: &mut [Resource], namespace: &KNode) {
    let origin: Location = namespace.origin;
    let value = namespace.as_str().unwrap_or_default().trim().to_string();
    for resource in resources {
        let kind = resource.kind().to_string();
        if CLUSTER_SCOPED.contains(&kind.as_str()) {
            continue;
        }
        // A Namespace object is renamed to the kustomization's namespace.
        let field = if kind == "Namespace" { "name" } else { "namespace" };
        let mut value_node = namespace.clone();
        value_node.value = KNode::scalar(&value, origin, false).value;
        if resource.object.get("metadata").is_none() {
            resource.object.set("metadata", KNode::mapping(origin, false), origin);
        }
        if let Some(metadata) = resource.object.get_mut("metadata") {
            metadata.set(field, value_node, origin);
        }
        if kind == "Namespace" {
            resource.names.push(value.clone());
        } else {
            resource.namespaces.push(value.clone());
        }
    }
}

fn rename(resources: &mut [Resource], prefix: &str, suffix: &str) {
    for resource in resources {
        if matches!(resource.kind(), "Namespace" | "CustomResourceDefinition") {
            continue;
        }
        let Some(name) = resource.object.get_path(&["metadata", "name"]).cloned() else { continue };
        let renamed = format!("{prefix}{}{suffix}", name.as_str().unwrap_or_default());
        let node = KNode::scalar(&renamed, name.origin, name.patched);
        if let Some(metadata) = resource.object.get_mut("metadata") {
            metadata.set("name", node, name.origin);
        }
        resource.names.push(renamed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_renamed_retagged_and_pinned_as_kustomize_does() {
        let text = "images:\n  - {name: redis, newName: mirror.example.com:5000/redis}\n  - {name: app, newTag: \"2.0\"}\n  - {name: db, digest: sha256:abc}\n";
        let parsed = syntax::parse(text);
        let map = SpanMap::identity(FileId(0));
        let entries = parsed.documents[0].root.as_ref().unwrap().get("images").unwrap().as_sequence().unwrap();
        let overrides: Vec<ImageOverride> = entries.iter().map(|e| ImageOverride::read(e, &map).unwrap()).collect();
        let retag = |image: &str| overrides.iter().find_map(|o| o.retag(image));
        assert_eq!(retag("redis:7-alpine").as_deref(), Some("mirror.example.com:5000/redis:7-alpine"));
        assert_eq!(retag("app@sha256:old").as_deref(), Some("app:2.0"));
        assert_eq!(retag("app").as_deref(), Some("app:2.0"));
        assert_eq!(retag("db:15").as_deref(), Some("db@sha256:abc"));
        // Names match whole: not a suffix, not another registry's image.
        assert_eq!(retag("docker.io/redis:7"), None);
        assert_eq!(retag("myapp:1"), None);
        assert_eq!(split_image("registry:5000/team/app:1.2"), ("registry:5000/team/app", ":1.2"));
        assert_eq!(split_image("registry:5000/team/app"), ("registry:5000/team/app", ""));
    }

    #[test]
    fn selectors_and_name_patterns() {
        let text = "labels: {app: web, tier: front}\n";
        let parsed = syntax::parse(text);
        let labels =
            from_syntax(parsed.documents[0].root.as_ref().unwrap(), text, &SpanMap::identity(FileId(0)), false);
        let labels = labels.get("labels");
        assert!(selector_matches("app=web", labels));
        assert!(selector_matches("app==web,tier", labels));
        assert!(!selector_matches("app=web,tier!=front", labels));
        assert!(selector_matches("tier in (back, front),!canary", labels));
        assert!(!selector_matches("tier notin (front)", labels));
        assert!(Pattern::regex("web-.*").matches("web-api"));
        assert!(!Pattern::regex("web").matches("web-api"));
        assert!(Pattern::regex("Deployment|StatefulSet").matches("StatefulSet"));
        assert!(!Pattern::regex("Deployment|StatefulSet").matches("DaemonSet"));
        assert!(Pattern::regex("(cart|worker)-v[0-9]+").matches("worker-v2"));
        assert!(!Pattern::regex("cart").matches("cart-v2"), "anchored");
        assert!(Pattern::regex("a[b").matches("a[b"), "not a regex: only itself");
        assert_eq!(normalize(Path::new("/r/overlays/prod/../../base")), PathBuf::from("/r/base"));
    }
}
