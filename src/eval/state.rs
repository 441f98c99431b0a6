//! The state of a stateful stage, built one event at a time ([`State::add`]) and read at
//! query time ([`State::finish`]). The result does not depend on the order events are
//! added in, so a parallel reader may feed them as they come.
//!
//! What is kept (each item counts as one entry against the limit given to [`State::new`]):
//! - `threshold`: one count per (window, key) group, plus each distinct value counted;
//! - `new`: per key, the times of its events that can still fall in the detection window
//!   (older times collapse into one "seen before" time once [`State::set_now_floor`] says
//!   they are before any possible window);
//! - `sequence`: per key, one slot per event time at which some step held.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::stage::{alert_with_key, key_of, relevant, Alert};
use super::Evaluator;
use crate::ir::{CmpOp, Field, Rule, Stage};

/// A stage's accumulated state.
pub struct State {
    kind: Kind,
    entries: usize,
    limit: usize,
    overflowed: bool,
}

enum Kind {
    Threshold {
        distinct: Option<Field>,
        op: CmpOp,
        n: u64,
        by: Vec<Field>,
        window_ms: i64,
        groups: BTreeMap<(i64, Vec<String>), (u64, BTreeSet<String>)>,
    },
    FirstSeen {
        fields: Vec<Field>,
        baseline_ms: i64,
        window_ms: i64,
        /// A lower bound of the query time: times before `floor − window` can only ever
        /// be baseline (or older).
        floor: i64,
        /// The cut at which old times were last collapsed.
        compacted: i64,
        keys: BTreeMap<Vec<String>, Seen>,
    },
    Sequence {
        by: Vec<Field>,
        within_ms: i64,
        steps: usize,
        per_key: BTreeMap<Vec<String>, BTreeMap<i64, Vec<bool>>>,
    },
}

/// The times a `new` key was seen at.
#[derive(Default)]
struct Seen {
    /// The latest time that is before every possible detection window.
    old: Option<i64>,
    /// The other times.
    recent: BTreeSet<i64>,
}

impl State {
    /// An empty state for `stage`, keeping at most `limit` entries.
    pub fn new(stage: &Stage, limit: usize) -> State {
        let kind = match stage {
            Stage::Threshold {
                distinct,
                op,
                value,
                by,
                window,
                ..
            } => Kind::Threshold {
                distinct: distinct.clone(),
                op: *op,
                n: *value,
                by: by.clone(),
                window_ms: window.seconds as i64 * 1000,
                groups: BTreeMap::new(),
            },
            Stage::FirstSeen {
                fields,
                baseline,
                window,
                ..
            } => Kind::FirstSeen {
                fields: fields.clone(),
                baseline_ms: baseline.seconds as i64 * 1000,
                window_ms: window.seconds as i64 * 1000,
                floor: i64::MIN,
                compacted: i64::MIN,
                keys: BTreeMap::new(),
            },
            Stage::Sequence {
                by, within, steps, ..
            } => Kind::Sequence {
                by: by.clone(),
                within_ms: within.seconds as i64 * 1000,
                steps: steps.len(),
                per_key: BTreeMap::new(),
            },
        };
        State {
            kind,
            entries: 0,
            limit,
            overflowed: false,
        }
    }

