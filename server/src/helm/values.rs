//! Helm values with provenance: every leaf and key remembers the file and
//! span that set it; files merge as Helm merges them (maps merge, lists
//! replace, `null` deletes), and `--set` is read as Helm's strvals.

use std::rc::Rc;

use crate::provenance::{FileId, Location};
use crate::syntax::{self, Node, ScalarStyle, Span};

/// A value as templates see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Shared until written to (`Rc::make_mut`): templates pass whole
    /// values trees around (`dict "context" $`), so copies are cheap.
    List(Rc<Vec<V>>),
    /// In the order written; `toYaml` sorts.
    Map(Rc<Vec<Member>>),
    /// What the engine cannot know (`.Release.Name`, `.Capabilities`).
    Unknown,
}

/// A value and where it was set.
#[derive(Clone, Debug, PartialEq)]
pub struct V {
    pub data: Data,
    /// Where the value is written (a values leaf, a literal in a template).
    pub origin: Option<Location>,
    /// Its dotted values path, when it comes from values.
    pub path: Option<String>,
    /// Where its key is written, when it was reached through one.
    pub key: Option<Location>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: String,
    /// Where the key is written.
    pub key_origin: Option<Location>,
    pub value: V,
}

impl V {
    pub fn new(data: Data) -> Self {
        V { data, origin: None, path: None, key: None }
    }

    pub fn at(data: Data, origin: Location) -> Self {
        V { data, origin: Some(origin), path: None, key: None }
    }

    pub fn null() -> Self {
        V::new(Data::Null)
    }

    pub fn str(s: impl Into<String>) -> Self {
        V::new(Data::Str(s.into()))
    }

