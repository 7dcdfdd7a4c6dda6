//! Findings, as plain data in byte offsets, and how admission judges each
//! workload (`policy`, `verdict`).
//!
//! [`analyze`] takes text and configuration and gives findings; the server
//! calls `analyze_excerpt` on one `---` document at a time. Nothing here
//! does I/O or knows LSP.

mod best_practice;
pub mod policy;
mod pss;
pub use crate::rules;
pub(crate) mod structure;
mod suppress;
pub(crate) mod values;
mod verdict;

pub(crate) use pss::BASELINE_CAPABILITIES;
pub use pss::{allowed_selinux_types, safe_sysctls, sysctl_safe_since};
pub use rules::{Rule, Severity};
pub use suppress::FileWide;
pub use verdict::{verdicts, NamespaceEnforcement, Verdict};

use std::fmt::Write;

use crate::config::Config;
use crate::model::Workloads;
use crate::syntax::{self, ParsedFile, Span};
use policy::ProfileSource;

/// One problem, at the key or value it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Where the profile of a Pod Security finding came from.
    pub profile_source: ProfileSource,
    /// Other places the finding is about (the anchor of an alias).
    pub related: Vec<Related>,
}

/// A place a finding points to besides its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

impl Finding {
    pub fn new(rule: &'static Rule, span: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.default_severity,
            message: message.into(),
            span,
            profile_source: ProfileSource::Config,
            related: Vec::new(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}

/// The result of analysing one file.
#[derive(Debug, Default)]
pub struct Analysis {
    pub file: ParsedFile,
    /// Sorted by position, then code.
    pub findings: Vec<Finding>,
}

/// Parses and analyses one file.
pub fn analyze(text: &str, config: &Config) -> Analysis {
    let file = syntax::parse(text);
    let findings = analyze_parsed(text, &file, config);
    Analysis { file, findings }
}

/// Analyses an already parsed file.
pub fn analyze_parsed(text: &str, file: &ParsedFile, config: &Config) -> Vec<Finding> {
    let mut result = analyze_excerpt(text, file, config, 0);
    result.findings.retain(|f| !result.file_wide.silences(f.code()));
    result.findings
}

/// One `---` document analysed on its own: what the server keeps per
/// document so that an edit re-analyses only the document it touches.
#[derive(Clone, Debug, Default)]
pub struct DocumentFindings {
    /// In byte offsets from the start of the document; `ignore-file`
    /// comments not yet applied (they may come from any document).
    pub findings: Vec<Finding>,
    /// What this document's `ignore-file` comments silence in the whole file.
    pub file_wide: FileWide,
    /// Some message names a line number of the file, so the result holds
    /// only while the document starts on the same line.
    pub names_lines: bool,
}

/// Analyses `text`, one `---` document that starts on line `first_line`
/// (0-based) of its file. Joined with [`FileWide::silences`] over the
/// `file_wide` of every document of the file, the results equal what
/// [`analyze`] finds in the whole file.
pub fn analyze_document(text: &str, first_line: usize, config: &Config) -> DocumentFindings {
    analyze_excerpt(text, &syntax::parse(text), config, first_line)
}

pub(crate) fn analyze_excerpt(text: &str, file: &ParsedFile, config: &Config, first_line: usize) -> DocumentFindings {
    let mut findings = Vec::new();
    let lines = structure::LineNumbers::new(text, first_line);
    for document in &file.documents {
        for error in &document.errors {
            findings.push(Finding::new(rules::YAML_SYNTAX, error.span, syntax_message(&error.message)));
        }
        let Some(root) = &document.root else { continue };
        let workloads = workloads(text, file, root);
        structure::check(
            &structure::Context { text, file, config, root, workloads: &workloads, lines: &lines },
            &mut findings,
        );
        // A pod spec cut short by a syntax error gets only the structural
        // checks: what is missing from it may well follow the error.
        let error_at = document.errors.iter().map(|e| e.span.start).min();
        let cut_short = error_at
            .and_then(|at| workloads.pods.iter().filter(|p| p.spec.span.start <= at).map(|p| p.spec.span.start).max());
        for pod in workloads.pods.iter().filter(|p| Some(p.spec.span.start) != cut_short) {
            pss::check_workload(text, file, config, pod, &mut findings);
            best_practice::check(text, file, &lines, pod, &mut findings);
        }
    }
    // A finding on a copy made for an alias says where the value comes from.
    let aliases: Vec<syntax::Followed> =
        file.documents.iter().flat_map(|d| &d.followed).filter(|f| f.at != f.anchor).copied().collect();
    for finding in findings.iter_mut().filter(|_| !aliases.is_empty()) {
        let within = |f: &&syntax::Followed| f.at.start <= finding.span.start && finding.span.end <= f.at.end;
        let Some(followed) = aliases.iter().find(within) else { continue };
        let alias = text.get(followed.at.start..followed.at.end).unwrap_or_default();
        let line = lines.of(followed.anchor.start);
        let full_stop = finding.message.ends_with('.');
        if full_stop {
            finding.message.pop();
        }
        let _ = write!(finding.message, " (through the alias `{alias}`, anchored on line {line})");
        finding
            .related
            .push(Related { span: followed.anchor, message: format!("the value of `{alias}` is anchored here") });
        if full_stop {
            finding.message.push('.');
        }
    }
    // A finding in a branch of a template says which condition guards it.
    if !file.templates.branches.is_empty() {
        for finding in &mut findings {
            let guards = file.templates.guards(finding.span);
            if guards.is_empty() || finding.rule == rules::YAML_SYNTAX {
                continue;
            }
            let conditions: Vec<String> = guards.iter().rev().map(|b| b.describe()).collect();
            let full_stop = finding.message.ends_with('.');
            if full_stop {
                finding.message.pop();
            }
            let _ = write!(finding.message, " ({})", conditions.join(", "));
            if full_stop {
                finding.message.push('.');
            }
        }
    }
    let file_wide = suppress::apply_lines(text, &mut findings);
    findings.retain_mut(|f| match config.level_of(f.rule, f.severity) {
        Some(severity) => {
            // A namespace enforcing the profile rejects the pod: an error
            // whatever level the rule is set to (`off` still silences it).
            f.severity = if f.profile_source.is_enforced() { Severity::Error } else { severity };
            true
        }
        None => false,
    });
    findings.sort_by(|a, b| (a.span.start, a.span.end, a.rule.code).cmp(&(b.span.start, b.span.end, b.rule.code)));
    findings.dedup_by(|a, b| a.span == b.span && a.rule.code == b.rule.code);
    DocumentFindings { findings, file_wide, names_lines: lines.were_used() }
}

/// The pod specs of a document, with what templates supply marked unknown:
/// a securityContext whose content an action inserts, or a pod spec or
/// container among whose keys an action inserts more, may have any setting.
pub(crate) fn workloads<'a>(text: &str, file: &ParsedFile, root: &'a syntax::Node) -> Workloads<'a> {
    let mut workloads = Workloads::find(root);
    let templates = &file.templates;
    if templates.inserted.is_empty() && templates.inline.is_empty() {
        return workloads;
    }
    let masked = templates.masked.as_deref().unwrap_or(text);
    // The value is a template's placeholder, or content is inserted below the key.
    let supplied = |entry: &syntax::Entry| {
        (entry.value.as_scalar().is_some() && templates.is_templated(entry.value.span))
            || templates.inserted_under(masked, entry.key.span).is_some()
    };
    let inserted_among = |mapping: &syntax::Node| {
        let first = mapping.as_mapping().and_then(|m| m.first());
        first.is_some_and(|e| templates.inserted_among(masked, e.key.span).is_some())
    };
    for pod in &mut workloads.pods {
        pod.security_context_unknown = match pod.security_context {
            Some(entry) => supplied(entry),
            None => inserted_among(pod.spec),
        };
        for container in &mut pod.containers {
            container.partial |= match container.security_context {
                Some(entry) => supplied(entry),
                None => inserted_among(container.node),
            };
        }
    }
    workloads
}

