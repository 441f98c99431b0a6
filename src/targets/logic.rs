//! The boolean tree every text target prints: predicates a target has already written
//! (atoms) joined by `and`, `or` and `not`, rendered with the target's tokens and its rules
//! for parentheses (a [`Style`]). A target builds a [`Node`] with [`Style::all`],
//! [`Style::any`] and [`Node::negate`] and renders it once with [`Style::render`]; how deep
//! chains group, whether nested chains flatten, how `not` is written and whether a chain is
//! always parenthesised are the style's, so no target writes its own precedence logic.

/// A boolean expression being printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A predicate as the target writes it.
    Atom(Atom),
    /// All of these hold (at least two).
    And(Vec<Node>),
    /// One of these holds (at least two).
    Or(Vec<Node>),
    /// The negation.
    Not(Box<Node>),
}

/// A predicate's text and whether it delimits itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    pub text: String,
    /// A function call, a search term or something already parenthesised: `not` needs no
    /// parentheses around it. A bare binary comparison (`len(F)>0`) is not delimited.
    pub delimited: bool,
}

impl Node {
    /// A self-delimited predicate (a call, a term).
    pub fn atom(text: impl Into<String>) -> Node {
        Node::Atom(Atom {
            text: text.into(),
            delimited: true,
        })
    }

    /// A bare comparison, parenthesised under a prefix `not`.
    pub fn bare(text: impl Into<String>) -> Node {
        Node::Atom(Atom {
            text: text.into(),
            delimited: false,
        })
    }

    /// `not self`.
    pub fn negate(self) -> Node {
        Node::Not(Box::new(self))
    }
}

/// How `not` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negation {
    /// A call around the unparenthesised operand: `not(a and b)`, `not(f(x))`; a double
    /// negation stays written.
    Call(&'static str),
    /// A prefix before the operand, which is parenthesised unless it delimits itself:
    /// `NOT f(x)`, `NOT (a>1)`, `NOT (a AND b)`; a double negation cancels.
    Prefix(&'static str),
}

/// A target's tokens and parenthesisation rules for [`Node`]s.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Between the operands of an `and` chain (with its spaces): `" and "`.
    pub and: &'static str,
    /// Between the operands of an `or` chain: `" or "`.
    pub or: &'static str,
    /// What an empty `and` is (`true`), written as an atom.
    pub truth: &'static str,
    /// What an empty `or` is (`false`).
    pub falsity: &'static str,
    pub negation: Negation,
    /// Chains are always written in parentheses (`(a AND b)`), even at the top; otherwise
    /// only where a chain is the operand of another.
    pub always_group: bool,
    /// A chain inside a chain of the same connective is merged into it.
    pub flatten: bool,
    /// No chain has more operands than this; longer ones are grouped into chains of at most
    /// this many (`usize::MAX`: never).
    pub chain_max: usize,
}

impl Style {
    /// All of `parts`: `truth` when empty, the one part when alone.
    pub fn all(&self, parts: Vec<Node>) -> Node {
        self.join(parts, true)
    }

    /// One of `parts`: `falsity` when empty, the one part when alone.
    pub fn any(&self, parts: Vec<Node>) -> Node {
        self.join(parts, false)
    }

    /// `all` when `and`, else `any`.
    pub fn join(&self, parts: Vec<Node>, and: bool) -> Node {
        let mut parts = if self.flatten {
            let mut flat = Vec::with_capacity(parts.len());
            for p in parts {
                match p {
                    Node::And(xs) if and => flat.extend(xs),
                    Node::Or(xs) if !and => flat.extend(xs),
                    p => flat.push(p),
                }
            }
            flat
        } else {
            parts
        };
        while parts.len() > self.chain_max {
            let mut grouped = Vec::with_capacity(parts.len() / self.chain_max + 1);
            let mut rest = parts.into_iter().peekable();
            while rest.peek().is_some() {
                let chunk: Vec<Node> = rest.by_ref().take(self.chain_max).collect();
                grouped.push(self.chain(chunk, and));
            }
            parts = grouped;
        }
        self.chain(parts, and)
    }

    fn chain(&self, mut parts: Vec<Node>, and: bool) -> Node {
        match parts.len() {
            0 => Node::atom(if and { self.truth } else { self.falsity }),
            1 => parts.remove(0),
            _ if and => Node::And(parts),
            _ => Node::Or(parts),
        }
    }

    /// The text of `n` (a top-level chain unparenthesised unless `always_group`).
    pub fn render(&self, n: &Node) -> String {
        let mut out = String::new();
        self.write(n, &mut out);
        out
    }

    /// The text of `n` where it must delimit itself (a chain parenthesised).
    pub fn render_operand(&self, n: &Node) -> String {
        let mut out = String::new();
        self.write_operand(n, &mut out);
        out
    }