    pub fn empty_map() -> Self {
        V::new(Data::Map(Rc::default()))
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        match &self.data {
            Data::Map(members) => members.iter().find(|m| m.key == key).map(|m| &m.value),
            _ => None,
        }
    }

    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.data {
            Data::Map(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        match &mut self.data {
            Data::Map(members) => Rc::make_mut(members).iter_mut().find(|m| m.key == key).map(|m| &mut m.value),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.data {
            Data::Map(members) => members,
            _ => &[],
        }
    }

    /// Sets `key`, replacing its value where it is set.
    pub fn insert(&mut self, key: &str, key_origin: Option<Location>, value: V) {
        if !matches!(self.data, Data::Map(_)) {
            self.data = Data::Map(Rc::default());
        }
        let Data::Map(members) = &mut self.data else { unreachable!() };
        let members = Rc::make_mut(members);
        match members.iter_mut().find(|m| m.key == key) {
            Some(member) => {
                member.value = value;
                if key_origin.is_some() {
                    member.key_origin = key_origin;
                }
            }
            None => members.push(Member { key: key.to_string(), key_origin, value }),
        }
    }

    pub fn remove(&mut self, key: &str) {
        if let Data::Map(members) = &mut self.data {
            Rc::make_mut(members).retain(|m| m.key != key);
        }
    }

    /// Go template truthiness: false, 0, nil and empty strings, lists and
    /// maps are false; everything else (the string `"false"` too) is true.
    pub fn truthy(&self) -> bool {
        match &self.data {
            Data::Null => false,
            Data::Bool(b) => *b,
            Data::Int(i) => *i != 0,
            Data::Float(f) => *f != 0.0,
            Data::Str(s) => !s.is_empty(),
            Data::List(items) => !items.is_empty(),
            Data::Map(members) => !members.is_empty(),
            Data::Unknown => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.data {
            Data::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as Go's `fmt` prints it (what `{{ .Values.x }}` writes).
    pub fn to_text(&self) -> String {
        match &self.data {
            // Helm replaces Go's `<no value>` with nothing.
            Data::Null => String::new(),
            Data::Bool(b) => b.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) => format_float(*f),
            Data::Str(s) => s.clone(),
            Data::List(items) => {
                format!("[{}]", items.iter().map(V::to_text).collect::<Vec<_>>().join(" "))
            }
            Data::Map(members) => {
                let mut sorted: Vec<&Member> = members.iter().collect();
                sorted.sort_by(|a, b| a.key.cmp(&b.key));
                let parts: Vec<String> = sorted.iter().map(|m| format!("{}:{}", m.key, m.value.to_text())).collect();
                format!("map[{}]", parts.join(" "))
            }
            Data::Unknown => String::new(),
        }
    }

    /// Attaches a values path to this value and everything below it.
    pub fn with_paths(mut self, path: &str) -> Self {
        self.path = Some(path.to_string());
        match &mut self.data {
            Data::Map(members) => {
                for member in Rc::make_mut(members) {
                    let child = join_path(path, &member.key);
                    member.value = std::mem::replace(&mut member.value, V::null()).with_paths(&child);
                }
            }
            Data::List(items) => {
                for (i, item) in Rc::make_mut(items).iter_mut().enumerate() {
                    *item = std::mem::replace(item, V::null()).with_paths(&format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
        self
    }
}

pub fn join_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Reads a values file. Helm reads values as YAML 1.1 through JSON, so
/// plain `yes`/`on` are booleans and keys are strings.
pub fn from_yaml(text: &str, file: FileId) -> V {
    let parsed = syntax::parse(text);
    let document = parsed.documents.iter().find(|d| d.root.is_some());
    let mut values = match document.and_then(|d| d.root.as_ref()) {
        Some(node) => from_node(node, file),
        None => V::empty_map(),
    };
    // What the positioned reader stops at (a flow list closed at its key's
    // column, which Helm's YAML reader takes) the rest is read without
    // positions, so that the values in force are Helm's.
    let error_at = parsed.documents.iter().flat_map(|d| &d.errors).map(|e| e.span.start).min();
    if let Some(error_at) = error_at {
        if let Ok(whole) = serde_yaml::from_str::<serde_yaml::Value>(text) {
            graft(&mut values, &whole, error_at);
        }
    }
    values
}

/// Completes `values`, read up to `error_at`, with `whole`: what lies
/// wholly before the error keeps its positions, the rest comes from
/// `whole` without them.
fn graft(values: &mut V, whole: &serde_yaml::Value, error_at: usize) {
    let serde_yaml::Value::Mapping(entries) = whole else { return };
    if !matches!(values.data, Data::Map(_)) {
        *values = from_serde(whole);
        return;
    }
    // The last entry read may have been cut short by the error.
    let last_read = values.members().last().map(|m| m.key.clone());
    for (key, value) in entries {
        let Some(key) = serde_key(key) else { continue };
        let whole =
            |v: &V| v.origin.is_some_and(|o| o.span.end < error_at) && last_read.as_deref() != Some(key.as_str());
        match values.get_mut(&key) {
            Some(existing) if whole(existing) => {}
            Some(existing) if matches!(existing.data, Data::Map(_)) && value.is_mapping() => {
                graft(existing, value, error_at)
            }
            Some(existing) => *existing = from_serde(value),
            None => values.insert(&key, None, from_serde(value)),
        }
    }
}

fn serde_key(key: &serde_yaml::Value) -> Option<String> {
    match key {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A value read without positions.
fn from_serde(value: &serde_yaml::Value) -> V {
    let data = match value {
        serde_yaml::Value::Null => Data::Null,
        serde_yaml::Value::Bool(b) => Data::Bool(*b),
        serde_yaml::Value::Number(n) => match n.as_i64() {
            Some(i) => Data::Int(i),
            None => Data::Float(n.as_f64().unwrap_or_default()),
        },
        serde_yaml::Value::String(s) => Data::Str(s.clone()),
        serde_yaml::Value::Sequence(items) => Data::List(items.iter().map(from_serde).collect::<Vec<_>>().into()),
        serde_yaml::Value::Mapping(entries) => Data::Map(
            entries
                .iter()
                .filter_map(|(k, v)| Some(Member { key: serde_key(k)?, key_origin: None, value: from_serde(v) }))
                .collect::<Vec<_>>()
                .into(),
        ),
        serde_yaml::Value::Tagged(tagged) => return from_serde(&tagged.value),
    };
    V::new(data)
}

/// A positioned YAML node as a value.
pub fn from_node(node: &Node, file: FileId) -> V {
    let origin = Location::new(file, node.span);
    match &node.value {
        syntax::Value::Scalar(scalar) => {
            let data = if scalar.is_quoted() || matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded) {
                Data::Str(scalar.value.clone())
            } else if let Some(tag) = &scalar.tag {
                match tag.as_str() {
                    "!!str" => Data::Str(scalar.value.clone()),
                    _ => plain_scalar(&scalar.value),
                }
            } else {
                plain_scalar(&scalar.value)
            };
            V::at(data, origin)
        }
        syntax::Value::Mapping(entries) => {
            let mut members: Vec<Member> = Vec::new();
            for entry in entries {
                let key = key_text(&entry.key);
                let member = Member {
                    key: key.clone(),
                    key_origin: Some(Location::new(file, entry.key.span)),
                    value: from_node(&entry.value, file),
                };
                // A repeated key: the last one counts, as in Helm.
                match members.iter_mut().find(|m| m.key == key) {
                    Some(existing) => *existing = member,
                    None => members.push(member),
                }
            }
            V::at(Data::Map(members.into()), origin)
        }
        syntax::Value::Sequence(items) => {
            V::at(Data::List(items.iter().map(|i| from_node(i, file)).collect::<Vec<_>>().into()), origin)
        }
        syntax::Value::Alias => V::at(Data::Null, origin),
    }
}

/// A mapping key as Helm reads it: through JSON, so a plain key YAML 1.1
/// reads as a boolean (`y`, `on`) is the string `true` or `false`.
fn key_text(key: &Node) -> String {
    let text = key.as_str().unwrap_or_default();
    match &key.value {
        syntax::Value::Scalar(scalar) if scalar.style == ScalarStyle::Plain && scalar.tag.is_none() => {
            match plain_scalar(text) {
                Data::Bool(b) => b.to_string(),
                _ => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

/// A plain scalar as YAML 1.1 types it.
pub fn plain_scalar(text: &str) -> Data {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Data::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => return Data::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Data::Bool(false)
        }
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    let integer = if let Some(hex) = unsigned.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = unsigned.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if unsigned.len() > 1 && unsigned.starts_with('0') && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(unsigned, 8).ok()
    } else if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        unsigned.replace('_', "").parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = integer {
        return Data::Int(if negative { -i } else { i });
    }
    let looks_numeric = unsigned.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+' | b'_'));
    if looks_numeric {
        if let Ok(f) = text.replace('_', "").parse::<f64>() {
            return Data::Float(f);
        }
    }
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Data::Float(if negative { f64::NEG_INFINITY } else { f64::INFINITY }),
        ".nan" | ".NaN" | ".NAN" => return Data::Float(f64::NAN),
        _ => {}
    }
    Data::Str(text.to_string())
}

/// Merges `over` onto `base` as Helm merges a user's values onto a chart's:
/// maps merge key by key, anything else replaces, `null` deletes the key.
pub fn merge(base: &mut V, over: V) {
    match (&mut base.data, over.data) {
        (Data::Map(_), Data::Map(members)) => {
            for member in Rc::unwrap_or_clone(members) {
                if member.value.data == Data::Null {
                    if base.get(&member.key).is_some() {
                        base.remove(&member.key);
                    } else {
                        // A null the defaults do not have stays, as Helm
                        // keeps it (`toYaml` writes `key: null`); without
                        // an origin, `drop_nulls` leaves it too.
                        base.insert(&member.key, member.key_origin, V::null());
                    }
                    continue;
                }
                match base.get_mut(&member.key) {
                    Some(existing)
                        if matches!(existing.data, Data::Map(_)) && matches!(member.value.data, Data::Map(_)) =>
                    {
                        merge(existing, member.value);
                    }
                    _ => {
                        let mut value = member.value;
                        keep_nulls(&mut value);
                        base.insert(&member.key, member.key_origin, value)
                    }
                }
            }
            if over.origin.is_some() && base.origin.is_none() {
                base.origin = over.origin;
            }
        }
        (_, data) => {
            base.data = data;
            base.origin = over.origin;
        }
    }
}

/// Marks the nulls of a map the defaults do not have as kept (no origin):
/// Helm keeps them.
fn keep_nulls(value: &mut V) {
    if let Data::Map(members) = &mut value.data {
        for member in Rc::make_mut(members) {
            if member.value.data == Data::Null {
                member.value.origin = None;
            }
            keep_nulls(&mut member.value);
        }
    }
}

/// Fills what `over` lacks from `defaults` (Helm's `coalesce` of a
/// subchart's own values under what the parent gives it); `null` in `over`
/// deletes the default.
pub fn coalesce(over: &mut V, defaults: &V) {
    let Data::Map(default_members) = &defaults.data else { return };
    if !matches!(over.data, Data::Map(_)) {
        return;
    }
    for member in default_members.iter() {
        match over.member(&member.key) {
            None => over.insert(&member.key, member.key_origin, member.value.clone()),
            Some(existing) if existing.value.data == Data::Null => over.remove(&member.key),
            Some(_) => {
                let existing = over.get_mut(&member.key).expect("found above");
                if matches!(existing.data, Data::Map(_)) {
                    coalesce(existing, &member.value);
                }
            }
        }
    }
}

/// Removes the keys set to `null` everywhere below (the defaults' own
/// nulls, which Helm drops), but the user's nulls that `merge` kept.
pub fn drop_nulls(value: &mut V) {
    if let Data::Map(members) = &mut value.data {
        Rc::make_mut(members).retain(|m| m.value.data != Data::Null || m.value.origin.is_none());
        for member in Rc::make_mut(members) {
            drop_nulls(&mut member.value);
        }
    }
}

/// A problem in a `--set` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetError(pub String);

/// Applies one `--set` argument (`a.b=1,c[0].d=x`), written as the text of
/// `file`, to `values`, typed as Helm types `--set` (`--set-string` keeps
/// strings).
pub fn apply_set(values: &mut V, file: FileId, text: &str, as_string: bool) -> Result<(), SetError> {
    let mut start = 0;
    for part in split_unescaped(text, ',') {
        let span_start = start;
        start += part.len() + 1;
        let Some(eq) = find_unescaped(part, '=') else {
            return Err(SetError(format!("`{part}` has no `=`: give it as key=value")));
        };
        let (key, raw) = (&part[..eq], &part[eq + 1..]);
        if key.is_empty() {
            return Err(SetError(format!("`{part}` has no key before `=`")));
        }
        let value_span = Span::new(span_start + eq + 1, span_start + part.len());
        let key_span = Span::new(span_start, span_start + eq);
        let data = if as_string { Data::Str(unescape(raw)) } else { set_scalar(raw) };
        let leaf = V::at(data, Location::new(file, value_span));
        set_path(values, key, Location::new(file, key_span), leaf)?;
    }
    Ok(())
}

fn set_scalar(raw: &str) -> Data {
    if let Some(list) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return Data::List(
            split_unescaped(list, ',').into_iter().map(|item| V::new(set_scalar(item))).collect::<Vec<_>>().into(),
        );
    }
    // Helm's strvals ignores case for these.
    match raw {
        _ if raw.eq_ignore_ascii_case("true") => Data::Bool(true),
        _ if raw.eq_ignore_ascii_case("false") => Data::Bool(false),
        _ if raw.eq_ignore_ascii_case("null") => Data::Null,
        _ => match raw.parse::<i64>() {
            // Helm keeps a leading zero as a string.
            Ok(i) if !(raw.len() > 1 && raw.starts_with('0')) => Data::Int(i),
            _ => Data::Str(unescape(raw)),
        },
    }
}

fn set_path(values: &mut V, key: &str, key_origin: Location, leaf: V) -> Result<(), SetError> {
    let segments = split_unescaped(key, '.');
    let mut here = values;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (name, index) = match segment.find('[') {
            Some(open) if segment.ends_with(']') => {
                let index: usize = segment[open + 1..segment.len() - 1]
                    .parse()
                    .map_err(|_| SetError(format!("`{segment}`: the list index is not a number")))?;
                (&segment[..open], Some(index))
            }
            _ => (*segment, None),
        };
        let name = unescape(name);
        if last && index.is_none() && leaf.data == Data::Null {
            // As in a values file: deletes what is set, else stays a null.
            if here.get(&name).is_some() {
                here.remove(&name);
            } else {
                here.insert(&name, Some(key_origin), V::null());
            }
            return Ok(());
        }
        if here.get(&name).is_none()
            || (index.is_none() && !last && !matches!(here.get(&name).unwrap().data, Data::Map(_)))
        {
            let fresh = if index.is_some() { V::new(Data::List(Rc::default())) } else { V::empty_map() };
            here.insert(&name, Some(key_origin), fresh);
        }
        let mut slot = here.get_mut(&name).expect("inserted above");
        if let Some(index) = index {
            if !matches!(slot.data, Data::List(_)) {
                slot.data = Data::List(Rc::default());
            }
            let Data::List(items) = &mut slot.data else { unreachable!() };
            let items = Rc::make_mut(items);
            while items.len() <= index {
                items.push(V::null());
            }
            slot = &mut items[index];
            if !last && !matches!(slot.data, Data::Map(_)) {
                *slot = V::empty_map();
            }
        }
        if last {
            *slot = leaf;
            return Ok(());
        }
        here = slot;
    }
    Ok(())
}

fn split_unescaped(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '{' if !escaped => depth += 1,
            '}' if !escaped => depth -= 1,
            _ if c == separator && !escaped && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    parts.push(&text[start..]);
    parts
}

fn find_unescaped(text: &str, wanted: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == wanted && !escaped {
            return Some(i);
        }
        escaped = false;
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: &str = "\
podSecurityContext:
  enabled: true
  fsGroup: 1001
containerSecurityContext:
  runAsUser: 1001
  capabilities:
    drop: [ALL]
    add: [NET_BIND_SERVICE]
extraVolumes: [a, b]
";

    #[test]
    fn user_values_merge_maps_replace_lists_and_null_deletes() {
        let mut values = from_yaml(DEFAULTS, FileId(0));
        let user = "containerSecurityContext:\n  runAsUser: null\n  capabilities:\n    add: []\nextraVolumes: [c]\n";
        merge(&mut values, from_yaml(user, FileId(1)));
        let container = values.get("containerSecurityContext").unwrap();
        assert!(container.get("runAsUser").is_none());
        let capabilities = container.get("capabilities").unwrap();
        let drop = capabilities.get("drop").unwrap();
        assert_eq!((drop.to_text(), drop.origin.unwrap().file), ("[ALL]".to_string(), FileId(0)));
        assert_eq!(capabilities.get("add").unwrap().data, Data::List(Vec::new().into()));
        assert_eq!(capabilities.get("add").unwrap().origin.unwrap().file, FileId(1));
        let volumes = values.get("extraVolumes").unwrap();
        assert_eq!(volumes.origin.unwrap().file, FileId(1));
        assert_eq!(values.get("podSecurityContext").unwrap().get("fsGroup").unwrap().data, Data::Int(1001));
        // A null for a key the defaults lack stays, and renders as null.
        merge(
            &mut values,
            from_yaml("podSecurityContext:\n  runAsUser: null\n  fsGroup: null\nnew:\n  a: null\n", FileId(2)),
        );
        drop_nulls(&mut values);
        let pod = values.get("podSecurityContext").unwrap();
        assert_eq!((pod.get("runAsUser").map(|v| v.data.clone()), pod.get("fsGroup")), (Some(Data::Null), None));
        assert_eq!(values.get("new").unwrap().get("a").unwrap().data, Data::Null);
    }

    #[test]
    fn plain_scalars_are_typed_as_helm_reads_them_and_quoted_ones_are_strings() {
        let values = from_yaml(
            "a: 1000\nb: \"1000\"\nc: yes\nd: 'false'\ne: 0x1F\nf: 1.5\ng: ~\nh: RuntimeDefault\ny: 1\n'n': 2\n",
            FileId(0),
        );
        let data = |k: &str| values.get(k).unwrap().data.clone();
        assert_eq!(data("a"), Data::Int(1000));
        assert_eq!(data("b"), Data::Str("1000".into()));
        assert_eq!(data("c"), Data::Bool(true));
        assert_eq!(data("d"), Data::Str("false".into()));
        assert!(values.get("d").unwrap().truthy(), "the string \"false\" is true in a template");
        assert_eq!(data("e"), Data::Int(31));
        assert_eq!(data("f"), Data::Float(1.5));
        assert_eq!(data("g"), Data::Null);
        assert_eq!(data("h"), Data::Str("RuntimeDefault".into()));
        // A plain `y` key is YAML 1.1's true; a quoted one stays itself.
        assert_eq!((data("true"), data("n")), (Data::Int(1), Data::Int(2)));
    }

    #[test]
    fn what_the_positioned_reader_stops_at_is_read_as_helm_reads_it() {
        let text = "a:\n  uid: 1001\nb:\n  args: [\n    \"-dev\"\n  ]\nc:\n  enabled: true\n";
        let values = from_yaml(text, FileId(0));
        let uid = values.get("a").unwrap().get("uid").unwrap();
        assert_eq!((uid.data.clone(), uid.origin.is_some()), (Data::Int(1001), true));
        assert_eq!(values.get("b").unwrap().get("args").unwrap().to_text(), "[-dev]");
        assert_eq!(values.get("c").unwrap().get("enabled").unwrap().data, Data::Bool(true));
    }

    #[test]
    fn set_arguments_are_typed_and_located_in_their_own_text() {
        let mut values = from_yaml(DEFAULTS, FileId(0));
        let text = "containerSecurityContext.runAsUser=0,podSecurityContext.enabled=false,tags={a,b},x[1].y=z";
        apply_set(&mut values, FileId(7), text, false).unwrap();
        let user = values.get("containerSecurityContext").unwrap().get("runAsUser").unwrap();
        assert_eq!(user.data, Data::Int(0));
        let origin = user.origin.unwrap();
        assert_eq!((origin.file, &text[origin.span.start..origin.span.end]), (FileId(7), "0"));
        assert_eq!(values.get("podSecurityContext").unwrap().get("enabled").unwrap().data, Data::Bool(false));
        assert_eq!(values.get("tags").unwrap().data, Data::List(vec![V::str("a"), V::str("b")].into()));
        let x = values.get("x").unwrap();
        let Data::List(items) = &x.data else { panic!("x is a list") };
        assert_eq!(items[1].get("y").unwrap().as_str(), Some("z"));
        assert!(apply_set(&mut values, FileId(7), "novalue", false).is_err());
    }
}
