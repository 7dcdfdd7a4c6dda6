//! Helm charts judged with their values: each workload template is
//! rendered with the values in force (defaults, the user's files in order,
//! `--set`), as far as it can be known, and every finding is placed where
//! the user fixes it: the values leaf that holds the offending value (in
//! whichever file set it), the values section that feeds a securityContext
//! for what is missing from it, the template line for what the template
//! writes. The front end reads the files; nothing here does I/O.

pub mod eval;
pub mod fixes;
pub mod parse;
pub mod values;

use std::collections::HashMap;
use std::rc::Rc;

use crate::analysis::{self, rules, Finding};
use crate::config::Config;
use crate::model::Workloads;
use crate::provenance::{self, Expansion, FileId, Location, SourceFinding, SourceRelated, Via};
use crate::syntax::{self, Node, Span};
use eval::{Define, Environment, Evaluator, SourceText};
use values::{Data, V};

/// A file of a chart, as the front end read it.
#[derive(Clone, Debug)]
pub struct ChartFile {
    pub id: FileId,
    /// Relative to the chart's folder (`templates/deployment.yaml`).
    pub path: String,
    pub text: String,
}

/// A chart folder: `Chart.yaml`, `values.yaml`, everything under
/// `templates/`, and the unpacked subcharts under `charts/`.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    pub chart_yaml: Option<ChartFile>,
    pub values: Option<ChartFile>,
    pub templates: Vec<ChartFile>,
    pub subcharts: Vec<(String, Chart)>,
}

impl Chart {
    /// Every file read of the chart and its subcharts.
    pub fn files(&self) -> Vec<&ChartFile> {
        let mut out: Vec<&ChartFile> = self.values.iter().chain(&self.chart_yaml).chain(&self.templates).collect();
        for (_, sub) in &self.subcharts {
            out.extend(sub.files());
        }
        out
    }
}

/// What the user gives on top of the chart's defaults.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `-f`/`--values` files, in order.
    pub files: Vec<ChartFile>,
    /// `--set` arguments, each as a file of its own text; `true` for
    /// `--set-string`.
    pub sets: Vec<(FileId, String, bool)>,
}

/// Where a values path flows: a securityContext (or a pod-level setting)
/// of a workload the chart renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// The dotted values path of the key (`containerSecurityContext.fsGroup`).
    pub path: String,
    /// Where the key is written in the values file in force.
    pub key: Location,
    /// `pod` or `container`.
    pub level: Level,
    /// `StatefulSet` `cachestore`, container `cachestore`.
    pub workload: String,
    /// The template that puts it there.
    pub template: Location,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Pod,
    Container,
}

/// The result of judging a chart.
#[derive(Debug, Default)]
pub struct ChartAnalysis {
    /// Sorted by file, position and code; one per place and rule.
    pub findings: Vec<SourceFinding>,
    /// Every values key that flows into a securityContext.
    pub usages: Vec<Usage>,
    /// Problems with the inputs (`--set` without `=`).
    pub problems: Vec<String>,
    /// Templates rendered, and how many of them were read alone because
    /// the rendering did not parse.
    pub rendered: usize,
    pub read_alone: Vec<FileId>,
    /// Each rendered template as the engine sees it: what is known put in,
    /// what is not left as written.
    pub expansions: Vec<(FileId, Expansion)>,
}

/// A template file that Helm renders as a manifest (not a partial, not
/// NOTES.txt).
pub fn is_rendered_template(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json"))
        && !name.starts_with('_')
        && lower != "notes.txt"
}

struct Parsed<'a> {
    file: &'a ChartFile,
    template: parse::Template,
}

