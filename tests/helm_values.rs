//! Helm charts judged with their values, as a library call
//! (`podsec::helm::analyze_chart`) on the fixture charts under
//! `tests/fixtures/helm/`: every finding, at the file, line and column the
//! user edits (a values leaf in whichever file set it, the values section
//! that lacks a field, the template line that writes a literal), and none
//! from a branch the values switch off.

use std::path::{Path, PathBuf};

use podsec::chart_files::load_chart;
use podsec::config::Config;
use podsec::helm::{self, eval::Environment, ChartAnalysis, ChartFile, Overrides};
use podsec::provenance::{FileId, SourceFinding};

use crate::support;

/// A fixture chart judged with `values` files (relative to the chart) and
/// `--set` arguments, in order.
pub struct Judged {
    pub root: PathBuf,
    pub paths: Vec<PathBuf>,
    pub texts: Vec<String>,
    pub sets: Vec<String>,
    pub analysis: ChartAnalysis,
}

pub fn judge(chart: &str, values: &[&str], sets: &[&str], environment: &Environment) -> Judged {
    let root = support::repository().join("tests/fixtures/helm").join(chart);
    let mut paths = Vec::new();
    // The CLI's own loader, so file ids and layout are the CLI's.
    let loaded = load_chart(&root, &|p: &Path| std::fs::read_to_string(p).ok(), &mut paths);
    let mut overrides = Overrides::default();
    for file in values {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        overrides.files.push(ChartFile { id: FileId(paths.len() as u32), path: file.to_string(), text });
        paths.push(path);
    }
    for (i, set) in sets.iter().enumerate() {
        overrides.sets.push((FileId((paths.len() + i) as u32), set.to_string(), false));
    }
    let texts = paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let analysis = helm::analyze_chart(&loaded, &overrides, &Config::default(), environment);
    Judged { root, paths, texts, sets: sets.iter().map(|s| s.to_string()).collect(), analysis }
}

impl Judged {
    /// `values.yaml:32:3 pod-only-field`, `--set a.b=0:13 pss/runAsUser`:
    /// where a finding is, relative to the chart, and its rule.
    pub fn describe(&self, finding: &SourceFinding) -> String {
        let (file, start) = (finding.location.file.0 as usize, finding.location.span.start);
        let code = finding.finding.rule.code;
        match self.paths.get(file) {
            Some(path) => {
                let text = &self.texts[file];
                let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
                let line = text[..start].matches('\n').count() + 1;
                let column = text[line_start..start].chars().count() + 1;
                format!("{}:{line}:{column} {code}", path.strip_prefix(&self.root).unwrap().display())
            }
            None => format!("--set {}:{} {code}", self.sets[file - self.paths.len()], start + 1),
        }
    }

    /// Every finding described, by file path, then position and rule.
    pub fn findings(&self) -> Vec<String> {
        let mut findings: Vec<&SourceFinding> = self.analysis.findings.iter().collect();
        findings.sort_by_key(|f| {
            let path = self.paths.get(f.location.file.0 as usize).cloned().unwrap_or_default();
            (path, f.location.file, f.location.span.start, f.finding.rule.code)
        });
        findings.into_iter().map(|f| self.describe(f)).collect()
    }

    /// The text a finding (as described) underlines.
    pub fn text_at(&self, described: &str) -> String {
        let finding = self.analysis.findings.iter().find(|f| self.describe(f) == described).expect(described);
        let text = &self.texts[finding.location.file.0 as usize];
        text[finding.location.span.start..finding.location.span.end].to_string()
    }

    fn finding(&self, described: &str) -> &SourceFinding {
        self.analysis.findings.iter().find(|f| self.describe(f) == described).expect(described)
    }
}

fn assert_findings(judged: &Judged, expected: &[&str]) {
    let actual = judged.findings();
    assert_eq!(actual, expected, "findings (left) differ from the expected ones (right)");
    assert!(judged.analysis.read_alone.is_empty(), "every rendering parses: {:?}", judged.analysis.read_alone);
}

const CACHESTORE: &str = "cachestore";
const WEBAPP: &str = "webapp-prom";

#[test]
fn bitnami_defaults_put_each_finding_on_the_values_leaf_or_the_template_line() {
    let judged = judge(CACHESTORE, &[], &[], &Environment::default());
    assert_findings(
        &judged,
        &[
            // The exporter subchart's container lacks the field: reported
            // at the subchart's values section that feeds its securityContext.
            "charts/exporter/values.yaml:3:1 read-only-root-filesystem",
            "values.yaml:26:14 low-user-id",
            "values.yaml:27:15 low-user-id",
            // `containerSecurityContext.fsGroup`, a pod-only field.
            "values.yaml:32:3 pod-only-field",
        ],
    );
    assert_eq!(judged.text_at("values.yaml:32:3 pod-only-field"), "fsGroup");
    assert_eq!(judged.text_at("values.yaml:26:14 low-user-id"), "1001");
    let pod_only = judged.finding("values.yaml:32:3 pod-only-field");
    assert_eq!(pod_only.values_path.as_deref(), Some("containerSecurityContext.fsGroup"));
    // `enabled` is the chart's switch, stripped by the Bitnami helper: it
    // never reaches the manifest, so it is no unknown field.
    let rendered = &judged.analysis.expansions[0].1.text;
    assert!(rendered.contains("fsGroupChangePolicy: Always") && !rendered.contains("enabled"), "{rendered}");
}

