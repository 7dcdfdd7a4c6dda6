//! Findings as LSP diagnostics, computed per `---` document and cached.

use std::collections::HashMap;

use tower_lsp::lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Range, Url,
};

use super::position::{range, PositionEncoding};
use super::segment::PlacedSegment;
use crate::analysis::{analyze_document, FileWide, Finding, Severity};
use crate::config::Config;
use crate::provenance::{FileId, SourceRelated};
use crate::text::LineIndex;

pub const SOURCE: &str = "podsec";

/// The diagnostics of each segment of one open document, as of the last
/// analysis, with lines counted from the segment's first line.
#[derive(Default)]
pub struct SegmentCache {
    /// What the entries were computed with; anything else empties the cache.
    computed_with: Option<(Config, PositionEncoding)>,
    entries: HashMap<u64, SegmentDiagnostics>,
}

struct SegmentDiagnostics {
    first_line: usize,
    /// A message names a line of the file: valid only at `first_line`.
    names_lines: bool,
    file_wide: FileWide,
    diagnostics: Vec<CachedDiagnostic>,
}

/// One diagnostic, serialized once: only its lines change when the
/// document moves, so a publication copies bytes instead of serializing
/// every message of the file again.
struct CachedDiagnostic {
    code: &'static str,
    /// Lines relative to the segment.
    range: Range,
    /// The JSON object after its `range` member: `"severity":1,...}`.
    rest: Box<str>,
}

impl CachedDiagnostic {
    fn new(code: &'static str, diagnostic: &Diagnostic) -> Self {
        // `range` is the first member lsp-types writes; checked below.
        let json = serde_json::to_string(diagnostic).unwrap_or_default();
        let prefix = format!("{{\"range\":{},", serde_json::to_string(&diagnostic.range).unwrap_or_default());
        let rest = json.strip_prefix(&prefix).unwrap_or_else(|| {
            tracing::error!("unexpected diagnostic serialization: {json}");
            "\"message\":\"\"}"
        });
        CachedDiagnostic { code, range: diagnostic.range, rest: rest.into() }
    }

    fn write(&self, line_shift: u32, out: &mut Vec<u8>) {
        use std::io::Write;
        let (start, end) = (self.range.start, self.range.end);
        let _ = write!(
            out,
            "{{\"range\":{{\"start\":{{\"line\":{},\"character\":{}}},\"end\":{{\"line\":{},\"character\":{}}}}},",
            start.line + line_shift,
            start.character,
            end.line + line_shift,
            end.character
        );
        out.extend_from_slice(self.rest.as_bytes());
    }
}

/// The diagnostics of a document as the JSON array a `publishDiagnostics`
/// carries.
#[derive(Debug)]
pub struct DiagnosticsJson {
    pub array: Vec<u8>,
    pub count: usize,
}

impl DiagnosticsJson {
    pub fn from_diagnostics(diagnostics: &[Diagnostic]) -> Self {
        DiagnosticsJson {
            array: serde_json::to_vec(diagnostics).unwrap_or_else(|_| b"[]".to_vec()),
            count: diagnostics.len(),
        }
    }

    #[cfg(test)]
    pub fn parse(&self) -> Vec<Diagnostic> {
        serde_json::from_slice(&self.array).expect("valid diagnostics JSON")
    }
}

/// What [`compute_segments`] did, for the trace log and the tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub analysed: usize,
    pub reused: usize,
}

/// The diagnostics of a whole document from its segments, analysing only
/// the segments the cache has no valid result for. `superseded` is asked
/// between segments: once it says yes, the work stops and `None` comes
/// back, and what was analysed so far stays cached for the next version.
pub fn compute_segments(
    uri: &Url,
    segments: &[PlacedSegment],
    config: &Config,
    encoding: PositionEncoding,
    cache: &mut SegmentCache,
    superseded: impl Fn() -> bool,
) -> Option<(DiagnosticsJson, Work)> {
    if cache.computed_with.as_ref().is_none_or(|(c, e)| c != config || *e != encoding) {
        cache.entries.clear();
        cache.computed_with = Some((config.clone(), encoding));
    }
    let mut work = Work::default();
    let mut current = HashMap::with_capacity(segments.len());
    for placed in segments {
        let id = placed.segment.id;
        let entry = match cache.entries.remove(&id) {
            Some(entry) if !entry.names_lines || entry.first_line == placed.first_line => {
                work.reused += 1;
                entry
            }
            _ => {
                if superseded() {
                    // Keep what is still valid for the next round.
                    cache.entries.extend(current);
                    return None;
                }
                work.analysed += 1;
                analyse_segment(uri, placed, config, encoding)
            }
        };
        current.insert(id, entry);
    }
    cache.entries = current;
    let mut file_wide = FileWide::default();
    for entry in cache.entries.values() {
        file_wide.merge(&entry.file_wide);
    }
    let mut array = Vec::with_capacity(cache.entries.values().map(|e| e.diagnostics.len() * 400).sum::<usize>() + 2);
    let mut count = 0;
    array.push(b'[');
    for placed in segments {
        let entry = &cache.entries[&placed.segment.id];
        for diagnostic in entry.diagnostics.iter().filter(|d| !file_wide.silences(d.code)) {
            if count > 0 {
                array.push(b',');
            }
            diagnostic.write(placed.first_line as u32, &mut array);
            count += 1;
        }
    }
    array.push(b']');
    Some((DiagnosticsJson { array, count }, work))
}

