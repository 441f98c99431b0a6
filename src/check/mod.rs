//! Stage 2: AST → IR. [`check`] resolves names and imports, checks metadata, fields and
//! types, and lowers every valid rule to [`crate::ir`]. It collects every error it finds;
//! the driver sorts them by position.

mod errors;
mod meta;
mod regex_check;

use std::collections::HashMap;

pub use errors::CheckError;

/// `Ok` when `pattern` is in the portable regular-expression subset (see `grammar/README.md`),
/// otherwise why not.
pub fn portable_regex(pattern: &str) -> Result<(), String> {
    regex_check::check(pattern)
}
/// The ATT&CK tactics an `attack.<tactic>` tag may name.
#[cfg(test)]
pub(crate) use meta::TACTICS;

use crate::catalog::{Catalog, FieldType, Source};
use crate::ir::{self, CmpOp, Number, Quant, Span, StrOp, Test};
use crate::syntax::ast::{self, CmpKind, CmpOpKind, ListOperand, Literal, StrOpKind};

/// One file given to the checker.
pub struct FileInput<'a> {
    /// Its syntax tree; `None` when it did not parse.
    pub ast: Option<&'a ast::File>,
    /// For each `import` item in order: the index of the imported file, or why it could not
    /// be loaded.
    pub imports: Vec<Result<usize, String>>,
    /// Its path as shown to users.
    pub display: String,
    /// Whether its rules are to be compiled (false for files only reached by import).
    pub is_input: bool,
}

/// What the checker produces.
#[derive(Default)]
pub struct Checked {
    /// Valid rules with the index of their file.
    pub rules: Vec<(usize, ir::Rule)>,
    /// Errors with the index of their file.
    pub errors: Vec<(usize, CheckError)>,
}

/// A declaration in scope.
#[derive(Clone, Copy)]
enum Decl<'a> {
    List(&'a ast::ListDecl, usize),
    Cond(&'a ast::CondDecl, usize),
    Rule(usize),
}

impl Decl<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Decl::List(..) => "list",
            Decl::Cond(..) => "condition",
            Decl::Rule(..) => "rule",
        }
    }
    fn file(&self) -> usize {
        match self {
            Decl::List(_, f) | Decl::Cond(_, f) | Decl::Rule(f) => *f,
        }
    }
}

/// A list after checking.
#[derive(Clone, Debug)]
enum ListVal {
    Strings(Vec<String>),
    Numbers(Vec<Number>),
    Cidrs(Vec<ipnet::IpNet>),
}

struct Checker<'a> {
    files: &'a [FileInput<'a>],
    catalog: &'a Catalog,
    scopes: Vec<HashMap<String, Decl<'a>>>,
    lists: HashMap<(usize, String), Option<ListVal>>,
    errors: Vec<(usize, CheckError)>,
    /// How many `and`/`or`/`not` levels the expression being lowered is inside, counting
    /// through named conditions.
    depth: usize,
}

/// The deepest `and`/`or`/`not` nesting a rule's expression may have once its named
/// conditions are expanded (each condition and bracket run is also limited to
/// [`crate::syntax::MAX_DEPTH`]); a long flat run of `and` or `or` is one level.
pub const MAX_EXPR_DEPTH: usize = 2 * crate::syntax::MAX_DEPTH;

/// Check every file and lower its rules.
pub fn check<'a>(files: &'a [FileInput<'a>], catalog: &'a Catalog) -> Checked {
    let mut c = Checker {
        files,
        catalog,
        scopes: Vec::new(),
        lists: HashMap::new(),
        errors: Vec::new(),
        depth: 0,
    };
    c.check_cycles();
    for f in 0..files.len() {
        let scope = c.build_scope(f);
        c.scopes.push(scope);
    }
    for f in 0..files.len() {
        c.check_lists(f);
    }
    let mut rules = Vec::new();
    for (f, file) in files.iter().enumerate() {
        let Some(ast) = file.ast else { continue };
        for item in &ast.items {
            if let ast::Item::Rule(r) = item {
                if let Some(rule) = c.rule(f, r) {
                    if file.is_input {
                        rules.push((f, rule));
                    }
                }
            }
        }
    }
    // Duplicate ids among compiled rules.
    let mut seen: HashMap<String, (usize, String)> = HashMap::new();
    for (f, r) in &rules {
        if let Some((ff, first)) = seen.get(&r.meta.id) {
            let span = id_span(files[*f].ast, &r.name).unwrap_or(r.span);
            c.errors.push((
                *f,
                CheckError::DuplicateId {
                    id: r.meta.id.clone(),
                    span: span.into(),
                    first: format!("{} in {}", first, files[*ff].display),
                },
            ));
        } else {
            seen.insert(r.meta.id.clone(), (*f, r.name.clone()));
        }
    }
    let bad: Vec<(usize, String)> = c
        .errors
        .iter()
        .filter_map(|(f, e)| match e {
            CheckError::DuplicateId { span, .. } => Some((*f, span.offset())),
            _ => None,
        })
        .filter_map(|(f, off)| rule_at(files[f].ast, off).map(|n| (f, n)))
        .collect();
    rules.retain(|(f, r)| !bad.contains(&(*f, r.name.clone())));
    // One error per (file, position, message): a condition used by several rules reports once.
    let mut errors = c.errors;
    let mut keys = std::collections::HashSet::new();
    errors.retain(|(f, e)| keys.insert((*f, offset(e), e.to_string())));
    Checked { rules, errors }
}

