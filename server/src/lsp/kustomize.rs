//! Kustomize overlays in the editor: a base, a patch or a kustomization
//! shows the findings of the overlays that read it, built as `kubectl
//! kustomize` builds them (open documents read as typed, the rest from
//! disk, inside the workspace folders only); hover on a field adds what
//! each overlay makes of it; an edit re-publishes the open files of the
//! overlays that read the edited file.
//!
//! The overlays are the workspace's kustomizations that no other includes
//! (the index knows every kustomization folder). Each overlay's build and
//! judgement is kept until a file it read changes (edit, open, close, a
//! change on disk) or the settings change, so an edit rebuilds only the
//! overlays that read the edited file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tower_lsp::lsp_types::{
    CodeActionKind, CodeActionOrCommand, Diagnostic, Hover, HoverContents, MarkupContent, Position,
};

use super::overlay_cache::State;
use super::position::{self, PositionEncoding};
use super::state::*;
use crate::analysis::rules::YAML_SYNTAX;
use crate::kustomize::{self, normalize, FileSource, Overlay};
use crate::namespaces::is_kustomization;
use crate::provenance::{FileId, SourceFinding};
use crate::text::LineIndex;

/// The files a build reads: open documents as typed, the rest from disk,
/// never outside the workspace folders.
struct WorkspaceFiles<'a> {
    shared: &'a Shared,
    roots: &'a [PathBuf],
}

impl FileSource for WorkspaceFiles<'_> {
    fn file(&self, path: &Path) -> Option<(FileId, Arc<str>)> {
        if !self.roots.iter().any(|root| path.starts_with(root)) {
            return None;
        }
        let open = Url::from_file_path(path).ok().and_then(|uri| self.shared.documents.text(&uri));
        let text = open.or_else(|| {
            let metadata = std::fs::metadata(path).ok()?;
            (metadata.is_file() && metadata.len() <= super::index::SIZE_LIMIT)
                .then(|| std::fs::read_to_string(path).ok())?
        })?;
        Some((lock(&self.shared.overlays.files).id(path), Arc::from(text)))
    }

    fn name(&self, file: FileId) -> String {
        let files = lock(&self.shared.overlays.files);
        files.paths.get(file.0 as usize).map(|p| super::index::display_path(p, self.roots)).unwrap_or_default()
    }
}

/// What the overlays say about one file.
pub(in crate::lsp) struct FileView {
    pub file: FileId,
    /// The overlays that read it.
    pub dependents: Vec<Arc<Overlay>>,
    /// Read only as a patch: its standalone findings are not its own.
    pub patch_only: bool,
    /// The overlays' findings placed in it, one per place and rule.
    pub findings: Vec<SourceFinding>,
}

/// The workspace folders and the kustomization folders the index knows.
fn workspace(shared: &Shared) -> (Vec<PathBuf>, Arc<BTreeSet<PathBuf>>) {
    let store = lock(&shared.settings_store);
    (store.roots.clone(), store.workspace.kustomization_folders.clone())
}

/// What the overlays of the workspace say about `uri`: `None` when no
/// overlay reads it.
pub(in crate::lsp) fn view(shared: &Shared, uri: &Url) -> Option<FileView> {
    let path = normalize(&uri.to_file_path().ok()?);
    let (roots, folders) = workspace(shared);
    if folders.is_empty() || !roots.iter().any(|root| path.starts_with(root)) {
        return None;
    }
    let source = WorkspaceFiles { shared, roots: &roots };
    let (overlays, generation) = overlays(shared, &source, &folders, &roots);
    let file = lock(&shared.overlays.files).ids.get(&path).copied()?;
    let dependents: Vec<Arc<Overlay>> = overlays.iter().filter(|o| o.build.files.contains(&file)).cloned().collect();
    if dependents.is_empty() {
        return None;
    }
    let patch_only = {
        let mut state = lock(&shared.overlays.state);
        match &state.patch_only {
            Some(patch_only) if state.generation == generation => patch_only.contains(&file),
            _ => {
                let patch_only = Arc::new(kustomize::patch_only(overlays.iter().map(Arc::as_ref)));
                let contains = patch_only.contains(&file);
                if state.generation == generation {
                    state.patch_only = Some(patch_only);
                }
                contains
            }
        }
    };
    let findings = kustomize::merge_findings(dependents.iter().map(Arc::as_ref))
        .into_iter()
        .filter(|f| f.location.file == file)
        .collect();
    Some(FileView { file, dependents, patch_only, findings })
}

