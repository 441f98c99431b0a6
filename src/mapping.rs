//! Field mapping: an IR → IR pass that records, for every field of a rule, how the chosen
//! target writes it (a column name or an expression), from the catalog. Where the target's
//! catalog section selects records by the source's `recognize` predicate, that predicate is
//! ANDed before the rule's expression first, so it is mapped like the rule's own fields.

use miette::SourceSpan;

use crate::catalog::Source;
use crate::ir::{Expr, Field, Rule, Test};

/// A field that the catalog says cannot be queried on the target.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("field `{field}` of `{source_name}` is not available on {key}")]
#[diagnostic(code(tripline::mapping::unavailable_field))]
pub struct MapError {
    /// The field.
    pub field: String,
    /// The source.
    pub source_name: String,
    /// The catalog key.
    pub key: String,
    /// The comparison using it.
    #[label("used here")]
    pub span: SourceSpan,
    /// The catalog's reason.
    #[help]
    pub why: String,
}

/// The whole source cannot be queried on the target.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("log source `{source_name}` is not available on {key}")]
#[diagnostic(code(tripline::mapping::unavailable_source))]
pub struct SourceUnavailable {
    /// The source.
    pub source_name: String,
    /// The catalog key.
    pub key: String,
    /// The rule's `source` line.
    #[label("this source")]
    pub span: SourceSpan,
    /// The catalog's reason.
    #[help]
    pub why: String,
}

/// Map every field of `rule` for catalog key `key`.
pub fn map_rule(
    rule: &Rule,
    source_name: &str,
    source: &Source,
    key: &str,
) -> Result<Rule, Vec<MapError>> {
    let mut out = rule.clone();
    if let Some(t) = source.targets.get(key) {
        if t.recognize {
            if let Some(r) = &source.recognize {
                if let Ok(mut pred) = crate::check::recognizer(source_name, source, &r.text) {
                    // Its spans point into the catalog; refusals point at the rule instead.
                    pred.preds_mut(&mut |p| {
                        p.span = crate::ir::Span::new(rule.span.start, rule.span.start + 4)
                    });
                    out.expr = match (pred, out.expr) {
                        (Expr::And(mut xs), Expr::And(ys)) => {
                            xs.extend(ys);
                            Expr::And(xs)
                        }
                        (Expr::And(mut xs), y) => {
                            xs.push(y);
                            Expr::And(xs)
                        }
                        (x, Expr::And(mut ys)) => {
                            ys.insert(0, x);
                            Expr::And(ys)
                        }
                        (x, y) => Expr::And(vec![x, y]),
                    };
                }
            }
        }
    }
    let mut errors = Vec::new();
    let mut map = |f: &mut Field, span: crate::ir::Span| match source.map_field(key, &f.name) {
        Ok(m) => f.mapped = Some(m),
        Err(why) => errors.push(MapError {
            field: f.name.clone(),
            source_name: source_name.to_string(),
            key: key.to_string(),
            span: span.into(),
            why,
        }),
    };
    out.expr.preds_mut(&mut |p| {
        let span = p.span;
        map(&mut p.field, span);
        if let Test::FieldEq { other, .. } = &mut p.test {
            map(other, span);
        }
    });
    if let Some(stage) = &mut out.stage {
        let span = stage.span();
        for f in stage.fields_mut() {
            map(f, span);
        }
        if let crate::ir::Stage::Sequence { steps, .. } = stage {
            for step in steps {
                step.expr.preds_mut(&mut |p| {
                    let span = p.span;
                    map(&mut p.field, span);
                    if let Test::FieldEq { other, .. } = &mut p.test {
                        map(other, span);
                    }
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
