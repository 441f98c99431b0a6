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

#[test]
fn sigma_value_escapes_wildcards_and_backslashes() {
    assert_eq!(sigma_value("plain"), "plain");
    assert_eq!(sigma_value("a*b"), "a\\*b");
    assert_eq!(sigma_value("a?b"), "a\\?b");
    assert_eq!(sigma_value("C:\\dir\\"), "C:\\\\dir\\\\");
    assert_eq!(sigma_value("\\*"), "\\\\\\*");
    assert_eq!(sigma_value("\\\\"), "\\\\\\\\");
    assert_eq!(sigma_value("%name% | 'q' \"d\""), "%name% | 'q' \"d\"");
    assert_eq!(sigma_value("émoji 😀\n"), "émoji 😀\n");
}

#[test]
fn sigma_value_reads_back_literally() {
    for s in ADVERSARIAL {
        assert_eq!(decode(&sigma_value(s)), lits(s), "{s:?}");
    }
}

#[test]
fn sigma_glob_keeps_wildcards_and_escapes_the_rest() {
    assert_eq!(sigma_glob("C:\\W\\*\\cmd.exe"), "C:\\\\W\\\\*\\\\cmd.exe");
    assert_eq!(sigma_glob("prog?.exe"), "prog?.exe");
    assert_eq!(sigma_glob("a**b***"), "a*b*");
    assert_eq!(sigma_glob("trailing\\*"), "trailing\\\\*");
    assert_eq!(sigma_glob("\\?"), "\\\\?");
    for g in ADVERSARIAL {
        assert_eq!(decode(&sigma_glob(g)), glob_toks(g), "{g:?}");
    }
}

proptest::proptest! {
    #[test]
    fn sigma_value_is_literal_for_any_string(s in "\\PC*|[\\\\*?ab]*") {
        proptest::prop_assert_eq!(decode(&sigma_value(&s)), lits(&s));
    }

    #[test]
    fn sigma_glob_keeps_exactly_the_wildcards(s in "[\\\\*?ab]*") {
        proptest::prop_assert_eq!(decode(&sigma_glob(&s)), glob_toks(&s));
    }

    #[test]
    fn yaml_scalar_reads_back_for_any_string(s in proptest::collection::vec(proptest::char::any(), 0..24)) {
        let s: String = s.into_iter().collect();
        let v = parse(&format!("k: {}\n", yaml_scalar(&s)));
        proptest::prop_assert_eq!(v["k"].as_str(), Some(s.as_str()));
    }
}

// ---------------------------------------------------------------------------------------------
// yaml_scalar
// ---------------------------------------------------------------------------------------------

#[test]
fn yaml_scalar_forms() {
    let cases = [
        ("MailItemsAccessed", "MailItemsAccessed"),
        ("Image|endswith", "Image|endswith"),
        ("attack.t1114.002", "attack.t1114.002"),
        (
            "https://www.cisa.gov/news-events/aa23-193a",
            "https://www.cisa.gov/news-events/aa23-193a",
        ),
        (
            "5d661950-3475-41cd-a2c3-d671a3162bc1",
            "5d661950-3475-41cd-a2c3-d671a3162bc1",
        ),
        (
            "00000002-0000-0ff1-ce00-000000000000",
            "00000002-0000-0ff1-ce00-000000000000",
        ),
        ("\\cmd.exe", "\\cmd.exe"),
        ("", "''"),
        ("4624", "'4624'"),
        ("1e5", "'1e5'"),
        ("1e-5", "'1e-5'"),
        ("2023-07-12", "'2023-07-12'"),
        (
            "12345678-1234-1234-1234-123456789e12",
            "'12345678-1234-1234-1234-123456789e12'",
        ),
        ("true", "'true'"),
        ("No", "'No'"),
        ("N", "'N'"),
        ("null", "'null'"),
        ("~", "'~'"),
        ("it's", "it's"),
        ("'quoted'", "'''quoted'''"),
        ("a: b", "'a: b'"),
        ("a:", "'a:'"),
        ("a #b", "'a #b'"),
        ("*alias", "'*alias'"),
        ("- item", "'- item'"),
        ("trailing ", "'trailing '"),
        ("é", "'é'"),
        ("tab\there", "\"tab\\there\""),
        ("two\nlines", "\"two\\nlines\""),
        ("nul\0", "\"nul\\0\""),
        ("esc\u{1b}", "\"esc\\x1B\""),
        ("bs\\ \"q\"\n", "\"bs\\\\ \\\"q\\\"\\n\""),
        ("nel\u{85}", "\"nel\\u0085\""),
        ("bom\u{feff}", "\"bom\\uFEFF\""),
        ("ls\u{2028}", "\"ls\\u2028\""),
        ("del\u{7f}", "\"del\\u007F\""),
    ];
    for (input, want) in cases {
        assert_eq!(yaml_scalar(input), want, "{input:?}");
    }
}

#[test]
fn yaml_scalar_reads_back_as_value_and_key() {
    for s in ADVERSARIAL {
        let v = parse(&format!("k: {}\n", yaml_scalar(s)));
        assert_eq!(v["k"], Value::String(s.to_string()), "value {s:?}");
        let v = parse(&format!("{}: 1\n", yaml_scalar(s)));
        assert_eq!(v.get(*s), Some(&Value::from(1)), "key {s:?}");
        let v = parse(&format!("k:\n    - {}\n", yaml_scalar(s)));
        assert_eq!(v["k"][0], Value::String(s.to_string()), "list item {s:?}");
    }
}

