//! Partial evaluation of a chart's templates with the values in force.
//!
//! What can be known is rendered as Helm renders it, each piece recording
//! where it came from (the template's text, a values leaf); what cannot
//! (`.Release.Name`, `.Capabilities`, `lookup`, a function the engine does
//! not know, a condition on any of these) is left as the template wrote
//! it, so the analysis treats it as unknown exactly as in a template read
//! alone: an undecidable `if` keeps both branches with their conditions.

use std::collections::HashMap;
use std::rc::Rc;

use super::parse::{Arm, Item, Operand, Pipeline, Template};
use super::values::{plain_scalar, Data, Member, V};
use crate::provenance::{Expansion, FileId, Location, Via};
use crate::syntax::template::Action;
use crate::syntax::Span;

/// Nested `include`s deeper than this are unknown (Helm stops at 1,000;
/// real charts nest a handful).
const MAX_DEPTH: usize = 40;
/// Functions that change the map given first (Sprig's `set`, `unset`,
/// `merge`...), besides returning it.
const MUTATE_FIRST: [&str; 8] =
    ["set", "unset", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite", "deepMerge", "mustDeepMerge"];
/// Evaluation steps per template, so that a hostile chart stays cheap.
const MAX_STEPS: usize = 200_000;

/// A template file the evaluator reads from.
pub struct SourceText<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub template: &'a Template,
}

/// A `define` and the file it is written in.
#[derive(Clone, Copy)]
pub struct Define<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub body: &'a [Item],
}

/// What the engine knows of the cluster and the chart's surroundings.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    /// Bitnami's `global.compatibility.openshift.adaptSecurityContext`
    /// `auto` adapts on OpenShift: whether the cluster is one.
    pub openshift: bool,
}

/// A value during evaluation.
#[derive(Clone, Debug)]
pub enum Val {
    Data(Rc<V>),
    /// Rendered text (from `include`, `tpl`, `toYaml`, `printf`...);
    /// `residual` when part of it is still a template action.
    Text(Expansion, bool),
    Unknown,
}

impl Val {
    fn data(data: Data) -> Val {
        Val::Data(Rc::new(V::new(data)))
    }

    fn str(s: impl Into<String>) -> Val {
        Val::data(Data::Str(s.into()))
    }

    fn bool(b: bool) -> Val {
        Val::data(Data::Bool(b))
    }

    /// The value as a string, when it is known.
    fn text(&self) -> Option<String> {
        match self {
            Val::Data(v) if v.data != Data::Unknown => Some(v.to_text()),
            Val::Text(e, false) => Some(e.text.clone()),
            _ => None,
        }
    }

    /// Go truthiness, when known.
    fn truthy(&self) -> Option<bool> {
        match self {
            Val::Data(v) if v.data == Data::Unknown => None,
            Val::Data(v) => Some(v.truthy()),
            Val::Text(e, false) => Some(!e.text.is_empty()),
            _ => None,
        }
    }

    fn known(&self) -> Option<&V> {
        match self {
            Val::Data(v) if v.data != Data::Unknown => Some(v),
            _ => None,
        }
    }

    fn is_unknown(&self) -> bool {
        match self {
            Val::Unknown | Val::Text(_, true) => true,
            Val::Data(v) => v.data == Data::Unknown,
            Val::Text(_, false) => false,
        }
    }
}

/// What evaluating one template gives.
#[derive(Debug, Default)]
pub struct Rendered {
    pub expansion: Expansion,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

pub struct Evaluator<'a> {
    defines: &'a HashMap<String, Define<'a>>,
    environment: &'a Environment,
    root: Val,
    out: Expansion,
    /// The file and text of the items being read.
    file: FileId,
    text: &'a str,
    /// The next text starting here loses its leading whitespace (`-}}`).
    trim_next: Option<(FileId, usize)>,
    scopes: Vec<Vec<(String, Val)>>,
    depth: usize,
    steps: usize,
    /// Defines being expanded, so a recursion is unknown, not endless.
    expanding: Vec<String>,
}

impl<'a> Evaluator<'a> {
    pub fn new(defines: &'a HashMap<String, Define<'a>>, environment: &'a Environment, root: Rc<V>) -> Self {
        Evaluator {
            defines,
            environment,
            root: Val::Data(root),
            out: Expansion::new(),
            file: FileId(0),
            text: "",
            trim_next: None,
            scopes: Vec::new(),
            depth: 0,
            steps: 0,
            expanding: Vec::new(),
        }
    }

    /// Renders one template file.
    pub fn render(mut self, source: &SourceText<'a>) -> Rendered {
        self.file = source.file;
        self.text = source.text;
        self.scopes.push(vec![(String::new(), self.root.clone())]);
        let dot = self.root.clone();
        self.items(&source.template.items, &dot);
        Rendered { expansion: self.out }
    }

