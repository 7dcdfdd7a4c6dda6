//! Best practice beyond the Pod Security Standards. Values inherited from
//! the pod are reported once, where they are written, never once per
//! container.

use super::missing_anchor;
use super::rules::{self, Rule};
use super::structure::LineNumbers;
use super::values;
use super::Finding;
use crate::model::{ContainerKind, Origin, PodSpec};
use crate::syntax::{Node, ParsedFile, Span};

const DANGEROUS_CAPABILITIES: &[&str] =
    &["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "BPF", "PERFMON", "DAC_READ_SEARCH"];

const SENSITIVE_HOST_PATHS: &[&str] = &["/", "/etc", "/proc", "/sys", "/var/run", "/run", "/var/lib/kubelet"];

const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/k3s/containerd/containerd.sock",
];

/// UIDs and GIDs below this may belong to accounts of the node.
const LOW_ID_LIMIT: i128 = 10_000;

pub(super) fn check(text: &str, file: &ParsedFile, lines: &LineNumbers, pod: &PodSpec, findings: &mut Vec<Finding>) {
    let mut check = Check { text, file, lines, findings };
    check.dangerous_capabilities(pod);
    check.sensitive_host_paths(pod);
    check.read_only_root_filesystem(pod);
    check.missing_security_context(pod);
    check.root_group(pod);
    check.low_ids(pod);
    check.redundant(pod);
}

struct Check<'c> {
    text: &'c str,
    file: &'c ParsedFile,
    lines: &'c LineNumbers<'c>,
    findings: &'c mut Vec<Finding>,
}

