//! `podsec check --fix` and `--diff`: the safe fixes of each file, written
//! in place atomically or printed as a unified diff.

use std::fs::{self, File, OpenOptions};
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

impl Change {
    /// A file left as it is, nothing to fix in it under `mode`.
    pub fn nothing(mode: Mode) -> Change {
        Change { output: (mode == Mode::Diff).then(String::new), ..Change::default() }
    }
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
        return Ok((text, Change::nothing(mode)));
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
                write_atomically(path, &text, &fixed.text)
                    .map_err(|reason| InputError::unchanged(input.display.clone(), reason))?;
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

/// Writes `text` over the file at `path`, whose content was `read` when
/// podsec read it, or says why it did not.
///
/// The text goes to a temporary file beside the target (symlinks are
/// followed, so a link stays a link and its target is fixed), which gets the
/// target's permissions (and, where allowed, its owner) and is then renamed
/// over it: readers see the old or the new file, never half of one. A
/// byte-order mark stays. The original is left as it is, and no temporary
/// file remains, when the file is read-only, is not a regular file, has
/// other hard links (replacing it would split them), changed on disk since
/// podsec read it, or when any step fails (a full disk, a folder podsec may
/// not write to).
pub fn write_atomically(path: &Path, read: &str, text: &str) -> Result<(), String> {
    write_with(path, read, text, |file, bytes| file.write_all(bytes))
}

/// [`write_atomically`], writing the temporary file's bytes with `write`.
fn write_with(
    path: &Path,
    read: &str,
    text: &str,
    write: impl FnOnce(&mut File, &[u8]) -> io::Result<()>,
) -> Result<(), String> {
    let target = fs::canonicalize(path).map_err(|e| format!("cannot resolve its path: {}", io_reason(&e)))?;
    let metadata = fs::metadata(&target).map_err(|e| io_reason(&e))?;
    if !metadata.is_file() {
        return Err("it is not a regular file".to_string());
    }
    if metadata.permissions().readonly() {
        return Err("the file is read-only".to_string());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.nlink() > 1 {
            return Err(format!("it has {} hard links, which replacing it would split", metadata.nlink()));
        }
    }
    let Some(bom) = unchanged(&target, read)? else {
        return Err(CHANGED.to_string());
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut bytes = Vec::with_capacity(text.len() + 3);
    if bom {
        bytes.extend_from_slice(BOM);
    }
    bytes.extend_from_slice(text.as_bytes());
    for attempt in 0..100 {
        let temporary = dir.join(format!(".{name}.podsec-{}-{attempt}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            // Private until it has the target's permissions.
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = match options.open(&temporary) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(format!("cannot create a temporary file beside it: {}", io_reason(&error))),
        };
        let written = (|| {
            write(&mut file, &bytes).map_err(|e| format!("cannot write the fixes: {}", io_reason(&e)))?;
            keep_owner(&file, &metadata);
            file.set_permissions(metadata.permissions())
                .map_err(|e| format!("cannot give the fixed file its permissions: {}", io_reason(&e)))?;
            file.sync_all().map_err(|e| format!("cannot write the fixes: {}", io_reason(&e)))?;
            drop(file);
            // Last look before replacing it: an editor may have saved meanwhile.
            if unchanged(&target, read)?.is_none() {
                return Err(CHANGED.to_string());
            }
            fs::rename(&temporary, &target).map_err(|e| format!("cannot replace it: {}", io_reason(&e)))
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        } else if let Ok(dir) = File::open(dir) {
            // The rename itself survives a crash once the folder is synced.
            let _ = dir.sync_all();
        }
        return written;
    }
    Err("cannot create a temporary file beside it: no free name".to_string())
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

const CHANGED: &str = "it changed on disk since podsec read it; run podsec again";

/// Whether the file still holds `read` (a byte-order mark aside): `Some`
/// with whether it starts with a byte-order mark, `None` when it changed.
fn unchanged(target: &Path, read: &str) -> Result<Option<bool>, String> {
    let now = fs::read(target).map_err(|e| format!("cannot read it again: {}", io_reason(&e)))?;
    let bom = now.starts_with(BOM);
    let content = if bom { &now[BOM.len()..] } else { &now[..] };
    Ok((content == read.as_bytes()).then_some(bom))
}

/// Gives the temporary file the target's owner and group, where the user
/// may (root may; others may keep their own files' group): otherwise the
/// fixed file belongs to whoever ran podsec, as with any editor's save.
fn keep_owner(file: &File, metadata: &fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid()));
    }
    #[cfg(not(unix))]
    let _ = (file, metadata);
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, b"\xEF\xBB\xBFold\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomically(&path, "old\n", "new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"\xEF\xBB\xBFnew\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        }
        assert_eq!(entries(dir.path()), ["a.yaml"], "no temporary file left");
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn no_space_left() -> io::Error {
        io::Error::from_raw_os_error(28)
    }

    #[test]
    #[cfg(unix)]
    fn a_full_disk_leaves_the_original_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old: 1\n").unwrap();
        // Half the text reaches the disk, then it is full.
        let reason = write_with(&path, "old: 1\n", "new: 2\nmore: 3\n", |file, bytes| {
            file.write_all(&bytes[..bytes.len() / 2])?;
            Err(no_space_left())
        })
        .unwrap_err();
        assert_eq!(reason, "cannot write the fixes: No space left on device");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old: 1\n");
        assert_eq!(entries(dir.path()), ["a.yaml"]);
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_left_as_it_is_now() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "saved: meanwhile\n").unwrap();
        let reason = write_atomically(&path, "old: 1\n", "new: 2\n").unwrap_err();
        assert_eq!(reason, CHANGED);
        assert_eq!(fs::read_to_string(&path).unwrap(), "saved: meanwhile\n");
        assert_eq!(entries(dir.path()), ["a.yaml"]);
    }

    #[test]
    fn a_file_saved_while_the_fix_is_written_is_left_as_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old: 1\n").unwrap();
        let editor = path.clone();
        let reason = write_with(&path, "old: 1\n", "new: 2\n", move |file, bytes| {
            file.write_all(bytes)?;
            // Same length, so only the content tells.
            fs::write(&editor, "old: 9\n")
        })
        .unwrap_err();
        assert_eq!(reason, CHANGED);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old: 9\n");
        assert_eq!(entries(dir.path()), ["a.yaml"]);
    }

    #[test]
    fn read_only_files_and_other_kinds_of_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old: 1\n").unwrap();
        let mut permissions = fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&path, permissions).unwrap();
        assert_eq!(write_atomically(&path, "old: 1\n", "new: 2\n").unwrap_err(), "the file is read-only");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old: 1\n");
        assert_eq!(write_atomically(dir.path(), "", "new: 2\n").unwrap_err(), "it is not a regular file");
        assert_eq!(entries(dir.path()), ["a.yaml"]);
    }
}
