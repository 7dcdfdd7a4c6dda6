//! Namespaces and their Pod Security Admission labels: the profile a
//! workload is judged by where admission will judge it.
//!
//! Plain data. The lsp and cli layers read the files and pass their texts
//! in; this module finds `kind: Namespace` objects and their
//! `pod-security.kubernetes.io/*` labels (with the file and line that set
//! them), reads a kustomization's `namespace:`, and resolves a workload's
//! namespace to the level and version it is judged at.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::standards::{KubeVersion, Profile};
use crate::syntax::{self, Node};
use crate::text::LineIndex;

/// The prefix of every Pod Security Admission label.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The file names kustomize reads.
pub const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A Pod Security Admission mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// A violation rejects the pod.
    Enforce,
    /// A violation is returned to the user as a warning.
    Warn,
    /// A violation is recorded in the audit log.
    Audit,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Warn, Mode::Audit];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// What one mode's two labels (`<mode>` and `<mode>-version`) say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeLabels {
    /// `None`: no level label, so the configured profile applies.
    pub level: Option<Profile>,
    /// `None`: `latest` or no version label, so the configured version applies.
    pub version: Option<KubeVersion>,
    /// The values as written, for hover.
    pub level_text: Option<String>,
    pub version_text: Option<String>,
    /// 1-based line of the first of the two labels.
    pub line: u32,
    /// Values admission does not accept; it then uses `restricted` and `latest`.
    pub problems: Vec<String>,
}

/// A Namespace object that carries Pod Security labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceLabels {
    pub name: String,
    /// The file, as the front end shows it.
    pub path: String,
    /// The folder of the file (absolute where the front end knows it), to
    /// choose the nearest of several Namespaces of one name.
    pub folder: PathBuf,
    /// 1-based line of the Namespace's `kind:`.
    pub line: u32,
    pub enforce: Option<ModeLabels>,
    pub warn: Option<ModeLabels>,
    pub audit: Option<ModeLabels>,
}

impl NamespaceLabels {
    pub fn mode(&self, mode: Mode) -> Option<&ModeLabels> {
        match mode {
            Mode::Enforce => self.enforce.as_ref(),
            Mode::Warn => self.warn.as_ref(),
            Mode::Audit => self.audit.as_ref(),
        }
    }
}

/// What one file tells the workspace about namespaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// Namespaces with Pod Security labels defined in the file.
    pub namespaces: Vec<NamespaceLabels>,
    /// The `namespace:` of a kustomization file.
    pub kustomization_namespace: Option<String>,
    /// The file is a kustomization (its folder builds an overlay or a base).
    pub is_kustomization: bool,
}

impl FileFacts {
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && !self.is_kustomization
    }
}

