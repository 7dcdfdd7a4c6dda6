//! The official Kubernetes field descriptions, read at run time from the JSON
//! schemas k8s-openapi generates (its `schemars` feature), so the API's own
//! wording reaches hover without being copied into this repository.
//!
//! k8s-openapi writes each property's description inline in the parent's
//! `properties`; a nested object property is a `$ref` into `$defs` with the
//! parent's description next to the `$ref`. The root schema of each type is
//! therefore enough for its own fields.

use std::collections::HashMap;
use std::sync::OnceLock;

use k8s_openapi::api::core::v1 as api;
use schemars::{schema_for, JsonSchema};
use serde_json::Value;

use crate::catalog::Scope;

/// The API types the catalog mirrors, by their short names.
pub const OPENAPI_TYPES: [&str; 8] = [
    "PodSecurityContext",
    "SecurityContext",
    "Capabilities",
    "SeccompProfile",
    "AppArmorProfile",
    "SELinuxOptions",
    "WindowsSecurityContextOptions",
    "Sysctl",
];

struct TypeDocs {
    description: Option<String>,
    fields: HashMap<String, String>,
}

fn docs_of<T: JsonSchema>() -> TypeDocs {
    let schema = schema_for!(T);
    let text = |v: &Value| v.get("description").and_then(Value::as_str).map(str::to_string);
    let fields = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.iter().filter_map(|(name, prop)| Some((name.clone(), text(prop)?))).collect())
        .unwrap_or_default();
    TypeDocs { description: text(schema.as_value()), fields }
}

fn all_docs() -> &'static HashMap<&'static str, TypeDocs> {
    static DOCS: OnceLock<HashMap<&'static str, TypeDocs>> = OnceLock::new();
    DOCS.get_or_init(|| {
        HashMap::from([
            ("PodSecurityContext", docs_of::<api::PodSecurityContext>()),
            ("SecurityContext", docs_of::<api::SecurityContext>()),
            ("Capabilities", docs_of::<api::Capabilities>()),
            ("SeccompProfile", docs_of::<api::SeccompProfile>()),
            ("AppArmorProfile", docs_of::<api::AppArmorProfile>()),
            ("SELinuxOptions", docs_of::<api::SELinuxOptions>()),
            ("WindowsSecurityContextOptions", docs_of::<api::WindowsSecurityContextOptions>()),
            ("Sysctl", docs_of::<api::Sysctl>()),
        ])
    })
}

/// The official description of `field` of an API type (`PodSecurityContext`,
/// `SeccompProfile`, ... see [`OPENAPI_TYPES`]).
pub fn field_description(openapi_type: &str, field: &str) -> Option<&'static str> {
    all_docs().get(openapi_type)?.fields.get(field).map(String::as_str)
}

/// The official description of an API type itself, where it has one.
pub fn type_description(openapi_type: &str) -> Option<&'static str> {
    all_docs().get(openapi_type)?.description.as_deref()
}

/// The API type a catalog object mirrors. `scope` matters only for
/// `securityContext`: `Pod` is `PodSecurityContext`, `Container` (and
/// `Both`) is `SecurityContext`.
pub fn openapi_type(object: &str, scope: Scope) -> Option<&'static str> {
    Some(match object {
        "securityContext" if scope == Scope::Pod => "PodSecurityContext",
        "securityContext" => "SecurityContext",
        "capabilities" => "Capabilities",
        "seccompProfile" => "SeccompProfile",
        "appArmorProfile" => "AppArmorProfile",
        "seLinuxOptions" => "SELinuxOptions",
        "windowsOptions" => "WindowsSecurityContextOptions",
        "sysctl" => "Sysctl",
        _ => return None,
    })
}

