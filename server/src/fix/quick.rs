//! Quick fixes: the edits that resolve one finding, where a safe one exists.

use super::edit::{self, Editor, New, NewEntry, Style};
use super::{Action, ActionKind, Target, TextEdit};
use crate::analysis::rules::{self, RuleGroup, Severity};
use crate::analysis::structure::profile_from_annotation;
use crate::analysis::values::{self, same_value, Reading};
use crate::analysis::{Finding, BASELINE_CAPABILITIES};
use crate::catalog::{Catalog, Field, FieldType};
use crate::model::{Container, PodSpec, Workloads, REMOVED_APIS};
use crate::syntax::comment_start;
use crate::syntax::{Entry, Node, ParsedFile, Scalar, ScalarStyle, Span, Value, MAX_DEPTH};

/// One file, parsed, with its layout conventions.
pub(super) struct Cx<'a> {
    pub text: &'a str,
    pub file: &'a ParsedFile,
    pub ed: Editor<'a>,
}

impl<'a> Cx<'a> {
    pub fn new(text: &'a str, file: &'a ParsedFile) -> Self {
        let style = Style::detect(text, file.documents.iter().filter_map(|d| d.root.as_ref()));
        Cx { text, file, ed: Editor { text, style } }
    }

    pub fn source(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// An action, unless an edit would touch a Helm template action, or an
    /// alias or merge key (its text stands for the anchored node).
    pub fn action(
        &self,
        title: String,
        kind: ActionKind,
        edits: Vec<TextEdit>,
        preferred: bool,
        safe: bool,
        fixes: Vec<Target>,
    ) -> Option<Action> {
        let untouchable = |e: &TextEdit| self.file.templates.is_templated(e.span) || self.file.touches_followed(e.span);
        if edits.is_empty() || edits.iter().any(untouchable) {
            return None;
        }
        Some(Action {
            title,
            kind,
            is_preferred: preferred,
            safe,
            fixes,
            edits: edit::normalize(self.text, edits),
            reveals: false,
        })
    }
}

pub(super) fn within(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

pub(super) fn pod_contains(pod: &PodSpec, span: Span) -> bool {
    within(pod.spec.span, span) || pod.metadata.is_some_and(|m| within(m.span, span))
}

/// Whether the node at a finding is a key, a value or a sequence item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum At {
    Key,
    Value,
    Item,
}

/// The path to the node a span covers: each step a collection and the
/// index of the entry or item taken in it.
pub(super) struct Loc<'a> {
    pub steps: Vec<(&'a Node, usize)>,
    pub at: At,
}

impl<'a> Loc<'a> {
    /// The entry `up` steps above the last (0: the last step's own entry).
    pub fn entry(&self, up: usize) -> Option<(&'a Node, usize, &'a Entry)> {
        let (node, i) = *self.steps.get(self.steps.len().checked_sub(1 + up)?)?;
        Some((node, i, node.as_mapping()?.get(i)?))
    }

    pub fn item(&self) -> Option<(&'a Node, usize, &'a Node)> {
        let (node, i) = *self.steps.last()?;
        Some((node, i, node.as_sequence()?.get(i)?))
    }

    /// The node the span covers.
    pub fn node(&self) -> Option<&'a Node> {
        match self.at {
            At::Item => self.item().map(|(_, _, n)| n),
            At::Key => self.entry(0).map(|(_, _, e)| &e.key),
            At::Value => self.entry(0).map(|(_, _, e)| &e.value),
        }
    }

    /// Removal levels from the last entry up to (and with `owner_too`,
    /// including) the entry of `owner` holding the path: pruning stops at
    /// the first list.
    pub fn levels(&self, owner: &Node, owner_too: bool) -> Vec<(&'a Node, usize)> {
        let mut levels = Vec::new();
        for &(node, i) in self.steps.iter().rev() {
            if node.as_mapping().is_none() {
                break;
            }
            if std::ptr::eq(node, owner) {
                if owner_too {
                    levels.push((node, i));
                }
                break;
            }
            levels.push((node, i));
        }
        levels
    }
}

pub(super) fn locate(root: &Node, span: Span) -> Option<Loc<'_>> {
    let mut steps = Vec::new();
    let at = locate_in(root, span, &mut steps, 0)?;
    Some(Loc { steps, at })
}

fn locate_in<'a>(node: &'a Node, span: Span, steps: &mut Vec<(&'a Node, usize)>, depth: usize) -> Option<At> {
    if depth > MAX_DEPTH || !within(node.span, span) {
        return None;
    }
    match &node.value {
        Value::Mapping(entries) => {
            for (i, e) in entries.iter().enumerate() {
                if e.key.span == span {
                    steps.push((node, i));
                    return Some(At::Key);
                }
                if within(e.value.span, span) {
                    steps.push((node, i));
                    // A block list not indented under its key starts at its
                    // first item: the item, not the list, is meant.
                    if let Some(at) = locate_in(&e.value, span, steps, depth + 1) {
                        return Some(at);
                    }
                    if e.value.span == span {
                        return Some(At::Value);
                    }
                    steps.pop();
                }
            }
            None
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.span == span {
                    steps.push((node, i));
                    return Some(At::Item);
                }
                if within(item.span, span) {
                    steps.push((node, i));
                    if let Some(at) = locate_in(item, span, steps, depth + 1) {
                        return Some(at);
                    }
                    steps.pop();
                }
            }
            None
        }
        _ => None,
    }
}

