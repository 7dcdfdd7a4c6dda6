//! The whole analysis: `analyze` never panics, and every finding (and
//! inlay hint) points into the text, on char boundaries, in sorted order.

#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::analysis::analyze;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let config = common::config(&text);
    let analysis = analyze(&text, &config);
    for finding in &analysis.findings {
        common::assert_span(&text, finding.span, finding.code());
        assert!(!finding.message.is_empty(), "{} without a message", finding.code());
    }
    assert!(
        analysis.findings.windows(2).all(|w| (w[0].span.start, w[0].span.end) <= (w[1].span.start, w[1].span.end)),
        "findings out of order"
    );
    for hint in podsec::ide::inlay::inlay_hints(&text) {
        assert!(hint.offset <= text.len() && text.is_char_boundary(hint.offset), "inlay hint at {}", hint.offset);
        for part in &hint.parts {
            common::assert_span(&text, part.source, "inlay hint source");
        }
        let _ = (hint.label(), hint.tooltip());
    }
});
