//! Helm charts in a `podsec check` run: a template or values file of a
//! chart (a folder with `Chart.yaml`) is judged with the chart's values in
//! force, once per chart, whichever file the walk meets first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::inputs::display_path;
use super::report::RelatedAt;
use crate::analysis::Finding;
use crate::chart_files::{chart_root, configured_values_files, is_chart_member, load_chart};
use crate::config::Config;
use crate::helm::{self, ChartFile, Overrides};
use crate::provenance::FileId;
use crate::text::LineIndex;

/// What a chart's judgement gives each of its files.
#[derive(Debug, Default)]
pub struct ChartFindings {
    /// By file: the findings placed there, with where they also point.
    pub by_file: HashMap<PathBuf, Vec<Placed>>,
    /// Findings on `--set` arguments, with the argument's text.
    pub on_set: Vec<(String, Finding)>,
    pub problems: Vec<String>,
}

/// A finding placed in a file of a chart, with the other files it names.
#[derive(Debug, Clone)]
pub struct Placed {
    pub finding: Finding,
    pub values_path: Option<String>,
    pub related: Vec<RelatedAt>,
}

/// The charts of a run, judged on demand and shared by every thread.
pub struct Charts {
    values_files: Vec<PathBuf>,
    sets: Vec<(String, bool)>,
    judged: Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<ChartFindings>>>>>,
    /// The files whose chart findings went out with their own report.
    delivered: Mutex<std::collections::HashSet<PathBuf>>,
}

impl Charts {
    pub fn new(values_files: Vec<PathBuf>, sets: Vec<(String, bool)>) -> Self {
        Charts { values_files, sets, judged: Mutex::new(HashMap::new()), delivered: Default::default() }
    }

    /// The chart findings for `path` when it is a template or a values file
    /// of a chart (or a `--values` file), else `None`.
    pub fn findings_for(&self, path: &Path, config: &Config) -> Option<Vec<Placed>> {
        let absolute = std::path::absolute(path).ok()?;
        let is_override = self.values_files.iter().any(|f| std::path::absolute(f).ok().as_deref() == Some(&absolute));
        let root = chart_root(&absolute)?;
        if !is_chart_member(&root, &absolute, &config.helm_values_files) && !is_override {
            return None;
        }
        let judged = self.judge(&root, config);
        self.delivered.lock().expect("no panic holds it").insert(absolute.clone());
        Some(judged.by_file.get(&absolute).cloned().unwrap_or_default())
    }

    /// The chart at `root`, judged once.
    pub fn judge(&self, root: &Path, config: &Config) -> Arc<ChartFindings> {
        let cell = {
            let mut judged = self.judged.lock().expect("no panic holds it");
            judged.entry(root.to_path_buf()).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(self.judge_now(root, config))).clone()
    }

    /// Findings in files the run did not read itself (a `define` in
    /// `_helpers.tpl`, a subchart's values): (display path, text, findings),
    /// sorted by path.
    pub fn undelivered(&self) -> Vec<(String, String, Vec<Placed>)> {
        let delivered = self.delivered.lock().expect("no panic holds it");
        let mut out: Vec<(String, String, Vec<Placed>)> = Vec::new();
        for chart in self.all() {
            for (path, placed) in &chart.by_file {
                if delivered.contains(path) || placed.is_empty() {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(path) else { continue };
                out.push((display_path(&relative_to_cwd(path)), text, placed.clone()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Every chart judged so far.
    pub fn all(&self) -> Vec<Arc<ChartFindings>> {
        let judged = self.judged.lock().expect("no panic holds it");
        judged.values().filter_map(|cell| cell.get().cloned()).collect()
    }

    fn judge_now(&self, root: &Path, config: &Config) -> ChartFindings {
        let mut paths: Vec<PathBuf> = Vec::new();
        let chart = load_chart(root, &|p| std::fs::read_to_string(p).ok(), &mut paths);
        let mut overrides = Overrides::default();
        // The settings' values files of this chart first, then `-f` files.
        let configured = configured_values_files(root, &config.helm_values_files);
        for file in configured.iter().chain(&self.values_files) {
            let id = FileId(paths.len() as u32);
            let absolute = std::path::absolute(file).unwrap_or(file.clone());
            match std::fs::read_to_string(file) {
                Ok(text) => {
                    paths.push(absolute);
                    overrides.files.push(ChartFile { id, path: file.display().to_string(), text });
                }
                Err(error) => {
                    return ChartFindings {
                        problems: vec![format!("cannot read values file `{}`: {error}", file.display())],
                        ..Default::default()
                    }
                }
            }
        }
        let first_set = paths.len();
        for (i, (text, as_string)) in self.sets.iter().enumerate() {
            overrides.sets.push((FileId((first_set + i) as u32), text.clone(), *as_string));
        }
        let environment = helm::eval::Environment { openshift: config.helm_openshift };
        let analysis = helm::analyze_chart(&chart, &overrides, config, &environment);
        if std::env::var_os("PODSEC_HELM_DUMP").is_some() {
            for (id, expansion) in &analysis.expansions {
                eprintln!("=== {}\n{}", path_display(&paths, *id), expansion.text);
            }
        }
        let mut out = ChartFindings { problems: analysis.problems, ..Default::default() };
        let path_of = |id: FileId| paths.get(id.0 as usize).cloned();
        let texts = chart_texts(&chart, &overrides);
        let mut indexes: HashMap<FileId, LineIndex> = HashMap::new();
        for placed in analysis.findings {
            let related = placed
                .related
                .iter()
                .filter_map(|r| {
                    let text = texts.get(&r.location.file)?;
                    let index = indexes.entry(r.location.file).or_insert_with(|| LineIndex::new(text));
                    let path = display_path(&relative_to_cwd(&path_of(r.location.file)?));
                    Some(RelatedAt::at(path, text, index, r.location.span.start, r.message.clone()))
                })
                .collect();
            match path_of(placed.location.file) {
                Some(path) => out.by_file.entry(path).or_default().push(Placed {
                    finding: placed.finding,
                    values_path: placed.values_path,
                    related,
                }),
                None => {
                    let index = placed.location.file.0 as usize - first_set;
                    if let Some((text, _)) = self.sets.get(index) {
                        out.on_set.push((text.clone(), placed.finding));
                    }
                }
            }
        }
        out
    }
}

fn path_display(paths: &[PathBuf], id: FileId) -> String {
    paths.get(id.0 as usize).map(|p| p.display().to_string()).unwrap_or_default()
}

/// Every file text of a chart and its overrides, by id.
fn chart_texts(chart: &helm::Chart, overrides: &Overrides) -> HashMap<FileId, String> {
    let mut out: HashMap<FileId, String> = chart.files().into_iter().map(|f| (f.id, f.text.clone())).collect();
    for f in &overrides.files {
        out.insert(f.id, f.text.clone());
    }
    out
}

/// A path as the user would type it from the working folder.
fn relative_to_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
