//! One block of events through the plan: prefilter, parse, recognise, evaluate. Blocks
//! are independent, so they run in parallel; what a block finds is merged in input order.

use std::cell::RefCell;
use std::sync::Arc;

use serde_json::Value;

use super::input::{BadRecord, Block};
use super::plan::Plan;
use super::prefilter::Scratch;
use crate::eval::{stage, value, Evaluator, Val};

/// An event matched by a single-event rule.
pub struct Found {
    /// The rule (index into the plan's rules).
    pub rule: usize,
    /// Line or record.
    pub at: u64,
    /// The event as read.
    pub event: Value,
    /// Its time, as written in the source's timestamp field.
    pub time: Option<String>,
    /// The source's entity fields the event has, with their values.
    pub keys: Vec<(String, String)>,
}

/// An event a stateful rule's stage takes, with its time (ms) and its fields.
pub struct Feed {
    /// The rule.
    pub rule: usize,
    /// The event time.
    pub t: i64,
    /// The event as its source's fields.
    pub fields: Value,
}

/// What one block gave.
pub struct BlockOut {
    /// The input it came from.
    pub file: Arc<str>,
    /// Matches, in input then rule order.
    pub found: Vec<Found>,
    /// Events for stages, in input order.
    pub feeds: Vec<Feed>,
    /// Per source (index into the plan's sources): the latest event time, where wanted.
    pub latest: Vec<Option<i64>>,
    /// Events (JSON objects) read.
    pub events: u64,
    /// Events parsed and routed (the others could match no rule).
    pub examined: u64,
    /// Examined events that no loaded rule's source recognises.
    pub unrecognised: u64,
    /// Lines that are not events.
    pub bad: Vec<BadRecord>,
    /// Bytes of event text.
    pub bytes: u64,
}

struct Local {
    ev: Evaluator,
    scratch: Scratch,
    candidates: Vec<u32>,
}

thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local {
        ev: Evaluator::new(),
        scratch: Scratch::default(),
        candidates: Vec::new(),
    });
}

/// Run `block` through `plan`.
pub fn process(plan: &Plan, block: &Block) -> BlockOut {
    LOCAL.with(|l| process_with(plan, block, &mut l.borrow_mut()))
}

fn process_with(plan: &Plan, block: &Block, local: &mut Local) -> BlockOut {
    let mut out = BlockOut {
        file: block.file.clone(),
        found: Vec::new(),
        feeds: Vec::new(),
        latest: vec![None; plan.sources.len()],
        events: 0,
        examined: 0,
        unrecognised: 0,
        bad: block.bad.clone(),
        bytes: block.text.len() as u64,
    };
    let all: Vec<u32> = (0..plan.consumers() as u32).collect();
    let Local {
        ev,
        scratch,
        candidates: cand,
    } = local;
    for (i, line) in block.text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let at = block.numbers.at(i);
        let candidates: &[u32] = match &plan.prefilter {
            Some(f) => {
                f.for_line(line.as_bytes())
                    .candidates(line.as_bytes(), scratch, cand);
                cand
            }
            None => &all,
        };
        if candidates.is_empty() {
            match validate(line) {
                Ok(()) => out.events += 1,
                Err(bad) => out.bad.push(bad.at(at)),
            }
            continue;
        }
        let raw: Value = match plan.keys.parse(line) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                out.bad.push(Bad::NotObject.at(at));
                continue;
            }
            Err(e) => {
                out.bad.push(Bad::NotJson(e.to_string()).at(at));
                continue;
            }
        };
        out.events += 1;
        out.examined += 1;
        route(plan, ev, candidates, at, line, raw, &mut out);
    }
    out
}

/// One parsed event through its candidate consumers.
#[allow(clippy::too_many_arguments)]
fn route(
    plan: &Plan,
    ev: &mut Evaluator,
    candidates: &[u32],
    at: u64,
    line: &str,
    raw: Value,
    out: &mut BlockOut,
) {
    let fields = crate::catalog::normalize(plan.catalog, &raw).0;
    // Per source: 0 not decided, 1 recognised, 2 not.
    let mut recognised = vec![0u8; plan.sources.len()];
    let mut is = |ev: &mut Evaluator, s: usize| {
        if recognised[s] == 0 {
            let yes = match &plan.sources[s].recognizer {
                None => true,
                Some(p) => ev.eval(p, &fields),
            };
            recognised[s] = if yes { 1 } else { 2 };
        }
        recognised[s] == 1
    };
    let n_rules = plan.rules.len();
    let mut any = false;
    for &c in candidates {
        let c = c as usize;
        if c >= n_rules {
            let s = plan.time_sources[c - n_rules];
            if is(ev, s) {
                any = true;
                if let Some(t) = stage::event_time(&fields, &plan.sources[s].timestamp) {
                    out.latest[s] = out.latest[s].max(Some(t));
                }
            }
            continue;
        }
        let s = plan.rule_source[c];
        if !is(ev, s) {
            continue;
        }
        any = true;
        let rule = &plan.rules[c];
        match &rule.stage {
            None => {
                if ev.eval(&rule.expr, &fields) {
                    out.found.push(found(plan, c, s, at, line, &fields));
                }
            }
            Some(st) => {
                let Some(t) = stage::event_time(&fields, &plan.sources[s].timestamp) else {
                    continue;
                };
                if stage::relevant(ev, rule, st, &fields) {
                    out.feeds.push(Feed {
                        rule: c,
                        t,
                        fields: fields.clone(),
                    });
                }
            }
        }
    }
    if !any && !(0..plan.sources.len()).any(|s| is(ev, s)) {
        out.unrecognised += 1;
    }
}

fn found(plan: &Plan, rule: usize, s: usize, at: u64, line: &str, fields: &Value) -> Found {
    let src = &plan.sources[s];
    let text = |name: &str| match value(fields, name) {
        Val::Text(t) => Some(t.into_owned()),
        _ => None,
    };
    Found {
        rule,
        at,
        // The whole event, for the report (it was parsed onto the rules' keys only).
        event: serde_json::from_str(line).unwrap_or(Value::Null),
        time: text(&src.timestamp),
        keys: src
            .entity_fields
            .iter()
            .filter_map(|f| text(f).map(|v| (f.clone(), v)))
            .collect(),
    }
}

enum Bad {
    NotJson(String),
    NotObject,
}

impl Bad {
    fn at(self, at: u64) -> BadRecord {
        match self {
            Bad::NotJson(reason) => BadRecord {
                at,
                code: "not_json",
                reason,
            },
            Bad::NotObject => BadRecord {
                at,
                code: "not_object",
                reason: "not a JSON object".into(),
            },
        }
    }
}

/// Check that a line the prefilter rejected is still a JSON object, without building it.
fn validate(line: &str) -> Result<(), Bad> {
    match serde_json::from_str::<serde::de::IgnoredAny>(line) {
        Err(e) => Err(Bad::NotJson(e.to_string())),
        Ok(_) if !line.trim_start().starts_with('{') => Err(Bad::NotObject),
        Ok(_) => Ok(()),
    }
}
