//! `tripline hunt`: every rule over a file of events.

use serde_json::Value;

use super::{query_time, timestamp_field, Router};
use crate::catalog::Catalog;
use crate::eval::{stage, Evaluator};
use crate::ir;

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
    let (read, bad) = super::read_events(events);
    let mut router = Router::new(catalog);
    let mut ev = Evaluator::new();
    let mut hits = Vec::new();
    // The sources the rules read, and per source the records kept for stateful rules.
    let mut sources: Vec<&str> = rules.iter().map(|r| r.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut kept: std::collections::HashMap<&str, Vec<Value>> = std::collections::HashMap::new();
    let stateful: std::collections::HashSet<&str> = rules
        .iter()
        .filter(|r| r.stage.is_some())
        .map(|r| r.source.as_str())
        .collect();
    for e in read {
        let fields = router.fields(&e.value);
        // Decided once per event and source.
        let of: std::collections::HashMap<&str, bool> = sources
            .iter()
            .map(|s| (*s, router.accepts(&mut ev, s, &fields)))
            .collect();
        for r in rules.iter().filter(|r| r.stage.is_none()) {
            if of[r.source.as_str()] && ev.eval(&r.expr, &fields) {
                hits.push(Hit::Event {
                    rule: r.name.clone(),
                    line: e.line,
                    event: e.value.clone(),
                });
            }
        }
        for s in &sources {
            if of[s] && stateful.contains(s) {
                kept.entry(s).or_default().push(fields.clone());
            }
        }
    }
    for r in rules {
        let Some(st) = &r.stage else { continue };
        let ts = timestamp_field(catalog, r);
        let all = kept
            .get(r.source.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let now = query_time(None, all, &ts);
        for alert in stage::run(&mut ev, r, st, all, &ts, now) {
            hits.push(Hit::Alert {
                rule: r.name.clone(),
                alert,
            });
        }
    }
    (hits, bad)
}
