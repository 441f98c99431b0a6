//! Migration: `convert-sigma --target trip` writes each SigmaHQ corpus rule as a `.trip`
//! file, and checking that file gives the same IR as reading the Sigma rule (expression with
//! its field types, metadata, log source). Skips loudly when the corpus is absent.

use std::path::PathBuf;

use serde_json::Value;
use tripline::catalog::Catalog;
use tripline::driver::{self, collect_sigma_inputs, Options, Program};

/// The IR as JSON without spans (spans point into different files).
fn shape(v: &impl serde::Serialize) -> Value {
    tripline::ir::without_spans(v)
}

#[test]
fn sigmahq_corpus_round_trips_through_trip() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq");
    if !dir.is_dir() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: SigmaHQ corpus not found at {}: the .trip round trip did not run",
            dir.display()
        );
        return;
    }
    let catalog = Catalog::builtin();
    let opts = Options::new("trip", None).unwrap();
    let files = collect_sigma_inputs(std::slice::from_ref(&dir))
        .unwrap()
        .files;
    let (mut written, mut equal, mut refused) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let shown = f.display().to_string();
        let Ok(read) = tripline::sigma_in::read_for(&text, Some(&catalog), false) else {
            continue;
        };
        let out = match driver::convert_sigma(&shown, &text, &opts) {
            Ok(o) => o,
            Err(es) => {
                refused += 1;
                for e in &es {
                    use miette::Diagnostic;
                    let code = e.code().map(|c| c.to_string()).unwrap_or_default();
                    assert!(
                        code.starts_with("tripline::"),
                        "{shown}: uncoded refusal {e}"
                    );
                }
                continue;
            }
        };
        written += 1;
        let prog = Program::from_texts(
            vec![(PathBuf::from("written.trip"), out.text.clone())],
            &|_| Err(std::io::Error::other("no imports")),
        );
        let checked = driver::check_program(&prog, &catalog);
        let Some((_, back)) = checked.rules.first() else {
            let codes: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| d.error.to_string())
                .collect();
            failures.push(format!(
                "{shown}: the written file does not check: {codes:?}\n{}",
                out.text
            ));
            continue;
        };
        let mut want = read.rule.clone();
        want.name = back.name.clone();
        let same = shape(&want.expr) == shape(&back.expr)
            && shape(&want.meta) == shape(&back.meta)
            && want.source == back.source;
        if same {
            equal += 1;
        } else {
            failures.push(format!(
                "{shown}: IR differs\nread:    {}\nwritten: {}\n{}",
                shape(&want.expr),
                shape(&back.expr),
                out.text
            ));
        }
    }
    println!(
        ".trip round trip: {written} rules written, {equal} with the same IR, {refused} refused by the trip target"
    );
    if let Ok(path) = std::env::var("TRIPLINE_TRIP_FAILURES") {
        let _ = std::fs::write(path, failures.join("\n\n"));
    }
    for f in failures.iter().take(5) {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} rules do not round-trip",
        failures.len()
    );
    assert!(written > 3000, "only {written} rules written");
}
