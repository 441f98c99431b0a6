//! Values and YAML scalars: escaping, wildcards, reading back.

use super::*;

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
