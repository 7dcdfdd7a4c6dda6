//! Completion: keys by scope, values with the secure choice first, and
//! whole securityContext blocks, on whatever state the YAML is in.

use std::fmt::Write;

use super::context::{self, Outline, Position, Seg, Style};
use super::field_advice::{self, CONTAINER_LISTS};
use super::hover::{facts, official};
use super::DocText;
use crate::analysis::{safe_sysctls, sysctl_safe_since, values, BASELINE_CAPABILITIES};
use crate::catalog::{Catalog, Field, FieldType, Object, Scope};
use crate::config::{Config, Profile};
use crate::model::{pod_spec_path, Workloads};
use crate::syntax::{self, Node, Span};

/// Characters after which an editor should ask for completion: a key's
/// colon, the space before a value, a list item's dash.
pub const TRIGGER_CHARACTERS: &[&str] = &[":", " ", "-"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A securityContext key (or a key of a nested object).
    Field,
    /// A value: enum member, boolean, capability, sysctl name.
    Value,
    /// A whole block, such as a restricted-profile securityContext.
    Snippet,
}

/// One completion. `insert_text` replaces `replace` (file byte offsets).
/// Its lines after the first carry their full indentation, so a front end
/// inserts it as is, without adjusting indentation (LSP `insertTextMode:
/// asIs`); [`CompletionItem::insert_text_relative_to_line`] is the text for
/// front ends that adjust it. With `is_snippet`, it uses LSP snippet syntax
/// (`${1:x}`, `$0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub detail: String,
    /// Markdown.
    pub documentation: String,
    pub insert_text: String,
    pub is_snippet: bool,
    pub kind: CompletionKind,
    /// Orders the items as listed: the secure choice first.
    pub sort_text: String,
    pub replace: Span,
}

impl CompletionItem {
    /// `insert_text` for a front end that re-indents what it inserts (LSP
    /// `insertTextMode: adjustIndentation`, and every client that does not
    /// offer `asIs`): each line after the first loses the leading whitespace
    /// of the line where `replace` starts (`text` is the text `replace` is
    /// in), which the front end puts back.
    pub fn insert_text_relative_to_line(&self, text: &str) -> String {
        let start = self.replace.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..start];
        let indent = &prefix[..prefix.len() - prefix.trim_start_matches([' ', '\t']).len()];
        let mut lines = self.insert_text.split('\n');
        let mut out = lines.next().unwrap_or_default().to_string();
        for line in lines {
            out.push('\n');
            out.push_str(line.strip_prefix(indent).unwrap_or_else(|| line.trim_start_matches([' ', '\t'])));
        }
        out
    }
}

/// The completions at byte `offset` of `text`; empty where podsec has
/// nothing to offer.
pub fn complete(text: &str, offset: usize, config: &Config) -> Vec<CompletionItem> {
    let doc = DocText::at(text, offset);
    let outline = Outline::new(doc.text);
    let Some(position) = context::position(&outline, doc.cursor) else { return Vec::new() };
    let ctx = Ctx { doc: &doc, outline: &outline, config, style: outline.style() };
    let mut items = match position {
        Position::Key { path, col, existing, replace, has_colon } => {
            ctx.keys(&path, col, &existing, replace, has_colon)
        }
        Position::Value { path, key, replace, needs_space } => ctx.values(&path, key, replace, needs_space),
        Position::Item { path, existing, replace, needs_space, col, item_keys } => {
            ctx.items(&path, &existing, replace, needs_space, col, &item_keys)
        }
    };
    for (i, item) in items.iter_mut().enumerate() {
        item.sort_text = format!("{i:04}");
        item.replace = doc.to_file(item.replace);
        item.is_snippet = item.insert_text.contains('$');
    }
    items
}

/// What the mapping at a path is.
enum Place {
    /// A securityContext (or an object nested in one) at pod or container level.
    Object {
        object: &'static Object,
        scope: Scope,
    },
    Container,
    PodSpec,
    Other,
}

struct Ctx<'c> {
    doc: &'c DocText<'c>,
    outline: &'c Outline<'c>,
    config: &'c Config,
    style: Style,
}

fn is_container_item(path: &[Seg]) -> bool {
    matches!(path, [.., Seg::Key(k), Seg::Item] if CONTAINER_LISTS.contains(k))
}

