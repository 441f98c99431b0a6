//! A rule's match expression and its test cases.

use super::*;

impl<'a> Checker<'a> {
    /// The `match` of rule `name` declared in file `rf`, for use as a sequence step; it must
    /// read the same log source.
    pub(super) fn rule_match(
        &mut self,
        rf: usize,
        name: &str,
        source_name: &str,
        span: Span,
        f: usize,
    ) -> Option<&'a ast::Expr> {
        let ast = self.files[rf].ast?;
        let r = ast.items.iter().find_map(|i| match i {
            ast::Item::Rule(r) if r.name.name == name => Some(r),
            _ => None,
        })?;
        if r.sources.first().map(|s| s.name.as_str()) != Some(source_name) {
            self.err(
                f,
                CheckError::BadValue {
                    reason: format!("rule `{name}` reads another log source"),
                    span: span.into(),
                    help: Some(format!("sequence steps must read `{source_name}`")),
                },
            );
            return None;
        }
        r.matches.first()
    }

    /// Lower a rule's test cases; stream tests only go with a stage, event tests with any rule.
    pub(super) fn tests(
        &mut self,
        f: usize,
        r: &ast::RuleDecl,
    ) -> (Vec<ir::TestCase>, Vec<ir::StreamTest>) {
        let mut tests = Vec::new();
        let mut streams = Vec::new();
        for t in &r.tests {
            match &t.body {
                ast::TestBody::Event { expect, event } => {
                    if !event.is_object() {
                        self.err(
                            f,
                            CheckError::BadValue {
                                reason: "a test event must be a JSON object".into(),
                                span: t.span.into(),
                                help: None,
                            },
                        );
                        continue;
                    }
                    tests.push(ir::TestCase {
                        name: t.name.value.clone(),
                        expect: *expect,
                        event: event.clone(),
                        span: t.span,
                    })
                }
                ast::TestBody::Stream { alerts, events } => {
                    if r.stages.is_empty() {
                        self.err(
                            f,
                            CheckError::BadValue {
                                reason: "`expect alerts` tests need a stateful stage".into(),
                                span: t.span.into(),
                                help: Some(
                                    "for a single-event rule write `expect match { ... }` or `expect nomatch { ... }`"
                                        .into(),
                                ),
                            },
                        );
                        continue;
                    }
                    let at = match &t.at {
                        None => None,
                        Some(s) => match crate::time::parse(&s.value) {
                            Some(ms) => Some(ms),
                            None => {
                                self.err(
                                    f,
                                    CheckError::BadValue {
                                        reason: format!("`{}` is not a timestamp", s.value),
                                        span: s.span.into(),
                                        help: Some("write YYYY-MM-DDTHH:MM:SSZ".into()),
                                    },
                                );
                                continue;
                            }
                        },
                    };
                    if let Some(bad) = alerts.iter().find(|a| !a.is_object()) {
                        let _ = bad;
                        self.err(
                            f,
                            CheckError::BadValue {
                                reason: "each expected alert must be a JSON object".into(),
                                span: t.span.into(),
                                help: None,
                            },
                        );
                        continue;
                    }
                    let events = match events {
                        ast::StreamEvents::Inline(v) => ir::StreamEvents::Inline(v.clone()),
                        ast::StreamEvents::File(s) => ir::StreamEvents::File(s.value.clone()),
                    };
                    streams.push(ir::StreamTest {
                        name: t.name.value.clone(),
                        at,
                        alerts: alerts.clone(),
                        events,
                        span: t.span,
                    });
                }
            }
        }
        (tests, streams)
    }

    pub(super) fn single<'b, T>(
        &mut self,
        f: usize,
        r: &ast::RuleDecl,
        items: &'b [T],
        key: &'static str,
    ) -> Option<&'b T>
    where
        T: HasSpan,
    {
        if items.is_empty() {
            self.err(
                f,
                CheckError::MissingEntry {
                    rule: r.name.name.clone(),
                    key,
                    span: r.name.span.into(),
                },
            );
            return None;
        }
        for extra in &items[1..] {
            self.err(
                f,
                CheckError::DuplicateEntry {
                    key: key.to_string(),
                    span: extra.span_of().into(),
                },
            );
        }
        Some(&items[0])
    }
}
