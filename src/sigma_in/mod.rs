//! Reading Sigma rules into tripline's IR.
//!
//! [`read`] turns one Sigma rule (one YAML document) into an [`ir::Rule`] and a synthetic
//! [`catalog::Source`] built from the rule itself: the `logsource` block copied, every field
//! the rule uses typed `string` (`number` when it is only compared with numbers, or with
//! `lt`/`lte`/`gt`/`gte`), each target's `Target::unmapped_source` (KQL: a placeholder
//! table `SigmaEvents`; SPL: the base search `index=*`), and no field mapping.
//!
//! Only what has an exact meaning in tripline is read; everything else is a coded refusal
//! (`tripline::sigma_in::<what>`) naming the construct. Notable decisions:
//! - Sigma `field: ''` matches only the empty string, while tripline's `missing` also holds
//!   for an absent field, so `''` is refused unless the same value list also has `null`
//!   (then the pair is exactly `missing`).
//! - Tripline globs have no escapes, so a value holding both an escaped wildcard (`\*`,
//!   `\?`) and a real one is refused; a value with escaped wildcards only is a plain string.
//! - A field compared with both strings and numbers is a string field, and its numbers are
//!   compared as their text; a field used with `lt`/`gt`… and with strings is refused.

use indexmap::IndexMap;
use miette::SourceSpan;
use serde_json::Value;

use crate::catalog::{self, FieldDef, FieldType};
use crate::ir::{self, CmpOp, Expr, Field, Number, Pred, Quant, Span, StrOp, Test};
use crate::yaml;

mod condition;
mod detection;
mod errors;
mod item;
mod lower;
mod meta;
pub mod modifiers;
mod retype;

use condition::Cond;
pub use errors::SigmaInError;

/// A Sigma rule read into tripline's IR, with the synthetic log source it is compiled for.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    /// The rule (its `source` is the key of [`SigmaRule::source`]: a catalog source name, or
    /// e.g. `sigma:windows/process_creation` for a logsource the catalog does not have).
    pub rule: ir::Rule,
    /// The log source: the catalog's, or one built from the rule's `logsource` and fields
    /// with placeholder targets.
    pub source: catalog::Source,
    /// Whether [`SigmaRule::source`] is the catalog's.
    pub in_catalog: bool,
    /// Coded warnings (a logsource the catalog does not have).
    pub warnings: Vec<SigmaInError>,
}

/// The expression in the checker's canonical form: `not not x` is `x`, and an `and` (`or`)
/// inside an `and` (`or`) is flattened into it.
fn canonical(e: Expr) -> Expr {
    match e {
        Expr::Not(x) => match canonical(*x) {
            Expr::Not(y) => *y,
            y => Expr::Not(Box::new(y)),
        },
        Expr::And(xs) => {
            let mut out = Vec::new();
            for x in xs {
                match canonical(x) {
                    Expr::And(ys) => out.extend(ys),
                    y => out.push(y),
                }
            }
            if out.len() == 1 {
                out.pop().unwrap_or(Expr::And(Vec::new()))
            } else {
                Expr::And(out)
            }
        }
        Expr::Or(xs) => {
            let mut out = Vec::new();
            for x in xs {
                match canonical(x) {
                    Expr::Or(ys) => out.extend(ys),
                    y => out.push(y),
                }
            }
            if out.len() == 1 {
                out.pop().unwrap_or(Expr::Or(Vec::new()))
            } else {
                Expr::Or(out)
            }
        }
        p => p,
    }
}

/// A keyword selection: the values searched in every string field of the catalog source,
/// one group (OR) per field, as the language defines keywords.
fn keyword_groups(fields: &[String], values: Vec<Scalar>, cased: bool, at: Span) -> Selection {
    fields
        .iter()
        .map(|f| {
            vec![Item {
                key: format!("{f}|contains"),
                field: f.clone(),
                op: Op::Str(StrOp::Contains),
                all: false,
                cased,
                re_flags: String::new(),
                re_i: false,
                values: values.clone(),
                span: at,
                keyword: false,
            }]
        })
        .collect()
}

/// Nesting limit for conditions (parentheses and `not`).
const MAX_DEPTH: usize = 128;

/// The first occurrence of `needle` in `text` at or after `from`, as a span (the empty span
/// at `from` when absent).
fn locate(text: &str, from: usize, needle: &str) -> Span {
    let from = from.min(text.len());
    let from = (0..=from)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    match text[from..].find(needle) {
        Some(i) if !needle.is_empty() => Span::new(from + i, from + i + needle.len()),
        _ => Span::new(from, from),
    }
}

