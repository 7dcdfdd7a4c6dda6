//! Text assembled from several files, and where each piece came from.
//!
//! A Helm chart's workload is a template with values put in; a Kustomize
//! overlay's is a base with patches merged in. Either way the engine builds
//! one text (an [`Expansion`]), analyses it as it analyses any manifest,
//! and maps each finding back to the file and span the user edits, as a
//! compiler maps a macro expansion back to its call site. The pieces are
//! recorded as the text is written: a piece copied verbatim maps offset for
//! offset; a generated piece (a values leaf serialised by `toYaml`, a
//! merged node) maps as a whole to its origin.

use crate::analysis::{Finding, Related};
use crate::syntax::Span;

/// A file of the input, as the front end numbered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A place in an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

impl Location {
    pub fn new(file: FileId, span: Span) -> Self {
        Location { file, span }
    }
}

/// How a piece of the assembled text got there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// Copied from a template or manifest as written.
    Literal,
    /// A value from a values file, at this dotted path.
    Value { path: String },
    /// Produced by a template action that the engine evaluated.
    Action,
    /// Merged in by a patch.
    Patch,
}

/// One piece of an [`Expansion`]: `span` of the assembled text came from
/// `origin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub span: Span,
    pub origin: Location,
    pub via: Via,
    /// The piece is the origin's text byte for byte, so inner offsets map.
    pub verbatim: bool,
}

/// Text assembled from pieces of input files.
#[derive(Clone, Debug, Default)]
pub struct Expansion {
    pub text: String,
    /// In text order, not overlapping.
    pub pieces: Vec<Piece>,
}

impl Expansion {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `text`, a verbatim copy of `origin`.
    pub fn push_verbatim(&mut self, text: &str, origin: Location, via: Via) {
        self.push(text, origin, via, true);
    }

    /// Appends generated `text` that stands for `origin` as a whole.
    pub fn push_generated(&mut self, text: &str, origin: Location, via: Via) {
        self.push(text, origin, via, false);
    }

    fn push(&mut self, text: &str, origin: Location, via: Via, verbatim: bool) {
        if text.is_empty() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(text);
        let span = Span::new(start, self.text.len());
        // Adjacent verbatim copies of adjacent text are one piece.
        if let Some(last) = self.pieces.last_mut() {
            if verbatim
                && last.verbatim
                && last.via == via
                && last.origin.file == origin.file
                && last.span.end == start
                && last.origin.span.end == origin.span.start
            {
                last.span.end = span.end;
                last.origin.span.end = origin.span.end;
                return;
            }
        }
        self.pieces.push(Piece { span, origin, via, verbatim });
    }

    /// Appends text that stands for nothing of the input (a line break
    /// between pieces); it maps to the piece before it.
    pub fn push_glue(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends another expansion, its pieces moved along.
    pub fn append(&mut self, other: &Expansion) {
        let by = self.text.len();
        self.text.push_str(&other.text);
        self.pieces.extend(other.pieces.iter().map(|p| Piece { span: p.span.shifted(by), ..p.clone() }));
    }

    /// Removes trailing spaces, tabs and line breaks (a template's `{{-`).
    pub fn trim_end_whitespace(&mut self) {
        let kept = self.text.trim_end_matches([' ', '\t', '\r', '\n']).len();
        self.truncate(kept);
    }

    fn truncate(&mut self, len: usize) {
        self.text.truncate(len);
        while self.pieces.last().is_some_and(|p| p.span.start >= len) {
            self.pieces.pop();
        }
        if let Some(last) = self.pieces.last_mut() {
            if last.span.end > len {
                let cut = last.span.end - len;
                last.span.end = len;
                if last.verbatim {
                    last.origin.span.end -= cut;
                }
            }
        }
    }

    /// The text with `spaces` spaces put before every line (Helm's
    /// `indent`), the pieces moved along.
    pub fn indented(&self, spaces: usize) -> Expansion {
        let pad = " ".repeat(spaces);
        let mut out = Expansion::new();
        let mut line_start = true;
        let mut pieces = self.pieces.iter().peekable();
        let mut at = 0;
        // Pieces cover parts of the text; the rest is glue.
        while at < self.text.len() {
            let next_piece = pieces.peek().copied();
            let (chunk_end, piece) = match next_piece {
                Some(p) if p.span.start <= at => (p.span.end, Some(p)),
                Some(p) => (p.span.start, None),
                None => (self.text.len(), None),
            };
            let chunk = &self.text[at..chunk_end];
            let mut offset = 0;
            for part in chunk.split_inclusive('\n') {
                if line_start && part != "\n" {
                    out.push_glue(&pad);
                }
                match piece {
                    Some(p) if p.verbatim => {
                        let start = p.origin.span.start + (at + offset - p.span.start);
                        let origin = Location::new(p.origin.file, Span::new(start, start + part.len()));
                        out.push(part, origin, p.via.clone(), true);
                    }
                    Some(p) => out.push(part, p.origin, p.via.clone(), false),
                    None => out.push_glue(part),
                }
                line_start = part.ends_with('\n');
                offset += part.len();
            }
            if piece.is_some() {
                pieces.next();
            }
            at = chunk_end;
        }
        out
    }

    /// The piece holding `offset` (the one before it, for glue).
    pub fn piece_at(&self, offset: usize) -> Option<&Piece> {
        let index = self.pieces.partition_point(|p| p.span.start <= offset);
        index.checked_sub(1).map(|i| &self.pieces[i])
    }

    /// The place in the input that `span` of the assembled text stands for:
    /// offset for offset inside one verbatim piece, else the origin of the
    /// piece where the span starts.
    pub fn locate(&self, span: Span) -> Option<(Location, &Via)> {
        let piece = self.piece_at(span.start)?;
        if piece.verbatim && span.start >= piece.span.start && span.end <= piece.span.end {
            let start = piece.origin.span.start + (span.start - piece.span.start);
            return Some((Location::new(piece.origin.file, Span::new(start, start + span.len())), &piece.via));
        }
        Some((piece.origin, &piece.via))
    }

    /// Shifts a span of the assembled text to the input, only when it lies
    /// inside one verbatim piece (so that an edit there can be applied to
    /// the file).
    pub fn locate_exact(&self, span: Span) -> Option<Location> {
        let piece = self.piece_at(span.start)?;
        (piece.verbatim && span.start >= piece.span.start && span.end <= piece.span.end).then(|| {
            let start = piece.origin.span.start + (span.start - piece.span.start);
            Location::new(piece.origin.file, Span::new(start, start + span.len()))
        })
    }
}

impl Expansion {
    /// The origin of the first piece on `line` (0-based) of the assembled
    /// text: what a message's "line N" stands for in the input.
    pub fn origin_of_line(&self, line: usize) -> Option<Location> {
        let start = if line == 0 { 0 } else { self.text.match_indices('\n').nth(line - 1).map(|(at, _)| at + 1)? };
        let end = self.text[start..].find('\n').map_or(self.text.len(), |at| start + at);
        let index = self.pieces.partition_point(|p| p.span.end <= start);
        let piece = self.pieces.get(index).filter(|p| p.span.start < end.max(start + 1))?;
        let offset = start.max(piece.span.start);
        Some(self.locate(Span::new(offset, offset)).map_or(piece.origin, |(location, _)| location))
    }
}

/// A place a [`SourceFinding`] points to besides its own, in any file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRelated {
    pub location: Location,
    pub message: String,
}

