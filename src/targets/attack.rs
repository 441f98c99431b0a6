//! MITRE ATT&CK metadata for deployable artifacts: the tactics and techniques a rule's
//! `attack.*` tags name, in the forms the SIEMs' rule formats take, and ATT&CK's own
//! technique → tactic table ([`TABLE`], `attack/enterprise.tsv`: ATT&CK v18.1 Enterprise from
//! `mitre/cti`, with MITRE's attribution and license in its header) against which the
//! checker holds a rule's tags ([`tag_problems`]).

use std::sync::OnceLock;

use crate::ir::{self, Meta};
use crate::targets::{Ctx, TargetError};

/// ATT&CK Enterprise techniques and sub-techniques: `id<TAB>tactics<TAB>name` lines (tactics
/// comma-separated, as ATT&CK's short names), after `#` comment lines naming the source,
/// version and terms of use.
pub const TABLE: &str = include_str!("attack/enterprise.tsv");

/// The ATT&CK version of [`TABLE`].
pub const VERSION: &str = "18.1";

/// One technique of [`TABLE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// `T1027`, `T1562.001`.
    pub id: &'static str,
    /// Its tactics' short names (`defense-evasion`), in ATT&CK's order.
    pub tactics: Vec<&'static str>,
    /// Its name (`Obfuscated Files or Information`).
    pub name: &'static str,
}

/// Every technique of [`TABLE`], in its (id) order.
pub fn table() -> &'static [Technique] {
    static T: OnceLock<Vec<Technique>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| {
                let mut parts = l.split('\t');
                let (id, tactics, name) = (parts.next()?, parts.next()?, parts.next()?);
                Some(Technique {
                    id,
                    tactics: tactics.split(',').collect(),
                    name,
                })
            })
            .collect()
    })
}

/// The technique `id` (`T1027`, `T1562.001`; upper-case `T`), if ATT&CK has it.
pub fn technique(id: &str) -> Option<&'static Technique> {
    let t = table();
    t.binary_search_by(|x| x.id.cmp(id)).ok().map(|i| &t[i])
}

/// Tactic tags that stand for one of ATT&CK's tactics in [`TABLE`]: ATT&CK v19 split
/// Defense Evasion into Stealth and Defense Impairment, so either tag covers a technique of
/// `defense-evasion`.
const TACTIC_ALIASES: &[(&str, &str)] = &[
    ("stealth", "defense-evasion"),
    ("defense-impairment", "defense-evasion"),
];

/// What is wrong with a rule's ATT&CK tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// The tag (at this index of the tags) names a technique ATT&CK does not have.
    UnknownTechnique {
        /// Index into the tags.
        index: usize,
        /// `T1685`.
        id: String,
    },
    /// The technique's tactics are none of the rule's tactic tags.
    MissingTactic {
        /// Index into the tags.
        index: usize,
        /// The technique.
        technique: &'static Technique,
    },
}

/// The problems of a rule's ATT&CK tags, in tag order: every `attack.tNNNN[.NNN]` tag must
/// name a technique of [`TABLE`], and one of that technique's tactics must be among the
/// rule's `attack.<tactic>` tags. Tags of other forms are not looked at (the checker checks
/// their form).
pub fn tag_problems(tags: &[String]) -> Vec<TagProblem> {
    let tactics: Vec<&str> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .map(|t| {
            TACTIC_ALIASES
                .iter()
                .find(|(a, _)| *a == t)
                .map_or(t, |(_, to)| *to)
        })
        .collect();
    let mut out = Vec::new();
    for (index, tag) in tags.iter().enumerate() {
        let Some(id) = technique_id(tag) else {
            continue;
        };
        match technique(&id) {
            None => out.push(TagProblem::UnknownTechnique { index, id }),
            Some(t) if !t.tactics.iter().any(|x| tactics.contains(x)) => {
                out.push(TagProblem::MissingTactic {
                    index,
                    technique: t,
                })
            }
            Some(_) => {}
        }
    }
    out
}

