//! Helm charts in the editor: a template or `values.yaml` of a chart gets
//! the findings of the whole chart judged with its values (open documents
//! read as they are typed, the rest from disk), so a values file shows
//! what flows from it into the chart's workloads; an edit to any file of a
//! chart re-publishes the chart's other open files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tower_lsp::lsp_types::{Diagnostic, Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::chart_cache::JudgedChart;
use super::position::{self, PositionEncoding};
use super::state::*;
use crate::chart_files::{chart_root_within, configured_values_files, is_chart_member, load_chart};
use crate::helm;
use crate::provenance::FileId;
use crate::text::LineIndex;

/// The chart folder of `path`, looked for inside its workspace folder only
/// (with no folder open, up to the file system's root).
fn chart_root(shared: &Shared, path: &Path) -> Option<PathBuf> {
    let roots = lock(&shared.settings_store).roots.clone();
    let bound = roots.iter().filter(|r| path.starts_with(r)).max_by_key(|r| r.as_os_str().len());
    if bound.is_none() && !roots.is_empty() {
        return None;
    }
    chart_root_within(path, bound.map(PathBuf::as_path))
}

/// The chart `uri` belongs to (as a template or values file), judged (or
/// as judged already, when nothing changed since).
pub(in crate::lsp) fn judge(shared: &Shared, uri: &Url, config: &Config) -> Option<(Arc<JudgedChart>, FileId)> {
    let path = uri.to_file_path().ok()?;
    let root = chart_root(shared, &path)?;
    if !is_chart_member(&root, &path, &config.helm_values_files) {
        return None;
    }
    let generation = shared.charts.generation();
    let chart = match shared.charts.get(&root, config, generation) {
        Some(chart) => chart,
        None => {
            let chart = Arc::new(judge_now(shared, &root, config));
            shared.charts.keep(root, config, generation, chart.clone());
            chart
        }
    };
    let id = FileId(chart.paths.iter().position(|p| p == &path)? as u32);
    Some((chart, id))
}

/// Reads the chart in `root` (open documents as typed) and judges it.
fn judge_now(shared: &Shared, root: &Path, config: &Config) -> JudgedChart {
    let read = |p: &Path| -> Option<String> {
        Url::from_file_path(p).ok().and_then(|u| shared.documents.text(&u)).or_else(|| std::fs::read_to_string(p).ok())
    };
    let mut paths = Vec::new();
    let chart = load_chart(root, &read, &mut paths);
    let mut texts: HashMap<FileId, String> = chart.files().into_iter().map(|f| (f.id, f.text.clone())).collect();
    // The values files the settings name, read as typed when open.
    let mut overrides = helm::Overrides::default();
    for file in configured_values_files(root, &config.helm_values_files) {
        if let Some(text) = read(&file) {
            let id = FileId(paths.len() as u32);
            let relative = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().into_owned();
            paths.push(file);
            texts.insert(id, text.clone());
            overrides.files.push(helm::ChartFile { id, path: relative, text });
        }
    }
    let environment = helm::eval::Environment { openshift: config.helm_openshift };
    let analysis = helm::analyze_chart(&chart, &overrides, config, &environment);
    JudgedChart { paths, texts, analysis }
}

/// The diagnostics of one file of a judged chart.
pub(in crate::lsp) fn diagnostics(chart: &JudgedChart, file: FileId, encoding: PositionEncoding) -> Vec<Diagnostic> {
    let Some(text) = chart.texts.get(&file) else { return Vec::new() };
    let index = LineIndex::new(text);
    let mut indexes: HashMap<FileId, LineIndex> = HashMap::new();
    chart
        .analysis
        .findings
        .iter()
        .filter(|f| f.location.file == file)
        .map(|placed| {
            let mut diagnostic = diagnostics::to_diagnostic(text, &index, &placed.finding, encoding, None);
            let file = |id: FileId| {
                let uri = Url::from_file_path(chart.paths.get(id.0 as usize)?).ok()?;
                Some((uri, chart.texts.get(&id)?))
            };
            diagnostic.related_information =
                diagnostics::related_information(&placed.related, file, &mut indexes, encoding);
            diagnostic
        })
        .collect()
}