/// A finding on an assembled workload, placed where the user fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFinding {
    pub location: Location,
    /// The finding, its `span` being `location.span` in `location.file`.
    pub finding: Finding,
    pub related: Vec<SourceRelated>,
    /// The values path of the offending value, when a values file holds it.
    pub values_path: Option<String>,
    /// What was assembled (`overlays/prod`, a chart's release), for messages
    /// and JSON output.
    pub context: Option<String>,
}

/// Places a finding made on `expansion.text`: at the input its span came
/// from, its related spans mapped the same way.
pub fn place(finding: &Finding, expansion: &Expansion) -> Option<SourceFinding> {
    let (location, via) = expansion.locate(finding.span)?;
    let values_path = match via {
        Via::Value { path } => Some(path.clone()),
        _ => None,
    };
    let related = finding
        .related
        .iter()
        .filter_map(|r: &Related| {
            let (location, _) = expansion.locate(r.span)?;
            Some(SourceRelated { location, message: r.message.clone() })
        })
        .collect();
    let mut placed = finding.clone();
    placed.span = location.span;
    placed.related.clear();
    Some(SourceFinding { location, finding: placed, related, values_path, context: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_pieces_map_offset_for_offset_and_generated_ones_as_a_whole() {
        let template = FileId(0);
        let values = FileId(1);
        let mut expansion = Expansion::new();
        // template: "kind: Pod\nspec:\n  x: {{ .Values.x }}\n"
        expansion.push_verbatim("kind: Pod\nspec:\n  x: ", Location::new(template, Span::new(0, 21)), Via::Literal);
        expansion.push_generated("true", Location::new(values, Span::new(3, 7)), Via::Value { path: "x".into() });
        expansion.push_verbatim("\n", Location::new(template, Span::new(36, 37)), Via::Literal);
        assert_eq!(expansion.text, "kind: Pod\nspec:\n  x: true\n");

        let spec = expansion.locate(Span::new(10, 14)).unwrap();
        assert_eq!(spec.0, Location::new(template, Span::new(10, 14)));
        let value = expansion.locate(Span::new(21, 25)).unwrap();
        assert_eq!(value.0, Location::new(values, Span::new(3, 7)));
        assert_eq!(value.1, &Via::Value { path: "x".into() });
        assert_eq!(expansion.locate_exact(Span::new(21, 25)), None);
        assert_eq!(expansion.locate_exact(Span::new(16, 17)), Some(Location::new(template, Span::new(16, 17))));
    }

    #[test]
    fn adjacent_copies_of_adjacent_text_are_one_piece() {
        let file = FileId(3);
        let mut expansion = Expansion::new();
        expansion.push_verbatim("ab", Location::new(file, Span::new(0, 2)), Via::Literal);
        expansion.push_verbatim("cd", Location::new(file, Span::new(2, 4)), Via::Literal);
        expansion.push_verbatim("ef", Location::new(file, Span::new(9, 11)), Via::Literal);
        assert_eq!(expansion.pieces.len(), 2);
        assert_eq!(expansion.locate(Span::new(1, 3)).unwrap().0, Location::new(file, Span::new(1, 3)));
    }
}
