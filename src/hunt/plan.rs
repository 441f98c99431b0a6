//! What a hunt does before it reads an event: each rule's source and recognition
//! predicate, the sources whose event times a `new` stage needs, and the prefilter over
//! every rule's required literals.

use crate::catalog::Catalog;
use crate::hunt::literals::{self, both};
use crate::hunt::prefilter::Prefilter;
use crate::ir::{self, Expr, Stage};

/// A log source some rule reads.
pub struct SourcePlan {
    /// Its catalog name.
    pub name: String,
    /// Its recognition predicate (`None`: every record).
    pub recognizer: Option<Expr>,
    /// The field holding the event time.
    pub timestamp: String,
    /// Whether its latest event time is needed (a `new` stage's query time).
    pub needs_time: bool,
    /// The fields that identify something (users, hosts, addresses), for tables.
    pub entity_fields: Vec<String>,
}

/// The compiled hunt.
pub struct Plan<'a> {
    /// The rules, in library order.
    pub rules: &'a [ir::Rule],
    /// The catalog events are read through.
    pub catalog: &'a Catalog,
    /// The sources the rules read.
    pub sources: Vec<SourcePlan>,
    /// Per rule: its source (an index into `sources`).
    pub rule_source: Vec<usize>,
    /// Consumers `0..rules.len()` are the rules; consumer `rules.len() + j` wants the
    /// event time of source `time_sources[j]`.
    pub time_sources: Vec<usize>,
    /// The prefilter over all consumers (`None`: every event goes to every rule).
    pub prefilter: Option<Filters>,
    /// The keys events are parsed onto.
    pub keys: crate::hunt::project::Keys,
}

/// The prefilters: one that also uses field names and whole numbers as literals, for
/// events whose text allows it ([`literals::rich_ok`]), and one without them.
pub struct Filters {
    /// With field names and numbers.
    pub keyed: Prefilter,
    /// Without.
    pub plain: Prefilter,
}

impl Filters {
    /// The prefilter for the event whose text is `line`.
    pub fn for_line(&self, line: &[u8]) -> &Prefilter {
        if literals::rich_ok(line) {
            &self.keyed
        } else {
            &self.plain
        }
    }
}

impl<'a> Plan<'a> {
    /// Plan `rules` over `catalog`; `prefilter: false` evaluates every rule on every event.
    pub fn new(rules: &'a [ir::Rule], catalog: &'a Catalog, prefilter: bool) -> Plan<'a> {
        let mut sources: Vec<SourcePlan> = Vec::new();
        let mut rule_source = Vec::with_capacity(rules.len());
        for r in rules {
            let i = match sources.iter().position(|s| s.name == r.source) {
                Some(i) => i,
                None => {
                    sources.push(source_plan(catalog, &r.source));
                    sources.len() - 1
                }
            };
            if matches!(r.stage, Some(Stage::FirstSeen { .. })) {
                sources[i].needs_time = true;
            }
            rule_source.push(i);
        }
        let time_sources: Vec<usize> = (0..sources.len())
            .filter(|i| sources[*i].needs_time)
            .collect();
        let filter = |keys: Option<&Catalog>| {
            let mut sets: Vec<Option<literals::Alternatives>> = rules
                .iter()
                .zip(&rule_source)
                // The rule's own literals when it has any: a source's (its channel, say)
                // occur in every event of the source.
                .map(|(r, s)| {
                    rule_literals(r, keys).or_else(|| recognizer_literals(&sources[*s], keys))
                })
                .collect();
            sets.extend(
                time_sources
                    .iter()
                    .map(|s| recognizer_literals(&sources[*s], keys)),
            );
            Prefilter::new(&sets)
        };
        let prefilter = prefilter.then(|| Filters {
            keyed: filter(Some(catalog)),
            plain: filter(None),
        });
        let extra: Vec<&Expr> = sources
            .iter()
            .filter_map(|s| s.recognizer.as_ref())
            .collect();
        let mut names: Vec<&str> = Vec::new();
        for s in &sources {
            names.push(&s.timestamp);
            names.extend(s.entity_fields.iter().map(String::as_str));
        }
        let keys = crate::hunt::project::Keys::of(rules, &extra, &names, catalog);
        Plan {
            keys,
            rules,
            catalog,
            sources,
            rule_source,
            time_sources,
            prefilter,
        }
    }

    /// Number of prefilter consumers (rules, then time consumers).
    pub fn consumers(&self) -> usize {
        self.rules.len() + self.time_sources.len()
    }
}

fn recognizer_literals(s: &SourcePlan, keys: Option<&Catalog>) -> Option<literals::Alternatives> {
    s.recognizer
        .as_ref()
        .and_then(|p| literals::required(p, keys))
}

/// What an event must hold for the rule to use it: its `match`, and for a sequence some
/// step too.
fn rule_literals(r: &ir::Rule, keys: Option<&Catalog>) -> Option<literals::Alternatives> {
    let own = literals::required(&r.expr, keys);
    match &r.stage {
        Some(Stage::Sequence { steps, .. }) => {
            let any = Expr::Or(steps.iter().map(|s| s.expr.clone()).collect());
            both(own, literals::required(&any, keys))
        }
        _ => own,
    }
}

fn source_plan(catalog: &Catalog, name: &str) -> SourcePlan {
    let src = catalog.sources.get(name);
    let recognizer = src.and_then(|s| {
        let text = &s.recognize.as_ref()?.text;
        // A predicate that does not compile (the catalog checks report it) recognises
        // nothing, as in `tripline test`.
        Some(crate::check::recognizer(name, s, text).unwrap_or_else(|_| Expr::Or(Vec::new())))
    });
    SourcePlan {
        name: name.to_string(),
        recognizer,
        timestamp: src.and_then(|s| s.timestamp.clone()).unwrap_or_default(),
        needs_time: false,
        entity_fields: src
            .map(|s| {
                s.fields
                    .iter()
                    .filter(|(_, f)| f.entity.is_some())
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default(),
    }
}
