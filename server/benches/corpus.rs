//! The benchmark corpora, generated: deterministic, plain ASCII with LF line
//! breaks, and shaped like a real repository's manifests: Deployments,
//! StatefulSets, DaemonSets, Jobs, CronJobs and Pods with Services and
//! ConfigMaps between them, comments, and a mix of clean workloads and the
//! mistakes people make (no `runAsNonRoot`, `fsGroup` in a container,
//! `privileged: true`, quoted IDs, `CAP_` prefixes, ...).
//!
//! Besides the text, each corpus lists positions in it: the values an edit
//! can change (container `runAsUser` values), keys to hover and places to
//! ask for completion, all inside container securityContexts and spread
//! through the file.

#![allow(dead_code)] // Each bench uses part of it.

use std::fmt::Write as _;
use std::path::Path;

/// A 0-based line and column; the corpus is ASCII, so the column is a byte,
/// a character and a UTF-16 unit alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    /// Byte offset in the file.
    pub offset: usize,
}

/// A container's `runAsUser` value, made of digits.
#[derive(Clone, Copy, Debug)]
pub struct Value {
    pub start: Position,
    pub len: usize,
}

pub struct Corpus {
    pub name: &'static str,
    pub text: String,
    pub documents: usize,
    pub workloads: usize,
    /// Container `runAsUser` values, in file order.
    pub edit_sites: Vec<Value>,
    /// Inside container securityContext keys (`runAsUser`), in file order.
    pub hover_sites: Vec<Position>,
    /// At the start of a key inside a container securityContext, where a
    /// client asks for completion as the user starts a new key.
    pub completion_sites: Vec<Position>,
}

impl Corpus {
    pub fn lines(&self) -> usize {
        self.text.lines().count()
    }
}

pub const SINGLE_POD: &str = "1-document pod";
pub const TEN_THOUSAND_LINES: &str = "10,000-line file";
pub const TWO_MEGABYTES: &str = "2 MB file";

/// One Pod of one document.
pub fn single_pod() -> Corpus {
    let mut stream = Stream::default();
    stream.push(&workload(Kind::Pod, 7, &mut Rng::new(7), Shape::FULL));
    stream.finish(SINGLE_POD)
}

/// 10,000 lines holding 200 workload documents, with Services and
/// ConfigMaps between them.
pub fn ten_thousand_lines() -> Corpus {
    generate(TEN_THOUSAND_LINES, 200, 40, Shape::COMPACT, Target::Lines(10_000))
}

/// About 2 MB in 1,000 documents.
pub fn two_megabytes() -> Corpus {
    generate(TWO_MEGABYTES, 640, 1000 - 640, Shape::FULL, Target::Bytes(2_000_000))
}

enum Target {
    Lines(usize),
    Bytes(usize),
}

/// `workloads` workload documents and `others` Services and ConfigMaps,
/// the ConfigMaps' data sized so that the file meets `target`.
fn generate(name: &'static str, workloads: usize, others: usize, shape: Shape, target: Target) -> Corpus {
    let mut rng = Rng::new(0x5eed);
    let mut documents = Vec::new();
    let mut placed_others = 0;
    for i in 0..workloads {
        documents.push(Part::Text(workload(Kind::pick(&mut rng), i, &mut rng, shape)));
        // Others spread evenly between the workloads.
        let due = (i + 1) * others / workloads;
        while placed_others < due {
            if placed_others % 3 == 2 {
                documents.push(Part::ConfigMap(i));
            } else {
                documents.push(Part::Text(service(i)));
            }
            placed_others += 1;
        }
    }
    let measure = |text: &str| match target {
        Target::Lines(_) => text.lines().count(),
        Target::Bytes(_) => text.len(),
    };
    let goal = match target {
        Target::Lines(n) | Target::Bytes(n) => n,
    };
    // What the documents measure with empty ConfigMaps; the ConfigMaps'
    // data makes up the rest.
    let fixed: usize = documents
        .iter()
        .map(|d| match d {
            Part::Text(text) => measure(text),
            Part::ConfigMap(i) => measure(&config_map(*i, 0)),
        })
        .sum();
    let mut budget = goal.saturating_sub(fixed);
    let mut stream = Stream::default();
    let mut left = documents.iter().filter(|d| matches!(d, Part::ConfigMap(_))).count();
    for part in &documents {
        match part {
            Part::Text(text) => stream.push(text),
            Part::ConfigMap(i) => {
                let share = budget / left.max(1);
                let text = config_map_sized(*i, share, &measure);
                budget = budget.saturating_sub(measure(&text) - measure(&config_map(*i, 0)));
                left -= 1;
                stream.push(&text);
            }
        }
    }
    stream.finish(name)
}

