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
        assert_eq!(v["query"], queries[&o.rule].as_str(), "{}", o.rule);
        assert_eq!(v["query"], o.text.as_str(), "{}", o.rule);
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
        assert_eq!(kv.len(), 14, "{}", o.rule);
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
