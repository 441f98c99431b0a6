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

pub mod modifiers;
mod retype;

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

/// Why a Sigma rule could not be read exactly.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum SigmaInError {
    /// Not YAML, or not a single mapping.
    #[error("not a Sigma rule: {reason}")]
    #[diagnostic(code(tripline::sigma_in::yaml))]
    Yaml {
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Several YAML documents (correlations, `action: global` collections).
    #[error("a file of several Sigma documents ({what}) is not supported")]
    #[diagnostic(
        code(tripline::sigma_in::multi_document),
        help("convert one rule per file; correlation rules and `action: global` collections are not read")
    )]
    MultiDocument {
        /// What the documents look like.
        what: String,
        /// Where.
        #[label("second document")]
        span: SourceSpan,
    },
    /// A correlation rule.
    #[error("Sigma correlation rules are not supported")]
    #[diagnostic(code(tripline::sigma_in::correlation))]
    Correlation {
        /// Where.
        #[label("correlation")]
        span: SourceSpan,
    },
    /// A required key is absent or has the wrong shape.
    #[error("`{key}`: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_key))]
    BadKey {
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Keyword search (a selection of bare values, or a field-less modifier).
    #[error("selection `{selection}` is a keyword (unfielded) search, which is not supported")]
    #[diagnostic(
        code(tripline::sigma_in::keywords),
        help("tripline keywords search the catalog's string fields; a Sigma keyword searches the whole event, which has no exact equivalent")
    )]
    Keywords {
        /// The selection.
        selection: String,
        /// Where.
        #[label("keywords")]
        span: SourceSpan,
    },
    /// A modifier tripline does not read.
    #[error("the Sigma modifier `{modifier}` is not supported")]
    #[diagnostic(code(tripline::sigma_in::unsupported_modifier), help("{why}"))]
    Modifier {
        /// The modifier.
        modifier: String,
        /// Why not.
        why: String,
        /// Where.
        #[label("in `{key}`")]
        span: SourceSpan,
        /// The field key.
        key: String,
    },
    /// Modifiers that do not go together.
    #[error("`{key}`: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_modifiers))]
    BadModifiers {
        /// The field key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// An empty-string value.
    #[error("`{key}`: the empty string is not supported")]
    #[diagnostic(
        code(tripline::sigma_in::empty_string),
        help("tripline has no `== \"\"`: an empty field is missing, and `missing` also holds for an absent field, which Sigma's `''` does not match; `[null, '']` together is read as `missing`")
    )]
    EmptyString {
        /// The field key.
        key: String,
        /// Where.
        #[label("empty value")]
        span: SourceSpan,
    },
    /// An escaped wildcard together with a real wildcard.
    #[error("`{key}`: `{value}` mixes escaped and real wildcards")]
    #[diagnostic(
        code(tripline::sigma_in::escaped_wildcard),
        help("tripline globs have no escapes: a literal `*` or `?` cannot sit in a pattern")
    )]
    EscapedWildcard {
        /// The field key.
        key: String,
        /// The value.
        value: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A value of a kind the modifiers cannot take.
    #[error("`{key}`: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_value))]
    BadValue {
        /// The field key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A regular expression outside the portable subset.
    #[error("`{key}`: the regular expression is outside tripline's portable subset: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_regex))]
    BadRegex {
        /// The field key.
        key: String,
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A CIDR network tripline does not accept.
    #[error("`{key}`: `{value}` is not an exact network: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_cidr))]
    BadCidr {
        /// The field key.
        key: String,
        /// The value.
        value: String,
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A field used both as a number (`lt`, `gt`…) and as a string.
    #[error("field `{field}` is compared both numerically and as a string")]
    #[diagnostic(code(tripline::sigma_in::type_conflict))]
    TypeConflict {
        /// The field.
        field: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A condition that does not parse or uses what is not supported.
    #[error("condition: {reason}")]
    #[diagnostic(code(tripline::sigma_in::condition))]
    Condition {
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A legacy aggregation (`| count() …`) or `timeframe`.
    #[error("Sigma aggregations (`{what}`) are not supported")]
    #[diagnostic(
        code(tripline::sigma_in::aggregation),
        help("legacy `| count()` conditions and `timeframe` are deprecated in Sigma; use a tripline `threshold` stage")
    )]
    Aggregation {
        /// The construct.
        what: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A condition names a selection that does not exist.
    #[error("condition: `{name}` names no selection")]
    #[diagnostic(code(tripline::sigma_in::unknown_selection))]
    UnknownSelection {
        /// The name or pattern.
        name: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Keywords read as the language's keyword search (a warning).
    #[error("keywords are read as: some string field of the log source contains the value")]
    #[diagnostic(
        code(tripline::sigma_in::keywords_as_fields),
        severity(Warning),
        help("Sigma leaves keyword search to each backend (full-text search, term search, ...); tripline searches the catalog source's string fields, the same on every target")
    )]
    KeywordsAsFields {
        /// Where.
        #[label("keywords")]
        span: SourceSpan,
    },
    /// A field that the catalog source of the rule's logsource does not have.
    #[error("unknown field `{field}` in log source `{source_name}`")]
    #[diagnostic(code(tripline::sigma_in::unknown_field))]
    UnknownField {
        /// The field.
        field: String,
        /// The catalog source.
        source_name: String,
        /// Where.
        #[label("not a field of `{source_name}`")]
        span: SourceSpan,
        /// Did you mean.
        #[help]
        help: String,
    },
    /// A test that does not apply to the field's catalog type.
    #[error("field `{field}` is of type {ty} in the catalog: {reason}")]
    #[diagnostic(
        code(tripline::sigma_in::field_type),
        help("the catalog types each field; `tripline sources <source>` shows the types")
    )]
    FieldType {
        /// The field.
        field: String,
        /// Its catalog type.
        ty: &'static str,
        /// Why the test does not apply.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A logsource that no catalog source has (a warning; an error with `--strict`).
    #[error("no catalog source has the logsource {logsource}: the rule is compiled for placeholder tables with Sigma's field names")]
    #[diagnostic(
        code(tripline::sigma_in::unmapped_logsource),
        severity(Warning),
        help("add the source to a catalog (--catalog FILE, see docs/catalog.md) to compile onto a real table; --strict makes this an error")
    )]
    UnmappedLogsource {
        /// The logsource, as written.
        logsource: String,
        /// Where.
        #[label("this logsource")]
        span: SourceSpan,
    },
    /// `--strict`: a logsource that no catalog source has.
    #[error("no catalog source has the logsource {logsource}")]
    #[diagnostic(
        code(tripline::sigma_in::unmapped_logsource_strict),
        help("add the source to a catalog (--catalog FILE, see docs/catalog.md), or drop --strict to compile onto placeholder tables")
    )]
    UnmappedLogsourceStrict {
        /// The logsource, as written.
        logsource: String,
        /// Where.
        #[label("this logsource")]
        span: SourceSpan,
    },
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
fn keyword_groups(fields: &[String], values: Vec<Scalar>, at: Span) -> Selection {
    fields
        .iter()
        .map(|f| {
            vec![Item {
                key: format!("{f}|contains"),
                field: f.clone(),
                op: Op::Str(StrOp::Contains),
                all: false,
                cased: false,
                re_flags: String::new(),
                re_i: false,
                values: values.clone(),
                span: at,
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
}

/// Split a Sigma string into literal text and wildcards. `Err(())` when it holds both an
/// escaped wildcard and a real one.
fn parse_sigma_string(s: &str) -> Result<Parsed, ()> {
    let mut plain = String::new();
    let mut glob = String::new();
    let mut wild = false;
    let mut escaped_wild = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?')) => {
                    chars.next();
                    escaped_wild = true;
                    plain.push(n);
                    glob.push(n);
                }
                Some('\\') => {
                    chars.next();
                    plain.push('\\');
                    glob.push('\\');
                }
                _ => {
                    plain.push('\\');
                    glob.push('\\');
                }
            },
            '*' | '?' => {
                wild = true;
                glob.push(c);
            }
            c => {
                plain.push(c);
                glob.push(c);
            }
        }
    }
    match (wild, escaped_wild) {
        (true, true) => Err(()),
        (true, false) => Ok(Parsed::Glob(glob)),
        (false, _) => Ok(Parsed::Plain(plain)),
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

        let meta = meta(doc, title);
        let parts: Vec<&str> = ["product", "category", "service"]
            .iter()
            .filter_map(|k| logsource.get(*k).map(String::as_str))
            .collect();
        let source_name = if parts.is_empty() {
            "sigma:any".to_string()
        } else {
            format!("sigma:{}", parts.join("/"))
        };
        // Each target says what it needs for a source without a catalog entry.
        let mut targets = IndexMap::new();
        for t in crate::targets::registry() {
            for key in t.catalog_keys() {
                targets.insert(key, t.unmapped_source());
            }
        }
        let source = catalog::Source {
            description: format!("Sigma logsource of `{}`", meta.title),
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
            .collect();
        Ok(SigmaRule {
            rule,
            source,
            in_catalog: false,
            warnings,
        })
    }

    /// The detection: the expression and the type of every field.
    fn detection(
        &mut self,
        det: &serde_json::Map<String, Value>,
        det_at: usize,
    ) -> Option<(Expr, IndexMap<String, FieldType>)> {
        let before = self.errors.len();
        if det.contains_key("timeframe") {
            self.errors.push(SigmaInError::Aggregation {
                what: "timeframe".into(),
                span: sp(self.at(det_at, "timeframe")),
            });
        }
        let mut sels: IndexMap<String, (Selection, Span)> = IndexMap::new();
        for (name, def) in det {
            if name == "condition" || name == "timeframe" {
                continue;
            }
            let at = self.at(det_at, &format!("{name}:"));
            if let Some(s) = self.selection(name, def, at) {
                sels.insert(name.clone(), (s, at));
            }
        }
        let cond_at = self.at(det_at, "condition");
        let conds: Vec<String> = match det.get("condition") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(xs)) if !xs.is_empty() => {
                let mut out = Vec::new();
                for x in xs {
                    match x {
                        Value::String(s) => out.push(s.clone()),
                        _ => {
                            self.errors.push(SigmaInError::BadKey {
                                key: "condition".into(),
                                reason: "each condition must be a string".into(),
                                span: sp(cond_at),
                            });
                            return None;
                        }
                    }
                }
                out
            }
            _ => {
                self.errors.push(SigmaInError::BadKey {
                    key: "condition".into(),
                    reason: "the detection needs a string `condition` (or a list of them)".into(),
                    span: sp(cond_at),
                });
                return None;
            }
        };
        if self.errors.len() > before {
            return None;
        }
        // Types: a field is a number when compared with lt/gt…, or only with numbers.
        let mut numeric: IndexMap<String, (bool, bool, bool, Span)> = IndexMap::new(); // (cmp, num_eq, stringy)
        for (sel, _) in sels.values() {
            for item in sel.iter().flatten() {
                let e = numeric
                    .entry(item.field.clone())
                    .or_insert((false, false, false, item.span));
                e.0 |= matches!(item.op, Op::Cmp(_));
                e.1 |= item.numeric_eq();
                e.2 |= item.stringy();
                if let Op::FieldRef = item.op {
                    for v in &item.values {
                        if let Scalar::Str(o) = v {
                            let f = numeric
                                .entry(o.clone())
                                .or_insert((false, false, true, item.span));
                            f.2 = true;
                        }
                    }
                }
            }
        }
        let mut types = IndexMap::new();
        for (f, (cmp, num_eq, stringy, span)) in &numeric {
            if *cmp && *stringy {
                self.errors.push(SigmaInError::TypeConflict {
                    field: f.clone(),
                    span: sp(*span),
                });
                continue;
            }
            let ty = if *cmp || (*num_eq && !*stringy) {
                FieldType::Number
            } else {
                FieldType::String
            };
            types.insert(f.clone(), ty);
        }
        if self.errors.len() > before {
            return None;
        }
        // Build each selection's expression.
        let mut built: IndexMap<String, Expr> = IndexMap::new();
        for (name, (sel, _)) in &sels {
            let mut alts = Vec::new();
            for group in sel {
                let mut parts = Vec::new();
                for item in group {
                    if let Some(e) = self.item(item, &types) {
                        parts.push(e);
                    }
                }
                if !parts.is_empty() {
                    alts.push(and(parts));
                }
            }
            if !alts.is_empty() {
                built.insert(name.clone(), or(alts));
            }
        }
        if self.errors.len() > before {
            return None;
        }
        let mut alts = Vec::new();
        for c in &conds {
            let span = self.at(cond_at.start, c);
            match Cond::new(c, &built, span).parse() {
                Ok(e) => alts.push(e),
                Err(e) => {
                    self.errors.push(e);
                    return None;
                }
            }
        }
        Some((or(alts), types))
    }

    /// One selection: a map (AND of items) or a list of maps (OR).
    fn selection(&mut self, name: &str, def: &Value, at: Span) -> Option<Selection> {
        let keywords = |at: Span| SigmaInError::Keywords {
            selection: name.to_string(),
            span: sp(at),
        };
        match def {
            Value::Object(m) => {
                let g = self.group(name, m, at)?;
                Some(vec![g])
            }
            Value::Array(xs)
                if !xs.is_empty()
                    && xs
                        .iter()
                        .all(|x| Scalar::of(x).is_some() && !x.is_null() && !x.is_boolean()) =>
            {
                match &self.keyword_fields {
                    Some(fields) if !fields.is_empty() => {
                        self.used_keywords = Some(at);
                        Some(keyword_groups(
                            fields,
                            xs.iter().filter_map(Scalar::of).collect(),
                            at,
                        ))
                    }
                    _ => {
                        self.errors.push(keywords(at));
                        None
                    }
                }
            }
            Value::Array(xs) if !xs.is_empty() => {
                let mut out = Vec::new();
                for x in xs {
                    match x {
                        Value::Object(m) => out.push(self.group(name, m, at)?),
                        _ => {
                            self.errors.push(keywords(at));
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Value::String(_) | Value::Number(_) => match &self.keyword_fields {
                Some(fields) if !fields.is_empty() => {
                    self.used_keywords = Some(at);
                    Some(keyword_groups(
                        fields,
                        Scalar::of(def).into_iter().collect(),
                        at,
                    ))
                }
                _ => {
                    self.errors.push(keywords(at));
                    None
                }
            },
            _ => {
                self.errors.push(SigmaInError::BadKey {
                    key: name.to_string(),
                    reason: "a selection must be a non-empty mapping or list of mappings".into(),
                    span: sp(at),
                });
                None
            }
        }
    }

    /// A map of field items (AND).
    fn group(
        &mut self,
        name: &str,
        m: &serde_json::Map<String, Value>,
        at: Span,
    ) -> Option<Vec<Item>> {
        if m.is_empty() {
            self.errors.push(SigmaInError::BadKey {
                key: name.to_string(),
                reason: "an empty selection".into(),
                span: sp(at),
            });
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (key, v) in m {
            match self.parse_item(name, key, v, at.start) {
                Some(i) => out.push(i),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn parse_item(&mut self, sel: &str, key: &str, v: &Value, from: usize) -> Option<Item> {
        let span = self.at(from, key);
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or("").to_string();
        if field.is_empty() {
            self.errors.push(SigmaInError::Keywords {
                selection: sel.to_string(),
                span: sp(span),
            });
            return None;
        }
        let bad = |reason: &str| SigmaInError::BadModifiers {
            key: key.to_string(),
            reason: reason.to_string(),
            span: sp(span),
        };
        let mut op: Option<Op> = None;
        let mut all = false;
        let mut cased = false;
        let mut re_flags = String::new();
        let mut re_i = false;
        let mut transforms: Vec<&str> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for m in parts {
            if seen.contains(&m) {
                self.errors
                    .push(bad(&format!("the modifier `{m}` is repeated")));
                return None;
            }
            seen.push(m);
            let main = match m {
                "contains" => Some(Op::Str(StrOp::Contains)),
                "startswith" => Some(Op::Str(StrOp::StartsWith)),
                "endswith" => Some(Op::Str(StrOp::EndsWith)),
                "re" => Some(Op::Re),
                "cidr" => Some(Op::Cidr),
                "exists" => Some(Op::Exists),
                "lt" => Some(Op::Cmp(CmpOp::Lt)),
                "lte" => Some(Op::Cmp(CmpOp::Le)),
                "gt" => Some(Op::Cmp(CmpOp::Gt)),
                "gte" => Some(Op::Cmp(CmpOp::Ge)),
                "fieldref" => Some(Op::FieldRef),
                _ => None,
            };
            if let Some(o) = main {
                if op.is_some() {
                    self.errors.push(bad("only one of contains, startswith, endswith, re, cidr, exists, lt, lte, gt, gte and fieldref can be used"));
                    return None;
                }
                op = Some(o);
                continue;
            }
            if modifiers::TRANSFORMS.contains(&m) {
                // windash and expand leave wildcards alone, so they may follow the matching
                // modifier (`contains|windash`); encodings may not (pySigma refuses to encode
                // the wildcards `contains` adds).
                if op.is_some() && !matches!(m, "windash" | "expand") {
                    self.errors.push(bad(&format!(
                        "`{m}` encodes the values, so it comes before the matching modifier"
                    )));
                    return None;
                }
                transforms.push(m);
                continue;
            }
            match m {
                "all" => all = true,
                "cased" => cased = true,
                "i" | "m" | "s" if op == Some(Op::Re) => {
                    if m == "i" {
                        re_i = true;
                    } else {
                        re_flags.push_str(m);
                    }
                }
                _ => {
                    let why = match m {
                        "i" | "m" | "s" => "`i`, `m` and `s` only follow `re`".to_string(),
                        "neq" => "`neq` is not read (write `not` in the condition)".into(),
                        "minute" | "hour" | "day" | "week" | "month" | "year" => {
                            "time-part modifiers depend on the engine's time zone".into()
                        }
                        _ => "unknown modifier".into(),
                    };
                    self.errors.push(SigmaInError::Modifier {
                        modifier: m.to_string(),
                        why,
                        span: sp(span),
                        key: key.to_string(),
                    });
                    return None;
                }
            }
        }
        let op = op.unwrap_or(Op::Str(StrOp::Eq));
        if cased && !matches!(op, Op::Str(_) | Op::FieldRef) {
            self.errors.push(bad(
                "`cased` only goes with plain values, contains, startswith, endswith and fieldref",
            ));
            return None;
        }
        if all && matches!(op, Op::Exists | Op::Cidr | Op::Cmp(_)) {
            self.errors.push(bad(
                "`all` does not go with exists, cidr, lt, lte, gt or gte",
            ));
            return None;
        }
        let raw: Vec<&Value> = match v {
            Value::Array(xs) => xs.iter().collect(),
            x => vec![x],
        };
        if raw.is_empty() {
            self.errors.push(SigmaInError::BadValue {
                key: key.to_string(),
                reason: "an empty list of values".into(),
                span: sp(span),
            });
            return None;
        }
        let mut values = Vec::new();
        for r in raw {
            match Scalar::of(r) {
                Some(s) => values.push(s),
                None => {
                    self.errors.push(SigmaInError::BadValue {
                        key: key.to_string(),
                        reason: "values must be strings, numbers, booleans or null".into(),
                        span: sp(span),
                    });
                    return None;
                }
            }
        }
        if !transforms.is_empty() {
            if !matches!(op, Op::Str(_)) {
                self.errors.push(bad(&format!(
                    "`{}` transforms string values: it goes with plain values, contains, startswith and endswith",
                    transforms[0]
                )));
                return None;
            }
            let texts: Option<Vec<String>> = values
                .iter()
                .map(|v| match v {
                    Scalar::Str(s) | Scalar::Num(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let Some(texts) = texts else {
                self.errors.push(bad(&format!(
                    "`{}` takes strings, not null or booleans",
                    transforms[0]
                )));
                return None;
            };
            match modifiers::apply(texts, &transforms, self.placeholders) {
                Ok(vs) => values = vs.into_iter().map(Scalar::Str).collect(),
                Err(why) => {
                    self.errors.push(SigmaInError::Modifier {
                        modifier: transforms.join("|"),
                        why,
                        span: sp(span),
                        key: key.to_string(),
                    });
                    return None;
                }
            }
        }
        Some(Item {
            key: key.to_string(),
            field,
            op,
            all,
            cased,
            re_flags,
            re_i,
            values,
            span,
        })
    }

    /// The expression of one item.
    fn item(&mut self, it: &Item, types: &IndexMap<String, FieldType>) -> Option<Expr> {
        let ty = types.get(&it.field).copied().unwrap_or(FieldType::String);
        let field = Field {
            name: it.field.clone(),
            ty,
            mapped: None,
        };
        let pred = |test: Test| {
            Expr::Pred(Pred {
                field: field.clone(),
                test,
                span: it.span,
            })
        };
        let bad_value = |reason: &str| SigmaInError::BadValue {
            key: it.key.clone(),
            reason: reason.to_string(),
            span: sp(it.span),
        };
        let has_null = it.values.iter().any(|v| matches!(v, Scalar::Null));
        if has_null && (it.op != Op::Str(StrOp::Eq) || it.all || it.cased) {
            self.errors.push(bad_value(
                "`null` only goes with plain values, without `all` or `cased`",
            ));
            return None;
        }
        if it.values.iter().any(|v| matches!(v, Scalar::Bool(_))) && it.op != Op::Exists {
            self.errors
                .push(bad_value("boolean values are only read with `exists`"));
            return None;
        }
        let texts = || -> Vec<String> {
            it.values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Str(s) | Scalar::Num(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        };
        let combine = |parts: Vec<Expr>, all: bool| if all { and(parts) } else { or(parts) };
        match it.op {
            Op::Str(op) => {
                let mut parts = Vec::new();
                let mut plain = Vec::new();
                let mut globs = Vec::new();
                let mut nums = Vec::new();
                let has_empty = it
                    .values
                    .iter()
                    .any(|v| matches!(v, Scalar::Str(s) if s.is_empty()));
                if has_empty && !(has_null && op == StrOp::Eq) {
                    self.errors.push(SigmaInError::EmptyString {
                        key: it.key.clone(),
                        span: sp(it.span),
                    });
                    return None;
                }
                for v in &it.values {
                    let s = match v {
                        Scalar::Num(n) if ty == FieldType::Number => {
                            match Number::parse(n) {
                                Some(n) => nums.push(n),
                                None => {
                                    self.errors.push(bad_value(&format!(
                                        "`{n}` is not a finite decimal number"
                                    )));
                                    return None;
                                }
                            }
                            continue;
                        }
                        Scalar::Str(s) | Scalar::Num(s) => s,
                        _ => continue,
                    };
                    if s.is_empty() {
                        continue; // absorbed by `null`
                    }
                    match parse_sigma_string(s) {
                        Err(()) => {
                            self.errors.push(SigmaInError::EscapedWildcard {
                                key: it.key.clone(),
                                value: s.clone(),
                                span: sp(it.span),
                            });
                            return None;
                        }
                        Ok(Parsed::Plain(p)) => plain.push(p),
                        Ok(Parsed::Glob(g)) => {
                            let g = match op {
                                StrOp::Eq => g,
                                StrOp::Contains => {
                                    let g = if g.starts_with('*') {
                                        g
                                    } else {
                                        format!("*{g}")
                                    };
                                    if g.ends_with('*') {
                                        g
                                    } else {
                                        format!("{g}*")
                                    }
                                }
                                StrOp::StartsWith => {
                                    if g.ends_with('*') {
                                        g
                                    } else {
                                        format!("{g}*")
                                    }
                                }
                                StrOp::EndsWith => {
                                    if g.starts_with('*') {
                                        g
                                    } else {
                                        format!("*{g}")
                                    }
                                }
                            };
                            globs.push(g);
                        }
                    }
                }
                let quant = if it.all { Quant::All } else { Quant::Any };
                if !plain.is_empty() {
                    parts.push(pred(Test::Str {
                        op,
                        values: plain,
                        quant,
                        cased: it.cased,
                    }));
                }
                if it.all {
                    for g in globs {
                        parts.push(pred(Test::Glob {
                            patterns: vec![g],
                            cased: it.cased,
                        }));
                    }
                    for n in nums {
                        parts.push(pred(Test::NumEq { values: vec![n] }));
                    }
                } else {
                    if !globs.is_empty() {
                        parts.push(pred(Test::Glob {
                            patterns: globs,
                            cased: it.cased,
                        }));
                    }
                    if !nums.is_empty() {
                        parts.push(pred(Test::NumEq { values: nums }));
                    }
                }
                if has_null {
                    parts.push(Expr::Not(Box::new(pred(Test::Exists))));
                }
                Some(combine(parts, it.all))
            }
            Op::Re => {
                let mut parts = Vec::new();
                for p in texts() {
                    let p = if it.re_flags.contains('m') {
                        p
                    } else {
                        match pcre_dollar(&p) {
                            Ok(p) => p,
                            Err(reason) => {
                                self.errors.push(SigmaInError::BadRegex {
                                    key: it.key.clone(),
                                    reason,
                                    span: sp(it.span),
                                });
                                return None;
                            }
                        }
                    };
                    let pattern = if it.re_flags.is_empty() {
                        p
                    } else {
                        format!("(?{}){p}", it.re_flags)
                    };
                    if let Err(reason) = crate::check::portable_regex(&pattern) {
                        self.errors.push(SigmaInError::BadRegex {
                            key: it.key.clone(),
                            reason,
                            span: sp(it.span),
                        });
                        return None;
                    }
                    parts.push(pred(Test::Regex {
                        pattern,
                        cased: !it.re_i,
                    }));
                }
                Some(combine(parts, it.all))
            }
            Op::Cidr => {
                let mut nets = Vec::new();
                for v in texts() {
                    match crate::check::parse_cidr(&v) {
                        Ok(n) => nets.push(n),
                        Err(reason) => {
                            self.errors.push(SigmaInError::BadCidr {
                                key: it.key.clone(),
                                value: v,
                                reason,
                                span: sp(it.span),
                            });
                            return None;
                        }
                    }
                }
                Some(pred(Test::Cidr { nets }))
            }
            Op::Exists => match it.values.as_slice() {
                [Scalar::Bool(true)] => Some(pred(Test::Exists)),
                [Scalar::Bool(false)] => Some(Expr::Not(Box::new(pred(Test::Exists)))),
                _ => {
                    self.errors
                        .push(bad_value("`exists` takes one boolean, `true` or `false`"));
                    None
                }
            },
            Op::Cmp(op) => {
                let mut parts = Vec::new();
                for v in &it.values {
                    let n = match v {
                        Scalar::Num(n) => Number::parse(n),
                        Scalar::Str(s) if is_decimal(s) => Number::parse(s),
                        _ => None,
                    };
                    match n {
                        Some(value) => parts.push(pred(Test::NumCmp { op, value })),
                        None => {
                            self.errors
                                .push(bad_value("`lt`, `lte`, `gt` and `gte` take numbers"));
                            return None;
                        }
                    }
                }
                Some(or(parts))
            }
            Op::FieldRef => {
                let mut parts = Vec::new();
                for v in &it.values {
                    let Scalar::Str(o) = v else {
                        self.errors.push(bad_value("`fieldref` takes field names"));
                        return None;
                    };
                    if o.is_empty() {
                        self.errors.push(bad_value("`fieldref` takes field names"));
                        return None;
                    }
                    parts.push(pred(Test::FieldEq {
                        other: Field {
                            name: o.clone(),
                            ty: types.get(o).copied().unwrap_or(FieldType::String),
                            mapped: None,
                        },
                        cased: it.cased,
                    }));
                }
                Some(combine(parts, it.all))
            }
        }
    }
}

/// Sigma's regexes are PCRE, where `$` without the multi-line flag also matches just before
/// a final newline; tripline's `$` is the end of the value only. Rewrite each `$` to
/// `(?:\n?\z)`, the PCRE meaning in tripline's syntax. A pattern with both `$` and inline
/// flags (which might switch multi-line mode on part-way) is refused.
fn pcre_dollar(pattern: &str) -> Result<String, String> {
    use regex_syntax::ast::{parse::Parser, AssertionKind, Ast};
    let ast = Parser::new()
        .parse(pattern)
        .map_err(|e| e.kind().to_string())?;
    let mut ends = Vec::new();
    let mut flags = false;
    fn walk(a: &Ast, ends: &mut Vec<(usize, usize)>, flags: &mut bool) {
        match a {
            Ast::Flags(_) => *flags = true,
            Ast::Group(g) => {
                if let regex_syntax::ast::GroupKind::NonCapturing(f) = &g.kind {
                    if !f.items.is_empty() {
                        *flags = true;
                    }
                }
                walk(&g.ast, ends, flags)
            }
            Ast::Repetition(r) => walk(&r.ast, ends, flags),
            Ast::Alternation(x) => x.asts.iter().for_each(|a| walk(a, ends, flags)),
            Ast::Concat(x) => x.asts.iter().for_each(|a| walk(a, ends, flags)),
            Ast::Assertion(asr) if asr.kind == AssertionKind::EndLine => {
                ends.push((asr.span.start.offset, asr.span.end.offset))
            }
            _ => {}
        }
    }
    walk(&ast, &mut ends, &mut flags);
    if ends.is_empty() {
        return Ok(pattern.to_string());
    }
    if flags {
        return Err("`$` together with inline flags: whether `$` is multi-line there cannot be read exactly".into());
    }
    let mut out = pattern.to_string();
    ends.sort();
    for (a, b) in ends.into_iter().rev() {
        out.replace_range(a..b, r"(?:\n?\z)");
    }
    Ok(out)
}

/// `-?[0-9]+(\.[0-9]+)?`, tripline's numeric strings.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (a, b) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    digits(a) && b.is_none_or(digits)
}

fn meta(doc: &serde_json::Map<String, Value>, title: String) -> ir::Meta {
    let s = |k: &str| scalar_text(doc.get(k)).unwrap_or_default();
    let authors = match doc.get("author") {
        Some(Value::String(a)) => a
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        other => str_list(other),
    };
    let related = match doc.get("related") {
        Some(Value::Array(xs)) => xs
            .iter()
            .filter_map(|x| Some((scalar_text(x.get("type"))?, scalar_text(x.get("id"))?)))
            .collect(),
        _ => Vec::new(),
    };
    ir::Meta {
        title,
        id: s("id").to_lowercase(),
        status: s("status"),
        level: s("level"),
        description: s("description").trim().to_string(),
        authors,
        // Older rules write dates YYYY/MM/DD; Sigma's form is YYYY-MM-DD.
        date: s("date").replace('/', "-"),
        modified: scalar_text(doc.get("modified")).map(|d| d.replace('/', "-")),
        tags: str_list(doc.get("tags")),
        references: str_list(doc.get("references")),
        falsepositives: str_list(doc.get("falsepositives")),
        related,
        fields: str_list(doc.get("fields")),
    }
}

// ---------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
}

struct Cond<'a> {
    toks: Vec<Tok>,
    pos: usize,
    sels: &'a IndexMap<String, Expr>,
    span: Span,
    text: &'a str,
}

impl<'a> Cond<'a> {
    fn new(text: &'a str, sels: &'a IndexMap<String, Expr>, span: Span) -> Cond<'a> {
        let mut toks = Vec::new();
        let mut word = String::new();
        for c in text.chars() {
            if c == '(' || c == ')' || c.is_whitespace() {
                if !word.is_empty() {
                    toks.push(Tok::Word(std::mem::take(&mut word)));
                }
                if c == '(' {
                    toks.push(Tok::LParen);
                } else if c == ')' {
                    toks.push(Tok::RParen);
                }
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            toks.push(Tok::Word(word));
        }
        Cond {
            toks,
            pos: 0,
            sels,
            span,
            text,
        }
    }

    fn err(&self, reason: &str) -> SigmaInError {
        SigmaInError::Condition {
            reason: reason.to_string(),
            span: sp(self.span),
        }
    }

    fn parse(mut self) -> Result<Expr, SigmaInError> {
        if self.text.contains('|') {
            return Err(SigmaInError::Aggregation {
                what: self.text.trim().to_string(),
                span: sp(self.span),
            });
        }
        if self.toks.is_empty() {
            return Err(self.err("the condition is empty"));
        }
        let e = self.or_expr(0)?;
        if self.pos < self.toks.len() {
            return Err(self.err(&format!("unexpected `{}`", self.tok_text(self.pos))));
        }
        Ok(e)
    }

    fn tok_text(&self, i: usize) -> String {
        match &self.toks[i] {
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Word(w) => w.clone(),
        }
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x == w)
    }

    fn or_expr(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        let mut xs = vec![self.and_expr(depth)?];
        while self.peek_word("or") {
            self.pos += 1;
            xs.push(self.and_expr(depth)?);
        }
        Ok(or(xs))
    }

    fn and_expr(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        let mut xs = vec![self.not_expr(depth)?];
        while self.peek_word("and") {
            self.pos += 1;
            xs.push(self.not_expr(depth)?);
        }
        Ok(and(xs))
    }

    fn not_expr(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        if depth > MAX_DEPTH {
            return Err(self.err(&format!("nested more than {MAX_DEPTH} levels deep")));
        }
        if self.peek_word("not") {
            self.pos += 1;
            let e = self.not_expr(depth + 1)?;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        let Some(tok) = self.toks.get(self.pos).cloned() else {
            return Err(self.err("the condition ends too early"));
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let e = self.or_expr(depth + 1)?;
                if self.toks.get(self.pos) != Some(&Tok::RParen) {
                    return Err(self.err("a `(` is not closed"));
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::RParen => Err(self.err("unexpected `)`")),
            Tok::Word(w) => match w.as_str() {
                "and" | "or" | "not" | "of" | "them" => Err(self.err(&format!("unexpected `{w}`"))),
                "1" | "all" if self.peek_word("of") => {
                    self.pos += 1;
                    let Some(Tok::Word(pat)) = self.toks.get(self.pos).cloned() else {
                        return Err(self.err(&format!("`{w} of` needs a name pattern or `them`")));
                    };
                    self.pos += 1;
                    let names: Vec<&String> = if pat == "them" {
                        self.sels.keys().filter(|k| !k.starts_with('_')).collect()
                    } else {
                        self.sels.keys().filter(|k| name_glob(&pat, k)).collect()
                    };
                    if names.is_empty() {
                        return Err(SigmaInError::UnknownSelection {
                            name: pat,
                            span: sp(self.span),
                        });
                    }
                    let xs: Vec<Expr> = names.iter().map(|n| self.sels[*n].clone()).collect();
                    Ok(if w == "1" { or(xs) } else { and(xs) })
                }
                _ if self.peek_word("of") => Err(self.err(&format!(
                    "`{w} of` is not supported (only `1 of` and `all of`)"
                ))),
                _ => match self.sels.get(&w) {
                    Some(e) => Ok(e.clone()),
                    None => Err(SigmaInError::UnknownSelection {
                        name: w,
                        span: sp(self.span),
                    }),
                },
            },
        }
    }
}

/// A selection-name pattern: `*` is any run, everything else literal.
fn name_glob(pat: &str, name: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}
