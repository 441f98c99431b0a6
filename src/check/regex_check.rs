//! The portable regular-expression subset: what RE2 (KQL), PCRE (SPL) and Sigma's engines
//! all read the same way.

use regex_syntax::ast::{self, parse::Parser, Ast, ClassSet, ClassSetItem};

/// `Ok` when `pattern` is in the portable subset, otherwise why not.
pub fn check(pattern: &str) -> Result<(), String> {
    let parsed = Parser::new().parse(pattern).map_err(|e| {
        let kind = e.kind().to_string();
        if kind.contains("look-around") {
            "look-around is not supported".to_string()
        } else if kind.contains("backreference") {
            "back-references are not supported".to_string()
        } else {
            kind
        }
    })?;
    walk(&parsed)?;
    // The translated form must also compile (size limits, Unicode classes).
    regex::Regex::new(pattern).map_err(|e| e.to_string())?;
    Ok(())
}

fn walk(a: &Ast) -> Result<(), String> {
    match a {
        Ast::Flags(f) => flags(&f.flags),
        Ast::Group(g) => {
            if let ast::GroupKind::NonCapturing(fl) = &g.kind {
                flags(fl)?;
            }
            if let ast::GroupKind::CaptureName { starts_with_p, .. } = &g.kind {
                if !starts_with_p {
                    return Err("named groups must be written (?P<name>...)".into());
                }
            }
            walk(&g.ast)
        }
        Ast::Repetition(r) => {
            // Lazy quantifiers (`a+?`) are fine in all three. A quantifier applied directly
            // to another (`a++`, `a*+`, `a?+`, `a{1,3}+`, `a+*`) is not: PCRE reads a
            // trailing `+` as possessive, RE2 rejects nested repetition, Rust repeats the
            // repetition. Grouping says which is meant: `(?:a+)+`.
            if let Ast::Repetition(_) = &*r.ast {
                return Err(
                    "a quantifier directly after another (`a++`, `a*+`, `a{1,3}+`, `a+*`) is \
                     not portable: PCRE reads it as possessive, RE2 rejects it; group the \
                     inner repetition, e.g. `(?:a+)+`"
                        .into(),
                );
            }
            walk(&r.ast)
        }
        Ast::Alternation(x) => x.asts.iter().try_for_each(walk),
        Ast::Concat(x) => x.asts.iter().try_for_each(walk),
        Ast::ClassBracketed(c) => class_set(&c.kind),
        Ast::Assertion(asr) => match asr.kind {
            ast::AssertionKind::WordBoundaryStart
            | ast::AssertionKind::WordBoundaryEnd
            | ast::AssertionKind::WordBoundaryStartAngle
            | ast::AssertionKind::WordBoundaryEndAngle
            | ast::AssertionKind::WordBoundaryStartHalf
            | ast::AssertionKind::WordBoundaryEndHalf => {
                Err("only \\b, ^, $, \\A and \\z assertions are portable".into())
            }
            ast::AssertionKind::NotWordBoundary => Err(
                "`\\B` is not portable: RE2 (KQL) also finds it between the bytes of a \
                 multi-byte character; write the condition with `\\b` or a class"
                    .into(),
            ),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn flags(f: &ast::Flags) -> Result<(), String> {
    for item in &f.items {
        if let ast::FlagsItemKind::Flag(fl) = &item.kind {
            match fl {
                ast::Flag::CaseInsensitive
                | ast::Flag::MultiLine
                | ast::Flag::DotMatchesNewLine => {}
                other => {
                    return Err(format!(
                        "the inline flag {other:?} is not portable (only i, m, s)"
                    ))
                }
            }
        }
    }
    Ok(())
}

fn class_set(c: &ClassSet) -> Result<(), String> {
    match c {
        ClassSet::BinaryOp(_) => Err("class set operations (&&, --, ~~) are not portable".into()),
        ClassSet::Item(i) => class_item(i),
    }
}

fn class_item(i: &ClassSetItem) -> Result<(), String> {
    match i {
        ClassSetItem::Bracketed(_) => Err("nested character classes are not portable".into()),
        ClassSetItem::Union(u) => u.items.iter().try_for_each(class_item),
        // `\d`, `\w`, `\s` are ASCII in the language; their complements inside brackets have
        // no spelling that RE2, PCRE (with or without Unicode properties) and Rust all read
        // as the ASCII complement.
        ClassSetItem::Perl(p) if p.negated => Err(format!(
            "`{}` inside a bracketed class is not portable (it means the complement of an ASCII \
             class, which engines spell differently); use it outside brackets or list the \
             characters",
            match p.kind {
                ast::ClassPerlKind::Digit => r"\D",
                ast::ClassPerlKind::Word => r"\W",
                ast::ClassPerlKind::Space => r"\S",
            }
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn portable_subset() {
        assert!(check(r"^C:\\Windows\\.*\.exe$").is_ok());
        assert!(check(r"(?i)-e(nc|ncodedcommand)\s").is_ok());
        assert!(check(r"(?P<x>a)b").is_ok());
        assert!(check(r"(?m)^a$").is_ok());
        assert!(check(r"a(?=b)").is_err());
        assert!(check(r"(a)\1").is_err());
        assert!(check(r"[a&&b]").is_err());
        assert!(check(r"[a[bc]]").is_err());
        assert!(check(r"(?x)a b").is_err());
        assert!(check(r"(?U)a+").is_err());
        assert!(check(r"(").is_err());
        for stacked in ["xa++a", "a*+", "a?+", "a{1,3}+", "a+*", "a+??", "a{2}{3}"] {
            assert!(check(stacked).is_err(), "{stacked}");
        }
        assert!(check(r"(?:a+)+").is_ok());
        assert!(check(r"[\D]").is_err());
        assert!(check(r"[^\d]").is_ok());
        assert!(check(r"a+?b*?").is_ok());
    }
}
