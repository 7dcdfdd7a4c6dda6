//! The catalog (`schemas/securitycontext.yaml`) against the Kubernetes API
//! types of k8s-openapi: field for field and type for type, so it cannot
//! drift from the API. Then the catalog's own facts: enums, ID ranges,
//! versions, docs.
//!
//! k8s-openapi's schemas write scalar properties inline and nested objects as
//! `$ref`s into the root schema's `$defs` (keyed by `io.k8s.api.core.v1.X`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1 as api;
use podsec::catalog::{Catalog, Field, FieldType, Object, Scope};
use podsec::config::KubeVersion;
use schemars::{schema_for, JsonSchema};
use serde_json::Value;

/// One API type: its short name, its schemars name (the `$defs` key other
/// schemas use to refer to it) and its root schema.
struct ApiType {
    name: &'static str,
    schema_name: String,
    schema: Value,
}

fn api_type<T: JsonSchema>(name: &'static str) -> ApiType {
    ApiType { name, schema_name: T::schema_name().into_owned(), schema: schema_for!(T).to_value() }
}

fn api_types() -> Vec<ApiType> {
    vec![
        api_type::<api::PodSecurityContext>("PodSecurityContext"),
        api_type::<api::SecurityContext>("SecurityContext"),
        api_type::<api::Capabilities>("Capabilities"),
        api_type::<api::SeccompProfile>("SeccompProfile"),
        api_type::<api::AppArmorProfile>("AppArmorProfile"),
        api_type::<api::SELinuxOptions>("SELinuxOptions"),
        api_type::<api::WindowsSecurityContextOptions>("WindowsSecurityContextOptions"),
        api_type::<api::Sysctl>("Sysctl"),
    ]
}

fn find<'a>(types: &'a [ApiType], name: &str) -> &'a ApiType {
    types.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("`{name}` is not one of the API types checked here"))
}

fn properties(schema: &Value) -> BTreeMap<&str, &Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn required(schema: &Value) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn description(schema: &Value) -> &str {
    schema.get("description").and_then(Value::as_str).unwrap_or("")
}

/// The short name of the API type a `$ref` property points to.
fn referenced_type<'a>(types: &'a [ApiType], property: &Value) -> Option<&'a str> {
    let reference = property.get("$ref")?.as_str()?;
    // A JSON pointer into `$defs`; decode its last segment.
    let key = reference.rsplit('/').next()?.replace("~1", "/").replace("~0", "~");
    types.iter().find(|t| t.schema_name == key).map(|t| t.name)
}

/// The catalog fields that belong to one API type.
fn fields_for<'a>(object: &'a Object, openapi: &str) -> Vec<&'a Field> {
    object
        .fields
        .iter()
        .filter(|f| match openapi {
            "PodSecurityContext" => f.scope.allows_pod(),
            "SecurityContext" => f.scope.allows_container(),
            _ => true,
        })
        .collect()
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Pod => "pod",
        Scope::Container => "container",
        Scope::Both => "both",
    }
}

fn catalog_type(field: &Field) -> String {
    let mut text = format!("{:?}", field.ty).to_lowercase();
    if let Some(items) = field.items {
        text += &format!(" of {:?}", items).to_lowercase();
    }
    if let Some(format) = &field.format {
        text += &format!(" ({format})");
    }
    if let Some(object) = &field.object {
        text += &format!(" -> catalog object `{object}`");
    }
    text
}

fn api_type_text(types: &[ApiType], property: &Value) -> String {
    if let Some(name) = referenced_type(types, property) {
        return format!("$ref {name}");
    }
    let ty = property.get("type").and_then(Value::as_str).unwrap_or("<no type>");
    let format = property.get("format").and_then(Value::as_str).map(|f| format!(" ({f})")).unwrap_or_default();
    match property.get("items") {
        Some(items) => format!("{ty}{format} of {}", api_type_text(types, items)),
        None => format!("{ty}{format}"),
    }
}

