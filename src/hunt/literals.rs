//! Required literals: for an expression, a set of byte strings at least one of which occurs
//! in the raw JSON text of every event the expression matches. The hunting prefilter skips
//! an event whose text holds none of a rule's literals; this module is what makes that
//! skip sound.
//!
//! A literal is a run of printable ASCII taken from a value the rule compares with,
//! lower-cased, written as JSON writes it inside a string (`"` → `\"`, `\` → `\\`), and
//! matched ASCII-case-insensitively. Why that is sound, given how the evaluator compares:
//! - Case-insensitive comparisons fold both sides with Unicode lower-casing (strings) or
//!   simple case folding (globs). A folded value holds an ASCII run only where the raw
//!   value holds the same letters in some case, or one of the few non-ASCII letters that
//!   fold to ASCII ([`FOLDS_TO_ASCII`]); a line holding one of those is not prefiltered.
//! - JSON may also write any character as `\uXXXX` and `/` as `\/`; a line holding either
//!   escape is not prefiltered ([`super::prefilter::plain`]).
//! - A value the reader joins (`#text` arrays, joined with `\n`) holds a run without
//!   control characters only inside one part; runs never hold control characters.
//! - A number is compared through its text, which need not be written the same way in the
//!   event (`1e3` is `1000.0`), so a value made only of number characters gives no literal;
//!   so do `json` fields (compared through re-serialised JSON), regular expressions, and
//!   every test that is not a string comparison or a glob.
//! - With `keys`: a test on a field holds only when the field is there, so the event's
//!   text holds, as a key, the field's name (its last dotted segment) or, through a record
//!   shape, the last segment of one of the record's paths for it. A record's spread object
//!   may also give a field from a key with spaces (`Threat Name` → `ThreatName`): keys are
//!   only used for events whose text has no key with a space ([`spaced_key`]).

use crate::catalog::{Catalog, FieldType};
use crate::eval::fold;
use crate::ir::{Expr, Pred, Quant, Test};

/// Characters outside ASCII whose lower case or simple case folding holds an ASCII
/// letter: `İ` (U+0130, lower-cases to `i` + U+0307), `ſ` (U+017F, folds to `s`) and the
/// Kelvin sign (U+212A, `k`). Checked over every `char` by a test.
pub const FOLDS_TO_ASCII: [char; 3] = ['\u{130}', '\u{17f}', '\u{212a}'];

/// Literals shorter than this are not worth a prefilter pattern: the rule is then always
/// evaluated.
const MIN_LEN: usize = 3;

/// A set of alternatives: the expression can only match if one of them occurs.
pub type Alternatives = Vec<Vec<u8>>;

/// The required literals of `expr`, or `None` when it may match an event whose text holds
/// no particular literal. `rich` (for events whose text passes [`rich_ok`]) also takes
/// field names and whole numbers as literals.
pub fn required(expr: &Expr, rich: Option<&Catalog>) -> Option<Alternatives> {
    req(expr, rich).map(|l| l.alts)
}

/// A set with how it was found: from values (usually rare in events) or from field names
/// and numbers (usually common).
struct Lits {
    alts: Alternatives,
    weak: bool,
}

fn req(expr: &Expr, rich: Option<&Catalog>) -> Option<Lits> {
    match expr {
        Expr::Pred(p) => pred(p).map(|alts| Lits { alts, weak: false }).or_else(|| {
            number(p, rich.is_some())
                .or_else(|| key(p, rich))
                .map(|alts| Lits { alts, weak: true })
        }),
        Expr::Not(_) => None,
        Expr::And(xs) => xs.iter().filter_map(|x| req(x, rich)).max_by_key(strength),
        Expr::Or(xs) => {
            let mut all = Vec::new();
            let mut weak = false;
            for x in xs {
                let l = req(x, rich)?;
                weak |= l.weak;
                all.extend(l.alts);
            }
            all.sort();
            all.dedup();
            (!all.is_empty()).then_some(Lits { alts: all, weak })
        }
    }
}

/// How selective a set is: found from values, then its shortest literal (longer is rarer),
/// then fewer members.
fn strength(l: &Lits) -> (bool, usize, std::cmp::Reverse<usize>) {
    let shortest = l.alts.iter().map(Vec::len).min().unwrap_or(0);
    (!l.weak, shortest, std::cmp::Reverse(l.alts.len()))
}

