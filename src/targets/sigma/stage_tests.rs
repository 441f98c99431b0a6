//! Tests of stateful stages on the sigma target: the exact documents of each form, every
//! refusal, the derived ids, and that the stream reads back as the intended YAML.

use super::stage::condition_key;
use super::*;
use crate::catalog::{FieldType, Source};
use crate::ir::{
    CmpOp, Duration, Expr, Field, Meta, Number, Pred, Rule, Span, Stage, Step, StrOp, Test,
};
use crate::targets::{Target, TargetError, TargetOptions};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const STAGE: Span = Span {
    start: 200,
    end: 260,
};

fn source() -> Source {
    crate::catalog::Catalog::source_from_yaml(
        "description: test sign-ins\n\
         logsource: {product: azure, service: signinlogs}\n\
         timestamp: CreatedDateTime\n\
         fields:\n\
         \x20 CreatedDateTime: string\n\
         \x20 ResultType: number\n\
         \x20 UserPrincipalName: string\n\
         \x20 IPAddress: ip\n\
         \x20 AppId: string\n\
         \x20 UserId: string\n\
         \x20 Operation: string\n\
         \x20 Raw: json\n\
         \x20 Hidden: string\n\
         \x20 Computed: string\n\
         \x20 Renamed: string\n\
         \x20 Piped: string\n\
         targets:\n\
         \x20 sigma:\n\
         \x20   fields:\n\
         \x20     Hidden: {unavailable: 'not collected here'}\n\
         \x20     Computed: {expr: 'lower(x)'}\n\
         \x20     Renamed: user.name\n\
         \x20     Piped: 'a|b'\n",
    )
    .expect("source")
}

fn no_logsource() -> Source {
    crate::catalog::Catalog::source_from_yaml(
        "description: nowhere\n\
         logsource: {}\n\
         timestamp: T\n\
         fields: {T: string, UserId: string, Operation: string}\n",
    )
    .expect("source")
}

/// A field as the checker leaves it (stage fields are not mapped by the mapping pass).
fn fld(name: &str, ty: FieldType) -> Field {
    Field {
        name: name.to_string(),
        ty,
        mapped: None,
    }
}

fn s(name: &str) -> Field {
    fld(name, FieldType::String)
}

fn pred(f: Field, test: Test) -> Expr {
    Expr::Pred(Pred {
        field: f,
        test,
        span: Span::new(10, 20),
    })
}

fn num_eq(f: &str, v: &str) -> Expr {
    pred(
        fld(f, FieldType::Number),
        Test::NumEq {
            values: vec![Number::parse(v).expect("number")],
        },
    )
}

fn str_eq(f: &str, v: &str) -> Expr {
    pred(
        s(f),
        Test::Str {
            op: StrOp::Eq,
            values: vec![v.to_string()],
            quant: crate::ir::Quant::Any,
            cased: false,
        },
    )
}

fn exists(f: Field) -> Expr {
    pred(f, Test::Exists)
}

fn dur(seconds: u64) -> Duration {
    Duration { seconds }
}

fn meta(title: &str, id: &str, description: &str) -> Meta {
    Meta {
        title: title.to_string(),
        id: id.to_string(),
        status: "test".to_string(),
        level: "high".to_string(),
        description: description.to_string(),
        authors: vec!["tripline".to_string()],
        date: "2024-03-01".to_string(),
        modified: None,
        tags: vec!["attack.credential-access".to_string()],
        references: Vec::new(),
        falsepositives: Vec::new(),
        related: Vec::new(),
        fields: Vec::new(),
    }
}

fn rule(name: &str, meta: Meta, expr: Expr, stage: Stage) -> Rule {
    Rule {
        name: name.to_string(),
        meta,
        source: "test.signins".to_string(),
        expr,
        span: Span::new(0, 300),
        stage: Some(stage),
        tests: Vec::new(),
        test_files: Vec::new(),
        stream_tests: Vec::new(),
    }
}

fn threshold(distinct: Option<Field>, op: CmpOp, value: u64, by: Vec<Field>, w: u64) -> Stage {
    Stage::Threshold {
        distinct,
        op,
        value,
        by,
        window: dur(w),
        span: STAGE,
    }
}

fn sequence(by: Vec<Field>, within: u64, steps: Vec<(&str, Expr)>) -> Stage {
    Stage::Sequence {
        by,
        within: dur(within),
        steps: steps
            .into_iter()
            .map(|(n, e)| Step {
                name: n.to_string(),
                expr: e,
            })
            .collect(),
        span: STAGE,
    }
}

