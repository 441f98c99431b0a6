//! Checks of the rule library under `rules/` that do not need the parser: imports resolve,
//! every rule names a catalog source, ids are unique random UUIDs, and the metadata that the
//! library promises (SigmaHQ conventions) is there. Once `tripline::syntax` exists, compiling
//! every file for every target is the real test; this one stays as a cheap guard.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tripline::catalog::Catalog;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn trip_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(rules_dir())
        .into_iter()
        .map(|e| e.expect("walk rules/"))
        .filter(|e| e.path().extension().is_some_and(|x| x == "trip"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// One `rule name { ... }` block: its name and its lines (without the braces).
struct RuleBlock {
    file: PathBuf,
    name: String,
    body: Vec<String>,
}

impl RuleBlock {
    /// The text after a metadata key at the start of a line, if the key is there.
    fn meta(&self, key: &str) -> Option<String> {
        self.body.iter().find_map(|l| {
            let t = l.trim_start();
            let rest = t.strip_prefix(key)?;
            rest.starts_with(char::is_whitespace)
                .then(|| rest.trim().to_string())
        })
    }

    /// The metadata value with its continuation lines (lines ending in a comma continue).
    fn meta_list(&self, key: &str) -> Option<String> {
        let start = self.body.iter().position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.starts_with(char::is_whitespace))
        })?;
        let mut text = self.body[start].trim_start()[key.len()..]
            .trim()
            .to_string();
        let mut i = start;
        while text.ends_with(',') && i + 1 < self.body.len() {
            i += 1;
            text.push(' ');
            text.push_str(self.body[i].trim());
        }
        Some(text)
    }

    fn description(&self) -> String {
        let start = self
            .body
            .iter()
            .position(|l| l.trim_start().starts_with("description"))
            .unwrap_or_else(|| panic!("{}: no description", self.name));
        let mut out = String::new();
        for l in &self.body[start + 1..] {
            if l.trim() == "\"\"\"" {
                break;
            }
            out.push_str(l.trim());
            out.push(' ');
        }
        out
    }
}

fn rule_blocks(path: &Path) -> Vec<RuleBlock> {
    let text = std::fs::read_to_string(path).expect("read .trip");
    let mut out = Vec::new();
    let mut cur: Option<RuleBlock> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("rule ") {
            assert!(cur.is_none(), "{}: nested rule", path.display());
            let name = rest.trim_end_matches('{').trim().to_string();
            cur = Some(RuleBlock {
                file: path.to_path_buf(),
                name,
                body: Vec::new(),
            });
        } else if line == "}" {
            out.push(cur.take().expect("closing brace without rule"));
        } else if let Some(r) = cur.as_mut() {
            r.body.push(line.to_string());
        }
    }
    assert!(cur.is_none(), "{}: unterminated rule", path.display());
    out
}

fn all_rules() -> Vec<RuleBlock> {
    trip_files().iter().flat_map(|p| rule_blocks(p)).collect()
}

#[test]
fn the_library_has_the_promised_rules() {
    let rules = all_rules();
    assert!(rules.len() >= 12, "only {} rules", rules.len());
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    for want in [
        "mail_items_accessed_by_unexpected_app",
        "inbox_rule_forwards_or_redirects_mail",
        "signin_legacy_authentication_success",
        "oauth_consent_to_application",
        "powershell_encoded_command",
        "certutil_download",
        "lsass_memory_access",
        "outbound_uncommon_port_public_ip",
    ] {
        assert!(names.contains(&want), "missing rule {want}");
    }
    for dir in ["m365", "azure", "windows", "lists"] {
        assert!(rules_dir().join(dir).is_dir(), "no rules/{dir}");
    }
}

#[test]
fn imports_resolve() {
    for file in trip_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("import ") else {
                continue;
            };
            let target = rest.trim().trim_matches('"');
            let resolved = file.parent().unwrap().join(target);
            assert!(
                resolved.is_file(),
                "{}: import {target} does not resolve",
                file.display()
            );
        }
    }
}

