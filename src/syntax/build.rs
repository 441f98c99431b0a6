//! pest pairs → AST, one function per grammar rule.

use std::sync::OnceLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use super::{Rule, SyntaxError};
use crate::ir::{CmpOp, Span, StrOp};

fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn pratt() -> &'static PrattParser<Rule> {
    static P: OnceLock<PrattParser<Rule>> = OnceLock::new();
    P.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
    })
}

/// `file`
pub fn file(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> File {
    let mut items = Vec::new();
    for it in p.into_inner() {
        match it.as_rule() {
            Rule::import => items.push(Item::Import(import(it, errors))),
            Rule::list_decl => items.push(Item::List(list_decl(it, errors))),
            Rule::condition_decl => items.push(Item::Condition(condition_decl(it, errors))),
            Rule::rule_decl => items.push(Item::Rule(rule_decl(it, errors))),
            _ => {}
        }
    }
    File { items }
}

/// `import`
fn import(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Str {
    let s = p.into_inner().find(|x| is_string(x.as_rule()));
    string(s.expect("grammar: import has a string"), errors)
}

/// `list_decl`
fn list_decl(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> ListDecl {
    let sp = span(&p);
    let mut name = None;
    let mut ty = None;
    let mut items = Vec::new();
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::ident => name = Some(ident(x)),
            Rule::list_type => ty = Some((list_type(&x), span(&x))),
            Rule::list_lit => items = list_lit(x, errors).0,
            _ => {}
        }
    }
    ListDecl {
        name: name.expect("grammar: list has a name"),
        ty,
        items,
        span: sp,
    }
}

/// `list_type`
fn list_type(p: &Pair<Rule>) -> ListType {
    match p.as_str() {
        "number" => ListType::Number,
        "cidr" => ListType::Cidr,
        "string" => ListType::String,
        other => unreachable!("grammar: list_type is string, number or cidr, not {other}"),
    }
}

/// `condition_decl`
fn condition_decl(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> CondDecl {
    let sp = span(&p);
    let mut name = None;
    let mut e = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::ident => name = Some(ident(x)),
            Rule::expr => e = Some(expr(x, errors)),
            _ => {}
        }
    }
    CondDecl {
        name: name.expect("grammar: condition has a name"),
        expr: e.expect("grammar: condition has an expression"),
        span: sp,
    }
}

/// `rule_decl`
fn rule_decl(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> RuleDecl {
    let sp = span(&p);
    let mut r = RuleDecl {
        name: Ident {
            name: String::new(),
            span: sp,
        },
        meta: Vec::new(),
        sources: Vec::new(),
        matches: Vec::new(),
        stages: Vec::new(),
        tests: Vec::new(),
        test_files: Vec::new(),
        span: sp,
    };
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::ident => r.name = ident(x),
            Rule::source_entry => r.sources.push(source_entry(x)),
            Rule::match_entry => r.matches.push(match_entry(x, errors)),
            Rule::meta_entry => r.meta.push(meta_entry(x, errors)),
            Rule::related_entry => r.meta.push(related_entry(x)),
            Rule::threshold_entry | Rule::new_entry | Rule::sequence_entry => {
                r.stages.push(stage(x))
            }
            Rule::test_entry => {
                if let Some(t) = test_entry(x, errors) {
                    r.tests.push(t);
                }
            }
            Rule::tests_entry => {
                let s = x
                    .into_inner()
                    .find(|y| is_string(y.as_rule()))
                    .expect("grammar: tests has a string");
                r.test_files.push(string(s, errors));
            }
            _ => {}
        }
    }
    r
}

