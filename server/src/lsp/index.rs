//! The workspace index: what the workspace's YAML files say about
//! namespaces (labelled Namespaces, kustomizations' `namespace:`), and
//! nothing else, so it stays small.
//!
//! One worker task owns it and takes events in order: a background scan of
//! the workspace folders (with work-done progress), watched-file changes,
//! and open documents, whose text wins over the disk. Whenever what it
//! knows changes, the worker hands the new [`Snapshot`] to the server,
//! which re-analyses the open documents. No request ever waits for it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tower_lsp::lsp_types::notification::Progress;
use tower_lsp::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp::lsp_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, Url, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressCreateParams, WorkDoneProgressEnd, WorkDoneProgressReport,
};
use tower_lsp::Client;

use crate::namespaces::{file_facts, is_kustomization, FileFacts, NamespacePolicies};

/// Files larger than this are not read: no Namespace is that big.
pub const SIZE_LIMIT: u64 = 5 * 1024 * 1024;

/// Folders never scanned, `.gitignore` or not.
const SKIPPED_FOLDERS: &[&str] = &["node_modules", "target", ".git"];

const PROGRESS_TOKEN: &str = "podsec/index";

/// What the analysis needs from the index.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub policies: NamespacePolicies,
    /// Folder → the namespace its kustomization sets.
    pub kustomizations: Arc<BTreeMap<PathBuf, String>>,
    /// Every folder with a kustomization, namespace or not.
    pub kustomization_folders: Arc<BTreeSet<PathBuf>>,
}

/// The facts of every file that has any, from the disk and from open
/// documents.
#[derive(Default)]
pub struct Index {
    /// Files on disk with facts.
    disk: HashMap<PathBuf, FileFacts>,
    /// Every open document, facts or none: its text wins over the disk.
    open: HashMap<PathBuf, FileFacts>,
    /// Files read since the running scan began: newer than what it read.
    fresh: HashSet<PathBuf>,
    scanning: bool,
    generation: u64,
    snapshot: Snapshot,
}

impl Index {
    pub fn scan_started(&mut self) {
        self.scanning = true;
        self.fresh.clear();
    }

    /// Takes a finished scan's facts, except for files read since it began.
    pub fn scan_finished(&mut self, found: Vec<(PathBuf, FileFacts)>) {
        for (path, facts) in found {
            if !self.fresh.contains(&path) {
                self.disk.insert(path, facts);
            }
        }
        self.scanning = false;
        self.fresh.clear();
    }

    /// A file as it is on disk now (`None`: gone, unreadable or too big).
    pub fn set_disk(&mut self, path: PathBuf, facts: Option<FileFacts>) {
        if self.scanning {
            self.fresh.insert(path.clone());
        }
        match facts.filter(|f| !f.is_empty()) {
            Some(facts) => self.disk.insert(path, facts),
            None => self.disk.remove(&path),
        };
    }

    pub fn set_open(&mut self, path: PathBuf, facts: FileFacts) {
        self.open.insert(path, facts);
    }

    pub fn close(&mut self, path: &Path) {
        self.open.remove(path);
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.clone()
    }

    /// Recomputes the snapshot; `true` when what it says changed.
    pub fn rebuild(&mut self) -> bool {
        let on_disk = self.disk.iter().filter(|(path, _)| !self.open.contains_key(*path));
        let files: Vec<(&PathBuf, &FileFacts)> = on_disk.chain(self.open.iter()).collect();
        let namespaces = files.iter().flat_map(|(_, facts)| facts.namespaces.iter().cloned());
        let policies = NamespacePolicies::new(namespaces, self.generation + 1);
        let kustomizations: BTreeMap<PathBuf, String> = files
            .iter()
            .filter_map(|(path, facts)| Some((path.parent()?.to_path_buf(), facts.kustomization_namespace.clone()?)))
            .collect();
        let kustomization_folders: BTreeSet<PathBuf> = files
            .iter()
            .filter(|(_, facts)| facts.is_kustomization)
            .filter_map(|(path, _)| Some(path.parent()?.to_path_buf()))
            .collect();
        if policies.same_content(&self.snapshot.policies)
            && kustomizations == *self.snapshot.kustomizations
            && kustomization_folders == *self.snapshot.kustomization_folders
        {
            return false;
        }
        self.generation += 1;
        self.snapshot = Snapshot {
            policies,
            kustomizations: Arc::new(kustomizations),
            kustomization_folders: Arc::new(kustomization_folders),
        };
        true
    }
}

