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
        let field = |c: &mut Self, id: &ast::Ident| c.stage_field(f, id, source_name, src);
        let dur = |c: &mut Self, d: &ast::Duration| c.stage_duration(f, d);
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
                let n = self.threshold_value(f, value);
                Some(ir::Stage::Threshold {
                    distinct,
                    op: op.0,
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
                let out = self.sequence_steps(f, steps, source_name, src);
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

    /// A field of a stage: every stage field is a key (grouping, distinct count, first-seen
    /// tuple), so its type must be one a key can have.
    fn stage_field(
        &mut self,
        f: usize,
        id: &ast::Ident,
        source_name: &str,
        src: &Source,
    ) -> Option<ir::Field> {
        match src.field_type(&id.name) {
            Some(ty) if ir::stage_key::check_type(ty).is_err() => {
                let reason = ir::stage_key::check_type(ty).err().unwrap_or_default();
                self.err(
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
                self.unknown_field(f, &id.name, source_name, src, id.span);
                None
            }
        }
    }

    /// The number of a threshold: a whole number of at least 0.
    fn threshold_value(&mut self, f: usize, value: &ast::Num) -> Option<u64> {
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
        n
    }

    /// A stage's window or baseline: longer than zero.
    fn stage_duration(&mut self, f: usize, d: &ast::Duration) -> Option<ir::Duration> {
        if d.seconds == 0 {
            self.err(
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
    }

    /// The steps of a sequence, each a condition or a rule of the same source, lowered;
    /// a step that does not resolve is reported and left out.
    fn sequence_steps(
        &mut self,
        f: usize,
        steps: &'a [ast::Ident],
        source_name: &str,
        src: &Source,
    ) -> Vec<ir::Step> {
        let mut out = Vec::new();
        for s in steps {
            let decl = self.scopes[f].get(&s.name).copied();
            let expr: Option<&'a ast::Expr> = match decl {
                Some(Decl::Cond(c, _)) => Some(&c.expr),
                Some(Decl::Rule(rf)) => self.rule_match(rf, &s.name, source_name, s.span, f),
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
        out
    }
}
