//! The reference evaluator: the executable definition of what a rule means.
//!
//! It evaluates the target-neutral IR against JSON events with exactly the semantics of
//! `grammar/README.md`. Every target's output is checked against it (`tripline test`, the
//! conformance suite).

pub mod stage;
mod state;
mod text;

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Value;

use crate::ir::{Expr, Pred, Quant, Test};

pub use text::{expr_to_string, glob_to_regex, portable_regex};

/// Look a field up: the exact key first, then a dotted path through nested objects.
pub fn lookup<'v>(event: &'v Value, name: &str) -> Option<&'v Value> {
    let obj = event.as_object()?;
    if let Some(v) = obj.get(name) {
        return Some(v);
    }
    let mut cur = event;
    for part in name.split('.') {
        cur = cur.as_object()?.get(part)?;
    }
    Some(cur)
}

/// A field's value as the language sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'v> {
    /// Absent, `null` or `""`.
    Missing,
    /// Text (strings; numbers and booleans in their JSON text form).
    Text(std::borrow::Cow<'v, str>),
    /// An object or array: only `exists` is true of it.
    Composite,
}

/// The value of field `name` in `event`.
pub fn value<'v>(event: &'v Value, name: &str) -> Val<'v> {
    match lookup(event, name) {
        None | Some(Value::Null) => Val::Missing,
        Some(Value::String(s)) if s.is_empty() => Val::Missing,
        Some(Value::String(s)) => Val::Text(std::borrow::Cow::Borrowed(s)),
        Some(Value::Number(n)) => Val::Text(std::borrow::Cow::Owned(n.to_string())),
        Some(Value::Bool(b)) => Val::Text(std::borrow::Cow::Borrowed(if *b {
            "true"
        } else {
            "false"
        })),
        Some(_) => Val::Composite,
    }
}

/// Case folding used by every case-insensitive comparison: Unicode lower-casing.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Whether [`fold`] leaves `s` as it is, known cheaply: ASCII without capitals. (Other
/// text is folded; titlecase letters and the like change without being "uppercase".)
fn folded_already(s: &str) -> bool {
    s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase())
}

/// A decimal number as the language reads one from text: `-?[0-9]+(\.[0-9]+)?`.
pub fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    s.parse().ok()
}

