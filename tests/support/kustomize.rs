//! Files of a fixture repository for the kustomize engine, read from disk
//! and numbered as they are first read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use podsec::kustomize::FileSource;
use podsec::provenance::FileId;

/// A file's id and text.
type ReadFile = (FileId, Arc<str>);

#[derive(Default)]
pub struct DiskFiles {
    root: PathBuf,
    read: Mutex<BTreeMap<PathBuf, Option<ReadFile>>>,
}

impl DiskFiles {
    pub fn new(root: &Path) -> Self {
        DiskFiles { root: root.to_path_buf(), read: Mutex::default() }
    }

    /// The path of `file` relative to the root.
    pub fn path(&self, file: FileId) -> String {
        let read = self.read.lock().unwrap();
        let path = read.iter().find(|(_, v)| v.as_ref().is_some_and(|(id, _)| *id == file)).unwrap().0;
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    pub fn text(&self, file: FileId) -> Arc<str> {
        let read = self.read.lock().unwrap();
        read.values().flatten().find(|(id, _)| *id == file).unwrap().1.clone()
    }

    pub fn id(&self, relative: &str) -> FileId {
        self.file(&self.root.join(relative)).expect("the fixture file exists").0
    }
}

impl FileSource for DiskFiles {
    fn file(&self, path: &Path) -> Option<(FileId, Arc<str>)> {
        let mut read = self.read.lock().unwrap();
        let next = FileId(read.len() as u32);
        read.entry(path.to_path_buf())
            .or_insert_with(|| std::fs::read_to_string(path).ok().map(|text| (next, Arc::from(text))))
            .clone()
    }

    fn name(&self, file: FileId) -> String {
        self.path(file)
    }
}
