//! Did-you-mean suggestions for misspelt names: fields, settings, rule codes.

use crate::rules;

/// The candidate closest to `name`, when it is close enough to be what the
/// user meant: same letters in another case, a small edit, or a near prefix.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let cand_lower = candidate.to_ascii_lowercase();
        if cand_lower == lower {
            return Some(candidate);
        }
        let distance = strsim::damerau_levenshtein(&lower, &cand_lower);
        let similarity = strsim::jaro_winkler(&lower, &cand_lower);
        let close = distance <= 1 + name.len() / 5 || similarity >= 0.9;
        if close && best.is_none_or(|(s, _)| similarity > s) {
            best = Some((similarity, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The rule code closest to a misspelt one.
pub fn nearest_code(code: &str) -> Option<&'static str> {
    nearest(code, rules::ALL.iter().map(|r| r.code))
}

/// The name closest to a misspelt one, among `names`.
pub fn nearest_name<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    nearest(name, names.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let fields = ["runAsNonRoot", "runAsUser", "runAsGroup", "allowPrivilegeEscalation"];
        assert_eq!(nearest("runAsNonroot", fields), Some("runAsNonRoot"));
        assert_eq!(nearest("runAsUsr", fields), Some("runAsUser"));
        assert_eq!(nearest("allowPrivEscalation", fields), Some("allowPrivilegeEscalation"));
        assert_eq!(nearest("image", fields), None);
    }
}
