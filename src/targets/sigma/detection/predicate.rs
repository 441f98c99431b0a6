//! Predicates → detection items: each IR predicate as a `field|modifiers: values` item (or a
//! small tree of them), with the two-valued guards Sigma needs and coded refusals.

use super::*;
use crate::targets::Construct;

pub(super) fn to_logic(expr: &Expr, errors: &mut Vec<TargetError>) -> Option<L> {
    match expr {
        Expr::And(xs) | Expr::Or(xs) => {
            let kids: Vec<Option<L>> = xs.iter().map(|x| to_logic(x, errors)).collect();
            let kids: Option<Vec<L>> = kids.into_iter().collect();
            let kids = kids?;
            Some(if matches!(expr, Expr::And(_)) {
                L::And(kids)
            } else {
                L::Or(kids)
            })
        }
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Pred(p) if p.test == Test::Exists => {
                let f = field_name(&p.field, p.span, errors)?;
                Some(missing(&f))
            }
            other => Some(L::Not(Box::new(to_logic(other, errors)?))),
        },
        Expr::Pred(p) => pred(p, errors),
    }
}

/// The Sigma name of a field, or a refusal.
pub(in crate::targets::sigma) fn field_name(
    field: &Field,
    span: Span,
    errors: &mut Vec<TargetError>,
) -> Option<String> {
    match field.target() {
        Mapped::Column(c) => {
            if c.is_empty() || c.contains('|') || c.chars().any(|ch| ch.is_control()) {
                errors.push(unsupported(
                    TARGET,
                    Construct::FieldName,
                    "this field name",
                    span,
                    &format!(
                        "the Sigma field name `{}` would be read as something else: a key is \
                         `field|modifier|...`, so a field name cannot be empty or hold `|` or \
                         control characters",
                        c.escape_debug()
                    ),
                    Some("map the field to another name in the catalog's `sigma` section"),
                ));
                return None;
            }
            Some(c)
        }
        Mapped::Expr(e) => {
            errors.push(unsupported(
                TARGET,
                Construct::MappedExpression,
                "a field mapped to an expression",
                span,
                &format!(
                    "Sigma detections name fields; the catalog maps `{}` to the expression `{e}`",
                    field.name
                ),
                Some("map the field to a plain field name in the catalog's `sigma` section"),
            ));
            None
        }
    }
}

/// The field holds a value: present, not null, not the empty string.
///
/// Sigma's `|exists: true` only checks presence ("not its value, be it empty or null",
/// modifiers appendix), so null and `''` are filtered out.
pub(super) fn exists(f: &str) -> L {
    L::And(vec![
        L::Item(Item::new(f, &["exists"], vec![Val::Bool(true)], Merge::No)),
        L::Not(Box::new(null_or_empty(f))),
    ])
}

/// The field is null or the empty string (each `null` stands in its own item).
pub(super) fn null_or_empty(f: &str) -> L {
    L::Or(vec![
        L::Item(Item::new(f, &[], vec![Val::Null], Merge::No)),
        L::Item(Item::new(f, &[], vec![Val::Str(String::new())], Merge::No)),
    ])
}

/// The field is missing: absent, null or the empty string.
pub(super) fn missing(f: &str) -> L {
    L::Or(vec![
        L::Item(Item::new(f, &["exists"], vec![Val::Bool(false)], Merge::No)),
        L::Item(Item::new(f, &[], vec![Val::Null], Merge::No)),
        L::Item(Item::new(f, &[], vec![Val::Str(String::new())], Merge::No)),
    ])
}

/// `L` that also requires the field to hold a value (for tests that would otherwise match
/// the empty string, or compare two empty fields as equal).
pub(super) fn guarded(f: &str, l: L) -> L {
    L::And(vec![l, L::Not(Box::new(null_or_empty(f)))])
}

pub(super) fn str_op(op: StrOp) -> &'static [&'static str] {
    match op {
        StrOp::Eq => &[],
        StrOp::Contains => &["contains"],
        StrOp::StartsWith => &["startswith"],
        StrOp::EndsWith => &["endswith"],
    }
}

