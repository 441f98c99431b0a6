//! What a hunt read and found: counts, per-rule hits, the lines that were not events.

use std::collections::BTreeMap;

use serde_json::json;

use super::worker::BlockOut;
use crate::ir::Rule;

/// How many bad lines are kept with their text (the others are only counted).
const KEEP_BAD: usize = 100;

/// A line (or record) that is not an event.
#[derive(Debug, Clone)]
pub struct BadLine {
    /// The input.
    pub file: String,
    /// 1-based line or record.
    pub at: u64,
    /// Stable reason code.
    pub code: &'static str,
    /// Why.
    pub reason: String,
}

/// The summary of a hunt.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Rule names, in library order.
    pub rules: Vec<String>,
    /// Per rule: matches (single-event rules) or alerts (stateful rules).
    pub hits: Vec<u64>,
    /// Bytes of event text read.
    pub bytes: u64,
    /// Events read.
    pub events: u64,
    /// Events parsed and routed to rules (the rest held none of any rule's literals).
    pub examined: u64,
    /// Examined events no loaded rule's source recognises.
    pub unrecognised: u64,
    /// Bad lines by reason code.
    pub bad_by_code: BTreeMap<&'static str, u64>,
    /// The first bad lines.
    pub bad: Vec<BadLine>,
    /// Stateful rules whose state reached `--max-state` (their alerts may be incomplete).
    pub state_limited: Vec<String>,
}

impl Summary {
    pub(super) fn new(rules: &[Rule]) -> Summary {
        Summary {
            rules: rules.iter().map(|r| r.name.clone()).collect(),
            hits: vec![0; rules.len()],
            bytes: 0,
            events: 0,
            examined: 0,
            unrecognised: 0,
            bad_by_code: BTreeMap::new(),
            bad: Vec::new(),
            state_limited: Vec::new(),
        }
    }

    pub(super) fn add_block(&mut self, o: &BlockOut) {
        self.bytes += o.bytes;
        self.events += o.events;
        self.examined += o.examined;
        self.unrecognised += o.unrecognised;
        for b in &o.bad {
            *self.bad_by_code.entry(b.code).or_default() += 1;
            if self.bad.len() < KEEP_BAD {
                self.bad.push(BadLine {
                    file: o.file.to_string(),
                    at: b.at,
                    code: b.code,
                    reason: b.reason.clone(),
                });
            }
        }
    }

    /// Bad lines in all.
    pub fn bad_lines(&self) -> u64 {
        self.bad_by_code.values().sum()
    }

    /// The summary as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let hits: serde_json::Map<String, serde_json::Value> = self
            .rules
            .iter()
            .zip(&self.hits)
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| (r.clone(), json!(n)))
            .collect();
        json!({
            "bytes": self.bytes,
            "events": self.events,
            "examined": self.examined,
            "unrecognised": self.unrecognised,
            "bad": self.bad_by_code,
            "hits": hits,
            "state_limited": self.state_limited,
        })
    }

    /// The summary for people.
    pub fn human(&self) -> String {
        let mut s = format!(
            "{} events read ({:.1} MB); {} examined, {} passed over by the prefilter; {} not recognised as any loaded rule's source\n",
            self.events,
            self.bytes as f64 / 1e6,
            self.examined,
            self.events - self.examined.min(self.events),
            self.unrecognised,
        );
        let bad = self.bad_lines();
        if bad > 0 {
            let codes: Vec<String> = self
                .bad_by_code
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect();
            s += &format!("{bad} lines skipped ({})\n", codes.join(", "));
        }
        let total: u64 = self.hits.iter().sum();
        let matched = self.hits.iter().filter(|n| **n > 0).count();
        s += &format!(
            "{total} hits from {matched} of {} rules\n",
            self.rules.len()
        );
        let mut by: Vec<(&String, &u64)> = self
            .rules
            .iter()
            .zip(&self.hits)
            .filter(|(_, n)| **n > 0)
            .collect();
        by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (r, n) in by {
            s += &format!("  {n:>8}  {r}\n");
        }
        s
    }
}
