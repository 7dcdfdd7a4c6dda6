//! Kustomize overlays judged as `kubectl kustomize` builds them.
//!
//! A GitOps repository keeps bases and overlays that patch them; what a
//! cluster receives is the merged object. [`build::build`] builds a
//! kustomization on a tree whose every node keeps its origin
//! (`tree`, `merge`), [`emit`] writes the built objects into a
//! [`provenance::Expansion`], the analysis judges that text as any
//! manifest, and [`provenance::place`] puts each finding back on the patch
//! or base line that holds the offending value. No I/O: the front end
//! gives the files ([`FileSource`]) and numbers them.

pub mod build;
mod emit;
mod merge;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use build::{build, kustomization_in, normalize, Build, FileSource};

use crate::analysis;
use crate::config::Config;
use crate::namespaces::{namespaces_in, NamespaceLabels, NamespacePolicies};
use crate::provenance::{self, Expansion, FileId, SourceFinding};

/// A built overlay as text, every piece knowing its origin.
pub fn expand(build: &Build) -> Expansion {
    let mut expansion = Expansion::new();
    for resource in &build.resources {
        emit::write_document(&mut expansion, &resource.object);
    }
    expansion
}

/// One overlay, built and judged.
#[derive(Debug)]
pub struct Overlay {
    /// Its folder.
    pub dir: PathBuf,
    /// How findings name it (`overlays/prod`).
    pub name: String,
    pub build: Build,
    pub expansion: Expansion,
    /// Its findings, placed in the files they come from.
    pub findings: Vec<SourceFinding>,
}

/// The labelled Namespaces an overlay builds (renamed by its `namespace:`
/// as kustomize renames them), judged where its workloads are, their
/// labels named at the file and line that set them.
fn built_namespaces(build: &Build, dir: &Path, source: &dyn FileSource) -> Vec<NamespaceLabels> {
    let mut found = Vec::new();
    for resource in build.resources.iter().filter(|r| r.kind() == "Namespace") {
        let mut expansion = Expansion::new();
        emit::write_document(&mut expansion, &resource.object);
        let file = resource.object.origin.file;
        for mut namespace in namespaces_in(&expansion.text, &source.name(file)) {
            namespace.folder = dir.to_path_buf();
            let input_line = |line: u32| input_line(&expansion, build, line as usize).map_or(line, |(_, l)| l as u32);
            namespace.line = input_line(namespace.line);
            for labels in [&mut namespace.enforce, &mut namespace.warn, &mut namespace.audit].into_iter().flatten() {
                labels.line = input_line(labels.line);
            }
            found.push(namespace);
        }
    }
    found
}

/// The input file and 1-based line that 1-based `line` of `expansion`
/// came from.
fn input_line(expansion: &Expansion, build: &Build, line: usize) -> Option<(FileId, usize)> {
    let origin = expansion.origin_of_line(line.checked_sub(1)?)?;
    build.texts.contains_key(&origin.file).then(|| (origin.file, input_line_of(build, origin)))
}

/// Builds the overlay in `dir` and judges its workloads under `config`
/// (with the Namespaces it builds added to those `config` knows).
pub fn judge_overlay(dir: &Path, name: &str, source: &dyn FileSource, config: &Config) -> Overlay {
    let dir = normalize(dir);
    let build = build::build(&dir, source);
    judge_built(dir, name, build, source, config)
}

/// [`judge_overlay`] for an overlay already built (in `dir`, normalized).
pub fn judge_built(dir: PathBuf, name: &str, build: Build, source: &dyn FileSource, config: &Config) -> Overlay {
    let expansion = expand(&build);
    let own = built_namespaces(&build, &dir, source);
    let mut config = config.clone();
    if !own.is_empty() {
        let all: Vec<NamespaceLabels> = config.namespaces.iter().cloned().chain(own).collect();
        config.namespaces = NamespacePolicies::new(all, config.namespaces.generation().wrapping_add(1 << 32));
        config.document_folder = Some(dir.clone());
    }
    config.default_namespace = None;
    let analysis = analysis::analyze(&expansion.text, &config);
    let findings = analysis
        .findings
        .iter()
        // A YAML error in the built text is a podsec bug or an input error
        // already reported on the input file.
        .filter(|f| f.rule.code != analysis::rules::YAML_SYNTAX.code)
        .filter_map(|f| provenance::place(f, &expansion))
        .map(|mut placed| {
            placed.finding.message =
                source_lines(&placed.finding.message, placed.location.file, &expansion, &build, source);
            // What a container lacks because a patch removed its securityContext
            // is reported at the removal, the container named beside it.
            let removed = build.removed_security_contexts.iter().find(|(container, _)| {
                container.file == placed.location.file
                    && container.span.start <= placed.location.span.start
                    && placed.location.span.start < container.span.end
            });
            if let Some((container, removal)) = removed {
                placed.related.insert(
                    0,
                    provenance::SourceRelated { location: placed.location, message: "the container".into() },
                );
                placed.location = *removal;
                placed.finding.span = removal.span;
                placed.finding.message.push_str(&format!(
                    " (its securityContext is removed here; the container: {}:{})",
                    source.name(container.file),
                    input_line_of(&build, *container)
                ));
            }
            placed.context = Some(name.to_string());
            placed
        })
        .collect();
    Overlay { dir, name: name.to_string(), build, expansion, findings }
}

