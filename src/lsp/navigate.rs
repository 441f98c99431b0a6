//! Go to definition, find references, rename and document symbols, on the declarations
//! and uses of [`super::names`].

use std::collections::{BTreeSet, HashMap};

use lsp_types::{
    DocumentSymbol, Location, Position, Range, SymbolKind, TextEdit, Uri, WorkspaceEdit,
};

use crate::driver::Program;
use crate::ir::Span;
use crate::syntax::ast;

use super::names::{self, holds, DeclKind};
use super::position::LineIndex;
use super::workspace::Workspace;

/// A declaration's identity across programs: its file, kind and name.
type Key = (String, DeclKind, String);

fn location(ws: &Workspace, prog: &Program, file: usize, span: Span) -> Option<Location> {
    let f = &prog.files[file];
    let uri = ws.uri_of(&f.display)?;
    Some(Location::new(
        uri,
        LineIndex::new(&f.text).range(span.start, span.end),
    ))
}

/// The declaration named at byte `at` of file 0 (a use or the declaration itself).
fn target_at(prog: &Program, at: usize) -> Option<(Key, usize, Span)> {
    let key = |d: &names::Decl| {
        (
            prog.files[d.file].display.clone(),
            d.kind,
            d.name.to_string(),
        )
    };
    if let Some(d) = names::decls(prog, 0)
        .into_iter()
        .find(|d| holds(d.name_span, at))
    {
        return Some((key(&d), d.file, d.name_span));
    }
    let u = names::uses(prog, 0)
        .into_iter()
        .find(|u| holds(u.span, at))?;
    let d = names::resolve(prog, &u)?;
    Some((key(&d), d.file, d.name_span))
}

/// Where the name or import at `pos` of document `uri` is declared.
pub fn definition(ws: &Workspace, uri: &Uri, pos: Position) -> Option<Location> {
    let prog = ws.program(uri)?;
    let at = LineIndex::new(&prog.files[0].text).offset(pos);
    for (s, file) in names::imports(&prog, 0) {
        if holds(s.span, at) {
            let f = &prog.files[file?];
            return Some(Location::new(ws.uri_of(&f.display)?, Range::default()));
        }
    }
    let (_, file, span) = target_at(&prog, at)?;
    location(ws, &prog, file, span)
}

