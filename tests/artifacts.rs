//! Deployable artifacts (`compile --artifact`) for every rule of the library, through the
//! library: each artifact reads back (YAML, JSON, `savedsearches.conf`) and embeds exactly
//! the query that compiling without `--artifact` gives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tripline::driver::{self, Compiled, Options};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn compile(target: &str, flavor: Option<&str>, artifact: bool) -> Compiled {
    let opts = Options::new(target, flavor)
        .expect("options")
        .with_artifact(artifact);
    driver::compile_paths(&[rules_dir()], &opts).expect("rules/ loads")
}

/// Codes with which a target refuses a rule whose log source (or a field of it) the platform
/// does not record: Defender XDR keeps no CloudTrail, Security-log or System-log table.
const UNAVAILABLE: [&str; 2] = [
    "tripline::mapping::unavailable_source",
    "tripline::mapping::unavailable_field",
];

/// The bare queries, by rule name; the library compiles on every target, but for rules whose
/// source the platform does not record.
fn bare(target: &str, flavor: Option<&str>) -> BTreeMap<String, String> {
    let out = compile(target, flavor, false);
    for d in out.diagnostics.iter().filter(|d| d.is_error()) {
        assert!(
            UNAVAILABLE.contains(&d.code().as_str()),
            "{}: {} {}",
            d.path,
            d.code(),
            d.error
        );
    }
    assert!(out.outputs.len() >= 20, "{}", out.outputs.len());
    out.outputs.into_iter().map(|o| (o.rule, o.text)).collect()
}

#[test]
fn sentinel_analytics_rules_embed_the_query() {
    let queries = bare("kql", Some("sentinel"));
    let out = compile("kql", Some("sentinel"), true);
    assert!(!out.failed(), "{:?}", out.diagnostics);
    assert_eq!(out.outputs.len(), queries.len());
    for o in &out.outputs {
        let a = o.artifact.as_ref().expect("an artifact");
        assert_eq!(a.extension, "yaml");
        let v: serde_json::Value = tripline::yaml::from_str(&a.text)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", o.rule, a.text));
        // The query is the bare query, then (for entity columns the table holds inside
        // another column) artifact-only `| extend Entity… = …` lines.
        assert_eq!(queries[&o.rule], o.text, "{}", o.rule);
        let query = v["query"].as_str().expect("a query");
        let extends = query
            .strip_prefix(o.text.as_str())
            .unwrap_or_else(|| panic!("{}: the query does not start with the bare query", o.rule));
        for line in extends.lines() {
            assert!(line.starts_with("| extend Entity"), "{}: {line}", o.rule);
        }
        assert_eq!(v["status"], "Available");
        assert_eq!(v["enabled"], true);
        assert!(
            a.text.contains("\nquery: |\n"),
            "{}: not a block scalar",
            o.rule
        );
        assert_eq!(v["kind"], "Scheduled");
        assert_eq!(v["triggerOperator"], "gt");
        assert_eq!(v["triggerThreshold"], 0);
        assert_eq!(v["version"], "1.0.0");
        assert!(
            ["Informational", "Low", "Medium", "High"].contains(&v["severity"].as_str().unwrap()),
            "{}",
            o.rule
        );
        // Every table of the library but `Event` (filled by the Azure Monitor Agent from
        // whichever logs a data collection rule names) is filled by one known connector.
        let connectors = v["requiredDataConnectors"].as_array().expect("a list");
        let table = o.text.lines().next().unwrap_or_default();
        assert_eq!(
            connectors.len(),
            usize::from(table != "Event"),
            "{}: the connector of {table}",
            o.rule
        );
        entity_mappings_are_sentinel_shaped(&o.rule, &v, extends);
        // Every library rule has ATT&CK tags.
        assert!(!v["tactics"].as_array().unwrap().is_empty(), "{}", o.rule);
        for t in v["relevantTechniques"].as_array().unwrap() {
            assert!(t.as_str().unwrap().starts_with('T'), "{}", o.rule);
        }
        // Sentinel's limits: whole minutes, 5m ≤ frequency ≤ period ≤ 14d.
        let minutes = |k: &str| {
            let s = v[k].as_str().expect(k);
            let (n, unit) = s.split_at(s.len() - 1);
            let n: u64 = n.parse().expect("a number");
            n * match unit {
                "m" => 1,
                "h" => 60,
                "d" => 1440,
                other => panic!("{}: unit {other}", o.rule),
            }
        };
        let (f, p) = (minutes("queryFrequency"), minutes("queryPeriod"));
        assert!(
            (5..=p).contains(&f) && p <= 14 * 1440,
            "{}: {f} {p}",
            o.rule
        );
    }
}