/// The refusals of an artifact on `target` for the problems of the rule's ATT&CK tags
/// ([`tag_problems`]): an artifact publishes the rule's tactics and techniques, so they must
/// be ATT&CK's and agree with each other. None for a rule read from a Sigma file
/// ([`crate::targets::TargetOptions::sigma_input`]).
pub fn check_artifact(rule: &ir::Rule, ctx: &Ctx, target: &str) -> Result<(), Vec<TargetError>> {
    if ctx.opts.sigma_input {
        return Ok(());
    }
    let tags = &rule.meta.tags;
    let errors: Vec<TargetError> = tag_problems(tags)
        .into_iter()
        .map(|p| match p {
            TagProblem::UnknownTechnique { index, .. } => TargetError::UnknownTechnique {
                target: target.to_string(),
                tag: tags[index].clone(),
                version: VERSION,
                span: rule.span.into(),
            },
            TagProblem::MissingTactic { index, technique } => {
                let wanted: Vec<String> = technique
                    .tactics
                    .iter()
                    .map(|t| format!("`attack.{t}`"))
                    .collect();
                let help = match wanted.as_slice() {
                    [one] => format!("add the tactic tag {one}"),
                    many => format!("add one of the tactic tags {}", many.join(", ")),
                };
                TargetError::AttackMismatch {
                    target: target.to_string(),
                    what: format!(
                        "the tag `{}` ({} {}) belongs to {}",
                        tags[index],
                        technique.id,
                        technique.name,
                        technique.tactics.join(", ")
                    ),
                    span: rule.span.into(),
                    help,
                }
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `attack.t1114.002` → `T1114.002`; `None` for a tag that is not a technique's.
fn technique_id(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("attack.t")?;
    let (main, sub) = match rest.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(main, 4) && sub.is_none_or(|s| digits(s, 3))).then(|| format!("T{rest}"))
}

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
        let Some(id) = technique_id(tag) else {
            continue;
        };
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
    fn the_table_is_sorted_and_names_known_tactics() {
        let t = table();
        assert!(t.len() > 600, "{}", t.len());
        assert!(t.windows(2).all(|w| w[0].id < w[1].id));
        for x in t {
            assert!(!x.name.is_empty() && !x.tactics.is_empty(), "{x:?}");
            for tac in &x.tactics {
                assert!(crate::check::TACTICS.contains(tac), "{}: {tac}", x.id);
            }
        }
        let obf = technique("T1027").expect("T1027");
        assert_eq!(obf.tactics, ["defense-evasion"]);
        assert_eq!(obf.name, "Obfuscated Files or Information");
        assert_eq!(technique("T1003.001").map(|t| t.name), Some("LSASS Memory"));
        assert!(technique("T9999").is_none());
        assert!(TABLE.contains("Terms of use") || TABLE.contains("terms of use"));
    }

    #[test]
    fn tag_problems_name_unknown_techniques_and_missing_tactics() {
        let tags = |t: &[&str]| -> Vec<String> { t.iter().map(|s| s.to_string()).collect() };
        // T1027 is Defense Evasion only.
        let p = tag_problems(&tags(&["attack.execution", "attack.t1027", "attack.t9999"]));
        assert_eq!(p.len(), 2, "{p:?}");
        match &p[0] {
            TagProblem::MissingTactic { index, technique } => {
                assert_eq!(*index, 1);
                assert_eq!(technique.id, "T1027");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p[1],
            TagProblem::UnknownTechnique {
                index: 2,
                id: "T9999".into()
            }
        );
        // One of a technique's tactics is enough; stealth and defense-impairment stand for
        // defense-evasion; other tags are not looked at.
        assert!(tag_problems(&tags(&["attack.persistence", "attack.t1078"])).is_empty());
        assert!(tag_problems(&tags(&["attack.stealth", "attack.t1027"])).is_empty());
        assert!(tag_problems(&tags(&["attack.defense-impairment", "attack.t1562.001"])).is_empty());
        assert!(tag_problems(&tags(&["attack.g0016", "cve.2023-1234", "attack.s0002"])).is_empty());
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
