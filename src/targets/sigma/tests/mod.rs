//! Tests of the sigma target: escaping, the layout of every construct, refusals, and that
//! the emitted YAML reads back to the exact strings.

use super::detection;
use super::*;
use crate::catalog::{FieldType, Mapped, Source};
use crate::ir::{CmpOp, Expr, Field, Meta, Number, Pred, Quant, Rule, Span, StrOp, Test};
use crate::targets::{Target, TargetError, TargetOptions};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn fld(name: &str) -> Field {
    Field {
        name: name.to_string(),
        ty: FieldType::String,
        mapped: Some(Mapped::Column(name.to_string())),
    }
}

fn pred_at(f: &str, test: Test, start: usize) -> Expr {
    Expr::Pred(Pred {
        field: fld(f),
        test,
        span: Span::new(start, start + 1),
    })
}

fn pred(f: &str, test: Test) -> Expr {
    pred_at(f, test, 0)
}

fn strs(vs: &[&str]) -> Vec<String> {
    vs.iter().map(|s| s.to_string()).collect()
}

fn st(f: &str, op: StrOp, vs: &[&str], quant: Quant, cased: bool) -> Expr {
    pred(
        f,
        Test::Str {
            op,
            values: strs(vs),
            quant,
            cased,
        },
    )
}

fn eq(f: &str, v: &str) -> Expr {
    st(f, StrOp::Eq, &[v], Quant::Any, false)
}

fn in_(f: &str, vs: &[&str]) -> Expr {
    st(f, StrOp::Eq, vs, Quant::Any, false)
}

fn contains(f: &str, v: &str) -> Expr {
    st(f, StrOp::Contains, &[v], Quant::Any, false)
}

fn glob(f: &str, ps: &[&str], cased: bool) -> Expr {
    pred(
        f,
        Test::Glob {
            patterns: strs(ps),
            cased,
        },
    )
}

fn regex(f: &str, p: &str, cased: bool) -> Expr {
    pred(
        f,
        Test::Regex {
            pattern: p.to_string(),
            cased,
        },
    )
}

fn num(s: &str) -> Number {
    Number::parse(s).expect("number")
}

fn exists(f: &str) -> Expr {
    pred(f, Test::Exists)
}

fn and(xs: Vec<Expr>) -> Expr {
    Expr::And(xs)
}

fn or(xs: Vec<Expr>) -> Expr {
    Expr::Or(xs)
}

fn not(x: Expr) -> Expr {
    Expr::Not(Box::new(x))
}

/// The lines under `detection:`.
fn det(e: &Expr) -> String {
    match detection::build(e) {
        Ok(d) => d.render(),
        Err(errs) => panic!("refused: {errs:?}"),
    }
}

fn refusals(e: &Expr) -> Vec<(String, usize)> {
    match detection::build(e) {
        Ok(d) => panic!("expected a refusal, got:\n{}", d.render()),
        Err(errs) => errs
            .into_iter()
            .map(|e| match e {
                TargetError::Unsupported {
                    target,
                    construct,
                    span,
                    ..
                } => {
                    assert_eq!(target, "sigma");
                    (construct, span.offset())
                }
                other => panic!("unexpected error {other:?}"),
            })
            .collect(),
    }
}

fn m365() -> Source {
    crate::catalog::Catalog::source_from_yaml(
        "description: Microsoft 365 audit\n\
         logsource: {service: audit, product: m365}\n\
         timestamp: CreationTime\n\
         fields: {CreationTime: string, Operation: string, Workload: string, AppId: string}\n",
    )
    .expect("source")
}

