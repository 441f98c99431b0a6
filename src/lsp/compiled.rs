//! The rule's compiled queries, for the editor: one code lens above each rule, and the
//! command behind it, which returns every query target's output (or its coded refusal) as
//! one Markdown document.

use lsp_types::{CodeLens, Command, Uri};
use miette::Diagnostic as _;

use crate::driver::{self, Options};
use crate::targets;

use super::names::{self, DeclKind};
use super::position::LineIndex;
use super::workspace::Workspace;

/// The command the server executes: arguments `[uri]` or `[uri, rule name]`.
pub const COMMAND: &str = "tripline.compiled";
/// The client-side command the code lens runs (the editor extension opens the result).
pub const CLIENT_COMMAND: &str = "tripline.showCompiled";

/// One lens per rule of the document.
pub fn lenses(ws: &Workspace, uri: &Uri) -> Vec<CodeLens> {
    let Some(prog) = ws.program(uri) else {
        return Vec::new();
    };
    let idx = LineIndex::new(&prog.files[0].text);
    names::decls(&prog, 0)
        .into_iter()
        .filter(|d| d.kind == DeclKind::Rule)
        .map(|d| CodeLens {
            range: idx.range(d.name_span.start, d.name_span.end),
            command: Some(Command {
                title: "Show compiled queries".into(),
                command: CLIENT_COMMAND.into(),
                arguments: Some(vec![uri.as_str().into(), d.name.into()]),
            }),
            data: None,
        })
        .collect()
}

/// Every rule of the document (or only `rule`) compiled for every query target, as
/// Markdown: a heading per rule, a fenced block per target, or the diagnostics that stop it.
pub fn markdown(ws: &Workspace, uri: &Uri, rule: Option<&str>) -> String {
    let Some(prog) = ws.program(uri) else {
        return "The document is not open.\n".into();
    };
    let checked = driver::check_program(&prog, &ws.catalog.catalog);
    let mut out = String::new();
    let wanted = |n: &str| rule.is_none_or(|r| r == n);
    for d in names::decls(&prog, 0)
        .iter()
        .filter(|d| d.kind == DeclKind::Rule && wanted(d.name))
    {
        out.push_str(&format!("# {}\n\n", d.name));
        let Some((_, ir)) = checked
            .rules
            .iter()
            .find(|(f, r)| *f == 0 && r.name == d.name)
        else {
            let errors = checked
                .diagnostics
                .iter()
                .filter(|x| x.path == prog.files[0].display && x.is_error())
                .filter(|x| {
                    x.error
                        .labels()
                        .and_then(|mut l| l.next())
                        .is_some_and(|l| d.span.start <= l.offset() && l.offset() <= d.span.end)
                });
            out.push_str("The rule does not check yet:\n\n");
            for e in errors {
                let (line, col) = e.line_col();
                out.push_str(&format!("- {line}:{col} `{}`: {}\n", e.code(), e.error));
            }
            out.push('\n');
            continue;
        };
        for (t, flavor) in targets::query_targets() {
            let Ok(opts) = Options::new(t, flavor)
                .map(|o| o.with_catalog(ws.catalog.catalog.as_ref().clone()))
            else {
                continue;
            };
            let heading = match flavor {
                Some(f) => format!("{t} ({f})"),
                None => t.to_string(),
            };
            out.push_str(&format!("## {heading}\n\n"));
            match driver::compile_rule(ir, &opts) {
                Ok((text, _)) => {
                    let fence = if text.contains("```") { "~~~~" } else { "```" };
                    out.push_str(&format!(
                        "{fence}{}\n{}\n{fence}\n\n",
                        opts.target.extension(),
                        text.trim_end()
                    ));
                }
                Err(es) => {
                    out.push_str("Refused:\n\n");
                    for e in es {
                        let code = e.code().map(|c| c.to_string()).unwrap_or_default();
                        let help = e
                            .help()
                            .map(|h| format!(" (help: {h})"))
                            .unwrap_or_default();
                        out.push_str(&format!("- `{code}`: {e}{help}\n"));
                    }
                    out.push('\n');
                }
            }
        }
    }
    if out.is_empty() {
        out.push_str("No rule here.\n");
    }
    out
}
