//! A rule's test cases: inline, from JSONL files beside the rule, and their export for
//! other engines.

use std::path::Path;

use serde_json::Value;

use super::{query_time, timestamp_field, Router, TestFileError};
use crate::catalog::Catalog;
use crate::driver::{check_program, Program};
use crate::eval::{stage, Evaluator};
use crate::ir;

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

/// Write every rule's cases to `dir/<rule>.jsonl`, each event with `_expect` and `_case`.
pub fn export_cases(prog: &Program, catalog: &Catalog, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let checked = check_program(prog, catalog);
    let mut router = Router::new(catalog);
    let mut ev = Evaluator::new();
    for (f, rule) in &checked.rules {
        let (cases, _) = cases_of(rule, Path::new(&prog.files[*f].display));
        let mut text = String::new();
        for c in cases {
            // The event as its source's fields, and whether it is a record of the source.
            let mut v = router.fields(&c.event);
            let recognized = router.accepts(&mut ev, &rule.source, &v);
            if let Some(o) = v.as_object_mut() {
                o.insert("_expect".into(), Value::Bool(c.expect));
                o.insert("_case".into(), Value::String(c.name.clone()));
                o.insert("_recognized".into(), Value::Bool(recognized));
            }
            text.push_str(&serde_json::to_string(&v).unwrap_or_default());
            text.push('\n');
        }
        std::fs::write(dir.join(format!("{}.jsonl", rule.name)), text)?;
        if let Some(st) = &rule.stage {
            // Stream cases: the events, the query time, and the evaluator's alerts.
            let ts = timestamp_field(catalog, rule);
            let mut out = Vec::new();
            for t in &rule.stream_tests {
                let Ok(events) = stream_events(t, Path::new(&prog.files[*f].display)) else {
                    continue;
                };
                let events = router.of_source(&mut ev, &rule.source, &events);
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
