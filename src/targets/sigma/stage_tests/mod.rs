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

mod forms;
mod keys;
mod refusals;