/// A field of any catalog object, by name (names do not clash in type).
fn field_named(name: &str) -> Option<&'static Field> {
    Catalog::embedded().objects.iter().find_map(|o| o.field(name))
}

/// A string as a YAML scalar: plain where that reads back as the same string.
fn yaml_string(s: &str) -> String {
    let plain = Scalar { value: s.to_string(), style: ScalarStyle::Plain, tag: None };
    let safe = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
        && !s.starts_with(['-', '.'])
        && values::read_scalar(&plain) == Reading::String;
    if safe {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A capability name as Kubernetes compares it: upper case, no `CAP_`.
fn bare_capability(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

/// The quick fixes for `findings`.
pub(super) fn candidates(cx: &Cx, findings: &[&Finding]) -> Vec<Action> {
    let mut out = Vec::new();
    for document in &cx.file.documents {
        let Some(root) = &document.root else { continue };
        let workloads = Workloads::find(root);
        for finding in findings.iter().filter(|f| document.span.contains(f.span.start)) {
            let pod = workloads.pods.iter().find(|p| pod_contains(p, finding.span));
            let mut fixer = Fixer { cx, root, pod, finding, out: &mut out, reveals: false };
            fixer.run();
        }
    }
    for finding in findings.iter().filter(|f| f.rule == rules::INVALID_SUPPRESSION) {
        let token = cx.source(finding.span);
        if let Some(code) = crate::analysis::nearest_code(token).filter(|c| *c != token) {
            let target = Target { code: finding.rule.code, span: finding.span };
            out.extend(cx.action(
                format!("Change to `{code}`"),
                ActionKind::QuickFix,
                vec![Editor::replace(finding.span, code)],
                true,
                true,
                vec![target],
            ));
        }
    }
    merge(out)
}

/// Actions with the same edits become one that fixes all their findings.
pub(super) fn merge(actions: Vec<Action>) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for action in actions {
        match out.iter_mut().find(|b| b.kind == action.kind && b.edits == action.edits) {
            Some(same) => {
                for target in action.fixes {
                    if !same.fixes.contains(&target) {
                        same.fixes.push(target);
                    }
                }
                same.is_preferred |= action.is_preferred;
                same.safe |= action.safe;
                same.reveals &= action.reveals;
            }
            None => out.push(action),
        }
    }
    out
}

struct Fixer<'c, 'a> {
    cx: &'c Cx<'a>,
    root: &'a Node,
    pod: Option<&'c PodSpec<'a>>,
    finding: &'c Finding,
    out: &'c mut Vec<Action>,
    /// The actions being offered make a value readable (see `Action::reveals`).
    reveals: bool,
}

impl<'c, 'a> Fixer<'c, 'a> {
    fn ed(&self) -> &Editor<'a> {
        &self.cx.ed
    }

    fn offer(&mut self, title: String, edits: Option<Vec<TextEdit>>, preferred: bool, safe: bool) {
        let Some(edits) = edits else { return };
        let target = Target { code: self.finding.rule.code, span: self.finding.span };
        if let Some(mut action) = self.cx.action(title, ActionKind::QuickFix, edits, preferred, safe, vec![target]) {
            action.reveals = self.reveals;
            self.out.push(action);
        }
    }

    fn one(&mut self, title: String, edit: Option<TextEdit>, safe: bool) {
        self.offer(title, edit.map(|e| vec![e]), true, safe);
    }

    fn loc(&self) -> Option<Loc<'a>> {
        locate(self.root, self.finding.span)
    }

    fn container(&self) -> Option<&'c Container<'a>> {
        self.pod?.containers.iter().find(|c| within(c.node.span, self.finding.span))
    }

    fn source(&self, span: Span) -> &'a str {
        self.cx.source(span)
    }

    fn replace_here(&mut self, title: String, new_text: &str, safe: bool) {
        let edit = Editor::replace(self.finding.span, new_text);
        self.one(title, Some(edit), safe);
    }

    fn run(&mut self) {
        let rule = self.finding.rule;
        self.reveals = matches!(
            rule,
            rules::POD_ONLY_FIELD
                | rules::CONTAINER_ONLY_FIELD
                | rules::UNKNOWN_FIELD
                | rules::INVALID_TYPE
                | rules::YAML11_BOOLEAN
                | rules::INVALID_VALUE
                | rules::INVALID_CAPABILITY
        );
        match rule {
            rules::POD_ONLY_FIELD => self.move_to_pod(),
            rules::CONTAINER_ONLY_FIELD => self.move_to_containers(),
            rules::UNKNOWN_FIELD => self.rename_key(),
            rules::INVALID_TYPE => self.fix_type(),
            rules::YAML11_BOOLEAN => {
                if let Some(b) = self.loc().and_then(|l| l.node()).and_then(values::as_bool) {
                    self.replace_here(format!("Write `{b}`"), &b.to_string(), true);
                }
            }
            rules::INVALID_VALUE => self.nearest_enum_value(),
            rules::INVALID_CAPABILITY => self.normalize_capability(),
            rules::CONFLICTING_SETTINGS => self.conflict(),
            rules::DEPRECATED_ANNOTATION => self.annotation_to_field(),
            rules::PSS_PRIVILEGED => self.remove_privileged(),
            rules::PSS_CAPABILITIES_BASELINE | rules::PSS_CAPABILITIES_RESTRICTED | rules::DANGEROUS_CAPABILITY => {
                self.capabilities()
            }
            rules::PSS_HOST_PROBES => {
                self.remove_here("Remove `host` (the probe then targets the pod's own IP)".into(), false)
            }
            rules::PSS_APPARMOR => self.profile_type("AppArmor"),
            rules::PSS_SECCOMP_BASELINE => self.profile_type("seccomp"),
            rules::PSS_SECCOMP_RESTRICTED => self.seccomp_restricted(),
            rules::PSS_SELINUX => {
                let what = self
                    .loc()
                    .and_then(|l| l.entry(0))
                    .and_then(|(_, _, e)| e.key_str())
                    .unwrap_or("option")
                    .to_string();
                self.remove_here(format!("Remove the SELinux `{what}`"), false);
            }
            rules::PSS_PROC_MOUNT | rules::PSS_PROC_MOUNT_RESTRICTED => {
                self.replace_here("Set `procMount: Default`".into(), "Default", true)
            }
            rules::PSS_SYSCTLS => self.remove_sysctl(),
            rules::PSS_WINDOWS_HOST_PROCESS => self.remove_here("Remove `hostProcess: true`".into(), false),
            rules::PSS_ALLOW_PRIVILEGE_ESCALATION => self.no_escalation(),
            rules::READ_ONLY_ROOT_FILESYSTEM => self.set_in_container("readOnlyRootFilesystem", "true"),
            rules::PSS_RUN_AS_NON_ROOT => self.run_as_non_root(),
            rules::PSS_RUN_AS_USER => self.remove_root_user(),
            rules::RUN_AS_ROOT_GROUP if self.loc().is_some_and(|l| l.at == At::Item) => {
                self.remove_item_here("Remove GID 0 from `supplementalGroups`".into(), false);
            }
            rules::REDUNDANT_SETTING => self.remove_redundant(),
            rules::REMOVED_API => self.use_served_api(),
            _ => {}
        }
    }

    /// Removes the entry the finding is on (key or value), its comments kept.
    /// Within a securityContext, a nested object left empty goes too.
    fn remove_here(&mut self, title: String, safe: bool) {
        let Some(loc) = self.loc() else { return };
        let Some((mapping, i, _)) = loc.entry(0) else { return };
        let sc = match self.container() {
            Some(c) => c.security_context_map(),
            None => self.pod.and_then(|p| p.security_context_map()),
        };
        let levels =
            sc.filter(|sc| loc.steps.iter().any(|(n, _)| std::ptr::eq(*n, *sc))).map(|sc| loc.levels(sc, true));
        let edit = match levels {
            Some(levels) if !levels.is_empty() => self.ed().remove_pruned(&levels, true),
            _ => self.ed().remove_entry(mapping, i, true),
        };
        self.one(title, edit, safe);
    }

    fn remove_item_here(&mut self, title: String, safe: bool) {
        let Some(loc) = self.loc() else { return };
        let Some((seq, i, _)) = loc.item() else { return };
        let edit = self.remove_list_item(&loc, seq, i);
        self.one(title, edit, safe);
    }

    /// Removes an item; the last item of a block list takes its key along.
    fn remove_list_item(&self, loc: &Loc<'a>, seq: &'a Node, i: usize) -> Option<TextEdit> {
        let items = seq.as_sequence()?;
        if items.len() == 1 && !edit::is_flow(self.cx.text, seq) {
            let (mapping, j, _) = loc.entry(1)?;
            return self.ed().remove_entry(mapping, j, true);
        }
        self.ed().remove_item(seq, i, true)
    }

    /// A workload in an API version that is gone: the one that serves it.
    fn use_served_api(&mut self) {
        let Some(loc) = self.loc() else { return };
        let Some((object, _, entry)) = loc.entry(0) else { return };
        let kind = object.get("kind").and_then(Node::as_str);
        let (Some("apiVersion"), Some(written), Some(kind)) = (entry.key_str(), entry.value.as_str(), kind) else {
            return;
        };
        let removed = REMOVED_APIS.iter().find(|r| r.api_version == Some(written) && r.kinds.contains(&kind));
        let Some(replacement) = removed.and_then(|r| r.replacement) else { return };
        // The old versions defaulted the selector from the template's labels.
        let needs_selector = replacement == "apps/v1" && object.get_path(&["spec", "selector"]).is_none();
        let title = if needs_selector {
            format!("Use `apiVersion: {replacement}` (then add `spec.selector`)")
        } else {
            format!("Use `apiVersion: {replacement}`")
        };
        let edit = Editor::replace(entry.value.span, replacement);
        self.offer(title, Some(vec![edit]), !needs_selector, !needs_selector);
    }

    fn move_to_pod(&mut self) {
        let (Some(pod), Some(container)) = (self.pod, self.container()) else { return };
        let Some(loc) = self.loc() else { return };
        let Some((mapping, _, entry)) = loc.entry(0) else { return };
        let Some(key) = entry.key_str() else { return };
        let Some(raw) = self.ed().raw_entry(mapping, entry) else { return };
        let removal = self.ed().remove_pruned(&loc.levels(container.node, true), false);
        let existing = pod.security_context_map().and_then(|sc| sc.entry(key)).filter(|e| !e.value.is_null());
        let name = container.display_name();
        match existing {
            Some(pod_entry) if same_value(&pod_entry.value, &entry.value) => self.offer(
                format!("Remove `{key}` from container `{name}` (the pod securityContext already sets it)"),
                removal.map(|r| vec![r]),
                true,
                true,
            ),
            Some(pod_entry) => {
                let put = self.ed().put(pod.spec, &["securityContext"], raw);
                let old = self.source(pod_entry.value.span).trim().to_string();
                let old = if old.contains(['\n', '\r']) { "set there".to_string() } else { old };
                self.offer(
                    format!("Move `{key}` to the pod securityContext (replaces pod value {old})"),
                    removal.zip(put).map(|(r, p)| vec![r, p]),
                    false,
                    false,
                );
            }
            None => {
                let put = self.ed().put(pod.spec, &["securityContext"], raw);
                self.offer(
                    format!("Move `{key}` to the pod securityContext"),
                    removal.zip(put).map(|(r, p)| vec![r, p]),
                    true,
                    true,
                );
            }
        }
    }

    fn move_to_containers(&mut self) {
        let Some(pod) = self.pod else { return };
        let Some(loc) = self.loc() else { return };
        let Some((mapping, _, entry)) = loc.entry(0) else { return };
        let Some(key) = entry.key_str() else { return };
        let Some(raw) = self.ed().raw_entry(mapping, entry).map(without_comments) else { return };
        let mut edits = Vec::new();
        let mut given = 0;
        for container in &pod.containers {
            let own = container.security_context_map().and_then(|sc| sc.entry(key)).is_some_and(|e| !e.value.is_null());
            if own {
                continue;
            }
            match self.ed().put(container.node, &["securityContext"], raw.clone()) {
                Some(edit) => edits.push(edit),
                None => return,
            }
            given += 1;
        }
        let Some(removal) = self.ed().remove_pruned(&loc.levels(pod.spec, true), true) else { return };
        edits.push(removal.clone());
        if given == 0 {
            let title = format!("Remove `{key}` from the pod securityContext (every container sets its own)");
            self.offer(title, Some(edits), true, true);
            return;
        }
        let of = pod.containers.len();
        let remove = format!("Remove `{key}` from the pod securityContext (it has no effect there)");
        let loosened = loosened_by(self.cx.text, &edits);
        if loosened.is_empty() {
            let title = format!("Move `{key}` to the containers' securityContext ({given} of {of} containers)");
            self.offer(title, Some(edits), true, true);
            self.offer(remove, Some(vec![removal]), false, false);
        } else {
            // The setting has no effect where it is: moving it makes it take
            // effect, and what it allows. Removing it changes nothing.
            self.offer(remove, Some(vec![removal]), true, true);
            let title = format!(
                "Move `{key}` to the containers' securityContext ({given} of {of} containers): it then takes effect \
                 and loosens security ({})",
                loosened.join(", ")
            );
            self.offer(title, Some(edits), false, false);
        }
    }

    fn rename_key(&mut self) {
        let Some(loc) = self.loc() else { return };
        let Some((mapping, i, entry)) = loc.entry(0) else { return };
        let Some(key) = entry.key_str() else { return };
        let catalog = Catalog::embedded();
        let sc = catalog.security_context();
        let is = |node: Option<&Node>| node.is_some_and(|n| std::ptr::eq(n, mapping));
        let names: Vec<&str> = if self.pod.is_some_and(|p| is(p.security_context_map())) {
            sc.fields.iter().filter(|f| f.scope.allows_pod()).map(|f| f.name.as_str()).collect()
        } else if self.pod.is_some_and(|p| p.containers.iter().any(|c| is(c.security_context_map()))) {
            sc.fields.iter().filter(|f| f.scope.allows_container()).map(|f| f.name.as_str()).collect()
        } else {
            // A nested object: named by the key above it (through a list for sysctls).
            let above = match loc.entry(1) {
                Some((_, _, e)) => e.key_str(),
                None => None,
            }
            .or_else(|| loc.entry(2).and_then(|(_, _, e)| e.key_str()));
            let Some(object) =
                above.and_then(field_named).and_then(|f| f.object.as_deref()).and_then(|o| catalog.object(o))
            else {
                return;
            };
            object.fields.iter().map(|f| f.name.as_str()).collect()
        };
        let Some(suggestion) = crate::analysis::nearest_name(key, &names) else { return };
        match mapping.entry(suggestion) {
            Some(other) if same_value(&other.value, &entry.value) => {
                let edit = self.ed().remove_entry(mapping, i, true);
                self.one(format!("Remove `{key}` (`{suggestion}` is already set to the same value)"), edit, true);
            }
            Some(_) => {}
            None => self.replace_here(format!("Rename `{key}` to `{suggestion}`"), suggestion, true),
        }
    }

    fn fix_type(&mut self) {
        let Some(loc) = self.loc() else { return };
        let Some(node) = loc.node() else { return };
        let Some(scalar) = node.as_scalar() else { return };
        let (field, item) = match loc.at {
            At::Value => (loc.entry(0).and_then(|(_, _, e)| e.key_str()).and_then(field_named), false),
            At::Item => (loc.entry(1).and_then(|(_, _, e)| e.key_str()).and_then(field_named), true),
            At::Key => return,
        };
        let Some(field) = field else { return };
        let ty = if item { field.items.unwrap_or(FieldType::String) } else { field.ty };
        let written = self.source(node.span).to_string();
        let reading = values::read_scalar(scalar);
        match ty {
            FieldType::Integer if scalar.is_quoted() => {
                if let Ok(n) = scalar.value.trim().parse::<i64>() {
                    self.replace_here(format!("Write `{n}` unquoted"), &n.to_string(), true);
                }
            }
            FieldType::Boolean if scalar.is_quoted() => {
                let v = scalar.value.trim();
                let b = if v.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if v.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    values::yaml11_bool(v)
                };
                if let Some(b) = b {
                    self.replace_here(format!("Write `{b}` unquoted"), &b.to_string(), true);
                }
            }
            FieldType::Boolean if reading == Reading::String => {
                // A misspelt `true` or `false`.
                if let Some(b) = crate::analysis::nearest_name(&scalar.value, &["true", "false"]) {
                    self.replace_here(format!("Change `{written}` to `{b}`"), b, true);
                }
            }
            FieldType::Integer if reading == Reading::Float => {
                let whole = scalar.value.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 1e15);
                if let Some(n) = whole {
                    self.replace_here(format!("Write `{}` as a whole number", n as i64), &(n as i64).to_string(), true);
                }
            }
            FieldType::String | FieldType::Capability
                if scalar.style == ScalarStyle::Plain
                    && matches!(
                        reading,
                        Reading::Int(_) | Reading::Float | Reading::Bool(_) | Reading::Yaml11Bool(_)
                    ) =>
            {
                self.replace_here(format!("Quote `{written}`"), &format!("\"{written}\""), true);
            }
            FieldType::List
                if !scalar.is_null()
                    && !written.contains(['\n', '\r', ',', '[', '{'])
                    && match field.items {
                        Some(FieldType::Integer) => matches!(reading, Reading::Int(_)),
                        _ => reading == Reading::String,
                    } =>
            {
                self.replace_here(format!("Write `[{written}]` as a list"), &format!("[{written}]"), true);
            }
            _ => {}
        }
    }

    fn nearest_enum_value(&mut self) {
        let Some(loc) = self.loc() else { return };
        if loc.at != At::Value {
            return;
        }
        let Some((_, _, entry)) = loc.entry(0) else { return };
        let Some(field) = entry.key_str().and_then(field_named).filter(|f| !f.values.is_empty()) else { return };
        let Some(raw) = entry.value.as_str() else { return };
        let options: Vec<&str> = field.values.iter().map(|v| v.value.as_str()).collect();
        if let Some(near) = crate::analysis::nearest_name(raw, &options) {
            self.replace_here(format!("Change `{raw}` to `{near}`"), near, true);
        }
    }

    fn normalize_capability(&mut self) {
        let Some(raw) = self.loc().filter(|l| l.at == At::Item).and_then(|l| l.node()).and_then(Node::as_str) else {
            return;
        };
        let bare = bare_capability(raw);
        if bare != raw && Catalog::embedded().is_capability(&bare) {
            self.replace_here(format!("Write `{bare}`"), &bare, true);
        }
    }

    fn conflict(&mut self) {
        let Some(loc) = self.loc() else { return };
        let Some((mapping, _, entry)) = loc.entry(0) else { return };
        match entry.key_str() {
            Some("allowPrivilegeEscalation") => {
                let mut edits: Vec<(String, Option<TextEdit>)> = Vec::new();
                if let Some(i) = mapping.as_mapping().and_then(|m| {
                    m.iter().position(|e| e.key_str() == Some("privileged") && values::as_bool(&e.value) == Some(true))
                }) {
                    edits.push(("Remove `privileged: true`".into(), self.ed().remove_entry(mapping, i, true)));
                }
                let caps = mapping.get("capabilities");
                if let Some(add) = caps.and_then(|c| c.entry("add")) {
                    for (i, item) in add.value.as_sequence().unwrap_or_default().iter().enumerate() {
                        if item.as_str().is_some_and(|s| bare_capability(s) == "SYS_ADMIN") {
                            let edit = if add.value.as_sequence().is_some_and(|s| s.len() == 1)
                                && !edit::is_flow(self.cx.text, &add.value)
                            {
                                let caps = caps.unwrap();
                                let j = caps.as_mapping().unwrap().iter().position(|e| std::ptr::eq(e, add)).unwrap();
                                self.ed().remove_entry(caps, j, true)
                            } else {
                                self.ed().remove_item(&add.value, i, true)
                            };
                            edits.push(("Remove `SYS_ADMIN` from `capabilities.add`".into(), edit));
                            break;
                        }
                    }
                }
                let preferred = edits.len() == 1;
                for (title, edit) in edits {
                    self.offer(title, edit.map(|e| vec![e]), preferred, true);
                }
            }
            Some("runAsUser") if values::as_int(&entry.value) == Some(0) => self.remove_root_user(),
            _ => {}
        }
    }

    fn annotation_to_field(&mut self) {
        let Some(pod) = self.pod else { return };
        let Some(metadata) = pod.metadata else { return };
        let Some(loc) = self.loc() else { return };
        let Some((annotations, i, entry)) = loc.entry(0) else { return };
        let (Some(key), Some(value)) = (entry.key_str(), entry.value.as_str()) else { return };
        let (field, target) = if key == "seccomp.security.alpha.kubernetes.io/pod" {
            ("seccompProfile", None)
        } else if let Some(c) = key.strip_prefix("container.seccomp.security.alpha.kubernetes.io/") {
            ("seccompProfile", Some(c))
        } else if let Some(c) = key.strip_prefix("container.apparmor.security.beta.kubernetes.io/") {
            ("appArmorProfile", Some(c))
        } else {
            return;
        };
        let (owner, place) = match target {
            None => (pod.spec, "the pod securityContext".to_string()),
            Some(name) => match pod.containers.iter().find(|c| c.name.and_then(Node::as_str) == Some(name)) {
                Some(c) => (c.node, format!("container `{name}`")),
                None => return,
            },
        };
        let Some(ann_index) =
            metadata.as_mapping().and_then(|m| m.iter().position(|e| std::ptr::eq(&e.value, annotations)))
        else {
            return;
        };
        let Some(removal) = self.ed().remove_pruned(&[(annotations, i), (metadata, ann_index)], true) else { return };
        let set = owner.get("securityContext").and_then(|sc| sc.get(field)).is_some_and(|v| !v.is_null());
        if set {
            self.offer(
                format!("Remove the deprecated annotation (`{field}` is already set in {place})"),
                Some(vec![removal]),
                true,
                true,
            );
            return;
        }
        let Some((ty, local)) = profile_from_annotation(value) else { return };
        if ty == "Unconfined" {
            // The field would turn the profile off for real; the annotation no longer does.
            self.offer(
                "Remove the deprecated annotation (it has no effect on current clusters)".to_string(),
                Some(vec![removal]),
                false,
                false,
            );
            return;
        }
        let mut profile = vec![NewEntry::new("type", New::Scalar(ty.to_string()))];
        if let Some(path) = local {
            profile.push(NewEntry::new("localhostProfile", New::Scalar(yaml_string(path))));
        }
        let shown = self.ed().flow(&New::Map(profile.clone()));
        let set = self.ed().set(owner, &["securityContext", field], New::Map(profile));
        self.offer(
            format!("Replace the deprecated annotation with `{field}: {shown}` in {place}"),
            set.map(|s| vec![s, removal]),
            true,
            true,
        );
    }

    fn remove_privileged(&mut self) {
        let Some(loc) = self.loc() else { return };
        let Some((mapping, i, _)) = loc.entry(0) else { return };
        // The only setting: `false` keeps the securityContext that other rules look for.
        if mapping.as_mapping().is_some_and(|m| m.len() > 1) {
            let edit = self.ed().remove_entry(mapping, i, true);
            self.one("Remove `privileged: true`".into(), edit, true);
        } else {
            self.replace_here("Set `privileged: false`".into(), "false", true);
        }
    }

    fn capabilities(&mut self) {
        let rule = self.finding.rule;
        let Some(loc) = self.loc() else { return };
        if loc.at == At::Item {
            let Some((seq, i, item)) = loc.item() else { return };
            let Some(name) = item.as_str() else { return };
            let bare = bare_capability(name);
            let allowed = match rule {
                rules::PSS_CAPABILITIES_RESTRICTED => bare == "NET_BIND_SERVICE",
                rules::PSS_CAPABILITIES_BASELINE => BASELINE_CAPABILITIES.contains(&bare.as_str()),
                _ => false,
            };
            if allowed && bare != name {
                self.replace_here(format!("Write `{bare}`"), &bare, true);
                return;
            }
            let edit = self.remove_list_item(&loc, seq, i);
            self.one(format!("Remove `{name}` from `capabilities.add`"), edit, rule != rules::DANGEROUS_CAPABILITY);
            return;
        }
        if rule != rules::PSS_CAPABILITIES_RESTRICTED {
            return;
        }
        let Some(container) = self.container() else { return };
        let drop = container.security_context_map().and_then(|sc| sc.get("capabilities")).and_then(|c| c.entry("drop"));
        let edit = match drop {
            Some(drop) if drop.value.is_null() || drop.value.as_sequence().is_some() => self.ed().add_item(drop, "ALL"),
            Some(_) => None,
            None => self.ed().set(
                container.node,
                &["securityContext", "capabilities", "drop"],
                New::List(vec!["ALL".into()]),
            ),
        };
        self.one("Drop all capabilities (`drop: [ALL]`)".into(), edit, true);
    }

    fn profile_type(&mut self, what: &str) {
        let Some(loc) = self.loc() else { return };
        let Some((_, _, entry)) = loc.entry(0) else { return };
        if loc.at != At::Value {
            return;
        }
        let field = if what == "seccomp" { "seccompProfile" } else { "appArmorProfile" };
        let good =
            |p: &Node| p.get("type").and_then(Node::as_str).is_some_and(|t| t == "RuntimeDefault" || t == "Localhost");
        if entry.key_str() == Some("type") && self.defer_to_pod(field, good) {
            return;
        }
        match entry.key_str() {
            Some("type") => {
                self.replace_here(format!("Change the {what} profile to `RuntimeDefault`"), "RuntimeDefault", true)
            }
            Some(key) if key.contains("security.") => {
                self.replace_here(format!("Change the {what} annotation to `runtime/default`"), "runtime/default", true)
            }
            _ => {}
        }
    }

    fn seccomp_restricted(&mut self) {
        let Some(pod) = self.pod else { return };
        let loc = self.loc();
        let located = loc.as_ref().and_then(|l| l.entry(0).map(|(_, _, e)| (l.at, e)));
        let good = |sp: &Node| {
            sp.get("type").and_then(Node::as_str).is_some_and(|t| t == "RuntimeDefault" || t == "Localhost")
        };
        if self.container().is_some() && located.is_some() && self.defer_to_pod("seccompProfile", good) {
            return;
        }
        match located {
            Some((At::Value, entry)) if entry.key_str() == Some("type") => {
                self.replace_here("Change the seccomp profile to `RuntimeDefault`".into(), "RuntimeDefault", true);
            }
            Some((At::Key, entry)) if entry.key_str() == Some("seccompProfile") => {
                let edit = if entry.value.is_null() {
                    self.ed()
                        .fill_null(entry, &New::Map(vec![NewEntry::new("type", New::Scalar("RuntimeDefault".into()))]))
                } else {
                    self.ed().set(&entry.value, &["type"], New::Scalar("RuntimeDefault".into()))
                };
                self.one("Set the seccomp profile `type: RuntimeDefault`".into(), edit, true);
            }
            _ => {
                // Where some containers set their own profile, a pod one would repeat theirs.
                let pod_has =
                    pod.security_context_map().and_then(|sc| sc.get("seccompProfile")).is_some_and(|v| !v.is_null());
                let others_own = pod.containers.iter().any(|c| {
                    c.security_context_map().and_then(|sc| sc.get("seccompProfile")).is_some_and(|v| !v.is_null())
                });
                if let (Some(container), false, true) = (self.container(), pod_has, others_own) {
                    let edit = self.ed().set(
                        container.node,
                        &["securityContext", "seccompProfile", "type"],
                        New::Scalar("RuntimeDefault".into()),
                    );
                    self.one("Set `seccompProfile: {type: RuntimeDefault}`".into(), edit, true);
                    return;
                }
                let edit = self.ed().set(
                    pod.spec,
                    &["securityContext", "seccompProfile", "type"],
                    New::Scalar("RuntimeDefault".into()),
                );
                let title = if pod_has {
                    "Change the pod's seccomp profile to `RuntimeDefault` (covers every container)"
                } else {
                    "Set `seccompProfile: {type: RuntimeDefault}` in the pod securityContext (covers every container)"
                };
                self.one(title.into(), edit, true);
            }
        }
    }

    fn remove_sysctl(&mut self) {
        let Some(loc) = self.loc() else { return };
        let name = loc.node().and_then(Node::as_str).unwrap_or_default().to_string();
        // The name's mapping is an item of the sysctls list.
        let Some(&(seq, i)) = loc.steps.len().checked_sub(2).and_then(|n| loc.steps.get(n)) else { return };
        if seq.as_sequence().is_none() {
            return;
        }
        let parent = Loc { steps: loc.steps[..loc.steps.len() - 1].to_vec(), at: At::Item };
        let edit = self.remove_list_item(&parent, seq, i);
        self.one(format!("Remove sysctl `{name}`"), edit, false);
    }

    /// `allowPrivilegeEscalation: false`, with what the API server refuses
    /// beside it (`privileged: true`, an added SYS_ADMIN) removed in the same action.
    fn no_escalation(&mut self) {
        let Some(container) = self.container() else { return };
        let set = self.ed().set(
            container.node,
            &["securityContext", "allowPrivilegeEscalation"],
            New::Scalar("false".into()),
        );
        let Some(mut edits) = set.map(|e| vec![e]) else { return };
        let mut also = Vec::new();
        if let Some(sc) = container.security_context_map() {
            let entries = sc.as_mapping().unwrap_or_default();
            if let Some(i) = entries
                .iter()
                .position(|e| e.key_str() == Some("privileged") && values::as_bool(&e.value) == Some(true))
            {
                let Some(edit) = self.ed().remove_entry(sc, i, true) else { return };
                edits.push(edit);
                also.push("`privileged: true`");
            }
            let caps = sc.get("capabilities");
            if let Some((j, add)) = caps
                .and_then(|c| c.as_mapping())
                .and_then(|m| m.iter().enumerate().find(|(_, e)| e.key_str() == Some("add")))
            {
                let items = add.value.as_sequence().unwrap_or_default();
                if let Some(i) =
                    items.iter().position(|c| c.as_str().is_some_and(|s| bare_capability(s) == "SYS_ADMIN"))
                {
                    let edit = if items.len() == 1 && !edit::is_flow(self.cx.text, &add.value) {
                        self.ed().remove_entry(caps.unwrap(), j, true)
                    } else {
                        self.ed().remove_item(&add.value, i, true)
                    };
                    let Some(edit) = edit else { return };
                    edits.push(edit);
                    also.push("the added `SYS_ADMIN`");
                }
            }
        }
        let title = if also.is_empty() {
            "Set `allowPrivilegeEscalation: false`".to_string()
        } else {
            format!("Set `allowPrivilegeEscalation: false` and remove {}", also.join(" and "))
        };
        self.offer(title, Some(edits), true, true);
    }

    /// Removes a container's own value where the pod's one is what a rule asks for.
    fn defer_to_pod(&mut self, key: &str, good: impl Fn(&Node) -> bool) -> bool {
        let (Some(pod), Some(container)) = (self.pod, self.container()) else { return false };
        if !pod.security_context_map().and_then(|sc| sc.get(key)).is_some_and(&good) {
            return false;
        }
        let Some(sc) = container.security_context_map() else { return false };
        let Some(i) = sc.as_mapping().and_then(|m| m.iter().position(|e| e.key_str() == Some(key))) else {
            return false;
        };
        let Some(sc_index) =
            container.node.as_mapping().and_then(|m| m.iter().position(|e| std::ptr::eq(&e.value, sc)))
        else {
            return false;
        };
        let edit = self.ed().remove_pruned(&[(sc, i), (container.node, sc_index)], true);
        self.one(format!("Remove the container's `{key}` (the pod's value applies)"), edit, true);
        true
    }

    fn set_in_container(&mut self, key: &str, value: &str) {
        let Some(container) = self.container() else { return };
        let edit = self.ed().set(container.node, &["securityContext", key], New::Scalar(value.to_string()));
        self.one(format!("Set `{key}: {value}`"), edit, true);
    }

    fn run_as_non_root(&mut self) {
        let Some(pod) = self.pod else { return };
        let value = New::Scalar("true".into());
        let own = self
            .container()
            .and_then(|c| c.security_context_map())
            .and_then(|sc| sc.get("runAsNonRoot"))
            .is_some_and(|v| !v.is_null());
        if own && self.defer_to_pod("runAsNonRoot", |v| values::as_bool(v) == Some(true)) {
            return;
        }
        match self.container() {
            Some(c) if c.security_context_map().and_then(|sc| sc.get("runAsNonRoot")).is_some_and(|v| !v.is_null()) => {
                let edit = self.ed().set(c.node, &["securityContext", "runAsNonRoot"], value);
                self.one("Set `runAsNonRoot: true`".into(), edit, true);
            }
            Some(c)
                if pod.containers.iter().any(|o| {
                    o.security_context_map().and_then(|sc| sc.get("runAsNonRoot")).is_some_and(|v| !v.is_null())
                }) =>
            {
                // Some containers set their own: a pod value would repeat theirs.
                let edit = self.ed().set(c.node, &["securityContext", "runAsNonRoot"], value);
                self.one("Set `runAsNonRoot: true`".into(), edit, true);
            }
            Some(_) => {
                let edit = self.ed().set(pod.spec, &["securityContext", "runAsNonRoot"], value);
                self.one(
                    "Set `runAsNonRoot: true` in the pod securityContext (covers every container)".into(),
                    edit,
                    true,
                );
            }
            None => {
                let edit = self.ed().set(pod.spec, &["securityContext", "runAsNonRoot"], value);
                self.one("Set `runAsNonRoot: true`".into(), edit, true);
            }
        }
    }

    fn remove_root_user(&mut self) {
        let Some(loc) = self.loc() else { return };
        let Some((mapping, i, _)) = loc.entry(0) else { return };
        let edit = self.ed().remove_entry(mapping, i, true);
        self.one(
            "Remove `runAsUser: 0` (the image's user applies; `runAsNonRoot: true` keeps it off root)".into(),
            edit,
            false,
        );
    }

    fn remove_redundant(&mut self) {
        let Some(container) = self.container() else { return };
        let Some(sc) = container.security_context_map() else { return };
        let Some(i) = sc.as_mapping().and_then(|m| m.iter().position(|e| e.key.span.start == self.finding.span.start))
        else {
            return;
        };
        let key = sc.as_mapping().and_then(|m| m[i].key_str()).unwrap_or_default().to_string();
        let Some(sc_index) =
            container.node.as_mapping().and_then(|m| m.iter().position(|e| std::ptr::eq(&e.value, sc)))
        else {
            return;
        };
        let edit = self.ed().remove_pruned(&[(sc, i), (container.node, sc_index)], true);
        self.one(format!("Remove `{key}` (the container inherits the same value from the pod)"), edit, true);
    }
}

