//! What the analysis is asked to judge against. Plain data: the lsp and cli
//! layers fill it from flags, settings and files.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::namespaces::NamespacePolicies;
use crate::rules::{Rule, RuleGroup, Severity};
pub use crate::standards::{KubeVersion, Profile};

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
    /// A labelled namespace's `enforce` level and version replace
    /// `profile` and `kubernetes_version` for its workloads.
    pub namespace_labels: bool,
    /// The labelled Namespaces the front end found.
    pub namespaces: NamespacePolicies,
    /// The namespace of workloads that name none (a kustomization's `namespace:`).
    pub default_namespace: Option<String>,
    /// The folder of the file being checked, where the front end knows it:
    /// of several Namespaces of one name, the nearest judges it.
    pub document_folder: Option<std::path::PathBuf>,
    /// The user's values files, relative to each chart's folder (the one
    /// with `Chart.yaml`), applied in order over its `values.yaml` as
    /// `helm -f a -f b` does; a name a chart lacks is skipped for it.
    pub helm_values_files: Vec<String>,
    /// The cluster is OpenShift: Bitnami's `adaptSecurityContext: auto`
    /// drops runAsUser, runAsGroup, fsGroup and seLinuxOptions.
    pub helm_openshift: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            kubernetes_version: KubeVersion::default(),
            profile: Profile::default(),
            best_practices: true,
            rules: BTreeMap::new(),
            namespace_labels: true,
            namespaces: NamespacePolicies::default(),
            default_namespace: None,
            document_folder: None,
            helm_values_files: Vec::new(),
            helm_openshift: false,
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
        if crate::rules::by_code(code).is_none() {
            return Err(format!("unknown rule `{code}`"));
        }
        self.rules.insert(code.to_string(), level);
        Ok(())
    }
}

/// The settings a `.podsec.yaml` file (or an editor's settings) makes; each
/// is optional and overrides the default when present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub profile: Option<Profile>,
    pub kubernetes_version: Option<KubeVersion>,
    pub best_practices: Option<bool>,
    pub rules: BTreeMap<String, RuleLevel>,
    pub namespace_labels: Option<bool>,
    /// `helm.valuesFiles`: replaces the list below it, whole.
    pub helm_values_files: Option<Vec<String>>,
    /// `helm.openshift`.
    pub helm_openshift: Option<bool>,
}

impl Settings {
    /// Applies these settings over `config`.
    pub fn apply(&self, config: &mut Config) {
        if let Some(profile) = self.profile {
            config.profile = profile;
        }
        if let Some(version) = self.kubernetes_version {
            config.kubernetes_version = version;
        }
        if let Some(best_practices) = self.best_practices {
            config.best_practices = best_practices;
        }
        config.rules.extend(self.rules.iter().map(|(k, v)| (k.clone(), *v)));
        if let Some(namespace_labels) = self.namespace_labels {
            config.namespace_labels = namespace_labels;
        }
        if let Some(values_files) = &self.helm_values_files {
            config.helm_values_files.clone_from(values_files);
        }
        if let Some(openshift) = self.helm_openshift {
            config.helm_openshift = openshift;
        }
    }
}

/// The keys of a settings file, in the order the schema lists them.
pub const SETTINGS_KEYS: [&str; 6] =
    ["profile", "kubernetesVersion", "bestPractices", "rules", "namespaceLabels", "helm"];

/// The keys under `helm`, in the order the schema lists them.
pub const HELM_KEYS: [&str; 2] = ["valuesFiles", "openshift"];

/// The rule levels a settings file may give (`info` is short for `information`).
pub const RULE_LEVELS: [&str; 6] = ["off", "hint", "information", "info", "warning", "error"];