/// Hover on a key of a values file that flows into a securityContext: what
/// the field is at that level, and where it goes.
pub(in crate::lsp) fn hover(
    chart: &JudgedChart,
    file: FileId,
    at: Position,
    encoding: PositionEncoding,
) -> Option<Hover> {
    let text = chart.texts.get(&file)?;
    let index = LineIndex::new(text);
    let offset = position::offset(text, &index, at, encoding);
    let mut usages: Vec<&helm::Usage> = chart
        .analysis
        .usages
        .iter()
        .filter(|u| u.key.file == file && u.key.span.start <= offset && offset <= u.key.span.end)
        .collect();
    if usages.is_empty() {
        return None;
    }
    usages.sort_by(|a, b| a.workload.cmp(&b.workload));
    let first = usages[0];
    let field = first.path.rsplit('.').next().unwrap_or(&first.path);
    let mut lines = vec![format!("**`{}`**", first.path)];
    let level = |u: &helm::Usage| match u.level {
        helm::Level::Pod => "pod securityContext",
        helm::Level::Container => "container securityContext",
    };
    let catalog = crate::catalog::Catalog::embedded().security_context();
    if let Some(facts) = catalog.field(field) {
        let mut said = facts.summary.clone();
        let allowed = |u: &&&helm::Usage| match u.level {
            helm::Level::Pod => facts.scope.allows_pod(),
            helm::Level::Container => facts.scope.allows_container(),
        };
        if let Some(wrong) = usages.iter().find(|u| !allowed(u)) {
            let only = if facts.scope.allows_pod() { "pod" } else { "container" };
            said = format!("{said}\n\n{only}-only: it has no effect in a {}.", level(wrong));
        }
        lines.push(said);
    }
    lines.push("Flows into:".into());
    for usage in &usages {
        let template = chart.paths.get(usage.template.file.0 as usize).map(|p| short(p)).unwrap_or_default();
        let line = chart
            .texts
            .get(&usage.template.file)
            .map(|t| t[..usage.template.span.start.min(t.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        lines.push(format!("- {}, {} ({template}:{line})", usage.workload, level(usage)));
    }
    let range = position::range(text, &index, first.key.span, encoding);
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: lines.join("\n\n") }),
        range: Some(range),
    })
}

/// `templates/x.yaml` for a path inside a chart.
fn short(path: &Path) -> String {
    let parts: Vec<_> = path.iter().map(|p| p.to_string_lossy()).collect();
    match parts.iter().rposition(|p| p == "templates") {
        Some(i) => parts[i..].join("/"),
        None => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

/// The open documents of the chart `uri` belongs to, `uri` left out.
pub(in crate::lsp) fn open_chart_files(shared: &Shared, uri: &Url) -> Vec<Url> {
    let Some(root) = uri.to_file_path().ok().and_then(|p| chart_root(shared, &p)) else { return Vec::new() };
    shared
        .documents
        .uris()
        .into_iter()
        .filter(|u| u != uri && u.to_file_path().is_ok_and(|p| p.starts_with(&root)))
        .collect()
}

/// Code actions in a values file of a chart (they edit that file only).
pub(in crate::lsp) fn code_actions(
    chart: &JudgedChart,
    file: FileId,
    uri: &Url,
    range: tower_lsp::lsp_types::Range,
    encoding: PositionEncoding,
) -> Vec<tower_lsp::lsp_types::CodeActionOrCommand> {
    use tower_lsp::lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, WorkspaceEdit};
    let Some(text) = chart.texts.get(&file) else { return Vec::new() };
    let index = LineIndex::new(text);
    let start = position::offset(text, &index, range.start, encoding);
    let end = position::offset(text, &index, range.end, encoding);
    let span = crate::syntax::Span::new(start.min(end), start.max(end));
    helm::fixes::values_actions(&chart.analysis, file, text, span)
        .into_iter()
        .map(|action| {
            let edits = action
                .edits
                .iter()
                .map(|e| TextEdit {
                    range: position::range(text, &index, e.span, encoding),
                    new_text: e.new_text.clone(),
                })
                .collect();
            let diagnostics: Vec<Diagnostic> = chart
                .analysis
                .findings
                .iter()
                .filter(|f| {
                    f.location.file == file
                        && action.fixes.iter().any(|t| t.code == f.finding.rule.code && t.span == f.location.span)
                })
                .map(|f| diagnostics::to_diagnostic(text, &index, &f.finding, encoding, None))
                .collect();
            CodeActionOrCommand::CodeAction(CodeAction {
                title: action.title,
                kind: Some(CodeActionKind::from(action.kind.as_str().to_string())),
                diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), edits)])),
                    ..Default::default()
                }),
                is_preferred: action.is_preferred.then_some(true),
                ..CodeAction::default()
            })
        })
        .collect()
}

