//! The namespace side of each input's configuration: the labelled
//! Namespaces among the inputs (read before anything is checked) and the
//! nearest kustomization's `namespace:` above each file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::inputs::{self, Input, Source};
use crate::config::Config;
use crate::namespaces::{file_facts, kustomization_namespace, NamespacePolicies, KUSTOMIZATION_FILES};

/// Labelled Namespaces of the inputs, and kustomizations found so far.
pub struct NamespaceScan {
    policies: NamespacePolicies,
    /// Folder → the namespace its kustomization sets, if any.
    kustomized: HashMap<PathBuf, Option<String>>,
}

impl NamespaceScan {
    /// Reads every input for Namespaces. `stdin` is standard input's text,
    /// already read; unreadable files are skipped here and reported when
    /// they are checked.
    pub fn new(inputs: &[Input], stdin: Option<&str>) -> Self {
        let mut found = Vec::new();
        for input in inputs {
            let facts = match &input.source {
                Source::Stdin => stdin.map(|text| file_facts(Path::new(&input.display), &input.display, text)),
                Source::File(path) => inputs::read(input).ok().map(|text| file_facts(path, &input.display, &text)),
            };
            found.extend(facts.into_iter().flat_map(|f| f.namespaces));
        }
        NamespaceScan { policies: NamespacePolicies::new(found, 0), kustomized: HashMap::new() }
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
