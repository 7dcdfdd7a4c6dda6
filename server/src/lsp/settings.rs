//! Where a document's configuration comes from, in the server
//! ([`SettingsStore`]), and the editor's settings read from JSON (with the
//! one settings reader, `config::read_settings`).
//!
//! Defaults, then the nearest `.podsec.yaml` inside the document's workspace
//! folder (an open, unsaved settings file counts with its editor text), then
//! the editor's settings (`initializationOptions`, and the `podsec` section
//! of `workspace/configuration`), as the CLI's flags override its files.
//! Editor settings that are null or absent leave the file's value alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tower_lsp::lsp_types::Url;

use crate::config::{parse_settings, read_settings, Config, SettingEntry, SettingValue, Settings};
#[cfg(test)]
use crate::config::{KubeVersion, Profile, RuleLevel};
use crate::settings_file::{find_settings_file, SETTINGS_FILE};

/// The analysis settings an editor may send: those of `.podsec.yaml`.
pub const ANALYSIS_KEYS: &[&str] = &crate::config::SETTINGS_KEYS;

/// Keys the editor clients send that are not analysis settings: they
/// configure the client, or (`inlayHints`, `verdictHints`) are read by [`bool_from_json`].
pub const CLIENT_SIDE_KEYS: &[&str] = &["trace", "server", "inlayHints", "verdictHints", "maxFileSizeMB"];

/// Documents larger than this many megabytes are not analysed unless the
/// editor's `maxFileSizeMB` says otherwise: a generated dump that size is
/// not edited by hand, and analysing it would keep a core busy.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 50;

/// Reads `maxFileSizeMB` (a positive whole number; absent or null: unset).
pub fn max_file_size_from_json(options: Option<&Value>, origin: &str) -> (Option<u64>, Option<String>) {
    match options.and_then(|o| o.get("maxFileSizeMB")) {
        None | Some(Value::Null) => (None, None),
        Some(value) => match value.as_u64().filter(|&mb| mb > 0) {
            Some(mb) => (Some(mb), None),
            None => (
                None,
                Some(format!(
                    "podsec: {origin}: `maxFileSizeMB` must be a whole number of megabytes above 0, got `{value}`; ignored"
                )),
            ),
        },
    }
}

/// Reads editor settings (the keys of `.podsec.yaml`, each optional; null
/// is unset) with the settings reader of `.podsec.yaml`. A bad value is
/// skipped with a warning for the user.
pub fn settings_from_json(options: Option<&Value>, origin: &str) -> (Settings, Vec<String>) {
    fn value(json: &Value) -> SettingValue<'_, ()> {
        match json {
            Value::String(text) => SettingValue::Text(text),
            Value::Bool(b) => SettingValue::Bool(*b),
            Value::Number(_) => SettingValue::Number,
            Value::Object(entries) => SettingValue::Map(
                entries
                    .iter()
                    .map(|(key, v)| SettingEntry { key, key_at: (), value: value(v), value_at: () })
                    .collect(),
            ),
            Value::Null => SettingValue::Null,
            Value::Array(items) => SettingValue::List(items.iter().map(|item| (value(item), ())).collect()),
        }
    }
    /// Lua clients (Neovim) send an empty table as `[]`: where a mapping
    /// belongs (`rules`, `helm`), it is an empty one.
    fn top_level<'v>(key: &str, json: &'v Value) -> SettingValue<'v, ()> {
        match json {
            Value::Array(items) if items.is_empty() && matches!(key, "rules" | "helm") => SettingValue::Map(Vec::new()),
            _ => value(json),
        }
    }
    let object = match options {
        None | Some(Value::Null) => return (Settings::default(), Vec::new()),
        // Lua clients (Neovim) cannot tell `{}` from `[]` and send the latter.
        Some(Value::Array(items)) if items.is_empty() => return (Settings::default(), Vec::new()),
        Some(Value::Object(object)) => object,
        Some(other) => {
            return (
                Settings::default(),
                vec![format!("podsec: {origin} must be an object, got `{other}`; using defaults")],
            )
        }
    };
    let entries = object
        .iter()
        .filter(|(key, value)| !value.is_null() && !CLIENT_SIDE_KEYS.contains(&key.as_str()))
        .map(|(key, json)| SettingEntry { key, key_at: (), value: top_level(key, json), value_at: () });
    let (settings, problems) = read_settings(entries);
    (settings, problems.into_iter().map(|((), message)| format!("podsec: {origin}: {message}; ignored")).collect())
}

