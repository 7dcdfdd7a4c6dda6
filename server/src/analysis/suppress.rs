//! Suppression comments.
//!
//! `# podsec:ignore <code>[,<code>...]` at the end of a line, or alone on the
//! line above, silences those codes for findings that start on that line;
//! without codes it silences every code there. `# podsec:ignore-file
//! [<code>...]` anywhere silences them for the whole file (every code when
//! none is named). Text after ` -- ` is a reason and text after ` #` another
//! comment, both ignored. An unknown code is itself reported.

use super::rules;
use super::Finding;
use crate::syntax::{comment_start, Span};
use crate::text::LineIndex;

const MARKER: &str = "podsec:ignore";

/// The codes an `ignore-file` comment silences in the whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FileWide {
    #[default]
    Nothing,
    Codes(Vec<String>),
    Everything,
}

impl FileWide {
    /// Whether `finding` is silenced. Reports about the suppression comments
    /// themselves never are: they say a comment does not do what it seems to.
    pub fn silences(&self, code: &str) -> bool {
        code != rules::INVALID_SUPPRESSION.code
            && match self {
                FileWide::Nothing => false,
                FileWide::Codes(codes) => codes.iter().any(|c| c == code),
                FileWide::Everything => true,
            }
    }

    /// Adds what another document of the same file silences.
    pub fn merge(&mut self, other: &FileWide) {
        match (&mut *self, other) {
            (_, FileWide::Nothing) | (FileWide::Everything, _) => {}
            (_, FileWide::Everything) => *self = FileWide::Everything,
            (FileWide::Nothing, FileWide::Codes(codes)) => *self = FileWide::Codes(codes.clone()),
            (FileWide::Codes(mine), FileWide::Codes(codes)) => mine.extend(codes.iter().cloned()),
        }
    }
}

#[derive(Debug, Default)]
struct Suppressions {
    /// Line → codes silenced there (empty: every code).
    lines: Vec<(usize, Vec<String>)>,
    file: FileWide,
}

impl Suppressions {
    fn silences_on_line(&self, line: usize, code: &str) -> bool {
        let matches = |codes: &Vec<String>| codes.is_empty() || codes.iter().any(|c| c == code);
        self.lines.iter().any(|(l, codes)| *l == line && matches(codes))
    }
}

/// Drops the findings silenced on their line and reports unknown codes;
/// returns what `ignore-file` comments silence, for the caller to apply to
/// every document of the file.
pub(super) fn apply_lines(text: &str, findings: &mut Vec<Finding>) -> FileWide {
    if !text.contains(MARKER) {
        return FileWide::Nothing;
    }
    let index = LineIndex::new(text);
    let mut suppressions = Suppressions::default();
    let mut problems = Vec::new();
    for line in 0..index.line_count() {
        let range = index.line_range(text, line);
        let content = &text[range.clone()];
        let Some(comment_at) = comment_start(content) else { continue };
        let comment = &content[comment_at + 1..];
        let Some(marker_at) = comment.find(MARKER) else { continue };
        if !comment[..marker_at].trim().is_empty() {
            continue;
        }
        let after = &comment[marker_at + MARKER.len()..];
        let (file_wide, list) = match after.strip_prefix("-file") {
            Some(rest) => (true, rest),
            None => (false, after),
        };
        if !list.is_empty() && !list.starts_with([' ', '\t', ':']) {
            continue;
        }
        let list = list.trim_start_matches(':');
        // A reason after ` -- ` or a further comment after ` #` is not a code.
        let list_end = [" -- ", " #"].iter().filter_map(|sep| list.find(sep)).min().unwrap_or(list.len());
        let list = &list[..list_end];
        let list_offset = range.start + offset_within(content, list);
        let mut codes = Vec::new();
        let mut cursor = 0;
        for token in list.split([',', ' ', '\t']) {
            let token_at = list[cursor..].find(token).map_or(cursor, |p| cursor + p);
            cursor = token_at + token.len();
            if token.is_empty() {
                continue;
            }
            if rules::by_code(token).is_none() {
                let start = list_offset + token_at;
                let hint = super::nearest_code(token).map_or_else(
                    || " See the rule list for the codes.".to_string(),
                    |c| format!(" Did you mean `{c}`?"),
                );
                problems.push(Finding::new(
                    rules::INVALID_SUPPRESSION,
                    Span::new(start, start + token.len()),
                    format!("`{token}` is not a podsec rule code, so this comment silences nothing.{hint}"),
                ));
            }
            codes.push(token.to_string());
        }
        if file_wide {
            let silenced = if codes.is_empty() { FileWide::Everything } else { FileWide::Codes(codes) };
            suppressions.file.merge(&silenced);
        } else {
            // Alone on its line: applies to the next line; else to its own.
            let target = if content[..comment_at].trim().is_empty() { line + 1 } else { line };
            suppressions.lines.push((target, codes));
        }
    }
    findings.retain(|f| !suppressions.silences_on_line(index.line_of(f.span.start), f.code()));
    findings.extend(problems);
    suppressions.file
}

/// Where `part`, a slice of `whole`, starts in it.
fn offset_within(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}
