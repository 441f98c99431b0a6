//! The shared layer of the SQL targets (DuckDB, Spark SQL): one query shape, one predicate
//! writer ([`expr`]) and two regex writers ([`regex`]); a [`Dialect`] supplies what differs
//! between engines (identifier quoting, string literals, function names, the regex
//! dialect, casts). A SQL target is its dialect and one line in the registry.
//!
//! The lake layout every SQL target reads (documented in `docs/catalog.md`, "Data lakes"):
//! one table per catalog source, named after the source (`windows.process_creation` →
//! `windows_process_creation`, the section [`Target::derived_section`] gives every source
//! the catalog has none for; a catalog section's `table` names another; `--table-prefix`
//! before it), one row per record, and one text column per catalog field named exactly as
//! the field (a dotted name is one column). Numbers and booleans are held as their text,
//! `json` fields as their compact JSON text; a missing value is NULL or `''`.

pub mod expr;
pub mod regex;
mod stage;

use super::logic::{Negation, Node, Style};
use super::{Ctx, Target, TargetError};
use crate::ir;
use crate::targets::Construct;

/// What differs between SQL engines.
pub trait Dialect: Sync {
    /// The name used with `--target`.
    fn name(&self) -> &'static str;
    /// An identifier, quoted so that any field name reads back as itself.
    fn ident(&self, name: &str) -> String;
    /// A string literal that reads back as exactly `s`.
    fn string(&self, s: &str) -> String;
    /// The prefix test function (`starts_with`).
    fn starts_with(&self) -> &'static str;
    /// The suffix test function (`ends_with`).
    fn ends_with(&self) -> &'static str;
    /// An unanchored regex search of `value` for the regex literal `pattern`.
    fn regex_search(&self, value: &str, pattern: &str) -> String;
    /// The language's (checked) regex as this engine reads it, or why it cannot be written.
    fn regex(&self, pattern: &str, cased: bool) -> Result<String, String>;
    /// A cast that gives NULL instead of failing (`TRY_CAST(e AS DOUBLE)`).
    fn try_cast(&self, e: &str, ty: &str) -> String;
    /// Milliseconds since the epoch of a `TIMESTAMP` (`epoch_ms(t)`).
    fn epoch_ms(&self, t: &str) -> String;
    /// The query's time (`now()`), which first-seen windows end at.
    fn now(&self) -> &'static str;
    /// The `TIMESTAMP` of milliseconds since the epoch.
    fn timestamp_of_ms(&self, ms: &str) -> String;
    /// Globs are written as anchored regexes instead of `LIKE` (the engine's `LIKE` is
    /// not exact).
    fn globs_by_regex(&self) -> bool {
        false
    }
}

/// A comparison operator as SQL writes it (`=`, `<>`, `<`, ...).
pub(crate) fn cmp_op(op: ir::CmpOp) -> &'static str {
    match op {
        ir::CmpOp::Eq => "=",
        ir::CmpOp::Ne => "<>",
        ir::CmpOp::Lt => "<",
        ir::CmpOp::Le => "<=",
        ir::CmpOp::Gt => ">",
        ir::CmpOp::Ge => ">=",
    }
}

/// SQL's boolean tokens: `AND`/`OR`/`NOT`, chains of one connective merged, a chain
/// parenthesised only as an operand.
pub const STYLE: Style = Style {
    and: " AND ",
    or: " OR ",
    truth: "TRUE",
    falsity: "FALSE",
    negation: Negation::Prefix("NOT"),
    always_group: false,
    flatten: true,
    chain_max: usize::MAX,
};

