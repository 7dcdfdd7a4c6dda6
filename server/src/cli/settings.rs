//! Which settings each input is checked with: the nearest `.podsec.yaml`
//! (or `--config`), then the flags on top.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::inputs::{display_path, io_reason, Input, InputError, Source};
use super::report::FileReport;
use crate::analysis::{rules, Finding};
use crate::config::{Config, Settings};
use crate::workspace::{find_settings_file, load_settings_file, SettingsFile};

pub struct Resolved {
    /// One configuration per input, in input order.
    pub configs: Vec<Arc<Config>>,
    /// Settings files that could not be read.
    pub errors: Vec<InputError>,
    /// Settings files with problems, as reports on those files.
    pub problem_reports: Vec<FileReport>,
}

pub fn resolve(inputs: &[Input], explicit: Option<&Path>, flags: &Settings) -> Resolved {
    let mut folder_to_file: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let mut loaded: HashMap<PathBuf, Option<Arc<Config>>> = HashMap::new();
    let mut resolved = Resolved { configs: Vec::new(), errors: Vec::new(), problem_reports: Vec::new() };
    let flags_only = Arc::new(configured(None, flags));
    for input in inputs {
        let settings_path = match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => {
                let folder = match &input.source {
                    Source::File(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
                    Source::Stdin => PathBuf::from("."),
                };
                let folder = if folder.as_os_str().is_empty() { PathBuf::from(".") } else { folder };
                folder_to_file.entry(folder.clone()).or_insert_with(|| find_settings_file(&folder, None)).clone()
            }
        };
        let config = match settings_path {
            None => flags_only.clone(),
            Some(path) => {
                let entry = loaded.entry(path.clone()).or_insert_with(|| match load_settings_file(&path) {
                    Ok(file) => {
                        if !file.problems.is_empty() {
                            resolved.problem_reports.push(problem_report(&file));
                        }
                        Some(Arc::new(configured(Some(&file.settings), flags)))
                    }
                    Err(error) => {
                        resolved.errors.push(InputError { display: display_path(&path), reason: io_reason(&error) });
                        None
                    }
                });
                entry.clone().unwrap_or_else(|| flags_only.clone())
            }
        };
        resolved.configs.push(config);
    }
    resolved.problem_reports.sort_by(|a, b| a.path.cmp(&b.path));
    resolved
}

fn configured(file: Option<&Settings>, flags: &Settings) -> Config {
    let mut config = Config::default();
    if let Some(file) = file {
        file.apply(&mut config);
    }
    flags.apply(&mut config);
    config
}

fn problem_report(file: &SettingsFile) -> FileReport {
    let findings = file
        .problems
        .iter()
        .map(|p| Finding::new(rules::INVALID_CONFIG, p.span, format!("{}; podsec ignores this setting.", p.message)))
        .collect();
    FileReport::new(display_path(&file.path), file.text.clone(), findings)
}
