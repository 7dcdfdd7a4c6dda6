//! JSON-RPC over a byte stream with LSP's `Content-Length` framing: the one
//! reader and writer of the test client (`lsp.rs`) and of the benchmark's
//! client (`server/benches/lsp.rs`).
#![allow(dead_code)] // Each includer uses a different part.

use std::io::{self, BufRead, Write};

use serde_json::Value;

/// The body of the next message, or `None` at the end of the stream.
pub fn read_frame(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// Writes `message` with its header, and flushes.
pub fn write_frame(writer: &mut impl Write, message: &Value) -> io::Result<()> {
    let body = serde_json::to_vec(message).expect("a JSON value serializes");
    write!(writer, "Content-Length: {}\r\n\r\n", body.len())?;
    writer.write_all(&body)?;
    writer.flush()
}