/// `test_entry`
fn test_entry(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Option<TestCase> {
    let sp = span(&p);
    let mut strings = Vec::new();
    let mut at_seen = false;
    let mut verdict = None;
    let mut object = None;
    let mut arrays = Vec::new();
    let mut ok = true;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::kw_at => at_seen = true,
            Rule::verdict => verdict = Some(x.as_str() == "match"),
            Rule::json_object => match json(&x, errors) {
                Some(v) => object = Some(v),
                None => ok = false,
            },
            Rule::json_array => match json(&x, errors) {
                Some(v) => arrays.push(v),
                None => ok = false,
            },
            r if is_string(r) => strings.push(string(x, errors)),
            _ => {}
        }
    }
    if !ok {
        return None;
    }
    let mut strings = strings.into_iter();
    let name = strings.next().expect("grammar: test has a name");
    let at = if at_seen { strings.next() } else { None };
    let body = match verdict {
        Some(expect) => TestBody::Event {
            expect,
            event: object.expect("grammar: event test has an object"),
        },
        None => {
            let mut arrays = arrays.into_iter();
            let alerts = match arrays.next() {
                Some(serde_json::Value::Array(a)) => a,
                _ => Vec::new(),
            };
            let events = match arrays.next() {
                Some(serde_json::Value::Array(a)) => StreamEvents::Inline(a),
                _ => StreamEvents::File(strings.next().expect("grammar: events file")),
            };
            TestBody::Stream { alerts, events }
        }
    };
    Some(TestCase {
        name,
        at,
        body,
        span: sp,
    })
}

/// Decode a `json_object` or `json_array` with serde_json, reporting errors at their place.
fn json(x: &Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Option<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(x.as_str()) {
        Ok(v) => Some(v),
        Err(e) => {
            let s = span(x);
            let mut off = s.start;
            for (i, line) in x.as_str().split_inclusive('\n').enumerate() {
                if i + 1 == e.line() {
                    off += e.column().saturating_sub(1).min(line.len());
                    break;
                }
                off += line.len();
            }
            // serde_json counts columns in bytes: the place may be inside a multi-byte
            // character, so the label covers that whole character.
            let text = x.as_str();
            let mut at = off.min(s.end.saturating_sub(1)).saturating_sub(s.start);
            while at > 0 && !text.is_char_boundary(at) {
                at -= 1;
            }
            let len = text[at..].chars().next().map_or(1, char::len_utf8);
            errors.push(SyntaxError::BadJson {
                message: e.to_string(),
                span: Span::new(s.start + at, s.start + at + len).into(),
            });
            None
        }
    }
}

/// `threshold_entry`, `new_entry` or `sequence_entry`.
fn stage(p: Pair<Rule>) -> StageDecl {
    let sp = span(&p);
    let rule = p.as_rule();
    let mut fields = Vec::new();
    let mut by = Vec::new();
    let mut durations = Vec::new();
    let mut idents = Vec::new();
    let mut op = None;
    let mut num = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::aggregate => {
                for y in x.into_inner() {
                    if y.as_rule() == Rule::field {
                        fields.push(ident(y));
                    }
                }
            }
            Rule::group_by => {
                for y in x.into_inner() {
                    if y.as_rule() == Rule::field {
                        by.push(ident(y));
                    }
                }
            }
            Rule::field => fields.push(ident(x)),
            Rule::ident => idents.push(ident(x)),
            Rule::duration => durations.push(duration(&x)),
            Rule::cmp_op => op = Some((cmp_op(x.clone()), span(&x))),
            Rule::number => {
                num = Some(Num {
                    text: x.as_str().to_string(),
                    span: span(&x),
                })
            }
            _ => {}
        }
    }
    let mut durations = durations.into_iter();
    match rule {
        Rule::threshold_entry => StageDecl::Threshold {
            distinct: fields.into_iter().next(),
            op: op.expect("grammar: threshold has an operator"),
            value: num.expect("grammar: threshold has a number"),
            by,
            window: durations.next().expect("grammar: threshold has a window"),
            span: sp,
        },
        Rule::new_entry => StageDecl::New {
            fields,
            baseline: durations.next().expect("grammar: new has a baseline"),
            window: durations.next().expect("grammar: new has a window"),
            span: sp,
        },
        Rule::sequence_entry => StageDecl::Sequence {
            by,
            within: durations.next().expect("grammar: sequence has a window"),
            steps: idents,
            span: sp,
        },
        r => unreachable!("grammar: a stage is threshold, new or sequence, not {r:?}"),
    }
}

/// `duration`
fn duration(p: &Pair<Rule>) -> Duration {
    let mut seconds: u64 = 0;
    let mut n: u64 = 0;
    for c in p.as_str().chars() {
        if let Some(d) = c.to_digit(10) {
            n = n.saturating_mul(10).saturating_add(u64::from(d));
        } else {
            let unit = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                _ => 1,
            };
            seconds = seconds.saturating_add(n.saturating_mul(unit));
            n = 0;
        }
    }
    Duration {
        seconds,
        text: p.as_str().to_string(),
        span: span(p),
    }
}

