//! The structural rules: what the API server rejects or silently drops in a
//! securityContext, whatever the Pod Security profile.

use super::rules::{self, Rule};
use super::values::{self, Reading};
use super::Finding;
use crate::catalog::{Catalog, Field, FieldType, Object};
use crate::config::Config;
use crate::model::{self, Container, Origin, PodSpec, Workloads};
use crate::syntax::{Entry, Node, ParsedFile, Span, Value, MAX_DEPTH};

pub(super) struct Context<'a> {
    pub text: &'a str,
    pub file: &'a ParsedFile,
    pub config: &'a Config,
    pub root: &'a Node,
    pub workloads: &'a Workloads<'a>,
    pub lines: &'a LineNumbers<'a>,
}

/// Which securityContext a check is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Pod,
    Container,
}

struct Checker<'a, 'f> {
    cx: &'a Context<'a>,
    catalog: &'static Catalog,
    findings: &'f mut Vec<Finding>,
    /// `container `web`: ` or empty at pod level.
    prefix: String,
}

pub(super) fn check(cx: &Context, findings: &mut Vec<Finding>) {
    let mut checker = Checker { cx, catalog: Catalog::embedded(), findings, prefix: String::new() };
    checker.duplicate_keys();
    checker.removed_api(cx.root, 0);
    for pod in &cx.workloads.pods {
        checker.pod(pod);
    }
}