/// `message` with each "line N" of the assembled text replaced by the line
/// of the input it came from ("line 12 of base/deployment.yaml" when that
/// is another file than the finding's).
fn source_lines(message: &str, file: FileId, expansion: &Expansion, build: &Build, source: &dyn FileSource) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let line = after[..digits].parse::<usize>().ok().filter(|l| *l > 0);
        let mapped = line.and_then(|l| input_line(expansion, build, l)).map(|(origin, line)| {
            if origin == file {
                line.to_string()
            } else {
                format!("{line} of {}", source.name(origin))
            }
        });
        match mapped {
            Some(mapped) => out.push_str(&mapped),
            None => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The overlays among `kustomizations` (folders): those no other one
/// includes, components excepted.
pub fn overlays_among(kustomizations: &[PathBuf], source: &dyn FileSource) -> Vec<PathBuf> {
    built_overlays_among(kustomizations, source).into_keys().collect()
}

/// [`overlays_among`] with their builds (each kustomization is built once
/// to learn what it includes: the overlays' builds are kept for judging).
pub fn built_overlays_among(kustomizations: &[PathBuf], source: &dyn FileSource) -> BTreeMap<PathBuf, Build> {
    let mut included = BTreeSet::new();
    let mut candidates = BTreeMap::new();
    for dir in kustomizations {
        let dir = normalize(dir);
        let build = build::build(&dir, source);
        included.extend(build.included.iter().cloned());
        if !build.is_component {
            candidates.insert(dir, build);
        }
    }
    candidates.retain(|dir, _| !included.contains(dir));
    candidates
}

/// What a set of overlays says about each file.
#[derive(Debug, Default)]
pub struct Judged {
    pub overlays: Vec<Overlay>,
    /// Files read only as patches: never judged as workloads of their own.
    pub patch_only: BTreeSet<FileId>,
    /// Every overlay's findings, one per place and rule, naming the
    /// overlay(s) it holds in (`context`) in its message.
    pub findings: Vec<SourceFinding>,
}

impl Judged {
    /// The findings placed in `file`.
    pub fn findings_in(&self, file: FileId) -> impl Iterator<Item = &SourceFinding> {
        self.findings.iter().filter(move |f| f.location.file == file)
    }

    /// The overlays that read `file`.
    pub fn dependents(&self, file: FileId) -> impl Iterator<Item = &Overlay> {
        self.overlays.iter().filter(move |o| o.build.files.contains(&file))
    }
}

/// Judges `overlays` (folder and name); `config_for` gives the settings of
/// each overlay's folder.
pub fn judge(overlays: &[(PathBuf, String)], source: &dyn FileSource, config_for: &dyn Fn(&Path) -> Config) -> Judged {
    let built = overlays.iter().map(|(dir, name)| {
        let dir = normalize(dir);
        let build = build::build(&dir, source);
        (dir, name.clone(), build)
    });
    judge_builds(built.collect(), source, config_for)
}

/// [`judge`] for overlays already built: (folder, name, build).
pub fn judge_builds(
    overlays: Vec<(PathBuf, String, Build)>,
    source: &dyn FileSource,
    config_for: &dyn Fn(&Path) -> Config,
) -> Judged {
    let overlays: Vec<Overlay> = overlays
        .into_iter()
        .map(|(dir, name, build)| {
            let config = config_for(&dir);
            judge_built(dir, &name, build, source, &config)
        })
        .collect();
    Judged { findings: merge_findings(overlays.iter()), patch_only: patch_only(overlays.iter()), overlays }
}

/// The files `overlays` read as patches and never as resources.
pub fn patch_only<'o>(overlays: impl Iterator<Item = &'o Overlay>) -> BTreeSet<FileId> {
    let mut patches = BTreeSet::new();
    let mut resources = BTreeSet::new();
    for overlay in overlays {
        patches.extend(overlay.build.patch_files.iter().copied());
        resources.extend(overlay.build.resource_files.iter().copied());
    }
    patches.difference(&resources).copied().collect()
}

