//! The SARIF 2.1.0 format, for code scanning services.
//!
//! Columns are UTF-16 code units, SARIF's default `columnKind`, which is the
//! one consumers that ignore `columnKind` assume.

use serde_json::{json, Value};

use super::report::{FileReport, Located};
use crate::analysis::{rules, Severity};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/podsec/podsec";

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// Collects results as files are checked; [`SarifLog::finish`] gives the log.
#[derive(Default)]
pub struct SarifLog {
    results: Vec<Value>,
    notifications: Vec<Value>,
}

impl SarifLog {
    pub fn file(&mut self, report: &FileReport) {
        let uri = uri(&report.path);
        self.results.extend(report.findings.iter().map(|f| result(&uri, f)));
    }

    /// A file that could not be read: a tool execution notification.
    pub fn unreadable(&mut self, path: &str, message: &str) {
        self.notifications.push(json!({
            "level": "error",
            "message": { "text": message },
            "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(path) } } }],
        }));
    }

    pub fn finish(self) -> Value {
        let rules: Vec<Value> = rules::ALL
            .iter()
            .map(|rule| {
                json!({
                    "id": rule.code,
                    "shortDescription": { "text": rule.summary },
                    "helpUri": rule.docs_url(),
                    "defaultConfiguration": { "level": level(rule.default_severity) },
                })
            })
            .collect();
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "podsec",
                        "version": env!("CARGO_PKG_VERSION"),
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [{
                    "executionSuccessful": self.notifications.is_empty(),
                    "toolExecutionNotifications": self.notifications,
                }],
                "columnKind": "utf16CodeUnits",
                "results": self.results,
            }],
        })
    }
}

fn result(uri: &str, f: &Located) -> Value {
    let rule_index = rules::ALL.iter().position(|r| r.code == f.rule.code);
    let mut result = json!({
        "ruleId": f.rule.code,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": {
                    "startLine": f.start.line,
                    "startColumn": f.start.utf16_column,
                    "endLine": f.end.line,
                    "endColumn": f.end.utf16_column,
                },
            },
        }],
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    // Other places the finding is about: the template line a value flows
    // into, the container whose securityContext a patch removed.
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(id, r)| {
                json!({
                    "id": id,
                    "message": { "text": r.message },
                    "physicalLocation": {
                        "artifactLocation": { "uri": self::uri(&r.path) },
                        // The line only: related columns are counted in characters,
                        // SARIF's in UTF-16 code units.
                        "region": { "startLine": r.line },
                    },
                })
            })
            .collect();
        result["relatedLocations"] = json!(related);
    }
    result
}

/// A relative URI reference for a path as reported (`file://` for an
/// absolute one), percent-encoded where URIs require it.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::YAML_SYNTAX;
    use crate::analysis::Finding;
    use crate::syntax::Span;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("k8s/my app.yaml"), "k8s/my%20app.yaml");
        assert_eq!(uri("/abs/ü.yaml"), "file:///abs/%C3%BC.yaml");
        assert_eq!(uri("-"), "-");
    }

    #[test]
    fn regions_use_utf16_columns_and_rules_come_from_the_catalog() {
        let text = "name: 😀 [\n";
        let at = text.find('[').unwrap();
        let report =
            FileReport::new("a.yaml".into(), text.into(), vec![Finding::new(YAML_SYNTAX, Span::new(at, at + 1), "m")]);
        let mut log = SarifLog::default();
        log.file(&report);
        let log = log.finish();
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), rules::ALL.len());
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "yaml-syntax");
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "yaml-syntax");
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(result["level"], "error");
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region, &json!({"startLine": 1, "startColumn": 10, "endLine": 1, "endColumn": 11}));
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    }

    #[test]
    fn levels() {
        assert_eq!(level(Severity::Error), "error");
        assert_eq!(level(Severity::Warning), "warning");
        assert_eq!(level(Severity::Information), "note");
        assert_eq!(level(Severity::Hint), "note");
    }
}
