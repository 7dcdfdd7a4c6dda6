//! Go templates as Helm writes them, parsed into a tree: text, output,
//! `if`/`with`/`range` with their branches, `define`, assignments. What
//! does not parse becomes [`Item::Opaque`]: the evaluator leaves it as it
//! is written, unknown, and never fails.

use crate::syntax::template::{lex, Action, ActionKind, Keyword};
use crate::syntax::Span;

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// `.a.b` (`.` alone: no names).
    Field(Vec<String>),
    /// `$x.a.b` (`$` alone: name empty).
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// A function name.
    Ident(String),
    /// `(pipeline)`, maybe followed by `.field`s.
    Sub(Box<Pipeline>, Vec<String>),
}

/// `$a, $b := cmd | cmd ...`
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Pipeline {
    pub declared: Vec<String>,
    /// `=` rather than `:=`.
    pub reassign: bool,
    pub commands: Vec<Vec<Operand>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    pub action: Action,
    pub condition: Pipeline,
    pub body: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Text(Span),
    Output(Action, Pipeline),
    /// `{{ $x := ... }}`
    Assign(Action, Pipeline),
    /// `if`/`else if`/`else`: arms in order, the `else` arm (its action and
    /// body), the `end`.
    If {
        arms: Vec<Arm>,
        otherwise: Option<(Action, Vec<Item>)>,
        end: Option<Action>,
    },
    With {
        arms: Vec<Arm>,
        otherwise: Option<(Action, Vec<Item>)>,
        end: Option<Action>,
    },
    Range {
        arm: Arm,
        otherwise: Option<(Action, Vec<Item>)>,
        end: Option<Action>,
    },
    Break(Action),
    Continue(Action),
    /// An action that is not understood (a comment too): kept as written.
    Opaque(Action),
}

impl Item {
    /// The first action of the item, for its trim markers and span.
    pub fn first_action(&self) -> Option<&Action> {
        match self {
            Item::Text(_) => None,
            Item::Output(a, _) | Item::Assign(a, _) | Item::Break(a) | Item::Continue(a) | Item::Opaque(a) => Some(a),
            Item::If { arms, .. } | Item::With { arms, .. } => arms.first().map(|a| &a.action),
            Item::Range { arm, .. } => Some(&arm.action),
        }
    }
}

/// A template file: its top-level items and its `define`s (name, body).
#[derive(Clone, Debug, Default)]
pub struct Template {
    pub items: Vec<Item>,
    pub defines: Vec<(String, Vec<Item>)>,
}

/// Parses a template's text.
pub fn parse(text: &str) -> Template {
    let actions: Vec<Action> = lex(text).into_iter().map(|a| keyword_before_field(text, a)).collect();
    let mut parser = Parser { text, actions: &actions, next: 0, at: 0, defines: Vec::new() };
    let (items, _) = parser.items(text.len());
    // What is left after a stray `end` is read at the top level too.
    let mut items = items;
    while parser.next < actions.len() {
        let action = actions[parser.next];
        parser.next += 1;
        parser.at = action.span.end;
        items.push(Item::Opaque(action));
        let (more, _) = parser.items(text.len());
        items.extend(more);
    }
    Template { items, defines: parser.defines }
}

struct Parser<'a> {
    text: &'a str,
    actions: &'a [Action],
    next: usize,
    /// The text offset read up to.
    at: usize,
    defines: Vec<(String, Vec<Item>)>,
}

/// What ended a list of items.
enum Stop {
    Eof,
    Else(Action),
    End(Action),
}