/// Map the rule's `match` as the driver does, then compile.
fn compile_with(rule: &Rule, src: &Source) -> Result<String, Vec<TargetError>> {
    let mapped = crate::mapping::map_rule(rule, "test.signins", src, "sigma").expect("mapping");
    let opts = TargetOptions::default();
    let ctx = Ctx {
        source: src,
        source_name: "test.signins",
        opts: &opts,
        catalog_key: "sigma",
    };
    Sigma.compile_rule(&mapped, &ctx)
}

fn compile(rule: &Rule) -> Result<String, Vec<TargetError>> {
    compile_with(rule, &source())
}

fn ok(rule: &Rule) -> String {
    compile(rule).unwrap_or_else(|e| panic!("refused: {e:?}"))
}

/// (construct, span offset) of every refusal.
fn refusals(rule: &Rule) -> Vec<(String, usize)> {
    match compile(rule) {
        Ok(t) => panic!("expected a refusal, got:\n{t}"),
        Err(es) => es
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

fn reasons(rule: &Rule) -> Vec<String> {
    match compile(rule) {
        Ok(t) => panic!("expected a refusal, got:\n{t}"),
        Err(es) => es
            .into_iter()
            .map(|e| match e {
                TargetError::Unsupported { reason, .. } => reason,
                other => panic!("unexpected error {other:?}"),
            })
            .collect(),
    }
}

/// Every document of a YAML stream.
fn docs(text: &str) -> Vec<Value> {
    crate::yaml::from_str_all(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const SPRAY_ID: &str = "9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55";
const BRUTE_ID: &str = "1b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55";

fn spray() -> Rule {
    rule(
        "spray",
        meta(
            "Password Spray",
            SPRAY_ID,
            "Detects one address failing as many users.",
        ),
        num_eq("ResultType", "50126"),
        threshold(
            Some(s("UserPrincipalName")),
            CmpOp::Ge,
            10,
            vec![fld("IPAddress", FieldType::Ip)],
            3600,
        ),
    )
}

fn volume() -> Rule {
    rule(
        "volume",
        meta(
            "Mail Items Accessed In Volume",
            "3b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55",
            "Detects many MailItemsAccessed records of one user.",
        ),
        str_eq("Operation", "MailItemsAccessed"),
        threshold(None, CmpOp::Gt, 100, vec![s("UserId")], 3600),
    )
}

fn brute() -> Rule {
    rule(
        "brute",
        meta(
            "Failed Sign-In Then Success",
            BRUTE_ID,
            "Detects a failure then a success.",
        ),
        exists(fld("ResultType", FieldType::Number)),
        sequence(
            vec![s("UserPrincipalName")],
            1800,
            vec![
                ("failed", num_eq("ResultType", "50126")),
                ("succeeded", num_eq("ResultType", "0")),
            ],
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Emitted documents
// ---------------------------------------------------------------------------------------------

const SPRAY_YAML: &str = "\
title: Password Spray - Matching Events
id: 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55
name: spray
status: test
description: Detects one address failing as many users.
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        ResultType: 50126
        IPAddress|exists: true
        UserPrincipalName|exists: true
    filter_main_ip_address_empty:
        - IPAddress: null
        - IPAddress: ''
    filter_main_user_principal_name_empty:
        - UserPrincipalName: null
        - UserPrincipalName: ''
    condition: selection and not filter_main_ip_address_empty and not filter_main_user_principal_name_empty
falsepositives:
    - Unknown
level: high
---
title: Password Spray
id: 2ed215cc-cdff-5ee6-8f0f-72aead412df7
status: test
description: Detects one address failing as many users.
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
correlation:
    type: value_count
    rules:
        - 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 # spray
    group-by:
        - IPAddress
    timespan: 1h
    condition:
        field: UserPrincipalName
        gte: 10
falsepositives:
    - Unknown
level: high
";

#[test]
fn threshold_distinct_is_a_value_count_correlation() {
    assert_eq!(ok(&spray()), SPRAY_YAML);
}

const VOLUME_YAML: &str = "\
title: Mail Items Accessed In Volume - Matching Events
id: 3b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55
name: volume
status: test
description: Detects many MailItemsAccessed records of one user.
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        Operation: MailItemsAccessed
        UserId|exists: true
    filter_main_user_id_empty:
        - UserId: null
        - UserId: ''
    condition: selection and not filter_main_user_id_empty
falsepositives:
    - Unknown
level: high
---
title: Mail Items Accessed In Volume
id: caa38bb9-b634-5b2f-8a9e-fbd100ec60d9
status: test
description: Detects many MailItemsAccessed records of one user.
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
correlation:
    type: event_count
    rules:
        - 3b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 # volume
    group-by:
        - UserId
    timespan: 1h
    condition:
        gt: 100
falsepositives:
    - Unknown
level: high
";

#[test]
fn threshold_count_is_an_event_count_correlation() {
    assert_eq!(ok(&volume()), VOLUME_YAML);
}

const BRUTE_YAML: &str = "\
title: Failed Sign-In Then Success - Step 1 of 2
id: 9e9b2ede-d5a5-5259-925b-a138e321f47b
name: brute_failed
status: test
description: 'Step 1 of 2 (`failed`) of the sequence: Detects a failure then a success.'
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        ResultType|exists: true
        ResultType: 50126
        UserPrincipalName|exists: true
    filter_main_result_type_empty:
        - ResultType: null
        - ResultType: ''
    filter_main_user_principal_name_empty:
        - UserPrincipalName: null
        - UserPrincipalName: ''
    condition: selection and not filter_main_result_type_empty and not filter_main_user_principal_name_empty
falsepositives:
    - Unknown
level: high
---
title: Failed Sign-In Then Success - Step 2 of 2
id: 00c763b4-ef0c-584a-9743-293dc38dd6cf
name: brute_succeeded
status: test
description: 'Step 2 of 2 (`succeeded`) of the sequence: Detects a failure then a success.'
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        ResultType|exists: true
        ResultType: 0
        UserPrincipalName|exists: true
    filter_main_result_type_empty:
        - ResultType: null
        - ResultType: ''
    filter_main_user_principal_name_empty:
        - UserPrincipalName: null
        - UserPrincipalName: ''
    condition: selection and not filter_main_result_type_empty and not filter_main_user_principal_name_empty
falsepositives:
    - Unknown
level: high
---
title: Failed Sign-In Then Success
id: 6681b755-6e65-5edd-8124-4157c924ffb8
status: test
description: Detects a failure then a success.
author: tripline
date: 2024-03-01
tags:
    - attack.credential-access
correlation:
    type: temporal_ordered
    rules:
        - 9e9b2ede-d5a5-5259-925b-a138e321f47b # brute_failed
        - 00c763b4-ef0c-584a-9743-293dc38dd6cf # brute_succeeded
    group-by:
        - UserPrincipalName
    timespan: 30m
    condition:
        gte: 2
falsepositives:
    - Unknown
level: high
";

#[test]
fn sequence_is_one_rule_per_step_and_a_temporal_ordered_correlation() {
    assert_eq!(ok(&brute()), BRUTE_YAML);
}

#[test]
fn the_stream_reads_back_and_the_correlation_refers_to_its_rules() {
    for (r, ty, n) in [
        (spray(), "value_count", 1),
        (volume(), "event_count", 1),
        (brute(), "temporal_ordered", 2),
    ] {
        let text = ok(&r);
        let ds = docs(&text);
        assert_eq!(ds.len(), n + 1, "{text}");
        let corr = &ds[n]["correlation"];
        assert_eq!(corr["type"], ty);
        let refs: Vec<&str> = corr["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|v| v.as_str().expect("id"))
            .collect();
        let ids: Vec<&str> = ds[..n]
            .iter()
            .map(|d| d["id"].as_str().expect("id"))
            .collect();
        assert_eq!(refs, ids);
        // Names are distinct, titles are distinct (pySigma's duplicate_title validator).
        let mut titles: Vec<&str> = ds.iter().map(|d| d["title"].as_str().expect("t")).collect();
        titles.sort();
        titles.dedup();
        assert_eq!(titles.len(), n + 1);
        for d in &ds[..n] {
            assert!(d["name"].is_string());
            assert!(d.get("correlation").is_none());
        }
        assert!(ds[n].get("name").is_none());
        assert!(ds[n].get("generate").is_none());
        assert_eq!(ds[n]["level"], "high");
    }
}

#[test]
fn output_is_deterministic() {
    for r in [spray(), volume(), brute()] {
        assert_eq!(ok(&r), ok(&r));
    }
}

#[test]
fn bundle_separates_every_document() {
    let outputs = vec![
        ("volume".to_string(), ok(&volume())),
        ("brute".to_string(), ok(&brute())),
    ];
    let text = Sigma.bundle(&outputs);
    assert!(text.starts_with("# rule: volume\ntitle: "));
    assert!(text.contains("level: high\n---\n# rule: brute\ntitle: "));
    assert_eq!(docs(&text).len(), 5);
}

// ---------------------------------------------------------------------------------------------
// Ids, names, conditions, windows, keys
// ---------------------------------------------------------------------------------------------

#[test]
fn ids_are_uuid5_of_the_rule_id() {
    // Python: uuid.uuid5(uuid.UUID(rule_id), label)
    assert_eq!(
        ids::derived_id(SPRAY_ID, "sigma:correlation").as_deref(),
        Some("2ed215cc-cdff-5ee6-8f0f-72aead412df7")
    );
    assert_eq!(
        ids::derived_id(BRUTE_ID, "sigma:step:1:failed").as_deref(),
        Some("9e9b2ede-d5a5-5259-925b-a138e321f47b")
    );
}

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
