//! Finding and reading a Helm chart's files, for both front ends (the
//! language server reads open documents first, the CLI the disk).

use std::path::{Path, PathBuf};

use crate::helm::{self, Chart, ChartFile};
use crate::provenance::FileId;

/// How deep a chart's subcharts are read.
const MAX_SUBCHART_DEPTH: usize = 8;
/// Files read under one chart's `templates/`, so a runaway folder stays cheap.
const MAX_TEMPLATES: usize = 2_000;

/// The top chart folder a file belongs to: the nearest folder above it
/// with a `Chart.yaml`, and above that the chart whose `charts/` holds it.
pub fn chart_root(path: &Path) -> Option<PathBuf> {
    chart_root_within(path, None)
}

/// [`chart_root`], looking no higher than `bound` (the workspace folder a
/// language server was given: nothing outside it is read, not even probed).
pub fn chart_root_within(path: &Path, bound: Option<&Path>) -> Option<PathBuf> {
    let inside = |dir: &Path| bound.is_none_or(|b| dir.starts_with(b));
    let mut root = path
        .ancestors()
        .skip(1)
        .take_while(|dir| inside(dir))
        .find(|dir| dir.join("Chart.yaml").is_file())?
        .to_path_buf();
    loop {
        let holder = root.parent().filter(|p| p.file_name().is_some_and(|n| n == "charts")).and_then(Path::parent);
        match holder {
            Some(holder) if inside(holder) && holder.join("Chart.yaml").is_file() => root = holder.to_path_buf(),
            _ => return Some(root),
        }
    }
}

/// Whether the chart's judgement speaks for `path`: a file under a
/// `templates/` folder of the chart or a subchart, a `values.yaml`, or one
/// of the values files the settings name (relative to the chart's folder).
pub fn is_chart_member(root: &Path, path: &Path, values_files: &[String]) -> bool {
    let Ok(relative) = path.strip_prefix(root) else { return false };
    relative.components().any(|c| c.as_os_str() == "templates")
        || relative.file_name().is_some_and(|n| n == "values.yaml")
        || values_files.iter().any(|v| root.join(v) == path)
}

/// The values files the settings name that this chart has, in order.
pub fn configured_values_files(root: &Path, values_files: &[String]) -> Vec<PathBuf> {
    values_files.iter().map(|v| root.join(v)).filter(|p| p.is_file()).collect()
}

/// Reads a chart folder with `read`; every file read is numbered in `paths`
/// (its `FileId` is its index there).
pub fn load_chart(root: &Path, read: &dyn Fn(&Path) -> Option<String>, paths: &mut Vec<PathBuf>) -> Chart {
    load(root, read, paths, 0)
}

fn load(root: &Path, read: &dyn Fn(&Path) -> Option<String>, paths: &mut Vec<PathBuf>, depth: usize) -> Chart {
    let mut take = |path: PathBuf, relative: String| -> Option<ChartFile> {
        let text = read(&path)?;
        let id = FileId(paths.len() as u32);
        paths.push(path);
        Some(ChartFile { id, path: relative, text })
    };
    let mut chart = Chart {
        chart_yaml: take(root.join("Chart.yaml"), "Chart.yaml".into()),
        values: take(root.join("values.yaml"), "values.yaml".into()),
        ..Default::default()
    };
    let mut files = Vec::new();
    walk(&root.join("templates"), &mut files);
    files.sort();
    for file in files.into_iter().take(MAX_TEMPLATES) {
        let relative = file.strip_prefix(root).map(|r| r.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        if let Some(f) = take(file, relative) {
            chart.templates.push(f);
        }
    }
    if depth < MAX_SUBCHART_DEPTH {
        if let Ok(entries) = std::fs::read_dir(root.join("charts")) {
            let mut subdirs: Vec<PathBuf> =
                entries.flatten().map(|e| e.path()).filter(|p| p.join("Chart.yaml").is_file()).collect();
            subdirs.sort();
            for dir in subdirs {
                let sub = load(&dir, read, paths, depth + 1);
                let declared = sub.chart_yaml.as_ref().and_then(|c| {
                    helm::values::from_yaml(&c.text, c.id).get("name").and_then(|n| n.as_str().map(String::from))
                });
                let name =
                    declared.unwrap_or_else(|| dir.file_name().unwrap_or_default().to_string_lossy().into_owned());
                chart.subcharts.push((name, sub));
            }
        }
    }
    chart
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}
