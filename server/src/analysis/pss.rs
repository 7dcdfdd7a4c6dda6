//! The Pod Security Standards, with the semantics of the Pod Security
//! Admission checks at the configured Kubernetes version.
//!
//! Each check mirrors its PSA counterpart: every container (init and
//! ephemeral too) is visited; pod-level `runAsNonRoot` and `seccompProfile`
//! cover containers that do not set their own; where a restricted check
//! replaces a baseline one at this version, only the restricted one runs.

use super::policy::{self, LevelInForce, ProfileSource};
use super::rules::controls::{PssControl, PSS_CONTROLS};
use super::rules::{self, Rule, Severity};
use super::values;
use super::Finding;
use crate::config::{Config, KubeVersion, Profile};
use crate::model::{Container, PodSpec};
use crate::namespaces::Mode;
use crate::syntax::{Entry, Node, ParsedFile, Span};

/// Capabilities baseline allows adding: the runtime default set minus NET_RAW.
pub(crate) const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The only volume types restricted allows.
const RESTRICTED_VOLUME_TYPES: &[&str] =
    &["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/// Safe sysctls and the version that made each one safe.
const SAFE_SYSCTLS: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_notsent_lowat", 37),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
];

/// The version from which baseline allows the sysctl `name`, if ever.
pub fn sysctl_safe_since(name: &str) -> Option<KubeVersion> {
    SAFE_SYSCTLS.iter().find(|(n, _)| *n == name).map(|(_, since)| KubeVersion::new(*since))
}

/// The sysctls baseline allows at `version`.
pub fn safe_sysctls(version: KubeVersion) -> impl Iterator<Item = &'static str> {
    SAFE_SYSCTLS.iter().filter(move |(_, since)| version.at_least(*since)).map(|(name, _)| *name)
}

/// SELinux types baseline allows at `version`.
pub fn allowed_selinux_types(version: KubeVersion) -> &'static [&'static str] {
    if version.at_least(31) {
        &["container_t", "container_init_t", "container_kvm_t", "container_engine_t"]
    } else {
        &["container_t", "container_init_t", "container_kvm_t"]
    }
}

const PROBES: &[&str] = &["livenessProbe", "readinessProbe", "startupProbe"];
const LIFECYCLE_HANDLERS: &[&str] = &["postStart", "preStop"];

/// Checks one pod spec as admission judges its workload: at the level and
/// version its namespace enforces (errors: the pod would be rejected), else
/// the configured ones; a namespace's stricter `warn` level adds warnings.
pub(super) fn check_workload(
    text: &str,
    file: &ParsedFile,
    config: &Config,
    pod: &PodSpec,
    findings: &mut Vec<Finding>,
) {
    let policy = policy::policy_for(config, pod.object);
    let first = findings.len();
    check(text, file, &policy.enforce, pod, findings);
    if let Some(warn) = &policy.warn {
        let mut warnings = Vec::new();
        check(text, file, warn, pod, &mut warnings);
        warnings.retain(|w| !findings[first..].iter().any(|f| f.span == w.span && f.rule == w.rule));
        findings.extend(warnings);
    }
}

/// Checks one pod spec at one level and version.
pub(super) fn check(
    text: &str,
    file: &ParsedFile,
    judgement: &LevelInForce,
    pod: &PodSpec,
    findings: &mut Vec<Finding>,
) {
    if judgement.profile == Profile::Privileged {
        return;
    }
    let mut check = PodCheck {
        text,
        file,
        version: judgement.version,
        level: judgement.profile,
        source: &judgement.source,
        pod,
        windows: pod.os_name() == Some("windows"),
        user_namespaces: pod.spec.get("hostUsers").and_then(values::as_bool) == Some(false),
        findings,
    };
    check.run();
}

struct PodCheck<'c, 'a> {
    text: &'c str,
    file: &'c ParsedFile,
    version: KubeVersion,
    level: Profile,
    /// Who chose the level: shown in messages, kept on findings.
    source: &'c ProfileSource,
    pod: &'c PodSpec<'a>,
    windows: bool,
    /// `hostUsers: false`: the pod runs in its own user namespace.
    user_namespaces: bool,
    findings: &'c mut Vec<Finding>,
}