    fn items(&mut self, items: &[Item], dot: &Val) -> Flow {
        for item in items {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Flow::Break;
            }
            match self.item(item, dot) {
                Flow::Normal => {}
                other => return other,
            }
        }
        Flow::Normal
    }

    fn item(&mut self, item: &Item, dot: &Val) -> Flow {
        match item {
            Item::Text(span) => self.emit_text(*span),
            Item::Output(action, pipe) => {
                let value = self.pipeline(pipe, dot);
                self.output(action, pipe, value);
            }
            Item::Assign(action, pipe) => {
                let value = self.pipeline(pipe, dot);
                self.assign(pipe, value);
                self.evaluated(action);
            }
            Item::Opaque(action) => {
                if self.text.get(action.body.start..action.body.end).is_some_and(|b| b.starts_with("/*")) {
                    // A comment renders nothing.
                    self.evaluated(action);
                } else {
                    self.residual(action);
                }
            }
            Item::Break(action) => {
                self.evaluated(action);
                return Flow::Break;
            }
            Item::Continue(action) => {
                self.evaluated(action);
                return Flow::Continue;
            }
            Item::If { arms, otherwise, end } => return self.conditional(arms, otherwise, end, dot, false),
            Item::With { arms, otherwise, end } => return self.conditional(arms, otherwise, end, dot, true),
            Item::Range { arm, otherwise, end } => return self.range(arm, otherwise, end, dot),
        }
        Flow::Normal
    }

    fn emit_text(&mut self, span: Span) {
        let mut start = span.start;
        if self.trim_next.take() == Some((self.file, span.start)) {
            let text = &self.text[span.start..span.end];
            start += text.len() - text.trim_start_matches([' ', '\t', '\r', '\n']).len();
        }
        if start < span.end {
            let origin = Location::new(self.file, Span::new(start, span.end));
            self.out.push_verbatim(&self.text[start..span.end], origin, Via::Literal);
        }
    }

    /// An action that rendered (or rendered nothing): its trim markers take
    /// effect.
    fn evaluated(&mut self, action: &Action) {
        let trim_left = super::parse::trims_left(self.text, action);
        let trim_right = super::parse::trims_right(self.text, action);
        if trim_left {
            // Only the text right before the action, as Go trims it.
            let last = self.out.pieces.last();
            let adjacent = last.is_some_and(|p| {
                p.verbatim
                    && p.origin.file == self.file
                    && p.origin.span.end == action.span.start
                    && p.span.end == self.out.text.len()
            });
            if adjacent {
                self.out.trim_end_whitespace();
            }
        }
        self.trim_next = trim_right.then_some((self.file, action.span.end));
    }

    /// An action left as written: unknown to the analysis.
    fn residual(&mut self, action: &Action) {
        self.trim_next = None;
        let origin = Location::new(self.file, action.span);
        self.out.push_verbatim(&self.text[action.span.start..action.span.end], origin, Via::Literal);
    }

    /// A control action left as written, `else if` written as `if` where
    /// it opens what is left of a chain.
    fn residual_as(&mut self, action: &Action, keyword: &str) {
        self.trim_next = None;
        let origin = Location::new(self.file, action.span);
        let body = &self.text[action.body.start..action.body.end];
        let written = &self.text[action.span.start..action.span.end];
        let open = if written.starts_with("{{-") { "{{- " } else { "{{ " };
        let close = if written.ends_with("-}}") { " -}}" } else { " }}" };
        let text = format!("{open}{keyword} {body}{close}");
        self.out.push_generated(&text, origin, Via::Literal);
    }

    fn output(&mut self, action: &Action, pipe: &Pipeline, value: Val) {
        match value {
            // Half-known text in the middle of a line (`name: {{ include
            // "x.fullname" . }}` over an undecidable `if`) would break the
            // YAML around them: the action stays as written, one unknown
            // scalar, as in the template read alone.
            Val::Text(_, true) if !indents(pipe) && self.line_has_content() => self.residual(action),
            Val::Text(expansion, _) => {
                self.evaluated(action);
                self.out.append(&expansion);
            }
            Val::Data(v) if v.data != Data::Unknown => {
                self.evaluated(action);
                let text = v.to_text();
                self.push_value_text(&text, &v, action);
            }
            _ => {
                // `{{- include "x" . | nindent 8 }}` whose `{{-` met text
                // already trimmed by an action before it (`{{- end -}}`):
                // Helm starts the block on a line of its own, so does the
                // action left here, rather than after the line's value.
                if let Some(spaces) = nindent_of(pipe) {
                    let line = self.out.text.rsplit('\n').next().unwrap_or_default().trim_end();
                    if !line.trim().is_empty() && !line.ends_with(':') {
                        self.out.push_glue(&format!("\n{}", " ".repeat(spaces)));
                    }
                }
                self.residual(action)
            }
        }
    }

    /// Whether the output's last line already holds something besides
    /// indentation.
    fn line_has_content(&self) -> bool {
        let text = &self.out.text;
        let line_start = text.rfind('\n').map_or(0, |at| at + 1);
        !text[line_start..].trim().is_empty()
    }

    /// Writes a scalar's text, attributed to the values leaf it came from
    /// (verbatim when the leaf is written the same way) or to the action.
    fn push_value_text(&mut self, text: &str, v: &V, action: &Action) {
        let written = |origin: &Location| -> bool {
            origin.file == self.file && self.text.get(origin.span.start..origin.span.end) == Some(text)
        };
        match (&v.origin, &v.path) {
            (Some(origin), Some(path)) => {
                let via = Via::Value { path: path.clone() };
                self.out.push_generated(text, *origin, via);
            }
            (Some(origin), None) if written(origin) => self.out.push_verbatim(text, *origin, Via::Literal),
            _ => self.out.push_generated(text, Location::new(self.file, action.span), Via::Action),
        }
    }

    fn assign(&mut self, pipe: &Pipeline, value: Val) {
        let Some(name) = pipe.declared.first() else { return };
        if pipe.reassign {
            for scope in self.scopes.iter_mut().rev() {
                if let Some(slot) = scope.iter_mut().rev().find(|(n, _)| n == name) {
                    slot.1 = value;
                    return;
                }
            }
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.clone(), value));
        }
    }

    fn variable(&self, name: &str) -> Val {
        for scope in self.scopes.iter().rev() {
            if let Some((_, v)) = scope.iter().rev().find(|(n, _)| n == name) {
                return v.clone();
            }
        }
        Val::Unknown
    }

    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.scopes.push(Vec::new());
        let result = f(self);
        self.scopes.pop();
        result
    }

    fn conditional(
        &mut self,
        arms: &[Arm],
        otherwise: &Option<(Action, Vec<Item>)>,
        end: &Option<Action>,
        dot: &Val,
        with: bool,
    ) -> Flow {
        let mark = (self.out.text.len(), self.out.pieces.len(), self.trim_next);
        let flow = self.conditional_chain(arms, otherwise, end, dot, with);
        // An undecided chain whose every branch renders nothing renders
        // nothing whichever way it goes: gone, as Helm's output has it
        // (its markers still trim), rather than an unknown left in place.
        let chain: Vec<Span> = arms
            .iter()
            .map(|a| a.action.span)
            .chain(otherwise.iter().map(|(a, _)| a.span))
            .chain(end.iter().map(|a| a.span))
            .collect();
        let added = &self.out.pieces[mark.1.min(self.out.pieces.len())..];
        // A chain action left in place, maybe joined to the blank text
        // before it.
        let is_chain = |p: &crate::provenance::Piece| {
            p.origin.file == self.file
                && chain.iter().any(|c| {
                    let o = p.origin.span;
                    o.start <= c.start
                        && c.end == o.end
                        && self.text.get(o.start..c.start).is_some_and(|t| t.trim().is_empty())
                })
        };
        let left_open = added.iter().any(is_chain);
        let only_chain = added.iter().all(|p| is_chain(p) || self.out.text[p.span.start..p.span.end].trim().is_empty())
            && self.out.pieces.get(mark.1.wrapping_sub(1)).is_none_or(|p| p.span.end <= mark.0);
        // Text outside pieces (glue) must be blank too.
        let mut glue_blank = true;
        let mut at = mark.0;
        for p in added {
            glue_blank &= self.out.text.get(at..p.span.start).is_none_or(|t| t.trim().is_empty());
            at = p.span.end;
        }
        glue_blank &= self.out.text.get(at..).is_none_or(|t| t.trim().is_empty());
        if left_open && only_chain && glue_blank {
            self.out.text.truncate(mark.0);
            self.out.pieces.truncate(mark.1);
            self.trim_next = mark.2;
            if let Some(first) = arms.first() {
                self.evaluated(&first.action);
            }
            if let Some(end) = end {
                self.evaluated(end);
            }
            return Flow::Normal;
        }
        flow
    }

    /// An arm's body, with `.` the condition's value for `with` and the
    /// variable a `with $x := ...` declares.
    fn arm_body(&mut self, arm: &Arm, value: &Val, declared: Option<&str>, with: bool, dot: &Val) -> Flow {
        let inner_dot = if with { value.clone() } else { dot.clone() };
        self.scoped(|this| {
            if let Some(name) = declared {
                this.scopes.last_mut().unwrap().push((name.to_string(), value.clone()));
            }
            this.items(&arm.body, &inner_dot)
        })
    }

    fn conditional_chain(
        &mut self,
        arms: &[Arm],
        otherwise: &Option<(Action, Vec<Item>)>,
        end: &Option<Action>,
        dot: &Val,
        with: bool,
    ) -> Flow {
        let keyword = if with { "with" } else { "if" };
        let mut open = false;
        for (index, arm) in arms.iter().enumerate() {
            let value = self.scoped(|this| {
                let value = this.pipeline(&arm.condition, dot);
                // `with $x := ...` declares for the body; kept in the scope below.
                (value.clone(), arm.condition.declared.first().cloned())
            });
            let (value, declared) = value;
            match value.truthy() {
                Some(false) if !open => self.evaluated(&arm.action),
                Some(false) => {
                    // After an undecidable arm, a false one is still left
                    // out of the residual chain.
                }
                Some(true) if !open => {
                    self.evaluated(&arm.action);
                    let flow = self.arm_body(arm, &value, declared.as_deref(), with, dot);
                    // Skip the rest of the chain; its markers still trim.
                    self.skip_rest(&arms[index + 1..], otherwise, end);
                    return flow;
                }
                truth => {
                    // Undecidable (or true after an undecidable arm): both
                    // ways stay, as the template writes them.
                    if open {
                        match truth {
                            Some(true) => {
                                self.residual_as_else(&arm.action);
                            }
                            _ => self.residual(&arm.action),
                        }
                    } else {
                        self.residual_as(&arm.action, keyword);
                    }
                    open = true;
                    let flow = self.arm_body(arm, &value, declared.as_deref(), with, dot);
                    if truth == Some(true) {
                        // A known-true arm ends the chain: what follows never renders.
                        if let Some(end) = end {
                            self.residual(end);
                        }
                        let _ = flow;
                        return Flow::Normal;
                    }
                }
            }
        }
        match otherwise {
            Some((action, body)) => {
                if open {
                    self.residual(action);
                } else {
                    self.evaluated(action);
                }
                let flow = self.scoped(|this| this.items(body, dot));
                if let Some(end) = end {
                    if open {
                        self.residual(end);
                    } else {
                        self.evaluated(end);
                    }
                }
                if open {
                    Flow::Normal
                } else {
                    flow
                }
            }
            None => {
                if let Some(end) = end {
                    if open {
                        self.residual(end);
                    } else {
                        self.evaluated(end);
                    }
                }
                Flow::Normal
            }
        }
    }

    fn residual_as_else(&mut self, action: &Action) {
        self.trim_next = None;
        let origin = Location::new(self.file, action.span);
        let written = &self.text[action.span.start..action.span.end];
        let open = if written.starts_with("{{-") { "{{- " } else { "{{ " };
        let close = if written.ends_with("-}}") { " -}}" } else { " }}" };
        self.out.push_generated(&format!("{open}else{close}"), origin, Via::Literal);
    }

    /// The trim markers of the untaken rest of a chain.
    fn skip_rest(&mut self, arms: &[Arm], otherwise: &Option<(Action, Vec<Item>)>, end: &Option<Action>) {
        // The action that closes the taken body (`{{- else -}}` after
        // `127.0.0.1`) trims what the body rendered last; then only the
        // `end`'s right marker touches rendered text.
        let closer = arms.first().map(|a| &a.action).or(otherwise.as_ref().map(|(a, _)| a)).or(end.as_ref());
        if let Some(closer) = closer {
            self.evaluated(closer);
        }
        self.trim_next = None;
        if let Some(end) = end {
            self.evaluated(end);
        }
    }

    fn range(&mut self, arm: &Arm, otherwise: &Option<(Action, Vec<Item>)>, end: &Option<Action>, dot: &Val) -> Flow {
        let value = self.pipeline(&arm.condition, dot);
        let declared = &arm.condition.declared;
        let items: Option<Vec<(Val, Val)>> = match &value {
            Val::Data(v) => match &v.data {
                Data::List(items) => Some(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (Val::data(Data::Int(i as i64)), Val::Data(Rc::new(item.clone()))))
                        .collect(),
                ),
                Data::Map(members) => {
                    let mut sorted: Vec<&Member> = members.iter().collect();
                    sorted.sort_by(|a, b| a.key.cmp(&b.key));
                    Some(
                        sorted.iter().map(|m| (Val::str(m.key.clone()), Val::Data(Rc::new(m.value.clone())))).collect(),
                    )
                }
                Data::Int(n) => Some((0..*n).map(|i| (Val::data(Data::Int(i)), Val::data(Data::Int(i)))).collect()),
                Data::Null => Some(Vec::new()),
                _ => None,
            },
            _ => None,
        };
        match items {
            Some(items) if !items.is_empty() => {
                self.evaluated(&arm.action);
                for (key, item) in items {
                    // Every pass reads the body as written: the range
                    // action's `-}}` trims the start of each.
                    self.trim_next =
                        super::parse::trims_right(self.text, &arm.action).then_some((self.file, arm.action.span.end));
                    let flow = self.scoped(|this| {
                        let scope = this.scopes.last_mut().unwrap();
                        match declared.as_slice() {
                            [one] => scope.push((one.clone(), item.clone())),
                            [k, v, ..] => {
                                scope.push((k.clone(), key.clone()));
                                scope.push((v.clone(), item.clone()));
                            }
                            [] => {}
                        }
                        this.items(&arm.body, &item)
                    });
                    // Each pass ends at the `end` (or `else`): its marker trims.
                    match otherwise {
                        Some((action, _)) => self.evaluated(action),
                        None => {
                            if let Some(end) = end {
                                self.evaluated(end);
                            }
                        }
                    }
                    if matches!(flow, Flow::Break) {
                        break;
                    }
                }
                if let (Some(_), Some(end)) = (otherwise, end) {
                    self.evaluated(end);
                }
                Flow::Normal
            }
            Some(_) => {
                self.evaluated(&arm.action);
                if let Some((action, body)) = otherwise {
                    self.evaluated(action);
                    self.scoped(|this| this.items(body, dot));
                }
                if let Some(end) = end {
                    self.evaluated(end);
                }
                Flow::Normal
            }
            None => {
                // Over something unknown: the body once, as written.
                self.residual(&arm.action);
                self.scoped(|this| {
                    let scope = this.scopes.last_mut().unwrap();
                    for name in declared {
                        scope.push((name.clone(), Val::Unknown));
                    }
                    this.items(&arm.body, &Val::Unknown)
                });
                if let Some((action, body)) = otherwise {
                    self.residual(action);
                    self.scoped(|this| this.items(body, dot));
                }
                if let Some(end) = end {
                    self.residual(end);
                }
                Flow::Normal
            }
        }
    }

    // ---- pipelines ----

    fn pipeline(&mut self, pipe: &Pipeline, dot: &Val) -> Val {
        let mut value: Option<Val> = None;
        for command in &pipe.commands {
            value = Some(self.command(command, dot, value));
        }
        let value = value.unwrap_or(Val::Unknown);
        if !pipe.declared.is_empty() && !pipe.reassign {
            // `{{ $x := ... }}` inside a pipeline of a control action is
            // declared by the caller; an assignment renders nothing.
        }
        value
    }

    fn command(&mut self, command: &[Operand], dot: &Val, piped: Option<Val>) -> Val {
        let Some(first) = command.first() else { return Val::Unknown };
        match first {
            Operand::Ident(name) => {
                let name = name.clone();
                // `and`/`or` stop at the first operand that decides.
                if name == "and" || name == "or" {
                    return self.and_or(&name == "and", &command[1..], dot, piped);
                }
                let mut args: Vec<Val> = command[1..].iter().map(|o| self.operand(o, dot)).collect();
                if let Some(piped) = piped {
                    args.push(piped);
                }
                let result = self.call(&name, args);
                // Go's maps are shared: `set $ctx "k" v` and `mergeOverwrite
                // $dst ...` change the map the variable holds.
                if MUTATE_FIRST.contains(&name.as_str()) {
                    if let Some(Operand::Var(variable, fields)) = command.get(1) {
                        self.write_back(variable, fields, &result);
                    }
                }
                result
            }
            _ if command.len() == 1 && piped.is_none() => self.operand(first, dot),
            // A value with arguments (a method call): not something Helm's
            // values have.
            _ => Val::Unknown,
        }
    }

    /// Stores `value` where `$variable.fields` points, in the innermost
    /// scope that declares the variable; unknown when `value` is.
    fn write_back(&mut self, variable: &str, fields: &[String], value: &Val) {
        if variable.is_empty() {
            return;
        }
        let new_value = match value {
            Val::Data(v) if v.data != Data::Unknown => (**v).clone(),
            _ => V::new(Data::Unknown),
        };
        for scope in self.scopes.iter_mut().rev() {
            let Some(slot) = scope.iter_mut().rev().find(|(n, _)| n == variable) else { continue };
            let Val::Data(held) = &slot.1 else { return };
            let mut updated = (**held).clone();
            let mut here = &mut updated;
            for field in fields {
                if !matches!(here.data, Data::Map(_)) {
                    return;
                }
                if here.get(field).is_none() {
                    here.insert(field, None, V::empty_map());
                }
                here = here.get_mut(field).expect("inserted above");
            }
            *here = new_value;
            slot.1 = Val::Data(Rc::new(updated));
            return;
        }
    }

    fn and_or(&mut self, and: bool, operands: &[Operand], dot: &Val, piped: Option<Val>) -> Val {
        let mut values: Vec<Val> = Vec::new();
        let mut unknown = false;
        let evaluate = operands.iter().map(Some).chain(std::iter::once(None));
        let mut piped = piped;
        for next in evaluate {
            let value = match next {
                Some(operand) => self.operand(operand, dot),
                None => match piped.take() {
                    Some(value) => value,
                    None => break,
                },
            };
            match value.truthy() {
                // Decides, even after an unknown one: for truthiness,
                // which is what conditions use.
                Some(t) if t != and => return value,
                Some(_) => {}
                None => unknown = true,
            }
            values.push(value);
        }
        if unknown {
            return Val::Unknown;
        }
        values.pop().unwrap_or(Val::Unknown)
    }

    fn operand(&mut self, operand: &Operand, dot: &Val) -> Val {
        match operand {
            Operand::Field(names) => field(dot, names),
            Operand::Var(name, names) => {
                let base = if name.is_empty() { self.root.clone() } else { self.variable(name) };
                field(&base, names)
            }
            Operand::Str(s) => Val::str(s.clone()),
            Operand::Int(i) => Val::data(Data::Int(*i)),
            Operand::Float(f) => Val::data(Data::Float(*f)),
            Operand::Bool(b) => Val::bool(*b),
            Operand::Nil => Val::data(Data::Null),
            Operand::Ident(name) => self.call(name, Vec::new()),
            Operand::Sub(pipe, names) => {
                let value = self.scoped(|this| this.pipeline(pipe, dot));
                field(&value, names)
            }
        }
    }

    fn include(&mut self, name: &str, context: Val) -> Val {
        if let Some(value) = self.known_helper(name, &context) {
            return value;
        }
        let Some(define) = self.defines.get(name).copied() else { return Val::Unknown };
        if self.depth >= MAX_DEPTH || self.expanding.iter().any(|n| n == name) {
            return Val::Unknown;
        }
        let saved_out = std::mem::take(&mut self.out);
        let saved_file = (self.file, self.text, self.trim_next.take());
        let saved_scopes = std::mem::take(&mut self.scopes);
        self.scopes.push(vec![(String::new(), self.root.clone())]);
        self.file = define.file;
        self.text = define.text;
        self.depth += 1;
        self.expanding.push(name.to_string());
        self.items(define.body, &context);
        self.expanding.pop();
        self.depth -= 1;
        let rendered = std::mem::replace(&mut self.out, saved_out);
        self.file = saved_file.0;
        self.text = saved_file.1;
        self.trim_next = saved_file.2;
        self.scopes = saved_scopes;
        let residual = has_residual(&rendered);
        Val::Text(rendered, residual)
    }

    /// Library helpers often not vendored in a checkout, known by name.
    fn known_helper(&mut self, name: &str, context: &Val) -> Option<Val> {
        let argument = |key: &str| context.known().and_then(|c| c.get(key)).map(|v| Val::Data(Rc::new(v.clone())));
        match name {
            "common.compatibility.renderSecurityContext" => {
                // As Bitnami's common library renders a securityContext
                // section: the `enabled` switch left out, the IDs left out
                // on OpenShift, an empty `seLinuxOptions` left out where
                // asked, `capabilities` left out of a privileged container.
                let Some(Val::Data(sec)) = argument("secContext") else { return Some(Val::Unknown) };
                if contains_unknown(&sec) {
                    return Some(Val::Unknown);
                }
                let mut sec = (*sec).clone();
                sec.remove("enabled");
                let compatibility = argument("context")
                    .map(|c| field(&c, &["Values", "global", "compatibility"].map(String::from)))
                    .unwrap_or(Val::Unknown);
                let Some(compatibility) = compatibility.known().cloned() else { return Some(Val::Unknown) };
                let empty_selinux = sec.get("seLinuxOptions").is_none_or(|v| !v.truthy());
                // Only with the `openshift` section set does the helper adapt.
                let adapt = compatibility.get("openshift").and_then(|o| o.get("adaptSecurityContext")).map(V::to_text);
                let openshift = match adapt.as_deref() {
                    Some("force") => true,
                    Some("auto") => self.environment.openshift,
                    _ => false,
                };
                if openshift {
                    // OpenShift assigns these from the project's ranges.
                    for key in ["runAsUser", "runAsGroup", "fsGroup"] {
                        sec.remove(key);
                    }
                    if empty_selinux {
                        sec.remove("seLinuxOptions");
                    }
                }
                if compatibility.get("omitEmptySeLinuxOptions").is_some_and(V::truthy) && empty_selinux {
                    sec.remove("seLinuxOptions");
                }
                if sec.get("privileged").is_some_and(V::truthy) {
                    sec.remove("capabilities");
                }
                Some(to_yaml(&sec))
            }
            "common.tplvalues.render" => {
                let value = argument("value")?;
                let scope = argument("scope");
                match &value {
                    Val::Data(v) => match &v.data {
                        Data::Str(s) if s.contains("{{") => {
                            let _ = scope;
                            Some(self.tpl(s, context))
                        }
                        Data::Str(_) => Some(value.clone()),
                        Data::Unknown => Some(Val::Unknown),
                        _ => {
                            let rendered = to_yaml(v);
                            match &rendered {
                                Val::Text(e, _) if e.text.contains("{{") => Some(Val::Unknown),
                                _ => Some(rendered),
                            }
                        }
                    },
                    _ => Some(Val::Unknown),
                }
            }
            _ => None,
        }
    }

    /// `tpl`: a string from values read as a template. Its pieces point at
    /// the string's values leaf as a whole.
    fn tpl(&mut self, source: &str, context: &Val) -> Val {
        if !source.contains("{{") {
            return Val::str(source);
        }
        let template = super::parse::parse(source);
        // Only text and output of known values: anything else is unknown.
        let mut text = String::new();
        for item in &template.items {
            match item {
                Item::Text(span) => text.push_str(&source[span.start..span.end]),
                Item::Output(_, pipe) => {
                    let value = self.pipeline(pipe, context);
                    match value.text() {
                        Some(t) => text.push_str(&t),
                        None => return Val::Unknown,
                    }
                }
                _ => return Val::Unknown,
            }
        }
        Val::str(text)
    }

    // ---- functions ----

    fn call(&mut self, name: &str, args: Vec<Val>) -> Val {
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Unknown);
        let last = || args.last().cloned().unwrap_or(Val::Unknown);
        let any_unknown = args.iter().any(Val::is_unknown);
        match name {
            "include" | "template" => {
                let Some(name) = arg(0).text() else { return Val::Unknown };
                let context = args.get(1).cloned().unwrap_or(Val::data(Data::Null));
                self.include(&name, context)
            }
            "tpl" => match (arg(0).text(), args.get(1)) {
                (Some(source), Some(context)) => {
                    let context = context.clone();
                    self.tpl(&source, &context)
                }
                _ => Val::Unknown,
            },
            "toYaml" => match arg(0) {
                Val::Data(v) if !contains_unknown(&v) => to_yaml(&v),
                Val::Text(e, false) => Val::Text(e, false),
                _ => Val::Unknown,
            },
            "nindent" | "indent" => {
                let (Some(n), Some(text)) = (arg(0).known().and_then(as_int), args.get(1)) else { return Val::Unknown };
                let expansion = match text {
                    Val::Text(e, residual) => (e.clone(), *residual),
                    Val::Data(v) if v.data != Data::Unknown => {
                        let mut e = Expansion::new();
                        let s = v.to_text();
                        match &v.origin {
                            Some(o) => {
                                e.push_generated(&s, *o, v.path.clone().map_or(Via::Action, |path| Via::Value { path }))
                            }
                            None => e.push_glue(&s),
                        }
                        (e, false)
                    }
                    _ => return Val::Unknown,
                };
                let mut indented = expansion.0.indented(n.max(0) as usize);
                if name == "nindent" {
                    let mut with_break = Expansion::new();
                    with_break.push_glue("\n");
                    with_break.append(&indented);
                    indented = with_break;
                }
                Val::Text(indented, expansion.1)
            }
            "quote" | "squote" => {
                if any_unknown {
                    return Val::Unknown;
                }
                let q = if name == "quote" { '"' } else { '\'' };
                let parts: Vec<String> = args
                    .iter()
                    .map(|a| {
                        let s = a.text().unwrap_or_default();
                        let escaped = if q == '"' { s.replace('\\', "\\\\").replace('"', "\\\"") } else { s };
                        format!("{q}{escaped}{q}")
                    })
                    .collect();
                // Keep the origin of a single quoted value.
                match args.as_slice() {
                    [Val::Data(v)] => Val::Data(Rc::new(V { data: Data::Str(parts.join(" ")), ..(**v).clone() })),
                    _ => Val::str(parts.join(" ")),
                }
            }
            "default" => {
                let value = match args.len() {
                    0 | 1 => Val::data(Data::Null),
                    _ => last(),
                };
                match value.truthy() {
                    Some(true) => value,
                    Some(false) => arg(0),
                    None => Val::Unknown,
                }
            }
            "empty" => match arg(0).truthy() {
                Some(t) => Val::bool(!t),
                None => Val::Unknown,
            },
            "not" => match arg(0).truthy() {
                Some(t) => Val::bool(!t),
                None => Val::Unknown,
            },
            "required" => last(),
            "eq" | "ne" => {
                if any_unknown || args.len() < 2 {
                    return Val::Unknown;
                }
                let first = comparable(&args[0]);
                let equal = args[1..].iter().any(|a| comparable(a) == first);
                Val::bool(if name == "eq" { equal } else { !equal })
            }
            "lt" | "le" | "gt" | "ge" => {
                let (Some(a), Some(b)) = (arg(0).known().and_then(as_float), arg(1).known().and_then(as_float)) else {
                    return Val::Unknown;
                };
                Val::bool(match name {
                    "lt" => a < b,
                    "le" => a <= b,
                    "gt" => a > b,
                    _ => a >= b,
                })
            }
            "coalesce" => {
                for a in &args {
                    match a.truthy() {
                        Some(true) => return a.clone(),
                        Some(false) => {}
                        None => return Val::Unknown,
                    }
                }
                Val::data(Data::Null)
            }
            "ternary" => match arg(2).truthy() {
                Some(true) => arg(0),
                Some(false) => arg(1),
                None => Val::Unknown,
            },
            "hasKey" => match (arg(0).known(), arg(1).text()) {
                (Some(map), Some(key)) => Val::bool(map.get(&key).is_some()),
                _ => Val::Unknown,
            },
            "get" => match (arg(0).known(), arg(1).text()) {
                (Some(map), Some(key)) => map.get(&key).map_or(Val::str(""), |v| Val::Data(Rc::new(v.clone()))),
                _ => Val::Unknown,
            },
            "index" => {
                let mut value = arg(0);
                for key in &args[1.min(args.len())..] {
                    value = match (value.known(), key.known()) {
                        (Some(v), Some(k)) => match (&v.data, &k.data) {
                            (Data::Map(_), _) => {
                                v.get(&k.to_text()).map_or(Val::data(Data::Null), |c| Val::Data(Rc::new(c.clone())))
                            }
                            (Data::List(items), Data::Int(i)) => {
                                items.get(*i as usize).map_or(Val::Unknown, |c| Val::Data(Rc::new(c.clone())))
                            }
                            _ => Val::Unknown,
                        },
                        _ => Val::Unknown,
                    };
                }
                value
            }
            "dict" => {
                let mut map = V::empty_map();
                for pair in args.chunks(2) {
                    let Some(key) = pair[0].text() else { return Val::Unknown };
                    let value = match pair.get(1) {
                        Some(Val::Data(v)) => (**v).clone(),
                        Some(Val::Text(e, false)) => V::str(e.text.clone()),
                        Some(_) => V::new(Data::Unknown),
                        None => V::null(),
                    };
                    map.insert(&key, None, value);
                }
                Val::Data(Rc::new(map))
            }
            "list" | "tuple" => {
                let items: Option<Vec<V>> = args.iter().map(|a| a.known().cloned()).collect();
                items.map_or(Val::Unknown, |items| Val::data(Data::List(items.into())))
            }
            "omit" | "pick" => {
                let Some(map) = arg(0).known().cloned() else { return Val::Unknown };
                let keys: Vec<String> = args[1..].iter().filter_map(Val::text).collect();
                let mut map = map;
                if let Data::Map(members) = &mut map.data {
                    Rc::make_mut(members).retain(|m| keys.contains(&m.key) == (name == "pick"));
                }
                Val::Data(Rc::new(map))
            }
            "merge" | "mergeOverwrite" => {
                let maps: Option<Vec<V>> = args.iter().map(|a| a.known().cloned()).collect();
                let Some(maps) = maps else { return Val::Unknown };
                let mut iter = maps.into_iter();
                let Some(mut result) = iter.next() else { return Val::Unknown };
                for next in iter {
                    if name == "merge" {
                        fill_missing(&mut result, &next);
                    } else {
                        super::values::merge(&mut result, next);
                    }
                }
                Val::Data(Rc::new(result))
            }
            "deepCopy" | "toString" if name == "deepCopy" => arg(0),
            "toString" => arg(0).text().map_or(Val::Unknown, Val::str),
            "int" | "int64" => match arg(0).known() {
                Some(v) => match &v.data {
                    Data::Int(i) => Val::data(Data::Int(*i)),
                    Data::Float(f) => Val::data(Data::Int(*f as i64)),
                    Data::Str(s) => Val::data(Data::Int(s.trim().parse().unwrap_or(0))),
                    Data::Bool(b) => Val::data(Data::Int(*b as i64)),
                    _ => Val::data(Data::Int(0)),
                },
                None => Val::Unknown,
            },
            "print" | "cat" => {
                if any_unknown {
                    return Val::Unknown;
                }
                let sep = if name == "cat" { " " } else { "" };
                Val::str(args.iter().filter_map(Val::text).collect::<Vec<_>>().join(sep))
            }
            "printf" => {
                if any_unknown {
                    return Val::Unknown;
                }
                let Some(format) = arg(0).text() else { return Val::Unknown };
                printf(&format, &args[1..]).map_or(Val::Unknown, Val::str)
            }
            "trim" | "lower" | "upper" | "trimSuffix" | "trimPrefix" | "replace" | "trunc" | "contains"
            | "hasPrefix" | "hasSuffix" => strings(name, &args).unwrap_or(Val::Unknown),
            "kindIs" => match (arg(0).text(), arg(1).known()) {
                (Some(kind), Some(v)) => Val::bool(kind_of(v) == kind),
                _ => Val::Unknown,
            },
            "typeIs" => Val::Unknown,
            "len" => match arg(0).known().map(|v| &v.data) {
                Some(Data::List(items)) => Val::data(Data::Int(items.len() as i64)),
                Some(Data::Map(members)) => Val::data(Data::Int(members.len() as i64)),
                Some(Data::Str(s)) => Val::data(Data::Int(s.len() as i64)),
                _ => Val::Unknown,
            },
            "fromYaml" => match arg(0).text() {
                Some(text) => {
                    let v = super::values::from_yaml(&text, FileId(u32::MAX));
                    Val::Data(Rc::new(strip_origins(v)))
                }
                None => Val::Unknown,
            },
            "semverCompare" => Val::Unknown,
            "set" => match (arg(0).known(), arg(1).text()) {
                (Some(map), Some(key)) if matches!(map.data, Data::Map(_)) => {
                    let mut map = map.clone();
                    let value = match arg(2) {
                        Val::Data(v) => (*v).clone(),
                        Val::Text(e, false) => V::str(e.text),
                        _ => V::new(Data::Unknown),
                    };
                    map.insert(&key, None, value);
                    Val::Data(Rc::new(map))
                }
                _ => Val::Unknown,
            },
            "unset" => match (arg(0).known(), arg(1).text()) {
                (Some(map), Some(key)) => {
                    let mut map = map.clone();
                    map.remove(&key);
                    Val::Data(Rc::new(map))
                }
                _ => Val::Unknown,
            },
            "dig" => {
                // dig "a" "b" default map
                let (Some(map), Some(default)) =
                    (args.last().and_then(Val::known), args.len().checked_sub(2).map(|i| args[i].clone()))
                else {
                    return Val::Unknown;
                };
                let keys: Option<Vec<String>> = args[..args.len() - 2].iter().map(Val::text).collect();
                let Some(keys) = keys else { return Val::Unknown };
                let mut here = map;
                for key in &keys {
                    match &here.data {
                        Data::Map(_) => match here.get(key) {
                            Some(next) => here = next,
                            None => return default,
                        },
                        Data::Unknown => return Val::Unknown,
                        _ => return default,
                    }
                }
                if here.data == Data::Unknown {
                    return Val::Unknown;
                }
                Val::Data(Rc::new(here.clone()))
            }
            "until" | "untilStep" => {
                let numbers: Option<Vec<i64>> = args.iter().map(|a| a.known().and_then(as_int)).collect();
                let Some(numbers) = numbers else { return Val::Unknown };
                let (start, stop, step) = match numbers.as_slice() {
                    [n] => (0, *n, 1),
                    [a, b, c] if *c != 0 => (*a, *b, *c),
                    _ => return Val::Unknown,
                };
                let mut items = Vec::new();
                let mut i = start;
                while (step > 0 && i < stop) || (step < 0 && i > stop) {
                    if items.len() >= 10_000 {
                        return Val::Unknown;
                    }
                    items.push(V::new(Data::Int(i)));
                    i += step;
                }
                Val::data(Data::List(items.into()))
            }
            "add" | "sub" | "mul" | "div" | "mod" | "max" | "min" | "add1" | "sub1" => {
                let numbers: Option<Vec<i64>> = args.iter().map(|a| a.known().and_then(as_int)).collect();
                let Some(numbers) = numbers else { return Val::Unknown };
                let result = match (name, numbers.as_slice()) {
                    ("add1", [a]) => a.checked_add(1),
                    ("sub1", [a]) => a.checked_sub(1),
                    ("add", all) => all.iter().try_fold(0i64, |sum, n| sum.checked_add(*n)),
                    ("mul", all) => all.iter().try_fold(1i64, |product, n| product.checked_mul(*n)),
                    ("max", [first, rest @ ..]) => Some(rest.iter().fold(*first, |m, n| m.max(*n))),
                    ("min", [first, rest @ ..]) => Some(rest.iter().fold(*first, |m, n| m.min(*n))),
                    ("sub", [a, b]) => a.checked_sub(*b),
                    ("div", [a, b]) => a.checked_div(*b),
                    ("mod", [a, b]) => a.checked_rem(*b),
                    _ => None,
                };
                result.map_or(Val::Unknown, |n| Val::data(Data::Int(n)))
            }
            "first" | "last" | "rest" | "initial" => match arg(0).known().map(|v| &v.data) {
                Some(Data::List(items)) => match name {
                    "first" => items.first().map_or(Val::data(Data::Null), |v| Val::Data(Rc::new(v.clone()))),
                    "last" => items.last().map_or(Val::data(Data::Null), |v| Val::Data(Rc::new(v.clone()))),
                    "rest" => Val::data(Data::List(items.iter().skip(1).cloned().collect::<Vec<_>>().into())),
                    _ => Val::data(Data::List(items[..items.len().saturating_sub(1)].to_vec().into())),
                },
                _ => Val::Unknown,
            },
            "has" => match (arg(0).known(), arg(1).known().map(|v| &v.data)) {
                (Some(needle), Some(Data::List(items))) => Val::bool(items.iter().any(|i| i.data == needle.data)),
                _ => Val::Unknown,
            },
            "append" | "mustAppend" | "prepend" | "mustPrepend" => {
                match (arg(0).known().map(|v| &v.data), arg(1).known()) {
                    (Some(Data::List(items)), Some(item)) => {
                        let mut items: Vec<V> = items.to_vec();
                        if name.contains("repend") {
                            items.insert(0, item.clone());
                        } else {
                            items.push(item.clone());
                        }
                        Val::data(Data::List(items.into()))
                    }
                    _ => Val::Unknown,
                }
            }
            "concat" => {
                let mut all = Vec::new();
                for a in &args {
                    match a.known().map(|v| &v.data) {
                        Some(Data::List(items)) => all.extend(items.iter().cloned()),
                        Some(Data::Null) => {}
                        _ => return Val::Unknown,
                    }
                }
                Val::data(Data::List(all.into()))
            }
            "keys" => {
                let mut keys = Vec::new();
                for a in &args {
                    match a.known().map(|v| &v.data) {
                        Some(Data::Map(members)) => keys.extend(members.iter().map(|m| V::str(m.key.clone()))),
                        _ => return Val::Unknown,
                    }
                }
                Val::data(Data::List(keys.into()))
            }
            "sortAlpha" => match arg(0).known().map(|v| &v.data) {
                Some(Data::List(items)) => {
                    let mut texts: Vec<String> = items.iter().map(V::to_text).collect();
                    texts.sort();
                    Val::data(Data::List(texts.into_iter().map(V::str).collect::<Vec<_>>().into()))
                }
                _ => Val::Unknown,
            },
            "splitList" => match (arg(0).text(), arg(1).text()) {
                (Some(separator), Some(text)) if !separator.is_empty() => {
                    Val::data(Data::List(text.split(separator.as_str()).map(V::str).collect::<Vec<_>>().into()))
                }
                _ => Val::Unknown,
            },
            "join" => match (arg(0).text(), arg(1).known().map(|v| &v.data)) {
                (Some(separator), Some(Data::List(items))) => {
                    Val::str(items.iter().map(V::to_text).collect::<Vec<_>>().join(&separator))
                }
                _ => Val::Unknown,
            },
            "kindOf" => arg(0).known().map_or(Val::Unknown, |v| Val::str(kind_of(v))),
            // Anything else (lookup, randAlphaNum, b64enc, sha256sum, ...):
            // unknown, and nothing is guessed.
            _ => Val::Unknown,
        }
    }
}

