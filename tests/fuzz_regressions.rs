//! Every input the fuzzers found a crash, hang or OOM with (`tests/fuzz_regressions/<target>/`)
//! goes through the same code as its fuzz target (`fuzz/harness.rs`) and must not panic.
//! (A hang shows as this test not finishing; no timing is asserted.)

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::PathBuf;

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
    assert!(
        target != "compile" || !files.is_empty(),
        "the compile target's kept finding is missing from {}",
        dir.display()
    );
    for f in &files {
        let data = std::fs::read(f).expect("readable");
        run(&data);
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

/// The compile target's seeds (`fuzz/seed.sh`: every rule file of `rules/` and
/// `tests/invalid/`) pass its harness too, so a change that breaks one of the harness's own
/// checks fails here, not first in the fuzz step.
#[test]
fn compile_seeds_pass_the_harness() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dirs = [root.join("rules"), root.join("tests/invalid")];
    let inputs = tripline::driver::collect_inputs(&dirs).expect("rules/ and tests/invalid/");
    let files: Vec<PathBuf> = inputs
        .files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "trip"))
        .collect();
    assert!(files.len() > 80, "only {} seed files", files.len());
    for f in &files {
        harness::compile(&std::fs::read(f).expect("readable"));
    }
    eprintln!("compile: {} seeds replayed", files.len());
}