impl<'a> Checker<'a, '_> {
    fn report(&mut self, rule: &'static Rule, span: Span, message: String) {
        if self.cx.file.templates.is_templated(span) {
            return;
        }
        self.findings.push(Finding::new(rule, span, format!("{}{message}", self.prefix)));
    }

    fn report_severity(&mut self, rule: &'static Rule, severity: super::Severity, span: Span, message: String) {
        self.report(rule, span, message);
        if let Some(last) = self.findings.last_mut() {
            if last.span == span && last.rule == rule {
                last.severity = severity;
            }
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.cx.lines.of(offset)
    }

    /// The container's name as the user wrote it, template included.
    fn container_name(&self, container: &Container) -> String {
        super::container_label(self.cx.text, self.cx.file, container)
    }

    fn pod(&mut self, pod: &PodSpec<'a>) {
        let sc_object = self.catalog.security_context();
        self.prefix.clear();
        if let Some(entry) = pod.security_context {
            self.security_context(entry, Level::Pod, sc_object);
        }
        for container in &pod.containers {
            self.prefix = format!("container `{}`: ", self.container_name(container));
            if let Some(entry) = container.security_context {
                self.security_context(entry, Level::Container, sc_object);
            }
            self.conflicts(pod, container);
        }
        self.prefix.clear();
        self.run_as_root_conflicts(pod);
        self.windows(pod);
        self.deprecated_annotations(pod);
    }

    fn security_context(&mut self, entry: &'a Entry, level: Level, object: &'static Object) {
        let value = &entry.value;
        match &value.value {
            Value::Mapping(_) => self.object(value, object, Some(level)),
            Value::Scalar(s) if s.is_null() => {}
            Value::Alias => {}
            _ => self.report(
                rules::INVALID_TYPE,
                value.span,
                format!("`securityContext` must be a mapping of settings, not a {}.", value.kind_name()),
            ),
        }
    }

    /// Checks the keys of a mapping against a catalog object. `level` is set
    /// for a securityContext itself.
    fn object(&mut self, node: &'a Node, object: &'static Object, level: Option<Level>) {
        let Some(entries) = node.as_mapping() else { return };
        for entry in entries {
            let Some(key) = entry.key_str() else { continue };
            if key == "<<" {
                continue;
            }
            match object.field(key) {
                Some(field) => {
                    if let Some(level) = level {
                        self.scope(entry, field, level);
                    }
                    self.version(entry, field);
                    self.value(entry, field, object);
                }
                None => self.unknown(entry, key, object, level),
            }
        }
    }

    fn scope(&mut self, entry: &Entry, field: &Field, level: Level) {
        let name = &field.name;
        match level {
            Level::Container if !field.scope.allows_container() => self.report(
                rules::POD_ONLY_FIELD,
                entry.key.span,
                format!(
                    "`{name}` is a pod-level field and has no effect in a container securityContext: \
                     the API server rejects or drops it. Move it to the pod's `spec.securityContext`, \
                     where it applies to every container."
                ),
            ),
            Level::Pod if !field.scope.allows_pod() => self.report(
                rules::CONTAINER_ONLY_FIELD,
                entry.key.span,
                format!(
                    "`{name}` is a container-level field and has no effect in the pod securityContext: \
                     the API server rejects or drops it. Set it in each container's `securityContext`."
                ),
            ),
            _ => {}
        }
    }

    fn unknown(&mut self, entry: &Entry, key: &str, object: &'static Object, level: Option<Level>) {
        let in_scope = object.fields.iter().filter(|f| match level {
            Some(Level::Pod) => f.scope.allows_pod(),
            Some(Level::Container) => f.scope.allows_container(),
            None => true,
        });
        let place = match level {
            Some(Level::Pod) => "the pod securityContext".to_string(),
            Some(Level::Container) => "a container securityContext".to_string(),
            None => format!("`{}`", object.name),
        };
        let suggestion = match values::nearest(key, in_scope.map(|f| f.name.as_str())) {
            Some(name) => format!(" Did you mean `{name}`?"),
            None => match values::nearest(key, object.fields.iter().map(|f| f.name.as_str())) {
                Some(name) => {
                    let other = if level == Some(Level::Pod) { "container" } else { "pod" };
                    format!(" Did you mean `{name}`? It belongs in the {other} securityContext.")
                }
                None => String::new(),
            },
        };
        self.report(
            rules::UNKNOWN_FIELD,
            entry.key.span,
            format!("`{key}` is not a field of {place}; Kubernetes ignores or rejects it.{suggestion}"),
        );
    }

    fn version(&mut self, entry: &Entry, field: &Field) {
        let configured = self.cx.config.kubernetes_version;
        if let Some(since) = field.since.filter(|since| configured < *since) {
            self.report(
                rules::UNSUPPORTED_IN_VERSION,
                entry.key.span,
                format!(
                    "`{}` needs Kubernetes {since} or later; an API server at the configured version \
                     {configured} drops it silently. Raise the configured version if the cluster is newer.",
                    field.name
                ),
            );
        }
    }

    fn value(&mut self, entry: &'a Entry, field: &'static Field, owner: &Object) {
        let node = &entry.value;
        let label = qualified(owner, field);
        if node.is_null() || matches!(node.value, Value::Alias) || self.cx.file.templates.is_templated(node.span) {
            return;
        }
        match field.ty {
            FieldType::Integer => self.integer(node, field, &field.name),
            FieldType::Boolean => self.boolean(node, field),
            FieldType::String => self.string(node, field, &label),
            FieldType::Capability => self.capability(node),
            FieldType::Object => {
                let Some(object) = field.object.as_deref().and_then(|o| self.catalog.object(o)) else { return };
                if node.as_mapping().is_some() {
                    self.object(node, object, None);
                    self.object_rules(node, object, entry.key.span);
                } else {
                    self.report(
                        rules::INVALID_TYPE,
                        node.span,
                        format!(
                            "`{}` must be a mapping (with keys such as `{}`), not a {}.",
                            field.name,
                            object.fields[0].name,
                            node.kind_name()
                        ),
                    );
                }
            }
            FieldType::List => self.list(node, field),
        }
    }

    fn list(&mut self, node: &'a Node, field: &'static Field) {
        let Some(items) = node.as_sequence() else {
            let example = match node.as_str() {
                Some(v) if !v.is_empty() => format!(" Write `{}: [{v}]`.", field.name),
                _ => String::new(),
            };
            self.report(
                rules::INVALID_TYPE,
                node.span,
                format!("`{}` must be a list, not a {}.{example}", field.name, node.kind_name()),
            );
            return;
        };
        let item_label = format!("an item of `{}`", field.name);
        for item in items {
            if item.is_null() || matches!(item.value, Value::Alias) || self.cx.file.templates.is_templated(item.span) {
                continue;
            }
            match field.items {
                Some(FieldType::Integer) => self.integer(item, field, &item_label),
                Some(FieldType::Capability) => self.capability(item),
                Some(FieldType::Object) => {
                    let Some(object) = field.object.as_deref().and_then(|o| self.catalog.object(o)) else { continue };
                    if item.as_mapping().is_some() {
                        self.object(item, object, None);
                        self.object_rules(item, object, item.span);
                    } else {
                        self.report(
                            rules::INVALID_TYPE,
                            item.span,
                            format!("{item_label} must be a mapping, not a {}.", item.kind_name()),
                        );
                    }
                }
                _ => {}
            }
        }
        if field.name == "sysctls" {
            self.duplicate_sysctls(items);
        }
    }

    fn integer(&mut self, node: &Node, field: &Field, label: &str) {
        let Some(reading) = values::read(node) else {
            self.report(
                rules::INVALID_TYPE,
                node.span,
                format!("{} must be an integer, not a {}.", capitalized(label, &field.name), node.kind_name()),
            );
            return;
        };
        let raw = node.as_str().unwrap_or_default();
        let written = source(self.cx.text, node.span);
        let problem = match reading {
            Reading::Int(value) => {
                if let Some([min, max]) = field.range {
                    if value < min as i128 || value > max as i128 {
                        self.report(
                            rules::INVALID_VALUE,
                            node.span,
                            format!(
                                "{} must be between {min} and {max}; the API server rejects {value}.",
                                capitalized(label, &field.name)
                            ),
                        );
                    }
                }
                return;
            }
            Reading::String if raw.trim().parse::<i64>().is_ok() => {
                format!(
                    "is quoted, so Kubernetes reads a string and rejects it. Write the number unquoted: `{}`.",
                    raw.trim()
                )
            }
            Reading::Float => "is a decimal number; IDs are whole numbers.".to_string(),
            Reading::Bool(_) | Reading::Yaml11Bool(_) => "is a boolean to Kubernetes, not an integer.".to_string(),
            _ => "is not an integer.".to_string(),
        };
        self.report(
            rules::INVALID_TYPE,
            node.span,
            format!("{} must be an integer (written unquoted); `{written}` {problem}", capitalized(label, &field.name)),
        );
    }

    fn boolean(&mut self, node: &Node, field: &Field) {
        let name = &field.name;
        let Some(reading) = values::read(node) else {
            self.report(
                rules::INVALID_TYPE,
                node.span,
                format!("`{name}` must be `true` or `false`, not a {}.", node.kind_name()),
            );
            return;
        };
        let raw = node.as_str().unwrap_or_default();
        match reading {
            Reading::Bool(_) => {}
            Reading::Yaml11Bool(b) => self.report(
                rules::YAML11_BOOLEAN,
                node.span,
                format!(
                    "`{name}: {raw}` is read as `{b}` by Kubernetes (YAML 1.1) but as the string \"{raw}\" by \
                     YAML 1.2 tools; write `{b}`."
                ),
            ),
            Reading::String
                if values::yaml11_bool(raw).is_some() || matches!(raw, "true" | "false" | "True" | "False") =>
            {
                let b = raw.eq_ignore_ascii_case("true") || values::yaml11_bool(raw) == Some(true);
                self.report(
                    rules::INVALID_TYPE,
                    node.span,
                    format!("`{name}` must be a boolean; the quoted `{}` is a string, which the API server rejects. Write `{b}` unquoted.", source(self.cx.text, node.span)),
                );
            }
            _ => self.report(
                rules::INVALID_TYPE,
                node.span,
                format!("`{name}` must be `true` or `false`; `{raw}` is not a boolean."),
            ),
        }
    }

    fn string(&mut self, node: &Node, field: &Field, name: &str) {
        let Some(reading) = values::read(node) else {
            self.report(
                rules::INVALID_TYPE,
                node.span,
                format!("`{name}` must be a string, not a {}.", node.kind_name()),
            );
            return;
        };
        let raw = node.as_str().unwrap_or_default();
        let what = match reading {
            Reading::Int(_) | Reading::Float => Some("a number"),
            Reading::Bool(_) | Reading::Yaml11Bool(_) => Some("a boolean"),
            _ => None,
        };
        if let Some(what) = what {
            self.report(
                rules::INVALID_TYPE,
                node.span,
                format!("`{name}` must be a string; unquoted `{raw}` is {what} to Kubernetes and the API server rejects it. Quote it: `\"{raw}\"`."),
            );
            return;
        }
        if !field.values.is_empty() && !field.allows_value(raw) {
            let hint = match values::nearest(raw, field.values.iter().map(|v| v.value.as_str())) {
                Some(near) if near.eq_ignore_ascii_case(raw) => format!(" Values are case-sensitive: write `{near}`."),
                Some(near) => format!(" Did you mean `{near}`?"),
                None => String::new(),
            };
            self.report(
                rules::INVALID_VALUE,
                node.span,
                format!("`{raw}` is not a valid `{name}`: expected {}.{hint}", field.value_list()),
            );
        }
    }

    fn capability(&mut self, node: &Node) {
        let raw = match values::read(node) {
            Some(Reading::String) => node.as_str().unwrap_or_default(),
            _ => {
                self.report(
                    rules::INVALID_TYPE,
                    node.span,
                    format!("A capability name must be a string, not `{}`.", source(self.cx.text, node.span)),
                );
                return;
            }
        };
        if self.catalog.is_capability(raw) {
            return;
        }
        let upper = raw.to_ascii_uppercase();
        let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
        if self.catalog.is_capability(bare) {
            let how = if upper.starts_with("CAP_") { "without the `CAP_` prefix" } else { "in upper case" };
            self.report_severity(
                rules::INVALID_CAPABILITY,
                super::Severity::Warning,
                node.span,
                format!(
                    "Write `{bare}` {how}: Kubernetes compares capability names literally, so the Pod Security \
                     Standards do not recognise `{raw}`."
                ),
            );
            return;
        }
        let hint = values::nearest(bare, self.catalog.capabilities.all.iter().map(String::as_str))
            .map(|n| format!(" Did you mean `{n}`?"))
            .unwrap_or_default();
        self.report(rules::INVALID_CAPABILITY, node.span, format!("`{raw}` is not a Linux capability.{hint}"));
    }

    /// Rules about an object as a whole: required keys and the Localhost pairing.
    /// `owner` is the key holding the object (or the list item itself).
    fn object_rules(&mut self, node: &Node, object: &Object, owner: Span) {
        match object.name.as_str() {
            "seccompProfile" | "appArmorProfile" => self.profile_object(node, &object.name, owner),
            "sysctl" => self.sysctl(node),
            _ => {}
        }
    }

    fn profile_object(&mut self, node: &Node, name: &str, owner: Span) {
        let ty = node.entry("type");
        let local = node.entry("localhostProfile").filter(|e| !e.value.is_null());
        match ty.filter(|e| !e.value.is_null()) {
            None => {
                let span = ty.map_or(owner, |e| e.key.span);
                self.report(
                    rules::MISSING_REQUIRED,
                    span,
                    format!("`{name}` needs a `type`: `RuntimeDefault`, `Localhost` or `Unconfined`; the API server rejects it without one."),
                );
            }
            Some(ty) => match (ty.value.as_str(), local) {
                (Some("Localhost"), None) => self.report(
                    rules::MISSING_REQUIRED,
                    ty.value.span,
                    format!("`{name}` of type `Localhost` needs `localhostProfile`, the profile to load from the node."),
                ),
                (Some(other), Some(local)) if other != "Localhost" && !self.cx.file.templates.is_templated(ty.value.span) => self.report(
                    rules::MISSING_REQUIRED,
                    local.key.span,
                    format!("`localhostProfile` is only allowed with `type: Localhost`; the API server rejects it with `type: {other}`. Remove it."),
                ),
                _ => {}
            },
        }
    }

    fn sysctl(&mut self, node: &Node) {
        let name = node.get("name").filter(|n| !n.is_null());
        let value = node.get("value").filter(|n| !n.is_null());
        let anchor = first_key_span(node).unwrap_or(node.span);
        match (name, value) {
            (None, _) => self.report(rules::MISSING_REQUIRED, anchor, "A sysctl needs a `name`.".to_string()),
            (Some(n), None) => {
                let label = n.as_str().unwrap_or_default().to_string();
                self.report(rules::MISSING_REQUIRED, anchor, format!("Sysctl `{label}` needs a `value` (a string)."));
            }
            _ => {}
        }
        if let Some(name) = name.filter(|n| values::read(n) == Some(Reading::String)) {
            let raw = name.as_str().unwrap_or_default();
            if !valid_sysctl_name(raw) {
                self.report(
                    rules::INVALID_VALUE,
                    name.span,
                    format!("`{raw}` is not a valid sysctl name: lower-case words of letters, digits, `-` and `_`, separated by `.` or `/` (e.g. `net.ipv4.ip_local_port_range`)."),
                );
            }
        }
    }

    fn duplicate_sysctls(&mut self, items: &[Node]) {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for item in items {
            let Some(name) = item.get("name") else { continue };
            let Some(raw) = name.as_str().filter(|s| !s.is_empty()) else { continue };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == raw) {
                let line = self.line(*first);
                self.report(
                    rules::INVALID_VALUE,
                    name.span,
                    format!("Sysctl `{raw}` is already set on line {line}; the API server rejects duplicate names."),
                );
            } else {
                seen.push((raw, name.span.start));
            }
        }
    }

    fn conflicts(&mut self, _pod: &PodSpec<'a>, container: &Container<'a>) {
        let Some(sc) = container.security_context_map() else { return };
        let Some(ape) = sc.entry("allowPrivilegeEscalation") else { return };
        if values::as_bool(&ape.value) != Some(false) {
            return;
        }
        if let Some(privileged) = sc.entry("privileged").filter(|e| values::as_bool(&e.value) == Some(true)) {
            let line = self.line(privileged.key.span.start);
            self.report(
                rules::CONFLICTING_SETTINGS,
                ape.value.span,
                format!(
                    "`allowPrivilegeEscalation: false` cannot be combined with `privileged: true` (line {line}): \
                     the API server rejects the pod. A privileged container can always escalate; remove `privileged: true`."
                ),
            );
        }
        let added = sc.get_path(&["capabilities", "add"]).and_then(Node::as_sequence).unwrap_or_default();
        // The API server compares the string as written: only the literal
        // `CAP_SYS_ADMIN` is refused (Kubernetes 1.37 ValidateSecurityContext).
        if let Some(literal) = added.iter().find(|c| c.as_str() == Some("CAP_SYS_ADMIN")) {
            let line = self.line(literal.span.start);
            self.report(
                rules::CONFLICTING_SETTINGS,
                ape.value.span,
                format!(
                    "`allowPrivilegeEscalation: false` cannot be combined with adding `CAP_SYS_ADMIN` (line {line}): \
                     the API server rejects the pod. CAP_SYS_ADMIN allows escalation anyway; drop one of them."
                ),
            );
        } else if let Some(sys_admin) = added.iter().find(|c| c.as_str() == Some("SYS_ADMIN")) {
            // Accepted, but the documentation says the setting is then
            // always true: it promises what it cannot hold.
            let line = self.line(sys_admin.span.start);
            self.report_severity(
                rules::CONFLICTING_SETTINGS,
                super::Severity::Warning,
                ape.value.span,
                format!(
                    "`allowPrivilegeEscalation: false` does not hold with `SYS_ADMIN` added (line {line}): with \
                     CAP_SYS_ADMIN a container can always escalate, so the setting is true in effect. Drop \
                     `SYS_ADMIN` if the container can do without it."
                ),
            );
        }
    }

    /// Effective `runAsNonRoot: true` with effective `runAsUser: 0`, reported
    /// once where the offending value is written: once for the pod when both
    /// come from the pod, never once per container for the same lines.
    fn run_as_root_conflicts(&mut self, pod: &PodSpec<'a>) {
        if pod.os_name() == Some("windows") {
            return;
        }
        for container in &pod.containers {
            let (Some(non_root), Some(user)) =
                (pod.effective(container, "runAsNonRoot"), pod.effective(container, "runAsUser"))
            else {
                continue;
            };
            if values::as_bool(non_root.value()) != Some(true) || values::as_int(user.value()) != Some(0) {
                continue;
            }
            let where_user = if user.origin == Origin::Pod { "the pod securityContext" } else { "this container" };
            let where_non_root =
                if non_root.origin == Origin::Pod { "the pod securityContext" } else { "this container" };
            let non_root_line = self.line(non_root.entry.key.span.start);
            let user_line = self.line(user.entry.key.span.start);
            let both_pod = user.origin == Origin::Pod && non_root.origin == Origin::Pod;
            self.prefix =
                if both_pod { String::new() } else { format!("container `{}`: ", self.container_name(container)) };
            let message = if both_pod {
                format!(
                    "`runAsUser: 0` with `runAsNonRoot: true` (line {non_root_line}): the kubelet refuses to start \
                     every container that does not set its own user. Use a non-zero UID."
                )
            } else {
                format!(
                    "runs as UID 0 (`runAsUser` from {where_user}, line {user_line}) while `runAsNonRoot: true` \
                     (from {where_non_root}, line {non_root_line}): the kubelet refuses to start it. Use a non-zero UID."
                )
            };
            let span = if user.origin == Origin::Container || non_root.origin == Origin::Pod {
                user.value().span
            } else {
                non_root.value().span
            };
            self.report(rules::CONFLICTING_SETTINGS, span, message);
        }
        self.prefix.clear();
    }

    fn windows(&mut self, pod: &PodSpec<'a>) {
        let Some(os) = pod.os_name() else { return };
        let mut contexts: Vec<(String, &Node)> = Vec::new();
        if let Some(sc) = pod.security_context_map() {
            contexts.push((String::new(), sc));
        }
        for container in &pod.containers {
            if let Some(sc) = container.security_context_map() {
                contexts.push((format!("container `{}`: ", self.container_name(container)), sc));
            }
        }
        let object = self.catalog.security_context();
        for (prefix, sc) in contexts {
            self.prefix = prefix;
            for entry in sc.as_mapping().unwrap_or_default() {
                let Some(field) = entry.key_str().and_then(|k| object.field(k)) else { continue };
                if entry.value.is_null() {
                    continue;
                }
                if os == "windows" && field.linux_only {
                    self.report(
                        rules::WINDOWS_INCOMPATIBLE,
                        entry.key.span,
                        format!(
                            "`{}` cannot be set in a Windows pod (`spec.os.name: windows`): the API server rejects it. \
                             Remove it, or use `windowsOptions` for Windows settings.",
                            field.name
                        ),
                    );
                } else if os == "linux" && field.windows_only {
                    self.report(
                        rules::WINDOWS_INCOMPATIBLE,
                        entry.key.span,
                        format!("`{}` cannot be set in a Linux pod (`spec.os.name: linux`): the API server rejects it. Remove it.", field.name),
                    );
                }
            }
        }
        self.prefix.clear();
    }

    fn deprecated_annotations(&mut self, pod: &PodSpec<'a>) {
        let version = self.cx.config.kubernetes_version;
        let Some(annotations) = pod.metadata.and_then(|m| m.get("annotations")).and_then(Node::as_mapping) else {
            return;
        };
        for entry in annotations {
            let Some(key) = entry.key_str() else { continue };
            let value = entry.value.as_str().unwrap_or_default();
            let Some((annotation, container)) = DeprecatedAnnotation::of(key) else { continue };
            let (field, since) = (annotation.field, annotation.deprecated_since);
            if !version.at_least(since) {
                continue;
            }
            let target = match container {
                Some(c) => format!("container `{c}`'s `securityContext`"),
                None => "the pod's `spec.securityContext`".to_string(),
            };
            let effect = match annotation.ignored_since {
                Some(ignored) if version.at_least(ignored) => format!(
                    "has no effect from Kubernetes 1.{ignored}: the API server ignores it (and warns that it is \
                     non-functional)"
                ),
                Some(ignored) => format!(
                    "is deprecated since Kubernetes 1.{since}; the API server at {version} still copies it to \
                     `{field}`, and from 1.{ignored} ignores it"
                ),
                None => format!(
                    "is deprecated since Kubernetes 1.{since}; it still applies (the API server copies it to \
                     `{field}`, and Pod Security judges it)"
                ),
            };
            let replacement = profile_from_annotation(value)
                .map(|(ty, local)| match local {
                    Some(path) => format!("`{field}: {{type: {ty}, localhostProfile: {path}}}`"),
                    None => format!("`{field}: {{type: {ty}}}`"),
                })
                .unwrap_or_else(|| format!("`{field}`"));
            self.report(
                rules::DEPRECATED_ANNOTATION,
                entry.key.span,
                format!("The annotation `{key}` {effect}. Set {replacement} in {target} instead."),
            );
        }
    }

    fn removed_api(&mut self, object: &'a Node, depth: usize) {
        let kind = object.entry("kind");
        let api_version = object.entry("apiVersion");
        let version = self.cx.config.kubernetes_version;
        match kind.and_then(|k| k.value.as_str()) {
            Some("List") if depth < 8 => {
                for item in object.get("items").and_then(Node::as_sequence).unwrap_or_default() {
                    self.removed_api(item, depth + 1);
                }
            }
            Some(name) => {
                let written = api_version.and_then(|a| a.value.as_str()).unwrap_or_default();
                let Some(removed) = model::removed_api(written, name, version.minor) else { return };
                // `{{- if .Capabilities.APIVersions.Has "policy/v1beta1/PodSecurityPolicy" }}`:
                // rendered only where the cluster serves it.
                let at = kind.map_or(object.span, |k| k.key.span);
                // Bitnami's `common.capabilities.psp.supported` asks the same.
                let guarded = self.cx.file.templates.guards(at).iter().any(|branch| {
                    let condition = &branch.condition;
                    (condition.contains(".Capabilities.APIVersions.Has") && condition.contains(&format!("\"{written}")))
                        || (name == "PodSecurityPolicy" && condition.contains("capabilities.psp.supported"))
                });
                if guarded {
                    return;
                }
                let since = removed.removed_in;
                let message = match removed.replacement {
                    Some(replacement) => {
                        let selector = if replacement == "apps/v1" && object.get_path(&["spec", "selector"]).is_none() {
                            ", which requires `spec.selector` (matching the template's labels)"
                        } else {
                            ""
                        };
                        format!(
                            "`{written}` {name} was removed in Kubernetes 1.{since}; the API server at {version} \
                             rejects this object. Use `apiVersion: {replacement}`{selector}."
                        )
                    }
                    None => format!(
                        "PodSecurityPolicy was removed in Kubernetes 1.{since}; the API server at {version} rejects \
                         this object. Use Pod Security Admission (namespace labels \
                         `pod-security.kubernetes.io/enforce`)."
                    ),
                };
                // At the API version, where a replacement is written; at the kind otherwise.
                let at = match removed.replacement {
                    Some(_) => api_version.or(kind),
                    None => kind,
                };
                self.report(rules::REMOVED_API, at.map_or(object.span, |e| e.value.span), message);
            }
            None => {}
        }
    }

    /// The same key twice in one mapping, anywhere in the document. Keys on
    /// either side of a Helm `if`/`else` are alternatives, not duplicates.
    fn duplicate_keys(&mut self) {
        let mut stack: Vec<(&'a Node, usize)> = vec![(self.cx.root, 0)];
        while let Some((node, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                continue;
            }
            match &node.value {
                Value::Mapping(entries) => {
                    // Earlier key of each name; a map keeps huge mappings linear.
                    let mut first_of: std::collections::HashMap<&str, &Entry> = std::collections::HashMap::new();
                    for entry in entries {
                        stack.push((&entry.value, depth + 1));
                        let Some(key) = entry.key_str() else { continue };
                        if key == "<<" {
                            continue;
                        }
                        let Some(first) = first_of.get(key).copied() else {
                            first_of.insert(key, entry);
                            continue;
                        };
                        // Keys under different template conditions: whether Helm
                        // renders both depends on the values (and never, for
                        // exclusive branches of one `if`/`else`).
                        if !self.cx.file.templates.same_guards(first.key.span.start, entry.key.span.start) {
                            continue;
                        }
                        let line = self.line(first.key.span.start);
                        self.report(
                            rules::DUPLICATE_KEY,
                            entry.key.span,
                            format!("`{key}` is already set in this mapping on line {line}; kubectl rejects duplicate keys and other tools keep only one of them. Remove one."),
                        );
                    }
                }
                Value::Sequence(items) => stack.extend(items.iter().map(|n| (n, depth + 1))),
                _ => {}
            }
        }
    }
}