#[test]
fn an_override_file_holds_the_findings_on_what_it_sets_and_replaces_lists() {
    let judged = judge(CACHESTORE, &["ci/metrics-values.yaml"], &[], &Environment::default());
    assert_findings(
        &judged,
        &[
            "ci/metrics-values.yaml:8:14 low-user-id",
            "ci/metrics-values.yaml:10:11 dangerous-capability",
            "ci/metrics-values.yaml:10:11 pss/capabilities_restricted",
            // The metrics sidecar's securityContext is written in the
            // template: what it lacks is on its line there.
            "templates/statefulset.yaml:34:11 read-only-root-filesystem",
            // The override's list replaces the default one: its hostPath
            // volume is judged, on the template line that writes `hostPath:`.
            "templates/statefulset.yaml:48:11 pss/restrictedVolumes",
            "values.yaml:26:14 low-user-id",
            "values.yaml:27:15 low-user-id",
        ],
    );
    assert_eq!(judged.text_at("ci/metrics-values.yaml:10:11 dangerous-capability"), "\"NET_ADMIN\"");
    // `fsGroup: null` deleted the default: no pod-only-field any more; the
    // exporter subchart is switched off by its condition: none of its
    // findings.
    assert!(judged.analysis.expansions.iter().all(|(_, e)| !e.text.contains("kind: Deployment")));
}

#[test]
fn openshift_adaptation_leaves_the_ids_out_as_the_bitnami_helper_does() {
    let judged = judge(CACHESTORE, &["ci/openshift-values.yaml"], &[], &Environment::default());
    // No UID, GID or container fsGroup is rendered: none of their findings.
    assert_findings(&judged, &["charts/exporter/values.yaml:3:1 read-only-root-filesystem"]);
    let statefulset = &judged.analysis.expansions[0].1.text;
    assert!(!statefulset.contains("runAsUser") && !statefulset.contains("fsGroup:"), "{statefulset}");
    assert!(statefulset.contains("fsGroupChangePolicy: Always"), "{statefulset}");

    // `auto` adapts only on a cluster that is OpenShift.
    let auto = judge(CACHESTORE, &[], &[], &Environment { openshift: true });
    assert!(
        !auto.findings().iter().any(|f| f.contains("low-user-id") || f.contains("pod-only-field")),
        "{:?}",
        auto.findings()
    );
}

#[test]
fn a_privileged_override_is_found_in_its_file_and_the_helper_drops_capabilities() {
    let judged = judge(CACHESTORE, &["ci/privileged-values.yaml"], &[], &Environment::default());
    assert_findings(
        &judged,
        &[
            "charts/exporter/values.yaml:3:1 read-only-root-filesystem",
            "ci/privileged-values.yaml:3:14 pss/hostNamespaces",
            "ci/privileged-values.yaml:6:15 pss/privileged",
            "ci/privileged-values.yaml:7:29 pss/allowPrivilegeEscalation",
            "ci/privileged-values.yaml:8:27 read-only-root-filesystem",
            // A privileged container's `capabilities` are left out by the
            // helper (as Helm renders it): the section lacks the drop.
            "values.yaml:24:1 pss/capabilities_restricted",
            "values.yaml:26:14 low-user-id",
            "values.yaml:27:15 low-user-id",
            "values.yaml:32:3 pod-only-field",
        ],
    );
    assert_eq!(judged.text_at("values.yaml:24:1 pss/capabilities_restricted"), "containerSecurityContext");
}

#[test]
fn set_arguments_override_files_and_carry_their_own_findings() {
    let judged = judge(
        CACHESTORE,
        &["ci/privileged-values.yaml"],
        &["containerSecurityContext.privileged=false,hostNetwork=false", "containerSecurityContext.runAsUser=0"],
        &Environment::default(),
    );
    let findings = judged.findings();
    assert!(
        findings.contains(&"--set containerSecurityContext.runAsUser=0:36 pss/runAsUser".to_string()),
        "{findings:?}"
    );
    // `--set` wins over the file: neither privileged nor the host network.
    assert!(
        !findings.iter().any(|f| f.ends_with("pss/privileged") || f.ends_with("pss/hostNamespaces")),
        "{findings:?}"
    );
    // What the file sets and `--set` leaves alone still counts.
    assert!(
        findings.contains(&"ci/privileged-values.yaml:7:29 pss/allowPrivilegeEscalation".to_string()),
        "{findings:?}"
    );
}