#[test]
fn storm_0558_rule_imports_the_five_first_party_app_ids() {
    let list = std::fs::read_to_string(rules_dir().join("lists/microsoft_first_party_apps.trip"))
        .expect("the shared list file");
    assert!(list.contains("list microsoft_first_party_apps = ["));
    for id in [
        "00000002-0000-0ff1-ce00-000000000000",
        "00000003-0000-0000-c000-000000000000",
        "5d661950-3475-41cd-a2c3-d671a3162bc1",
        "27922004-5251-4030-b22d-91ecd9a37ea4",
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    ] {
        assert_eq!(list.matches(id).count(), 1, "{id}");
    }
    let rule = std::fs::read_to_string(
        rules_dir().join("m365/mail_items_accessed_by_unexpected_app.trip"),
    )
    .unwrap();
    assert!(rule.starts_with("import \"../lists/microsoft_first_party_apps.trip\"\n"));
    assert!(rule.contains("AppId not in microsoft_first_party_apps"));
}

#[test]
fn every_rule_has_full_metadata() {
    let catalog = Catalog::builtin();
    let mut ids: BTreeMap<uuid::Uuid, String> = BTreeMap::new();
    for r in all_rules() {
        let what = format!("{} ({})", r.name, r.file.display());
        assert!(
            r.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{what}: rule name"
        );
        let stem = r.file.file_stem().unwrap().to_str().unwrap();
        assert_eq!(stem, r.name, "{what}: file name should be the rule name");

        let title = r.meta("title").unwrap_or_else(|| panic!("{what}: title"));
        assert!(
            title.starts_with('"') && title.len() <= 258,
            "{what}: title"
        );

        let id = r.meta("id").unwrap_or_else(|| panic!("{what}: id"));
        let uuid = uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{what}: id {e}"));
        assert_eq!(uuid.get_version_num(), 4, "{what}: id is not a random UUID");
        assert_eq!(
            uuid.hyphenated().to_string(),
            id,
            "{what}: id not lowercase"
        );
        if let Some(other) = ids.insert(uuid, r.name.clone()) {
            panic!("{what}: id also used by {other}");
        }

        let status = r.meta("status").unwrap_or_else(|| panic!("{what}: status"));
        assert!(
            [
                "stable",
                "test",
                "experimental",
                "deprecated",
                "unsupported"
            ]
            .contains(&status.as_str()),
            "{what}: status {status}"
        );
        let level = r.meta("level").unwrap_or_else(|| panic!("{what}: level"));
        assert!(
            ["informational", "low", "medium", "high", "critical"].contains(&level.as_str()),
            "{what}: level {level}"
        );
        let date = r.meta("date").unwrap_or_else(|| panic!("{what}: date"));
        assert!(
            date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
            "{what}: date {date}"
        );
        for key in ["author", "references", "falsepositives"] {
            let v = r.meta_list(key).unwrap_or_else(|| panic!("{what}: {key}"));
            assert!(v.starts_with('"') && v.ends_with('"'), "{what}: {key} {v}");
        }
        for reference in r.meta_list("references").unwrap().split(", ") {
            assert!(
                reference.starts_with("\"https://"),
                "{what}: reference {reference}"
            );
        }

        let tags = r
            .meta_list("tags")
            .unwrap_or_else(|| panic!("{what}: tags"));
        let mut has_technique = false;
        for tag in tags.split(',').map(str::trim) {
            let rest = tag
                .strip_prefix("attack.")
                .unwrap_or_else(|| panic!("{what}: tag {tag}"));
            if let Some(num) = rest.strip_prefix('t') {
                has_technique = true;
                let (main, sub) = num.split_once('.').unwrap_or((num, "000"));
                assert!(
                    main.len() == 4
                        && sub.len() == 3
                        && main.chars().chain(sub.chars()).all(|c| c.is_ascii_digit()),
                    "{what}: technique tag {tag}"
                );
            } else {
                assert!(
                    rest.split('-')
                        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())),
                    "{what}: tactic tag {tag}"
                );
            }
        }
        assert!(has_technique, "{what}: no ATT&CK technique tag");

        let description = r.description();
        assert!(
            description.starts_with("Detects "),
            "{what}: description must start with Detects"
        );

        let source = r.meta("source").unwrap_or_else(|| panic!("{what}: source"));
        assert!(
            catalog.sources.contains_key(&source),
            "{what}: source {source} is not in the catalog"
        );
        assert!(
            r.body.iter().any(|l| l.trim_start().starts_with("match ")),
            "{what}: no match"
        );
    }
}