/// `.a.b` on a value: missing keys of a known map are nothing (Helm's
/// `missingkey=zero`), anything on an unknown is unknown.
fn field<S: AsRef<str>>(base: &Val, names: &[S]) -> Val {
    if names.is_empty() {
        return base.clone();
    }
    let Val::Data(root) = base else { return Val::Unknown };
    let mut here: &V = root;
    let mut key_origin = None;
    for name in names {
        match &here.data {
            Data::Unknown => return Val::Unknown,
            Data::Map(_) => match here.member(name.as_ref()) {
                Some(member) => {
                    key_origin = member.key_origin;
                    here = &member.value;
                }
                None => return Val::data(Data::Null),
            },
            Data::Null => return Val::data(Data::Null),
            _ => return Val::Unknown,
        }
    }
    let mut value = here.clone();
    if key_origin.is_some() {
        value.key = key_origin;
    }
    Val::Data(Rc::new(value))
}

/// Whether a pipeline ends in `nindent`/`indent`: its lines are a block
/// of their own.
fn indents(pipe: &Pipeline) -> bool {
    matches!(pipe.commands.last().and_then(|c| c.first()), Some(Operand::Ident(name)) if name == "nindent" || name == "indent")
}

/// `N` of a pipeline ending in `nindent N`.
fn nindent_of(pipe: &Pipeline) -> Option<usize> {
    match pipe.commands.last()?.as_slice() {
        [Operand::Ident(name), Operand::Int(n)] if name == "nindent" && *n >= 0 => Some(*n as usize),
        _ => None,
    }
}

