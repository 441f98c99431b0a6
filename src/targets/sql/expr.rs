//! The match expression in SQL. Every predicate is written so that it is true exactly when
//! the language's test holds, false or NULL otherwise; NULL (a missing column) only
//! matters under a `not`, where SQL's `NOT NULL` is NULL again, so a predicate under an odd
//! number of `not`s is written two-valued with `coalesce(…, FALSE)`. A missing value is
//! NULL or `''`: tests that could hold on `''` (a glob of stars, a regex that matches the
//! empty string, field equality) are guarded with `<> ''`.

use super::{Dialect, STYLE};
use crate::catalog::{FieldType, Mapped};
use crate::ir::{self, Expr, Pred, Quant, StrOp, Test};
use crate::targets::logic::Node;
use crate::targets::text::caseful_non_ascii;
use crate::targets::Construct;
use crate::targets::{unsupported, TargetError};

/// The language's number pattern (`-?[0-9]+(\.[0-9]+)?`, the whole value).
const NUMBER: &str = r"^-?[0-9]+(?:\.[0-9]+)?$";
/// A dotted IPv4 address as the language parses one (no leading zeros).
const IPV4_OCTET: &str = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";

/// Writes IR predicates for one dialect.
pub struct Writer {
    pub d: &'static dyn Dialect,
    /// The column each source field is held in (see [`super::columns`]).
    pub columns: std::collections::HashMap<String, String>,
    /// The source's time field, a `TIMESTAMP` column in the lake layout (not compared).
    pub time: Option<String>,
}

impl Writer {
    /// `e` as a boolean tree. `neg`: an odd number of `not`s enclose it.
    pub fn expr(&self, e: &Expr, neg: bool) -> Result<Node, Vec<TargetError>> {
        match e {
            Expr::And(xs) | Expr::Or(xs) => {
                let mut parts = Vec::with_capacity(xs.len());
                let mut errors = Vec::new();
                for x in xs {
                    match self.expr(x, neg) {
                        Ok(n) => parts.push(n),
                        Err(e) => errors.extend(e),
                    }
                }
                if !errors.is_empty() {
                    return Err(errors);
                }
                Ok(STYLE.join(parts, matches!(e, Expr::And(_))))
            }
            Expr::Not(x) => Ok(self.expr(x, !neg)?.negate()),
            Expr::Pred(p) => {
                let n = self.pred(p).map_err(|e| vec![e])?;
                Ok(if neg {
                    Node::atom(format!("coalesce({}, FALSE)", STYLE.render(&n)))
                } else {
                    n
                })
            }
        }
    }

    /// How a field is read: its (quoted) column, or the catalog's expression.
    pub fn column(&self, f: &ir::Field) -> String {
        match f.target() {
            Mapped::Column(c) => self.d.ident(&self.column_name(&c)),
            Mapped::Expr(e) => format!("({e})"),
        }
    }

