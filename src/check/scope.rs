//! Names and scopes: import cycles, what each file sees (its own and imported declarations), and the values of lists.

use super::*;

impl<'a> Checker<'a> {
    /// Report import cycles (one per cycle, at the import that closes it).
    pub(super) fn check_cycles(&mut self) {
        let n = self.files.len();
        // 0 = unvisited, 1 = on stack, 2 = done
        let mut state = vec![0u8; n];
        let mut stack: Vec<usize> = Vec::new();
        for start in 0..n {
            if state[start] == 0 {
                self.dfs(start, &mut state, &mut stack);
            }
        }
    }

    pub(super) fn dfs(&mut self, f: usize, state: &mut [u8], stack: &mut Vec<usize>) {
        state[f] = 1;
        stack.push(f);
        let imports: Vec<(Span, usize)> = self.import_targets(f);
        for (span, t) in imports {
            if state[t] == 1 {
                let pos = stack.iter().position(|x| *x == t).unwrap_or(0);
                let mut names: Vec<&str> = stack[pos..]
                    .iter()
                    .map(|i| self.files[*i].display.as_str())
                    .collect();
                names.push(&self.files[t].display);
                let cycle = names.join(" → ");
                self.err(
                    f,
                    CheckError::ImportCycle {
                        cycle,
                        span: span.into(),
                    },
                );
            } else if state[t] == 0 {
                self.dfs(t, state, stack);
            }
        }
        stack.pop();
        state[f] = 2;
    }

    pub(super) fn import_targets(&self, f: usize) -> Vec<(Span, usize)> {
        let Some(ast) = self.files[f].ast else {
            return Vec::new();
        };
        let spans = ast.items.iter().filter_map(|i| match i {
            ast::Item::Import(s) => Some(s.span),
            _ => None,
        });
        spans
            .zip(self.files[f].imports.iter())
            .filter_map(|(s, r)| r.as_ref().ok().map(|t| (s, *t)))
            .collect()
    }

    /// Own declarations plus those of directly imported files.
    pub(super) fn build_scope(&mut self, f: usize) -> HashMap<String, Decl<'a>> {
        let mut scope: HashMap<String, Decl<'a>> = HashMap::new();
        let Some(ast) = self.files[f].ast else {
            return scope;
        };
        let decls = |file: &'a ast::File, idx: usize| -> Vec<(&'a ast::Ident, Decl<'a>)> {
            file.items
                .iter()
                .filter_map(|i| match i {
                    ast::Item::List(l) => Some((&l.name, Decl::List(l, idx))),
                    ast::Item::Condition(c) => Some((&c.name, Decl::Cond(c, idx))),
                    ast::Item::Rule(r) => Some((&r.name, Decl::Rule(idx))),
                    ast::Item::Import(_) => None,
                })
                .collect()
        };
        for (name, d) in decls(ast, f) {
            if let Some(prev) = scope.get(&name.name) {
                let first = format!("first declared as a {}", prev.kind());
                self.err(
                    f,
                    CheckError::DuplicateName {
                        name: name.name.clone(),
                        span: name.span.into(),
                        first,
                    },
                );
            } else {
                scope.insert(name.name.clone(), d);
            }
        }
        let import_spans: Vec<&ast::Str> = ast
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Import(s) => Some(s),
                _ => None,
            })
            .collect();
        for (s, res) in import_spans.into_iter().zip(self.files[f].imports.iter()) {
            match res {
                Err(reason) => self.err(
                    f,
                    CheckError::ImportNotFound {
                        path: s.value.clone(),
                        reason: reason.clone(),
                        span: s.span.into(),
                    },
                ),
                Ok(t) => {
                    let Some(tast) = self.files[*t].ast else {
                        self.err(
                            f,
                            CheckError::BrokenImport {
                                path: s.value.clone(),
                                span: s.span.into(),
                            },
                        );
                        continue;
                    };
                    for (name, d) in decls(tast, *t) {
                        if let Some(prev) = scope.get(&name.name) {
                            if prev.file() == *t {
                                continue; // the same file imported twice
                            }
                            let first =
                                format!("also declared in {}", self.files[prev.file()].display);
                            self.err(
                                f,
                                CheckError::DuplicateName {
                                    name: name.name.clone(),
                                    span: s.span.into(),
                                    first,
                                },
                            );
                        } else {
                            scope.insert(name.name.clone(), d);
                        }
                    }
                }
            }
        }
        scope
    }

    /// Check every list declared in file `f`.
    pub(super) fn check_lists(&mut self, f: usize) {
        let Some(ast) = self.files[f].ast else { return };
        for item in &ast.items {
            if let ast::Item::List(l) = item {
                let v = self.list_values(f, l.ty.map(|t| t.0), &l.items, l.span);
                self.lists.insert((f, l.name.name.clone()), v);
            }
        }
    }

    /// Type-check list elements. `ty` is the declared type, if any.
    pub(super) fn list_values(
        &mut self,
        f: usize,
        ty: Option<ast::ListType>,
        items: &[Literal],
        span: Span,
    ) -> Option<ListVal> {
        let ty = ty.unwrap_or(match items.first() {
            Some(Literal::Num(_)) => ast::ListType::Number,
            Some(Literal::Str(_) | Literal::Bool(..)) | None => ast::ListType::String,
        });
        if items.is_empty() {
            self.err(
                f,
                CheckError::BadValue {
                    reason: "empty list".into(),
                    span: span.into(),
                    help: Some("a list needs at least one element".into()),
                },
            );
            return None;
        }
        let mut ok = true;
        let mut strings = Vec::new();
        let mut numbers = Vec::new();
        let mut cidrs = Vec::new();
        for it in items {
            match (ty, it) {
                (ast::ListType::String, Literal::Str(s)) => {
                    if s.value.is_empty() {
                        ok = false;
                        self.err(
                            f,
                            CheckError::BadValue {
                                reason: "empty string in a list".into(),
                                span: s.span.into(),
                                help: Some(
                                    "an empty field counts as missing: test it with `missing`"
                                        .into(),
                                ),
                            },
                        );
                    }
                    strings.push(s.value.clone());
                }
                (ast::ListType::Number, Literal::Num(n)) => match Number::parse(&n.text) {
                    Some(v) => numbers.push(v),
                    None => {
                        ok = false;
                        self.err(f, bad_number(n));
                    }
                },
                (ast::ListType::Cidr, Literal::Str(s)) => match parse_cidr(&s.value) {
                    Ok(n) => cidrs.push(n),
                    Err(reason) => {
                        ok = false;
                        self.err(
                            f,
                            CheckError::BadCidr {
                                value: s.value.clone(),
                                reason,
                                span: s.span.into(),
                            },
                        );
                    }
                },
                (ty, other) => {
                    ok = false;
                    let want = match ty {
                        ast::ListType::String => "a string",
                        ast::ListType::Number => "a number",
                        ast::ListType::Cidr => "a CIDR network string",
                    };
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: format!(
                                "list elements must all be of one type: expected {want}"
                            ),
                            span: other.span().into(),
                            help: Some(
                                "declare the type with `list name: string|number|cidr = [...]`"
                                    .into(),
                            ),
                        },
                    );
                }
            }
        }
        if !ok {
            return None;
        }
        Some(match ty {
            ast::ListType::String => ListVal::Strings(strings),
            ast::ListType::Number => ListVal::Numbers(numbers),
            ast::ListType::Cidr => ListVal::Cidrs(cidrs),
        })
    }
}