fn contains_unknown(v: &V) -> bool {
    match &v.data {
        Data::Unknown => true,
        Data::Map(members) => members.iter().any(|m| contains_unknown(&m.value)),
        Data::List(items) => items.iter().any(contains_unknown),
        _ => false,
    }
}

fn has_residual(expansion: &Expansion) -> bool {
    expansion.text.contains("{{")
}

fn as_int(v: &V) -> Option<i64> {
    match &v.data {
        Data::Int(i) => Some(*i),
        Data::Float(f) => Some(*f as i64),
        Data::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_float(v: &V) -> Option<f64> {
    match &v.data {
        Data::Int(i) => Some(*i as f64),
        Data::Float(f) => Some(*f),
        _ => None,
    }
}

/// A value as `eq` compares it (Helm's numbers from YAML are all float64).
fn comparable(value: &Val) -> String {
    match value {
        Val::Data(v) => match &v.data {
            Data::Int(i) => format!("n{}", *i as f64),
            Data::Float(f) => format!("n{f}"),
            Data::Str(s) => format!("s{s}"),
            Data::Bool(b) => format!("b{b}"),
            Data::Null => "null".into(),
            _ => format!("o{}", v.to_text()),
        },
        Val::Text(e, _) => format!("s{}", e.text),
        Val::Unknown => "?".into(),
    }
}

fn kind_of(v: &V) -> &'static str {
    match &v.data {
        Data::Null => "invalid",
        Data::Bool(_) => "bool",
        Data::Int(_) => "float64",
        Data::Float(_) => "float64",
        Data::Str(_) => "string",
        Data::List(_) => "slice",
        Data::Map(_) => "map",
        Data::Unknown => "unknown",
    }
}

fn fill_missing(target: &mut V, source: &V) {
    for member in source.members() {
        match target.get_mut(&member.key) {
            None => target.insert(&member.key, member.key_origin, member.value.clone()),
            Some(existing) if matches!(existing.data, Data::Map(_)) && matches!(member.value.data, Data::Map(_)) => {
                fill_missing(existing, &member.value)
            }
            Some(_) => {}
        }
    }
}

fn strip_origins(mut v: V) -> V {
    v.origin = None;
    match &mut v.data {
        Data::Map(members) => {
            for m in Rc::make_mut(members) {
                m.key_origin = None;
                m.value = strip_origins(std::mem::replace(&mut m.value, V::null()));
            }
        }
        Data::List(items) => {
            for item in Rc::make_mut(items) {
                *item = strip_origins(std::mem::replace(item, V::null()));
            }
        }
        _ => {}
    }
    v
}

fn strings(name: &str, args: &[Val]) -> Option<Val> {
    let texts: Vec<String> = args.iter().map(Val::text).collect::<Option<_>>()?;
    let last = texts.last()?.clone();
    Some(match name {
        "trim" => Val::str(last.trim()),
        "lower" => Val::str(last.to_lowercase()),
        "upper" => Val::str(last.to_uppercase()),
        "trimSuffix" => Val::str(last.strip_suffix(texts[0].as_str()).unwrap_or(&last)),
        "trimPrefix" => Val::str(last.strip_prefix(texts[0].as_str()).unwrap_or(&last)),
        "replace" if texts.len() == 3 => Val::str(last.replace(texts[0].as_str(), &texts[1])),
        "trunc" => {
            let n: i64 = texts[0].parse().ok()?;
            Val::str(if n >= 0 { last.chars().take(n as usize).collect::<String>() } else { last })
        }
        "contains" => Val::bool(last.contains(texts[0].as_str())),
        "hasPrefix" => Val::bool(last.starts_with(texts[0].as_str())),
        "hasSuffix" => Val::bool(last.ends_with(texts[0].as_str())),
        _ => return None,
    })
}

/// `printf` for the verbs charts use with known values.
fn printf(format: &str, args: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'v' | 'd' => out.push_str(&args.next()?.text()?),
            'q' => out.push_str(&format!("{:?}", args.next()?.text()?)),
            _ => return None,
        }
    }
    Some(out)
}

