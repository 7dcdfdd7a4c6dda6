//! Helm's own template engine for the oracle tests: the PyPI package
//! `helm-python-sdk` driven by `tests/helm/render.py`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Template name (`chart/templates/x.yaml`) → Helm's rendering of `chart`
/// with its defaults, or over them `values`; `python` has helm-python-sdk.
pub fn render(python: &str, chart: &Path, values: Option<&Path>) -> BTreeMap<String, String> {
    let script = super::repository().join("tests/helm/render.py");
    let output = Command::new(python).arg(&script).arg(chart).args(values).output().expect("run the Helm renderer");
    assert!(
        output.status.success(),
        "Helm could not render {} with {values:?}: {}",
        chart.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the renderer prints JSON")
}

/// The entries of `dir`, sorted (none when it does not exist).
pub fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    entries.sort();
    entries
}
