//! What the analysis is asked to judge against. Plain data: the lsp and cli
//! layers fill it from flags, settings and files.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::analysis::rules::{Rule, RuleGroup, Severity};

/// A Kubernetes minor version, `1.N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub minor: u32,
}

impl KubeVersion {
    /// The oldest version podsec judges against.
    pub const OLDEST: KubeVersion = KubeVersion { minor: 0 };
    /// The newest version podsec knows; the default.
    pub const NEWEST: KubeVersion = KubeVersion { minor: 37 };

    pub const fn new(minor: u32) -> Self {
        KubeVersion { minor }
    }

    pub fn at_least(self, minor: u32) -> bool {
        self.minor >= minor
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::NEWEST
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = String;

    /// Accepts `1.30`, `v1.30` and `1.30.2` (the patch is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let mut parts = bare.split('.');
        let (major, minor) = (parts.next(), parts.next());
        let patch_ok = parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) && parts.next().is_none();
        match (major, minor.and_then(|m| m.parse::<u32>().ok())) {
            (Some("1"), Some(minor)) if patch_ok && minor <= Self::NEWEST.minor => Ok(KubeVersion { minor }),
            (Some("1"), Some(_)) if patch_ok => Err(format!(
                "Kubernetes version `{trimmed}` is newer than the newest podsec knows ({})",
                Self::NEWEST
            )),
            _ => Err(format!(
                "invalid Kubernetes version `{trimmed}`: expected `1.N`, from 1.0 to {}",
                Self::NEWEST
            )),
        }
    }
}

/// A Pod Security Standards profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Profile {
    Privileged,
    Baseline,
    #[default]
    Restricted,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Privileged => "privileged",
            Profile::Baseline => "baseline",
            Profile::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "privileged" => Ok(Profile::Privileged),
            "baseline" => Ok(Profile::Baseline),
            "restricted" => Ok(Profile::Restricted),
            other => Err(format!("unknown profile `{other}`: expected baseline, restricted or privileged")),
        }
    }
}

/// What a user set a rule to: off, or a severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    On(Severity),
}

impl FromStr for RuleLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "off" => Ok(RuleLevel::Off),
            "hint" => Ok(RuleLevel::On(Severity::Hint)),
            "information" | "info" => Ok(RuleLevel::On(Severity::Information)),
            "warning" => Ok(RuleLevel::On(Severity::Warning)),
            "error" => Ok(RuleLevel::On(Severity::Error)),
            other => Err(format!("unknown rule level `{other}`: expected off, hint, information, warning or error")),
        }
    }
}

/// Everything one analysis run depends on besides the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub kubernetes_version: KubeVersion,
    pub profile: Profile,
    /// The best-practice rules as a group; a rule named in `rules` wins.
    pub best_practices: bool,
    /// Per-rule levels, by code.
    pub rules: BTreeMap<String, RuleLevel>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            kubernetes_version: KubeVersion::default(),
            profile: Profile::default(),
            best_practices: true,
            rules: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The severity a rule reports at, or `None` when it is off.
    pub fn level_of(&self, rule: &Rule, default: Severity) -> Option<Severity> {
        match self.rules.get(rule.code) {
            Some(RuleLevel::Off) => None,
            Some(RuleLevel::On(severity)) => Some(*severity),
            None if rule.group == RuleGroup::BestPractice && !self.best_practices => None,
            None => Some(default),
        }
    }

    /// Sets a rule's level, checking the code exists.
    pub fn set_rule(&mut self, code: &str, level: RuleLevel) -> Result<(), String> {
        if crate::analysis::rules::by_code(code).is_none() {
            return Err(format!("unknown rule `{code}`"));
        }
        self.rules.insert(code.to_string(), level);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_in_the_forms_users_write() {
        assert_eq!("1.30".parse::<KubeVersion>(), Ok(KubeVersion::new(30)));
        assert_eq!("v1.19".parse::<KubeVersion>(), Ok(KubeVersion::new(19)));
        assert_eq!("1.25.3".parse::<KubeVersion>(), Ok(KubeVersion::new(25)));
        assert!("1.38".parse::<KubeVersion>().unwrap_err().contains("newer"));
        assert!("2.1".parse::<KubeVersion>().is_err());
        assert!("1.x".parse::<KubeVersion>().is_err());
        assert_eq!(KubeVersion::default().to_string(), "1.37");
    }
}
