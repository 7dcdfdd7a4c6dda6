//! Code actions: every quick fix and move offered for the input, "make this
//! workload restricted" and "fix all" are applied and the result re-parsed
//! and re-analysed without panic. The fix engine's documented promises are
//! checked too: edits sorted, non-overlapping and inside the text; an
//! offered action parses as well as before and resolves what it targets;
//! "fix all" applied twice changes nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::analysis::{analyze, Analysis};
use podsec::config::Config;
use podsec::fix::{self, Action};

#[path = "common.rs"]
mod common;

fn syntax_errors(analysis: &Analysis) -> usize {
    analysis.file.documents.iter().map(|d| d.errors.len()).sum()
}

fn count(analysis: &Analysis, code: &str) -> usize {
    analysis.findings.iter().filter(|f| f.code() == code).count()
}

fn check_action(text: &str, config: &Config, before: &Analysis, action: &Action) {
    let mut end = 0;
    for (i, edit) in action.edits.iter().enumerate() {
        common::assert_span(text, edit.span, &action.title);
        assert!(i == 0 || edit.span.start >= end, "`{}`: edits unsorted or overlapping", action.title);
        end = edit.span.end;
    }
    let new_text = fix::apply(text, &action.edits);
    let after = analyze(&new_text, config);
    assert!(syntax_errors(&after) <= syntax_errors(before), "`{}` breaks the YAML:\n{new_text}", action.title);
    for target in &action.fixes {
        let targeted = action.fixes.iter().filter(|t| t.code == target.code).count();
        assert!(
            count(&after, target.code) + targeted <= count(before, target.code),
            "`{}` leaves its `{}` finding:\n{new_text}",
            action.title,
            target.code
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let config = common::config(&text);
    let before = analyze(&text, &config);
    for action in fix::actions(&text, &config, None) {
        check_action(&text, &config, &before, &action);
    }
    for action in fix::make_restricted(&text, &config, None) {
        let new_text = fix::apply(&text, &action.edits);
        let after = analyze(&new_text, &config);
        assert!(syntax_errors(&after) <= syntax_errors(&before), "`{}` breaks the YAML:\n{new_text}", action.title);
    }
    let fixed = fix::fix_all_text(&text, &config);
    if let Some(action) = fix::fix_all(&text, &config) {
        assert_eq!(fix::apply(&text, &action.edits), fixed.text, "fix-all edits do not give the fixed text");
    }
    let again = fix::fix_all_text(&fixed.text, &config);
    assert_eq!(again.text, fixed.text, "fix all, applied twice, changes the text again");
});