/// `toYaml`: the value as sigs.k8s.io/yaml writes it (keys sorted, no
/// trailing line break), every key and scalar a piece pointing at where
/// the values file writes it.
pub fn to_yaml(v: &V) -> Val {
    let mut out = Expansion::new();
    write_yaml(&mut out, v, 0, Context::Top);
    Val::Text(out, false)
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Top,
    /// After `key:`.
    Value,
    /// After `- `.
    Item,
}

fn write_yaml(out: &mut Expansion, v: &V, indent: usize, context: Context) {
    let pad = " ".repeat(indent);
    match &v.data {
        Data::Map(members) if !members.is_empty() => {
            let mut sorted: Vec<&Member> = members.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            for (i, member) in sorted.iter().enumerate() {
                match (context, i) {
                    (Context::Value, 0) => out.push_glue(&format!("\n{pad}")),
                    (Context::Item, 0) | (Context::Top, 0) => {}
                    _ => out.push_glue(&format!("\n{pad}")),
                }
                let key = yaml_scalar_text(&member.key);
                let via = member.value.path.clone().map_or(Via::Action, |path| Via::Value { path });
                match member.key_origin {
                    Some(origin) => out.push_generated(&key, origin, via),
                    None => out.push_glue(&key),
                }
                out.push_glue(":");
                let child = &member.value;
                match &child.data {
                    Data::Map(m) if !m.is_empty() => write_yaml(out, child, indent + 2, Context::Value),
                    Data::List(items) if !items.is_empty() => write_yaml(out, child, indent, Context::Value),
                    _ => {
                        out.push_glue(" ");
                        write_yaml(out, child, indent + 2, Context::Value);
                    }
                }
            }
        }
        Data::List(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                match (context, i) {
                    (Context::Top, 0) | (Context::Item, 0) => {}
                    _ => out.push_glue(&format!("\n{pad}")),
                }
                out.push_glue("- ");
                write_yaml(out, item, indent + 2, Context::Item);
            }
        }
        _ => {
            let text = match &v.data {
                Data::Map(_) => "{}".to_string(),
                Data::List(_) => "[]".to_string(),
                Data::Null => "null".to_string(),
                Data::Str(s) => yaml_scalar_text(s),
                other => V::new(other.clone()).to_text(),
            };
            let via = v.path.clone().map_or(Via::Action, |path| Via::Value { path });
            match v.origin {
                Some(origin) if origin.file.0 != u32::MAX => out.push_generated(&text, origin, via),
                _ => out.push_glue(&text),
            }
        }
    }
}

