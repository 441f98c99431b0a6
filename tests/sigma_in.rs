//! The Sigma reader: the exact IR of every supported construct, and a coded refusal for
//! everything else.

use tripline::ir::{Expr, Quant, StrOp, Test};
use tripline::sigma_in::{self, SigmaRule};

fn rule(detection: &str) -> String {
    format!(
        "title: Test Rule\nid: 5A1E6C8B-1111-4222-8333-944445555666\nstatus: test\nlevel: high\n\
         description: Detects things.\nauthor: A, B\ndate: 2024-01-02\nmodified: 2024-02-03\n\
         tags:\n    - attack.execution\nreferences:\n    - https://example.com\n\
         falsepositives:\n    - Admins\nlogsource:\n    product: windows\n    category: process_creation\n\
         detection:\n{detection}\n"
    )
}

fn read(detection: &str) -> SigmaRule {
    match sigma_in::read(&rule(detection)) {
        Ok(r) => r,
        Err(es) => panic!("refused: {es:?}"),
    }
}

fn show(e: &Expr) -> String {
    match e {
        Expr::And(xs) => format!(
            "({})",
            xs.iter().map(show).collect::<Vec<_>>().join(" and ")
        ),
        Expr::Or(xs) => format!("({})", xs.iter().map(show).collect::<Vec<_>>().join(" or ")),
        Expr::Not(x) => format!("not {}", show(x)),
        Expr::Pred(p) => {
            let f = format!("{}:{}", p.field.name, p.field.ty.name());
            let c = |cased: &bool| if *cased { " cased" } else { "" };
            match &p.test {
                Test::Str {
                    op,
                    values,
                    quant,
                    cased,
                } => {
                    let op = match op {
                        StrOp::Eq => "eq",
                        StrOp::Contains => "contains",
                        StrOp::StartsWith => "startswith",
                        StrOp::EndsWith => "endswith",
                    };
                    let q = if *quant == Quant::All { "all" } else { "any" };
                    format!("{f} {op} {q} {values:?}{}", c(cased))
                }
                Test::Glob { patterns, cased } => format!("{f} like {patterns:?}{}", c(cased)),
                Test::Regex { pattern, cased } => format!("{f} re {pattern:?}{}", c(cased)),
                Test::Cidr { nets } => format!(
                    "{f} cidr {:?}",
                    nets.iter().map(|n| n.to_string()).collect::<Vec<_>>()
                ),
                Test::NumEq { values } => format!(
                    "{f} == {:?}",
                    values.iter().map(|n| n.text.clone()).collect::<Vec<_>>()
                ),
                Test::NumCmp { op, value } => format!("{f} {} {}", op.symbol(), value.text),
                Test::BoolEq { value } => format!("{f} == {value}"),
                Test::Exists => format!("{f} exists"),
                Test::FieldEq { other, cased } => {
                    format!(
                        "{f} == field {}:{}{}",
                        other.name,
                        other.ty.name(),
                        c(cased)
                    )
                }
            }
        }
    }
}

fn ir(detection: &str) -> String {
    show(&read(detection).rule.expr)
}

/// The codes of some diagnostics, in order.
fn codes(es: &[sigma_in::SigmaInError]) -> Vec<String> {
    use miette::Diagnostic;
    es.iter()
        .map(|e| e.code().map(|c| c.to_string()).unwrap_or_default())
        .collect()
}

fn refused(detection: &str) -> Vec<String> {
    match sigma_in::read(&rule(detection)) {
        Ok(r) => panic!("expected a refusal, got {}", show(&r.rule.expr)),
        Err(es) => codes(&es),
    }
}