/// How a file is named in messages: relative to its workspace folder.
pub fn display_path(path: &Path, roots: &[PathBuf]) -> String {
    roots
        .iter()
        .filter_map(|root| path.strip_prefix(root).ok())
        .min_by_key(|relative| relative.as_os_str().len())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn is_manifest(path: &Path) -> bool {
    is_kustomization(path)
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Reads one file's facts; `None` when it is gone, unreadable, not UTF-8 or
/// over the size limit.
pub fn read_facts(path: &Path, roots: &[PathBuf]) -> Option<FileFacts> {
    if std::fs::metadata(path).ok()?.len() > SIZE_LIMIT {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).ok()?;
    Some(file_facts(path, &display_path(path, roots), text))
}

/// How far a scan is.
#[derive(Default)]
pub struct ScanCounters {
    pub found: AtomicUsize,
    pub read: AtomicUsize,
}

#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Files with facts.
    pub facts: Vec<(PathBuf, FileFacts)>,
    /// Manifests read.
    pub files: usize,
}

/// Walks the workspace folders for manifests, honouring `.gitignore` and
/// skipping `node_modules`, `target`, `.git`, hidden files and files over
/// the size limit. Blocking: run it on a blocking thread.
pub fn scan(roots: &[PathBuf], counters: &ScanCounters) -> ScanOutcome {
    let Some((first, rest)) = roots.split_first() else { return ScanOutcome::default() };
    let mut builder = ignore::WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    // The workspace's own `.gitignore` and `.ignore` files only, read as
    // plain ignore files: git's own lookup would read files above the
    // workspace folders and the user's git configuration.
    builder
        .parents(false)
        .git_ignore(false)
        .git_exclude(false)
        .git_global(false)
        .add_custom_ignore_filename(".gitignore");
    builder.filter_entry(|entry| {
        !(entry.file_type().is_some_and(|t| t.is_dir())
            && entry.file_name().to_str().is_some_and(|name| SKIPPED_FOLDERS.contains(&name)))
    });
    let mut paths = Vec::new();
    for entry in builder.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) || !is_manifest(entry.path()) {
            continue;
        }
        if entry.metadata().is_ok_and(|m| m.len() <= SIZE_LIMIT) {
            paths.push(entry.into_path());
            counters.found.fetch_add(1, Ordering::Relaxed);
        }
    }
    let mut outcome = ScanOutcome { facts: Vec::new(), files: paths.len() };
    for path in paths {
        if let Some(facts) = read_facts(&path, roots).filter(|f| !f.is_empty()) {
            outcome.facts.push((path, facts));
        }
        counters.read.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

/// What the worker is told.
pub enum IndexEvent {
    /// Scan these workspace folders; `progress`: the client shows work-done progress.
    Scan {
        roots: Vec<PathBuf>,
        progress: bool,
    },
    /// Files changed on disk.
    Disk(Vec<PathBuf>),
    /// An open document was opened or edited.
    Open(Url),
    Closed(Url),
    /// The scan is done (sent by the scan task itself).
    Scanned {
        outcome: ScanOutcome,
        progress: bool,
        elapsed: Duration,
    },
}

/// An open document's current text.
pub type TextOf = Box<dyn Fn(&Url) -> Option<String> + Send + Sync>;

/// What the worker needs from the server.
pub struct Hooks {
    pub client: Client,
    pub text_of: TextOf,
    /// Called with the new snapshot whenever it changes.
    pub changed: Box<dyn Fn(Snapshot) + Send + Sync>,
}

/// Starts the worker: events sent on `sender` are handled in order.
pub fn spawn(hooks: Hooks, sender: mpsc::UnboundedSender<IndexEvent>, events: mpsc::UnboundedReceiver<IndexEvent>) {
    tokio::spawn(run(hooks, sender, events));
}

async fn run(hooks: Hooks, sender: mpsc::UnboundedSender<IndexEvent>, mut events: mpsc::UnboundedReceiver<IndexEvent>) {
    let mut index = Index::default();
    let mut roots: Vec<PathBuf> = Vec::new();
    while let Some(first) = events.recv().await {
        // Everything queued is taken at once: a burst of edits to one
        // document reads its text once.
        let mut batch = vec![first];
        while let Ok(event) = events.try_recv() {
            batch.push(event);
        }
        let mut opened: Vec<Url> = Vec::new();
        let mut on_disk: Vec<PathBuf> = Vec::new();
        let mut scanned = None;
        for event in batch {
            match event {
                IndexEvent::Scan { roots: folders, progress } => {
                    roots = folders.clone();
                    index.scan_started();
                    tokio::spawn(scan_task(hooks.client.clone(), folders, progress, sender.clone()));
                }
                IndexEvent::Disk(paths) => on_disk.extend(paths),
                IndexEvent::Open(uri) => {
                    if !opened.contains(&uri) {
                        opened.push(uri);
                    }
                }
                IndexEvent::Closed(uri) => {
                    opened.retain(|u| *u != uri);
                    if let Ok(path) = uri.to_file_path() {
                        index.close(&path);
                        // What was saved while it was open, for clients
                        // that do not watch files.
                        on_disk.push(path);
                    }
                }
                IndexEvent::Scanned { outcome, progress, elapsed } => {
                    index.scan_finished(outcome.facts);
                    scanned = Some((outcome.files, progress, elapsed));
                }
            }
        }
        let texts: Vec<(PathBuf, String)> =
            opened.iter().filter_map(|uri| Some((uri.to_file_path().ok()?, (hooks.text_of)(uri)?))).collect();
        let folders = roots.clone();
        let read = tokio::task::spawn_blocking(move || {
            let disk: Vec<_> = on_disk.into_iter().map(|path| (read_facts(&path, &folders), path)).collect();
            let open: Vec<_> = texts
                .into_iter()
                .map(|(path, text)| (file_facts(&path, &display_path(&path, &folders), &text), path))
                .collect();
            (disk, open)
        })
        .await;
        match read {
            Ok((disk, open)) => {
                for (facts, path) in disk {
                    index.set_disk(path, facts);
                }
                for (facts, path) in open {
                    index.set_open(path, facts);
                }
            }
            Err(error) => tracing::error!("reading files for the workspace index failed: {error}"),
        }
        if index.rebuild() {
            (hooks.changed)(index.snapshot());
        }
        if let Some((files, progress, elapsed)) = scanned {
            let snapshot = index.snapshot();
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let (namespaces, kustomizations) = (snapshot.policies.len(), snapshot.kustomizations.len());
            let message = format!(
                "{files} YAML files in {} ms: {namespaces} labelled namespace{}, {kustomizations} kustomization{} with a namespace",
                elapsed.as_millis(),
                plural(namespaces),
                plural(kustomizations)
            );
            tracing::info!("indexed {message}");
            // Only now: once the end is reported, every answer reflects the index.
            if progress {
                let end = WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(message.clone()) });
                send_progress(&hooks.client, end).await;
            }
            hooks.client.log_message(MessageType::INFO, format!("podsec: indexed {message}")).await;
        }
    }
}

