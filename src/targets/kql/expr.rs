//! KQL boolean expressions: the match expression as `where` predicates, each predicate two-valued
//! where a `not` could see a missing value; operators chosen by case, regexes, CIDR ranges.

use super::*;

// ---------------------------------------------------------------------------------------
// Expression fragments
// ---------------------------------------------------------------------------------------

/// KQL's boolean tokens: `and`/`or`/`not(...)`; a chain is parenthesised only as an
/// operand, chains are not merged, and no flat chain has more than [`CHAIN_MAX`] operands.
pub(crate) const STYLE: Style = Style {
    and: " and ",
    or: " or ",
    truth: "true",
    falsity: "false",
    negation: Negation::Call("not"),
    always_group: false,
    flatten: false,
    chain_max: CHAIN_MAX,
};

/// A piece of KQL boolean expression.
pub(super) type Frag = Node;

/// Join `parts` with `and` (`and`) or `or`.
pub(super) fn chain(parts: Vec<Frag>, and: bool) -> Frag {
    STYLE.join(parts, and)
}

/// A quoted, comma-separated list `("a", "b")`.
pub(super) fn string_list(values: &[&str]) -> String {
    let items: Vec<String> = values.iter().map(|v| quote_string(v)).collect();
    format!("({})", items.join(", "))
}

/// One string test term: its positive and its negated form (both two-valued).
pub(super) struct Term {
    pos: Frag,
    neg: Frag,
}

impl Term {
    pub(super) fn op(f: &str, op: &str, nop: &str, rhs: &str) -> Term {
        Term {
            pos: Node::atom(format!("{f} {op} {rhs}")),
            neg: Node::atom(format!("{f} {nop} {rhs}")),
        }
    }

    pub(super) fn regex(f: &str, pattern: &str) -> Term {
        let pos = Node::atom(format!("{f} matches regex {}", quote_verbatim(pattern)));
        let neg = pos.clone().negate();
        Term { pos, neg }
    }
}

/// Combine terms: `and` (else `or`) for the positive form, its dual for the negated one.
pub(super) fn terms(ts: Vec<Term>, and: bool, negated: bool) -> Frag {
    if negated {
        chain(ts.into_iter().map(|t| t.neg).collect(), !and)
    } else {
        chain(ts.into_iter().map(|t| t.pos).collect(), and)
    }
}

// ---------------------------------------------------------------------------------------
// The emitter
// ---------------------------------------------------------------------------------------

/// Prints IR for one target flavour.
pub(super) struct Emitter<'a> {
    /// `kql (sentinel)` or `kql (defender)`, for diagnostics.
    pub(super) target: &'a str,
}