fn sp(s: Span) -> SourceSpan {
    s.into()
}

/// A snake-case identifier from free text (`Suspicious Use Of X` → `suspicious_use_of_x`).
pub fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        "sigma_rule".to_string()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

/// Read one Sigma rule.
pub fn read(text: &str) -> Result<SigmaRule, Vec<SigmaInError>> {
    read_for(text, None, false)
}

/// Read one Sigma rule for `catalog`: its logsource names the catalog source
/// ([`catalog::Catalog::source_for_logsource`]), whose fields and types the rule must use.
/// A logsource the catalog does not have gives a placeholder source and a coded warning, or
/// with `strict` an error.
pub fn read_for(
    text: &str,
    catalog: Option<&catalog::Catalog>,
    strict: bool,
) -> Result<SigmaRule, Vec<SigmaInError>> {
    read_with(text, catalog, strict, None)
}

/// [`read_for`], with values for `expand` placeholders (`--placeholders FILE`).
pub fn read_with(
    text: &str,
    catalog: Option<&catalog::Catalog>,
    strict: bool,
    placeholders: Option<&modifiers::Placeholders>,
) -> Result<SigmaRule, Vec<SigmaInError>> {
    let Some(cat) = catalog else {
        return read_doc(text, None, placeholders);
    };
    // Keywords search the string fields of the catalog source the logsource names.
    let keyword_fields = logsource_of(text)
        .and_then(|ls| cat.source_for_logsource(&ls).map(str::to_string))
        .map(|name| {
            cat.sources[&name]
                .fields
                .iter()
                .filter(|(f, d)| {
                    d.ty() == FieldType::String
                        && cat.sources[&name].timestamp.as_deref() != Some(f.as_str())
                })
                .map(|(f, _)| f.clone())
                .collect::<Vec<_>>()
        });
    let mut r = read_doc(text, keyword_fields, placeholders)?;
    let ls_span = sp(locate(text, 0, "logsource"));
    let shown = || {
        let parts: Vec<String> = r
            .source
            .logsource
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        format!("{{{}}}", parts.join(", "))
    };
    let Some(name) = cat.source_for_logsource(&r.source.logsource) else {
        if strict {
            return Err(vec![SigmaInError::UnmappedLogsourceStrict {
                logsource: shown(),
                span: ls_span,
            }]);
        }
        r.warnings.push(SigmaInError::UnmappedLogsource {
            logsource: shown(),
            span: ls_span,
        });
        return Ok(r);
    };
    let src = &cat.sources[name];
    let errors = retype::retype(&mut r.rule.expr, name, src);
    if !errors.is_empty() {
        return Err(errors);
    }
    r.rule.source = name.to_string();
    r.source = src.clone();
    r.in_catalog = true;
    Ok(r)
}

/// Read one Sigma rule, with the string fields keyword selections search and the values of
/// `expand` placeholders.
fn read_doc(
    text: &str,
    keyword_fields: Option<Vec<String>>,
    placeholders: Option<&modifiers::Placeholders>,
) -> Result<SigmaRule, Vec<SigmaInError>> {
    let docs: Vec<Value> = yaml::from_str_all(text).map_err(|reason| {
        vec![SigmaInError::Yaml {
            reason,
            span: sp(Span::new(0, 0)),
        }]
    })?;
    let mut docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
    if docs.len() > 1 {
        let what = if docs.iter().any(|d| d.get("correlation").is_some()) {
            "a correlation"
        } else if docs.iter().any(|d| d.get("action").is_some()) {
            "an `action` collection"
        } else {
            "several rules"
        };
        let at = text.find("\n---").map(|i| i + 1).unwrap_or(0);
        return Err(vec![SigmaInError::MultiDocument {
            what: what.to_string(),
            span: sp(Span::new(at, at + 3)),
        }]);
    }
    let Some(doc) = docs.pop() else {
        return Err(vec![SigmaInError::Yaml {
            reason: "the file is empty".into(),
            span: sp(Span::new(0, 0)),
        }]);
    };
    let Value::Object(doc) = doc else {
        return Err(vec![SigmaInError::Yaml {
            reason: "the document is not a mapping".into(),
            span: sp(Span::new(0, 0)),
        }]);
    };
    let mut r = Reader {
        text,
        errors: Vec::new(),
        keyword_fields,
        placeholders,
        used_keywords: None,
        used_empty: None,
    }
    .rule(&doc)?;
    r.rule.expr = canonical(std::mem::replace(&mut r.rule.expr, Expr::And(Vec::new())));
    Ok(r)
}

