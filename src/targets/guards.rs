//! Two-valued tests. In the language a test on a missing field is false and its `not` is
//! true; in a target a test on a missing (null, empty) value may be null, and `not null`
//! is null again. A target therefore writes a test that could see a missing value as
//! `present and test`, and its negation as `missing or not-test`: the [`Guard`]s say how
//! the target spells "present" and "missing" for a field, [`guarded`] puts them around the
//! test with the target's [`Style`].

use super::logic::{Node, Style};

/// A condition a test needs (the field is there, is not empty, is a number), written both
/// ways by the target.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The condition holds (`isnotnull(F)`).
    pub present: Node,
    /// It does not (`isnull(F)`).
    pub missing: Node,
}

impl Guard {
    /// A guard from its two spellings (both self-delimited atoms).
    pub fn new(present: impl Into<String>, missing: impl Into<String>) -> Guard {
        Guard {
            present: Node::atom(present),
            missing: Node::atom(missing),
        }
    }
}

/// `present₁ and … and test`; when `negated`, `missing₁ or … or test`, where `test` is then
/// the test's own negation (as the target writes it).
pub fn guarded(style: &Style, guards: Vec<Guard>, test: Node, negated: bool) -> Node {
    let mut parts: Vec<Node> = guards
        .into_iter()
        .map(|g| if negated { g.missing } else { g.present })
        .collect();
    parts.push(test);
    style.join(parts, !negated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::logic::Negation;

    const STYLE: Style = Style {
        and: " and ",
        or: " or ",
        truth: "true",
        falsity: "false",
        negation: Negation::Call("not"),
        always_group: false,
        flatten: false,
        chain_max: usize::MAX,
    };

    #[test]
    fn guards_come_first_and_flip_with_the_test() {
        let g = || {
            vec![
                Guard::new("isnotnull(F)", "isnull(F)"),
                Guard::new("ok(F)", "bad(F)"),
            ]
        };
        assert_eq!(
            STYLE.render(&guarded(&STYLE, g(), Node::atom("F > 1"), false)),
            "isnotnull(F) and ok(F) and F > 1"
        );
        assert_eq!(
            STYLE.render(&guarded(&STYLE, g(), Node::atom("F <= 1"), true)),
            "isnull(F) or bad(F) or F <= 1"
        );
        assert_eq!(
            STYLE.render(&guarded(&STYLE, vec![], Node::atom("t"), true)),
            "t"
        );
    }
}
