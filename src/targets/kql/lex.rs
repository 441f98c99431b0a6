//! KQL's lexical layer: string, verbatim and identifier literals, operands (fields,
//! numbers), regex literals in RE2's dialect and the non-ASCII case check.

use super::*;

/// A comparison operator as KQL writes it (in `where` and after `summarize`): each as the
/// rule language does. Every operator is named, so a new one is KQL's decision too.
pub(super) fn cmp_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => op.symbol(),
    }
}

/// A KQL string literal `"..."` holding exactly `s`.
///
/// Escapes `\` as `\\`, `"` as `\"`, newline, carriage return and tab as `\n`, `\r`, `\t`,
/// and every other control character (and U+2028/U+2029) as `\uXXXX`; everything else is
/// written as itself. The result never contains a raw line break or an unescaped quote.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    escape_into(&mut out, s, '"');
    out.push('"');
    out
}

/// A KQL literal for a regular expression: verbatim `@"..."` (backslashes literal, `"`
/// doubled) when `s` has no control character, otherwise (a raw line break cannot appear in
/// a KQL literal) the escaped form of [`quote_string`], backslashes doubled.
pub fn quote_verbatim(s: &str) -> String {
    if s.chars().any(needs_unicode_escape) {
        return quote_string(s);
    }
    format!("@\"{}\"", s.replace('"', "\"\""))
}

/// A column or table name: as is when it is a plain identifier that is not a KQL keyword,
/// otherwise `['name']` with the name escaped as in a single-quoted string literal.
pub fn quote_ident(name: &str) -> String {
    if is_plain_ident(name) && KEYWORDS.binary_search(&name).is_err() {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 4);
    out.push_str("['");
    escape_into(&mut out, name, '\'');
    out.push_str("']");
    out
}

/// The one escaping routine behind [`quote_string`], [`quote_verbatim`]'s fallback and
/// [`quote_ident`]: the body of a literal delimited by `quote`.
pub(super) fn escape_into(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if needs_unicode_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Characters written as an escape rather than raw: control characters (all in the BMP)
/// and the Unicode line and paragraph separators.
pub(super) fn needs_unicode_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// `[A-Za-z_][A-Za-z0-9_]*`
pub(super) fn is_plain_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether a catalog expression can be used as an operand without parentheses: a name, a
/// dotted path, indexing and calls (`tostring(RawEventData.AppId)`, `Props["a b"]`), with
/// nothing at the outer level but identifier characters, dots and balanced brackets.
pub(super) fn is_simple_expr(e: &str) -> bool {
    let b = e.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'[' => {}
        _ => return false,
    }
    let mut stack: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' => {
                if stack.is_empty() {
                    return false;
                }
                let verbatim = i > 0 && b[i - 1] == b'@';
                i += 1;
                loop {
                    match b.get(i) {
                        None => return false,
                        Some(&d) if d == c => {
                            if verbatim && b.get(i + 1) == Some(&c) {
                                i += 2;
                                continue;
                            }
                            break;
                        }
                        Some(b'\\') if !verbatim => i += 2,
                        Some(_) => i += 1,
                    }
                }
            }
            b'(' => stack.push(b')'),
            b'[' => stack.push(b']'),
            b')' | b']' => {
                if stack.pop() != Some(c) {
                    return false;
                }
            }
            _ if !stack.is_empty() => {}
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {}
            _ => return false,
        }
        i += 1;
    }
    stack.is_empty()
}

/// A field's target form as an operand.
pub(super) fn field_text(f: &Field) -> String {
    match f.target() {
        Mapped::Column(c) => quote_ident(&c),
        Mapped::Expr(e) => {
            let e = e.trim();
            if is_simple_expr(e) {
                e.to_string()
            } else {
                format!("({e})")
            }
        }
    }
}

/// A number literal: the canonical text, made a real literal when it is a whole number too
/// large for `long`.
pub(super) fn number_text(n: &Number) -> String {
    let t = &n.text;
    if t.parse::<i64>().is_ok() || t.contains(['.', 'e', 'E']) {
        t.clone()
    } else {
        format!("{t}.0")
    }
}

/// RE2 as KQL writes it in a verbatim literal: `regex_syntax`'s metacharacters escaped,
/// control characters (and the line and paragraph separators) as `\x{..}`.
pub(super) const RE2: RegexDialect = RegexDialect {
    meta: regex_syntax::is_meta_character,
    by_code_point: needs_unicode_escape,
    upper_hex: true,
};

/// `s` as a regular expression matching exactly `s`.
pub(super) fn regex_literal(s: &str) -> String {
    RE2.literal(s)
}

/// A glob (`*` any run, `?` one character, nothing else special) as an unanchored regex body.
pub(super) fn glob_body(p: &str) -> String {
    RE2.glob_body(p)
}

/// Whether KQL's case-insensitive operators cannot be trusted with `v`: it holds a
/// non-ASCII character that has a case mapping (KQL documents ASCII-only folding).
pub(super) fn needs_unicode_fold(v: &str) -> bool {
    caseful_non_ascii(v).is_some()
}
