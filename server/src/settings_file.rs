//! Settings files on disk (`.podsec.yaml`): finding and reading them.
//! Shared by the CLI and the language server; the analysis never reads files.

use std::path::{Path, PathBuf};

use crate::config::{parse_settings, Settings, SettingsProblem};

pub const SETTINGS_FILE: &str = ".podsec.yaml";

/// A read settings file: its settings, and the problems to show on it.
#[derive(Clone, Debug)]
pub struct SettingsFile {
    pub path: PathBuf,
    pub text: String,
    pub settings: Settings,
    pub problems: Vec<SettingsProblem>,
}

/// The nearest `.podsec.yaml` in `dir` or a folder above it. The search
/// stops at `root` (a workspace folder) when given, else after the first
/// folder that holds `.git` (the repository root), else at the file system root.
pub fn find_settings_file(dir: &Path, root: Option<&Path>) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    let root = root.and_then(|r| std::path::absolute(r).ok());
    if let Some(root) = &root {
        if !dir.starts_with(root) {
            return None;
        }
    }
    for folder in dir.ancestors() {
        let candidate = folder.join(SETTINGS_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        let at_root = match &root {
            Some(root) => folder == root,
            None => folder.join(".git").exists(),
        };
        if at_root {
            break;
        }
    }
    None
}

/// Reads and parses a settings file. Only reading can fail; what the file
/// says wrong comes back as problems.
pub fn load_settings_file(path: &Path) -> std::io::Result<SettingsFile> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8"))?;
    let (settings, problems) = parse_settings(&text);
    Ok(SettingsFile { path: path.to_path_buf(), text, settings, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_settings_file_wins_and_the_search_stops_at_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::create_dir_all(top.join("repo/.git")).unwrap();
        std::fs::create_dir_all(top.join("repo/apps/web")).unwrap();
        std::fs::write(top.join(SETTINGS_FILE), "profile: baseline\n").unwrap();
        // Outside the repository: not found from inside it.
        assert_eq!(find_settings_file(&top.join("repo/apps/web"), None), None);
        std::fs::write(top.join("repo").join(SETTINGS_FILE), "profile: privileged\n").unwrap();
        let found = find_settings_file(&top.join("repo/apps/web"), None).unwrap();
        assert!(found.ends_with("repo/.podsec.yaml"));
        std::fs::write(top.join("repo/apps").join(SETTINGS_FILE), "profile: restricted\n").unwrap();
        assert!(find_settings_file(&top.join("repo/apps/web"), None).unwrap().ends_with("apps/.podsec.yaml"));
        // A workspace root below the file's folder bounds the search.
        assert_eq!(find_settings_file(&top.join("repo/apps/web"), Some(&top.join("repo/apps/web"))), None);
        assert_eq!(find_settings_file(top, Some(&top.join("repo"))), None);
        let loaded = load_settings_file(&found).unwrap();
        assert_eq!(loaded.settings.profile, Some(crate::config::Profile::Privileged));
    }
}
