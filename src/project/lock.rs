//! `tripline.lock`: per rule id, its version, a hash of its meaning and the hash of every
//! file the build wrote for it. A rule's version goes up by one when its meaning changes;
//! formatting, comments and test cases do not change the meaning.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ir;

/// The lock file's name, beside `tripline.toml`.
pub const FILE: &str = "tripline.lock";

/// The lock format's version.
pub const FORMAT: u32 = 1;

/// The whole lock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The format version ([`FORMAT`]).
    pub lock_version: u32,
    /// Entries by rule id.
    pub rules: BTreeMap<String, Entry>,
}

/// One rule's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The rule's name.
    pub name: String,
    /// The file it is written in, relative to the project root.
    pub path: String,
    /// Starts at 1; one more each time the meaning changes.
    pub version: u32,
    /// `sha256:` of the rule's meaning ([`meaning`]).
    pub meaning: String,
    /// Each file written for it, relative to the project root, with its `sha256:`.
    pub outputs: BTreeMap<String, String>,
    /// Targets it is not deployed to, with the code that says why.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, String>,
}

impl Lock {
    /// The lock as written: pretty JSON, keys in order, one trailing newline.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Read a lock file's text.
    pub fn from_text(text: &str) -> Result<Lock, String> {
        let lock: Lock = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if lock.lock_version != FORMAT {
            return Err(format!(
                "lock format {} is not {FORMAT}, the one this tripline writes",
                lock.lock_version
            ));
        }
        Ok(lock)
    }
}

/// `sha256:<hex>` of some bytes.
pub fn hash(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The hash of what a rule means: its IR (name, metadata, source, expression and stage)
/// without spans or test cases, so layout, comments and tests do not change it.
pub fn meaning(rule: &ir::Rule) -> String {
    let mut v = ir::without_spans(rule);
    if let Some(o) = v.as_object_mut() {
        for k in ["tests", "test_files", "stream_tests"] {
            o.shift_remove(k);
        }
    }
    hash(v.to_string().as_bytes())
}

/// The version a rule gets: 1 when new, the same when its meaning is unchanged, one more
/// when it changed.
pub fn next_version(old: Option<&Entry>, meaning: &str) -> u32 {
    match old {
        None => 1,
        Some(e) if e.meaning == meaning => e.version,
        Some(e) => e.version + 1,
    }
}
