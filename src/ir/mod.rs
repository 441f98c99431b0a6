//! The typed, target-neutral intermediate representation.
//!
//! `check` produces it from the AST once every name, field and type is known to be right;
//! `mapping` fills in how each field is written on a target; `targets/*` print it.
//! Spans are kept so that a target can point at the construct it cannot express.

pub mod regex;
pub mod stage_key;

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
    /// The stateful stage, if any.
    pub stage: Option<Stage>,
    /// Single-event test cases.
    pub tests: Vec<TestCase>,
    /// `tests "file.jsonl"` entries: the path as written and its span.
    pub test_files: Vec<(String, Span)>,
    /// Event-stream test cases (for rules with a stage).
    pub stream_tests: Vec<StreamTest>,
}

/// A duration in seconds, with its canonical text (`90m` → `90m`, `1d12h` → `36h`).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Duration {
    /// Seconds.
    pub seconds: u64,
}

impl Duration {
    /// The largest single unit that divides the duration exactly: `(n, 'd'|'h'|'m'|'s')`.
    pub fn unit(self) -> (u64, char) {
        for (size, c) in [(86_400, 'd'), (3_600, 'h'), (60, 'm')] {
            if self.seconds.is_multiple_of(size) {
                return (self.seconds / size, c);
            }
        }
        (self.seconds, 's')
    }

    /// `30m`, `1h`, `14d`.
    pub fn text(self) -> String {
        let (n, c) = self.unit();
        format!("{n}{c}")
    }
}

/// A stateful stage over the events that match a rule's expression.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum Stage {
    /// Count (or distinct count) per key per window, compared with a number.
    Threshold {
        /// `None` for a count of events; a field for a count of its distinct values.
        distinct: Option<Field>,
        /// The comparison of the count with `value`.
        op: CmpOp,
        /// The number.
        value: u64,
        /// Grouping fields (may be empty).
        by: Vec<Field>,
        /// Tumbling window length, aligned to the Unix epoch.
        window: Duration,
        /// Where.
        span: Span,
    },
    /// Values not seen during the baseline before the detection window.
    FirstSeen {
        /// The fields whose value tuple must be new.
        fields: Vec<Field>,
        /// Baseline length, ending where the window starts.
        baseline: Duration,
        /// Detection window, ending at query time.
        window: Duration,
        /// Where.
        span: Span,
    },
    /// Steps occurring in order by key within a time.
    Sequence {
        /// Grouping fields (at least one).
        by: Vec<Field>,
        /// Maximum time from the first step's event to the last's.
        within: Duration,
        /// The steps, in order.
        steps: Vec<Step>,
        /// Where.
        span: Span,
    },
}

/// One step of a sequence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    /// The condition's or rule's name.
    pub name: String,
    /// Its expression (ANDed with the rule's own `match`).
    pub expr: Expr,
}

impl Stage {
    /// Every field the stage refers to (grouping, distinct, first-seen fields).
    pub fn fields(&self) -> Vec<&Field> {
        match self {
            Stage::Threshold { distinct, by, .. } => distinct.iter().chain(by.iter()).collect(),
            Stage::FirstSeen { fields, .. } => fields.iter().collect(),
            Stage::Sequence { by, .. } => by.iter().collect(),
        }
    }

    /// Every field the stage refers to, mutably.
    pub fn fields_mut(&mut self) -> Vec<&mut Field> {
        match self {
            Stage::Threshold { distinct, by, .. } => {
                distinct.iter_mut().chain(by.iter_mut()).collect()
            }
            Stage::FirstSeen { fields, .. } => fields.iter_mut().collect(),
            Stage::Sequence { by, .. } => by.iter_mut().collect(),
        }
    }

    /// The stage's span.
    pub fn span(&self) -> Span {
        match self {
            Stage::Threshold { span, .. }
            | Stage::FirstSeen { span, .. }
            | Stage::Sequence { span, .. } => *span,
        }
    }
}

/// A test case over a stream of events, for a rule with a stage.
#[derive(Debug, Clone, Serialize)]
pub struct StreamTest {
    /// The case's name.
    pub name: String,
    /// Query time in ms since the epoch (`at`); default: one second after the last event.
    pub at: Option<i64>,
    /// Expected alerts: each must match one actual alert on every key it gives, and the
    /// numbers of alerts must be equal.
    pub alerts: Vec<serde_json::Value>,
    /// The events, inline or from a JSONL file beside the rule file.
    pub events: StreamEvents,
    /// Where.
    pub span: Span,
}

