//! Every rule in `rules/` carries its own evidence: at least two matching and two
//! non-matching cases (stateful rules: at least one alerting and one quiet stream case too),
//! and every case passes in the reference evaluator.

use std::path::{Path, PathBuf};

use tripline::catalog::Catalog;
use tripline::driver::{check_program, collect_inputs, Program};
use tripline::testing::{cases_of, run_tests};

fn program() -> Program {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).expect("crate root");
    let files = collect_inputs(&[PathBuf::from("rules")])
        .expect("rules/")
        .files;
    Program::load(&files)
}

#[test]
fn every_rule_has_enough_cases() {
    let prog = program();
    let checked = check_program(&prog, &Catalog::builtin());
    assert!(checked.diagnostics.is_empty(), "rules/ must check cleanly");
    let mut short = Vec::new();
    for (f, rule) in &checked.rules {
        let (cases, errors) = cases_of(rule, Path::new(&prog.files[*f].display));
        assert!(errors.is_empty(), "{}: unreadable test files", rule.name);
        let matching = cases.iter().filter(|c| c.expect).count();
        let quiet = cases.iter().filter(|c| !c.expect).count();
        if matching < 2 || quiet < 2 {
            short.push(format!("{}: {matching} match, {quiet} nomatch", rule.name));
        }
        if rule.stage.is_some() {
            let alerting = rule
                .stream_tests
                .iter()
                .filter(|t| !t.alerts.is_empty())
                .count();
            let silent = rule
                .stream_tests
                .iter()
                .filter(|t| t.alerts.is_empty())
                .count();
            if alerting < 1 || silent < 1 {
                short.push(format!(
                    "{}: {alerting} alerting, {silent} quiet stream cases",
                    rule.name
                ));
            }
        }
    }
    assert!(
        short.is_empty(),
        "rules without enough cases:\n{}",
        short.join("\n")
    );
}

#[test]
fn every_case_passes_in_the_evaluator() {
    let prog = program();
    let report = run_tests(&prog, &Catalog::builtin());
    assert!(report.diagnostics.is_empty());
    let failed: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !c.passed())
        .map(|c| format!("{} :: {}", c.rule, c.name))
        .collect();
    assert!(failed.is_empty(), "failing cases:\n{}", failed.join("\n"));
    assert!(
        report.cases.len() >= 4 * 18,
        "only {} cases",
        report.cases.len()
    );
}