/// Lower a catalog source's `recognize` predicate (rule-language text over the source's own
/// fields; no named lists or conditions). `Err` carries every syntax and check error as
/// (message, byte range in `text`).
pub fn recognizer(
    source_name: &str,
    src: &Source,
    text: &str,
) -> Result<ir::Expr, Vec<(String, Span)>> {
    let e = crate::syntax::parse_expr(text).map_err(|es| {
        es.iter()
            .map(|e| (e.to_string(), Span::new(e.offset(), e.offset() + 1)))
            .collect::<Vec<_>>()
    })?;
    // A raw record may be told apart by keys that are not fields of the source (a flat
    // macOS record has no `Channel`): such names are read as string fields here.
    let mut src = src.clone();
    let mut names = Vec::new();
    field_names(&e, &mut names);
    for n in names {
        if !src.fields.contains_key(&n) {
            src.fields.insert(
                n,
                crate::catalog::FieldDef::new(crate::catalog::FieldType::String),
            );
        }
    }
    let src = &src;
    let catalog = Catalog::default();
    let mut c = Checker {
        files: &[],
        catalog: &catalog,
        scopes: vec![HashMap::new()],
        lists: HashMap::new(),
        errors: Vec::new(),
        depth: 0,
    };
    let out = c.lower(0, &e, source_name, src, &mut Vec::new());
    if c.errors.is_empty() {
        if let Some(x) = out {
            return Ok(x);
        }
    }
    Err(c
        .errors
        .iter()
        .map(|(_, e)| {
            let at = offset(e);
            (e.to_string(), Span::new(at, at + 1))
        })
        .collect())
}

/// The field names compared in an expression.
fn field_names(e: &ast::Expr, out: &mut Vec<String>) {
    match e {
        ast::Expr::And(xs, _) | ast::Expr::Or(xs, _) => {
            xs.iter().for_each(|x| field_names(x, out));
        }
        ast::Expr::Not(x, _) => field_names(x, out),
        ast::Expr::Cmp(c) => out.push(c.field.name.clone()),
        ast::Expr::Keyword(..) | ast::Expr::Ref(_) => {}
    }
}

fn offset(e: &CheckError) -> usize {
    use miette::Diagnostic;
    e.labels()
        .and_then(|mut l| l.next())
        .map(|l| l.offset())
        .unwrap_or(0)
}

fn id_span(ast: Option<&ast::File>, rule: &str) -> Option<Span> {
    ast?.items.iter().find_map(|i| match i {
        ast::Item::Rule(r) if r.name.name == rule => r
            .meta
            .iter()
            .find(|m| m.key.name == "id")
            .and_then(|m| m.values.first().map(|v| v.text().1)),
        _ => None,
    })
}

fn rule_at(ast: Option<&ast::File>, off: usize) -> Option<String> {
    ast?.items.iter().find_map(|i| match i {
        ast::Item::Rule(r) if r.span.start <= off && off < r.span.end => Some(r.name.name.clone()),
        _ => None,
    })
}

