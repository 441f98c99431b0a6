//! One detection item (`field|modifier: value`): its modifiers parsed and applied, and the item lowered to an IR predicate on the catalog type of its field.

use super::*;

impl Reader<'_> {
    pub(super) fn parse_item(
        &mut self,
        sel: &str,
        key: &str,
        v: &Value,
        from: usize,
    ) -> Option<Item> {
        let span = self.at(from, key);
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or("").to_string();
        if field.is_empty() {
            self.errors.push(SigmaInError::Keywords {
                selection: sel.to_string(),
                span: sp(span),
            });
            return None;
        }
        let bad = |reason: &str| SigmaInError::BadModifiers {
            key: key.to_string(),
            reason: reason.to_string(),
            span: sp(span),
        };
        let mut op: Option<Op> = None;
        let mut all = false;
        let mut cased = false;
        let mut re_flags = String::new();
        let mut re_i = false;
        let mut transforms: Vec<&str> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for m in parts {
            if seen.contains(&m) {
                self.errors
                    .push(bad(&format!("the modifier `{m}` is repeated")));
                return None;
            }
            seen.push(m);
            let main = match m {
                "contains" => Some(Op::Str(StrOp::Contains)),
                "startswith" => Some(Op::Str(StrOp::StartsWith)),
                "endswith" => Some(Op::Str(StrOp::EndsWith)),
                "re" => Some(Op::Re),
                "cidr" => Some(Op::Cidr),
                "exists" => Some(Op::Exists),
                "lt" => Some(Op::Cmp(CmpOp::Lt)),
                "lte" => Some(Op::Cmp(CmpOp::Le)),
                "gt" => Some(Op::Cmp(CmpOp::Gt)),
                "gte" => Some(Op::Cmp(CmpOp::Ge)),
                "fieldref" => Some(Op::FieldRef),
                _ => None,
            };
            if let Some(o) = main {
                if op.is_some() {
                    self.errors.push(bad("only one of contains, startswith, endswith, re, cidr, exists, lt, lte, gt, gte and fieldref can be used"));
                    return None;
                }
                op = Some(o);
                continue;
            }
            if modifiers::TRANSFORMS.contains(&m) {
                // windash and expand leave wildcards alone, so they may follow the matching
                // modifier (`contains|windash`); encodings may not (pySigma refuses to encode
                // the wildcards `contains` adds).
                if op.is_some() && !matches!(m, "windash" | "expand") {
                    self.errors.push(bad(&format!(
                        "`{m}` encodes the values, so it comes before the matching modifier"
                    )));
                    return None;
                }
                transforms.push(m);
                continue;
            }
            match m {
                "all" => all = true,
                "cased" => cased = true,
                "i" | "m" | "s" if op == Some(Op::Re) => {
                    if m == "i" {
                        re_i = true;
                    } else {
                        re_flags.push_str(m);
                    }
                }
                _ => {
                    let why = match m {
                        "i" | "m" | "s" => "`i`, `m` and `s` only follow `re`".to_string(),
                        "neq" => "`neq` is not read (write `not` in the condition)".into(),
                        "minute" | "hour" | "day" | "week" | "month" | "year" => {
                            "time-part modifiers depend on the engine's time zone".into()
                        }
                        _ => "unknown modifier".into(),
                    };
                    self.errors.push(SigmaInError::Modifier {
                        modifier: m.to_string(),
                        why,
                        span: sp(span),
                        key: key.to_string(),
                    });
                    return None;
                }
            }
        }
        let op = op.unwrap_or(Op::Str(StrOp::Eq));
        if cased && !matches!(op, Op::Str(_) | Op::FieldRef) {
            self.errors.push(bad(
                "`cased` only goes with plain values, contains, startswith, endswith and fieldref",
            ));
            return None;
        }
        if all && matches!(op, Op::Exists | Op::Cidr | Op::Cmp(_)) {
            self.errors.push(bad(
                "`all` does not go with exists, cidr, lt, lte, gt or gte",
            ));
            return None;
        }
        let raw: Vec<&Value> = match v {
            Value::Array(xs) => xs.iter().collect(),
            x => vec![x],
        };
        if raw.is_empty() {
            self.errors.push(SigmaInError::BadValue {
                key: key.to_string(),
                reason: "an empty list of values".into(),
                span: sp(span),
            });
            return None;
        }
        let mut values = Vec::new();
        for r in raw {
            match Scalar::of(r) {
                Some(s) => values.push(s),
                None => {
                    self.errors.push(SigmaInError::BadValue {
                        key: key.to_string(),
                        reason: "values must be strings, numbers, booleans or null".into(),
                        span: sp(span),
                    });
                    return None;
                }
            }
        }
        if !transforms.is_empty() {
            if !matches!(op, Op::Str(_)) {
                self.errors.push(bad(&format!(
                    "`{}` transforms string values: it goes with plain values, contains, startswith and endswith",
                    transforms[0]
                )));
                return None;
            }
            let texts: Option<Vec<String>> = values
                .iter()
                .map(|v| match v {
                    Scalar::Str(s) | Scalar::Num(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let Some(texts) = texts else {
                self.errors.push(bad(&format!(
                    "`{}` takes strings, not null or booleans",
                    transforms[0]
                )));
                return None;
            };
            match modifiers::apply(texts, &transforms, self.placeholders) {
                Ok(vs) => values = vs.into_iter().map(Scalar::Str).collect(),
                Err(why) => {
                    self.errors.push(SigmaInError::Modifier {
                        modifier: transforms.join("|"),
                        why,
                        span: sp(span),
                        key: key.to_string(),
                    });
                    return None;
                }
            }
        }
        Some(Item {
            key: key.to_string(),
            field,
            op,
            all,
            cased,
            re_flags,
            re_i,
            values,
            span,
        })
    }

    /// The expression of one item.
    pub(super) fn item(&mut self, it: &Item, types: &IndexMap<String, FieldType>) -> Option<Expr> {
        let ty = types.get(&it.field).copied().unwrap_or(FieldType::String);
        let field = Field {
            name: it.field.clone(),
            ty,
            mapped: None,
        };
        let pred = |test: Test| {
            Expr::Pred(Pred {
                field: field.clone(),
                test,
                span: it.span,
            })
        };
        let bad_value = |reason: &str| SigmaInError::BadValue {
            key: it.key.clone(),
            reason: reason.to_string(),
            span: sp(it.span),
        };
        let has_null = it.values.iter().any(|v| matches!(v, Scalar::Null));
        if has_null && (it.op != Op::Str(StrOp::Eq) || it.all || it.cased) {
            self.errors.push(bad_value(
                "`null` only goes with plain values, without `all` or `cased`",
            ));
            return None;
        }
        let has_bool = it.values.iter().any(|v| matches!(v, Scalar::Bool(_)));
        if has_bool && it.op == Op::Str(StrOp::Eq) && !it.all && !it.cased {
            // A boolean compared with a field: a bool field's boolean equality; on a string
            // field (Sysmon's `Signed` is the text `true`/`false`), the value's text, as the
            // language compares a JSON boolean with a string (case-insensitively).
            let bools: Vec<bool> = it
                .values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect();
            if ty == FieldType::Bool && bools.len() == it.values.len() {
                return Some(or(bools
                    .into_iter()
                    .map(|value| pred(Test::BoolEq { value }))
                    .collect()));
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
                return self.item(&text, types);
            }
        }
        if has_bool && it.op != Op::Exists {
            self.errors.push(bad_value(
                "boolean values are read with `exists`, as plain values of a bool field, and as text on a string field",
            ));
            return None;
        }
        let texts = || -> Vec<String> {
            it.values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Str(s) | Scalar::Num(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        };
        let combine = |parts: Vec<Expr>, all: bool| if all { and(parts) } else { or(parts) };
        match it.op {
            Op::Str(op) => {
                let mut parts = Vec::new();
                let mut plain = Vec::new();
                let mut globs = Vec::new();
                let mut regexes = Vec::new();
                let mut nums = Vec::new();
                let has_empty = it
                    .values
                    .iter()
                    .any(|v| matches!(v, Scalar::Str(s) if s.is_empty()));
                // `''` equals only an empty value; in the language an empty value is missing,
                // as `null` is: both read as `missing` (one notion of an empty field).
                let empty_is_missing = has_empty && op == StrOp::Eq && !it.all;
                if has_empty && !empty_is_missing {
                    self.errors.push(SigmaInError::EmptyString {
                        key: it.key.clone(),
                        span: sp(it.span),
                    });
                    return None;
                }
                if empty_is_missing && !has_null {
                    self.used_empty.get_or_insert(it.span);
                }
                for v in &it.values {
                    let s = match v {
                        Scalar::Num(n) if ty == FieldType::Number => {
                            match Number::parse(n) {
                                Some(n) => nums.push(n),
                                None => {
                                    self.errors.push(bad_value(&format!(
                                        "`{n}` is not a finite decimal number"
                                    )));
                                    return None;
                                }
                            }
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
                            // Escaped and real wildcards: a regex over the whole value with
                            // the operator's anchors (`.` with `(?s)` is any one character).
                            let pattern = match op {
                                StrOp::Eq => format!("(?s)^{body}$"),
                                StrOp::Contains => format!("(?s){body}"),
                                StrOp::StartsWith => format!("(?s)^{body}"),
                                StrOp::EndsWith => format!("(?s){body}$"),
                            };
                            if let Err(reason) = crate::check::portable_regex(&pattern) {
                                self.errors.push(SigmaInError::EscapedWildcard {
                                    key: it.key.clone(),
                                    value: format!("{s} ({reason})"),
                                    span: sp(it.span),
                                });
                                return None;
                            }
                            regexes.push(pattern);
                        }
                        Parsed::Plain(p) => plain.push(p),
                        Parsed::Glob(g) => {
                            let g = match op {
                                StrOp::Eq => g,
                                StrOp::Contains => {
                                    let g = if g.starts_with('*') {
                                        g
                                    } else {
                                        format!("*{g}")
                                    };
                                    if g.ends_with('*') {
                                        g
                                    } else {
                                        format!("{g}*")
                                    }
                                }
                                StrOp::StartsWith => {
                                    if g.ends_with('*') {
                                        g
                                    } else {
                                        format!("{g}*")
                                    }
                                }
                                StrOp::EndsWith => {
                                    if g.starts_with('*') {
                                        g
                                    } else {
                                        format!("*{g}")
                                    }
                                }
                            };
                            globs.push(g);
                        }
                    }
                }
                let quant = if it.all { Quant::All } else { Quant::Any };
                if !plain.is_empty() {
                    parts.push(pred(Test::Str {
                        op,
                        values: plain,
                        quant,
                        cased: it.cased,
                    }));
                }
                if it.all {
                    for g in globs {
                        parts.push(pred(Test::Glob {
                            patterns: vec![g],
                            cased: it.cased,
                        }));
                    }
                    for n in nums {
                        parts.push(pred(Test::NumEq { values: vec![n] }));
                    }
                } else {
                    if !globs.is_empty() {
                        parts.push(pred(Test::Glob {
                            patterns: globs,
                            cased: it.cased,
                        }));
                    }
                    if !nums.is_empty() {
                        parts.push(pred(Test::NumEq { values: nums }));
                    }
                }
                for pattern in regexes {
                    parts.push(pred(Test::Regex {
                        pattern,
                        cased: it.cased,
                    }));
                }
                if has_null || empty_is_missing {
                    parts.push(Expr::Not(Box::new(pred(Test::Exists))));
                }
                Some(combine(parts, it.all))
            }
            Op::Re => {
                let mut parts = Vec::new();
                for p in texts() {
                    let p = if it.re_flags.contains('m') {
                        p
                    } else {
                        match pcre_dollar(&p) {
                            Ok(p) => p,
                            Err(reason) => {
                                self.errors.push(SigmaInError::BadRegex {
                                    key: it.key.clone(),
                                    reason,
                                    span: sp(it.span),
                                });
                                return None;
                            }
                        }
                    };
                    let pattern = if it.re_flags.is_empty() {
                        p
                    } else {
                        format!("(?{}){p}", it.re_flags)
                    };
                    if let Err(reason) = crate::check::portable_regex(&pattern) {
                        self.errors.push(SigmaInError::BadRegex {
                            key: it.key.clone(),
                            reason,
                            span: sp(it.span),
                        });
                        return None;
                    }
                    parts.push(pred(Test::Regex {
                        pattern,
                        cased: !it.re_i,
                    }));
                }
                Some(combine(parts, it.all))
            }
            Op::Cidr => {
                let mut nets = Vec::new();
                for v in texts() {
                    match crate::check::parse_cidr(&v) {
                        Ok(n) => nets.push(n),
                        Err(reason) => {
                            self.errors.push(SigmaInError::BadCidr {
                                key: it.key.clone(),
                                value: v,
                                reason,
                                span: sp(it.span),
                            });
                            return None;
                        }
                    }
                }
                Some(pred(Test::Cidr { nets }))
            }
            Op::Exists => match it.values.as_slice() {
                [Scalar::Bool(true)] => Some(pred(Test::Exists)),
                [Scalar::Bool(false)] => Some(Expr::Not(Box::new(pred(Test::Exists)))),
                _ => {
                    self.errors
                        .push(bad_value("`exists` takes one boolean, `true` or `false`"));
                    None
                }
            },
            Op::Cmp(op) => {
                let mut parts = Vec::new();
                for v in &it.values {
                    let n = match v {
                        Scalar::Num(n) => Number::parse(n),
                        Scalar::Str(s) if is_decimal(s) => Number::parse(s),
                        _ => None,
                    };
                    match n {
                        Some(value) => parts.push(pred(Test::NumCmp { op, value })),
                        None => {
                            self.errors
                                .push(bad_value("`lt`, `lte`, `gt` and `gte` take numbers"));
                            return None;
                        }
                    }
                }
                Some(or(parts))
            }
            Op::FieldRef => {
                let mut parts = Vec::new();
                for v in &it.values {
                    let Scalar::Str(o) = v else {
                        self.errors.push(bad_value("`fieldref` takes field names"));
                        return None;
                    };
                    if o.is_empty() {
                        self.errors.push(bad_value("`fieldref` takes field names"));
                        return None;
                    }
                    parts.push(pred(Test::FieldEq {
                        other: Field {
                            name: o.clone(),
                            ty: types.get(o).copied().unwrap_or(FieldType::String),
                            mapped: None,
                        },
                        cased: it.cased,
                    }));
                }
                Some(combine(parts, it.all))
            }
        }
    }
}

/// Sigma's regexes are PCRE, where `$` without the multi-line flag also matches just before
/// a final newline; tripline's `$` is the end of the value only. Rewrite each `$` to
/// `(?:\n?\z)`, the PCRE meaning in tripline's syntax. A pattern with both `$` and inline
/// flags (which might switch multi-line mode on part-way) is refused.
pub(super) fn pcre_dollar(pattern: &str) -> Result<String, String> {
    use regex_syntax::ast::{parse::Parser, AssertionKind, Ast};
    let ast = Parser::new()
        .parse(pattern)
        .map_err(|e| e.kind().to_string())?;
    let mut ends = Vec::new();
    let mut flags = false;
    fn walk(a: &Ast, ends: &mut Vec<(usize, usize)>, flags: &mut bool) {
        match a {
            Ast::Flags(_) => *flags = true,
            Ast::Group(g) => {
                if let regex_syntax::ast::GroupKind::NonCapturing(f) = &g.kind {
                    if !f.items.is_empty() {
                        *flags = true;
                    }
                }
                walk(&g.ast, ends, flags)
            }
            Ast::Repetition(r) => walk(&r.ast, ends, flags),
            Ast::Alternation(x) => x.asts.iter().for_each(|a| walk(a, ends, flags)),
            Ast::Concat(x) => x.asts.iter().for_each(|a| walk(a, ends, flags)),
            Ast::Assertion(asr) if asr.kind == AssertionKind::EndLine => {
                ends.push((asr.span.start.offset, asr.span.end.offset))
            }
            _ => {}
        }
    }
    walk(&ast, &mut ends, &mut flags);
    if ends.is_empty() {
        return Ok(pattern.to_string());
    }
    if flags {
        return Err("`$` together with inline flags: whether `$` is multi-line there cannot be read exactly".into());
    }
    let mut out = pattern.to_string();
    ends.sort();
    for (a, b) in ends.into_iter().rev() {
        out.replace_range(a..b, r"(?:\n?\z)");
    }
    Ok(out)
}

/// `-?[0-9]+(\.[0-9]+)?`, tripline's numeric strings.
pub(super) fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (a, b) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    digits(a) && b.is_none_or(digits)
}