/// Every overlay of the workspace, built and judged (from the cache when
/// none of its files changed), and the cache's generation they were read
/// at: what was built is kept only if nothing was forgotten meanwhile.
fn overlays(
    shared: &Shared,
    source: &WorkspaceFiles<'_>,
    folders: &Arc<BTreeSet<PathBuf>>,
    roots: &[PathBuf],
) -> (Vec<Arc<Overlay>>, u64) {
    let (known, generation) = {
        let mut state = lock(&shared.overlays.state);
        if !Arc::ptr_eq(&state.folders, folders) && *state.folders != **folders {
            *state = State { folders: folders.clone(), generation: state.generation + 1, ..State::default() };
        }
        (state.overlays.clone(), state.generation)
    };
    let keep = |update: &mut dyn FnMut(&mut State)| {
        let mut state = lock(&shared.overlays.state);
        if state.generation == generation {
            update(&mut state);
        }
    };
    // Found again: each kustomization built once, the overlays' builds judged.
    let mut fresh = BTreeMap::new();
    let named = known.unwrap_or_else(|| {
        let dirs: Vec<PathBuf> = folders.iter().cloned().collect();
        fresh = kustomize::built_overlays_among(&dirs, source);
        let named: Vec<(PathBuf, String)> = fresh
            .keys()
            .map(|dir| {
                let name = super::index::display_path(dir, roots);
                (dir.clone(), if name.is_empty() { ".".into() } else { name })
            })
            .collect();
        keep(&mut |state| state.overlays = Some(named.clone()));
        named
    });
    let overlays = named
        .into_iter()
        .map(|(dir, name)| {
            if let Some(judged) = lock(&shared.overlays.state).judged.get(&dir) {
                return judged.clone();
            }
            let config = config_of(shared, &dir);
            let judged = Arc::new(match fresh.remove(&dir) {
                Some(build) => kustomize::judge_built(dir.clone(), &name, build, source, &config),
                None => kustomize::judge_overlay(&dir, &name, source, &config),
            });
            keep(&mut |state| {
                state.judged.insert(dir.clone(), judged.clone());
            });
            judged
        })
        .collect();
    (overlays, generation)
}

/// The settings in force in an overlay's folder.
fn config_of(shared: &Shared, dir: &Path) -> Config {
    match Url::from_file_path(dir.join("kustomization.yaml")) {
        Ok(uri) => shared.config_for(&uri).0,
        Err(()) => Config::default(),
    }
}

/// The diagnostics of a file that overlays read: its own (those of a file
/// read only as a patch dropped, all but syntax errors), then the
/// overlays' findings in it that are not its own already.
pub(in crate::lsp) fn diagnostics(
    shared: &Shared,
    view: &FileView,
    text: &str,
    own: DiagnosticsJson,
    encoding: PositionEncoding,
) -> DiagnosticsJson {
    let mut diagnostics: Vec<Diagnostic> = serde_json::from_slice(&own.array).unwrap_or_default();
    if view.patch_only {
        diagnostics.retain(|d| is_code(d, YAML_SYNTAX.code));
    }
    let index = LineIndex::new(text);
    let mut indexes = HashMap::new();
    // Related places are in files the overlays read: their texts as read.
    let file = |id: FileId| {
        let text = view.dependents.iter().find_map(|o| o.build.texts.get(&id))?.clone();
        let uri = Url::from_file_path(lock(&shared.overlays.files).paths.get(id.0 as usize)?).ok()?;
        Some((uri, text))
    };
    for placed in &view.findings {
        let mut diagnostic = super::diagnostics::to_diagnostic(text, &index, &placed.finding, encoding, None);
        // A base's own finding is shown once, not again per overlay.
        if diagnostics.iter().any(|d| d.range == diagnostic.range && is_code(d, placed.finding.rule.code)) {
            continue;
        }
        diagnostic.related_information =
            super::diagnostics::related_information(&placed.related, file, &mut indexes, encoding);
        diagnostics.push(diagnostic);
    }
    DiagnosticsJson::from_diagnostics(&diagnostics)
}