/// `cmp_op`: its one inner rule names the operator.
fn cmp_op(p: Pair<Rule>) -> CmpOp {
    let op = p
        .into_inner()
        .next()
        .expect("grammar: cmp_op has one operator");
    match op.as_rule() {
        Rule::op_eq => CmpOp::Eq,
        Rule::op_ne => CmpOp::Ne,
        Rule::op_lt => CmpOp::Lt,
        Rule::op_le => CmpOp::Le,
        Rule::op_gt => CmpOp::Gt,
        Rule::op_ge => CmpOp::Ge,
        r => unreachable!("grammar: cmp_op holds only operator rules, not {r:?}"),
    }
}

/// `str_op`: its one inner rule names the operator.
fn str_op(p: Pair<Rule>) -> StrOpKind {
    let op = p
        .into_inner()
        .next()
        .expect("grammar: str_op has one operator");
    match op.as_rule() {
        Rule::op_contains => StrOpKind::Text(StrOp::Contains),
        Rule::op_startswith => StrOpKind::Text(StrOp::StartsWith),
        Rule::op_endswith => StrOpKind::Text(StrOp::EndsWith),
        Rule::op_like => StrOpKind::Like,
        Rule::op_matches => StrOpKind::Matches,
        r => unreachable!("grammar: str_op holds only operator rules, not {r:?}"),
    }
}

/// `source_entry`
fn source_entry(p: Pair<Rule>) -> Ident {
    let d = p
        .into_inner()
        .find(|x| x.as_rule() == Rule::dotted)
        .expect("grammar: source has a name");
    Ident {
        name: d.as_str().to_string(),
        span: span(&d),
    }
}

/// `match_entry`
fn match_entry(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    let e = p
        .into_inner()
        .find(|x| x.as_rule() == Rule::expr)
        .expect("grammar: match has an expression");
    expr(e, errors)
}

/// `meta_entry`
fn meta_entry(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> MetaEntry {
    let sp = span(&p);
    let mut key = None;
    let mut values = Vec::new();
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::meta_key => key = Some(ident(x)),
            Rule::meta_value => values.push(meta_value(x, errors)),
            _ => {}
        }
    }
    MetaEntry {
        key: key.expect("grammar: entry has a key"),
        values,
        span: sp,
    }
}

/// `related_entry`: a metadata entry whose values are `<type> <uuid>` pairs.
fn related_entry(p: Pair<Rule>) -> MetaEntry {
    let sp = span(&p);
    let mut key = None;
    let mut values = Vec::new();
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::kw_related => key = Some(ident(x)),
            Rule::related_item => {
                let words: Vec<&str> = x.as_str().split_whitespace().collect();
                values.push(MetaValue::Bare(Ident {
                    name: words.join(" "),
                    span: span(&x),
                }));
            }
            _ => {}
        }
    }
    MetaEntry {
        key: key.expect("grammar: related has its keyword"),
        values,
        span: sp,
    }
}

