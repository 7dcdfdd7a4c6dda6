//! Code actions as plain data: quick fixes, moves between the pod and its
//! containers, "make this workload restricted" and "fix all". Each action is
//! a list of byte-offset text edits that keep the file's style; no LSP types
//! here, so the language server and `podsec check --fix` share them.
//!
//! Every action is checked before it is offered: applied to the text, the
//! result must parse as well as before, must no longer have the findings the
//! action targets, and must have no finding of any code more than before.

pub(crate) mod edit;
mod quick;
mod refactor;

use std::collections::HashMap;

pub use edit::apply;

use crate::analysis::{analyze, Analysis, Finding};
use crate::config::{Config, Profile};
use crate::model::Workloads;
use crate::rules::{self, Rule};
use crate::syntax::{Node, Span};
use quick::Cx;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Resolves findings.
    QuickFix,
    /// Moves a setting between the pod and its containers, meaning unchanged.
    RefactorMove,
    /// Rewrites a workload ("make this workload restricted").
    RefactorRewrite,
    /// Every safe quick fix of the document.
    SourceFixAll,
}

impl ActionKind {
    /// The LSP code action kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::QuickFix => "quickfix",
            ActionKind::RefactorMove => "refactor.move",
            ActionKind::RefactorRewrite => "refactor.rewrite",
            ActionKind::SourceFixAll => "source.fixAll.podsec",
        }
    }
}

/// Replace `span` of the original text with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// The finding an action resolves: its code and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub code: &'static str,
    pub span: Span,
}

impl Target {
    pub fn of(finding: &Finding) -> Self {
        Target { code: finding.rule.code, span: finding.span }
    }
}

#[derive(Clone, Debug)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    /// The one clear fix of its findings.
    pub is_preferred: bool,
    /// Part of "fix all" and `podsec check --fix`. Not safe: a move that
    /// replaces a different value, and removals that may stop the workload
    /// from doing its job (a sysctl, a probe's host, an SELinux option,
    /// `runAsUser: 0`, a capability only best practice objects to).
    pub safe: bool,
    pub fixes: Vec<Target>,
    /// Sorted, non-overlapping, in the original text.
    pub edits: Vec<TextEdit>,
    /// The action makes a value readable that Kubernetes could not read or
    /// ignored (a type, a spelling, a level): the rules may then judge it,
    /// so findings on the lines it writes are exposed, not new.
    pub reveals: bool,
}

/// A whole-document fix: the new text and the findings it resolved.
#[derive(Clone, Debug)]
pub struct Fixed {
    pub text: String,
    /// Findings of the original text that are gone.
    pub fixed: Vec<Target>,
    /// A fix made a value readable (see `Action::reveals`).
    pub reveals: bool,
}

/// Rounds of fixes before "fix all" gives up (each round resolves at least one finding).
const MAX_ROUNDS: usize = 64;

/// Findings per code; `""` counts syntax errors.
type Counts = HashMap<&'static str, usize>;

fn counts(analysis: &Analysis) -> Counts {
    let mut counts = Counts::new();
    for finding in &analysis.findings {
        *counts.entry(finding.rule.code).or_default() += 1;
    }
    let errors: usize = analysis.file.documents.iter().map(|d| d.errors.len()).sum();
    counts.insert("", errors);
    counts
}

fn total(counts: &Counts) -> usize {
    counts.values().sum()
}

/// No code has more findings than before.
fn no_new(before: &Counts, after: &Counts) -> bool {
    after.iter().all(|(code, n)| *n <= before.get(code).copied().unwrap_or(0))
}

/// The lines of `text` (the edited text) that hold the new text of `edits`
/// (of which `chosen` count): where a fix that makes a value readable may
/// expose findings on what it wrote.
pub fn written_regions<'e>(text: &str, edits: &'e [TextEdit], chosen: impl Fn(&'e TextEdit) -> bool) -> Vec<Span> {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut delta: isize = 0;
    let mut out = Vec::new();
    for edit in sorted {
        let start = ((edit.span.start as isize + delta) as usize).min(text.len());
        let end = (start + edit.new_text.len()).min(text.len());
        if chosen(edit) {
            out.push(Span::new(edit::line_start(text, start), edit::line_end(text, end)));
        }
        delta += edit.new_text.len() as isize - edit.span.len() as isize;
    }
    out
}

/// Counts of `analysis`, leaving out findings inside `exposed` regions.
fn counts_outside(analysis: &Analysis, exposed: &[Span]) -> Counts {
    let mut all = counts(analysis);
    for finding in &analysis.findings {
        if exposed.iter().any(|r| quick::within(*r, finding.span)) {
            if let Some(n) = all.get_mut(finding.rule.code) {
                *n -= 1;
            }
        }
    }
    all
}