/// The JSON Schema of a `.podsec.yaml`, for YAML editors to complete and
/// check the file (`schemas/podsec-settings.schema.json` is this, written out).
pub fn settings_schema() -> serde_json::Value {
    use serde_json::json;
    let profiles: Vec<&str> =
        [Profile::Restricted, Profile::Baseline, Profile::Privileged].map(Profile::as_str).to_vec();
    let level = json!({
        "enum": RULE_LEVELS,
        "description": "off, or the severity findings of this rule get",
    });
    let rules: serde_json::Map<String, serde_json::Value> = crate::rules::ALL
        .iter()
        .map(|rule| {
            let mut schema = level.clone();
            schema["description"] = format!("{} (default: {})", rule.summary, rule.default_severity).into();
            schema["markdownDescription"] =
                format!("{} Default: `{}`. [Documentation]({})", rule.summary, rule.default_severity, rule.docs_url())
                    .into();
            (rule.code.to_string(), schema)
        })
        .collect();
    let newest = KubeVersion::NEWEST.minor;
    // 1.0 to 1.NEWEST, with an optional `v` and patch: what `KubeVersion` parses.
    let minors = format!("[0-9]|[1-{}][0-9]|{}[0-{}]", newest / 10 - 1, newest / 10, newest % 10);
    json!({
        "$schema": "https://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/podsec/podsec/blob/main/schemas/podsec-settings.schema.json",
        "title": "podsec settings (.podsec.yaml)",
        "description": "Settings for the manifests in this folder and below, up to the repository root. Command-line flags and editor settings override them.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            SETTINGS_KEYS[0]: {
                "enum": profiles,
                "default": Profile::default().as_str(),
                "description": "The Pod Security Standards profile the manifests are checked against. A namespace's `pod-security.kubernetes.io/enforce` label overrides it.",
            },
            SETTINGS_KEYS[1]: {
                // Unquoted, YAML reads a number; podsec reads the text as written.
                "type": ["string", "number"],
                "pattern": format!("^v?1\\.({minors})(\\.[0-9]+)?$"),
                "default": KubeVersion::NEWEST.to_string(),
                "description": format!("The Kubernetes version of the cluster, \"1.N\" from 1.0 to {}; quote it, so that 1.30 is not read as the number 1.3.", KubeVersion::NEWEST),
            },
            SETTINGS_KEYS[2]: {
                "type": "boolean",
                "default": true,
                "description": "The best-practice rules as a group (a rule named under `rules` wins).",
            },
            SETTINGS_KEYS[3]: {
                "type": ["object", "null"],
                "description": "Per-rule levels: off, hint, information, warning or error.",
                "properties": rules,
                "additionalProperties": false,
            },
            SETTINGS_KEYS[4]: {
                "type": "boolean",
                "default": true,
                "description": "Judge each workload by the Pod Security labels of its Namespace, where a Namespace among the files has them.",
            },
            SETTINGS_KEYS[5]: {
                "type": ["object", "null"],
                "description": "How Helm charts are rendered: the user's values files, and the kind of cluster.",
                "additionalProperties": false,
                "properties": {
                    HELM_KEYS[0]: {
                        "type": ["array", "null"],
                        "items": { "type": "string", "minLength": 1 },
                        "default": [],
                        "description": "Values files, relative to each chart's folder (the one with Chart.yaml), applied in order over the chart's values.yaml as `helm -f a -f b` does; a name a chart lacks is skipped for that chart. Findings are shown in them.",
                        "examples": [["values-prod.yaml"]],
                    },
                    HELM_KEYS[1]: {
                        "type": ["boolean", "null"],
                        "default": false,
                        "description": "The cluster is OpenShift: Bitnami charts' `adaptSecurityContext: auto` then drops runAsUser, runAsGroup, fsGroup and seLinuxOptions.",
                    },
                },
            },
        },
    })
}

/// A problem in a configuration file, at its byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsProblem {
    pub message: String,
    pub span: crate::syntax::Span,
}

/// One setting as a settings file or an editor gives it; `P` is where it
/// is (a span in `.podsec.yaml`, nothing in editor JSON).
pub struct SettingEntry<'v, P> {
    pub key: &'v str,
    pub key_at: P,
    pub value: SettingValue<'v, P>,
    pub value_at: P,
}

