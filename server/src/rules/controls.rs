//! The Pod Security Standards controls: which profile enforces each check,
//! from which Kubernetes version, which restricted check replaces which
//! baseline one, and the pods a check exempts. The checks (`analysis::pss`),
//! hover and completion (`ide`) and the conformance test all read this table.

use super::*;
use crate::standards::{KubeVersion, Profile};

/// One Pod Security Admission check.
#[derive(Debug, PartialEq, Eq)]
pub struct PssControl {
    pub rule: &'static Rule,
    /// The lowest profile that enforces it.
    pub level: Profile,
    /// The first Kubernetes minor version whose admission runs it.
    pub since: u32,
    /// For a baseline check: the restricted check that replaces it in the
    /// restricted profile, and the minor from which it does.
    pub replaced_in_restricted: Option<(&'static Rule, u32)>,
    /// From this minor, pods with `spec.os.name: windows` are exempt.
    pub windows_exempt_from: Option<u32>,
    /// From this minor, pods with `hostUsers: false` are exempt.
    pub user_namespaces_exempt_from: Option<u32>,
}

const fn control(rule: &'static Rule, level: Profile, since: u32) -> PssControl {
    PssControl {
        rule,
        level,
        since,
        replaced_in_restricted: None,
        windows_exempt_from: None,
        user_namespaces_exempt_from: None,
    }
}

const fn baseline(rule: &'static Rule) -> PssControl {
    control(rule, Profile::Baseline, 0)
}

/// Every control, in the order admission reports them.
pub const PSS_CONTROLS: &[PssControl] = &[
    baseline(PSS_HOST_NAMESPACES),
    baseline(PSS_PRIVILEGED),
    PssControl { replaced_in_restricted: Some((PSS_RESTRICTED_VOLUMES, 0)), ..baseline(PSS_HOST_PATH_VOLUMES) },
    control(PSS_RESTRICTED_VOLUMES, Profile::Restricted, 0),
    baseline(PSS_HOST_PORTS),
    control(PSS_HOST_PROBES, Profile::Baseline, 34),
    baseline(PSS_APPARMOR),
    PssControl {
        replaced_in_restricted: Some((PSS_CAPABILITIES_RESTRICTED, 22)),
        ..baseline(PSS_CAPABILITIES_BASELINE)
    },
    PssControl { windows_exempt_from: Some(25), ..control(PSS_CAPABILITIES_RESTRICTED, Profile::Restricted, 22) },
    baseline(PSS_SELINUX),
    PssControl {
        replaced_in_restricted: Some((PSS_PROC_MOUNT_RESTRICTED, 35)),
        user_namespaces_exempt_from: Some(35),
        ..baseline(PSS_PROC_MOUNT)
    },
    control(PSS_PROC_MOUNT_RESTRICTED, Profile::Restricted, 35),
    PssControl { replaced_in_restricted: Some((PSS_SECCOMP_RESTRICTED, 19)), ..baseline(PSS_SECCOMP_BASELINE) },
    PssControl { windows_exempt_from: Some(25), ..control(PSS_SECCOMP_RESTRICTED, Profile::Restricted, 19) },
    baseline(PSS_SYSCTLS),
    baseline(PSS_WINDOWS_HOST_PROCESS),
    PssControl { windows_exempt_from: Some(25), ..control(PSS_ALLOW_PRIVILEGE_ESCALATION, Profile::Restricted, 8) },
    PssControl { user_namespaces_exempt_from: Some(35), ..control(PSS_RUN_AS_NON_ROOT, Profile::Restricted, 0) },
    PssControl { user_namespaces_exempt_from: Some(35), ..control(PSS_RUN_AS_USER, Profile::Restricted, 23) },
];

impl PssControl {
    /// The control of a Pod Security rule.
    pub fn of(rule: &Rule) -> Option<&'static PssControl> {
        PSS_CONTROLS.iter().find(|c| c.rule == rule)
    }

    /// Admission runs this check for `profile` at `version` (before the
    /// exemptions of particular pods).
    pub fn in_force(&self, profile: Profile, version: KubeVersion) -> bool {
        let replaced = profile == Profile::Restricted
            && self.replaced_in_restricted.is_some_and(|(_, minor)| version.at_least(minor));
        profile >= self.level && version.at_least(self.since) && !replaced
    }

    /// Admission runs this check on a pod with these traits.
    pub fn runs_on(&self, profile: Profile, version: KubeVersion, windows: bool, user_namespaces: bool) -> bool {
        let exempt = |from: Option<u32>, applies: bool| applies && from.is_some_and(|m| version.at_least(m));
        self.in_force(profile, version)
            && !exempt(self.windows_exempt_from, windows)
            && !exempt(self.user_namespaces_exempt_from, user_namespaces)
    }

    /// The codes a finding of this check may carry: its own, and the code of
    /// the restricted check that replaces it.
    pub fn codes(&self) -> Vec<&'static str> {
        std::iter::once(self.rule.code).chain(self.replaced_in_restricted.map(|(r, _)| r.code)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pod_security_rule_has_one_control() {
        let pss: Vec<&str> = ALL.iter().filter(|r| r.group == RuleGroup::PodSecurity).map(|r| r.code).collect();
        let controlled: Vec<&str> = PSS_CONTROLS.iter().map(|c| c.rule.code).collect();
        let mut sorted = controlled.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), controlled.len(), "a rule with two controls");
        for code in &pss {
            assert!(controlled.contains(code), "{code} has no control");
        }
        assert_eq!(pss.len(), controlled.len());
    }

    #[test]
    fn restricted_replaces_baseline_checks_from_their_versions() {
        let seccomp = PssControl::of(PSS_SECCOMP_BASELINE).unwrap();
        assert!(seccomp.in_force(Profile::Restricted, KubeVersion::new(18)));
        assert!(!seccomp.in_force(Profile::Restricted, KubeVersion::new(19)));
        assert!(seccomp.in_force(Profile::Baseline, KubeVersion::new(37)));
        assert!(!seccomp.in_force(Profile::Privileged, KubeVersion::new(37)));
        let restricted = PssControl::of(PSS_SECCOMP_RESTRICTED).unwrap();
        assert!(restricted.runs_on(Profile::Restricted, KubeVersion::new(24), true, false));
        assert!(!restricted.runs_on(Profile::Restricted, KubeVersion::new(25), true, false));
        let run_as_user = PssControl::of(PSS_RUN_AS_USER).unwrap();
        assert!(!run_as_user.in_force(Profile::Restricted, KubeVersion::new(22)));
        assert!(!run_as_user.runs_on(Profile::Restricted, KubeVersion::new(35), false, true));
        assert_eq!(PssControl::of(PSS_PROC_MOUNT).unwrap().codes(), ["pss/procMount", "pss/procMount_restricted"]);
    }
}