/// Whether a file is a kustomization, by its name.
pub fn is_kustomization(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

/// A cheap test that a text may define a Namespace: a `kind: Namespace`
/// line. Lets a workspace scan parse only the few files that can matter.
pub fn may_define_namespace(text: &str) -> bool {
    text.contains("Namespace")
        && text.lines().any(|line| {
            let line = line.trim_start_matches([' ', '-']);
            line.strip_prefix("kind:").is_some_and(|value| {
                let value = value.split(" #").next().unwrap_or_default().trim();
                value.trim_matches(['"', '\'']) == "Namespace"
            })
        })
}

/// The facts of one file: `path` decides whether it is a kustomization,
/// `display` is how sources are named.
pub fn file_facts(path: &Path, display: &str, text: &str) -> FileFacts {
    if is_kustomization(path) {
        return FileFacts {
            namespaces: Vec::new(),
            kustomization_namespace: kustomization_namespace(text),
            is_kustomization: true,
        };
    }
    if !may_define_namespace(text) {
        return FileFacts::default();
    }
    let folder = path.parent().map(|f| std::path::absolute(f).unwrap_or_else(|_| f.to_path_buf())).unwrap_or_default();
    let mut namespaces = namespaces_in(text, display);
    for namespace in &mut namespaces {
        namespace.folder = folder.clone();
    }
    FileFacts { namespaces, kustomization_namespace: None, is_kustomization: false }
}

/// The `namespace:` a kustomization sets on its resources.
pub fn kustomization_namespace(text: &str) -> Option<String> {
    let file = syntax::parse(text);
    let root = file.documents.first()?.root.as_ref()?;
    root.get("namespace").and_then(Node::as_str).map(str::trim).filter(|n| !n.is_empty()).map(str::to_string)
}

/// Every Namespace of a text (`List` items included) that has a Pod
/// Security label.
pub fn namespaces_in(text: &str, display: &str) -> Vec<NamespaceLabels> {
    let file = syntax::parse(text);
    let index = LineIndex::new(text);
    let line = |offset: usize| index.line_of(offset) as u32 + 1;
    let mut found = Vec::new();
    let mut objects: Vec<&Node> = file.documents.iter().filter_map(|d| d.root.as_ref()).collect();
    while let Some(object) = objects.pop() {
        match object.get("kind").and_then(Node::as_str) {
            Some("List") => objects.extend(object.get("items").and_then(Node::as_sequence).unwrap_or_default()),
            Some("Namespace") => {
                let Some(name) = object.get_path(&["metadata", "name"]).and_then(Node::as_str) else { continue };
                let labels = object.get_path(&["metadata", "labels"]);
                let mode = |mode: Mode| labels.and_then(|labels| mode_labels(labels, mode, &line));
                let namespace = NamespaceLabels {
                    name: name.to_string(),
                    path: display.to_string(),
                    folder: PathBuf::new(),
                    line: object.entry("kind").map_or(line(object.span.start), |e| line(e.key.span.start)),
                    enforce: mode(Mode::Enforce),
                    warn: mode(Mode::Warn),
                    audit: mode(Mode::Audit),
                };
                if namespace.enforce.is_some() || namespace.warn.is_some() || namespace.audit.is_some() {
                    found.push(namespace);
                }
            }
            _ => {}
        }
    }
    found.sort_by_key(|n| n.line);
    found
}

fn mode_labels(labels: &Node, mode: Mode, line: &dyn Fn(usize) -> u32) -> Option<ModeLabels> {
    let level_key = format!("{LABEL_PREFIX}{}", mode.as_str());
    let version_key = format!("{level_key}-version");
    let level_entry = labels.entry(&level_key);
    let version_entry = labels.entry(&version_key);
    let first = [level_entry, version_entry].into_iter().flatten().map(|e| e.key.span.start).min()?;
    let mut problems = Vec::new();
    let level_text = level_entry.and_then(|e| e.value.as_str()).map(str::to_string);
    let level = level_text.as_deref().map(|text| match text {
        "privileged" => Profile::Privileged,
        "baseline" => Profile::Baseline,
        "restricted" => Profile::Restricted,
        other => {
            problems.push(format!(
                "`{level_key}: {other}` is not privileged, baseline or restricted: admission uses restricted"
            ));
            Profile::Restricted
        }
    });
    let version_text = version_entry.and_then(|e| e.value.as_str()).map(str::to_string);
    let version = match version_text.as_deref() {
        None | Some("latest") => None,
        Some(text) => match parse_label_version(text) {
            Some(minor) if minor <= KubeVersion::NEWEST.minor => Some(KubeVersion::new(minor)),
            // Newer than podsec knows: admission judges by its newest
            // checks, which the configured version stands for.
            Some(_) => None,
            None => {
                problems.push(format!("`{version_key}: {text}` is not `latest` or `v1.N`: admission uses latest"));
                None
            }
        },
    };
    Some(ModeLabels { level, version, level_text, version_text, line: line(first), problems })
}

/// `v1.N` as admission reads it: the `v` is required, no patch.
fn parse_label_version(text: &str) -> Option<u32> {
    let minor = text.strip_prefix("v1.")?;
    if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) || (minor.len() > 1 && minor.starts_with('0')) {
        return None;
    }
    minor.parse().ok()
}