impl Parser<'_> {
    fn body(&self, action: &Action) -> &str {
        self.text.get(action.body.start..action.body.end).unwrap_or_default()
    }

    /// Items up to the next `else`/`end` at this level (consumed) or the end.
    fn items(&mut self, limit: usize) -> (Vec<Item>, Stop) {
        let mut items = Vec::new();
        loop {
            let Some(&action) = self.actions.get(self.next) else {
                if self.at < limit {
                    items.push(Item::Text(Span::new(self.at, limit)));
                    self.at = limit;
                }
                return (items, Stop::Eof);
            };
            if action.span.start > self.at {
                items.push(Item::Text(Span::new(self.at, action.span.start)));
            }
            self.next += 1;
            self.at = action.span.end;
            let body = self.body(&action).to_string();
            let item = match action.kind {
                ActionKind::Comment => Item::Opaque(action),
                ActionKind::Output => match parse_pipeline(&body) {
                    Some(pipe) if action.closed => Item::Output(action, pipe),
                    _ => Item::Opaque(action),
                },
                ActionKind::Control(keyword) => match keyword {
                    Keyword::Else | Keyword::ElseIf | Keyword::ElseWith => return (items, Stop::Else(action)),
                    Keyword::End => return (items, Stop::End(action)),
                    Keyword::Assign => match parse_pipeline(&body) {
                        Some(pipe) => Item::Assign(action, pipe),
                        None => Item::Opaque(action),
                    },
                    Keyword::If | Keyword::With => self.conditional(action, keyword == Keyword::With),
                    Keyword::Range => self.range(action),
                    Keyword::Define | Keyword::Block => {
                        let name = parse_pipeline(&body).and_then(|p| match p.commands.first()?.first()? {
                            Operand::Str(name) => Some(name.clone()),
                            _ => None,
                        });
                        let (mut inner, stop) = self.items(limit);
                        // The markers of `{{- define "x" -}}` and `{{- end }}`
                        // trim the body's ends, whatever renders inside.
                        if trims_right(self.text, &action) {
                            if let Some(Item::Text(span)) = inner.first_mut() {
                                let t = &self.text[span.start..span.end];
                                span.start += t.len() - t.trim_start().len();
                            }
                        }
                        if let Stop::End(end) = stop {
                            if trims_left(self.text, &end) {
                                if let Some(Item::Text(span)) = inner.last_mut() {
                                    let t = &self.text[span.start..span.end];
                                    span.end -= t.len() - t.trim_end().len();
                                }
                            }
                        }
                        inner.retain(|i| !matches!(i, Item::Text(span) if span.is_empty()));
                        match name {
                            Some(name) => {
                                let pipeline = parse_pipeline(&body);
                                self.defines.push((name.clone(), inner));
                                // `block` also renders where it is written.
                                match (keyword, pipeline) {
                                    (Keyword::Block, Some(mut pipe)) => {
                                        let commands = std::mem::take(&mut pipe.commands);
                                        let mut call = vec![Operand::Ident("template".into())];
                                        call.extend(commands.into_iter().flatten());
                                        pipe.commands = vec![call];
                                        Item::Output(action, pipe)
                                    }
                                    _ => continue,
                                }
                            }
                            None => Item::Opaque(action),
                        }
                    }
                    Keyword::Break => Item::Break(action),
                    Keyword::Continue => Item::Continue(action),
                },
            };
            items.push(item);
        }
    }

    fn conditional(&mut self, first: Action, with: bool) -> Item {
        let mut arms = Vec::new();
        let mut otherwise = None;
        let mut end = None;
        let mut action = first;
        loop {
            let condition = parse_pipeline(self.body(&action)).unwrap_or_default();
            let (body, stop) = self.items(self.text.len());
            arms.push(Arm { action, condition, body });
            match stop {
                Stop::Else(next) => match next.kind {
                    ActionKind::Control(Keyword::ElseIf | Keyword::ElseWith) => action = next,
                    _ => {
                        let (body, stop) = self.items(self.text.len());
                        otherwise = Some((next, body));
                        if let Stop::End(e) = stop {
                            end = Some(e);
                        }
                        break;
                    }
                },
                Stop::End(e) => {
                    end = Some(e);
                    break;
                }
                Stop::Eof => break,
            }
        }
        if with {
            Item::With { arms, otherwise, end }
        } else {
            Item::If { arms, otherwise, end }
        }
    }

    fn range(&mut self, action: Action) -> Item {
        let condition = parse_pipeline(self.body(&action)).unwrap_or_default();
        let (body, stop) = self.items(self.text.len());
        let arm = Arm { action, condition, body };
        match stop {
            Stop::Else(next) => {
                let (body, stop) = self.items(self.text.len());
                let end = match stop {
                    Stop::End(e) => Some(e),
                    _ => None,
                };
                Item::Range { arm, otherwise: Some((next, body)), end }
            }
            Stop::End(e) => Item::Range { arm, otherwise: None, end: Some(e) },
            Stop::Eof => Item::Range { arm, otherwise: None, end: None },
        }
    }
}

