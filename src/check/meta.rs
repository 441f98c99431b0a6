//! Rule metadata checks.

use super::{did_you_mean, CheckError};
use crate::ir::{Meta, Span};
use crate::syntax::ast::{MetaEntry, MetaValue, RuleDecl};

/// The metadata keys a rule may have.
pub const KEYS: &[&str] = &[
    "title",
    "id",
    "status",
    "level",
    "description",
    "author",
    "date",
    "modified",
    "tags",
    "references",
    "falsepositives",
    "related",
    "fields",
];
/// The values of `status`.
pub const STATUS: &[&str] = &[
    "stable",
    "test",
    "experimental",
    "deprecated",
    "unsupported",
];
/// The values of `level`.
pub const LEVEL: &[&str] = &["informational", "low", "medium", "high", "critical"];
/// The kinds of link `related` names.
pub const RELATED: &[&str] = &["derived", "obsolete", "merged", "renamed", "similar"];
/// ATT&CK tactics as Sigma tags write them.
pub const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "defense-impairment",
    "stealth",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// Check a rule's metadata; every error goes to `err`. `None` when anything was wrong.
pub fn check(r: &RuleDecl, err: &mut dyn FnMut(CheckError)) -> Option<Meta> {
    let mut errs = Vec::new();
    let meta = read(r, &mut errs);
    let ok = errs.is_empty();
    errs.into_iter().for_each(err);
    ok.then_some(meta)
}

/// The metadata of a rule; every problem goes to `errs`, in the order found.
fn read(r: &RuleDecl, errs: &mut Vec<CheckError>) -> Meta {
    let mut seen: Vec<&str> = Vec::new();
    let mut meta = Meta::default();
    for e in &r.meta {
        let key = e.key.name.as_str();
        if !KEYS.contains(&key) {
            let help = did_you_mean(key, KEYS.iter().copied());
            errs.push(CheckError::UnknownKey {
                key: key.to_string(),
                span: e.key.span.into(),
                help,
            });
            continue;
        }
        if seen.contains(&key) {
            errs.push(CheckError::DuplicateEntry {
                key: key.to_string(),
                span: e.key.span.into(),
            });
            continue;
        }
        seen.push(key);
        let single = matches!(
            key,
            "title" | "id" | "status" | "level" | "description" | "date" | "modified"
        );
        if single && e.values.len() > 1 {
            let span = e.values[1].text().1;
            errs.push(bad_meta(key, "takes a single value", span, None));
            continue;
        }
        entry(key, e, &mut meta, errs);
        // Multi-valued keys must not hold empty strings.
        for v in &e.values {
            let (t, sp) = v.text();
            if t.trim().is_empty() && !single {
                errs.push(bad_meta(key, "empty value", sp, None));
            }
        }
    }
    for required in ["title", "id", "status", "level", "description", "date"] {
        if !seen.contains(&required) {
            errs.push(CheckError::MissingEntry {
                rule: r.name.name.clone(),
                key: required,
                span: r.name.span.into(),
            });
        }
    }
    if let (Some(m), true) = (&meta.modified, errs.is_empty()) {
        if m < &meta.date {
            let sp = r
                .meta
                .iter()
                .find(|e| e.key.name == "modified")
                .map(|e| e.values[0].text().1)
                .unwrap_or(r.name.span);
            errs.push(bad_meta(
                "modified",
                &format!("earlier than `date` ({})", meta.date),
                sp,
                None,
            ));
        }
    }
    meta
}

/// One metadata entry's value, checked and stored in `meta`.
fn entry(key: &str, e: &MetaEntry, meta: &mut Meta, errs: &mut Vec<CheckError>) {
    let (first, first_span) = e.values[0].text();
    match key {
        "title" => {
            if first.trim().is_empty() {
                errs.push(bad_meta(key, "empty title", first_span, None));
            } else if first.chars().count() > 256 {
                errs.push(bad_meta(
                    key,
                    "longer than 256 characters",
                    first_span,
                    None,
                ));
            } else if first.contains('\n') {
                errs.push(bad_meta(key, "a title is one line", first_span, None));
            }
            meta.title = first.to_string();
        }
        "description" => {
            if first.trim().is_empty() {
                errs.push(bad_meta(key, "empty description", first_span, None));
            }
            meta.description = first.to_string();
        }
        "id" => match uuid::Uuid::try_parse(first) {
            Ok(u) if first.len() == 36 => meta.id = u.hyphenated().to_string(),
            _ => errs.push(CheckError::BadUuid {
                value: first.to_string(),
                span: first_span.into(),
            }),
        },
        "status" | "level" => {
            let allowed = if key == "status" { STATUS } else { LEVEL };
            if !allowed.contains(&first) {
                let help = did_you_mean(first, allowed.iter().copied())
                    .unwrap_or_else(|| format!("one of: {}", allowed.join(", ")));
                errs.push(bad_meta(
                    key,
                    &format!("`{first}` is not allowed"),
                    first_span,
                    Some(help),
                ));
            }
            if key == "status" {
                meta.status = first.to_string();
            } else {
                meta.level = first.to_string();
            }
        }
        "date" | "modified" => {
            if !valid_date(first) {
                errs.push(CheckError::BadDate {
                    value: first.to_string(),
                    span: first_span.into(),
                });
            }
            if key == "date" {
                meta.date = first.to_string();
            } else {
                meta.modified = Some(first.to_string());
            }
        }
        "tags" => {
            for v in &e.values {
                let (t, sp) = v.text();
                if let Err((reason, help)) = check_tag(t) {
                    errs.push(CheckError::BadTag {
                        value: t.to_string(),
                        reason,
                        span: sp.into(),
                        help,
                    });
                }
                meta.tags.push(t.to_string());
            }
        }
        "author" => meta.authors = strings(e),
        "references" => meta.references = strings(e),
        "falsepositives" => meta.falsepositives = strings(e),
        "fields" => meta.fields = strings(e),
        "related" => related(e, meta, errs),
        _ => {}
    }
}