/// Where a stream test's events are.
#[derive(Debug, Clone, Serialize)]
pub enum StreamEvents {
    /// Inline.
    Inline(Vec<serde_json::Value>),
    /// A JSONL file (path as written, relative to the rule file).
    File(String),
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

impl StrOp {
    /// Every string operation, in the order above.
    pub const ALL: [StrOp; 4] = [
        StrOp::Eq,
        StrOp::Contains,
        StrOp::StartsWith,
        StrOp::EndsWith,
    ];

    /// The operation as the rule language writes it (`==` for whole-value equality).
    pub const fn keyword(self) -> &'static str {
        match self {
            StrOp::Eq => "==",
            StrOp::Contains => "contains",
            StrOp::StartsWith => "startswith",
            StrOp::EndsWith => "endswith",
        }
    }

    /// What the operation tests, in a few words (editor completion).
    pub const fn summary(self) -> &'static str {
        match self {
            StrOp::Eq => "equal (case-insensitive unless `cased`)",
            StrOp::Contains => "holds the text",
            StrOp::StartsWith => "begins with the text",
            StrOp::EndsWith => "ends with the text",
        }
    }

    /// Whether `value` passes the test against `needle` (both already case-folded for a
    /// caseless test): the meaning every target writes.
    pub fn holds(self, value: &str, needle: &str) -> bool {
        match self {
            StrOp::Eq => value == needle,
            StrOp::Contains => value.contains(needle),
            StrOp::StartsWith => value.starts_with(needle),
            StrOp::EndsWith => value.ends_with(needle),
        }
    }

    /// Whether the value must begin and end where the needle does, as
    /// `(at the start, at the end)`: how the test reads as an unanchored regex search of the
    /// escaped needle (`(true, false)` for a prefix: `^needle`).
    pub fn anchors(self) -> (bool, bool) {
        match self {
            StrOp::Eq => (true, true),
            StrOp::Contains => (false, false),
            StrOp::StartsWith => (true, false),
            StrOp::EndsWith => (false, true),
        }
    }
}

/// Whether any or all values must match.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum Quant {
    /// At least one value.
    Any,
    /// Every value.
    All,
}

/// A comparison operator: the one operator set of the rule language (`==`, `!=`, `<`, `<=`,
/// `>`, `>=`). The syntax tree, the checker, number orderings ([`Test::NumCmp`]), stage
/// counts ([`Stage::Threshold`]) and the evaluator all hold this type; each target spells it
/// itself (one exhaustive table per target), so a new operator is refused by the compiler
/// until every target has decided how to write it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
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
    /// Every operator, in the order above.
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];

    /// The operator as written in the rule language.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `a <op> b` holds.
    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }

    /// The operator that holds exactly when this one does not (on two values that are
    /// ordered: `!(a < b)` is `a >= b`).
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }

    /// Whether the operator orders (`<`, `<=`, `>`, `>=`) rather than tests equality.
    pub fn is_ordering(self) -> bool {
        match self {
            CmpOp::Eq | CmpOp::Ne => false,
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => true,
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
    /// A number compared with a value. The checker writes orderings here and `==`/`!=` as
    /// [`Test::NumEq`] (and its negation); every target writes all six operators.
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
/// Any IR value as JSON with every span left out (`span` keys and `{start, end}` values):
/// equal for the same meaning written at other places or in other files.
pub fn without_spans(v: &impl Serialize) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Object(o) => {
                o.shift_remove("span");
                let is_span = o.len() == 2
                    && o.get("start").is_some_and(Value::is_u64)
                    && o.get("end").is_some_and(Value::is_u64);
                if is_span {
                    *v = Value::Null;
                    return;
                }
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(v).unwrap_or_default();
    strip(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::CmpOp;
    use crate::syntax::ast::{CmpKind, Expr};

    #[test]
    fn a_negated_operator_holds_exactly_where_the_operator_does_not() {
        for op in CmpOp::ALL {
            assert_eq!(op.negate().negate(), op);
            for (a, b) in [(1, 2), (2, 2), (3, 2)] {
                assert_eq!(op.negate().holds(a, b), !op.holds(a, b), "{op:?} {a} {b}");
            }
        }
    }

    #[test]
    fn every_operator_is_parsed_back_from_its_spelling() {
        for op in CmpOp::ALL {
            let e = crate::syntax::parse_expr(&format!("N {} 5", op.symbol())).expect("parses");
            let Expr::Cmp(c) = e else {
                panic!("{op:?}: not a comparison")
            };
            let CmpKind::Compare { op: (got, _), .. } = c.kind else {
                panic!("{op:?}: not a compare")
            };
            assert_eq!(got, op);
            assert_eq!(op.is_ordering(), !matches!(op, CmpOp::Eq | CmpOp::Ne));
        }
    }
}
