//! Compile-speed benchmark: the whole rule library, in memory, to every target.
//!
//! `cargo bench --bench compile` prints one line per target with the time per rule (median
//! of several rounds). No assertion: speed is measured, not asserted.

use std::path::PathBuf;
use std::time::Instant;

use tripline::driver::{collect_inputs, compile_program, Options, Program};

const ROUNDS: usize = 15;
const PER_ROUND: usize = 40;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = collect_inputs(&[root.join("rules")])
        .expect("rules/ exists")
        .files;
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).expect("readable")))
        .collect();
    let read = |p: &std::path::Path| std::fs::read_to_string(p);
    let configs = tripline::targets::query_targets();
    println!(
        "tripline compile benchmark: {} files, {ROUNDS} rounds x {PER_ROUND} compiles",
        texts.len()
    );
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let start = Instant::now();
    for _ in 0..ROUNDS * PER_ROUND {
        for (_, t) in &texts {
            std::hint::black_box(tripline::syntax::parse(t));
        }
    }
    let secs = start.elapsed().as_secs_f64() / (ROUNDS * PER_ROUND) as f64;
    println!(
        "parse only       {} files  {:>8.1} µs/file  ({:.1} MB/s)",
        texts.len(),
        secs * 1e6 / texts.len() as f64,
        bytes as f64 / secs / 1e6
    );
    let catalog = tripline::catalog::Catalog::builtin();
    let start = Instant::now();
    for _ in 0..ROUNDS * PER_ROUND {
        let prog = Program::from_texts(texts.clone(), &read);
        std::hint::black_box(tripline::driver::check_program(&prog, &catalog));
    }
    let secs = start.elapsed().as_secs_f64() / (ROUNDS * PER_ROUND) as f64;
    println!(
        "parse + check    {} files  {:>8.1} µs/file",
        texts.len(),
        secs * 1e6 / texts.len() as f64
    );
    for (target, flavor) in configs {
        let opts = Options::new(target, flavor).expect("target");
        let mut per_rule = Vec::new();
        let mut rules = 0;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                // Parse, check, map and emit from scratch each time.
                let prog = Program::from_texts(texts.clone(), &read);
                let out = compile_program(&prog, &opts);
                rules = out.outputs.len();
                std::hint::black_box(&out);
            }
            let secs = start.elapsed().as_secs_f64();
            per_rule.push(secs / (PER_ROUND * rules.max(1)) as f64);
        }
        per_rule.sort_by(f64::total_cmp);
        let median = per_rule[per_rule.len() / 2];
        println!(
            "{:<16} {rules:>3} rules  median {:>8.1} µs/rule  ({:.0} rules/s)",
            match flavor {
                Some(f) => format!("{target} ({f})"),
                None => target.to_string(),
            },
            median * 1e6,
            1.0 / median
        );
    }
}
