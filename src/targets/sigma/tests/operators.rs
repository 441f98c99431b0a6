//! Detection items for each operator, and condition shapes.

use super::*;

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