enum Part {
    Text(String),
    ConfigMap(usize),
}

/// The largest ConfigMap whose data adds at most `extra` to its measure.
fn config_map_sized(i: usize, extra: usize, measure: &dyn Fn(&str) -> usize) -> String {
    let base = measure(&config_map(i, 0));
    let (mut low, mut high) = (0, extra + 1);
    while low + 1 < high {
        let mid = (low + high) / 2;
        if measure(&config_map(i, mid)) - base <= extra {
            low = mid;
        } else {
            high = mid;
        }
    }
    config_map(i, low)
}

/// A directory of `files` manifests as a repository holds them: one folder
/// per team, one file per workload (some with their Service in the same
/// file, as a second document), and ConfigMaps on their own. Written under
/// `root`, replacing what was there; returns the total size in bytes.
pub fn write_directory(root: &Path, files: usize) -> std::io::Result<u64> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    let mut rng = Rng::new(0xd12);
    let mut total = 0;
    for i in 0..files {
        let team = root.join(format!("team-{:02}", i % 40)).join(format!("app-{i:04}"));
        std::fs::create_dir_all(&team)?;
        let (name, text) = if i % 7 == 6 {
            ("configmap.yaml", config_map(i, 20 + i % 30))
        } else {
            let mut text = workload(Kind::pick(&mut rng), i, &mut rng, Shape::FULL);
            if i % 3 == 0 {
                text.push_str(&service(i));
            }
            (if i % 5 == 0 { "workload.yml" } else { "workload.yaml" }, text)
        };
        let text = strip_markers(&text);
        total += text.len() as u64;
        std::fs::write(team.join(name), text)?;
    }
    Ok(total)
}

// ---------------------------------------------------------------------------
// Markers: control characters in the generated text that say where the
// positions are; `Stream::finish` strips them and records the positions.

const EDIT: char = '\u{1}';
const HOVER: char = '\u{2}';
const COMPLETE: char = '\u{3}';

fn strip_markers(text: &str) -> String {
    text.replace([EDIT, HOVER, COMPLETE], "")
}

#[derive(Default)]
struct Stream {
    text: String,
    documents: usize,
    workloads: usize,
}

impl Stream {
    fn push(&mut self, document: &str) {
        self.documents += 1;
        if document.contains(EDIT) {
            self.workloads += 1;
        }
        self.text.push_str(document);
    }

    fn finish(self, name: &'static str) -> Corpus {
        let mut corpus = Corpus {
            name,
            text: String::with_capacity(self.text.len()),
            documents: self.documents,
            workloads: self.workloads,
            edit_sites: Vec::new(),
            hover_sites: Vec::new(),
            completion_sites: Vec::new(),
        };
        let (mut line, mut column) = (0u32, 0u32);
        let mut chars = self.text.chars().peekable();
        while let Some(c) = chars.next() {
            let here = Position { line, column, offset: corpus.text.len() };
            match c {
                EDIT => {
                    let mut len = 0;
                    while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                        corpus.text.push(chars.next().unwrap());
                        len += 1;
                    }
                    column += len as u32;
                    corpus.edit_sites.push(Value { start: here, len });
                }
                HOVER => corpus.hover_sites.push(Position { column: column + 3, offset: here.offset + 3, ..here }),
                COMPLETE => corpus.completion_sites.push(here),
                '\n' => {
                    corpus.text.push(c);
                    line += 1;
                    column = 0;
                }
                _ => {
                    debug_assert!(c.is_ascii(), "the corpus is ASCII");
                    corpus.text.push(c);
                    column += 1;
                }
            }
        }
        corpus
    }
}

// ---------------------------------------------------------------------------
// Documents.

#[derive(Clone, Copy)]
enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Pod,
}

impl Kind {
    fn pick(rng: &mut Rng) -> Kind {
        match rng.below(20) {
            0..=8 => Kind::Deployment,
            9..=11 => Kind::StatefulSet,
            12..=13 => Kind::DaemonSet,
            14..=15 => Kind::Job,
            16..=17 => Kind::CronJob,
            _ => Kind::Pod,
        }
    }
}

/// What can be wrong with a workload; most have nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mistake {
    None,
    NoRunAsNonRoot,
    FsGroupInContainer,
    Privileged,
    QuotedId,
    CapPrefix,
    NoSecurityContextOnSidecar,
    SeccompUnconfined,
}