#[test]
fn meta_source_and_logsource() {
    let r = read("    sel:\n        Image: 'x'\n    condition: sel");
    let m = &r.rule.meta;
    assert_eq!(r.rule.name, "test_rule");
    assert_eq!(m.title, "Test Rule");
    assert_eq!(m.id, "5a1e6c8b-1111-4222-8333-944445555666");
    assert_eq!((m.status.as_str(), m.level.as_str()), ("test", "high"));
    assert_eq!(m.description, "Detects things.");
    assert_eq!(m.authors, ["A", "B"]);
    assert_eq!(m.date, "2024-01-02");
    assert_eq!(m.modified.as_deref(), Some("2024-02-03"));
    assert_eq!(m.tags, ["attack.execution"]);
    assert_eq!(m.references, ["https://example.com"]);
    assert_eq!(m.falsepositives, ["Admins"]);
    assert_eq!(r.rule.source, "sigma:windows/process_creation");
    assert_eq!(r.source.logsource["product"], "windows");
    assert_eq!(r.source.logsource["category"], "process_creation");
    assert_eq!(
        r.source.targets["kql.sentinel"].table.as_deref(),
        Some("SigmaEvents")
    );
    assert_eq!(
        r.source.targets["kql.defender"].table.as_deref(),
        Some("SigmaEvents")
    );
    assert_eq!(r.source.targets["spl"].base.as_deref(), Some("index=*"));
    assert_eq!(
        r.source.field_type("Image").map(|t| t.name()),
        Some("string")
    );
}

#[test]
fn maps_lists_and_value_lists() {
    assert_eq!(
        ir("    sel:\n        Image: 'a.exe'\n        User: ['x', 'y']\n    condition: sel"),
        r#"(Image:string eq any ["a.exe"] and User:string eq any ["x", "y"])"#
    );
    assert_eq!(
        ir("    sel:\n        - Image: 'a'\n        - User: 'b'\n          Host: 'c'\n    condition: sel"),
        r#"(Image:string eq any ["a"] or (User:string eq any ["b"] and Host:string eq any ["c"]))"#
    );
}

#[test]
fn wildcards_and_escapes() {
    assert_eq!(
        ir("    sel:\n        Image: ['*\\cmd.exe', 'a?c', 'plain']\n    condition: sel"),
        r#"(Image:string eq any ["plain"] or Image:string like ["*\\cmd.exe", "a?c"])"#
    );
    // Only escaped wildcards: a plain string, unescaped.
    assert_eq!(
        ir("    sel:\n        F: 'a\\*b\\?c\\\\d'\n    condition: sel"),
        r#"F:string eq any ["a*b?c\\d"]"#
    );
    // `\\*` is a backslash and then a wildcard.
    assert_eq!(
        ir("    sel:\n        F: 'C:\\\\*'\n    condition: sel"),
        r#"F:string like ["C:\\*"]"#
    );
    // Escaped and real wildcards together: a regex with the operator's anchors.
    assert_eq!(
        ir("    sel:\n        F: 'a\\*b*'\n    condition: sel"),
        r#"F:string re "(?s)^a\\*b.*$""#
    );
    assert_eq!(
        ir("    sel:\n        F|contains: ' ?:\\\\\\*.'\n    condition: sel"),
        r#"F:string re "(?s) .:\\\\\\*\\.""#
    );
    assert_eq!(
        ir("    sel:\n        F|endswith: '\\?x*'\n    condition: sel"),
        r#"F:string re "(?s)\\?x.*$""#
    );
}

#[test]
fn string_modifiers() {
    assert_eq!(
        ir("    sel:\n        F|contains: 'x'\n        G|startswith: 'y'\n        H|endswith: 'z'\n    condition: sel"),
        r#"(F:string contains any ["x"] and G:string startswith any ["y"] and H:string endswith any ["z"])"#
    );
    assert_eq!(
        ir("    sel:\n        F|contains: 'a*b'\n        G|startswith: 'a?'\n        H|endswith: '*z'\n    condition: sel"),
        r#"(F:string like ["*a*b*"] and G:string like ["a?*"] and H:string like ["*z"])"#
    );
    assert_eq!(
        ir("    sel:\n        F|contains|all: ['a', 'b*c']\n    condition: sel"),
        r#"(F:string contains all ["a"] and F:string like ["*b*c*"])"#
    );
    assert_eq!(
        ir("    sel:\n        F|cased: 'A'\n        G|endswith|cased: '*B'\n    condition: sel"),
        r#"(F:string eq any ["A"] cased and G:string like ["*B"] cased)"#
    );
}

