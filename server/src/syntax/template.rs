//! Helm chart templates: a lexer for Go template actions as Helm writes
//! them, and masking by construct, so a template parses as the YAML Helm
//! renders from it.
//!
//! Every byte of a masked action is replaced by an ASCII byte and line
//! breaks are kept, so byte offsets, lines and (for ASCII actions) columns
//! of everything else are unchanged. What each action becomes:
//!
//! - control (`if`, `else`, `with`, `range`, `end`, ...), assignments and
//!   comments: blank;
//! - output that stands alone on its line, or ends a `key:` line with
//!   `nindent`/`indent` (`labels: {{- include "x.labels" . | nindent 4 }}`):
//!   blank, recorded as content inserted there ([`Inserted`]), so the
//!   literal lines below still attach to the key;
//! - output inside other text (`runAsUser: {{ .Values.uid }}`): a
//!   placeholder scalar, unique per action, recorded as templated;
//! - actions inside quoted strings, block scalars and YAML comments stay
//!   text; `define` bodies are not part of the manifest and become blank.
//!
//! Every branch of an `if`/`else`/`with` is read; [`Branch`] records which
//! condition guards each, so that findings say so and keys of exclusive
//! branches are not duplicates. An unclosed `{{` (a half-typed action) ends
//! at the end of its line.

use super::Span;

/// A template keyword that starts an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    If,
    ElseIf,
    ElseWith,
    Else,
    With,
    Range,
    End,
    Define,
    Block,
    Break,
    Continue,
    /// `$name := ...` or `$name = ...`.
    Assign,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// `{{/* ... */}}`.
    Comment,
    Control(Keyword),
    /// A pipeline whose result Helm writes in place (`template` included).
    Output,
}

/// One `{{ ... }}` action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// From `{{` to `}}`, trim markers included.
    pub span: Span,
    /// What is between the delimiters, without trim markers and the
    /// keyword's surrounding space.
    pub body: Span,
    pub kind: ActionKind,
    /// `false` for a `{{` without its `}}` (ended at its line's end).
    pub closed: bool,
}

/// Content that an action inserts (a block of YAML from `toYaml`,
/// `include`, `tpl` ...), where the action was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inserted {
    pub action: Span,
    /// The pipeline, as written.
    pub expression: String,
    /// The column the inserted lines start at: `nindent N`/`indent N`,
    /// else the action's own column.
    pub column: usize,
}

/// One branch of an `if`/`else if`/`else` or `with`/`else` chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// From the end of the action that opens the branch to the start of the
    /// one that closes it.
    pub span: Span,
    /// Which chain (one `if ... end`), and which branch of it.
    pub chain: usize,
    pub index: usize,
    /// When the branch renders, in words (`` `.Values.x.enabled` ``).
    pub condition: String,
    /// The conditions of the chain's earlier branches, for `else`.
    pub negated: Vec<String>,
}