/// One finding per place, rule and message, naming every overlay it holds in.
pub fn merge_findings<'o>(overlays: impl Iterator<Item = &'o Overlay>) -> Vec<SourceFinding> {
    // Keyed by file, span, rule and message; the overlays' names collected.
    type Place<'f> = (FileId, usize, usize, &'f str, &'f str);
    let mut merged: BTreeMap<Place, (SourceFinding, Vec<&str>)> = BTreeMap::new();
    for overlay in overlays {
        for finding in &overlay.findings {
            let key = (
                finding.location.file,
                finding.location.span.start,
                finding.location.span.end,
                finding.finding.rule.code,
                finding.finding.message.as_str(),
            );
            let entry = merged.entry(key).or_insert_with(|| (finding.clone(), Vec::new()));
            if !entry.1.contains(&overlay.name.as_str()) {
                entry.1.push(&overlay.name);
            }
        }
    }
    merged
        .into_values()
        .map(|(mut finding, names)| {
            let names = names.join(", ");
            let noun = if names.contains(", ") { "overlays" } else { "overlay" };
            finding.finding.message = format!("{} (in {noun} {names})", finding.finding.message);
            finding.context = Some(names);
            finding
        })
        .collect()
}

#[cfg(test)]
mod tests;

/// What `overlay` makes of the key at `offset` of `file` (a base's
/// securityContext field): the lines of its built subtree that a patch
/// wrote, each with the patch's file and line (`sets `privileged: true`
/// (overlays/prod/cart-debug.yaml:11)`), else that it keeps the value, or
/// that it drops the key. `None` when the overlay does not read `file`.
pub fn overlay_view(overlay: &Overlay, file: FileId, offset: usize, source: &dyn FileSource) -> Option<String> {
    if !overlay.build.files.contains(&file) {
        return None;
    }
    let expansion = &overlay.expansion;
    let Some(piece) = expansion.pieces.iter().find(|p| {
        p.origin.file == file
            && p.origin.span.start <= offset
            && offset < p.origin.span.end.max(p.origin.span.start + 1)
    }) else {
        return Some(format!("{} drops it", overlay.name));
    };
    let text = &expansion.text;
    let line_start = text[..piece.span.start].rfind('\n').map_or(0, |at| at + 1);
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '-']).len();
    let key_indent = indent(&text[line_start..text[line_start..].find('\n').map_or(text.len(), |e| line_start + e)]);
    let mut changes = Vec::new();
    let mut kept = None;
    let mut at = line_start;
    for (n, line) in text[line_start..].split_inclusive('\n').enumerate() {
        if n > 0 && indent(line) <= key_indent {
            break;
        }
        let end = at + line.trim_end().len();
        let patched = expansion
            .pieces
            .iter()
            .filter(|p| p.span.start >= at && p.span.end <= end)
            .find(|p| p.via == provenance::Via::Patch);
        let shown = line.trim().trim_start_matches("- ");
        match patched {
            Some(p) => {
                let line = input_line_of(&overlay.build, p.origin);
                changes.push(format!("sets `{shown}` ({}:{line})", source.name(p.origin.file)));
            }
            None if n == 0 && !shown.ends_with(':') => kept = Some(format!("keeps `{shown}`")),
            None => {}
        }
        at += line.len();
    }
    let what = if changes.is_empty() { kept.unwrap_or_else(|| "keeps it".into()) } else { changes.join(", ") };
    Some(format!("{} {what}", overlay.name))
}

/// The 1-based line of `location` in its file.
fn input_line_of(build: &Build, location: provenance::Location) -> usize {
    build
        .texts
        .get(&location.file)
        .map_or(0, |text| text[..location.span.start.min(text.len())].matches('\n').count() + 1)
}