fn storm_rule() -> Rule {
    let apps = [
        "00000002-0000-0ff1-ce00-000000000000",
        "00000003-0000-0000-c000-000000000000",
        "5d661950-3475-41cd-a2c3-d671a3162bc1",
        "27922004-5251-4030-b22d-91ecd9a37ea4",
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    ];
    Rule {
        name: "mail_items_accessed_by_unexpected_app".to_string(),
        meta: Meta {
            title: "Mail Items Accessed By Unexpected Application".to_string(),
            id: "9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55".to_string(),
            status: "experimental".to_string(),
            level: "high".to_string(),
            description: "Detects MailItemsAccessed audit records from an application that does not\nnormally read mailboxes (Storm-0558, 2023).".to_string(),
            authors: strs(&["tripline"]),
            date: "2023-07-12".to_string(),
            modified: Some("2023-07-20".to_string()),
            tags: strs(&["attack.collection", "attack.t1114.002"]),
            references: strs(&[
                "https://www.cisa.gov/news-events/cybersecurity-advisories/aa23-193a",
            ]),
            falsepositives: strs(&["A mail client adopted after the allow-list was last reviewed"]),
            related: Vec::new(),
            fields: Vec::new(),
        },
        source: "m365.audit".to_string(),
        expr: and(vec![
            eq("Operation", "MailItemsAccessed"),
            eq("Workload", "Exchange"),
            not(in_("AppId", &apps)),
        ]),
        span: Span::new(0, 10),
        stage: None,
        tests: Vec::new(),
        test_files: Vec::new(),
        stream_tests: Vec::new(),
    }
}

fn compile(rule: &Rule, source: &Source) -> Result<String, Vec<TargetError>> {
    let opts = TargetOptions::default();
    let ctx = Ctx {
        source,
        source_name: "m365.audit",
        opts: &opts,
        catalog_key: "sigma",
    };
    Sigma.compile_rule(rule, &ctx)
}

fn parse(text: &str) -> Value {
    crate::yaml::from_str::<Value>(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A Sigma string value as the specification (and pySigma) reads it.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    Any,
    One,
}

/// Sigma's escaping rules: `\` before `*`, `?` or `\` makes that character literal; a `\`
/// before anything else (or at the end) is itself literal; bare `*` / `?` are wildcards.
fn decode(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n) if matches!(n, '*' | '?' | '\\') => {
                    out.push(Tok::Lit(n));
                    chars.next();
                }
                _ => out.push(Tok::Lit('\\')),
            },
            '*' => out.push(Tok::Any),
            '?' => out.push(Tok::One),
            c => out.push(Tok::Lit(c)),
        }
    }
    out
}

fn lits(s: &str) -> Vec<Tok> {
    s.chars().map(Tok::Lit).collect()
}

/// A tripline glob as tokens (runs of `*` are one wildcard).
fn glob_toks(g: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for c in g.chars() {
        match c {
            '*' if out.last() == Some(&Tok::Any) => {}
            '*' => out.push(Tok::Any),
            '?' => out.push(Tok::One),
            c => out.push(Tok::Lit(c)),
        }
    }
    out
}

const ADVERSARIAL: &[&str] = &[
    "plain",
    "",
    " ",
    "'",
    "''",
    "\"",
    "it's",
    "say \"hi\"",
    "\\",
    "\\\\",
    "C:\\dir\\",
    "C:\\Windows\\*\\cmd.exe",
    "*",
    "?",
    "\\*",
    "\\?",
    "a*b?c",
    "trailing\\",
    "| pipe",
    "a|b",
    "|",
    "-",
    "- item",
    "-1",
    "+1",
    "0x1F",
    "1e5",
    "1e-5",
    "0o17",
    "017",
    "1_000",
    "1:20",
    "3.14",
    ".5",
    ".inf",
    ".NaN",
    "2023-07-12",
    "2023-07-12T10:00:00Z",
    "12345678-1234-1234-1234-123456789e12",
    "5d661950-3475-41cd-a2c3-d671a3162bc1",
    "true",
    "False",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "N",
    "null",
    "Null",
    "~",
    "=",
    "<<",
    "key: value",
    "a:b",
    "a:",
    "http://example.com/#frag",
    "a #comment",
    "#comment",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "[flow]",
    "{flow}",
    "a, b",
    ">folded",
    "?question",
    ":colon",
    " leading",
    "trailing ",
    "tab\there",
    "line\nbreak",
    "crlf\r\n",
    "nul\0byte",
    "bell\u{7}",
    "esc\u{1b}[0m",
    "del\u{7f}",
    "nel\u{85}",
    "nbsp\u{a0}",
    "ls\u{2028}ps\u{2029}",
    "bom\u{feff}",
    "nonchar\u{fffe}\u{ffff}",
    "émoji 😀",
    "中文",
    "---",
    "...",
    "--- doc",
    "a\\nb",
    "\\x41",
    "%name%",
];

// ---------------------------------------------------------------------------------------------
// sigma_value / sigma_glob
// ---------------------------------------------------------------------------------------------

mod documents;
mod operators;
mod refusals;
mod samples;
mod values;
