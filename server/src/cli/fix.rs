//! `podsec check --fix` and `--diff`: the safe fixes of each file, written
//! in place atomically or printed as a unified diff.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::inputs::{io_reason, Input, InputError, Source};
use crate::config::Config;
use crate::fix;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write the fixed files.
    Write,
    /// Print what would change; write nothing.
    Diff,
}

impl Mode {
    /// `--diff` wins over `--fix`: it never writes.
    pub fn from_flags(fix: bool, diff: bool) -> Option<Mode> {
        match (fix, diff) {
            (_, true) => Some(Mode::Diff),
            (true, false) => Some(Mode::Write),
            _ => None,
        }
    }
}

/// What fixing one input did.
#[derive(Debug, Default)]
pub struct Change {
    /// For stderr: what changed, or why the file was left alone.
    pub note: Option<String>,
    /// For stdout instead of the findings: a diff, or the fixed standard input.
    pub output: Option<String>,
    /// Findings fixed (or, with `--diff`, that would be).
    pub fixed: usize,
}

/// Fixes `text`, the content of `input`. Returns the text to report
/// findings on (the fixed one once written) and what happened.
pub fn fix_one(input: &Input, text: String, config: &Config, mode: Mode) -> Result<(String, Change), InputError> {
    let broken = crate::syntax::parse(&text).documents.iter().any(|d| !d.errors.is_empty());
    if broken {
        let note = format!("podsec: left `{}` unchanged: it has YAML syntax errors", input.display);
        return Ok((text, Change { note: Some(note), output: (mode == Mode::Diff).then(String::new), fixed: 0 }));
    }
    let fixed = fix::fix_all_text(&text, config);
    let count = fixed.fixed.len();
    if fixed.text == text {
        return Ok((text, Change { output: (mode == Mode::Diff).then(String::new), ..Change::default() }));
    }
    let mut codes: Vec<&str> = fixed.fixed.iter().map(|t| t.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let what = format!("{count} finding{} ({})", if count == 1 { "" } else { "s" }, codes.join(", "));
    match mode {
        Mode::Diff => {
            let diff = similar::TextDiff::from_lines(&text, &fixed.text)
                .unified_diff()
                .context_radius(3)
                .header(&diff_name("a", &input.display), &diff_name("b", &input.display))
                .to_string();
            let note = format!("podsec: would fix {what} in `{}`", input.display);
            Ok((text, Change { note: Some(note), output: Some(diff), fixed: count }))
        }
        Mode::Write => match &input.source {
            Source::Stdin => {
                let note = format!("podsec: fixed {what} in `{}`", input.display);
                Ok((fixed.text.clone(), Change { note: Some(note), output: Some(fixed.text), fixed: count }))
            }
            Source::File(path) => {
                write_atomically(path, &fixed.text).map_err(|e| InputError {
                    display: input.display.clone(),
                    reason: format!("cannot write the fixes: {}", io_reason(&e)),
                })?;
                let note = format!("podsec: fixed {what} in `{}`", input.display);
                Ok((fixed.text, Change { note: Some(note), output: None, fixed: count }))
            }
        },
    }
}

/// `a/x.yaml` for relative paths, as git writes them; absolute paths as they are.
fn diff_name(side: &str, display: &str) -> String {
    if display.starts_with('/') || display == "-" {
        display.to_string()
    } else {
        format!("{side}/{display}")
    }
}

/// Writes a temporary file beside the target (through symlinks), with the
/// target's permissions, and renames it over the target: readers see the
/// old or the new file, never half of one. A byte-order mark stays.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let permissions = fs::metadata(&target)?.permissions();
    let bom = fs::read(&target).is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF"));
    for attempt in 0..100 {
        let temporary = dir.join(format!(".{name}.podsec-{}-{attempt}.tmp", std::process::id()));
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        };
        let written = (|| {
            if bom {
                file.write_all(b"\xEF\xBB\xBF")?;
            }
            file.write_all(text.as_bytes())?;
            file.set_permissions(permissions.clone())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temporary, &target)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        return written;
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary file name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_wins_over_fix() {
        assert_eq!(Mode::from_flags(true, true), Some(Mode::Diff));
        assert_eq!(Mode::from_flags(true, false), Some(Mode::Write));
        assert_eq!(Mode::from_flags(false, false), None);
    }

    #[test]
    fn atomic_writes_keep_permissions_and_the_byte_order_mark() {
        let dir = std::env::temp_dir().join(format!("podsec-fix-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.yaml");
        fs::write(&path, b"\xEF\xBB\xBFold\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomically(&path, "new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"\xEF\xBB\xBFnew\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        }
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
        fs::remove_dir_all(&dir).unwrap();
    }
}