impl Emitter<'_> {
    /// `e` as a KQL boolean expression. `neg` is set when an odd number of `not`s enclose it,
    /// so that every predicate whose value could be null must be emitted two-valued.
    pub(super) fn expr(&self, e: &Expr, neg: bool) -> Result<Frag, Vec<TargetError>> {
        match e {
            Expr::And(xs) => self.list(xs, neg, true),
            Expr::Or(xs) => self.list(xs, neg, false),
            Expr::Not(inner) => match inner.as_ref() {
                Expr::Not(x) => self.expr(x, neg),
                Expr::Pred(p) => self.pred(p, true, true).map_err(|e| vec![e]),
                other => Ok(self.expr(other, !neg)?.negate()),
            },
            Expr::Pred(p) => self.pred(p, false, neg).map_err(|e| vec![e]),
        }
    }

    pub(super) fn list(&self, xs: &[Expr], neg: bool, and: bool) -> Result<Frag, Vec<TargetError>> {
        let mut parts = Vec::with_capacity(xs.len());
        let mut errors = Vec::new();
        for x in xs {
            match self.expr(x, neg) {
                Ok(f) => parts.push(f),
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(chain(parts, and))
        } else {
            Err(errors)
        }
    }

    pub(super) fn refuse(
        &self,
        p: &Pred,
        kind: Construct,
        construct: &str,
        reason: &str,
        help: Option<&str>,
    ) -> TargetError {
        unsupported(self.target, kind, construct, p.span, reason, help)
    }

    pub(super) fn type_refusal(&self, p: &Pred, what: &str) -> TargetError {
        super::super::type_refusal(self.target, p, what)
    }

    /// One predicate. `negated`: emit its negation. `two_valued`: the plain form may not be
    /// null (it is under a `not`). Negated forms are always two-valued.
    pub(super) fn pred(
        &self,
        p: &Pred,
        negated: bool,
        two_valued: bool,
    ) -> Result<Frag, TargetError> {
        let f = field_text(&p.field);
        let ty = p.field.ty;
        let stringy = matches!(ty, FieldType::String | FieldType::Ip | FieldType::Json);
        match &p.test {
            Test::Str {
                op,
                values,
                quant,
                cased,
            } => {
                if !stringy {
                    return Err(self.type_refusal(p, "a string comparison"));
                }
                self.str_test(p, &f, *op, values, *quant, *cased, negated)
            }
            Test::Glob { patterns, cased } => {
                if !stringy {
                    return Err(self.type_refusal(p, "a `like` glob"));
                }
                let flags = if *cased { "(?s)" } else { "(?is)" };
                let body: Vec<String> = patterns
                    .iter()
                    .map(|g| format!("^{}$", glob_body(g)))
                    .collect();
                let pattern = format!("{flags}{}", body.join("|"));
                let empty = patterns.iter().any(|g| g.chars().all(|c| c == '*'));
                Ok(regex_frag(&f, &pattern, empty, negated))
            }
            Test::Regex { pattern, cased } => self.regex_test(p, &f, pattern, *cased, negated),
            Test::Cidr { nets } => {
                if !stringy {
                    return Err(self.type_refusal(p, "a `cidr` test"));
                }
                Ok(cidr(&f, nets, negated, two_valued))
            }
            Test::NumEq { values } => self.num_eq(p, &f, values, negated, two_valued),
            Test::NumCmp { op, value } => {
                if ty != FieldType::Number {
                    return Err(self.type_refusal(p, "a numeric comparison"));
                }
                let plain = format!("{f} {} {}", cmp_op(*op), number_text(value));
                let negd = format!("not({plain})");
                Ok(nullable(&f, plain, negd, negated, two_valued))
            }
            Test::BoolEq { value } => {
                if ty != FieldType::Bool {
                    return Err(self.type_refusal(p, "a boolean comparison"));
                }
                Ok(nullable(
                    &f,
                    format!("{f} == {value}"),
                    format!("{f} != {value}"),
                    negated,
                    two_valued,
                ))
            }
            Test::Exists => {
                let (yes, no) = if stringy {
                    ("isnotempty", "isempty")
                } else {
                    ("isnotnull", "isnull")
                };
                let func = if negated { no } else { yes };
                Ok(Node::atom(format!("{func}({f})")))
            }
            Test::FieldEq { other, cased } => {
                self.field_eq(p, &f, other, *cased, negated, two_valued)
            }
        }
    }

    /// `matches`: the pattern with ASCII classes spelled out and case folding as asked.
    fn regex_test(
        &self,
        p: &Pred,
        f: &str,
        pattern: &str,
        cased: bool,
        negated: bool,
    ) -> Result<Frag, TargetError> {
        let stringy = matches!(
            p.field.ty,
            FieldType::String | FieldType::Ip | FieldType::Json
        );
        if !stringy {
            return Err(self.type_refusal(p, "a regular expression"));
        }
        // `\d`, `\w`, `\s` are ASCII in the language; spelled out, they are ASCII in
        // every regex dialect Kusto has documented (RE2 and Rust-style).
        let pattern = crate::ir::regex::ascii_classes(pattern, false);
        let pattern = if cased {
            pattern
        } else {
            with_case_insensitive(&pattern)
        };
        let hir = regex_syntax::Parser::new().parse(&pattern).map_err(|e| {
            self.refuse(
                p,
                Construct::RegexPattern,
                "this regular expression",
                &format!("it does not parse: {e}"),
                None,
            )
        })?;
        let groups = hir.properties().explicit_captures_len();
        if groups > MAX_REGEX_GROUPS {
            return Err(self.refuse(
                p,
                Construct::RegexPattern,
                &format!("a regular expression with more than {MAX_REGEX_GROUPS} groups"),
                &format!("this pattern has {groups} capture groups; `matches regex` allows at most {MAX_REGEX_GROUPS}"),
                Some("use non-capturing groups `(?:...)`"),
            ));
        }
        let empty = hir.properties().minimum_len() == Some(0);
        Ok(regex_frag(f, &pattern, empty, negated))
    }

    /// `F == 5`, `F in [1, 2]`.
    fn num_eq(
        &self,
        p: &Pred,
        f: &str,
        values: &[Number],
        negated: bool,
        two_valued: bool,
    ) -> Result<Frag, TargetError> {
        let ty = p.field.ty;
        if ty != FieldType::Number {
            return Err(self.type_refusal(p, "a numeric comparison"));
        }
        if values.len() > MAX_IN_VALUES {
            return Err(self.refuse(
                p,
                Construct::LongList,
                &format!("an `in` list of more than {MAX_IN_VALUES} values"),
                &format!("this list has {} values", values.len()),
                None,
            ));
        }
        let (op, nop, rhs) = if values.len() == 1 {
            ("==", "!=", number_text(&values[0]))
        } else {
            let items: Vec<String> = values.iter().map(number_text).collect();
            ("in", "!in", format!("({})", items.join(", ")))
        };
        Ok(nullable(
            f,
            format!("{f} {op} {rhs}"),
            format!("{f} {nop} {rhs}"),
            negated,
            two_valued,
        ))
    }

    /// `F == G`: as text for text fields (present and equal, folded unless `cased`), as
    /// values for two fields of one other type.
    #[allow(clippy::too_many_arguments)]
    fn field_eq(
        &self,
        p: &Pred,
        f: &str,
        other: &crate::ir::Field,
        cased: bool,
        negated: bool,
        two_valued: bool,
    ) -> Result<Frag, TargetError> {
        let ty = p.field.ty;
        let stringy = matches!(ty, FieldType::String | FieldType::Ip | FieldType::Json);
        let g = field_text(other);
        let oty = other.ty;
        let ostringy = matches!(oty, FieldType::String | FieldType::Ip | FieldType::Json);
        if stringy && ostringy {
            let (eq, ne) = if cased {
                (format!("{f} == {g}"), format!("{f} != {g}"))
            } else {
                (
                    format!("tolower({f}) == tolower({g})"),
                    format!("tolower({f}) != tolower({g})"),
                )
            };
            Ok(if negated {
                chain(
                    vec![Node::atom(format!("isempty({f})")), Node::atom(ne)],
                    false,
                )
            } else {
                chain(
                    vec![Node::atom(format!("isnotempty({f})")), Node::atom(eq)],
                    true,
                )
            })
        } else if ty == oty {
            let eq = Node::atom(format!("{f} == {g}"));
            Ok(if negated {
                chain(
                    vec![
                        Node::atom(format!("isnull({f})")),
                        Node::atom(format!("isnull({g})")),
                        Node::atom(format!("{f} != {g}")),
                    ],
                    false,
                )
            } else if two_valued {
                chain(
                    vec![
                        Node::atom(format!("isnotnull({f})")),
                        Node::atom(format!("isnotnull({g})")),
                        eq,
                    ],
                    true,
                )
            } else {
                eq
            })
        } else {
            Err(self.refuse(
                p,
                Construct::FieldComparison,
                &format!(
                    "a comparison of the {} field `{}` with the {} field `{}`",
                    ty.name(),
                    p.field.name,
                    oty.name(),
                    other.name
                ),
                "the two fields' values are not of one type, so comparing them as text is not exact",
                None,
            ))
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn str_test(
        &self,
        p: &Pred,
        f: &str,
        op: StrOp,
        values: &[String],
        quant: Quant,
        cased: bool,
        negated: bool,
    ) -> Result<Frag, TargetError> {
        // Values KQL's operators handle exactly, and values that need a `(?i)` regex.
        let (ops, folds): (Vec<&str>, Vec<&str>) = values
            .iter()
            .map(String::as_str)
            .partition(|v| cased || !needs_unicode_fold(v));
        let regex_of = |v: &str| -> String {
            let (start, end) = op.anchors();
            let (pre, post) = (if start { "^" } else { "" }, if end { "$" } else { "" });
            format!("{pre}{}{post}", regex_literal(v))
        };
        let fold_term = |vs: &[&str]| -> Term {
            let alts: Vec<String> = vs.iter().map(|v| regex_of(v)).collect();
            Term::regex(f, &format!("(?i){}", alts.join("|")))
        };
        let mut ts = Vec::new();
        // `all` (and one value) joins with `and`, `any` of several with `or`.
        let and = !(quant == Quant::Any && values.len() > 1);
        if op == StrOp::Eq && !and {
            if ops.len() > MAX_IN_VALUES {
                return Err(self.refuse(
                    p,
                    Construct::LongList,
                    &format!("an `in` list of more than {MAX_IN_VALUES} values"),
                    &format!("this list has {} values", ops.len()),
                    None,
                ));
            }
            match (ops.len(), cased) {
                (0, _) => {}
                (1, true) => ts.push(Term::op(f, "==", "!=", &quote_string(ops[0]))),
                (1, false) => ts.push(Term::op(f, "=~", "!~", &quote_string(ops[0]))),
                (_, true) => ts.push(Term::op(f, "in", "!in", &string_list(&ops))),
                (_, false) => ts.push(Term::op(f, "in~", "!in~", &string_list(&ops))),
            }
            if !folds.is_empty() {
                ts.push(fold_term(&folds));
            }
            return Ok(terms(ts, and, negated));
        }
        let (pos, neg) = match (op, cased) {
            (StrOp::Eq, true) => ("==", "!="),
            (StrOp::Eq, false) => ("=~", "!~"),
            (StrOp::Contains, true) => ("contains_cs", "!contains_cs"),
            (StrOp::Contains, false) => ("contains", "!contains"),
            (StrOp::StartsWith, true) => ("startswith_cs", "!startswith_cs"),
            (StrOp::StartsWith, false) => ("startswith", "!startswith"),
            (StrOp::EndsWith, true) => ("endswith_cs", "!endswith_cs"),
            (StrOp::EndsWith, false) => ("endswith", "!endswith"),
        };
        for v in &ops {
            ts.push(Term::op(f, pos, neg, &quote_string(v)));
        }
        if !folds.is_empty() {
            if !and {
                ts.push(fold_term(&folds));
            } else {
                ts.extend(folds.iter().map(|v| fold_term(&[v])));
            }
        }
        Ok(terms(ts, and, negated))
    }
}

/// `F matches regex P`, with an `isnotempty(F)` guard when `P` can match the empty string
/// (a missing field is the empty string in KQL but never matches in the language).
pub(super) fn regex_frag(f: &str, pattern: &str, can_match_empty: bool, negated: bool) -> Frag {
    let m = Term::regex(f, pattern);
    let test = if negated { m.neg } else { m.pos };
    if can_match_empty {
        let g = Guard::new(format!("isnotempty({f})"), format!("isempty({f})"));
        guarded(&STYLE, vec![g], test, negated)
    } else {
        test
    }
}

/// A predicate on a nullable (number or bool) column: `plain` is null when `f` is null and
/// `negd` is its negation over non-null values.
pub(super) fn nullable(
    f: &str,
    plain: String,
    negd: String,
    negated: bool,
    two_valued: bool,
) -> Frag {
    let g = Guard::new(format!("isnotnull({f})"), format!("isnull({f})"));
    if negated {
        guarded(&STYLE, vec![g], Node::atom(negd), true)
    } else if two_valued {
        guarded(&STYLE, vec![g], Node::atom(plain), false)
    } else {
        Node::atom(plain)
    }
}

/// An IP address in any of `nets`, each family tested with its own functions and guarded so
/// that only an address of that family written in that family's notation can match.
pub(super) fn cidr(f: &str, nets: &[ipnet::IpNet], negated: bool, two_valued: bool) -> Frag {
    let v4: Vec<String> = nets
        .iter()
        .filter(|n| matches!(n, ipnet::IpNet::V4(_)))
        .map(|n| n.to_string())
        .collect();
    let v6: Vec<String> = nets
        .iter()
        .filter(|n| matches!(n, ipnet::IpNet::V6(_)))
        .map(|n| n.to_string())
        .collect();
    let call = |family: &str, nets: &[String]| -> String {
        if nets.len() == 1 {
            format!("ipv{family}_is_in_range({f}, {})", quote_string(&nets[0]))
        } else {
            let items: Vec<String> = nets.iter().map(|n| quote_string(n)).collect();
            format!(
                "ipv{family}_is_in_any_range({f}, dynamic([{}]))",
                items.join(", ")
            )
        }
    };
    // Two-valued when the result is negated or under a `not`: a failed conversion (null)
    // counts as "not in the range".
    let exact = negated || two_valued;
    let mut parts = Vec::new();
    for (family, nets, guard) in [
        // A canonical dotted-quad IPv4 address: `format_ipv4` of anything else (masked
        // `a.b.c.d/n`, leading zeros, a bare number, blanks, an IPv6 address) differs from it.
        ("4", &v4, format!("format_ipv4({f}) == {f}")),
        (
            "6",
            &v6,
            format!("{f} matches regex {}", quote_verbatim(IPV6_SHAPE)),
        ),
    ] {
        if nets.is_empty() {
            continue;
        }
        let c = call(family, nets);
        let part = if exact {
            vec![
                Node::atom(guard),
                Node::atom(format!("coalesce({c}, false)")),
            ]
        } else {
            vec![Node::atom(c), Node::atom(guard)]
        };
        parts.push(chain(part, true));
    }
    let any = chain(parts, false);
    if negated {
        any.negate()
    } else {
        any
    }
}