/// Judges every workload of `chart` with the values in force.
pub fn analyze_chart(
    chart: &Chart,
    overrides: &Overrides,
    config: &Config,
    environment: &Environment,
) -> ChartAnalysis {
    let mut result = ChartAnalysis::default();
    // Every template of the chart and its subcharts, parsed once; defines
    // are shared by all of them, as Helm shares them.
    let mut all: Vec<(String, &ChartFile)> = Vec::new();
    collect_templates(chart, "", &mut all);
    let parsed: Vec<Parsed> = all.iter().map(|(_, f)| Parsed { file: f, template: parse::parse(&f.text) }).collect();
    let mut defines: HashMap<String, Define> = HashMap::new();
    for p in &parsed {
        for (name, body) in &p.template.defines {
            defines.entry(name.clone()).or_insert(Define { file: p.file.id, text: &p.file.text, body });
        }
    }

    // Values in force for the top chart.
    let mut top_values = chart.values.as_ref().map_or_else(V::empty_map, |f| values::from_yaml(&f.text, f.id));
    for file in &overrides.files {
        values::merge(&mut top_values, values::from_yaml(&file.text, file.id));
    }
    for (file, text, as_string) in &overrides.sets {
        if let Err(problem) = values::apply_set(&mut top_values, *file, text, *as_string) {
            result.problems.push(format!("--set {text}: {}", problem.0));
        }
    }
    values::drop_nulls(&mut top_values);

    let environment = environment.clone();
    let mut judged: Vec<SourceFinding> = Vec::new();
    let mut texts: HashMap<FileId, (&str, &str)> = HashMap::new();
    for (_, f) in &all {
        texts.insert(f.id, (&f.path, &f.text));
    }
    let mut values_files: Vec<&ChartFile> = Vec::new();
    fn values_of<'c>(chart: &'c Chart, out: &mut Vec<&'c ChartFile>) {
        out.extend(chart.values.iter());
        for (_, sub) in &chart.subcharts {
            values_of(sub, out);
        }
    }
    values_of(chart, &mut values_files);
    values_files.extend(&overrides.files);
    for f in values_files {
        texts.insert(f.id, (&f.path, &f.text));
    }
    render_chart(chart, &texts, "", top_values, &parsed, &defines, config, &environment, &mut judged, &mut result);

    judged.sort_by(|a, b| {
        (a.location.file, a.location.span.start, a.location.span.end, a.finding.rule.code).cmp(&(
            b.location.file,
            b.location.span.start,
            b.location.span.end,
            b.finding.rule.code,
        ))
    });
    judged.dedup_by(|a, b| a.location == b.location && a.finding.rule.code == b.finding.rule.code);
    result.findings = judged;
    result.usages.sort_by(|a, b| (a.key, &a.workload).cmp(&(b.key, &b.workload)));
    result.usages.dedup();
    result
}

fn collect_templates<'a>(chart: &'a Chart, prefix: &str, out: &mut Vec<(String, &'a ChartFile)>) {
    for template in &chart.templates {
        out.push((format!("{prefix}{}", template.path), template));
    }
    for (name, sub) in &chart.subcharts {
        collect_templates(sub, &format!("{prefix}charts/{name}/"), out);
    }
}

