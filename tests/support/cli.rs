//! Running the real `podsec` binary as a user runs it from a shell, with a
//! predictable environment (no colour variables, no logs, no CI marker).
#![allow(dead_code)] // Each test file uses a different part.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// `podsec` in `dir`, standard input closed.
pub fn podsec(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    command.current_dir(dir);
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "PODSEC_LOG", "CI"] {
        command.env_remove(var);
    }
    command.stdin(Stdio::null());
    command
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    podsec(dir).args(args).output().expect("podsec runs")
}

pub fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = podsec(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podsec runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// The findings of `--format json`.
pub fn json(output: &Output) -> Vec<Value> {
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)));
    value.as_array().expect("a JSON array").clone()
}