/// The Sigma `logsource` of the first document of `text`, if it has one.
fn logsource_of(text: &str) -> Option<IndexMap<String, String>> {
    let docs: Vec<Value> = yaml::from_str_all(text).ok()?;
    let m = docs.first()?.get("logsource")?.as_object()?;
    Some(
        m.iter()
            .filter_map(|(k, v)| scalar_text(Some(v)).map(|t| (k.clone(), t)))
            .collect(),
    )
}

struct Reader<'t> {
    text: &'t str,
    errors: Vec<SigmaInError>,
    /// The catalog source's string fields, which keyword selections search (`None` when the
    /// logsource has no catalog source: keywords are then refused).
    keyword_fields: Option<Vec<String>>,
    /// Values for `expand` placeholders.
    placeholders: Option<&'t modifiers::Placeholders>,
    /// Whether a keyword selection was read (its meaning is the language's keyword search).
    used_keywords: Option<Span>,
    /// Where a lone `''` was first read as `missing` (a warning: Sigma's `''` alone does not
    /// match an absent field, the language's `missing` does).
    used_empty: Option<Span>,
}

/// A scalar value as written in a selection.
#[derive(Debug, Clone)]
enum Scalar {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
}

impl Scalar {
    fn of(v: &Value) -> Option<Scalar> {
        Some(match v {
            Value::String(s) => Scalar::Str(s.clone()),
            Value::Number(n) => Scalar::Num(n.to_string()),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Null => Scalar::Null,
            _ => return None,
        })
    }
}

/// The main operation of a field item.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Str(StrOp),
    Re,
    Cidr,
    Exists,
    Cmp(CmpOp),
    FieldRef,
}

/// One `field|modifiers: values` item.
#[derive(Debug, Clone)]
struct Item {
    key: String,
    field: String,
    op: Op,
    all: bool,
    cased: bool,
    re_flags: String,
    re_i: bool,
    values: Vec<Scalar>,
    span: Span,
    /// A keyword item (`'|all': [...]`, no field name): `field` is empty and each value is
    /// a keyword over the source's string fields.
    keyword: bool,
}

impl Item {
    /// Used only with numbers and plain equality (a candidate `number` field).
    fn numeric_eq(&self) -> bool {
        self.op == Op::Str(StrOp::Eq)
            && !self.cased
            && self.values.iter().any(|v| matches!(v, Scalar::Num(_)))
            && self
                .values
                .iter()
                .all(|v| matches!(v, Scalar::Num(_) | Scalar::Null))
    }
    /// Used as a string (decides the `string` type).
    fn stringy(&self) -> bool {
        match self.op {
            Op::Exists => false,
            Op::Cmp(_) => false,
            Op::Str(StrOp::Eq) => {
                !self.numeric_eq() && self.values.iter().any(|v| !matches!(v, Scalar::Null))
            }
            _ => true,
        }
    }
}

/// A selection: an OR of ANDs of items.
type Selection = Vec<Vec<Item>>;

fn and(mut xs: Vec<Expr>) -> Expr {
    if xs.len() == 1 {
        return xs.remove(0);
    }
    let mut out = Vec::new();
    for x in xs {
        match x {
            Expr::And(ys) => out.extend(ys),
            y => out.push(y),
        }
    }
    Expr::And(out)
}

fn or(mut xs: Vec<Expr>) -> Expr {
    if xs.len() == 1 {
        return xs.remove(0);
    }
    let mut out = Vec::new();
    for x in xs {
        match x {
            Expr::Or(ys) => out.extend(ys),
            y => out.push(y),
        }
    }
    Expr::Or(out)
}

/// A Sigma string value: a plain string, or a glob pattern.
enum Parsed {
    Plain(String),
    Glob(String),
    /// Escaped and real wildcards together: the language's glob has no escape, so the value
    /// is an unanchored regex body (`*` is `.*`, `?` is `.`, everything else literal).
    Regex(String),
}