#[allow(clippy::too_many_arguments)]
fn render_chart(
    chart: &Chart,
    texts: &HashMap<FileId, (&str, &str)>,
    values_prefix: &str,
    values: V,
    parsed: &[Parsed],
    defines: &HashMap<String, Define>,
    config: &Config,
    environment: &Environment,
    judged: &mut Vec<SourceFinding>,
    result: &mut ChartAnalysis,
) {
    let chart_meta = chart.chart_yaml.as_ref().map_or_else(V::empty_map, |f| values::from_yaml(&f.text, f.id));
    let chart_name = chart_meta.get("name").and_then(V::as_str).unwrap_or("chart").to_string();
    let values = eval::with_paths(values, values_prefix);
    // Paths of a subchart's values start with its name (`exporter.securityContext`):
    // they are looked up in a view nested the same way.
    let lookup_view = values_prefix.split('.').filter(|k| !k.is_empty()).rev().fold(values.clone(), |inner, key| {
        let mut outer = V::empty_map();
        outer.insert(key, None, inner);
        outer
    });
    for template in chart.templates.iter().filter(|t| is_rendered_template(&t.path)) {
        let Some(p) = parsed.iter().find(|p| p.file.id == template.id) else { continue };
        let root = eval::root_context(values.clone(), &chart_meta, &format!("{chart_name}/{}", template.path));
        let evaluator = Evaluator::new(defines, environment, Rc::new(root));
        let rendered = evaluator.render(&SourceText { file: template.id, text: &template.text, template: &p.template });
        result.rendered += 1;
        judge_rendered(template, texts, &rendered.expansion, &lookup_view, config, judged, result);
        result.expansions.push((template.id, rendered.expansion));
    }

    // Subcharts: the parent's `<name>:` values over the subchart's own,
    // `global` shared; a dependency whose condition is false is not rendered.
    for (name, sub) in &chart.subcharts {
        if !dependency_enabled(&chart_meta, name, &values) {
            continue;
        }
        let mut sub_values = values.get(name).cloned().unwrap_or_else(V::empty_map);
        if !matches!(sub_values.data, Data::Map(_)) {
            sub_values = V::empty_map();
        }
        if let Some(global) = values.get("global") {
            let mut merged_global = sub_values.get("global").cloned().unwrap_or_else(V::empty_map);
            values::merge(&mut merged_global, global.clone());
            sub_values.insert("global", None, merged_global);
        }
        let defaults = sub.values.as_ref().map_or_else(V::empty_map, |f| values::from_yaml(&f.text, f.id));
        values::coalesce(&mut sub_values, &defaults);
        values::drop_nulls(&mut sub_values);
        let prefix = values::join_path(values_prefix, name);
        render_chart(sub, texts, &prefix, sub_values, parsed, defines, config, environment, judged, result);
    }
}

/// Whether Chart.yaml's dependency `name` (or alias) is rendered: its
/// `condition` (comma-separated paths, the first boolean wins) under
/// `values`, else yes.
fn dependency_enabled(chart_meta: &V, name: &str, values: &V) -> bool {
    let dependency = chart_meta.get("dependencies").and_then(|d| match &d.data {
        Data::List(items) => {
            items.iter().find(|i| i.get("alias").or_else(|| i.get("name")).and_then(V::as_str) == Some(name))
        }
        _ => None,
    });
    let Some(condition) = dependency.and_then(|d| d.get("condition")).and_then(V::as_str) else { return true };
    condition
        .split(',')
        .map(str::trim)
        .find_map(|path| match lookup(values, path)?.data {
            Data::Bool(enabled) => Some(enabled),
            _ => None,
        })
        .unwrap_or(true)
}

