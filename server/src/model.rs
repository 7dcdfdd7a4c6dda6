//! Workloads: every pod spec of a document, its containers, and the
//! effective securityContext of each container (container over pod).

use crate::syntax::{Entry, Node, MAX_DEPTH};

/// The pod spec path of each built-in kind.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("PodTemplate", &["template", "spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("CronJob", &["spec", "jobTemplate", "spec", "template", "spec"]),
];

/// The path from the object to the pod spec of a built-in kind.
pub fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
}

/// An API version of a kind that Kubernetes stopped serving.
#[derive(Debug, PartialEq, Eq)]
pub struct RemovedApi {
    /// `None`: the kinds are gone in every API version.
    pub api_version: Option<&'static str>,
    pub kinds: &'static [&'static str],
    /// The first minor version of Kubernetes 1 without it.
    pub removed_in: u32,
    /// The API version that serves the kind now, if any does.
    pub replacement: Option<&'static str>,
}

/// Workload and policy API versions that are gone (Kubernetes' deprecated
/// API migration guide; the API server answers them with 404).
/// The first that applies is the one to report.
pub const REMOVED_APIS: &[RemovedApi] = &[
    // PodSecurityPolicy itself is gone from 1.25.
    RemovedApi { api_version: None, kinds: &["PodSecurityPolicy"], removed_in: 25, replacement: None },
    RemovedApi {
        api_version: Some("extensions/v1beta1"),
        kinds: &["Deployment", "DaemonSet", "ReplicaSet"],
        removed_in: 16,
        replacement: Some("apps/v1"),
    },
    RemovedApi {
        api_version: Some("extensions/v1beta1"),
        kinds: &["PodSecurityPolicy"],
        removed_in: 16,
        replacement: Some("policy/v1beta1"),
    },
    RemovedApi {
        api_version: Some("apps/v1beta1"),
        kinds: &["Deployment", "StatefulSet"],
        removed_in: 16,
        replacement: Some("apps/v1"),
    },
    RemovedApi {
        api_version: Some("apps/v1beta2"),
        kinds: &["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"],
        removed_in: 16,
        replacement: Some("apps/v1"),
    },
    RemovedApi {
        api_version: Some("batch/v2alpha1"),
        kinds: &["CronJob"],
        removed_in: 21,
        replacement: Some("batch/v1"),
    },
    RemovedApi {
        api_version: Some("batch/v1beta1"),
        kinds: &["CronJob"],
        removed_in: 25,
        replacement: Some("batch/v1"),
    },
];

/// The removal that applies to `kind` in `api_version` at Kubernetes 1.`minor`.
pub fn removed_api(api_version: &str, kind: &str, minor: u32) -> Option<&'static RemovedApi> {
    REMOVED_APIS.iter().find(|r| {
        minor >= r.removed_in && r.kinds.contains(&kind) && r.api_version.is_none_or(|gone| gone == api_version)
    })
}

/// Built-in kinds that never hold a pod spec: not searched by shape.
const KINDS_WITHOUT_PODS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "Service",
    "Namespace",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Ingress",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "ResourceQuota",
    "LimitRange",
    "Endpoints",
    "EndpointSlice",
    "PodSecurityPolicy",
];

/// API groups of policy and admission objects: their pod-shaped subtrees
/// are patterns to match, patches or examples, never pods a controller
/// runs (Kyverno `validate.pattern.spec.containers: [{image: "!*:latest"}]`).
const POLICY_API_GROUPS: &[&str] = &[
    "kyverno.io",
    "policies.kyverno.io",
    "reports.kyverno.io",
    "wgpolicyk8s.io",
    "templates.gatekeeper.sh",
    "constraints.gatekeeper.sh",
    "mutations.gatekeeper.sh",
    "expansion.gatekeeper.sh",
    "config.gatekeeper.sh",
    "policies.kubewarden.io",
    "admissionregistration.k8s.io",
];