/// A setting's value, in the few shapes the two readers meet.
pub enum SettingValue<'v, P> {
    /// A YAML scalar as written, or a JSON string.
    Text(&'v str),
    /// A JSON `true` or `false`.
    Bool(bool),
    /// A JSON number: 1.3 and 1.30 are the same number, so a version is a string.
    Number,
    /// A mapping (`rules`, `helm`).
    Map(Vec<SettingEntry<'v, P>>),
    /// A list (`helm.valuesFiles`), each item with where it is. In YAML an
    /// item is `Text` only when YAML reads it as a string: `3` is a `Number`.
    List(Vec<(SettingValue<'v, P>, P)>),
    /// A YAML null (`rules:` with nothing under it).
    Null,
    /// Anything else (a YAML alias).
    Other,
}

/// Reads settings, from `.podsec.yaml` or from an editor, the one way both
/// are read. Never fails: each problem comes back with where it is, and
/// every valid setting is kept.
pub fn read_settings<'v, P: Copy>(
    entries: impl IntoIterator<Item = SettingEntry<'v, P>>,
) -> (Settings, Vec<(P, String)>) {
    use SettingValue::*;
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    for SettingEntry { key, key_at, value, value_at } in entries {
        let mut problem = |message: String| problems.push((value_at, message));
        match key {
            "profile" => match value {
                Text(text) => match text.parse::<Profile>() {
                    Ok(profile) => settings.profile = Some(profile),
                    Err(error) => problem(error),
                },
                _ => problem("`profile` is one of baseline, restricted, privileged".to_string()),
            },
            "kubernetesVersion" => match value {
                Text(text) => match text.parse::<KubeVersion>() {
                    Ok(version) => settings.kubernetes_version = Some(version),
                    Err(error) => problem(error),
                },
                _ => problem("`kubernetesVersion` is a version such as \"1.30\", written as a string".to_string()),
            },
            "bestPractices" => match setting_bool(&value) {
                Some(on) => settings.best_practices = Some(on),
                None => problem("`bestPractices` is true or false".to_string()),
            },
            "namespaceLabels" => match setting_bool(&value) {
                Some(on) => settings.namespace_labels = Some(on),
                None => problem("`namespaceLabels` is true or false".to_string()),
            },
            "rules" => match value {
                Map(rules) => {
                    for rule in rules {
                        if crate::rules::by_code(rule.key).is_none() {
                            let hint = crate::suggest::nearest_code(rule.key)
                                .map(|c| format!("; did you mean `{c}`?"))
                                .unwrap_or_default();
                            problems.push((rule.key_at, format!("unknown rule `{}`{hint}", rule.key)));
                            continue;
                        }
                        match &rule.value {
                            Text(level) => match level.parse::<RuleLevel>() {
                                Ok(level) => {
                                    settings.rules.insert(rule.key.to_string(), level);
                                }
                                Err(error) => problems.push((rule.value_at, format!("rule `{}`: {error}", rule.key))),
                            },
                            _ => problems.push((
                                rule.value_at,
                                format!("rule `{}`: a level is off, hint, information, warning or error", rule.key),
                            )),
                        }
                    }
                }
                Null => {}
                _ => problem("`rules` maps rule codes to off, hint, information, warning or error".to_string()),
            },
            "helm" => match value {
                Map(entries) => read_helm(entries, &mut settings, &mut problems),
                Null => {}
                _ => problem(format!("`helm` is a mapping of Helm settings: {}", HELM_KEYS.join(", "))),
            },
            other => problems.push((key_at, unknown_setting("", other, &SETTINGS_KEYS))),
        }
    }
    (settings, problems)
}

/// Reads the settings under `helm`. A null is unset (an editor's default).
fn read_helm<'v, P: Copy>(entries: Vec<SettingEntry<'v, P>>, settings: &mut Settings, problems: &mut Vec<(P, String)>) {
    use SettingValue::*;
    for SettingEntry { key, key_at, value, value_at } in entries {
        match (key, value) {
            (_, Null) if HELM_KEYS.contains(&key) => {}
            ("valuesFiles", List(items)) => {
                let mut files = Vec::new();
                for (item, at) in items {
                    match item {
                        Text(name) if !name.is_empty() => files.push(name.to_string()),
                        Text(_) => problems.push((at, "`helm.valuesFiles`: a file name is not empty".to_string())),
                        _ => problems.push((
                            at,
                            "`helm.valuesFiles`: each item is a file name such as values-prod.yaml, written as a string"
                                .to_string(),
                        )),
                    }
                }
                settings.helm_values_files = Some(files);
            }
            ("valuesFiles", _) => problems.push((
                value_at,
                "`helm.valuesFiles` is a list of values files, relative to each chart's folder, e.g. [values-prod.yaml]"
                    .to_string(),
            )),
            ("openshift", value) => match setting_bool(&value) {
                Some(on) => settings.helm_openshift = Some(on),
                None => problems.push((value_at, "`helm.openshift` is true or false".to_string())),
            },
            (other, _) => problems.push((key_at, unknown_setting("helm.", other, &HELM_KEYS))),
        }
    }
}

/// A setting's true or false (editors may send them as strings).
fn setting_bool<P>(value: &SettingValue<P>) -> Option<bool> {
    match value {
        SettingValue::Bool(b) => Some(*b),
        SettingValue::Text("true") => Some(true),
        SettingValue::Text("false") => Some(false),
        _ => None,
    }
}

/// The problem with an unknown key among `known` (under `prefix`, e.g.
/// `helm.`), with the nearest known one.
fn unknown_setting(prefix: &str, key: &str, known: &[&str]) -> String {
    let hint = crate::suggest::nearest_name(key, known)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_else(|| format!(" (known: {})", known.join(", ")));
    format!("unknown setting `{prefix}{key}`{hint}")
}

/// Reads a `.podsec.yaml` text. Never fails: problems come back with their
/// positions, and every valid setting is kept.
pub fn parse_settings(text: &str) -> (Settings, Vec<SettingsProblem>) {
    use crate::syntax::{parse, Node, Span, Value};

    fn value(node: &Node) -> SettingValue<'_, Span> {
        match &node.value {
            Value::Mapping(entries) => SettingValue::Map(entries.iter().filter_map(entry).collect()),
            Value::Sequence(items) => SettingValue::List(items.iter().map(|item| (typed(item), item.span)).collect()),
            _ if node.is_null() => SettingValue::Null,
            _ => node.as_str().map_or(SettingValue::Other, SettingValue::Text),
        }
    }
    /// A list item as YAML types it: a plain `3` or `true` is no string
    /// (the JSON Schema sees it so too).
    fn typed(node: &Node) -> SettingValue<'_, Span> {
        use crate::syntax::ScalarStyle;
        match node.as_scalar() {
            Some(scalar) if scalar.style == ScalarStyle::Plain && scalar.tag.is_none() => {
                match serde_yaml::from_str::<serde_yaml::Value>(&scalar.value) {
                    Ok(serde_yaml::Value::Null) => SettingValue::Null,
                    Ok(serde_yaml::Value::Bool(b)) => SettingValue::Bool(b),
                    Ok(serde_yaml::Value::Number(_)) => SettingValue::Number,
                    _ => SettingValue::Text(&scalar.value),
                }
            }
            _ => value(node),
        }
    }
    fn entry(entry: &crate::syntax::Entry) -> Option<SettingEntry<'_, Span>> {
        Some(SettingEntry {
            key: entry.key_str()?,
            key_at: entry.key.span,
            value: value(&entry.value),
            value_at: entry.value.span,
        })
    }

    let file = parse(text);
    let mut problems: Vec<SettingsProblem> = file
        .documents
        .iter()
        .flat_map(|d| &d.errors)
        .map(|error| SettingsProblem { message: format!("YAML syntax error: {}", error.message), span: error.span })
        .collect();
    let Some(root) = file.documents.first().and_then(|d| d.root.as_ref()) else {
        return (Settings::default(), problems);
    };
    let Some(entries) = root.as_mapping() else {
        if !root.is_null() {
            problems.push(SettingsProblem {
                message: "a podsec configuration is a mapping of settings, e.g. `profile: baseline`".to_string(),
                span: root.span,
            });
        }
        return (Settings::default(), problems);
    };
    let (settings, found) = read_settings(entries.iter().filter_map(entry));
    problems.extend(found.into_iter().map(|(span, message)| SettingsProblem { message, span }));
    (settings, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/podsec-settings.schema.json");

    #[test]
    fn the_schema_file_is_the_one_the_code_makes() {
        let made = format!("{}\n", serde_json::to_string_pretty(&settings_schema()).unwrap());
        if std::env::var_os("PODSEC_BLESS").is_some() {
            std::fs::write(SCHEMA_FILE, &made).unwrap();
        }
        let written = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
        assert!(written == made, "schemas/podsec-settings.schema.json is out of date: run `PODSEC_BLESS=1 cargo test -p podsec --lib schema`");
    }

    /// The schema accepts exactly the settings files podsec reads without a problem.
    #[test]
    fn the_schema_agrees_with_the_settings_reader() {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("podsec-settings.schema.json", settings_schema()).unwrap();
        let schema = compiler.compile("podsec-settings.schema.json", &mut schemas).unwrap();
        let mut samples: Vec<(String, String)> = Vec::new();
        // Every settings file the repository holds (examples and fixtures).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for folder in ["examples", "tests/fixtures"] {
            for entry in ignore::WalkBuilder::new(root.join(folder)).hidden(false).build().flatten() {
                if entry.file_name() == ".podsec.yaml" {
                    let text = std::fs::read_to_string(entry.path()).unwrap();
                    samples.push((entry.path().display().to_string(), text));
                }
            }
        }
        assert!(samples.len() >= 2, "the examples' settings files are found");
        let written = [
            "",
            "profile: baseline\n",
            "profile: privileged\nbestPractices: false\n",
            "kubernetesVersion: \"1.29\"\nnamespaceLabels: false\n",
            "kubernetesVersion: v1.37.2\n",
            "kubernetesVersion: \"1.0\"\n",
            "kubernetesVersion: 1.29\n",
            "rules:\n  read-only-root-filesystem: off\n  pss/runAsUser: error\n  low-user-id: info\n",
            "rules:\n",
            "helm:\n  valuesFiles: [values-prod.yaml]\n  openshift: false\n",
            "helm:\n  valuesFiles:\n    - values.d/prod.yaml\n    - 'values-1.30.yaml'\n    - \"3\"\n",
            "helm:\n  valuesFiles: []\n  openshift: true\n",
            "helm:\n  valuesFiles:\n  openshift:\n",
            "helm:\n",
            // What podsec reports as a problem, the schema rejects.
            "profile: strict\n",
            "profil: baseline\n",
            "kubernetesVersion: \"1.38\"\n",
            "kubernetesVersion: \"2.1\"\n",
            "kubernetesVersion: \"1.x\"\n",
            "bestPractices: maybe\n",
            "rules:\n  pss/runasuser: error\n",
            "rules:\n  low-user-id: loud\n",
            "rules: [low-user-id]\n",
            "helm:\n  valuesFile: [values-prod.yaml]\n",
            "helm:\n  openshfit: true\n",
            "helm:\n  valuesFiles: values-prod.yaml\n",
            "helm:\n  valuesFiles: [3]\n",
            "helm:\n  valuesFiles: [values-prod.yaml, true]\n",
            "helm:\n  valuesFiles:\n    - \"\"\n",
            "helm:\n  valuesFiles:\n    - {file: values-prod.yaml}\n",
            "helm:\n  openshift: maybe\n",
            "helm:\n  openshift: [true]\n",
            "helm: [values-prod.yaml]\n",
            "helm: true\n",
            "valuesFiles: [values-prod.yaml]\n",
            "- profile: baseline\n",
        ];
        samples.extend(written.iter().map(|t| (format!("{t:?}"), t.to_string())));
        let (mut accepted, mut rejected) = (0, 0);
        for (name, text) in &samples {
            let (_, problems) = parse_settings(text);
            let value: serde_json::Value = serde_yaml::from_str(text).unwrap_or(serde_json::Value::Null);
            let valid = schemas.validate(&value, schema).is_ok();
            assert_eq!(valid, problems.is_empty(), "{name}: schema says {valid}, podsec finds {problems:?}");
            if valid {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        assert!(accepted >= 8 && rejected >= 10, "{accepted} accepted, {rejected} rejected");
    }

    #[test]
    fn every_level_the_schema_offers_parses() {
        for level in RULE_LEVELS {
            assert!(level.parse::<RuleLevel>().is_ok(), "{level}");
        }
    }

    #[test]
    fn settings_file_with_problems_keeps_the_valid_settings() {
        let text = "profile: baseline\nkubernetesVersion: \"1.30\"\nbestPractices: false\nrules:\n  read-only-root-filesystem: off\n  pss/runAsUser: error\n  pss/runasuser: warning\n  low-user-id: loud\nprofil: x\n";
        let (settings, problems) = parse_settings(text);
        assert_eq!(settings.profile, Some(Profile::Baseline));
        assert_eq!(settings.kubernetes_version, Some(KubeVersion::new(30)));
        assert_eq!(settings.best_practices, Some(false));
        assert_eq!(settings.rules.len(), 2);
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("did you mean `pss/runAsUser`"));
        assert!(messages[1].contains("loud"));
        assert!(messages[2].contains("did you mean `profile`"));
        assert_eq!(&text[problems[2].span.start..problems[2].span.end], "profil");
        let mut config = Config::default();
        settings.apply(&mut config);
        assert_eq!(config.level_of(crate::rules::LOW_USER_ID, Severity::Hint), None);
        assert_eq!(config.level_of(crate::rules::PSS_RUN_AS_USER, Severity::Warning), Some(Severity::Error));
    }

    #[test]
    fn helm_settings_are_read_and_applied() {
        let text = "helm:\n  valuesFiles:\n    - values-prod.yaml\n    - overrides/eu.yaml\n  openshift: true\n";
        let (settings, problems) = parse_settings(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            settings.helm_values_files.as_deref(),
            Some(&["values-prod.yaml".to_string(), "overrides/eu.yaml".to_string()][..])
        );
        assert_eq!(settings.helm_openshift, Some(true));
        let mut config = Config::default();
        assert!(config.helm_values_files.is_empty() && !config.helm_openshift);
        settings.apply(&mut config);
        assert_eq!(config.helm_values_files, ["values-prod.yaml", "overrides/eu.yaml"]);
        assert!(config.helm_openshift);
        // A later layer's list replaces the earlier one whole; unset keeps it.
        let (flow, problems) = parse_settings("helm: {valuesFiles: [values-dev.yaml]}\n");
        assert!(problems.is_empty(), "{problems:?}");
        flow.apply(&mut config);
        assert_eq!(config.helm_values_files, ["values-dev.yaml"]);
        assert!(config.helm_openshift);
        let (empty, _) = parse_settings("helm:\n  valuesFiles: []\n  openshift: false\n");
        empty.apply(&mut config);
        assert_eq!((config.helm_values_files.len(), config.helm_openshift), (0, false));
        // Nulls (an editor's defaults) leave the file's values alone.
        let (nulls, problems) = parse_settings("helm:\n  valuesFiles:\n  openshift: ~\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((nulls.helm_values_files, nulls.helm_openshift), (None, None));
    }

    #[test]
    fn helm_settings_with_problems_are_placed_and_the_valid_ones_kept() {
        let text = "helm:\n  valuesFile: [a.yaml]\n  valuesFiles: [values-prod.yaml, 3, \"\", values-eu.yaml]\n  openshift: maybe\n  opnshift: true\n  colour: red\n";
        let (settings, problems) = parse_settings(text);
        assert_eq!(
            settings.helm_values_files,
            Some(vec!["values-prod.yaml".to_string(), "values-eu.yaml".to_string()])
        );
        assert_eq!(settings.helm_openshift, None);
        let found: Vec<(&str, &str)> =
            problems.iter().map(|p| (&text[p.span.start..p.span.end], p.message.as_str())).collect();
        assert_eq!(found.len(), 6, "{found:#?}");
        assert_eq!(found[0].0, "valuesFile");
        assert!(found[0].1.contains("unknown setting `helm.valuesFile`; did you mean `valuesFiles`?"), "{found:?}");
        assert_eq!(found[1].0, "3");
        assert!(found[1].1.contains("written as a string"), "{found:?}");
        assert_eq!(found[2].0, "\"\"");
        assert!(found[2].1.contains("not empty"), "{found:?}");
        assert_eq!(found[3].0, "maybe");
        assert!(found[3].1.contains("`helm.openshift` is true or false"), "{found:?}");
        assert_eq!(found[4].0, "opnshift");
        assert!(found[4].1.contains("did you mean `openshift`?"), "{found:?}");
        assert_eq!(found[5].0, "colour");
        assert!(found[5].1.contains("(known: valuesFiles, openshift)"), "{found:?}");
        // The wrong shapes, where the value is.
        let text = "helm:\n  valuesFiles: values-prod.yaml\n";
        let (settings, problems) = parse_settings(text);
        assert_eq!(settings.helm_values_files, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(&text[problems[0].span.start..problems[0].span.end], "values-prod.yaml");
        assert!(problems[0].message.contains("is a list of values files"), "{problems:?}");
        let text = "profile: baseline\nhelm: [values-prod.yaml]\n";
        let (settings, problems) = parse_settings(text);
        assert_eq!(settings.profile, Some(Profile::Baseline));
        assert_eq!(problems.len(), 1);
        assert_eq!(&text[problems[0].span.start..problems[0].span.end], "[values-prod.yaml]");
        assert!(problems[0].message.contains("`helm` is a mapping"), "{problems:?}");
        // A misspelt `helm` gets its suggestion too.
        let (_, problems) = parse_settings("helmm:\n  openshift: true\n");
        assert!(problems[0].message.contains("did you mean `helm`?"), "{problems:?}");
    }

    #[test]
    fn broken_settings_file_is_a_problem_not_a_panic() {
        for text in
            ["", "[", "- a\n- b", "rules: 3", "profile: [x]", "helm: 3", "helm: [x]", "helm:\n  valuesFiles: [[x]]"]
        {
            let (_, problems) = parse_settings(text);
            assert_eq!(problems.is_empty(), text.is_empty(), "{text:?}: {problems:?}");
        }
    }
}