    /// The column a field name is held in.
    pub fn column_name(&self, name: &str) -> String {
        self.columns
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    fn refuse(&self, p: &Pred, kind: Construct, construct: String, reason: &str) -> TargetError {
        unsupported(self.d.name(), kind, &construct, p.span, reason, None)
    }

    fn type_refusal(&self, p: &Pred, what: &str) -> TargetError {
        crate::targets::type_refusal(self.d.name(), p, what)
    }

    /// The field holds a value (not NULL, not `''`): what every key of a stage needs.
    pub fn present(&self, f: &ir::Field) -> Node {
        Node::bare(format!("coalesce({}, '') <> ''", self.column(f)))
    }

    /// A value folded as the language folds it, or a refusal when it holds a non-ASCII
    /// letter with case (`lower()` is not known to fold it as the language does).
    fn folded(&self, p: &Pred, v: &str, cased: bool) -> Result<String, TargetError> {
        if cased {
            return Ok(v.to_string());
        }
        if let Some(c) = caseful_non_ascii(v) {
            return Err(self.refuse(
                p,
                Construct::CaselessNonAscii,
                format!("a case-insensitive comparison with `{c}`"),
                "SQL's lower() is not known to fold non-ASCII letters as the language does",
            ));
        }
        // The language folds case by Unicode lower-casing (the evaluator's `fold`).
        Ok(v.to_lowercase())
    }

    /// The predicate's positive form: true exactly when the test holds, else false or NULL.
    fn pred(&self, p: &Pred) -> Result<Node, TargetError> {
        if self.time.as_deref() == Some(p.field.name.as_str()) && p.test != Test::Exists {
            return Err(self.refuse(
                p,
                Construct::TimeFieldComparison,
                format!("a comparison of the time field `{}`", p.field.name),
                "the lake layout holds the source's time as a TIMESTAMP, not as its text",
            ));
        }
        let c = self.column(&p.field);
        let ty = p.field.ty;
        let s = |v: &str| self.d.string(v);
        match &p.test {
            Test::Str {
                op,
                values,
                quant,
                cased,
            } => self.str_test(p, &c, *op, values, *quant, *cased),
            Test::Glob { patterns, cased } => self.glob_test(p, &c, patterns, *cased),
            Test::Regex { pattern, cased } => self.regex_test(p, &c, pattern, *cased),
            Test::Cidr { nets } => {
                if ty != FieldType::Ip && ty != FieldType::String {
                    return Err(self.type_refusal(p, "a CIDR test"));
                }
                self.cidr(p, &c, nets)
            }
            Test::NumEq { values } => {
                if ty != FieldType::Number {
                    return Err(self.type_refusal(p, "a numeric comparison"));
                }
                let n = self.number(&c);
                let items: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
                let test = if items.len() == 1 {
                    format!("{n} = {}", items[0])
                } else {
                    format!("{n} IN ({})", items.join(", "))
                };
                Ok(STYLE.all(vec![self.is_number(&c), Node::bare(test)]))
            }
            Test::NumCmp { op, value } => {
                if ty != FieldType::Number {
                    return Err(self.type_refusal(p, "a numeric comparison"));
                }
                let test = format!("{} {} {}", self.number(&c), super::cmp_op(*op), value.text);
                Ok(STYLE.all(vec![self.is_number(&c), Node::bare(test)]))
            }
            Test::BoolEq { value } => {
                if ty != FieldType::Bool {
                    return Err(self.type_refusal(p, "a boolean comparison"));
                }
                Ok(Node::bare(format!(
                    "lower({c}) = {}",
                    s(&value.to_string())
                )))
            }
            Test::Exists if self.time.as_deref() == Some(p.field.name.as_str()) => {
                Ok(Node::bare(format!("{c} IS NOT NULL")))
            }
            Test::Exists => Ok(self.present(&p.field)),
            Test::FieldEq { other, cased } => self.field_eq(p, &c, other, *cased),
        }
    }

    /// `==`, `in`, `contains`, `startswith`, `endswith` on text.
    fn str_test(
        &self,
        p: &Pred,
        c: &str,
        op: StrOp,
        values: &[String],
        quant: Quant,
        cased: bool,
    ) -> Result<Node, TargetError> {
        let ty = p.field.ty;
        let stringy = matches!(ty, FieldType::String | FieldType::Ip | FieldType::Json);
        let s = |v: &str| self.d.string(v);
        let lower = |cased: bool| {
            if cased {
                c.to_string()
            } else {
                format!("lower({c})")
            }
        };
        if !stringy {
            return Err(self.type_refusal(p, "a string comparison"));
        }
        let l = lower(cased);
        let vs = values
            .iter()
            .map(|v| self.folded(p, v, cased))
            .collect::<Result<Vec<_>, _>>()?;
        if op == StrOp::Eq && quant == Quant::Any && vs.len() > 1 {
            let items: Vec<String> = vs.iter().map(|v| s(v)).collect();
            return Ok(Node::bare(format!("{l} IN ({})", items.join(", "))));
        }
        let one = |v: &String| match op {
            StrOp::Eq => Node::bare(format!("{l} = {}", s(v))),
            StrOp::Contains => Node::atom(format!("contains({l}, {})", s(v))),
            StrOp::StartsWith => Node::atom(format!("{}({l}, {})", self.d.starts_with(), s(v))),
            StrOp::EndsWith => Node::atom(format!("{}({l}, {})", self.d.ends_with(), s(v))),
        };
        Ok(STYLE.join(vs.iter().map(one).collect(), quant == Quant::All))
    }

    /// `Ok` when the field holds text, else the type refusal of `what`.
    fn text_only(&self, p: &Pred, what: &str) -> Result<(), TargetError> {
        match p.field.ty {
            FieldType::String | FieldType::Ip | FieldType::Json => Ok(()),
            _ => Err(self.type_refusal(p, what)),
        }
    }

    /// `like`: each glob over the whole value.
    fn glob_test(
        &self,
        p: &Pred,
        c: &str,
        patterns: &[String],
        cased: bool,
    ) -> Result<Node, TargetError> {
        self.text_only(p, "a `like` glob")?;
        let s = |v: &str| self.d.string(v);
        let not_empty = Node::bare(format!("{c} <> ''"));
        let mut parts = Vec::new();
        for g in patterns {
            // Without `cased`, a glob folds case as a regex does (simple case folding,
            // not lower()); so does a dialect whose `LIKE` is not exact.
            let like = if !cased || self.d.globs_by_regex() {
                let rx = self.d.regex(&glob_regex(g), cased).map_err(|why| {
                    self.refuse(p, Construct::GlobPattern, format!("the glob `{g}`"), &why)
                })?;
                Node::atom(self.d.regex_search(c, &s(&rx)))
            } else {
                Node::bare(format!("{c} LIKE {} ESCAPE {}", s(&like(g)), s("\\")))
            };
            parts.push(if g.chars().all(|ch| ch == '*') {
                STYLE.all(vec![not_empty.clone(), like])
            } else {
                like
            });
        }
        Ok(STYLE.any(parts))
    }

    /// `matches`: a search for the regex; a regex that matches the empty text needs a
    /// present value too.
    fn regex_test(
        &self,
        p: &Pred,
        c: &str,
        pattern: &str,
        cased: bool,
    ) -> Result<Node, TargetError> {
        self.text_only(p, "a regular expression")?;
        let s = |v: &str| self.d.string(v);
        let not_empty = Node::bare(format!("{c} <> ''"));
        let rx = self.d.regex(pattern, cased).map_err(|why| {
            self.refuse(
                p,
                Construct::RegexPattern,
                format!("the regular expression `{pattern}`"),
                &why,
            )
        })?;
        let search = Node::atom(self.d.regex_search(c, &s(&rx)));
        let empty = super::regex::can_match_empty(pattern);
        Ok(if empty {
            STYLE.all(vec![not_empty, search])
        } else {
            search
        })
    }

    /// `F == G`: both present text, equal (folded unless `cased`).
    fn field_eq(
        &self,
        p: &Pred,
        c: &str,
        other: &crate::ir::Field,
        cased: bool,
    ) -> Result<Node, TargetError> {
        let ty = p.field.ty;
        let stringy = matches!(ty, FieldType::String | FieldType::Ip | FieldType::Json);
        let not_empty = Node::bare(format!("{c} <> ''"));
        let o = self.column(other);
        let ostringy = matches!(
            other.ty,
            FieldType::String | FieldType::Ip | FieldType::Json
        );
        if !(stringy && ostringy) {
            return Err(self.refuse(
                p,
                Construct::FieldComparison,
                format!(
                    "a comparison of the {} field `{}` with the {} field `{}`",
                    ty.name(),
                    p.field.name,
                    other.ty.name(),
                    other.name
                ),
                "the SQL targets compare fields as text, which is exact only for text fields",
            ));
        }
        let eq = if cased {
            format!("{c} = {o}")
        } else {
            format!("lower({c}) = lower({o})")
        };
        Ok(STYLE.all(vec![not_empty, Node::bare(eq)]))
    }

    /// The value read as a number (NULL when it is not one).
    fn number(&self, c: &str) -> String {
        self.d.try_cast(c, "DOUBLE")
    }

    /// The value is a number as the language reads one.
    fn is_number(&self, c: &str) -> Node {
        let rx = self
            .d
            .regex(NUMBER, true)
            .expect("the number pattern is portable");
        Node::atom(self.d.regex_search(c, &self.d.string(&rx)))
    }

    /// IPv4 networks exactly: the value is a dotted address and its number is in a range.
    fn cidr(&self, p: &Pred, c: &str, nets: &[ipnet::IpNet]) -> Result<Node, TargetError> {
        let mut ranges = Vec::new();
        for n in nets {
            match n {
                ipnet::IpNet::V4(n) => {
                    ranges.push((u32::from(n.network()), u32::from(n.broadcast())))
                }
                ipnet::IpNet::V6(_) => {
                    return Err(self.refuse(
                        p,
                        Construct::Ipv6Cidr,
                        format!("the IPv6 network {n}"),
                        "the SQL targets test IPv4 networks only (by the address's number); IPv6 text has many spellings",
                    ))
                }
            }
        }
        let rx = format!("^{IPV4_OCTET}(?:\\.{IPV4_OCTET}){{3}}$");
        let rx = self
            .d
            .regex(&rx, true)
            .expect("the address pattern is portable");
        let octet = |i: usize| {
            self.d
                .try_cast(&format!("split_part({c}, '.', {i})"), "BIGINT")
        };
        let num = format!(
            "({} * 16777216 + {} * 65536 + {} * 256 + {})",
            octet(1),
            octet(2),
            octet(3),
            octet(4)
        );
        let inside: Vec<Node> = ranges
            .iter()
            .map(|(a, b)| Node::bare(format!("{num} BETWEEN {a} AND {b}")))
            .collect();
        Ok(STYLE.all(vec![
            Node::atom(self.d.regex_search(c, &self.d.string(&rx))),
            STYLE.any(inside),
        ]))
    }
}

/// A glob as a regex of the language over the whole value (`*` any run, `?` one character).
pub fn glob_regex(glob: &str) -> String {
    let mut out = String::from("(?s)^");
    for ch in glob.chars() {
        match ch {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            ch => out.push_str(&regex_syntax::escape(ch.encode_utf8(&mut [0; 4]))),
        }
    }
    out.push('$');
    out
}

/// A glob as a `LIKE` pattern with `\` as the escape: `*` is `%`, `?` is `_`, and `%`, `_`
/// and `\` are literal.
pub fn like(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 4);
    for ch in glob.chars() {
        match ch {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            ch => out.push(ch),
        }
    }
    out
}