/// Every labelled Namespace the front end knows of, by name. Cheap to clone
/// and compare: equality is the same table at the same generation, so a
/// configuration holding it stays an O(1) cache key.
#[derive(Clone, Default)]
pub struct NamespacePolicies {
    /// Every labelled Namespace of each name, by path and line.
    table: Arc<BTreeMap<String, Vec<NamespaceLabels>>>,
    generation: u64,
}

impl NamespacePolicies {
    pub fn new(namespaces: impl IntoIterator<Item = NamespaceLabels>, generation: u64) -> Self {
        let mut all: Vec<NamespaceLabels> = namespaces.into_iter().collect();
        all.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        let mut table: BTreeMap<String, Vec<NamespaceLabels>> = BTreeMap::new();
        for namespace in all {
            table.entry(namespace.name.clone()).or_default().push(namespace);
        }
        NamespacePolicies { table: Arc::new(table), generation }
    }

    /// The Namespace `name` wherever it is: the first by path and line, so
    /// the answer does not depend on the order files were read.
    pub fn get(&self, name: &str) -> Option<&NamespaceLabels> {
        self.table.get(name).and_then(|all| all.first())
    }

    /// The Namespace `name` nearest to a workload in `folder` (the one
    /// whose folder shares the most of its path, as a repository with
    /// several clusters keeps each cluster's Namespaces beside its
    /// workloads), and the other Namespaces of that name.
    pub fn nearest(&self, name: &str, folder: Option<&Path>) -> Option<(&NamespaceLabels, Vec<&NamespaceLabels>)> {
        let all = self.table.get(name)?;
        let shared = |n: &NamespaceLabels| {
            folder.map_or(0, |f| f.components().zip(n.folder.components()).take_while(|(a, b)| a == b).count())
        };
        // The first of the nearest: `max_by_key` would take the last.
        let best = all.iter().rev().max_by_key(|n| shared(n))?;
        let others = all.iter().filter(|n| !std::ptr::eq(*n, best)).collect();
        Some((best, others))
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &NamespaceLabels> {
        self.table.values().flatten()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether both hold the same namespaces (whatever their generation).
    pub fn same_content(&self, other: &NamespacePolicies) -> bool {
        Arc::ptr_eq(&self.table, &other.table) || self.table == other.table
    }
}

impl PartialEq for NamespacePolicies {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
            && (Arc::ptr_eq(&self.table, &other.table) || (self.table.is_empty() && other.table.is_empty()))
    }
}

impl Eq for NamespacePolicies {}

impl fmt::Debug for NamespacePolicies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NamespacePolicies({} namespaces, generation {})", self.table.len(), self.generation)
    }
}

/// Where the label that decided a finding's profile is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSource {
    pub namespace: String,
    pub mode: Mode,
    pub path: String,
    pub line: u32,
}