/// `meta_value`
fn meta_value(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> MetaValue {
    let x = p.into_inner().next().expect("grammar: value has content");
    if x.as_rule() == Rule::bare {
        MetaValue::Bare(ident(x))
    } else {
        MetaValue::Str(string(x, errors))
    }
}

/// `expr_input`: the one expression.
pub fn expr_input(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    let e = p.into_inner().next().expect("grammar: expr_input has expr");
    expr(e, errors)
}

/// `expr`, via the Pratt parser.
fn expr(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    pratt_expr(p.into_inner(), errors)
}

fn pratt_expr(pairs: Pairs<Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    // The closures below all need `errors`; a RefCell lets them share it.
    let errs = std::cell::RefCell::new(std::mem::take(errors));
    let out = pratt()
        .map_primary(|x| primary(x, &mut errs.borrow_mut()))
        .map_prefix(|op, rhs| {
            let sp = Span::new(span(&op).start, rhs.span().end);
            Expr::Not(Box::new(rhs), sp)
        })
        .map_infix(|lhs, op, rhs| {
            // Both operators are left-associative, so a run `a and b and c` arrives as
            // ((a and b) and c): extend the left operand's list instead of nesting.
            let sp = Span::new(lhs.span().start, rhs.span().end);
            let is_and = op.as_rule() == Rule::op_and;
            match lhs {
                Expr::And(mut xs, _) if is_and => {
                    xs.push(rhs);
                    Expr::And(xs, sp)
                }
                Expr::Or(mut xs, _) if !is_and => {
                    xs.push(rhs);
                    Expr::Or(xs, sp)
                }
                lhs if is_and => Expr::And(vec![lhs, rhs], sp),
                lhs => Expr::Or(vec![lhs, rhs], sp),
            }
        })
        .parse(pairs);
    *errors = errs.into_inner();
    out
}

/// `primary`: `paren`, `comparison`, `keyword_search` or `cond_ref`.
fn primary(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    match p.as_rule() {
        Rule::paren => {
            let e = p.into_inner().next().expect("grammar: paren has expr");
            expr(e, errors)
        }
        Rule::comparison => Expr::Cmp(comparison(p, errors)),
        Rule::keyword_search => {
            let sp = span(&p);
            let s = p
                .into_inner()
                .find(|x| is_string(x.as_rule()))
                .expect("grammar: keyword has string");
            Expr::Keyword(string(s, errors), sp)
        }
        Rule::cond_ref => {
            let i = p.into_inner().next().expect("grammar: cond_ref has ident");
            Expr::Ref(ident(i))
        }
        r => unreachable!("grammar: a primary is a paren, comparison, keyword or name, not {r:?}"),
    }
}

/// `comparison`
fn comparison(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Comparison {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let field = ident(inner.next().expect("grammar: comparison has field"));
    let test = inner.next().expect("grammar: comparison has a test");
    let kind = match test.as_rule() {
        Rule::presence => presence(test),
        Rule::membership => membership(test, errors),
        Rule::string_test => string_test(test, errors),
        Rule::compare => compare(test, errors),
        r => unreachable!("grammar: a comparison's test is presence, membership, a string test or a compare, not {r:?}"),
    };
    Comparison {
        field,
        kind,
        span: sp,
    }
}

/// `presence`
fn presence(p: Pair<Rule>) -> CmpKind {
    let kw = p
        .into_inner()
        .next()
        .expect("grammar: presence has a keyword");
    match kw.as_rule() {
        Rule::kw_exists => CmpKind::Exists,
        Rule::kw_missing => CmpKind::Missing,
        r => unreachable!("grammar: presence is `exists` or `missing`, not {r:?}"),
    }
}

/// `membership`
fn membership(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> CmpKind {
    let mut negated = false;
    let mut cased = None;
    let mut cidr = None;
    let mut list = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::not_kw => negated = true,
            Rule::cased => cased = Some(span(&x)),
            Rule::cidr_kw => cidr = Some(span(&x)),
            Rule::list_lit => {
                let sp = span(&x);
                list = Some(ListOperand::Literal(list_lit(x, errors).0, sp));
            }
            Rule::list_ref => list = Some(ListOperand::Named(list_ref(x))),
            _ => {}
        }
    }
    CmpKind::In {
        negated,
        cased,
        cidr,
        list: list.expect("grammar: in has a list"),
    }
}

/// `list_ref`
fn list_ref(p: Pair<Rule>) -> Ident {
    ident(p.into_inner().next().expect("grammar: list_ref has ident"))
}

/// `string_test`
fn string_test(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> CmpKind {
    let mut op = None;
    let mut cased = None;
    let mut quant = None;
    let mut value = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::str_op => op = Some((str_op(x.clone()), span(&x))),
            Rule::cased => cased = Some(span(&x)),
            Rule::quant => {
                let q = match x.as_str() {
                    "all" => QuantKind::All,
                    "any" => QuantKind::Any,
                    q => unreachable!("grammar: a quantifier is `any` or `all`, not {q:?}"),
                };
                quant = Some((q, span(&x)));
            }
            Rule::list_lit => {
                let sp = span(&x);
                value = Some(StrTestValue::List(ListOperand::Literal(
                    list_lit(x, errors).0,
                    sp,
                )));
            }
            Rule::list_ref => value = Some(StrTestValue::List(ListOperand::Named(list_ref(x)))),
            r if is_string(r) => value = Some(StrTestValue::One(string(x, errors))),
            _ => {}
        }
    }
    CmpKind::StrTest {
        op: op.expect("grammar: string test has an operator"),
        cased,
        quant,
        value: value.expect("grammar: string test has a value"),
    }
}

