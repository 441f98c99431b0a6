//! MITRE ATT&CK metadata for deployable artifacts: the tactics and techniques a rule's
//! `attack.*` tags name, in the forms the SIEMs' rule formats take.

use crate::ir::Meta;

/// Tactic tags (as the checker accepts them) and the tactic names Microsoft Sentinel and
/// Defender XDR take (CamelCase, as in Sentinel's `tactics` and Defender's alert `category`).
///
/// ATT&CK's `stealth` and `defense-impairment` (the two halves of what was Defense Evasion)
/// are not among the tactics Sentinel accepts; they are written `DefenseEvasion`.
const TACTICS: &[(&str, &str)] = &[
    ("reconnaissance", "Reconnaissance"),
    ("resource-development", "ResourceDevelopment"),
    ("initial-access", "InitialAccess"),
    ("execution", "Execution"),
    ("persistence", "Persistence"),
    ("privilege-escalation", "PrivilegeEscalation"),
    ("defense-evasion", "DefenseEvasion"),
    ("defense-impairment", "DefenseEvasion"),
    ("stealth", "DefenseEvasion"),
    ("credential-access", "CredentialAccess"),
    ("discovery", "Discovery"),
    ("lateral-movement", "LateralMovement"),
    ("collection", "Collection"),
    ("command-and-control", "CommandAndControl"),
    ("exfiltration", "Exfiltration"),
    ("impact", "Impact"),
];

/// The tactics of the rule's `attack.<tactic>` tags, CamelCase, in tag order, each once.
pub fn tactics(meta: &Meta) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for tag in &meta.tags {
        let Some(rest) = tag.strip_prefix("attack.") else {
            continue;
        };
        if let Some((_, name)) = TACTICS.iter().find(|(t, _)| *t == rest) {
            if !out.contains(name) {
                out.push(name);
            }
        }
    }
    out
}

/// The techniques of the rule's `attack.tNNNN` / `attack.tNNNN.NNN` tags, with an upper-case
/// `T` (`T1114.002`), in tag order, each once.
pub fn techniques(meta: &Meta) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in &meta.tags {
        let Some(rest) = tag.strip_prefix("attack.t") else {
            continue;
        };
        let (main, sub) = match rest.split_once('.') {
            Some((m, s)) => (m, Some(s)),
            None => (rest, None),
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(main, 4) || !sub.is_none_or(|s| digits(s, 3)) {
            continue;
        }
        let id = format!("T{rest}");
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(tags: &[&str]) -> Meta {
        Meta {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Meta::default()
        }
    }

    #[test]
    fn tactics_are_camel_case_in_tag_order_once() {
        let m = meta(&[
            "attack.t1114.002",
            "attack.initial-access",
            "attack.command-and-control",
            "attack.initial-access",
            "attack.g0016",
            "attack.stealth",
            "attack.defense-evasion",
            "cve.2023-1234",
        ]);
        assert_eq!(
            tactics(&m),
            ["InitialAccess", "CommandAndControl", "DefenseEvasion"]
        );
    }

    #[test]
    fn every_tactic_the_checker_accepts_has_a_name() {
        for tag in crate::check::TACTICS {
            assert_eq!(
                tactics(&meta(&[&format!("attack.{tag}")])).len(),
                1,
                "{tag}"
            );
        }
        assert_eq!(TACTICS.len(), crate::check::TACTICS.len());
    }

    #[test]
    fn techniques_are_upper_case_once() {
        let m = meta(&[
            "attack.collection",
            "attack.t1114.002",
            "attack.t1606",
            "attack.t1114.002",
            "attack.s0002",
            "attack.ta0001",
        ]);
        assert_eq!(techniques(&m), ["T1114.002", "T1606"]);
    }
}
