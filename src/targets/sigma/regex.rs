//! Regular expressions in Sigma's flavour.
//!
//! Sigma 2.1 (modifiers appendix) defines `re` as PCRE restricted to `.`, `^` `$`, the
//! quantifiers `*` `+` `?` `{n,m}`, bracketed classes `[a-z]` `[^a-z]`, groups `()` and
//! alternation `|`; "other metacharacters are unsupported and can not be used". Matching is
//! a substring search (spec 2.2 says so explicitly), case-sensitive unless `|i`; `|m` and `|s`
//! are the multi-line and dot-all flags.
//!
//! The pattern is parsed and printed again from its syntax tree, so what reaches the rule is
//! exactly the parsed meaning in that restricted syntax: escapes become the plain character
//! (or `\` + the character for metacharacters), `(?:...)` and named groups become `(...)`,
//! lazy quantifiers become greedy (whether a match exists does not depend on greed), leading
//! inline flags `(?ims)` become modifiers. Anything else (`\d`, `\w`, `\s`, `\b`, `\A`, `\z`,
//! `\p{..}`, `[[:alpha:]]`, class set operations, inline flags elsewhere) is refused, naming
//! the construct.

use regex_syntax::ast::{
    self, Assertion, AssertionKind, Ast, ClassSet, ClassSetItem, Flag, FlagsItemKind, GroupKind,
    RepetitionKind, RepetitionRange,
};

/// A pattern ready for `Field|re|flags`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SigmaRegex {
    /// The pattern in Sigma's flavour.
    pub pattern: String,
    /// The flag modifiers, in the order `i`, `m`, `s`.
    pub flags: Vec<&'static str>,
    /// Whether the pattern can match the empty string (then the field must be guarded).
    pub can_match_empty: bool,
}

/// Why a pattern cannot be written in Sigma's flavour.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RegexRefusal {
    /// The construct (`the perl class \d in a regular expression`).
    pub construct: String,
    /// Why.
    pub reason: String,
    /// What to write instead.
    pub help: Option<String>,
}

fn refuse(construct: &str, reason: &str, help: Option<&str>) -> RegexRefusal {
    RegexRefusal {
        construct: construct.to_string(),
        reason: reason.to_string(),
        help: help.map(str::to_string),
    }
}

const FLAVOUR: &str =
    "Sigma's regular-expression flavour (spec 2.1: `.`, `^`, `$`, `* + ? {n,m}`, \
                       `[a-z]`, `[^a-z]`, `()`, `|`) has no such construct";

/// Convert a tripline pattern (case-insensitive unless `cased`).
pub(super) fn convert(pattern: &str, cased: bool) -> Result<SigmaRegex, RegexRefusal> {
    let ast = ast::parse::Parser::new().parse(pattern).map_err(|e| {
        refuse(
            "this regular expression",
            &format!("the pattern does not parse: {}", e.kind()),
            None,
        )
    })?;
    let mut flags = Flags::default();
    let mut out = String::new();
    print(&ast, &mut out, &mut flags)?;
    if !cased {
        flags.i = true;
    }
    let mut fl = Vec::new();
    if flags.i {
        fl.push("i");
    }
    if flags.m {
        fl.push("m");
    }
    if flags.s {
        fl.push("s");
    }
    // Conservative: when the analysis fails the field is guarded, which is always right.
    let can_match_empty = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map(|h| h.properties().minimum_len() == Some(0))
        .unwrap_or(true);
    Ok(SigmaRegex {
        pattern: out,
        flags: fl,
        can_match_empty,
    })
}

#[derive(Default)]
struct Flags {
    i: bool,
    m: bool,
    s: bool,
}

