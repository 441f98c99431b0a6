//! How `hunt` writes what it finds: JSON Lines (one object per match or alert), CSV, or
//! a plain table with fixed columns (so it streams).

use serde_json::{json, Value};

use super::worker::Found;
use crate::eval::stage::Alert;
use crate::ir::Rule;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `{"rule","level","file","line","time","event"}` per match and
    /// `{"rule","level","alert"}` per alert.
    #[default]
    Jsonl,
    /// `rule,level,time,file,line,details` with a header.
    Csv,
    /// Columns `RULE LEVEL TIME WHERE DETAILS`, space-padded.
    Table,
}

/// The header line, if the format has one.
pub fn header(f: Format) -> Option<String> {
    match f {
        Format::Jsonl => None,
        Format::Csv => Some("rule,level,time,file,line,details\n".into()),
        Format::Table => Some(row(&["RULE", "LEVEL", "TIME", "WHERE", "DETAILS"])),
    }
}

/// One match.
pub fn found(f: Format, rule: &Rule, file: &str, m: &Found) -> String {
    let details = pairs(m.keys.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let time = m.time.clone().unwrap_or_default();
    match f {
        Format::Jsonl => {
            let mut o = serde_json::Map::new();
            o.insert("rule".into(), json!(rule.name));
            o.insert("level".into(), json!(rule.meta.level));
            o.insert("file".into(), json!(file));
            o.insert("line".into(), json!(m.at));
            if let Some(t) = &m.time {
                o.insert("time".into(), json!(t));
            }
            o.insert("event".into(), m.event.clone());
            Value::Object(o).to_string() + "\n"
        }
        Format::Csv => csv(&[
            &rule.name,
            &rule.meta.level,
            &time,
            file,
            &m.at.to_string(),
            &details,
        ]),
        Format::Table => row(&[
            &rule.name,
            &rule.meta.level,
            &time,
            &format!("{file}:{}", m.at),
            &details,
        ]),
    }
}

/// One alert of a stateful rule.
pub fn alert(f: Format, rule: &Rule, a: &Alert) -> String {
    let time = ["window_start", "first_seen", "start"]
        .iter()
        .find_map(|k| a.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    let details = pairs(a.iter().map(|(k, v)| {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        (k.as_str(), v)
    }));
    match f {
        Format::Jsonl => {
            json!({"rule": rule.name, "level": rule.meta.level, "alert": a}).to_string() + "\n"
        }
        Format::Csv => csv(&[&rule.name, &rule.meta.level, &time, "", "", &details]),
        Format::Table => row(&[&rule.name, &rule.meta.level, &time, "-", &details]),
    }
}

fn pairs<'a>(kv: impl Iterator<Item = (&'a str, String)>) -> String {
    kv.map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A CSV record (RFC 4180 quoting).
fn csv(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        })
        .collect();
    quoted.join(",") + "\n"
}

/// Fixed-width columns (rule 44, level 9, time 29, where 32), then the details; control
/// characters shown as spaces so a row stays one line.
fn row(cells: &[&str]) -> String {
    const WIDTHS: [usize; 4] = [44, 9, 29, 32];
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        let c: String = c
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .collect();
        match WIDTHS.get(i) {
            Some(w) => out.push_str(&format!("{c:<w$} ")),
            None => out.push_str(&c),
        }
    }
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(super::csv(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
    }
}
