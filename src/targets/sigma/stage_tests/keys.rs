//! Condition keys, timespans, step names and group-by guards.

use super::*;

#[test]
fn condition_keys_exist_for_monotone_comparisons_only() {
    assert_eq!(condition_key(CmpOp::Gt), Ok("gt"));
    assert_eq!(condition_key(CmpOp::Ge), Ok("gte"));
    for op in [CmpOp::Lt, CmpOp::Le, CmpOp::Eq] {
        let why = condition_key(op).expect_err("refused");
        assert!(why.contains("sliding"), "{why}");
        assert!(!why.contains("neq"), "{why}");
    }
    let why = condition_key(CmpOp::Ne).expect_err("refused");
    assert!(why.contains("`neq` is not in the published"), "{why}");
}

#[test]
fn timespans_use_the_largest_exact_unit() {
    for (secs, text) in [
        (90, "90s"),
        (5400, "90m"),
        (129_600, "36h"),
        (1_209_600, "14d"),
    ] {
        let r = rule(
            "v",
            meta("V", SPRAY_ID, "d"),
            str_eq("Operation", "x"),
            threshold(None, CmpOp::Ge, 1, vec![s("UserId")], secs),
        );
        let out = ok(&r);
        assert!(out.contains(&format!("    timespan: {text}\n")), "{out}");
    }
}

#[test]
fn repeated_steps_get_distinct_names_and_ids() {
    let r = rule(
        "b",
        meta("B", BRUTE_ID, "d"),
        exists(fld("ResultType", FieldType::Number)),
        sequence(
            vec![s("UserPrincipalName")],
            600,
            vec![
                ("failed", num_eq("ResultType", "50126")),
                ("failed", num_eq("ResultType", "50126")),
                ("b_failed_2", num_eq("ResultType", "50053")),
                ("ok", num_eq("ResultType", "0")),
            ],
        ),
    );
    let ds = docs(&ok(&r));
    let names: Vec<&str> = ds[..4]
        .iter()
        .map(|d| d["name"].as_str().expect("n"))
        .collect();
    assert_eq!(names, ["b_failed", "b_failed_2", "b_b_failed_2", "b_ok"]);
    let mut ids: Vec<&str> = ds.iter().map(|d| d["id"].as_str().expect("id")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert_eq!(ds[4]["correlation"]["condition"]["gte"], 4);
}

#[test]
fn keys_the_expression_already_requires_get_no_guard() {
    // `UserId == "x"` is false when UserId is missing, so no presence filter for it.
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        Expr::And(vec![str_eq("UserId", "admin"), str_eq("Operation", "x")]),
        threshold(None, CmpOp::Ge, 5, vec![s("UserId"), s("AppId")], 60),
    );
    let out = ok(&r);
    assert!(!out.contains("UserId|exists"), "{out}");
    assert!(out.contains("        AppId|exists: true\n"), "{out}");
    assert!(
        out.contains("    group-by:\n        - UserId\n        - AppId\n"),
        "{out}"
    );
    // Under `not` or in one branch of `or` a test does not imply the field.
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        Expr::Or(vec![
            str_eq("UserId", "admin"),
            Expr::Not(Box::new(str_eq("UserId", "x"))),
        ]),
        threshold(None, CmpOp::Ge, 5, vec![s("UserId")], 60),
    );
    assert!(ok(&r).contains("UserId|exists: true"));
}

#[test]
fn duplicate_keys_are_grouped_once() {
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(None, CmpOp::Ge, 5, vec![s("UserId"), s("UserId")], 60),
    );
    let out = ok(&r);
    assert!(
        out.contains("    group-by:\n        - UserId\n    timespan"),
        "{out}"
    );
}

#[test]
fn a_distinct_field_that_is_also_a_key_is_guarded_once() {
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(Some(s("AppId")), CmpOp::Ge, 1, vec![s("AppId")], 60),
    );
    let out = ok(&r);
    assert_eq!(out.matches("AppId|exists: true").count(), 1, "{out}");
    assert!(
        out.contains("        field: AppId\n        gte: 1\n"),
        "{out}"
    );
}

#[test]
fn stage_fields_use_the_catalog_mapping() {
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(Some(s("Renamed")), CmpOp::Gt, 3, vec![s("Renamed")], 60),
    );
    let out = ok(&r);
    assert!(out.contains("        user.name|exists: true\n"), "{out}");
    assert!(
        out.contains("    group-by:\n        - user.name\n"),
        "{out}"
    );
    assert!(
        out.contains("        field: user.name\n        gt: 3\n"),
        "{out}"
    );
    // Step expressions are mapped too.
    let r = rule(
        "b",
        meta("B", BRUTE_ID, "d"),
        str_eq("Operation", "x"),
        sequence(
            vec![s("UserId")],
            60,
            vec![("a", str_eq("Renamed", "x")), ("b", str_eq("Renamed", "y"))],
        ),
    );
    let out = ok(&r);
    assert!(out.contains("        user.name: x\n"), "{out}");
    assert!(!out.contains("Renamed"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------
