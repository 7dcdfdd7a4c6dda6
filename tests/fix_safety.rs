//! `podsec check --fix` loses no data, and `podsec check` gets through
//! whatever it is pointed at: the real binary on temporary folders.
//!
//! A file `--fix` cannot safely replace (read-only, a folder it may not
//! write to, other hard links) is left as it was, with a message naming it
//! and the reason; a symlink stays a link and its target is fixed; modes are
//! kept; no temporary file is left behind. Text that is not UTF-8, symlink
//! loops and unreadable folders are reported and the rest is still checked.
//! Faults that cannot be provoked from outside (a full disk, a file changed
//! between read and write) are unit tests of `cli::fix`.

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A pod whose one safe fix is unquoting `runAsNonRoot`.
const QUOTED: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: web
      image: registry.example.com/web:1.4.2
      securityContext:
        runAsNonRoot: \"true\"
        runAsUser: 10001
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
";

fn fixed(text: &str) -> String {
    text.replace("runAsNonRoot: \"true\"", "runAsNonRoot: true")
}

use crate::support::cli::{code, run as podsec, run_with_stdin as podsec_with_stdin, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Every name in `dir`, sorted: a stray temporary file shows here.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// Whether permission bits stop this process (they do not stop root).
fn permissions_apply(dir: &Path) -> bool {
    let probe = write(dir, "probe", "");
    set_mode(&probe, 0o000);
    let denied = fs::read(&probe).is_err();
    fs::remove_file(&probe).unwrap();
    denied
}

#[test]
fn fixing_keeps_each_file_mode() {
    let dir = tempfile::tempdir().unwrap();
    let modes = [("private.yaml", 0o640), ("script.yaml", 0o755), ("shared.yaml", 0o664)];
    for (name, m) in modes {
        set_mode(&write(dir.path(), name, QUOTED), m);
    }
    let output = podsec(dir.path(), &["check", "--fix", "-q", "."]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    for (name, m) in modes {
        let path = dir.path().join(name);
        assert_eq!(fs::read_to_string(&path).unwrap(), fixed(QUOTED), "{name}");
        assert_eq!(mode(&path), m, "{name}: mode {:o}", mode(&path));
    }
    assert_eq!(names(dir.path()), ["private.yaml", "script.yaml", "shared.yaml"]);
}

#[test]
fn a_read_only_file_is_left_unchanged_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let locked = write(dir.path(), "locked.yaml", QUOTED);
    set_mode(&locked, 0o444);
    write(dir.path(), "open.yaml", QUOTED);
    let output = podsec(dir.path(), &["check", "--fix", "-q", "."]);
    assert_eq!(code(&output), 2, "a file the user asked to fix and that was not fixed fails the run");
    assert!(
        stderr(&output).contains("podsec: left `locked.yaml` unchanged: the file is read-only\n"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read_to_string(&locked).unwrap(), QUOTED);
    assert_eq!(mode(&locked), 0o444);
    assert_eq!(fs::read_to_string(dir.path().join("open.yaml")).unwrap(), fixed(QUOTED), "the others are fixed");
    assert_eq!(names(dir.path()), ["locked.yaml", "open.yaml"]);
}

#[test]
fn a_folder_podsec_may_not_write_to_leaves_its_files_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("readonly");
    let path = write(&folder, "pod.yaml", QUOTED);
    // Permission bits stop a user; root is stopped only by the immutable
    // attribute (`chattr +i`), and the system then says so in other words.
    let as_user = permissions_apply(dir.path());
    let lock = |on: bool| {
        if as_user {
            set_mode(&folder, if on { 0o555 } else { 0o755 });
        } else {
            let status = Command::new("chattr").arg(if on { "+i" } else { "-i" }).arg(&folder).status();
            assert!(status.is_ok_and(|s| s.success()), "running as root, and chattr cannot lock {}", folder.display());
        }
    };
    lock(true);
    let output = podsec(dir.path(), &["check", "--fix", "-q", "readonly/pod.yaml"]);
    lock(false);
    assert_eq!(code(&output), 2);
    let denied = if as_user { "Permission denied" } else { "Operation not permitted" };
    assert_eq!(
        stderr(&output),
        format!("podsec: left `readonly/pod.yaml` unchanged: cannot create a temporary file beside it: {denied}\n")
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), QUOTED);
    assert_eq!(names(&folder), ["pod.yaml"]);
}

#[test]
fn a_symlink_stays_a_link_and_its_target_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let target = write(dir.path(), "real/pod.yaml", QUOTED);
    set_mode(&target, 0o640);
    fs::create_dir(dir.path().join("links")).unwrap();
    let link = dir.path().join("links/pod.yaml");
    symlink("../real/pod.yaml", &link).unwrap();
    let output = podsec(dir.path(), &["check", "--fix", "links/pod.yaml"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("podsec: fixed 2 findings (invalid-type, pss/runAsNonRoot) in `links/pod.yaml`"),
        "{}",
        stderr(&output)
    );
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("../real/pod.yaml"));
    assert_eq!(fs::read_to_string(&target).unwrap(), fixed(QUOTED));
    assert_eq!(mode(&target), 0o640);
    assert_eq!(names(&dir.path().join("real")), ["pod.yaml"]);
    assert_eq!(names(&dir.path().join("links")), ["pod.yaml"]);
}