/// A workload object's namespace: its `metadata.namespace`, else `default`
/// (a kustomization's `namespace:`).
pub fn workload_namespace(object: &Node, default: Option<&str>) -> Option<String> {
    object
        .get_path(&["metadata", "namespace"])
        .and_then(Node::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .or(default)
        .map(str::to_string)
}

/// The namespace the nearest kustomization in `folder` or above sets, up to
/// `root`. `kustomizations` maps a folder to the namespace its
/// kustomization sets.
pub fn kustomized_namespace<'k>(
    folder: &Path,
    root: Option<&Path>,
    kustomizations: &'k BTreeMap<PathBuf, String>,
) -> Option<&'k str> {
    for dir in folder.ancestors() {
        if let Some(namespace) = kustomizations.get(dir) {
            return Some(namespace);
        }
        if Some(dir) == root {
            break;
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const NAMESPACES: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.30
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: latest
---
kind: Namespace
metadata:
  name: tools
---
kind: List
items:
  - kind: Namespace
    metadata:
      name: odd
      labels:
        pod-security.kubernetes.io/enforce: Restricted
        pod-security.kubernetes.io/enforce-version: \"1.30\"
        pod-security.kubernetes.io/audit-version: v1.99
";

    #[test]
    fn labels_lines_and_problems_are_read() {
        assert!(may_define_namespace(NAMESPACES));
        assert!(!may_define_namespace("kind: Pod\nspec: {shareProcessNamespace: true}\n"));
        let found = namespaces_in(NAMESPACES, "ns.yaml");
        let names: Vec<&str> = found.iter().map(|n| n.name.as_str()).collect();
        // `tools` has no Pod Security label: it is not kept.
        assert_eq!(names, ["payments", "odd"]);
        let payments = &found[0];
        assert_eq!(payments.line, 2);
        let enforce = payments.enforce.as_ref().unwrap();
        assert_eq!(
            (enforce.level, enforce.version, enforce.line),
            (Some(Profile::Baseline), Some(KubeVersion::new(30)), 6)
        );
        let warn = payments.warn.as_ref().unwrap();
        assert_eq!((warn.level, warn.version), (Some(Profile::Restricted), None));
        assert!(payments.audit.is_none());
        let odd = found[1].enforce.as_ref().unwrap();
        // Admission reads a bad level as restricted and a bad version as latest.
        assert_eq!((odd.level, odd.version), (Some(Profile::Restricted), None));
        assert_eq!(odd.problems.len(), 2, "{:?}", odd.problems);
        let audit = found[1].audit.as_ref().unwrap();
        assert_eq!((audit.level, audit.version, audit.problems.len()), (None, None, 0));
    }

    #[test]
    fn label_versions_are_read_as_admission_reads_them() {
        assert_eq!(parse_label_version("v1.30"), Some(30));
        assert_eq!(parse_label_version("v1.0"), Some(0));
        for bad in ["1.30", "v1.030", "v1.", "v2.1", "v1.30.1", "latest"] {
            assert_eq!(parse_label_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn kustomization_namespace_and_the_nearest_one() {
        assert_eq!(kustomization_namespace("resources: [a.yaml]\nnamespace: shop\n").as_deref(), Some("shop"));
        assert_eq!(kustomization_namespace("resources: [a.yaml]\n"), None);
        assert!(is_kustomization(Path::new("/a/kustomization.yaml")));
        assert!(!is_kustomization(Path::new("/a/kustomization.yaml.bak")));
        let mut map = BTreeMap::new();
        map.insert(PathBuf::from("/repo/apps"), "apps".to_string());
        map.insert(PathBuf::from("/repo"), "top".to_string());
        assert_eq!(kustomized_namespace(Path::new("/repo/apps/web"), None, &map), Some("apps"));
        assert_eq!(kustomized_namespace(Path::new("/repo/other"), None, &map), Some("top"));
        // The search stops at the root.
        assert_eq!(kustomized_namespace(Path::new("/repo/other"), Some(Path::new("/repo/other")), &map), None);
    }

    #[test]
    fn equal_policies_are_the_same_table_at_the_same_generation() {
        let a = NamespacePolicies::new(namespaces_in(NAMESPACES, "ns.yaml"), 1);
        let b = NamespacePolicies::new(namespaces_in(NAMESPACES, "ns.yaml"), 1);
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
        assert!(a.same_content(&b));
        // The first definition by path wins.
        let mut other = namespaces_in(NAMESPACES, "a.yaml");
        other.truncate(1);
        other[0].enforce.as_mut().unwrap().level = Some(Profile::Privileged);
        let both = NamespacePolicies::new(namespaces_in(NAMESPACES, "b.yaml").into_iter().chain(other), 2);
        assert_eq!(both.get("payments").unwrap().path, "a.yaml");
    }
}
