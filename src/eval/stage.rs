//! Stateful stages over a stream of timestamped events: the executable definition of
//! `threshold`, `new` and `sequence` (see "Stateful stages" in grammar/README.md).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{value, Evaluator, Val};
use crate::ir::{CmpOp, Expr, Field, Rule, Stage, Step};

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
fn key_of(event: &Value, by: &[Field]) -> Option<Vec<String>> {
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

fn alert_with_key(by: &[Field], key: &[String]) -> Alert {
    let mut a = Map::new();
    for (f, v) in by.iter().zip(key) {
        a.insert(f.name.clone(), Value::String(v.clone()));
    }
    a
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
    let timed: Vec<(i64, &Value)> = events
        .iter()
        .filter_map(|e| event_time(e, ts_field).map(|t| (t, e)))
        .collect();
    match stage {
        Stage::Threshold {
            distinct,
            op,
            value,
            by,
            window,
            ..
        } => threshold(
            ev,
            rule,
            &timed,
            distinct.as_ref(),
            *op,
            *value,
            by,
            window.seconds,
        ),
        Stage::FirstSeen {
            fields,
            baseline,
            window,
            ..
        } => first_seen(
            ev,
            rule,
            &timed,
            fields,
            baseline.seconds,
            window.seconds,
            now,
        ),
        Stage::Sequence {
            by, within, steps, ..
        } => sequence(ev, rule, &timed, by, within.seconds, steps),
    }
}

/// `threshold`: per epoch-aligned window and key, the count or the distinct values.
#[allow(clippy::too_many_arguments)]
fn threshold(
    ev: &mut Evaluator,
    rule: &Rule,
    timed: &[(i64, &Value)],
    distinct: Option<&Field>,
    op: CmpOp,
    n: u64,
    by: &[Field],
    window: u64,
) -> Vec<Alert> {
    let w = window as i64 * 1000;
    // (window start, key) -> (count, distinct values)
    let mut groups: BTreeMap<(i64, Vec<String>), (u64, BTreeSet<String>)> = BTreeMap::new();
    for (t, e) in timed {
        if !ev.eval(&rule.expr, e) {
            continue;
        }
        let Some(key) = key_of(e, by) else { continue };
        let start = t.div_euclid(w) * w;
        match distinct {
            None => groups.entry((start, key)).or_default().0 += 1,
            Some(f) => {
                if let Some(v) = key_of(e, std::slice::from_ref(f)).and_then(|mut k| k.pop()) {
                    let g = groups.entry((start, key)).or_default();
                    g.0 += 1;
                    g.1.insert(v);
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((start, key), (count, values)) in groups {
        let figure = if distinct.is_some() {
            values.len() as u64
        } else {
            count
        };
        if op.holds(figure, n) {
            let mut a = alert_with_key(by, &key);
            a.insert(
                "window_start".into(),
                Value::String(crate::time::format(start)),
            );
            let name = if distinct.is_some() {
                "distinct"
            } else {
                "count"
            };
            a.insert(name.into(), Value::from(figure));
            out.push(a);
        }
    }
    out
}

/// `new`: keys first seen in `[now − window, now)` and not during the baseline before it.
fn first_seen(
    ev: &mut Evaluator,
    rule: &Rule,
    timed: &[(i64, &Value)],
    fields: &[Field],
    baseline: u64,
    window: u64,
    now: i64,
) -> Vec<Alert> {
    let win_start = now - window as i64 * 1000;
    let base_start = win_start - baseline as i64 * 1000;
    let mut known = BTreeSet::new();
    let mut fresh: BTreeMap<Vec<String>, i64> = BTreeMap::new();
    for (t, e) in timed {
        if *t < base_start || *t >= now || !ev.eval(&rule.expr, e) {
            continue;
        }
        let Some(key) = key_of(e, fields) else {
            continue;
        };
        if *t < win_start {
            known.insert(key);
        } else {
            let first = fresh.entry(key).or_insert(*t);
            *first = (*first).min(*t);
        }
    }
    let mut out: Vec<(i64, Alert)> = fresh
        .into_iter()
        .filter(|(k, _)| !known.contains(k))
        .map(|(k, t)| {
            let mut a = alert_with_key(fields, &k);
            a.insert("first_seen".into(), Value::String(crate::time::format(t)));
            (t, a)
        })
        .collect();
    out.sort_by_key(|a| a.0);
    out.into_iter().map(|(_, a)| a).collect()
}

/// `sequence`: per key, chains of steps in strictly increasing time within `within`.
fn sequence(
    ev: &mut Evaluator,
    rule: &Rule,
    timed: &[(i64, &Value)],
    by: &[Field],
    within: u64,
    steps: &[Step],
) -> Vec<Alert> {
    let w = within as i64 * 1000;
    // key -> time -> which steps some event at that time satisfies
    let mut per_key: BTreeMap<Vec<String>, BTreeMap<i64, Vec<bool>>> = BTreeMap::new();
    for (t, e) in timed {
        if !ev.eval(&rule.expr, e) {
            continue;
        }
        let Some(key) = key_of(e, by) else { continue };
        let flags: Vec<bool> = steps.iter().map(|s| step_holds(ev, &s.expr, e)).collect();
        if !flags.iter().any(|f| *f) {
            continue;
        }
        let slot = per_key
            .entry(key)
            .or_default()
            .entry(*t)
            .or_insert_with(|| vec![false; steps.len()]);
        for (i, f) in flags.into_iter().enumerate() {
            slot[i] |= f;
        }
    }
    let mut out: Vec<(i64, Vec<String>, Alert)> = Vec::new();
    for (key, times) in per_key {
        // latest[k]: the latest start of a chain through step k at an earlier time.
        let mut latest: Vec<Option<i64>> = vec![None; steps.len()];
        for (t, flags) in times {
            let mut now_c: Vec<Option<i64>> = vec![None; steps.len()];
            for k in 0..steps.len() {
                if !flags[k] {
                    continue;
                }
                now_c[k] = if k == 0 {
                    Some(t)
                } else {
                    latest[k - 1].filter(|start| t - start <= w)
                };
            }
            if let Some(start) = now_c[steps.len() - 1] {
                let mut a = alert_with_key(by, &key);
                a.insert("start".into(), Value::String(crate::time::format(start)));
                a.insert("end".into(), Value::String(crate::time::format(t)));
                out.push((t, key.clone(), a));
            }
            for k in 0..steps.len() {
                if now_c[k].is_some() {
                    latest[k] = now_c[k];
                }
            }
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out.into_iter().map(|(_, _, a)| a).collect()
}

fn step_holds(ev: &mut Evaluator, expr: &Expr, e: &Value) -> bool {
    ev.eval(expr, e)
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