/// `compare`
fn compare(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> CmpKind {
    let mut op = None;
    let mut cased = None;
    let mut rhs = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::cmp_op => op = Some((cmp_op(x.clone()), span(&x))),
            Rule::cased => cased = Some(span(&x)),
            Rule::field_ref => {
                let f = x.into_inner().next().expect("grammar: field_ref has field");
                rhs = Some(Operand::Field(ident(f)));
            }
            r if is_string(r) || matches!(r, Rule::number | Rule::boolean) => {
                rhs = Some(Operand::Lit(literal(x, errors)))
            }
            r => unreachable!(
                "grammar: a compare holds an operator, `cased` and an operand, not {r:?}"
            ),
        }
    }
    CmpKind::Compare {
        op: op.expect("grammar: compare has an operator"),
        cased,
        rhs: rhs.expect("grammar: compare has a right-hand side"),
    }
}

/// `list_lit`
fn list_lit(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> (Vec<Literal>, Span) {
    let sp = span(&p);
    (p.into_inner().map(|x| literal(x, errors)).collect(), sp)
}

/// `literal`: `string`, `number` or `boolean`.
fn literal(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Literal {
    match p.as_rule() {
        Rule::number => Literal::Num(Num {
            text: p.as_str().to_string(),
            span: span(&p),
        }),
        Rule::boolean => Literal::Bool(p.as_str() == "true", span(&p)),
        r if is_string(r) => Literal::Str(string(p, errors)),
        r => unreachable!("grammar: a literal is a string, number or boolean, not {r:?}"),
    }
}

fn is_string(r: Rule) -> bool {
    matches!(r, Rule::plain_str | Rule::raw_str | Rule::triple_str)
}

/// `ident` (also used for `field`, `bare` and `meta_key` tokens).
fn ident(p: Pair<Rule>) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(&p),
    }
}

/// `string`: `plain_str`, `raw_str` or `triple_str`, decoded.
fn string(p: Pair<Rule>, errors: &mut Vec<SyntaxError>) -> Str {
    let sp = span(&p);
    let rule = p.as_rule();
    let body = p.into_inner().next().expect("grammar: string has a body");
    let value = match rule {
        Rule::raw_str => body.as_str().to_string(),
        Rule::triple_str => dedent(&unescape(body.as_str(), span(&body).start, errors)),
        Rule::plain_str => unescape(body.as_str(), span(&body).start, errors),
        r => unreachable!("grammar: a string is plain, raw or triple-quoted, not {r:?}"),
    };
    Str { value, span: sp }
}

/// Decode the escapes of a plain string body starting at byte `base`.
pub(crate) fn unescape(s: &str, base: usize, errors: &mut Vec<SyntaxError>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = it.next() else {
            break;
        };
        match e {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            'u' => {
                // \u{HEX}
                let rest = &s[i + 2..];
                let ok = rest.strip_prefix('{').and_then(|r| {
                    let end = r.find('}')?;
                    let v = u32::from_str_radix(&r[..end], 16).ok()?;
                    Some((char::from_u32(v)?, end + 2))
                });
                match ok {
                    Some((ch, used)) => {
                        out.push(ch);
                        for _ in 0..used {
                            it.next();
                        }
                    }
                    None => {
                        let end = (i + 2).min(s.len());
                        errors.push(SyntaxError::BadEscape {
                            escape: s[i..end].to_string(),
                            span: Span::new(base + i, base + end).into(),
                        });
                    }
                }
            }
            other => {
                let end = i + 1 + other.len_utf8();
                errors.push(SyntaxError::BadEscape {
                    escape: s[i..end].to_string(),
                    span: Span::new(base + i, base + end).into(),
                });
            }
        }
    }
    out
}

/// Remove the common leading indentation and the first and last blank lines.
fn dedent(s: &str) -> String {
    let mut lines: Vec<&str> = s.split('\n').collect();
    if lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    if lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let lead = |l: &str| l.bytes().take_while(|b| *b == b' ' || *b == b'\t').count();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| lead(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l[lead(l).min(indent)..].trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}
