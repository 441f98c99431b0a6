//! Top-level items and rule entries.
//!
//! Items are separated by one blank line; one-line imports, lists or conditions that follow
//! one of their kind keep the source's grouping.
//! A rule's entries are indented four columns, one per line; the blank lines between
//! entries are kept (at most one), never after `{` or before `}`. Metadata values start at
//! column 16 (keys padded, as the library writes them); values that do not fit on the line
//! continue on the next lines, starting under the first (as many on a line as fit).

use pest::iterators::Pair;

use super::expr::{chain, items_in_brackets, list, multiline_run, run, span, Style};
use super::out::{Blank, Out};
use super::INDENT;
use crate::syntax::Rule;

/// Where metadata values start: the entry's indent plus 12.
const META_VALUES: usize = INDENT + 12;

/// A whole `file` pair.
pub fn file(o: &mut Out, file: Pair<Rule>, len: usize) {
    let mut prev: Option<Rule> = None;
    let items: Vec<Pair<Rule>> = file
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .collect();
    for (i, it) in items.into_iter().enumerate() {
        let short = one_line(o, &it).then_some(it.as_rule());
        let first = match i {
            0 => Blank::Keep,
            _ if short.is_some() && short == prev => Blank::Keep,
            _ => Blank::Always,
        };
        o.newline(0);
        o.lead_block(it.as_span().start(), first);
        item(o, it);
        prev = short;
    }
    o.newline(0);
    o.lead_block(len, Blank::Keep);
}

/// Whether an import, list or condition is written on one line (such items of one kind
/// may follow each other without a blank line, as the source groups them).
fn one_line(o: &Out, it: &Pair<Rule>) -> bool {
    let (s, e) = span(it);
    let expr = it.clone().into_inner().find(|x| x.as_rule() == Rule::expr);
    matches!(
        it.as_rule(),
        Rule::import | Rule::list_decl | Rule::condition_decl
    ) && o.flat_width(s, e) <= super::WIDTH
        && !o.has_comments(s, e)
        && !expr.is_some_and(|x| multiline_run(o, &x))
}

fn item(o: &mut Out, it: Pair<Rule>) {
    let (s, e) = span(&it);
    match it.as_rule() {
        Rule::list_decl => {
            let lit = it
                .into_inner()
                .find(|x| x.as_rule() == Rule::list_lit)
                .expect("grammar: a list has a literal");
            run(o, s, lit.as_span().start());
            list(o, lit, 0, 0);
        }
        Rule::condition_decl => {
            let expr = it
                .into_inner()
                .find(|x| x.as_rule() == Rule::expr)
                .expect("grammar: a condition has an expr");
            let (es, ee) = span(&expr);
            run(o, s, es);
            if o.fits(es, ee, 0) && !multiline_run(o, &expr) {
                run(o, es, ee);
            } else {
                o.newline(INDENT);
                chain(o, expr, Style::Block, 0);
            }
        }
        Rule::rule_decl => rule(o, it),
        _ => run(o, s, e),
    }
}

fn rule(o: &mut Out, r: Pair<Rule>) {
    let (s, e) = span(&r);
    let brace = o.find(s, "{");
    run(o, s, brace + 1);
    let entries: Vec<Pair<Rule>> = r
        .into_inner()
        .filter(|x| !matches!(x.as_rule(), Rule::ident | Rule::kw_rule))
        .collect();
    for (k, en) in entries.into_iter().enumerate() {
        o.newline(INDENT);
        let first = if k == 0 { Blank::Never } else { Blank::Keep };
        o.lead_block(en.as_span().start(), first);
        entry(o, en);
    }
    let close = e - 1;
    o.newline(INDENT);
    o.no_blank(close);
    o.lead_block(close, Blank::Keep);
    o.newline(0);
    o.tok(close);
}

fn entry(o: &mut Out, en: Pair<Rule>) {
    let (s, e) = span(&en);
    match en.as_rule() {
        Rule::meta_entry | Rule::related_entry => {
            let mut inner = en.into_inner();
            let key = inner.next().expect("grammar: an entry has a key");
            o.tok(key.as_span().start());
            o.pad_to(META_VALUES);
            let values: Vec<(usize, usize)> = inner.map(|v| span(&v)).collect();
            values_list(o, &values);
        }
        Rule::match_entry => {
            let mut inner = en.into_inner();
            let kw = inner.next().expect("grammar: `match`");
            o.tok(kw.as_span().start());
            let expr = inner.next().expect("grammar: match has an expr");
            chain(o, expr, Style::Hang, 0);
        }
        Rule::sequence_entry => {
            let open = o.find(s, "[");
            run(o, s, open);
            let steps: Vec<(usize, usize)> = en
                .into_inner()
                .filter(|x| x.as_rule() == Rule::ident)
                .map(|x| span(&x))
                .collect();
            let base = o.indent;
            items_in_brackets(o, open, &steps, e - 1, base, 0);
        }
        _ => run(o, s, e),
    }
}

/// Metadata values: as many on a line as fit, the next lines starting under the first.
fn values_list(o: &mut Out, values: &[(usize, usize)]) {
    let col = o.col();
    let saved = o.indent;
    o.indent = col;
    for (i, (s, e)) in values.iter().enumerate() {
        if i > 0 {
            let comma = o.find(values[i - 1].1, ",");
            o.tok(comma);
            let comma_after = usize::from(i + 1 < values.len());
            if o.col() + o.flat_width(*s, *e) + comma_after > super::WIDTH {
                o.newline(col);
            }
        }
        run(o, *s, *e);
    }
    o.indent = saved;
}