fn item(
    label: impl Into<String>,
    detail: impl Into<String>,
    documentation: String,
    insert_text: String,
    kind: CompletionKind,
    replace: Span,
) -> CompletionItem {
    CompletionItem {
        label: label.into(),
        detail: detail.into(),
        documentation,
        insert_text,
        is_snippet: false,
        kind,
        sort_text: String::new(),
        replace,
    }
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

impl Ctx<'_> {
    fn place(&self, path: &[Seg], siblings: &[&str]) -> Place {
        let catalog = Catalog::embedded();
        if let Some(i) = path.iter().rposition(|s| *s == Seg::Key("securityContext")) {
            let scope = if is_container_item(&path[..i]) { Scope::Container } else { Scope::Pod };
            let sc = catalog.security_context();
            let nested = |name: &str, ty: FieldType| {
                sc.field(name)
                    .filter(|f| f.ty == ty && (ty != FieldType::List || f.items == Some(FieldType::Object)))
                    .and_then(|f| catalog.object(f.object.as_deref()?))
            };
            let object = match &path[i + 1..] {
                [] => Some(sc),
                [Seg::Key(field)] => nested(field, FieldType::Object),
                [Seg::Key(field), Seg::Item] => nested(field, FieldType::List),
                _ => None,
            };
            return object.map_or(Place::Other, |object| Place::Object { object, scope });
        }
        if is_container_item(path) {
            return Place::Container;
        }
        let keys: Option<Vec<&str>> = path.iter().map(|s| if let Seg::Key(k) = s { Some(*k) } else { None }).collect();
        let by_kind =
            self.outline.top_level("kind").and_then(pod_spec_path).zip(keys).is_some_and(|(p, k)| p == k.as_slice());
        let by_shape = siblings.iter().any(|s| CONTAINER_LISTS.contains(s))
            || path.ends_with(&[Seg::Key("template"), Seg::Key("spec")]);
        if by_kind || by_shape {
            Place::PodSpec
        } else {
            Place::Other
        }
    }

    fn keys(&self, path: &[Seg], col: usize, existing: &[&str], replace: Span, has_colon: bool) -> Vec<CompletionItem> {
        match self.place(path, existing) {
            Place::Object { object, scope } => {
                let mut fields: Vec<&Field> = object
                    .fields
                    .iter()
                    .filter(|f| {
                        object.name != "securityContext"
                            || if scope == Scope::Pod { f.scope.allows_pod() } else { f.scope.allows_container() }
                    })
                    .filter(|f| !existing.contains(&f.name.as_str()))
                    .collect();
                if object.name == "securityContext" {
                    fields.sort_by_key(|f| self.rank(f));
                }
                fields.iter().map(|f| self.field_item(&object.name, f, scope, col, replace, has_colon)).collect()
            }
            Place::Container if !existing.contains(&"securityContext") => {
                vec![self.security_context_item(Scope::Container, col, replace, has_colon)]
            }
            Place::PodSpec if !existing.contains(&"securityContext") => {
                vec![self.security_context_item(Scope::Pod, col, replace, has_colon)]
            }
            _ => Vec::new(),
        }
    }

    /// Fields the configured profile requires come first, then the other
    /// hardening fields, then the rest in catalog order; fields newer than
    /// the configured version last.
    fn rank(&self, field: &Field) -> (bool, usize) {
        const FIRST: &[&str] = &[
            "allowPrivilegeEscalation",
            "capabilities",
            "runAsNonRoot",
            "seccompProfile",
            "readOnlyRootFilesystem",
            "runAsUser",
            "runAsGroup",
            "fsGroup",
        ];
        let too_new = field.since.is_some_and(|s| self.config.kubernetes_version < s);
        let order = FIRST.iter().position(|f| *f == field.name).unwrap_or(FIRST.len());
        (too_new, order)
    }

    fn field_item(
        &self,
        object: &str,
        field: &Field,
        scope: Scope,
        col: usize,
        replace: Span,
        has_colon: bool,
    ) -> CompletionItem {
        let scope_word = match (object, field.scope) {
            ("securityContext", Scope::Pod) => " · pod-only",
            ("securityContext", Scope::Container) => " · container-only",
            ("securityContext", Scope::Both) => " · pod and container",
            _ => "",
        };
        let since = match field.since {
            Some(s) if self.config.kubernetes_version < s => format!(" · Kubernetes {s}+"),
            _ => String::new(),
        };
        let insert = if has_colon { field.name.clone() } else { self.skeleton(object, field, col) };
        item(
            field.name.clone(),
            format!("{}{scope_word}{since}", field.type_description()),
            self.field_docs(object, field, scope),
            insert,
            CompletionKind::Field,
            replace,
        )
    }

    fn field_docs(&self, object: &str, field: &Field, scope: Scope) -> String {
        let mut md = field.summary.clone();
        let facts = facts(object, field, self.config);
        if !facts.is_empty() {
            let _ = write!(md, "\n\n{facts}");
        }
        let controls = field_advice::controls(object, &field.name);
        if !controls.is_empty() {
            md.push_str("\n\n**Pod Security Standards**");
            for c in &controls {
                let _ = write!(
                    md,
                    "\n- {} · `{}`: {}",
                    c.pss.level,
                    c.pss.rule.code,
                    (c.requirement)(self.config.kubernetes_version)
                );
            }
        }
        md.push_str(&official(object, scope, field));
        md
    }

    /// `key: ` with a value skeleton: the secure or usual value as a
    /// placeholder, nested keys and list items at the document's indentation.
    fn skeleton(&self, object: &str, field: &Field, col: usize) -> String {
        let name = field.name.as_str();
        let child = pad(col + self.style.unit);
        let item = pad(col + self.style.list);
        match (object, name) {
            (_, "seccompProfile" | "appArmorProfile") => format!("{name}:\n{child}type: ${{1:RuntimeDefault}}"),
            ("securityContext", "capabilities") => {
                format!("capabilities:\n{child}drop:\n{}- ALL$0", pad(col + self.style.unit + self.style.list))
            }
            ("securityContext", "seLinuxOptions") => format!("seLinuxOptions:\n{child}level: ${{1:\"s0:c123,c456\"}}"),
            ("securityContext", "windowsOptions") => {
                format!("windowsOptions:\n{child}runAsUserName: ${{1:ContainerUser}}")
            }
            ("securityContext", "supplementalGroups") => format!("supplementalGroups:\n{item}- ${{1:10000}}"),
            ("securityContext", "sysctls") => format!(
                "sysctls:\n{item}- name: ${{1:net.ipv4.ip_unprivileged_port_start}}\n{}value: \"${{2:1024}}\"",
                pad(col + self.style.list + 2)
            ),
            ("securityContext", "runAsUser" | "runAsGroup" | "fsGroup") => format!("{name}: ${{1:10000}}"),
            ("capabilities", "add") => format!("add:\n{item}- ${{1:NET_BIND_SERVICE}}"),
            ("capabilities", "drop") => format!("drop:\n{item}- ALL$0"),
            ("sysctl", "value") => "value: \"$1\"".to_string(),
            _ => match field_advice::preferred_values(object, name) {
                Some(values) => format!("{name}: ${{1:{}}}", values[0]),
                None => format!("{name}: "),
            },
        }
    }

    /// `securityContext` with a block that passes the restricted profile.
    fn security_context_item(&self, scope: Scope, col: usize, replace: Span, has_colon: bool) -> CompletionItem {
        let (unit, list) = (self.style.unit, self.style.list);
        let mut lines: Vec<(usize, &str)> = Vec::new();
        let (detail, note) = match scope {
            Scope::Pod => {
                lines.extend([(1, "runAsNonRoot: true"), (1, "seccompProfile:"), (2, "type: RuntimeDefault")]);
                (
                    "pod securityContext · restricted profile",
                    "Covers every container: `runAsNonRoot` and `seccompProfile` set here apply to each one that does not set its own. Each container still needs `allowPrivilegeEscalation: false` and `capabilities: {drop: [ALL]}` in its own securityContext.",
                )
            }
            _ => {
                let (pod_non_root, pod_seccomp) = self.pod_covers(replace);
                lines.extend([
                    (1, "allowPrivilegeEscalation: false"),
                    (1, "capabilities:"),
                    (2, "drop:"),
                    (3, "- ALL"),
                ]);
                if self.config.best_practices {
                    lines.push((1, "readOnlyRootFilesystem: true"));
                }
                if !pod_non_root {
                    lines.push((1, "runAsNonRoot: true"));
                }
                if !pod_seccomp {
                    lines.extend([(1, "seccompProfile:"), (2, "type: RuntimeDefault")]);
                }
                (
                    "container securityContext · restricted profile",
                    "Passes the restricted Pod Security Standard. `runAsNonRoot` and `seccompProfile` are left out when the pod securityContext already sets them for every container.",
                )
            }
        };
        let column = |depth: usize| match depth {
            // The list under `drop:` follows the document's list style.
            3 => col + 2 * unit + list,
            d => col + d * unit,
        };
        let mut block = String::from("securityContext:");
        for (depth, line) in &lines {
            let _ = write!(block, "\n{}{line}", pad(column(*depth)));
        }
        let preview = std::iter::once("securityContext:".to_string())
            .chain(lines.iter().map(|(d, l)| format!("{}{l}", pad(column(*d) - col))))
            .collect::<Vec<_>>()
            .join("\n");
        let insert = if has_colon { "securityContext".to_string() } else { block };
        item(
            "securityContext",
            detail,
            format!("```yaml\n{preview}\n```\n\n{note}"),
            insert,
            CompletionKind::Snippet,
            replace,
        )
    }

    /// Whether the pod securityContext of the pod around the cursor already
    /// sets `runAsNonRoot: true` and a restricted seccomp profile. The word
    /// being typed (`sec`, no colon yet) is blanked first so that the tree
    /// also holds what follows it.
    fn pod_covers(&self, typing: Span) -> (bool, bool) {
        let mut patched = self.doc.text.to_string();
        if let Some(word) = patched.get(typing.start..typing.end) {
            let blank = " ".repeat(word.len());
            patched.replace_range(typing.start..typing.end, &blank);
        }
        let file = syntax::parse(&patched);
        let cursor = self.doc.cursor;
        let Some(root) = file
            .documents
            .iter()
            .find(|d| d.span.start <= cursor && cursor <= d.span.end)
            .and_then(|d| d.root.as_ref())
        else {
            return (false, false);
        };
        let workloads = Workloads::find(root);
        let Some(pod) = workloads.pods.iter().rfind(|p| p.spec.span.start <= cursor) else { return (false, false) };
        let Some(sc) = pod.security_context_map() else { return (false, false) };
        let non_root = sc.get("runAsNonRoot").and_then(values::as_bool) == Some(true);
        let seccomp = sc
            .get_path(&["seccompProfile", "type"])
            .and_then(Node::as_str)
            .is_some_and(|t| t == "RuntimeDefault" || t == "Localhost");
        (non_root, seccomp)
    }

    fn values(&self, path: &[Seg], key: &str, replace: Span, needs_space: bool) -> Vec<CompletionItem> {
        let Place::Object { object, .. } = self.place(path, &[]) else { return Vec::new() };
        let Some(field) = object.field(key) else { return Vec::new() };
        let lead = if needs_space { " " } else { "" };
        let mut out = Vec::new();
        if object.name == "sysctl" && key == "name" {
            for name in safe_sysctls(self.config.kubernetes_version) {
                let since =
                    sysctl_safe_since(name).filter(|s| s.minor > 0).map(|s| format!(" since {s}")).unwrap_or_default();
                let meaning = field_advice::sysctl_meaning(name).unwrap_or_default();
                out.push(item(
                    name,
                    format!("safe sysctl{since}"),
                    format!("{meaning}."),
                    format!("{lead}{name}"),
                    CompletionKind::Value,
                    replace,
                ));
            }
            return out;
        }
        let Some(values) = field_advice::preferred_values(&object.name, key) else { return out };
        for (i, value) in values.iter().enumerate() {
            let meaning = field.values.iter().find(|v| v.value == *value).map(|v| v.meaning.clone());
            let mut detail = meaning.clone().unwrap_or_default();
            let verdict = match field_advice::forbidden_by(&object.name, key, value) {
                Some(Profile::Restricted) => Some("forbidden by restricted".to_string()),
                Some(_) => Some("forbidden by baseline and restricted".to_string()),
                None if i == 0 => Some("recommended".to_string()),
                None => None,
            };
            if let Some(verdict) = &verdict {
                detail = if detail.is_empty() { verdict.clone() } else { format!("{verdict} · {detail}") };
            }
            let default = field.default.as_deref().is_some_and(|d| {
                d == *value || d.starts_with(&format!("{value}:")) || d.starts_with(&format!("{value},"))
            });
            let mut docs = meaning.map(|m| format!("{m}.")).unwrap_or_default();
            if default {
                docs.push_str(if docs.is_empty() { "The default when unset." } else { " The default when unset." });
            }
            out.push(item(*value, detail, docs, format!("{lead}{value}"), CompletionKind::Value, replace));
        }
        out
    }

    fn items(
        &self,
        path: &[Seg],
        existing: &[&str],
        replace: Span,
        needs_space: bool,
        col: usize,
        item_keys: &[&str],
    ) -> Vec<CompletionItem> {
        let Some((Seg::Key(list), parent)) = path.split_last() else { return Vec::new() };
        let Place::Object { object, scope } = self.place(parent, &[]) else { return Vec::new() };
        let Some(field) = object.field(list) else { return Vec::new() };
        match field.items {
            Some(FieldType::Capability) => self.capabilities(list, existing, replace, needs_space),
            Some(FieldType::Object) => {
                // A new item of a list of mappings: its first key.
                let Some(nested) = field.object.as_deref().and_then(|o| Catalog::embedded().object(o)) else {
                    return Vec::new();
                };
                let lead = if needs_space { " " } else { "" };
                nested
                    .fields
                    .iter()
                    .filter(|f| !item_keys.contains(&f.name.as_str()))
                    .map(|f| {
                        let mut it = self.field_item(&nested.name, f, scope, col, replace, false);
                        if nested.name == "sysctl" && f.name == "name" && !item_keys.contains(&"value") {
                            it.insert_text = format!(
                                "name: ${{1:net.ipv4.ip_unprivileged_port_start}}\n{}value: \"${{2:1024}}\"",
                                pad(col)
                            );
                        }
                        it.insert_text.insert_str(0, lead);
                        it
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Capability names: in `drop`, `ALL` first, then what the runtime
    /// grants by default; in `add`, what restricted then baseline allow.
    fn capabilities(&self, list: &str, existing: &[&str], replace: Span, needs_space: bool) -> Vec<CompletionItem> {
        let catalog = Catalog::embedded();
        let default = |c: &str| catalog.capabilities.runtime_default.iter().any(|d| d == c);
        let mut names: Vec<&str> = catalog.capabilities.all.iter().map(String::as_str).collect();
        if list == "drop" {
            names.sort_by_key(|c| !default(c));
            names.insert(0, "ALL");
        } else {
            names.sort_by_key(|c| (*c != "NET_BIND_SERVICE", !BASELINE_CAPABILITIES.contains(c)));
            names.push("ALL");
        }
        let lead = if needs_space { " " } else { "" };
        names
            .into_iter()
            .filter(|n| !existing.contains(n))
            .map(|name| {
                let (detail, docs) = if name == "ALL" {
                    if list == "drop" {
                        (
                            "every capability · restricted requires it".to_string(),
                            "Drops every capability; add back only what the process needs.".to_string(),
                        )
                    } else {
                        (
                            "every capability · forbidden by baseline and restricted".to_string(),
                            "Adds every capability: nearly a privileged container.".to_string(),
                        )
                    }
                } else {
                    let mut notes = Vec::new();
                    if default(name) {
                        notes.push("runtime default");
                    } else if list == "drop" {
                        notes.push("not granted by default");
                    }
                    if list == "add" {
                        notes.push(if name == "NET_BIND_SERVICE" {
                            "restricted allows adding it"
                        } else if BASELINE_CAPABILITIES.contains(&name) {
                            "baseline allows adding it"
                        } else {
                            "forbidden by baseline"
                        });
                    }
                    let meaning = catalog.capability_meaning(name).unwrap_or_default();
                    (notes.join(" · "), format!("`CAP_{name}`: {meaning}."))
                };
                item(name, detail, docs, format!("{lead}{name}"), CompletionKind::Value, replace)
            })
            .collect()
    }
}