fn is_code(diagnostic: &Diagnostic, code: &str) -> bool {
    matches!(&diagnostic.code, Some(tower_lsp::lsp_types::NumberOrString::String(c)) if c == code)
}

/// `hover` (podsec's own hover on a field of the file) with what each
/// overlay that reads the file makes of that field.
pub(in crate::lsp) fn hover(shared: &Shared, view: &FileView, text: &str, hover: Hover, at: Position) -> Hover {
    let HoverContents::Markup(MarkupContent { kind, value }) = hover.contents else { return hover };
    let index = LineIndex::new(text);
    let offset = match hover.range {
        Some(range) => position::offset(text, &index, range.start, shared.encoding()),
        None => position::offset(text, &index, at, shared.encoding()),
    };
    let roots = workspace(shared).0;
    let source = WorkspaceFiles { shared, roots: &roots };
    let lines: Vec<String> = view
        .dependents
        .iter()
        .filter_map(|o| kustomize::overlay_view(o, view.file, offset, &source))
        .map(|l| format!("- {l}"))
        .collect();
    if lines.is_empty() {
        return Hover { contents: HoverContents::Markup(MarkupContent { kind, value }), range: hover.range };
    }
    let value = format!("{value}\n\n**In overlays:**\n\n{}", lines.join("\n"));
    Hover { contents: HoverContents::Markup(MarkupContent { kind, value }), range: hover.range }
}

/// `path` changed (edited, opened, closed, or on disk): the overlays that
/// read it are built again when next asked. Returns the open files they
/// read, to analyse again (every open file when `path` is a kustomization,
/// which may change which folders are overlays and what they read).
pub(in crate::lsp) fn file_changed(shared: &Shared, path: &Path) -> Vec<Url> {
    let path = normalize(path);
    let overlays = &shared.overlays;
    let beside = overlays.files_beside(&path);
    overlays.forget_file(&path);
    let open = shared.documents.uris();
    if is_kustomization(&path) {
        return open;
    }
    open.into_iter().filter(|uri| uri.to_file_path().is_ok_and(|p| beside.contains(&normalize(&p)))).collect()
}

/// Of the code actions on a file the overlays read only as a patch, the
/// quick fixes of what the overlays find in it (a value the patch sets),
/// carrying the overlays' diagnostics; not the fixes of what the patch
/// would lack if it were a whole workload.
pub(in crate::lsp) fn patch_actions(
    view: &FileView,
    text: &str,
    actions: Vec<CodeActionOrCommand>,
    encoding: PositionEncoding,
) -> Vec<CodeActionOrCommand> {
    let index = LineIndex::new(text);
    let overlay: Vec<Diagnostic> = view
        .findings
        .iter()
        .map(|placed| super::diagnostics::to_diagnostic(text, &index, &placed.finding, encoding, None))
        .collect();
    let of_overlay = |d: &Diagnostic| overlay.iter().find(|o| o.range == d.range && o.code == d.code).cloned();
    actions
        .into_iter()
        .filter_map(|action| {
            let CodeActionOrCommand::CodeAction(mut action) = action else { return None };
            if action.kind != Some(CodeActionKind::QUICKFIX) {
                return None;
            }
            let fixes = action.diagnostics.take().unwrap_or_default();
            let matched: Option<Vec<Diagnostic>> = fixes.iter().map(of_overlay).collect();
            let matched = matched.filter(|m| !m.is_empty())?;
            action.diagnostics = Some(matched);
            Some(CodeActionOrCommand::CodeAction(action))
        })
        .collect()
}
