//! Kustomize overlays in `podsec check`: every kustomization among the
//! inputs is built, the overlays (those no other includes, and those named
//! on the command line) are judged on their built workloads, and each
//! finding is reported in the file that holds the offending value, naming
//! the overlay. Files read only as patches lose their standalone findings:
//! a five-line patch is not a whole workload.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::inputs::{display_path, Input, Source};
use super::report::{FileReport, RelatedAt};
use super::Outcome;
use crate::analysis::rules::YAML_SYNTAX;
use crate::config::Config;
use crate::kustomize::{self, normalize, FileSource, Judged};
use crate::namespaces::is_kustomization;
use crate::provenance::{FileId, SourceFinding};
use crate::text::LineIndex;

/// A file's id and text.
type ReadFile = (FileId, Arc<str>);

/// Files read from disk, numbered as first read, named as the walk names
/// them (else relative to the working folder).
#[derive(Default)]
struct DiskFiles {
    read: Mutex<BTreeMap<PathBuf, Option<ReadFile>>>,
    names: Mutex<BTreeMap<FileId, (PathBuf, String)>>,
    displays: BTreeMap<PathBuf, String>,
}

fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

impl DiskFiles {
    /// The text of a file read before, as it was read.
    fn text(&self, file: FileId) -> Option<Arc<str>> {
        let read = self.read.lock().expect("no panic holds it");
        read.values().flatten().find(|(id, _)| *id == file).map(|(_, text)| text.clone())
    }

    fn display(&self, path: &Path) -> String {
        if let Some(display) = self.displays.get(path) {
            return display.clone();
        }
        let cwd = std::env::current_dir().map(|c| absolute(&c)).unwrap_or_default();
        display_path(path.strip_prefix(&cwd).unwrap_or(path))
    }
}

impl FileSource for DiskFiles {
    fn file(&self, path: &Path) -> Option<(FileId, Arc<str>)> {
        let mut read = self.read.lock().expect("no panic holds it");
        if let Some(known) = read.get(path) {
            return known.clone();
        }
        let id = FileId(read.len() as u32);
        let found = std::fs::read_to_string(path).ok().map(|text| (id, Arc::from(text)));
        if found.is_some() {
            self.names.lock().expect("no panic holds it").insert(id, (path.to_path_buf(), self.display(path)));
        }
        read.insert(path.to_path_buf(), found.clone());
        found
    }

    fn name(&self, file: FileId) -> String {
        self.names.lock().expect("no panic holds it").get(&file).map(|(_, name)| name.clone()).unwrap_or_default()
    }
}

/// The overlays of a run and what they say about each file.
pub struct Overlays {
    files: DiskFiles,
    judged: Judged,
    /// The files of the run's inputs, by the name they are reported under.
    inputs: BTreeMap<String, FileId>,
    /// Files with overlay findings not yet reported (not among the inputs).
    pending: Mutex<BTreeSet<FileId>>,
}

