//! `tripline sources`: the catalog described, as text or JSON. For every source and target:
//! the table or base search, row filter, time column and recognition, and for every field
//! how that target writes it or why it cannot.

use serde_json::{json, Value};

use super::{Catalog, FieldMap, Mapped, Source};

/// Which part of the catalog to describe.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    /// One source by name (`None`: every source).
    pub source: Option<&'a str>,
    /// Only these catalog keys (`kql.sentinel`); empty: every key the source has.
    pub keys: Vec<String>,
    /// Show each field's mapping per target (always on for one source or a key filter).
    pub mappings: bool,
}

fn keys_of<'s>(src: &'s Source, sel: &Selection) -> Vec<&'s str> {
    src.targets
        .keys()
        .map(String::as_str)
        .filter(|k| sel.keys.is_empty() || sel.keys.iter().any(|s| s == k))
        .collect()
}

/// The text of one field on one target: its expression or column, or `unavailable: why`.
fn mapping_text(src: &Source, key: &str, field: &str) -> String {
    match src.map_field(key, field) {
        Ok(Mapped::Column(c)) => c,
        Ok(Mapped::Expr(e)) => e,
        Err(why) => format!("unavailable: {why}"),
    }
}

/// A human-readable listing (for `tripline sources`).
pub fn describe(cat: &Catalog, sel: &Selection) -> String {
    let mut s = String::new();
    let detailed = sel.mappings || sel.source.is_some() || !sel.keys.is_empty();
    for (name, src) in &cat.sources {
        if sel.source.is_some_and(|n| n != name) {
            continue;
        }
        s.push_str(&format!("{name}\n    {}\n", src.description.trim()));
        let ls: Vec<String> = src
            .logsource
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        s.push_str(&format!("    sigma logsource: {}\n", ls.join(", ")));
        if let Some(r) = &src.record {
            s.push_str(&format!("    record shape: {r}\n"));
        }
        if let Some(r) = &src.recognize {
            s.push_str(&format!("    recognize: {}\n", r.text.trim()));
        }
        if let Some(t) = &src.timestamp {
            s.push_str(&format!("    timestamp: {t}\n"));
        }
        let keys = keys_of(src, sel);
        for key in &keys {
            let t = &src.targets[*key];
            if let Some(why) = &t.unavailable {
                s.push_str(&format!("    {key}: unavailable: {why}\n"));
                continue;
            }
            let what = t
                .table
                .clone()
                .or_else(|| t.base.clone())
                .unwrap_or_default();
            s.push_str(&format!("    {key}: {what}\n"));
            if let Some(f) = &t.filter {
                s.push_str(&format!("        rows: {f}\n"));
            }
            if t.recognize {
                s.push_str("        rows: the source's recognize, compiled for this target\n");
            }
            if let Some(ts) = &t.timestamp {
                s.push_str(&format!("        time: {ts}\n"));
            }
            if let Some(i) = &t.index {
                s.push_str(&format!("        default index: {i}\n"));
            }
        }
        s.push_str("    fields:\n");
        let width = src.fields.keys().map(|k| k.len()).max().unwrap_or(0);
        let kw = keys.iter().map(|k| k.len()).max().unwrap_or(0);
        for (f, d) in &src.fields {
            let entity = d
                .entity
                .map(|e| format!("  ({})", e.name()))
                .unwrap_or_default();
            s.push_str(&format!("        {f:width$}  {}{entity}\n", d.ty().name()));
            if detailed {
                for key in &keys {
                    if src.targets[*key].unavailable.is_some() {
                        continue;
                    }
                    s.push_str(&format!(
                        "            {key:kw$}  {}\n",
                        mapping_text(src, key, f)
                    ));
                }
            }
        }
    }
    s
}

/// The same as JSON (for `tripline sources --json`): a list of sources.
pub fn describe_json(cat: &Catalog, sel: &Selection) -> Value {
    let mut out = Vec::new();
    for (name, src) in &cat.sources {
        if sel.source.is_some_and(|n| n != name) {
            continue;
        }
        let keys = keys_of(src, sel);
        let mut targets = serde_json::Map::new();
        for key in &keys {
            let t = &src.targets[*key];
            targets.insert(
                key.to_string(),
                json!({
                    "unavailable": t.unavailable,
                    "table": t.table,
                    "base": t.base,
                    "index": t.index,
                    "filter": t.filter,
                    "recognize": t.recognize,
                    "timestamp": t.timestamp,
                }),
            );
        }
        let fields: Vec<Value> = src
            .fields
            .iter()
            .map(|(f, d)| {
                let mut per = serde_json::Map::new();
                for key in &keys {
                    let v = match src.map_field(key, f) {
                        Ok(Mapped::Column(c)) => json!({"column": c}),
                        Ok(Mapped::Expr(e)) => json!({
                            "expr": e,
                            "column": src.column_of(key, f),
                        }),
                        Err(why) => json!({"unavailable": why}),
                    };
                    per.insert(key.to_string(), v);
                }
                let explicit: Vec<&str> = keys
                    .iter()
                    .copied()
                    .filter(|k| {
                        matches!(
                            src.targets[*k].fields.get(f),
                            Some(FieldMap::Full(_) | FieldMap::Column(_))
                        )
                    })
                    .collect();
                json!({
                    "name": f,
                    "type": d.ty().name(),
                    "description": d.description,
                    "entity": d.entity.map(|e| e.name()),
                    "targets": per,
                    "explicit": explicit,
                })
            })
            .collect();
        out.push(json!({
            "name": name,
            "description": src.description,
            "logsource": src.logsource,
            "record": src.record,
            "recognize": src.recognize.as_ref().map(|r| r.text.clone()),
            "timestamp": src.timestamp,
            "targets": targets,
            "fields": fields,
        }));
    }
    Value::Array(out)
}
