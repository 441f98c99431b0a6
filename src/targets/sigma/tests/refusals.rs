//! What the Sigma target refuses, and that every refusal is reported.

use super::*;

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
