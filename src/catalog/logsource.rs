//! Which catalog source a Sigma `logsource` names.
//!
//! The rule: a source matches when its `product`, `category` and `service` are exactly the
//! logsource's (compared case-insensitively; `definition` and custom attributes are ignored).
//! Without an exact match, the most specific source whose keys all appear in the logsource
//! with the same values is taken (a `{product: linux}` source for a logsource
//! `{product: linux, service: cron}`); when two are equally specific there is no match.

use indexmap::IndexMap;

use super::Catalog;

/// The keys that decide a match.
const KEYS: [&str; 3] = ["product", "category", "service"];

fn keys(ls: &IndexMap<String, String>) -> Vec<(&'static str, String)> {
    KEYS.iter()
        .filter_map(|k| ls.get(*k).map(|v| (*k, v.to_lowercase())))
        .collect()
}

impl Catalog {
    /// The name of the source `logsource` names, by the rule above.
    pub fn source_for_logsource(&self, logsource: &IndexMap<String, String>) -> Option<&str> {
        let want = keys(logsource);
        if want.is_empty() {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        let mut tie = false;
        for (name, src) in &self.sources {
            let have = keys(&src.logsource);
            if have.is_empty() {
                continue;
            }
            if have == want {
                return Some(name);
            }
            if have.iter().all(|kv| want.contains(kv)) {
                match best {
                    Some((n, _)) if n == have.len() => tie = true,
                    Some((n, _)) if n > have.len() => {}
                    _ => {
                        best = Some((have.len(), name));
                        tie = false;
                    }
                }
            }
        }
        if tie {
            None
        } else {
            best.map(|(_, n)| n)
        }
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use crate::catalog::Catalog;

    fn ls(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn exact_then_most_specific() {
        let cat = Catalog::builtin();
        let find = |p: &[(&str, &str)]| cat.source_for_logsource(&ls(p)).map(str::to_string);
        assert_eq!(
            find(&[("category", "process_creation"), ("product", "windows")]).as_deref(),
            Some("windows.process_creation")
        );
        assert_eq!(
            find(&[
                ("product", "Windows"),
                ("service", "Security"),
                ("definition", "x")
            ])
            .as_deref(),
            Some("windows.security")
        );
        assert_eq!(find(&[("product", "nothing-like-it")]), None);
        assert_eq!(find(&[]), None);
    }
}