/// Analyses one rendered template and places its findings.
fn judge_rendered(
    template: &ChartFile,
    texts: &HashMap<FileId, (&str, &str)>,
    expansion: &Expansion,
    values: &V,
    config: &Config,
    judged: &mut Vec<SourceFinding>,
    result: &mut ChartAnalysis,
) {
    let analysis = analysis::analyze(&expansion.text, config);
    let broken = analysis.findings.iter().any(|f| f.rule == rules::YAML_SYNTAX);
    if broken {
        // The rendering does not parse (a chart bug, or a construct the
        // engine renders differently): the template is read alone, as
        // without values.
        result.read_alone.push(template.id);
        for finding in analysis::analyze(&template.text, config).findings {
            let location = Location::new(template.id, finding.span);
            judged.push(SourceFinding { location, finding, related: Vec::new(), values_path: None, context: None });
        }
        return;
    }
    let entries = keyed_entries(&analysis.file);
    for finding in &analysis.findings {
        let Some(mut placed) = provenance::place(finding, expansion) else { continue };
        // A finding on a key whose whole value comes from a values section
        // (something missing from it) belongs at that section's key.
        if placed.values_path.is_none() {
            if let Some(value_span) = entries.get(&finding.span) {
                // A scalar from values under a literal key: the leaf is what
                // the user changes (`hostNetwork: {{ .Values.hostNetwork }}`).
                let leaf = expansion.pieces.iter().filter(|p| p.span.overlaps(*value_span)).collect::<Vec<_>>();
                if let [piece] = leaf.as_slice() {
                    if let Via::Value { path } = &piece.via {
                        placed.related.push(SourceRelated {
                            location: placed.location,
                            message: format!("`{path}` is put here"),
                        });
                        placed.location = piece.origin;
                        placed.finding.span = piece.origin.span;
                        placed.values_path = Some(path.clone());
                    }
                }
            }
        }
        if placed.values_path.is_none() {
            if let Some(value_span) = entries.get(&finding.span) {
                if let Some((path, key)) = values_section(expansion, *value_span, values) {
                    placed
                        .related
                        .push(SourceRelated { location: placed.location, message: format!("`{path}` is put here") });
                    placed.location = key;
                    placed.finding.span = key.span;
                    placed.values_path = Some(path);
                }
            }
        }
        if placed.values_path.is_some() {
            if let Some(at) = action_near(expansion, finding.span, template) {
                if !placed.related.iter().any(|r| r.location.file == template.id) {
                    placed
                        .related
                        .push(SourceRelated { location: at, message: "the template puts the value here".into() });
                }
            }
        }
        placed.context = Some(template.path.clone());
        placed.finding.message = relocate_line_numbers(&placed.finding.message, expansion, placed.location.file, texts);
        judged.push(placed);
    }
    record_usages(template, expansion, &analysis.file, values, result);
}

