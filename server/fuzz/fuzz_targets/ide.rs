//! Hover and completion at every char boundary of a small input (a bounded,
//! evenly spread set of positions in a large one): no panic, and every
//! range they give slices the text. A completion's range holds the cursor
//! and stays on its line, as LSP requires of a completion's text edit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::{fix, ide};

#[path = "common.rs"]
mod common;

/// Positions per input: hover and completion each re-read the document.
const POSITIONS: usize = 256;

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let config = common::config(&text);
    for offset in common::offsets(&text, POSITIONS) {
        if let Some(hover) = ide::hover(&text, offset, &config) {
            common::assert_span(&text, hover.range, "hover");
            assert!(!hover.markdown.is_empty(), "empty hover at {offset}");
        }
        for item in ide::complete(&text, offset, &config) {
            let replace = item.replace;
            common::assert_span(&text, replace, "completion");
            assert!(
                replace.start <= offset && offset <= replace.end,
                "completion `{}` at {offset} replaces {replace:?}, away from the cursor",
                item.label
            );
            assert!(
                !text[replace.start..replace.end].contains(['\n', '\r']),
                "completion `{}` at {offset} replaces more than one line: {replace:?}",
                item.label
            );
            // Accepting it gives text the analysis still takes.
            if offset % 7 == 0 {
                let edit = fix::TextEdit { span: replace, new_text: item.insert_text };
                let _ = podsec::analysis::analyze(&fix::apply(&text, &[edit]), &config);
            }
        }
    }
});