/// Every place the declaration named at `pos` is used, in the document's program and in
/// every open document's; with its declaration when `with_decl`. In path, then position
/// order.
pub fn references(ws: &Workspace, uri: &Uri, pos: Position, with_decl: bool) -> Vec<Location> {
    let Some(prog) = ws.program(uri) else {
        return Vec::new();
    };
    let at = LineIndex::new(&prog.files[0].text).offset(pos);
    if let Some((_, Some(file))) = names::imports(&prog, 0)
        .into_iter()
        .find(|(s, _)| holds(s.span, at))
    {
        return import_references(ws, uri, &prog.files[file].display);
    }
    let Some((key, _, _)) = target_at(&prog, at) else {
        return Vec::new();
    };
    let mut seen: BTreeSet<(String, usize, usize)> = BTreeSet::new();
    let mut out: Vec<(String, usize, Location)> = Vec::new();
    let mut add = |prog: &Program, file: usize, span: Span| {
        let Some(loc) = location(ws, prog, file, span) else {
            return;
        };
        let k = (loc.uri.as_str().to_string(), span.start, span.end);
        if seen.insert(k.clone()) {
            out.push((k.0, k.1, loc));
        }
    };
    let programs: Vec<std::rc::Rc<Program>> = std::iter::once(prog)
        .chain(
            ws.docs()
                .keys()
                .filter(|u| *u != uri)
                .filter_map(|u| ws.program(u)),
        )
        .collect();
    for p in &programs {
        for file in 0..p.files.len() {
            for u in names::uses(p, file) {
                let Some(d) = names::resolve(p, &u) else {
                    continue;
                };
                if (p.files[d.file].display.clone(), d.kind, d.name.to_string()) == key {
                    add(p, file, u.span);
                }
            }
            if with_decl {
                for d in names::decls(p, file) {
                    if (p.files[file].display.clone(), d.kind, d.name.to_string()) == key {
                        add(p, file, d.name_span);
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    out.into_iter().map(|(_, _, l)| l).collect()
}

/// Every `import` of the file shown as `display`, in the document's program and in every
/// open document's, in path then position order.
fn import_references(ws: &Workspace, uri: &Uri, display: &str) -> Vec<Location> {
    let mut out: Vec<(String, usize, Location)> = Vec::new();
    let docs = std::iter::once(uri).chain(ws.docs().keys().filter(|u| *u != uri));
    for p in docs.filter_map(|u| ws.program(u)) {
        for file in 0..p.files.len() {
            for (s, target) in names::imports(&p, file) {
                if target.is_some_and(|t| p.files[t].display == display) {
                    if let Some(loc) = location(ws, &p, file, s.span) {
                        out.push((loc.uri.as_str().to_string(), s.span.start, loc));
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out.into_iter().map(|(_, _, l)| l).collect()
}

/// The range of the list or condition name at `pos`, when it can be renamed.
pub fn prepare_rename(ws: &Workspace, uri: &Uri, pos: Position) -> Option<Range> {
    let prog = ws.program(uri)?;
    let idx = LineIndex::new(&prog.files[0].text);
    let at = idx.offset(pos);
    let ((_, kind, _), _, _) = target_at(&prog, at)?;
    if kind == DeclKind::Rule {
        return None;
    }
    let here = names::decls(&prog, 0)
        .into_iter()
        .map(|d| d.name_span)
        .chain(names::uses(&prog, 0).into_iter().map(|u| u.span))
        .find(|s| holds(*s, at))?;
    Some(idx.range(here.start, here.end))
}

/// Rename the list or condition at `pos` everywhere it is used, or say why not.
pub fn rename(
    ws: &Workspace,
    uri: &Uri,
    pos: Position,
    new: &str,
) -> Result<WorkspaceEdit, String> {
    if prepare_rename(ws, uri, pos).is_none() {
        return Err("only a list or a condition can be renamed here".into());
    }
    if !crate::syntax::is_ident(new) {
        return Err(format!("`{new}` is not a name: letters, digits and `_`, not starting with a digit, and not a reserved word"));
    }
    let prog = ws.program(uri).ok_or("the document is not open")?;
    let at = LineIndex::new(&prog.files[0].text).offset(pos);
    let ((_, _, old), decl_file, _) = target_at(&prog, at).ok_or("nothing to rename here")?;
    if old == new {
        return Ok(WorkspaceEdit::default());
    }
    if names::scope(&prog, decl_file).iter().any(|d| d.name == new) {
        return Err(format!("`{new}` is already declared where `{old}` is"));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for loc in references(ws, uri, pos, true) {
        changes
            .entry(loc.uri)
            .or_default()
            .push(TextEdit::new(loc.range, new.to_string()));
    }
    Ok(WorkspaceEdit::new(changes))
}

/// `tripline fmt` of the document as one edit of the whole text; `None` when it does not
/// parse (the diagnostics say why) or is already formatted.
pub fn format(ws: &Workspace, uri: &Uri) -> Option<Vec<TextEdit>> {
    let text = &ws.docs().get(uri)?.text;
    let formatted = crate::fmt::format(text).ok()?;
    if &formatted == text {
        return Some(Vec::new());
    }
    let idx = LineIndex::new(text);
    Some(vec![TextEdit::new(idx.range(0, text.len()), formatted)])
}

/// The document's imports, lists, conditions and rules (with their test cases).
#[allow(deprecated)] // DocumentSymbol::deprecated is a required field of the struct
pub fn symbols(ws: &Workspace, uri: &Uri) -> Vec<DocumentSymbol> {
    let Some(prog) = ws.program(uri) else {
        return Vec::new();
    };
    let idx = LineIndex::new(&prog.files[0].text);
    let sym = |name: String, detail: Option<String>, kind, span: Span, sel: Span, children| {
        DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: idx.range(span.start, span.end),
            selection_range: idx.range(sel.start, sel.end),
            children,
        }
    };
    let Some(ast) = &prog.files[0].ast else {
        return Vec::new();
    };
    ast.items
        .iter()
        .map(|item| match item {
            ast::Item::Import(s) => sym(
                s.value.clone(),
                Some("import".into()),
                SymbolKind::MODULE,
                s.span,
                s.span,
                None,
            ),
            ast::Item::List(l) => sym(
                l.name.name.clone(),
                Some(format!("list of {}", l.items.len())),
                SymbolKind::ARRAY,
                l.span,
                l.name.span,
                None,
            ),
            ast::Item::Condition(c) => sym(
                c.name.name.clone(),
                Some("condition".into()),
                SymbolKind::FUNCTION,
                c.span,
                c.name.span,
                None,
            ),
            ast::Item::Rule(r) => {
                let tests = r
                    .tests
                    .iter()
                    .map(|t| {
                        sym(
                            t.name.value.clone(),
                            Some("test".into()),
                            SymbolKind::EVENT,
                            t.span,
                            t.name.span,
                            None,
                        )
                    })
                    .collect();
                let title = r
                    .meta
                    .iter()
                    .find(|m| m.key.name == "title")
                    .and_then(|m| m.values.first())
                    .map(|v| v.text().0.to_string());
                sym(
                    r.name.name.clone(),
                    title,
                    SymbolKind::CLASS,
                    r.span,
                    r.name.span,
                    Some(tests),
                )
            }
        })
        .collect()
}