    /// Entries kept now.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Whether an event was dropped because the limit was reached (the alerts may then be
    /// incomplete).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    fn room(&mut self, more: usize) -> bool {
        if self.entries.saturating_add(more) > self.limit {
            self.overflowed = true;
            return false;
        }
        self.entries += more;
        true
    }

    /// Add an event of the rule's source at time `t` (ms). Events the stage ignores
    /// (see [`super::stage::relevant`]) change nothing.
    pub fn add(&mut self, ev: &mut Evaluator, rule: &Rule, t: i64, event: &Value) {
        let Some(stage) = &rule.stage else { return };
        if !relevant(ev, rule, stage, event) {
            return;
        }
        match &self.kind {
            Kind::Threshold { .. } => self.add_threshold(t, event),
            Kind::FirstSeen { .. } => self.add_first_seen(t, event),
            Kind::Sequence { .. } => {
                let Stage::Sequence { steps, .. } = stage else {
                    return;
                };
                let flags: Vec<bool> = steps.iter().map(|s| ev.eval(&s.expr, event)).collect();
                self.add_sequence(t, event, flags);
            }
        }
    }

    fn add_threshold(&mut self, t: i64, event: &Value) {
        let Kind::Threshold {
            distinct,
            by,
            window_ms,
            groups,
            ..
        } = &self.kind
        else {
            return;
        };
        let Some(key) = key_of(event, by) else { return };
        let group = (t.div_euclid(*window_ms) * window_ms, key);
        let value = match distinct {
            None => None,
            Some(f) => match key_of(event, std::slice::from_ref(f)).and_then(|mut k| k.pop()) {
                Some(v) => Some(v),
                None => return,
            },
        };
        let new_group = usize::from(!groups.contains_key(&group));
        let new_value = match (&value, groups.get(&group)) {
            (Some(v), Some(g)) => usize::from(!g.1.contains(v)),
            (Some(_), None) => 1,
            (None, _) => 0,
        };
        if !self.room(new_group + new_value) {
            return;
        }
        let Kind::Threshold { groups, .. } = &mut self.kind else {
            return;
        };
        let g = groups.entry(group).or_default();
        g.0 += 1;
        if let Some(v) = value {
            g.1.insert(v);
        }
    }

    fn add_first_seen(&mut self, t: i64, event: &Value) {
        let Kind::FirstSeen {
            fields,
            window_ms,
            floor,
            keys,
            ..
        } = &self.kind
        else {
            return;
        };
        let Some(key) = key_of(event, fields) else {
            return;
        };
        let cut = floor.saturating_sub(*window_ms);
        let more = match keys.get(&key) {
            None if t >= cut => 2,
            None => 1,
            Some(s) if t >= cut && !s.recent.contains(&t) => 1,
            Some(_) => 0,
        };
        if !self.room(more) {
            return;
        }
        let Kind::FirstSeen { keys, .. } = &mut self.kind else {
            return;
        };
        let seen = keys.entry(key).or_default();
        if t < cut {
            seen.old = seen.old.max(Some(t));
        } else {
            seen.recent.insert(t);
        }
    }

    fn add_sequence(&mut self, t: i64, event: &Value, flags: Vec<bool>) {
        let Kind::Sequence { by, per_key, .. } = &self.kind else {
            return;
        };
        let Some(key) = key_of(event, by) else { return };
        let more = usize::from(per_key.get(&key).is_none_or(|m| !m.contains_key(&t)));
        if !self.room(more) {
            return;
        }
        let Kind::Sequence { per_key, steps, .. } = &mut self.kind else {
            return;
        };
        let slot = per_key
            .entry(key)
            .or_default()
            .entry(t)
            .or_insert_with(|| vec![false; *steps]);
        for (s, f) in slot.iter_mut().zip(flags) {
            *s |= f;
        }
    }

    /// Promise that the query time will be at least `floor` (ms): a `new` stage then
    /// forgets the times that can only be baseline. Other stages ignore it.
    pub fn set_now_floor(&mut self, floor: i64) {
        let Kind::FirstSeen {
            window_ms,
            floor: f,
            compacted,
            keys,
            ..
        } = &mut self.kind
        else {
            return;
        };
        *f = floor.max(*f);
        let cut = f.saturating_sub(*window_ms);
        // Collapse once the cut has moved by a quarter window (amortised).
        if *compacted != i64::MIN && cut.saturating_sub(*compacted) < (*window_ms / 4).max(1) {
            return;
        }
        *compacted = cut;
        let mut freed = 0usize;
        for seen in keys.values_mut() {
            let keep = seen.recent.split_off(&cut);
            if let Some(latest) = seen.recent.last() {
                seen.old = seen.old.max(Some(*latest));
            }
            freed += seen.recent.len();
            seen.recent = keep;
        }
        self.entries -= freed;
    }

    /// The alerts at query time `now` (ms), in a fixed order.
    pub fn finish(self, now: i64) -> Vec<Alert> {
        match self.kind {
            Kind::Threshold {
                distinct,
                op,
                n,
                by,
                groups,
                ..
            } => threshold_alerts(distinct.is_some(), op, n, &by, groups),
            Kind::FirstSeen {
                fields,
                baseline_ms,
                window_ms,
                keys,
                ..
            } => first_seen_alerts(&fields, baseline_ms, window_ms, keys, now),
            Kind::Sequence {
                by,
                within_ms,
                steps,
                per_key,
            } => sequence_alerts(&by, within_ms, steps, per_key),
        }
    }
}