/// Split a Sigma string into literal text and wildcards.
fn parse_sigma_string(s: &str) -> Parsed {
    let mut plain = String::new();
    let mut glob = String::new();
    let mut regex = String::new();
    let mut wild = false;
    let mut escaped_wild = false;
    fn literal(c: char, plain: &mut String, glob: &mut String, regex: &mut String) {
        plain.push(c);
        glob.push(c);
        regex.push_str(&regex_syntax::escape(c.encode_utf8(&mut [0; 4])));
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?')) => {
                    chars.next();
                    escaped_wild = true;
                    literal(n, &mut plain, &mut glob, &mut regex);
                }
                Some('\\') => {
                    chars.next();
                    literal('\\', &mut plain, &mut glob, &mut regex);
                }
                _ => literal('\\', &mut plain, &mut glob, &mut regex),
            },
            '*' | '?' => {
                wild = true;
                glob.push(c);
                regex.push_str(if c == '*' { ".*" } else { "." });
            }
            c => literal(c, &mut plain, &mut glob, &mut regex),
        }
    }
    match (wild, escaped_wild) {
        (true, true) => Parsed::Regex(regex),
        (true, false) => Parsed::Glob(glob),
        (false, _) => Parsed::Plain(plain),
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(xs)) => xs
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn scalar_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Reader<'_> {
    fn at(&self, from: usize, needle: &str) -> Span {
        locate(self.text, from, needle)
    }

    fn rule(
        mut self,
        doc: &serde_json::Map<String, Value>,
    ) -> Result<SigmaRule, Vec<SigmaInError>> {
        if doc.contains_key("correlation") {
            return Err(vec![SigmaInError::Correlation {
                span: sp(self.at(0, "correlation")),
            }]);
        }
        if doc.contains_key("action") {
            return Err(vec![SigmaInError::MultiDocument {
                what: "an `action` collection".into(),
                span: sp(self.at(0, "action")),
            }]);
        }
        let title = match doc.get("title") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => {
                self.errors.push(SigmaInError::BadKey {
                    key: "title".into(),
                    reason: "a rule needs a non-empty string title".into(),
                    span: sp(self.at(0, "title")),
                });
                String::new()
            }
        };
        let logsource = self.logsource(doc);
        let det_at = self.at(0, "detection").start;
        let expr = match doc.get("detection") {
            Some(Value::Object(det)) => self.detection(det, det_at),
            _ => {
                self.errors.push(SigmaInError::BadKey {
                    key: "detection".into(),
                    reason: "a rule needs a `detection` mapping".into(),
                    span: sp(self.at(0, "detection")),
                });
                None
            }
        };
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let Some((expr, fields)) = expr else {
            return Err(self.errors);
        };

        let meta = meta::meta(doc, title);
        let (source_name, source) = placeholder_source(&meta.title, logsource, fields);
        let rule = ir::Rule {
            name: identifier(&meta.title),
            meta,
            source: source_name,
            expr,
            span: Span::new(0, self.text.len()),
            stage: None,
            tests: Vec::new(),
            test_files: Vec::new(),
            stream_tests: Vec::new(),
        };
        let warnings = self
            .used_keywords
            .map(|at| SigmaInError::KeywordsAsFields { span: sp(at) })
            .into_iter()
            .chain(
                self.used_empty
                    .map(|at| SigmaInError::EmptyIsMissing { span: sp(at) }),
            )
            .collect();
        Ok(SigmaRule {
            rule,
            source,
            in_catalog: false,
            warnings,
        })
    }

    /// The rule's `logsource` mapping (its scalar values as text).
    fn logsource(&mut self, doc: &serde_json::Map<String, Value>) -> IndexMap<String, String> {
        let mut logsource: IndexMap<String, String> = IndexMap::new();
        match doc.get("logsource") {
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    if let Some(t) = scalar_text(Some(v)) {
                        logsource.insert(k.clone(), t);
                    }
                }
            }
            _ => self.errors.push(SigmaInError::BadKey {
                key: "logsource".into(),
                reason: "a rule needs a `logsource` mapping".into(),
                span: sp(self.at(0, "logsource")),
            }),
        }
        logsource
    }
}

/// The placeholder source of a rule read without the catalog: named after its logsource
/// (`sigma:windows/process_creation`), with the fields the rule uses and what each target
/// needs for a source without a catalog entry.
fn placeholder_source(
    title: &str,
    logsource: IndexMap<String, String>,
    fields: IndexMap<String, FieldType>,
) -> (String, catalog::Source) {
    let parts: Vec<&str> = ["product", "category", "service"]
        .iter()
        .filter_map(|k| logsource.get(*k).map(String::as_str))
        .collect();
    let source_name = if parts.is_empty() {
        "sigma:any".to_string()
    } else {
        format!("sigma:{}", parts.join("/"))
    };
    let mut targets = IndexMap::new();
    for t in crate::targets::registry() {
        for key in t.catalog_keys() {
            targets.insert(key, t.unmapped_source());
        }
    }
    let source = catalog::Source {
        description: format!("Sigma logsource of `{title}`"),
        logsource,
        timestamp: None,
        record: None,
        recognize: None,
        fields: fields
            .into_iter()
            .map(|(k, t)| (k, FieldDef::new(t)))
            .collect(),
        targets,
    };
    (source_name, source)
}