/// The closest candidate to `name`, as a "did you mean" help text.
pub fn did_you_mean<'s>(
    name: &str,
    candidates: impl IntoIterator<Item = &'s str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = if c.eq_ignore_ascii_case(name) {
            1.0
        } else {
            strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase())
        };
        if score >= 0.8 && best.is_none_or(|(b, bc)| score > b || (score == b && c < bc)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

impl<'a> Checker<'a> {
    fn err(&mut self, f: usize, e: CheckError) {
        self.errors.push((f, e));
    }

    /// Report import cycles (one per cycle, at the import that closes it).
    fn check_cycles(&mut self) {
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

    fn dfs(&mut self, f: usize, state: &mut [u8], stack: &mut Vec<usize>) {
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

    fn import_targets(&self, f: usize) -> Vec<(Span, usize)> {
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
    fn build_scope(&mut self, f: usize) -> HashMap<String, Decl<'a>> {
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
    fn check_lists(&mut self, f: usize) {
        let Some(ast) = self.files[f].ast else { return };
        for item in &ast.items {
            if let ast::Item::List(l) = item {
                let v = self.list_values(f, l.ty.map(|t| t.0), &l.items, l.span);
                self.lists.insert((f, l.name.name.clone()), v);
            }
        }
    }

    /// Type-check list elements. `ty` is the declared type, if any.
    fn list_values(
        &mut self,
        f: usize,
        ty: Option<ast::ListType>,
        items: &[Literal],
        span: Span,
    ) -> Option<ListVal> {
        let ty = ty.unwrap_or(match items.first() {
            Some(Literal::Num(_)) => ast::ListType::Number,
            _ => ast::ListType::String,
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

    /// Check and lower one rule.
    fn rule(&mut self, f: usize, r: &'a ast::RuleDecl) -> Option<ir::Rule> {
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

    /// Check and lower a rule's stateful stage.
    fn stage(
        &mut self,
        f: usize,
        r: &'a ast::RuleDecl,
        source_name: &str,
        src: &Source,
        m: Option<&'a ast::Expr>,
    ) -> Option<ir::Stage> {
        let first = r.stages.first()?;
        if src.timestamp.is_none() {
            self.err(
                f,
                CheckError::BadValue {
                    reason: format!(
                        "log source `{source_name}` has no timestamp field in the catalog"
                    ),
                    span: first.span().into(),
                    help: Some(
                        "stateful stages need event times; add `timestamp:` to the source".into(),
                    ),
                },
            );
            return None;
        }
        for extra in &r.stages[1..] {
            self.err(
                f,
                CheckError::DuplicateEntry {
                    key: "stateful stage (threshold, new or sequence)".into(),
                    span: extra.span().into(),
                },
            );
        }
        // Every stage field is a key (grouping, distinct count, first-seen tuple).
        let field = |c: &mut Self, id: &ast::Ident| -> Option<ir::Field> {
            match src.field_type(&id.name) {
                Some(ty) if ir::stage_key::check_type(ty).is_err() => {
                    let reason = ir::stage_key::check_type(ty).err().unwrap_or_default();
                    c.err(
                        f,
                        CheckError::StageKey {
                            field: id.name.clone(),
                            reason: reason.to_string(),
                            span: id.span.into(),
                        },
                    );
                    None
                }
                Some(ty) => Some(ir::Field {
                    name: id.name.clone(),
                    ty,
                    mapped: None,
                }),
                None => {
                    c.unknown_field(f, &id.name, source_name, src, id.span);
                    None
                }
            }
        };
        let dur = |c: &mut Self, d: &ast::Duration| -> Option<ir::Duration> {
            if d.seconds == 0 {
                c.err(
                    f,
                    CheckError::BadValue {
                        reason: "a window must be longer than zero".into(),
                        span: d.span.into(),
                        help: None,
                    },
                );
                return None;
            }
            Some(ir::Duration { seconds: d.seconds })
        };
        match first {
            ast::StageDecl::Threshold {
                distinct,
                op,
                value,
                by,
                window,
                span,
            } => {
                let distinct = match distinct {
                    Some(d) => Some(field(self, d)?),
                    None => None,
                };
                let by: Vec<Option<ir::Field>> = by.iter().map(|b| field(self, b)).collect();
                let window = dur(self, window);
                let n = value.text.parse::<u64>().ok();
                if n.is_none() {
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: "a threshold is a whole number of at least 0".into(),
                            span: value.span.into(),
                            help: None,
                        },
                    );
                }
                let op = match op.0 {
                    CmpOpKind::Eq => ir::CountOp::Eq,
                    CmpOpKind::Ne => ir::CountOp::Ne,
                    CmpOpKind::Lt => ir::CountOp::Lt,
                    CmpOpKind::Le => ir::CountOp::Le,
                    CmpOpKind::Gt => ir::CountOp::Gt,
                    CmpOpKind::Ge => ir::CountOp::Ge,
                };
                Some(ir::Stage::Threshold {
                    distinct,
                    op,
                    value: n?,
                    by: by.into_iter().collect::<Option<Vec<_>>>()?,
                    window: window?,
                    span: *span,
                })
            }
            ast::StageDecl::New {
                fields,
                baseline,
                window,
                span,
            } => {
                let fs: Vec<Option<ir::Field>> = fields.iter().map(|b| field(self, b)).collect();
                let (baseline, window) = (dur(self, baseline), dur(self, window));
                Some(ir::Stage::FirstSeen {
                    fields: fs.into_iter().collect::<Option<Vec<_>>>()?,
                    baseline: baseline?,
                    window: window?,
                    span: *span,
                })
            }
            ast::StageDecl::Sequence {
                by,
                within,
                steps,
                span,
            } => {
                let by: Vec<Option<ir::Field>> = by.iter().map(|b| field(self, b)).collect();
                let within = dur(self, within);
                let mut out = Vec::new();
                for s in steps {
                    let decl = self.scopes[f].get(&s.name).copied();
                    let expr: Option<&'a ast::Expr> = match decl {
                        Some(Decl::Cond(c, _)) => Some(&c.expr),
                        Some(Decl::Rule(rf)) => {
                            self.rule_match(rf, &s.name, source_name, s.span, f)
                        }
                        Some(other) => {
                            self.err(
                                f,
                                CheckError::WrongKind {
                                    name: s.name.clone(),
                                    actual: other.kind(),
                                    expected: "condition or rule",
                                    span: s.span.into(),
                                },
                            );
                            None
                        }
                        None => {
                            let help = self.name_help(f, &s.name, "condition");
                            self.err(
                                f,
                                CheckError::UnknownName {
                                    kind: "condition",
                                    name: s.name.clone(),
                                    span: s.span.into(),
                                    help,
                                },
                            );
                            None
                        }
                    };
                    let Some(expr) = expr else { continue };
                    let file = match decl {
                        Some(Decl::Cond(_, cf)) => cf,
                        Some(Decl::Rule(rf)) => rf,
                        _ => f,
                    };
                    let mut stack = Vec::new();
                    if let Some(e) = self.lower(file, expr, source_name, src, &mut stack) {
                        out.push(ir::Step {
                            name: s.name.clone(),
                            expr: e,
                        });
                    }
                }
                let _ = m;
                if out.len() != steps.len() {
                    return None;
                }
                Some(ir::Stage::Sequence {
                    by: by.into_iter().collect::<Option<Vec<_>>>()?,
                    within: within?,
                    steps: out,
                    span: *span,
                })
            }
        }
    }

    /// The `match` of rule `name` declared in file `rf`, for use as a sequence step; it must
    /// read the same log source.
    fn rule_match(
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
    fn tests(&mut self, f: usize, r: &ast::RuleDecl) -> (Vec<ir::TestCase>, Vec<ir::StreamTest>) {
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

    fn single<'b, T>(
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

    fn unknown_field(&mut self, f: usize, name: &str, source_name: &str, src: &Source, span: Span) {
        let help = did_you_mean(name, src.fields.keys().map(String::as_str));
        self.err(
            f,
            CheckError::UnknownField {
                field: name.to_string(),
                source_name: source_name.to_string(),
                span: span.into(),
                help,
            },
        );
    }

    /// Lower an expression written in file `f` for source `src`.
    fn lower(
        &mut self,
        f: usize,
        e: &'a ast::Expr,
        source_name: &str,
        src: &Source,
        stack: &mut Vec<String>,
    ) -> Option<ir::Expr> {
        let nests = matches!(
            e,
            ast::Expr::And(..) | ast::Expr::Or(..) | ast::Expr::Not(..)
        );
        if !nests {
            return self.lower_node(f, e, source_name, src, stack);
        }
        if self.depth >= MAX_EXPR_DEPTH {
            self.err(
                f,
                CheckError::ExprDepth {
                    limit: MAX_EXPR_DEPTH,
                    span: e.span().into(),
                },
            );
            return None;
        }
        self.depth += 1;
        let out = self.lower_node(f, e, source_name, src, stack);
        self.depth -= 1;
        out
    }

    fn lower_node(
        &mut self,
        f: usize,
        e: &'a ast::Expr,
        source_name: &str,
        src: &Source,
        stack: &mut Vec<String>,
    ) -> Option<ir::Expr> {
        match e {
            ast::Expr::And(xs, _) | ast::Expr::Or(xs, _) => {
                let is_and = matches!(e, ast::Expr::And(..));
                // Every operand is lowered (so every error is reported) before giving up.
                let lowered: Vec<Option<ir::Expr>> = xs
                    .iter()
                    .map(|x| self.lower(f, x, source_name, src, stack))
                    .collect();
                let mut out = Vec::with_capacity(lowered.len());
                for x in lowered {
                    match (x?, is_and) {
                        (ir::Expr::And(ys), true) | (ir::Expr::Or(ys), false) => out.extend(ys),
                        (y, _) => out.push(y),
                    }
                }
                Some(if is_and {
                    ir::Expr::And(out)
                } else {
                    ir::Expr::Or(out)
                })
            }
            ast::Expr::Not(x, _) => {
                let inner = self.lower(f, x, source_name, src, stack)?;
                Some(match inner {
                    ir::Expr::Not(y) => *y,
                    other => ir::Expr::Not(Box::new(other)),
                })
            }
            ast::Expr::Keyword(s, span) => self.keyword(f, s, *span, src),
            ast::Expr::Ref(id) => {
                let Some(decl) = self.scopes[f].get(&id.name).copied() else {
                    let help = self.name_help(f, &id.name, "condition");
                    self.err(
                        f,
                        CheckError::UnknownName {
                            kind: "condition",
                            name: id.name.clone(),
                            span: id.span.into(),
                            help,
                        },
                    );
                    return None;
                };
                let Decl::Cond(c, cf) = decl else {
                    self.err(
                        f,
                        CheckError::WrongKind {
                            name: id.name.clone(),
                            actual: decl.kind(),
                            expected: "condition",
                            span: id.span.into(),
                        },
                    );
                    return None;
                };
                let key = format!("{cf}:{}", c.name.name);
                if stack.len() >= crate::syntax::MAX_DEPTH {
                    self.err(
                        f,
                        CheckError::ConditionDepth {
                            limit: crate::syntax::MAX_DEPTH,
                            span: id.span.into(),
                        },
                    );
                    return None;
                }
                if stack.contains(&key) {
                    self.err(
                        f,
                        CheckError::ConditionCycle {
                            name: id.name.clone(),
                            span: id.span.into(),
                        },
                    );
                    return None;
                }
                stack.push(key);
                let out = self.lower(cf, &c.expr, source_name, src, stack);
                stack.pop();
                out
            }
            ast::Expr::Cmp(c) => self.comparison(f, c, source_name, src),
        }
    }

    fn name_help(&self, f: usize, name: &str, kind: &str) -> Option<String> {
        let mut names: Vec<&str> = self.scopes[f]
            .iter()
            .filter(|(_, d)| d.kind() == kind)
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort();
        did_you_mean(name, names)
    }

    fn keyword(&mut self, f: usize, s: &ast::Str, span: Span, src: &Source) -> Option<ir::Expr> {
        if s.value.is_empty() {
            self.err(
                f,
                CheckError::BadValue {
                    reason: "empty keyword".into(),
                    span: s.span.into(),
                    help: None,
                },
            );
            return None;
        }
        let preds: Vec<ir::Expr> = src
            .fields
            .iter()
            .filter(|(name, d)| {
                d.ty() == FieldType::String && src.timestamp.as_deref() != Some(name.as_str())
            })
            .map(|(name, d)| {
                ir::Expr::Pred(ir::Pred {
                    field: ir::Field {
                        name: name.clone(),
                        ty: d.ty(),
                        mapped: None,
                    },
                    test: Test::Str {
                        op: StrOp::Contains,
                        values: vec![s.value.clone()],
                        quant: Quant::Any,
                        cased: false,
                    },
                    span,
                })
            })
            .collect();
        match preds.len() {
            0 => {
                self.err(
                    f,
                    CheckError::BadValue {
                        reason: "keyword search on a source with no string fields".into(),
                        span: span.into(),
                        help: None,
                    },
                );
                None
            }
            1 => preds.into_iter().next(),
            _ => Some(ir::Expr::Or(preds)),
        }
    }

    /// Resolve a list operand to its values.
    fn list_operand(&mut self, f: usize, l: &ListOperand, cidr: bool) -> Option<ListVal> {
        match l {
            ListOperand::Literal(items, span) => {
                let ty = if cidr {
                    Some(ast::ListType::Cidr)
                } else {
                    None
                };
                self.list_values(f, ty, items, *span)
            }
            ListOperand::Named(id) => {
                let Some(decl) = self.scopes[f].get(&id.name).copied() else {
                    let help = self.name_help(f, &id.name, "list");
                    self.err(
                        f,
                        CheckError::UnknownName {
                            kind: "list",
                            name: id.name.clone(),
                            span: id.span.into(),
                            help,
                        },
                    );
                    return None;
                };
                let Decl::List(l, lf) = decl else {
                    self.err(
                        f,
                        CheckError::WrongKind {
                            name: id.name.clone(),
                            actual: decl.kind(),
                            expected: "list",
                            span: id.span.into(),
                        },
                    );
                    return None;
                };
                // Errors in the list itself were reported at its declaration.
                self.lists
                    .get(&(lf, l.name.name.clone()))
                    .cloned()
                    .flatten()
            }
        }
    }

    fn comparison(
        &mut self,
        f: usize,
        c: &'a ast::Comparison,
        source_name: &str,
        src: &Source,
    ) -> Option<ir::Expr> {
        let Some(ty) = src.field_type(&c.field.name) else {
            self.unknown_field(f, &c.field.name, source_name, src, c.field.span);
            return None;
        };
        let field = ir::Field {
            name: c.field.name.clone(),
            ty,
            mapped: None,
        };
        let span = c.span;
        let pred = |test: Test| {
            ir::Expr::Pred(ir::Pred {
                field: field.clone(),
                test,
                span,
            })
        };
        let not = |e: ir::Expr| ir::Expr::Not(Box::new(e));
        let fname = c.field.name.as_str();
        if ty == FieldType::Json {
            let contains = matches!(
                &c.kind,
                CmpKind::StrTest {
                    op: (StrOpKind::Contains, _),
                    ..
                }
            );
            if !contains && !matches!(c.kind, CmpKind::Exists | CmpKind::Missing) {
                self.type_mismatch(
                    f,
                    "this comparison",
                    fname,
                    ty,
                    span,
                    Some(format!(
                        "`{fname}` holds JSON; its text is spelled differently by each platform, so only `contains`, `exists` and `missing` are exact"
                    )),
                );
                return None;
            }
        }
        match &c.kind {
            CmpKind::Exists => Some(pred(Test::Exists)),
            CmpKind::Missing => Some(not(pred(Test::Exists))),
            CmpKind::In {
                negated,
                cased,
                cidr,
                list,
            } => {
                let vals = self.list_operand(f, list, cidr.is_some());
                let vals = vals?;
                let test = match vals {
                    ListVal::Cidrs(nets) => {
                        if ty != FieldType::Ip {
                            self.type_mismatch(
                                f,
                                "a CIDR test",
                                fname,
                                ty,
                                span,
                                Some("CIDR tests apply to fields of type ip".into()),
                            );
                            return None;
                        }
                        if let Some(cs) = cased {
                            self.cased_not_allowed(f, *cs, "a CIDR test");
                            return None;
                        }
                        Test::Cidr { nets }
                    }
                    ListVal::Numbers(values) => {
                        if ty != FieldType::Number {
                            self.type_mismatch(
                                f,
                                "a list of numbers",
                                fname,
                                ty,
                                span,
                                Some("compare with a list of strings instead".into()),
                            );
                            return None;
                        }
                        if let Some(cs) = cased {
                            self.cased_not_allowed(f, *cs, "a numeric comparison");
                            return None;
                        }
                        Test::NumEq { values }
                    }
                    ListVal::Strings(values) => {
                        if !matches!(ty, FieldType::String | FieldType::Ip) {
                            self.type_mismatch(
                                f,
                                "a list of strings",
                                fname,
                                ty,
                                span,
                                Some(format!(
                                    "`{fname}` holds {}s: use a list of those",
                                    ty.name()
                                )),
                            );
                            return None;
                        }
                        if ty == FieldType::Ip {
                            if let Some(v) = values.iter().find(|v| v.contains('/')) {
                                self.err(f, CheckError::BadValue {
                                    reason: format!("`{v}` looks like a network, but `in` without `cidr` compares whole values"),
                                    span: list.span().into(),
                                    help: Some(format!("write `{fname} in cidr [...]` to test network membership")),
                                });
                                return None;
                            }
                        }
                        Test::Str {
                            op: StrOp::Eq,
                            values,
                            quant: Quant::Any,
                            cased: cased.is_some(),
                        }
                    }
                };
                let e = pred(test);
                Some(if *negated { not(e) } else { e })
            }
            CmpKind::StrTest {
                op,
                cased,
                quant,
                value,
            } => {
                let what = match op.0 {
                    StrOpKind::Contains => "`contains`",
                    StrOpKind::StartsWith => "`startswith`",
                    StrOpKind::EndsWith => "`endswith`",
                    StrOpKind::Like => "`like`",
                    StrOpKind::Matches => "`matches`",
                };
                if !matches!(ty, FieldType::String | FieldType::Ip | FieldType::Json) {
                    let help = match ty {
                        FieldType::Number => Some(
                            "compare numbers with `==`, `!=`, `<`, `<=`, `>`, `>=` or `in [...]`"
                                .to_string(),
                        ),
                        _ => None,
                    };
                    self.type_mismatch(f, what, fname, ty, span, help);
                    return None;
                }
                let (values, vspan) = match value {
                    ast::StrTestValue::One(s) => (vec![s.clone()], s.span),
                    ast::StrTestValue::List(l) => {
                        if quant.is_none() {
                            self.err(f, CheckError::BadValue {
                                reason: format!("{what} with a list needs `any` or `all`"),
                                span: l.span().into(),
                                help: Some(format!("write `{fname} {} any [...]` (one of) or `all [...]` (every one)", what.trim_matches('`'))),
                            });
                            return None;
                        }
                        let vals = self.list_operand(f, l, false)?;
                        let ListVal::Strings(v) = vals else {
                            self.err(
                                f,
                                CheckError::BadValue {
                                    reason: format!("{what} needs a list of strings"),
                                    span: l.span().into(),
                                    help: None,
                                },
                            );
                            return None;
                        };
                        let sp = l.span();
                        (
                            v.into_iter()
                                .map(|value| ast::Str { value, span: sp })
                                .collect(),
                            sp,
                        )
                    }
                };
                for v in &values {
                    if v.value.is_empty() {
                        self.err(
                            f,
                            CheckError::EmptyString {
                                field: fname.to_string(),
                                span: v.span.into(),
                            },
                        );
                        return None;
                    }
                    if ty == FieldType::Json && !json_safe(&v.value) {
                        self.err(f, CheckError::BadValue {
                            reason: format!("`{}` may be spelled differently in JSON text on different platforms", v.value),
                            span: v.span.into(),
                            help: Some(format!("on a json field such as `{fname}`, `contains` takes ASCII letters, digits, `_`, `-`, `.` and `@` only: JSON writers differ in spacing and escaping of everything else")),
                        });
                        return None;
                    }
                }
                let q = match quant {
                    Some((ast::QuantKind::All, _)) => Quant::All,
                    _ => Quant::Any,
                };
                let cased = cased.is_some();
                let strs: Vec<String> = values.iter().map(|v| v.value.clone()).collect();
                match op.0 {
                    StrOpKind::Contains | StrOpKind::StartsWith | StrOpKind::EndsWith => {
                        let sop = match op.0 {
                            StrOpKind::Contains => StrOp::Contains,
                            StrOpKind::StartsWith => StrOp::StartsWith,
                            _ => StrOp::EndsWith,
                        };
                        Some(pred(Test::Str {
                            op: sop,
                            values: strs,
                            quant: q,
                            cased,
                        }))
                    }
                    StrOpKind::Like => {
                        if q == Quant::All && strs.len() > 1 {
                            let parts = strs
                                .into_iter()
                                .map(|p| {
                                    pred(Test::Glob {
                                        patterns: vec![p],
                                        cased,
                                    })
                                })
                                .collect();
                            return Some(ir::Expr::And(parts));
                        }
                        Some(pred(Test::Glob {
                            patterns: strs,
                            cased,
                        }))
                    }
                    StrOpKind::Matches => {
                        let mut ok = true;
                        for v in &values {
                            if let Err(reason) = regex_check::check(&v.value) {
                                ok = false;
                                self.err(
                                    f,
                                    CheckError::BadRegex {
                                        reason,
                                        span: v.span.into(),
                                    },
                                );
                            }
                        }
                        if !ok {
                            return None;
                        }
                        let _ = vspan;
                        let mut parts: Vec<ir::Expr> = strs
                            .into_iter()
                            .map(|p| pred(Test::Regex { pattern: p, cased }))
                            .collect();
                        Some(match (parts.len(), q) {
                            (1, _) => parts.remove(0),
                            (_, Quant::Any) => ir::Expr::Or(parts),
                            (_, Quant::All) => ir::Expr::And(parts),
                        })
                    }
                }
            }
            CmpKind::Compare { op, cased, rhs } => {
                self.compare(f, c, field.clone(), ty, op.0, *cased, rhs, source_name, src)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        &mut self,
        f: usize,
        c: &ast::Comparison,
        field: ir::Field,
        ty: FieldType,
        op: CmpOpKind,
        cased: Option<Span>,
        rhs: &ast::Operand,
        source_name: &str,
        src: &Source,
    ) -> Option<ir::Expr> {
        let span = c.span;
        let fname = c.field.name.as_str();
        let pred = |test: Test| {
            ir::Expr::Pred(ir::Pred {
                field: field.clone(),
                test,
                span,
            })
        };
        let negate = |e: ir::Expr, op: CmpOpKind| {
            if op == CmpOpKind::Ne {
                ir::Expr::Not(Box::new(e))
            } else {
                e
            }
        };
        let ordering = match op {
            CmpOpKind::Lt => Some(CmpOp::Lt),
            CmpOpKind::Le => Some(CmpOp::Le),
            CmpOpKind::Gt => Some(CmpOp::Gt),
            CmpOpKind::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        match rhs {
            ast::Operand::Field(other) => {
                let Some(oty) = src.field_type(&other.name) else {
                    self.unknown_field(f, &other.name, source_name, src, other.span);
                    return None;
                };
                if ordering.is_some() {
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: "only `==` and `!=` compare two fields".into(),
                            span: span.into(),
                            help: None,
                        },
                    );
                    return None;
                }
                let stringy = |t: FieldType| matches!(t, FieldType::String | FieldType::Ip);
                if !(stringy(ty) && stringy(oty)) && ty != oty {
                    self.type_mismatch(
                        f,
                        &format!(
                            "a comparison with `{}` (a {} field)",
                            other.name,
                            oty.name()
                        ),
                        fname,
                        ty,
                        span,
                        None,
                    );
                    return None;
                }
                if cased.is_some() && !stringy(ty) {
                    self.cased_not_allowed(f, cased.unwrap_or(span), "a non-string comparison");
                    return None;
                }
                let other = ir::Field {
                    name: other.name.clone(),
                    ty: oty,
                    mapped: None,
                };
                Some(negate(
                    pred(Test::FieldEq {
                        other,
                        cased: cased.is_some(),
                    }),
                    op,
                ))
            }
            ast::Operand::Lit(Literal::Str(s)) => {
                if let Some(o) = ordering {
                    let help = if ty == FieldType::Number && Number::parse(&s.value).is_some() {
                        Some(format!(
                            "write the number without quotes: `{fname} {} {}`",
                            o.symbol(),
                            s.value
                        ))
                    } else {
                        Some("`<`, `<=`, `>`, `>=` compare numbers".to_string())
                    };
                    self.type_mismatch(
                        f,
                        &format!("`{}` with a string", o.symbol()),
                        fname,
                        ty,
                        span,
                        help,
                    );
                    return None;
                }
                if !matches!(ty, FieldType::String | FieldType::Ip) {
                    let help = if ty == FieldType::Number && Number::parse(&s.value).is_some() {
                        Some(format!(
                            "`{fname}` is a number: write `{fname} {} {}`",
                            if op == CmpOpKind::Ne { "!=" } else { "==" },
                            s.value
                        ))
                    } else if ty == FieldType::Bool {
                        Some("compare with `true` or `false`".to_string())
                    } else {
                        None
                    };
                    self.type_mismatch(f, "a string comparison", fname, ty, span, help);
                    return None;
                }
                if s.value.is_empty() {
                    self.err(
                        f,
                        CheckError::EmptyString {
                            field: fname.to_string(),
                            span: s.span.into(),
                        },
                    );
                    return None;
                }
                if ty == FieldType::Ip && s.value.contains('/') {
                    self.err(
                        f,
                        CheckError::BadValue {
                            reason: format!(
                                "`{}` looks like a network, but `==` compares whole values",
                                s.value
                            ),
                            span: s.span.into(),
                            help: Some(format!("write `{fname} in cidr [\"{}\"]`", s.value)),
                        },
                    );
                    return None;
                }
                Some(negate(
                    pred(Test::Str {
                        op: StrOp::Eq,
                        values: vec![s.value.clone()],
                        quant: Quant::Any,
                        cased: cased.is_some(),
                    }),
                    op,
                ))
            }
            ast::Operand::Lit(Literal::Num(n)) => {
                if ty != FieldType::Number {
                    let help = if let Some(o) = ordering {
                        Some(format!(
                            "`{}` compares numbers and `{fname}` is a {}: use `==`, `in`, `contains`, `like` or `matches`",
                            o.symbol(),
                            ty.name()
                        ))
                    } else if matches!(ty, FieldType::String) {
                        let sym = if op == CmpOpKind::Ne { "!=" } else { "==" };
                        Some(format!(
                            "`{fname}` is a string: quote the value, `{fname} {sym} \"{}\"`",
                            n.text
                        ))
                    } else {
                        None
                    };
                    self.type_mismatch(f, "a numeric comparison", fname, ty, span, help);
                    return None;
                }
                if let Some(cs) = cased {
                    self.cased_not_allowed(f, cs, "a numeric comparison");
                    return None;
                }
                let Some(v) = Number::parse(&n.text) else {
                    self.err(f, bad_number(n));
                    return None;
                };
                Some(match ordering {
                    Some(o) => pred(Test::NumCmp { op: o, value: v }),
                    None => negate(pred(Test::NumEq { values: vec![v] }), op),
                })
            }
            ast::Operand::Lit(Literal::Bool(b, _)) => {
                if ty != FieldType::Bool {
                    self.type_mismatch(f, "a comparison with true/false", fname, ty, span, None);
                    return None;
                }
                if ordering.is_some() {
                    self.type_mismatch(f, "an ordering comparison", fname, ty, span, None);
                    return None;
                }
                if let Some(cs) = cased {
                    self.cased_not_allowed(f, cs, "a boolean comparison");
                    return None;
                }
                Some(negate(pred(Test::BoolEq { value: *b }), op))
            }
        }
    }

    fn type_mismatch(
        &mut self,
        f: usize,
        what: &str,
        field: &str,
        ty: FieldType,
        span: Span,
        help: Option<String>,
    ) {
        self.err(
            f,
            CheckError::TypeMismatch {
                what: what.to_string(),
                field: field.to_string(),
                ty: ty.name(),
                span: span.into(),
                help,
            },
        );
    }

    fn cased_not_allowed(&mut self, f: usize, span: Span, what: &str) {
        self.err(
            f,
            CheckError::BadValue {
                reason: format!("`cased` does not apply to {what}"),
                span: span.into(),
                help: Some("`cased` makes string comparisons case-sensitive; remove it".into()),
            },
        );
    }
}

fn bad_number(n: &ast::Num) -> CheckError {
    CheckError::BadValue {
        reason: format!("`{}` is not a number tripline can represent", n.text),
        span: n.span.into(),
        help: None,
    }
}

/// Characters that every JSON writer spells the same way inside a string or key.
pub fn json_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@'))
}

/// Parse a CIDR network, rejecting host bits.
pub(crate) fn parse_cidr(s: &str) -> Result<ipnet::IpNet, String> {
    let net: ipnet::IpNet = s
        .parse()
        .map_err(|_| "expected an address and a prefix length, e.g. 10.0.0.0/8".to_string())?;
    if net.trunc() != net {
        return Err(format!("host bits are set: the network is {}", net.trunc()));
    }
    if let ipnet::IpNet::V6(v6) = net {
        if v6.addr().to_ipv4_mapped().is_some() && v6.prefix_len() >= 96 {
            return Err(
                "IPv4-mapped IPv6 networks are not supported: write the IPv4 network".into(),
            );
        }
    }
    Ok(net)
}

/// Something with a span (used for duplicate-entry errors).
trait HasSpan {
    fn span_of(&self) -> Span;
}

impl HasSpan for ast::Ident {
    fn span_of(&self) -> Span {
        self.span
    }
}

impl HasSpan for ast::Expr {
    fn span_of(&self) -> Span {
        self.span()
    }
}