pub(crate) fn touches(a: Span, b: Span) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// Applying `action` resolves its findings and adds none.
fn verified(text: &str, config: &Config, before: &Counts, action: &Action) -> bool {
    let new_text = apply(text, &action.edits);
    let analysis = analyze(&new_text, config);
    let after = counts(&analysis);
    let exposed = if action.reveals { written_regions(&new_text, &action.edits, |_| true) } else { Vec::new() };
    if !no_new(before, &counts_outside(&analysis, &exposed)) {
        return false;
    }
    let mut targeted: HashMap<&str, usize> = HashMap::new();
    for target in &action.fixes {
        *targeted.entry(target.code).or_default() += 1;
    }
    targeted.iter().all(|(code, n)| after.get(code).copied().unwrap_or(0) + n <= before.get(code).copied().unwrap_or(0))
}

/// Quick fixes for the findings in `range`, and the moves of the keys in
/// it (everything when `None`). Each is verified.
pub fn actions(text: &str, config: &Config, range: Option<Span>) -> Vec<Action> {
    let analysis = analyze(text, config);
    let cx = Cx::new(text, &analysis.file);
    let findings: Vec<&Finding> =
        analysis.findings.iter().filter(|f| range.is_none_or(|r| touches(f.span, r))).collect();
    let mut out = quick::candidates(&cx, &findings);
    out.extend(refactor::moves(&cx, range));
    let before = counts(&analysis);
    out.retain(|action| verified(text, config, &before, action));
    out
}

/// Repeats rounds of the actions `pick` chooses (all that do not overlap at
/// once) until none is left or none helps. Each round must lower the
/// number of findings under `configs[0]` and raise none under any config.
/// Returns the new text, the edits of each round, and whether an edit that
/// makes a value readable was among them (see `Action::reveals`).
fn converge(
    text: &str,
    configs: &[&Config],
    mut pick: impl FnMut(&Cx, &Analysis) -> Vec<Action>,
) -> (String, Vec<Vec<TextEdit>>, bool) {
    let mut current = text.to_string();
    let mut rounds: Vec<Vec<TextEdit>> = Vec::new();
    let mut revealed = false;
    for _ in 0..MAX_ROUNDS {
        let analysis = analyze(&current, configs[0]);
        let mut befores = vec![counts(&analysis)];
        befores.extend(configs[1..].iter().map(|c| counts(&analyze(&current, c))));
        let cx = Cx::new(&current, &analysis.file);
        let mut candidates = pick(&cx, &analysis);
        if candidates.is_empty() {
            break;
        }
        candidates.sort_by_key(|a| (!a.is_preferred, a.edits.first().map(|e| e.span.start)));
        let progress = |next: &str, edits: &[TextEdit], revealing: &[&TextEdit]| {
            let exposed = written_regions(next, edits, |e| revealing.contains(&e));
            let afters: Vec<Analysis> = configs.iter().map(|c| analyze(next, c)).collect();
            total(&counts(&afters[0])) < total(&befores[0])
                && befores.iter().zip(&afters).all(|(b, a)| no_new(b, &counts_outside(a, &exposed)))
        };
        let mut chosen: Vec<&TextEdit> = Vec::new();
        let mut revealing: Vec<&TextEdit> = Vec::new();
        for action in &candidates {
            let clear = action
                .edits
                .iter()
                .all(|e| chosen.iter().all(|c| e.span.start.max(c.span.start) > e.span.end.min(c.span.end)));
            if clear {
                chosen.extend(&action.edits);
                if action.reveals {
                    revealing.extend(&action.edits);
                }
            }
        }
        // Chosen edits never touch, so normalizing keeps each one whole.
        let combined: Vec<TextEdit> = edit::normalize(&current, chosen.iter().map(|e| (*e).clone()).collect());
        let revealing: Vec<&TextEdit> = combined.iter().filter(|e| revealing.contains(e)).collect();
        let next = apply(&current, &combined);
        let round = if progress(&next, &combined, &revealing) {
            Some((next, combined.clone(), !revealing.is_empty()))
        } else {
            candidates.iter().find_map(|action| {
                let next = apply(&current, &action.edits);
                let revealing: Vec<&TextEdit> = if action.reveals { action.edits.iter().collect() } else { Vec::new() };
                progress(&next, &action.edits, &revealing).then(|| (next, action.edits.clone(), action.reveals))
            })
        };
        match round {
            Some((next, edits, reveals)) => {
                rounds.push(edits);
                current = next;
                revealed |= reveals;
            }
            None => break,
        }
    }
    (current, rounds, revealed)
}

