//! One read item as an IR expression on the catalog type of its field: plain values, globs
//! and escaped wildcards, regexes, CIDR networks, `exists`, numeric comparisons and
//! `fieldref`, each with the error Sigma's meaning calls for.

use super::item::{is_decimal, pcre_dollar};
use super::*;

/// What every lowering of one item needs: the item, its field and the field types.
struct At<'i> {
    it: &'i Item,
    field: Field,
    types: &'i IndexMap<String, FieldType>,
}

impl At<'_> {
    fn pred(&self, test: Test) -> Expr {
        Expr::Pred(Pred {
            field: self.field.clone(),
            test,
            span: self.it.span,
        })
    }

    fn bad_value(&self, reason: &str) -> SigmaInError {
        SigmaInError::BadValue {
            key: self.it.key.clone(),
            reason: reason.to_string(),
            span: sp(self.it.span),
        }
    }

    fn texts(&self) -> Vec<String> {
        self.it
            .values
            .iter()
            .filter_map(|v| match v {
                Scalar::Str(s) | Scalar::Num(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    fn combine(&self, parts: Vec<Expr>) -> Expr {
        if self.it.all {
            and(parts)
        } else {
            or(parts)
        }
    }
}

/// A glob for `op` over the whole value: `contains` and the others add the `*` they imply.
fn glob_for(op: StrOp, g: String) -> String {
    let (lead, trail) = match op {
        StrOp::Eq => (false, false),
        StrOp::Contains => (true, true),
        StrOp::StartsWith => (false, true),
        StrOp::EndsWith => (true, false),
    };
    let g = if lead && !g.starts_with('*') {
        format!("*{g}")
    } else {
        g
    };
    if trail && !g.ends_with('*') {
        format!("{g}*")
    } else {
        g
    }
}

/// The values of a string item, sorted by how each is tested.
#[derive(Default)]
struct StrValues {
    plain: Vec<String>,
    globs: Vec<String>,
    regexes: Vec<String>,
    nums: Vec<Number>,
}

impl Reader<'_> {
    /// A keyword item: each value holds when some string field of the source contains it;
    /// with `all`, every value must hold (each in any field), otherwise one.
    fn keyword_item(&mut self, it: &Item, types: &IndexMap<String, FieldType>) -> Option<Expr> {
        let fields = self.keyword_fields.clone().unwrap_or_default();
        let any_of = |values: Vec<Scalar>, r: &mut Self| -> Option<Expr> {
            let groups = keyword_groups(&fields, values, it.cased, it.span);
            let alts: Option<Vec<Expr>> =
                groups.iter().flatten().map(|i| r.item(i, types)).collect();
            Some(or(alts?))
        };
        if it.all {
            let parts: Option<Vec<Expr>> = it
                .values
                .iter()
                .map(|v| any_of(vec![v.clone()], self))
                .collect();
            Some(and(parts?))
        } else {
            any_of(it.values.clone(), self)
        }
    }

    /// The expression of one item.
    pub(super) fn item(&mut self, it: &Item, types: &IndexMap<String, FieldType>) -> Option<Expr> {
        if it.keyword {
            return self.keyword_item(it, types);
        }
        let ty = types.get(&it.field).copied().unwrap_or(FieldType::String);
        let at = At {
            it,
            field: Field {
                name: it.field.clone(),
                ty,
                mapped: None,
            },
            types,
        };
        let has_null = it.values.iter().any(|v| matches!(v, Scalar::Null));
        if has_null && (it.op != Op::Str(StrOp::Eq) || it.all || it.cased) {
            self.errors
                .push(at.bad_value("`null` only goes with plain values, without `all` or `cased`"));
            return None;
        }
        let has_bool = it.values.iter().any(|v| matches!(v, Scalar::Bool(_)));
        if has_bool && it.op == Op::Str(StrOp::Eq) && !it.all && !it.cased {
            if let Some(e) = self.bool_item(&at, ty) {
                return e;
            }
        }
        if has_bool && it.op != Op::Exists {
            self.errors.push(at.bad_value(
                "boolean values are read with `exists`, as plain values of a bool field, and as text on a string field",
            ));
            return None;
        }
        let done = match it.op {
            Op::Str(op) => self.str_item(&at, op, has_null),
            Op::Re => self.re_item(&at),
            Op::Cidr => self.cidr_item(&at),
            Op::Exists => match it.values.as_slice() {
                [Scalar::Bool(true)] => Ok(at.pred(Test::Exists)),
                [Scalar::Bool(false)] => Ok(Expr::Not(Box::new(at.pred(Test::Exists)))),
                _ => Err(at.bad_value("`exists` takes one boolean, `true` or `false`")),
            },
            Op::Cmp(op) => cmp_item(&at, op),
            Op::FieldRef => fieldref_item(&at),
        };
        done.map_err(|e| self.errors.push(e)).ok()
    }

    /// Booleans compared with a field: a bool field's boolean equality; on a string field
    /// (Sysmon's `Signed` is the text `true`/`false`), the value's text, as the language
    /// compares a JSON boolean with a string (case-insensitively). `None`: neither applies.
    fn bool_item(&mut self, at: &At, ty: FieldType) -> Option<Option<Expr>> {
        let it = at.it;
        let bools: Vec<bool> = it
            .values
            .iter()
            .filter_map(|v| match v {
                Scalar::Bool(b) => Some(*b),
                _ => None,
            })
            .collect();
        if ty == FieldType::Bool && bools.len() == it.values.len() {
            let parts = bools
                .into_iter()
                .map(|value| at.pred(Test::BoolEq { value }));
            return Some(Some(or(parts.collect())));
        }
        if ty == FieldType::String {
            let mut text = it.clone();
            text.values = it
                .values
                .iter()
                .map(|v| match v {
                    Scalar::Bool(b) => Scalar::Str(b.to_string()),
                    v => v.clone(),
                })
                .collect();
            return Some(self.item(&text, at.types));
        }
        None
    }

    /// Plain values, globs and escaped wildcards (`contains`, `startswith`, `endswith` or
    /// equality); `''` and `null` read as missing.
    fn str_item(&mut self, at: &At, op: StrOp, has_null: bool) -> Result<Expr, SigmaInError> {
        let it = at.it;
        let has_empty = it
            .values
            .iter()
            .any(|v| matches!(v, Scalar::Str(s) if s.is_empty()));
        // `''` equals only an empty value; in the language an empty value is missing, as
        // `null` is: both read as `missing` (one notion of an empty field).
        let empty_is_missing = has_empty && op == StrOp::Eq && !it.all;
        if has_empty && !empty_is_missing {
            return Err(SigmaInError::EmptyString {
                key: it.key.clone(),
                span: sp(it.span),
            });
        }
        if empty_is_missing && !has_null {
            self.used_empty.get_or_insert(it.span);
        }
        let v = str_values(at, op)?;
        let mut parts = Vec::new();
        let quant = if it.all { Quant::All } else { Quant::Any };
        if !v.plain.is_empty() {
            parts.push(at.pred(Test::Str {
                op,
                values: v.plain,
                quant,
                cased: it.cased,
            }));
        }
        let cased = it.cased;
        if it.all {
            parts.extend(v.globs.into_iter().map(|g| {
                at.pred(Test::Glob {
                    patterns: vec![g],
                    cased,
                })
            }));
            parts.extend(
                v.nums
                    .into_iter()
                    .map(|n| at.pred(Test::NumEq { values: vec![n] })),
            );
        } else {
            if !v.globs.is_empty() {
                parts.push(at.pred(Test::Glob {
                    patterns: v.globs,
                    cased,
                }));
            }
            if !v.nums.is_empty() {
                parts.push(at.pred(Test::NumEq { values: v.nums }));
            }
        }
        parts.extend(
            v.regexes
                .into_iter()
                .map(|pattern| at.pred(Test::Regex { pattern, cased })),
        );
        if has_null || empty_is_missing {
            parts.push(Expr::Not(Box::new(at.pred(Test::Exists))));
        }
        Ok(at.combine(parts))
    }

    /// `re`: each pattern with PCRE's `$` made exact and the item's flags.
    fn re_item(&mut self, at: &At) -> Result<Expr, SigmaInError> {
        let it = at.it;
        let bad = |reason: String| SigmaInError::BadRegex {
            key: it.key.clone(),
            reason,
            span: sp(it.span),
        };
        let mut parts = Vec::new();
        for p in at.texts() {
            let p = if it.re_flags.contains('m') {
                p
            } else {
                pcre_dollar(&p).map_err(bad)?
            };
            let pattern = if it.re_flags.is_empty() {
                p
            } else {
                format!("(?{}){p}", it.re_flags)
            };
            crate::check::portable_regex(&pattern).map_err(bad)?;
            parts.push(at.pred(Test::Regex {
                pattern,
                cased: !it.re_i,
            }));
        }
        Ok(at.combine(parts))
    }

    /// `cidr`: the networks.
    fn cidr_item(&mut self, at: &At) -> Result<Expr, SigmaInError> {
        let mut nets = Vec::new();
        for v in at.texts() {
            match crate::check::parse_cidr(&v) {
                Ok(n) => nets.push(n),
                Err(reason) => {
                    return Err(SigmaInError::BadCidr {
                        key: at.it.key.clone(),
                        value: v,
                        reason,
                        span: sp(at.it.span),
                    })
                }
            }
        }
        Ok(at.pred(Test::Cidr { nets }))
    }
}

/// The values of a string item by kind: numbers of a number field, plain text, globs, and
/// escaped wildcards as anchored regexes.
fn str_values(at: &At, op: StrOp) -> Result<StrValues, SigmaInError> {
    let it = at.it;
    let mut out = StrValues::default();
    for v in &it.values {
        let s = match v {
            Scalar::Num(n) if at.field.ty == FieldType::Number => {
                let n = Number::parse(n).ok_or_else(|| {
                    at.bad_value(&format!("`{n}` is not a finite decimal number"))
                })?;
                out.nums.push(n);
                continue;
            }
            Scalar::Str(s) | Scalar::Num(s) => s,
            _ => continue,
        };
        if s.is_empty() {
            continue; // absorbed by `null`
        }
        match parse_sigma_string(s) {
            Parsed::Regex(body) => {
                // Escaped and real wildcards: a regex over the whole value with the
                // operator's anchors (`.` with `(?s)` is any one character).
                let pattern = match op {
                    StrOp::Eq => format!("(?s)^{body}$"),
                    StrOp::Contains => format!("(?s){body}"),
                    StrOp::StartsWith => format!("(?s)^{body}"),
                    StrOp::EndsWith => format!("(?s){body}$"),
                };
                if let Err(reason) = crate::check::portable_regex(&pattern) {
                    return Err(SigmaInError::EscapedWildcard {
                        key: it.key.clone(),
                        value: format!("{s} ({reason})"),
                        span: sp(it.span),
                    });
                }
                out.regexes.push(pattern);
            }
            Parsed::Plain(p) => out.plain.push(p),
            Parsed::Glob(g) => out.globs.push(glob_for(op, g)),
        }
    }
    Ok(out)
}

/// `lt`, `lte`, `gt`, `gte`: numbers only.
fn cmp_item(at: &At, op: CmpOp) -> Result<Expr, SigmaInError> {
    let mut parts = Vec::new();
    for v in &at.it.values {
        let n = match v {
            Scalar::Num(n) => Number::parse(n),
            Scalar::Str(s) if is_decimal(s) => Number::parse(s),
            _ => None,
        };
        let value = n.ok_or_else(|| at.bad_value("`lt`, `lte`, `gt` and `gte` take numbers"))?;
        parts.push(at.pred(Test::NumCmp { op, value }));
    }
    Ok(or(parts))
}

/// `fieldref`: equality with other fields.
fn fieldref_item(at: &At) -> Result<Expr, SigmaInError> {
    let mut parts = Vec::new();
    for v in &at.it.values {
        let o = match v {
            Scalar::Str(o) if !o.is_empty() => o,
            _ => return Err(at.bad_value("`fieldref` takes field names")),
        };
        parts.push(at.pred(Test::FieldEq {
            other: Field {
                name: o.clone(),
                ty: at.types.get(o).copied().unwrap_or(FieldType::String),
                mapped: None,
            },
            cased: at.it.cased,
        }));
    }
    Ok(at.combine(parts))
}
