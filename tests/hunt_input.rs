//! The hunt input layer against real EVTX logs: every `.evtx` of SigmaHQ's regression data
//! (`../shared/corpus/sigmahq-regression`, not in the repository) read by
//! `tripline::hunt::input` gives, record for record, the events of the EVTX-exported `.json`
//! beside it. Skips loudly when the data is absent.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tripline::hunt::input::{open, Numbers};
use tripline::testing::read_events;

/// Say that a test did not run, on stderr itself (not captured by the test harness, so it
/// shows in a normal `cargo test` run), as tests/sigma_regression.rs does.
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// The known differences between the `evtx` crate's (0.15) rendering of a value and the
/// exports' (made with an older evtx_dump), counted. The reader keeps the crate's faithful
/// rendering; anything else that differs fails the test.
#[derive(Debug, Default)]
struct Known {
    /// A GUID value: `{lower case}` (as Windows' own XML renders it) where the export has it
    /// upper case without braces.
    guids: usize,
    /// `SystemTime` to 100 ns (7 digits, as stored) where the export cuts it to 6.
    times: usize,
    /// A string with the trailing white space it has in the log (a `CommandLine` ending in a
    /// space, as Windows records it) where the export trims it.
    trailing_space: usize,
}

impl Known {
    fn explains(&mut self, read: &str, export: &str) -> bool {
        let hex = |s: &str| s.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit());
        if read.len() == 38
            && read.starts_with('{')
            && read.ends_with('}')
            && read[1..37].eq_ignore_ascii_case(export)
            && hex(&read[1..37])
        {
            self.guids += 1;
        } else if read.len() == export.len() + 1
            && read.ends_with('Z')
            && export.ends_with('Z')
            && read.starts_with(&export[..export.len() - 1])
        {
            self.times += 1;
        } else if read.trim_end() == export {
            self.trailing_space += 1;
        } else {
            return false;
        }
        true
    }
}

/// Every place where `a` (read) and `b` (exported) differ, as JSON paths with both values;
/// the known differences are counted in `known` instead.
fn diffs(a: &Value, b: &Value, path: &str, known: &mut Known, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    None => out.push(format!("{path}.{k}: only in the EVTX read ({v})")),
                    Some(w) => diffs(v, w, &format!("{path}.{k}"), known, out),
                }
            }
            for (k, w) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(format!("{path}.{k}: only in the JSON export ({w})"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diffs(v, w, &format!("{path}[{i}]"), known, out);
            }
        }
        _ if a == b => {}
        (Value::String(r), Value::String(e)) if known.explains(r, e) => {}
        _ => out.push(format!("{path}: EVTX read {a}, JSON export {b}")),
    }
}

/// Exports that are not of the `.evtx` beside them, value for value: their differences are
/// printed but do not fail the test. `ad691d92…`: its `ParentCommandLine` is
/// `C:\Windows\Explorer.exe` where the log has `Explorer.EXE`, and its `SystemTime` has 9
/// digits (`.751156500Z`): made by another tool, or edited.
const NOT_EXPORTS_OF_THEIR_LOG: &[&str] = &["ad691d92-15f2-4181-9aa4-723c74f9ddc3"];

#[test]
fn evtx_logs_read_as_their_json_exports() {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq-regression");
    if !root.is_dir() {
        skipped(&format!(
            "SigmaHQ regression data not found under {}: the EVTX input test did not run",
            root.display()
        ));
        return;
    }
    let logs: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .collect();
    assert!(logs.len() >= 100, "only {} .evtx files found", logs.len());

    let mut alike = 0;
    let mut known = Known::default();
    let mut differ = Vec::new();
    for log in &logs {
        let export = log.with_extension("json");
        let text = std::fs::read_to_string(&export)
            .unwrap_or_else(|e| panic!("{}: {e}", export.display()));
        let (events, bad) = read_events(&text);
        assert!(bad.is_empty(), "{}: {bad:?}", export.display());
        let expected: Vec<Value> = events.into_iter().map(|e| e.value).collect();

        let mut got = Vec::new();
        let mut positions = Vec::new();
        for block in open(std::slice::from_ref(log), 1 << 12) {
            let block = block.unwrap_or_else(|e| panic!("{}: {e}", log.display()));
            assert!(block.bad.is_empty(), "{}: {:?}", log.display(), block.bad);
            assert!(matches!(block.numbers, Numbers::Each(_)));
            for (i, line) in block.text.lines().enumerate() {
                got.push(
                    serde_json::from_str::<Value>(line).expect("a record is one line of JSON"),
                );
                positions.push(block.numbers.at(i));
            }
        }
        assert_eq!(
            positions,
            (1..=got.len() as u64).collect::<Vec<_>>(),
            "{}: records are numbered 1, 2, ... in file order",
            log.display()
        );
        let rel = log.strip_prefix(&root).unwrap_or(log).display().to_string();
        if got.len() != expected.len() {
            differ.push(format!(
                "{rel}: {} records read, {} in the export",
                got.len(),
                expected.len()
            ));
            continue;
        }
        let mut found = Vec::new();
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            let mut d = Vec::new();
            diffs(g, e, "", &mut known, &mut d);
            found.extend(
                d.into_iter()
                    .map(|d| format!("{rel}: record {}: {d}", i + 1)),
            );
        }
        if found.is_empty() {
            alike += 1;
        }
        let stem = log.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if NOT_EXPORTS_OF_THEIR_LOG.contains(&stem) {
            for d in found {
                println!("  DIFFERS (known: not an export of its log) {d}");
            }
            continue;
        }
        differ.extend(found);
    }
    println!(
        "EVTX logs read as their JSON exports: {alike} of {}, but for the known differences {known:?}",
        logs.len()
    );
    for d in &differ {
        println!("  DIFFERS {d}");
    }
    assert!(differ.is_empty(), "{} differences", differ.len());
}

#[test]
fn an_evtx_log_inside_gzip_reads_as_the_plain_log() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq-regression");
    let Some(log) = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .find(|p| p.extension().is_some_and(|e| e == "evtx"))
    else {
        skipped(&format!(
            "no .evtx under {}: the gzip EVTX test did not run",
            root.display()
        ));
        return;
    };
    let text = |it: tripline::hunt::input::Inputs| -> Vec<String> {
        it.map(|b| b.unwrap().text).collect()
    };
    let plain = text(open(std::slice::from_ref(&log), 1 << 20));
    let bytes = std::fs::read(&log).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &bytes).unwrap();
    let gz = gz.finish().unwrap();
    let zipped = text(tripline::hunt::input::read(
        "x.evtx.gz",
        std::io::Cursor::new(gz),
        1 << 20,
    ));
    assert_eq!(plain, zipped);
    assert!(!plain.concat().is_empty());
}