pub(super) fn cased_flags(cased: bool) -> Vec<&'static str> {
    if cased {
        vec!["cased"]
    } else {
        Vec::new()
    }
}

pub(super) fn pred(p: &Pred, errors: &mut Vec<TargetError>) -> Option<L> {
    let f = field_name(&p.field, p.span, errors)?;
    match &p.test {
        Test::Str {
            op,
            values,
            quant,
            cased,
        } => Some(str_test(&f, *op, values, *quant, *cased)),
        Test::Glob { patterns, cased } => Some(glob_test(&f, patterns, *cased)),
        Test::Regex { pattern, cased } => regex_test(p, &f, pattern, *cased, errors),
        Test::Cidr { nets } => {
            let mut it = Item::new(&f, &["cidr"], Vec::new(), Merge::Or);
            it.extend(
                nets.iter()
                    .map(|n| Val::Str(n.trunc().to_string()))
                    .collect(),
            );
            Some(L::Item(it))
        }
        Test::NumEq { values } => {
            let mut it = Item::new(&f, &[], Vec::new(), Merge::Or);
            it.extend(values.iter().map(|n| Val::Num(yaml_number(n))).collect());
            Some(L::Item(it))
        }
        Test::NumCmp { op, value } => Some(num_cmp(&f, *op, value)),
        Test::BoolEq { value } => Some(L::Item(Item::new(
            &f,
            &[],
            vec![Val::Bool(*value)],
            Merge::No,
        ))),
        Test::Exists => Some(exists(&f)),
        Test::FieldEq { other, cased } => field_eq(p, &f, other, *cased, errors),
    }
}

/// A number compared: `|lt`, `|lte`, `|gt`, `|gte`, a plain value for `==`, and `!=` as
/// `|lt` or `|gt` (false on a missing field, as in the language; `not` of an item is not).
fn num_cmp(f: &str, op: CmpOp, value: &Number) -> L {
    let item = |m: &'static [&'static str]| {
        L::Item(Item::new(
            f,
            m,
            vec![Val::Num(yaml_number(value))],
            Merge::No,
        ))
    };
    match op {
        CmpOp::Eq => item(&[]),
        CmpOp::Ne => L::Or(vec![item(&["lt"]), item(&["gt"])]),
        CmpOp::Lt => item(&["lt"]),
        CmpOp::Le => item(&["lte"]),
        CmpOp::Gt => item(&["gt"]),
        CmpOp::Ge => item(&["gte"]),
    }
}

/// `==`, `contains`, `startswith`, `endswith` with `any` or `all`.
fn str_test(f: &str, op: StrOp, values: &[String], quant: Quant, cased: bool) -> L {
    let mut it = Item::new(f, str_op(op), Vec::new(), Merge::Or);
    it.flags = cased_flags(cased);
    it.fold = !cased;
    it.extend(values.iter().map(|v| Val::Str(sigma_value(v))).collect());
    let all = quant == Quant::All && it.values.len() > 1;
    if !all {
        if op == StrOp::Contains {
            it.merge = Merge::OrAnd;
        }
        return L::Item(it);
    }
    if op == StrOp::Contains {
        it.all = true;
        it.merge = Merge::OrAnd;
        return L::Item(it);
    }
    // `all` without `contains` draws a validator error in pySigma; one item per value
    // AND-ed means the same.
    let parts = it
        .values
        .iter()
        .map(|v| {
            let mut one = it.clone();
            one.values = vec![v.clone()];
            one.merge = Merge::No;
            L::Item(one)
        })
        .collect();
    L::And(parts)
}

/// `like`: one item per modifier set, the globs as Sigma wildcards.
fn glob_test(f: &str, patterns: &[String], cased: bool) -> L {
    // A pattern of stars alone matches any value, but not a missing field.
    if patterns.iter().any(|g| g.chars().all(|c| c == '*')) {
        return exists(f);
    }
    let mut items: Vec<Item> = Vec::new();
    for g in patterns {
        let (ops, value) = glob_item(g);
        match items.iter_mut().find(|i| i.ops == ops) {
            Some(i) => i.extend(vec![Val::Str(value)]),
            None => {
                let mut it = Item::new(f, ops, vec![Val::Str(value)], Merge::Or);
                it.flags = cased_flags(cased);
                it.fold = !cased;
                items.push(it);
            }
        }
    }
    match items.len() {
        1 => L::Item(items.remove(0)),
        _ => L::Or(items.into_iter().map(L::Item).collect()),
    }
}

