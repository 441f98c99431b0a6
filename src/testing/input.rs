//! Reading event files: JSON Lines, JSON objects one after another, a JSON array, EVTX
//! exports as JSON and CloudTrail files (`{"Records": [...]}`): every JSON object found is
//! one event, with the line it starts on.

use serde_json::Value;

use super::BadLine;

/// One event read from a file.
#[derive(Debug, Clone)]
pub struct Event {
    /// 1-based line where the event's JSON value starts.
    pub line: usize,
    /// The event as written.
    pub value: Value,
}

/// Every event in `text`, and every part that is not JSON or not an object. A JSON array
/// (a Management API page, a JSON export) gives its elements; an object whose only array
/// is `Records` (a CloudTrail log file) gives the records.
pub fn read_events(text: &str) -> (Vec<Event>, Vec<BadLine>) {
    let (events, bad) = read_events_coded(text);
    (events, bad.into_iter().map(|(_, b)| b).collect())
}

/// [`read_events`], with a stable reason code beside each bad part: `not_json` (not JSON
/// text) or `not_object` (JSON, but not an object, nor an array or CloudTrail file of them).
pub fn read_events_coded(text: &str) -> (Vec<Event>, Vec<(&'static str, BadLine)>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let mut rest = 0usize;
    while rest < text.len() {
        let mut stream = serde_json::Deserializer::from_str(&text[rest..]).into_iter::<Value>();
        let start = rest;
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let end = start + stream.byte_offset();
                let line = line_at(start + leading_blank(&text[start..end]));
                push(v, line, &mut events, &mut bad);
                rest = end;
            }
            Some(Err(e)) => {
                // Skip to the next line and go on: one bad line never hides the others.
                let at = start + leading_blank(&text[start..]);
                bad.push((
                    "not_json",
                    BadLine {
                        line: line_at(at),
                        reason: e.to_string(),
                    },
                ));
                rest = match text[at..].find('\n') {
                    Some(i) => at + i + 1,
                    None => text.len(),
                };
            }
        }
    }
    (events, bad)
}

fn leading_blank(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

fn push(v: Value, line: usize, events: &mut Vec<Event>, bad: &mut Vec<(&'static str, BadLine)>) {
    match v {
        Value::Object(ref m) if is_cloudtrail_file(m) => {
            if let Some(Value::Array(rs)) = m.get("Records") {
                for r in rs {
                    push(r.clone(), line, events, bad);
                }
            }
        }
        Value::Object(_) => events.push(Event { line, value: v }),
        Value::Array(xs) => {
            for x in xs {
                match x {
                    Value::Object(_) => events.push(Event { line, value: x }),
                    _ => bad.push((
                        "not_object",
                        BadLine {
                            line,
                            reason: "an array element that is not a JSON object".into(),
                        },
                    )),
                }
            }
        }
        _ => bad.push((
            "not_object",
            BadLine {
                line,
                reason: "not a JSON object".into(),
            },
        )),
    }
}

/// `{"Records": [...]}` with nothing else but an optional digest: a CloudTrail log file.
pub fn is_cloudtrail_file(m: &serde_json::Map<String, Value>) -> bool {
    matches!(m.get("Records"), Some(Value::Array(_)))
        && m.keys().all(|k| k == "Records" || k == "Digest")
}

#[cfg(test)]
mod tests {
    use super::read_events;

    #[test]
    fn every_shape_gives_its_objects() {
        let jsonl = "{\"a\":1}\n\n{\"a\":2}\n";
        assert_eq!(read_events(jsonl).0.len(), 2);
        let concatenated = "{\"a\":1}{\"a\":2}\n{\n  \"a\": 3\n}\n";
        let (e, b) = read_events(concatenated);
        assert_eq!((e.len(), b.len()), (3, 0));
        assert_eq!(e[2].line, 2);
        let array = "[{\"a\":1},{\"a\":2}]";
        assert_eq!(read_events(array).0.len(), 2);
        let trail = "{\"Records\":[{\"eventName\":\"x\"},{\"eventName\":\"y\"}]}";
        assert_eq!(read_events(trail).0.len(), 2);
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let text = "{\"a\":1}\nnot json\n42\n{\"a\":2}\n";
        let (e, b) = read_events(text);
        assert_eq!(e.len(), 2);
        assert_eq!(b.iter().map(|b| b.line).collect::<Vec<_>>(), vec![2, 3]);
    }
}
