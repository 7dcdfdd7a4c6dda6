//! The workspace's Kustomize overlays as last built and judged, kept until
//! a file they read or the settings change (see [`super::kustomize`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::lock::lock;
use crate::kustomize::Overlay;
use crate::namespaces::is_kustomization;
use crate::provenance::FileId;

/// The workspace's overlays as last built, and the numbering of the files
/// they read.
#[derive(Default)]
pub(in crate::lsp) struct Overlays {
    pub(in crate::lsp) files: Mutex<FileTable>,
    pub(in crate::lsp) state: Mutex<State>,
}

/// Paths numbered once for the server's life, so that every overlay names
/// a file by the same id.
#[derive(Default)]
pub(in crate::lsp) struct FileTable {
    pub(in crate::lsp) ids: HashMap<PathBuf, FileId>,
    pub(in crate::lsp) paths: Vec<PathBuf>,
}

impl FileTable {
    pub(in crate::lsp) fn id(&mut self, path: &Path) -> FileId {
        if let Some(id) = self.ids.get(path) {
            return *id;
        }
        let id = FileId(self.paths.len() as u32);
        self.paths.push(path.to_path_buf());
        self.ids.insert(path.to_path_buf(), id);
        id
    }
}

#[derive(Default)]
pub(in crate::lsp) struct State {
    /// Counts the forgettings: an overlay built from what was read before
    /// one is not kept (its files may have changed meanwhile).
    pub(in crate::lsp) generation: u64,
    /// The kustomization folders the overlays were found among.
    pub(in crate::lsp) folders: Arc<BTreeSet<PathBuf>>,
    /// The overlays (folder, name), once found.
    pub(in crate::lsp) overlays: Option<Vec<(PathBuf, String)>>,
    /// Built and judged overlays, by folder.
    pub(in crate::lsp) judged: BTreeMap<PathBuf, Arc<Overlay>>,
    /// Files read only as patches by every overlay there is.
    pub(in crate::lsp) patch_only: Option<Arc<BTreeSet<FileId>>>,
}

impl Overlays {
    /// Forgets what was built from `path` (edited, opened, closed or
    /// changed on disk); a kustomization may change which folders are
    /// overlays, so it forgets those too.
    pub(in crate::lsp) fn forget_file(&self, path: &Path) {
        let id = lock(&self.files).ids.get(path).copied();
        let mut state = lock(&self.state);
        state.generation += 1;
        if is_kustomization(path) {
            state.overlays = None;
        }
        if let Some(id) = id {
            state.judged.retain(|_, overlay| !overlay.build.files.contains(&id));
        }
        state.patch_only = None;
    }

    /// Forgets everything (settings or the workspace's kustomizations changed).
    pub(in crate::lsp) fn forget_all(&self) {
        let mut state = lock(&self.state);
        state.generation += 1;
        state.overlays = None;
        state.judged.clear();
        state.patch_only = None;
    }

    /// The paths of the files the current overlays that read `path` read.
    /// (Locks `files`, then `state`: the one order both are taken in.)
    pub(in crate::lsp) fn files_beside(&self, path: &Path) -> Vec<PathBuf> {
        let files = lock(&self.files);
        let Some(id) = files.ids.get(path) else { return Vec::new() };
        let state = lock(&self.state);
        let mut beside: BTreeSet<FileId> = BTreeSet::new();
        for overlay in state.judged.values().filter(|o| o.build.files.contains(id)) {
            beside.extend(overlay.build.files.iter().copied());
        }
        beside.into_iter().filter_map(|f| files.paths.get(f.0 as usize).cloned()).collect()
    }
}
