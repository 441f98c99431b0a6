//! Match expressions and list literals.
//!
//! A run of `and`/`or` that fits on its line (and holds no comment) is written on it, unless
//! the source writes it over several lines. Otherwise each operand after the first starts a
//! line with its operator: in a `match` the operator
//! hangs left so that the operands line up (`match A` / `  and B`); in a condition and in
//! brackets it starts at the first operand's column. Brackets are written exactly where the
//! source has them, so grouping never changes.

use pest::iterators::Pair;

use super::out::Out;
use crate::syntax::Rule;

/// Where the operators of a broken run go.
#[derive(Clone, Copy)]
pub enum Style {
    /// Right-aligned before the operands (`match`).
    Hang,
    /// At the operands' column (conditions, brackets).
    Block,
}

pub fn span(p: &Pair<Rule>) -> (usize, usize) {
    (p.as_span().start(), p.as_span().end())
}

/// Every token of `[from, to)` on the current line (forced breaks aside). A comma before
/// `]` is left out unless a comment is attached to it.
pub fn run(o: &mut Out, from: usize, to: usize) {
    let starts = o.starts(from, to);
    for (i, s) in starts.iter().enumerate() {
        let t = &o.toks()[s];
        let before_close = starts.get(i + 1).is_some_and(|n| o.toks()[n].text == "]");
        if t.punct && t.text == "," && before_close && !t.had_lead && !t.had_trail {
            continue;
        }
        o.tok(*s);
    }
}

/// One operand: its `not`s and what they apply to.
struct Term<'i> {
    op: Option<Pair<'i, Rule>>,
    nots: Vec<Pair<'i, Rule>>,
    prim: Pair<'i, Rule>,
}

fn terms(expr: Pair<Rule>) -> Vec<Term> {
    let mut out = Vec::new();
    let mut op = None;
    let mut nots = Vec::new();
    for p in expr.into_inner() {
        match p.as_rule() {
            Rule::op_and | Rule::op_or => op = Some(p),
            Rule::op_not => nots.push(p),
            _ => out.push(Term {
                op: op.take(),
                nots: std::mem::take(&mut nots),
                prim: p,
            }),
        }
    }
    out
}

/// Whether an `expr` is a run of `and`/`or` written over several lines.
pub fn multiline_run(o: &Out, expr: &Pair<Rule>) -> bool {
    let (s, e) = span(expr);
    o.multiline(s, e) && terms(expr.clone()).len() > 1
}

/// An `expr` pair from the current column; `suffix` columns follow it on its last line.
pub fn chain(o: &mut Out, expr: Pair<Rule>, style: Style, suffix: usize) {
    let (s, e) = span(&expr);
    let ts = terms(expr);
    let n = ts.len();
    if o.fits(s, e, suffix) && !(n > 1 && o.multiline(s, e)) {
        return run(o, s, e);
    }
    let saved = o.indent;
    let c = o.col();
    o.indent = c;
    for (i, t) in ts.into_iter().enumerate() {
        if let Some(op) = &t.op {
            let at = match style {
                Style::Hang => c.saturating_sub(op.as_str().len() + 1),
                Style::Block => c,
            };
            o.newline(at);
            o.tok(op.as_span().start());
            o.indent = c;
        }
        term(o, t, if i + 1 == n { suffix } else { 0 });
    }
    o.indent = saved;
}

fn term(o: &mut Out, t: Term, suffix: usize) {
    for n in &t.nots {
        o.tok(n.as_span().start());
    }
    let (s, e) = span(&t.prim);
    if t.prim.as_rule() != Rule::paren {
        return atom(o, t.prim, suffix);
    }
    let inner_multiline = o.multiline(s + 1, e - 1) && {
        let inner = t
            .prim
            .clone()
            .into_inner()
            .next()
            .expect("grammar: a bracket holds an expr");
        terms(inner).len() > 1
    };
    if o.fits(s, e, suffix) && !inner_multiline {
        return run(o, s, e);
    }
    o.tok(s);
    let inner = t
        .prim
        .into_inner()
        .next()
        .expect("grammar: a bracket holds an expr");
    chain(o, inner, Style::Block, suffix + 1);
    o.tok(e - 1);
}

fn find_list<'i>(p: &Pair<'i, Rule>) -> Option<Pair<'i, Rule>> {
    p.clone().into_inner().find_map(|x| {
        if x.as_rule() == Rule::list_lit {
            Some(x)
        } else {
            find_list(&x)
        }
    })
}

/// A comparison, keyword search or condition name.
fn atom(o: &mut Out, p: Pair<Rule>, suffix: usize) {
    let (s, e) = span(&p);
    match find_list(&p) {
        Some(l) => {
            let (ls, le) = span(&l);
            run(o, s, ls);
            let base = o.indent;
            list(o, l, base, suffix);
            run(o, le, e);
        }
        None => run(o, s, e),
    }
}

/// A `list_lit` pair.
pub fn list(o: &mut Out, lit: Pair<Rule>, base: usize, suffix: usize) {
    let (s, e) = span(&lit);
    let items: Vec<(usize, usize)> = lit.into_inner().map(|x| span(&x)).collect();
    items_in_brackets(o, s, &items, e - 1, base, suffix);
}

/// `[a, b, c]` on one line when it fits and holds no comment; otherwise `[`, one item per
/// line at `base + 4` with a comma after each, and `]` at `base`. Trailing comments of the
/// items line up three columns after the longest commented line.
pub fn items_in_brackets(
    o: &mut Out,
    open: usize,
    items: &[(usize, usize)],
    close: usize,
    base: usize,
    suffix: usize,
) {
    if items.is_empty() || o.fits(open, close + 1, suffix) {
        return run(o, open, close + 1);
    }
    let inner = base + super::INDENT;
    let commas: Vec<Option<usize>> = items
        .iter()
        .enumerate()
        .map(|(i, (_, e))| {
            let next = items.get(i + 1).map_or(close, |n| n.0);
            o.starts(*e, next)
                .into_iter()
                .find(|c| o.toks()[c].text == ",")
        })
        .collect();
    let align = items
        .iter()
        .zip(&commas)
        .filter(|((s, e), c)| {
            let last = o.starts(*s, *e).last().copied();
            last.is_some_and(|l| o.toks()[&l].had_trail)
                || c.is_some_and(|c| o.toks()[&c].had_trail)
        })
        .map(|((s, e), _)| inner + o.flat_width(*s, *e) + 1)
        .max()
        .map(|w| w + 3);
    let (saved_indent, saved_align) = (o.indent, o.align);
    o.tok(open);
    for (i, ((s, e), c)) in items.iter().zip(&commas).enumerate() {
        o.newline(inner);
        if i == 0 {
            o.align = align;
        }
        run(o, *s, *e);
        match c {
            Some(c) => o.tok(*c),
            None => o.comma(),
        }
    }
    o.newline(base);
    o.align = saved_align;
    o.tok(close);
    o.indent = saved_indent;
}