    fn write(&self, n: &Node, out: &mut String) {
        match n {
            Node::Atom(a) => out.push_str(&a.text),
            Node::And(xs) | Node::Or(xs) => {
                let sep = if matches!(n, Node::And(_)) {
                    self.and
                } else {
                    self.or
                };
                if self.always_group {
                    out.push('(');
                }
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    self.write_operand(x, out);
                }
                if self.always_group {
                    out.push(')');
                }
            }
            Node::Not(x) => match self.negation {
                Negation::Call(f) => {
                    out.push_str(f);
                    out.push('(');
                    self.write(x, out);
                    out.push(')');
                }
                Negation::Prefix(word) => {
                    if let Node::Not(y) = x.as_ref() {
                        return self.write(y, out);
                    }
                    out.push_str(word);
                    out.push(' ');
                    match x.as_ref() {
                        Node::Atom(a) if !a.delimited => {
                            out.push('(');
                            out.push_str(&a.text);
                            out.push(')');
                        }
                        x => self.write_operand(x, out),
                    }
                }
            },
        }
    }

    /// A chain in parentheses (as an operand of a chain or of a prefix `not`); everything
    /// else as it is.
    fn write_operand(&self, n: &Node, out: &mut String) {
        let wrap = matches!(n, Node::And(_) | Node::Or(_)) && !self.always_group;
        if wrap {
            out.push('(');
            self.write(n, out);
            out.push(')');
        } else {
            self.write(n, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: Style = Style {
        and: " and ",
        or: " or ",
        truth: "true",
        falsity: "false",
        negation: Negation::Call("not"),
        always_group: false,
        flatten: false,
        chain_max: 3,
    };

    const PREFIX: Style = Style {
        and: " AND ",
        or: " OR ",
        truth: "true()",
        falsity: "false()",
        negation: Negation::Prefix("NOT"),
        always_group: true,
        flatten: true,
        chain_max: usize::MAX,
    };

    fn a(s: &str) -> Node {
        Node::atom(s)
    }

    #[test]
    fn chains_are_parenthesised_as_operands_only() {
        let inner = CALL.any(vec![a("x"), a("y")]);
        let n = CALL.all(vec![inner, a("z")]);
        assert_eq!(CALL.render(&n), "(x or y) and z");
        assert_eq!(CALL.render_operand(&n), "((x or y) and z)");
        assert_eq!(CALL.render(&CALL.all(vec![])), "true");
        assert_eq!(CALL.render(&CALL.any(vec![])), "false");
        assert_eq!(CALL.render(&CALL.any(vec![a("x")])), "x");
    }

    #[test]
    fn call_negation_wraps_the_bare_text_and_keeps_double_negation() {
        let n = CALL.all(vec![a("x"), a("y")]).negate();
        assert_eq!(CALL.render(&n), "not(x and y)");
        assert_eq!(CALL.render(&a("x").negate().negate()), "not(not(x))");
        assert_eq!(
            CALL.render(&CALL.all(vec![a("x").negate(), a("y")])),
            "not(x) and y"
        );
    }

    #[test]
    fn long_chains_are_grouped() {
        let parts: Vec<Node> = (0..7).map(|i| a(&i.to_string())).collect();
        assert_eq!(
            CALL.render(&CALL.all(parts)),
            "(0 and 1 and 2) and (3 and 4 and 5) and 6"
        );
        let parts: Vec<Node> = (0..10).map(|i| a(&i.to_string())).collect();
        assert_eq!(
            CALL.render(&CALL.any(parts)),
            "((0 or 1 or 2) or (3 or 4 or 5) or (6 or 7 or 8)) or 9"
        );
    }

    #[test]
    fn prefix_style_groups_always_flattens_and_cancels_double_negation() {
        let n = PREFIX.all(vec![
            PREFIX.all(vec![a("f(x)"), Node::bare("len(x)>0")]),
            a("g"),
        ]);
        assert_eq!(PREFIX.render(&n), "(f(x) AND len(x)>0 AND g)");
        assert_eq!(PREFIX.render(&Node::bare("a>1").negate()), "NOT (a>1)");
        assert_eq!(PREFIX.render(&a("f(x)").negate()), "NOT f(x)");
        assert_eq!(PREFIX.render(&a("f(x)").negate().negate()), "f(x)");
        let or = PREFIX.any(vec![a("p"), a("q")]);
        assert_eq!(PREFIX.render(&or.negate()), "NOT (p OR q)");
        // Chains of the other connective stay nested.
        let n = PREFIX.all(vec![PREFIX.any(vec![a("p"), a("q")]), a("r")]);
        assert_eq!(PREFIX.render(&n), "((p OR q) AND r)");
    }
}
