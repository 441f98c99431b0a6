//! SigmaHQ's positive regression tests, run natively: each test names a Sigma rule by id and
//! holds the Windows events recorded for it (EVTX exported as JSON); the rule, read against
//! the catalog, must match at least one of them once each event is read through its record
//! shape and recognised as a record of the rule's source.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{read_events, Router};
use crate::catalog::Catalog;
use crate::eval::Evaluator;

/// One regression test's outcome.
#[derive(Debug, Clone)]
pub struct RegressionResult {
    /// The test's folder, relative to the regression data.
    pub test: String,
    /// The rule's id.
    pub rule_id: String,
    /// The catalog source the rule was read for (or the placeholder's name).
    pub source: String,
    /// How many events it holds, and how many the rule matched.
    pub events: usize,
    /// Events recognised as records of the rule's source.
    pub recognised: usize,
    /// Events the rule matched.
    pub matched: usize,
    /// Why it did not pass, when it did not.
    pub failure: Option<String>,
}

/// Every `id:` of the Sigma rules under `corpus`, with its file.
pub fn index_rules(corpus: &Path) -> HashMap<String, PathBuf> {
    let mut out = HashMap::new();
    for e in walkdir::WalkDir::new(corpus)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let p = e.path();
        if !p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        // The first `id:` at the top level.
        if let Some(id) = text.lines().find_map(|l| {
            l.strip_prefix("id:")
                .map(|v| v.trim().trim_matches('\'').trim_matches('"'))
        }) {
            out.insert(id.to_lowercase(), p.to_path_buf());
        }
    }
    out
}

/// Run every test under `regression` (folders holding `info.yml`) with the rules of `corpus`.
pub fn run(corpus: &Path, regression: &Path, catalog: &Catalog) -> Vec<RegressionResult> {
    let rules = index_rules(corpus);
    let mut infos: Vec<PathBuf> = walkdir::WalkDir::new(regression)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "info.yml")
        .map(|e| e.into_path())
        .collect();
    infos.sort();
    let mut router = Router::new(catalog);
    let mut ev = Evaluator::new();
    let mut out = Vec::new();
    for info in infos {
        let dir = info.parent().unwrap_or(Path::new(""));
        let test = dir
            .strip_prefix(regression)
            .unwrap_or(dir)
            .display()
            .to_string();
        let meta: Value = std::fs::read_to_string(&info)
            .ok()
            .and_then(|t| crate::yaml::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let rule_id = meta["rule_metadata"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        let mut r = RegressionResult {
            test,
            rule_id: rule_id.clone(),
            source: String::new(),
            events: 0,
            recognised: 0,
            matched: 0,
            failure: None,
        };
        let Some(rule_path) = rules.get(&rule_id) else {
            r.failure = Some(format!("no rule with id {rule_id} in the corpus"));
            out.push(r);
            continue;
        };
        let text = std::fs::read_to_string(rule_path).unwrap_or_default();
        let read = match crate::sigma_in::read_for(&text, Some(catalog), false) {
            Ok(read) => read,
            Err(es) => {
                use miette::Diagnostic;
                let codes: Vec<String> = es
                    .iter()
                    .map(|e| {
                        format!(
                            "{} ({e})",
                            e.code().map(|c| c.to_string()).unwrap_or_default()
                        )
                    })
                    .collect();
                r.failure = Some(format!("not read: {}", codes.join("; ")));
                out.push(r);
                continue;
            }
        };
        r.source = read.rule.source.clone();
        let events_path = dir.join(format!("{rule_id}.json"));
        let Ok(events_text) = std::fs::read_to_string(&events_path) else {
            r.failure = Some(format!("no events file {}", events_path.display()));
            out.push(r);
            continue;
        };
        let (events, _) = read_events(&events_text);
        r.events = events.len();
        for e in &events {
            let fields = router.fields(&e.value);
            if !router.accepts(&mut ev, &read.rule.source, &fields) {
                continue;
            }
            r.recognised += 1;
            if ev.eval(&read.rule.expr, &fields) {
                r.matched += 1;
            }
        }
        if r.matched == 0 {
            r.failure = Some(if r.recognised == 0 {
                format!(
                    "none of its {} events is a record of `{}` (recognize: {})",
                    r.events,
                    r.source,
                    router.text(&r.source).unwrap_or("none")
                )
            } else {
                format!(
                    "the rule matches none of the {} recognised events",
                    r.recognised
                )
            });
        }
        out.push(r);
    }
    out
}