impl Mistake {
    fn pick(rng: &mut Rng) -> Mistake {
        match rng.below(16) {
            0 => Mistake::NoRunAsNonRoot,
            1 => Mistake::FsGroupInContainer,
            2 => Mistake::Privileged,
            3 => Mistake::QuotedId,
            4 => Mistake::CapPrefix,
            5 => Mistake::NoSecurityContextOnSidecar,
            6 => Mistake::SeccompUnconfined,
            _ => Mistake::None,
        }
    }
}

const APPS: [&str; 8] = ["checkout", "payments", "search", "catalog", "auth", "billing", "ingest", "reports"];

/// How much a workload holds besides its securityContexts.
#[derive(Clone, Copy)]
struct Shape {
    /// At most this many environment variables per container.
    env: usize,
    /// Probes, volumes, mounts, arguments, comments and more labels.
    extras: bool,
}

impl Shape {
    const FULL: Shape = Shape { env: 4, extras: true };
    /// About 45 lines a workload: 200 of them and a few Services and
    /// ConfigMaps make 10,000 lines.
    const COMPACT: Shape = Shape { env: 0, extras: false };
}

/// One workload document.
fn workload(kind: Kind, i: usize, rng: &mut Rng, shape: Shape) -> String {
    let app = format!("{}-{i}", APPS[i % APPS.len()]);
    let mistake = Mistake::pick(rng);
    let uid = 10000 + rng.below(50000);
    let mut d = String::from("---\n");
    if shape.extras {
        let _ = writeln!(d, "# {app}: owned by team {}", i % 40);
    }
    let (api, name) = match kind {
        Kind::Deployment => ("apps/v1", "Deployment"),
        Kind::StatefulSet => ("apps/v1", "StatefulSet"),
        Kind::DaemonSet => ("apps/v1", "DaemonSet"),
        Kind::Job => ("batch/v1", "Job"),
        Kind::CronJob => ("batch/v1", "CronJob"),
        Kind::Pod => ("v1", "Pod"),
    };
    let _ = write!(
        d,
        "apiVersion: {api}\nkind: {name}\nmetadata:\n  name: {app}\n  namespace: team-{}\n  labels:\n    app.kubernetes.io/name: {app}\n",
        i % 40
    );
    if shape.extras {
        d.push_str("    app.kubernetes.io/part-of: shop\n");
    }
    // The pod spec's indentation, after the kind's wrapping.
    let pod = match kind {
        Kind::Pod => {
            d.push_str("spec:\n");
            2
        }
        Kind::CronJob => {
            d.push_str("spec:\n  schedule: \"*/15 * * * *\"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      backoffLimit: 2\n      template:\n        spec:\n");
            10
        }
        Kind::Job => {
            d.push_str("spec:\n  backoffLimit: 3\n  template:\n    spec:\n");
            6
        }
        _ => {
            d.push_str("spec:\n");
            if !matches!(kind, Kind::DaemonSet) {
                let _ = writeln!(d, "  replicas: {}", 1 + i % 3);
            }
            if matches!(kind, Kind::StatefulSet) {
                let _ = writeln!(d, "  serviceName: {app}");
            }
            let _ = write!(
                d,
                "  selector:\n    matchLabels:\n      app.kubernetes.io/name: {app}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {app}\n    spec:\n"
            );
            6
        }
    };
    let p = " ".repeat(pod);
    if matches!(kind, Kind::Job | Kind::CronJob) {
        let _ = writeln!(d, "{p}restartPolicy: OnFailure");
    }
    let _ = writeln!(d, "{p}serviceAccountName: {app}");
    let _ = writeln!(d, "{p}securityContext:");
    if mistake != Mistake::NoRunAsNonRoot {
        let _ = writeln!(d, "{p}  runAsNonRoot: true");
    }
    let _ = writeln!(d, "{p}  runAsUser: {uid}");
    if mistake == Mistake::QuotedId {
        let _ = writeln!(d, "{p}  runAsGroup: \"{uid}\"");
    } else {
        let _ = writeln!(d, "{p}  runAsGroup: {uid}");
    }
    let _ = writeln!(d, "{p}  fsGroup: {uid}");
    let seccomp = if mistake == Mistake::SeccompUnconfined { "Unconfined" } else { "RuntimeDefault" };
    let _ = writeln!(d, "{p}  seccompProfile:\n{p}    type: {seccomp}");
    let _ = writeln!(d, "{p}containers:");
    container(&mut d, &p, &app, "app", uid, mistake, rng, shape);
    if i % 2 == 0 {
        sidecar(&mut d, &p, uid, mistake);
    }
    if !shape.extras {
        return d;
    }
    let _ = write!(d, "{p}volumes:\n{p}  - name: tmp\n{p}    emptyDir: {{}}\n{p}  - name: config\n{p}    configMap:\n{p}      name: {app}-config\n");
    d
}

