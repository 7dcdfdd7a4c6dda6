//! Shared by the fuzz targets: the input as text, its configuration, and
//! the span checks every layer must pass.

#![allow(dead_code)] // Each target uses part of it.

use podsec::config::{Config, Profile};
use podsec::syntax::Span;

/// The input as text. Invalid UTF-8 is replaced rather than rejected, so
/// every mutation the fuzzer makes still reaches the analysis.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The configuration of a test fixture's first line
/// (`# podsec-test: kubernetes-version=1.29 profile=baseline best-practices=false`),
/// read leniently so the fuzzer can vary it; the defaults otherwise.
pub fn config(text: &str) -> Config {
    let mut config = Config::default();
    let Some(directive) = text.lines().next().and_then(|l| l.strip_prefix("# podsec-test:")) else {
        return config;
    };
    config.profile = Profile::Privileged;
    config.best_practices = false;
    for setting in directive.split_whitespace() {
        match setting.split_once('=') {
            Some(("kubernetes-version", v)) => {
                config.kubernetes_version = v.parse().unwrap_or(config.kubernetes_version)
            }
            Some(("profile", v)) => config.profile = v.parse().unwrap_or(config.profile),
            Some(("best-practices", v)) => config.best_practices = v.parse().unwrap_or(config.best_practices),
            Some(("rule", v)) => {
                if let Some((code, level)) = v.split_once(':') {
                    if let Ok(level) = level.parse() {
                        let _ = config.set_rule(code, level);
                    }
                }
            }
            _ => {}
        }
    }
    config
}

/// A span of `text` that slices it: in order, inside it, on char boundaries.
pub fn assert_span(text: &str, span: Span, what: &str) {
    assert!(span.start <= span.end, "{what}: span {span:?} is reversed");
    assert!(span.end <= text.len(), "{what}: span {span:?} ends past the text ({} bytes)", text.len());
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}

/// Every char boundary of `text` (its end included), or at most `limit` of
/// them spread evenly over a long text, plus the boundaries around the
/// structure that matters most (line starts, after `:` and `-`).
/// An offset between the `\r` and `\n` of a CRLF line break is left out:
/// no editor position lands there.
pub fn offsets(text: &str, limit: usize) -> Vec<usize> {
    let inside_crlf = |i: usize| i > 0 && text.as_bytes()[i - 1] == b'\r' && text.as_bytes().get(i) == Some(&b'\n');
    let all: Vec<usize> =
        text.char_indices().map(|(i, _)| i).chain([text.len()]).filter(|&i| !inside_crlf(i)).collect();
    if all.len() <= limit {
        return all;
    }
    let step = all.len().div_ceil(limit / 2);
    let mut picked: Vec<usize> = all.iter().copied().step_by(step).collect();
    let structural = text.char_indices().filter(|&(_, c)| matches!(c, '\n' | ':' | '-')).map(|(i, c)| i + c.len_utf8());
    picked.extend(structural.take(limit / 2).filter(|&i| !inside_crlf(i)));
    picked.push(text.len());
    picked.sort_unstable();
    picked.dedup();
    picked
}
