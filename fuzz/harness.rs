//! What each fuzz target does with its input, shared by the targets in `fuzz/fuzz_targets/`
//! and by `tests/fuzz_regressions.rs`, which replays every kept finding through the same
//! code in plain `cargo test`.
//!
//! The property is the project's rule: bad input gets a coded diagnostic, never a panic, a
//! hang, a stack overflow or unbounded memory. Where an output is produced, its artifact reads
//! back to the query it embeds (as in `tests/no_panic.rs`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tripline::catalog::Catalog;
use tripline::driver::{self, check_program, compile_checked, Options, Program};
use tripline::eval::Evaluator;
use tripline::ir;

/// The repository root (this file is built from `fuzz/` by cargo-fuzz and from the root by
/// `cargo test`).
fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.join("rules").is_dir() {
        here.to_path_buf()
    } else {
        here.join("..")
    }
}

/// Options for every target and flavour in `targets::registry()`, with artifacts (which
/// compiles the bare query first, so covers the path without them too).
fn all_options() -> &'static [Options] {
    static OPTS: OnceLock<Vec<Options>> = OnceLock::new();
    OPTS.get_or_init(|| {
        let mut v = Vec::new();
        for t in tripline::targets::registry() {
            let flavors: Vec<Option<&str>> = if t.flavors().is_empty() {
                vec![None]
            } else {
                t.flavors().iter().map(|f| Some(*f)).collect()
            };
            for f in flavors {
                v.push(
                    Options::new(t.name(), f)
                        .expect("registered target")
                        .with_artifact(true),
                );
            }
        }
        v
    })
}

/// The library's list files (`rules/lists/*.trip`) by file name, so that fuzzed rules can
/// import them without touching the file system on every run.
fn lists() -> &'static [(String, String)] {
    static LISTS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    LISTS.get_or_init(|| {
        let dir = root().join("rules/lists");
        let mut v = Vec::new();
        for e in std::fs::read_dir(&dir).expect("rules/lists") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "trip") {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                v.push((name, std::fs::read_to_string(&p).expect("readable")));
            }
        }
        v.sort();
        v
    })
}

/// The rule library (`rules/`), checked once.
fn library() -> &'static [ir::Rule] {
    static RULES: OnceLock<Vec<ir::Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let inputs = driver::collect_inputs(&[root().join("rules")]).expect("rules/");
        let prog = Program::load_inputs(inputs);
        let checked = check_program(&prog, &Catalog::builtin());
        assert!(
            !checked.diagnostics.iter().any(|d| d.is_error()),
            "the rule library checks"
        );
        checked.rules.into_iter().map(|(_, r)| r).collect()
    })
}

fn builtin() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::builtin)
}

/// Every artifact reads back to the query it embeds.
fn check_artifact(o: &driver::Output) {
    let Some(a) = &o.artifact else { return };
    match a.extension {
        "yaml" => {
            let v: serde_json::Value = tripline::yaml::from_str(&a.text).expect("artifact yaml");
            // A Sentinel rule's query may add artifact-only `| extend Entity…` lines for its
            // entity mappings, after the bare query.
            let q = v["query"].as_str().expect("artifact yaml has a query");
            let extra = q
                .strip_prefix(o.text.as_str())
                .expect("yaml artifact embeds the query first");
            assert!(
                extra.lines().all(|l| l.starts_with("| extend Entity")),
                "only entity columns are added to the artifact's query: {extra:?}"
            );
        }
        "json" => {
            let v: serde_json::Value = serde_json::from_str(&a.text).expect("artifact json");
            assert_eq!(
                v["queryCondition"]["queryText"],
                o.text.as_str(),
                "json artifact embeds the query"
            );
        }
        _ => {
            let search = a.text.lines().nth(1).expect("search line");
            assert!(
                search.starts_with("search = "),
                "conf artifact has a search"
            );
        }
    }
}

/// `compile`: the bytes as a rule file (lossy UTF-8) → parse, check, compile to every target
/// and flavour with artifacts; every diagnostic has a code and renders; outputs bundle both
/// as artifacts and as bare queries.
pub fn compile(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let read = |p: &Path| -> std::io::Result<String> {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        lists()
            .iter()
            .find(|(n, _)| Some(n) == name.as_ref())
            .map(|(_, t)| t.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not a library list"))
    };
    // `tripline fmt` on the same text: refused, or a fixed point after one pass.
    if let Ok(once) = tripline::fmt::format(&text) {
        let twice = tripline::fmt::format(&once);
        assert_eq!(
            twice.as_deref().ok(),
            Some(once.as_str()),
            "fmt is idempotent"
        );
    }
    let prog = Program::from_texts(vec![(PathBuf::from("rules/fuzz/fuzz.trip"), text)], &read);
    // Every option set uses the built-in catalog without Sigma reader options, so one check
    // serves them all (as `compile_program` would check for each); the check's diagnostics
    // are the same for every target, so each distinct one is rendered once (rendering
    // dominated the run time).
    let checked = check_program(&prog, builtin());
    let mut rendered = std::collections::HashSet::new();
    for opts in all_options() {
        let out = compile_checked(&prog, &checked, opts);
        for o in &out.outputs {
            check_artifact(o);
        }
        for d in &out.diagnostics {
            assert!(!d.code().is_empty(), "every diagnostic is coded");
            if rendered.insert((d.code(), d.line_col(), d.error.to_string())) {
                let _ = d.render(false);
            }
        }
        let _ = out.bundle(opts);
        let bare: Vec<(String, String)> = out
            .outputs
            .iter()
            .map(|o| (o.rule.clone(), o.text.clone()))
            .collect();
        let _ = opts.target.bundle(&bare);
    }
}

/// `sigma_in`: the bytes as a Sigma rule (lossy UTF-8) → `driver::convert_sigma` for every
/// target and flavour, with artifacts; every refusal is coded.
pub fn sigma_in(data: &[u8]) {
    use miette::Diagnostic;
    let text = String::from_utf8_lossy(data);
    for opts in all_options() {
        match driver::convert_sigma("fuzz.yml", &text, opts) {
            Ok(o) => check_artifact(&o),
            Err(es) => {
                for e in &es {
                    assert!(e.code().is_some(), "every refusal is coded: {e}");
                }
            }
        }
    }
}

/// `eval`: the bytes as JSONL events (lossy UTF-8) → `testing::hunt` with every rule of the
/// library, and `Evaluator::eval` of every rule's condition on each event that is a JSON
/// object.
pub fn eval(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let rules = library();
    let _ = tripline::testing::hunt(rules, &text, builtin());
    let mut ev = Evaluator::new();
    for line in text.lines() {
        let Ok(v @ serde_json::Value::Object(_)) = serde_json::from_str(line) else {
            continue;
        };
        for r in rules {
            let _ = ev.eval(&r.expr, &v);
        }
    }
}
