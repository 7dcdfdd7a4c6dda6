//! The namespace side of each input's configuration: the labelled
//! Namespaces among the inputs (found as the files are first read) and the
//! nearest kustomization's `namespace:` above each file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::inputs::{Input, Source};
use crate::config::Config;
use crate::namespaces::{file_facts, kustomization_namespace, NamespaceLabels, NamespacePolicies, KUSTOMIZATION_FILES};

/// Labelled Namespaces of the inputs, and kustomizations found so far.
pub struct NamespaceScan {
    policies: NamespacePolicies,
    /// Folder → the namespace its kustomization sets, if any.
    kustomized: HashMap<PathBuf, Option<String>>,
}

impl NamespaceScan {
    /// The labelled Namespaces found among the inputs.
    pub fn new(found: Vec<NamespaceLabels>) -> Self {
        NamespaceScan { policies: NamespacePolicies::new(found, 0), kustomized: HashMap::new() }
    }

    /// The labelled Namespaces of `text`, read from `input` (standard input
    /// counts only when it is the only input, read before the others).
    pub fn namespaces_of(input: &Input, text: &str) -> Vec<NamespaceLabels> {
        let path = match &input.source {
            Source::Stdin => Path::new(&input.display),
            Source::File(path) => path,
        };
        file_facts(path, &input.display, text).namespaces
    }

    /// `config` with the namespaces and the default namespace of `input`.
    pub fn config_for(&mut self, input: &Input, config: &Arc<Config>) -> Arc<Config> {
        if !config.namespace_labels || self.policies.is_empty() {
            return config.clone();
        }
        let file = match &input.source {
            Source::File(path) => path.clone(),
            Source::Stdin => PathBuf::from(&input.display),
        };
        let default_namespace = file.parent().and_then(|folder| self.kustomized_namespace(folder));
        let document_folder = file.parent().and_then(|folder| {
            std::path::absolute(if folder.as_os_str().is_empty() { Path::new(".") } else { folder }).ok()
        });
        Arc::new(Config { namespaces: self.policies.clone(), default_namespace, document_folder, ..(**config).clone() })
    }

    /// The namespace of the nearest kustomization in `folder` or above that
    /// sets one, up to the repository root.
    fn kustomized_namespace(&mut self, folder: &Path) -> Option<String> {
        let folder = std::path::absolute(if folder.as_os_str().is_empty() { Path::new(".") } else { folder }).ok()?;
        for dir in folder.ancestors() {
            let namespace = self.kustomized.entry(dir.to_path_buf()).or_insert_with(|| {
                KUSTOMIZATION_FILES
                    .iter()
                    .find_map(|name| std::fs::read_to_string(dir.join(name)).ok())
                    .and_then(|text| kustomization_namespace(&text))
            });
            if namespace.is_some() {
                return namespace.clone();
            }
            if dir.join(".git").exists() {
                break;
            }
        }
        None
    }
}