/// Sentinel's entity types and the identifiers tripline maps to.
const IDENTIFIERS: &[(&str, &[&str])] = &[
    ("Account", &["FullName", "Name", "Sid", "AadUserId"]),
    ("Host", &["FullName", "HostName"]),
    ("IP", &["Address"]),
    ("Process", &["CommandLine", "ProcessId"]),
    ("File", &["Name", "Directory"]),
    ("URL", &["Url"]),
    ("CloudApplication", &["Name", "AppId"]),
    ("RegistryKey", &["Key"]),
    ("DNS", &["DomainName"]),
];

/// 1–5 entities of 1–3 field mappings, each a known identifier of its type, on a column the
/// query has (an `Entity…` column is one of the artifact's own `extend` lines).
fn entity_mappings_are_sentinel_shaped(rule: &str, v: &serde_json::Value, extends: &str) {
    let ms = v["entityMappings"].as_array().expect("a list");
    assert!(ms.len() <= 5, "{rule}: {} entities", ms.len());
    for m in ms {
        let ty = m["entityType"].as_str().expect("a type");
        let ids = IDENTIFIERS
            .iter()
            .find(|(t, _)| *t == ty)
            .unwrap_or_else(|| panic!("{rule}: entity type {ty}"))
            .1;
        let fs = m["fieldMappings"].as_array().expect("a list");
        assert!((1..=3).contains(&fs.len()), "{rule}");
        for f in fs {
            let id = f["identifier"].as_str().expect("an identifier");
            assert!(ids.contains(&id), "{rule}: {ty}.{id}");
            let col = f["columnName"].as_str().expect("a column");
            if col.starts_with("Entity") {
                assert!(
                    extends.contains(&format!("| extend {col} = ")),
                    "{rule}: {col} is not extended"
                );
            }
        }
    }
}

/// Every Sentinel artifact of the library carries entity mappings (the catalog annotates the
/// entity fields of every library source), except a stateful rule none of whose keys
/// identifies an entity: its query returns only the keys.
#[test]
fn every_sentinel_artifact_maps_entities() {
    let out = compile("kql", Some("sentinel"), true);
    assert!(!out.failed(), "{:?}", out.diagnostics);
    let mut without: Vec<&str> = Vec::new();
    for o in &out.outputs {
        let a = o.artifact.as_ref().expect("an artifact");
        let v: serde_json::Value = tripline::yaml::from_str(&a.text).expect("yaml");
        if v["entityMappings"].as_array().expect("a list").is_empty() {
            assert!(
                o.text.contains("| summarize"),
                "{}: no entity mapping",
                o.rule
            );
            without.push(&o.rule);
        }
    }
    // `new AppId`: an application id is no Sentinel entity identifier (CloudApplication's
    // AppId is Defender for Cloud Apps' number, not an Entra application id).
    assert_eq!(without, ["mail_items_accessed_by_new_app"]);
}

