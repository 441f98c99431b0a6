//! The typed, target-neutral intermediate representation.
//!
//! `check` produces it from the AST once every name, field and type is known to be right;
//! `mapping` fills in how each field is written on a target; `targets/*` print it.
//! Spans are kept so that a target can point at the construct it cannot express.

use ipnet::IpNet;
use serde::Serialize;

use crate::catalog::{FieldType, Mapped};

/// A byte range in a rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.end.saturating_sub(s.start)).into()
    }
}

/// A checked rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The rule's name (`mail_items_accessed_by_unexpected_app`).
    pub name: String,
    /// Its metadata.
    pub meta: Meta,
    /// The catalog name of its log source (`m365.audit`).
    pub source: String,
    /// The match expression.
    pub expr: Expr,
    /// The span of the whole rule.
    pub span: Span,
    /// Inline test cases.
    pub tests: Vec<TestCase>,
    /// `tests "file.jsonl"` entries: the path as written and its span.
    pub test_files: Vec<(String, Span)>,
}

/// A test case: an event and the expected verdict.
#[derive(Debug, Clone, Serialize)]
pub struct TestCase {
    /// The case's name.
    pub name: String,
    /// Whether the rule must match.
    pub expect: bool,
    /// The event.
    pub event: serde_json::Value,
    /// Where the case is written.
    pub span: Span,
}

/// A rule's metadata, already validated.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Meta {
    /// `title`.
    pub title: String,
    /// `id`, a UUID in lower-case hyphenated form.
    pub id: String,
    /// `status`.
    pub status: String,
    /// `level`.
    pub level: String,
    /// `description`, indentation removed.
    pub description: String,
    /// `author`.
    pub authors: Vec<String>,
    /// `date`, `YYYY-MM-DD`.
    pub date: String,
    /// `modified`, `YYYY-MM-DD`.
    pub modified: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `related`: (type, id).
    pub related: Vec<(String, String)>,
    /// `fields`.
    pub fields: Vec<String>,
}

/// A boolean expression over one event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum Expr {
    /// All must hold (at least two operands).
    And(Vec<Expr>),
    /// Any must hold (at least two operands).
    Or(Vec<Expr>),
    /// Negation (two-valued: a comparison on a missing field is false, so `Not` of it is true).
    Not(Box<Expr>),
    /// One comparison.
    Pred(Pred),
}

/// One comparison of one field.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pred {
    /// The field tested.
    pub field: Field,
    /// The test.
    pub test: Test,
    /// Where the comparison is written in the rule.
    pub span: Span,
}

/// A field reference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Field {
    /// The source name (`AppId`, `Status.errorCode`).
    pub name: String,
    /// Its type in the catalog.
    pub ty: FieldType,
    /// How the field is written on the target; set by `mapping`.
    pub mapped: Option<Mapped>,
}

impl Field {
    /// The mapped form, or the source name as a column when no mapping ran.
    pub fn target(&self) -> Mapped {
        self.mapped
            .clone()
            .unwrap_or_else(|| Mapped::Column(self.name.clone()))
    }
}

/// How a string test treats its values.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum StrOp {
    /// Whole value equal.
    Eq,
    /// Substring.
    Contains,
    /// Prefix.
    StartsWith,
    /// Suffix.
    EndsWith,
}

/// Whether any or all values must match.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum Quant {
    /// At least one value.
    Any,
    /// Every value.
    All,
}

/// A numeric comparison operator.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written in the rule language (and in KQL and SPL `where`).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A number literal, kept in canonical text form so output is byte-stable.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Number {
    /// The value.
    pub value: f64,
    /// Canonical text: an integer without a decimal point, otherwise Rust's shortest form.
    pub text: String,
}

impl Number {
    /// Parse a number literal; `None` when it is not a finite decimal number.
    pub fn parse(s: &str) -> Option<Number> {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number {
                value: i as f64,
                text: i.to_string(),
            });
        }
        let v: f64 = s.parse().ok()?;
        if !v.is_finite() {
            return None;
        }
        let text = if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        };
        Some(Number { value: v, text })
    }

    /// Whether the value is a whole number.
    pub fn is_integer(&self) -> bool {
        self.value.fract() == 0.0
    }
}

/// What a predicate tests.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum Test {
    /// String equality / contains / startswith / endswith against one or more values.
    /// Values are never empty strings (the checker rejects them).
    Str {
        /// Which string operation.
        op: StrOp,
        /// The values (at least one).
        values: Vec<String>,
        /// Any or all of the values.
        quant: Quant,
        /// Case-sensitive.
        cased: bool,
    },
    /// Glob over the whole value; matches when any pattern matches. `*` = any run, `?` = one
    /// character; no escapes.
    Glob {
        /// The patterns (at least one).
        patterns: Vec<String>,
        /// Case-sensitive.
        cased: bool,
    },
    /// Unanchored regular-expression search (validated portable syntax).
    Regex {
        /// The pattern as written (inline flags allowed).
        pattern: String,
        /// Case-sensitive.
        cased: bool,
    },
    /// IP address in any of the networks.
    Cidr {
        /// The networks (at least one), as written but canonicalised.
        nets: Vec<IpNet>,
    },
    /// Numeric equality with any of the values.
    NumEq {
        /// The values (at least one).
        values: Vec<Number>,
    },
    /// Numeric ordering.
    NumCmp {
        /// The operator.
        op: CmpOp,
        /// The right-hand side.
        value: Number,
    },
    /// Boolean equality.
    BoolEq {
        /// The value compared with.
        value: bool,
    },
    /// The field is present, not null and not the empty string.
    Exists,
    /// Both fields present and equal as strings.
    FieldEq {
        /// The other field.
        other: Field,
        /// Case-sensitive.
        cased: bool,
    },
}

impl Expr {
    /// Visit every predicate, in order.
    pub fn preds(&self) -> Vec<&Pred> {
        let mut out = Vec::new();
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Pred>) {
            match e {
                Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| walk(x, out)),
                Expr::Not(x) => walk(x, out),
                Expr::Pred(p) => out.push(p),
            }
        }
        walk(self, &mut out);
        out
    }

    /// Visit every predicate mutably.
    pub fn preds_mut(&mut self, f: &mut dyn FnMut(&mut Pred)) {
        match self {
            Expr::And(xs) | Expr::Or(xs) => xs.iter_mut().for_each(|x| x.preds_mut(f)),
            Expr::Not(x) => x.preds_mut(f),
            Expr::Pred(p) => f(p),
        }
    }
}