/// A string as YAML writes it so it reads back as the same string.
fn yaml_scalar_text(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && plain_scalar(s) == Data::Str(s.to_string())
        && !s.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
        ])
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(['\n', '\t', '\r']);
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// The root object templates see.
pub fn root_context(values: V, chart: &V, template_name: &str) -> V {
    let mut root = V::empty_map();
    root.insert("Values", None, values);
    let mut chart_object = V::empty_map();
    for (from, to) in [
        ("name", "Name"),
        ("version", "Version"),
        ("appVersion", "AppVersion"),
        ("description", "Description"),
        ("type", "Type"),
        ("kubeVersion", "KubeVersion"),
    ] {
        if let Some(v) = chart.get(from) {
            chart_object.insert(to, None, v.clone());
        }
    }
    root.insert("Chart", None, chart_object);
    let mut release = V::empty_map();
    release.insert("Name", None, V::new(Data::Unknown));
    release.insert("Namespace", None, V::new(Data::Unknown));
    release.insert("Service", None, V::str("Helm"));
    release.insert("IsInstall", None, V::new(Data::Bool(true)));
    release.insert("IsUpgrade", None, V::new(Data::Bool(false)));
    release.insert("Revision", None, V::new(Data::Int(1)));
    root.insert("Release", None, release);
    root.insert("Capabilities", None, V::new(Data::Unknown));
    root.insert("Files", None, V::new(Data::Unknown));
    let mut template = V::empty_map();
    template.insert("Name", None, V::str(template_name));
    template.insert("BasePath", None, V::str(template_name.rsplit_once('/').map_or("", |(d, _)| d)));
    root.insert("Template", None, template);
    root
}

