//! The syntax tree, as written, with spans. Built by `syntax::build`.

use crate::ir::{CmpOp, Span, StrOp};

/// A parsed file.
#[derive(Debug, Clone, Default)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Debug, Clone)]
pub enum Item {
    /// `import "..."`
    Import(Str),
    /// `list ...`
    List(ListDecl),
    /// `condition ...`
    Condition(CondDecl),
    /// `rule ...`
    Rule(RuleDecl),
}

/// A name with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A decoded string literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    /// The value after escape processing.
    pub value: String,
    /// The span of the whole literal, quotes included.
    pub span: Span,
}

/// A number literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    /// As written.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A list element or comparison value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(Str),
    /// A number.
    Num(Num),
    /// `true` / `false`.
    Bool(bool, Span),
}

impl Literal {
    /// The literal's span.
    pub fn span(&self) -> Span {
        match self {
            Literal::Str(s) => s.span,
            Literal::Num(n) => n.span,
            Literal::Bool(_, s) => *s,
        }
    }
}

/// The declared element type of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// Strings.
    String,
    /// Numbers.
    Number,
    /// CIDR networks.
    Cidr,
}

/// `list name: type = [...]`
#[derive(Debug, Clone)]
pub struct ListDecl {
    /// The name.
    pub name: Ident,
    /// The declared type and its span, if written.
    pub ty: Option<(ListType, Span)>,
    /// The elements.
    pub items: Vec<Literal>,
    /// The whole declaration.
    pub span: Span,
}

/// `condition name = expr`
#[derive(Debug, Clone)]
pub struct CondDecl {
    /// The name.
    pub name: Ident,
    /// The expression.
    pub expr: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `rule name { ... }`
#[derive(Debug, Clone)]
pub struct RuleDecl {
    /// The name.
    pub name: Ident,
    /// Metadata entries in source order.
    pub meta: Vec<MetaEntry>,
    /// `source` entries (the checker requires exactly one).
    pub sources: Vec<Ident>,
    /// `match` entries (the checker requires exactly one).
    pub matches: Vec<Expr>,
    /// Stateful stages (`threshold`, `new`, `sequence`; the checker allows at most one).
    pub stages: Vec<StageDecl>,
    /// Inline test cases.
    pub tests: Vec<TestCase>,
    /// `tests "file.jsonl"` entries.
    pub test_files: Vec<Str>,
    /// The whole rule.
    pub span: Span,
}

/// `key v, v, ...`
#[derive(Debug, Clone)]
pub struct MetaEntry {
    /// The key.
    pub key: Ident,
    /// The values.
    pub values: Vec<MetaValue>,
    /// The whole entry.
    pub span: Span,
}

/// A metadata value.
#[derive(Debug, Clone)]
pub enum MetaValue {
    /// A string literal.
    Str(Str),
    /// A bare word.
    Bare(Ident),
}

impl MetaValue {
    /// The text and span.
    pub fn text(&self) -> (&str, Span) {
        match self {
            MetaValue::Str(s) => (&s.value, s.span),
            MetaValue::Bare(i) => (&i.name, i.span),
        }
    }
}

/// A match expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// `a and b and …`: the operands of one run of `and` (at least two), flattened as they
    /// are parsed so that a long run is a list, not a deep tree.
    And(Vec<Expr>, Span),
    /// `a or b or …`: the operands of one run of `or` (at least two), flattened likewise.
    Or(Vec<Expr>, Span),
    /// `not a`
    Not(Box<Expr>, Span),
    /// A comparison.
    Cmp(Comparison),
    /// A keyword search.
    Keyword(Str, Span),
    /// A named condition.
    Ref(Ident),
}

impl Expr {
    /// The expression's span.
    pub fn span(&self) -> Span {
        match self {
            Expr::And(_, s) | Expr::Or(_, s) | Expr::Not(_, s) | Expr::Keyword(_, s) => *s,
            Expr::Cmp(c) => c.span,
            Expr::Ref(i) => i.span,
        }
    }
}

/// `field <test>`
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The field.
    pub field: Ident,
    /// The test.
    pub kind: CmpKind,
    /// The whole comparison.
    pub span: Span,
}

/// A list operand: literal or named.
#[derive(Debug, Clone)]
pub enum ListOperand {
    /// `[a, b]`
    Literal(Vec<Literal>, Span),
    /// `name`
    Named(Ident),
}

impl ListOperand {
    /// The span.
    pub fn span(&self) -> Span {
        match self {
            ListOperand::Literal(_, s) => *s,
            ListOperand::Named(i) => i.span,
        }
    }
}

/// A string operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOpKind {
    /// `contains`, `startswith`, `endswith`: the IR's text test of that name (never
    /// [`StrOp::Eq`], which is written `==`).
    Text(StrOp),
    /// `like`
    Like,
    /// `matches`
    Matches,
}

