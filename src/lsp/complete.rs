//! Completion: what [`super::context`] says may be written at the cursor, from the
//! catalog (sources, the rule's fields and their types), the names in scope and the
//! language's own words.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Position, TextEdit, Uri,
};

use crate::catalog::{FieldType, Source};
use crate::check::{LEVEL, META_KEYS, RELATED, STATUS, TACTICS};
use crate::syntax::ast;

use super::context::{self, Want, ENTRY_WORDS};
use super::names::{self, DeclKind};
use super::position::LineIndex;
use super::workspace::Workspace;

/// The operators a field of this type takes, with what each means (`None`: unknown type).
pub fn operators(ty: Option<FieldType>) -> Vec<(&'static str, &'static str)> {
    const EQ: [(&str, &str); 2] = [("==", crate::ir::StrOp::Eq.summary()), ("!=", "not equal")];
    const PRESENCE: [(&str, &str); 2] = [
        ("exists", "present and not empty"),
        ("missing", "absent or empty"),
    ];
    const LIST: [(&str, &str); 2] = [
        ("in", "equal to an element of a list"),
        ("not in", "equal to no element of a list"),
    ];
    let text: Vec<(&str, &str)> = ast::StrOpKind::all()
        .map(|op| (op.keyword(), op.summary()))
        .collect();
    const ORDER: [(&str, &str); 4] = [
        ("<", "less than"),
        ("<=", "at most"),
        (">", "greater than"),
        (">=", "at least"),
    ];
    let mut out: Vec<(&str, &str)> = Vec::new();
    match ty {
        Some(FieldType::String) => {
            out.extend(EQ.iter().chain(&LIST).chain(&text));
        }
        Some(FieldType::Ip) => {
            out.extend(EQ.iter().chain(&LIST));
            out.push(("in cidr", "inside one of the networks"));
            out.extend(&text);
        }
        Some(FieldType::Number) => out.extend(EQ.iter().chain(&ORDER).chain(&LIST)),
        Some(FieldType::Bool) => out.extend(&EQ),
        Some(FieldType::Json) => {
            let contains = ast::StrOpKind::Text(crate::ir::StrOp::Contains);
            out.push((contains.keyword(), contains.summary()));
        }
        None => {
            out.extend(EQ.iter().chain(&ORDER).chain(&LIST).chain(&text));
            out.push(("in cidr", "inside one of the networks"));
        }
    }
    out.extend(&PRESENCE);
    out
}

struct Items<'a> {
    out: Vec<CompletionItem>,
    edit: lsp_types::Range,
    prefix: &'a str,
}

impl Items<'_> {
    fn push(
        &mut self,
        label: &str,
        kind: CompletionItemKind,
        detail: Option<String>,
        doc: Option<String>,
    ) {
        if !label.starts_with(self.prefix)
            && !label.to_lowercase().contains(&self.prefix.to_lowercase())
        {
            return;
        }
        self.out.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            documentation: doc.map(|d| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: d,
                })
            }),
            sort_text: Some(format!("{:04}", self.out.len())),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                self.edit,
                label.to_string(),
            ))),
            ..CompletionItem::default()
        });
    }

    fn words(&mut self, words: &[&str], kind: CompletionItemKind) {
        for w in words {
            self.push(w, kind, None, None);
        }
    }
}

/// A field's one-line detail: its type and what it identifies.
pub fn field_detail(src: &Source, name: &str) -> Option<String> {
    let d = src.fields.get(name)?;
    Some(match d.entity {
        Some(e) => format!("{} ({})", d.ty().name(), e.name()),
        None => d.ty().name().to_string(),
    })
}

