//! Declarations and the places that use them, over a loaded program: what go-to-definition,
//! find-references, rename, hover and completion need. A use resolves as the checker
//! resolves it: the file's own declarations, then those of the files it imports directly.

use crate::driver::Program;
use crate::ir::Span;
use crate::syntax::ast::{self, CmpKind, Expr, ListOperand, StageDecl, StrTestValue};

/// What a name declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    /// `list`
    List,
    /// `condition`
    Condition,
    /// `rule`
    Rule,
}

/// A declaration: which file, its name and where.
#[derive(Debug, Clone)]
pub struct Decl<'p> {
    /// What it declares.
    pub kind: DeclKind,
    /// The file's index in the program.
    pub file: usize,
    /// The name.
    pub name: &'p str,
    /// The name's span.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// The item, for describing it.
    pub item: &'p ast::Item,
}

/// A use of a name.
#[derive(Debug, Clone, Copy)]
pub struct Use<'p> {
    /// The file's index in the program.
    pub file: usize,
    /// The name as written.
    pub name: &'p str,
    /// Where.
    pub span: Span,
    /// The kinds it may refer to (a sequence step names a condition or a rule).
    pub kinds: &'static [DeclKind],
}

/// Every declaration of a file.
pub fn decls(prog: &Program, file: usize) -> Vec<Decl<'_>> {
    let Some(ast) = &prog.files[file].ast else {
        return Vec::new();
    };
    ast.items
        .iter()
        .filter_map(|item| {
            let (kind, name, span) = match item {
                ast::Item::List(l) => (DeclKind::List, &l.name, l.span),
                ast::Item::Condition(c) => (DeclKind::Condition, &c.name, c.span),
                ast::Item::Rule(r) => (DeclKind::Rule, &r.name, r.span),
                ast::Item::Import(_) => return None,
            };
            Some(Decl {
                kind,
                file,
                name: &name.name,
                name_span: name.span,
                span,
                item,
            })
        })
        .collect()
}

/// The declarations visible in a file: its own, then its direct imports'.
pub fn scope(prog: &Program, file: usize) -> Vec<Decl<'_>> {
    let mut out = decls(prog, file);
    for i in prog.files[file].imports.iter().flatten() {
        if *i != file {
            out.extend(decls(prog, *i));
        }
    }
    out
}

/// What a use in `file` refers to.
pub fn resolve<'p>(prog: &'p Program, u: &Use) -> Option<Decl<'p>> {
    scope(prog, u.file)
        .into_iter()
        .find(|d| d.name == u.name && u.kinds.contains(&d.kind))
}

/// Every use of a name in a file.
pub fn uses(prog: &Program, file: usize) -> Vec<Use<'_>> {
    let mut out = Vec::new();
    let Some(ast) = &prog.files[file].ast else {
        return out;
    };
    for item in &ast.items {
        match item {
            ast::Item::Condition(c) => expr_uses(&c.expr, file, &mut out),
            ast::Item::Rule(r) => {
                for e in &r.matches {
                    expr_uses(e, file, &mut out);
                }
                for s in &r.stages {
                    if let StageDecl::Sequence { steps, .. } = s {
                        for step in steps {
                            out.push(Use {
                                file,
                                name: &step.name,
                                span: step.span,
                                kinds: &[DeclKind::Condition, DeclKind::Rule],
                            });
                        }
                    }
                }
            }
            ast::Item::List(_) | ast::Item::Import(_) => {}
        }
    }
    out
}

fn expr_uses<'p>(e: &'p Expr, file: usize, out: &mut Vec<Use<'p>>) {
    let list = |l: &'p ListOperand, out: &mut Vec<Use<'p>>| {
        if let ListOperand::Named(i) = l {
            out.push(Use {
                file,
                name: &i.name,
                span: i.span,
                kinds: &[DeclKind::List],
            });
        }
    };
    match e {
        Expr::And(es, _) | Expr::Or(es, _) => es.iter().for_each(|e| expr_uses(e, file, out)),
        Expr::Not(e, _) => expr_uses(e, file, out),
        Expr::Ref(i) => out.push(Use {
            file,
            name: &i.name,
            span: i.span,
            kinds: &[DeclKind::Condition],
        }),
        Expr::Cmp(c) => match &c.kind {
            CmpKind::In { list: l, .. } => list(l, out),
            CmpKind::StrTest {
                value: StrTestValue::List(l),
                ..
            } => list(l, out),
            _ => {}
        },
        Expr::Keyword(..) => {}
    }
}

/// The `import` strings of a file with the index of the file each loads.
pub fn imports(prog: &Program, file: usize) -> Vec<(&ast::Str, Option<usize>)> {
    let Some(ast) = &prog.files[file].ast else {
        return Vec::new();
    };
    let strs = ast.items.iter().filter_map(|i| match i {
        ast::Item::Import(s) => Some(s),
        _ => None,
    });
    strs.zip(prog.files[file].imports.iter())
        .map(|(s, r)| (s, r.as_ref().ok().copied()))
        .collect()
}

/// Whether a span holds a byte offset (its end included, where a cursor after a name is).
pub fn holds(span: Span, at: usize) -> bool {
    span.start <= at && at <= span.end
}