/// Policy kinds, for documents that name no `apiVersion`.
const POLICY_KINDS: &[&str] = &[
    "ClusterPolicy",
    "ConstraintTemplate",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// Keys under which a custom resource holds patterns or patches of other
/// objects (policy engines, overlays): not searched for pod specs.
const PATTERN_KEYS: &[&str] =
    &["pattern", "anyPattern", "patchStrategicMerge", "patchesStrategicMerge", "patchesJson6902", "overlay"];

/// Whether `object` is a policy or admission object (see [`POLICY_API_GROUPS`]).
pub fn is_policy(object: &Node) -> bool {
    match object.get("apiVersion").and_then(Node::as_str) {
        Some(api_version) => {
            let group = api_version.split_once('/').map_or("", |(group, _)| group);
            POLICY_API_GROUPS.contains(&group)
        }
        None => object.get("kind").and_then(Node::as_str).is_some_and(|kind| POLICY_KINDS.contains(&kind)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec key that lists containers of this kind.
    pub fn list_key(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    const ALL: [ContainerKind; 3] = [ContainerKind::Container, ContainerKind::Init, ContainerKind::Ephemeral];
}

#[derive(Debug)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    /// Position in its list.
    pub index: usize,
    pub node: &'a Node,
    /// The `name` value.
    pub name: Option<&'a Node>,
    /// The `securityContext` entry, whatever its value.
    pub security_context: Option<&'a Entry>,
    /// What the entry leaves out may be set elsewhere: it is an entry of a
    /// custom resource without `image`, which the operator merges into a
    /// container of its own by name (`config-reloader` in a Prometheus), or
    /// a template supplies its securityContext. Its values are judged;
    /// what it lacks is not.
    pub partial: bool,
}

impl<'a> Container<'a> {
    /// `web`, or `containers[2]` for a container without a name yet.
    pub fn display_name(&self) -> String {
        match self.name.and_then(Node::as_str).filter(|n| !n.is_empty()) {
            Some(name) => name.to_string(),
            None => format!("{}[{}]", self.kind.list_key(), self.index),
        }
    }

    /// The securityContext mapping, when it is one.
    pub fn security_context_map(&self) -> Option<&'a Node> {
        self.security_context.map(|e| &e.value).filter(|v| v.as_mapping().is_some())
    }
}

/// Where an effective value was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Pod,
    Container,
}

/// A shared field's value in force for one container.
#[derive(Clone, Copy, Debug)]
pub struct Effective<'a> {
    pub entry: &'a Entry,
    pub origin: Origin,
}

impl<'a> Effective<'a> {
    pub fn value(&self) -> &'a Node {
        &self.entry.value
    }
}

#[derive(Debug)]
pub struct PodSpec<'a> {
    /// The kind of the object holding the pod spec, where it says.
    pub kind: Option<&'a str>,
    /// The object (document root or `List` item) holding the pod spec.
    pub object: &'a Node,
    /// The pod spec mapping.
    pub spec: &'a Node,
    /// The pod's metadata: the template's, or the Pod's own.
    pub metadata: Option<&'a Node>,
    /// The pod `securityContext` entry, whatever its value.
    pub security_context: Option<&'a Entry>,
    /// A template supplies the pod securityContext (or keys of the pod
    /// spec that may hold it): what it lacks may be set there.
    pub security_context_unknown: bool,
    pub containers: Vec<Container<'a>>,
}

impl<'a> PodSpec<'a> {
    pub fn security_context_map(&self) -> Option<&'a Node> {
        self.security_context.map(|e| &e.value).filter(|v| v.as_mapping().is_some())
    }

    /// `spec.os.name`, where set.
    pub fn os_name(&self) -> Option<&'a str> {
        self.spec.get_path(&["os", "name"]).and_then(Node::as_str)
    }

    /// The value of a shared field in force for `container`: its own unless
    /// unset (or null), else the pod's.
    pub fn effective(&self, container: &Container<'a>, field: &str) -> Option<Effective<'a>> {
        let set = |sc: Option<&'a Node>| sc.and_then(|sc| sc.entry(field)).filter(|e| !e.value.is_null());
        set(container.security_context_map())
            .map(|entry| Effective { entry, origin: Origin::Container })
            .or_else(|| set(self.security_context_map()).map(|entry| Effective { entry, origin: Origin::Pod }))
    }
}

