//! podsec's rendering of a chart template (an expansion: what is known put
//! in, what is not left as template actions) against Helm's rendering of
//! the same template with the same values: field by field in every pod and
//! container securityContext (and `hostNetwork`/`hostPID`/`hostIPC`), Pod
//! Security verdict by verdict, finding by finding. Shared by the oracle
//! test and the measurement on public charts.
#![allow(dead_code)] // Each user reads a different part.

use std::collections::BTreeMap;

use podsec::analysis::{analyze, verdicts, Finding};
use podsec::config::{Config, Profile};
use podsec::helm::values::{from_node, Data, V};
use podsec::model::{Container, PodSpec, Workloads};
use podsec::provenance::FileId;
use podsec::syntax::{self, Node, ParsedFile, Span};

/// What one template's comparison found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Pod specs in Helm's rendering.
    pub workloads: usize,
    /// securityContexts (pod and container) Helm renders.
    pub sections: usize,
    /// Of those, the ones podsec predicts whole: every field known and
    /// equal, nothing unknown in or around it, no field of its own.
    pub sections_predicted: usize,
    /// The sections Helm renders that podsec does not predict whole, and
    /// why (for the measurement).
    pub unpredicted: Vec<String>,
    /// Fields podsec claims to know (present and known, or absent from a
    /// section it knows whole), compared with Helm's.
    pub fields_compared: usize,
    /// Fields Helm renders that podsec leaves unknown.
    pub fields_unknown: usize,
    /// Known fields whose value or presence differs from Helm's.
    pub mismatches: Vec<String>,
    /// Pod Security verdicts (baseline and restricted per workload) podsec
    /// gives on a workload it knows whole, compared.
    pub verdicts_compared: usize,
    pub verdict_mismatches: Vec<String>,
    /// Findings podsec reports on known text that the analysis of Helm's
    /// rendering does not reproduce.
    pub findings_compared: usize,
    pub contradicted: Vec<String>,
}

impl Comparison {
    pub fn add(&mut self, other: Comparison) {
        self.workloads += other.workloads;
        self.sections += other.sections;
        self.sections_predicted += other.sections_predicted;
        self.fields_compared += other.fields_compared;
        self.fields_unknown += other.fields_unknown;
        self.mismatches.extend(other.mismatches);
        self.unpredicted.extend(other.unpredicted);
        self.verdicts_compared += other.verdicts_compared;
        self.verdict_mismatches.extend(other.verdict_mismatches);
        self.findings_compared += other.findings_compared;
        self.contradicted.extend(other.contradicted);
    }
}

/// The fields of the pod spec compared besides the securityContexts.
const HOST_FIELDS: [&str; 3] = ["hostNetwork", "hostPID", "hostIPC"];

