//! The documents of each stage form, their ids, and that the stream reads back.

use super::*;

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
