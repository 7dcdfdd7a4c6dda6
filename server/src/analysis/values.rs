//! How Kubernetes reads a YAML scalar, and name suggestions.
//!
//! Kubernetes decodes manifests with a YAML 1.1 reader (`sigs.k8s.io/yaml`),
//! so plain `yes`, `on`, `y` are booleans there while YAML 1.2 tools read
//! strings. These helpers say what a scalar is to the API server.

use crate::syntax::{Node, Scalar, Value};

/// What a scalar means to Kubernetes' decoder.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading {
    Null,
    Bool(bool),
    /// A boolean only in YAML 1.1 (`yes`, `off`, ...).
    Yaml11Bool(bool),
    Int(i128),
    Float,
    String,
}

/// Reads a scalar as Kubernetes' decoder does (tags respected: `!!str 1` is a string).
pub fn read_scalar(scalar: &Scalar) -> Reading {
    match scalar.tag.as_deref() {
        Some("!!str") | Some("!") => return Reading::String,
        Some("!!int") => return parse_int(&scalar.value).map_or(Reading::String, Reading::Int),
        Some("!!bool") => return plain_bool(&scalar.value).map_or(Reading::String, Reading::Bool),
        Some("!!float") => return Reading::Float,
        Some("!!null") => return Reading::Null,
        _ => {}
    }
    if scalar.style != crate::syntax::ScalarStyle::Plain {
        return Reading::String;
    }
    let v = scalar.value.as_str();
    if scalar.is_null() {
        return Reading::Null;
    }
    if let Some(b) = plain_bool(v) {
        return Reading::Bool(b);
    }
    if let Some(b) = yaml11_bool(v) {
        return Reading::Yaml11Bool(b);
    }
    if let Some(i) = parse_int(v) {
        return Reading::Int(i);
    }
    if is_float(v) {
        return Reading::Float;
    }
    Reading::String
}

/// The reading of a node, `None` for mappings, lists and aliases.
pub fn read(node: &Node) -> Option<Reading> {
    match &node.value {
        Value::Scalar(s) => Some(read_scalar(s)),
        _ => None,
    }
}

/// The boolean a node holds for Kubernetes (YAML 1.1 forms included).
pub fn as_bool(node: &Node) -> Option<bool> {
    match read(node)? {
        Reading::Bool(b) | Reading::Yaml11Bool(b) => Some(b),
        _ => None,
    }
}

/// The integer a node holds for Kubernetes.
pub fn as_int(node: &Node) -> Option<i128> {
    match read(node)? {
        Reading::Int(i) => Some(i),
        _ => None,
    }
}

fn plain_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

pub fn yaml11_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "on" | "y" => Some(true),
        "no" | "off" | "n" => Some(false),
        _ => None,
    }
}

fn parse_int(v: &str) -> Option<i128> {
    let (sign, digits) = match v.as_bytes().first()? {
        b'-' => (-1, &v[1..]),
        b'+' => (1, &v[1..]),
        _ => (1, v),
    };
    let digits = digits.replace('_', "");
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i128::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i128>().ok()?
    } else {
        return None;
    };
    Some(sign * value)
}

fn is_float(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan") {
        return true;
    }
    let body = lower.trim_start_matches(['+', '-']);
    !body.is_empty()
        && body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-' | b'_'))
        && (body.contains('.') || body.contains('e'))
        && body.parse::<f64>().is_ok()
}

/// Whether two values mean the same to Kubernetes (positions and styles aside).
pub(crate) fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(_), Value::Scalar(_)) => match (read(a), read(b)) {
            (Some(Reading::String), Some(Reading::String)) => a.as_str() == b.as_str(),
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::Mapping(x), Value::Mapping(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| e.key_str().is_some_and(|k| b.get(k).is_some_and(|v| same_value(&e.value, v))))
        }
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        _ => false,
    }
}

pub use crate::suggest::nearest;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ScalarStyle;

    fn plain(v: &str) -> Reading {
        read_scalar(&Scalar { value: v.into(), style: ScalarStyle::Plain, tag: None })
    }

    #[test]
    fn readings_follow_the_yaml_1_1_decoder() {
        assert_eq!(plain("1000"), Reading::Int(1000));
        assert_eq!(plain("-1"), Reading::Int(-1));
        assert_eq!(plain("1000.0"), Reading::Float);
        assert_eq!(plain("1e3"), Reading::Float);
        assert_eq!(plain("True"), Reading::Bool(true));
        assert_eq!(plain("Off"), Reading::Yaml11Bool(false));
        assert_eq!(plain("RuntimeDefault"), Reading::String);
        assert_eq!(plain("~"), Reading::Null);
        let quoted = Scalar { value: "1000".into(), style: ScalarStyle::DoubleQuoted, tag: None };
        assert_eq!(read_scalar(&quoted), Reading::String);
        let tagged = Scalar { value: "1000".into(), style: ScalarStyle::Plain, tag: Some("!!str".into()) };
        assert_eq!(read_scalar(&tagged), Reading::String);
    }
}
