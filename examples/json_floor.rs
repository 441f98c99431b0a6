//! The floor under any JSONL hunting engine: read a file of JSON Lines and parse every line
//! with serde_json, doing nothing else.
//!
//! ```text
//! cargo run --release --example json_floor -- FILE            # serde_json::Value
//! cargo run --release --example json_floor -- --ignored FILE  # serde::de::IgnoredAny
//! ```
//!
//! Prints one line: mode, bytes, events, seconds, MB/s and events/s (MB = 10^6 bytes). Lines
//! are read with a 1 MiB buffered reader, as a streaming engine would; a line that is not
//! JSON counts in `bad`.

use std::io::BufRead;
use std::time::Instant;

fn main() {
    let mut ignored = false;
    let mut path = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--ignored" => ignored = true,
            "--value" => ignored = false,
            _ => path = Some(a),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: json_floor [--value|--ignored] FILE");
        std::process::exit(2)
    };
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("json_floor: {path}: {e}");
        std::process::exit(2)
    });
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(1 << 16);
    let (mut bytes, mut events, mut bad, mut keys) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(n) => bytes += n as u64,
            Err(e) => {
                eprintln!("json_floor: {path}: {e}");
                std::process::exit(2)
            }
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        events += 1;
        if ignored {
            if serde_json::from_slice::<serde::de::IgnoredAny>(text).is_err() {
                bad += 1;
            }
        } else {
            match serde_json::from_slice::<serde_json::Value>(text) {
                // Touch the result so the parse cannot be optimised away.
                Ok(v) => keys += v.as_object().map_or(0, |o| o.len() as u64),
                Err(_) => bad += 1,
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "mode={} bytes={bytes} events={events} bad={bad} seconds={secs:.3} MB/s={:.1} events/s={:.0} top_keys={keys}",
        if ignored { "ignored_any" } else { "value" },
        bytes as f64 / 1e6 / secs,
        events as f64 / secs,
    );
}
