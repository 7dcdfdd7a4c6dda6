//! Masking Helm template actions (`{{ ... }}`) so templated manifests parse.
//!
//! Every byte of an action is replaced by an ASCII byte, so byte offsets,
//! lines and (for ASCII actions) columns of everything else are unchanged.
//! A line that holds nothing but actions (`{{- if .Values.x }}`) becomes
//! blank; an action inside other text (`runAsUser: {{ .Values.uid }}`)
//! becomes a placeholder scalar of underscores, and its span is recorded so
//! the analysis never judges a value that the template will fill in.

use super::Span;

#[derive(Clone, Debug, Default)]
pub struct TemplateMask {
    /// The masked text, when the file had any action.
    pub masked: Option<String>,
    /// Spans of actions that stood inside other text.
    pub inline: Vec<Span>,
    /// Spans of lines that held only actions (control flow, includes).
    pub control_lines: Vec<Span>,
}

impl TemplateMask {
    /// Whether `span` touches a templated value.
    pub fn is_templated(&self, span: Span) -> bool {
        self.inline.iter().any(|t| t.overlaps(span) || (span.is_empty() && t.start == span.start))
    }

    /// Whether a control line (`{{- if }}`, `{{- else }}`) lies between two offsets.
    pub fn control_between(&self, from: usize, to: usize) -> bool {
        self.control_lines.iter().any(|l| l.start >= from && l.end <= to)
    }
}

pub fn mask_templates(text: &str) -> TemplateMask {
    if !text.contains("{{") {
        return TemplateMask::default();
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut actions = Vec::new();
    let mut i = 0;
    while let Some(found) = find(&bytes, b"{{", i) {
        // An action never runs past a `---` line: each document reads the
        // same alone as in its file (an unclosed `{{` ends there).
        let limit = next_document_start(&bytes, found);
        let end = find(&bytes[..limit], b"}}", found + 2).map_or(limit, |e| e + 2);
        actions.push(Span::new(found, end));
        i = end;
    }

    let mut mask = TemplateMask::default();
    let mut line_start = 0;
    let mut action_index = 0;
    while line_start < bytes.len() {
        let line_end =
            bytes[line_start..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(bytes.len(), |p| line_start + p);
        let line = Span::new(line_start, line_end);
        // Actions that touch this line.
        while action_index < actions.len() && actions[action_index].end <= line.start {
            action_index += 1;
        }
        let touching: Vec<Span> =
            actions[action_index..].iter().take_while(|a| a.start < line.end.max(line.start + 1)).copied().collect();
        if !touching.is_empty() {
            let only_actions = (line.start..line.end)
                .all(|p| bytes[p] == b' ' || bytes[p] == b'\t' || touching.iter().any(|a| a.contains(p)));
            if only_actions {
                mask.control_lines.push(line);
            }
            for action in &touching {
                let from = action.start.max(line.start);
                let to = action.end.min(line.end);
                if !only_actions {
                    mask.inline.push(Span::new(from, to));
                }
                let fill = if only_actions { b' ' } else { b'_' };
                bytes[from..to].fill(fill);
            }
        }
        line_start = line_end + 1;
        if line_end < bytes.len() && text.as_bytes()[line_end] == b'\r' && bytes.get(line_end + 1) == Some(&b'\n') {
            line_start += 1;
        }
    }
    // Only ASCII bytes were written over whole actions, and actions start and
    // end on ASCII braces, so the result is still UTF-8.
    mask.masked = Some(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()));
    mask
}

/// The start of the first `---` line after `from`, or the end.
fn next_document_start(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(line_break) = bytes[at..].iter().position(|&b| b == b'\n' || b == b'\r').map(|p| at + p) {
        at = line_break + 1;
        if super::split::is_document_marker(&bytes[at..]) {
            return at;
        }
    }
    bytes.len()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_action_ends_at_the_next_document() {
        // Found by the incremental property test: the file read as a whole
        // lost the second document, which the editor read on its own.
        let text = "a: 1\n{{\n\n---        privileged: true\nkind: Pod\n";
        let mask = mask_templates(text);
        let masked = mask.masked.unwrap();
        assert!(masked.contains("\n---        privileged: true\nkind: Pod\n"), "{masked:?}");
        assert_eq!(crate::syntax::split_documents(&masked), crate::syntax::split_documents(text));
    }

    #[test]
    fn control_lines_blank_and_inline_actions_become_placeholders() {
        let text = "spec:\n  {{- if .Values.x }}\n  runAsUser: {{ .Values.uid }}\n  {{- end }}\n";
        let mask = mask_templates(text);
        let masked = mask.masked.as_deref().unwrap();
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().nth(1).unwrap().trim(), "");
        assert!(masked.contains("runAsUser: ________________"));
        assert_eq!(mask.control_lines.len(), 2);
        assert_eq!(mask.inline.len(), 1);
        let uid = text.find("{{ .Values.uid").unwrap();
        assert!(mask.is_templated(Span::new(uid, uid + 3)));
    }

    #[test]
    fn multi_line_actions_keep_line_breaks() {
        let text = "a: 1\n{{/* note\n  é */}}\nb: 2\n";
        let mask = mask_templates(text);
        let masked = mask.masked.unwrap();
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().count(), 4);
        assert!(masked.ends_with("b: 2\n"));
    }

    #[test]
    fn text_without_actions_is_not_copied() {
        assert!(mask_templates("a: 1\n").masked.is_none());
    }
}
