//! Samples for pySigma and number formatting.

use super::*;

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