/// Whether the catalog object `object` mirrors the API type `api_name`.
fn mirrors(catalog: &Catalog, object: Option<&str>, api_name: &str) -> bool {
    object.and_then(|o| catalog.object(o)).is_some_and(|o| o.openapi.iter().any(|t| t == api_name))
}

/// Why a catalog field's type does not match its API property, if it does not.
fn type_mismatch(
    catalog: &Catalog,
    types: &[ApiType],
    openapi: &str,
    field: &Field,
    property: &Value,
) -> Option<String> {
    let api_ty = property.get("type").and_then(Value::as_str);
    let api_format = property.get("format").and_then(Value::as_str);
    let ok = if let Some(target) = referenced_type(types, property) {
        field.ty == FieldType::Object && mirrors(catalog, field.object.as_deref(), target)
    } else {
        match api_ty {
            Some("integer") => field.ty == FieldType::Integer && field.format.as_deref() == api_format,
            Some("boolean") => field.ty == FieldType::Boolean && field.format.is_none(),
            Some("string") => field.ty == FieldType::String && field.format.is_none(),
            Some("array") => {
                let items = property.get("items").unwrap_or(&Value::Null);
                let items_ty = items.get("type").and_then(Value::as_str);
                let items_format = items.get("format").and_then(Value::as_str);
                field.ty == FieldType::List
                    && if let Some(target) = referenced_type(types, items) {
                        field.items == Some(FieldType::Object) && mirrors(catalog, field.object.as_deref(), target)
                    } else {
                        match items_ty {
                            Some("integer") => {
                                field.items == Some(FieldType::Integer) && field.format.as_deref() == items_format
                            }
                            // Capability names are strings with a closed vocabulary.
                            Some("string") => {
                                matches!(field.items, Some(FieldType::String | FieldType::Capability))
                                    && field.format.is_none()
                            }
                            _ => false,
                        }
                    }
            }
            _ => false,
        }
    };
    (!ok).then(|| {
        format!(
            "{openapi}.{}: the API says {}, the catalog says {}",
            field.name,
            api_type_text(types, property),
            catalog_type(field)
        )
    })
}

#[test]
fn every_api_type_is_mirrored_by_exactly_one_catalog_object() {
    let catalog = Catalog::embedded();
    let types = api_types();
    for t in &types {
        let objects: Vec<&str> =
            catalog.objects.iter().filter(|o| o.openapi.iter().any(|n| n == t.name)).map(|o| o.name.as_str()).collect();
        assert_eq!(
            objects.len(),
            1,
            "API type {} is mirrored by catalog objects {objects:?}, expected exactly one",
            t.name
        );
    }
    for object in &catalog.objects {
        assert!(!object.openapi.is_empty(), "catalog object `{}` names no API type", object.name);
        for name in &object.openapi {
            assert!(
                types.iter().any(|t| t.name == name.as_str()),
                "catalog object `{}` names API type `{name}`, which is not among the checked k8s-openapi types",
                object.name
            );
        }
    }
}

