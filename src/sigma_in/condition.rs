//! The `condition` expression: tokens, a recursive-descent parser over `and`/`or`/`not`, parentheses and `1 of`/`all of` selection patterns.

use super::*;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
}

pub(super) struct Cond<'a> {
    toks: Vec<Tok>,
    pos: usize,
    sels: &'a IndexMap<String, Expr>,
    span: Span,
    text: &'a str,
}

impl<'a> Cond<'a> {
    pub(super) fn new(text: &'a str, sels: &'a IndexMap<String, Expr>, span: Span) -> Cond<'a> {
        let mut toks = Vec::new();
        let mut word = String::new();
        for c in text.chars() {
            if c == '(' || c == ')' || c.is_whitespace() {
                if !word.is_empty() {
                    toks.push(Tok::Word(std::mem::take(&mut word)));
                }
                if c == '(' {
                    toks.push(Tok::LParen);
                } else if c == ')' {
                    toks.push(Tok::RParen);
                }
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            toks.push(Tok::Word(word));
        }
        Cond {
            toks,
            pos: 0,
            sels,
            span,
            text,
        }
    }

    fn err(&self, reason: &str) -> SigmaInError {
        SigmaInError::Condition {
            reason: reason.to_string(),
            span: sp(self.span),
        }
    }

    pub(super) fn parse(mut self) -> Result<Expr, SigmaInError> {
        if self.text.contains('|') {
            return Err(SigmaInError::Aggregation {
                what: self.text.trim().to_string(),
                span: sp(self.span),
            });
        }
        if self.toks.is_empty() {
            return Err(self.err("the condition is empty"));
        }
        let e = self.or_expr(0)?;
        if self.pos < self.toks.len() {
            return Err(self.err(&format!("unexpected `{}`", self.tok_text(self.pos))));
        }
        Ok(e)
    }

    fn tok_text(&self, i: usize) -> String {
        match &self.toks[i] {
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Word(w) => w.clone(),
        }
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x == w)
    }

    fn or_expr(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        let mut xs = vec![self.and_expr(depth)?];
        while self.peek_word("or") {
            self.pos += 1;
            xs.push(self.and_expr(depth)?);
        }
        Ok(or(xs))
    }

    fn and_expr(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        let mut xs = vec![self.not_expr(depth)?];
        while self.peek_word("and") {
            self.pos += 1;
            xs.push(self.not_expr(depth)?);
        }
        Ok(and(xs))
    }

    fn not_expr(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        if depth > MAX_DEPTH {
            return Err(self.err(&format!("nested more than {MAX_DEPTH} levels deep")));
        }
        if self.peek_word("not") {
            self.pos += 1;
            let e = self.not_expr(depth + 1)?;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<Expr, SigmaInError> {
        let Some(tok) = self.toks.get(self.pos).cloned() else {
            return Err(self.err("the condition ends too early"));
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let e = self.or_expr(depth + 1)?;
                if self.toks.get(self.pos) != Some(&Tok::RParen) {
                    return Err(self.err("a `(` is not closed"));
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::RParen => Err(self.err("unexpected `)`")),
            Tok::Word(w) => match w.as_str() {
                "and" | "or" | "not" | "of" | "them" => Err(self.err(&format!("unexpected `{w}`"))),
                "1" | "all" if self.peek_word("of") => {
                    self.pos += 1;
                    let Some(Tok::Word(pat)) = self.toks.get(self.pos).cloned() else {
                        return Err(self.err(&format!("`{w} of` needs a name pattern or `them`")));
                    };
                    self.pos += 1;
                    let names: Vec<&String> = if pat == "them" {
                        self.sels.keys().filter(|k| !k.starts_with('_')).collect()
                    } else {
                        self.sels.keys().filter(|k| name_glob(&pat, k)).collect()
                    };
                    if names.is_empty() {
                        return Err(SigmaInError::UnknownSelection {
                            name: pat,
                            span: sp(self.span),
                        });
                    }
                    let xs: Vec<Expr> = names.iter().map(|n| self.sels[*n].clone()).collect();
                    Ok(if w == "1" { or(xs) } else { and(xs) })
                }
                _ if self.peek_word("of") => Err(self.err(&format!(
                    "`{w} of` is not supported (only `1 of` and `all of`)"
                ))),
                _ => match self.sels.get(&w) {
                    Some(e) => Ok(e.clone()),
                    None => Err(SigmaInError::UnknownSelection {
                        name: w,
                        span: sp(self.span),
                    }),
                },
            },
        }
    }
}

/// A selection-name pattern: `*` is any run, everything else literal.
fn name_glob(pat: &str, name: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}