fn threshold_alerts(
    distinct: bool,
    op: CmpOp,
    n: u64,
    by: &[Field],
    groups: BTreeMap<(i64, Vec<String>), (u64, BTreeSet<String>)>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for ((start, key), (count, values)) in groups {
        let figure = if distinct { values.len() as u64 } else { count };
        if op.holds(figure, n) {
            let mut a = alert_with_key(by, &key);
            a.insert(
                "window_start".into(),
                Value::String(crate::time::format(start)),
            );
            let name = if distinct { "distinct" } else { "count" };
            a.insert(name.into(), Value::from(figure));
            out.push(a);
        }
    }
    out
}

/// Keys first seen in `[now − window, now)` and not during the baseline before it.
fn first_seen_alerts(
    fields: &[Field],
    baseline_ms: i64,
    window_ms: i64,
    keys: BTreeMap<Vec<String>, Seen>,
    now: i64,
) -> Vec<Alert> {
    let win_start = now - window_ms;
    let base_start = win_start - baseline_ms;
    let mut out: Vec<(i64, Alert)> = Vec::new();
    for (key, seen) in keys {
        let before = seen
            .recent
            .range(..win_start)
            .next_back()
            .copied()
            .max(seen.old.filter(|t| *t < win_start));
        if before.is_some_and(|t| t >= base_start) {
            continue;
        }
        if let Some(first) = seen.recent.range(win_start..now).next().copied() {
            let mut a = alert_with_key(fields, &key);
            a.insert(
                "first_seen".into(),
                Value::String(crate::time::format(first)),
            );
            out.push((first, a));
        }
    }
    out.sort_by_key(|a| a.0);
    out.into_iter().map(|(_, a)| a).collect()
}

/// Per key, chains of steps in strictly increasing time within `within`.
fn sequence_alerts(
    by: &[Field],
    within_ms: i64,
    steps: usize,
    per_key: BTreeMap<Vec<String>, BTreeMap<i64, Vec<bool>>>,
) -> Vec<Alert> {
    let mut out: Vec<(i64, Vec<String>, Alert)> = Vec::new();
    for (key, times) in per_key {
        // latest[k]: the latest start of a chain through step k at an earlier time.
        let mut latest: Vec<Option<i64>> = vec![None; steps];
        for (t, flags) in times {
            let mut now_c: Vec<Option<i64>> = vec![None; steps];
            for k in 0..steps {
                if !flags[k] {
                    continue;
                }
                now_c[k] = if k == 0 {
                    Some(t)
                } else {
                    latest[k - 1].filter(|start| t - start <= within_ms)
                };
            }
            if let Some(start) = now_c[steps - 1] {
                let mut a = alert_with_key(by, &key);
                a.insert("start".into(), Value::String(crate::time::format(start)));
                a.insert("end".into(), Value::String(crate::time::format(t)));
                out.push((t, key.clone(), a));
            }
            for k in 0..steps {
                if now_c[k].is_some() {
                    latest[k] = now_c[k];
                }
            }
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out.into_iter().map(|(_, _, a)| a).collect()
}
