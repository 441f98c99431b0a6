//! The file as a stream of tokens with its comments attached.
//!
//! The leaves of pest's tree are the words and literals; what lies between two leaves is
//! blanks, comments and punctuation (`{ } [ ] ( ) , = :`), which cannot contain a string,
//! so comments are found there without scanning strings or JSON. A comment on the same line
//! as the token before it trails that token; any other comment leads the token after it.

use std::collections::BTreeMap;

use pest::iterators::Pair;

use crate::syntax::Rule;

/// A comment as written, without its line break and trailing blanks.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// `// ...`
    pub text: String,
    /// Whether a blank line separates it from what comes before.
    pub blank_before: bool,
}

/// One token: a leaf of the tree or a punctuation character.
#[derive(Debug, Clone)]
pub struct Tok {
    /// What is written for it.
    pub text: String,
    /// Whether it is a punctuation character.
    pub punct: bool,
    /// Comments on the lines before it (taken when written).
    pub lead: Vec<Comment>,
    /// The comment after it on its line (taken when written).
    pub trail: Option<String>,
    /// Whether it had leading comments (kept when they are taken).
    pub had_lead: bool,
    /// Whether it had a trailing comment (kept when it is taken).
    pub had_trail: bool,
    /// Whether a blank line separates it from the token or comment before it.
    pub blank_before: bool,
    /// Whether it starts a line.
    pub nl_before: bool,
}

/// Every token by start offset; the end of the text holds the comments after the last token.
pub type Tokens = BTreeMap<usize, Tok>;

/// Rules whose whole text is one token.
fn is_leaf(p: &Pair<Rule>) -> bool {
    matches!(
        p.as_rule(),
        Rule::plain_str
            | Rule::raw_str
            | Rule::triple_str
            | Rule::json_object
            | Rule::json_array
            | Rule::related_item
            | Rule::str_op
            | Rule::cmp_op
    ) || p.clone().into_inner().next().is_none()
}

/// The text written for a leaf.
fn leaf_text(p: &Pair<Rule>) -> String {
    match p.as_rule() {
        // `<type> <uuid>`: one blank between the words.
        Rule::related_item => p.as_str().split_whitespace().collect::<Vec<_>>().join(" "),
        // Blanks before a line break are outside any JSON string (a JSON string cannot hold
        // a raw line break); a triple-quoted string is dedented with its lines' ends trimmed.
        Rule::json_object | Rule::json_array | Rule::triple_str => trim_line_ends(p.as_str()),
        _ => p.as_str().to_string(),
    }
}

/// Remove blanks before each line break (the text after the last one is kept).
fn trim_line_ends(s: &str) -> String {
    let pieces: Vec<&str> = s.split('\n').collect();
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i < last {
                p.trim_end_matches([' ', '\t', '\r'])
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn leaves<'i>(p: Pair<'i, Rule>, out: &mut Vec<Pair<'i, Rule>>) {
    if is_leaf(&p) {
        out.push(p);
    } else {
        for x in p.into_inner() {
            leaves(x, out);
        }
    }
}

fn tok(text: String, punct: bool) -> Tok {
    Tok {
        text,
        punct,
        lead: Vec::new(),
        trail: None,
        had_lead: false,
        had_trail: false,
        blank_before: false,
        nl_before: false,
    }
}

/// The tokens and comments of a parsed file (`file` is the pest pair of the whole text).
pub fn tokens(text: &str, file: Pair<Rule>) -> Tokens {
    let mut ls = Vec::new();
    leaves(file, &mut ls);
    let mut toks = Tokens::new();
    // Where the previous token or comment ended, and whether it was a token on this line.
    let mut prev_tok: Option<usize> = None;
    let mut newlines = 0usize;
    let mut pending: Vec<Comment> = Vec::new();
    let mut pos = 0;
    let b = text.as_bytes();
    let gap = |from: usize,
               to: usize,
               toks: &mut Tokens,
               prev_tok: &mut Option<usize>,
               newlines: &mut usize,
               pending: &mut Vec<Comment>| {
        let mut i = from;
        while i < to {
            let c = b[i];
            if c == b'\n' {
                *newlines += 1;
                i += 1;
            } else if c.is_ascii_whitespace() {
                i += 1;
            } else if b[i..to].starts_with(b"//") {
                let end = text[i..to].find('\n').map_or(to, |n| i + n);
                let body = text[i..end].trim_end().to_string();
                match *prev_tok {
                    Some(p) if *newlines == 0 && pending.is_empty() => {
                        let t = toks.get_mut(&p).expect("the previous token is stored");
                        t.trail = Some(body);
                        t.had_trail = true;
                    }
                    _ => pending.push(Comment {
                        text: body,
                        blank_before: *newlines >= 2,
                    }),
                }
                *prev_tok = None;
                *newlines = 0;
                i = end;
            } else if text.as_bytes()[i] == 0xEF && text[i..].starts_with('\u{FEFF}') {
                i += '\u{FEFF}'.len_utf8();
            } else {
                let ch = text[i..].chars().next().expect("inside the text");
                let n = ch.len_utf8();
                let mut t = tok(ch.to_string(), true);
                t.blank_before = *newlines >= 2;
                t.nl_before = *newlines > 0 || !pending.is_empty();
                t.had_lead = !pending.is_empty();
                t.lead = std::mem::take(pending);
                toks.insert(i, t);
                *prev_tok = Some(i);
                *newlines = 0;
                i += n;
            }
        }
    };
    for l in &ls {
        let s = l.as_span();
        if s.start() == s.end() {
            continue; // EOI
        }
        gap(
            pos,
            s.start(),
            &mut toks,
            &mut prev_tok,
            &mut newlines,
            &mut pending,
        );
        let mut t = tok(leaf_text(l), false);
        t.blank_before = newlines >= 2;
        t.nl_before = newlines > 0 || !pending.is_empty();
        t.had_lead = !pending.is_empty();
        t.lead = std::mem::take(&mut pending);
        toks.insert(s.start(), t);
        prev_tok = Some(s.start());
        newlines = 0;
        pos = s.end();
    }
    gap(
        pos,
        text.len(),
        &mut toks,
        &mut prev_tok,
        &mut newlines,
        &mut pending,
    );
    let mut eof = tok(String::new(), true);
    eof.had_lead = !pending.is_empty();
    eof.lead = pending;
    toks.insert(text.len(), eof);
    move_to_commas(&mut toks);
    toks
}

/// A comment trailing a value that a comma follows trails the comma instead (`"a" // x` then
/// `,` is written `"a", // x`), unless the comma has comments of its own.
fn move_to_commas(toks: &mut Tokens) {
    let keys: Vec<usize> = toks.keys().copied().collect();
    for w in keys.windows(2) {
        let next = &toks[&w[1]];
        if next.text == "," && next.punct && next.lead.is_empty() && next.trail.is_none() {
            if let Some(c) = toks.get_mut(&w[0]).and_then(|t| t.trail.take()) {
                toks.get_mut(&w[0]).expect("present").had_trail = false;
                let n = toks.get_mut(&w[1]).expect("present");
                n.trail = Some(c);
                n.had_trail = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::trim_line_ends;

    #[test]
    fn line_ends_are_trimmed_but_not_the_last_piece() {
        assert_eq!(trim_line_ends("{ \n  \"a\": 1  \n}"), "{\n  \"a\": 1\n}");
        assert_eq!(trim_line_ends("ab  "), "ab  ");
    }
}
