//! Helm charts: which files of a chart are manifests.

use std::path::Path;

/// A file Helm never renders as a manifest: a `*.tpl` file, or a file under
/// a chart's `templates/` whose name starts with `_` (`_helpers.tpl`,
/// `_pod.yaml`). It holds `define` blocks, not objects.
pub fn is_template_partial(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str());
    if extension.is_some_and(|e| e.eq_ignore_ascii_case("tpl")) {
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.starts_with('_') && path.ancestors().skip(1).any(|dir| dir.file_name().is_some_and(|n| n == "templates"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partials_are_tpl_files_and_underscored_templates() {
        assert!(is_template_partial(Path::new("chart/templates/_helpers.tpl")));
        assert!(is_template_partial(Path::new("chart/templates/sub/_pod.yaml")));
        assert!(is_template_partial(Path::new("anywhere/x.tpl")));
        assert!(!is_template_partial(Path::new("chart/templates/deployment.yaml")));
        assert!(!is_template_partial(Path::new("manifests/_old.yaml")));
    }
}