/// The `podsec` section when the value holds one (Helix sends its whole
/// `config` table, which keeps the settings under `podsec` so that its
/// `workspace/configuration` answers find them), else the value itself.
pub fn podsec_section(value: Option<&Value>) -> Option<&Value> {
    match value {
        Some(Value::Object(object)) if object.len() == 1 && object.contains_key("podsec") => object.get("podsec"),
        other => other,
    }
}

/// Reads `inlayHints` (`true` or `false`; absent or null: unset, which
/// means on). A bad value is skipped with a warning for the user.
pub fn inlay_hints_from_json(options: Option<&Value>, origin: &str) -> (Option<bool>, Option<String>) {
    bool_from_json(options, "inlayHints", origin)
}

/// Reads a `true`/`false` setting; absent or null is unset. A bad value is
/// skipped with a warning for the user.
pub fn bool_from_json(options: Option<&Value>, key: &str, origin: &str) -> (Option<bool>, Option<String>) {
    match options.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => (None, None),
        Some(Value::Bool(on)) => (Some(*on), None),
        Some(other) => (None, Some(format!("podsec: {origin}: `{key}` must be true or false, got `{other}`; ignored"))),
    }
}

/// Whether a document is a podsec settings file.
pub fn is_settings_file(uri: &Url) -> bool {
    uri.path().rsplit('/').next() == Some(SETTINGS_FILE)
}

/// The configuration state of the server: editor settings, workspace
/// folders, and the settings files found so far.
#[derive(Default)]
pub struct SettingsStore {
    pub editor: Settings,
    /// The editor's `inlayHints` setting; unset means on.
    pub inlay_hints: Option<bool>,
    /// The editor's `verdictHints` setting; unset means off.
    pub verdict_hints: Option<bool>,
    /// The editor's `maxFileSizeMB`; unset means [`DEFAULT_MAX_FILE_SIZE_MB`].
    pub max_file_size_mb: Option<u64>,
    pub roots: Vec<PathBuf>,
    /// What the workspace index knows of namespaces.
    pub workspace: super::index::Snapshot,
    /// Folder → its nearest settings file, found once per folder.
    lookups: HashMap<PathBuf, Option<PathBuf>>,
    /// Settings file → what it says, read once.
    files: HashMap<PathBuf, Arc<Settings>>,
    /// Problems of settings files read since last asked, for the user's log
    /// (a file open in the editor shows them as diagnostics too).
    problems: Vec<String>,
}

/// Everything an editor's settings say, read from `initializationOptions`
/// or from the `podsec` section of its settings.
pub struct EditorSettings {
    pub analysis: Settings,
    pub inlay_hints: Option<bool>,
    pub verdict_hints: Option<bool>,
    pub max_file_size_mb: Option<u64>,
}

impl EditorSettings {
    /// Reads them; a bad value is left unset with a warning for the user.
    pub fn from_json(value: Option<&Value>, origin: &str) -> (Self, Vec<String>) {
        let (analysis, mut warnings) = settings_from_json(value, origin);
        let (inlay_hints, warning) = inlay_hints_from_json(value, origin);
        warnings.extend(warning);
        let (verdict_hints, warning) = bool_from_json(value, "verdictHints", origin);
        warnings.extend(warning);
        let (max_file_size_mb, warning) = max_file_size_from_json(value, origin);
        warnings.extend(warning);
        (EditorSettings { analysis, inlay_hints, verdict_hints, max_file_size_mb }, warnings)
    }
}

