//! Regex transforms on checked patterns, shared by the evaluator and every target, so that
//! one pattern is read the same way by Rust's engine (the evaluator), RE2 and PCRE2.

/// Spell the Perl classes `\d`, `\w`, `\s` as explicit ASCII classes, which every engine
/// reads the same way. With `boundaries`, also make `\b`/`\B` ASCII (`(?-u:\b)`, Rust only).
pub fn ascii_classes(pattern: &str, boundaries: bool) -> String {
    use regex_syntax::ast::{parse::Parser, visit, Ast, ClassPerlKind, Visitor};
    struct Collect(Vec<(usize, usize, &'static str)>, bool);
    impl Visitor for Collect {
        type Output = Vec<(usize, usize, &'static str)>;
        type Err = ();
        fn finish(self) -> Result<Self::Output, ()> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
            match ast {
                Ast::ClassPerl(c) => {
                    let r = match (c.kind.clone(), c.negated) {
                        (ClassPerlKind::Digit, false) => "[0-9]",
                        (ClassPerlKind::Digit, true) => "[^0-9]",
                        (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
                        (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
                        (ClassPerlKind::Space, false) => "[\\t\\n\\x0B\\f\\r ]",
                        (ClassPerlKind::Space, true) => "[^\\t\\n\\x0B\\f\\r ]",
                    };
                    self.0.push((c.span.start.offset, c.span.end.offset, r));
                }
                Ast::Assertion(a) => {
                    use regex_syntax::ast::AssertionKind::*;
                    let r = match a.kind {
                        _ if !self.1 => None,
                        WordBoundary => Some("(?-u:\\b)"),
                        NotWordBoundary => Some("(?-u:\\B)"),
                        _ => None,
                    };
                    if let Some(r) = r {
                        self.0.push((a.span.start.offset, a.span.end.offset, r));
                    }
                }
                _ => {}
            }
            Ok(())
        }
        fn visit_class_set_item_pre(
            &mut self,
            item: &regex_syntax::ast::ClassSetItem,
        ) -> Result<(), ()> {
            if let regex_syntax::ast::ClassSetItem::Perl(c) = item {
                let r = match (c.kind.clone(), c.negated) {
                    (ClassPerlKind::Digit, false) => "0-9",
                    (ClassPerlKind::Word, false) => "0-9A-Za-z_",
                    (ClassPerlKind::Space, false) => "\\t\\n\\x0B\\f\\r ",
                    // A negated class inside brackets has no ASCII spelling without set
                    // operations; keep it (the checker's subset makes this rare).
                    _ => return Ok(()),
                };
                self.0.push((c.span.start.offset, c.span.end.offset, r));
            }
            Ok(())
        }
    }
    let Ok(ast) = Parser::new().parse(pattern) else {
        return pattern.to_string();
    };
    let Ok(mut edits) = visit(&ast, Collect(Vec::new(), boundaries)) else {
        return pattern.to_string();
    };
    edits.sort();
    let mut out = String::new();
    let mut pos = 0;
    for (s, e, r) in edits {
        if s < pos {
            continue;
        }
        out.push_str(&pattern[pos..s]);
        out.push_str(r);
        pos = e;
    }
    out.push_str(&pattern[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::ascii_classes;

    #[test]
    fn perl_classes_become_ascii_classes() {
        assert_eq!(ascii_classes(r"\d+\W", false), "[0-9]+[^0-9A-Za-z_]");
        assert_eq!(ascii_classes(r"[\s,]", false), "[\\t\\n\\x0B\\f\\r ,]");
        // Boundaries only for the evaluator's engine; a pattern that does not parse stays.
        assert_eq!(ascii_classes(r"\bx", false), r"\bx");
        assert_eq!(ascii_classes(r"\bx", true), r"(?-u:\b)x");
        assert_eq!(ascii_classes("(", true), "(");
    }
}
