//! Regex writers for the SQL dialects. RE2 (DuckDB) reads the language's portable patterns
//! as they are, once `\d`, `\w`, `\s` are spelled as ASCII classes. Java (Spark) differs
//! in `.`, `$`, `^` under `(?m)`, `\b`, case folding and class syntax, so a pattern is
//! translated to its meaning first (regex-syntax's HIR, with case folding expanded into
//! explicit classes) and that is printed in a syntax where Java and the language agree:
//! explicit classes, `\A`/`\z`, look-arounds for line and word boundaries.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use crate::ir::regex::ascii_classes;
use crate::targets::text::with_case_insensitive;

/// Whether the pattern can match the empty string (then a test needs a not-empty guard).
pub fn can_match_empty(pattern: &str) -> bool {
    regex_syntax::Parser::new()
        .parse(&ascii_classes(pattern, false))
        .map_or(true, |h| h.properties().minimum_len() == Some(0))
}

/// The pattern for RE2.
pub fn re2(pattern: &str, cased: bool) -> Result<String, String> {
    let p = ascii_classes(pattern, false);
    let p = if cased { p } else { with_case_insensitive(&p) };
    regex_syntax::Parser::new()
        .parse(&p)
        .map_err(|e| format!("it does not parse: {e}"))?;
    Ok(p)
}

/// The pattern for `java.util.regex`, meaning what the language means.
pub fn java(pattern: &str, cased: bool) -> Result<String, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(!cased)
        .build()
        .parse(&ascii_classes(pattern, true))
        .map_err(|e| format!("it does not parse: {e}"))?;
    let mut out = String::new();
    write(&hir, &mut out)?;
    Ok(out)
}

fn write(h: &Hir, out: &mut String) -> Result<(), String> {
    match h.kind() {
        HirKind::Empty => out.push_str("(?:)"),
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).map_err(|_| "it matches bytes, not text")?;
            text.chars().for_each(|c| push_char(out, c, false));
        }
        HirKind::Class(Class::Unicode(cls)) => {
            // Written the shorter way: its ranges, or `[^…]` of the complement; every
            // character is `(?s:.)`.
            let mut neg = cls.clone();
            neg.negate();
            let (ranges, negated) = if neg.ranges().len() < cls.ranges().len() {
                (neg.ranges(), true)
            } else {
                (cls.ranges(), false)
            };
            match (ranges.len(), negated) {
                (0, true) => out.push_str("(?s:.)"),
                (0, false) => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
                _ => {
                    out.push_str(if negated { "[^" } else { "[" });
                    for r in ranges {
                        push_char(out, r.start(), true);
                        if r.end() != r.start() {
                            out.push('-');
                            push_char(out, r.end(), true);
                        }
                    }
                    out.push(']');
                }
            }
        }
        HirKind::Class(Class::Bytes(_)) => return Err("it matches bytes, not text".into()),
        HirKind::Look(look) => out.push_str(match look {
            Look::Start => "\\A",
            Look::End => "\\z",
            // Rust's `(?m)^` also holds after a final newline; Java's does not.
            Look::StartLF => "(?<![^\\n])",
            Look::EndLF => "(?![^\\n])",
            Look::WordAscii => {
                "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))"
            }
            Look::WordAsciiNegate => {
                "(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))"
            }
            other => return Err(format!("Java has no exact form of the assertion {other:?}")),
        }),
        HirKind::Repetition(rep) => {
            let single = match rep.sub.kind() {
                HirKind::Class(_) | HirKind::Alternation(_) | HirKind::Capture(_) => true,
                HirKind::Literal(l) => {
                    std::str::from_utf8(&l.0).is_ok_and(|t| t.chars().count() == 1)
                }
                _ => false,
            };
            if single {
                write(&rep.sub, out)?;
            } else {
                out.push_str("(?:");
                write(&rep.sub, out)?;
                out.push(')');
            }
            match (rep.min, rep.max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => out.push_str(&format!("{{{n},}}")),
                (n, Some(m)) if n == m => out.push_str(&format!("{{{n}}}")),
                (n, Some(m)) => out.push_str(&format!("{{{n},{m}}}")),
            }
            if !rep.greedy {
                out.push('?');
            }
        }
        HirKind::Capture(cap) => {
            out.push_str("(?:");
            write(&cap.sub, out)?;
            out.push(')');
        }
        HirKind::Concat(xs) => {
            for x in xs {
                write(x, out)?;
            }
        }
        HirKind::Alternation(xs) => {
            out.push_str("(?:");
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write(x, out)?;
            }
            out.push(')');
        }
    }
    Ok(())
}

/// One character, literal; in a class also `-`, `&` and `[` are escaped (Java's class
/// syntax has ranges, intersections and nested classes).
fn push_char(out: &mut String, c: char, in_class: bool) {
    let meta = if in_class {
        matches!(c, '\\' | '[' | ']' | '^' | '-' | '&')
    } else {
        matches!(
            c,
            '\\' | '^' | '$' | '.' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}'
        )
    };
    if meta {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || (c.is_whitespace() && c != ' ') || (in_class && !c.is_ascii()) {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    } else {
        out.push(c);
    }
}
