//! One detection item (`field|modifier: value`): its modifiers and values read and checked
//! ([`Reader::parse_item`]); [`super::lower`] turns it into IR.

use super::*;

/// The modifiers of an item, read.
struct Mods<'k> {
    op: Op,
    all: bool,
    cased: bool,
    re_flags: String,
    re_i: bool,
    transforms: Vec<&'k str>,
}

/// The modifiers after the field name, in order; the first problem is the error.
fn read_modifiers<'k>(
    key: &'k str,
    parts: impl Iterator<Item = &'k str>,
    span: Span,
) -> Result<Mods<'k>, SigmaInError> {
    let bad = |reason: &str| SigmaInError::BadModifiers {
        key: key.to_string(),
        reason: reason.to_string(),
        span: sp(span),
    };
    let mut op: Option<Op> = None;
    let mut m_all = false;
    let mut cased = false;
    let mut re_flags = String::new();
    let mut re_i = false;
    let mut transforms: Vec<&str> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for m in parts {
        if seen.contains(&m) {
            return Err(bad(&format!("the modifier `{m}` is repeated")));
        }
        seen.push(m);
        if let Some(o) = main_modifier(m) {
            if op.is_some() {
                return Err(bad("only one of contains, startswith, endswith, re, cidr, exists, lt, lte, gt, gte and fieldref can be used"));
            }
            op = Some(o);
            continue;
        }
        if modifiers::TRANSFORMS.contains(&m) {
            // windash and expand leave wildcards alone, so they may follow the matching
            // modifier (`contains|windash`); encodings may not (pySigma refuses to encode
            // the wildcards `contains` adds).
            if op.is_some() && !matches!(m, "windash" | "expand") {
                return Err(bad(&format!(
                    "`{m}` encodes the values, so it comes before the matching modifier"
                )));
            }
            transforms.push(m);
            continue;
        }
        match m {
            "all" => m_all = true,
            "cased" => cased = true,
            "i" if op == Some(Op::Re) => re_i = true,
            "m" | "s" if op == Some(Op::Re) => re_flags.push_str(m),
            _ => {
                let why = match m {
                    "i" | "m" | "s" => "`i`, `m` and `s` only follow `re`".to_string(),
                    "neq" => "`neq` is not read (write `not` in the condition)".into(),
                    "minute" | "hour" | "day" | "week" | "month" | "year" => {
                        "time-part modifiers depend on the engine's time zone".into()
                    }
                    _ => "unknown modifier".into(),
                };
                return Err(SigmaInError::Modifier {
                    modifier: m.to_string(),
                    why,
                    span: sp(span),
                    key: key.to_string(),
                });
            }
        }
    }
    let op = op.unwrap_or(Op::Str(StrOp::Eq));
    if cased && !matches!(op, Op::Str(_) | Op::FieldRef) {
        return Err(bad(
            "`cased` only goes with plain values, contains, startswith, endswith and fieldref",
        ));
    }
    if m_all && matches!(op, Op::Exists | Op::Cidr | Op::Cmp(_)) {
        return Err(bad(
            "`all` does not go with exists, cidr, lt, lte, gt or gte",
        ));
    }
    Ok(Mods {
        op,
        all: m_all,
        cased,
        re_flags,
        re_i,
        transforms,
    })
}

/// The operator a matching modifier names.
fn main_modifier(m: &str) -> Option<Op> {
    Some(match m {
        "contains" => Op::Str(StrOp::Contains),
        "startswith" => Op::Str(StrOp::StartsWith),
        "endswith" => Op::Str(StrOp::EndsWith),
        "re" => Op::Re,
        "cidr" => Op::Cidr,
        "exists" => Op::Exists,
        "lt" => Op::Cmp(CmpOp::Lt),
        "lte" => Op::Cmp(CmpOp::Le),
        "gt" => Op::Cmp(CmpOp::Gt),
        "gte" => Op::Cmp(CmpOp::Ge),
        "fieldref" => Op::FieldRef,
        _ => return None,
    })
}

/// The item's values: one scalar or a non-empty list of them.
fn scalars(key: &str, v: &Value, span: Span) -> Result<Vec<Scalar>, SigmaInError> {
    let bad_value = |reason: &str| SigmaInError::BadValue {
        key: key.to_string(),
        reason: reason.to_string(),
        span: sp(span),
    };
    let raw: Vec<&Value> = match v {
        Value::Array(xs) => xs.iter().collect(),
        x => vec![x],
    };
    if raw.is_empty() {
        return Err(bad_value("an empty list of values"));
    }
    raw.into_iter()
        .map(|r| {
            Scalar::of(r)
                .ok_or_else(|| bad_value("values must be strings, numbers, booleans or null"))
        })
        .collect()
}

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
        let keyword = field.is_empty();
        if keyword && self.keyword_fields.as_ref().is_none_or(|f| f.is_empty()) {
            self.errors.push(SigmaInError::Keywords {
                selection: sel.to_string(),
                span: sp(span),
            });
            return None;
        }
        let read = read_modifiers(key, parts, span).and_then(|m| {
            let values = scalars(key, v, span)?;
            let values = self.transformed(key, &m, values, span)?;
            Ok((m, values))
        });
        let (mut m, values) = match read {
            Ok(x) => x,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        if keyword {
            // A keyword is a `contains` test; `all` joins the keywords, not one field's tests.
            match m.op {
                Op::Str(StrOp::Eq) | Op::Str(StrOp::Contains) => m.op = Op::Str(StrOp::Contains),
                _ => {
                    self.errors.push(SigmaInError::BadModifiers {
                        key: key.to_string(),
                        reason: "a keyword (no field name) takes only `all`, `cased` and value transforms such as `windash` or `base64`".into(),
                        span: sp(span),
                    });
                    return None;
                }
            }
            if values
                .iter()
                .any(|v| !matches!(v, Scalar::Str(_) | Scalar::Num(_)))
            {
                self.errors.push(SigmaInError::Keywords {
                    selection: sel.to_string(),
                    span: sp(span),
                });
                return None;
            }
            self.used_keywords = Some(span);
        }
        Some(Item {
            keyword,
            key: key.to_string(),
            field,
            op: m.op,
            all: m.all,
            cased: m.cased,
            re_flags: m.re_flags,
            re_i: m.re_i,
            values,
            span,
        })
    }

    /// The values after the item's transforms (`windash`, `base64`, …), if it has any.
    fn transformed(
        &self,
        key: &str,
        m: &Mods,
        values: Vec<Scalar>,
        span: Span,
    ) -> Result<Vec<Scalar>, SigmaInError> {
        if m.transforms.is_empty() {
            return Ok(values);
        }
        let bad = |reason: &str| SigmaInError::BadModifiers {
            key: key.to_string(),
            reason: reason.to_string(),
            span: sp(span),
        };
        if !matches!(m.op, Op::Str(_)) {
            return Err(bad(&format!(
                "`{}` transforms string values: it goes with plain values, contains, startswith and endswith",
                m.transforms[0]
            )));
        }
        let texts: Option<Vec<String>> = values
            .iter()
            .map(|v| match v {
                Scalar::Str(s) | Scalar::Num(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let Some(texts) = texts else {
            return Err(bad(&format!(
                "`{}` takes strings, not null or booleans",
                m.transforms[0]
            )));
        };
        match modifiers::apply(texts, &m.transforms, self.placeholders) {
            Ok(vs) => Ok(vs.into_iter().map(Scalar::Str).collect()),
            Err(why) => Err(SigmaInError::Modifier {
                modifier: m.transforms.join("|"),
                why,
                span: sp(span),
                key: key.to_string(),
            }),
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