/// Where a span of the text before `edits` is after them; `None` when an
/// edit replaced part of it.
fn map_span(span: Span, edits: &[TextEdit]) -> Option<Span> {
    let mut delta: isize = 0;
    for edit in edits {
        if edit.span.end <= span.start && !(edit.span.is_empty() && edit.span.start == span.start && !span.is_empty()) {
            delta += edit.new_text.len() as isize - edit.span.len() as isize;
        } else if edit.span.start < span.end && span.start < edit.span.end {
            return None;
        }
    }
    let shift = |p: usize| (p as isize + delta) as usize;
    Some(Span::new(shift(span.start), shift(span.end)))
}

/// The original findings that the rounds of edits resolved: per code as
/// many as there are fewer now, those no longer found where they were first.
fn resolved<'f>(
    original: impl Iterator<Item = &'f Finding>,
    rounds: &[Vec<TextEdit>],
    after: &[&Finding],
) -> Vec<Target> {
    let original: Vec<&Finding> = original.collect();
    let mut out = Vec::new();
    let mut codes: Vec<&str> = original.iter().map(|f| f.rule.code).collect();
    codes.dedup();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let of_code: Vec<&&Finding> = original.iter().filter(|f| f.rule.code == code).collect();
        let now = after.iter().filter(|f| f.rule.code == code).count();
        let fewer = of_code.len().saturating_sub(now);
        let gone = |f: &Finding| match rounds.iter().try_fold(f.span, |span, edits| map_span(span, edits)) {
            Some(span) => !after.iter().any(|a| a.rule == f.rule && a.span == span),
            None => true,
        };
        let (first, rest): (Vec<&&Finding>, Vec<&&Finding>) = of_code.into_iter().partition(|f| gone(f));
        out.extend(first.into_iter().chain(rest).take(fewer).map(|f| Target::of(f)));
    }
    out
}

/// Minimal edits that turn `old` into `new`: changed lines, trimmed to the
/// bytes that differ.
pub fn diff_edits(old: &str, new: &str) -> Vec<TextEdit> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let starts = |lines: &[&str]| {
        let mut at = 0;
        let mut out = Vec::with_capacity(lines.len() + 1);
        for l in lines {
            out.push(at);
            at += l.len();
        }
        out.push(at);
        out
    };
    let (old_at, new_at) = (starts(&old_lines), starts(&new_lines));
    let mut edits = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines) {
        if let similar::DiffOp::Equal { .. } = op {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        let (mut os, mut oe) = (old_at[o.start], old_at[o.end]);
        let (mut ns, mut ne) = (new_at[n.start], new_at[n.end]);
        while os < oe && ns < ne && old.as_bytes()[os] == new.as_bytes()[ns] {
            os += 1;
            ns += 1;
        }
        while oe > os && ne > ns && old.as_bytes()[oe - 1] == new.as_bytes()[ne - 1] {
            oe -= 1;
            ne -= 1;
        }
        while !old.is_char_boundary(os) || !new.is_char_boundary(ns) {
            os -= 1;
            ns -= 1;
        }
        while !old.is_char_boundary(oe) || !new.is_char_boundary(ne) {
            oe += 1;
            ne += 1;
        }
        edits.push(TextEdit { span: Span::new(os, oe), new_text: new[ns..ne].to_string() });
    }
    edits
}

/// Every safe quick fix of the document, applied until none is left.
pub fn fix_all_text(text: &str, config: &Config) -> Fixed {
    let original = analyze(text, config);
    let (fixed_text, rounds, reveals) = converge(text, &[config], |cx, analysis| {
        let findings: Vec<&Finding> = analysis.findings.iter().collect();
        quick::candidates(cx, &findings).into_iter().filter(|a| a.safe).collect()
    });
    let after = analyze(&fixed_text, config);
    let fixed = resolved(original.findings.iter(), &rounds, &after.findings.iter().collect::<Vec<_>>());
    Fixed { text: fixed_text, fixed, reveals }
}

/// "Fix all" as one action, when there is anything to fix.
pub fn fix_all(text: &str, config: &Config) -> Option<Action> {
    let fixed = fix_all_text(text, config);
    if fixed.text == text {
        return None;
    }
    let n = fixed.fixed.len();
    Some(Action {
        title: format!("Fix all safely fixable podsec findings ({n})"),
        kind: ActionKind::SourceFixAll,
        is_preferred: false,
        safe: true,
        fixes: fixed.fixed,
        edits: diff_edits(text, &fixed.text),
        reveals: fixed.reveals,
    })
}

/// The restricted profile at the configured version, other settings kept
/// (a namespace's enforced level, which would replace it, aside).
fn restricted(config: &Config) -> Config {
    Config { profile: Profile::Restricted, namespace_labels: false, ..config.clone() }
}