impl Overlays {
    /// Builds and judges the overlays among `inputs`; `named` are the
    /// command line's paths, `config_for` the configuration of an input.
    /// `None` when no input is a kustomization.
    pub fn new<'i>(
        inputs: impl Iterator<Item = &'i Input>,
        named: &[PathBuf],
        config_for: &mut dyn FnMut(&Input) -> Arc<Config>,
    ) -> Option<Overlays> {
        let inputs: Vec<&Input> = inputs.collect();
        let mut files = DiskFiles::default();
        let mut kustomizations = Vec::new();
        for input in &inputs {
            if let Source::File(path) = &input.source {
                let path = absolute(path);
                if is_kustomization(&path) {
                    kustomizations.push((path.parent().unwrap_or(&path).to_path_buf(), (*input).clone()));
                }
                files.displays.insert(path, input.display.clone());
            }
        }
        if kustomizations.is_empty() {
            return None;
        }
        let dirs: Vec<PathBuf> = kustomizations.iter().map(|(dir, _)| dir.clone()).collect();
        let mut overlays = kustomize::built_overlays_among(&dirs, &files);
        // A kustomization named on the command line is judged as an overlay.
        for path in named {
            let dir = absolute(path);
            if dirs.contains(&dir) && !overlays.contains_key(&dir) {
                let build = kustomize::build(&dir, &files);
                if !build.is_component {
                    overlays.insert(dir, build);
                }
            }
        }
        let mut configs = BTreeMap::new();
        let named: Vec<(PathBuf, String, kustomize::Build)> = overlays
            .into_iter()
            .filter_map(|(dir, build)| {
                let (_, input) = kustomizations.iter().find(|(d, _)| *d == dir)?;
                configs.insert(dir.clone(), config_for(input));
                let name = Path::new(&input.display).parent().map(display_path).filter(|n| !n.is_empty());
                Some((dir, name.unwrap_or_else(|| ".".into()), build))
            })
            .collect();
        let judged = kustomize::judge_builds(named, &files, &|dir| (*configs[dir]).clone());
        let mut by_name = BTreeMap::new();
        for input in &inputs {
            if let Source::File(path) = &input.source {
                if let Some((id, _)) =
                    files.read.lock().expect("no panic holds it").get(&absolute(path)).cloned().flatten()
                {
                    by_name.insert(input.display.clone(), id);
                }
            }
        }
        let pending = judged
            .findings
            .iter()
            .map(|f| f.location.file)
            .filter(|file| !by_name.values().any(|id| id == file))
            .collect();
        Some(Overlays { files, judged, inputs: by_name, pending: Mutex::new(pending) })
    }

    /// Whether `input` is read only as a patch: not a workload of its own,
    /// so `--fix` leaves it alone (its standalone findings are not reported).
    pub fn is_patch_only(&self, input: &Input) -> bool {
        self.inputs.get(&input.display).is_some_and(|file| self.judged.patch_only.contains(file))
    }

    /// `outcome` with the overlay findings of its file, and without the
    /// standalone findings of a file read only as a patch.
    pub fn adjust(&self, outcome: Outcome) -> Outcome {
        let Outcome::Checked(mut report, mut change) = outcome else { return outcome };
        let Some(&file) = self.inputs.get(&report.path) else { return Outcome::Checked(report, change) };
        if self.judged.patch_only.contains(&file) {
            report.findings.retain(|f| f.rule.code == YAML_SYNTAX.code);
        }
        // The overlays were built from the text before `--fix` changed it:
        // their findings' places in it may have moved.
        let rewritten = self.files.text(file).is_some_and(|read| *read != *report.text);
        if rewritten && self.judged.findings_in(file).next().is_some() {
            let note = format!(
                "podsec: the overlays that read `{}` were judged before it was fixed: run again to see their findings in it",
                report.path
            );
            if let Some(change) = change.as_mut() {
                change.note = Some(change.note.take().map_or(note.clone(), |n| format!("{n}\n{note}")));
            }
            return Outcome::Checked(report, change);
        }
        let placed: Vec<&SourceFinding> = self
            .judged
            .findings_in(file)
            .filter(|f| {
                // A base's own finding is reported once, not again per overlay.
                !report.findings.iter().any(|own| {
                    own.rule.code == f.finding.rule.code
                        && own.start_offset == f.location.span.start
                        && own.end_offset == f.location.span.end
                })
            })
            .collect();
        self.append(&mut report, &placed);
        Outcome::Checked(report, change)
    }

    /// Reports for the files outside the inputs that overlay findings are
    /// in (a base in a folder not given on the command line), by name.
    pub fn remaining(&self, mode: Option<super::fix::Mode>) -> Vec<Outcome> {
        let pending = std::mem::take(&mut *self.pending.lock().expect("no panic holds it"));
        let mut outcomes: Vec<Outcome> = pending
            .into_iter()
            .filter_map(|file| {
                let text = self.files.text(file)?;
                let mut report = FileReport::new(self.files.name(file), text.to_string(), Vec::new());
                let placed: Vec<&SourceFinding> = self.judged.findings_in(file).collect();
                self.append(&mut report, &placed);
                // Never fixed (not among the inputs); with --diff, not printed.
                Some(Outcome::Checked(report, mode.map(super::fix::Change::nothing)))
            })
            .collect();
        outcomes.sort_by(|a, b| match (a, b) {
            (Outcome::Checked(a, _), Outcome::Checked(b, _)) => a.path.cmp(&b.path),
            _ => std::cmp::Ordering::Equal,
        });
        outcomes
    }
}

impl Overlays {
    /// `placed` added to `report`, each naming its overlay(s) and its
    /// related places (the container a removed securityContext belonged to).
    fn append(&self, report: &mut FileReport, placed: &[&SourceFinding]) {
        if placed.is_empty() {
            return;
        }
        let findings = placed.iter().map(|f| f.finding.clone()).collect();
        let located = FileReport::new(report.path.clone(), report.text.clone(), findings).findings;
        for (mut finding, placed) in located.into_iter().zip(placed) {
            finding.overlay = placed.context.clone();
            finding.related = placed
                .related
                .iter()
                .filter_map(|r| {
                    let text = self.files.text(r.location.file)?;
                    let index = LineIndex::new(&text);
                    let path = self.files.name(r.location.file);
                    Some(RelatedAt::at(path, &text, &index, r.location.span.start, r.message.clone()))
                })
                .collect();
            report.findings.push(finding);
        }
        report.findings.sort_by(|a, b| (a.start_offset, a.rule.code).cmp(&(b.start_offset, b.rule.code)));
    }
}
