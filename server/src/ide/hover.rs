//! Hover: what a securityContext key or value is, and what it does here.

use std::cell::OnceCell;
use std::fmt::Write;

use super::field_advice::{self, Control};
use super::{compact, DocText};
use crate::analysis::policy;
use crate::analysis::{self, rules::RuleGroup, sysctl_safe_since, Finding, BASELINE_CAPABILITIES};
use crate::api_docs;
use crate::catalog::{Catalog, Field, FieldType, Scope};
use crate::config::{Config, Profile};
use crate::model::{Container, Origin, PodSpec, Workloads};
use crate::namespaces::Mode;
use crate::syntax::{self, Entry, Node, ParsedFile, Span};

/// A hover: the key or value under the cursor (file byte offsets) and
/// markdown about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub range: Span,
    pub markdown: String,
}

/// The hover at byte `offset` of `text`, or `None` outside every pod and
/// container securityContext.
pub fn hover(text: &str, offset: usize, config: &Config) -> Option<Hover> {
    hover_at(DocText::at(text, offset), config)
}

/// [`hover`] over one `---` document that starts on line `first_line` of
/// its file (line numbers in the answer are the file's), with `offset` and
/// the answer's range in the document's own offsets.
pub fn hover_in_document(text: &str, first_line: usize, offset: usize, config: &Config) -> Option<Hover> {
    hover_at(DocText::excerpt(text, first_line, offset), config)
}

fn hover_at(doc: DocText<'_>, config: &Config) -> Option<Hover> {
    let file = syntax::parse(doc.text);
    let cursor = doc.cursor;
    let document = file.documents.iter().find(|d| d.span.start <= cursor && cursor <= d.span.end)?;
    let workloads = Workloads::find(document.root.as_ref()?);
    if let Some(found) = namespace_hover(&doc, &workloads, config) {
        return Some(found);
    }
    for pod in &workloads.pods {
        let mut targets: Vec<(Option<&Container>, &Entry)> =
            pod.security_context.map(|e| (None, e)).into_iter().collect();
        targets.extend(pod.containers.iter().filter_map(|c| c.security_context.map(|e| (Some(c), e))));
        for (container, entry) in targets {
            if !hits(entry_span(entry), cursor) {
                continue;
            }
            let ctx = Ctx { doc: &doc, file: &file, config, pod, container, findings: OnceCell::new() };
            let (range, markdown) = ctx.in_security_context(entry)?;
            return Some(Hover { range: doc.to_file(range), markdown });
        }
    }
    None
}

