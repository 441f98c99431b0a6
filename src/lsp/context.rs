//! Where the cursor is, in the language's terms: what may be written at a position,
//! decided from the tokens before it (see [`super::lex`]), so that it works in a rule the
//! parser cannot read yet.

use super::lex::{self, line_start, Kind, RuleAt, Tok};

/// What may be written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// A source name (after `source`).
    Source,
    /// The start of an operand: a field, a condition, `not`, `keyword` or a string.
    Operand,
    /// A field (after `by`, `distinct`, `new`, or a comma in their lists).
    Field,
    /// An operator for the field before the cursor.
    Operator(String),
    /// `in` (after `F not`).
    In,
    /// A list name, or `cased`/`cidr` (after `in`).
    List { after_in: bool },
    /// After a string operator: `any`, `all`, `cased` or a list.
    StrTestValue,
    /// After `==` or `!=` on the field: its value (`true`/`false` for a bool field).
    Value(String),
    /// The values of a metadata key (`status`, `level`, `related`).
    MetaValue(&'static str),
    /// An ATT&CK tag.
    Tag,
    /// A step of a sequence: a condition or a rule.
    Step,
    /// The start of a rule-body entry: a metadata key or `source`, `match`, `threshold`, …
    Entry,
    /// The start of a top-level item.
    Item,
    /// Nothing (inside a string, comment or test JSON, or after a complete value).
    Nothing,
}

/// The cursor's context: what may be written, the byte where the word being typed starts,
/// and the rule around it.
#[derive(Debug, Clone)]
pub struct Context {
    /// What may be written.
    pub want: Want,
    /// Start of the word being typed (the cursor when none).
    pub prefix_start: usize,
    /// The rule whose body holds the cursor.
    pub rule: Option<RuleAt>,
}

/// Words that start a rule-body entry.
pub const ENTRY_WORDS: &[&str] = &[
    "source",
    "match",
    "threshold",
    "new",
    "sequence",
    "test",
    "tests",
    "related",
];

/// The context at byte `at` of `text`.
pub fn at(text: &str, at: usize) -> Context {
    let toks = lex::tokens(text);
    let rule = lex::rule_at(text, &toks, at);
    let inside = toks.iter().find(|t| t.start < at && at < t.end);
    let in_comment_end = toks
        .iter()
        .any(|t| t.kind == Kind::Comment && t.start < at && at == t.end);
    let mut ctx = Context {
        want: Want::Nothing,
        prefix_start: at,
        rule,
    };
    if in_comment_end || inside.is_some_and(|t| t.kind != Kind::Word) {
        return ctx;
    }
    if let Some(w) = toks
        .iter()
        .find(|t| t.kind == Kind::Word && t.start < at && at <= t.end)
    {
        ctx.prefix_start = w.start;
    }
    let before: Vec<Tok> = toks
        .iter()
        .filter(|t| t.end <= ctx.prefix_start && t.kind != Kind::Comment)
        .copied()
        .collect();
    ctx.want = want(text, &before, ctx.prefix_start, ctx.rule.is_some());
    ctx
}