impl Branch {
    /// "when `.Values.x`", "when not `.Values.x`".
    pub fn describe(&self) -> String {
        if self.condition.is_empty() {
            let negated: Vec<String> = self.negated.iter().map(|c| format!("`{c}`")).collect();
            format!("when not {}", negated.join(" nor "))
        } else {
            format!("when `{}`", self.condition)
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct TemplateMask {
    /// The masked text, when the file had any action.
    pub masked: Option<String>,
    /// Every action, masked or not, in text order.
    pub actions: Vec<Action>,
    /// Spans of actions that stood inside other text (placeholders).
    pub inline: Vec<Span>,
    /// Spans of lines that held only actions (control flow, includes).
    pub control_lines: Vec<Span>,
    pub inserted: Vec<Inserted>,
    pub branches: Vec<Branch>,
    /// `define` blocks (action to `end`), not part of the manifest.
    pub defines: Vec<Span>,
}

impl TemplateMask {
    /// Whether `span` touches a templated value.
    pub fn is_templated(&self, span: Span) -> bool {
        // `inline` is sorted and its spans do not overlap: the first that
        // ends after `span` starts is the only candidate.
        let first = self.inline.partition_point(|t| t.end < span.start);
        self.inline[first..]
            .iter()
            .take_while(|t| t.start <= span.end)
            .any(|t| t.overlaps(span) || (span.is_empty() && t.start == span.start))
    }

    /// Whether a control line (`{{- if }}`, `{{- else }}`) lies between two offsets.
    pub fn control_between(&self, from: usize, to: usize) -> bool {
        self.control_lines.iter().any(|l| l.start >= from && l.end <= to)
    }

    /// Whether `a` and `b` lie in different branches of one chain: Helm
    /// renders at most one of them.
    pub fn exclusive(&self, a: usize, b: usize) -> bool {
        self.branches.iter().filter(|x| x.span.start <= a && a <= x.span.end).any(|x| {
            self.branches
                .iter()
                .any(|y| y.chain == x.chain && y.index != x.index && y.span.start <= b && b <= y.span.end)
        })
    }

    /// Whether the same branches guard both offsets: Helm renders both or
    /// neither, whatever the values.
    pub fn same_guards(&self, a: usize, b: usize) -> bool {
        let ids = |at: usize| -> Vec<(usize, usize)> {
            let mut ids: Vec<(usize, usize)> = self
                .branches
                .iter()
                .filter(|x| x.span.start <= at && at <= x.span.end)
                .map(|x| (x.chain, x.index))
                .collect();
            ids.sort_unstable();
            ids
        };
        ids(a) == ids(b)
    }

    /// The branches that guard `span`, innermost first.
    pub fn guards(&self, span: Span) -> Vec<&Branch> {
        let mut guards: Vec<&Branch> =
            self.branches.iter().filter(|b| b.span.start <= span.start && span.end <= b.span.end).collect();
        guards.sort_by_key(|b| std::cmp::Reverse(b.span.start));
        guards
    }

    /// Content a template inserts as the value of the key at `key` (on the
    /// key's line after it, or on the lines below it at a deeper column).
    /// `text` is the masked text.
    pub fn inserted_under(&self, text: &str, key: Span) -> Option<&Inserted> {
        let (column, region_end) = region(text, key.start)?;
        let line_end = text[key.end.min(text.len())..].find(['\n', '\r']).map_or(text.len(), |p| key.end + p);
        self.inserted.iter().find(|i| {
            (i.action.start >= key.end && i.action.start < line_end)
                || (i.action.start >= line_end && i.action.start < region_end && i.column > column)
        })
    }

    /// Content a template inserts among the entries of the mapping whose
    /// first key is at `first_key` (entries at that key's column).
    pub fn inserted_among(&self, text: &str, first_key: Span) -> Option<&Inserted> {
        let (column, _) = region(text, first_key.start)?;
        let parent_end = mapping_end(text, first_key.start, column);
        self.inserted
            .iter()
            .find(|i| i.action.start > first_key.start && i.action.start < parent_end && i.column == column)
    }
}

/// The column of the node at `at`, and where the lines that belong to it
/// end (the first non-blank line at that column or less).
fn region(text: &str, at: usize) -> Option<(usize, usize)> {
    let line_start = text[..at.min(text.len())].rfind(['\n', '\r']).map_or(0, |p| p + 1);
    let column = at - line_start;
    Some((column, mapping_end(text, at, column + 1)))
}

/// The start of the first non-blank line after the one holding `at` whose
/// indentation is below `column`, or the end of the text.
fn mapping_end(text: &str, at: usize, column: usize) -> usize {
    let mut offset = text[at..].find('\n').map_or(text.len(), |p| at + p + 1);
    while offset < text.len() {
        let line_end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
        let line = text[offset..line_end].trim_end_matches('\r');
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim_start();
        if !content.is_empty() && !content.starts_with('#') && indent < column {
            return offset;
        }
        offset = line_end + 1;
    }
    text.len()
}

/// Every action of `text`, in order.
pub fn lex(text: &str) -> Vec<Action> {
    let bytes = text.as_bytes();
    let mut actions = Vec::new();
    let mut at = 0;
    while let Some(start) = find(bytes, b"{{", at) {
        let limit = next_document_start(bytes, start);
        let (end, closed) = scan(bytes, start, limit);
        actions.push(classify(text, Span::new(start, end), closed));
        at = end.max(start + 2);
    }
    actions
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The end of the action starting at `start`, and whether it was closed.
fn scan(bytes: &[u8], start: usize, limit: usize) -> (usize, bool) {
    let unclosed = || (line_end(bytes, start).min(limit).max(start + 2), false);
    let mut at = start + 2;
    if bytes.get(at) == Some(&b'-') && bytes.get(at + 1).copied().is_some_and(is_space) {
        at += 1;
    }
    let mut first = at;
    while first < limit && is_space(bytes[first]) {
        first += 1;
    }
    if bytes[first..limit].starts_with(b"/*") {
        let Some(close) = find(&bytes[..limit], b"*/", first + 2) else { return unclosed() };
        let mut end = close + 2;
        while end < limit && is_space(bytes[end]) {
            end += 1;
        }
        if bytes.get(end) == Some(&b'-') {
            end += 1;
        }
        return if bytes[end..limit].starts_with(b"}}") { (end + 2, true) } else { unclosed() };
    }
    #[derive(PartialEq)]
    enum In {
        Code,
        Quoted(u8),
        Raw,
    }
    let mut state = In::Code;
    while at < limit {
        let b = bytes[at];
        match state {
            In::Code => match b {
                b'"' | b'\'' => state = In::Quoted(b),
                b'`' => state = In::Raw,
                b'}' if bytes.get(at + 1) == Some(&b'}') => return (at + 2, true),
                // A new action: this one was never closed.
                b'{' if bytes.get(at + 1) == Some(&b'{') => return unclosed(),
                _ => {}
            },
            In::Quoted(quote) => match b {
                b'\\' => at += 1,
                b'\n' | b'\r' => return unclosed(),
                _ if b == quote => state = In::Code,
                _ => {}
            },
            In::Raw => {
                if b == b'`' {
                    state = In::Code;
                }
            }
        }
        at += 1;
    }
    unclosed()
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(bytes.len(), |p| from + p)
}

fn classify(text: &str, span: Span, closed: bool) -> Action {
    let inner_start = (span.start + 2).min(span.end);
    let mut inner_end = if closed { span.end - 2 } else { span.end };
    let mut start = inner_start;
    let bytes = text.as_bytes();
    if bytes.get(start) == Some(&b'-') && bytes.get(start + 1).copied().is_some_and(is_space) {
        start += 1;
    }
    if closed && inner_end > start && bytes[inner_end - 1] == b'-' && bytes[inner_end - 2].is_ascii_whitespace() {
        inner_end -= 1;
    }
    let inner = text.get(start..inner_end.max(start)).unwrap_or_default();
    let trimmed = inner.trim();
    let body_start = start + (inner.len() - inner.trim_start().len());
    let word = trimmed.split(|c: char| c.is_whitespace() || c == '(').next().unwrap_or_default();
    let rest = trimmed[word.len()..].trim_start();
    let after_word = |w: &str| body_start + (trimmed.len() - trimmed[w.len()..].trim_start().len());
    let (kind, body) = if trimmed.starts_with("/*") {
        (ActionKind::Comment, body_start)
    } else {
        let keyword = match word {
            "if" => Some(Keyword::If),
            "else" => Some(match rest.split_whitespace().next() {
                Some("if") => Keyword::ElseIf,
                Some("with") => Keyword::ElseWith,
                _ => Keyword::Else,
            }),
            "with" => Some(Keyword::With),
            "range" => Some(Keyword::Range),
            "end" => Some(Keyword::End),
            "define" => Some(Keyword::Define),
            "block" => Some(Keyword::Block),
            "break" => Some(Keyword::Break),
            "continue" => Some(Keyword::Continue),
            _ if is_assignment(trimmed) => Some(Keyword::Assign),
            _ => None,
        };
        match keyword {
            Some(Keyword::ElseIf | Keyword::ElseWith) => {
                let second = rest.split_whitespace().next().unwrap_or_default();
                let skipped = trimmed.len() - rest.len() + second.len();
                let tail = trimmed[skipped..].trim_start();
                (ActionKind::Control(keyword.unwrap()), body_start + (trimmed.len() - tail.len()))
            }
            Some(Keyword::Assign) => (ActionKind::Control(Keyword::Assign), body_start),
            Some(keyword) => (ActionKind::Control(keyword), after_word(word)),
            None => (ActionKind::Output, body_start),
        }
    };
    let body_end = (body_start + trimmed.len()).max(body);
    Action { span, body: Span::new(body, body_end), kind, closed }
}

/// `$x := ...`, `$x = ...`.
fn is_assignment(pipeline: &str) -> bool {
    let Some(rest) = pipeline.strip_prefix('$') else { return false };
    let name_end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let after = rest[name_end..].trim_start();
    after.starts_with(":=") || (after.starts_with('=') && !after.starts_with("=="))
}

/// The column `nindent N` or `indent N` puts the output at.
fn indent_of(expression: &str) -> Option<usize> {
    let words: Vec<&str> = expression.split(|c: char| c.is_whitespace() || c == '|' || c == '(' || c == ')').collect();
    let at = words.iter().rposition(|w| *w == "nindent" || *w == "indent")?;
    words[at + 1..].iter().find(|w| !w.is_empty())?.parse().ok()
}

/// What the YAML around an action is, on the action's line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Around {
    /// Plain YAML: the action is masked.
    Yaml,
    /// In a quoted string: it stays text, a value the template fills in.
    Quoted,
    /// In a block scalar or a comment: it stays text.
    Text,
}

pub fn mask_templates(text: &str) -> TemplateMask {
    if !text.contains("{{") {
        return TemplateMask::default();
    }
    let actions = lex(text);
    let mut mask = TemplateMask::default();
    let mut bytes = text.as_bytes().to_vec();
    let (around, opaque) = yaml_context(text, &actions);
    structure(text, &actions, &mut mask);
    // `define` bodies first: nothing in them is masked otherwise.
    for define in &mask.defines {
        blank(&mut bytes, *define, b' ');
    }
    let inside_define = |span: Span| mask.defines.iter().any(|d| d.start <= span.start && span.end <= d.end);
    let mut maskable: Vec<&Action> = Vec::new();
    let mut placeholders = 0usize;
    for (action, context) in actions.iter().zip(&around) {
        match context {
            Around::Yaml if !inside_define(action.span) => maskable.push(action),
            // Part of a string, which it must not end (`"{{ template "x" . }}"`):
            // a placeholder inside the quotes, a value the template fills in.
            Around::Quoted if !inside_define(action.span) => {
                let first_end = line_end(text.as_bytes(), action.span.start).min(action.span.end);
                mask.inline.push(Span::new(action.span.start, first_end));
                fill_placeholder(&mut bytes, action.span, placeholders);
                placeholders += 1;
            }
            _ => {}
        }
    }
    for region in &opaque {
        blank(&mut bytes, *region, b' ');
    }
    let silent = |a: &Action| !matches!(a.kind, ActionKind::Output);
    // The text from `from` to `to` with the silent actions in it blanked.
    let without_silent = |from: usize, to: usize| -> String {
        let mut piece: Vec<u8> = text.as_bytes()[from..to].to_vec();
        let first = maskable.partition_point(|a| a.span.start < from);
        for other in maskable[first..].iter().take_while(|a| a.span.start < to).filter(|a| silent(a)) {
            let (a, b) = (other.span.start - from, other.span.end.min(to) - from);
            piece[a..b].fill(b' ');
        }
        String::from_utf8_lossy(&piece).into_owned()
    };
    let mut handled = joined_values(text, &maskable, &mut bytes, &mut mask);
    let inline = inline_control(text, &maskable, &mut bytes, &mut mask);
    handled.extend(inline);
    for action in maskable.iter().filter(|a| !handled.contains(&a.span.start)) {
        if silent(action) {
            blank(&mut bytes, action.span, b' ');
            continue;
        }
        let first_line = line_start(text, action.span.start);
        let before = without_silent(first_line, action.span.start);
        let after = without_silent(action.span.end, line_end(text.as_bytes(), action.span.end));
        let expression = text[action.body.start..action.body.end].to_string();
        let indents = indent_of(&expression);
        let before_trimmed = before.trim();
        let dash_only = !before_trimmed.is_empty() && before_trimmed.split_whitespace().all(|w| w == "-");
        let ends_key = before_trimmed.ends_with(':') && super::comment_start(&before).is_none();
        // `key: |- {{- include "x" . | nindent 4 }}`: the scalar's lines.
        let ends_scalar_header = {
            let header = before_trimmed.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
            header.ends_with(": |") || header.ends_with(": >") || header == "|" || header == ">"
        };
        // Output on a line of its own, or after `key:`/`- ` with an indent
        // for the lines it writes, is a block of YAML.
        let block = after.trim().is_empty()
            && (before_trimmed.is_empty() || ends_scalar_header || ((ends_key || dash_only) && indents.is_some()));
        if block {
            blank(&mut bytes, action.span, b' ');
            let own_column = action.span.start - first_line;
            mask.inserted.push(Inserted { action: action.span, expression, column: indents.unwrap_or(own_column) });
        } else {
            let first_end = line_end(text.as_bytes(), action.span.start).min(action.span.end);
            mask.inline.push(Span::new(action.span.start, first_end));
            fill_placeholder(&mut bytes, action.span, placeholders);
            placeholders += 1;
        }
    }
    mask.inline.sort_by_key(|s| s.start);
    blank_empty_alternatives(&mut bytes, &mask.branches);
    // Lines left blank by masking: control lines.
    let mut start = 0;
    while start < bytes.len() {
        let end = line_end(&bytes, start);
        let first = maskable.partition_point(|a| a.span.end <= start);
        let touched = maskable.get(first).is_some_and(|a| a.span.start < end)
            || mask.defines.iter().any(|d| d.start < end && d.end > start);
        if touched && bytes[start..end].iter().all(|&b| b == b' ' || b == b'\t') {
            mask.control_lines.push(Span::new(start, end));
        }
        start = next_line(&bytes, end);
    }
    mask.actions = actions;
    // Only ASCII bytes were written over whole actions, and actions start and
    // end on ASCII bytes, so the result is still UTF-8.
    mask.masked = Some(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()));
    mask
}

/// Lines where control actions sit among text, which Helm renders as one
/// of several alternatives on the line:
/// - `{{ if .Values.x }}key: value{{ end }}`, a line that starts with a
///   condition: the text would sit at the wrong column once the action is
///   blank, so the whole line is content inserted there;
/// - `key: {{ if eq . "-" }}""{{ else }}{{ . }}{{ end }}`: the first
///   branch is kept, the others blank.
///
/// Returns the starts of the actions it masked.
fn inline_control(text: &str, maskable: &[&Action], bytes: &mut [u8], mask: &mut TemplateMask) -> Vec<usize> {
    let mut handled = Vec::new();
    let opens = |a: &Action| matches!(a.kind, ActionKind::Control(Keyword::If | Keyword::With | Keyword::Range));
    let is_control = |a: &Action| {
        matches!(
            a.kind,
            ActionKind::Control(
                Keyword::If
                    | Keyword::With
                    | Keyword::Range
                    | Keyword::Else
                    | Keyword::ElseIf
                    | Keyword::ElseWith
                    | Keyword::End
            )
        )
    };
    let mut i = 0;
    while i < maskable.len() {
        let start = line_start(text, maskable[i].span.start);
        let end = line_end(text.as_bytes(), maskable[i].span.start);
        let mut j = i;
        while j < maskable.len() && maskable[j].span.start < end {
            j += 1;
        }
        let line_actions = &maskable[i..j];
        i = j;
        if !line_actions.iter().any(|a| is_control(a)) || line_actions.iter().any(|a| a.span.end > end) {
            continue;
        }
        let mut outside = bytes[start..end].to_vec();
        for a in line_actions {
            outside[a.span.start - start..a.span.end - start].fill(b' ');
        }
        let Some(first_text) = outside.iter().position(|b| !b.is_ascii_whitespace()) else { continue };
        let first_text = start + first_text;
        let leading = line_actions.iter().take_while(|a| a.span.start < first_text).last().filter(|a| opens(a));
        // Keep the first branch of each chain opened on this line.
        let mut chains: Vec<Option<usize>> = Vec::new();
        for a in line_actions {
            match a.kind {
                ActionKind::Control(Keyword::If | Keyword::With | Keyword::Range) => chains.push(None),
                ActionKind::Control(Keyword::Else | Keyword::ElseIf | Keyword::ElseWith) => {
                    if let Some(top) = chains.last_mut() {
                        top.get_or_insert(a.span.start);
                    }
                }
                ActionKind::Control(Keyword::End) => {
                    if let Some(Some(from)) = chains.pop() {
                        blank(bytes, Span::new(from, a.span.start), b' ');
                        handled.extend(
                            line_actions
                                .iter()
                                .filter(|x| x.span.start >= from && x.span.start < a.span.start)
                                .map(|x| x.span.start),
                        );
                    }
                }
                _ => {}
            }
        }
        if let Some(condition) = leading {
            // Helm writes the text where the condition starts: move it there,
            // and keep podsec from judging a line whose columns moved.
            let pending: Vec<&&Action> = line_actions.iter().filter(|a| !handled.contains(&a.span.start)).collect();
            for a in pending {
                let fill = if matches!(a.kind, ActionKind::Output) { b'_' } else { b' ' };
                blank(bytes, a.span, fill);
                handled.push(a.span.start);
            }
            let kept: Vec<u8> = bytes[first_text..end].to_vec();
            let to = condition.span.start;
            blank(bytes, Span::new(to, end), b' ');
            bytes[to..to + kept.len()].copy_from_slice(&kept);
            mask.inline.push(Span::new(to, end));
        }
    }
    handled
}

/// `apiVersion: {{ if .Capabilities.APIVersions.Has "x/v2" -}}` with the
/// alternatives on the lines below: the trim markers join them to the key's
/// line, so from the condition to its `end` is one value, a placeholder.
///
/// Returns the starts of the actions it masked.
fn joined_values(text: &str, maskable: &[&Action], bytes: &mut [u8], mask: &mut TemplateMask) -> Vec<usize> {
    let mut handled = Vec::new();
    for (i, action) in maskable.iter().enumerate() {
        let ActionKind::Control(Keyword::If | Keyword::With) = action.kind else { continue };
        let trims_right = text[..action.span.end].ends_with("-}}");
        let line_end = line_end(text.as_bytes(), action.span.end);
        let before = &text[line_start(text, action.span.start)..action.span.start];
        let before = before.trim();
        if !trims_right || !text[action.span.end..line_end].trim().is_empty() || !before.ends_with(':') {
            continue;
        }
        // The `end` of this chain: nesting counted from here.
        let mut depth = 0;
        let end = maskable[i + 1..].iter().find(|a| match a.kind {
            ActionKind::Control(Keyword::If | Keyword::With | Keyword::Range | Keyword::Define | Keyword::Block) => {
                depth += 1;
                false
            }
            ActionKind::Control(Keyword::End) if depth == 0 => true,
            ActionKind::Control(Keyword::End) => {
                depth -= 1;
                false
            }
            _ => false,
        });
        let Some(end) = end else { continue };
        let value = Span::new(action.span.start, end.span.end);
        // Only text and actions between them: no keys of their own.
        let inner = &text[action.span.end..end.span.start];
        if inner.lines().any(|l| l.contains(": ") || l.trim_end().ends_with(':')) {
            continue;
        }
        blank(bytes, value, b' ');
        // Numbered apart from the placeholders of single actions.
        fill_placeholder(bytes, Span::new(action.span.start, line_end.min(value.end)), mask.inline.len() + 100_000);
        mask.inline.push(Span::new(action.span.start, line_end.min(value.end)));
        handled.extend(
            maskable.iter().filter(|a| a.span.start >= value.start && a.span.end <= value.end).map(|a| a.span.start),
        );
    }
    handled
}

/// A branch whose only line is an empty value (`{}`, `[]`, `""`, `null`)
/// beside branches with content is the fallback of a value the other
/// branches write: reading both would give one key two values.
fn blank_empty_alternatives(bytes: &mut [u8], branches: &[Branch]) {
    for branch in branches {
        let has_sibling = branches.iter().any(|b| b.chain == branch.chain && b.index != branch.index);
        if !has_sibling {
            continue;
        }
        let span = Span::new(branch.span.start.min(bytes.len()), branch.span.end.min(bytes.len()));
        let content: Vec<(usize, usize)> = {
            let mut lines = Vec::new();
            let mut at = span.start;
            while at < span.end {
                let end = line_end(bytes, at).min(span.end);
                if bytes[at..end].iter().any(|b| !b.is_ascii_whitespace()) {
                    lines.push((at, end));
                }
                at = end + 1;
            }
            lines
        };
        if let [(from, to)] = content[..] {
            // Only a branch that has the line to itself.
            let whole_line = line_start_bytes(bytes, from) >= span.start && line_end(bytes, from) <= span.end;
            let value = String::from_utf8_lossy(&bytes[from..to]).trim().to_string();
            if !whole_line {
                continue;
            }
            if matches!(value.as_str(), "{}" | "[]" | "\"\"" | "''" | "null" | "~") {
                blank(bytes, Span::new(from, to), b' ');
            }
        }
    }
}

fn line_start_bytes(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().rposition(|&b| b == b'\n' || b == b'\r').map_or(0, |p| p + 1)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind(['\n', '\r']).map_or(0, |p| p + 1)
}

/// Overwrites `span` with `fill`, keeping line breaks.
fn blank(bytes: &mut [u8], span: Span, fill: u8) {
    let end = span.end.min(bytes.len());
    for b in &mut bytes[span.start..end] {
        if *b != b'\n' && *b != b'\r' {
            *b = fill;
        }
    }
}

/// A placeholder scalar unique to action `n`: `_`, `n` in base 36, then
/// `_` to the end of the action's first line; its other lines blank.
fn fill_placeholder(bytes: &mut [u8], span: Span, n: usize) {
    let first_end = line_end(bytes, span.start).min(span.end);
    let mut label = vec![b'_'];
    let mut rest = n;
    loop {
        label.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[rest % 36]);
        rest /= 36;
        if rest == 0 {
            break;
        }
    }
    for (i, b) in bytes[span.start..first_end].iter_mut().enumerate() {
        *b = label.get(i).copied().unwrap_or(b'_');
    }
    blank(bytes, Span::new(first_end, span.end), b' ');
}

/// For each action, whether it is in plain YAML or in text that YAML
/// keeps as is: a quoted string, a block scalar or a comment.
/// Also returns the block scalars that hold lines of nothing but actions,
/// from their indicator to their last line: Helm removes those lines, but
/// blank they would be badly indented leading lines of the scalar, so the
/// whole scalar (text podsec never judges) is blanked.
fn yaml_context(text: &str, actions: &[Action]) -> (Vec<Around>, Vec<Span>) {
    let bytes = text.as_bytes();
    let mut result = vec![Around::Yaml; actions.len()];
    let mut opaque = Vec::new();
    let mut next = 0;
    // The block scalar being read: its key column, where its indicator
    // starts, where its last line ends, and whether a line of it holds
    // nothing but actions.
    let mut block_scalar: Option<(usize, usize, usize, bool)> = None;
    let finish = |scalar: Option<(usize, usize, usize, bool)>, opaque: &mut Vec<Span>| {
        if let Some((_, from, to, true)) = scalar {
            opaque.push(Span::new(from, to));
        }
    };
    // Where the last action ended (a multi-line one covers later lines).
    let mut resume = 0;
    let mut start = 0;
    while start < bytes.len() {
        let end = line_end(bytes, start);
        let first = next;
        while next < actions.len() && actions[next].span.start < end.max(start + 1) {
            next += 1;
        }
        let line_actions = first..next;
        let line = &text[start..end];
        let mut stripped = line.as_bytes().to_vec();
        for i in line_actions.clone() {
            let (a, b) = (actions[i].span.start.max(start) - start, actions[i].span.end.min(end) - start);
            stripped[a..b.max(a)].fill(b' ');
        }
        if resume > start {
            let covered = resume.min(end) - start;
            stripped[..covered].fill(b' ');
        }
        let stripped = String::from_utf8_lossy(&stripped).into_owned();
        let indent = stripped.len() - stripped.trim_start_matches(' ').len();
        if let Some((key_column, from, last, only_actions)) = block_scalar {
            // Lines of nothing but actions do not end a block scalar.
            if stripped.trim().is_empty() || indent > key_column {
                for i in line_actions.clone() {
                    result[i] = Around::Text;
                }
                let action_line = stripped.trim().is_empty() && !line_actions.is_empty();
                let last = if stripped.trim().is_empty() && !action_line { last } else { end };
                block_scalar = Some((key_column, from, last.max(resume.min(text.len())), only_actions || action_line));
                resume = resume.max(line_actions.clone().map(|i| actions[i].span.end).max().unwrap_or(0));
                if resume > end {
                    start = line_start(text, resume);
                    continue;
                }
                start = next_line(bytes, end);
                continue;
            }
            finish(block_scalar.take(), &mut opaque);
        }
        // Quote and comment state along the line, skipping actions.
        let mut quote: Option<u8> = None;
        let mut comment = false;
        let mut at = start.max(resume.min(end));
        let mut k = line_actions.start;
        while k < line_actions.end && actions[k].span.start < at {
            k += 1;
        }
        let mut previous = if at == start { b' ' } else { b'}' };
        while at < end {
            if k < line_actions.end && actions[k].span.start == at {
                result[k] = match (quote, comment) {
                    (Some(_), _) => Around::Quoted,
                    (None, true) => Around::Text,
                    (None, false) => Around::Yaml,
                };
                resume = actions[k].span.end;
                at = actions[k].span.end.min(end).max(at + 1);
                k += 1;
                previous = b'}';
                continue;
            }
            let b = bytes[at];
            match quote {
                Some(b'"') if b == b'\\' => at += 1,
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'#' && previous.is_ascii_whitespace() => comment = true,
                None if !comment
                    && (b == b'"' || b == b'\'')
                    && matches!(previous, b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-') =>
                {
                    quote = Some(b)
                }
                None => {}
            }
            previous = b;
            at += 1;
        }
        // A `key: |` or `- |` line starts a block scalar below it.
        let content = strip_comment(&stripped).trim_end();
        let indicator = content.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        let opens = [": |", ": >", "- |", "- >"].iter().any(|i| indicator.ends_with(i))
            || indicator.trim() == "|"
            || indicator.trim() == ">";
        if opens && quote.is_none() {
            // `- |`: the item's own column; `- key: |`: the key's.
            let item = stripped.trim_start();
            let after_dashes = item.trim_start_matches("- ");
            let is_item_scalar = after_dashes.starts_with(['|', '>']);
            let key_column = if is_item_scalar {
                indent + (item.len() - after_dashes.len()).saturating_sub(2)
            } else {
                indent + (item.len() - after_dashes.len())
            };
            let indicator_at = start + content.rfind(['|', '>']).unwrap_or(0);
            block_scalar = Some((key_column, indicator_at, end, false));
        }
        if resume > end {
            // A multi-line action: go on from the line it ends on.
            start = line_start(text, resume);
            continue;
        }
        start = next_line(bytes, end);
    }
    finish(block_scalar.take(), &mut opaque);
    (result, opaque)
}

fn strip_comment(line: &str) -> &str {
    match super::comment_start(line) {
        Some(at) => &line[..at],
        None => line,
    }
}

fn next_line(bytes: &[u8], end: usize) -> usize {
    if end < bytes.len() && bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
        end + 2
    } else {
        end + 1
    }
}

/// Branches of `if`/`with` chains and `define` bodies, from the actions'
/// nesting.
fn structure(text: &str, actions: &[Action], mask: &mut TemplateMask) {
    struct Frame {
        keyword: Keyword,
        opened_at: usize,
        chain: usize,
        branch_start: usize,
        condition: String,
        earlier: Vec<String>,
        index: usize,
    }
    let body = |a: &Action| text[a.body.start..a.body.end].to_string();
    let mut stack: Vec<Frame> = Vec::new();
    let mut chains = 0;
    let close_branch = |frame: &Frame, end: usize, mask: &mut TemplateMask| {
        if matches!(frame.keyword, Keyword::If | Keyword::With) {
            let condition = match (frame.keyword, frame.condition.as_str()) {
                (_, "") => String::new(),
                (Keyword::With, c) if frame.index == 0 => c.to_string(),
                (_, c) => c.to_string(),
            };
            let negated = if condition.is_empty() { frame.earlier.clone() } else { Vec::new() };
            mask.branches.push(Branch {
                span: Span::new(frame.branch_start, end),
                chain: frame.chain,
                index: frame.index,
                condition,
                negated,
            });
        }
    };
    for action in actions {
        let ActionKind::Control(keyword) = action.kind else { continue };
        match keyword {
            Keyword::If | Keyword::With | Keyword::Range | Keyword::Define | Keyword::Block => {
                chains += 1;
                stack.push(Frame {
                    keyword,
                    opened_at: action.span.start,
                    chain: chains,
                    branch_start: action.span.end,
                    condition: body(action),
                    earlier: Vec::new(),
                    index: 0,
                });
            }
            Keyword::ElseIf | Keyword::ElseWith | Keyword::Else => {
                let Some(frame) = stack.last_mut() else { continue };
                close_branch(frame, action.span.start, mask);
                let previous = std::mem::take(&mut frame.condition);
                if !previous.is_empty() {
                    frame.earlier.push(previous);
                }
                frame.condition = if keyword == Keyword::Else { String::new() } else { body(action) };
                frame.index += 1;
                frame.branch_start = action.span.end;
            }
            Keyword::End => {
                let Some(frame) = stack.pop() else { continue };
                close_branch(&frame, action.span.start, mask);
                if frame.keyword == Keyword::Define {
                    mask.defines.push(Span::new(frame.opened_at, action.span.end));
                }
            }
            Keyword::Break | Keyword::Continue | Keyword::Assign => {}
        }
    }
    // Unclosed blocks (a half-typed template) run to the end.
    while let Some(frame) = stack.pop() {
        close_branch(&frame, text.len(), mask);
    }
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
        assert!(masked.contains("runAsUser: _0__"), "{masked:?}");
        assert_eq!(mask.control_lines.len(), 2);
        assert_eq!(mask.inline.len(), 1);
        let uid = text.find("{{ .Values.uid").unwrap();
        assert!(mask.is_templated(Span::new(uid, uid + 3)));
    }

