//! Stage 2: AST → IR. [`check`] resolves names and imports, checks metadata, fields and
//! types, and lowers every valid rule to [`crate::ir`]. It collects every error it finds;
//! the driver sorts them by position.

mod cases;
mod compare;
mod errors;
mod expr;
mod meta;
mod regex_check;
mod rule;
mod scope;
mod stage;

use std::collections::HashMap;

pub use errors::CheckError;

/// `Ok` when `pattern` is in the portable regular-expression subset (see `grammar/README.md`),
/// otherwise why not.
pub fn portable_regex(pattern: &str) -> Result<(), String> {
    regex_check::check(pattern)
}
/// The words of rule metadata: its keys, the values of `status`, `level` and `related`, and
/// the ATT&CK tactics an `attack.<tactic>` tag may name.
pub use meta::{KEYS as META_KEYS, LEVEL, RELATED, STATUS, TACTICS};

use crate::catalog::{Catalog, FieldType, Source};
use crate::ir::{self, CmpOp, Number, Quant, Span, StrOp, Test};
use crate::syntax::ast::{self, CmpKind, ListOperand, Literal, StrOpKind};

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

/// The name of the rule whose item holds byte `off` of the file, if any.
pub fn rule_at(ast: Option<&ast::File>, off: usize) -> Option<String> {
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
