//! Every input the fuzzers found a crash, hang or OOM with (`tests/fuzz_regressions/<target>/`)
//! goes through the same code as its fuzz target (`fuzz/harness.rs`) and must not panic.
//! Hangs are bounded by the test's own time: each file must finish in a few seconds.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Generous: a debug build on a loaded 2-core machine; the fuzzers' limit is 10 s optimised.
const LIMIT: Duration = Duration::from_secs(20);

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).expect("readable");
        let t = Instant::now();
        run(&data);
        let took = t.elapsed();
        assert!(took < LIMIT, "{}: took {took:?}", f.display());
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn compile_regressions() {
    replay("compile", harness::compile);
}

#[test]
fn sigma_in_regressions() {
    replay("sigma_in", harness::sigma_in);
}

#[test]
fn eval_regressions() {
    replay("eval", harness::eval);
}