/// Messages name other lines ("from this container, line 40"): lines of
/// the expansion, made lines of the files they came from.
fn relocate_line_numbers(
    message: &str,
    expansion: &Expansion,
    file: FileId,
    texts: &HashMap<FileId, (&str, &str)>,
) -> String {
    if !message.contains("line ") {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(line) = rest[..digits].parse::<usize>() else { continue };
        let start = expansion.text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>();
        let first = expansion.text[start..].len() - expansion.text[start..].trim_start().len();
        let located = expansion.locate(Span::new(start + first, start + first + 1));
        match located.and_then(|(loc, _)| Some((loc, texts.get(&loc.file)?))) {
            Some((loc, (path, text))) => {
                let number = text[..loc.span.start.min(text.len())].matches('\n').count() + 1;
                if loc.file == file {
                    out.push_str(&number.to_string());
                } else {
                    out.push_str(&format!("{number} of {path}"));
                }
            }
            None => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Key span → value span of every mapping entry in the file.
fn keyed_entries(file: &syntax::ParsedFile) -> HashMap<Span, Span> {
    fn walk(node: &Node, out: &mut HashMap<Span, Span>) {
        match &node.value {
            syntax::Value::Mapping(entries) => {
                for entry in entries {
                    out.insert(entry.key.span, entry.value.span);
                    walk(&entry.value, out);
                }
            }
            syntax::Value::Sequence(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for document in &file.documents {
        if let Some(root) = &document.root {
            walk(root, &mut out);
        }
    }
    out
}

/// The values section a value span was written from, wholly: its path
/// and where its key is written.
fn values_section(expansion: &Expansion, span: Span, values: &V) -> Option<(String, Location)> {
    let mut paths: Vec<&str> = Vec::new();
    for piece in
        expansion.pieces.iter().filter(|p| p.span.overlaps(span) || (span.is_empty() && p.span.start == span.start))
    {
        match &piece.via {
            Via::Value { path } => paths.push(path),
            _ => {
                let text =
                    &expansion.text[piece.span.start.max(span.start)..piece.span.end.min(span.end.max(span.start))];
                if !text.trim().is_empty() {
                    return None;
                }
            }
        }
    }
    let first = *paths.first()?;
    // The common dotted prefix of every path.
    let mut common: Vec<&str> = first.split('.').collect();
    for path in &paths[1..] {
        let parts: Vec<&str> = path.split('.').collect();
        let same = common.iter().zip(&parts).take_while(|(a, b)| a == b).count();
        common.truncate(same);
    }
    let mut section = common.join(".");
    // A leaf is inside its section: the section is its parent.
    let is_map = |path: &str| lookup(values, path).is_some_and(|v| matches!(v.data, Data::Map(_)));
    if !is_map(&section) {
        section = section.rsplit_once('.').map(|(parent, _)| parent.to_string())?;
    }
    let key = lookup_key(values, &section)?;
    Some((section, key))
}

/// The value at a dotted path (list indexes not followed).
pub fn lookup<'v>(values: &'v V, path: &str) -> Option<&'v V> {
    let mut here = values;
    for key in path.split('.') {
        here = here.get(key)?;
    }
    Some(here)
}

fn lookup_key(values: &V, path: &str) -> Option<Location> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (lookup(values, parent)?, key),
        None => (values, path),
    };
    parent.member(key)?.key_origin
}

/// The template action that put the text at `span` of the expansion: the
/// first action after the last piece of the template's own text before it.
fn action_near(expansion: &Expansion, span: Span, template: &ChartFile) -> Option<Location> {
    let before = expansion
        .pieces
        .iter()
        .take_while(|p| p.span.start <= span.start)
        .filter(|p| p.origin.file == template.id && p.verbatim)
        .last()?;
    let from = before.origin.span.end;
    let start = template.text.get(from..)?.find("{{")? + from;
    let end = template.text.get(start..)?.find("}}")? + start + 2;
    Some(Location::new(template.id, Span::new(start, end)))
}

/// Which values keys flow into the securityContexts of the rendered
/// workloads.
fn record_usages(
    template: &ChartFile,
    expansion: &Expansion,
    file: &syntax::ParsedFile,
    values: &V,
    result: &mut ChartAnalysis,
) {
    let Some(_) = expansion.pieces.iter().find(|p| matches!(p.via, Via::Value { .. })) else { return };
    for document in &file.documents {
        let Some(root) = &document.root else { continue };
        let workloads = Workloads::find(root);
        for pod in &workloads.pods {
            let kind = pod.kind.unwrap_or("Pod");
            // A name a template fills is shown as the template writes it.
            let name = pod
                .object
                .get_path(&["metadata", "name"])
                .map(|n| analysis::as_written(&expansion.text, file, n))
                .unwrap_or_default();
            let label = format!("{kind} `{name}`");
            let mut sections: Vec<(Span, Level, String)> = Vec::new();
            if let Some(entry) = pod.security_context {
                sections.push((entry.value.span, Level::Pod, label.clone()));
            }
            for container in &pod.containers {
                if let Some(entry) = container.security_context {
                    sections.push((
                        entry.value.span,
                        Level::Container,
                        format!("{label}, container `{}`", container.display_name()),
                    ));
                }
            }
            for (span, level, workload) in sections {
                for piece in expansion.pieces.iter().filter(|p| p.span.overlaps(span)) {
                    let Via::Value { path } = &piece.via else { continue };
                    let Some(key) = lookup_key(values, path) else { continue };
                    let template_at = action_near(expansion, piece.span, template)
                        .unwrap_or(Location::new(template.id, Span::new(0, 0)));
                    result.usages.push(Usage {
                        path: path.clone(),
                        key,
                        level,
                        workload: workload.clone(),
                        template: template_at,
                    });
                    // The section key itself flows there too.
                    if let Some((section, _)) = path.rsplit_once('.') {
                        if let Some(key) = lookup_key(values, section) {
                            result.usages.push(Usage {
                                path: section.to_string(),
                                key,
                                level,
                                workload: workload.clone(),
                                template: template_at,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// A finding as the chart's findings list it, for tests and messages.
pub fn describe(finding: &Finding) -> String {
    format!("{} {}", finding.rule.code, finding.message)
}