/// A moved entry without its comments, for copies into several places.
/// The security rules (Pod Security and best-practice warnings, judged at
/// `restricted` and the newest Kubernetes) that `edits` would newly break in
/// `text`: a fix that breaks one loosens security and is never preferred.
fn loosened_by(text: &str, edits: &[TextEdit]) -> Vec<&'static str> {
    let strict = crate::config::Config { namespace_labels: false, ..crate::config::Config::default() };
    let security = |analysis: &crate::analysis::Analysis| {
        let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
        for finding in &analysis.findings {
            let rule = finding.rule;
            if rule.group != RuleGroup::Structure && rule.default_severity <= Severity::Warning {
                *counts.entry(rule.code).or_default() += 1;
            }
        }
        counts
    };
    let before = security(&crate::analysis::analyze(text, &strict));
    let after = security(&crate::analysis::analyze(&edit::apply(text, edits), &strict));
    after.into_iter().filter(|(code, n)| *n > before.get(code).copied().unwrap_or(0)).map(|(code, _)| code).collect()
}

pub(super) fn without_comments(mut entry: NewEntry) -> NewEntry {
    if let Some(lines) = entry.raw.as_mut() {
        *lines = lines
            .iter()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| match comment_start(l) {
                Some(at) => l[..at].trim_end().to_string(),
                None => l.clone(),
            })
            .collect();
    }
    entry
}
