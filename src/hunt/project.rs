//! Parsing only what the rules read: an event's JSON is built into a value holding just the
//! keys some rule, recognition predicate, record shape, stage or report can look up; every
//! other value is skipped without being built. Evaluating the projected event gives the
//! same verdicts as evaluating the whole one, because every lookup the evaluator, the record
//! shapes and the stages make goes through keys in the set (checked against whole parsing
//! by the engine tests). The whole event is parsed again only to be written out.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::catalog::{Catalog, FieldType};
use crate::ir::{Expr, Field, Rule, Stage, Test};

/// The keys an event is projected onto.
#[derive(Debug, Default)]
pub struct Keys {
    /// Keys kept (their values projected in turn).
    keep: HashSet<String>,
    /// Keys kept whole (`json` fields, compared through their JSON text).
    whole: HashSet<String>,
    /// Keys whose object keeps every key (a record's `a.*` spread: every object under `a`
    /// is spread, whatever its name).
    every: HashSet<String>,
}

impl Keys {
    /// The keys `rules` (over `catalog`), their sources' recognition predicates, timestamp
    /// and entity fields, and every record shape can read.
    pub fn of(rules: &[Rule], extra: &[&Expr], names: &[&str], catalog: &Catalog) -> Keys {
        let mut k = Keys::default();
        for r in rules {
            k.expr(&r.expr);
            if let Some(st) = &r.stage {
                k.stage(st);
            }
        }
        for e in extra {
            k.expr(e);
        }
        for n in names {
            k.name(n);
        }
        for rec in catalog.records.values() {
            k.name(&rec.detect);
            for (f, paths) in &rec.fields {
                k.name(f);
                paths.iter().for_each(|p| k.name(p));
            }
            for s in &rec.spread {
                match s.strip_suffix(".*") {
                    Some(parent) => {
                        k.name(parent);
                        let last = parent.rsplit('.').next().unwrap_or(parent);
                        k.every.insert(last.to_string());
                    }
                    None => k.name(s),
                }
            }
        }
        // The record shapes read `#text` values under the keys above.
        k.keep.insert("#text".into());
        k.keep.insert("#attributes".into());
        k
    }

    /// A field name: itself (a flat key) and each dotted segment (a nested path).
    fn name(&mut self, n: &str) {
        self.keep.insert(n.to_string());
        for seg in n.split('.') {
            self.keep.insert(seg.to_string());
        }
    }

    fn field(&mut self, f: &Field) {
        self.name(&f.name);
        if f.ty == FieldType::Json {
            self.whole.insert(f.name.clone());
            if let Some(last) = f.name.rsplit('.').next() {
                self.whole.insert(last.to_string());
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        for p in e.preds() {
            self.field(&p.field);
            if let Test::FieldEq { other, .. } = &p.test {
                self.field(other);
            }
        }
    }

    fn stage(&mut self, st: &Stage) {
        for f in st.fields() {
            self.field(f);
        }
        if let Stage::Sequence { steps, .. } = st {
            steps.iter().for_each(|s| self.expr(&s.expr));
        }
    }

    /// Whether a spread object's key `k` can become a field some rule reads.
    fn kept(&self, k: &str) -> bool {
        self.keep.contains(k)
            || (k.contains(' ') && self.keep.contains(&k.replace(' ', "")))
            || self.whole.contains(k)
    }

    /// Parse the JSON text `line` onto these keys.
    pub fn parse(&self, line: &str) -> serde_json::Result<Value> {
        let mut de = serde_json::Deserializer::from_str(line);
        let v = Project {
            keys: self,
            every: false,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }
}

struct Project<'k> {
    keys: &'k Keys,
    /// Keep every key of this object.
    every: bool,
}

impl<'de> DeserializeSeed<'de> for Project<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Project<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(x) = seq.next_element_seed(Project {
            keys: self.keys,
            every: false,
        })? {
            out.push(x);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key_seed(KeySeed)? {
            let k: &str = &k;
            if self.keys.whole.contains(k) {
                let v: Value = map.next_value()?;
                out.insert(k.to_string(), v);
            } else if self.every || self.keys.kept(k) {
                let v = map.next_value_seed(Project {
                    keys: self.keys,
                    every: self.keys.every.contains(k),
                })?;
                out.insert(k.to_string(), v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }
}

/// A key, borrowed from the text when it has no escapes.
struct KeySeed;

enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl std::ops::Deref for Key<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}
