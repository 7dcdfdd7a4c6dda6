//! Findings as LSP diagnostics.

use tower_lsp::lsp_types::{CodeDescription, Diagnostic, DiagnosticSeverity, DiagnosticTag, NumberOrString, Url};

use super::position::{range, PositionEncoding};
use crate::analysis::{analyze, Finding, Severity};
use crate::config::Config;
use crate::text::LineIndex;

pub const SOURCE: &str = "podsec";

/// Analyses `text` and converts every finding. CPU-bound: run it off the
/// message loop.
pub fn compute(text: &str, config: &Config, encoding: PositionEncoding) -> Vec<Diagnostic> {
    let analysis = analyze(text, config);
    let index = LineIndex::new(text);
    analysis.findings.iter().map(|finding| to_diagnostic(text, &index, finding, encoding)).collect()
}

/// The problems of a `.podsec.yaml`, as diagnostics on it.
pub fn compute_settings(text: &str, encoding: PositionEncoding) -> Vec<Diagnostic> {
    let index = LineIndex::new(text);
    crate::config::parse_settings(text)
        .1
        .into_iter()
        .map(|problem| {
            let finding = Finding::new(
                crate::analysis::rules::INVALID_CONFIG,
                problem.span,
                format!("{}; podsec ignores this setting.", problem.message),
            );
            to_diagnostic(text, &index, &finding, encoding)
        })
        .collect()
}

pub fn to_diagnostic(text: &str, index: &LineIndex, finding: &Finding, encoding: PositionEncoding) -> Diagnostic {
    // Faded rather than underlined: the setting is harmless, just not needed.
    let tags = (finding.rule == crate::analysis::rules::REDUNDANT_SETTING).then(|| vec![DiagnosticTag::UNNECESSARY]);
    Diagnostic {
        tags,
        range: range(text, index, finding.span, encoding),
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule.code.to_string())),
        code_description: Url::parse(&finding.rule.docs_url()).ok().map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: finding.message.clone(),
        ..Diagnostic::default()
    }
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

#[cfg(test)]
mod tests {
    use tower_lsp::lsp_types::{Position, Range};

    use super::*;

    #[test]
    fn a_syntax_error_after_emoji_has_utf16_and_utf8_columns() {
        let text = "kind: Pod\r\nmetadata:\r\n  name: 🚀 日本: x\r\n";
        let utf16 = compute(text, &Config::default(), PositionEncoding::Utf16);
        assert_eq!(utf16.len(), 1, "{utf16:?}");
        let d = &utf16[0];
        assert_eq!(d.range, Range { start: Position::new(2, 13), end: Position::new(2, 14) });
        assert_eq!(d.code, Some(NumberOrString::String("yaml-syntax".into())));
        assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
        assert_eq!(d.source.as_deref(), Some("podsec"));
        assert!(d.code_description.as_ref().unwrap().href.as_str().ends_with("#yaml-syntax"));
        let utf8 = compute(text, &Config::default(), PositionEncoding::Utf8);
        assert_eq!(utf8[0].range, Range { start: Position::new(2, 19), end: Position::new(2, 20) });
    }
}
