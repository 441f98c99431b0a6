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
//! - With `keys` (only for events the catalog reads as they are, not through a record
//!   shape): a test on a field holds only when the field is there, so the event's text
//!   holds the field's name (its last dotted segment) as a key. Through a record shape a
//!   field may come from a differently named path, so names give no literal there.

use crate::catalog::FieldType;
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
/// no particular literal.
pub fn required(expr: &Expr, keys: bool) -> Option<Alternatives> {
    match expr {
        Expr::Pred(p) => pred(p).or_else(|| key(p, keys)),
        Expr::Not(_) => None,
        Expr::And(xs) => xs
            .iter()
            .filter_map(|x| required(x, keys))
            .max_by_key(strength),
        Expr::Or(xs) => {
            let mut all = Vec::new();
            for x in xs {
                all.extend(required(x, keys)?);
            }
            all.sort();
            all.dedup();
            (!all.is_empty()).then_some(all)
        }
    }
}

/// How selective a set is: its shortest literal (longer is rarer), then fewer members.
fn strength(a: &Alternatives) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = a.iter().map(Vec::len).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(a.len()))
}

/// The stronger of two optional sets (both must hold, so either one is required).
pub fn both(a: Option<Alternatives>, b: Option<Alternatives>) -> Option<Alternatives> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if strength(&b) > strength(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The field's name as a key literal (every test but `not` needs the field present).
fn key(p: &Pred, keys: bool) -> Option<Alternatives> {
    if !keys {
        return None;
    }
    let last = p.field.name.rsplit('.').next()?;
    run_of(last).map(|l| vec![l])
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
                .map(|g| {
                    g.split(['*', '?'])
                        .filter_map(|part| run_of(part))
                        .max_by_key(Vec::len)
                })
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
    if v.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')) {
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
        .map(|run| {
            let mut out = Vec::with_capacity(run.len());
            for b in run.bytes() {
                match b {
                    b'"' => out.extend_from_slice(b"\\\""),
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b => out.push(b.to_ascii_lowercase()),
                }
            }
            out
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