fn number_of(event: &Value, name: &str) -> Option<f64> {
    match lookup(event, name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

fn bool_of(event: &Value, name: &str) -> Option<bool> {
    match lookup(event, name)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Compiled regular expressions, cached by pattern (regexes and globs apart, cased and
/// uncased apart, so a lookup needs no allocation).
#[derive(Default)]
pub struct Evaluator {
    /// `[regex cased, regex uncased, glob cased, glob uncased]`.
    regexes: [HashMap<String, Option<regex::Regex>>; 4],
}

impl Evaluator {
    /// A new evaluator.
    pub fn new() -> Evaluator {
        Evaluator::default()
    }

    /// Whether `expr` matches `event`.
    pub fn eval(&mut self, expr: &Expr, event: &Value) -> bool {
        match expr {
            Expr::And(xs) => xs.iter().all(|x| self.eval(x, event)),
            Expr::Or(xs) => xs.iter().any(|x| self.eval(x, event)),
            Expr::Not(x) => !self.eval(x, event),
            Expr::Pred(p) => self.pred(p, event),
        }
    }

    /// Evaluate and explain: every sub-expression with its verdict, indented.
    pub fn explain(&mut self, expr: &Expr, event: &Value) -> Vec<(usize, bool, String)> {
        let mut out = Vec::new();
        self.explain_into(expr, event, 0, &mut out);
        out
    }

    fn explain_into(
        &mut self,
        expr: &Expr,
        event: &Value,
        depth: usize,
        out: &mut Vec<(usize, bool, String)>,
    ) {
        let v = self.eval(expr, event);
        match expr {
            Expr::Pred(p) => {
                let shown = match value(event, &p.field.name) {
                    Val::Missing => "missing".to_string(),
                    Val::Composite => "an object or array".to_string(),
                    Val::Text(t) => format!("{:?}", t.as_ref()),
                };
                out.push((
                    depth,
                    v,
                    format!("{}    ({} is {shown})", expr_to_string(expr), p.field.name),
                ));
            }
            Expr::Not(x) => {
                out.push((depth, v, "not".to_string()));
                self.explain_into(x, event, depth + 1, out);
            }
            Expr::And(xs) | Expr::Or(xs) => {
                let word = if matches!(expr, Expr::And(_)) {
                    "and"
                } else {
                    "or"
                };
                out.push((depth, v, format!("{word} ({} operands)", xs.len())));
                for x in xs {
                    self.explain_into(x, event, depth + 1, out);
                }
            }
        }
    }

    /// The compiled regex of `pattern` (`glob`: a glob, written as a regex first).
    fn regex(&mut self, pattern: &str, cased: bool, glob: bool) -> Option<&regex::Regex> {
        let cache = &mut self.regexes[usize::from(!cased) + 2 * usize::from(glob)];
        if !cache.contains_key(pattern) {
            let p = if glob {
                text::glob_to_regex(pattern)
            } else {
                text::portable_regex(pattern)
            };
            let p = if cased { p } else { format!("(?i){p}") };
            cache.insert(pattern.to_string(), regex::Regex::new(&p).ok());
        }
        cache.get(pattern).and_then(Option::as_ref)
    }

    fn pred(&mut self, p: &Pred, event: &Value) -> bool {
        let name = p.field.name.as_str();
        match &p.test {
            Test::Exists => value(event, name) != Val::Missing,
            Test::Str {
                op,
                values,
                quant,
                cased,
            } => {
                let v = match value(event, name) {
                    Val::Text(v) => v,
                    // A json field is tested through its compact JSON text.
                    Val::Composite if p.field.ty == crate::catalog::FieldType::Json => {
                        let raw = lookup(event, name).cloned().unwrap_or(Value::Null);
                        std::borrow::Cow::Owned(serde_json::to_string(&raw).unwrap_or_default())
                    }
                    _ => return false,
                };
                // Folding allocates: skip it where it changes nothing.
                let hay: Cow<str> = if *cased || folded_already(&v) {
                    v
                } else {
                    Cow::Owned(fold(&v))
                };
                let one = |needle: &String| {
                    let n: Cow<str> = if *cased || folded_already(needle) {
                        Cow::Borrowed(needle)
                    } else {
                        Cow::Owned(fold(needle))
                    };
                    op.holds(&hay, &n)
                };
                match quant {
                    Quant::Any => values.iter().any(one),
                    Quant::All => values.iter().all(one),
                }
            }
            Test::Glob { patterns, cased } => {
                let Val::Text(v) = value(event, name) else {
                    return false;
                };
                patterns
                    .iter()
                    .any(|g| self.regex(g, *cased, true).is_some_and(|r| r.is_match(&v)))
            }
            Test::Regex { pattern, cased } => {
                let Val::Text(v) = value(event, name) else {
                    return false;
                };
                self.regex(pattern, *cased, false)
                    .is_some_and(|r| r.is_match(&v))
            }
            Test::Cidr { nets } => {
                let Val::Text(v) = value(event, name) else {
                    return false;
                };
                let Ok(ip) = v.parse::<IpAddr>() else {
                    return false;
                };
                nets.iter().any(|n| n.contains(&ip))
            }
            Test::NumEq { values } => {
                number_of(event, name).is_some_and(|x| values.iter().any(|v| v.value == x))
            }
            Test::NumCmp { op, value } => {
                number_of(event, name).is_some_and(|x| op.holds(x, value.value))
            }
            Test::BoolEq { value } => bool_of(event, name) == Some(*value),
            Test::FieldEq { other, cased } => {
                if p.field.ty == crate::catalog::FieldType::Number {
                    return match (number_of(event, name), number_of(event, &other.name)) {
                        (Some(a), Some(b)) => a == b,
                        _ => false,
                    };
                }
                let (Val::Text(a), Val::Text(b)) = (value(event, name), value(event, &other.name))
                else {
                    return false;
                };
                if *cased {
                    a == b
                } else {
                    fold(&a) == fold(&b)
                }
            }
        }
    }
}