/// `seccompProfile.type`, `sysctls[].value`, or a securityContext field's own name.
fn qualified(owner: &Object, field: &Field) -> String {
    match owner.name.as_str() {
        "securityContext" => field.name.clone(),
        "sysctl" => format!("sysctls[].{}", field.name),
        object => format!("{object}.{}", field.name),
    }
}

fn capitalized(label: &str, name: &str) -> String {
    if label == name {
        format!("`{name}`")
    } else {
        let mut chars = label.chars();
        chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
    }
}

fn source(text: &str, span: Span) -> &str {
    text.get(span.start..span.end).unwrap_or_default()
}

fn first_key_span(node: &Node) -> Option<Span> {
    node.as_mapping()?.first().map(|e| e.key.span)
}

/// 1-based line numbers for messages, indexed on first use: most files
/// never need one, and a file with many findings needs many.
pub(crate) struct LineNumbers<'a> {
    text: &'a str,
    /// The line of the file `text` starts on (0-based): non-zero when `text`
    /// is one document cut out of a longer file.
    first_line: usize,
    index: std::cell::OnceCell<crate::text::LineIndex>,
}

impl<'a> LineNumbers<'a> {
    pub(crate) fn new(text: &'a str, first_line: usize) -> Self {
        LineNumbers { text, first_line, index: std::cell::OnceCell::new() }
    }

