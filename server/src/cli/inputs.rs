//! Which files a `podsec check` run reads, and reading them.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where one checked text comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

/// One text to check, with the name findings are reported under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub source: Source,
    pub display: String,
}

/// A path that could not be read or walked, reported on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub display: String,
    pub reason: String,
}

/// Marks the reason of a file `--fix` left unchanged. A NUL byte is in no
/// reason the system or podsec gives, and `Display` drops it.
const UNCHANGED: &str = "\0unchanged: ";

impl InputError {
    /// A file `podsec check --fix` could not write, and left as it was.
    pub fn unchanged(display: String, reason: String) -> Self {
        InputError { display, reason: format!("{UNCHANGED}{reason}") }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reason.strip_prefix(UNCHANGED) {
            Some(reason) => write!(f, "left `{}` unchanged: {}", self.display, reason),
            None => write!(f, "cannot read `{}`: {}", self.display, self.reason),
        }
    }
}

/// Extensions of the files a directory walk picks up.
const EXTENSIONS: [&str; 2] = ["yaml", "yml"];

/// Resolves the PATH arguments into a sorted, deduplicated list of inputs,
/// with `visit` called on each file as soon as it is found, on `jobs`
/// threads that walk and visit at once (named files included, standard
/// input not: its entry comes back with `None`).
///
/// Explicitly named files are checked whatever their extension; directories
/// are walked for `*.yaml` and `*.yml`, honouring `.gitignore` (also outside
/// a git repository), `.ignore` and hidden-file conventions, like ruff and
/// ripgrep. Every error names the path it is about.
pub fn collect_visiting<R, V>(
    paths: &[PathBuf],
    stdin_name: &str,
    jobs: usize,
    visit: V,
) -> (Vec<(Input, Option<R>)>, Vec<InputError>)
where
    R: Send,
    V: Fn(&Input) -> R + Sync,
{
    let found: Mutex<Vec<(Input, Option<R>)>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<InputError>> = Mutex::new(Vec::new());
    let keep = |input: Input, result: Option<R>| found.lock().expect("no panic holds it").push((input, result));
    let mut named = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            keep(Input { source: Source::Stdin, display: stdin_name.to_owned() }, None);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let walker = ignore::WalkBuilder::new(path).require_git(false).threads(jobs).build_parallel();
                walker.run(|| {
                    let (keep, errors, visit) = (&keep, &errors, &visit);
                    Box::new(move |entry| {
                        match entry {
                            Ok(entry) => {
                                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                                if is_file
                                    && has_yaml_extension(entry.path())
                                    && !crate::chart::is_template_partial(entry.path())
                                {
                                    let display = display_path(walked_relative(path, entry.path()));
                                    let input = Input { source: Source::File(entry.into_path()), display };
                                    let result = visit(&input);
                                    keep(input, Some(result));
                                }
                            }
                            Err(error) => errors.lock().expect("no panic holds it").push(walk_error(path, &error)),
                        }
                        ignore::WalkState::Continue
                    })
                });
            }
            Ok(_) => named.push(Input { source: Source::File(path.clone()), display: display_path(path) }),
            Err(error) => errors
                .lock()
                .expect("no panic holds it")
                .push(InputError { display: display_path(path), reason: io_reason(&error) }),
        }
    }
    let mut named_inputs = named.iter();
    super::ordered::for_each_ordered(&named, jobs, &visit, |result| {
        let input = named_inputs.next().expect("one result per named file").clone();
        keep(input, Some(result));
        true
    });
    let mut found = found.into_inner().expect("no panic holds it");
    let mut errors = errors.into_inner().expect("no panic holds it");
    found.sort_by(|(a, _), (b, _)| a.display.cmp(&b.display).then_with(|| a.source.cmp(&b.source)));
    found.dedup_by(|(a, _), (b, _)| {
        a == b || (a.display == b.display && matches!((&a.source, &b.source), (Source::File(_), Source::File(_))))
    });
    errors.sort_by(|a, b| a.display.cmp(&b.display));
    (found, errors)
}

/// Files under `.` are reported without the `./` prefix, as ruff does.
fn walked_relative<'a>(root: &Path, path: &'a Path) -> &'a Path {
    if root == Path::new(".") {
        path.strip_prefix(".").unwrap_or(path)
    } else {
        path
    }
}

fn has_yaml_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn walk_error(root: &Path, error: &ignore::Error) -> InputError {
    fn path_of(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => path_of(err),
            _ => None,
        }
    }
    let path = path_of(error).unwrap_or(root);
    let reason = match error.io_error() {
        Some(io) => io_reason(io),
        None => error.to_string(),
    };
    InputError { display: display_path(walked_relative(root, path)), reason }
}

pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The OS message without Rust's ` (os error N)` suffix.
pub fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_owned(),
        _ => text,
    }
}

/// Reads an input as UTF-8 text. A leading byte-order mark is dropped, as
/// editors do, so columns on the first line match what they show.
pub fn read(input: &Input) -> Result<String, InputError> {
    let fail = |reason: String| InputError { display: input.display.clone(), reason };
    let bytes = match &input.source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map_err(|e| fail(io_reason(&e)))?;
            bytes
        }
        Source::File(path) => std::fs::read(path).map_err(|e| fail(io_reason(&e)))?,
    };
    decode(bytes).map_err(fail)
}

/// UTF-8 text without a byte-order mark, or a reason naming where it is not UTF-8.
pub fn decode(mut bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let at = error.utf8_error().valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        format!("not valid UTF-8 (byte 0x{:02X} on line {line}); podsec reads UTF-8 only", bytes[at])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_drops_a_byte_order_mark() {
        assert_eq!(decode(b"\xEF\xBB\xBFkind: Pod\n".to_vec()).unwrap(), "kind: Pod\n");
    }

    #[test]
    fn decode_names_the_line_of_the_first_bad_byte() {
        let reason = decode(b"a: 1\nb: \xFF\n".to_vec()).unwrap_err();
        assert_eq!(reason, "not valid UTF-8 (byte 0xFF on line 2); podsec reads UTF-8 only");
    }

    #[test]
    fn io_reason_drops_the_os_error_number() {
        let error = std::fs::read("/definitely/not/here.yaml").unwrap_err();
        assert_eq!(io_reason(&error), "No such file or directory");
    }

    #[test]
    fn yaml_extensions_are_case_insensitive() {
        assert!(has_yaml_extension(Path::new("a/b.YAML")));
        assert!(has_yaml_extension(Path::new("b.yml")));
        assert!(!has_yaml_extension(Path::new("b.json")));
        assert!(!has_yaml_extension(Path::new("yaml")));
    }
}