/// Go reads a keyword right before a field or variable as the keyword
/// (`{{- with.Values.podLabels }}`): so does the parser.
fn keyword_before_field(text: &str, action: Action) -> Action {
    if action.kind != ActionKind::Output {
        return action;
    }
    let body = text.get(action.body.start..action.body.end).unwrap_or_default();
    for (word, keyword) in [("if", Keyword::If), ("with", Keyword::With), ("range", Keyword::Range)] {
        if body.strip_prefix(word).is_some_and(|rest| rest.starts_with(['.', '$'])) {
            let body = Span::new(action.body.start + word.len(), action.body.end);
            return Action { kind: ActionKind::Control(keyword), body, ..action };
        }
    }
    action
}

/// `{{- ...`: the text before loses its trailing whitespace.
pub fn trims_left(text: &str, action: &Action) -> bool {
    let bytes = text.as_bytes();
    bytes.get(action.span.start + 2) == Some(&b'-')
        && bytes.get(action.span.start + 3).is_some_and(|b| b.is_ascii_whitespace())
}

/// `... -}}`: the text after loses its leading whitespace.
pub fn trims_right(text: &str, action: &Action) -> bool {
    let bytes = text.as_bytes();
    action.closed
        && action.span.len() >= 5
        && bytes[action.span.end - 3] == b'-'
        && bytes[action.span.end - 4].is_ascii_whitespace()
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Dot(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Number(String),
    Ident(String),
    Pipe,
    Open,
    /// `)` and the `.field`s right after it.
    Close(Vec<String>),
    Comma,
    Declare,
    Assign,
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let fields = |i: &mut usize| -> Vec<String> {
        let mut names = Vec::new();
        while bytes.get(*i) == Some(&b'.') {
            let start = *i + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            if end == start {
                break;
            }
            names.push(text[start..end].to_string());
            *i = end;
        }
        names
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'|' => {
                out.push(Token::Pipe);
                i += 1;
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                i += 1;
                out.push(Token::Close(fields(&mut i)));
            }
            b',' => {
                out.push(Token::Comma);
                i += 1;
            }
            b':' if bytes.get(i + 1) == Some(&b'=') => {
                out.push(Token::Declare);
                i += 2;
            }
            b'=' => {
                out.push(Token::Assign);
                i += 1;
            }
            b'.' => {
                let names = fields(&mut i);
                if names.is_empty() {
                    i += 1;
                }
                out.push(Token::Dot(names));
            }
            b'$' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                    end += 1;
                }
                let name = text[start..end].to_string();
                i = end;
                out.push(Token::Var(name, fields(&mut i)));
            }
            b'"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    let c = *bytes.get(i)?;
                    match c {
                        b'"' => break,
                        b'\\' => {
                            let escaped = *bytes.get(i + 1)?;
                            value.push(match escaped {
                                b'n' => '\n',
                                b't' => '\t',
                                b'r' => '\r',
                                other => other as char,
                            });
                            i += 2;
                            continue;
                        }
                        _ => {
                            let ch = text[i..].chars().next()?;
                            value.push(ch);
                            i += ch.len_utf8();
                            continue;
                        }
                    }
                }
                i += 1;
                out.push(Token::Str(value));
            }
            b'`' => {
                let end = text[i + 1..].find('`')? + i + 1;
                out.push(Token::Str(text[i + 1..end].to_string()));
                i = end + 1;
            }
            b'\'' => {
                // A character constant: Go reads it as its code point.
                let end = text[i + 1..].find('\'')? + i + 1;
                let ch = text[i + 1..end].chars().next()?;
                out.push(Token::Number((ch as u32).to_string()));
                i = end + 1;
            }
            b'-' | b'+' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'_')) {
                    i += 1;
                }
                out.push(Token::Number(text[start..i].to_string()));
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Token::Ident(text[start..i].to_string()));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Parses a pipeline (`$x := .Values.a | default 1 | quote`).
pub fn parse_pipeline(text: &str) -> Option<Pipeline> {
    let tokens = tokens(text)?;
    let mut at = 0;
    let pipe = pipeline(&tokens, &mut at)?;
    (at == tokens.len()).then_some(pipe)
}

