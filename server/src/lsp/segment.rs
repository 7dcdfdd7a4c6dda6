//! A `---` document of an open file, with the identity the analysis cache
//! is keyed on: what the document store makes and the diagnostics cache reads.

use std::sync::Arc;

/// One `---` document of an open file.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Unique among the segments of this server; a segment keeps it for as
    /// long as its text is unchanged.
    pub id: u64,
    pub text: Arc<str>,
    /// Line breaks in `text` (`\n`, `\r\n`, lone `\r`): where the next one starts.
    pub line_breaks: usize,
}

impl Segment {
    pub fn new(id: u64, text: &str) -> Self {
        Segment { id, text: Arc::from(text), line_breaks: count_line_breaks(text) }
    }
}

fn count_line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    let lone_returns =
        bytes.iter().enumerate().filter(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n')).count();
    newlines + lone_returns
}

/// A segment and the line of the file it starts on (0-based).
#[derive(Clone, Debug)]
pub struct PlacedSegment {
    pub segment: Segment,
    pub first_line: usize,
}
