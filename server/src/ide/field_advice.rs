//! What hover and completion say beyond the catalog: which Pod Security
//! Standards control restricts each field, which value is the secure
//! choice, and what the safe sysctls do.

use crate::analysis::rules::controls::PssControl;
use crate::analysis::rules::{self, Rule};
use crate::analysis::{allowed_selinux_types, safe_sysctls, BASELINE_CAPABILITIES};
use crate::config::{KubeVersion, Profile};

/// One Pod Security Standards control, as it bears on one field.
pub(crate) struct Control {
    /// Its level, versions and replacements (`rules::controls`).
    pub pss: &'static PssControl,
    /// What the control requires, in words.
    pub requirement: fn(KubeVersion) -> String,
}

impl Control {
    pub fn applies(&self, profile: Profile, version: KubeVersion) -> bool {
        self.pss.in_force(profile, version)
    }
}

fn control(rule: &'static Rule, requirement: fn(KubeVersion) -> String) -> Control {
    Control { pss: PssControl::of(rule).expect("a Pod Security rule has a control"), requirement }
}

fn code_list(items: &[&str]) -> String {
    items.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}

fn privileged() -> Control {
    control(rules::PSS_PRIVILEGED, |_| "must be `false` or unset".into())
}

fn capabilities_baseline() -> Control {
    control(rules::PSS_CAPABILITIES_BASELINE, |_| format!("may add only {}", code_list(BASELINE_CAPABILITIES)))
}

fn capabilities_restricted() -> Control {
    control(rules::PSS_CAPABILITIES_RESTRICTED, |_| "must drop `ALL` and may add only `NET_BIND_SERVICE`".into())
}

fn seccomp() -> [Control; 2] {
    [
        control(rules::PSS_SECCOMP_BASELINE, |_| "the type must not be `Unconfined`".into()),
        control(rules::PSS_SECCOMP_RESTRICTED, |_| {
            "the type must be `RuntimeDefault` or `Localhost`, set in the pod (for every container) or in each container".into()
        }),
    ]
}

fn app_armor() -> Control {
    control(rules::PSS_APPARMOR, |_| "the type must be `RuntimeDefault` or `Localhost`, not `Unconfined`".into())
}

fn se_linux() -> Control {
    control(rules::PSS_SELINUX, |version| {
        format!(
            "the type must be unset or one of {}; `user` and `role` must be unset",
            code_list(allowed_selinux_types(version))
        )
    })
}

fn proc_mount() -> [Control; 2] {
    [
        control(rules::PSS_PROC_MOUNT, |version| {
            if version.at_least(35) {
                "must be `Default`, unless the pod sets `hostUsers: false`".into()
            } else {
                "must be `Default` or unset".into()
            }
        }),
        control(rules::PSS_PROC_MOUNT_RESTRICTED, |_| {
            "must be `Default` or unset, even with `hostUsers: false`".into()
        }),
    ]
}

fn sysctls() -> Control {
    control(rules::PSS_SYSCTLS, |version| {
        format!("only the safe sysctls: {}", code_list(&safe_sysctls(version).collect::<Vec<_>>()))
    })
}

fn host_process() -> Control {
    control(rules::PSS_WINDOWS_HOST_PROCESS, |_| "`hostProcess` must be `false` or unset".into())
}

/// The controls that restrict `field` of the catalog object `object`.
pub(crate) fn controls(object: &str, field: &str) -> Vec<Control> {
    match (object, field) {
        ("securityContext", "privileged") => vec![privileged()],
        ("securityContext", "capabilities") | ("capabilities", "add") => {
            vec![capabilities_baseline(), capabilities_restricted()]
        }
        ("capabilities", "drop") => vec![capabilities_restricted()],
        ("securityContext", "seccompProfile") | ("seccompProfile", "type") => seccomp().into(),
        ("securityContext", "appArmorProfile") | ("appArmorProfile", "type") => vec![app_armor()],
        ("securityContext", "seLinuxOptions") | ("seLinuxOptions", "type" | "user" | "role") => vec![se_linux()],
        ("securityContext", "procMount") => proc_mount().into(),
        ("securityContext", "sysctls") | ("sysctl", "name") => vec![sysctls()],
        ("securityContext", "windowsOptions") | ("windowsOptions", "hostProcess") => vec![host_process()],
        ("securityContext", "allowPrivilegeEscalation") => {
            vec![control(rules::PSS_ALLOW_PRIVILEGE_ESCALATION, |_| "every container must set it to `false`".into())]
        }
        ("securityContext", "runAsNonRoot") => {
            vec![control(rules::PSS_RUN_AS_NON_ROOT, |_| {
                "must be `true` for every container: in the container, or in the pod for the containers that do not set it".into()
            })]
        }
        ("securityContext", "runAsUser") => {
            vec![control(rules::PSS_RUN_AS_USER, |_| "must not be `0` (root)".into())]
        }
        _ => Vec::new(),
    }
}

