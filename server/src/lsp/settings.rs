//! Configuration from `initializationOptions`:
//! `{ "profile": "baseline", "kubernetesVersion": "1.30" }`, both optional.
//! A bad value keeps the default and yields a warning for the user.

use serde_json::Value;

use crate::config::{Config, KubeVersion, Profile};

/// The configuration, and a warning for each option that was not accepted.
pub fn from_initialization_options(options: Option<&Value>) -> (Config, Vec<String>) {
    let mut config = Config::default();
    let mut warnings = Vec::new();
    let object = match options {
        None | Some(Value::Null) => return (config, warnings),
        Some(Value::Object(object)) => object,
        Some(other) => {
            warnings.push(format!("podsec: initializationOptions must be an object, got `{other}`; using defaults"));
            return (config, warnings);
        }
    };
    for (key, value) in object {
        match key.as_str() {
            "profile" => match value.as_str().map(str::parse::<Profile>) {
                Some(Ok(profile)) => config.profile = profile,
                Some(Err(error)) => warnings.push(format!("podsec: {error}; using `{}`", config.profile)),
                None => warnings.push(format!(
                    "podsec: `profile` must be a string (baseline, restricted or privileged), got `{value}`; using `{}`",
                    config.profile
                )),
            },
            "kubernetesVersion" => match value.as_str().map(str::parse::<KubeVersion>) {
                Some(Ok(version)) => config.kubernetes_version = version,
                Some(Err(error)) => warnings.push(format!("podsec: {error}; using {}", config.kubernetes_version)),
                // A JSON number cannot tell 1.3 from 1.30.
                None => warnings.push(format!(
                    "podsec: `kubernetesVersion` must be a string such as \"1.30\", got `{value}`; using {}",
                    config.kubernetes_version
                )),
            },
            other => warnings.push(format!(
                "podsec: unknown initialization option `{other}` (known: profile, kubernetesVersion); ignored"
            )),
        }
    }
    (config, warnings)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_options_are_read() {
        let options = json!({ "profile": "baseline", "kubernetesVersion": "1.30" });
        let (config, warnings) = from_initialization_options(Some(&options));
        assert_eq!(config, Config { kubernetes_version: KubeVersion::new(30), profile: Profile::Baseline, ..Config::default() });
        assert!(warnings.is_empty());
        assert_eq!(from_initialization_options(None), (Config::default(), vec![]));
    }

    #[test]
    fn bad_values_keep_the_defaults_with_a_warning_each() {
        let options = json!({ "profile": "strict", "kubernetesVersion": 1.30, "colour": true });
        let (config, warnings) = from_initialization_options(Some(&options));
        assert_eq!(config, Config::default());
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("strict")));
        assert!(warnings.iter().any(|w| w.contains("\"1.30\"")));
        let (_, warnings) = from_initialization_options(Some(&json!([1])));
        assert_eq!(warnings.len(), 1);
    }
}
