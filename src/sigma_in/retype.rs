//! A Sigma rule read against a catalog source: every field it names must be a field of the
//! source (a coded error with did-you-mean otherwise, as in `.trip` rules), and every test
//! takes the field's catalog type, with the same rules the checker applies to `.trip` rules:
//!
//! | catalog type | Sigma test | read as |
//! |---|---|---|
//! | string, ip | strings, wildcards, `re`, `exists`, `fieldref` | as is |
//! | string, ip | numbers (`Field: 4`) | string equality with the number's text |
//! | ip | `cidr` | CIDR membership |
//! | number | numbers, numeric strings (`'4'`), `lt`/`gt`… | numeric equality / ordering |
//! | bool | `'true'` / `'false'` (any case) | boolean equality |
//! | json | `contains` with needles every JSON writer spells alike | JSON-text `contains` |
//!
//! Anything else (`contains` on a number field, `cidr` on a string field, `lt` on a string
//! field, ...) is refused with `tripline::sigma_in::field_type`, naming the field's type.

use crate::catalog::{FieldType, Source};
use crate::ir::{Expr, Number, Pred, StrOp, Test};

use super::{sp, SigmaInError};

/// Give every predicate of `expr` its field's catalog type, or every reason it cannot be.
pub(super) fn retype(expr: &mut Expr, source_name: &str, src: &Source) -> Vec<SigmaInError> {
    let mut errors = Vec::new();
    walk(expr, &mut |p| {
        if let Err(e) = pred(p, source_name, src) {
            errors.push(e);
        }
    });
    errors
}

fn walk(e: &mut Expr, f: &mut dyn FnMut(&mut Pred)) {
    match e {
        Expr::And(xs) | Expr::Or(xs) => xs.iter_mut().for_each(|x| walk(x, f)),
        Expr::Not(x) => walk(x, f),
        Expr::Pred(p) => f(p),
    }
}

fn unknown(name: &str, source_name: &str, src: &Source, p: &Pred) -> SigmaInError {
    SigmaInError::UnknownField {
        field: name.to_string(),
        source_name: source_name.to_string(),
        span: sp(p.span),
        help: crate::check::did_you_mean(name, src.fields.keys().map(String::as_str))
            .unwrap_or_else(|| format!("`tripline sources {source_name}` lists its fields")),
    }
}

fn pred(p: &mut Pred, source_name: &str, src: &Source) -> Result<(), SigmaInError> {
    let name = p.field.name.clone();
    let ty = src
        .field_type(&name)
        .ok_or_else(|| unknown(&name, source_name, src, p))?;
    if let Test::FieldEq { other, .. } = &p.test {
        let other_name = other.name.clone();
        let oty = src
            .field_type(&other_name)
            .ok_or_else(|| unknown(&other_name, source_name, src, p))?;
        if oty != ty {
            return Err(mismatch(
                p,
                ty,
                "`fieldref` compares two fields of different types",
            ));
        }
        if let Test::FieldEq { other, .. } = &mut p.test {
            other.ty = oty;
        }
    }
    let new = retyped(p, ty)?;
    p.field.ty = ty;
    if let Some(t) = new {
        p.test = t;
    }
    Ok(())
}

/// The test `p` becomes on a field of type `ty` (`None`: it stays as it is), or why it
/// does not apply.
fn retyped(p: &Pred, ty: FieldType) -> Result<Option<Test>, SigmaInError> {
    let stringy = matches!(ty, FieldType::String | FieldType::Ip);
    let new = match (&p.test, ty) {
        (Test::Exists, _) => None,
        (Test::FieldEq { .. }, FieldType::String | FieldType::Ip | FieldType::Number) => None,
        (Test::Str { .. } | Test::Glob { .. } | Test::Regex { .. }, _) if stringy => None,
        (Test::Cidr { .. }, FieldType::Ip) => None,
        (Test::NumEq { values }, _) if stringy => Some(Test::Str {
            op: StrOp::Eq,
            values: values.iter().map(|n| n.text.clone()).collect(),
            quant: crate::ir::Quant::Any,
            cased: false,
        }),
        (Test::NumEq { .. } | Test::NumCmp { .. }, FieldType::Number) => None,
        (
            Test::Str {
                op: StrOp::Eq,
                values,
                quant: crate::ir::Quant::Any,
                ..
            },
            FieldType::Number,
        ) => match numbers(values) {
            Some(values) => Some(Test::NumEq { values }),
            None => {
                return Err(mismatch(
                    p,
                    ty,
                    "a value that is not a number is compared with a number field",
                ))
            }
        },
        (
            Test::Str {
                op: StrOp::Eq,
                values,
                quant: crate::ir::Quant::Any,
                cased: false,
            },
            FieldType::Bool,
        ) if values.len() == 1 && matches!(values[0].to_lowercase().as_str(), "true" | "false") => {
            Some(Test::BoolEq {
                value: values[0].eq_ignore_ascii_case("true"),
            })
        }
        (
            Test::Str {
                op: StrOp::Contains,
                values,
                ..
            },
            FieldType::Json,
        ) => {
            if let Some(v) = values.iter().find(|v| !crate::check::json_safe(v)) {
                return Err(mismatch(
                    p,
                    ty,
                    &format!("`{v}` holds characters that JSON writers spell differently"),
                ));
            }
            None
        }
        (Test::NumCmp { .. }, _) => {
            return Err(mismatch(p, ty, "`lt`/`lte`/`gt`/`gte` compare numbers"));
        }
        (Test::Cidr { .. }, _) => {
            return Err(mismatch(p, ty, "`cidr` applies to fields of type ip"));
        }
        _ => {
            return Err(mismatch(
                p,
                ty,
                "this comparison does not apply to the field's type",
            ));
        }
    };
    Ok(new)
}

/// The values as numbers, when each is the language's number text (`4`, `-2`, `3.5`).
fn numbers(values: &[String]) -> Option<Vec<Number>> {
    values
        .iter()
        .map(|v| {
            let canonical = !v.is_empty()
                && v.trim_start_matches('-')
                    .split('.')
                    .all(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                && v.matches('.').count() <= 1;
            canonical.then(|| Number::parse(v)).flatten()
        })
        .collect()
}

fn mismatch(p: &Pred, ty: FieldType, reason: &str) -> SigmaInError {
    SigmaInError::FieldType {
        field: p.field.name.clone(),
        ty: ty.name(),
        reason: reason.to_string(),
        span: sp(p.span),
    }
}