#[test]
fn defender_custom_detections_embed_the_query_or_are_refused() {
    let queries = bare("kql", Some("defender"));
    let out = compile("kql", Some("defender"), true);
    for o in &out.outputs {
        let a = o.artifact.as_ref().expect("an artifact");
        assert_eq!(a.extension, "json");
        let v: serde_json::Value =
            serde_json::from_str(&a.text).unwrap_or_else(|e| panic!("{}: {e}\n{}", o.rule, a.text));
        assert_eq!(v["queryCondition"]["queryText"], queries[&o.rule].as_str());
        assert_eq!(v["queryCondition"]["queryText"], o.text.as_str());
        let t = &v["detectionAction"]["alertTemplate"];
        assert_eq!(t["title"], v["displayName"]);
        assert!(
            ["informational", "low", "medium", "high"].contains(&t["severity"].as_str().unwrap())
        );
        assert!(t["recommendedActions"].is_null());
        // Every library table carries an entity column, so every detection names one asset,
        // and the query keeps that column (single-event queries return whole rows).
        let assets = t["impactedAssets"].as_array().expect("array");
        assert_eq!(assets.len(), 1, "{}", o.rule);
        let id = assets[0]["identifier"].as_str().unwrap();
        assert!(["deviceId", "accountObjectId"].contains(&id), "{id}");
        assert_eq!(v["schedule"]["period"], "1H");
        assert_eq!(v["isEnabled"], true);
    }
    // Every rule that got no artifact but has a query is stateful and was refused with a
    // coded error; the others were refused for their source, as without --artifact.
    let refused: Vec<&driver::FileDiagnostic> = out
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !UNAVAILABLE.contains(&d.code().as_str()))
        .collect();
    assert!(!refused.is_empty());
    assert_eq!(out.outputs.len() + refused.len(), queries.len());
    for d in refused {
        assert_eq!(d.code(), "tripline::target::unsupported");
        assert!(
            d.error
                .to_string()
                .contains("a Defender custom detection for a stateful rule"),
            "{}",
            d.error
        );
    }
}

/// `savedsearches.conf` as Splunk reads it: the stanza name and each key's value, with
/// continuation lines (a line ending in `\`) joined by line breaks.
fn parse_stanza(conf: &str) -> (String, BTreeMap<String, String>) {
    let mut lines = conf.lines();
    let head = lines.next().expect("a stanza");
    let name = head
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .expect("[name]")
        .to_string();
    let mut out = BTreeMap::new();
    let mut key: Option<String> = None;
    let mut value = String::new();
    for line in lines {
        let (text, more) = match line.strip_suffix('\\') {
            Some(t) => (t, true),
            None => (line, false),
        };
        match &key {
            Some(_) => {
                value.push('\n');
                value.push_str(text);
            }
            None => {
                let (k, v) = text.split_once(" = ").expect("key = value");
                assert!(!out.contains_key(k), "{k} twice");
                key = Some(k.to_string());
                value = v.to_string();
            }
        }
        if !more {
            out.insert(key.take().unwrap(), std::mem::take(&mut value));
        }
    }
    assert!(key.is_none(), "dangling continuation");
    (name, out)
}

#[test]
fn savedsearches_stanzas_embed_the_search() {
    let queries = bare("spl", None);
    let out = compile("spl", None, true);
    assert!(!out.failed(), "{:?}", out.diagnostics);
    assert_eq!(out.outputs.len(), queries.len());
    for o in &out.outputs {
        let a = o.artifact.as_ref().expect("an artifact");
        assert_eq!(a.extension, "conf");
        let (name, kv) = parse_stanza(&a.text);
        assert!(
            name.starts_with("tripline - ") && name.ends_with(" - Rule"),
            "{name}"
        );
        let spl = &queries[&o.rule];
        assert_eq!(
            kv["search"],
            spl.strip_suffix('\n').unwrap_or(spl),
            "{}",
            o.rule
        );
        assert_eq!(&o.text, spl);
        assert_eq!(kv["enableSched"], "1");
        assert_eq!(
            kv["action.notable.param.rule_title"],
            name[11..name.len() - 7]
        );
        let ann: serde_json::Value =
            serde_json::from_str(&kv["action.correlationsearch.annotations"]).expect("json");
        assert!(ann["mitre_attack"].is_array());
        assert!(!kv.contains_key("disabled"), "{}", o.rule);
        // Threshold rules (their search ends with a `window_start` table) suppress repeats of
        // a window's group.
        let threshold = kv["search"].contains(" window_start ");
        if threshold {
            assert_eq!(kv["alert.suppress"], "1");
            assert!(kv["alert.suppress.fields"].ends_with("window_start"));
            assert!(kv["alert.suppress.period"].ends_with('s'));
        }
        assert_eq!(kv.len(), 14 + if threshold { 3 } else { 0 }, "{}", o.rule);
    }
}

