//! One rule: its metadata, source, match expression and test cases lowered to IR.

use super::*;

impl<'a> Checker<'a> {
    /// Check and lower one rule.
    pub(super) fn rule(&mut self, f: usize, r: &'a ast::RuleDecl) -> Option<ir::Rule> {
        let before = self.errors.len();
        let meta = meta::check(r, &mut |e| self.errors.push((f, e)));
        let source = self.single(f, r, &r.sources, "source");
        let m = self.single(f, r, &r.matches, "match");
        let src = source.and_then(|s| {
            let found = self.catalog.sources.get(&s.name);
            if found.is_none() {
                let help = did_you_mean(&s.name, self.catalog.sources.keys().map(String::as_str))
                    .or_else(|| Some("`tripline sources` lists the catalog".into()));
                self.err(
                    f,
                    CheckError::UnknownSource {
                        name: s.name.clone(),
                        span: s.span.into(),
                        help,
                    },
                );
            }
            found.map(|src| (s.name.clone(), src))
        });
        let (source_name, src) = src?;
        // `fields` metadata must name real fields.
        for entry in r.meta.iter().filter(|m| m.key.name == "fields") {
            for v in &entry.values {
                let (name, span) = v.text();
                if src.field_type(name).is_none() {
                    self.unknown_field(f, name, &source_name, src, span);
                }
            }
        }
        let expr = m.and_then(|m| {
            let mut stack = Vec::new();
            self.lower(f, m, &source_name, src, &mut stack)
        });
        let stage = self.stage(f, r, &source_name, src, m);
        let (tests, stream_tests) = self.tests(f, r);
        if self.errors.len() != before {
            return None;
        }
        Some(ir::Rule {
            name: r.name.name.clone(),
            meta: meta?,
            source: source_name,
            expr: expr?,
            span: r.span,
            stage,
            tests,
            test_files: r
                .test_files
                .iter()
                .map(|s| (s.value.clone(), s.span))
                .collect(),
            stream_tests,
        })
    }
}