/// A value as both renderings would give it to the API server.
fn canonical(node: &Node) -> String {
    fn write(v: &V, out: &mut String) {
        match &v.data {
            Data::Map(members) => {
                let mut sorted: Vec<_> = members.iter().collect();
                sorted.sort_by(|a, b| a.key.cmp(&b.key));
                out.push('{');
                for m in sorted {
                    out.push_str(&format!("{:?}:", m.key));
                    write(&m.value, out);
                    out.push(',');
                }
                out.push('}');
            }
            Data::List(items) => {
                out.push('[');
                for item in items.iter() {
                    write(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            Data::Str(s) => out.push_str(&format!("{s:?}")),
            Data::Float(f) if f.fract() == 0.0 => out.push_str(&format!("{}", *f as i64)),
            other => out.push_str(&V::new(other.clone()).to_text()),
        }
    }
    let mut out = String::new();
    write(&from_node(node, FileId(0)), &mut out);
    out
}

/// podsec's side: its expansion text, parsed.
struct Known<'a> {
    text: &'a str,
    file: &'a ParsedFile,
}

impl Known<'_> {
    /// Whether podsec knows the text at `span`: no template action left in
    /// it, no placeholder for one, no undecided branch around it.
    fn knows(&self, span: Span) -> bool {
        !self.text[span.start..span.end].contains("{{")
            && !self.file.templates.is_templated(span)
            && self.file.templates.guards(span).is_empty()
    }

    /// Whether podsec knows the entry whose key is at `key` whole: its
    /// line and every line below it that belongs to it.
    fn knows_entry(&self, key: Span) -> bool {
        let start = line_start(self.text, key.start);
        let end = block_end(self.text, self.file, key.start);
        self.knows(Span::new(start, end.max(key.end)))
    }

    /// Whether podsec knows which keys the mapping `holder` has: no
    /// template action stands on a line of its own at its keys' level or
    /// above (one that could insert a key there), no undecided branch
    /// holds it.
    fn knows_keys(&self, holder: &Node) -> bool {
        let Some(first) = holder.as_mapping().and_then(|entries| entries.first()) else { return false };
        let column = first.key.span.start - line_start(self.text, first.key.span.start);
        let start = line_start(self.text, first.key.span.start);
        // The holder's lines: up to the first one left of its keys.
        let mut end = start;
        for line in self.text[start..].split_inclusive('\n') {
            let content = line.trim_start();
            let indent = line.len() - content.len();
            if !content.trim().is_empty() && !content.starts_with('#') && !content.starts_with("{{") && indent < column
            {
                break;
            }
            end += line.len();
        }
        let lines = &self.text[start..end.max(holder.span.end)];
        let inserted_here = lines.lines().any(|line| {
            let content = line.trim_start();
            content.starts_with("{{") && line.len() - content.len() <= column
        });
        !inserted_here && self.file.templates.guards(holder.span).is_empty()
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |p| p + 1)
}

/// Where the lines that belong to the node at `at` end: the first line
/// after it, not blank, indented no deeper than `at`'s column; a line that
/// holds only a control action (`{{- if }}`, `{{- end }}`) does not end it,
/// one that inserts content at that column or left of it does.
fn block_end(text: &str, file: &ParsedFile, at: usize) -> usize {
    let column = at - line_start(text, at);
    let mut offset = text[at..].find('\n').map_or(text.len(), |p| at + p + 1);
    while offset < text.len() {
        let line_end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
        let line = &text[offset..line_end];
        let content = line.trim_start();
        let indent = line.len() - content.len();
        if !content.is_empty() && !content.starts_with('#') && indent <= column {
            if !content.starts_with("{{") {
                return offset;
            }
            let action_at = offset + indent;
            let inserted = file.templates.inserted.iter().find(|i| i.action.start == action_at);
            if inserted.is_some_and(|i| i.column <= column) {
                return offset;
            }
        }
        offset = line_end + 1;
    }
    text.len()
}

fn pods(file: &ParsedFile) -> Vec<PodSpec<'_>> {
    file.documents.iter().filter_map(|d| d.root.as_ref()).flat_map(|root| Workloads::find(root).pods).collect()
}

/// The container of `pod` matching `helm`'s: by name, else by position.
fn matching_container<'p, 'a>(pod: &'p PodSpec<'a>, helm: &Container) -> Option<&'p Container<'a>> {
    let name = helm.name.and_then(Node::as_str);
    pod.containers
        .iter()
        .find(|c| c.kind == helm.kind && name.is_some() && c.name.and_then(Node::as_str) == name)
        .or_else(|| pod.containers.iter().find(|c| c.kind == helm.kind && c.index == helm.index))
}

/// A securityContext entry as its mapping and key.
fn section_of(entry: Option<&syntax::Entry>) -> Option<(&Node, Span)> {
    entry.filter(|e| e.value.as_mapping().is_some()).map(|e| (&e.value, e.key.span))
}