impl<'a> PodSpec<'a> {
    /// Every shared field in force for `container`, in catalog order, with
    /// where each value comes from.
    pub fn effective_settings(&self, container: &Container<'a>) -> Vec<(&'static str, Effective<'a>)> {
        crate::catalog::Catalog::embedded()
            .security_context()
            .fields
            .iter()
            .filter(|f| f.scope == crate::catalog::Scope::Both)
            .filter_map(|f| self.effective(container, &f.name).map(|e| (f.name.as_str(), e)))
            .collect()
    }
}

/// Every pod spec of one document.
#[derive(Debug, Default)]
pub struct Workloads<'a> {
    pub pods: Vec<PodSpec<'a>>,
}

impl<'a> Workloads<'a> {
    pub fn find(root: &'a Node) -> Self {
        let mut pods = Vec::new();
        find_in_object(root, &mut pods, 0);
        Workloads { pods }
    }
}

fn find_in_object<'a>(object: &'a Node, pods: &mut Vec<PodSpec<'a>>, depth: usize) {
    if is_policy(object) {
        return;
    }
    let kind = object.get("kind").and_then(Node::as_str);
    let builtin = object.get("apiVersion").and_then(Node::as_str).is_none_or(is_builtin_api);
    let path = POD_SPEC_PATHS.iter().find(|(k, _)| Some(*k) == kind).map(|(_, p)| *p);
    match (kind, path) {
        (Some("List"), _) => {
            for item in object.get("items").and_then(Node::as_sequence).unwrap_or_default() {
                if depth < 8 {
                    find_in_object(item, pods, depth + 1);
                }
            }
        }
        (Some(kind), _) if builtin && KINDS_WITHOUT_PODS.contains(&kind) => {}
        (Some(kind), Some(path)) if builtin => {
            let Some(spec) = object.get_path(path).filter(|s| s.as_mapping().is_some()) else { return };
            let parent = object.get_path(&path[..path.len() - 1]).unwrap_or(object);
            pods.push(pod_spec(Some(kind), object, spec, parent.get("metadata"), false));
        }
        _ => find_by_shape(kind, object, object, pods, 0, !builtin),
    }
}

/// Core and `*.k8s.io` API groups, as opposed to CRDs such as Knative's
/// `serving.knative.dev/v1` `Service`, which holds a pod spec.
fn is_builtin_api(api_version: &str) -> bool {
    match api_version.split_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// Any mapping whose `containers` is a list of mappings with `name` or
/// `image`, outside patterns and patches. `custom`: the object is a custom
/// resource, whose operator may merge container entries into its own.
fn find_by_shape<'a>(
    kind: Option<&'a str>,
    object: &'a Node,
    node: &'a Node,
    pods: &mut Vec<PodSpec<'a>>,
    depth: usize,
    custom: bool,
) {
    if depth >= MAX_DEPTH {
        return;
    }
    if let Some(entries) = node.as_mapping() {
        if looks_like_pod_spec(node) {
            pods.push(pod_spec(kind, object, node, None, custom));
            return;
        }
        for entry in entries.iter().filter(|e| !e.key_str().is_some_and(|k| PATTERN_KEYS.contains(&k))) {
            find_by_shape(kind, object, &entry.value, pods, depth + 1, custom);
        }
        // The template metadata is the sibling of a found spec.
        let metadata = node.get("metadata");
        for pod in pods.iter_mut() {
            if pod.metadata.is_none() && node.get("spec").is_some_and(|s| std::ptr::eq(s, pod.spec)) {
                pod.metadata = metadata;
            }
        }
    } else if let Some(items) = node.as_sequence() {
        for item in items {
            find_by_shape(kind, object, item, pods, depth + 1, custom);
        }
    }
}