#[test]
fn regex_modifiers() {
    assert_eq!(
        ir("    sel:\n        F|re: 'a.b'\n    condition: sel"),
        r#"F:string re "a.b" cased"#
    );
    assert_eq!(
        ir("    sel:\n        F|re|i|m|s: '^a.b'\n    condition: sel"),
        r#"F:string re "(?ms)^a.b""#
    );
    // PCRE's `$` also matches before a final newline.
    assert_eq!(
        ir("    sel:\n        F|re: 'ab$'\n    condition: sel"),
        r#"F:string re "ab(?:\\n?\\z)" cased"#
    );
    assert_eq!(
        ir("    sel:\n        F|re|m: 'ab$'\n    condition: sel"),
        r#"F:string re "(?m)ab$" cased"#
    );
    assert_eq!(
        refused("    sel:\n        F|re: 'a(?=b)'\n    condition: sel"),
        ["tripline::sigma_in::bad_regex"]
    );
    assert_eq!(
        refused("    sel:\n        F|re: '(?m)a$'\n    condition: sel"),
        ["tripline::sigma_in::bad_regex"]
    );
}

#[test]
fn cidr_exists_numbers_null_fieldref() {
    assert_eq!(
        ir("    sel:\n        Ip|cidr: ['10.0.0.0/8', 'fd00::/8']\n    condition: sel"),
        r#"Ip:string cidr ["10.0.0.0/8", "fd00::/8"]"#
    );
    assert_eq!(
        refused("    sel:\n        Ip|cidr: '10.0.0.1/8'\n    condition: sel"),
        ["tripline::sigma_in::bad_cidr"]
    );
    assert_eq!(
        ir("    sel:\n        A|exists: true\n        B|exists: false\n    condition: sel"),
        "(A:string exists and not B:string exists)"
    );
    assert_eq!(
        ir("    sel:\n        N|gte: 5\n        M|lt: '2.5'\n        E: [4624, 4625]\n    condition: sel"),
        r#"(N:number >= 5 and M:number < 2.5 and E:number == ["4624", "4625"])"#
    );
    // Compared with strings too: a string field, the number compared as text.
    assert_eq!(
        ir("    sel:\n        E: 4624\n    other:\n        E|contains: '46'\n    condition: sel or other"),
        r#"(E:string eq any ["4624"] or E:string contains any ["46"])"#
    );
    assert_eq!(
        refused("    sel:\n        E|gt: 4\n        E|contains: '4'\n    condition: sel"),
        ["tripline::sigma_in::type_conflict"]
    );
    assert_eq!(
        ir("    sel:\n        F: null\n    condition: sel"),
        "not F:string exists"
    );
    assert_eq!(
        ir("    sel:\n        F: [null, '']\n    condition: sel"),
        "not F:string exists"
    );
    assert_eq!(
        ir("    sel:\n        F: [null, 'x']\n    condition: sel"),
        r#"(F:string eq any ["x"] or not F:string exists)"#
    );
    assert_eq!(
        ir("    sel:\n        F|fieldref: G\n    condition: sel"),
        "F:string == field G:string"
    );
    // A boolean on a string field is its text (Sysmon's `Signed`); on a bool field, itself.
    assert_eq!(
        ir("    sel:\n        F: true\n    condition: sel"),
        r#"F:string eq any ["true"]"#
    );
    assert_eq!(
        refused("    sel:\n        F|contains: true\n    condition: sel"),
        ["tripline::sigma_in::bad_value"]
    );
    // A lone `''` is `missing`, as `null` is, with a warning; `[null, '']` needs none.
    assert_eq!(
        ir("    sel:\n        F: ''\n    condition: sel"),
        "not F:string exists"
    );
    assert_eq!(
        ir("    sel:\n        F: ['-', '']\n    condition: sel"),
        r#"(F:string eq any ["-"] or not F:string exists)"#
    );
    let warned = |d: &str| -> Vec<String> {
        read(d)
            .warnings
            .iter()
            .map(|w| miette::Diagnostic::code(w).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        warned("    sel:\n        F: ''\n    condition: sel"),
        ["tripline::sigma_in::empty_is_missing"]
    );
    assert!(warned("    sel:\n        F: [null, '']\n    condition: sel").is_empty());
    assert_eq!(
        refused("    sel:\n        F|all: ['a', '']\n    condition: sel"),
        ["tripline::sigma_in::empty_string"]
    );
    assert_eq!(
        refused("    sel:\n        F|contains: ''\n    condition: sel"),
        ["tripline::sigma_in::empty_string"]
    );
}

#[test]
fn conditions() {
    let d =
        "    sel_a:\n        A: 'a'\n    sel_b:\n        B: 'b'\n    _hidden:\n        C: 'c'\n";
    let c = |cond: &str| ir(&format!("{d}    condition: {cond}"));
    assert_eq!(
        c("sel_a and not sel_b or _hidden"),
        r#"((A:string eq any ["a"] and not B:string eq any ["b"]) or C:string eq any ["c"])"#
    );
    assert_eq!(
        c("sel_a and (sel_b or _hidden)"),
        r#"(A:string eq any ["a"] and (B:string eq any ["b"] or C:string eq any ["c"]))"#
    );
    assert_eq!(
        c("1 of sel_*"),
        r#"(A:string eq any ["a"] or B:string eq any ["b"])"#
    );
    assert_eq!(
        c("all of sel_*"),
        r#"(A:string eq any ["a"] and B:string eq any ["b"])"#
    );
    assert_eq!(
        c("1 of them"),
        r#"(A:string eq any ["a"] or B:string eq any ["b"])"#
    );
    assert_eq!(
        c("all of them"),
        r#"(A:string eq any ["a"] and B:string eq any ["b"])"#
    );
    assert_eq!(
        ir(&format!(
            "{d}    condition:\n        - sel_a\n        - sel_b"
        )),
        r#"(A:string eq any ["a"] or B:string eq any ["b"])"#
    );
    let bad = |cond: &str| refused(&format!("{d}    condition: {cond}"));
    assert_eq!(bad("sel_a and"), ["tripline::sigma_in::condition"]);
    assert_eq!(bad("(sel_a"), ["tripline::sigma_in::condition"]);
    assert_eq!(bad("2 of sel_*"), ["tripline::sigma_in::condition"]);
    assert_eq!(bad("nope"), ["tripline::sigma_in::unknown_selection"]);
    assert_eq!(bad("1 of x*"), ["tripline::sigma_in::unknown_selection"]);
    assert_eq!(
        bad("sel_a | count() > 5"),
        ["tripline::sigma_in::aggregation"]
    );
    let deep = format!("{}sel_a{}", "(".repeat(500), ")".repeat(500));
    assert_eq!(bad(&deep), ["tripline::sigma_in::condition"]);
    let nots = format!("{}sel_a", "not ".repeat(500));
    assert_eq!(bad(&nots), ["tripline::sigma_in::condition"]);
}

#[test]
fn refusals() {
    let sel = |body: &str| refused(&format!("    sel:\n{body}\n    condition: sel"));
    assert_eq!(
        sel("        - 'evil'\n        - 'bad'"),
        ["tripline::sigma_in::keywords"]
    );
    assert_eq!(
        sel("        '|all':\n            - 'a'"),
        ["tripline::sigma_in::keywords"]
    );
    for m in ["utf16le", "wide", "neq", "hour", "bogus"] {
        assert_eq!(
            sel(&format!("        F|{m}: 'x'")),
            ["tripline::sigma_in::unsupported_modifier"],
            "{m}"
        );
    }
    assert_eq!(
        sel("        F|contains|re: 'x'"),
        ["tripline::sigma_in::bad_modifiers"]
    );
    assert_eq!(
        sel("        F|i: 'x'"),
        ["tripline::sigma_in::unsupported_modifier"]
    );
    // An unresolved placeholder, and an encoding after the matching modifier.
    assert_eq!(
        sel("        F|expand: '%Admins%'"),
        ["tripline::sigma_in::unsupported_modifier"]
    );
    assert_eq!(
        sel("        F|contains|base64: 'x'"),
        ["tripline::sigma_in::bad_modifiers"]
    );
    assert_eq!(
        sel("        F|startswith: true"),
        ["tripline::sigma_in::bad_value"]
    );
    assert_eq!(sel("        F: {a: 1}"), ["tripline::sigma_in::bad_value"]);
    assert_eq!(
        sel("        F|exists: 'yes'"),
        ["tripline::sigma_in::bad_value"]
    );
    assert_eq!(
        sel("        F|gt: 'ten'"),
        ["tripline::sigma_in::bad_value"]
    );
    assert_eq!(
        refused("    sel:\n        F: 'x'\n    timeframe: 5m\n    condition: sel"),
        ["tripline::sigma_in::aggregation"]
    );
    use miette::Diagnostic;
    let code = |text: &str| -> String {
        match sigma_in::read(text) {
            Ok(_) => "ok".into(),
            Err(es) => es[0].code().map(|c| c.to_string()).unwrap_or_default(),
        }
    };
    assert_eq!(code("title: ["), "tripline::sigma_in::yaml");
    assert_eq!(code(""), "tripline::sigma_in::yaml");
    assert_eq!(code("- a"), "tripline::sigma_in::yaml");
    assert_eq!(
        code("title: x\nlogsource: {}\n"),
        "tripline::sigma_in::bad_key"
    );
    assert_eq!(
        code("title: c\ncorrelation:\n    type: event_count\n"),
        "tripline::sigma_in::correlation"
    );
    assert_eq!(
        code(&format!(
            "{}---\ntitle: y\n",
            rule("    s:\n        F: 'x'\n    condition: s")
        )),
        "tripline::sigma_in::multi_document"
    );
}

/// The values a transforming modifier stands for (compare pySigma 2.0.1's expansions of the
/// same values, also checked in the conformance run).
fn values(detection: &str) -> Vec<String> {
    let r = read(detection);
    let mut out = Vec::new();
    for p in r.rule.expr.preds() {
        if let tripline::ir::Test::Str { values, .. } = &p.test {
            out.extend(values.iter().cloned());
        }
    }
    out
}

#[test]
fn transforming_modifiers() {
    let one = |m: &str, v: &str| {
        values(&format!(
            "    sel:\n        F|{m}: '{v}'\n    condition: sel"
        ))
    };
    assert_eq!(
        one("base64offset|contains", "/bin/bash"),
        ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
    );
    assert_eq!(one("base64", "whoami"), ["d2hvYW1p"]);
    assert_eq!(
        one("wide|base64offset|contains", "ping"),
        ["cABpAG4AZw", "AAaQBuAGcA", "wAGkAbgBnA"]
    );
    let w = one("contains|windash", " -e ");
    assert_eq!(w.len(), 5);
    assert!(w.contains(&" /e ".to_string()) && w.contains(&" \u{2013}e ".to_string()));
}

/// Sigma → Sigma keeps `$`: the reader reads PCRE's `$` as `(?:\n?\z)` (end of value, or
/// just before a final newline), which the Sigma target writes as `$` again.
#[test]
fn sigma_dollar_round_trips() {
    use tripline::driver::{convert_sigma, Options};
    let text =
        rule("    sel:\n        CommandLine|re: ' -enc [A-Za-z0-9+/=]+$'\n    condition: sel");
    let out = convert_sigma("x/dollar.yml", &text, &Options::new("sigma", None).unwrap())
        .expect("converts");
    assert!(
        out.text
            .contains("CommandLine|re: ' -enc [A-Za-z0-9+/=]+$'"),
        "{}",
        out.text
    );
}

#[test]
fn compiled_output() {
    use tripline::driver::{convert_sigma, Options};
    // A logsource the catalog does not have: placeholder tables, Sigma's field names.
    let text = rule(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n        EventID: 1\n    condition: sel",
    )
    .replace("product: windows", "product: nowhere");
    let out = |t: &str, f: Option<&str>| {
        convert_sigma("x/proc_test.yml", &text, &Options::new(t, f).unwrap()).expect("converts")
    };
    let kql = out("kql", Some("sentinel"));
    assert_eq!(kql.rule, "proc_test");
    assert_eq!(
        kql.text,
        "SigmaEvents\n| where Image endswith \"\\\\cmd.exe\"\n| where EventID == 1\n"
    );
    let spl = out("spl", None);
    assert_eq!(
        spl.text,
        "index=*\n    Image=\"*\\\\cmd.exe\"\n| where (isnotnull(EventID) AND match(EventID, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\") AND tonumber(EventID)==1)\n"
    );
}

/// A keyword map (`'|all': [...]`, no field name) on a logsource with a catalog source: each
/// value is a keyword over the source's string fields, and `all` needs every value, each in
/// any field (not all in one field).
#[test]
fn keyword_maps() {
    use tripline::catalog::Catalog;
    use tripline::eval::Evaluator;
    let cat = Catalog::builtin();
    let text = |body: &str| {
        rule(&format!("    kw:\n{body}\n    condition: kw")).replace(
            "    product: windows\n    category: process_creation\n",
            "    product: linux\n",
        )
    };
    let read = |body: &str| sigma_in::read_for(&text(body), Some(&cat), false);
    let all =
        read("        '|all':\n            - 'pkexec'\n            - 'XAUTHORITY'").expect("reads");
    assert_eq!(all.rule.source, "linux.syslog");
    let warned = codes(&all.warnings);
    assert!(
        warned.contains(&"tripline::sigma_in::keywords_as_fields".to_string()),
        "{warned:?}"
    );
    let mut ev = Evaluator::new();
    let hit = |e: &serde_json::Value, ev: &mut Evaluator| ev.eval(&all.rule.expr, e);
    let both_in_message =
        serde_json::json!({"SyslogMessage": "pkexec: XAUTHORITY bad", "ProcessName": "x"});
    let split_over_fields =
        serde_json::json!({"SyslogMessage": "value of xauthority", "ProcessName": "PKEXEC"});
    let one_missing = serde_json::json!({"SyslogMessage": "pkexec ran", "ProcessName": "sudo"});
    assert!(hit(&both_in_message, &mut ev));
    assert!(
        hit(&split_over_fields, &mut ev),
        "each keyword may be in its own field, any case"
    );
    assert!(!hit(&one_missing, &mut ev));
    // Without `all`, one value is enough.
    let any = read("        '|contains':\n            - 'pkexec'\n            - 'XAUTHORITY'")
        .expect("reads");
    assert!(ev.eval(&any.rule.expr, &one_missing));
    assert!(!ev.eval(
        &any.rule.expr,
        &serde_json::json!({"SyslogMessage": "sudo"})
    ));
    // `cased` stays on every field's test.
    let cased = read("        '|all|cased':\n            - 'pkexec'").expect("reads");
    assert!(!ev.eval(&cased.rule.expr, &split_over_fields));
    assert!(ev.eval(&cased.rule.expr, &both_in_message));
    // A keyword takes no other comparison.
    let bad = read("        '|startswith': 'pkexec'").expect_err("refused");
    assert_eq!(codes(&bad), ["tripline::sigma_in::bad_modifiers"]);
}

mod no_panic {
    use proptest::prelude::*;

    const BASE: &str = "title: T\nlogsource:\n    product: windows\ndetection:\n    sel:\n        \
                        F|contains|all: ['a*', 'b\\\\*']\n        G|re|i: '^x$'\n    other:\n        \
                        - H|cidr: '10.0.0.0/8'\n        - N|gte: 3\n    condition: 1 of sel* and not (other)\n";
    const ALPHABET: &[&str] = &[
        "|", "*", "?", "\\", "'", "\"", "\n", " ", "-", ":", "(", ")", "[", "]", "{", "}", "not ",
        "and ", "or ", "1 of ", "all of ", "them", "null", "''", "|re", "|all", "|cased",
        "|exists", "$", "---\n", "\u{e9}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn any_text(s in "\\PC{0,200}") {
            let _ = tripline::sigma_in::read(&s);
        }
        #[test]
        fn edited_rule(
            edits in proptest::collection::vec((0usize..400, 0usize..4, proptest::sample::select(ALPHABET)), 1..6),
        ) {
            let mut t = BASE.to_string();
            for (at, del, ins) in edits {
                let mut at = at.min(t.len());
                while !t.is_char_boundary(at) { at -= 1; }
                let mut end = (at + del).min(t.len());
                while !t.is_char_boundary(end) { end -= 1; }
                t.replace_range(at..end.max(at), ins);
            }
            let _ = tripline::sigma_in::read(&t);
        }
    }
}
