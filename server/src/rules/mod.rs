//! The rule catalog: every code podsec reports, its default severity and
//! the one-line summary shown in documentation.

pub mod controls;
pub mod docs;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleGroup {
    Structure,
    PodSecurity,
    BestPractice,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    pub group: RuleGroup,
    pub default_severity: Severity,
    pub summary: &'static str,
}

/// Where each rule is documented; the anchor is the code.
pub const DOCS_BASE: &str = "https://github.com/podsec/podsec/blob/main/docs/rules.md";

impl Rule {
    pub fn docs_url(&self) -> String {
        let anchor: String =
            self.code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        format!("{DOCS_BASE}#{}", anchor.to_ascii_lowercase())
    }
}

macro_rules! rules {
    ($($name:ident = $code:literal, $group:ident, $severity:ident, $summary:literal;)*) => {
        $(pub const $name: &Rule = &Rule {
            code: $code,
            group: RuleGroup::$group,
            default_severity: Severity::$severity,
            summary: $summary,
        };)*
        /// Every rule, in documentation order.
        pub const ALL: &[&Rule] = &[$($name),*];
    };
}

rules! {
    YAML_SYNTAX = "yaml-syntax", Structure, Error, "The YAML cannot be parsed.";
    POD_ONLY_FIELD = "pod-only-field", Structure, Error, "A pod-only field appears in a container securityContext.";
    CONTAINER_ONLY_FIELD = "container-only-field", Structure, Error, "A container-only field appears in the pod securityContext.";
    UNKNOWN_FIELD = "unknown-field", Structure, Error, "A key that the securityContext or its nested object does not have.";
    INVALID_TYPE = "invalid-type", Structure, Error, "A value of the wrong YAML type (quoted number or boolean, float, map or list in the wrong place).";
    YAML11_BOOLEAN = "yaml11-boolean", Structure, Warning, "yes/no/on/off used as a boolean: YAML 1.1 and 1.2 tools disagree.";
    INVALID_VALUE = "invalid-value", Structure, Error, "An enum value that is not allowed, an ID out of range or a malformed sysctl name.";
    INVALID_CAPABILITY = "invalid-capability", Structure, Error, "A capability Linux does not have, or one written with `CAP_` or in lower case.";
    MISSING_REQUIRED = "missing-required", Structure, Error, "A profile without `type`, a Localhost profile without `localhostProfile`, a sysctl without name or value.";
    DUPLICATE_KEY = "duplicate-key", Structure, Error, "The same key twice in one mapping.";
    CONFLICTING_SETTINGS = "conflicting-settings", Structure, Error, "Settings the API server or the kubelet refuse together.";
    WINDOWS_INCOMPATIBLE = "windows-incompatible", Structure, Error, "A Linux-only field in a Windows pod, or `windowsOptions` in a Linux pod.";
    UNSUPPORTED_IN_VERSION = "unsupported-in-version", Structure, Warning, "A field newer than the configured Kubernetes version.";
    DEPRECATED_ANNOTATION = "deprecated-annotation", Structure, Warning, "A seccomp or AppArmor annotation that the fields replaced.";
    REMOVED_API = "removed-api", Structure, Error, "An API version the configured Kubernetes no longer serves: `PodSecurityPolicy` (1.25), `extensions/v1beta1` and `apps/v1beta1`/`v1beta2` workloads (1.16), `batch/v1beta1` CronJob (1.25).";
    INVALID_CONFIG = "invalid-config", Structure, Error, "A `.podsec.yaml` setting podsec cannot use (the rest of the file still applies).";
    INVALID_SUPPRESSION = "invalid-suppression", Structure, Warning, "A `# podsec:ignore` comment names a code podsec does not have.";
    PSS_HOST_NAMESPACES = "pss/hostNamespaces", PodSecurity, Warning, "Baseline: no `hostNetwork`, `hostPID` or `hostIPC`.";
    PSS_PRIVILEGED = "pss/privileged", PodSecurity, Warning, "Baseline: no privileged containers.";
    PSS_CAPABILITIES_BASELINE = "pss/capabilities_baseline", PodSecurity, Warning, "Baseline: add only capabilities of the runtime's default set (minus NET_RAW).";
    PSS_HOST_PATH_VOLUMES = "pss/hostPathVolumes", PodSecurity, Warning, "Baseline: no hostPath volumes.";
    PSS_HOST_PORTS = "pss/hostPorts", PodSecurity, Warning, "Baseline: no host ports.";
    PSS_HOST_PROBES = "pss/hostProbesAndHostLifecycle", PodSecurity, Warning, "Baseline (1.34+): probes and lifecycle handlers may not set `host`.";
    PSS_APPARMOR = "pss/appArmorProfile", PodSecurity, Warning, "Baseline: AppArmor may not be Unconfined.";
    PSS_SELINUX = "pss/seLinuxOptions", PodSecurity, Warning, "Baseline: only container SELinux types; no SELinux user or role.";
    PSS_PROC_MOUNT = "pss/procMount", PodSecurity, Warning, "Baseline: `procMount` must be Default (relaxed with `hostUsers: false` from 1.35).";
    PSS_SECCOMP_BASELINE = "pss/seccompProfile_baseline", PodSecurity, Warning, "Baseline: seccomp may not be Unconfined.";
    PSS_SYSCTLS = "pss/sysctls", PodSecurity, Warning, "Baseline: only the safe sysctls of the Kubernetes version.";
    PSS_WINDOWS_HOST_PROCESS = "pss/windowsHostProcess", PodSecurity, Warning, "Baseline: no Windows HostProcess containers.";
    PSS_RESTRICTED_VOLUMES = "pss/restrictedVolumes", PodSecurity, Warning, "Restricted: only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.";
    PSS_ALLOW_PRIVILEGE_ESCALATION = "pss/allowPrivilegeEscalation", PodSecurity, Warning, "Restricted: every container sets `allowPrivilegeEscalation: false`.";
    PSS_RUN_AS_NON_ROOT = "pss/runAsNonRoot", PodSecurity, Warning, "Restricted: `runAsNonRoot: true` for every container (pod level counts).";
    PSS_RUN_AS_USER = "pss/runAsUser", PodSecurity, Warning, "Restricted (1.23+): no `runAsUser: 0`.";
    PSS_SECCOMP_RESTRICTED = "pss/seccompProfile_restricted", PodSecurity, Warning, "Restricted (1.19+): seccomp RuntimeDefault or Localhost for every container (pod level counts).";
    PSS_CAPABILITIES_RESTRICTED = "pss/capabilities_restricted", PodSecurity, Warning, "Restricted (1.22+): drop ALL; add at most NET_BIND_SERVICE.";
    PSS_PROC_MOUNT_RESTRICTED = "pss/procMount_restricted", PodSecurity, Warning, "Restricted (1.35+): `procMount` must be Default, even with `hostUsers: false`.";
    READ_ONLY_ROOT_FILESYSTEM = "read-only-root-filesystem", BestPractice, Information, "A container does not set `readOnlyRootFilesystem: true`.";
    RUN_AS_ROOT_GROUP = "run-as-root-group", BestPractice, Information, "Effective `runAsGroup: 0`, `fsGroup: 0`, or GID 0 in `supplementalGroups`.";
    DANGEROUS_CAPABILITY = "dangerous-capability", BestPractice, Warning, "`add` holds ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, BPF, PERFMON or DAC_READ_SEARCH (reported under every profile).";
    SENSITIVE_HOST_PATH = "sensitive-host-path", BestPractice, Warning, "A hostPath volume of /, /etc, /proc, /sys, /var/run, /run, /var/lib/kubelet or a container runtime socket.";
    MISSING_SECURITY_CONTEXT = "missing-security-context", BestPractice, Information, "Neither the pod nor the container sets any securityContext.";
    REDUNDANT_SETTING = "redundant-setting", BestPractice, Hint, "A container repeats the value it already inherits from the pod.";
    LOW_USER_ID = "low-user-id", BestPractice, Hint, "Effective `runAsUser` or `runAsGroup` below 10000 (may collide with host accounts).";
}

/// The rule with this code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}