impl StrOpKind {
    /// Every string operator, in the grammar's order: the IR's named text tests, then
    /// `like` and `matches`.
    pub fn all() -> impl Iterator<Item = StrOpKind> {
        StrOp::ALL
            .into_iter()
            .filter(|op| *op != StrOp::Eq)
            .map(StrOpKind::Text)
            .chain([StrOpKind::Like, StrOpKind::Matches])
    }

    /// The operator as written.
    pub const fn keyword(self) -> &'static str {
        match self {
            StrOpKind::Text(op) => op.keyword(),
            StrOpKind::Like => "like",
            StrOpKind::Matches => "matches",
        }
    }

    /// What the operator tests, in a few words (editor completion).
    pub const fn summary(self) -> &'static str {
        match self {
            StrOpKind::Text(op) => op.summary(),
            StrOpKind::Like => "matches the glob (`*`, `?`) over the whole value",
            StrOpKind::Matches => "the regular expression is found in the value",
        }
    }
}

/// `any` / `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantKind {
    /// `any`
    Any,
    /// `all`
    All,
}

/// The right-hand side of `==` etc.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal.
    Lit(Literal),
    /// Another field.
    Field(Ident),
}

/// The test part of a comparison.
#[derive(Debug, Clone)]
pub enum CmpKind {
    /// `exists`
    Exists,
    /// `missing`
    Missing,
    /// `[not] in [cased] [cidr] list`
    In {
        /// `not in`
        negated: bool,
        /// `cased` and its span.
        cased: Option<Span>,
        /// `cidr` and its span.
        cidr: Option<Span>,
        /// The list.
        list: ListOperand,
    },
    /// `contains ...` etc.
    StrTest {
        /// The operator and its span.
        op: (StrOpKind, Span),
        /// `cased` and its span.
        cased: Option<Span>,
        /// `any`/`all` and its span.
        quant: Option<(QuantKind, Span)>,
        /// A single string, or a list.
        value: StrTestValue,
    },
    /// `== != < <= > >=`
    Compare {
        /// The operator and its span.
        op: (CmpOp, Span),
        /// `cased` and its span.
        cased: Option<Span>,
        /// The right-hand side.
        rhs: Operand,
    },
}

/// The value of a string test.
#[derive(Debug, Clone)]
pub enum StrTestValue {
    /// One string.
    One(Str),
    /// A list.
    List(ListOperand),
}

/// `test "name" ...`
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The case's name.
    pub name: Str,
    /// `at "<time>"`: the query time for a stateful case.
    pub at: Option<Str>,
    /// What is expected.
    pub body: TestBody,
    /// The whole entry.
    pub span: Span,
}

/// The expectation of a test case.
#[derive(Debug, Clone)]
pub enum TestBody {
    /// `expect match|nomatch { event }`
    Event {
        /// Whether the rule must match.
        expect: bool,
        /// The event.
        event: serde_json::Value,
    },
    /// `expect alerts [...] events [...]|"file"`
    Stream {
        /// The expected alerts (JSON objects).
        alerts: Vec<serde_json::Value>,
        /// The events.
        events: StreamEvents,
    },
}

/// The events of a stateful test case.
#[derive(Debug, Clone)]
pub enum StreamEvents {
    /// Inline JSON objects.
    Inline(Vec<serde_json::Value>),
    /// A JSONL file beside the rule file.
    File(Str),
}

/// A duration literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    /// Total seconds.
    pub seconds: u64,
    /// As written.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A stateful stage as written.
#[derive(Debug, Clone)]
pub enum StageDecl {
    /// `threshold count|distinct F <op> N [by ...] window D`
    Threshold {
        /// `None` for `count`, the field for `distinct F`.
        distinct: Option<Ident>,
        /// The comparison.
        op: (CmpOp, Span),
        /// The number.
        value: Num,
        /// Grouping fields.
        by: Vec<Ident>,
        /// The window.
        window: Duration,
        /// The whole entry.
        span: Span,
    },
    /// `new F, ... baseline D window D`
    New {
        /// The fields whose values must be new.
        fields: Vec<Ident>,
        /// The baseline length.
        baseline: Duration,
        /// The detection window.
        window: Duration,
        /// The whole entry.
        span: Span,
    },
    /// `sequence by K within D [a, b]`
    Sequence {
        /// Grouping fields.
        by: Vec<Ident>,
        /// Maximum time from the first step to the last.
        within: Duration,
        /// The steps: names of conditions or rules.
        steps: Vec<Ident>,
        /// The whole entry.
        span: Span,
    },
}

impl StageDecl {
    /// The entry's span.
    pub fn span(&self) -> Span {
        match self {
            StageDecl::Threshold { span, .. }
            | StageDecl::New { span, .. }
            | StageDecl::Sequence { span, .. } => *span,
        }
    }
}
