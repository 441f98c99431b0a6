//! Comparisons: every operator against its field's type, lowered to IR predicates.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn comparison(
        &mut self,
        f: usize,
        c: &'a ast::Comparison,
        source_name: &str,
        src: &Source,
    ) -> Option<ir::Expr> {
        let Some(ty) = src.field_type(&c.field.name) else {
            self.unknown_field(f, &c.field.name, source_name, src, c.field.span);
            return None;
        };
        let field = ir::Field {
            name: c.field.name.clone(),
            ty,
            mapped: None,
        };
        let span = c.span;
        let pred = |test: Test| {
            ir::Expr::Pred(ir::Pred {
                field: field.clone(),
                test,
                span,
            })
        };
        let not = |e: ir::Expr| ir::Expr::Not(Box::new(e));
        let fname = c.field.name.as_str();
        if ty == FieldType::Json {
            let contains = matches!(
                &c.kind,
                CmpKind::StrTest {
                    op: (StrOpKind::Text(StrOp::Contains), _),
                    ..
                }
            );
            if !contains && !matches!(c.kind, CmpKind::Exists | CmpKind::Missing) {
                self.type_mismatch(
                    f,
                    "this comparison",
                    fname,
                    ty,
                    span,
                    Some(format!(
                        "`{fname}` holds JSON; its text is spelled differently by each platform, so only `contains`, `exists` and `missing` are exact"
                    )),
                );
                return None;
            }
        }
        match &c.kind {
            CmpKind::Exists => Some(pred(Test::Exists)),
            CmpKind::Missing => Some(not(pred(Test::Exists))),
            CmpKind::In {
                negated,
                cased,
                cidr,
                list,
            } => {
                let e = pred(self.in_list(f, fname, ty, span, *cased, cidr.is_some(), list)?);
                Some(if *negated { not(e) } else { e })
            }
            CmpKind::StrTest {
                op,
                cased,
                quant,
                value,
            } => {
                let what = &format!("`{}`", op.0.keyword());
                if !matches!(ty, FieldType::String | FieldType::Ip | FieldType::Json) {
                    let help = match ty {
                        FieldType::Number => Some(
                            "compare numbers with `==`, `!=`, `<`, `<=`, `>`, `>=` or `in [...]`"
                                .to_string(),
                        ),
                        _ => None,
                    };
                    self.type_mismatch(f, what, fname, ty, span, help);
                    return None;
                }
                let values = self.str_values(f, what, fname, ty, *quant, value)?;
                self.str_test(f, &field, span, op.0, cased.is_some(), *quant, values)
            }
            CmpKind::Compare { op, cased, rhs } => {
                self.compare(f, c, field.clone(), ty, op.0, *cased, rhs, source_name, src)
            }
        }
    }

    /// `F [not] in [cased] [cidr] LIST`: the test for the list's kind against the field's type.
    #[allow(clippy::too_many_arguments)]
    fn in_list(
        &mut self,
        f: usize,
        fname: &str,
        ty: FieldType,
        span: Span,
        cased: Option<Span>,
        cidr: bool,
        list: &ListOperand,
    ) -> Option<Test> {
        let vals = self.list_operand(f, list, cidr);
        let vals = vals?;
        Some(match vals {
            ListVal::Cidrs(nets) => {
                if ty != FieldType::Ip {
                    self.type_mismatch(
                        f,
                        "a CIDR test",
                        fname,
                        ty,
                        span,
                        Some("CIDR tests apply to fields of type ip".into()),
                    );
                    return None;
                }
                if let Some(cs) = cased {
                    self.cased_not_allowed(f, cs, "a CIDR test");
                    return None;
                }
                Test::Cidr { nets }
            }
            ListVal::Numbers(values) => {
                if ty != FieldType::Number {
                    self.type_mismatch(
                        f,
                        "a list of numbers",
                        fname,
                        ty,
                        span,
                        Some("compare with a list of strings instead".into()),
                    );
                    return None;
                }
                if let Some(cs) = cased {
                    self.cased_not_allowed(f, cs, "a numeric comparison");
                    return None;
                }
                Test::NumEq { values }
            }
            ListVal::Strings(values) => {
                if !matches!(ty, FieldType::String | FieldType::Ip) {
                    self.type_mismatch(
                        f,
                        "a list of strings",
                        fname,
                        ty,
                        span,
                        Some(format!(
                            "`{fname}` holds {}s: use a list of those",
                            ty.name()
                        )),
                    );
                    return None;
                }
                if ty == FieldType::Ip {
                    if let Some(v) = values.iter().find(|v| v.contains('/')) {
                        self.err(f, CheckError::BadValue {
                            reason: format!("`{v}` looks like a network, but `in` without `cidr` compares whole values"),
                            span: list.span().into(),
                            help: Some(format!("write `{fname} in cidr [...]` to test network membership")),
                        });
                        return None;
                    }
                }
                Test::Str {
                    op: StrOp::Eq,
                    values,
                    quant: Quant::Any,
                    cased: cased.is_some(),
                }
            }
        })
    }

    /// The values of a string test (one string, or a list with `any`/`all`), each checked:
    /// not empty, and JSON-safe on a `json` field.
    fn str_values(
        &mut self,
        f: usize,
        what: &str,
        fname: &str,
        ty: FieldType,
        quant: Option<(ast::QuantKind, Span)>,
        value: &ast::StrTestValue,
    ) -> Option<Vec<ast::Str>> {
        let (values, _vspan) = match value {
            ast::StrTestValue::One(s) => (vec![s.clone()], s.span),
            ast::StrTestValue::List(l) => {
                if quant.is_none() {
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: format!("{what} with a list needs `any` or `all`"),
                            span: l.span().into(),
                            help: Some(format!(
                                "write `{fname} {} any [...]` (one of) or `all [...]` (every one)",
                                what.trim_matches('`')
                            )),
                        },
                    );
                    return None;
                }
                let vals = self.list_operand(f, l, false)?;
                let ListVal::Strings(v) = vals else {
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: format!("{what} needs a list of strings"),
                            span: l.span().into(),
                            help: None,
                        },
                    );
                    return None;
                };
                let sp = l.span();
                (
                    v.into_iter()
                        .map(|value| ast::Str { value, span: sp })
                        .collect(),
                    sp,
                )
            }
        };
        for v in &values {
            if v.value.is_empty() {
                self.err(
                    f,
                    CheckError::EmptyString {
                        field: fname.to_string(),
                        span: v.span.into(),
                    },
                );
                return None;
            }
            if ty == FieldType::Json && !json_safe(&v.value) {
                self.err(f, CheckError::BadValue {
                    reason: format!("`{}` may be spelled differently in JSON text on different platforms", v.value),
                    span: v.span.into(),
                    help: Some(format!("on a json field such as `{fname}`, `contains` takes ASCII letters, digits, `_`, `-`, `.` and `@` only: JSON writers differ in spacing and escaping of everything else")),
                });
                return None;
            }
        }
        Some(values)
    }

    /// A string test lowered: a named text test (`contains`, ...) as one `Test::Str`, `like` as
    /// globs (`all` of several: one glob each), `matches` as checked regexes.
    #[allow(clippy::too_many_arguments)]
    fn str_test(
        &mut self,
        f: usize,
        field: &ir::Field,
        span: Span,
        op: StrOpKind,
        cased: bool,
        quant: Option<(ast::QuantKind, Span)>,
        values: Vec<ast::Str>,
    ) -> Option<ir::Expr> {
        let pred = |test: Test| {
            ir::Expr::Pred(ir::Pred {
                field: field.clone(),
                test,
                span,
            })
        };
        let q = match quant {
            Some((ast::QuantKind::All, _)) => Quant::All,
            Some((ast::QuantKind::Any, _)) | None => Quant::Any,
        };
        let strs: Vec<String> = values.iter().map(|v| v.value.clone()).collect();
        match op {
            StrOpKind::Text(op) => Some(pred(Test::Str {
                op,
                values: strs,
                quant: q,
                cased,
            })),
            StrOpKind::Like => {
                if q == Quant::All && strs.len() > 1 {
                    let parts = strs
                        .into_iter()
                        .map(|p| {
                            pred(Test::Glob {
                                patterns: vec![p],
                                cased,
                            })
                        })
                        .collect();
                    return Some(ir::Expr::And(parts));
                }
                Some(pred(Test::Glob {
                    patterns: strs,
                    cased,
                }))
            }
            StrOpKind::Matches => {
                let mut ok = true;
                for v in &values {
                    if let Err(reason) = regex_check::check(&v.value) {
                        ok = false;
                        self.err(
                            f,
                            CheckError::BadRegex {
                                reason,
                                span: v.span.into(),
                            },
                        );
                    }
                }
                if !ok {
                    return None;
                }
                let mut parts: Vec<ir::Expr> = strs
                    .into_iter()
                    .map(|p| pred(Test::Regex { pattern: p, cased }))
                    .collect();
                Some(match (parts.len(), q) {
                    (1, _) => parts.remove(0),
                    (_, Quant::Any) => ir::Expr::Or(parts),
                    (_, Quant::All) => ir::Expr::And(parts),
                })
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn compare(
        &mut self,
        f: usize,
        c: &ast::Comparison,
        field: ir::Field,
        ty: FieldType,
        op: CmpOp,
        cased: Option<Span>,
        rhs: &ast::Operand,
        source_name: &str,
        src: &Source,
    ) -> Option<ir::Expr> {
        let l = Lhs {
            f,
            field,
            fname: c.field.name.as_str(),
            ty,
            op,
            cased,
            span: c.span,
        };
        match rhs {
            ast::Operand::Field(other) => self.compare_fields(&l, other, source_name, src),
            ast::Operand::Lit(Literal::Str(s)) => self.compare_str(&l, s),
            ast::Operand::Lit(Literal::Num(n)) => self.compare_num(&l, n),
            ast::Operand::Lit(Literal::Bool(b, _)) => self.compare_bool(&l, b),
        }
    }

    /// `F == G`, `F != G`.
    fn compare_fields(
        &mut self,
        l: &Lhs,
        other: &ast::Ident,
        source_name: &str,
        src: &Source,
    ) -> Option<ir::Expr> {
        let (f, fname, ty, cased, span) = (l.f, l.fname, l.ty, l.cased, l.span);
        let Some(oty) = src.field_type(&other.name) else {
            self.unknown_field(f, &other.name, source_name, src, other.span);
            return None;
        };
        if l.ordering().is_some() {
            self.err(
                f,
                CheckError::BadValue {
                    reason: "only `==` and `!=` compare two fields".into(),
                    span: span.into(),
                    help: None,
                },
            );
            return None;
        }
        let stringy = |t: FieldType| matches!(t, FieldType::String | FieldType::Ip);
        if !(stringy(ty) && stringy(oty)) && ty != oty {
            self.type_mismatch(
                f,
                &format!(
                    "a comparison with `{}` (a {} field)",
                    other.name,
                    oty.name()
                ),
                fname,
                ty,
                span,
                None,
            );
            return None;
        }
        if cased.is_some() && !stringy(ty) {
            self.cased_not_allowed(f, cased.unwrap_or(span), "a non-string comparison");
            return None;
        }
        let other = ir::Field {
            name: other.name.clone(),
            ty: oty,
            mapped: None,
        };
        Some(l.negate(l.pred(Test::FieldEq {
            other,
            cased: cased.is_some(),
        })))
    }

    /// `F == "v"`, and the orderings refused with a string.
    fn compare_str(&mut self, l: &Lhs, s: &ast::Str) -> Option<ir::Expr> {
        let (f, fname, ty, op, cased, span) = (l.f, l.fname, l.ty, l.op, l.cased, l.span);
        if let Some(o) = l.ordering() {
            let help = if ty == FieldType::Number && Number::parse(&s.value).is_some() {
                Some(format!(
                    "write the number without quotes: `{fname} {} {}`",
                    o.symbol(),
                    s.value
                ))
            } else {
                Some("`<`, `<=`, `>`, `>=` compare numbers".to_string())
            };
            self.type_mismatch(
                f,
                &format!("`{}` with a string", o.symbol()),
                fname,
                ty,
                span,
                help,
            );
            return None;
        }
        if !matches!(ty, FieldType::String | FieldType::Ip) {
            let help = if ty == FieldType::Number && Number::parse(&s.value).is_some() {
                Some(format!(
                    "`{fname}` is a number: write `{fname} {} {}`",
                    op.symbol(),
                    s.value
                ))
            } else if ty == FieldType::Bool {
                Some("compare with `true` or `false`".to_string())
            } else {
                None
            };
            self.type_mismatch(f, "a string comparison", fname, ty, span, help);
            return None;
        }
        if s.value.is_empty() {
            self.err(
                f,
                CheckError::EmptyString {
                    field: fname.to_string(),
                    span: s.span.into(),
                },
            );
            return None;
        }
        if ty == FieldType::Ip && s.value.contains('/') {
            self.err(
                f,
                CheckError::BadValue {
                    reason: format!(
                        "`{}` looks like a network, but `==` compares whole values",
                        s.value
                    ),
                    span: s.span.into(),
                    help: Some(format!("write `{fname} in cidr [\"{}\"]`", s.value)),
                },
            );
            return None;
        }
        Some(l.negate(l.pred(Test::Str {
            op: StrOp::Eq,
            values: vec![s.value.clone()],
            quant: Quant::Any,
            cased: cased.is_some(),
        })))
    }

    /// `F == 5` and the orderings.
    fn compare_num(&mut self, l: &Lhs, n: &ast::Num) -> Option<ir::Expr> {
        let (f, fname, ty, op, cased, span) = (l.f, l.fname, l.ty, l.op, l.cased, l.span);
        if ty != FieldType::Number {
            let help = if let Some(o) = l.ordering() {
                Some(format!(
                    "`{}` compares numbers and `{fname}` is a {}: use `==`, `in`, `contains`, `like` or `matches`",
                    o.symbol(),
                    ty.name()
                ))
            } else if matches!(ty, FieldType::String) {
                let sym = op.symbol();
                Some(format!(
                    "`{fname}` is a string: quote the value, `{fname} {sym} \"{}\"`",
                    n.text
                ))
            } else {
                None
            };
            self.type_mismatch(f, "a numeric comparison", fname, ty, span, help);
            return None;
        }
        if let Some(cs) = cased {
            self.cased_not_allowed(f, cs, "a numeric comparison");
            return None;
        }
        let Some(v) = Number::parse(&n.text) else {
            self.err(f, bad_number(n));
            return None;
        };
        Some(match l.ordering() {
            Some(o) => l.pred(Test::NumCmp { op: o, value: v }),
            None => l.negate(l.pred(Test::NumEq { values: vec![v] })),
        })
    }

    /// `F == true`, `F != false`.
    fn compare_bool(&mut self, l: &Lhs, b: &bool) -> Option<ir::Expr> {
        let (f, fname, ty, cased, span) = (l.f, l.fname, l.ty, l.cased, l.span);
        if ty != FieldType::Bool {
            self.type_mismatch(f, "a comparison with true/false", fname, ty, span, None);
            return None;
        }
        if l.ordering().is_some() {
            self.type_mismatch(f, "an l.ordering() comparison", fname, ty, span, None);
            return None;
        }
        if let Some(cs) = cased {
            self.cased_not_allowed(f, cs, "a boolean comparison");
            return None;
        }
        Some(l.negate(l.pred(Test::BoolEq { value: *b })))
    }

    pub(super) fn type_mismatch(
        &mut self,
        f: usize,
        what: &str,
        field: &str,
        ty: FieldType,
        span: Span,
        help: Option<String>,
    ) {
        self.err(
            f,
            CheckError::TypeMismatch {
                what: what.to_string(),
                field: field.to_string(),
                ty: ty.name(),
                span: span.into(),
                help,
            },
        );
    }

    pub(super) fn cased_not_allowed(&mut self, f: usize, span: Span, what: &str) {
        self.err(
            f,
            CheckError::BadValue {
                reason: format!("`cased` does not apply to {what}"),
                span: span.into(),
                help: Some("`cased` makes string comparisons case-sensitive; remove it".into()),
            },
        );
    }
}

/// The left-hand side of a comparison and its operator.
#[derive(Clone)]
struct Lhs<'a> {
    f: usize,
    field: ir::Field,
    fname: &'a str,
    ty: FieldType,
    op: CmpOp,
    cased: Option<Span>,
    span: Span,
}

impl Lhs<'_> {
    fn pred(&self, test: Test) -> ir::Expr {
        ir::Expr::Pred(ir::Pred {
            field: self.field.clone(),
            test,
            span: self.span,
        })
    }

    /// `e`, negated for `!=`.
    fn negate(&self, e: ir::Expr) -> ir::Expr {
        if self.op == CmpOp::Ne {
            ir::Expr::Not(Box::new(e))
        } else {
            e
        }
    }

    /// The operator, when it is an ordering (`<`, `<=`, `>`, `>=`).
    fn ordering(&self) -> Option<CmpOp> {
        self.op.is_ordering().then_some(self.op)
    }
}
