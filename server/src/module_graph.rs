//! The layering, checked: no two top-level modules depend on each other,
//! directly or through others, and neither do two files of one folder
//! module. Read from the sources (`use crate::…`, `crate::…` paths and
//! `super::…`), test code left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`["analysis", "pss"]`) → the module paths its code names.
fn dependencies() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    for entry in ignore::WalkBuilder::new(&root).build().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(&root).unwrap().with_extension("");
        let mut module: Vec<String> = relative.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            module.pop();
        }
        sources.insert(module, std::fs::read_to_string(path).unwrap());
    }
    let modules: BTreeSet<Vec<String>> = sources.keys().cloned().collect();
    let resolve = |path: Vec<String>| -> Option<Vec<String>> {
        (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|prefix| modules.contains(prefix))
    };
    sources
        .iter()
        .map(|(module, text)| {
            let code = without_tests_and_comments(text);
            let mut named = BTreeSet::new();
            for (base, rest) in
                [(Vec::new(), "crate::"), (module[..module.len().saturating_sub(1)].to_vec(), "super::")]
            {
                for (at, _) in code.match_indices(rest) {
                    // `crate::` inside `$crate::` or a longer name is not ours.
                    if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                        continue;
                    }
                    for path in paths_at(&code[at + rest.len()..]) {
                        let mut full = base.clone();
                        full.extend(path);
                        if let Some(target) = resolve(full) {
                            named.insert(target);
                        }
                    }
                }
            }
            named.remove(module);
            (module.clone(), named)
        })
        .collect()
}

/// The source without `#[cfg(test)]` modules at the end and without comments.
fn without_tests_and_comments(text: &str) -> String {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    code.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The module paths written at the start of `text`: `a::b::c` or a group
/// `{a::b, c::{d, e}}`.
fn paths_at(text: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> usize { s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len()) };
    let mut prefix = Vec::new();
    let mut rest = text;
    loop {
        let n = ident(rest);
        if n == 0 {
            break;
        }
        prefix.push(rest[..n].to_string());
        rest = &rest[n..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => return vec![prefix],
        }
    }
    let Some(group) = rest.strip_prefix('{') else { return vec![prefix] };
    let mut depth = 0;
    let end = group
        .char_indices()
        .find(|&(_, c)| {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            depth < 0
        })
        .map_or(group.len(), |(i, _)| i);
    let mut paths = Vec::new();
    let (mut start, mut depth) = (0, 0);
    for (i, c) in group[..end].char_indices().chain([(end, ',')]) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                for path in paths_at(group[start..i].trim()) {
                    let mut full = prefix.clone();
                    full.extend(path);
                    paths.push(full);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    paths
}

/// A circle in `graph`, if any, as the nodes around it.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The graph of the modules one level below `parent` (top level for `[]`).
fn level(parent: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let depth = parent.len();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in dependencies() {
        if from.len() <= depth || from[..depth] != *parent {
            continue;
        }
        let entry = graph.entry(from[depth].clone()).or_default();
        for to in targets {
            if to.len() > depth && to[..depth] == *parent && to[depth] != from[depth] {
                entry.insert(to[depth].clone());
            }
        }
    }
    graph
}

#[test]
fn the_top_level_modules_form_no_circle() {
    let graph = level(&[]);
    assert!(graph.contains_key("analysis") && graph["lsp"].contains("analysis"), "the graph is read: {graph:?}");
    if let Some(circle) = find_circle(&graph) {
        panic!("modules depend on each other in a circle: {}", circle.join(" -> "));
    }
}

#[test]
fn the_files_of_each_folder_module_form_no_circle() {
    for folder in ["analysis", "fix", "ide", "lsp", "cli", "syntax"] {
        let graph = level(&[folder.to_string()]);
        if let Some(circle) = find_circle(&graph) {
            panic!("files of `{folder}` depend on each other in a circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn paths_are_read_from_groups_and_chains() {
    assert_eq!(paths_at("a::b::C;"), [["a", "b", "C"]]);
    assert_eq!(paths_at("{a::b, c::{d, e}};"), [vec!["a", "b"], vec!["c", "d"], vec!["c", "e"]]);
    let circle = find_circle(&BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]));
    assert_eq!(circle.unwrap(), ["a", "b", "a"]);
}
