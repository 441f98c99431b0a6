//! `tripline fmt`: one canonical layout for rule files. [`format`] is the entry point.
//!
//! The layout is computed from pest's parse tree (every token with its place) and the
//! comments between tokens ([`tokens`]); the output is written by a line writer ([`out`])
//! that keeps every comment next to the token it was attached to. Items and rule entries
//! are laid out in [`items`], match expressions and lists in [`expr`]. The tokens are
//! written as they are in the source (strings, numbers and JSON bodies exactly as spelled;
//! brackets where they were), so the meaning cannot change; only blanks, line breaks and
//! optional trailing commas in lists do. The layout is described in `grammar/README.md`
//! ("Layout").

mod expr;
mod items;
mod out;
mod tokens;

#[cfg(test)]
mod tests;

use crate::syntax::SyntaxError;

/// The column lines are kept within where the layout has a choice.
pub const WIDTH: usize = 100;
/// The indentation of a rule's entries and of continued lines.
pub const INDENT: usize = 4;

/// The canonical layout of a rule file, or its syntax errors (a file that does not parse is
/// never rewritten).
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    format_with_tokens(text).map(|(out, _)| out)
}

/// The layout and the tokens it was made from (with their comments).
pub(crate) fn format_with_tokens(text: &str) -> Result<(String, tokens::Tokens), Vec<SyntaxError>> {
    crate::syntax::with_tree(text, |file| {
        let toks = tokens::tokens(text, file.clone());
        let mut o = out::Out::new(toks.clone());
        items::file(&mut o, file, text.len());
        assert!(o.all_written(), "fmt: a comment was not written");
        (o.finish(), toks)
    })
}