#[test]
fn description_block_reads_back() {
    let texts = [
        "one line",
        "Detects things\nacross two lines.",
        "para one\n\npara two",
        "  indented first line\nsecond",
        "ends with newline\n",
        "\nstarts with newline",
        "trailing spaces   \nnext",
        "blank-ish line\n   \nnext",
        "tab\tin\nblock",
        "quote ' and \" and \\ and # and : in\na block",
        "- looks like a list\n* and an alias",
    ];
    for t in texts {
        let y = yaml_text(t, 0);
        let v = parse(&format!("description: {y}\nlevel: high\n"));
        assert_eq!(
            v["description"],
            Value::String(t.to_string()),
            "{t:?} as {y}"
        );
    }
    assert_eq!(yaml_text("a\nb", 0), "|-\n    a\n    b");
    assert_eq!(yaml_text("a\n\nb", 0), "|-\n    a\n\n    b");
    assert_eq!(yaml_text("a\n", 0), "\"a\\n\"");
}

// ---------------------------------------------------------------------------------------------
// The whole rule
// ---------------------------------------------------------------------------------------------

const STORM: &str = "\
title: Mail Items Accessed By Unexpected Application
id: 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55
status: experimental
description: |-
    Detects MailItemsAccessed audit records from an application that does not
    normally read mailboxes (Storm-0558, 2023).
references:
    - https://www.cisa.gov/news-events/cybersecurity-advisories/aa23-193a
author: tripline
date: 2023-07-12
modified: 2023-07-20
tags:
    - attack.collection
    - attack.t1114.002
logsource:
    product: m365
    service: audit
detection:
    selection:
        Operation: MailItemsAccessed
        Workload: Exchange
    filter_main_app_id:
        AppId:
            - 00000002-0000-0ff1-ce00-000000000000
            - 00000003-0000-0000-c000-000000000000
            - 5d661950-3475-41cd-a2c3-d671a3162bc1
            - 27922004-5251-4030-b22d-91ecd9a37ea4
            - d3590ed6-52b3-4102-aeff-aad2292ab01c
    condition: selection and not filter_main_app_id
falsepositives:
    - A mail client adopted after the allow-list was last reviewed
level: high
";

#[test]
fn storm_0558_rule() {
    let text = compile(&storm_rule(), &m365()).expect("compiles");
    assert_eq!(text, STORM);
    let v = parse(&text);
    assert_eq!(v["logsource"]["product"], "m365");
    assert_eq!(
        v["detection"]["filter_main_app_id"]["AppId"][2],
        "5d661950-3475-41cd-a2c3-d671a3162bc1"
    );
    assert_eq!(
        v["description"],
        "Detects MailItemsAccessed audit records from an application that does not\nnormally read mailboxes (Storm-0558, 2023)."
    );
    assert_eq!(v["date"], "2023-07-12");
}

