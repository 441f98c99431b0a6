//! Which log source a record belongs to, decided the way the targets decide it: each record
//! is read through its raw shape (`catalog::normalize`) and a rule only sees the records its
//! source's `recognize` predicate accepts — as the Sentinel row filter and the Splunk base
//! search only give a query its source's rows.

use std::collections::HashMap;

use serde_json::Value;

use crate::catalog::Catalog;
use crate::eval::Evaluator;
use crate::ir;

/// Recognition predicates, compiled once per source.
pub struct Router<'c> {
    catalog: &'c Catalog,
    /// Per source: its predicate (`None`: every record is of the source).
    compiled: HashMap<String, Option<ir::Expr>>,
}

impl<'c> Router<'c> {
    /// A router over `catalog`'s sources.
    pub fn new(catalog: &'c Catalog) -> Router<'c> {
        Router {
            catalog,
            compiled: HashMap::new(),
        }
    }

    /// A raw record as its fields (through the catalog's record shapes).
    pub fn fields(&self, raw: &Value) -> Value {
        crate::catalog::normalize(self.catalog, raw).0
    }

    /// The recognition predicate of `source` (`None`: every record). A predicate that does
    /// not compile (the catalog checks report it) recognises nothing.
    pub fn predicate(&mut self, source: &str) -> Option<&ir::Expr> {
        let catalog = self.catalog;
        self.compiled
            .entry(source.to_string())
            .or_insert_with(|| {
                let src = catalog.sources.get(source)?;
                let text = &src.recognize.as_ref()?.text;
                Some(
                    crate::check::recognizer(source, src, text)
                        .unwrap_or_else(|_| ir::Expr::Or(Vec::new())),
                )
            })
            .as_ref()
    }

    /// Whether `event` (already read through [`Router::fields`]) is a record of `source`.
    pub fn accepts(&mut self, ev: &mut Evaluator, source: &str, event: &Value) -> bool {
        match self.predicate(source) {
            None => true,
            Some(p) => ev.eval(p, event),
        }
    }

    /// The records of `source` among raw `events`, each read through its shape, in order.
    pub fn of_source(&mut self, ev: &mut Evaluator, source: &str, events: &[Value]) -> Vec<Value> {
        let mut out = Vec::new();
        for e in events {
            let fields = self.fields(e);
            if self.accepts(ev, source, &fields) {
                out.push(fields);
            }
        }
        out
    }

    /// The recognition text of `source`, for explanations.
    pub fn text(&self, source: &str) -> Option<&str> {
        self.catalog
            .sources
            .get(source)
            .and_then(|s| s.recognize.as_ref())
            .map(|r| r.text.as_str())
    }
}