/// Compares one securityContext (`helm_section` as Helm renders it, `ours`
/// podsec's, `holder` the node podsec's section is in).
fn compare_section(
    label: &str,
    helm_section: Option<&Node>,
    ours: Option<(&Node, Span)>,
    holder: &Node,
    known: &Known,
    out: &mut Comparison,
) {
    let helm_fields: BTreeMap<&str, &Node> = helm_section
        .and_then(Node::as_mapping)
        .map(|entries| entries.iter().filter_map(|e| Some((e.key_str()?, &e.value))).collect())
        .unwrap_or_default();
    let our_fields: BTreeMap<&str, (&Node, Span)> = ours
        .map(|(section, _)| section)
        .and_then(Node::as_mapping)
        .map(|entries| entries.iter().filter_map(|e| Some((e.key_str()?, (&e.value, e.key.span)))).collect())
        .unwrap_or_default();
    // podsec claims a field is absent only where it knows the section
    // whole (or, without one, that the holder has none).
    let whole = match ours {
        Some((_, key)) => known.knows_entry(key),
        None => known.knows_keys(holder),
    };
    let rendered = helm_section.is_some();
    let mut predicted = rendered && whole;
    for (name, helm_value) in &helm_fields {
        match our_fields.get(name) {
            Some((_, key)) if known.knows_entry(*key) => {
                let value = our_fields[name].0;
                out.fields_compared += 1;
                if canonical(value) != canonical(helm_value) {
                    predicted = false;
                    out.mismatches.push(format!(
                        "{label}.{name}: podsec {} , Helm {}",
                        canonical(value),
                        canonical(helm_value)
                    ));
                }
            }
            None if whole => {
                out.fields_compared += 1;
                predicted = false;
                out.mismatches.push(format!("{label}.{name}: podsec renders none, Helm {}", canonical(helm_value)));
            }
            _ => {
                out.fields_unknown += 1;
                predicted = false;
            }
        }
    }
    for (name, (value, key)) in &our_fields {
        if !helm_fields.contains_key(name) && known.knows_entry(*key) {
            out.fields_compared += 1;
            predicted = false;
            out.mismatches.push(format!("{label}.{name}: podsec {}, Helm renders none", canonical(value)));
        }
    }
    if rendered {
        out.sections += 1;
        if predicted {
            out.sections_predicted += 1;
        } else {
            let why = if ours.is_none() && !whole {
                "podsec renders none, and something unknown may add it"
            } else if !whole {
                "unknown text in or around it"
            } else {
                "fields differ or unknown"
            };
            out.unpredicted.push(format!("{label}: {why}"));
        }
    }
}

/// Compares podsec's `expansion` of a template with Helm's `rendered` text.
pub fn compare(template: &str, expansion: &str, rendered: &str, config: &Config) -> Comparison {
    let mut out = Comparison::default();
    let helm_file = syntax::parse(rendered);
    let our_file = syntax::parse(expansion);
    let known = Known { text: expansion, file: &our_file };
    let helm_pods = pods(&helm_file);
    let our_pods = pods(&our_file);
    out.workloads = helm_pods.len();
    // Pod specs in order; where podsec's count differs (an undecided
    // branch or range), by kind and order among that kind.
    let paired: Vec<(usize, Option<usize>)> = if helm_pods.len() == our_pods.len() {
        (0..helm_pods.len()).map(|i| (i, Some(i))).collect()
    } else {
        let mut used = vec![false; our_pods.len()];
        (0..helm_pods.len())
            .map(|i| {
                let found = (0..our_pods.len()).find(|&j| !used[j] && our_pods[j].kind == helm_pods[i].kind);
                if let Some(j) = found {
                    used[j] = true;
                }
                (i, found)
            })
            .collect()
    };
    let helm_verdicts = verdicts(rendered, config);
    let our_verdicts = verdicts(expansion, config);
    for (h, o) in paired {
        let helm = &helm_pods[h];
        let label = format!("{template} {}#{h}", helm.kind.unwrap_or("Pod"));
        let Some(ours) = o.map(|o| &our_pods[o]) else {
            // A workload podsec does not render at all.
            for container in &helm.containers {
                if container.security_context_map().is_some() {
                    out.sections += 1;
                    out.unpredicted.push(format!(
                        "{label} container {}: podsec renders no such workload",
                        container.display_name()
                    ));
                }
            }
            if helm.security_context_map().is_some() {
                out.sections += 1;
                out.unpredicted.push(format!("{label} pod: podsec renders no such workload"));
            }
            continue;
        };
        compare_section(
            &format!("{label} pod"),
            helm.security_context_map(),
            section_of(ours.security_context),
            ours.spec,
            &known,
            &mut out,
        );
        for field in HOST_FIELDS {
            let helm_value = helm.spec.get(field);
            let our_entry = ours.spec.entry(field);
            match our_entry {
                Some(entry) if known.knows_entry(entry.key.span) => {
                    out.fields_compared += 1;
                    let helm_text = helm_value.map_or("false".to_string(), canonical);
                    if canonical(&entry.value) != helm_text {
                        out.mismatches
                            .push(format!("{label} {field}: podsec {}, Helm {helm_text}", canonical(&entry.value)));
                    }
                }
                None if known.knows_keys(ours.spec) => {
                    out.fields_compared += 1;
                    if helm_value.is_some_and(|v| canonical(v) == "true") {
                        out.mismatches.push(format!("{label} {field}: podsec renders none, Helm true"));
                    }
                }
                _ => {
                    if helm_value.is_some() {
                        out.fields_unknown += 1;
                    }
                }
            }
        }
        for container in &helm.containers {
            let mine = matching_container(ours, container);
            let section_label = format!("{label} container {}", container.display_name());
            match mine {
                Some(mine) => compare_section(
                    &section_label,
                    container.security_context_map(),
                    section_of(mine.security_context),
                    mine.node,
                    &known,
                    &mut out,
                ),
                None => {
                    if container.security_context_map().is_some() {
                        out.sections += 1;
                        out.unpredicted.push(format!("{section_label}: podsec renders no such container"));
                    }
                }
            }
        }
        // The verdict: every violation podsec finds, Helm's rendering has;
        // where podsec knows the whole pod spec, the very same ones.
        let our_verdict = our_verdicts.iter().find(|v| within(v.anchor, ours.object.span));
        let helm_verdict = helm_verdicts.iter().find(|v| within(v.anchor, helm.object.span));
        if let (Some(our_verdict), Some(helm_verdict)) = (our_verdict, helm_verdict) {
            let whole = known.knows(ours.spec.span);
            for level in [Profile::Baseline, Profile::Restricted] {
                out.verdicts_compared += 1;
                let codes = |findings: &[Finding]| {
                    let mut codes: Vec<&str> = findings.iter().map(|f| f.rule.code).collect();
                    codes.sort_unstable();
                    codes.dedup();
                    codes
                };
                // A violation in an undecided branch is a conditional one
                // ("when ..."), not a claim about this rendering.
                let violations = our_verdict.violations(level);
                let unconditional: Vec<Finding> =
                    violations.iter().filter(|f| our_file.templates.guards(f.span).is_empty()).cloned().collect();
                let whole = whole && unconditional.len() == violations.len();
                let (mine, theirs) = (codes(&unconditional), codes(helm_verdict.violations(level)));
                let agrees = if whole { mine == theirs } else { mine.iter().all(|c| theirs.contains(c)) };
                if !agrees {
                    out.verdict_mismatches.push(format!("{label} {level}: podsec {mine:?}, Helm {theirs:?}"));
                }
            }
        }
    }
    // Findings on known text, against the findings on Helm's rendering.
    let helm_findings: Vec<String> = analyze(rendered, config).findings.iter().map(finding_key).collect();
    for finding in analyze(expansion, config).findings {
        if !known.knows(finding.span) || finding.rule.code == "yaml-syntax" {
            continue;
        }
        out.findings_compared += 1;
        let key = finding_key(&finding);
        if !helm_findings.iter().any(|theirs| matches_with_unknowns(&key, theirs)) {
            out.contradicted.push(format!("{template}: {key}"));
        }
    }
    out
}