fn analyse_segment(
    uri: &Url,
    placed: &PlacedSegment,
    config: &Config,
    encoding: PositionEncoding,
) -> SegmentDiagnostics {
    let text = &*placed.segment.text;
    let result = analyze_document(text, placed.first_line, config);
    let index = LineIndex::new(text);
    SegmentDiagnostics {
        first_line: placed.first_line,
        names_lines: result.names_lines,
        file_wide: result.file_wide,
        diagnostics: result
            .findings
            .iter()
            .map(|f| {
                let at = Some((uri, placed.first_line as u32));
                CachedDiagnostic::new(f.code(), &to_diagnostic(text, &index, f, encoding, at))
            })
            .collect(),
    }
}

/// The one diagnostic of a document over the size limit, which is not
/// analysed.
pub fn too_large(length: usize, limit: usize) -> Diagnostic {
    const MB: f64 = 1024.0 * 1024.0;
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::INFORMATION),
        source: Some(SOURCE.to_string()),
        message: format!(
            "podsec does not analyse this file: it is {:.1} MB, over the {:.0} MB limit. Raise the `maxFileSizeMB` \
             setting to analyse it, or run `podsec check` on it.",
            length as f64 / MB,
            limit as f64 / MB
        ),
        ..Diagnostic::default()
    }
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
            to_diagnostic(text, &index, &finding, encoding, None)
        })
        .collect()
}

/// The related places of a finding placed from an assembled text (a
/// chart's template, an overlay), in whatever files they are, as LSP
/// related information; `file` gives a file's URI and text, `indexes`
/// keeps each file's line index across calls. `None` when there are none.
pub fn related_information<T: AsRef<str>>(
    related: &[SourceRelated],
    mut file: impl FnMut(FileId) -> Option<(Url, T)>,
    indexes: &mut HashMap<FileId, LineIndex>,
    encoding: PositionEncoding,
) -> Option<Vec<DiagnosticRelatedInformation>> {
    let related: Vec<DiagnosticRelatedInformation> = related
        .iter()
        .filter_map(|r| {
            let (uri, text) = file(r.location.file)?;
            let text = text.as_ref();
            let index = indexes.entry(r.location.file).or_insert_with(|| LineIndex::new(text));
            let range = range(text, index, r.location.span, encoding);
            Some(DiagnosticRelatedInformation { location: Location { uri, range }, message: r.message.clone() })
        })
        .collect();
    (!related.is_empty()).then_some(related)
}

/// `at`: the document's URI and the line of the file `text` starts on, for
/// related locations (the anchor of an alias).
pub fn to_diagnostic(
    text: &str,
    index: &LineIndex,
    finding: &Finding,
    encoding: PositionEncoding,
    at: Option<(&Url, u32)>,
) -> Diagnostic {
    let related_information = at.filter(|_| !finding.related.is_empty()).map(|(uri, first_line)| {
        finding
            .related
            .iter()
            .map(|related| {
                let mut range = range(text, index, related.span, encoding);
                range.start.line += first_line;
                range.end.line += first_line;
                DiagnosticRelatedInformation {
                    location: Location { uri: uri.clone(), range },
                    message: related.message.clone(),
                }
            })
            .collect()
    });
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
        related_information,
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

    fn compute(text: &str, config: &Config, encoding: PositionEncoding) -> Vec<Diagnostic> {
        let index = LineIndex::new(text);
        crate::analysis::analyze(text, config)
            .findings
            .iter()
            .map(|f| to_diagnostic(text, &index, f, encoding, None))
            .collect()
    }

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