impl Check<'_> {
    fn report(&mut self, rule: &'static Rule, container: Option<String>, span: Span, message: String) {
        if self.file.templates.is_templated(span) {
            return;
        }
        let who = container.map(|c| format!("container `{c}`: ")).unwrap_or_default();
        self.findings.push(Finding::new(rule, span, format!("{who}{message}")));
    }

    fn name(&self, container: &crate::model::Container) -> String {
        super::container_label(self.text, self.file, container)
    }

    fn dangerous_capabilities(&mut self, pod: &PodSpec) {
        for container in &pod.containers {
            let added = container
                .security_context_map()
                .and_then(|sc| sc.get_path(&["capabilities", "add"]))
                .and_then(Node::as_sequence)
                .unwrap_or_default();
            for item in added {
                let Some(name) = item.as_str() else { continue };
                let bare = name.to_ascii_uppercase();
                let bare = bare.trim_start_matches("CAP_");
                if DANGEROUS_CAPABILITIES.contains(&bare) {
                    let what = match bare {
                        "ALL" => "every capability, which is root on the node in all but name",
                        "SYS_ADMIN" => "`SYS_ADMIN`, which allows mounts, namespaces and most escapes",
                        "NET_ADMIN" => "`NET_ADMIN`, which can reconfigure the node's networking seen by the pod",
                        "SYS_PTRACE" => "`SYS_PTRACE`, which can read and alter other processes' memory",
                        "SYS_MODULE" => "`SYS_MODULE`, which can load kernel modules into the node",
                        "BPF" => "`BPF`, which can load eBPF programs into the node's kernel",
                        "PERFMON" => "`PERFMON`, which can observe the node's kernel and other processes",
                        _ => "`DAC_READ_SEARCH`, which bypasses file read permissions (open_by_handle_at escapes)",
                    };
                    let who = self.name(container);
                    self.report(
                        rules::DANGEROUS_CAPABILITY,
                        Some(who),
                        item.span,
                        format!("adds {what}. Remove it unless the workload truly needs it."),
                    );
                }
            }
        }
    }

    fn sensitive_host_paths(&mut self, pod: &PodSpec) {
        for volume in pod.spec.get("volumes").and_then(Node::as_sequence).unwrap_or_default() {
            let Some(path) = volume.get_path(&["hostPath", "path"]) else { continue };
            let Some(raw) = path.as_str() else { continue };
            let normalized = if raw.len() > 1 { raw.trim_end_matches('/') } else { raw };
            let socket = RUNTIME_SOCKETS.contains(&normalized);
            if socket || SENSITIVE_HOST_PATHS.contains(&normalized) {
                let name = super::volume_label(self.text, self.file, volume);
                let why = if socket {
                    "is the container runtime's socket: whoever can write to it controls every container on the node"
                } else {
                    "exposes the node's own system files to the pod"
                };
                self.report(
                    rules::SENSITIVE_HOST_PATH,
                    None,
                    path.span,
                    format!("volume `{name}` mounts `{raw}` from the node, which {why}."),
                );
            }
        }
    }

    fn read_only_root_filesystem(&mut self, pod: &PodSpec) {
        // Windows containers cannot set it.
        if pod.os_name() == Some("windows") {
            return;
        }
        for container in pod.containers.iter().filter(|c| c.kind != ContainerKind::Ephemeral) {
            let entry = container.security_context_map().and_then(|sc| sc.entry("readOnlyRootFilesystem"));
            let span = match entry {
                Some(e) if values::as_bool(&e.value) == Some(true) => continue,
                Some(e) if !e.value.is_null() => e.value.span,
                _ if container.partial => continue,
                _ => missing_anchor(container),
            };
            let who = self.name(container);
            self.report(
                rules::READ_ONLY_ROOT_FILESYSTEM,
                Some(who),
                span,
                "the root filesystem is writable; set `readOnlyRootFilesystem: true` and mount an emptyDir where the program writes."
                    .to_string(),
            );
        }
    }

    fn missing_security_context(&mut self, pod: &PodSpec) {
        let pod_has = pod.security_context_map().is_some_and(|sc| sc.as_mapping().is_some_and(|m| !m.is_empty()));
        if pod_has || pod.security_context_unknown {
            return;
        }
        for container in &pod.containers {
            let has = container.security_context_map().is_some_and(|sc| sc.as_mapping().is_some_and(|m| !m.is_empty()));
            if !has && !container.partial {
                let who = self.name(container);
                self.report(
                    rules::MISSING_SECURITY_CONTEXT,
                    Some(who),
                    missing_anchor(container),
                    "neither the pod nor this container sets a securityContext, so it runs with the image's user and the runtime's defaults."
                        .to_string(),
                );
            }
        }
    }

    fn root_group(&mut self, pod: &PodSpec) {
        for container in &pod.containers {
            if let Some(group) = pod.effective(container, "runAsGroup") {
                if values::as_int(group.value()) == Some(0) {
                    let who = (group.origin == Origin::Container).then(|| self.name(container));
                    self.report(
                        rules::RUN_AS_ROOT_GROUP,
                        who,
                        group.value().span,
                        "`runAsGroup: 0` runs as the root group, which owns many files on the node and in images; use a non-zero GID."
                            .to_string(),
                    );
                }
            }
        }
        let Some(sc) = pod.security_context_map() else { return };
        if let Some(fs_group) = sc.get("fsGroup").filter(|v| values::as_int(v) == Some(0)) {
            self.report(
                rules::RUN_AS_ROOT_GROUP,
                None,
                fs_group.span,
                "`fsGroup: 0` makes volumes owned by the root group and adds it to every container; use a non-zero GID.".to_string(),
            );
        }
        for item in sc.get("supplementalGroups").and_then(Node::as_sequence).unwrap_or_default() {
            if values::as_int(item) == Some(0) {
                self.report(
                    rules::RUN_AS_ROOT_GROUP,
                    None,
                    item.span,
                    "GID 0 in `supplementalGroups` adds the root group to every container; remove it.".to_string(),
                );
            }
        }
    }

    fn low_ids(&mut self, pod: &PodSpec) {
        for container in &pod.containers {
            for field in ["runAsUser", "runAsGroup"] {
                let Some(effective) = pod.effective(container, field) else { continue };
                let Some(id) = values::as_int(effective.value()) else { continue };
                if (0..LOW_ID_LIMIT).contains(&id) {
                    let who = (effective.origin == Origin::Container).then(|| self.name(container));
                    let message = match (field, id) {
                        ("runAsUser", 0) => format!(
                            "UID 0 is root: the container's processes run as the root user; use a non-root UID of \
                             {LOW_ID_LIMIT} or above (with `runAsNonRoot: true`)."
                        ),
                        (_, 0) => format!("GID 0 is the root group; use a GID of {LOW_ID_LIMIT} or above."),
                        ("runAsUser", _) => format!(
                            "UID {id} is below {LOW_ID_LIMIT} and may be the ID of an account on the node; prefer \
                             {LOW_ID_LIMIT} or above."
                        ),
                        _ => format!(
                            "GID {id} is below {LOW_ID_LIMIT} and may be the ID of a group on the node; prefer \
                             {LOW_ID_LIMIT} or above."
                        ),
                    };
                    self.report(rules::LOW_USER_ID, who, effective.value().span, message);
                }
            }
        }
    }

    fn redundant(&mut self, pod: &PodSpec) {
        let Some(pod_sc) = pod.security_context_map() else { return };
        for container in &pod.containers {
            let Some(sc) = container.security_context_map() else { continue };
            for entry in sc.as_mapping().unwrap_or_default() {
                let Some(key) = entry.key_str() else { continue };
                let Some(pod_value) = pod_sc.get(key) else { continue };
                let shared = crate::catalog::Catalog::embedded()
                    .security_context()
                    .field(key)
                    .is_some_and(|f| f.scope == crate::catalog::Scope::Both);
                if shared && !entry.value.is_null() && values::same_value(&entry.value, pod_value) {
                    let who = self.name(container);
                    let line = self.lines.of(pod_value.span.start);
                    self.report(
                        rules::REDUNDANT_SETTING,
                        Some(who),
                        Span::new(entry.key.span.start, entry.value.span.end),
                        format!("`{key}` repeats the value it already inherits from the pod securityContext (line {line}); remove it here."),
                    );
                }
            }
        }
    }
}