#[test]
fn optional_metadata() {
    let mut r = storm_rule();
    r.meta.authors = strs(&["Alice", "Bob"]);
    r.meta.related = vec![
        (
            "derived".to_string(),
            "929a690e-bef0-4204-a928-ef5e620d6fcc".to_string(),
        ),
        (
            "similar".to_string(),
            "08fbc97d-0a2f-491c-ae21-8ffcfd3174e9".to_string(),
        ),
    ];
    r.meta.fields = strs(&["AppId", "Operation"]);
    r.meta.falsepositives = Vec::new();
    r.meta.references = Vec::new();
    r.meta.tags = Vec::new();
    r.meta.modified = None;
    r.meta.description = "Detects: a one-liner".to_string();
    r.expr = eq("Operation", "x");
    let mut src = m365();
    src.targets.insert(
        "sigma".to_string(),
        crate::catalog::TargetSource {
            fields: [(
                "AppId".to_string(),
                crate::catalog::FieldMap::Column("ApplicationId".into()),
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    );
    let text = compile(&r, &src).expect("compiles");
    assert_eq!(
        text,
        "\
title: Mail Items Accessed By Unexpected Application
id: 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55
related:
    - id: 929a690e-bef0-4204-a928-ef5e620d6fcc
      type: derived
    - id: 08fbc97d-0a2f-491c-ae21-8ffcfd3174e9
      type: similar
status: experimental
description: 'Detects: a one-liner'
author: Alice, Bob
date: 2023-07-12
logsource:
    product: m365
    service: audit
detection:
    selection:
        Operation: x
    condition: selection
fields:
    - ApplicationId
    - Operation
falsepositives:
    - Unknown
level: high
"
    );
    let v = parse(&text);
    assert_eq!(
        v["related"][1]["id"],
        "08fbc97d-0a2f-491c-ae21-8ffcfd3174e9"
    );
    assert_eq!(v["falsepositives"][0], "Unknown");
}

#[test]
fn logsource_key_order_and_quoting() {
    let src: Source = crate::catalog::Catalog::source_from_yaml(
        "description: d\n\
         logsource: {definition: 'needs: audit', custom: x, service: sysmon, product: windows, category: process_creation}\n\
         fields: {Image: string}\n",
    )
    .expect("source");
    let mut r = storm_rule();
    r.expr = eq("Image", "x");
    let text = compile(&r, &src).expect("compiles");
    assert!(
        text.contains(
            "logsource:\n    category: process_creation\n    product: windows\n    service: sysmon\n    definition: 'needs: audit'\n    custom: x\ndetection:\n"
        ),
        "{text}"
    );
}

#[test]
fn empty_logsource_is_refused() {
    let src: Source = crate::catalog::Catalog::source_from_yaml(
        "description: d\nlogsource: {}\nfields: {Image: string}\n",
    )
    .expect("source");
    let errs = compile(&storm_rule(), &src).expect_err("refused");
    assert!(matches!(&errs[..], [TargetError::NoTable { what, .. }] if what.contains("logsource")));
}

#[test]
fn adversarial_values_read_back_exactly() {
    let mut r = storm_rule();
    let values: Vec<&str> = ADVERSARIAL
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .collect();
    r.expr = or(vec![
        in_("Operation", &values),
        st("Workload", StrOp::Contains, &values, Quant::All, true),
    ]);
    r.meta.title = "Title: with 'quotes' and \"doubles\" # and \\ backslash".to_string();
    r.meta.description = "Detects\ttabs\nand lines\r\n".to_string();
    r.meta.falsepositives = strs(&["- dash", "null", "a: b"]);
    let text = compile(&r, &m365()).expect("compiles");
    let v = parse(&text);
    assert_eq!(v["title"], Value::String(r.meta.title.clone()));
    assert_eq!(v["description"], Value::String(r.meta.description.clone()));
    assert_eq!(
        v["falsepositives"],
        serde_json::json!(["- dash", "null", "a: b"])
    );
    let sel = &v["detection"]["selection"];
    let eqs = sel[0]["Operation"].as_array().expect("list");
    let cs = sel[1]["Workload|contains|all|cased"]
        .as_array()
        .expect("list");
    // Case-insensitive duplicates are dropped from the equality list only.
    let mut folded: Vec<String> = Vec::new();
    let mut want_eq: Vec<&str> = Vec::new();
    for s in &values {
        if !folded.contains(&s.to_lowercase()) {
            folded.push(s.to_lowercase());
            want_eq.push(s);
        }
    }
    assert_eq!(eqs.len(), want_eq.len());
    for (got, want) in eqs.iter().zip(&want_eq) {
        assert_eq!(
            decode(got.as_str().expect("string")),
            lits(want),
            "{want:?}"
        );
    }
    assert_eq!(cs.len(), values.len());
    for (got, want) in cs.iter().zip(&values) {
        assert_eq!(
            decode(got.as_str().expect("string")),
            lits(want),
            "{want:?}"
        );
    }
}

#[test]
fn bundle_is_a_multi_document_stream() {
    let a = compile(&storm_rule(), &m365()).expect("compiles");
    let mut r = storm_rule();
    r.meta.title = "Second".to_string();
    r.expr = eq("Operation", "x");
    let b = compile(&r, &m365()).expect("compiles");
    let out = Sigma.bundle(&[
        ("first".to_string(), a.clone()),
        ("second".to_string(), b.clone()),
    ]);
    assert_eq!(out, format!("# rule: first\n{a}---\n# rule: second\n{b}"));
    let docs: Vec<&str> = out.split("\n---\n").collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        parse(docs[0])["title"],
        "Mail Items Accessed By Unexpected Application"
    );
    assert_eq!(parse(docs[1])["title"], "Second");
    assert_eq!(Sigma.comment("a\nb"), "# a b");
    assert_eq!(Sigma.extension(), "yml");
    assert_eq!(Sigma.name(), "sigma");
}

// ---------------------------------------------------------------------------------------------
// Every test variant, and its negation
// ---------------------------------------------------------------------------------------------

/// `positive` is the detection of `e`; `negated` that of `not e`.
fn check(e: Expr, positive: &str, negated: &str) {
    assert_eq!(det(&e), positive, "positive");
    assert_eq!(det(&not(e)), negated, "negated");
}

#[test]
fn str_eq() {
    check(
        eq("Operation", "MailItemsAccessed"),
        "    selection:\n        Operation: MailItemsAccessed\n    condition: selection\n",
        "    filter_main_operation:\n        Operation: MailItemsAccessed\n    condition: not filter_main_operation\n",
    );
    check(
        st("Image", StrOp::Eq, &["C:\\X\\*.exe", "C:\\x\\*.EXE", "4624"], Quant::Any, false),
        "    selection:\n        Image:\n            - C:\\\\X\\\\\\*.exe\n            - '4624'\n    condition: selection\n",
        "    filter_main_image:\n        Image:\n            - C:\\\\X\\\\\\*.exe\n            - '4624'\n    condition: not filter_main_image\n",
    );
    check(
        st("Image", StrOp::Eq, &["A", "a"], Quant::Any, true),
        "    selection:\n        Image|cased:\n            - A\n            - a\n    condition: selection\n",
        "    filter_main_image:\n        Image|cased:\n            - A\n            - a\n    condition: not filter_main_image\n",
    );
}

#[test]
fn str_eq_all_is_one_item_per_value() {
    // `all` without `contains` is a pySigma validator error; equal AND-ed items mean the same.
    check(
        st("F", StrOp::Eq, &["a", "b"], Quant::All, false),
        "    selection:\n        F: a\n    selection_f:\n        F: b\n    condition: selection and selection_f\n",
        "    filter_main_f:\n        F: a\n    filter_main_f_2:\n        F: b\n    condition: not (filter_main_f and filter_main_f_2)\n",
    );
    // A single value (after case-insensitive duplicates go) needs no `all`.
    assert_eq!(
        det(&st("F", StrOp::Eq, &["a", "A"], Quant::All, false)),
        "    selection:\n        F: a\n    condition: selection\n"
    );
}

#[test]
fn str_contains_startswith_endswith() {
    check(
        st("CommandLine", StrOp::Contains, &[" -enc ", "a*b"], Quant::Any, false),
        "    selection:\n        CommandLine|contains:\n            - ' -enc '\n            - a\\*b\n    condition: selection\n",
        "    filter_main_command_line:\n        CommandLine|contains:\n            - ' -enc '\n            - a\\*b\n    condition: not filter_main_command_line\n",
    );
    check(
        st("CommandLine", StrOp::Contains, &["a", "b"], Quant::All, true),
        "    selection:\n        CommandLine|contains|all|cased:\n            - a\n            - b\n    condition: selection\n",
        "    filter_main_command_line:\n        CommandLine|contains|all|cased:\n            - a\n            - b\n    condition: not filter_main_command_line\n",
    );
    check(
        st("Image", StrOp::StartsWith, &["C:\\dir\\"], Quant::Any, false),
        "    selection:\n        Image|startswith: C:\\\\dir\\\\\n    condition: selection\n",
        "    filter_main_image:\n        Image|startswith: C:\\\\dir\\\\\n    condition: not filter_main_image\n",
    );
    check(
        st("Image", StrOp::EndsWith, &["\\CMD.EXE"], Quant::Any, true),
        "    selection:\n        Image|endswith|cased: \\\\CMD.EXE\n    condition: selection\n",
        "    filter_main_image:\n        Image|endswith|cased: \\\\CMD.EXE\n    condition: not filter_main_image\n",
    );
    assert_eq!(
        det(&st("Image", StrOp::EndsWith, &["a", "b"], Quant::All, false)),
        "    selection:\n        Image|endswith: a\n    selection_image:\n        Image|endswith: b\n    condition: selection and selection_image\n"
    );
}

#[test]
fn globs() {
    check(
        glob(
            "Image",
            &["C:\\W\\*\\cmd.exe", "prog?.exe", "*\\x.exe", "*\\y.exe", "a**b*", "*foo*", "bar*"],
            false,
        ),
        "    selection:\n        - Image:\n              - C:\\\\W\\\\*\\\\cmd.exe\n              - prog?.exe\n              - a*b*\n        - Image|endswith:\n              - \\\\x.exe\n              - \\\\y.exe\n        - Image|contains: foo\n        - Image|startswith: bar\n    condition: selection\n",
        "    filter_main_image:\n        - Image:\n              - C:\\\\W\\\\*\\\\cmd.exe\n              - prog?.exe\n              - a*b*\n        - Image|endswith:\n              - \\\\x.exe\n              - \\\\y.exe\n        - Image|contains: foo\n        - Image|startswith: bar\n    condition: not filter_main_image\n",
    );
    check(
        glob("Image", &["*\\CMD.EXE"], true),
        "    selection:\n        Image|endswith|cased: \\\\CMD.EXE\n    condition: selection\n",
        "    filter_main_image:\n        Image|endswith|cased: \\\\CMD.EXE\n    condition: not filter_main_image\n",
    );
}

#[test]
fn glob_of_stars_alone_is_exists() {
    // `*` matches the empty string in Sigma, but a missing field never matches in tripline.
    assert_eq!(
        det(&glob("Image", &["a?", "**"], false)),
        det(&exists("Image"))
    );
}

#[test]
fn regexes() {
    check(
        regex("CommandLine", "(?m)a.*b$", false),
        "    selection:\n        CommandLine|re|i|m: a.*b$\n    condition: selection\n",
        "    filter_main_command_line:\n        CommandLine|re|i|m: a.*b$\n    condition: not filter_main_command_line\n",
    );
    check(
        regex("CommandLine", "(?s)a.b", true),
        "    selection:\n        CommandLine|re|s: a.b\n    condition: selection\n",
        "    filter_main_command_line:\n        CommandLine|re|s: a.b\n    condition: not filter_main_command_line\n",
    );
    // Could match the empty string, which tripline counts as missing: guarded.
    check(
        regex("F", "x*", true),
        "    selection:\n        F|re: x*\n    filter_main_f_empty:\n        - F: null\n        - F: ''\n    condition: selection and not filter_main_f_empty\n",
        "    filter_main_f:\n        F|re: x*\n    selection_f_empty:\n        - F: null\n        - F: ''\n    condition: not (filter_main_f and not selection_f_empty)\n",
    );
}

#[test]
fn regex_is_reprinted_in_sigma_flavour() {
    let conv = |p: &str, cased: bool| super::regex::convert(p, cased).expect("converts");
    let r = conv(r"(?:a|b)+?\.(?P<n>c){2,}\x41\u{42}\/[\]a-z\-^]", true);
    assert_eq!(r.pattern, r"(a|b)+\.(c){2,}AB/[\]a-z\-\^]");
    assert_eq!(r.flags, Vec::<&str>::new());
    assert!(!r.can_match_empty);
    let r = conv("(?i)(?sm)x{3}|y?", true);
    assert_eq!(r.pattern, "x{3}|y?");
    assert_eq!(r.flags, vec!["i", "m", "s"]);
    assert!(r.can_match_empty);
    let r = conv("[^*?]\t\n", false);
    assert_eq!(r.pattern, "[^*?]\t\n");
    assert_eq!(r.flags, vec!["i"]);
    let r = conv("a{1,3}?(b*)*", true);
    assert_eq!(r.pattern, "a{1,3}(b*)*");
    // Output that holds YAML-special characters still reads back.
    let v = parse(&format!(
        "k: {}\n",
        yaml_scalar(&conv("'\"#: \\\\ \\*", true).pattern)
    ));
    assert_eq!(v["k"], "'\"#: \\\\ \\*");
}

#[test]
fn cidr() {
    let nets = vec![
        "10.1.2.3/8".parse().expect("net"),
        "fe80::/10".parse().expect("net"),
    ];
    check(
        pred("ClientIPAddress", Test::Cidr { nets }),
        "    selection:\n        ClientIPAddress|cidr:\n            - '10.0.0.0/8'\n            - fe80::/10\n    condition: selection\n",
        "    filter_main_client_ip_address:\n        ClientIPAddress|cidr:\n            - '10.0.0.0/8'\n            - fe80::/10\n    condition: not filter_main_client_ip_address\n",
    );
}

#[test]
fn numbers() {
    check(
        pred("LogonType", Test::NumEq { values: vec![num("0"), num("3.5"), num("-7"), num("0.0")] }),
        "    selection:\n        LogonType:\n            - 0\n            - 3.5\n            - -7\n    condition: selection\n",
        "    filter_main_logon_type:\n        LogonType:\n            - 0\n            - 3.5\n            - -7\n    condition: not filter_main_logon_type\n",
    );
    let ops = [
        (CmpOp::Lt, "lt"),
        (CmpOp::Le, "lte"),
        (CmpOp::Gt, "gt"),
        (CmpOp::Ge, "gte"),
    ];
    for (op, m) in ops {
        check(
            pred("OperationCount", Test::NumCmp { op, value: num("10") }),
            &format!("    selection:\n        OperationCount|{m}: 10\n    condition: selection\n"),
            &format!("    filter_main_operation_count:\n        OperationCount|{m}: 10\n    condition: not filter_main_operation_count\n"),
        );
    }
    // `==` and `!=` in a NumCmp (the checker writes them as NumEq): a plain value, and `!=`
    // as below-or-above, false on a missing field as in the language.
    let v = parse(&det(&pred(
        "N",
        Test::NumCmp {
            op: CmpOp::Eq,
            value: num("5"),
        },
    )));
    assert_eq!(v["selection"]["N"], serde_json::json!(5));
    let ne = det(&pred(
        "N",
        Test::NumCmp {
            op: CmpOp::Ne,
            value: num("5"),
        },
    ));
    assert!(ne.contains("N|lt: 5") && ne.contains("N|gt: 5"), "{ne}");
    let v = parse(&det(&pred(
        "N",
        Test::NumEq {
            values: vec![num("3.5"), num("-7")],
        },
    )));
    assert_eq!(v["selection"]["N"], serde_json::json!([3.5, -7]));
}

#[test]
fn booleans() {
    check(
        pred("ExternalAccess", Test::BoolEq { value: false }),
        "    selection:\n        ExternalAccess: false\n    condition: selection\n",
        "    filter_main_external_access:\n        ExternalAccess: false\n    condition: not filter_main_external_access\n",
    );
}

#[test]
fn exists_and_missing() {
    // `|exists` only checks presence: null and '' are filtered out.
    check(
        exists("MailboxOwnerUPN"),
        "    selection:\n        MailboxOwnerUPN|exists: true\n    filter_main_mailbox_owner_upn_empty:\n        - MailboxOwnerUPN: null\n        - MailboxOwnerUPN: ''\n    condition: selection and not filter_main_mailbox_owner_upn_empty\n",
        "    selection:\n        - MailboxOwnerUPN|exists: false\n        - MailboxOwnerUPN: null\n        - MailboxOwnerUPN: ''\n    condition: selection\n",
    );
    assert_eq!(
        det(&and(vec![eq("Operation", "x"), exists("F"), not(exists("G"))])),
        "    selection:\n        Operation: x\n        F|exists: true\n    filter_main_f_empty:\n        - F: null\n        - F: ''\n    selection_g_missing:\n        - G|exists: false\n        - G: null\n        - G: ''\n    condition: selection and not filter_main_f_empty and selection_g_missing\n"
    );
}

#[test]
fn field_comparison() {
    let fe = pred(
        "AppId",
        Test::FieldEq {
            other: fld("ClientAppId"),
            cased: false,
        },
    );
    check(
        fe,
        "    selection:\n        AppId|fieldref: ClientAppId\n    filter_main_app_id_empty:\n        - AppId: null\n        - AppId: ''\n    condition: selection and not filter_main_app_id_empty\n",
        "    filter_main_app_id:\n        AppId|fieldref: ClientAppId\n    selection_app_id_empty:\n        - AppId: null\n        - AppId: ''\n    condition: not (filter_main_app_id and not selection_app_id_empty)\n",
    );
}

// ---------------------------------------------------------------------------------------------
// Composition: merging, nesting, precedence, naming
// ---------------------------------------------------------------------------------------------

#[test]
fn values_of_one_field_merge_into_a_list() {
    assert_eq!(
        det(&or(vec![eq("A", "1"), eq("A", "2"), eq("A", "1"), contains("A", "x"), contains("A", "y")])),
        "    selection:\n        - A:\n              - '1'\n              - '2'\n        - A|contains:\n              - x\n              - 'y'\n    condition: selection\n"
    );
    // Under `and`, contains values of one field become `|all`.
    assert_eq!(
        det(&and(vec![contains("A", "x"), eq("B", "z"), contains("A", "y")])),
        "    selection:\n        A|contains|all:\n            - x\n            - 'y'\n        B: z\n    condition: selection\n"
    );
    // A list of alternatives is not merged into an `all` list.
    assert_eq!(
        det(&and(vec![st("A", StrOp::Contains, &["x", "y"], Quant::Any, false), contains("A", "z")])),
        "    selection:\n        A|contains:\n            - x\n            - 'y'\n    selection_a:\n        A|contains: z\n    condition: selection and selection_a\n"
    );
    // Case-sensitive and case-insensitive values are different keys.
    assert_eq!(
        det(&or(vec![
            eq("A", "x"),
            st("A", StrOp::Eq, &["X"], Quant::Any, true)
        ])),
        "    selection:\n        - A: x\n        - A|cased: X\n    condition: selection\n"
    );
}

#[test]
fn precedence_shapes() {
    // (A or B) and C
    assert_eq!(
        det(&and(vec![or(vec![eq("A", "1"), eq("B", "2")]), eq("C", "3")])),
        "    selection:\n        C: '3'\n    selection_a:\n        - A: '1'\n        - B: '2'\n    condition: selection_a and selection\n"
    );
    // A or (B and C): one list of maps
    assert_eq!(
        det(&or(vec![eq("A", "1"), and(vec![eq("B", "2"), eq("C", "3")])])),
        "    selection:\n        - A: '1'\n        - B: '2'\n          C: '3'\n    condition: selection\n"
    );
    // A or (B and not C)
    assert_eq!(
        det(&or(vec![eq("A", "1"), and(vec![eq("B", "2"), not(eq("C", "3"))])])),
        "    selection:\n        A: '1'\n    selection_b:\n        B: '2'\n    filter_main_c:\n        C: '3'\n    condition: selection or (selection_b and not filter_main_c)\n"
    );
    // not (A or B and C)
    assert_eq!(
        det(&not(or(vec![eq("A", "1"), and(vec![eq("B", "2"), eq("C", "3")])]))),
        "    filter_main_a:\n        - A: '1'\n        - B: '2'\n          C: '3'\n    condition: not filter_main_a\n"
    );
    // not (A and B)
    assert_eq!(
        det(&not(and(vec![eq("A", "1"), eq("B", "2")]))),
        "    filter_main_a:\n        A: '1'\n        B: '2'\n    condition: not filter_main_a\n"
    );
    // (A and (B or not C)) or not (D and E)
    assert_eq!(
        det(&or(vec![
            and(vec![eq("A", "1"), or(vec![eq("B", "2"), not(eq("C", "3"))])]),
            not(and(vec![eq("D", "4"), eq("E", "5")])),
        ])),
        "    selection:\n        A: '1'\n    selection_b:\n        B: '2'\n    filter_main_c:\n        C: '3'\n    filter_main_d:\n        D: '4'\n        E: '5'\n    condition: (selection and (selection_b or not filter_main_c)) or not filter_main_d\n"
    );
    // not not A = A; nested and/or are flattened
    assert_eq!(det(&not(not(eq("A", "1")))), det(&eq("A", "1")));
    assert_eq!(
        det(&and(vec![and(vec![eq("A", "1"), eq("B", "2")]), and(vec![eq("C", "3")])])),
        "    selection:\n        A: '1'\n        B: '2'\n        C: '3'\n    condition: selection\n"
    );
    // not (A or B) and not C: filters combined with `and not`
    assert_eq!(
        det(&and(vec![eq("Operation", "x"), not(in_("AppId", &["a", "b"])), not(eq("UserId", "u"))])),
        "    selection:\n        Operation: x\n    filter_main_app_id:\n        AppId:\n            - a\n            - b\n    filter_main_user_id:\n        UserId: u\n    condition: selection and not filter_main_app_id and not filter_main_user_id\n"
    );
}

#[test]
fn nested_condition_reads_back() {
    let e = or(vec![
        and(vec![
            eq("A", "1"),
            or(vec![eq("B", "2"), not(eq("C", "3"))]),
        ]),
        not(and(vec![
            eq("D", "4"),
            or(vec![eq("E", "5"), not(exists("F"))]),
        ])),
    ]);
    let text = det(&e);
    assert_eq!(
        text,
        "    selection:\n        A: '1'\n    selection_b:\n        B: '2'\n    filter_main_c:\n        C: '3'\n    filter_main_d:\n        D: '4'\n    filter_main_e:\n        - E: '5'\n        - F|exists: false\n        - F: null\n        - F: ''\n    condition: (selection and (selection_b or not filter_main_c)) or not (filter_main_d and filter_main_e)\n"
    );
    let v = parse(&text);
    assert_eq!(v["filter_main_e"][1]["F|exists"], false);
    assert_eq!(v["filter_main_e"][2]["F"], Value::Null);
    assert_eq!(v["filter_main_e"][3]["F"], "");
}

#[test]
fn names_are_snake_case_and_unique() {
    assert_eq!(detection::snake("AppId"), "app_id");
    assert_eq!(detection::snake("ClientIPAddress"), "client_ip_address");
    assert_eq!(detection::snake("Status.errorCode"), "status_error_code");
    assert_eq!(detection::snake("EventID"), "event_id");
    assert_eq!(detection::snake("x-forwarded-for"), "x_forwarded_for");
    assert_eq!(detection::snake("Ünïcödé"), "n_c_d");
    assert_eq!(detection::snake("___"), "field");
    assert_eq!(
        det(&and(vec![
            not(eq("AppId", "a")),
            not(contains("AppId", "b")),
            not(eq("app_id", "c")),
        ])),
        "    filter_main_app_id:\n        AppId: a\n    filter_main_app_id_2:\n        AppId|contains: b\n    filter_main_app_id_3:\n        app_id: c\n    condition: not filter_main_app_id and not filter_main_app_id_2 and not filter_main_app_id_3\n"
    );
}

#[test]
fn field_names_are_quoted_when_needed() {
    let e = and(vec![
        eq("on", "x"),
        eq("1st", "y"),
        eq("with space", "z"),
        eq("a: b", "w"),
    ]);
    let text = det(&e);
    assert_eq!(
        text,
        "    selection:\n        'on': x\n        '1st': 'y'\n        with space: z\n        'a: b': w\n    condition: selection\n"
    );
    let v = parse(&text);
    assert_eq!(v["selection"]["on"], "x");
    assert_eq!(v["selection"]["a: b"], "w");
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

#[test]
fn expression_mapped_fields_are_refused() {
    let mut e = pred_at("AppId", Test::Exists, 7);
    e.preds_mut(&mut |p| {
        p.field.mapped = Some(Mapped::Expr("tostring(RawEventData.AppId)".to_string()))
    });
    assert_eq!(
        refusals(&e),
        vec![("a field mapped to an expression".to_string(), 7)]
    );
    let mut other = fld("B");
    other.mapped = Some(Mapped::Expr("tolower(B)".to_string()));
    let e = pred_at(
        "A",
        Test::FieldEq {
            other,
            cased: false,
        },
        3,
    );
    assert_eq!(
        refusals(&e),
        vec![("a field mapped to an expression".to_string(), 3)]
    );
}

#[test]
fn unusable_field_names_are_refused() {
    for name in ["a|b", ""] {
        let mut e = pred_at("A", Test::Exists, 2);
        e.preds_mut(&mut |p| p.field.mapped = Some(Mapped::Column(name.to_string())));
        assert_eq!(refusals(&e), vec![("this field name".to_string(), 2)]);
    }
    let e = pred_at(
        "A",
        Test::FieldEq {
            other: fld("B*"),
            cased: false,
        },
        4,
    );
    assert_eq!(
        refusals(&e),
        vec![("a field comparison with this field".to_string(), 4)]
    );
}

#[test]
fn cased_field_comparison_is_refused() {
    let e = pred_at(
        "A",
        Test::FieldEq {
            other: fld("B"),
            cased: true,
        },
        5,
    );
    assert_eq!(
        refusals(&e),
        vec![("a case-sensitive field comparison".to_string(), 5)]
    );
}

#[test]
fn end_of_value_dollar_is_refused_but_multiline_dollar_is_kept() {
    let re = |p: &str| {
        pred_at(
            "F",
            Test::Regex {
                pattern: p.to_string(),
                cased: true,
            },
            5,
        )
    };
    let got = refusals(&re("^A.*Z$"));
    assert_eq!(
        got,
        vec![("`$` (end of value) in a regular expression".to_string(), 5)]
    );
    assert!(
        det(&re("(?m)A$")).contains("F|re|m: A$"),
        "{}",
        det(&re("(?m)A$"))
    );
    // PCRE finds no line start after a final newline; Rust, RE2 and Python do.
    assert_eq!(
        refusals(&re("(?m)^A")),
        vec![(
            "`^` in multi-line mode in a regular expression".to_string(),
            5
        )]
    );
}

#[test]
fn perl_classes_become_ascii_classes() {
    let e = pred_at(
        "F",
        Test::Regex {
            pattern: r"^\d+\s\w\S".to_string(),
            cased: true,
        },
        1,
    );
    let out = det(&e);
    assert!(
        out.contains(r#"F|re: "^[0-9]+[\t\n\x0B\x0C\r ][0-9A-Za-z_][^\t\n\x0B\x0C\r ]""#),
        "{out}"
    );
}

#[test]
fn regex_constructs_outside_sigma_flavour_are_refused() {
    let cases = [
        (r"[\W.]", "the class `\\W` in a regular expression"),
        (r"\bword\b", "a word boundary `\\b` in a regular expression"),
        (r"\Aabc", "`\\A` in a regular expression"),
        (r"abc\z", "`\\z` in a regular expression"),
        (
            r"\pL",
            "a Unicode class (`\\p{..}`) in a regular expression",
        ),
        (
            r"[[:alpha:]]",
            "a POSIX class (`[:alpha:]`) in a regular expression",
        ),
        (
            r"[a-z&&[^aeiou]]",
            "a class set operation (`&&`, `--`, `~~`) in a regular expression",
        ),
        (r"[a[bc]]", "a nested class in a regular expression"),
        (
            r"a(?i)b",
            "an inline flag group inside a regular expression",
        ),
        (
            r"a|(?i)b",
            "an inline flag group inside a regular expression",
        ),
        (
            r"(?i:a)b",
            "a group with inline flags (`(?i:...)`) in a regular expression",
        ),
        (r"(?x)a b", "this inline flag in a regular expression"),
        (r"(?-i)a", "this inline flag in a regular expression"),
        (r"(?U)a+", "this inline flag in a regular expression"),
        (r"(", "this regular expression"),
    ];
    for (pattern, construct) in cases {
        let e = pred_at(
            "F",
            Test::Regex {
                pattern: pattern.to_string(),
                cased: false,
            },
            9,
        );
        assert_eq!(refusals(&e), vec![(construct.to_string(), 9)], "{pattern}");
    }
}

#[test]
fn all_refusals_are_reported_together() {
    let e = and(vec![
        pred_at(
            "A",
            Test::FieldEq {
                other: fld("B"),
                cased: true,
            },
            1,
        ),
        eq("C", "fine"),
        not(pred_at(
            "D",
            Test::Regex {
                pattern: r"\pL".to_string(),
                cased: true,
            },
            20,
        )),
    ]);
    let got: Vec<usize> = refusals(&e).into_iter().map(|(_, at)| at).collect();
    assert_eq!(got, vec![1, 20]);
    let mut r = storm_rule();
    r.expr = e;
    let errs = compile(&r, &m365()).expect_err("refused");
    assert_eq!(errs.len(), 2);
    let msg = errs[0].to_string();
    assert_eq!(
        msg,
        "sigma cannot express a case-sensitive field comparison exactly \
         [case_sensitive_field_comparison]"
    );
}

// ---------------------------------------------------------------------------------------------
// Samples for pySigma
// ---------------------------------------------------------------------------------------------

/// Writes one rule per construct to `$TRIPLINE_SIGMA_SAMPLES` (a directory), for loading with
/// pySigma: `tests/conformance/.deps/venv/bin/python tests/conformance/sigma_load.py DIR`.
#[test]
#[ignore = "writes files; run with TRIPLINE_SIGMA_SAMPLES=dir"]
fn write_samples_for_pysigma() {
    let Ok(dir) = std::env::var("TRIPLINE_SIGMA_SAMPLES") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let values: Vec<&str> = ADVERSARIAL
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .collect();
    let nets = vec![
        "10.1.2.3/8".parse().expect("net"),
        "fe80::/10".parse().expect("net"),
    ];
    let samples: Vec<(&str, Expr)> = vec![
        ("str_eq", in_("Operation", &values)),
        (
            "str_contains_all_cased",
            st("A", StrOp::Contains, &values, Quant::All, true),
        ),
        (
            "str_startswith",
            st("A", StrOp::StartsWith, &values, Quant::Any, false),
        ),
        (
            "str_endswith_all",
            st("A", StrOp::EndsWith, &["a", "b"], Quant::All, true),
        ),
        (
            "glob",
            glob(
                "Image",
                &[
                    "C:\\W\\*\\cmd.exe",
                    "prog?.exe",
                    "*\\x.exe",
                    "*foo*",
                    "bar*",
                    "trail\\*",
                ],
                false,
            ),
        ),
        ("glob_cased_star", glob("Image", &["*"], true)),
        ("regex", regex("F", "(?m)a.*b$|(x){2,}", false)),
        ("regex_empty", regex("F", "x*", true)),
        (
            "regex_special",
            regex("F", "'\"#: \\\\ \\* [\\]-] \t", true),
        ),
        ("cidr", pred("Ip", Test::Cidr { nets })),
        (
            "numeq",
            pred(
                "N",
                Test::NumEq {
                    values: vec![num("5"), num("3.5"), num("-7")],
                },
            ),
        ),
        (
            "numcmp",
            pred(
                "N",
                Test::NumCmp {
                    op: CmpOp::Le,
                    value: num("-2.5"),
                },
            ),
        ),
        ("bool", pred("B", Test::BoolEq { value: true })),
        ("exists", and(vec![eq("A", "x"), exists("F")])),
        ("missing", not(exists("F"))),
        (
            "fieldref",
            not(pred(
                "A",
                Test::FieldEq {
                    other: fld("B"),
                    cased: false,
                },
            )),
        ),
        (
            "nested",
            or(vec![
                and(vec![
                    eq("A", "1"),
                    or(vec![eq("B", "2"), not(eq("C", "3"))]),
                ]),
                not(and(vec![
                    eq("D", "4"),
                    or(vec![eq("E", "5"), not(exists("F"))]),
                ])),
            ]),
        ),
    ];
    let mut all = Vec::new();
    for (i, (name, e)) in samples.into_iter().enumerate() {
        let mut r = storm_rule();
        r.expr = e;
        r.meta.title = format!("Sample {name}");
        r.meta.id = format!("9b7f2a8e-2c61-4c52-9a0b-{i:012}");
        let text = compile(&r, &m365()).expect("compiles");
        std::fs::write(dir.join(format!("m365_sample_{name}.yml")), &text).expect("write");
        all.push((name.to_string(), text));
    }
    let mut r = storm_rule();
    r.meta.title = "Storm-0558 Bundle Copy".to_string();
    r.meta.id = "9b7f2a8e-2c61-4c52-9a0b-ffffffffffff".to_string();
    all.push(("storm".to_string(), compile(&r, &m365()).expect("compiles")));
    std::fs::write(dir.join("bundle.yml"), Sigma.bundle(&all)).expect("write");
}

#[test]
fn numbers_are_written_as_plain_decimals() {
    let odd = Number {
        value: 100000.0,
        text: "1e5".to_string(),
    };
    let tiny = Number {
        value: 1e-7,
        text: "1e-7".to_string(),
    };
    let e = pred(
        "N",
        Test::NumEq {
            values: vec![odd, tiny, num("1e20")],
        },
    );
    assert_eq!(
        det(&e),
        "    selection:\n        'N':\n            - 100000\n            - 0.0000001\n            - 100000000000000000000\n    condition: selection\n"
    );
}
