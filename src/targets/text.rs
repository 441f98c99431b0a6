//! Text helpers every target shares: writing a string as a regex that matches exactly it,
//! a glob as a regex body, and the non-ASCII case check. What differs between engines (which
//! characters are escaped, how a character is spelled by code point) is a [`RegexDialect`].

/// How one target's regex engine must be written literal characters.
#[derive(Debug, Clone, Copy)]
pub struct RegexDialect {
    /// Characters that are escaped with `\`.
    pub meta: fn(char) -> bool,
    /// Characters spelled by code point, `\x{..}` (control characters, characters the
    /// surrounding literal cannot hold).
    pub by_code_point: fn(char) -> bool,
    /// Hex digits of `\x{..}` in upper case.
    pub upper_hex: bool,
}

impl RegexDialect {
    /// Append `c` so that it matches itself.
    pub fn push_literal(&self, out: &mut String, c: char) {
        if (self.meta)(c) {
            out.push('\\');
            out.push(c);
        } else {
            self.push_raw(out, c);
        }
    }

    /// Append `c`, already meant literally at this point of a pattern, spelling it by code
    /// point where the dialect must.
    pub fn push_raw(&self, out: &mut String, c: char) {
        if (self.by_code_point)(c) {
            if self.upper_hex {
                out.push_str(&format!("\\x{{{:X}}}", c as u32));
            } else {
                out.push_str(&format!("\\x{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }

    /// `s` as a regex matching exactly `s` (unanchored).
    pub fn literal(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        s.chars().for_each(|c| self.push_literal(&mut out, c));
        out
    }

    /// A glob (`*` any run, `?` one character, nothing else special) as an unanchored regex
    /// body; the caller anchors it and sets dot-all.
    pub fn glob_body(&self, glob: &str) -> String {
        let mut out = String::with_capacity(glob.len() + 8);
        for c in glob.chars() {
            match c {
                '*' => out.push_str(".*"),
                '?' => out.push('.'),
                c => self.push_literal(&mut out, c),
            }
        }
        out
    }
}

/// Make a user pattern case-insensitive: merge `i` into a leading flag group such as
/// `(?s)` (giving `(?is)`), otherwise prefix `(?i)`.
pub fn with_case_insensitive(p: &str) -> String {
    if let Some(rest) = p.strip_prefix("(?") {
        if let Some(end) = rest.find(')') {
            let flags = &rest[..end];
            if !flags.is_empty() && flags.chars().all(|c| c.is_ascii_alphabetic()) {
                if flags.contains('i') {
                    return p.to_string();
                }
                return format!("(?i{flags}){}", &rest[end + 1..]);
            }
        }
    }
    format!("(?i){p}")
}

/// The first non-ASCII character of `s` that has a case mapping. The language folds case by
/// Unicode's simple case mapping; the targets' case-insensitive operators are not known to
/// fold such letters the same way, so a case-insensitive test with one is written otherwise
/// or refused.
pub fn caseful_non_ascii(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        !c.is_ascii()
            && (c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: RegexDialect = RegexDialect {
        meta: |c| matches!(c, '.' | '*' | '\\'),
        by_code_point: |c| c.is_control() || c == '`',
        upper_hex: false,
    };

    #[test]
    fn literals_and_globs() {
        assert_eq!(D.literal("a.b\u{1b}`"), "a\\.b\\x{1b}\\x{60}");
        assert_eq!(D.glob_body("a*b?.c"), "a.*b.\\.c");
        let up = RegexDialect {
            upper_hex: true,
            ..D
        };
        assert_eq!(up.literal("\u{1b}"), "\\x{1B}");
    }

    #[test]
    fn non_ascii_letters_with_case_are_found() {
        assert_eq!(caseful_non_ascii("abcÄ"), Some('Ä'));
        assert_eq!(caseful_non_ascii("\u{212a}"), Some('\u{212a}'));
        assert_eq!(caseful_non_ascii("ABC 日本"), None);
    }
}
