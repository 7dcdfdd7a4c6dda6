//! How admission judges a workload: the profile and version in force (the
//! settings, or its namespace's Pod Security labels) and who chose them.

use std::fmt;
use std::sync::Arc;

use crate::config::Config;
use crate::namespaces::{workload_namespace, LabelSource, Mode, NamespaceLabels};
use crate::standards::{KubeVersion, Profile};
use crate::syntax::Node;

/// Where a Pod Security finding's profile came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProfileSource {
    /// The settings: defaults, `.podsec.yaml`, flags or editor settings.
    #[default]
    Config,
    /// A namespace's `enforce` or `warn` label.
    Namespace(Arc<LabelSource>),
}

impl ProfileSource {
    /// The namespace enforces this profile: a violation rejects the pod.
    pub fn is_enforced(&self) -> bool {
        matches!(self, ProfileSource::Namespace(source) if source.mode == Mode::Enforce)
    }

    pub fn label(&self) -> Option<&LabelSource> {
        match self {
            ProfileSource::Config => None,
            ProfileSource::Namespace(source) => Some(source),
        }
    }
}

impl fmt::Display for ProfileSource {
    /// `config`, `namespace payments (ns.yaml:7)`, `namespace payments, warn (ns.yaml:9)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileSource::Config => f.write_str("config"),
            ProfileSource::Namespace(s) if s.mode == Mode::Enforce => {
                write!(f, "namespace {} ({}:{})", s.namespace, s.path, s.line)
            }
            ProfileSource::Namespace(s) => {
                write!(f, "namespace {}, {} ({}:{})", s.namespace, s.mode.as_str(), s.path, s.line)
            }
        }
    }
}

/// A level and version a workload is judged at, and who chose them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelInForce {
    pub profile: Profile,
    pub version: KubeVersion,
    pub source: ProfileSource,
}

/// How admission judges one workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadPolicy<'c> {
    /// The workload's namespace, where known.
    pub namespace: Option<String>,
    /// Its labels, where the namespace is known and labelled (and namespace
    /// labels are on).
    pub labels: Option<&'c NamespaceLabels>,
    /// The level findings are reported at: the namespace's `enforce`, else
    /// the configuration.
    pub enforce: LevelInForce,
    /// The namespace's `warn` level, where it is stricter than `enforce`.
    pub warn: Option<LevelInForce>,
}

/// How the workload `object` is judged under `config`.
pub fn policy_for<'c>(config: &'c Config, object: &Node) -> WorkloadPolicy<'c> {
    let namespace = workload_namespace(object, config.default_namespace.as_deref());
    let labels = namespace
        .as_deref()
        .filter(|_| config.namespace_labels)
        .and_then(|n| config.namespaces.nearest(n, config.document_folder.as_deref()))
        .map(|(nearest, _)| nearest);
    let configured =
        LevelInForce { profile: config.profile, version: config.kubernetes_version, source: ProfileSource::Config };
    let judgement = |labels: &NamespaceLabels, mode: Mode| {
        labels.mode(mode).map(|mode_labels| LevelInForce {
            profile: mode_labels.level.unwrap_or(config.profile),
            version: mode_labels.version.unwrap_or(config.kubernetes_version),
            source: ProfileSource::Namespace(Arc::new(LabelSource {
                namespace: labels.name.clone(),
                mode,
                path: labels.path.clone(),
                line: mode_labels.line,
            })),
        })
    };
    let enforce = labels.and_then(|l| judgement(l, Mode::Enforce)).unwrap_or(configured);
    let warn = labels.and_then(|l| judgement(l, Mode::Warn)).filter(|warn| {
        warn.profile > enforce.profile
            || (warn.profile == enforce.profile
                && warn.profile != Profile::Privileged
                && warn.version != enforce.version)
    });
    WorkloadPolicy { namespace, labels, enforce, warn }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespaces::tests::NAMESPACES;
    use crate::namespaces::{namespaces_in, NamespacePolicies};
    use crate::syntax;

    fn workload(namespace: Option<&str>) -> Node {
        let metadata = namespace.map(|n| format!("  namespace: {n}\n")).unwrap_or_default();
        let text = format!("kind: Deployment\nmetadata:\n  name: web\n{metadata}");
        syntax::parse(&text).documents.remove(0).root.unwrap()
    }

    #[test]
    fn enforce_replaces_the_configured_profile_and_warn_adds_where_stricter() {
        let policies = NamespacePolicies::new(namespaces_in(NAMESPACES, "ns.yaml"), 1);
        let config = Config { namespaces: policies, ..Config::default() };
        let policy = policy_for(&config, &workload(Some("payments")));
        assert_eq!((policy.enforce.profile, policy.enforce.version), (Profile::Baseline, KubeVersion::new(30)));
        assert!(policy.enforce.source.is_enforced());
        assert_eq!(policy.enforce.source.to_string(), "namespace payments (ns.yaml:6)");
        let warn = policy.warn.unwrap();
        assert_eq!((warn.profile, warn.version), (Profile::Restricted, KubeVersion::NEWEST));
        assert_eq!(warn.source.to_string(), "namespace payments, warn (ns.yaml:8)");
        // Unknown and unlabelled namespaces, and no namespace: the configuration.
        for namespace in [Some("tools"), Some("elsewhere"), None] {
            let policy = policy_for(&config, &workload(namespace));
            assert_eq!(policy.enforce.source, ProfileSource::Config);
            assert_eq!(policy.enforce.profile, Profile::Restricted);
            assert_eq!(policy.warn, None);
        }
        // A kustomization's namespace, unless the workload names its own.
        let kustomized = Config { default_namespace: Some("payments".into()), ..config.clone() };
        assert_eq!(policy_for(&kustomized, &workload(None)).namespace.as_deref(), Some("payments"));
        assert_eq!(policy_for(&kustomized, &workload(None)).enforce.profile, Profile::Baseline);
        assert_eq!(policy_for(&kustomized, &workload(Some("tools"))).enforce.source, ProfileSource::Config);
        // Switched off.
        let off = Config { namespace_labels: false, ..config };
        let policy = policy_for(&off, &workload(Some("payments")));
        assert_eq!((policy.enforce.profile, policy.labels), (Profile::Restricted, None));
    }
}
