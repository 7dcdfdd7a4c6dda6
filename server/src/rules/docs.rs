//! Each rule's documentation, read from `docs/rules.md` (built into the
//! binary), so `podsec rule CODE` and the published page are one text.

use super::{self as rules, Rule, RuleGroup, Severity};

/// `docs/rules.md`, as built into the binary.
pub const RULES_MD: &str = include_str!("../../data/rules.md");

/// What the page says about one rule.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleDoc {
    pub rule: &'static Rule,
    /// The default severity as the page writes it (`**error.**` opening a
    /// section, or the Pod Security section's "default severity").
    pub documented_severity: Option<Severity>,
    /// The rule's own text: its `### code` section, or for a Pod Security
    /// check its row of the controls table.
    pub text: String,
    /// For a Pod Security check: its level and versions, and when it fires.
    pub control: Option<Control>,
    /// Text every rule of the group shares (the Pod Security semantics).
    pub group_text: Option<String>,
}

/// A Pod Security control's row in the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Control {
    /// `baseline`, `restricted, 1.22+`, ...
    pub level: String,
    pub fires_when: String,
}

/// The documentation of `rule`, or `None` if the page does not document it.
pub fn doc(rule: &'static Rule) -> Option<RuleDoc> {
    match rule.group {
        RuleGroup::PodSecurity => pod_security_doc(rule),
        _ => {
            let text = section(&format!("### {}", rule.code))?;
            // The section opens with it in bold: `**error.**`, or `**error** for …`.
            let documented_severity = text
                .strip_prefix("**")
                .and_then(|t| t.split_once("**"))
                .and_then(|(word, _)| severity_named(word.trim_end_matches('.')));
            Some(RuleDoc { rule, documented_severity, text, control: None, group_text: None })
        }
    }
}

/// Every code the page documents (section headings and control rows).
pub fn documented_codes() -> Vec<String> {
    let headings = RULES_MD.lines().filter_map(|l| l.strip_prefix("### ")).map(str::to_string);
    let rows = RULES_MD.lines().filter_map(|l| control_row(l).map(|(code, _, _)| code.to_string()));
    headings.chain(rows).collect()
}

/// The rule as `podsec rule CODE` prints it: a header, then the page's markdown.
pub fn render(doc: &RuleDoc) -> String {
    let rule = doc.rule;
    let group = match rule.group {
        RuleGroup::Structure => "structure, always on",
        RuleGroup::PodSecurity => "Pod Security Standards",
        RuleGroup::BestPractice => "best practice",
    };
    let mut out =
        format!("# {}\n\n{} Default severity: {} ({group}).\n\n", rule.code, rule.summary, rule.default_severity);
    if let Some(control) = &doc.control {
        out.push_str(&format!("Pod Security control: {}. Fires when {}.\n\n", control.level, control.fires_when));
    } else {
        out.push_str(&doc.text);
        out.push_str("\n\n");
    }
    if let Some(shared) = &doc.group_text {
        out.push_str("## Every Pod Security check\n\n");
        out.push_str(shared);
        out.push_str("\n\n");
    }
    out.push_str(&format!("Documentation: {}\n", rule.docs_url()));
    out
}

fn pod_security_doc(rule: &'static Rule) -> Option<RuleDoc> {
    let row = RULES_MD.lines().find_map(|line| control_row(line).filter(|(code, _, _)| *code == rule.code))?;
    let (_, level, fires_when) = row;
    let shared = section("## Pod Security Standards")?;
    // The shared text ends where the table begins.
    let shared = shared.split("\n| code |").next().unwrap_or(&shared).trim().to_string();
    let documented_severity = shared
        .split_once("default severity\n**")
        .or_else(|| shared.split_once("default severity **"))
        .and_then(|(_, rest)| rest.split_once("**"))
        .and_then(|(word, _)| severity_named(word));
    Some(RuleDoc {
        rule,
        documented_severity,
        text: row_text(rule.code, level, fires_when),
        control: Some(Control { level: level.to_string(), fires_when: fires_when.to_string() }),
        group_text: Some(shared),
    })
}

fn row_text(code: &str, level: &str, fires_when: &str) -> String {
    format!("| `{code}` | {level} | {fires_when} |")
}

/// `| `pss/x` | level | fires when |` → its three cells.
fn control_row(line: &str) -> Option<(&str, &str, &str)> {
    let cells: Vec<&str> = line.strip_prefix('|')?.strip_suffix('|')?.split(" | ").map(str::trim).collect();
    let [code, level, fires_when] = cells.as_slice() else { return None };
    let code = code.strip_prefix("`pss/")?.strip_suffix('`')?;
    let code = rules::ALL.iter().find(|r| r.code.strip_prefix("pss/") == Some(code))?.code;
    Some((code, level, fires_when))
}

/// The text under `heading` (a whole line) up to the next heading of the
/// same or a higher level, trimmed.
fn section(heading: &str) -> Option<String> {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let mut lines = RULES_MD.lines().skip_while(|line| *line != heading);
    lines.next()?;
    let mut in_code = false;
    let body: Vec<&str> = lines
        .take_while(|line| {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            let depth = line.chars().take_while(|&c| c == '#').count();
            in_code || depth == 0 || depth > level || !line[depth..].starts_with(' ')
        })
        .collect();
    Some(body.join("\n").trim().to_string())
}

fn severity_named(word: &str) -> Option<Severity> {
    [Severity::Error, Severity::Warning, Severity::Information, Severity::Hint]
        .into_iter()
        .find(|s| s.as_str() == word.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_with_its_default_severity() {
        for rule in rules::ALL {
            let doc = doc(rule).unwrap_or_else(|| panic!("docs/rules.md does not document `{}`", rule.code));
            assert_eq!(doc.documented_severity, Some(rule.default_severity), "`{}`", rule.code);
            assert!(!doc.text.is_empty());
        }
    }

    #[test]
    fn the_page_documents_no_code_podsec_lacks() {
        for code in documented_codes() {
            assert!(rules::by_code(&code).is_some(), "docs/rules.md documents `{code}`, which is no rule");
        }
        let mut codes = documented_codes();
        let count = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), count, "a code documented twice");
        assert_eq!(count, rules::ALL.len());
    }

    #[test]
    fn a_section_ends_at_the_next_heading_but_not_inside_a_code_block() {
        let doc = doc(rules::POD_ONLY_FIELD).unwrap();
        assert!(doc.text.starts_with("**error.** A pod-only field"));
        assert!(doc.text.contains("fsGroup: 2000        # pod-only-field"), "{}", doc.text);
        assert!(!doc.text.contains("container-only-field\n"), "{}", doc.text);
        let pss = super::doc(rules::PSS_CAPABILITIES_RESTRICTED).unwrap();
        assert_eq!(pss.control.as_ref().unwrap().level, "restricted, 1.22+");
        assert!(pss.group_text.unwrap().contains("every container is checked"));
    }
}