impl<'a> PodCheck<'_, 'a> {
    /// Runs each check admission runs on this pod (`rules::controls`).
    fn run(&mut self) {
        for control in PSS_CONTROLS {
            if control.runs_on(self.level, self.version, self.windows, self.user_namespaces) {
                self.check(control.rule);
            }
        }
    }

    fn check(&mut self, rule: &'static Rule) {
        match rule {
            rules::PSS_HOST_NAMESPACES => self.host_namespaces(),
            rules::PSS_PRIVILEGED => self.privileged(),
            rules::PSS_HOST_PATH_VOLUMES => self.host_path_volumes(),
            rules::PSS_RESTRICTED_VOLUMES => self.restricted_volumes(),
            rules::PSS_HOST_PORTS => self.host_ports(),
            rules::PSS_HOST_PROBES => self.host_probes(),
            rules::PSS_APPARMOR => self.app_armor(),
            rules::PSS_CAPABILITIES_BASELINE => self.capabilities_baseline(),
            rules::PSS_CAPABILITIES_RESTRICTED => self.capabilities_restricted(),
            rules::PSS_SELINUX => self.se_linux(),
            rules::PSS_PROC_MOUNT | rules::PSS_PROC_MOUNT_RESTRICTED => self.proc_mount(rule),
            rules::PSS_SECCOMP_BASELINE => self.seccomp_baseline(),
            rules::PSS_SECCOMP_RESTRICTED => self.seccomp_restricted(),
            rules::PSS_SYSCTLS => self.sysctls(),
            rules::PSS_WINDOWS_HOST_PROCESS => self.windows_host_process(),
            rules::PSS_ALLOW_PRIVILEGE_ESCALATION => self.allow_privilege_escalation(),
            rules::PSS_RUN_AS_NON_ROOT => self.run_as_non_root(),
            rules::PSS_RUN_AS_USER => self.run_as_user(),
            other => unreachable!("no check for {}", other.code),
        }
    }

    fn report(&mut self, rule: &'static Rule, container: Option<&Container>, span: Span, message: String) {
        if self.file.templates.is_templated(span) {
            return;
        }
        let who = match container {
            Some(c) => format!("container `{}`: ", self.container_name(c)),
            None => String::new(),
        };
        let standard = PssControl::of(rule).map_or(Profile::Baseline, |c| c.level);
        let decided = match self.source.label() {
            Some(label) if label.mode == Mode::Enforce => {
                format!("; namespace `{}` enforces {}: the pod will be rejected", label.namespace, self.level)
            }
            Some(label) => format!("; namespace `{}` warns at {}", label.namespace, self.level),
            None => String::new(),
        };
        let mut finding = Finding::new(
            rule,
            span,
            format!("{who}{message} (Pod Security Standards: {standard}, Kubernetes {}{decided})", self.version),
        );
        if self.source.is_enforced() {
            finding.severity = Severity::Error;
        }
        finding.profile_source = self.source.clone();
        self.findings.push(finding);
    }

    fn container_name(&self, container: &Container) -> String {
        super::container_label(self.text, self.file, container)
    }

    fn missing_anchor(container: &Container) -> Span {
        super::missing_anchor(container)
    }

    fn pod_setting(&self, key: &str) -> Option<&'a Entry> {
        self.pod.security_context_map()?.entry(key).filter(|e| !e.value.is_null())
    }

    fn container_setting(container: &Container<'a>, key: &str) -> Option<&'a Entry> {
        container.security_context_map()?.entry(key).filter(|e| !e.value.is_null())
    }

    fn host_namespaces(&mut self) {
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            if let Some(entry) = self.pod.spec.entry(key).filter(|e| values::as_bool(&e.value) == Some(true)) {
                let what = match key {
                    "hostNetwork" => "the node's network namespace",
                    "hostPID" => "the node's process namespace",
                    _ => "the node's IPC namespace",
                };
                self.report(
                    rules::PSS_HOST_NAMESPACES,
                    None,
                    entry.key.span,
                    format!("`{key}: true` shares {what} with the pod and is forbidden; remove it"),
                );
            }
        }
    }

    fn privileged(&mut self) {
        for container in &self.pod.containers {
            if let Some(entry) =
                Self::container_setting(container, "privileged").filter(|e| values::as_bool(&e.value) == Some(true))
            {
                self.report(
                    rules::PSS_PRIVILEGED,
                    Some(container),
                    entry.value.span,
                    "`privileged: true` gives the container nearly every host privilege and is forbidden".to_string(),
                );
            }
        }
    }

    fn volumes(&self) -> &'a [Node] {
        self.pod.spec.get("volumes").and_then(Node::as_sequence).unwrap_or_default()
    }

    fn volume_name(&self, volume: &Node) -> String {
        super::volume_label(self.text, self.file, volume)
    }

    fn host_path_volumes(&mut self) {
        for volume in self.volumes() {
            if let Some(entry) = volume.entry("hostPath").filter(|e| !e.value.is_null()) {
                let name = self.volume_name(volume);
                self.report(
                    rules::PSS_HOST_PATH_VOLUMES,
                    None,
                    entry.key.span,
                    format!("volume `{name}` mounts a path of the node (`hostPath`), which is forbidden; use an emptyDir, configMap or persistentVolumeClaim"),
                );
            }
        }
    }

    fn restricted_volumes(&mut self) {
        for volume in self.volumes() {
            let Some(entries) = volume.as_mapping() else { continue };
            let allowed = entries
                .iter()
                .any(|e| e.key_str().is_some_and(|k| RESTRICTED_VOLUME_TYPES.contains(&k)) && !e.value.is_null());
            if allowed {
                continue;
            }
            // A volume with no source at all defaults to emptyDir.
            let Some(source) = entries.iter().find(|e| e.key_str() != Some("name") && !e.value.is_null()) else {
                continue;
            };
            let name = self.volume_name(volume);
            let (span, what) = (source.key.span, format!("is of type `{}`", source.key_str().unwrap_or_default()));
            self.report(
                rules::PSS_RESTRICTED_VOLUMES,
                None,
                span,
                format!(
                    "volume `{name}` {what}; only configMap, csi, downwardAPI, emptyDir, ephemeral, \
                     persistentVolumeClaim, projected and secret volumes are allowed"
                ),
            );
        }
    }

    fn host_ports(&mut self) {
        for container in &self.pod.containers {
            for port in container.node.get("ports").and_then(Node::as_sequence).unwrap_or_default() {
                let Some(entry) = port.entry("hostPort") else { continue };
                if values::as_int(&entry.value).is_some_and(|p| p != 0) {
                    let value =
                        self.text.get(entry.value.span.start..entry.value.span.end).unwrap_or_default().to_string();
                    self.report(
                        rules::PSS_HOST_PORTS,
                        Some(container),
                        entry.key.span,
                        format!("`hostPort: {value}` binds a port on the node and is forbidden; expose the port with a Service instead"),
                    );
                }
            }
        }
    }

    fn host_probes(&mut self) {
        for container in &self.pod.containers {
            let mut handlers: Vec<(String, &Node)> = Vec::new();
            for probe in PROBES {
                if let Some(node) = container.node.get(probe) {
                    handlers.push((format!("`{probe}`"), node));
                }
            }
            for hook in LIFECYCLE_HANDLERS {
                if let Some(node) = container.node.get_path(&["lifecycle", hook]) {
                    handlers.push((format!("the `{hook}` lifecycle handler"), node));
                }
            }
            for (what, handler) in handlers {
                for action in ["httpGet", "tcpSocket"] {
                    let Some(host) = handler.get(action).and_then(|a| a.entry("host")) else { continue };
                    if host.value.as_str().is_some_and(|h| !h.is_empty()) {
                        self.report(
                            rules::PSS_HOST_PROBES,
                            Some(container),
                            host.key.span,
                            format!("{what} sets `{action}.host`, which is forbidden from Kubernetes 1.34: it lets the kubelet probe other hosts; remove `host`"),
                        );
                    }
                }
            }
        }
    }

    fn app_armor(&mut self) {
        if let Some(entry) = self.pod_setting("appArmorProfile") {
            self.app_armor_field(None, entry);
        }
        for container in &self.pod.containers {
            if let Some(entry) = Self::container_setting(container, "appArmorProfile") {
                self.app_armor_field(Some(container), entry);
            }
        }
        let annotations =
            self.pod.metadata.and_then(|m| m.get("annotations")).and_then(Node::as_mapping).unwrap_or_default();
        for entry in annotations {
            let Some(target) =
                entry.key_str().and_then(|k| k.strip_prefix("container.apparmor.security.beta.kubernetes.io/"))
            else {
                continue;
            };
            let value = entry.value.as_str().unwrap_or_default();
            if value.is_empty() || value == "runtime/default" || value.starts_with("localhost/") {
                continue;
            }
            self.report(
                rules::PSS_APPARMOR,
                None,
                entry.value.span,
                format!("the annotation sets AppArmor profile `{value}` for container `{target}`; only `runtime/default` or `localhost/<profile>` are allowed"),
            );
        }
    }

    fn app_armor_field(&mut self, container: Option<&Container>, entry: &Entry) {
        let Some(ty) = entry.value.get("type") else { return };
        let value = ty.as_str().unwrap_or_default();
        if !matches!(value, "RuntimeDefault" | "Localhost") && !ty.is_null() {
            self.report(
                rules::PSS_APPARMOR,
                container,
                ty.span,
                format!("AppArmor profile type `{value}` is forbidden; use `RuntimeDefault` or `Localhost`"),
            );
        }
    }

    fn capabilities_baseline(&mut self) {
        for container in &self.pod.containers {
            let Some(added) = Self::container_setting(container, "capabilities")
                .and_then(|c| c.value.get("add"))
                .and_then(Node::as_sequence)
            else {
                continue;
            };
            for item in added {
                let name = item.as_str().unwrap_or_default();
                if !BASELINE_CAPABILITIES.contains(&name) {
                    self.report(
                        rules::PSS_CAPABILITIES_BASELINE,
                        Some(container),
                        item.span,
                        format!(
                            "adding `{name}` is forbidden: only {} may be added (names are compared literally, upper case, without `CAP_`)",
                            BASELINE_CAPABILITIES.join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn capabilities_restricted(&mut self) {
        for container in &self.pod.containers {
            let capabilities = Self::container_setting(container, "capabilities");
            let drop = capabilities.and_then(|c| c.value.entry("drop"));
            let drops_all = drop
                .and_then(|d| d.value.as_sequence())
                .is_some_and(|items| items.iter().any(|i| i.as_str() == Some("ALL")));
            // A partial entry's drops may come from the operator's container.
            if !drops_all && !container.partial {
                let span = drop
                    .map(|d| d.key.span)
                    .or(capabilities.map(|c| c.key.span))
                    .unwrap_or_else(|| Self::missing_anchor(container));
                self.report(
                    rules::PSS_CAPABILITIES_RESTRICTED,
                    Some(container),
                    span,
                    "must drop every capability: set `capabilities: {drop: [ALL]}` (then add back `NET_BIND_SERVICE` if needed)".to_string(),
                );
            }
            let added = capabilities.and_then(|c| c.value.get("add")).and_then(Node::as_sequence).unwrap_or_default();
            for item in added {
                let name = item.as_str().unwrap_or_default();
                if name != "NET_BIND_SERVICE" {
                    self.report(
                        rules::PSS_CAPABILITIES_RESTRICTED,
                        Some(container),
                        item.span,
                        format!("adding `{name}` is forbidden: only `NET_BIND_SERVICE` may be added"),
                    );
                }
            }
        }
    }

    fn se_linux(&mut self) {
        if let Some(entry) = self.pod_setting("seLinuxOptions") {
            self.se_linux_options(None, entry);
        }
        for container in &self.pod.containers {
            if let Some(entry) = Self::container_setting(container, "seLinuxOptions") {
                self.se_linux_options(Some(container), entry);
            }
        }
    }

    fn se_linux_options(&mut self, container: Option<&Container>, entry: &Entry) {
        let allowed = allowed_selinux_types(self.version);
        if let Some(ty) = entry.value.get("type") {
            let value = ty.as_str().unwrap_or_default();
            if !value.is_empty() && !allowed.contains(&value) {
                let list = allowed.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
                self.report(
                    rules::PSS_SELINUX,
                    container,
                    ty.span,
                    format!("SELinux type `{value}` is forbidden; use one of {list}, or leave it unset"),
                );
            }
        }
        for key in ["user", "role"] {
            if let Some(field) = entry.value.entry(key).filter(|e| e.value.as_str().is_some_and(|v| !v.is_empty())) {
                self.report(
                    rules::PSS_SELINUX,
                    container,
                    field.key.span,
                    format!("setting the SELinux `{key}` is forbidden; remove it"),
                );
            }
        }
    }

    fn proc_mount(&mut self, rule: &'static Rule) {
        for container in &self.pod.containers {
            let Some(entry) = Self::container_setting(container, "procMount") else { continue };
            let value = entry.value.as_str().unwrap_or_default();
            if value != "Default" {
                let why = if rule == rules::PSS_PROC_MOUNT && self.version.at_least(35) {
                    "; it is allowed only in a pod with `hostUsers: false`"
                } else if rule == rules::PSS_PROC_MOUNT_RESTRICTED && self.user_namespaces {
                    ", even with `hostUsers: false`"
                } else {
                    ""
                };
                self.report(
                    rule,
                    Some(container),
                    entry.value.span,
                    format!("`procMount: {value}` unmasks the node's /proc and is forbidden{why}; use `Default`"),
                );
            }
        }
    }

    fn seccomp_baseline(&mut self) {
        if self.version.at_least(19) {
            if let Some(entry) = self.pod_setting("seccompProfile") {
                self.seccomp_unconfined(None, entry);
            }
            for container in &self.pod.containers {
                if let Some(entry) = Self::container_setting(container, "seccompProfile") {
                    self.seccomp_unconfined(Some(container), entry);
                }
            }
            return;
        }
        // Before 1.19 seccomp was set by annotations.
        let annotations =
            self.pod.metadata.and_then(|m| m.get("annotations")).and_then(Node::as_mapping).unwrap_or_default();
        for entry in annotations {
            let Some(key) = entry.key_str() else { continue };
            let target = if key == "seccomp.security.alpha.kubernetes.io/pod" {
                "the pod".to_string()
            } else if let Some(c) = key.strip_prefix("container.seccomp.security.alpha.kubernetes.io/") {
                format!("container `{c}`")
            } else {
                continue;
            };
            if entry.value.as_str() == Some("unconfined") {
                self.report(
                    rules::PSS_SECCOMP_BASELINE,
                    None,
                    entry.value.span,
                    format!("the annotation turns seccomp off (`unconfined`) for {target}, which is forbidden; use `runtime/default`"),
                );
            }
        }
    }

    fn seccomp_unconfined(&mut self, container: Option<&Container>, entry: &Entry) {
        if let Some(ty) = entry.value.get("type").filter(|t| t.as_str() == Some("Unconfined")) {
            self.report(
                rules::PSS_SECCOMP_BASELINE,
                container,
                ty.span,
                "seccomp profile `Unconfined` turns system call filtering off and is forbidden; use `RuntimeDefault`"
                    .to_string(),
            );
        }
    }

    fn seccomp_restricted(&mut self) {
        let good = |entry: &Entry| {
            entry.value.get("type").and_then(Node::as_str).is_some_and(|t| t == "RuntimeDefault" || t == "Localhost")
        };
        let pod = self.pod_setting("seccompProfile");
        let pod_good = pod.is_some_and(good);
        if let Some(entry) = pod.filter(|e| !good(e)) {
            let span = entry.value.get("type").map_or(entry.key.span, |t| t.span);
            self.report(
                rules::PSS_SECCOMP_RESTRICTED,
                None,
                span,
                "the pod's seccomp profile must be `RuntimeDefault` or `Localhost`".to_string(),
            );
        }
        for container in &self.pod.containers {
            match Self::container_setting(container, "seccompProfile") {
                Some(entry) if !good(entry) => {
                    let span = entry.value.get("type").map_or(entry.key.span, |t| t.span);
                    self.report(
                        rules::PSS_SECCOMP_RESTRICTED,
                        Some(container),
                        span,
                        "seccomp profile must be `RuntimeDefault` or `Localhost`".to_string(),
                    );
                }
                None if !pod_good && !container.partial && !self.pod.security_context_unknown => self.report(
                    rules::PSS_SECCOMP_RESTRICTED,
                    Some(container),
                    Self::missing_anchor(container),
                    "no seccomp profile: set `seccompProfile: {type: RuntimeDefault}` in the pod securityContext (covers every container) or in this container".to_string(),
                ),
                _ => {}
            }
        }
    }

    fn sysctls(&mut self) {
        let Some(entry) = self.pod_setting("sysctls") else { return };
        for item in entry.value.as_sequence().unwrap_or_default() {
            let Some(name) = item.get("name") else { continue };
            let value = name.as_str().unwrap_or_default();
            if !safe_sysctls(self.version).any(|s| s == value) {
                let safe: Vec<&str> = safe_sysctls(self.version).collect();
                self.report(
                    rules::PSS_SYSCTLS,
                    None,
                    name.span,
                    format!(
                        "sysctl `{value}` is not one of the safe sysctls allowed at this version: {}",
                        safe.join(", ")
                    ),
                );
            }
        }
    }

    fn windows_host_process(&mut self) {
        let host_process = |sc: Option<&'a Node>| {
            sc.and_then(|sc| sc.get_path(&["windowsOptions"]))
                .and_then(|w| w.entry("hostProcess"))
                .filter(|e| values::as_bool(&e.value) == Some(true))
        };
        if let Some(entry) = host_process(self.pod.security_context_map()) {
            self.report(
                rules::PSS_WINDOWS_HOST_PROCESS,
                None,
                entry.value.span,
                "`hostProcess: true` runs Windows HostProcess containers with access to the node and is forbidden"
                    .to_string(),
            );
        }
        for container in &self.pod.containers {
            if let Some(entry) = host_process(container.security_context_map()) {
                self.report(
                    rules::PSS_WINDOWS_HOST_PROCESS,
                    Some(container),
                    entry.value.span,
                    "`hostProcess: true` runs a Windows HostProcess container with access to the node and is forbidden"
                        .to_string(),
                );
            }
        }
    }

    fn allow_privilege_escalation(&mut self) {
        for container in &self.pod.containers {
            match Self::container_setting(container, "allowPrivilegeEscalation") {
                Some(entry) if values::as_bool(&entry.value) == Some(false) => {}
                Some(entry) => self.report(
                    rules::PSS_ALLOW_PRIVILEGE_ESCALATION,
                    Some(container),
                    entry.value.span,
                    "`allowPrivilegeEscalation` must be `false`".to_string(),
                ),
                None if container.partial => {}
                None => self.report(
                    rules::PSS_ALLOW_PRIVILEGE_ESCALATION,
                    Some(container),
                    Self::missing_anchor(container),
                    "must set `allowPrivilegeEscalation: false`; unset, a process can gain more privileges than its parent (setuid binaries)".to_string(),
                ),
            }
        }
    }

    fn run_as_non_root(&mut self) {
        let pod = self.pod_setting("runAsNonRoot");
        let pod_true = pod.is_some_and(|e| values::as_bool(&e.value) == Some(true));
        if let Some(entry) = pod.filter(|e| values::as_bool(&e.value) != Some(true)) {
            self.report(
                rules::PSS_RUN_AS_NON_ROOT,
                None,
                entry.value.span,
                "`runAsNonRoot` must be `true` (or unset, with every container setting it)".to_string(),
            );
        }
        for container in &self.pod.containers {
            match Self::container_setting(container, "runAsNonRoot") {
                Some(entry) if values::as_bool(&entry.value) != Some(true) => self.report(
                    rules::PSS_RUN_AS_NON_ROOT,
                    Some(container),
                    entry.value.span,
                    "`runAsNonRoot` must be `true`".to_string(),
                ),
                None if !pod_true && !container.partial && !self.pod.security_context_unknown => self.report(
                    rules::PSS_RUN_AS_NON_ROOT,
                    Some(container),
                    Self::missing_anchor(container),
                    "may run as root: set `runAsNonRoot: true` in the pod securityContext (covers every container) or in this container".to_string(),
                ),
                _ => {}
            }
        }
    }

    fn run_as_user(&mut self) {
        if let Some(entry) = self.pod_setting("runAsUser").filter(|e| values::as_int(&e.value) == Some(0)) {
            self.report(
                rules::PSS_RUN_AS_USER,
                None,
                entry.value.span,
                "`runAsUser: 0` runs the containers as root, which is forbidden; use a non-zero UID".to_string(),
            );
        }
        for container in &self.pod.containers {
            if let Some(entry) =
                Self::container_setting(container, "runAsUser").filter(|e| values::as_int(&e.value) == Some(0))
            {
                self.report(
                    rules::PSS_RUN_AS_USER,
                    Some(container),
                    entry.value.span,
                    "`runAsUser: 0` runs the container as root, which is forbidden; use a non-zero UID".to_string(),
                );
            }
        }
    }
}
