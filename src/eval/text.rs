//! Text helpers shared by the evaluator and the targets: glob → regex, portable regex
//! rewriting and the rule-language printer for explanations.

use crate::ir::{Expr, Quant, StrOp, Test};

/// A glob as an anchored regex: `*` → `.*`, `?` → `.`, everything else literal; `(?s)` so
/// that wildcards cross newlines.
pub fn glob_to_regex(glob: &str) -> String {
    let mut out = String::from("(?s)^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => out.push_str(&regex_syntax::escape(&c.to_string())),
        }
    }
    out.push('$');
    out
}

/// Rewrite a checked pattern so that Rust's regex engine reads it as RE2 and PCRE do:
/// `\d`, `\w`, `\s` and `\b` are ASCII-only there.
pub fn portable_regex(pattern: &str) -> String {
    crate::ir::regex::ascii_classes(pattern, true)
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(values: &[String]) -> String {
    let v: Vec<String> = values.iter().map(|s| quote(s)).collect();
    format!("[{}]", v.join(", "))
}

/// Print an IR expression in the rule language (fully parenthesised).
pub fn expr_to_string(e: &Expr) -> String {
    match e {
        Expr::And(xs) => xs.iter().map(paren).collect::<Vec<_>>().join(" and "),
        Expr::Or(xs) => xs.iter().map(paren).collect::<Vec<_>>().join(" or "),
        Expr::Not(x) => format!("not {}", paren(x)),
        Expr::Pred(p) => {
            let f = &p.field.name;
            let cs = |c: bool| if c { " cased" } else { "" };
            match &p.test {
                Test::Exists => format!("{f} exists"),
                Test::Str {
                    op,
                    values,
                    quant,
                    cased,
                } => {
                    let word = match op {
                        StrOp::Eq if values.len() == 1 => {
                            return format!("{f} =={} {}", cs(*cased), quote(&values[0]))
                        }
                        StrOp::Eq => return format!("{f} in{} {}", cs(*cased), list(values)),
                        named => named.keyword(),
                    };
                    if values.len() == 1 {
                        format!("{f} {word}{} {}", cs(*cased), quote(&values[0]))
                    } else {
                        let q = if *quant == Quant::All { "all" } else { "any" };
                        format!("{f} {word}{} {q} {}", cs(*cased), list(values))
                    }
                }
                Test::Glob { patterns, cased } => {
                    if patterns.len() == 1 {
                        format!("{f} like{} {}", cs(*cased), quote(&patterns[0]))
                    } else {
                        format!("{f} like{} any {}", cs(*cased), list(patterns))
                    }
                }
                Test::Regex { pattern, cased } => {
                    format!("{f} matches{} {}", cs(*cased), quote(pattern))
                }
                Test::Cidr { nets } => {
                    let v: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
                    format!("{f} in cidr {}", list(&v))
                }
                Test::NumEq { values } => {
                    if values.len() == 1 {
                        format!("{f} == {}", values[0].text)
                    } else {
                        let v: Vec<&str> = values.iter().map(|n| n.text.as_str()).collect();
                        format!("{f} in [{}]", v.join(", "))
                    }
                }
                Test::NumCmp { op, value } => format!("{f} {} {}", op.symbol(), value.text),
                Test::BoolEq { value } => format!("{f} == {value}"),
                Test::FieldEq { other, cased } => {
                    format!("{f} =={} {}", cs(*cased), other.name)
                }
            }
        }
    }
}

fn paren(e: &Expr) -> String {
    match e {
        Expr::Pred(_) => expr_to_string(e),
        _ => format!("({})", expr_to_string(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert_eq!(glob_to_regex(r"C:\*\cmd.exe"), r"(?s)^C:\\.*\\cmd\.exe$");
        assert_eq!(glob_to_regex("a?b"), "(?s)^a.b$");
    }

    #[test]
    fn portable() {
        assert_eq!(portable_regex(r"\d+"), "[0-9]+");
        assert_eq!(portable_regex(r"[\d.]"), "[0-9.]");
        assert_eq!(portable_regex(r"\bx\b"), r"(?-u:\b)x(?-u:\b)");
        assert_eq!(portable_regex(r"\\d"), r"\\d");
        let r = regex::Regex::new(&portable_regex(r"^\d$")).unwrap();
        assert!(r.is_match("7"));
        assert!(!r.is_match("٧")); // ARABIC-INDIC DIGIT SEVEN: not a digit in RE2 or PCRE
    }
}
