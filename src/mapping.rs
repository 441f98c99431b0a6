//! Field mapping: an IR → IR pass that records, for every field of a rule, how the chosen
//! target writes it (a column name or an expression), from the catalog.

use miette::SourceSpan;

use crate::catalog::Source;
use crate::ir::{Field, Rule, Test};

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

/// Map every field of `rule` for catalog key `key`.
pub fn map_rule(
    rule: &Rule,
    source_name: &str,
    source: &Source,
    key: &str,
) -> Result<Rule, Vec<MapError>> {
    let mut out = rule.clone();
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
