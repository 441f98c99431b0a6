//! Long and deep rules never crash a stage: IOC-sized flat `and`/`or` runs (200,000 terms)
//! check, compile to every target and flavour and run in the evaluator; nesting through named
//! conditions is limited with a coded error instead of overflowing the stack.

use std::path::PathBuf;

use tripline::catalog::Catalog;
use tripline::driver::{self, Options, Program};
use tripline::targets;

const HEADER: &str = r#"rule long {
    title "Long"
    id 3b0d6a4e-5f1c-4f7e-9a51-2f4a1c9e7d10
    status experimental
    level low
    date 2026-12-01
    description "An IOC-sized rule"
    source windows.process_creation
    match "#;

/// What makes a flat event a Sysmon process creation (`windows.process_creation`'s recognize).
const SYSMON1: &str = "\"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"EventID\": 1";

fn program(text: String) -> Program {
    Program::from_texts(vec![(PathBuf::from("long.trip"), text)], &|_| {
        Err(std::io::Error::other("no imports"))
    })
}

/// Check once, then compile the checked rule for every target and flavour.
fn compile_everywhere(text: String) -> (usize, Vec<String>) {
    let catalog = Catalog::builtin();
    let prog = program(text);
    let checked = driver::check_program(&prog, &catalog);
    let codes: Vec<String> = checked.diagnostics.iter().map(|d| d.code()).collect();
    let mut compiled = 0;
    for (_, rule) in &checked.rules {
        for t in targets::registry() {
            let flavors: Vec<Option<&str>> = if t.flavors().is_empty() {
                vec![None]
            } else {
                t.flavors().iter().map(|f| Some(*f)).collect()
            };
            for fl in flavors {
                let opts = Options::new(t.name(), fl).unwrap();
                let (out, _) = driver::compile_rule(rule, &opts)
                    .unwrap_or_else(|e| panic!("{} {fl:?}: {} errors", t.name(), e.len()));
                assert!(!out.is_empty());
                compiled += 1;
            }
        }
    }
    (compiled, codes)
}

/// How many (target, flavour) pairs the registry has.
fn pairs() -> usize {
    targets::registry()
        .iter()
        .map(|t| t.flavors().len().max(1))
        .sum()
}

fn terms(n: usize, op: &str, negate: bool) -> String {
    let not = if negate { "not " } else { "" };
    (0..n)
        .map(|i| {
            if i % 3 == 0 {
                format!("{not}Image endswith \"\\\\ioc{i}.exe\"")
            } else {
                format!("{not}CommandLine contains \"ioc-{i}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(&format!(" {op} "))
}

#[test]
fn two_hundred_thousand_terms_check_compile_and_test() {
    for (op, negate) in [("or", false), ("and", true)] {
        let n = 200_000;
        let text = format!(
            "{HEADER}{}\n    test \"hit\" expect {} {{ {SYSMON1}, \"Image\": \"C:\\\\ioc3.exe\", \"CommandLine\": \"x\" }}\n    test \"miss\" expect {} {{ {SYSMON1}, \"Image\": \"C:\\\\clean.exe\", \"CommandLine\": \"y\" }}\n}}\n",
            terms(n, op, negate),
            if negate { "nomatch" } else { "match" },
            if negate { "match" } else { "nomatch" },
        );
        let (compiled, codes) = compile_everywhere(text.clone());
        assert!(codes.is_empty(), "{op}: {codes:?}");
        assert_eq!(compiled, pairs(), "{op}: every target and flavour");
        let report = tripline::testing::run_tests(&program(text), &Catalog::builtin());
        assert_eq!(report.failed(), 0, "{op}");
        assert_eq!(report.passed(), 2, "{op}");
    }
}

/// `c_i` wraps `c_{i-1}` in `levels` alternating `and`/`or` brackets, so nothing flattens.
fn nested_conditions(conds: usize, levels: usize) -> String {
    let mut out = String::from("condition c0 = CommandLine contains \"x\"\n");
    for i in 1..conds {
        let mut e = format!("c{}", i - 1);
        for k in 0..levels {
            let op = if k % 2 == 0 { "and" } else { "or" };
            e = format!("(CommandLine contains \"a{i}_{k}\" {op} {e})");
        }
        out.push_str(&format!("condition c{i} = {e}\n"));
    }
    out
}

#[test]
fn deepest_allowed_nesting_compiles_and_deeper_is_a_coded_error() {
    let limit = tripline::check::MAX_EXPR_DEPTH;
    // Two conditions of 127 bracket levels each: 254 levels, just under the limit (run on
    // a test thread's small stack, in a debug build).
    let ok = format!("{}{HEADER}c2\n}}\n", nested_conditions(3, 127));
    let (compiled, codes) = compile_everywhere(ok);
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(compiled, pairs());
    // 100 conditions of 100 levels: far past it, but one coded error and no crash.
    let deep = format!("{}{HEADER}c99\n}}\n", nested_conditions(100, 100));
    let (compiled, codes) = compile_everywhere(deep);
    assert_eq!(compiled, 0);
    assert_eq!(codes, ["tripline::check::expr_depth"], "limit {limit}");
}
