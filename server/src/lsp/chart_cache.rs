//! Charts as last judged, by chart folder: one judgement serves every open
//! file of a chart until any document or file changes, or the settings do
//! (see [`super::helm`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::lock::lock;
use crate::config::Config;
use crate::helm::ChartAnalysis;
use crate::provenance::FileId;

/// A chart judged, with its files' paths (a file's `FileId` is its index)
/// and texts as they were read.
pub(in crate::lsp) struct JudgedChart {
    pub paths: Vec<PathBuf>,
    pub texts: HashMap<FileId, String>,
    pub analysis: ChartAnalysis,
}

/// A judgement: the generation it was read at, the settings it was made under.
type Kept = (u64, Config, Arc<JudgedChart>);

#[derive(Default)]
pub(in crate::lsp) struct Charts {
    /// Counts the changes: a judgement made before one is not used after it.
    generation: AtomicU64,
    judged: Mutex<HashMap<PathBuf, Kept>>,
}

impl Charts {
    /// Something changed (a document, a file on disk, the settings).
    pub(in crate::lsp) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(in crate::lsp) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The chart in `root` as judged under `config` at `generation`.
    pub(in crate::lsp) fn get(&self, root: &PathBuf, config: &Config, generation: u64) -> Option<Arc<JudgedChart>> {
        let judged = lock(&self.judged);
        let (at, with, chart) = judged.get(root)?;
        (*at == generation && with == config).then(|| chart.clone())
    }

    /// Keeps `chart`, judged from what was read at `generation`, unless
    /// something changed meanwhile.
    pub(in crate::lsp) fn keep(&self, root: PathBuf, config: &Config, generation: u64, chart: Arc<JudgedChart>) {
        let mut judged = lock(&self.judged);
        if self.generation() == generation {
            judged.retain(|_, (at, _, _)| *at == generation);
            judged.insert(root, (generation, config.clone(), chart));
        }
    }
}
