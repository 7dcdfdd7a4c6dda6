//! Helpers shared by the test files (each includes this module).
#![allow(dead_code)] // Each test file uses a different part.

pub mod cli;
pub mod helm;
pub mod kustomize;

use std::path::{Path, PathBuf};

use podsec::config::Config;

/// The repository's top folder.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Every `*.yaml`/`*.yml` below `dir` (settings files excepted), appended to `out`.
pub fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") && !path.ends_with(".podsec.yaml") {
            out.push(path);
        }
    }
}

/// `base`, changed by a fixture's first line
/// `# podsec-test: kubernetes-version=1.29 profile=baseline best-practices=true rule=CODE:LEVEL`.
pub fn config_for(text: &str, base: Config) -> Config {
    let mut config = base;
    if let Some(directive) = text.lines().next().and_then(|l| l.strip_prefix("# podsec-test:")) {
        for setting in directive.split_whitespace() {
            match setting.split_once('=') {
                Some(("kubernetes-version", v)) => config.kubernetes_version = v.parse().unwrap(),
                Some(("profile", v)) => config.profile = v.parse().unwrap(),
                Some(("best-practices", v)) => config.best_practices = v.parse().unwrap(),
                Some(("rule", v)) => {
                    let (code, level) = v.split_once(':').expect("rule=CODE:LEVEL");
                    config.set_rule(code, level.parse().unwrap()).unwrap();
                }
                _ => panic!("unknown test directive `{setting}`"),
            }
        }
    }
    config
}
