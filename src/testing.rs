//! `tripline test` and `tripline hunt`: running rules over events with the reference
//! evaluator.

use std::path::Path;

use serde_json::Value;

use crate::catalog::Catalog;
use crate::driver::{check_program, FileDiagnostic, Program};
use crate::eval::{stage, Evaluator};
use crate::ir;

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

/// All cases of a rule: inline ones, then those of its JSONL files.
pub fn cases_of(rule: &ir::Rule, rule_path: &Path) -> (Vec<ir::TestCase>, Vec<TestFileError>) {
    let mut cases = rule.tests.clone();
    let mut errors = Vec::new();
    let base = rule_path.parent().unwrap_or(Path::new(""));
    for (file, span) in &rule.test_files {
        let text = match std::fs::read_to_string(base.join(file)) {
            Ok(t) => t,
            Err(e) => {
                errors.push(TestFileError::Unreadable {
                    path: file.clone(),
                    reason: e.to_string(),
                    span: (*span).into(),
                });
                continue;
            }
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| TestFileError::BadEvent {
                path: file.clone(),
                line: i + 1,
                reason,
                span: (*span).into(),
            };
            let mut v: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(bad(e.to_string()));
                    continue;
                }
            };
            let Some(obj) = v.as_object_mut() else {
                errors.push(bad("not a JSON object".into()));
                continue;
            };
            let Some(Value::Bool(expect)) = obj.shift_remove("_expect") else {
                errors.push(bad("no boolean `_expect`".into()));
                continue;
            };
            cases.push(ir::TestCase {
                name: format!("{file}:{}", i + 1),
                expect,
                event: v,
                span: *span,
            });
        }
    }
    (cases, errors)
}

/// Run every test case of every rule in the program.
pub fn run_tests(prog: &Program, catalog: &Catalog) -> TestReport {
    let checked = check_program(prog, catalog);
    let mut diagnostics = checked.diagnostics;
    let mut cases = Vec::new();
    let mut untested = Vec::new();
    let mut ev = Evaluator::new();
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
            let got = ev.eval(&rule.expr, &c.event);
            let explanation = if got == c.expect {
                Vec::new()
            } else {
                ev.explain(&rule.expr, &c.event)
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
                    Ok(e) => e,
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

/// One match found by `hunt`: an event matched by a single-event rule, or an alert of a
/// stateful rule (raised after all events are read, at one second after the latest event).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Hit {
    /// A single-event match.
    Event {
        /// The rule's name.
        rule: String,
        /// 1-based line in the events file.
        line: usize,
        /// The event.
        event: Value,
    },
    /// An alert of a stateful rule.
    Alert {
        /// The rule's name.
        rule: String,
        /// The alert.
        alert: stage::Alert,
    },
}

/// A line of the events file that is not a JSON object.
#[derive(Debug, Clone)]
pub struct BadLine {
    /// 1-based line.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// Run `rules` over JSONL `events`: for each event in order, every single-event rule that
/// matches, in rule order; then the alerts of stateful rules. `_expect` keys are ignored.
pub fn hunt(rules: &[ir::Rule], events: &str, catalog: &Catalog) -> (Vec<Hit>, Vec<BadLine>) {
    let mut all = Vec::new();
    let mut ev = Evaluator::new();
    let mut hits = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in events.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                bad.push(BadLine {
                    line: i + 1,
                    reason: "not a JSON object".into(),
                });
                continue;
            }
            Err(e) => {
                bad.push(BadLine {
                    line: i + 1,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for r in rules.iter().filter(|r| r.stage.is_none()) {
            if ev.eval(&r.expr, &v) {
                hits.push(Hit::Event {
                    rule: r.name.clone(),
                    line: i + 1,
                    event: v.clone(),
                });
            }
        }
        all.push(v);
    }
    for r in rules {
        let Some(st) = &r.stage else { continue };
        let ts = timestamp_field(catalog, r);
        let now = query_time(None, &all, &ts);
        for alert in stage::run(&mut ev, r, st, &all, &ts, now) {
            hits.push(Hit::Alert {
                rule: r.name.clone(),
                alert,
            });
        }
    }
    (hits, bad)
}

/// Write every rule's cases to `dir/<rule>.jsonl`, each event with `_expect` and `_case`.
pub fn export_cases(prog: &Program, catalog: &Catalog, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let checked = check_program(prog, catalog);
    for (f, rule) in &checked.rules {
        let (cases, _) = cases_of(rule, Path::new(&prog.files[*f].display));
        let mut text = String::new();
        for c in cases {
            let mut v = c.event.clone();
            if let Some(o) = v.as_object_mut() {
                o.insert("_expect".into(), Value::Bool(c.expect));
                o.insert("_case".into(), Value::String(c.name.clone()));
            }
            text.push_str(&serde_json::to_string(&v).unwrap_or_default());
            text.push('\n');
        }
        std::fs::write(dir.join(format!("{}.jsonl", rule.name)), text)?;
        if let Some(st) = &rule.stage {
            // Stream cases: the events, the query time, and the evaluator's alerts.
            let ts = timestamp_field(catalog, rule);
            let mut ev = Evaluator::new();
            let mut out = Vec::new();
            for t in &rule.stream_tests {
                let Ok(events) = stream_events(t, Path::new(&prog.files[*f].display)) else {
                    continue;
                };
                let now = query_time(t.at, &events, &ts);
                let alerts = stage::run(&mut ev, rule, st, &events, &ts, now);
                out.push(serde_json::json!({
                    "name": t.name,
                    "now": crate::time::format(now),
                    "timestamp_field": ts,
                    "expected": t.alerts,
                    "evaluator": alerts,
                    "events": events,
                }));
            }
            let text = serde_json::to_string_pretty(&out).unwrap_or_default();
            std::fs::write(dir.join(format!("{}.streams.json", rule.name)), text + "\n")?;
        }
    }
    Ok(())
}

/// The events of a stream test: inline, or from a JSONL file beside the rule file.
pub fn stream_events(t: &ir::StreamTest, rule_path: &Path) -> Result<Vec<Value>, TestFileError> {
    match &t.events {
        ir::StreamEvents::Inline(v) => Ok(v.clone()),
        ir::StreamEvents::File(f) => {
            let base = rule_path.parent().unwrap_or(Path::new(""));
            let text =
                std::fs::read_to_string(base.join(f)).map_err(|e| TestFileError::Unreadable {
                    path: f.clone(),
                    reason: e.to_string(),
                    span: t.span.into(),
                })?;
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v @ Value::Object(_)) => out.push(v),
                    Ok(_) => {
                        return Err(TestFileError::BadEvent {
                            path: f.clone(),
                            line: i + 1,
                            reason: "not a JSON object".into(),
                            span: t.span.into(),
                        })
                    }
                    Err(e) => {
                        return Err(TestFileError::BadEvent {
                            path: f.clone(),
                            line: i + 1,
                            reason: e.to_string(),
                            span: t.span.into(),
                        })
                    }
                }
            }
            Ok(out)
        }
    }
}