#[test]
fn catalog_fields_are_exactly_the_api_properties() {
    let catalog = Catalog::embedded();
    let types = api_types();
    let mut problems = Vec::new();
    for object in &catalog.objects {
        for openapi in &object.openapi {
            let api = find(&types, openapi);
            let props = properties(&api.schema);
            assert!(!props.is_empty(), "the k8s-openapi schema of {openapi} has no properties");
            let fields = fields_for(object, openapi);
            for name in props.keys() {
                match object.field(name) {
                    None => problems.push(format!("{openapi}.{name}: the API has it, catalog object `{}` has no such field", object.name)),
                    Some(f) if !fields.iter().any(|g| g.name == *name) => problems.push(format!(
                        "{openapi}.{name}: the API has it, the catalog's `{}.{name}` has scope {}, which excludes {openapi}",
                        object.name,
                        scope_name(f.scope)
                    )),
                    Some(_) => {}
                }
            }
            for field in &fields {
                if !props.contains_key(field.name.as_str()) {
                    problems.push(format!(
                        "{openapi}.{}: the catalog's `{}.{}` (scope {}) claims it, the API has no such property",
                        field.name,
                        object.name,
                        field.name,
                        scope_name(field.scope)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "catalog and API disagree on field sets:\n  {}", problems.join("\n  "));
}

#[test]
fn catalog_types_match_the_api_property_types() {
    let catalog = Catalog::embedded();
    let types = api_types();
    let mut problems = Vec::new();
    let mut checked = 0;
    for object in &catalog.objects {
        for openapi in &object.openapi {
            let props = properties(&find(&types, openapi).schema);
            for field in fields_for(object, openapi) {
                let Some(property) = props.get(field.name.as_str()) else { continue };
                checked += 1;
                problems.extend(type_mismatch(catalog, &types, openapi, field, property));
            }
        }
    }
    assert!(problems.is_empty(), "catalog and API disagree on types:\n  {}", problems.join("\n  "));
    // Pod (13) + container (12) + nested (2 + 2 + 2 + 4 + 4 + 2).
    assert_eq!(checked, 41, "the number of checked properties changed: review this test");
}

#[test]
fn nested_schemas_are_the_api_types_they_name() {
    // The `$ref` targets inside PodSecurityContext/SecurityContext are the same
    // schemas as the standalone types, so checking those covers the nesting.
    let types = api_types();
    for parent in ["PodSecurityContext", "SecurityContext"] {
        let root = &find(&types, parent).schema;
        for (name, property) in properties(root) {
            let property = property.get("items").filter(|_| property.get("$ref").is_none()).unwrap_or(property);
            let Some(target) = referenced_type(&types, property) else { continue };
            let reference = property["$ref"].as_str().unwrap();
            let resolved = root
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{parent}.{name}: `{reference}` does not resolve"));
            let mut standalone = find(&types, target).schema.clone();
            let standalone = standalone.as_object_mut().unwrap();
            standalone.remove("$schema");
            standalone.remove("title");
            let mut resolved = resolved.clone();
            resolved.as_object_mut().unwrap().remove("title");
            assert_eq!(
                &resolved,
                &Value::Object(standalone.clone()),
                "{parent}.{name}: `{reference}` differs from {target}"
            );
        }
    }
}

#[test]
fn required_fields_match_the_api() {
    let catalog = Catalog::embedded();
    let types = api_types();
    let mut problems = Vec::new();
    for object in &catalog.objects {
        for openapi in &object.openapi {
            let api_required = required(&find(&types, openapi).schema);
            for field in fields_for(object, openapi) {
                let api = api_required.contains(field.name.as_str());
                if api != field.required {
                    problems.push(format!(
                        "{openapi}.{}: the API says required: {api}, the catalog says required: {}",
                        field.name, field.required
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "catalog and API disagree on required fields:\n  {}", problems.join("\n  "));
}

#[test]
fn os_restrictions_match_the_api_notes() {
    // Every Linux-only or Windows-only field says so in its API description.
    let catalog = Catalog::embedded();
    let types = api_types();
    let mut problems = Vec::new();
    let sc = catalog.security_context();
    for openapi in &sc.openapi {
        let props = properties(&find(&types, openapi).schema);
        for field in fields_for(sc, openapi) {
            // A field the API lacks is reported by the field-set test.
            let Some(property) = props.get(field.name.as_str()) else { continue };
            let text = description(property);
            let api_linux = text.contains("cannot be set when spec.os.name is windows");
            let api_windows = text.contains("cannot be set when spec.os.name is linux");
            if (api_linux, api_windows) != (field.linux_only, field.windows_only) {
                problems.push(format!(
                    "{openapi}.{}: the API says linux-only {api_linux}, windows-only {api_windows}; \
                     the catalog says linuxOnly {}, windowsOnly {}",
                    field.name, field.linux_only, field.windows_only
                ));
            }
        }
    }
    assert!(problems.is_empty(), "catalog and API disagree on OS restrictions:\n  {}", problems.join("\n  "));
}

#[test]
fn enum_defaults_match_the_api() {
    // Where the API description names the default of an enum, the catalog's
    // default starts with it.
    let catalog = Catalog::embedded();
    let types = api_types();
    let mut checked = 0;
    for object in &catalog.objects {
        for openapi in &object.openapi {
            let props = properties(&find(&types, openapi).schema);
            for field in fields_for(object, openapi).into_iter().filter(|f| !f.values.is_empty()) {
                let Some(property) = props.get(field.name.as_str()) else { continue };
                let text = description(property);
                let api_default = text
                    .split_once("If not specified, \"")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(value, _)| value)
                    .or_else(|| {
                        text.split_once("The default value is ").and_then(|(_, rest)| rest.split_whitespace().next())
                    });
                let Some(api_default) = api_default else { continue };
                checked += 1;
                let catalog_default = field.default.as_deref().unwrap_or("<none>");
                assert!(
                    catalog_default.starts_with(api_default),
                    "{openapi}.{}: the API's default is `{api_default}`, the catalog's is `{catalog_default}`",
                    field.name
                );
                assert!(
                    field.allows_value(api_default),
                    "{openapi}.{}: the API's default `{api_default}` is not a catalog value",
                    field.name
                );
            }
        }
    }
    assert!(checked >= 4, "only {checked} enum defaults found in the API descriptions: review this test");
}

// The catalog's own facts (fields.md).

const ENUMS: &[(&str, &str, &[&str])] = &[
    ("securityContext", "fsGroupChangePolicy", &["OnRootMismatch", "Always"]),
    ("securityContext", "supplementalGroupsPolicy", &["Merge", "Strict"]),
    ("securityContext", "seLinuxChangePolicy", &["MountOption", "Recursive"]),
    ("securityContext", "procMount", &["Default", "Unmasked"]),
    ("seccompProfile", "type", &["RuntimeDefault", "Localhost", "Unconfined"]),
    ("appArmorProfile", "type", &["RuntimeDefault", "Localhost", "Unconfined"]),
];

#[test]
fn enum_fields_have_their_values_each_with_a_meaning() {
    let catalog = Catalog::embedded();
    for (object, name, values) in ENUMS {
        let field =
            catalog.object(object).and_then(|o| o.field(name)).unwrap_or_else(|| panic!("{object}.{name} missing"));
        let have: BTreeSet<&str> = field.values.iter().map(|v| v.value.as_str()).collect();
        let want: BTreeSet<&str> = values.iter().copied().collect();
        assert_eq!(have, want, "{object}.{name}: catalog values vs fields.md");
    }
    for object in &catalog.objects {
        for field in &object.fields {
            let listed = ENUMS.iter().any(|(o, n, _)| *o == object.name && *n == field.name);
            assert_eq!(
                !field.values.is_empty(),
                listed,
                "{}.{}: has values but is not a known enum, or the reverse",
                object.name,
                field.name
            );
            if field.values.is_empty() {
                continue;
            }
            assert_eq!(field.ty, FieldType::String, "{}.{}: an enum must be a string", object.name, field.name);
            let unique: BTreeSet<&str> = field.values.iter().map(|v| v.value.as_str()).collect();
            assert_eq!(unique.len(), field.values.len(), "{}.{}: duplicate values", object.name, field.name);
            for value in &field.values {
                assert!(
                    !value.meaning.trim().is_empty(),
                    "{}.{}: value `{}` has no meaning",
                    object.name,
                    field.name,
                    value.value
                );
            }
        }
    }
}

#[test]
fn id_fields_have_the_id_range() {
    let catalog = Catalog::embedded();
    let mut ids = Vec::new();
    for object in &catalog.objects {
        for field in &object.fields {
            let integer = field.ty == FieldType::Integer || field.items == Some(FieldType::Integer);
            if integer {
                ids.push(field.name.as_str());
                assert_eq!(
                    field.range,
                    Some([0, 2147483647]),
                    "{}.{}: an ID needs range [0, 2147483647]",
                    object.name,
                    field.name
                );
                assert_eq!(field.format.as_deref(), Some("int64"), "{}.{}: IDs are int64", object.name, field.name);
            } else {
                assert_eq!(field.range, None, "{}.{}: only integers have a range", object.name, field.name);
            }
        }
    }
    ids.sort_unstable();
    assert_eq!(ids, ["fsGroup", "runAsGroup", "runAsUser", "supplementalGroups"]);
}

#[test]
fn since_versions_parse_and_match_the_spec() {
    // Read the raw text too: the loader parses `since`, but a typo there
    // must fail here by name, not as a panic at startup.
    let raw: serde_yaml::Value = serde_yaml::from_str(include_str!("../schemas/securitycontext.yaml")).unwrap();
    let newest: KubeVersion = raw["kubernetes"].as_str().unwrap_or("").parse().expect("catalog `kubernetes` parses");
    assert_eq!(newest, KubeVersion::NEWEST, "the catalog and podsec disagree on the newest Kubernetes version");
    for object in raw["objects"].as_sequence().unwrap() {
        for field in object["fields"].as_sequence().unwrap() {
            let Some(since) = field.get("since") else { continue };
            let text = since.as_str().unwrap_or_else(|| {
                panic!(
                    "{}.{}: `since` must be a quoted string",
                    object["name"].as_str().unwrap(),
                    field["name"].as_str().unwrap()
                )
            });
            let version: KubeVersion = text.parse().unwrap_or_else(|e| {
                panic!("{}.{}: since {text}: {e}", object["name"].as_str().unwrap(), field["name"].as_str().unwrap())
            });
            assert!(version <= newest);
        }
    }
    let catalog = Catalog::embedded();
    let since = |object: &str, field: &str| {
        catalog.object(object).and_then(|o| o.field(field)).and_then(|f| f.since).map(|v| v.to_string())
    };
    for (object, field, version) in [
        ("securityContext", "fsGroupChangePolicy", "1.20"),
        ("securityContext", "supplementalGroupsPolicy", "1.31"),
        ("securityContext", "seLinuxChangePolicy", "1.32"),
        ("securityContext", "procMount", "1.12"),
        ("securityContext", "seccompProfile", "1.19"),
        ("securityContext", "appArmorProfile", "1.30"),
        ("windowsOptions", "hostProcess", "1.22"),
    ] {
        assert_eq!(since(object, field).as_deref(), Some(version), "{object}.{field}: since, catalog vs fields.md");
    }
}

#[test]
fn every_field_has_a_summary_and_docs() {
    let catalog = Catalog::embedded();
    for object in &catalog.objects {
        for field in &object.fields {
            assert!(!field.summary.trim().is_empty(), "{}.{}: no summary", object.name, field.name);
            assert!(
                field.docs.starts_with("https://kubernetes.io/docs/"),
                "{}.{}: docs `{}` is not a kubernetes.io docs link",
                object.name,
                field.name,
                field.docs
            );
        }
    }
}

#[test]
fn field_shapes_are_consistent() {
    let catalog = Catalog::embedded();
    for object in &catalog.objects {
        let names: BTreeSet<&str> = object.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), object.fields.len(), "catalog object `{}` repeats a field", object.name);
        for field in &object.fields {
            let at = format!("{}.{}", object.name, field.name);
            assert_eq!(field.items.is_some(), field.ty == FieldType::List, "{at}: `items` goes with type list");
            let holds_object = field.ty == FieldType::Object || field.items == Some(FieldType::Object);
            assert_eq!(field.object.is_some(), holds_object, "{at}: `object` goes with objects and lists of objects");
            if let Some(nested) = &field.object {
                assert!(catalog.object(nested).is_some(), "{at}: names missing catalog object `{nested}`");
            }
            assert!(!(field.linux_only && field.windows_only), "{at}: both linuxOnly and windowsOnly");
            if object.name != "securityContext" {
                assert_eq!(field.scope, Scope::Both, "{at}: scope only applies to securityContext fields");
            }
        }
    }
}
