//! The line writer: tokens in order, one blank between them where the layout allows it,
//! line breaks where the layout asks for them, and every comment where it belongs.
//!
//! A token with leading comments starts a new line after them; a token after a trailing
//! comment starts a new line. Both breaks go to the current continuation indent, so the
//! layout never has to know where comments are (it only avoids one-line forms around them).

use super::tokens::{Comment, Tokens};

/// How a block-level token treats the blank line before it.
#[derive(Clone, Copy, PartialEq)]
pub enum Blank {
    /// Always one blank line (between top-level items).
    Always,
    /// None (the first entry of a rule).
    Never,
    /// One when the source had at least one (between entries).
    Keep,
}

pub struct Out {
    toks: Tokens,
    lines: Vec<String>,
    line: String,
    /// Whether the current line holds only its indentation.
    fresh: bool,
    /// The comment to end the current line with.
    pending: Option<String>,
    /// Blanks to write before the next token (0: none; set by the layout).
    space: Option<usize>,
    /// The text of the last token written.
    last: String,
    /// Where forced line breaks go.
    pub indent: usize,
    /// The column trailing comments are aligned to, if any.
    pub align: Option<usize>,
}

/// Whether one blank separates `a` and `b` on a line.
fn spaced(a: &str, b: &str) -> bool {
    !(a.is_empty() || a == "(" || a == "[" || matches!(b, ")" | "]" | "," | ":"))
}

fn width(s: &str) -> usize {
    s.rsplit('\n').next().unwrap_or(s).chars().count()
}

impl Out {
    pub fn new(toks: Tokens) -> Out {
        Out {
            toks,
            lines: Vec::new(),
            line: String::new(),
            fresh: true,
            pending: None,
            space: None,
            last: String::new(),
            indent: 0,
            align: None,
        }
    }

    /// The tokens (to look at the layout's options before writing).
    pub fn toks(&self) -> &Tokens {
        &self.toks
    }

    /// The start of the first token with `text` at or after `from`.
    pub fn find(&self, from: usize, text: &str) -> usize {
        self.toks
            .range(from..)
            .find(|(_, t)| t.text == text && t.punct)
            .map(|(s, _)| *s)
            .expect("the grammar puts the punctuation there")
    }

    /// The starts of the tokens in `[from, to)`.
    pub fn starts(&self, from: usize, to: usize) -> Vec<usize> {
        self.toks.range(from..to).map(|(s, _)| *s).collect()
    }

    /// The width of `[from, to)` written on one line (a comma before `]` is left out).
    pub fn flat_width(&self, from: usize, to: usize) -> usize {
        let mut w = 0;
        let mut last = "";
        let ts: Vec<_> = self.toks.range(from..to).collect();
        for (i, (_, t)) in ts.iter().enumerate() {
            if t.text == "," && ts.get(i + 1).is_some_and(|(_, n)| n.text == "]") {
                continue;
            }
            if spaced(last, &t.text) {
                w += 1;
            }
            w += t.text.chars().count();
            last = &t.text;
        }
        w
    }

    /// Whether a comment sits inside `[from, to)`: before any token but the first or after
    /// any token but the last.
    pub fn has_comments(&self, from: usize, to: usize) -> bool {
        let ts: Vec<_> = self.toks.range(from..to).collect();
        ts.iter()
            .enumerate()
            .any(|(i, (_, t))| (i > 0 && t.had_lead) || (i + 1 < ts.len() && t.had_trail))
    }

    /// Whether a token of `[from, to)` other than the first starts a line in the source.
    pub fn multiline(&self, from: usize, to: usize) -> bool {
        self.toks.range(from..to).skip(1).any(|(_, t)| t.nl_before)
    }

    /// Whether `[from, to)` can be written on one line from the current column, with
    /// `suffix` more columns after it.
    pub fn fits(&self, from: usize, to: usize, suffix: usize) -> bool {
        self.col() + self.flat_width(from, to) + suffix <= super::WIDTH
            && !self.has_comments(from, to)
    }

    /// The column the next token would start at.
    pub fn col(&self) -> usize {
        if self.pending.is_some() {
            return self.indent;
        }
        let w = width(&self.line);
        match self.space {
            Some(n) if !self.fresh => w + n,
            None if !self.fresh && spaced(&self.last, "x") => w + 1,
            _ => w,
        }
    }