/// Values with their dotted paths attached, under `prefix` for a subchart
/// (the root itself has no path).
pub fn with_paths(values: V, prefix: &str) -> V {
    let mut values = values.with_paths(prefix);
    values.path = None;
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helm::parse;
    use crate::helm::values::from_yaml;

    /// `template` rendered with `values`, its defines in `helpers`.
    fn render(template: &str, helpers: &str, values: &str) -> String {
        let parsed = parse::parse(template);
        let helper_template = parse::parse(helpers);
        let mut defines = HashMap::new();
        for (name, body) in &helper_template.defines {
            defines.insert(name.clone(), Define { file: FileId(1), text: helpers, body });
        }
        let environment = Environment::default();
        let values = with_paths(from_yaml(values, FileId(2)), "");
        let root = root_context(values, &V::empty_map(), "chart/templates/t.yaml");
        let evaluator = Evaluator::new(&defines, &environment, Rc::new(root));
        evaluator.render(&SourceText { file: FileId(0), text: template, template: &parsed }).expansion.text
    }

    #[test]
    fn every_pass_of_a_range_is_trimmed_as_written() {
        let helpers = "{{- define \"roles\" -}}\n{{- range .Values.roles -}}\n{{ . }},\n{{- end -}}\n{{- end -}}";
        let text = render("value: \"{{ include \"roles\" . }}\"\n", helpers, "roles: [master, data, ingest]\n");
        assert_eq!(text, "value: \"master,data,ingest,\"\n");
    }

    #[test]
    fn the_else_after_a_taken_branch_trims_what_it_rendered() {
        let helpers = "{{- define \"ip\" -}}\n{{- if eq .Values.type \"ClusterIP\" -}}\n127.0.0.1\n{{- else -}}\n{{ .Values.ip }}\n{{- end -}}\n{{- end -}}";
        let text = render("host: \"{{ include \"ip\" . }}\"\n", helpers, "type: ClusterIP\n");
        assert_eq!(text, "host: \"127.0.0.1\"\n");
    }

    #[test]
    fn an_undecided_branch_that_renders_nothing_either_way_is_gone() {
        let template = "spec:\n  containers: []\n  {{- if semverCompare \">=1.19-0\" .Capabilities.KubeVersion.Version }}\n  {{- with .Values.spread }}\n  topologySpreadConstraints: {{ toYaml . }}\n  {{- end }}\n  {{- end }}\n  hostNetwork: false\n";
        assert_eq!(render(template, "", "spread: []\n"), "spec:\n  containers: []\n  hostNetwork: false\n");
        // With something to render, both ways stay.
        let kept = render(template, "", "spread: [a]\n");
        assert!(kept.contains("{{- if semverCompare") && kept.contains("topologySpreadConstraints: - a"), "{kept}");
    }

    #[test]
    fn set_changes_the_map_its_variable_holds() {
        let template = "{{- $ctx := dict \"a\" 1 -}}\n{{- $_ := set $ctx \"user\" .Values.uid -}}\n{{- range $i := until 2 }}\nuser{{ $i }}: {{ $ctx.user }}\n{{- end }}\n";
        assert_eq!(render(template, "", "uid: 1001\n"), "\nuser0: 1001\nuser1: 1001\n");
    }

    #[test]
    fn a_half_known_include_inside_a_line_stays_one_action() {
        let helpers = "{{- define \"fullname\" -}}\n{{- if contains \"x\" .Release.Name }}\n{{- .Release.Name }}\n{{- else }}\n{{- printf \"%s-x\" .Release.Name }}\n{{- end }}\n{{- end -}}";
        let text = render("name: {{ include \"fullname\" . }}-cleanup\n", helpers, "");
        assert_eq!(text, "name: {{ include \"fullname\" . }}-cleanup\n");
    }

    #[test]
    fn the_bitnami_helper_drops_the_switch_and_a_privileged_container_s_capabilities() {
        let template = "securityContext: {{- include \"common.compatibility.renderSecurityContext\" (dict \"secContext\" .Values.sc \"context\" $) | nindent 2 }}\n";
        let values = "sc:\n  enabled: true\n  privileged: true\n  capabilities:\n    drop: [ALL]\n  runAsUser: 1001\nglobal:\n  compatibility:\n    omitEmptySeLinuxOptions: true\n";
        assert_eq!(render(template, "", values), "securityContext:\n  privileged: true\n  runAsUser: 1001\n");
        let forced = format!("{values}    openshift:\n      adaptSecurityContext: force\n");
        assert_eq!(render(template, "", &forced), "securityContext:\n  privileged: true\n");
    }
}