/// `matches`: `re` with the pattern in Sigma's dialect.
fn regex_test(
    p: &Pred,
    f: &str,
    pattern: &str,
    cased: bool,
    errors: &mut Vec<TargetError>,
) -> Option<L> {
    // The language's \d, \w, \s are ASCII; spelled out as classes they mean the same
    // in every Sigma engine.
    let pattern = &crate::ir::regex::ascii_classes(pattern, false);
    let re = match super::super::regex::convert(pattern, cased) {
        Ok(re) => re,
        Err(e) => {
            errors.push(unsupported(
                TARGET,
                Construct::RegexPattern,
                &e.construct,
                p.span,
                &e.reason,
                e.help.as_deref(),
            ));
            return None;
        }
    };
    let mut it = Item::new(f, &["re"], vec![Val::Str(re.pattern)], Merge::Or);
    it.flags = re.flags;
    let l = L::Item(it);
    Some(if re.can_match_empty { guarded(f, l) } else { l })
}

/// `F == G`: `fieldref`, guarded against two empty fields.
fn field_eq(
    p: &Pred,
    f: &str,
    other: &crate::ir::Field,
    cased: bool,
    errors: &mut Vec<TargetError>,
) -> Option<L> {
    if cased {
        errors.push(unsupported(
            TARGET,
            Construct::CaseSensitiveFieldComparison,
            "a case-sensitive field comparison",
            p.span,
            "Sigma's `fieldref` compares case-insensitively and cannot take `cased`: \
             pySigma rejects `fieldref|cased` and drops `cased|fieldref`",
            Some("compare case-insensitively (drop `cased`), or use another target"),
        ));
        return None;
    }
    let g = field_name(other, p.span, errors)?;
    if g.contains(['*', '?']) {
        errors.push(unsupported(
            TARGET,
            Construct::FieldName,
            "a field comparison with this field",
            p.span,
            &format!("a `fieldref` value cannot name a field with `*` or `?` (`{g}`)"),
            Some("map the field to another name in the catalog's `sigma` section"),
        ));
        return None;
    }
    let it = Item::new(f, &["fieldref"], vec![Val::Str(sigma_value(&g))], Merge::No);
    // Two empty (or null) fields are equal in Sigma but missing in tripline.
    Some(guarded(f, L::Item(it)))
}

/// A number as YAML that both YAML 1.1 and 1.2 read as that number: the canonical text when
/// it is a plain decimal (`-7`, `3.5`), otherwise the value written out without an exponent
/// (`1e5` would be a string in YAML 1.1).
pub(super) fn yaml_number(n: &Number) -> String {
    let plain = |t: &str| {
        let digits = t.strip_prefix('-').unwrap_or(t);
        let mut parts = digits.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    };
    if plain(&n.text) {
        n.text.clone()
    } else if n.value.fract() == 0.0 && n.value.abs() < 1e15 {
        format!("{}", n.value as i64)
    } else {
        format!("{}", n.value)
    }
}

/// A glob as modifiers and a Sigma value: `*x*` → `contains x`, `*x` → `endswith x`,
/// `x*` → `startswith x` (what SigmaHQ's validators ask for), otherwise the pattern with
/// its wildcards.
pub(super) fn glob_item(g: &str) -> (&'static [&'static str], String) {
    let wild = |s: &str| s.contains(['*', '?']);
    let body = g.trim_start_matches('*');
    let lead = body.len() < g.len();
    let core = body.trim_end_matches('*');
    let trail = core.len() < body.len();
    if !wild(core) && !core.is_empty() {
        match (lead, trail) {
            (true, true) => return (&["contains"], sigma_value(core)),
            (true, false) => return (&["endswith"], sigma_value(core)),
            (false, true) => return (&["startswith"], sigma_value(core)),
            (false, false) => {}
        }
    }
    (&[], sigma_glob(g))
}