fn pipeline(tokens: &[Token], at: &mut usize) -> Option<Pipeline> {
    let mut pipe = Pipeline::default();
    // Declarations: `$a :=`, `$a, $b :=`, `$a =`.
    let mut look = *at;
    let mut names = Vec::new();
    while let Some(Token::Var(name, fields)) = tokens.get(look) {
        if !fields.is_empty() {
            break;
        }
        names.push(name.clone());
        look += 1;
        match tokens.get(look) {
            Some(Token::Comma) => look += 1,
            Some(Token::Declare) | Some(Token::Assign) => {
                pipe.reassign = tokens[look] == Token::Assign;
                pipe.declared = std::mem::take(&mut names);
                *at = look + 1;
                break;
            }
            _ => break,
        }
    }
    loop {
        let mut command = Vec::new();
        while let Some(token) = tokens.get(*at) {
            let operand = match token {
                Token::Pipe | Token::Close(_) => break,
                Token::Dot(names) => Operand::Field(names.clone()),
                Token::Var(name, fields) => Operand::Var(name.clone(), fields.clone()),
                Token::Str(s) => Operand::Str(s.clone()),
                Token::Number(n) => number(n)?,
                Token::Ident(name) => match name.as_str() {
                    "true" => Operand::Bool(true),
                    "false" => Operand::Bool(false),
                    "nil" => Operand::Nil,
                    _ => Operand::Ident(name.clone()),
                },
                Token::Open => {
                    *at += 1;
                    let inner = pipeline(tokens, at)?;
                    let Some(Token::Close(fields)) = tokens.get(*at) else { return None };
                    Operand::Sub(Box::new(inner), fields.clone())
                }
                Token::Comma | Token::Declare | Token::Assign => return None,
            };
            command.push(operand);
            *at += 1;
        }
        if command.is_empty() {
            return None;
        }
        pipe.commands.push(command);
        match tokens.get(*at) {
            Some(Token::Pipe) => *at += 1,
            _ => return Some(pipe),
        }
    }
}

fn number(text: &str) -> Option<Operand> {
    let clean = text.replace('_', "");
    let (sign, digits) = match clean.strip_prefix('-') {
        Some(rest) => (-1, rest.to_string()),
        None => (1, clean.trim_start_matches('+').to_string()),
    };
    let parsed = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else {
        digits.parse::<i64>().ok()
    };
    match parsed {
        Some(i) => Some(Operand::Int(sign * i)),
        None => clean.parse::<f64>().ok().map(Operand::Float),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_with_declarations_subexpressions_and_fields() {
        let pipe = parse_pipeline(r#"$ctx := omit .Values.a "enabled" | toYaml | nindent 8"#).unwrap();
        assert_eq!(pipe.declared, vec!["ctx".to_string()]);
        assert_eq!(pipe.commands.len(), 3);
        assert_eq!(pipe.commands[0][1], Operand::Field(vec!["Values".into(), "a".into()]));
        assert_eq!(pipe.commands[2], vec![Operand::Ident("nindent".into()), Operand::Int(8)]);
        let sub = parse_pipeline("(include \"x\" $).Values.y").unwrap();
        assert!(
            matches!(&sub.commands[0][0], Operand::Sub(_, fields) if fields == &vec!["Values".to_string(), "y".to_string()])
        );
        assert_eq!(parse_pipeline("$i, $v := .Values.list").unwrap().declared, vec!["i".to_string(), "v".to_string()]);
        assert!(parse_pipeline("toYaml (").is_none());
    }

    #[test]
    fn a_keyword_right_before_a_field_opens_a_block() {
        let template = parse("{{- with.Values.podLabels }}\n{{ toYaml . }}\n{{- end }}\nx: 1\n");
        let Item::With { arms, end, .. } = &template.items[0] else { panic!("{:?}", template.items) };
        assert_eq!(arms[0].condition.commands[0][0], Operand::Field(vec!["Values".into(), "podLabels".into()]));
        assert!(end.is_some());
    }

    #[test]
    fn branches_ranges_and_defines_form_a_tree() {
        let text = "a: 1\n{{- if .Values.x }}\nb: {{ .Values.b }}\n{{- else if .Values.y }}\nc: 1\n{{- else }}\nd: 1\n{{- end }}\n{{ range .Values.l }}- {{ . }}\n{{ end }}{{ define \"h\" }}z{{ end }}";
        let template = parse(text);
        let Item::If { arms, otherwise, end } = &template.items[1] else { panic!("{:?}", template.items) };
        assert_eq!(arms.len(), 2);
        assert!(otherwise.is_some() && end.is_some());
        assert!(matches!(arms[0].body[1], Item::Output(..)));
        assert!(template.items.iter().any(|i| matches!(i, Item::Range { .. })));
        assert_eq!(template.defines.len(), 1);
        assert_eq!(template.defines[0].0, "h");
    }
}