    pub(crate) fn of(&self, offset: usize) -> usize {
        self.first_line + self.index.get_or_init(|| crate::text::LineIndex::new(self.text)).line_of(offset) + 1
    }

    /// Whether some message named a line, and so depends on `first_line`.
    pub(crate) fn were_used(&self) -> bool {
        self.index.get().is_some()
    }
}

/// An annotation that a securityContext field replaced, and what the API
/// server does with it at each Kubernetes version (pkg/api/pod/warnings.go
/// and the annotation-to-field sync of Kubernetes 1.37).
struct DeprecatedAnnotation {
    /// The pod annotation, or the prefix of the per-container one.
    key: &'static str,
    per_container: bool,
    field: &'static str,
    /// The field's first version: from here the annotation is deprecated.
    deprecated_since: u32,
    /// From this version the API server ignores the annotation.
    ignored_since: Option<u32>,
}

const DEPRECATED_ANNOTATIONS: &[DeprecatedAnnotation] = &[
    DeprecatedAnnotation {
        key: "seccomp.security.alpha.kubernetes.io/pod",
        per_container: false,
        field: "seccompProfile",
        deprecated_since: 19,
        ignored_since: Some(27),
    },
    DeprecatedAnnotation {
        key: "container.seccomp.security.alpha.kubernetes.io/",
        per_container: true,
        field: "seccompProfile",
        deprecated_since: 19,
        ignored_since: Some(27),
    },
    // Still synced to the field, and read by Pod Security Admission.
    DeprecatedAnnotation {
        key: "container.apparmor.security.beta.kubernetes.io/",
        per_container: true,
        field: "appArmorProfile",
        deprecated_since: 30,
        ignored_since: None,
    },
];