/// The more selective of two optional sets (both must hold, so either one is required).
pub fn both(a: Option<Alternatives>, b: Option<Alternatives>) -> Option<Alternatives> {
    let s = |x: &Alternatives| {
        let shortest = x.iter().map(Vec::len).min().unwrap_or(0);
        (shortest, std::cmp::Reverse(x.len()))
    };
    match (a, b) {
        (Some(a), Some(b)) => Some(if s(&b) > s(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Whole numbers compared with `==`: the text of an event where the field equals one holds
/// its digits (as a JSON number `3389` or `3389.0`, or as text `"3389"`), unless the event
/// writes numbers with an exponent ([`rich_ok`] rules those events out).
fn number(p: &Pred, rich: bool) -> Option<Alternatives> {
    let Test::NumEq { values } = &p.test else {
        return None;
    };
    if !rich {
        return None;
    }
    values
        .iter()
        .map(|n| {
            let whole = n.value >= 0.0
                && n.value.fract() == 0.0
                && n.text.bytes().all(|b| b.is_ascii_digit());
            (whole && n.text.len() >= MIN_LEN).then(|| n.text.clone().into_bytes())
        })
        .collect::<Option<Vec<_>>>()
        .map(dedup)
}

/// The keys one of which the text of an event with the field holds (every test but
/// `not` needs the field present): its name, or a path a record reads it from.
fn key(p: &Pred, keys: Option<&Catalog>) -> Option<Alternatives> {
    let catalog = keys?;
    let name = p.field.name.as_str();
    let mut names = vec![name];
    for rec in catalog.records.values() {
        if let Some(paths) = rec.fields.get(name) {
            names.extend(paths.iter().map(String::as_str));
        }
    }
    let lits: Option<Vec<Vec<u8>>> = names
        .into_iter()
        .map(|n| run_of(n.rsplit('.').next().unwrap_or(n)))
        .collect();
    lits.map(dedup)
}

/// Whether field names and numbers may be used as literals for the JSON text `line`: it
/// has no object key holding a space, and no number written with an exponent.
pub fn rich_ok(line: &[u8]) -> bool {
    let mut i = 0;
    loop {
        let next = memchr::memchr(b'"', &line[i..]);
        // Between strings: structure, numbers, literals.
        let outside = &line[i..next.map_or(line.len(), |n| i + n)];
        if outside
            .windows(2)
            .any(|w| w[0].is_ascii_digit() && (w[1] == b'e' || w[1] == b'E'))
        {
            return false;
        }
        let Some(at) = next else { return true };
        let start = i + at + 1;
        // The end of the string: the next quote not escaped.
        let mut j = start;
        loop {
            match memchr::memchr2(b'"', b'\\', &line[j..]) {
                None => return false,
                Some(k) if line[j + k] == b'\\' => j += k + 2,
                Some(k) => {
                    j += k;
                    break;
                }
            }
            if j >= line.len() {
                return false;
            }
        }
        let body = &line[start..j];
        i = j + 1;
        if memchr::memchr(b' ', body).is_some() {
            let rest = line[i..].iter().find(|b| !b.is_ascii_whitespace());
            if rest == Some(&b':') {
                return false;
            }
        }
    }
}

fn pred(p: &Pred) -> Option<Alternatives> {
    if p.field.ty == FieldType::Json {
        return None;
    }
    match &p.test {
        Test::Str {
            values,
            quant,
            cased,
            ..
        } => {
            let lits: Option<Vec<Vec<u8>>> = values.iter().map(|v| value(v, *cased)).collect();
            match quant {
                // One value of each event is compared with every value: any one suffices.
                Quant::Any => lits.map(dedup),
                Quant::All => values
                    .iter()
                    .filter_map(|v| value(v, *cased))
                    .max_by_key(Vec::len)
                    .map(|l| vec![l]),
            }
        }
        Test::Glob { patterns, .. } => {
            let lits: Option<Vec<Vec<u8>>> = patterns
                .iter()
                .map(|g| g.split(['*', '?']).filter_map(run_of).max_by_key(Vec::len))
                .collect();
            lits.map(dedup)
        }
        _ => None,
    }
}

fn dedup(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v.dedup();
    v
}

/// The literal of one compared value (folded as the evaluator folds it when uncased).
fn value(v: &str, cased: bool) -> Option<Vec<u8>> {
    if v.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    let folded;
    let v = if cased {
        v
    } else {
        folded = fold(v);
        &folded
    };
    run_of(v)
}

/// The longest run of printable ASCII in `s`, lower-cased and JSON-escaped.
fn run_of(s: &str) -> Option<Vec<u8>> {
    s.split(|c: char| !(' '..='~').contains(&c))
        // As JSON writes it inside a string (serde_json's escaping: `"` and `\\` only, for
        // printable ASCII), lower-cased.
        .map(|run| {
            let quoted = serde_json::to_string(run).unwrap_or_default();
            quoted[1..quoted.len() - 1]
                .to_ascii_lowercase()
                .into_bytes()
        })
        .filter(|r| r.len() >= MIN_LEN)
        .max_by_key(Vec::len)
}

#[cfg(test)]
mod tests {
    use super::FOLDS_TO_ASCII;

    /// Every non-ASCII `char` whose lower case, or whose case-insensitive regex match,
    /// takes in an ASCII letter is in [`FOLDS_TO_ASCII`].
    #[test]
    fn the_non_ascii_letters_that_fold_to_ascii_are_known() {
        let letters: Vec<regex::Regex> = ('a'..='z')
            .map(|c| regex::Regex::new(&format!("(?i)^{c}$")).unwrap())
            .collect();
        let mut found = Vec::new();
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let lower_has_ascii = c.to_lowercase().any(|l| l.is_ascii());
            let s = c.to_string();
            let folds = letters.iter().any(|r| r.is_match(&s));
            if lower_has_ascii || folds {
                found.push(c);
            }
        }
        assert_eq!(found, FOLDS_TO_ASCII.to_vec());
    }
}

#[cfg(test)]
mod key_tests {
    use super::rich_ok;

    #[test]
    fn keys_with_spaces_and_exponents_are_found() {
        assert!(!rich_ok(br#"{"EventData":{"Threat Name":"x"}}"#));
        assert!(!rich_ok(br#"{"a":1, "b c" : 2}"#));
        assert!(rich_ok(
            br#"{"a":"b c","d":["e f"],"t":true,"f":false,"n":1.5}"#
        ));
        assert!(rich_ok(br#"{"a":"say \"x y\": z","g":"5e3"}"#));
        assert!(!rich_ok(br#"{"a\"b c":1}"#));
        assert!(!rich_ok(br#"{"n":3.389e3}"#));
        assert!(!rich_ok(br#"[1E5]"#));
        assert!(!rich_ok(br#"{"unterminated key"#));
    }
}
