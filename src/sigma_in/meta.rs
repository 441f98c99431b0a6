//! The rule's metadata (title, id, status, level, tags, references, ...) as IR metadata.

use super::*;

pub(super) fn meta(doc: &serde_json::Map<String, Value>, title: String) -> ir::Meta {
    let s = |k: &str| scalar_text(doc.get(k)).unwrap_or_default();
    let authors = match doc.get("author") {
        Some(Value::String(a)) => a
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        other => str_list(other),
    };
    let related = match doc.get("related") {
        Some(Value::Array(xs)) => xs
            .iter()
            .filter_map(|x| Some((scalar_text(x.get("type"))?, scalar_text(x.get("id"))?)))
            .collect(),
        _ => Vec::new(),
    };
    ir::Meta {
        title,
        id: s("id").to_lowercase(),
        status: s("status"),
        level: s("level"),
        description: s("description").trim().to_string(),
        authors,
        // Older rules write dates YYYY/MM/DD; Sigma's form is YYYY-MM-DD.
        date: s("date").replace('/', "-"),
        modified: scalar_text(doc.get("modified")).map(|d| d.replace('/', "-")),
        tags: str_list(doc.get("tags")),
        references: str_list(doc.get("references")),
        falsepositives: str_list(doc.get("falsepositives")),
        related,
        fields: str_list(doc.get("fields")),
    }
}
