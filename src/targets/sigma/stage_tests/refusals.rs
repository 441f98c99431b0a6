//! What the stages refuse.

use super::*;

#[test]
fn first_seen_is_refused() {
    let r = rule(
        "newapp",
        meta("New App", SPRAY_ID, "d"),
        num_eq("ResultType", "0"),
        Stage::FirstSeen {
            fields: vec![s("AppId")],
            baseline: dur(13 * 86_400),
            window: dur(86_400),
            span: STAGE,
        },
    );
    assert_eq!(
        refusals(&r),
        [("a first-seen (`new`) stage".to_string(), 200)]
    );
    assert!(reasons(&r)[0].contains("no new-value or baseline correlation"));
}

#[test]
fn non_monotone_thresholds_are_refused() {
    for (op, sym) in [
        (CmpOp::Lt, "<"),
        (CmpOp::Le, "<="),
        (CmpOp::Eq, "=="),
        (CmpOp::Ne, "!="),
    ] {
        for distinct in [None, Some(s("AppId"))] {
            let r = rule(
                "v",
                meta("V", SPRAY_ID, "d"),
                str_eq("Operation", "x"),
                threshold(distinct, op, 5, vec![s("UserId")], 3600),
            );
            assert_eq!(
                refusals(&r),
                [(format!("a `threshold` compared with `{sym}`"), 200)]
            );
        }
    }
}

#[test]
fn a_threshold_without_by_is_refused() {
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(None, CmpOp::Ge, 5, Vec::new(), 3600),
    );
    assert_eq!(
        refusals(&r),
        [("a `threshold` without `by`".to_string(), 200)]
    );
    // Every refusal of a stage is reported at once.
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(None, CmpOp::Lt, 5, Vec::new(), 3600),
    );
    assert_eq!(
        refusals(&r),
        [
            ("a `threshold` compared with `<`".to_string(), 200),
            ("a `threshold` without `by`".to_string(), 200),
        ]
    );
}

#[test]
fn json_keys_are_refused() {
    let raw = fld("Raw", FieldType::Json);
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(None, CmpOp::Ge, 5, vec![raw.clone()], 3600),
    );
    assert_eq!(
        refusals(&r),
        [("a `by` field of type json (`Raw`)".to_string(), 200)]
    );
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(Some(raw.clone()), CmpOp::Ge, 5, vec![s("UserId")], 3600),
    );
    assert_eq!(
        refusals(&r),
        [("the `distinct` field of type json (`Raw`)".to_string(), 200)]
    );
    let r = rule(
        "b",
        meta("B", BRUTE_ID, "d"),
        str_eq("Operation", "x"),
        sequence(
            vec![raw],
            60,
            vec![("a", str_eq("UserId", "x")), ("b", str_eq("UserId", "y"))],
        ),
    );
    assert_eq!(
        refusals(&r),
        [("a `by` field of type json (`Raw`)".to_string(), 200)]
    );
}

#[test]
fn unmappable_stage_fields_are_refused() {
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(None, CmpOp::Ge, 5, vec![s("Computed"), s("Piped")], 3600),
    );
    assert_eq!(
        refusals(&r),
        [
            ("a field mapped to an expression".to_string(), 200),
            ("this field name".to_string(), 200),
        ]
    );
}

#[test]
fn unavailable_stage_and_step_fields_are_refused_by_mapping() {
    let src = source();
    let t = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(Some(s("Hidden")), CmpOp::Ge, 5, vec![s("UserId")], 3600),
    );
    let errs = crate::mapping::map_rule(&t, "test.signins", &src, "sigma").expect_err("unmapped");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].why.contains("not collected here"));
    let q = rule(
        "b",
        meta("B", BRUTE_ID, "d"),
        str_eq("Operation", "x"),
        sequence(vec![s("UserId")], 60, vec![("a", str_eq("Hidden", "x"))]),
    );
    let errs = crate::mapping::map_rule(&q, "test.signins", &src, "sigma").expect_err("unmapped");
    assert_eq!(errs[0].field, "Hidden");
}

#[test]
fn unmappable_step_fields_are_refused() {
    let r = rule(
        "b",
        meta("B", BRUTE_ID, "d"),
        str_eq("Operation", "x"),
        sequence(
            vec![s("UserId")],
            60,
            vec![("a", str_eq("UserId", "x")), ("b", str_eq("Computed", "y"))],
        ),
    );
    assert_eq!(
        refusals(&r),
        [("a field mapped to an expression".to_string(), 10)]
    );
}

#[test]
fn a_rule_id_that_is_not_a_uuid_is_refused() {
    for mut r in [volume(), brute()] {
        r.meta.id = "not-a-uuid".to_string();
        assert_eq!(
            refusals(&r),
            [("a stateful rule whose id is not a UUID".to_string(), 200)]
        );
    }
}

#[test]
fn a_source_without_logsource_has_no_table() {
    let r = rule(
        "v",
        meta("V", SPRAY_ID, "d"),
        str_eq("Operation", "x"),
        threshold(None, CmpOp::Ge, 5, vec![s("UserId")], 3600),
    );
    match compile_with(&r, &no_logsource()) {
        Err(es) => assert!(
            matches!(&es[..], [TargetError::NoTable { what, .. }] if what.starts_with("logsource")),
            "{es:?}"
        ),
        Ok(t) => panic!("expected no_table, got\n{t}"),
    }
}
