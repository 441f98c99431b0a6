//! A forgiving scan of a `.trip` text for the editor: words, strings, punctuation and JSON
//! test bodies as tokens, whatever the state of the rest of the file. The parser drops an
//! item that does not parse, but completion and hover are asked for exactly there (after
//! `match `, in a half-typed comparison), so they read the tokens around the cursor instead.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A run of letters, digits, `_ . - : /` (names, dotted fields, dates, UUIDs, tags,
    /// numbers, durations).
    Word,
    /// A string literal in any of its forms.
    Str,
    /// `== != <= >= < > =`.
    Op,
    /// One of `{ } [ ] ( ) ,`.
    Punct,
    /// A test's JSON object or array, whole.
    Json,
    /// A `//` comment.
    Comment,
}

/// One token: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    /// The kind.
    pub kind: Kind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Tok {
    /// The token's text.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.-:/".contains(&b)
}

/// Every token of `text`, in order. Never fails: an unterminated string or JSON body runs
/// to the end of its line or of the text.
pub fn tokens(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if b[i..].starts_with(b"//") {
            i = line_end(b, i);
            Kind::Comment
        } else if b[i..].starts_with(b"\"\"\"") {
            i = find(b, i + 3, b"\"\"\"").map_or(b.len(), |e| e + 3);
            Kind::Str
        } else if b[i..].starts_with(b"r#\"") {
            i = find(b, i + 3, b"\"#").map_or(b.len(), |e| e + 2);
            Kind::Str
        } else if b[i..].starts_with(b"r\"") {
            i = plain_end(b, i + 2, false);
            Kind::Str
        } else if c == b'"' {
            i = plain_end(b, i + 1, true);
            Kind::Str
        } else if (c == b'{' || c == b'[') && json_follows(text, &out) {
            i = json_end(b, i);
            Kind::Json
        } else if word_byte(c) {
            while i < b.len() && word_byte(b[i]) {
                i += 1;
            }
            Kind::Word
        } else if b"=!<>".contains(&c) {
            i += 1;
            if i < b.len() && b[i] == b'=' {
                i += 1;
            }
            Kind::Op
        } else if b"{}[](),".contains(&c) {
            i += 1;
            Kind::Punct
        } else {
            // Anything else (a stray character): skip it whole.
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        out.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    out
}

/// Whether a `{` or `[` here opens a test's JSON: after `match`/`nomatch` following
/// `expect`, or after `alerts` / `events`.
fn json_follows(text: &str, before: &[Tok]) -> bool {
    let mut words = before
        .iter()
        .rev()
        .filter(|t| t.kind != Kind::Comment)
        .map(|t| t.text(text));
    match words.next() {
        Some("alerts" | "events") => true,
        Some("match" | "nomatch") => words.next() == Some("expect"),
        _ => false,
    }
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from > b.len() {
        return None;
    }
    b[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

/// The end of a one-line string whose body starts at `i`.
fn plain_end(b: &[u8], mut i: usize, escapes: bool) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' if escapes => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// The end of the balanced JSON object or array starting at `i` (strings respected).
fn json_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The rule body around a position: its name, its `source` and its token range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAt {
    /// The rule's name.
    pub name: String,
    /// The source named by its `source` entry, wherever in the body it is.
    pub source: Option<String>,
    /// Index of the body's `{` in the token list.
    pub open: usize,
    /// Index of its `}` (the last token when it is not closed).
    pub close: usize,
}

/// The rule whose body holds byte offset `at`, if any.
pub fn rule_at(text: &str, toks: &[Tok], at: usize) -> Option<RuleAt> {
    let mut i = 0;
    while i < toks.len() {
        let is_rule = toks[i].kind == Kind::Word && toks[i].text(text) == "rule";
        let open = i + 2;
        if !(is_rule
            && toks.get(open).is_some_and(|t| t.text(text) == "{")
            && toks[i + 1].kind == Kind::Word)
        {
            i += 1;
            continue;
        }
        let mut depth = 0usize;
        let mut close = toks.len() - 1;
        let mut source = None;
        for (k, t) in toks.iter().enumerate().skip(open) {
            match t.text(text) {
                "{" if t.kind == Kind::Punct => depth += 1,
                "}" if t.kind == Kind::Punct => {
                    depth -= 1;
                    if depth == 0 {
                        close = k;
                        break;
                    }
                }
                "source" if depth == 1 && t.kind == Kind::Word => {
                    if let Some(n) = toks.get(k + 1).filter(|n| n.kind == Kind::Word) {
                        source.get_or_insert_with(|| n.text(text).to_string());
                    }
                }
                // A new top-level item where the body was never closed.
                "rule" | "list" | "condition" | "import"
                    if depth == 1 && line_start(text, t.start) && t.kind == Kind::Word =>
                {
                    close = k.saturating_sub(1);
                    break;
                }
                _ => {}
            }
        }
        let end = toks[close].end;
        if toks[open].end <= at && (at <= end || close + 1 == toks.len() && at <= text.len()) {
            return Some(RuleAt {
                name: toks[i + 1].text(text).to_string(),
                source,
                open,
                close,
            });
        }
        i = close + 1;
    }
    None
}

/// Whether only blanks come before `at` on its line.
pub fn line_start(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let from = before.rfind('\n').map_or(0, |p| p + 1);
    before[from..].trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text)
            .iter()
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn json_bodies_and_strings_are_single_tokens() {
        let text = r##"test "x" expect match { "a": "}" } r#"q"x"# """a "b" c""" x=="y""##;
        let k = kinds(text);
        assert_eq!(k[3], (Kind::Word, "match"));
        assert_eq!(k[4], (Kind::Json, r#"{ "a": "}" }"#));
        assert_eq!(k[5], (Kind::Str, "r#\"q\"x\"#"));
        assert_eq!(k[6], (Kind::Str, r#""""a "b" c""""#));
        assert_eq!(
            &k[7..],
            &[(Kind::Word, "x"), (Kind::Op, "=="), (Kind::Str, "\"y\"")]
        );
    }

    #[test]
    fn unterminated_input_ends_at_the_text() {
        for text in [
            "\"abc",
            "r#\"abc",
            "\"\"\"abc",
            "expect match { \"a",
            "x // c",
        ] {
            let t = tokens(text);
            assert!(t.last().unwrap().end <= text.len());
        }
    }

    #[test]
    fn the_rule_around_a_position_and_its_source() {
        let text = "list l = [\"a\"]\nrule r {\n  title \"t\"\n  match \n  source m365.audit\n}\nrule s {\n  source x.y\n";
        let toks = tokens(text);
        let at = text.find("match ").unwrap() + 6;
        let r = rule_at(text, &toks, at).unwrap();
        assert_eq!(
            (r.name.as_str(), r.source.as_deref()),
            ("r", Some("m365.audit"))
        );
        assert_eq!(rule_at(text, &toks, 3), None);
        let r = rule_at(text, &toks, text.len()).unwrap();
        assert_eq!((r.name.as_str(), r.source.as_deref()), ("s", Some("x.y")));
    }
}
