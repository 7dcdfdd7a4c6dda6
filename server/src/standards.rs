//! The two coordinates every Pod Security judgement has: the profile
//! (privileged, baseline, restricted) and the Kubernetes version.

use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor version, `1.N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub minor: u32,
}

impl KubeVersion {
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
            (Some("1"), Some(_)) if patch_ok => {
                Err(format!("Kubernetes version `{trimmed}` is newer than the newest podsec knows ({})", Self::NEWEST))
            }
            _ => Err(format!("invalid Kubernetes version `{trimmed}`: expected `1.N`, from 1.0 to {}", Self::NEWEST)),
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
