//! Raw record shapes: a record written in a known shape (Windows events exported from EVTX
//! as JSON, ...) is turned into the flat field names its source's rules use, so that rules,
//! tests and hunts read every shape the same way.

use serde_json::{Map, Value};

use super::{Catalog, Record};

/// `event` as its fields: when it has the shape of one of the catalog's records (its
/// `detect` path exists), the record's fields and spread objects become top-level keys
/// (the first path present wins; a spread key never replaces a field); otherwise the event
/// as it is. Also returns the record shape's name.
pub fn normalize<'c>(catalog: &'c Catalog, event: &Value) -> (Value, Option<&'c str>) {
    for (name, rec) in &catalog.records {
        if lookup(event, &rec.detect).is_some() {
            return (flatten(rec, event), Some(name.as_str()));
        }
    }
    (event.clone(), None)
}

fn flatten(rec: &Record, event: &Value) -> Value {
    let mut out = Map::new();
    for (field, paths) in &rec.fields {
        if let Some(v) = paths.iter().find_map(|p| lookup(event, p)) {
            out.insert(field.clone(), text_of(v));
        }
    }
    for path in &rec.spread {
        for obj in spread_targets(event, path) {
            for (k, v) in obj {
                if !out.contains_key(k) {
                    out.insert(k.clone(), text_of(v));
                }
                // Some providers name data with spaces (Windows Defender's `Threat Name`);
                // Sigma rules name it without them (`ThreatName`): both are read.
                if k.contains(' ') {
                    let joined: String = k.chars().filter(|c| *c != ' ').collect();
                    if !out.contains_key(&joined) && !obj.contains_key(&joined) {
                        out.insert(joined, text_of(v));
                    }
                }
            }
        }
    }
    Value::Object(out)
}

/// The objects a spread path names: `a.b` is one object, `a.*` every object under `a`.
fn spread_targets<'v>(event: &'v Value, path: &str) -> Vec<&'v Map<String, Value>> {
    if let Some(parent) = path.strip_suffix(".*") {
        return match lookup(event, parent) {
            Some(Value::Object(m)) => m.values().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        };
    }
    match lookup(event, path) {
        Some(Value::Object(m)) => vec![m],
        _ => Vec::new(),
    }
}

/// An EVTX-exported value: `{"#text": v, "#attributes": …}` is `v`, and a list of texts
/// (unnamed `<Data>` elements) is their texts joined with a line feed; anything else as is.
fn text_of(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("#text") => match &m["#text"] {
            Value::Array(xs) if xs.iter().all(|x| !x.is_object() && !x.is_array()) => {
                let parts: Vec<String> = xs
                    .iter()
                    .map(|x| match x {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect();
                Value::String(parts.join("\n"))
            }
            other => other.clone(),
        },
        other => other.clone(),
    }
}

/// Follow a dotted path (`Event.System.Provider.#attributes.Name`) through objects.
fn lookup<'v>(event: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = event;
    for seg in path.split('.') {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.records.insert(
            "evtx".into(),
            Record {
                description: String::new(),
                detect: "Event.System".into(),
                fields: [
                    (
                        "EventID".to_string(),
                        vec!["Event.System.EventID".to_string()],
                    ),
                    (
                        "Provider_Name".to_string(),
                        vec!["Event.System.Provider.#attributes.Name".to_string()],
                    ),
                ]
                .into_iter()
                .collect(),
                spread: vec!["Event.EventData".into()],
            },
        );
        c
    }

    #[test]
    fn evtx_json_becomes_flat_fields() {
        let e = serde_json::json!({"Event": {"System": {"EventID": {"#text": 4688, "#attributes": {"Qualifiers": ""}},
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}}},
            "EventData": {"NewProcessName": "C:\\x.exe", "EventID": "spoof"}}});
        let cat = catalog();
        let (flat, shape) = normalize(&cat, &e);
        assert_eq!(shape, Some("evtx"));
        assert_eq!(flat["EventID"], 4688);
        assert_eq!(flat["Provider_Name"], "Microsoft-Windows-Security-Auditing");
        assert_eq!(flat["NewProcessName"], "C:\\x.exe");
    }

    #[test]
    fn flat_events_are_kept() {
        let e = serde_json::json!({"Image": "x"});
        assert_eq!(normalize(&catalog(), &e), (e, None));
    }
}
