//! Helm charts in a `podsec check` run: a template or values file of a
//! chart (a folder with `Chart.yaml`) is judged with the chart's values in
//! force, once per chart, whichever file the walk meets first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::analysis::Finding;
use crate::config::Config;
use crate::helm::{self, Chart, ChartFile, Overrides};
use crate::provenance::FileId;

/// How deep a chart's subcharts are read.
const MAX_SUBCHART_DEPTH: usize = 8;

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
    /// (file, byte span, message) of the related places.
    pub related: Vec<(PathBuf, crate::syntax::Span, String)>,
}

/// The charts of a run, judged on demand and shared by every thread.
pub struct Charts {
    values_files: Vec<PathBuf>,
    sets: Vec<(String, bool)>,
    environment: helm::eval::Environment,
    judged: Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<ChartFindings>>>>>,
}

impl Charts {
    pub fn new(values_files: Vec<PathBuf>, sets: Vec<(String, bool)>) -> Self {
        Charts { values_files, sets, environment: Default::default(), judged: Mutex::new(HashMap::new()) }
    }

    /// The chart findings for `path` when it is a template or a values file
    /// of a chart (or a `--values` file), else `None`.
    pub fn findings_for(&self, path: &Path, config: &Config) -> Option<Vec<Placed>> {
        let absolute = std::path::absolute(path).ok()?;
        let is_override = self.values_files.iter().any(|f| std::path::absolute(f).ok().as_deref() == Some(&absolute));
        let root = chart_root(&absolute)?;
        let relative = absolute.strip_prefix(&root).ok()?;
        let member = relative.starts_with("templates") || relative == Path::new("values.yaml") || is_override;
        if !member {
            return None;
        }
        let judged = self.judge(&root, config);
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

    /// Every chart judged so far.
    pub fn all(&self) -> Vec<Arc<ChartFindings>> {
        let judged = self.judged.lock().expect("no panic holds it");
        judged.values().filter_map(|cell| cell.get().cloned()).collect()
    }

    fn judge_now(&self, root: &Path, config: &Config) -> ChartFindings {
        let mut paths: Vec<PathBuf> = Vec::new();
        let chart = load_chart(root, &mut paths, 0);
        let mut overrides = Overrides::default();
        for file in &self.values_files {
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
        let analysis = helm::analyze_chart(&chart, &overrides, config, &self.environment);
        if std::env::var_os("PODSEC_HELM_DUMP").is_some() {
            for (id, expansion) in &analysis.expansions {
                eprintln!("=== {}\n{}", path_display(&paths, *id), expansion.text);
            }
        }
        let mut out = ChartFindings { problems: analysis.problems, ..Default::default() };
        let path_of = |id: FileId| paths.get(id.0 as usize).cloned();
        for placed in analysis.findings {
            let related = placed
                .related
                .iter()
                .filter_map(|r| Some((path_of(r.location.file)?, r.location.span, r.message.clone())))
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

/// The top chart folder a file belongs to: the nearest folder above it
/// with a `Chart.yaml`, and above that the chart whose `charts/` holds it.
pub fn chart_root(path: &Path) -> Option<PathBuf> {
    let mut root = path.ancestors().skip(1).find(|dir| dir.join("Chart.yaml").is_file())?.to_path_buf();
    loop {
        let parent = root.parent();
        let holder = parent.filter(|p| p.file_name().is_some_and(|n| n == "charts")).and_then(Path::parent);
        match holder {
            Some(holder) if holder.join("Chart.yaml").is_file() => root = holder.to_path_buf(),
            _ => return Some(root),
        }
    }
}

/// Reads a chart folder; every file read is numbered in `paths`.
pub fn load_chart(root: &Path, paths: &mut Vec<PathBuf>, depth: usize) -> Chart {
    let mut read = |path: PathBuf, relative: String| -> Option<ChartFile> {
        let text = std::fs::read_to_string(&path).ok()?;
        let id = FileId(paths.len() as u32);
        paths.push(path);
        Some(ChartFile { id, path: relative, text })
    };
    let mut chart = Chart {
        chart_yaml: read(root.join("Chart.yaml"), "Chart.yaml".into()),
        values: read(root.join("values.yaml"), "values.yaml".into()),
        ..Default::default()
    };
    let templates = root.join("templates");
    let mut files: Vec<PathBuf> = walkdir(&templates);
    files.sort();
    for file in files {
        let relative = file.strip_prefix(root).map(|r| r.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        if let Some(f) = read(file, relative) {
            chart.templates.push(f);
        }
    }
    if depth < MAX_SUBCHART_DEPTH {
        if let Ok(entries) = std::fs::read_dir(root.join("charts")) {
            let mut subdirs: Vec<PathBuf> =
                entries.flatten().map(|e| e.path()).filter(|p| p.join("Chart.yaml").is_file()).collect();
            subdirs.sort();
            for dir in subdirs {
                let sub = load_chart(&dir, paths, depth + 1);
                let name = sub
                    .chart_yaml
                    .as_ref()
                    .and_then(|c| helm::values::from_yaml(&c.text, c.id).get("name").and_then(|n| n.as_str().map(String::from)))
                    .unwrap_or_else(|| dir.file_name().unwrap_or_default().to_string_lossy().into_owned());
                chart.subcharts.push((name, sub));
            }
        }
    }
    chart
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}