/// Values of a field in the order completion offers them: the secure or
/// recommended choice first.
pub(crate) fn preferred_values(object: &str, field: &str) -> Option<&'static [&'static str]> {
    Some(match (object, field) {
        ("securityContext", "privileged" | "allowPrivilegeEscalation") | ("windowsOptions", "hostProcess") => {
            &["false", "true"]
        }
        ("securityContext", "runAsNonRoot" | "readOnlyRootFilesystem") => &["true", "false"],
        ("seccompProfile" | "appArmorProfile", "type") => &["RuntimeDefault", "Localhost", "Unconfined"],
        ("securityContext", "procMount") => &["Default", "Unmasked"],
        // Strict ignores group memberships the image's /etc/group grants.
        ("securityContext", "supplementalGroupsPolicy") => &["Strict", "Merge"],
        ("securityContext", "fsGroupChangePolicy") => &["OnRootMismatch", "Always"],
        ("securityContext", "seLinuxChangePolicy") => &["MountOption", "Recursive"],
        _ => return None,
    })
}

/// The lowest profile that forbids `value` of a field, for the values a
/// profile forbids outright.
pub(crate) fn forbidden_by(object: &str, field: &str, value: &str) -> Option<Profile> {
    Some(match (object, field, value) {
        ("securityContext", "privileged", "true")
        | ("seccompProfile" | "appArmorProfile", "type", "Unconfined")
        | ("securityContext", "procMount", "Unmasked")
        | ("windowsOptions", "hostProcess", "true") => Profile::Baseline,
        ("securityContext", "allowPrivilegeEscalation", "true") | ("securityContext", "runAsNonRoot", "false") => {
            Profile::Restricted
        }
        _ => return None,
    })
}

/// What a safe sysctl does, in one line.
pub(crate) fn sysctl_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "kernel.shm_rmid_forced" => "destroy System V shared memory segments once no process is attached",
        "net.ipv4.ip_local_port_range" => "the range of local ports used for outgoing connections",
        "net.ipv4.tcp_syncookies" => "SYN cookies, a defence against SYN floods",
        "net.ipv4.ping_group_range" => "the groups that may open ICMP echo (ping) sockets without NET_RAW",
        "net.ipv4.ip_unprivileged_port_start" => "the first port a process may bind without NET_BIND_SERVICE",
        "net.ipv4.ip_local_reserved_ports" => "ports kept out of automatic local port assignment",
        "net.ipv4.tcp_keepalive_time" => "seconds a connection is idle before TCP keepalive probes start",
        "net.ipv4.tcp_fin_timeout" => "seconds an orphaned connection stays in FIN-WAIT-2",
        "net.ipv4.tcp_keepalive_intvl" => "seconds between TCP keepalive probes",
        "net.ipv4.tcp_keepalive_probes" => "unanswered keepalive probes before TCP drops the connection",
        "net.ipv4.tcp_rmem" => "minimum, default and maximum TCP receive buffer sizes",
        "net.ipv4.tcp_wmem" => "minimum, default and maximum TCP send buffer sizes",
        "net.ipv4.tcp_notsent_lowat" => "unsent bytes a TCP socket may queue before it reports writable",
        "net.ipv4.tcp_slow_start_after_idle" => "whether TCP restarts slow start after an idle period",
        _ => return None,
    })
}

/// Container kinds' list keys in a pod spec.
pub(crate) const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn preferred_values_are_the_catalog_values() {
        let catalog = Catalog::embedded();
        for object in &catalog.objects {
            for field in &object.fields {
                let Some(values) = preferred_values(&object.name, &field.name) else { continue };
                let mut ours: Vec<&str> = values.to_vec();
                let mut theirs: Vec<&str> = field.values.iter().map(|v| v.value.as_str()).collect();
                if theirs.is_empty() {
                    theirs = vec!["false", "true"];
                }
                ours.sort_unstable();
                theirs.sort_unstable();
                assert_eq!(ours, theirs, "{}.{}", object.name, field.name);
            }
        }
    }

    #[test]
    fn every_safe_sysctl_has_a_meaning() {
        for name in safe_sysctls(KubeVersion::NEWEST) {
            assert!(sysctl_meaning(name).is_some(), "{name}");
        }
    }

    #[test]
    fn restricted_replaces_baseline_controls_from_their_version() {
        let [baseline, restricted] = seccomp();
        assert!(baseline.applies(Profile::Restricted, KubeVersion::new(18)));
        assert!(!baseline.applies(Profile::Restricted, KubeVersion::new(19)));
        assert!(baseline.applies(Profile::Baseline, KubeVersion::new(37)));
        assert!(restricted.applies(Profile::Restricted, KubeVersion::new(19)));
        assert!(!restricted.applies(Profile::Baseline, KubeVersion::new(37)));
        assert!(!privileged().applies(Profile::Privileged, KubeVersion::new(37)));
    }
}
