//! Inlay hints, as plain data in byte offsets (the LSP layer converts
//! positions and filters by the range asked for):
//!
//! - the pod securityContext values a container inherits, shown where the
//!   container is written (`inlay_hints`);
//! - admission's verdict at the end of each workload's `kind:` line
//!   (`verdict_hints`), the code lens's text for clients without lenses.
//!
//! - A container with a securityContext of its own gets one hint with the
//!   shared fields it does not set but the pod does (`runAsUser: 1000,
//!   runAsNonRoot: true (pod)`), after the `securityContext:` key: one hint,
//!   not one per field, since clients show hints at one place side by side
//!   with nothing between them.
//! - A container without one gets a single hint with everything it inherits
//!   (`securityContext (pod): runAsUser: 1000, runAsNonRoot: true`), after
//!   its name.

use crate::analysis::verdicts;
use crate::config::Config;
use crate::model::{Container, Origin, PodSpec, Workloads};
use crate::syntax::{parse, Node, Span};
use crate::text::LineIndex;

/// A hint as an editor shows it: a label at `offset`, a markdown tooltip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub offset: usize,
    pub label: String,
    pub tooltip: String,
}

/// The longest a rendered value gets before it is cut with `…`.
const MAX_VALUE_CHARS: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HintKind {
    /// The inherited fields, on a container's own securityContext.
    Inherited,
    /// Every inherited field, on a container without a securityContext.
    Effective,
}

/// One label piece: `field: value`, and the pod entry it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HintPart {
    pub field: &'static str,
    pub value: String,
    /// The pod securityContext entry that sets it.
    pub source: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the hint is shown (a byte offset in the text).
    pub offset: usize,
    pub kind: HintKind,
    pub parts: Vec<HintPart>,
    /// The container, as `podsec check` names it.
    pub container: String,
}

impl InlayHint {
    /// The text an editor shows.
    pub fn label(&self) -> String {
        let fields = self.parts.iter().map(|p| format!("{}: {}", p.field, p.value)).collect::<Vec<_>>().join(", ");
        match self.kind {
            HintKind::Inherited => format!("{fields} (pod)"),
            HintKind::Effective => format!("securityContext (pod): {fields}"),
        }
    }

    /// The hint with its tooltip, which names the line each value is set on.
    pub fn shown(&self, index: &LineIndex) -> Hint {
        let lines: Vec<String> = self
            .parts
            .iter()
            .map(|p| {
                format!(
                    "- `{}` is set on line {} of the pod securityContext",
                    p.field,
                    index.line_of(p.source.start) + 1
                )
            })
            .collect();
        Hint {
            offset: self.offset,
            label: self.label(),
            tooltip: format!("{}\n\n{}", self.tooltip(), lines.join("\n")),
        }
    }

    /// A longer explanation, for a tooltip.
    pub fn tooltip(&self) -> String {
        match self.kind {
            HintKind::Inherited => {
                let fields = self.parts.iter().map(|p| format!("`{}`", p.field)).collect::<Vec<_>>().join(", ");
                format!(
                    "Inherited from the pod securityContext: container `{}` does not set {fields} itself.",
                    self.container
                )
            }
            HintKind::Effective => format!(
                "Container `{}` has no securityContext of its own: these pod securityContext values apply to it.",
                self.container
            ),
        }
    }
}

/// Admission's verdict on each workload, at the end of its `kind:` line.
pub fn verdict_hints(text: &str, config: &Config) -> Vec<Hint> {
    let index = LineIndex::new(text);
    verdicts(text, config)
        .into_iter()
        .map(|verdict| {
            let mut label = verdict.summary();
            if let Some(enforcement) = verdict.enforcement_summary() {
                label.push_str(&format!(" · {enforcement}"));
            }
            let tooltip =
                format!("Pod Security Standards verdict on {} at Kubernetes {}.", verdict.title(), verdict.version);
            Hint { offset: index.line_range(text, index.line_of(verdict.anchor.start)).end, label, tooltip }
        })
        .collect()
}

/// Every hint of a file, in text order.
pub fn inlay_hints(text: &str) -> Vec<InlayHint> {
    let file = parse(text);
    let mut hints = Vec::new();
    for document in &file.documents {
        let Some(root) = &document.root else { continue };
        for pod in Workloads::find(root).pods {
            for container in &pod.containers {
                hints.extend(container_hints(text, &pod, container));
            }
        }
    }
    hints.sort_by_key(|h| h.offset);
    hints
}

fn container_hints(text: &str, pod: &PodSpec<'_>, container: &Container<'_>) -> Vec<InlayHint> {
    let inherited: Vec<HintPart> = pod
        .effective_settings(container)
        .into_iter()
        .filter(|(_, effective)| effective.origin == Origin::Pod)
        .map(|(field, effective)| HintPart {
            field,
            value: crate::syntax::flow_text(text, effective.value(), MAX_VALUE_CHARS),
            source: effective.entry.key.span,
        })
        .collect();
    if inherited.is_empty() {
        return Vec::new();
    }
    let name = container.display_name();
    match container.security_context {
        Some(entry) if entry.value.as_mapping().is_some() => {
            let offset = after_key(text, &entry.key, &entry.value);
            vec![InlayHint { offset, kind: HintKind::Inherited, parts: inherited, container: name }]
        }
        // A scalar or list there is a type error of its own: no hint.
        Some(entry) if !entry.value.is_null() => Vec::new(),
        Some(entry) => vec![InlayHint {
            offset: entry.value.span.end,
            kind: HintKind::Effective,
            parts: inherited,
            container: name,
        }],
        None => vec![InlayHint {
            offset: container_anchor(text, container),
            kind: HintKind::Effective,
            parts: inherited,
            container: name,
        }],
    }
}

/// After `securityContext:` when the mapping starts on a later line, else
/// after the flow mapping that follows the key.
fn after_key(text: &str, key: &Node, value: &Node) -> usize {
    let between = &text[key.span.end..value.span.start.max(key.span.end)];
    if !between.contains(['\n', '\r']) {
        return value.span.end;
    }
    let rest = &text[key.span.end..];
    match rest.find(':') {
        Some(colon) if rest[..colon].trim().is_empty() => key.span.end + colon + 1,
        _ => key.span.end,
    }
}

/// After the container's name, else after its first single-line value.
fn container_anchor(text: &str, container: &Container<'_>) -> usize {
    if let Some(name) = container.name.filter(|n| single_line(text, n)) {
        return name.span.end;
    }
    let first = container.node.as_mapping().and_then(|entries| entries.first());
    match first {
        Some(entry) if single_line(text, &entry.value) && entry.value.as_scalar().is_some() => entry.value.span.end,
        Some(entry) => entry.key.span.end,
        None => container.node.span.start,
    }
}

fn single_line(text: &str, node: &Node) -> bool {
    !text[node.span.start..node.span.end].contains(['\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut() {
        let text = "kind: Pod\nspec:\n  securityContext:\n    seLinuxOptions: {level: \"s0:c123,c456\", type: container_t, user: system_u}\n  containers:\n    - name: a\n";
        let hints = inlay_hints(text);
        assert_eq!(hints.len(), 1);
        let value = &hints[0].parts[0].value;
        assert!(value.ends_with('…') && value.chars().count() == MAX_VALUE_CHARS, "{value}");
    }
}