/// Whether `ours` reads as `theirs` where every name podsec left as a
/// template action (`` container `{{ include "x.fullname" . }}` ``) may be
/// anything.
fn matches_with_unknowns(ours: &str, theirs: &str) -> bool {
    if !ours.contains("{{") {
        return ours == theirs;
    }
    // Literal text between wildcards: each quoted name with an action is one.
    let mut literals = vec![String::new()];
    for (i, part) in ours.split('`').enumerate() {
        let last = literals.last_mut().unwrap();
        if i % 2 == 1 && part.contains("{{") {
            last.push('`');
            literals.push("`".to_string());
        } else if i % 2 == 1 {
            last.push_str(&format!("`{part}`"));
        } else {
            last.push_str(part);
        }
    }
    if literals.len() == 1 {
        return ours == theirs;
    }
    let Some(rest) = theirs.strip_prefix(literals[0].as_str()) else { return false };
    let mut rest = rest;
    for literal in &literals[1..literals.len() - 1] {
        match rest.find(literal.as_str()) {
            Some(at) => rest = &rest[at + literal.len()..],
            None => return false,
        }
    }
    rest.ends_with(literals.last().unwrap().as_str())
}

fn within(inner: Span, outer: Span) -> bool {
    inner.start >= outer.start && inner.end <= outer.end
}

/// A finding's rule and message, line numbers left out (the two texts
/// differ in lines).
fn finding_key(finding: &Finding) -> String {
    let mut message = String::new();
    let mut rest = finding.message.as_str();
    while let Some(at) = rest.find("line ") {
        message.push_str(&rest[..at]);
        rest = rest[at + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
        message.push_str("line N");
    }
    message.push_str(rest);
    format!("{} {message}", finding.rule.code)
}
