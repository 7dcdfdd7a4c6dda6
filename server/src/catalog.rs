//! The field catalog (`schemas/securitycontext.yaml`), embedded in the binary.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::standards::KubeVersion;

const CATALOG_YAML: &str = include_str!("../data/securitycontext.yaml");

/// Where a securityContext field may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Pod,
    Container,
    /// Both; the container's value wins.
    #[default]
    Both,
}

impl Scope {
    pub fn allows_pod(self) -> bool {
        matches!(self, Scope::Pod | Scope::Both)
    }

    pub fn allows_container(self) -> bool {
        matches!(self, Scope::Container | Scope::Both)
    }
}

/// The YAML type a field takes (or its list items take).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Integer,
    Boolean,
    String,
    Object,
    List,
    /// A Linux capability name (a string).
    Capability,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EnumValue {
    pub value: String,
    pub meaning: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    pub format: Option<String>,
    /// The nested object of an `object` field or of a list's items.
    pub object: Option<String>,
    pub items: Option<FieldType>,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub values: Vec<EnumValue>,
    pub range: Option<[i64; 2]>,
    #[serde(default, deserialize_with = "version")]
    pub since: Option<KubeVersion>,
    #[serde(default)]
    pub linux_only: bool,
    #[serde(default)]
    pub windows_only: bool,
    #[serde(default)]
    pub required: bool,
    pub default: Option<String>,
    pub summary: String,
    pub docs: String,
}

impl Field {
    pub fn allows_value(&self, value: &str) -> bool {
        self.values.iter().any(|v| v.value == value)
    }

    /// How the field is written in YAML, for messages and hover.
    pub fn type_description(&self) -> String {
        let int = |f: &Option<String>| match f.as_deref() {
            Some(format) => format!("integer ({format}), written unquoted"),
            None => "integer, written unquoted".to_string(),
        };
        match self.ty {
            FieldType::Integer => int(&self.format),
            FieldType::Boolean => "boolean (true or false, unquoted)".to_string(),
            FieldType::String if !self.values.is_empty() => "string, one of ".to_string() + &self.value_list(),
            FieldType::String | FieldType::Capability => "string".to_string(),
            FieldType::Object => "mapping".to_string(),
            FieldType::List => match self.items {
                Some(FieldType::Integer) => int(&self.format).replacen("integer", "list of integers", 1),
                Some(FieldType::Capability) => "list of capability names".to_string(),
                Some(FieldType::Object) => "list of mappings".to_string(),
                _ => "list of strings".to_string(),
            },
        }
    }

    /// `A`, `B` or `C`.
    pub fn value_list(&self) -> String {
        let quoted: Vec<String> = self.values.iter().map(|v| format!("`{}`", v.value)).collect();
        match quoted.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Object {
    pub name: String,
    /// The k8s-openapi type names this object mirrors.
    pub openapi: Vec<String>,
    pub fields: Vec<Field>,
}

impl Object {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub all: Vec<String>,
    pub runtime_default: Vec<String>,
    /// What each capability allows, in one line.
    #[serde(default)]
    pub meanings: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Catalog {
    pub kubernetes: String,
    pub objects: Vec<Object>,
    pub capabilities: Capabilities,
}

impl Catalog {
    /// The catalog compiled into podsec.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The file is part of the build and checked by the tests; a
            // broken catalog is a build defect, not a user error.
            serde_yaml::from_str(CATALOG_YAML).expect("schemas/securitycontext.yaml is valid")
        })
    }

    pub fn object(&self, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The securityContext fields (pod and container).
    pub fn security_context(&self) -> &Object {
        self.object("securityContext").expect("catalog has securityContext")
    }

    /// What the capability `name` allows, in one line.
    pub fn capability_meaning(&self, name: &str) -> Option<&str> {
        self.capabilities.meanings.get(name).map(String::as_str)
    }

    pub fn is_capability(&self, name: &str) -> bool {
        name == "ALL" || self.capabilities.all.iter().any(|c| c == name)
    }
}

fn version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<KubeVersion>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| t.parse().map_err(serde::de::Error::custom)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_loads_with_every_nested_object() {
        let catalog = Catalog::embedded();
        for field in &catalog.objects.iter().flat_map(|o| o.fields.iter()).collect::<Vec<_>>() {
            if let Some(object) = &field.object {
                assert!(catalog.object(object).is_some(), "{} names missing object {object}", field.name);
            }
        }
        let sc = catalog.security_context();
        assert_eq!(sc.field("fsGroup").unwrap().scope, Scope::Pod);
        assert_eq!(sc.field("fsGroup").unwrap().type_description(), "integer (int64), written unquoted");
        assert_eq!(sc.field("procMount").unwrap().value_list(), "`Default` or `Unmasked`");
        assert_eq!(
            sc.field("supplementalGroups").unwrap().type_description(),
            "list of integers (int64), written unquoted"
        );
    }

    #[test]
    fn every_capability_and_only_those_has_a_meaning() {
        let capabilities = &Catalog::embedded().capabilities;
        let named: Vec<&String> = capabilities.meanings.keys().collect();
        let mut all: Vec<&String> = capabilities.all.iter().collect();
        all.sort();
        assert_eq!(named, all);
        assert!(capabilities.meanings.values().all(|m| !m.trim().is_empty() && !m.contains('\n')));
    }
}