fn want(text: &str, before: &[Tok], start: usize, in_rule: bool) -> Want {
    let word = |k: usize| -> Option<&str> {
        before
            .len()
            .checked_sub(k + 1)
            .map(|i| before[i].text(text))
    };
    let (Some(p1), p2, p3) = (word(0), word(1), word(2)) else {
        return Want::Item;
    };
    let entry = entry_of(text, before);
    let operand_start = |w: Option<&str>, at: usize| match w {
        Some("match" | "and" | "or" | "not" | "(") => true,
        Some("=") => entry.as_deref() == Some("condition") && at >= 2,
        None => false,
        _ => false,
    };
    let is_field = |w: &str| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && !crate::syntax::reserved().contains(&w)
    };
    match p1 {
        "source" => return Want::Source,
        "status" | "level" | "related"
            if before.last().is_some_and(|t| line_start(text, t.start)) =>
        {
            return Want::MetaValue(match p1 {
                "status" => "status",
                "level" => "level",
                _ => "related",
            })
        }
        "tags" if line_start(text, before[before.len() - 1].start) => return Want::Tag,
        "," if entry.as_deref() == Some("tags") => return Want::Tag,
        "by" | "distinct" | "new" => return Want::Field,
        "," if matches!(entry.as_deref(), Some("threshold" | "new")) => return Want::Field,
        "," | "[" if entry.as_deref() == Some("sequence") => {
            return if in_brackets(text, before) {
                Want::Step
            } else {
                Want::Field
            }
        }
        "in" => return Want::List { after_in: true },
        "cidr" => return Want::List { after_in: false },
        "cased" if p2 == Some("in") => return Want::List { after_in: false },
        "any" | "all" => return Want::List { after_in: false },
        _ => {}
    }
    let str_op = |w: &str| crate::syntax::ast::StrOpKind::all().any(|op| op.keyword() == w);
    if str_op(p1) || (p1 == "cased" && p2.is_some_and(str_op)) {
        return Want::StrTestValue;
    }
    if p1 == "not" && p2.is_some_and(is_field) && operand_start(p3, before.len() - 1) {
        return Want::In;
    }
    if operand_start(Some(p1), before.len()) {
        return Want::Operand;
    }
    if is_field(p1)
        && before.last().is_some_and(|t| t.kind == Kind::Word)
        && operand_start(p2, before.len() - 1)
    {
        return Want::Operator(p1.to_string());
    }
    if matches!(p1, "==" | "!=") {
        if let Some(f) = p2.filter(|w| is_field(w)) {
            return Want::Value(f.to_string());
        }
    }
    if line_start(text, start) {
        return if in_rule { Want::Entry } else { Want::Item };
    }
    Want::Nothing
}

/// The entry the tokens end in: the last word that starts a line and is an entry word, a
/// metadata key or `condition`.
fn entry_of(text: &str, before: &[Tok]) -> Option<String> {
    before
        .iter()
        .rev()
        .filter(|t| t.kind == Kind::Word && line_start(text, t.start))
        .map(|t| t.text(text))
        .find(|w| !matches!(*w, "and" | "or" | "not"))
        .map(str::to_string)
}

/// Whether the last `[` before the cursor is still open.
fn in_brackets(text: &str, before: &[Tok]) -> bool {
    for t in before.iter().rev() {
        match t.text(text) {
            "[" => return true,
            "]" => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want_at(text: &str) -> Want {
        let at = text.find('|').unwrap();
        let text = text.replace('|', "");
        super::at(&text, at).want
    }

    #[test]
    fn what_may_be_written() {
        let rule = |body: &str| format!("rule r {{\n    source m365.audit\n    {body}\n}}\n");
        assert_eq!(want_at(&rule("match |")), Want::Operand);
        assert_eq!(want_at(&rule("match Oper|")), Want::Operand);
        assert_eq!(
            want_at(&rule("match Operation |")),
            Want::Operator("Operation".into())
        );
        assert_eq!(want_at(&rule("match (A == 1 or |")), Want::Operand);
        assert_eq!(want_at(&rule("match A not |")), Want::In);
        assert_eq!(
            want_at(&rule("match A in |")),
            Want::List { after_in: true }
        );
        assert_eq!(want_at(&rule("match A contains |")), Want::StrTestValue);
        assert_eq!(
            want_at(&rule("match A contains any |")),
            Want::List { after_in: false }
        );
        assert_eq!(want_at(&rule("match A == |")), Want::Value("A".into()));
        assert_eq!(want_at(&rule("match A == \"x\" |")), Want::Nothing);
        assert_eq!(want_at(&rule("|")), Want::Entry);
        assert_eq!(want_at(&rule("lev|")), Want::Entry);
        assert_eq!(want_at(&rule("level |")), Want::MetaValue("level"));
        assert_eq!(want_at(&rule("tags attack.t1078, |")), Want::Tag);
        assert_eq!(want_at(&rule("threshold count >= 3 by A, |")), Want::Field);
        assert_eq!(want_at(&rule("sequence by A within 1h [x, |")), Want::Step);
        assert_eq!(want_at(&rule("title \"a |b\"")), Want::Nothing);
        assert_eq!(want_at(&rule("// match |")), Want::Nothing);
        assert_eq!(
            want_at(&rule("test \"t\" expect match { \"A\": |1 }")),
            Want::Nothing
        );
        assert_eq!(want_at("rule r {\n    source |"), Want::Source);
        assert_eq!(want_at("|"), Want::Item);
        assert_eq!(want_at("list l = [\"a\"]\n|"), Want::Item);
        assert_eq!(want_at("condition c = |"), Want::Operand);
        assert_eq!(want_at("condition c = A == 1 and |"), Want::Operand);
    }
}