/// Hover on a workload's `metadata.namespace` value: the Pod Security
/// labels in force there, and the file that set them.
fn namespace_hover(doc: &DocText, workloads: &Workloads, config: &Config) -> Option<Hover> {
    let pod = workloads.pods.iter().find(|pod| {
        pod.object.get_path(&["metadata", "namespace"]).is_some_and(|value| hits(value.span, doc.cursor))
    })?;
    let value = pod.object.get_path(&["metadata", "namespace"])?;
    let name = value.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let policy = policy::policy_for(config, pod.object);
    let configured = format!("the configured profile, {}, Kubernetes {}", config.profile, config.kubernetes_version);
    let mut md = String::new();
    let Some(labels) = policy.labels else {
        let why = if config.namespace_labels {
            format!("No Namespace `{name}` with Pod Security labels in the workspace")
        } else {
            "Namespace labels are off (`namespaceLabels: false`)".to_string()
        };
        let _ = write!(md, "**namespace `{name}`**\n\n{why}: this workload is judged by {configured}.");
        return Some(Hover { range: doc.to_file(value.span), markdown: md });
    };
    let _ = writeln!(md, "**namespace `{name}`** · Pod Security labels set in `{}:{}`\n", labels.path, labels.line);
    let _ = writeln!(md, "| mode | level | version |\n|---|---|---|");
    for mode in Mode::ALL {
        let Some(set) = labels.mode(mode) else { continue };
        let level = match (&set.level_text, set.level) {
            (Some(text), Some(level)) if text == level.as_str() => text.clone(),
            (Some(text), Some(level)) => format!("`{text}` → {level}"),
            _ => format!("(not set) → {}", config.profile),
        };
        let version = match (&set.version_text, set.version) {
            (Some(text), Some(version)) => format!("{text} → {version}"),
            (Some(text), None) => format!("{text} → {}", config.kubernetes_version),
            (None, _) => format!("(not set) → {}", config.kubernetes_version),
        };
        let _ = writeln!(md, "| {} (line {}) | {level} | {version} |", mode.as_str(), set.line);
    }
    let enforce = &policy.enforce;
    if enforce.source.is_enforced() {
        let _ = write!(
            md,
            "\nThis workload is judged at **{}**, Kubernetes {}: a violation is an error, since admission rejects the pod.",
            enforce.profile, enforce.version
        );
    } else {
        let _ = write!(md, "\nThe namespace enforces no level: this workload is judged by {configured}.");
    }
    if let Some(warn) = &policy.warn {
        let _ = write!(
            md,
            " Its `warn` label adds the {} violations at Kubernetes {} as warnings.",
            warn.profile, warn.version
        );
    }
    for problem in Mode::ALL.iter().filter_map(|&m| labels.mode(m)).flat_map(|set| &set.problems) {
        let _ = write!(md, "\n\n⚠ {problem}.");
    }
    let others = config.namespaces.nearest(name, config.document_folder.as_deref()).map(|(_, o)| o).unwrap_or_default();
    if !others.is_empty() {
        let places: Vec<String> = others
            .iter()
            .map(|n| {
                let enforce = n.enforce.as_ref().and_then(|e| e.level).map_or("no".to_string(), |l| l.to_string());
                format!("`{}:{}` (enforces {enforce})", n.path, n.line)
            })
            .collect();
        let _ = write!(
            md,
            "\n\nThe workspace defines namespace `{name}` {} more: {}. The nearest to this file applies.",
            if others.len() == 1 { "once".to_string() } else { format!("{} times", others.len()) },
            places.join(", ")
        );
    }
    Some(Hover { range: doc.to_file(value.span), markdown: md })
}

/// Whether the cursor is on a span; its end counts, so a cursor just after
/// a word still hovers it.
fn hits(span: Span, cursor: usize) -> bool {
    span.start <= cursor && cursor <= span.end && !(span.is_empty() && span.start != cursor)
}

fn entry_span(entry: &Entry) -> Span {
    Span::new(entry.key.span.start, entry.value.span.end.max(entry.key.span.end))
}

struct Ctx<'c, 'a> {
    doc: &'c DocText<'c>,
    file: &'c ParsedFile,
    config: &'c Config,
    pod: &'c PodSpec<'a>,
    container: Option<&'c Container<'a>>,
    findings: OnceCell<Vec<Finding>>,
}