impl SettingsStore {
    /// Replaces the editor's settings. Returns whether the hints shown
    /// changed, and whether verdict hints are on.
    pub fn set_editor(&mut self, editor: EditorSettings) -> (bool, bool) {
        let before = (self.inlay_hints_enabled(), self.verdict_hints_enabled());
        self.editor = editor.analysis;
        self.inlay_hints = editor.inlay_hints;
        self.verdict_hints = editor.verdict_hints;
        self.max_file_size_mb = editor.max_file_size_mb;
        let after = (self.inlay_hints_enabled(), self.verdict_hints_enabled());
        (before != after, after.1)
    }

    /// The problems found in settings files since the last call.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    pub fn inlay_hints_enabled(&self) -> bool {
        self.inlay_hints.unwrap_or(true)
    }

    pub fn verdict_hints_enabled(&self) -> bool {
        self.verdict_hints.unwrap_or(false)
    }

    /// The size in bytes above which a document is not analysed.
    pub fn max_file_size(&self) -> usize {
        let mb = self.max_file_size_mb.unwrap_or(DEFAULT_MAX_FILE_SIZE_MB);
        usize::try_from(mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }

    /// Forgets every settings file read, after one changed.
    pub fn forget_files(&mut self) {
        self.lookups.clear();
        self.files.clear();
    }

    /// The configuration to analyse `uri` with. `open_text` gives the editor
    /// text of an open document, which wins over the disk.
    pub fn config_for(&mut self, uri: &Url, open_text: impl Fn(&Path) -> Option<String>) -> Config {
        let mut config = Config::default();
        if let Some(settings) = self.file_settings(uri, open_text) {
            settings.apply(&mut config);
        }
        self.editor.apply(&mut config);
        if config.namespace_labels {
            config.namespaces = self.workspace.policies.clone();
            config.default_namespace = self.kustomized_namespace(uri);
            if !config.namespaces.is_empty() {
                config.document_folder = uri.to_file_path().ok().and_then(|p| p.parent().map(Path::to_path_buf));
            }
        }
        config
    }

    /// The namespace the nearest kustomization above `uri` sets, inside
    /// its workspace folder.
    fn kustomized_namespace(&self, uri: &Url) -> Option<String> {
        if self.workspace.kustomizations.is_empty() {
            return None;
        }
        let path = uri.to_file_path().ok()?;
        let folder = path.parent()?;
        let root = self.roots.iter().filter(|r| folder.starts_with(r)).max_by_key(|r| r.as_os_str().len());
        crate::namespaces::kustomized_namespace(folder, root.map(PathBuf::as_path), &self.workspace.kustomizations)
            .map(str::to_string)
    }

    fn file_settings(&mut self, uri: &Url, open_text: impl Fn(&Path) -> Option<String>) -> Option<Arc<Settings>> {
        let path = uri.to_file_path().ok()?;
        let folder = path.parent()?.to_path_buf();
        // Only inside a workspace folder (the innermost), or the file's own
        // repository when the client opened no folder.
        let root = self.roots.iter().filter(|r| folder.starts_with(r)).max_by_key(|r| r.as_os_str().len()).cloned();
        if root.is_none() && !self.roots.is_empty() {
            return None;
        }
        let found = self
            .lookups
            .entry(folder.clone())
            .or_insert_with(|| find_settings_file(&folder, root.as_deref()))
            .clone()?;
        if let Some(settings) = self.files.get(&found) {
            return Some(settings.clone());
        }
        let text = open_text(&found).or_else(|| std::fs::read_to_string(&found).ok())?;
        let (settings, problems) = parse_settings(&text);
        let index = crate::text::LineIndex::new(&text);
        for problem in problems {
            let line = index.line_of(problem.span.start) + 1;
            self.problems.push(format!("podsec: {}:{line}: {}; ignored", found.display(), problem.message));
        }
        let settings = Arc::new(settings);
        self.files.insert(found, settings.clone());
        Some(settings)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_setting_is_read() {
        let options = json!({
            "profile": "baseline",
            "kubernetesVersion": "1.30",
            "bestPractices": false,
            "rules": {"pss/runAsUser": "error"},
            "inlayHints": true,
            "trace": {"server": "off"}
        });
        let (settings, warnings) = settings_from_json(Some(&options), "initializationOptions");
        assert!(warnings.is_empty(), "{warnings:?}");
        let mut config = Config::default();
        settings.apply(&mut config);
        assert_eq!(config.profile, Profile::Baseline);
        assert_eq!(config.kubernetes_version, KubeVersion::new(30));
        assert!(!config.best_practices);
        assert_eq!(config.rules.get("pss/runAsUser"), Some(&RuleLevel::On(crate::analysis::Severity::Error)));
        assert_eq!(settings_from_json(None, "x"), (Settings::default(), vec![]));
        // Null means "not set".
        assert_eq!(settings_from_json(Some(&json!({"profile": null})), "x"), (Settings::default(), vec![]));
        assert_eq!(settings_from_json(Some(&json!([])), "x"), (Settings::default(), vec![]));
    }

    #[test]
    fn helm_settings_are_read_nested_as_editors_send_them() {
        let options = json!({"helm": {"valuesFiles": ["values-prod.yaml", "overrides/eu.yaml"], "openshift": true}});
        let (settings, warnings) = settings_from_json(Some(&options), "initializationOptions");
        assert!(warnings.is_empty(), "{warnings:?}");
        let mut config = Config::default();
        settings.apply(&mut config);
        assert_eq!(config.helm_values_files, ["values-prod.yaml", "overrides/eu.yaml"]);
        assert!(config.helm_openshift);
        // VS Code's unset values are null; Neovim sends an empty table as `[]`.
        for unset in [
            json!({"helm": {"valuesFiles": null, "openshift": null}}),
            json!({"helm": null}),
            json!({"helm": []}),
            json!({"helm": {}}),
            json!({"rules": []}),
        ] {
            assert_eq!(settings_from_json(Some(&unset), "x"), (Settings::default(), vec![]), "{unset}");
        }
        // An empty list is a list: no values files, over the .podsec.yaml's.
        let (settings, warnings) = settings_from_json(Some(&json!({"helm": {"valuesFiles": []}})), "x");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(settings.helm_values_files, Some(vec![]));
    }

    #[test]
    fn bad_helm_settings_are_skipped_with_a_warning_each() {
        let options =
            json!({"helm": {"valuesFile": ["a.yaml"], "valuesFiles": ["values-prod.yaml", 3, ""], "openshift": "yes"}});
        let (settings, warnings) = settings_from_json(Some(&options), "settings");
        // The valid items are kept.
        assert_eq!(settings.helm_values_files, Some(vec!["values-prod.yaml".to_string()]));
        assert_eq!(settings.helm_openshift, None);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.contains("unknown setting `helm.valuesFile`; did you mean `valuesFiles`?")),
            "{warnings:?}"
        );
        assert!(warnings.iter().any(|w| w.contains("written as a string")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("not empty")), "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.starts_with("podsec: settings: `helm.openshift` is true or false")),
            "{warnings:?}"
        );
        for (bad, expect) in [
            (json!({"helm": {"valuesFiles": "values-prod.yaml"}}), "is a list of values files"),
            (json!({"helm": ["values-prod.yaml"]}), "`helm` is a mapping"),
            (json!({"helm": true}), "`helm` is a mapping"),
            (json!({"helmm": {}}), "did you mean `helm`?"),
        ] {
            let (settings, warnings) = settings_from_json(Some(&bad), "settings");
            assert_eq!(settings, Settings::default(), "{bad}");
            assert_eq!(warnings.len(), 1, "{bad}: {warnings:?}");
            assert!(warnings[0].contains(expect), "{bad}: {warnings:?}");
        }
    }

    #[test]
    fn helm_settings_of_the_file_then_the_editor() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("charts/web")).unwrap();
        std::fs::write(root.join(SETTINGS_FILE), "helm:\n  valuesFiles: [values-prod.yaml]\n  openshift: true\n")
            .unwrap();
        let uri = Url::from_file_path(root.join("charts/web/values.yaml")).unwrap();
        let mut store = SettingsStore { roots: vec![root.clone()], ..SettingsStore::default() };
        let config = store.config_for(&uri, |_| None);
        assert_eq!((config.helm_values_files.clone(), config.helm_openshift), (vec!["values-prod.yaml".into()], true));
        // VS Code's defaults (null) leave the file in charge; a list replaces its list.
        let (editor, _) =
            EditorSettings::from_json(Some(&json!({"helm": {"valuesFiles": null, "openshift": null}})), "x");
        store.set_editor(editor);
        assert_eq!(store.config_for(&uri, |_| None), config);
        let (editor, _) = EditorSettings::from_json(Some(&json!({"helm": {"valuesFiles": ["values-eu.yaml"]}})), "x");
        store.set_editor(editor);
        let config = store.config_for(&uri, |_| None);
        assert_eq!((config.helm_values_files, config.helm_openshift), (vec!["values-eu.yaml".to_string()], true));
    }

    #[test]
    fn settings_under_a_podsec_key_are_found() {
        let wrapped = json!({"podsec": {"profile": "baseline"}});
        assert_eq!(podsec_section(Some(&wrapped)), Some(&json!({"profile": "baseline"})));
        let plain = json!({"profile": "baseline"});
        assert_eq!(podsec_section(Some(&plain)), Some(&plain));
        assert_eq!(podsec_section(None), None);
    }

    #[test]
    fn inlay_hints_default_on() {
        assert_eq!(inlay_hints_from_json(None, "x"), (None, None));
        assert_eq!(inlay_hints_from_json(Some(&json!({"inlayHints": null})), "x"), (None, None));
        assert_eq!(inlay_hints_from_json(Some(&json!({"inlayHints": false})), "x"), (Some(false), None));
        let (value, warning) = inlay_hints_from_json(Some(&json!({"inlayHints": "off"})), "settings");
        assert_eq!(value, None);
        assert!(warning.unwrap().contains("`inlayHints` must be true or false"));
        assert!(SettingsStore::default().inlay_hints_enabled());
    }

    #[test]
    fn bad_values_are_skipped_with_a_warning_each() {
        let options = json!({ "profile": "strict", "kubernetesVersion": 1.30, "colour": true, "rules": {"pss/runasuser": "error", "low-user-id": "loud"} });
        let (settings, warnings) = settings_from_json(Some(&options), "initializationOptions");
        assert_eq!(settings, Settings::default());
        assert_eq!(warnings.len(), 5, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("strict")));
        assert!(warnings.iter().any(|w| w.contains("\"1.30\"")));
        assert!(warnings.iter().any(|w| w.contains("did you mean `pss/runAsUser`")));
        let (_, warnings) = settings_from_json(Some(&json!([1])), "initializationOptions");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn settings_file_then_editor_settings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("apps")).unwrap();
        std::fs::write(root.join(SETTINGS_FILE), "profile: baseline\nkubernetesVersion: \"1.29\"\n").unwrap();
        let uri = Url::from_file_path(root.join("apps/web.yaml")).unwrap();
        let mut configuration = SettingsStore { roots: vec![root.clone()], ..SettingsStore::default() };
        let config = configuration.config_for(&uri, |_| None);
        assert_eq!((config.profile, config.kubernetes_version), (Profile::Baseline, KubeVersion::new(29)));
        // The editor overrides what it sets, and only that.
        configuration.editor.profile = Some(Profile::Privileged);
        let config = configuration.config_for(&uri, |_| None);
        assert_eq!((config.profile, config.kubernetes_version), (Profile::Privileged, KubeVersion::new(29)));
        // Open editor text wins over the disk once the cache is cleared.
        configuration.editor = Settings::default();
        configuration.forget_files();
        let config = configuration.config_for(&uri, |_| Some("profile: restricted\nprofil: x\n".to_string()));
        assert_eq!((config.profile, config.kubernetes_version), (Profile::Restricted, KubeVersion::NEWEST));
        let problems = configuration.take_problems();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains(".podsec.yaml:2: unknown setting `profil`"), "{problems:?}");
        // Outside every workspace folder, no settings file is read.
        let outside = Url::from_file_path(dir.path().join("other/x.yaml")).unwrap();
        assert_eq!(configuration.config_for(&outside, |_| None), Config::default());
        assert!(is_settings_file(&Url::from_file_path(root.join(SETTINGS_FILE)).unwrap()));
    }
}