    fn finish_line(&mut self) {
        let mut line = std::mem::take(&mut self.line);
        if self.fresh {
            line.clear();
        }
        if let Some(c) = self.pending.take() {
            let w = width(&line);
            let at = self.align.filter(|a| *a >= w + 2).unwrap_or(w + 2);
            if line.is_empty() {
                line.push_str(&" ".repeat(self.indent));
            } else {
                line.push_str(&" ".repeat(at - w));
            }
            line.push_str(&c);
        }
        self.lines.push(line);
    }

    /// End the line; the next starts at `indent`, which becomes the continuation indent.
    pub fn newline(&mut self, indent: usize) {
        // A line that holds only its indentation is not ended, only re-indented.
        if !self.fresh || self.pending.is_some() {
            self.finish_line();
        }
        self.line = " ".repeat(indent);
        self.fresh = true;
        self.space = None;
        self.last.clear();
        self.indent = indent;
    }

    /// One blank line before the current (fresh) line, unless there is one already.
    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    /// Forget the blank line in the source before the token at `at`.
    pub fn no_blank(&mut self, at: usize) {
        if let Some(t) = self.toks.get_mut(&at) {
            t.blank_before = false;
        }
    }

    /// Blanks before the next token instead of the usual one.
    pub fn pad_to(&mut self, col: usize) {
        let w = width(&self.line);
        self.space = Some(col.saturating_sub(w).max(1));
    }

    fn comment_line(&mut self, c: &Comment, blank: bool) {
        if !self.fresh || self.pending.is_some() {
            let i = self.indent;
            self.newline(i);
        }
        if blank {
            self.blank();
        }
        self.line.push_str(&c.text);
        self.fresh = false;
        let i = self.indent;
        self.newline(i);
    }

    /// At the start of a block-level line: the token's leading comments on lines of their
    /// own and the blank lines around them (`first`: before the first comment, or before the
    /// token when it has none; between comments and after them as in the source).
    pub fn lead_block(&mut self, at: usize, first: Blank) {
        let t = self.toks.get_mut(&at).expect("a token starts there");
        let lead = std::mem::take(&mut t.lead);
        let before_tok = t.blank_before;
        let want = |b: bool, i: usize| match first {
            _ if i > 0 => b,
            Blank::Always => true,
            Blank::Never => false,
            Blank::Keep => b,
        };
        for (i, c) in lead.iter().enumerate() {
            let b = want(c.blank_before, i);
            self.comment_line(c, b);
        }
        if want(before_tok, lead.len()) {
            self.blank();
        }
    }

    /// Write the token that starts at `at`.
    pub fn tok(&mut self, at: usize) {
        let t = self.toks.get_mut(&at).expect("a token starts there");
        let lead = std::mem::take(&mut t.lead);
        let trail = t.trail.take();
        let text = t.text.clone();
        for c in &lead {
            self.comment_line(c, false);
        }
        self.write(&text);
        self.pending = trail;
    }

    /// Write a comma that is not in the source (after the last item of a broken list). It
    /// goes before a trailing comment of the item, where a written comma would take it.
    pub fn comma(&mut self) {
        match self.pending {
            Some(_) => {
                self.line.push(',');
                self.last = ",".into();
            }
            None => self.write(","),
        }
    }

    fn write(&mut self, text: &str) {
        if self.pending.is_some() {
            let i = self.indent;
            self.newline(i);
        }
        if !self.fresh {
            let n = match self.space {
                Some(n) => n,
                None => usize::from(spaced(&self.last, text)),
            };
            self.line.push_str(&" ".repeat(n));
        }
        self.line.push_str(text);
        self.fresh = false;
        self.space = None;
        self.last = text.to_string();
    }

    /// The text written, with a final line break.
    pub fn finish(mut self) -> String {
        self.finish_line();
        while self.lines.last().is_some_and(String::is_empty) {
            self.lines.pop();
        }
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }

    /// Whether every comment has been written.
    pub fn all_written(&self) -> bool {
        self.toks
            .values()
            .all(|t| t.lead.is_empty() && t.trail.is_none())
    }
}