impl Flags {
    fn take(&mut self, f: &ast::Flags) -> Result<(), RegexRefusal> {
        for item in &f.items {
            match item.kind {
                FlagsItemKind::Flag(Flag::CaseInsensitive) => self.i = true,
                FlagsItemKind::Flag(Flag::MultiLine) => self.m = true,
                FlagsItemKind::Flag(Flag::DotMatchesNewLine) => self.s = true,
                _ => {
                    return Err(refuse(
                        "this inline flag in a regular expression",
                        "only `(?i)`, `(?m)` and `(?s)` at the start of a pattern have a Sigma \
                         form (the `i`, `m` and `s` modifiers)",
                        None,
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Print `a`; flag groups met before anything was printed (at the start of the pattern, or
/// of its first alternative, where they also hold for the later alternatives) go to `flags`.
fn print(a: &Ast, out: &mut String, flags: &mut Flags) -> Result<(), RegexRefusal> {
    match a {
        Ast::Empty(_) => {}
        Ast::Flags(f) if out.is_empty() => flags.take(&f.flags)?,
        Ast::Flags(_) => {
            return Err(refuse(
                "an inline flag group inside a regular expression",
                "Sigma sets `i`, `m` and `s` for the whole pattern (modifiers); a flag group \
                 that is not at the start cannot be expressed",
                Some("move the flags to the start of the pattern"),
            ))
        }
        Ast::Literal(l) => push_literal(l.c, out),
        Ast::Dot(_) => out.push('.'),
        Ast::Assertion(x) => print_assertion(x, out, flags.m)?,
        Ast::ClassUnicode(_) => {
            return Err(refuse(
                "a Unicode class (`\\p{..}`) in a regular expression",
                FLAVOUR,
                Some("list the characters in a bracketed class"),
            ))
        }
        Ast::ClassPerl(p) => return Err(perl_class(p)),
        Ast::ClassBracketed(c) => {
            out.push('[');
            if c.negated {
                out.push('^');
            }
            print_set(&c.kind, out)?;
            out.push(']');
        }
        Ast::Repetition(r) => {
            match r.ast.as_ref() {
                Ast::Empty(_) | Ast::Flags(_) | Ast::Assertion(_) => {
                    return Err(refuse(
                        "a repeated assertion in a regular expression",
                        "PCRE rejects a quantifier after an assertion or nothing",
                        None,
                    ))
                }
                Ast::Repetition(_) | Ast::Concat(_) | Ast::Alternation(_) => {
                    out.push('(');
                    print(&r.ast, out, flags)?;
                    out.push(')');
                }
                inner => print(inner, out, flags)?,
            }
            match &r.op.kind {
                RepetitionKind::ZeroOrOne => out.push('?'),
                RepetitionKind::ZeroOrMore => out.push('*'),
                RepetitionKind::OneOrMore => out.push('+'),
                RepetitionKind::Range(RepetitionRange::Exactly(n)) => {
                    out.push_str(&format!("{{{n}}}"))
                }
                RepetitionKind::Range(RepetitionRange::AtLeast(n)) => {
                    out.push_str(&format!("{{{n},}}"))
                }
                RepetitionKind::Range(RepetitionRange::Bounded(m, n)) => {
                    out.push_str(&format!("{{{m},{n}}}"))
                }
            }
        }
        Ast::Group(g) if !flags.m && is_pcre_dollar(g) => {
            // `(?:\n?\z)` is what PCRE's `$` means without `m` (the end of the value, or
            // just before a final newline): Sigma's own `$`.
            out.push('$');
        }
        Ast::Group(g) => {
            if let GroupKind::NonCapturing(f) = &g.kind {
                if !f.items.is_empty() {
                    return Err(refuse(
                        "a group with inline flags (`(?i:...)`) in a regular expression",
                        "Sigma sets `i`, `m` and `s` for the whole pattern (modifiers)",
                        None,
                    ));
                }
            }
            out.push('(');
            print(&g.ast, out, flags)?;
            out.push(')');
        }
        Ast::Alternation(alt) => {
            for (i, x) in alt.asts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                print(x, out, flags)?;
            }
        }
        Ast::Concat(c) => {
            for x in &c.asts {
                print(x, out, flags)?;
            }
        }
    }
    Ok(())
}

/// `(?:\n?\z)`: a non-capturing group without flags holding an optional newline and the end
/// of the text.
fn is_pcre_dollar(g: &ast::Group) -> bool {
    let GroupKind::NonCapturing(f) = &g.kind else {
        return false;
    };
    if !f.items.is_empty() {
        return false;
    }
    let Ast::Concat(c) = g.ast.as_ref() else {
        return false;
    };
    match &c.asts[..] {
        [Ast::Repetition(r), Ast::Assertion(a)] => {
            matches!(r.op.kind, RepetitionKind::ZeroOrOne)
                && r.greedy
                && matches!(r.ast.as_ref(), Ast::Literal(l) if l.c == '\n')
                && a.kind == AssertionKind::EndText
        }
        _ => false,
    }
}

fn print_assertion(x: &Assertion, out: &mut String, multiline: bool) -> Result<(), RegexRefusal> {
    let name = match x.kind {
        AssertionKind::StartLine if multiline => {
            // Rust, RE2 and Python find a line start after a final newline; PCRE does not.
            return Err(refuse(
                "`^` in multi-line mode in a regular expression",
                "PCRE-style engines do not find a line start after a newline that ends the value",
                Some("drop `(?m)`, or test the lines with `contains`"),
            ));
        }
        AssertionKind::StartLine => {
            out.push('^');
            return Ok(());
        }
        AssertionKind::EndLine if multiline => {
            out.push('$');
            return Ok(());
        }
        AssertionKind::EndLine => {
            // The language's `$` (without `m`) is the end of the value; in PCRE and Python,
            // which Sigma engines use, it also matches before a final newline, and Sigma's
            // flavour has no `\z` to say "end of value" exactly.
            return Err(refuse(
                "`$` (end of value) in a regular expression",
                "in Sigma's PCRE-style regexes `$` also matches just before a final newline",
                Some("use `endswith` or a `like` glob for the end of the value"),
            ));
        }
        AssertionKind::StartText => "`\\A`",
        AssertionKind::EndText => "`\\z`",
        AssertionKind::WordBoundary => "a word boundary `\\b`",
        AssertionKind::NotWordBoundary => "`\\B`",
        _ => "a word-boundary assertion",
    };
    Err(refuse(
        &format!("{name} in a regular expression"),
        FLAVOUR,
        Some("use `^` / `$` for the start and end of the value"),
    ))
}

fn perl_class(p: &ast::ClassPerl) -> RegexRefusal {
    let (name, help) = match p.kind {
        ast::ClassPerlKind::Digit => ("`\\d`", "write `[0-9]`"),
        ast::ClassPerlKind::Space => ("`\\s`", "list the whitespace characters in a class"),
        ast::ClassPerlKind::Word => ("`\\w`", "write `[A-Za-z0-9_]`"),
    };
    let name = if p.negated {
        name.to_uppercase()
    } else {
        name.to_string()
    };
    refuse(
        &format!("the class {name} in a regular expression"),
        &format!("{FLAVOUR}, and engines disagree on whether it covers non-ASCII characters"),
        Some(help),
    )
}

fn print_set(set: &ClassSet, out: &mut String) -> Result<(), RegexRefusal> {
    match set {
        ClassSet::Item(item) => print_set_item(item, out),
        ClassSet::BinaryOp(_) => Err(refuse(
            "a class set operation (`&&`, `--`, `~~`) in a regular expression",
            FLAVOUR,
            None,
        )),
    }
}

fn print_set_item(item: &ClassSetItem, out: &mut String) -> Result<(), RegexRefusal> {
    match item {
        ClassSetItem::Empty(_) => {}
        ClassSetItem::Literal(l) => push_class_literal(l.c, out),
        ClassSetItem::Range(r) => {
            push_class_literal(r.start.c, out);
            out.push('-');
            push_class_literal(r.end.c, out);
        }
        ClassSetItem::Ascii(_) => {
            return Err(refuse(
                "a POSIX class (`[:alpha:]`) in a regular expression",
                FLAVOUR,
                Some("list the ranges, e.g. `[A-Za-z]`"),
            ))
        }
        ClassSetItem::Unicode(_) => {
            return Err(refuse(
                "a Unicode class (`\\p{..}`) in a regular expression",
                FLAVOUR,
                None,
            ))
        }
        ClassSetItem::Perl(p) => return Err(perl_class(p)),
        ClassSetItem::Bracketed(_) => {
            return Err(refuse(
                "a nested class in a regular expression",
                FLAVOUR,
                None,
            ))
        }
        ClassSetItem::Union(u) => {
            for x in &u.items {
                print_set_item(x, out)?;
            }
        }
    }
    Ok(())
}

/// A literal character outside a class: metacharacters escaped, anything else as itself.
fn push_literal(c: char, out: &mut String) {
    if matches!(
        c,
        '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
    ) {
        out.push('\\');
    }
    out.push(c);
}

/// A literal character inside a class: `\ ] [ ^ -` and the set-operator characters escaped,
/// and `. = :` right after `[`, where PCRE reads them as the start of a POSIX collating
/// element or class.
fn push_class_literal(c: char, out: &mut String) {
    let posix_opener = matches!(c, '.' | '=' | ':') && out.ends_with('[');
    if posix_opener || matches!(c, '\\' | ']' | '[' | '^' | '-' | '&' | '~' | '|') {
        out.push('\\');
    }
    out.push(c);
}