/// A container's name as the user wrote it, a Helm template included.
pub(crate) fn container_label(text: &str, file: &ParsedFile, container: &crate::model::Container) -> String {
    match container.name {
        Some(name) if file.templates.is_templated(name.span) => {
            text.get(name.span.start..name.span.end).unwrap_or_default().to_string()
        }
        _ => container.display_name(),
    }
}

/// A name or value as the user wrote it: the source text where a Helm
/// action fills it (never the masking placeholder), else its value.
pub(crate) fn as_written(text: &str, file: &ParsedFile, node: &crate::syntax::Node) -> String {
    if file.templates.is_templated(node.span) {
        text.get(node.span.start..node.span.end).unwrap_or_default().trim().to_string()
    } else {
        node.as_str().unwrap_or_default().to_string()
    }
}

/// A volume's name as written, for messages.
pub(crate) fn volume_label(text: &str, file: &ParsedFile, volume: &crate::syntax::Node) -> String {
    volume
        .get("name")
        .map(|n| as_written(text, file, n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "(unnamed)".into())
}

/// Where to point for a setting a container lacks: its `securityContext`
/// key, else its name, else its first key.
pub(crate) fn missing_anchor(container: &crate::model::Container) -> Span {
    container
        .security_context
        .map(|e| e.key.span)
        .or(container.name.filter(|n| !n.span.is_empty()).map(|n| n.span))
        .or(container.node.as_mapping().and_then(|m| m.first()).map(|e| e.key.span))
        .unwrap_or(container.node.span)
}

pub use crate::suggest::{nearest_code, nearest_name};

fn syntax_message(parser_message: &str) -> String {
    format!("YAML syntax error: {parser_message}. The rest of this document is not analysed until it parses.")
}
