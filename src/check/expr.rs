//! Match expressions lowered to IR: fields, conditions, keywords and list operands.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn unknown_field(
        &mut self,
        f: usize,
        name: &str,
        source_name: &str,
        src: &Source,
        span: Span,
    ) {
        let help = did_you_mean(name, src.fields.keys().map(String::as_str));
        self.err(
            f,
            CheckError::UnknownField {
                field: name.to_string(),
                source_name: source_name.to_string(),
                span: span.into(),
                help,
            },
        );
    }

    /// Lower an expression written in file `f` for source `src`.
    pub(super) fn lower(
        &mut self,
        f: usize,
        e: &'a ast::Expr,
        source_name: &str,
        src: &Source,
        stack: &mut Vec<String>,
    ) -> Option<ir::Expr> {
        let nests = matches!(
            e,
            ast::Expr::And(..) | ast::Expr::Or(..) | ast::Expr::Not(..)
        );
        if !nests {
            return self.lower_node(f, e, source_name, src, stack);
        }
        if self.depth >= MAX_EXPR_DEPTH {
            self.err(
                f,
                CheckError::ExprDepth {
                    limit: MAX_EXPR_DEPTH,
                    span: e.span().into(),
                },
            );
            return None;
        }
        self.depth += 1;
        let out = self.lower_node(f, e, source_name, src, stack);
        self.depth -= 1;
        out
    }

    pub(super) fn lower_node(
        &mut self,
        f: usize,
        e: &'a ast::Expr,
        source_name: &str,
        src: &Source,
        stack: &mut Vec<String>,
    ) -> Option<ir::Expr> {
        match e {
            ast::Expr::And(xs, _) | ast::Expr::Or(xs, _) => {
                let is_and = matches!(e, ast::Expr::And(..));
                // Every operand is lowered (so every error is reported) before giving up.
                let lowered: Vec<Option<ir::Expr>> = xs
                    .iter()
                    .map(|x| self.lower(f, x, source_name, src, stack))
                    .collect();
                let mut out = Vec::with_capacity(lowered.len());
                for x in lowered {
                    match (x?, is_and) {
                        (ir::Expr::And(ys), true) | (ir::Expr::Or(ys), false) => out.extend(ys),
                        (y, _) => out.push(y),
                    }
                }
                Some(if is_and {
                    ir::Expr::And(out)
                } else {
                    ir::Expr::Or(out)
                })
            }
            ast::Expr::Not(x, _) => {
                let inner = self.lower(f, x, source_name, src, stack)?;
                Some(match inner {
                    ir::Expr::Not(y) => *y,
                    other => ir::Expr::Not(Box::new(other)),
                })
            }
            ast::Expr::Keyword(s, span) => self.keyword(f, s, *span, src),
            ast::Expr::Ref(id) => {
                let Some(decl) = self.scopes[f].get(&id.name).copied() else {
                    let help = self.name_help(f, &id.name, "condition");
                    self.err(
                        f,
                        CheckError::UnknownName {
                            kind: "condition",
                            name: id.name.clone(),
                            span: id.span.into(),
                            help,
                        },
                    );
                    return None;
                };
                let Decl::Cond(c, cf) = decl else {
                    self.err(
                        f,
                        CheckError::WrongKind {
                            name: id.name.clone(),
                            actual: decl.kind(),
                            expected: "condition",
                            span: id.span.into(),
                        },
                    );
                    return None;
                };
                let key = format!("{cf}:{}", c.name.name);
                if stack.len() >= crate::syntax::MAX_DEPTH {
                    self.err(
                        f,
                        CheckError::ConditionDepth {
                            limit: crate::syntax::MAX_DEPTH,
                            span: id.span.into(),
                        },
                    );
                    return None;
                }
                if stack.contains(&key) {
                    self.err(
                        f,
                        CheckError::ConditionCycle {
                            name: id.name.clone(),
                            span: id.span.into(),
                        },
                    );
                    return None;
                }
                stack.push(key);
                let out = self.lower(cf, &c.expr, source_name, src, stack);
                stack.pop();
                out
            }
            ast::Expr::Cmp(c) => self.comparison(f, c, source_name, src),
        }
    }

    pub(super) fn name_help(&self, f: usize, name: &str, kind: &str) -> Option<String> {
        let mut names: Vec<&str> = self.scopes[f]
            .iter()
            .filter(|(_, d)| d.kind() == kind)
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort();
        did_you_mean(name, names)
    }

    pub(super) fn keyword(
        &mut self,
        f: usize,
        s: &ast::Str,
        span: Span,
        src: &Source,
    ) -> Option<ir::Expr> {
        if s.value.is_empty() {
            self.err(
                f,
                CheckError::BadValue {
                    reason: "empty keyword".into(),
                    span: s.span.into(),
                    help: None,
                },
            );
            return None;
        }
        let preds: Vec<ir::Expr> = src
            .fields
            .iter()
            .filter(|(name, d)| {
                d.ty() == FieldType::String && src.timestamp.as_deref() != Some(name.as_str())
            })
            .map(|(name, d)| {
                ir::Expr::Pred(ir::Pred {
                    field: ir::Field {
                        name: name.clone(),
                        ty: d.ty(),
                        mapped: None,
                    },
                    test: Test::Str {
                        op: StrOp::Contains,
                        values: vec![s.value.clone()],
                        quant: Quant::Any,
                        cased: false,
                    },
                    span,
                })
            })
            .collect();
        match preds.len() {
            0 => {
                self.err(
                    f,
                    CheckError::BadValue {
                        reason: "keyword search on a source with no string fields".into(),
                        span: span.into(),
                        help: None,
                    },
                );
                None
            }
            1 => preds.into_iter().next(),
            _ => Some(ir::Expr::Or(preds)),
        }
    }

    /// Resolve a list operand to its values.
    pub(super) fn list_operand(
        &mut self,
        f: usize,
        l: &ListOperand,
        cidr: bool,
    ) -> Option<ListVal> {
        match l {
            ListOperand::Literal(items, span) => {
                let ty = if cidr {
                    Some(ast::ListType::Cidr)
                } else {
                    None
                };
                self.list_values(f, ty, items, *span)
            }
            ListOperand::Named(id) => {
                let Some(decl) = self.scopes[f].get(&id.name).copied() else {
                    let help = self.name_help(f, &id.name, "list");
                    self.err(
                        f,
                        CheckError::UnknownName {
                            kind: "list",
                            name: id.name.clone(),
                            span: id.span.into(),
                            help,
                        },
                    );
                    return None;
                };
                let Decl::List(l, lf) = decl else {
                    self.err(
                        f,
                        CheckError::WrongKind {
                            name: id.name.clone(),
                            actual: decl.kind(),
                            expected: "list",
                            span: id.span.into(),
                        },
                    );
                    return None;
                };
                // Errors in the list itself were reported at its declaration.
                self.lists
                    .get(&(lf, l.name.name.clone()))
                    .cloned()
                    .flatten()
            }
        }
    }
}
