//! Which settings each input is checked with: the nearest `.podsec.yaml`
//! (or `--config`), then the flags on top.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::inputs::{display_path, io_reason, Input, InputError, Source};
use super::report::FileReport;
use crate::analysis::{rules, Finding};
use crate::config::{Config, Settings};
use crate::settings_file::{load_settings_file, SettingsFile, SETTINGS_FILE};

/// Finds and loads the settings of each input; shared by the threads that
/// check, each folder's answer found once.
pub struct Resolver<'a> {
    explicit: Option<&'a Path>,
    flags: &'a Settings,
    flags_only: Arc<Config>,
    working_folder: Option<PathBuf>,
    /// Absolute folder → the settings file that governs it.
    nearest: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    /// Settings file → its configuration (`None`: it could not be read).
    loaded: Mutex<HashMap<PathBuf, Option<Arc<Config>>>>,
    /// Settings files that could not be read.
    errors: Mutex<Vec<InputError>>,
    /// Settings files with problems, as reports on those files.
    problem_reports: Mutex<Vec<FileReport>>,
}

impl<'a> Resolver<'a> {
    /// `explicit` (`--config`) replaces the nearest settings file; `flags` go on top.
    pub fn new(explicit: Option<&'a Path>, flags: &'a Settings) -> Self {
        Resolver {
            explicit,
            flags,
            flags_only: Arc::new(configured(None, flags)),
            working_folder: std::env::current_dir().ok(),
            nearest: Mutex::default(),
            loaded: Mutex::default(),
            errors: Mutex::default(),
            problem_reports: Mutex::default(),
        }
    }

    /// The configuration `input` is checked with.
    pub fn config_for(&self, input: &Input) -> Arc<Config> {
        let settings_path = match self.explicit {
            Some(path) => Some(path.to_path_buf()),
            None => {
                let folder = match &input.source {
                    Source::File(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
                    Source::Stdin => PathBuf::from("."),
                };
                // Joined to the working folder read once, not once per file.
                let folder = match &self.working_folder {
                    Some(working) => working.join(folder),
                    None if folder.as_os_str().is_empty() => PathBuf::from("."),
                    None => folder,
                };
                std::path::absolute(&folder).ok().and_then(|folder| self.nearest_settings_file(&folder))
            }
        };
        let Some(path) = settings_path else { return self.flags_only.clone() };
        // Held while loading, so that a file's problems are reported once.
        let mut loaded = self.loaded.lock().expect("no panic holds it");
        let entry = loaded.entry(path.clone()).or_insert_with(|| match load_settings_file(&path) {
            Ok(file) => {
                if !file.problems.is_empty() {
                    self.problem_reports.lock().expect("no panic holds it").push(problem_report(&file));
                }
                Some(Arc::new(configured(Some(&file.settings), self.flags)))
            }
            Err(error) => {
                let error = InputError { display: display_path(&path), reason: io_reason(&error) };
                self.errors.lock().expect("no panic holds it").push(error);
                None
            }
        });
        entry.clone().unwrap_or_else(|| self.flags_only.clone())
    }

    /// The nearest `.podsec.yaml` in `folder` (absolute) or above, up to the
    /// repository root: what [`crate::settings_file::find_settings_file`] answers, with each
    /// folder's answer kept for the files beside it and below it.
    fn nearest_settings_file(&self, folder: &Path) -> Option<PathBuf> {
        if let Some(known) = self.nearest.lock().expect("no panic holds it").get(folder) {
            return known.clone();
        }
        let candidate = folder.join(SETTINGS_FILE);
        let answer = if candidate.is_file() {
            Some(candidate)
        } else if folder.join(".git").exists() {
            None
        } else {
            folder.parent().and_then(|parent| self.nearest_settings_file(parent))
        };
        self.nearest.lock().expect("no panic holds it").insert(folder.to_path_buf(), answer.clone());
        answer
    }

    /// Unreadable settings files, and the reports of settings files with
    /// problems, each sorted by path.
    pub fn finish(self) -> (Vec<InputError>, Vec<FileReport>) {
        let mut errors = self.errors.into_inner().expect("no panic holds it");
        errors.sort_by(|a, b| a.display.cmp(&b.display));
        let mut reports = self.problem_reports.into_inner().expect("no panic holds it");
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        (errors, reports)
    }
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