/// Whether `uri` is a values file of a chart (its actions come from the
/// chart): `values.yaml`, or one the settings name.
pub(in crate::lsp) fn is_values_file(shared: &Shared, uri: &Url, config: &Config) -> bool {
    let Some(path) = uri.to_file_path().ok() else { return false };
    let Some(root) = chart_root(shared, &path) else { return false };
    path.file_name().is_some_and(|n| n == "values.yaml")
        || config.helm_values_files.iter().any(|v| root.join(v) == path)
}

/// Completion in a values section that flows into a securityContext: the
/// fields valid at the level it feeds, not yet set there.
pub(in crate::lsp) fn completion(
    chart: &JudgedChart,
    file: FileId,
    at: Position,
    encoding: PositionEncoding,
) -> Option<Vec<tower_lsp::lsp_types::CompletionItem>> {
    use tower_lsp::lsp_types::{CompletionItem, CompletionItemKind, Documentation};
    let text = chart.texts.get(&file)?;
    let index = LineIndex::new(text);
    let offset = position::offset(text, &index, at, encoding);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let indent = before.len() - before.trim_start().len();
    // Only a key being typed on its own line.
    if !before.trim_start().chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let parsed = crate::syntax::parse(text);
    let root = parsed.documents.iter().find_map(|d| d.root.as_ref())?;
    // The sections of this file that feed a securityContext, with the level.
    let mut sections: Vec<(&str, helm::Level)> = chart
        .analysis
        .usages
        .iter()
        .filter(|u| u.key.file == file)
        .filter_map(|u| Some((u.path.rsplit_once('.')?.0, u.level)))
        .collect();
    sections.sort_by_key(|s| s.0);
    sections.dedup_by_key(|s| s.0);
    let (node, level) = sections.iter().find_map(|(path, level)| {
        let mut node = root;
        for key in path.split('.') {
            node = node.get(key)?;
        }
        let entries = node.as_mapping()?;
        let first = entries.first()?;
        let column = first.key.span.start - text[..first.key.span.start].rfind('\n').map_or(0, |i| i + 1);
        // The cursor is on a line of the section, at its keys' column.
        let end = text[node.span.end..].find('\n').map_or(text.len(), |i| node.span.end + i + 1);
        (column == indent && first.key.span.start <= offset && offset <= end + 1).then_some((node, *level))
    })?;
    let present: Vec<&str> = node.as_mapping()?.iter().filter_map(|e| e.key_str()).collect();
    let catalog = crate::catalog::Catalog::embedded().security_context();
    let items = catalog
        .fields
        .iter()
        .filter(|f| match level {
            helm::Level::Pod => f.scope.allows_pod(),
            helm::Level::Container => f.scope.allows_container(),
        })
        .filter(|f| !present.contains(&f.name.as_str()))
        .map(|f| CompletionItem {
            label: f.name.clone(),
            kind: Some(CompletionItemKind::FIELD),
            detail: Some(f.summary.clone()),
            documentation: Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: f.docs.clone(),
            })),
            insert_text: Some(format!("{}: ", f.name)),
            ..CompletionItem::default()
        })
        .collect();
    Some(items)
}