impl DeprecatedAnnotation {
    /// The annotation `key` is, and the container it names.
    fn of(key: &str) -> Option<(&'static DeprecatedAnnotation, Option<&str>)> {
        DEPRECATED_ANNOTATIONS.iter().find_map(|a| match a.per_container {
            true => key.strip_prefix(a.key).map(|c| (a, Some(c))),
            false => (key == a.key).then_some((a, None)),
        })
    }
}

/// The profile field a seccomp or AppArmor annotation value stands for, as
/// the API server converts it: `runtime/default` → RuntimeDefault,
/// `localhost/p` → Localhost + p (`localhost/` alone stands for nothing).
pub(crate) fn profile_from_annotation(value: &str) -> Option<(&'static str, Option<&str>)> {
    match value {
        "runtime/default" | "docker/default" => Some(("RuntimeDefault", None)),
        "unconfined" => Some(("Unconfined", None)),
        _ => value.strip_prefix("localhost/").filter(|p| !p.is_empty()).map(|p| ("Localhost", Some(p))),
    }
}

/// The API server's sysctl name format: dot- or slash-separated segments of
/// lower-case letters, digits, `-` and `_`, each starting and ending with a
/// letter or digit; at most 253 characters.
fn valid_sysctl_name(name: &str) -> bool {
    let segment_ok = |s: &str| {
        let b = s.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
            && b[b.len() - 1].is_ascii_lowercase() | b[b.len() - 1].is_ascii_digit()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
    };
    !name.is_empty() && name.len() <= 253 && name.split(['.', '/']).all(segment_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_names() {
        assert!(valid_sysctl_name("net.ipv4.ip_local_port_range"));
        assert!(valid_sysctl_name("kernel.shm_rmid_forced"));
        assert!(valid_sysctl_name("net/ipv4/conf/eth0.100/forwarding"));
        assert!(!valid_sysctl_name("Net.IPv4.x"));
        assert!(!valid_sysctl_name("net..ipv4"));
        assert!(!valid_sysctl_name("net.ipv4."));
    }

    #[test]
    fn line_numbers_count_every_break_kind() {
        assert_eq!(LineNumbers::new("a\nb\r\nc\rd", 0).of(7), 4);
        assert_eq!(LineNumbers::new("abc", 0).of(1), 1);
        assert_eq!(LineNumbers::new("abc", 9).of(1), 10);
    }
}
