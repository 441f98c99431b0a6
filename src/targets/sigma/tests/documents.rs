//! Whole documents: the Storm-0558 rule, metadata, logsource, bundles.

use super::*;

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