#[allow(clippy::too_many_arguments)]
fn container(
    d: &mut String,
    p: &str,
    app: &str,
    name: &str,
    uid: usize,
    mistake: Mistake,
    rng: &mut Rng,
    shape: Shape,
) {
    let c = format!("{p}    ");
    let _ = writeln!(d, "{p}  - name: {name}");
    let _ = writeln!(d, "{c}image: registry.example.com/shop/{app}:1.{}.{}", rng.below(20), rng.below(10));
    if shape.extras {
        let _ = writeln!(d, "{c}imagePullPolicy: IfNotPresent");
        let _ = writeln!(d, "{c}args: [\"--port=8080\", \"--log-level=info\"]");
    }
    let _ = write!(d, "{c}ports:\n{c}  - name: http\n{c}    containerPort: 8080\n");
    if shape.env > 0 {
        let _ = writeln!(d, "{c}env:");
        for e in 0..1 + rng.below(shape.env) {
            let _ = write!(d, "{c}  - name: SETTING_{e}\n{c}    value: \"{}\"\n", rng.below(1000));
        }
    }
    let _ = write!(d, "{c}resources:\n{c}  requests: {{cpu: 100m, memory: 128Mi}}\n{c}  limits: {{memory: 256Mi}}\n");
    if shape.extras {
        let _ = write!(d, "{c}readinessProbe:\n{c}  httpGet: {{path: /healthz, port: http}}\n{c}  periodSeconds: 10\n");
    }
    let _ = writeln!(d, "{c}securityContext:");
    let s = format!("{c}  ");
    if mistake == Mistake::Privileged {
        let _ = writeln!(d, "{s}# needs the host's devices");
        let _ = writeln!(d, "{s}privileged: true");
    } else {
        let _ = writeln!(d, "{s}{COMPLETE}allowPrivilegeEscalation: false");
    }
    let _ = writeln!(d, "{s}readOnlyRootFilesystem: true");
    let _ = writeln!(d, "{s}{HOVER}runAsUser: {EDIT}{uid}");
    if mistake == Mistake::FsGroupInContainer {
        let _ = writeln!(d, "{s}fsGroup: {uid}");
    }
    if mistake == Mistake::CapPrefix {
        let _ = write!(d, "{s}capabilities:\n{s}  drop: [ALL]\n{s}  add: [CAP_NET_BIND_SERVICE]\n");
    } else {
        let _ = write!(d, "{s}capabilities:\n{s}  drop: [ALL]\n");
    }
    if !shape.extras {
        return;
    }
    let _ = write!(d, "{c}volumeMounts:\n{c}  - name: tmp\n{c}    mountPath: /tmp\n{c}  - name: config\n{c}    mountPath: /etc/{name}\n{c}    readOnly: true\n");
}

fn sidecar(d: &mut String, p: &str, uid: usize, mistake: Mistake) {
    let c = format!("{p}    ");
    let _ = write!(d, "{p}  - name: log-shipper\n{c}image: registry.example.com/platform/log-shipper:3.2.1\n{c}args: [\"--input=/var/log/app\"]\n");
    let _ = write!(d, "{c}resources:\n{c}  requests: {{cpu: 10m, memory: 32Mi}}\n");
    if mistake == Mistake::NoSecurityContextOnSidecar {
        return;
    }
    let _ = writeln!(d, "{c}securityContext:");
    let _ = writeln!(d, "{c}  {COMPLETE}allowPrivilegeEscalation: false");
    let _ = writeln!(d, "{c}  {HOVER}runAsUser: {EDIT}{}", uid + 1);
    let _ = writeln!(d, "{c}  capabilities: {{drop: [ALL]}}");
}

fn service(i: usize) -> String {
    let app = format!("{}-{i}", APPS[i % APPS.len()]);
    format!(
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: team-{}\n  labels:\n    app.kubernetes.io/name: {app}\nspec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {app}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n",
        i % 40
    )
}

/// A ConfigMap whose `application.properties` has `lines` lines.
fn config_map(i: usize, lines: usize) -> String {
    let app = format!("{}-{i}", APPS[i % APPS.len()]);
    let mut d = format!(
        "---\n# Settings of {app}; rolled out with the Deployment.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n  namespace: team-{}\ndata:\n  LOG_LEVEL: info\n  application.properties: |\n",
        i % 40
    );
    for l in 0..lines {
        let _ = writeln!(d, "    {app}.feature.flag-{l}.enabled=true");
    }
    d
}

/// splitmix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
