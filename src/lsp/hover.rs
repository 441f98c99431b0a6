//! Hover: a field's type, description and how every target writes it (or why it cannot);
//! a source's tables; a list's values; a condition's expression; an operator's meaning.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Uri};

use crate::catalog::{Mapped, Source};
use crate::syntax::ast;

use super::complete::{field_detail, operators};
use super::lex::{self, Kind};
use super::names::{self, holds};
use super::position::LineIndex;
use super::workspace::Workspace;

/// The hover text at `pos` of document `uri`.
pub fn hover(ws: &Workspace, uri: &Uri, pos: Position) -> Option<Hover> {
    let doc = ws.docs().get(uri)?;
    let text = &doc.text;
    let idx = LineIndex::new(text);
    let at = idx.offset(pos);
    let toks = lex::tokens(text);
    let k = toks
        .iter()
        .position(|t| t.start <= at && at < t.end)
        .or_else(|| {
            toks.iter()
                .position(|t| t.end == at && t.kind == Kind::Word)
        })?;
    let tok = toks[k];
    let word = tok.text(text);
    let prev = toks[..k]
        .iter()
        .rev()
        .find(|t| t.kind != Kind::Comment)
        .map(|t| t.text(text));
    let value = if let Some(v) = name_hover(ws, uri, at) {
        v
    } else if tok.kind == Kind::Word && prev == Some("source") {
        source_hover(word, ws.catalog.described.sources.get(word)?)
    } else if let Some(v) = operator_hover(word, tok.kind) {
        v
    } else if tok.kind == Kind::Word {
        let rule = lex::rule_at(text, &toks, at)?;
        let src = ws.catalog.described.sources.get(rule.source.as_deref()?)?;
        field_hover(word, rule.source.as_deref()?, src)?
    } else {
        return None;
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(idx.range(tok.start, tok.end)),
    })
}

/// A list's values, a condition's expression or a rule's title, for a name at `at`.
fn name_hover(ws: &Workspace, uri: &Uri, at: usize) -> Option<String> {
    let prog = ws.program(uri)?;
    let decl = match names::decls(&prog, 0)
        .into_iter()
        .find(|d| holds(d.name_span, at))
    {
        Some(d) => d,
        None => {
            let u = names::uses(&prog, 0)
                .into_iter()
                .find(|u| holds(u.span, at))?;
            names::resolve(&prog, &u)?
        }
    };
    let file = &prog.files[decl.file];
    let shown = |s: &str| {
        let s = s.trim();
        match s.char_indices().nth(1500) {
            Some((i, _)) => format!("{} …", &s[..i]),
            None => s.to_string(),
        }
    };
    let mut out = match decl.item {
        ast::Item::List(l) => {
            let values: Vec<String> = l
                .items
                .iter()
                .map(|v| file.text[v.span().start..v.span().end].to_string())
                .collect();
            let mut s = format!("**list `{}`** · {} values\n\n", decl.name, values.len());
            for v in values.iter().take(25) {
                s.push_str(&format!("- `{v}`\n"));
            }
            if values.len() > 25 {
                s.push_str(&format!("- … {} more\n", values.len() - 25));
            }
            s
        }
        ast::Item::Condition(_) => format!(
            "**condition `{}`**\n\n```trip\n{}\n```\n",
            decl.name,
            shown(&file.text[decl.span.start..decl.span.end])
        ),
        ast::Item::Rule(r) => {
            let meta = |k: &str| {
                r.meta
                    .iter()
                    .find(|m| m.key.name == k)
                    .and_then(|m| m.values.first())
                    .map(|v| v.text().0.to_string())
            };
            let src = r
                .sources
                .first()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            format!(
                "**rule `{}`** · {}\n\n{}\n\nsource `{src}`\n",
                decl.name,
                meta("level").unwrap_or_default(),
                meta("title").unwrap_or_default()
            )
        }
        ast::Item::Import(_) => return None,
    };
    if decl.file != 0 {
        out.push_str(&format!("\ndeclared in `{}`\n", file.display));
    }
    Some(out)
}

/// A source: what it holds, its Sigma logsource and its table or search on every target.
fn source_hover(name: &str, src: &Source) -> String {
    let mut s = format!(
        "**source `{name}`** · {} fields\n\n{}\n\n",
        src.fields.len(),
        src.description.trim()
    );
    if !src.logsource.is_empty() {
        let ls: Vec<String> = src
            .logsource
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        s.push_str(&format!("Sigma logsource: `{}`\n\n", ls.join(", ")));
    }
    s.push_str("| target | table or search | rows |\n|---|---|---|\n");
    for (key, t) in &src.targets {
        match &t.unavailable {
            Some(why) => s.push_str(&format!("| {key} | unavailable: {} | |\n", cell(why))),
            None => {
                let what = t
                    .table
                    .clone()
                    .or_else(|| t.base.clone())
                    .unwrap_or_default();
                let rows = match (&t.filter, t.recognize) {
                    (Some(f), _) => format!("`{}`", cell(f)),
                    (None, true) => "the source's `recognize`".to_string(),
                    (None, false) => String::new(),
                };
                s.push_str(&format!("| {key} | `{}` | {rows} |\n", cell(&what)));
            }
        }
    }
    s
}

/// A field of the rule's source: type, description, and how each target writes it.
fn field_hover(name: &str, source: &str, src: &Source) -> Option<String> {
    let d = src.fields.get(name)?;
    let mut s = format!(
        "**`{name}`** · {} · field of `{source}`\n\n",
        field_detail(src, name)?
    );
    if let Some(desc) = &d.description {
        s.push_str(&format!("{}\n\n", desc.trim()));
    }
    s.push_str("| target | written as |\n|---|---|\n");
    for (key, t) in &src.targets {
        let how = match (&t.unavailable, src.map_field(key, name)) {
            (Some(why), _) => format!("source unavailable: {}", cell(why)),
            (None, Ok(Mapped::Column(c))) => format!("`{}`", cell(&c)),
            (None, Ok(Mapped::Expr(e))) => format!("`{}`", cell(&e)),
            (None, Err(why)) => format!("unavailable: {}", cell(&why)),
        };
        s.push_str(&format!("| {key} | {how} |\n"));
    }
    Some(s)
}

/// A table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// The meaning of an operator or test word.
fn operator_hover(word: &str, kind: Kind) -> Option<String> {
    if !matches!(kind, Kind::Word | Kind::Op) {
        return None;
    }
    let extra: &[(&str, &str)] = &[
        ("cased", "the comparison is case-sensitive"),
        ("any", "holds for at least one value of the list"),
        ("all", "holds for every value of the list"),
        (
            "cidr",
            "the value is an IP address inside one of the networks",
        ),
        (
            "keyword",
            "some string field of the source holds the text (case-insensitive)",
        ),
    ];
    let (w, what) = operators(None)
        .into_iter()
        .chain(extra.iter().copied())
        .find(|(op, _)| *op == word)?;
    Some(format!(
        "**`{w}`**: {what}\n\nSee the language reference, `grammar/README.md`."
    ))
}
