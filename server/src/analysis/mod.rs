//! Findings, as plain data in byte offsets.
//!
//! [`analyze`] is the one entry point both front ends call: text and
//! configuration in, findings out. Nothing here does I/O or knows LSP.

pub mod rules;
mod best_practice;
mod pss;
mod structure;
mod suppress;
pub(crate) mod values;

pub use pss::{allowed_selinux_types, safe_sysctls, sysctl_safe_since};
pub(crate) use pss::BASELINE_CAPABILITIES;
pub use rules::{Rule, Severity};

use crate::config::Config;
use crate::model::Workloads;
use crate::syntax::{self, ParsedFile, Span};

/// One problem, at the key or value it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
}

impl Finding {
    pub fn new(rule: &'static Rule, span: Span, message: impl Into<String>) -> Self {
        Finding { rule, severity: rule.default_severity, message: message.into(), span }
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
    let mut findings = Vec::new();
    for document in &file.documents {
        for error in &document.errors {
            findings.push(Finding::new(rules::YAML_SYNTAX, error.span, syntax_message(&error.message)));
        }
        let Some(root) = &document.root else { continue };
        let workloads = Workloads::find(root);
        structure::check(&structure::Context { text, file, config, root, workloads: &workloads }, &mut findings);
        for pod in &workloads.pods {
            pss::check(text, file, config.profile, config.kubernetes_version, pod, &mut findings);
            best_practice::check(text, file, pod, &mut findings);
        }
    }
    suppress::apply(text, &mut findings);
    findings.retain_mut(|f| match config.level_of(f.rule, f.severity) {
        Some(severity) => {
            f.severity = severity;
            true
        }
        None => false,
    });
    findings.sort_by(|a, b| (a.span.start, a.span.end, a.rule.code).cmp(&(b.span.start, b.span.end, b.rule.code)));
    findings.dedup_by(|a, b| a.span == b.span && a.rule.code == b.rule.code);
    findings
}

/// The rule code closest to a misspelt one.
pub fn nearest_code(code: &str) -> Option<&'static str> {
    values::nearest(code, rules::ALL.iter().map(|r| r.code))
}

/// The name closest to a misspelt one, among `names`.
pub fn nearest_name<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    values::nearest(name, names.iter().copied())
}

fn syntax_message(parser_message: &str) -> String {
    format!("YAML syntax error: {parser_message}. The rest of this document is not analysed until it parses.")
}