fn strings(e: &MetaEntry) -> Vec<String> {
    e.values
        .iter()
        .map(|v| match v {
            MetaValue::Str(s) => s.value.clone(),
            MetaValue::Bare(i) => i.name.clone(),
        })
        .collect()
}

fn bad_meta(key: &str, reason: &str, span: Span, help: Option<String>) -> CheckError {
    CheckError::BadMetadata {
        key: key.to_string(),
        reason: reason.to_string(),
        span: span.into(),
        help,
    }
}

/// `YYYY-MM-DD` naming a day that exists.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = &s[r];
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1970 && d >= 1 && d <= days
}

/// Check a tag's form: lowercase `namespace.value`; `attack.*` must be a technique,
/// sub-technique, group, software, campaign or tactic.
pub fn check_tag(t: &str) -> Result<(), (String, Option<String>)> {
    let Some((ns, rest)) = t.split_once('.') else {
        return Err((
            "a tag is `namespace.value`".into(),
            Some("e.g. attack.t1114.002 or attack.collection".into()),
        ));
    };
    let okchars = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(&c))
    };
    if !okchars(ns) || !okchars(rest) {
        return Err((
            "tags are lowercase letters, digits, `-`, `_` and `.`".into(),
            Some(format!("write `{}`", t.to_lowercase())),
        ));
    }
    if ns != "attack" {
        return Ok(());
    }
    let id = |prefix: u8, s: &str| {
        let b = s.as_bytes();
        b.len() == 5 && b[0] == prefix && b[1..].iter().all(u8::is_ascii_digit)
    };
    let technique = match rest.split_once('.') {
        None => id(b't', rest),
        Some((t, sub)) => id(b't', t) && sub.len() == 3 && sub.bytes().all(|c| c.is_ascii_digit()),
    };
    // ATT&CK data sources are DSnnnn.
    let data_source =
        rest.len() == 6 && rest.starts_with("ds") && rest[2..].bytes().all(|c| c.is_ascii_digit());
    if technique
        || data_source
        || id(b'g', rest)
        || id(b's', rest)
        || id(b'c', rest)
        || TACTICS.contains(&rest)
    {
        return Ok(());
    }
    let help = did_you_mean(rest, TACTICS.iter().copied())
        .map(|h| h.replace('`', "`attack.").replacen("`attack.?", "`?", 1))
        .or_else(|| {
            Some("ATT&CK tags are attack.tNNNN, attack.tNNNN.NNN, attack.gNNNN, attack.sNNNN or a tactic such as attack.initial-access".into())
        });
    Err((
        "not an ATT&CK technique, group, software or tactic".into(),
        help,
    ))
}

/// `related <type> <uuid>, …`.
fn related(e: &MetaEntry, meta: &mut Meta, errs: &mut Vec<CheckError>) {
    let key = "related";
    for v in &e.values {
        let (t, sp) = v.text();
        let parts: Vec<&str> = t.split_whitespace().collect();
        let good = parts.len() == 2
            && RELATED.contains(&parts[0])
            && uuid::Uuid::try_parse(parts[1]).is_ok();
        if good {
            meta.related
                .push((parts[0].to_string(), parts[1].to_lowercase()));
        } else {
            errs.push(bad_meta(
                key,
                "expected \"<type> <uuid>\"",
                sp,
                Some(format!("type is one of: {}", RELATED.join(", "))),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(valid_date("2023-07-12"));
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("1900-02-29"));
        assert!(!valid_date("2023-13-01"));
        assert!(!valid_date("2023-04-31"));
        assert!(!valid_date("2023-7-12"));
        assert!(!valid_date("2023-07-1a"));
    }

    #[test]
    fn tags() {
        assert!(check_tag("attack.t1114.002").is_ok());
        assert!(check_tag("attack.t1114").is_ok());
        assert!(check_tag("attack.initial-access").is_ok());
        assert!(check_tag("attack.g0016").is_ok());
        assert!(check_tag("cve.2023-1234").is_ok());
        assert!(check_tag("attack.T1114").is_err());
        assert!(check_tag("attack.t111").is_err());
        assert!(check_tag("attack.t1114.02").is_err());
        assert!(check_tag("attack.initial_access").is_err());
        assert!(check_tag("collection").is_err());
    }
}
