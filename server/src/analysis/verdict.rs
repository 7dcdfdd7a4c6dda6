//! Admission's verdict on each workload: whether it passes baseline and
//! restricted at the Kubernetes version in force, and whether the namespace
//! it lands in rejects it. Counted as admission counts: suppression
//! comments and rule levels do not change a verdict.

use super::policy::{self, LevelInForce, ProfileSource};
use super::{pss, Finding};
use crate::config::{Config, KubeVersion, Profile};
use crate::syntax::{self, Node, ParsedFile, Span};

/// The verdict on one workload object (all its pod specs together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The object's `kind` key, else the object: where the verdict is shown.
    pub anchor: Span,
    pub kind: Option<String>,
    pub name: Option<String>,
    /// The version both levels are judged at: the namespace's enforce
    /// version, else the configured one.
    pub version: KubeVersion,
    /// Violations of each level, in file order.
    pub baseline: Vec<Finding>,
    pub restricted: Vec<Finding>,
    /// The namespace's enforce label, where one applies.
    pub enforcement: Option<NamespaceEnforcement>,
}

/// A namespace enforcing a level on the workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceEnforcement {
    pub namespace: String,
    pub level: Profile,
    pub source: ProfileSource,
}

impl Verdict {
    /// The violations of `level` at the version in force.
    pub fn violations(&self, level: Profile) -> &[Finding] {
        match level {
            Profile::Privileged => &[],
            Profile::Baseline => &self.baseline,
            Profile::Restricted => &self.restricted,
        }
    }

    /// `baseline ✓ · restricted ✗ 3`.
    pub fn summary(&self) -> String {
        let mark = |level: Profile| match self.violations(level).len() {
            0 => format!("{level} ✓"),
            n => format!("{level} ✗ {n}"),
        };
        format!("{} · {}", mark(Profile::Baseline), mark(Profile::Restricted))
    }

    /// Whether the enforced level rejects the workload.
    pub fn rejected(&self) -> bool {
        self.enforcement.as_ref().is_some_and(|e| !self.violations(e.level).is_empty())
    }

    /// `namespace `payments` enforces restricted: rejected`, where a
    /// namespace enforces a level.
    pub fn enforcement_summary(&self) -> Option<String> {
        let enforcement = self.enforcement.as_ref()?;
        let outcome = if self.rejected() { "rejected" } else { "admitted" };
        Some(format!("namespace `{}` enforces {}: {outcome}", enforcement.namespace, enforcement.level))
    }

    /// `Deployment `web``, for titles.
    pub fn title(&self) -> String {
        match (&self.kind, &self.name) {
            (Some(kind), Some(name)) => format!("{kind} `{name}`"),
            (Some(kind), None) => kind.clone(),
            (None, Some(name)) => format!("`{name}`"),
            (None, None) => "workload".to_string(),
        }
    }
}

/// The verdict on every workload of a file, in file order.
pub fn verdicts(text: &str, config: &Config) -> Vec<Verdict> {
    let file = syntax::parse(text);
    verdicts_parsed(text, &file, config)
}

/// [`verdicts`] of an already parsed file.
pub fn verdicts_parsed(text: &str, file: &ParsedFile, config: &Config) -> Vec<Verdict> {
    let mut out: Vec<(*const Node, Verdict)> = Vec::new();
    for document in &file.documents {
        let Some(root) = &document.root else { continue };
        let workloads = super::workloads(text, file, root);
        // As in the analysis: a pod spec cut short by a syntax error is not
        // judged, since what it lacks may follow the error.
        let error_at = document.errors.iter().map(|e| e.span.start).min();
        let cut_short = error_at
            .and_then(|at| workloads.pods.iter().filter(|p| p.spec.span.start <= at).map(|p| p.spec.span.start).max());
        for pod in workloads.pods.iter().filter(|p| Some(p.spec.span.start) != cut_short) {
            let policy = policy::policy_for(config, pod.object);
            let version = policy.enforce.version;
            let at = |profile: Profile| {
                let mut found = Vec::new();
                let judgement = LevelInForce { profile, version, source: ProfileSource::Config };
                pss::check(text, file, &judgement, pod, &mut found);
                found
            };
            let (baseline, restricted) = (at(Profile::Baseline), at(Profile::Restricted));
            let key: *const Node = pod.object;
            match out.iter_mut().find(|(object, _)| *object == key) {
                Some((_, verdict)) => {
                    verdict.baseline.extend(baseline);
                    verdict.restricted.extend(restricted);
                }
                None => {
                    let object = pod.object;
                    let verdict = Verdict {
                        anchor: object.entry("kind").map_or(object.span, |e| e.key.span),
                        kind: object.get("kind").and_then(Node::as_str).map(str::to_string),
                        name: object.get_path(&["metadata", "name"]).and_then(Node::as_str).map(str::to_string),
                        version,
                        baseline,
                        restricted,
                        enforcement: policy.enforce.source.label().map(|label| NamespaceEnforcement {
                            namespace: label.namespace.clone(),
                            level: policy.enforce.profile,
                            source: policy.enforce.source.clone(),
                        }),
                    };
                    out.push((key, verdict));
                }
            }
        }
    }
    out.into_iter()
        .map(|(_, mut verdict)| {
            for list in [&mut verdict.baseline, &mut verdict.restricted] {
                list.sort_by(|a, b| {
                    (a.span.start, a.span.end, a.rule.code).cmp(&(b.span.start, b.span.end, b.rule.code))
                });
                list.dedup_by(|a, b| a.span == b.span && a.rule.code == b.rule.code);
            }
            verdict
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespaces::{namespaces_in, NamespacePolicies};

    const NAMESPACE: &str = "\
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: restricted
";

    fn deployment(namespace: &str, container_security: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: {namespace}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1\n          securityContext: {container_security}\n"
        )
    }

    #[test]
    fn summaries_of_clean_baseline_only_and_privileged_workloads() {
        let config =
            Config { namespaces: NamespacePolicies::new(namespaces_in(NAMESPACE, "ns.yaml"), 1), ..Config::default() };
        let clean = "{runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}";
        let verdict = &verdicts(&deployment("payments", clean), &config)[0];
        assert_eq!(verdict.summary(), "baseline ✓ · restricted ✓");
        assert_eq!(verdict.enforcement_summary().unwrap(), "namespace `payments` enforces restricted: admitted");
        assert_eq!(verdict.title(), "Deployment `api`");

        let verdict = &verdicts(&deployment("payments", "{}"), &config)[0];
        assert_eq!(verdict.summary(), "baseline ✓ · restricted ✗ 4");
        assert_eq!(verdict.enforcement_summary().unwrap(), "namespace `payments` enforces restricted: rejected");

        let verdict = &verdicts(&deployment("other", "{privileged: true}"), &config)[0];
        assert_eq!(verdict.summary(), "baseline ✗ 1 · restricted ✗ 5");
        assert_eq!(verdict.enforcement_summary(), None);
        let text = deployment("other", "{privileged: true}");
        assert_eq!(&text[verdict.anchor.start..verdict.anchor.end], "kind");
    }
}