/// Where a hovered key sits below the securityContext.
#[derive(Clone, Copy)]
enum Parent<'p> {
    /// Directly in the securityContext.
    None,
    /// In a nested object such as `seccompProfile`.
    Object(&'p str),
    /// In an item of a list of objects (`sysctls`).
    ListItem(&'p str),
}

impl<'c, 'a> Ctx<'c, 'a> {
    fn findings(&self) -> &[Finding] {
        self.findings.get_or_init(|| {
            // Messages name lines of the file, not of the document.
            let first_line = self.doc.line_number(0) - 1;
            let mut result = analysis::analyze_excerpt(self.doc.text, self.file, self.config, first_line);
            result.findings.retain(|f| !result.file_wide.silences(f.code()));
            result.findings
        })
    }

    /// The level and version this workload is judged at, and who chose
    /// them: `Configured`, or `Namespace `payments` enforces`.
    fn in_force(&self) -> (Profile, crate::config::KubeVersion, String) {
        let policy = policy::policy_for(self.config, self.pod.object);
        let decided_by = match policy.enforce.source.label() {
            Some(label) => format!("Namespace `{}` enforces", label.namespace),
            None => "Configured".to_string(),
        };
        (policy.enforce.profile, policy.enforce.version, decided_by)
    }

    fn scope(&self) -> Scope {
        if self.container.is_some() {
            Scope::Container
        } else {
            Scope::Pod
        }
    }

    fn container_label(&self, container: &Container) -> String {
        format!("`{}`", container.display_name())
    }

    fn here(&self) -> String {
        match self.container {
            Some(c) => format!("the securityContext of container {}", self.container_label(c)),
            None => "the pod securityContext".to_string(),
        }
    }

    fn line(&self, span: Span) -> usize {
        self.doc.line_number(span.start)
    }

    fn text(&self, node: &Node) -> String {
        compact(self.doc, node)
    }

    fn in_security_context(&self, sc: &Entry) -> Option<(Span, String)> {
        let cursor = self.doc.cursor;
        if hits(sc.key.span, cursor) {
            let mut markdown = self.summary(sc);
            let templates = &self.file.templates;
            let masked = templates.masked.as_deref().unwrap_or(self.doc.text);
            if let Some(inserted) = templates.inserted_under(masked, sc.key.span) {
                let line = self.doc.line_number(inserted.action.start);
                let _ = write!(
                    markdown,
                    "\n\n**Filled by the template**: `{}` (line {line}). podsec judges the settings written here; \
                     what the template adds is not known, so none is reported missing.",
                    inserted.expression
                );
            }
            return Some((sc.key.span, markdown));
        }
        for entry in sc.value.as_mapping()? {
            let name = entry.key_str()?;
            if hits(entry.key.span, cursor) {
                return Some((entry.key.span, self.field_hover("securityContext", name, entry, Parent::None)));
            }
            if hits(entry.value.span, cursor) {
                return self.in_value("securityContext", name, entry, Parent::None);
            }
        }
        None
    }

    fn in_value(&self, object: &str, name: &str, entry: &Entry, parent: Parent) -> Option<(Span, String)> {
        let cursor = self.doc.cursor;
        let catalog = Catalog::embedded();
        let field = catalog.object(object)?.field(name)?;
        match field.ty {
            FieldType::Object => {
                let nested = field.object.as_deref()?;
                for inner in entry.value.as_mapping()? {
                    let key = inner.key_str()?;
                    if hits(inner.key.span, cursor) {
                        return Some((inner.key.span, self.field_hover(nested, key, inner, Parent::Object(name))));
                    }
                    if hits(inner.value.span, cursor) {
                        return self.in_value(nested, key, inner, Parent::Object(name));
                    }
                }
                None
            }
            FieldType::List => {
                let item = entry.value.as_sequence()?.iter().find(|i| hits(i.span, cursor))?;
                match field.items {
                    Some(FieldType::Capability) => Some((item.span, self.capability_hover(name, item))),
                    Some(FieldType::Object) => {
                        let nested = field.object.as_deref()?;
                        for inner in item.as_mapping()? {
                            let key = inner.key_str()?;
                            if hits(inner.key.span, cursor) {
                                return Some((
                                    inner.key.span,
                                    self.field_hover(nested, key, inner, Parent::ListItem(name)),
                                ));
                            }
                            if hits(inner.value.span, cursor) && inner.value.as_scalar().is_some() {
                                let markdown = if nested == "sysctl" && key == "name" {
                                    self.sysctl_hover(inner)
                                } else {
                                    self.field_hover(nested, key, inner, Parent::ListItem(name))
                                };
                                return Some((inner.value.span, markdown));
                            }
                        }
                        None
                    }
                    _ => Some((item.span, self.field_hover(object, name, entry, parent))),
                }
            }
            _ => {
                entry.value.as_scalar()?;
                let value = entry.value.as_str().unwrap_or_default();
                let markdown = if field.allows_value(value) {
                    self.enum_value_hover(object, field, entry, parent)
                } else {
                    self.field_hover(object, name, entry, parent)
                };
                Some((entry.value.span, markdown))
            }
        }
    }

    fn dotted(name: &str, parent: Parent) -> String {
        match parent {
            Parent::None => name.to_string(),
            Parent::Object(p) => format!("{p}.{name}"),
            Parent::ListItem(p) => format!("{p}[].{name}"),
        }
    }

    fn field_hover(&self, object: &str, name: &str, entry: &Entry, parent: Parent) -> String {
        let catalog = Catalog::embedded();
        let Some(field) = catalog.object(object).and_then(|o| o.field(name)) else {
            return self.unknown_field(object, name, parent);
        };
        let mut md = String::new();
        // 1. The field and how it is written.
        let _ =
            writeln!(md, "**`{}`** · {}\n\n{}", Self::dotted(name, parent), field.type_description(), field.summary);
        // 2. Scope, and 3. the effective value.
        md.push('\n');
        md.push_str(&self.scope_text(object, field, parent));
        if object == "securityContext" && field.scope == Scope::Both {
            if let Some(effective) = self.effective_text(field, entry) {
                let _ = write!(md, "\n\n{effective}");
            }
        }
        // 4. Values, default, version.
        let facts = facts(object, field, self.config);
        if !facts.is_empty() {
            let _ = write!(md, "\n\n{facts}");
        }
        // 5. Pod Security Standards.
        let _ = write!(md, "\n\n{}", self.standards(object, name, entry, None));
        // 6. The official description.
        md.push_str(&official(object, self.scope(), field));
        md
    }

    fn scope_text(&self, object: &str, field: &Field, parent: Parent) -> String {
        if object != "securityContext" {
            let container = match parent {
                Parent::ListItem(list) => format!("In an item of `{list}` of {}.", self.here()),
                Parent::Object(p) => format!("In `{p}` of {}.", self.here()),
                Parent::None => format!("In {}.", self.here()),
            };
            let required = if field.required { " Required." } else { "" };
            return format!("**Scope**: {container}{required}");
        }
        let name = &field.name;
        match (field.scope, self.scope()) {
            (Scope::Pod, Scope::Pod) => format!("**Scope**: pod-only. {} Not valid in a container securityContext.", pod_only_reach(name)),
            (Scope::Pod, _) => format!("**Scope**: pod-only. ⚠ Not valid in a container securityContext: the API server drops or rejects `{name}` here. Move it to the pod's `securityContext`, where it applies to every container."),
            (Scope::Container, Scope::Container) => "**Scope**: container-only. It applies to this container alone. Not valid in the pod securityContext.".to_string(),
            (Scope::Container, _) => format!("**Scope**: container-only. ⚠ Not valid in the pod securityContext: the API server drops or rejects `{name}` here. Set it in each container's `securityContext`."),
            (Scope::Both, Scope::Pod) => "**Scope**: pod and container. This pod value applies to every container that does not set its own; a container's value wins.".to_string(),
            (Scope::Both, _) => "**Scope**: pod and container. This container's value wins over the pod's, which applies only where a container leaves the field unset.".to_string(),
        }
    }

    /// Where the value in force comes from: for a container, its own value
    /// or the pod's; for the pod, which containers override it.
    fn effective_text(&self, field: &Field, entry: &Entry) -> Option<String> {
        let name = field.name.as_str();
        let pod_entry = self.pod.security_context_map().and_then(|sc| sc.entry(name)).filter(|e| !e.value.is_null());
        match self.container {
            Some(container) => {
                let who = self.container_label(container);
                Some(match self.pod.effective(container, name) {
                    Some(e) if e.origin == Origin::Container => match pod_entry {
                        Some(p) => format!(
                            "**Effective** for container {who}: `{}`, set here; it overrides the pod's `{}` (line {}).",
                            self.text(e.value()),
                            self.text(&p.value),
                            self.line(p.key.span)
                        ),
                        None => format!("**Effective** for container {who}: `{}`, set here; the pod securityContext does not set it.", self.text(e.value())),
                    },
                    Some(e) => format!(
                        "**Effective** for container {who}: `{}`, inherited from the pod securityContext, line {} (the value here is empty).",
                        self.text(e.value()),
                        self.line(e.entry.key.span)
                    ),
                    None => format!("**Effective** for container {who}: unset (empty here, and the pod securityContext does not set it)."),
                })
            }
            None => {
                if entry.value.is_null() {
                    return None;
                }
                let mut inherit = Vec::new();
                let mut overrides = Vec::new();
                for c in &self.pod.containers {
                    match c.security_context_map().and_then(|sc| sc.entry(name)).filter(|e| !e.value.is_null()) {
                        Some(own) => overrides.push(format!(
                            "{} (`{}`, line {})",
                            self.container_label(c),
                            self.text(&own.value),
                            self.line(own.key.span)
                        )),
                        None => inherit.push(self.container_label(c)),
                    }
                }
                if inherit.is_empty() && overrides.is_empty() {
                    return None;
                }
                let mut text = String::from("**Effective**:");
                if inherit.is_empty() {
                    text.push_str(" no container uses this value;");
                } else {
                    let _ = write!(text, " `{}` for {}.", self.text(&entry.value), join_names(&inherit));
                }
                if !overrides.is_empty() {
                    let by = if inherit.is_empty() { " each sets its own:" } else { " Overridden by" };
                    let _ = write!(text, "{by} {}.", overrides.join(", "));
                }
                Some(text)
            }
        }
    }

    /// The Pod Security Standards controls of a field, what the configured
    /// profile makes of them, and whether the value at `entry` (or the list
    /// item `item`) passes.
    fn standards(&self, object: &str, name: &str, entry: &Entry, item: Option<&Node>) -> String {
        let controls = field_advice::controls(object, name);
        if controls.is_empty() {
            return format!("**Pod Security Standards**: no control restricts `{name}`.");
        }
        let mut md = String::from("**Pod Security Standards**\n");
        for control in &controls {
            let since = if control.pss.since > 0 {
                format!(", from Kubernetes 1.{}", control.pss.since)
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "- {}{since} · `{}`: {}",
                control.pss.level,
                control.pss.rule.code,
                (control.requirement)(self.in_force().1)
            );
        }
        md.push('\n');
        let misplaced = object == "securityContext"
            && Catalog::embedded().object(object).and_then(|o| o.field(name)).is_some_and(|f| !self.allows(f.scope));
        if misplaced {
            // Admission reads the field where it takes effect only: here it
            // neither passes nor fails, it does nothing.
            let (profile, version, decided_by) = self.in_force();
            let level = if self.scope() == Scope::Pod { "pod" } else { "container" };
            let _ = write!(
                md,
                "{decided_by}: **{profile}**, Kubernetes {version}: not judged here: `{name}` has no effect in the \
                 {level} securityContext, so admission does not read it."
            );
        } else {
            md.push_str(&self.verdict(&controls, item.map_or_else(|| entry_span(entry), |i| i.span)));
        }
        md
    }

    /// The configured profile's judgement of the value in `span`.
    fn verdict(&self, controls: &[Control], span: Span) -> String {
        let (profile, version, decided_by) = self.in_force();
        let applying: Vec<&Control> = controls.iter().filter(|c| c.applies(profile, version)).collect();
        let mut head = format!("{decided_by}: **{profile}**, Kubernetes {version}");
        if !applying.is_empty() {
            let codes: Vec<String> = applying.iter().map(|c| format!("`{}`", c.pss.rule.code)).collect();
            let _ = write!(head, " ({})", codes.join(", "));
        }
        if applying.is_empty() {
            let why = if profile == Profile::Privileged { "allows any value" } else { "does not restrict it" };
            return format!("{head}: {why}.");
        }
        let failures: Vec<&Finding> = self
            .findings()
            .iter()
            .filter(|f| applying.iter().any(|c| c.pss.rule.code == f.rule.code))
            .filter(|f| f.span.start >= span.start && f.span.end <= span.end)
            .collect();
        if failures.is_empty() {
            format!("{head}: ✓ this value passes.")
        } else {
            let mut text = format!("{head}: ✗ this value fails:");
            for f in failures {
                let _ = write!(text, "\n- {}", f.message);
            }
            text
        }
    }

    fn unknown_field(&self, object: &str, name: &str, parent: Parent) -> String {
        let catalog = Catalog::embedded();
        let mut md = format!("**`{}`** · not a field of `{object}`", Self::dotted(name, parent));
        if let Some(object) = catalog.object(object) {
            let names: Vec<&str> = object
                .fields
                .iter()
                .filter(|f| object.name != "securityContext" || self.allows(f.scope))
                .map(|f| f.name.as_str())
                .collect();
            if let Some(nearest) = analysis::nearest_name(name, &names) {
                let _ = write!(md, "\n\nDid you mean `{nearest}`?");
            }
        }
        md
    }

    fn allows(&self, scope: Scope) -> bool {
        match self.scope() {
            Scope::Pod => scope.allows_pod(),
            _ => scope.allows_container(),
        }
    }

    fn enum_value_hover(&self, object: &str, field: &Field, entry: &Entry, parent: Parent) -> String {
        let value = entry.value.as_str().unwrap_or_default();
        let mut md = format!("**`{value}`** · value of `{}`", Self::dotted(&field.name, parent));
        if let Some(meaning) = field.values.iter().find(|v| v.value == value) {
            let _ = write!(md, "\n\n{}.", capitalized(&meaning.meaning));
        }
        if field.default.as_deref() == Some(value) {
            md.push_str("\n\nThis is the default when the field is unset.");
        }
        let others: Vec<String> = field
            .values
            .iter()
            .filter(|v| v.value != value)
            .map(|v| format!("- `{}`: {}", v.value, v.meaning))
            .collect();
        if !others.is_empty() {
            let _ = write!(md, "\n\n**Other values**\n{}", others.join("\n"));
        }
        let _ = write!(md, "\n\n{}", self.standards(object, &field.name, entry, None));
        md
    }

    fn capability_hover(&self, list: &str, item: &Node) -> String {
        let catalog = Catalog::embedded();
        let name = item.as_str().unwrap_or_default();
        let mut md = format!("**`{name}`** · ");
        if name == "ALL" {
            let _ = write!(md, "every Linux capability, in `capabilities.{list}`\n\n");
            md.push_str(if list == "drop" {
                "Drops every capability, the runtime's default set included; add back only what the process needs. The restricted profile requires it."
            } else {
                "Adds every capability: nearly the power of a privileged container. Baseline and restricted forbid it."
            });
        } else if let Some(meaning) = catalog.capability_meaning(name) {
            let default = catalog.capabilities.runtime_default.iter().any(|c| c == name);
            let baseline = BASELINE_CAPABILITIES.contains(&name);
            let _ =
                write!(md, "Linux capability `CAP_{name}`, in `capabilities.{list}`\n\n{}.\n\n", capitalized(meaning));
            let _ = writeln!(md, "- Granted by the container runtime by default: **{}**", yes_no(default));
            let _ = writeln!(md, "- Baseline allows adding it: **{}**", yes_no(baseline));
            let _ = write!(
                md,
                "- Restricted allows adding it: **{}** (only `NET_BIND_SERVICE`)",
                yes_no(name == "NET_BIND_SERVICE")
            );
            if list == "drop" {
                md.push_str(if default {
                    "\n\nDropping it takes it away from the runtime's default set."
                } else {
                    "\n\nThe runtime does not grant it by default: dropping it matters only when it is also added."
                });
            }
        } else {
            md.push_str("not a Linux capability");
            let upper = name.to_ascii_uppercase();
            let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
            if catalog.is_capability(bare) && bare != name {
                let _ = write!(md, "\n\nWrite it `{bare}`: upper case, without `CAP_`. The runtime and the Pod Security Standards compare names literally.");
            } else {
                let names: Vec<&str> = catalog.capabilities.all.iter().map(String::as_str).collect();
                if let Some(nearest) = analysis::nearest_name(name, &names) {
                    let _ = write!(md, "\n\nDid you mean `{nearest}`?");
                }
            }
        }
        if list == "add" {
            let controls = field_advice::controls("capabilities", "add");
            let _ = write!(md, "\n\n**Pod Security Standards**: {}", self.verdict(&controls, item.span));
        }
        let _ = write!(md, "\n\n[Kubernetes documentation]({})", docs_link("capabilities", list));
        md
    }

    fn sysctl_hover(&self, entry: &Entry) -> String {
        let name = entry.value.as_str().unwrap_or_default();
        let version = self.in_force().1;
        let mut md = format!("**`{name}`** · sysctl");
        if let Some(meaning) = field_advice::sysctl_meaning(name) {
            let _ = write!(md, "\n\n{}.", capitalized(meaning));
        }
        md.push_str("\n\n");
        match sysctl_safe_since(name) {
            Some(since) if version >= since => {
                let from = if since.minor > 0 { format!(" (safe since Kubernetes {since})") } else { String::new() };
                let _ = write!(md, "**Safe** at Kubernetes {version}{from}: every node allows it, and baseline and restricted accept it.");
            }
            Some(since) => {
                let _ = write!(md, "**Not safe** at Kubernetes {version}: it joins the safe sysctls in Kubernetes {since}. Until then baseline and restricted forbid it, and a node runs the pod only if its kubelet's `--allowed-unsafe-sysctls` allows it.");
            }
            None => {
                md.push_str("**Not safe**: not one of the safe sysctls. Baseline and restricted forbid it, and a node runs the pod only if its kubelet's `--allowed-unsafe-sysctls` allows it.");
            }
        }
        let controls = field_advice::controls("sysctl", "name");
        let _ = write!(md, "\n\n**Pod Security Standards**: {}", self.verdict(&controls, entry.value.span));
        let _ = write!(md, "\n\n[Kubernetes documentation]({})", docs_link("sysctl", "name"));
        md
    }

    /// The `securityContext` key: every setting in force, and the problems.
    fn summary(&self, sc: &Entry) -> String {
        let catalog = Catalog::embedded();
        let fields = &catalog.security_context().fields;
        let mut md = String::new();
        let mut rows = Vec::new();
        let mut unset = Vec::new();
        let windows = self.pod.os_name() == Some("windows");
        let own = |map: Option<&'a Node>, name: &str| map.and_then(|m| m.entry(name)).filter(|e| !e.value.is_null());
        let problems_span: Vec<Span> = match self.container {
            Some(container) => {
                let _ = writeln!(
                    md,
                    "**`securityContext`** of container {} · effective settings, pod and container merged\n",
                    self.container_label(container)
                );
                for field in fields {
                    let name = field.name.as_str();
                    let (found, origin) = match field.scope {
                        Scope::Both => match self.pod.effective(container, name) {
                            Some(e) => (Some(e.entry), e.origin),
                            None => (None, Origin::Container),
                        },
                        Scope::Container => (own(container.security_context_map(), name), Origin::Container),
                        Scope::Pod => (own(self.pod.security_context_map(), name), Origin::Pod),
                    };
                    match found {
                        Some(e) => {
                            let from = match origin {
                                Origin::Container => "container",
                                Origin::Pod if field.scope == Scope::Pod => "pod (pod-only)",
                                Origin::Pod => "pod",
                            };
                            rows.push(format!(
                                "| `{name}` | `{}` | {from}, line {} |",
                                cell(&self.text(&e.value)),
                                self.line(e.key.span)
                            ));
                        }
                        None if (windows && field.linux_only)
                            || (!windows && field.windows_only)
                            || field.scope == Scope::Pod => {}
                        None => unset.push(format!("`{name}`")),
                    }
                }
                if !rows.is_empty() {
                    md.push_str("| field | value | from |\n|---|---|---|\n");
                }
                vec![container.node.span, entry_span(sc)]
            }
            None => {
                let names: Vec<String> = self.pod.containers.iter().map(|c| self.container_label(c)).collect();
                let applies =
                    if names.is_empty() { String::new() } else { format!(" · applies to {}", join_names(&names)) };
                let _ = writeln!(md, "**`securityContext`** of the pod{applies}\n");
                for field in fields {
                    let name = field.name.as_str();
                    let Some(e) = own(self.pod.security_context_map(), name) else {
                        if field.scope.allows_pod()
                            && !((windows && field.linux_only) || (!windows && field.windows_only))
                        {
                            unset.push(format!("`{name}`"));
                        }
                        continue;
                    };
                    let note = match field.scope {
                        Scope::Pod => "pod-only".to_string(),
                        Scope::Container => "⚠ container-only: not valid here".to_string(),
                        Scope::Both => {
                            let overriding: Vec<String> = self
                                .pod
                                .containers
                                .iter()
                                .filter(|c| own(c.security_context_map(), name).is_some())
                                .map(|c| self.container_label(c))
                                .collect();
                            if overriding.is_empty() {
                                "every container".to_string()
                            } else {
                                format!("overridden by {}", overriding.join(", "))
                            }
                        }
                    };
                    rows.push(format!(
                        "| `{name}` | `{}` | line {} | {note} |",
                        cell(&self.text(&e.value)),
                        self.line(e.key.span)
                    ));
                }
                if !rows.is_empty() {
                    md.push_str("| field | value | where | applies to |\n|---|---|---|---|\n");
                }
                vec![entry_span(sc)]
            }
        };
        if rows.is_empty() {
            md.push_str("Nothing set.\n");
        } else {
            md.push_str(&rows.join("\n"));
            md.push('\n');
        }
        if !unset.is_empty() {
            let _ = writeln!(md, "\nUnset: {}.", unset.join(", "));
        }
        let (profile, version, _) = self.in_force();
        let problems: Vec<&Finding> = self
            .findings()
            .iter()
            .filter(|f| f.rule.group == RuleGroup::PodSecurity)
            .filter(|f| problems_span.iter().any(|s| f.span.start >= s.start && f.span.end <= s.end))
            .collect();
        let _ = write!(md, "\n**Pod Security Standards** ({profile}, Kubernetes {version}): ");
        if profile == Profile::Privileged {
            md.push_str("the privileged profile allows everything.");
        } else if problems.is_empty() {
            md.push_str("✓ no problem.");
        } else {
            let _ = write!(md, "✗ {} problem{}:", problems.len(), if problems.len() == 1 { "" } else { "s" });
            for f in problems {
                let _ = write!(md, "\n- line {}: {} (`{}`)", self.line(f.span), f.message, f.rule.code);
            }
        }
        md
    }
}

/// Allowed values, range, default and version of a field.
pub(crate) fn facts(object: &str, field: &Field, config: &Config) -> String {
    let catalog = Catalog::embedded();
    let mut values = String::new();
    if !field.values.is_empty() {
        let list: Vec<String> = field.values.iter().map(|v| format!("- `{}`: {}", v.value, v.meaning)).collect();
        values = format!("**Values**\n{}", list.join("\n"));
    }
    let mut lines = Vec::new();
    if let Some(nested) = field.object.as_deref().and_then(|o| catalog.object(o)) {
        let keys: Vec<String> = nested
            .fields
            .iter()
            .map(|f| {
                let mut notes = Vec::new();
                if f.required {
                    notes.push("required".to_string());
                }
                if !f.values.is_empty() {
                    notes.push(f.value_list());
                }
                if notes.is_empty() {
                    format!("`{}`", f.name)
                } else {
                    format!("`{}` ({})", f.name, notes.join(": "))
                }
            })
            .collect();
        let what = if field.ty == FieldType::List { "**Keys of each item**" } else { "**Keys**" };
        lines.push(format!("{what}: {}", keys.join(", ")));
    }
    if field.items == Some(FieldType::Capability) {
        lines.push("**Items**: capability names, upper case, without `CAP_`; `ALL` means every capability".to_string());
    }
    if let Some([min, max]) = field.range {
        lines.push(format!("**Range**: {min} to {max}"));
    }
    if let Some(default) = &field.default {
        lines.push(format!("**Default** when unset: {default}"));
    }
    if let Some(since) = field.since {
        let warning = if config.kubernetes_version < since {
            format!(" ⚠ newer than the configured Kubernetes {}: older API servers drop it", config.kubernetes_version)
        } else {
            String::new()
        };
        lines.push(format!("**Since** Kubernetes {since}{warning}"));
    }
    if object == "securityContext" && field.linux_only {
        lines.push("Linux only: not allowed when `spec.os.name` is `windows`".to_string());
    }
    if field.windows_only {
        lines.push("Windows only: not allowed when `spec.os.name` is `linux`".to_string());
    }
    // Markdown line breaks between the short facts.
    match (values.is_empty(), lines.is_empty()) {
        (true, _) => lines.join("  \n"),
        (false, true) => values,
        (false, false) => format!("{values}\n\n{}", lines.join("  \n")),
    }
}

/// The official description and the documentation link, after a rule.
pub(crate) fn official(object: &str, scope: Scope, field: &Field) -> String {
    let mut md = String::from("\n\n---\n\n");
    if let Some(description) = api_docs::describe(object, scope, &field.name) {
        md.push_str(description.trim());
        md.push_str("\n\n");
    }
    let _ = write!(md, "[Kubernetes documentation]({})", field.docs);
    md
}

/// What a pod-only field reaches.
fn pod_only_reach(field: &str) -> &'static str {
    match field {
        "fsGroup" => "It applies to every container of the pod, init and ephemeral containers included, and to the ownership of the pod's volumes.",
        "fsGroupChangePolicy" | "seLinuxChangePolicy" => "It applies to the pod's volumes.",
        "sysctls" => "It applies to the kernel namespaces that the pod's containers share.",
        _ => "It applies to every container of the pod, init and ephemeral containers included.",
    }
}

fn docs_link(object: &str, field: &str) -> String {
    Catalog::embedded().object(object).and_then(|o| o.field(field)).map(|f| f.docs.clone()).unwrap_or_default()
}

fn join_names(names: &[String]) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => format!("container {last}"),
        Some((last, rest)) => format!("containers {} and {last}", rest.join(", ")),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// A value inside a markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
