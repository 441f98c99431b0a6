//! A rule's stateful stage (`threshold`, `new`, `sequence`) checked and lowered.

use super::*;

impl<'a> Checker<'a> {
    /// Check and lower a rule's stateful stage.
    pub(super) fn stage(
        &mut self,
        f: usize,
        r: &'a ast::RuleDecl,
        source_name: &str,
        src: &Source,
        m: Option<&'a ast::Expr>,
    ) -> Option<ir::Stage> {
        let first = r.stages.first()?;
        if src.timestamp.is_none() {
            self.err(
                f,
                CheckError::BadValue {
                    reason: format!(
                        "log source `{source_name}` has no timestamp field in the catalog"
                    ),
                    span: first.span().into(),
                    help: Some(
                        "stateful stages need event times; add `timestamp:` to the source".into(),
                    ),
                },
            );
            return None;
        }
        for extra in &r.stages[1..] {
            self.err(
                f,
                CheckError::DuplicateEntry {
                    key: "stateful stage (threshold, new or sequence)".into(),
                    span: extra.span().into(),
                },
            );
        }
        // Every stage field is a key (grouping, distinct count, first-seen tuple).
        let field = |c: &mut Self, id: &ast::Ident| -> Option<ir::Field> {
            match src.field_type(&id.name) {
                Some(ty) if ir::stage_key::check_type(ty).is_err() => {
                    let reason = ir::stage_key::check_type(ty).err().unwrap_or_default();
                    c.err(
                        f,
                        CheckError::StageKey {
                            field: id.name.clone(),
                            reason: reason.to_string(),
                            span: id.span.into(),
                        },
                    );
                    None
                }
                Some(ty) => Some(ir::Field {
                    name: id.name.clone(),
                    ty,
                    mapped: None,
                }),
                None => {
                    c.unknown_field(f, &id.name, source_name, src, id.span);
                    None
                }
            }
        };
        let dur = |c: &mut Self, d: &ast::Duration| -> Option<ir::Duration> {
            if d.seconds == 0 {
                c.err(
                    f,
                    CheckError::BadValue {
                        reason: "a window must be longer than zero".into(),
                        span: d.span.into(),
                        help: None,
                    },
                );
                return None;
            }
            Some(ir::Duration { seconds: d.seconds })
        };
        match first {
            ast::StageDecl::Threshold {
                distinct,
                op,
                value,
                by,
                window,
                span,
            } => {
                let distinct = match distinct {
                    Some(d) => Some(field(self, d)?),
                    None => None,
                };
                let by: Vec<Option<ir::Field>> = by.iter().map(|b| field(self, b)).collect();
                let window = dur(self, window);
                let n = value.text.parse::<u64>().ok();
                if n.is_none() {
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: "a threshold is a whole number of at least 0".into(),
                            span: value.span.into(),
                            help: None,
                        },
                    );
                }
                let op = match op.0 {
                    CmpOpKind::Eq => ir::CountOp::Eq,
                    CmpOpKind::Ne => ir::CountOp::Ne,
                    CmpOpKind::Lt => ir::CountOp::Lt,
                    CmpOpKind::Le => ir::CountOp::Le,
                    CmpOpKind::Gt => ir::CountOp::Gt,
                    CmpOpKind::Ge => ir::CountOp::Ge,
                };
                Some(ir::Stage::Threshold {
                    distinct,
                    op,
                    value: n?,
                    by: by.into_iter().collect::<Option<Vec<_>>>()?,
                    window: window?,
                    span: *span,
                })
            }
            ast::StageDecl::New {
                fields,
                baseline,
                window,
                span,
            } => {
                let fs: Vec<Option<ir::Field>> = fields.iter().map(|b| field(self, b)).collect();
                let (baseline, window) = (dur(self, baseline), dur(self, window));
                Some(ir::Stage::FirstSeen {
                    fields: fs.into_iter().collect::<Option<Vec<_>>>()?,
                    baseline: baseline?,
                    window: window?,
                    span: *span,
                })
            }
            ast::StageDecl::Sequence {
                by,
                within,
                steps,
                span,
            } => {
                let by: Vec<Option<ir::Field>> = by.iter().map(|b| field(self, b)).collect();
                let within = dur(self, within);
                let mut out = Vec::new();
                for s in steps {
                    let decl = self.scopes[f].get(&s.name).copied();
                    let expr: Option<&'a ast::Expr> = match decl {
                        Some(Decl::Cond(c, _)) => Some(&c.expr),
                        Some(Decl::Rule(rf)) => {
                            self.rule_match(rf, &s.name, source_name, s.span, f)
                        }
                        Some(other) => {
                            self.err(
                                f,
                                CheckError::WrongKind {
                                    name: s.name.clone(),
                                    actual: other.kind(),
                                    expected: "condition or rule",
                                    span: s.span.into(),
                                },
                            );
                            None
                        }
                        None => {
                            let help = self.name_help(f, &s.name, "condition");
                            self.err(
                                f,
                                CheckError::UnknownName {
                                    kind: "condition",
                                    name: s.name.clone(),
                                    span: s.span.into(),
                                    help,
                                },
                            );
                            None
                        }
                    };
                    let Some(expr) = expr else { continue };
                    let file = match decl {
                        Some(Decl::Cond(_, cf)) => cf,
                        Some(Decl::Rule(rf)) => rf,
                        _ => f,
                    };
                    let mut stack = Vec::new();
                    if let Some(e) = self.lower(file, expr, source_name, src, &mut stack) {
                        out.push(ir::Step {
                            name: s.name.clone(),
                            expr: e,
                        });
                    }
                }
                let _ = m;
                if out.len() != steps.len() {
                    return None;
                }
                Some(ir::Stage::Sequence {
                    by: by.into_iter().collect::<Option<Vec<_>>>()?,
                    within: within?,
                    steps: out,
                    span: *span,
                })
            }
        }
    }
}