fn looks_like_pod_spec(node: &Node) -> bool {
    node.get("containers").and_then(Node::as_sequence).is_some_and(|items| {
        !items.is_empty() && items.iter().all(|c| c.get("name").is_some() || c.get("image").is_some())
    })
}

fn pod_spec<'a>(
    kind: Option<&'a str>,
    object: &'a Node,
    spec: &'a Node,
    metadata: Option<&'a Node>,
    custom: bool,
) -> PodSpec<'a> {
    let metadata = metadata.or_else(|| (kind == Some("Pod")).then(|| object.get("metadata")).flatten());
    let containers = ContainerKind::ALL
        .iter()
        .flat_map(|&kind| {
            let items = spec.get(kind.list_key()).and_then(Node::as_sequence).unwrap_or_default();
            items.iter().enumerate().filter(|(_, c)| c.as_mapping().is_some()).map(move |(index, node)| Container {
                kind,
                index,
                node,
                name: node.get("name"),
                security_context: node.entry("securityContext"),
                partial: custom && node.get("image").is_none(),
            })
        })
        .collect();
    PodSpec {
        kind,
        object,
        spec,
        metadata,
        security_context: spec.entry("securityContext"),
        security_context_unknown: false,
        containers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn with_pods(text: &str, check: impl FnOnce(&Workloads)) {
        let file = parse(text);
        let root = file.documents[0].root.as_ref().unwrap();
        check(&Workloads::find(root));
    }

    #[test]
    fn cronjob_pod_spec_and_effective_values() {
        let text = "\
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: {a: b}
        spec:
          securityContext:
            runAsUser: 1000
            runAsNonRoot: true
          containers:
            - name: job
              securityContext:
                runAsUser: 2000
                runAsNonRoot:
          initContainers:
            - image: busybox
";
        with_pods(text, |w| {
            assert_eq!(w.pods.len(), 1);
            let pod = &w.pods[0];
            assert!(pod.metadata.is_some());
            assert_eq!(pod.containers.len(), 2);
            let (job, init) = (&pod.containers[0], &pod.containers[1]);
            assert_eq!(job.display_name(), "job");
            assert_eq!(init.display_name(), "initContainers[0]");
            let user = pod.effective(job, "runAsUser").unwrap();
            assert_eq!((user.value().as_str(), user.origin), (Some("2000"), Origin::Container));
            // A null container value does not hide the pod's.
            let non_root = pod.effective(job, "runAsNonRoot").unwrap();
            assert_eq!(non_root.origin, Origin::Pod);
            assert_eq!(pod.effective(init, "runAsUser").unwrap().origin, Origin::Pod);
            assert!(pod.effective(init, "seccompProfile").is_none());
            let settings: Vec<_> = pod.effective_settings(job).into_iter().map(|(f, e)| (f, e.origin)).collect();
            assert_eq!(settings, [("runAsUser", Origin::Container), ("runAsNonRoot", Origin::Pod)]);
        });
    }

    #[test]
    fn list_items_and_crds_by_shape() {
        let text = "\
kind: List
items:
  - kind: Pod
    spec: {containers: [{name: a}]}
  - kind: Rollout
    spec:
      template:
        metadata: {labels: {app: x}}
        spec:
          containers: [{name: b, image: x}]
  - kind: ConfigMap
    data: {containers: x}
";
        with_pods(text, |w| {
            let names: Vec<_> = w.pods.iter().map(|p| p.containers[0].display_name()).collect();
            assert_eq!(names, ["a", "b"]);
            assert!(w.pods[1].metadata.is_some());
        });
    }
}