#[test]
fn sigma_has_no_artifact_beyond_the_rule() {
    let plain = compile("sigma", None, false);
    let out = compile("sigma", None, true);
    assert!(!out.outputs.is_empty());
    assert!(out.outputs.iter().all(|o| o.artifact.is_none()));
    let texts = |c: &Compiled| -> Vec<(String, String)> {
        c.outputs
            .iter()
            .map(|o| (o.rule.clone(), o.text.clone()))
            .collect()
    };
    assert_eq!(texts(&out), texts(&plain));
    let codes = |c: &Compiled| -> Vec<String> { c.diagnostics.iter().map(|d| d.code()).collect() };
    assert_eq!(codes(&out), codes(&plain));
}

/// A `.trip` rule whose technique tag lacks its tactic has no artifact (a coded error with
/// the tactic tag to add); the same tags on a Sigma rule do not refuse it (SigmaHQ's tags
/// often disagree with ATT&CK's table).
#[test]
fn attack_tags_are_held_to_attack_for_trip_rules_only() {
    use driver::Program;
    let trip = r#"rule r {
    title       "R"
    id          9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55
    status      test
    level       low
    date        2024-03-01
    tags        attack.execution, attack.t1027
    description "Detects x."
    source      windows.process_creation
    match       Image endswith "\\x.exe"
}
"#;
    let sigma = "title: R\nid: 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55\nstatus: test\nlevel: low\n\
                 date: 2024-03-01\ndescription: Detects x.\ntags:\n  - attack.execution\n  - attack.t1027\n\
                 logsource:\n  product: windows\n  category: process_creation\n\
                 detection:\n  sel:\n    Image|endswith: '\\x.exe'\n  condition: sel\n";
    for (target, flavor) in [
        ("kql", Some("sentinel")),
        ("kql", Some("defender")),
        ("spl", None),
    ] {
        let opts = driver::Options::new(target, flavor)
            .expect("options")
            .with_artifact(true);
        let no_imports = |_: &Path| Err(std::io::Error::other("no imports"));
        let prog = Program::from_texts(vec![(PathBuf::from("r.trip"), trip.into())], &no_imports);
        let out = driver::compile_program(&prog, &opts);
        let codes: Vec<String> = out.diagnostics.iter().map(|d| d.code()).collect();
        assert_eq!(codes, ["tripline::target::attack_mismatch"], "{target}");
        let help = out.diagnostics[0].render(false);
        assert!(
            help.contains("add the tactic tag `attack.defense-evasion`"),
            "{help}"
        );
        assert!(out.outputs.is_empty());
        let prog = Program::from_texts(vec![(PathBuf::from("r.yml"), sigma.into())], &no_imports);
        let out = driver::compile_program(&prog, &opts);
        assert!(!out.failed(), "{target}: {:?}", out.diagnostics);
        assert!(out.outputs[0].artifact.is_some());
    }
}

/// A deprecated rule deploys disabled on every platform (the library has none: a fixture).
#[test]
fn deprecated_rules_deploy_disabled_everywhere() {
    let text = std::fs::read_to_string(
        rules_dir().join("windows/process_creation/certutil_download.trip"),
    )
    .expect("a library rule");
    let status = text
        .lines()
        .find(|l| l.trim_start().starts_with("status"))
        .expect("a status line");
    let text = text.replace(status, "    status      deprecated");
    let artifact = |target: &str, flavor: Option<&str>| -> String {
        let opts = driver::Options::new(target, flavor)
            .expect("options")
            .with_artifact(true);
        let out = driver::compile(&text, &opts);
        assert!(!out.failed(), "{:?}", out.diagnostics);
        out.outputs[0].artifact.clone().expect("an artifact").text
    };
    let v: serde_json::Value =
        tripline::yaml::from_str(&artifact("kql", Some("sentinel"))).expect("yaml");
    assert_eq!(v["enabled"], false);
    assert_eq!(v["status"], "Available");
    let v: serde_json::Value =
        serde_json::from_str(&artifact("kql", Some("defender"))).expect("json");
    assert_eq!(v["isEnabled"], false);
    let (_, kv) = parse_stanza(&artifact("spl", None));
    assert_eq!(kv["disabled"], "1");
}
