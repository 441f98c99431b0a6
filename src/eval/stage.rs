//! Stateful stages over a stream of timestamped events: the executable definition of
//! `threshold`, `new` and `sequence` (see "Stateful stages" in grammar/README.md).
//!
//! A stage is an accumulator ([`State`]): events are added one at a time, in any order,
//! and the alerts are read at query time. [`run`] is that over a slice; `tripline hunt`
//! feeds a stream, so a stage keeps only its state, never the events.

use serde_json::{Map, Value};

use super::{value, Evaluator, Val};
use crate::ir::{Field, Rule, Stage};

pub use super::state::State;

/// An alert: the key fields' values and the stage's own figures.
pub type Alert = Map<String, Value>;

/// An event's time in ms since the epoch, from the source's timestamp field.
pub fn event_time(event: &Value, ts_field: &str) -> Option<i64> {
    match value(event, ts_field) {
        Val::Text(t) => crate::time::parse(&t),
        _ => None,
    }
}

/// The key tuple of an event; `None` when any key field is missing, is not text, or cannot
/// be a key at all (`ir::stage_key`).
pub(super) fn key_of(event: &Value, by: &[Field]) -> Option<Vec<String>> {
    by.iter()
        .map(|f| {
            crate::ir::stage_key::check_type(f.ty).ok()?;
            match value(event, &f.name) {
                Val::Text(t) => Some(t.into_owned()),
                _ => None,
            }
        })
        .collect()
}

pub(super) fn alert_with_key(by: &[Field], key: &[String]) -> Alert {
    let mut a = Map::new();
    for (f, v) in by.iter().zip(key) {
        a.insert(f.name.clone(), Value::String(v.clone()));
    }
    a
}

/// Whether `event` can change the state of `rule`'s `stage`: it matches the rule's
/// `match` (and, for a sequence, some step). Events for which this is false are ignored
/// by [`State::add`], so a caller may drop them early.
pub fn relevant(ev: &mut Evaluator, rule: &Rule, stage: &Stage, event: &Value) -> bool {
    if !ev.eval(&rule.expr, event) {
        return false;
    }
    match stage {
        Stage::Sequence { steps, .. } => steps.iter().any(|s| ev.eval(&s.expr, event)),
        _ => true,
    }
}

/// Run a rule's stage over `events` at query time `now` (ms). Events without a valid
/// timestamp are ignored. Alerts come out in a fixed order.
pub fn run(
    ev: &mut Evaluator,
    rule: &Rule,
    stage: &Stage,
    events: &[Value],
    ts_field: &str,
    now: i64,
) -> Vec<Alert> {
    let mut state = State::new(stage, usize::MAX);
    for e in events {
        if let Some(t) = event_time(e, ts_field) {
            state.add(ev, rule, t, e);
        }
    }
    state.finish(now)
}
/// Whether `actual` alerts satisfy the `expected` ones: the same number, and each expected
/// alert agrees with a distinct actual alert on every key it names (numbers numerically).
pub fn alerts_match(expected: &[Value], actual: &[Alert]) -> bool {
    if expected.len() != actual.len() {
        return false;
    }
    let mut used = vec![false; actual.len()];
    for exp in expected {
        let Some(exp) = exp.as_object() else {
            return false;
        };
        let found = actual.iter().enumerate().position(|(i, a)| {
            !used[i]
                && exp.iter().all(|(k, v)| match (a.get(k), v) {
                    (Some(Value::Number(x)), Value::Number(y)) => x.as_f64() == y.as_f64(),
                    (Some(x), y) => x == y,
                    (None, _) => false,
                })
        });
        match found {
            Some(i) => used[i] = true,
            None => return false,
        }
    }
    true
}
