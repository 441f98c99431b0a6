//! `tripline test` and `tripline hunt`: running rules over events with the reference
//! evaluator.

use std::path::Path;

use serde_json::Value;

mod cases;
mod hunt;
mod input;
pub mod regression;
mod route;

use crate::catalog::Catalog;
use crate::driver::{check_program, FileDiagnostic, Program};
use crate::eval::{stage, Evaluator};
use crate::ir;

pub use cases::{cases_of, export_cases, stream_events};
pub use hunt::{hunt, BadLine, Hit};
pub use input::{is_cloudtrail_file, read_events, read_events_coded, Event};
pub use route::Router;

/// A test-file problem.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum TestFileError {
    /// The JSONL file could not be read.
    #[error("cannot read test events `{path}`: {reason}")]
    #[diagnostic(code(tripline::test::unreadable))]
    Unreadable {
        /// The path as written.
        path: String,
        /// Why.
        reason: String,
        /// The `tests` entry.
        #[label("named here")]
        span: miette::SourceSpan,
    },
    /// A line is not a JSON object with a boolean `_expect`.
    #[error("`{path}` line {line}: {reason}")]
    #[diagnostic(
        code(tripline::test::bad_event),
        help("each line is one JSON object with `\"_expect\": true` or `false`")
    )]
    BadEvent {
        /// The path.
        path: String,
        /// 1-based line.
        line: usize,
        /// Why.
        reason: String,
        /// The `tests` entry.
        #[label("events from here")]
        span: miette::SourceSpan,
    },
}

/// The outcome of one test case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The rule.
    pub rule: String,
    /// The rule's file.
    pub path: String,
    /// The case's name.
    pub name: String,
    /// Expected verdict.
    pub expect: bool,
    /// Actual verdict.
    pub got: bool,
    /// On failure: each sub-expression with its verdict and depth (or, for a stream case,
    /// the expected and actual alerts).
    pub explanation: Vec<(usize, bool, String)>,
    /// A stream case of a stateful rule (`expect alerts`): `expect` is true and `got` says
    /// whether the alerts matched.
    pub stream: bool,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.expect == self.got
    }
}

/// What `tripline test` produces.
pub struct TestReport {
    /// Every case, in file, rule and case order.
    pub cases: Vec<CaseResult>,
    /// Problems that stopped rules or cases from running.
    pub diagnostics: Vec<FileDiagnostic>,
    /// Rules that have no test case at all.
    pub untested: Vec<String>,
}

impl TestReport {
    /// Number of passing cases.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }
    /// Number of failing cases.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
}

/// Why an event is not a record of `source`: its recognition predicate, explained.
fn not_recognized(
    router: &mut Router,
    ev: &mut Evaluator,
    source: &str,
    event: &Value,
) -> Vec<(usize, bool, String)> {
    let mut out = vec![(
        0,
        false,
        format!(
            "not a record of `{source}` (recognize: {})",
            router.text(source).unwrap_or_default().trim()
        ),
    )];
    if let Some(p) = router.predicate(source).cloned() {
        out.extend(
            ev.explain(&p, event)
                .into_iter()
                .map(|(d, v, t)| (d + 1, v, t)),
        );
    }
    out
}

/// The source's timestamp field (in source field names) for a rule, or "" when none.
fn timestamp_field(catalog: &Catalog, rule: &ir::Rule) -> String {
    catalog
        .sources
        .get(&rule.source)
        .and_then(|s| s.timestamp.clone())
        .unwrap_or_default()
}

/// The query time of a stream case: `at`, or one second after the latest event.
fn query_time(at: Option<i64>, events: &[Value], ts: &str) -> i64 {
    at.unwrap_or_else(|| {
        events
            .iter()
            .filter_map(|e| stage::event_time(e, ts))
            .max()
            .unwrap_or(0)
            + 1000
    })
}

/// Run every test case of every rule in the program.
pub fn run_tests(prog: &Program, catalog: &Catalog) -> TestReport {
    let checked = check_program(prog, catalog);
    let mut diagnostics = checked.diagnostics;
    let mut cases = Vec::new();
    let mut untested = Vec::new();
    let mut ev = Evaluator::new();
    let mut router = Router::new(catalog);
    for (f, rule) in &checked.rules {
        let file = &prog.files[*f];
        let (rule_cases, errors) = cases_of(rule, Path::new(&file.display));
        for e in errors {
            diagnostics.push(FileDiagnostic {
                path: file.display.clone(),
                text: file.text.clone(),
                error: crate::driver::Error::Test(e),
            });
        }
        if rule_cases.is_empty() && rule.stream_tests.is_empty() {
            untested.push(rule.name.clone());
        }
        for c in rule_cases {
            let event = router.fields(&c.event);
            let recognized = router.accepts(&mut ev, &rule.source, &event);
            let got = recognized && ev.eval(&rule.expr, &event);
            let explanation = if got == c.expect {
                Vec::new()
            } else if !recognized {
                not_recognized(&mut router, &mut ev, &rule.source, &event)
            } else {
                ev.explain(&rule.expr, &event)
            };
            cases.push(CaseResult {
                rule: rule.name.clone(),
                path: file.display.clone(),
                name: c.name,
                expect: c.expect,
                got,
                explanation,
                stream: false,
            });
        }
        if let Some(stage) = &rule.stage {
            let ts = timestamp_field(catalog, rule);
            for t in &rule.stream_tests {
                let events = match stream_events(t, Path::new(&file.display)) {
                    Ok(e) => router.of_source(&mut ev, &rule.source, &e),
                    Err(e) => {
                        diagnostics.push(FileDiagnostic {
                            path: file.display.clone(),
                            text: file.text.clone(),
                            error: crate::driver::Error::Test(e),
                        });
                        continue;
                    }
                };
                let now = query_time(t.at, &events, &ts);
                let alerts = stage::run(&mut ev, rule, stage, &events, &ts, now);
                let ok = stage::alerts_match(&t.alerts, &alerts);
                let explanation = if ok {
                    Vec::new()
                } else {
                    let show = |v: &[Value]| serde_json::to_string(v).unwrap_or_default();
                    let actual: Vec<Value> = alerts.iter().cloned().map(Value::Object).collect();
                    vec![
                        (0, true, format!("expected alerts: {}", show(&t.alerts))),
                        (0, false, format!("actual alerts:   {}", show(&actual))),
                    ]
                };
                cases.push(CaseResult {
                    rule: rule.name.clone(),
                    path: file.display.clone(),
                    name: t.name.clone(),
                    expect: true,
                    got: ok,
                    explanation,
                    stream: true,
                });
            }
        }
        if rule.stage.is_some() && rule.stream_tests.is_empty() {
            untested.push(format!(
                "{} (no `expect alerts` case for its stage)",
                rule.name
            ));
        }
    }
    TestReport {
        cases,
        diagnostics,
        untested,
    }
}
