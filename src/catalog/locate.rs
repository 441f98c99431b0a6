//! Where a key of a catalog file is: the place of a YAML path in the file's text (block and
//! flow style), so that every diagnostic gets a span without a position-keeping YAML parser.

/// Where the key at `path` is written: (byte offset, length), or (0, 0) when not found.
/// Follows block maps by indentation and flow maps (`{a: b}`) on one line.
pub(super) fn locate(text: &str, path: &[&str]) -> (usize, usize) {
    let mut from = 0usize;
    let mut parent_indent: Option<usize> = None;
    let mut found = (0, 0);
    for seg in path {
        let mut hit = None;
        let mut pos = from;
        for line in text[from..].split_inclusive('\n') {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let content = trimmed.trim_end();
            if content.is_empty() || content.starts_with('#') {
                pos += line.len();
                continue;
            }
            if pos > from {
                if let Some(pi) = parent_indent {
                    if indent <= pi {
                        break;
                    }
                }
            }
            if let Some(at) = key_in_line(line, seg) {
                hit = Some((pos + at, seg.len(), indent));
                break;
            }
            pos += line.len();
        }
        match hit {
            Some((at, len, indent)) => {
                found = (at, len);
                from = at;
                parent_indent = Some(indent);
            }
            None => return found,
        }
    }
    found
}

/// The offset of `key:` (bare or quoted) in `line`, at a key position.
pub(super) fn key_in_line(line: &str, key: &str) -> Option<usize> {
    for quote in ["", "'", "\""] {
        let pat = format!("{quote}{key}{quote}:");
        let mut start = 0;
        while let Some(i) = line[start..].find(&pat) {
            let at = start + i;
            let before = line[..at].trim_end();
            let ok = before.is_empty()
                || before.ends_with('{')
                || before.ends_with(',')
                || before.ends_with("- ")
                || before == "-";
            if ok {
                return Some(at + quote.len());
            }
            start = at + 1;
        }
    }
    None
}

/// Where the value `text` of the key at `key_at` starts (for labels inside it).
pub(super) fn value_offset(file: &str, key_at: usize, text: &str) -> usize {
    let probe: String = text.chars().take(12).collect();
    file[key_at..]
        .find(&probe)
        .map(|i| key_at + i)
        .unwrap_or(key_at)
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_block_and_flow_keys() {
        let t = "sources:\n  a.b:\n    fields:\n      X: string\n    targets:\n      kql.sentinal: {table: T}\n  c.d:\n    fields: {Y: {type: nope}}\n";
        let (at, len) = locate(t, &["sources", "a.b", "targets", "kql.sentinal"]);
        assert_eq!(&t[at..at + len], "kql.sentinal");
        let (at, _) = locate(t, &["sources", "c.d", "fields", "Y", "type"]);
        assert!(t[at..].starts_with("type: nope"));
        let (at, _) = locate(t, &["sources", "c.d", "fields", "X"]);
        assert!(
            t[at..].starts_with("fields"),
            "falls back to the deepest key found"
        );
    }
}