#[test]
fn prometheus_style_defaults_judge_the_range_over_volumes_and_skip_switched_off_containers() {
    let judged = judge(WEBAPP, &[], &[], &Environment::default());
    assert_findings(
        &judged,
        &[
            "templates/deployment.yaml:72:11 pss/restrictedVolumes",
            "values.yaml:57:15 sensitive-host-path",
            // `cleanup.securityContext` lacks readOnlyRootFilesystem.
            "values.yaml:64:3 read-only-root-filesystem",
        ],
    );
    assert_eq!(judged.text_at("values.yaml:57:15 sensitive-host-path"), "/proc");
    assert_eq!(judged.text_at("values.yaml:64:3 read-only-root-filesystem"), "securityContext");
    // `debug.securityContext.privileged: true` is in values.yaml, but
    // `debug.enabled` is false: Helm renders no debug container.
    assert!(!judged.findings().iter().any(|f| f.contains("privileged")));
    assert!(judged.analysis.expansions.iter().all(|(_, e)| !e.text.contains("name: debug")));
    let deployment =
        &judged.analysis.expansions.iter().find(|(_, e)| e.text.contains("kind: Deployment")).unwrap().1.text;
    // A range in a define, trimmed on every pass as Helm trims it; a
    // values list Helm reads though it closes at its key's column; a
    // branch on the cluster's version that renders nothing either way.
    assert!(
        deployment.contains("- --config.watched-dirs=/etc/config,/etc/rules\n            - --log.level=info\n"),
        "{deployment}"
    );
    assert!(!deployment.contains("semverCompare"), "{deployment}");
}

#[test]
fn a_production_override_deletes_a_default_with_null_and_holds_its_own_findings() {
    let judged = judge(WEBAPP, &["ci/prod-values.yaml"], &[], &Environment::default());
    assert_findings(
        &judged,
        &[
            "ci/prod-values.yaml:5:15 low-user-id",
            "ci/prod-values.yaml:8:27 read-only-root-filesystem",
            "ci/prod-values.yaml:11:9 pss/capabilities_restricted",
            "values.yaml:64:3 read-only-root-filesystem",
        ],
    );
    assert_eq!(judged.text_at("ci/prod-values.yaml:11:9 pss/capabilities_restricted"), "NET_RAW");
    let deployment = judged.analysis.expansions.iter().find(|(_, e)| e.text.contains("kind: Deployment")).unwrap();
    // `fsGroup: null` deleted the default; the replaced volume list has no
    // hostPath left.
    assert!(!deployment.1.text.contains("fsGroup") && !deployment.1.text.contains("hostPath"), "{}", deployment.1.text);
    // A null for a key the defaults lack is kept, as Helm keeps it: unset.
    let cronjob = &judged.analysis.expansions.iter().find(|(_, e)| e.text.contains("kind: CronJob")).unwrap().1.text;
    assert!(cronjob.contains("readOnlyRootFilesystem: null"), "{cronjob}");
}

#[test]
fn a_values_switch_turns_on_a_branch_whose_findings_land_in_values_yaml() {
    let judged = judge(WEBAPP, &["ci/debug-values.yaml"], &[], &Environment::default());
    assert_findings(
        &judged,
        &[
            // `hostNetwork: true` is written in the template's `if` branch.
            "templates/deployment.yaml:24:7 pss/hostNamespaces",
            "templates/deployment.yaml:72:11 pss/restrictedVolumes",
            "values.yaml:49:3 pss/allowPrivilegeEscalation",
            "values.yaml:49:3 pss/capabilities_restricted",
            "values.yaml:49:3 read-only-root-filesystem",
            "values.yaml:50:17 pss/privileged",
            "values.yaml:57:15 sensitive-host-path",
        ],
    );
    assert_eq!(judged.text_at("values.yaml:50:17 pss/privileged"), "true");
    // `cleanup.enabled: false` renders nothing of the CronJob.
    assert!(judged.analysis.expansions.iter().all(|(_, e)| !e.text.contains("kind: CronJob")));

    // Files in order, then `--set`: the debug container switched off
    // again, the production file's own findings kept.
    let both = judge(
        WEBAPP,
        &["ci/debug-values.yaml", "ci/prod-values.yaml"],
        &["debug.enabled=false"],
        &Environment::default(),
    );
    assert!(!both.findings().iter().any(|f| f.contains("privileged")), "{:?}", both.findings());
    assert!(both.findings().contains(&"ci/prod-values.yaml:11:9 pss/capabilities_restricted".to_string()));
}