/// The completions at `pos` of document `uri`.
pub fn complete(ws: &Workspace, uri: &Uri, pos: Position) -> Vec<CompletionItem> {
    let Some(doc) = ws.docs().get(uri) else {
        return Vec::new();
    };
    let text = &doc.text;
    let idx = LineIndex::new(text);
    let at = idx.offset(pos);
    let ctx = context::at(text, at);
    let mut items = Items {
        out: Vec::new(),
        edit: idx.range(ctx.prefix_start, at),
        prefix: &text[ctx.prefix_start..at],
    };
    let cat = &ws.catalog.catalog;
    let source: Option<&Source> = ctx
        .rule
        .as_ref()
        .and_then(|r| r.source.as_deref())
        .and_then(|s| cat.sources.get(s));
    let prog = ws.program(uri);
    let scope = prog
        .as_ref()
        .map(|p| names::scope(p, 0))
        .unwrap_or_default();
    let names = Names {
        scope: &scope,
        prog: prog.as_deref(),
    };
    match &ctx.want {
        Want::Source => items.sources(cat),
        Want::Operand => {
            items.fields(source);
            items.decls(&names, &[DeclKind::Condition]);
            items.words(&["not", "keyword"], CompletionItemKind::KEYWORD);
        }
        Want::Field => items.fields(source),
        Want::Operator(f) => {
            let ty = source.and_then(|s| s.fields.get(f)).map(|d| d.ty());
            for (op, what) in operators(ty) {
                items.push(
                    op,
                    CompletionItemKind::OPERATOR,
                    Some(what.to_string()),
                    None,
                );
            }
        }
        Want::In => items.words(&["in"], CompletionItemKind::KEYWORD),
        Want::List { after_in } => {
            items.decls(&names, &[DeclKind::List]);
            if *after_in {
                items.words(&["cased", "cidr"], CompletionItemKind::KEYWORD);
            }
        }
        Want::StrTestValue => {
            items.decls(&names, &[DeclKind::List]);
            items.words(&["any", "all", "cased"], CompletionItemKind::KEYWORD);
        }
        Want::Value(f) => match source.and_then(|s| s.fields.get(f)).map(|d| d.ty()) {
            Some(FieldType::Bool) => items.words(&["true", "false"], CompletionItemKind::VALUE),
            Some(FieldType::Json) => {}
            _ => items.fields(source),
        },
        Want::MetaValue(key) => {
            let values = match *key {
                "status" => STATUS,
                "level" => LEVEL,
                _ => RELATED,
            };
            items.words(values, CompletionItemKind::ENUM_MEMBER);
        }
        Want::Tag => items.tags(),
        Want::Step => items.decls(&names, &[DeclKind::Condition, DeclKind::Rule]),
        Want::Entry => {
            items.words(ENTRY_WORDS, CompletionItemKind::KEYWORD);
            items.words(META_KEYS, CompletionItemKind::PROPERTY);
            items.words(&["and", "or"], CompletionItemKind::KEYWORD);
        }
        Want::Item => items.words(
            &["rule", "list", "condition", "import"],
            CompletionItemKind::KEYWORD,
        ),
        Want::Nothing => {}
    }
    items.out
}

/// The names in scope of the document, with the program that declares them.
struct Names<'a, 'p> {
    scope: &'a [names::Decl<'p>],
    prog: Option<&'p crate::driver::Program>,
}

impl Items<'_> {
    /// Every source of the catalog.
    fn sources(&mut self, cat: &crate::catalog::Catalog) {
        for (name, src) in &cat.sources {
            let first = src.description.lines().next().unwrap_or("").to_string();
            self.push(
                name,
                CompletionItemKind::MODULE,
                Some(first),
                Some(src.description.clone()),
            );
        }
    }

    /// The ATT&CK tags: the tactics, then every technique of the shipped ATT&CK table with
    /// its name and tactics.
    fn tags(&mut self) {
        for t in TACTICS {
            let tag = format!("attack.{t}");
            self.push(
                &tag,
                CompletionItemKind::ENUM_MEMBER,
                Some("ATT&CK tactic".into()),
                None,
            );
        }
        for t in crate::targets::attack::table() {
            let tag = format!("attack.{}", t.id.to_lowercase());
            let doc = format!("tactics: {}", t.tactics.join(", "));
            self.push(
                &tag,
                CompletionItemKind::ENUM_MEMBER,
                Some(t.name.to_string()),
                Some(doc),
            );
        }
    }

    /// The fields of the rule's source, with their types and descriptions.
    fn fields(&mut self, source: Option<&Source>) {
        let Some(src) = source else { return };
        for (name, d) in &src.fields {
            self.push(
                name,
                CompletionItemKind::FIELD,
                field_detail(src, name),
                d.description.clone(),
            );
        }
    }

    /// The declarations in scope of these kinds, each documented with its text.
    fn decls(&mut self, names: &Names, kinds: &[DeclKind]) {
        for d in names.scope.iter().filter(|d| kinds.contains(&d.kind)) {
            let (kind, detail) = match d.item {
                ast::Item::List(l) => (
                    CompletionItemKind::VARIABLE,
                    format!("list of {}", l.items.len()),
                ),
                ast::Item::Condition(_) => (CompletionItemKind::FUNCTION, "condition".to_string()),
                _ => (CompletionItemKind::CLASS, "rule".to_string()),
            };
            let doc = names.prog.map(|p| {
                let t = &p.files[d.file].text;
                format!(
                    "```trip\n{}\n```",
                    &t[d.span.start..d.span.end.min(t.len())]
                )
            });
            self.push(d.name, kind, Some(detail), doc);
        }
    }
}