#[test]
fn a_file_with_other_hard_links_is_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "pod.yaml", QUOTED);
    fs::hard_link(&path, dir.path().join("copy.yml")).unwrap();
    let output = podsec(dir.path(), &["check", "--fix", "-q", "pod.yaml"]);
    assert_eq!(code(&output), 2);
    assert_eq!(
        stderr(&output),
        "podsec: left `pod.yaml` unchanged: it has 2 hard links, which replacing it would split\n"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), QUOTED);
    assert_eq!(fs::metadata(&path).unwrap().nlink(), 2);
}

#[test]
fn a_walk_gets_through_symlink_loops_and_unreadable_folders() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "pod.yaml", QUOTED);
    write(&tree, "nested/pod.yaml", QUOTED);
    symlink(".", tree.join("nested/loop")).unwrap();
    symlink("../tree", tree.join("nested/up")).unwrap();
    symlink("b.yaml", tree.join("a.yaml")).unwrap();
    symlink("a.yaml", tree.join("b.yaml")).unwrap();
    let locked = tree.join("locked");
    write(&locked, "pod.yaml", QUOTED);
    set_mode(&locked, 0o000);
    let output = podsec(dir.path(), &["check", "--fix", "-q", "tree"]);
    set_mode(&locked, 0o755);
    let err = stderr(&output);
    assert_eq!(fs::read_to_string(tree.join("pod.yaml")).unwrap(), fixed(QUOTED), "{err}");
    assert_eq!(fs::read_to_string(tree.join("nested/pod.yaml")).unwrap(), fixed(QUOTED), "{err}");
    assert_eq!(err.matches("podsec: fixed").count(), if permissions_apply(dir.path()) { 2 } else { 3 }, "{err}");
    if permissions_apply(dir.path()) {
        assert_eq!(code(&output), 2);
        assert!(err.contains("podsec: cannot read `tree/locked`: Permission denied\n"), "{err}");
        assert_eq!(fs::read_to_string(locked.join("pod.yaml")).unwrap(), QUOTED);
    } else {
        // Root reads the folder anyway.
        assert_eq!(code(&output), 0, "{err}");
    }
    // A walk does not follow links, so the loops are never entered.
    assert!(!err.contains("loop") && !err.contains("a.yaml"), "{err}");
}

#[test]
fn a_symlink_loop_named_on_the_command_line_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    symlink("b.yaml", dir.path().join("a.yaml")).unwrap();
    symlink("a.yaml", dir.path().join("b.yaml")).unwrap();
    write(dir.path(), "pod.yaml", QUOTED);
    let output = podsec(dir.path(), &["check", "--fix", "-q", "a.yaml", "pod.yaml"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).starts_with("podsec: cannot read `a.yaml`: Too many levels of symbolic links\n"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read_to_string(dir.path().join("pod.yaml")).unwrap(), fixed(QUOTED));
}

#[test]
fn a_file_that_is_not_utf8_is_named_left_alone_and_the_others_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = QUOTED.replace("name: web\nspec", "name: caf\u{e9}\nspec");
    let mut bytes = latin1.into_bytes();
    let at = bytes.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    bytes.splice(at..at + 2, [0xE9]);
    fs::write(dir.path().join("latin1.yaml"), &bytes).unwrap();
    write(dir.path(), "a.yaml", QUOTED);
    write(dir.path(), "z.yaml", QUOTED);
    let output = podsec(dir.path(), &["check", "--fix", "."]);
    assert_eq!(code(&output), 2, "as documented: a path could not be read");
    let err = stderr(&output);
    assert!(
        err.contains(
            "podsec: cannot read `latin1.yaml`: not valid UTF-8 (byte 0xE9 on line 4); podsec reads UTF-8 only\n"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(fs::read(dir.path().join("latin1.yaml")).unwrap(), bytes);
    for name in ["a.yaml", "z.yaml"] {
        assert_eq!(fs::read_to_string(dir.path().join(name)).unwrap(), fixed(QUOTED), "{name}");
    }
}

#[test]
fn standard_input_that_is_not_utf8_is_named_by_its_reported_name() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        podsec_with_stdin(dir.path(), &["check", "--stdin-filename", "k8s/pod.yaml", "-"], b"kind: Pod\n\xC3\x28: x\n");
    assert_eq!(code(&output), 2);
    assert_eq!(
        stderr(&output),
        "podsec: cannot read `k8s/pod.yaml`: not valid UTF-8 (byte 0xC3 on line 2); podsec reads UTF-8 only\n\
         No file checked. 1 path could not be read.\n"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_file_name_that_is_not_utf8_is_still_checked_and_fixed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.yaml");
    fs::write(dir.path().join(name), QUOTED).unwrap();
    let output = podsec(dir.path(), &["check", "--fix", "-q", "."]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stderr(&output).contains("in `caf\u{FFFD}.yaml`"), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(dir.path().join(name)).unwrap(), fixed(QUOTED));
}