/// A SQL target: a [`Dialect`] and the shared writer.
pub struct SqlTarget(pub &'static dyn Dialect);

impl SqlTarget {
    /// The table a source's records are in, after `--table-prefix`.
    fn table(&self, ctx: &Ctx) -> String {
        let key = ctx.catalog_key;
        let table = ctx.source.targets.get(key).and_then(|t| t.table.clone());
        let prefix = ctx.opts.table_prefix.as_deref().unwrap_or("");
        let table = table.unwrap_or_else(|| table_name(ctx.source_name));
        format!("{prefix}{table}")
    }
}

/// The lake layout's table of a source: its name with `.` as `_`.
fn table_name(source_name: &str) -> String {
    source_name.replace('.', "_")
}

/// The source's time field on this target (the section's, else the source's).
fn time_field(ctx: &Ctx) -> Option<String> {
    ctx.source
        .targets
        .get(ctx.catalog_key)
        .and_then(|t| t.timestamp.clone())
        .or_else(|| ctx.source.timestamp.clone())
}

/// The column of each field: SQL engines resolve identifiers without regard to letter
/// case, so fields whose names differ only in case (`OperationName`, `operationName`) are
/// one column, named as the first of them in the catalog.
fn columns(ctx: &Ctx) -> std::collections::HashMap<String, String> {
    let mut first: std::collections::HashMap<String, String> = Default::default();
    let mut out = std::collections::HashMap::new();
    for name in ctx.source.fields.keys() {
        let canon = first
            .entry(name.to_lowercase())
            .or_insert_with(|| name.clone());
        out.insert(name.clone(), canon.clone());
    }
    out
}

impl Target for SqlTarget {
    fn refusals(&self) -> &'static [Construct] {
        &[
            Construct::StageField,
            Construct::FieldType,
            Construct::CaselessNonAscii,
            Construct::TimeFieldComparison,
            Construct::GlobPattern,
            Construct::RegexPattern,
            Construct::FieldComparison,
            Construct::Ipv6Cidr,
        ]
    }

    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn extension(&self) -> &'static str {
        "sql"
    }

    fn comment(&self, text: &str) -> String {
        format!("-- {text}")
    }

    /// The lake layout: the source's table, its time field, its records selected by its
    /// `recognize` (compiled like the rule's own fields).
    fn derived_section(
        &self,
        source_name: &str,
        source: &crate::catalog::Source,
    ) -> Option<crate::catalog::TargetSource> {
        Some(crate::catalog::TargetSource {
            table: Some(table_name(source_name)),
            timestamp: source.timestamp.clone(),
            recognize: source.recognize.is_some(),
            ..Default::default()
        })
    }

    fn compile_rule(&self, rule: &ir::Rule, ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        let d = self.0;
        let mut errors = Vec::new();
        let w = expr::Writer {
            d,
            columns: columns(ctx),
            time: time_field(ctx),
        };
        // A table may hold other records than the source's: the source's own `recognize`
        // predicate selects them (unless the catalog section has the mapping pass add it).
        let recognized = match (
            &ctx.source.recognize,
            ctx.source.targets.get(ctx.catalog_key),
        ) {
            (Some(r), t) if !t.is_some_and(|t| t.recognize) => {
                crate::check::recognizer(ctx.source_name, ctx.source, &r.text).ok()
            }
            _ => None,
        };
        let mut conjuncts: Vec<&ir::Expr> = Vec::new();
        for e in recognized.iter().chain(std::iter::once(&rule.expr)) {
            match e {
                ir::Expr::And(xs) => conjuncts.extend(xs.iter()),
                e => conjuncts.push(e),
            }
        }
        let mut lines = Vec::new();
        for c in conjuncts {
            match w.expr(c, false) {
                Ok(n) => lines.push(n),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // `schema.table`: each part quoted.
        let table: Vec<String> = self.table(ctx).split('.').map(|p| d.ident(p)).collect();
        let table = table.join(".");
        if let Some(st) = &rule.stage {
            return stage::query(&w, st, &table, lines);
        }
        let mut q = format!("SELECT *\nFROM {table}\n");
        for (i, n) in lines.iter().enumerate() {
            let text = match n {
                Node::Or(_) if lines.len() > 1 => STYLE.render_operand(n),
                _ => STYLE.render(n),
            };
            q.push_str(if i == 0 { "WHERE " } else { "  AND " });
            q.push_str(&text);
            q.push('\n');
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests;