async fn send_progress(client: &Client, value: WorkDoneProgress) {
    let token = NumberOrString::String(PROGRESS_TOKEN.to_string());
    client.send_notification::<Progress>(ProgressParams { token, value: ProgressParamsValue::WorkDone(value) }).await;
}

/// Runs the scan on a blocking thread, reporting progress, and hands the
/// result back to the worker.
async fn scan_task(client: Client, roots: Vec<PathBuf>, progress: bool, sender: mpsc::UnboundedSender<IndexEvent>) {
    let started = Instant::now();
    let token = NumberOrString::String(PROGRESS_TOKEN.to_string());
    let progress = progress
        && match client.send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams { token }).await {
            Ok(()) => true,
            Err(error) => {
                tracing::debug!("window/workDoneProgress/create refused: {error}");
                false
            }
        };
    if progress {
        let begin = WorkDoneProgressBegin {
            title: "podsec: indexing namespaces".to_string(),
            cancellable: Some(false),
            message: Some("looking for YAML files".to_string()),
            percentage: Some(0),
        };
        send_progress(&client, WorkDoneProgress::Begin(begin)).await;
    }
    let counters = Arc::new(ScanCounters::default());
    let mut job = tokio::task::spawn_blocking({
        let counters = counters.clone();
        move || scan(&roots, &counters)
    });
    let outcome = loop {
        tokio::select! {
            result = &mut job => break result,
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if progress {
                    let (read, found) = (counters.read.load(Ordering::Relaxed), counters.found.load(Ordering::Relaxed));
                    let report = WorkDoneProgressReport {
                        cancellable: Some(false),
                        message: Some(format!("{read}/{found} files")),
                        percentage: (found > 0).then(|| (read * 100 / found) as u32),
                    };
                    send_progress(&client, WorkDoneProgress::Report(report)).await;
                }
            }
        }
    };
    let outcome = outcome.unwrap_or_else(|error| {
        tracing::error!("the workspace scan failed: {error}");
        ScanOutcome::default()
    });
    let _ = sender.send(IndexEvent::Scanned { outcome, progress, elapsed: started.elapsed() });
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMESPACE: &str =
        "kind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n";

    #[test]
    fn scan_honours_gitignore_skips_and_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let write = |name: &str, text: &str| {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("ns/payments.yaml", NAMESPACE);
        write("apps/kustomization.yaml", "namespace: payments\nresources: [web.yaml]\n");
        write("apps/web.yml", "kind: Deployment\n");
        write("node_modules/x/ns.yaml", &NAMESPACE.replace("payments", "vendored"));
        write("ignored/ns.yaml", &NAMESPACE.replace("payments", "ignored"));
        write(".gitignore", "ignored/\n");
        let big = format!("{NAMESPACE}{}", "# padding\n".repeat(SIZE_LIMIT as usize / 10 + 1));
        write("big.yaml", &big.replace("payments", "big"));
        let counters = ScanCounters::default();
        let outcome = scan(std::slice::from_ref(&root), &counters);
        assert_eq!(outcome.files, 3, "{outcome:?}");
        assert_eq!(counters.read.load(Ordering::Relaxed), 3);
        let mut index = Index::default();
        index.scan_started();
        index.scan_finished(outcome.facts);
        assert!(index.rebuild());
        let snapshot = index.snapshot();
        let names: Vec<&str> = snapshot.policies.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["payments"]);
        assert_eq!(snapshot.policies.get("payments").unwrap().path, "ns/payments.yaml");
        assert_eq!(snapshot.kustomizations.get(&root.join("apps")).map(String::as_str), Some("payments"));
        // Nothing changed: no new snapshot.
        assert!(!index.rebuild());
    }

    #[test]
    fn open_text_wins_over_the_disk_until_closed() {
        let path = PathBuf::from("/w/ns.yaml");
        let facts = |level: &str| file_facts(&path, "ns.yaml", &NAMESPACE.replace("baseline", level));
        let level = |index: &Index| {
            index.snapshot().policies.get("payments").and_then(|n| n.enforce.as_ref()?.level).map(|l| l.to_string())
        };
        let mut index = Index::default();
        index.set_disk(path.clone(), Some(facts("baseline")));
        assert!(index.rebuild());
        index.set_open(path.clone(), facts("restricted"));
        assert!(index.rebuild());
        assert_eq!(level(&index).as_deref(), Some("restricted"));
        // An open document without the Namespace hides the disk's.
        index.set_open(path.clone(), FileFacts::default());
        assert!(index.rebuild());
        assert_eq!(level(&index), None);
        index.close(&path);
        assert!(index.rebuild());
        assert_eq!(level(&index).as_deref(), Some("baseline"));
        // A file read during a scan is newer than what the scan read.
        index.scan_started();
        index.set_disk(path.clone(), None);
        index.scan_finished(vec![(path.clone(), facts("privileged"))]);
        assert!(index.rebuild());
        assert_eq!(level(&index), None);
    }
}
