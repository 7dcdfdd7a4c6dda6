//! Code actions in a values file: they edit the values the user owns,
//! never the chart's templates. A field in the wrong section moves to the
//! section that feeds the other level of the same workload; a container
//! section that must drop every capability gets `capabilities.drop: [ALL]`.

use crate::fix::edit::line_start as line_start_of;
use crate::fix::{Action, ActionKind, Target, TextEdit};
use crate::provenance::FileId;
use crate::rules;
use crate::syntax::{self, Node, Span};

use super::{ChartAnalysis, Level};

/// The actions for findings of `file` (with `text`) within `range`.
pub fn values_actions(analysis: &ChartAnalysis, file: FileId, text: &str, range: Span) -> Vec<Action> {
    let parsed = syntax::parse(text);
    let Some(root) = parsed.documents.iter().find_map(|d| d.root.as_ref()) else { return Vec::new() };
    let mut actions = Vec::new();
    for placed in analysis.findings.iter().filter(|f| f.location.file == file) {
        let span = placed.location.span;
        if !(span.start <= range.end && range.start <= span.end) {
            continue;
        }
        let Some(path) = &placed.values_path else { continue };
        let finding = &placed.finding;
        let action = if finding.rule == rules::POD_ONLY_FIELD || finding.rule == rules::CONTAINER_ONLY_FIELD {
            let to = if finding.rule == rules::POD_ONLY_FIELD { Level::Pod } else { Level::Container };
            move_field(analysis, root, text, path, to)
        } else if finding.rule == rules::PSS_CAPABILITIES_RESTRICTED {
            drop_all(root, text, path)
        } else {
            None
        };
        if let Some(mut action) = action {
            action.fixes.push(Target::of(finding));
            actions.push(action);
        }
    }
    actions
}

/// Moves `path` (`securityContext.fsGroup`) into the section that feeds
/// the `to` level of the workloads the field flows into.
fn move_field(analysis: &ChartAnalysis, root: &Node, text: &str, path: &str, to: Level) -> Option<Action> {
    let (section, field) = path.rsplit_once('.')?;
    let workloads: Vec<&str> = analysis.usages.iter().filter(|u| u.path == path).map(|u| u.workload.as_str()).collect();
    // The section feeding the other level of the same workload.
    let target = analysis
        .usages
        .iter()
        .filter(|u| u.level == to && u.path.contains('.'))
        .find(|u| workloads.iter().any(|w| w.starts_with(u.workload.as_str()) || u.workload.starts_with(w)))?;
    let (target_section, _) = target.path.rsplit_once('.')?;
    if target_section == section {
        return None;
    }
    let entry = entry_at(root, section, field)?;
    let destination = node_at(root, target_section)?;
    let members = destination.as_mapping()?;
    if members.iter().any(|e| e.key_str() == Some(field)) || members.is_empty() {
        // Already set there (moving would replace a value), or a flow `{}`.
        return None;
    }
    // The entry's lines, as written, re-indented for the destination.
    let from = line_start_of(text, entry.key.span.start);
    let to_end = line_end_after(text, entry.value.span.end.max(entry.key.span.end));
    let source_indent = entry.key.span.start - from;
    let target_indent = members[0].key.span.start - line_start_of(text, members[0].key.span.start);
    let moved: String = text[from..to_end]
        .split_inclusive('\n')
        .map(|line| {
            let stripped = line.get(source_indent.min(line.len() - line.trim_start().len())..).unwrap_or(line);
            format!("{}{stripped}", " ".repeat(target_indent))
        })
        .collect();
    let last = members.last()?;
    let insert_at = line_end_after(text, last.value.span.end.max(last.key.span.end));
    let mut moved = moved;
    if !moved.ends_with('\n') {
        moved.push('\n');
    }
    let mut edits = vec![
        TextEdit { span: Span::new(from, to_end), new_text: String::new() },
        TextEdit { span: Span::new(insert_at, insert_at), new_text: moved },
    ];
    edits.sort_by_key(|e| e.span.start);
    Some(Action {
        title: format!("Move `{field}` to `{target_section}`"),
        kind: ActionKind::QuickFix,
        is_preferred: true,
        safe: true,
        fixes: Vec::new(),
        edits,
        reveals: false,
    })
}

/// Adds `capabilities.drop: [ALL]` to the values section at `path`.
fn drop_all(root: &Node, text: &str, path: &str) -> Option<Action> {
    let section = node_at(root, path)?;
    let members = section.as_mapping()?;
    let first = members.first()?;
    if members.iter().any(|e| e.key_str() == Some("capabilities")) {
        return None;
    }
    let indent = first.key.span.start - line_start_of(text, first.key.span.start);
    let last = members.last()?;
    let at = line_end_after(text, last.value.span.end.max(last.key.span.end));
    let pad = " ".repeat(indent);
    let new_text = format!("{pad}capabilities:\n{pad}  drop: [ALL]\n");
    Some(Action {
        title: format!("Drop every capability in `{path}`"),
        kind: ActionKind::QuickFix,
        is_preferred: true,
        safe: true,
        fixes: Vec::new(),
        edits: vec![TextEdit { span: Span::new(at, at), new_text }],
        reveals: false,
    })
}

/// The node at a dotted values path.
fn node_at<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    root.get_path(&path.split('.').collect::<Vec<_>>())
}

fn entry_at<'n>(root: &'n Node, section: &str, field: &str) -> Option<&'n syntax::Entry> {
    node_at(root, section)?.entry(field)
}

/// The start of the line after the one holding `offset` (the text's end
/// when it is the last line).
fn line_end_after(text: &str, offset: usize) -> usize {
    let from = offset.min(text.len());
    // A value's span may end at the next line's start already.
    if from > 0 && text.as_bytes()[from - 1] == b'\n' {
        return from;
    }
    text[from..].find('\n').map_or(text.len(), |i| from + i + 1)
}