/// The official description of `field` of a catalog object, for hover.
///
/// `scope` says where the securityContext is written (`Pod` or `Container`;
/// ignored for nested objects). A field that does not belong at that level
/// (`fsGroup` in a container) still gets the other level's description: the
/// reader of a misplaced field wants to know what it is.
pub fn describe(object: &str, scope: Scope, field: &str) -> Option<&'static str> {
    let preferred = openapi_type(object, scope)?;
    field_description(preferred, field).or_else(|| {
        let other = match scope {
            Scope::Pod => Scope::Container,
            Scope::Container | Scope::Both => Scope::Pod,
        };
        field_description(openapi_type(object, other)?, field)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn fs_group_description_speaks_of_the_group_and_volumes() {
        let text = field_description("PodSecurityContext", "fsGroup").unwrap();
        assert!(text.contains("supplemental group"), "{text}");
        assert!(text.contains("volume"), "{text}");
    }

    #[test]
    fn nested_object_properties_keep_the_parent_description() {
        // A `$ref` property: the description sits next to the reference.
        let text = field_description("PodSecurityContext", "seccompProfile").unwrap();
        assert!(text.contains("seccomp"), "{text}");
        let text = field_description("SecurityContext", "capabilities").unwrap();
        assert!(text.contains("capabilities"), "{text}");
    }

    #[test]
    fn pod_and_container_wording_differ() {
        let pod = describe("securityContext", Scope::Pod, "seLinuxOptions").unwrap();
        let container = describe("securityContext", Scope::Container, "seLinuxOptions").unwrap();
        assert!(pod.contains("all containers"), "{pod}");
        assert!(container.contains("to the container"), "{container}");
    }

    #[test]
    fn misplaced_fields_fall_back_to_the_other_level() {
        assert_eq!(
            describe("securityContext", Scope::Container, "fsGroup"),
            field_description("PodSecurityContext", "fsGroup")
        );
        assert_eq!(
            describe("securityContext", Scope::Pod, "privileged"),
            field_description("SecurityContext", "privileged")
        );
        assert_eq!(describe("securityContext", Scope::Pod, "runAsUsr"), None);
        assert_eq!(describe("noSuchObject", Scope::Pod, "type"), None);
    }

    #[test]
    fn nested_objects_are_described() {
        assert!(describe("capabilities", Scope::Both, "add").unwrap().contains("Added"));
        assert!(describe("seccompProfile", Scope::Both, "localhostProfile").unwrap().contains("Localhost"));
        assert!(describe("windowsOptions", Scope::Both, "hostProcess").unwrap().contains("HostProcess"));
        assert!(describe("sysctl", Scope::Both, "name").is_some());
        assert!(type_description("PodSecurityContext").unwrap().contains("pod-level"));
    }

    #[test]
    fn every_catalog_field_has_an_official_description_in_each_of_its_types() {
        let catalog = Catalog::embedded();
        let mut missing = Vec::new();
        for openapi in OPENAPI_TYPES {
            let object = catalog
                .objects
                .iter()
                .find(|o| o.openapi.iter().any(|t| t == openapi))
                .unwrap_or_else(|| panic!("no catalog object mirrors {openapi}"));
            for field in &object.fields {
                let applies = match openapi {
                    "PodSecurityContext" => field.scope.allows_pod(),
                    "SecurityContext" => field.scope.allows_container(),
                    _ => true,
                };
                if applies && field_description(openapi, &field.name).is_none_or(|d| d.trim().is_empty()) {
                    missing.push(format!("{openapi}.{}", field.name));
                }
            }
        }
        assert!(missing.is_empty(), "no official description for: {missing:?}");
    }

    #[test]
    fn openapi_type_agrees_with_the_catalog() {
        let catalog = Catalog::embedded();
        for object in &catalog.objects {
            let mut mapped = vec![openapi_type(&object.name, Scope::Pod), openapi_type(&object.name, Scope::Container)];
            mapped.dedup();
            let mapped: Vec<&str> = mapped.into_iter().map(|t| t.unwrap_or("<none>")).collect();
            let mut listed: Vec<&str> = object.openapi.iter().map(String::as_str).collect();
            let mut sorted = mapped.clone();
            sorted.sort_unstable();
            listed.sort_unstable();
            assert_eq!(
                sorted, listed,
                "catalog object {} lists {:?}, docs maps it to {:?}",
                object.name, object.openapi, mapped
            );
        }
    }
}