/// Codes "make this workload restricted" leaves to the user: removing a
/// volume, a host namespace or a host port changes what the workload is.
pub const DECLINED: &[&Rule] =
    &[rules::PSS_HOST_NAMESPACES, rules::PSS_HOST_PATH_VOLUMES, rules::PSS_RESTRICTED_VOLUMES, rules::PSS_HOST_PORTS];

/// The pod spec `index` of the document holding `offset`.
fn nth_pod<'a>(analysis: &'a Analysis, document: usize, index: usize) -> Option<(&'a Node, crate::model::PodSpec<'a>)> {
    let root = analysis.file.documents.get(document)?.root.as_ref()?;
    let pod = Workloads::find(root).pods.into_iter().nth(index)?;
    Some((root, pod))
}

/// "Make this workload restricted" for each pod spec touching `range`
/// (every one when `None`) that the restricted profile rejects.
pub fn make_restricted(text: &str, config: &Config, range: Option<Span>) -> Vec<Action> {
    let strict = restricted(config);
    let analysis = analyze(text, &strict);
    let mut out = Vec::new();
    for (d, document) in analysis.file.documents.iter().enumerate() {
        let Some(root) = &document.root else { continue };
        for (p, pod) in Workloads::find(root).pods.iter().enumerate() {
            if range.is_some_and(|r| !touches(pod.object.span, r)) {
                continue;
            }
            let in_pod = |f: &Finding, pod: &crate::model::PodSpec| {
                f.rule.code.starts_with("pss/") && quick::pod_contains(pod, f.span)
            };
            if !analysis.findings.iter().any(|f| in_pod(f, pod)) {
                continue;
            }
            let name = pod
                .object
                .get_path(&["metadata", "name"])
                .and_then(Node::as_str)
                .map(|n| format!("`{n}`"))
                .unwrap_or_else(|| "this workload".to_string());
            let (new_text, rounds, reveals) = converge(text, &[&strict, config], |cx, analysis| {
                let Some((_, pod)) = nth_pod(analysis, d, p) else { return Vec::new() };
                let findings: Vec<&Finding> = analysis.findings.iter().filter(|f| in_pod(f, &pod)).collect();
                quick::candidates(cx, &findings)
                    .into_iter()
                    .filter(|a| !a.title.contains("replaces pod value"))
                    .collect()
            });
            let after = analyze(&new_text, &strict);
            let after_in_pod: Vec<&Finding> = match nth_pod(&after, d, p) {
                Some((_, pod)) => after.findings.iter().filter(|f| in_pod(f, &pod)).collect(),
                None => Vec::new(),
            };
            let left = remaining(&new_text, after_in_pod.iter().copied());
            if new_text == text {
                continue;
            }
            let title = if left.is_empty() {
                format!("Make {name} pass the restricted Pod Security Standard")
            } else {
                format!(
                    "Make {name} restricted as far as safely possible (left to change by hand: {})",
                    left.join(", ")
                )
            };
            let fixes = resolved(analysis.findings.iter().filter(|f| in_pod(f, pod)), &rounds, &after_in_pod);
            out.push(Action {
                title,
                kind: ActionKind::RefactorRewrite,
                is_preferred: false,
                safe: false,
                fixes,
                edits: diff_edits(text, &new_text),
                reveals,
            });
        }
    }
    out
}

/// What the remaining findings are about, briefly and once each.
fn remaining<'a>(text: &str, findings: impl Iterator<Item = &'a Finding>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for finding in findings {
        let at = text.get(finding.span.start..finding.span.end).unwrap_or_default();
        let what = match finding.rule {
            rules::PSS_HOST_NAMESPACES => format!("`{at}`"),
            rules::PSS_HOST_PATH_VOLUMES | rules::PSS_RESTRICTED_VOLUMES => format!("a `{at}` volume"),
            rules::PSS_HOST_PORTS => "a `hostPort`".to_string(),
            other => format!("`{}`", other.code),
        };
        if !out.contains(&what) {
            out.push(what);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_edits_are_minimal_and_reproduce_the_new_text() {
        let old = "a: 1\nb: 2\nc: 3\n";
        let new = "a: 1\nb: 20\nc: 3\nd: 4\n";
        let edits = diff_edits(old, new);
        assert_eq!(apply(old, &edits), new);
        assert_eq!(edits[0], TextEdit { span: Span::new(9, 9), new_text: "0".into() });
    }

    #[test]
    fn spans_map_through_edits() {
        let edits = [TextEdit { span: Span::new(2, 4), new_text: "xyz".into() }];
        assert_eq!(map_span(Span::new(5, 6), &edits), Some(Span::new(6, 7)));
        assert_eq!(map_span(Span::new(0, 1), &edits), Some(Span::new(0, 1)));
        assert_eq!(map_span(Span::new(3, 6), &edits), None);
    }
}