    /// The masked text, every offset unchanged.
    fn masked(text: &str) -> String {
        let masked = mask_templates(text).masked.unwrap();
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().count(), text.lines().count());
        masked
    }

    #[test]
    fn the_lexer_reads_trim_markers_strings_comments_and_keywords() {
        let text = r#"{{- if .Values.x -}} {{ printf "}}" | quote }} {{/* a }} comment */}} {{ `raw }}` }} {{- else if eq .a 'b' }} {{ $x := 1 }} {{ end }}"#;
        let actions = lex(text);
        let kinds: Vec<ActionKind> = actions.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                ActionKind::Control(Keyword::If),
                ActionKind::Output,
                ActionKind::Comment,
                ActionKind::Output,
                ActionKind::Control(Keyword::ElseIf),
                ActionKind::Control(Keyword::Assign),
                ActionKind::Control(Keyword::End),
            ]
        );
        let body = |i: usize| &text[actions[i].body.start..actions[i].body.end];
        assert_eq!(body(0), ".Values.x");
        assert_eq!(body(1), r#"printf "}}" | quote"#);
        assert_eq!(body(4), "eq .a 'b'");
        assert!(actions.iter().all(|a| a.closed));
        // A half-typed action ends at the end of its line.
        let actions = lex("a: {{ .Values.
b: {{ .Values.b }}
");
        assert_eq!((actions[0].closed, actions[0].span), (false, Span::new(3, 14)));
        assert!(actions[1].closed);
    }

    #[test]
    fn block_output_after_a_key_leaves_the_lines_below_attached_to_it() {
        let text = "metadata:\n  labels: {{- include \"x.labels\" . | nindent 4 }}\n    tier: web\n  name: x\n";
        let mask = mask_templates(text);
        assert!(masked(text).starts_with("metadata:\n  labels:"));
        assert_eq!(mask.inserted.len(), 1);
        assert_eq!(mask.inserted[0].column, 4);
        assert_eq!(mask.inserted[0].expression, "include \"x.labels\" . | nindent 4");
        let file = crate::syntax::parse(text);
        let root = file.documents[0].root.as_ref().unwrap();
        assert_eq!(root.get_path(&["metadata", "labels", "tier"]).and_then(|n| n.as_str()), Some("web"));
        // On a line of its own too.
        let text = "spec:\n  securityContext:\n    {{- toYaml .Values.sc | nindent 4 }}\n  containers: []\n";
        let mask = mask_templates(text);
        let key = text.find("securityContext").unwrap();
        let inserted = mask.inserted_under(mask.masked.as_deref().unwrap(), Span::new(key, key + 15)).unwrap();
        assert_eq!(inserted.expression, "toYaml .Values.sc | nindent 4");
        let containers = text.find("containers").unwrap();
        assert!(mask.inserted_under(mask.masked.as_deref().unwrap(), Span::new(containers, containers + 10)).is_none());
    }

    #[test]
    fn placeholders_are_unique_so_templated_keys_do_not_collide() {
        let text = "labels:\n  {{ .Values.a }}: x\n  {{ .Values.b }}: y\n";
        let file = crate::syntax::parse(text);
        let labels = file.documents[0].root.as_ref().unwrap().get("labels").unwrap();
        let keys: Vec<&str> = labels.as_mapping().unwrap().iter().map(|e| e.key_str().unwrap()).collect();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
    }

    #[test]
    fn quoted_strings_block_scalars_and_comments_keep_their_actions() {
        let text = "a: \"{{ template \"x.name\" . }}-svc\"\nb: |\n  echo {{ .Values.x }}\n# {{ .Values.c }}\n";
        let m = masked(text);
        // Inside quotes: a placeholder that cannot end the string.
        assert!(m.starts_with("a: \"_0"), "{m:?}");
        assert!(!m[..m.find('\n').unwrap()].contains("x.name"));
        assert!(m.contains("  echo {{ .Values.x }}\n"));
        assert!(m.ends_with("# {{ .Values.c }}\n"));
        let file = crate::syntax::parse(text);
        assert!(file.documents[0].errors.is_empty(), "{:?}", file.documents[0].errors);
    }

    #[test]
    fn define_bodies_are_not_part_of_the_manifest() {
        let text = "{{- define \"x.sc\" -}}\nrunAsUser: 0\n{{- end }}\nkind: Pod\n";
        let m = masked(text);
        assert!(!m.contains("runAsUser"));
        assert!(m.ends_with("kind: Pod\n"));
    }

    #[test]
    fn branches_know_their_conditions_and_exclusive_keys() {
        let text = "spec:\n  {{- if .Values.a }}\n  x: 1\n  {{- else if .Values.b }}\n  x: 2\n  {{- else }}\n  x: 3\n  {{- end }}\n  {{- with .Values.c }}\n  y: 1\n  {{- end }}\n";
        let mask = mask_templates(text);
        let at = |n: &str| text.find(n).unwrap();
        let guard = |n: &str| mask.guards(Span::new(at(n), at(n) + 4)).first().map(|b| b.describe());
        assert_eq!(guard("x: 1").as_deref(), Some("when `.Values.a`"));
        assert_eq!(guard("x: 2").as_deref(), Some("when `.Values.b`"));
        assert_eq!(guard("x: 3").as_deref(), Some("when not `.Values.a` nor `.Values.b`"));
        assert_eq!(guard("y: 1").as_deref(), Some("when `.Values.c`"));
        assert!(mask.exclusive(at("x: 1"), at("x: 3")));
        assert!(!mask.exclusive(at("x: 1"), at("y: 1")));
    }

    #[test]
    fn inline_alternatives_keep_the_first_branch() {
        let text = "pvc:\n  storageClassName: {{ if (eq \"-\" .) }}\"\"{{ else }}{{ . }}{{ end }}\n{{ if .Values.secret -}} stringData: {{- else -}} data: {{- end }}\n  k: v\n";
        let m = masked(text);
        assert!(m.contains("storageClassName:") && m.contains("\"\""), "{m:?}");
        // A line that starts with a condition: its first branch at the condition's column.
        assert!(m.contains("\nstringData:  "), "{m:?}");
        let file = crate::syntax::parse(text);
        assert!(file.documents[0].errors.is_empty(), "{:?}", file.documents[0].errors);
    }

    #[test]
    fn alternatives_joined_to_a_key_by_trim_markers_are_one_value() {
        let text = "apiVersion: {{ if .Capabilities.APIVersions.Has \"autoscaling/v2\" -}}\nautoscaling/v2\n{{- else -}}\nautoscaling/v2beta2\n{{- end }}\nkind: HorizontalPodAutoscaler\n";
        let file = crate::syntax::parse(text);
        assert!(file.documents[0].errors.is_empty(), "{:?}", file.documents[0].errors);
        let root = file.documents[0].root.as_ref().unwrap();
        assert_eq!(root.get("kind").and_then(|k| k.as_str()), Some("HorizontalPodAutoscaler"));
        assert!(file.templates.is_templated(root.get("apiVersion").unwrap().span));
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
