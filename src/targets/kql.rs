//! The `kql` target: Kusto Query Language for Microsoft Sentinel (`sentinel`, the default
//! flavour) and Microsoft Defender XDR advanced hunting (`defender`).
//!
//! A rule becomes its table on the first line and one `| where` line per top-level conjunct
//! of its match expression:
//!
//! ```text
//! OfficeActivity
//! | where Operation =~ "MailItemsAccessed"
//! | where OfficeWorkload =~ "Exchange"
//! | where AppId !in~ ("00000002-0000-0ff1-ce00-000000000000", "00000003-0000-0000-c000-000000000000")
//! ```
//!
//! A rule with a stateful stage (`threshold`, `new`, `sequence`) builds on the same lines:
//! see the `stage` submodule.
//!
//! # Exactness
//!
//! The language is two-valued: a comparison on a missing field is false and `not` makes it
//! true. KQL is not: a comparison with a null number, bool or IP-function result is null, and
//! `not(null)` is null, which `where` drops. Every predicate is therefore emitted in one of
//! three forms:
//!
//! * *plain*, where no `not` encloses it (a null there is dropped by `where` exactly like the
//!   false the language gives; `and`/`or` treat null like false);
//! * *two-valued*, where a `not(...)` of a compound expression encloses it (null made false,
//!   e.g. `(isnotnull(N) and N > 5)`);
//! * *negated*, for a directly negated predicate (`!~`, `!in~`, `!contains`,
//!   `(isnull(N) or not(N > 5))`, ...), always two-valued.
//!
//! String columns are never null in KQL (missing is the empty string) and the IR never holds
//! an empty string value, so string operators are already two-valued; only patterns that can
//! match the empty string get an `isnotempty()` guard.
//!
//! KQL's case-insensitive operators (`=~`, `in~`, `contains`, ...) are documented as folding
//! ASCII only; a case-insensitive value holding a non-ASCII character that has a case
//! mapping is matched with a `(?i)` regular expression instead (Unicode simple case folding,
//! as the language defines).

mod artifact;
mod expr;
mod lex;
mod stage;

use crate::targets::Construct;
use expr::*;
use lex::*;
pub use lex::{quote_ident, quote_string, quote_verbatim};

use super::guards::{guarded, Guard};
use super::logic::{Negation, Node, Style};
use super::text::{caseful_non_ascii, with_case_insensitive, RegexDialect};
use super::{unsupported, Artifact, Ctx, Target, TargetError};
use crate::catalog::{FieldType, Mapped};
use crate::ir::{self, CmpOp, Expr, Field, Number, Pred, Quant, StrOp, Test};

/// The kql target.
pub struct Kql;

/// The flavours, default first.
const FLAVORS: &[&str] = &["sentinel", "defender"];

/// Most values KQL accepts in one `in` / `in~` list.
pub const MAX_IN_VALUES: usize = 1_000_000;

/// Most capture groups KQL accepts in a `matches regex` pattern.
pub const MAX_REGEX_GROUPS: usize = 16;

/// Longest flat `and` / `or` chain emitted; longer chains are grouped in parentheses so that
/// the query's syntax depth stays within what Kusto's parser accepts (a flat chain of about
/// 500 operands is already too deep for it).
const CHAIN_MAX: usize = 64;

/// The characters an IPv6 address is written with, and at least one colon (which no IPv4
/// address has): rules out IPv4 addresses (which the IPv6 functions accept, mapped to
/// `::ffff:a.b.c.d`), prefix notation, zone indices, brackets and blanks.
const IPV6_SHAPE: &str = "^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$";

/// KQL keywords that have the shape of an identifier (from Microsoft's Kusto.Language
/// `SyntaxFacts`), plus the literals `true`/`false` and the function `not`: a column with one
/// of these names is written `['name']`. Sorted, for binary search.
const KEYWORDS: &[&str] = &[
    "__contextual_datatable",
    "__crossCluster",
    "__crossDB",
    "__executeAndCache",
    "__id",
    "__isFuzzy",
    "__noWithSource",
    "__packedColumn",
    "__partitionby",
    "__projectAway",
    "__sourceColumnIndex",
    "access",
    "accumulate",
    "alias",
    "and",
    "anomalychart",
    "areachart",
    "as",
    "asc",
    "bagexpansion",
    "barchart",
    "best_effort",
    "between",
    "bin",
    "bool",
    "boolean",
    "by",
    "byte",
    "cachingpolicy",
    "callout",
    "cancel",
    "card",
    "char",
    "columnchart",
    "consume",
    "contains",
    "contains_cs",
    "containscs",
    "count",
    "cycles",
    "database",
    "dataexport",
    "dataformat",
    "datascope",
    "datatable",
    "date",
    "datetime",
    "datetime_pattern",
    "decimal",
    "declare",
    "decodeblocks",
    "default",
    "desc",
    "distinct",
    "double",
    "dynamic",
    "earliest",
    "edges",
    "encodingpolicy",
    "endswith",
    "endswith_cs",
    "entity_group",
    "evaluate",
    "expandoutput",
    "extend",
    "extent_tags_retention",
    "external_data",
    "externaldata",
    "facet",
    "false",
    "filter",
    "find",
    "first",
    "flags",
    "float",
    "force_remote",
    "fork",
    "from",
    "getschema",
    "graph",
    "guid",
    "harddelete",
    "hardretention",
    "has",
    "has_all",
    "has_any",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "hotcache",
    "id",
    "in",
    "inline_external_table",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "invoke",
    "isfuzzy",
    "join",
    "journal",
    "kind",
    "ladderchart",
    "last",
    "latest",
    "let",
    "like",
    "likecs",
    "limit",
    "linechart",
    "long",
    "lookup",
    "materialize",
    "mdm",
    "missing",
    "mvapply",
    "mvexpand",
    "nodes",
    "nooptimization",
    "not",
    "notcontains",
    "notcontainscs",
    "notlike",
    "notlikecs",
    "null",
    "nulls",
    "of",
    "on",
    "optional",
    "or",
    "order",
    "others",
    "output",
    "pack",
    "parse",
    "partition",
    "pathformat",
    "pattern",
    "piechart",
    "pivotchart",
    "plotly",
    "print",
    "project",
    "queries",
    "query_parameters",
    "query_results",
    "range",
    "real",
    "reduce",
    "regex",
    "relaxed",
    "render",
    "restrict",
    "restricted_view_access",
    "row_level_security",
    "rowstore",
    "rowstore_references",
    "rowstore_sealinfo",
    "rowstorepolicy",
    "rowstores",
    "sample",
    "scan",
    "scatterchart",
    "seal",
    "seals",
    "search",
    "serialize",
    "set",
    "shards",
    "simple",
    "softdelete",
    "softretention",
    "sort",
    "sql",
    "stackedareachart",
    "startswith",
    "startswith_cs",
    "statistics",
    "step",
    "storedqueryresultcontainers",
    "string",
    "summarize",
    "tablepurge",
    "take",
    "time",
    "timechart",
    "timeline",
    "timepivot",
    "timespan",
    "title",
    "to",
    "top",
    "toscalar",
    "totable",
    "treemap",
    "true",
    "typeof",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "ulong",
    "union",
    "uniqueid",
    "unrestrictedviewers",
    "uuid",
    "verbose",
    "view",
    "viewers",
    "views",
    "where",
    "with",
    "with_itemindex",
    "with_match_id",
    "with_node_id",
    "with_source",
    "with_step_name",
    "withsource",
    "writeaheadlog",
];

impl Target for Kql {
    fn refusals(&self) -> &'static [Construct] {
        &[
            Construct::SequenceShape,
            Construct::StageWindow,
            Construct::StageField,
            Construct::FieldType,
            Construct::RegexPattern,
            Construct::FieldComparison,
            Construct::LongList,
            Construct::Artifact,
        ]
    }

    fn name(&self) -> &'static str {
        "kql"
    }

    fn flavors(&self) -> &'static [&'static str] {
        FLAVORS
    }

    fn extension(&self) -> &'static str {
        "kql"
    }

    fn unmapped_source(&self) -> crate::catalog::TargetSource {
        // A placeholder table: the user points it at wherever the events live.
        crate::catalog::TargetSource {
            table: Some("SigmaEvents".into()),
            ..Default::default()
        }
    }

    fn compile_rule(&self, rule: &ir::Rule, ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        let flavor = flavor(ctx);
        let target = format!("kql ({flavor})");
        let Some(table) = table(ctx) else {
            return Err(vec![TargetError::NoTable {
                target,
                source_name: ctx.source_name.to_string(),
                what: "table".to_string(),
                span: rule.span.into(),
            }]);
        };
        let em = Emitter { target: &target };
        // The catalog's row filter and the match expression's conjuncts, one `| where` line
        // each; a stage puts them after its own table line(s).
        let mut out = String::new();
        // The catalog's row filter selects the source's events in a shared table
        // (e.g. Sysmon event 10 in WindowsEvent). It is written by the catalog in KQL.
        if let Some(filter) = ctx
            .source
            .targets
            .get(ctx.catalog_key)
            .and_then(|t| t.filter.as_deref())
        {
            out.push_str("| where ");
            out.push_str(filter);
            out.push('\n');
        }
        let mut errors = Vec::new();
        let mut conj = Vec::new();
        conjuncts(&rule.expr, &mut conj);
        for c in conj {
            match em.expr(c, false) {
                Ok(f) => {
                    out.push_str("| where ");
                    out.push_str(&STYLE.render(&f));
                    out.push('\n');
                }
                Err(e) => errors.extend(e),
            }
        }
        let out = match &rule.stage {
            None => format!("{}\n{out}", quote_ident(table)),
            Some(st) => {
                let input = stage::Input {
                    em: &em,
                    ctx,
                    flavor,
                    table: &quote_ident(table),
                    filters: &out,
                    rule_span: rule.span,
                };
                match stage::emit(st, &input) {
                    Ok(text) => text,
                    Err(e) => {
                        errors.extend(e);
                        String::new()
                    }
                }
            }
        };
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// `sentinel`: a scheduled analytics rule (YAML); `defender`: a custom detection rule
    /// (JSON). See the `artifact` submodule.
    fn artifact(
        &self,
        rule: &ir::Rule,
        query: &str,
        ctx: &Ctx,
    ) -> Result<Option<Artifact>, Vec<TargetError>> {
        let a = if flavor(ctx) == "defender" {
            artifact::defender(rule, query, table(ctx).unwrap_or_default(), ctx)?
        } else {
            // `compile_rule` has already refused a source without a table.
            artifact::sentinel(rule, query, table(ctx).unwrap_or_default(), ctx)?
        };
        Ok(Some(a))
    }

    /// YAML documents (`---` before each); JSON values one after another.
    fn bundle_artifacts(&self, artifacts: &[(String, Artifact)]) -> String {
        let mut s = String::new();
        for (i, (_, a)) in artifacts.iter().enumerate() {
            if a.extension == "yaml" {
                s.push_str("---\n");
            } else if i > 0 {
                s.push('\n');
            }
            s.push_str(&a.text);
        }
        s
    }

    fn comment(&self, text: &str) -> String {
        format!("// {}", text.replace(['\n', '\r'], " "))
    }
}

/// The flavour the rule was mapped for (diagnostics name it).
fn flavor<'a>(ctx: &'a Ctx) -> &'a str {
    ctx.catalog_key
        .strip_prefix("kql.")
        .or(ctx.opts.flavor.as_deref())
        .unwrap_or(FLAVORS[0])
}

/// The catalog's table for the rule's source on this flavour.
fn table<'a>(ctx: &'a Ctx) -> Option<&'a str> {
    ctx.source
        .targets
        .get(ctx.catalog_key)
        .and_then(|t| t.table.as_deref())
}

/// The top-level conjuncts of `e` (nested `And`s flattened), in order.
fn conjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::And(xs) => xs.iter().for_each(|x| conjuncts(x, out)),
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Source, TargetSource};
    use crate::ir::{CmpOp, Meta, Rule, Span};
    use crate::targets::TargetOptions;
    use indexmap::IndexMap;

    // ----- IR builders -------------------------------------------------------------------

    fn fld(name: &str, ty: FieldType) -> Field {
        Field {
            name: name.to_string(),
            ty,
            mapped: None,
        }
    }
    fn s(name: &str) -> Field {
        fld(name, FieldType::String)
    }
    fn n(name: &str) -> Field {
        fld(name, FieldType::Number)
    }
    fn b(name: &str) -> Field {
        fld(name, FieldType::Bool)
    }
    fn ip(name: &str) -> Field {
        fld(name, FieldType::Ip)
    }
    fn mapped(name: &str, ty: FieldType, m: Mapped) -> Field {
        Field {
            name: name.to_string(),
            ty,
            mapped: Some(m),
        }
    }
    fn p(field: Field, test: Test) -> Expr {
        Expr::Pred(Pred {
            field,
            test,
            span: Span::new(3, 9),
        })
    }
    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }
    fn and(xs: Vec<Expr>) -> Expr {
        Expr::And(xs)
    }
    fn or(xs: Vec<Expr>) -> Expr {
        Expr::Or(xs)
    }
    fn st(op: StrOp, values: &[&str], quant: Quant, cased: bool) -> Test {
        Test::Str {
            op,
            values: values.iter().map(|v| v.to_string()).collect(),
            quant,
            cased,
        }
    }
    /// `F == "v"` (case-insensitive).
    fn eq(f: &str, v: &str) -> Expr {
        p(s(f), st(StrOp::Eq, &[v], Quant::Any, false))
    }
    fn any(f: &str, op: StrOp, vs: &[&str]) -> Expr {
        p(s(f), st(op, vs, Quant::Any, false))
    }
    fn num(t: &str) -> Number {
        Number::parse(t).expect("a number")
    }
    fn gt(f: &str, v: &str) -> Expr {
        p(
            n(f),
            Test::NumCmp {
                op: CmpOp::Gt,
                value: num(v),
            },
        )
    }
    fn glob(f: &str, pats: &[&str], cased: bool) -> Expr {
        p(
            s(f),
            Test::Glob {
                patterns: pats.iter().map(|x| x.to_string()).collect(),
                cased,
            },
        )
    }
    fn re(f: &str, pattern: &str, cased: bool) -> Expr {
        p(
            s(f),
            Test::Regex {
                pattern: pattern.to_string(),
                cased,
            },
        )
    }
    fn cidr_t(f: &str, nets: &[&str]) -> Expr {
        p(
            ip(f),
            Test::Cidr {
                nets: nets.iter().map(|x| x.parse().expect("a net")).collect(),
            },
        )
    }

    // ----- compiling ---------------------------------------------------------------------

    fn source(table: Option<&str>) -> Source {
        let mut targets = IndexMap::new();
        for key in ["kql.sentinel", "kql.defender"] {
            targets.insert(
                key.to_string(),
                TargetSource {
                    table: table.map(str::to_string),
                    ..TargetSource::default()
                },
            );
        }
        Source {
            description: "test".to_string(),
            logsource: IndexMap::new(),
            timestamp: None,
            record: None,
            recognize: None,
            fields: IndexMap::new(),
            targets,
        }
    }

    fn rule(expr: Expr) -> Rule {
        Rule {
            name: "r".to_string(),
            meta: Meta::default(),
            source: "test.source".to_string(),
            expr,
            span: Span::new(0, 100),
            stage: None,
            tests: Vec::new(),
            test_files: Vec::new(),
            stream_tests: Vec::new(),
        }
    }

    fn compile_in(
        src: &Source,
        r: &Rule,
        flavor: Option<&str>,
    ) -> Result<String, Vec<TargetError>> {
        let opts = TargetOptions {
            flavor: flavor.map(str::to_string),
            spl_index: None,
            table_prefix: None,
            sigma_input: false,
        };
        let key = Kql.catalog_key(flavor.unwrap_or("sentinel"));
        let ctx = Ctx {
            source: src,
            source_name: "test.source",
            opts: &opts,
            catalog_key: &key,
        };
        Kql.compile_rule(r, &ctx)
    }

    fn compile(expr: Expr) -> Result<String, Vec<TargetError>> {
        compile_in(&source(Some("T")), &rule(expr), None)
    }

    /// The whole output.
    fn kql(expr: Expr) -> String {
        match compile(expr) {
            Ok(s) => s,
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    /// The output after the table line, without the final newline.
    fn wh(expr: Expr) -> String {
        let out = kql(expr);
        let (first, rest) = out.split_once('\n').expect("a table line");
        assert_eq!(first, "T");
        rest.strip_suffix('\n').expect("final newline").to_string()
    }

    /// The constructs of the refusals.
    fn refused(expr: Expr) -> Vec<String> {
        match compile(expr) {
            Ok(s) => panic!("not refused: {s}"),
            Err(es) => es
                .into_iter()
                .map(|e| match e {
                    TargetError::Unsupported {
                        target,
                        construct,
                        span,
                        ..
                    } => {
                        assert_eq!(target, "kql (sentinel)");
                        assert_eq!(span, miette::SourceSpan::from((3, 6)));
                        construct
                    }
                    other => panic!("unexpected error {other:?}"),
                })
                .collect(),
        }
    }

    // ----- the motivating rule -----------------------------------------------------------

    const STORM_CATALOG: &str = r#"
sources:
  m365.audit:
    description: Microsoft 365 unified audit log
    logsource: {product: m365, service: audit}
    fields:
      Operation: string
      Workload: string
      AppId: string
    targets:
      kql.sentinel:
        table: OfficeActivity
        fields:
          Workload: OfficeWorkload
      kql.defender:
        table: CloudAppEvents
        fields:
          Operation: ActionType
          Workload: Application
          AppId: {expr: "tostring(RawEventData.AppId)"}
"#;

    const APPS: [&str; 5] = [
        "00000002-0000-0ff1-ce00-000000000000",
        "00000003-0000-0000-c000-000000000000",
        "5d661950-3475-41cd-a2c3-d671a3162bc1",
        "27922004-5251-4030-b22d-91ecd9a37ea4",
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    ];

    fn storm(flavor: &str) -> String {
        let cat = Catalog::from_yaml(STORM_CATALOG, "test").expect("catalog");
        let src = &cat.sources["m365.audit"];
        let mut r = rule(and(vec![
            eq("Operation", "MailItemsAccessed"),
            eq("Workload", "Exchange"),
            not(any("AppId", StrOp::Eq, &APPS)),
        ]));
        r.source = "m365.audit".to_string();
        let key = Kql.catalog_key(flavor);
        let r = crate::mapping::map_rule(&r, "m365.audit", src, &key).expect("mapped");
        compile_in(src, &r, Some(flavor)).expect("compiled")
    }

    #[test]
    fn storm_0558_sentinel() {
        assert_eq!(
            storm("sentinel"),
            "OfficeActivity\n\
             | where Operation =~ \"MailItemsAccessed\"\n\
             | where OfficeWorkload =~ \"Exchange\"\n\
             | where AppId !in~ (\"00000002-0000-0ff1-ce00-000000000000\", \"00000003-0000-0000-c000-000000000000\", \"5d661950-3475-41cd-a2c3-d671a3162bc1\", \"27922004-5251-4030-b22d-91ecd9a37ea4\", \"d3590ed6-52b3-4102-aeff-aad2292ab01c\")\n"
        );
    }

    #[test]
    fn storm_0558_defender() {
        assert_eq!(
            storm("defender"),
            "CloudAppEvents\n\
             | where ActionType =~ \"MailItemsAccessed\"\n\
             | where Application =~ \"Exchange\"\n\
             | where tostring(RawEventData.AppId) !in~ (\"00000002-0000-0ff1-ce00-000000000000\", \"00000003-0000-0000-c000-000000000000\", \"5d661950-3475-41cd-a2c3-d671a3162bc1\", \"27922004-5251-4030-b22d-91ecd9a37ea4\", \"d3590ed6-52b3-4102-aeff-aad2292ab01c\")\n"
        );
    }

    #[test]
    fn flavours_and_keys() {
        assert_eq!(Kql.flavors(), &["sentinel", "defender"]);
        assert_eq!(Kql.catalog_key("sentinel"), "kql.sentinel");
        assert_eq!(Kql.catalog_key("defender"), "kql.defender");
        assert_eq!(Kql.extension(), "kql");
        assert_eq!(Kql.comment("rule: x"), "// rule: x");
        assert_eq!(Kql.comment("a\nb"), "// a b");
    }

    #[test]
    fn no_table() {
        let r = rule(eq("A", "x"));
        let errs = compile_in(&source(None), &r, Some("defender")).expect_err("no table");
        assert_eq!(errs.len(), 1);
        match &errs[0] {
            TargetError::NoTable {
                target,
                source_name,
                what,
                ..
            } => {
                assert_eq!(target, "kql (defender)");
                assert_eq!(source_name, "test.source");
                assert_eq!(what, "table");
            }
            other => panic!("{other:?}"),
        }
        // A source without any kql section at all.
        let mut src = source(Some("T"));
        src.targets.clear();
        assert!(matches!(
            compile_in(&src, &r, None).expect_err("no table")[0],
            TargetError::NoTable { .. }
        ));
    }

    #[test]
    fn table_names_are_quoted_when_needed() {
        let r = rule(eq("A", "x"));
        let out = compile_in(&source(Some("My Table")), &r, None).expect("ok");
        assert_eq!(out, "['My Table']\n| where A =~ \"x\"\n");
    }

    // ----- string comparisons ------------------------------------------------------------

    #[test]
    fn string_equality() {
        assert_eq!(wh(eq("A", "x")), "| where A =~ \"x\"");
        assert_eq!(wh(not(eq("A", "x"))), "| where A !~ \"x\"");
        assert_eq!(
            wh(any("A", StrOp::Eq, &["a", "b"])),
            "| where A in~ (\"a\", \"b\")"
        );
        assert_eq!(
            wh(not(any("A", StrOp::Eq, &["a", "b"]))),
            "| where A !in~ (\"a\", \"b\")"
        );
        let cased = |vs: &[&str]| p(s("A"), st(StrOp::Eq, vs, Quant::Any, true));
        assert_eq!(wh(cased(&["X"])), "| where A == \"X\"");
        assert_eq!(wh(not(cased(&["X"]))), "| where A != \"X\"");
        assert_eq!(wh(cased(&["X", "y"])), "| where A in (\"X\", \"y\")");
        assert_eq!(wh(not(cased(&["X", "y"]))), "| where A !in (\"X\", \"y\")");
    }

    #[test]
    fn string_equality_all() {
        let all = p(s("A"), st(StrOp::Eq, &["a", "b"], Quant::All, false));
        assert_eq!(wh(all.clone()), "| where A =~ \"a\" and A =~ \"b\"");
        assert_eq!(wh(not(all)), "| where A !~ \"a\" or A !~ \"b\"");
        let one = p(s("A"), st(StrOp::Eq, &["a"], Quant::All, true));
        assert_eq!(wh(one), "| where A == \"a\"");
    }

    #[test]
    fn substring_operators() {
        let cases = [
            (StrOp::Contains, false, "contains", "!contains"),
            (StrOp::Contains, true, "contains_cs", "!contains_cs"),
            (StrOp::StartsWith, false, "startswith", "!startswith"),
            (StrOp::StartsWith, true, "startswith_cs", "!startswith_cs"),
            (StrOp::EndsWith, false, "endswith", "!endswith"),
            (StrOp::EndsWith, true, "endswith_cs", "!endswith_cs"),
        ];
        for (op, cased, pos, neg) in cases {
            let one = p(s("A"), st(op, &["\\x"], Quant::Any, cased));
            assert_eq!(wh(one.clone()), format!("| where A {pos} \"\\\\x\""));
            assert_eq!(wh(not(one)), format!("| where A {neg} \"\\\\x\""));
            let anyv = p(s("A"), st(op, &["a", "b"], Quant::Any, cased));
            assert_eq!(
                wh(anyv.clone()),
                format!("| where A {pos} \"a\" or A {pos} \"b\"")
            );
            assert_eq!(
                wh(not(anyv)),
                format!("| where A {neg} \"a\" and A {neg} \"b\"")
            );
            let allv = p(s("A"), st(op, &["a", "b"], Quant::All, cased));
            assert_eq!(
                wh(allv.clone()),
                format!("| where A {pos} \"a\" and A {pos} \"b\"")
            );
            assert_eq!(
                wh(not(allv)),
                format!("| where A {neg} \"a\" or A {neg} \"b\"")
            );
        }
    }

    #[test]
    fn substring_lists_nest_in_parentheses() {
        let e = and(vec![
            eq("X", "1"),
            or(vec![any("A", StrOp::Contains, &["a", "b"]), eq("Y", "2")]),
        ]);
        assert_eq!(
            wh(e),
            "| where X =~ \"1\"\n| where (A contains \"a\" or A contains \"b\") or Y =~ \"2\""
        );
    }

    #[test]
    fn non_ascii_case_insensitive_values_use_unicode_regex() {
        assert_eq!(
            wh(eq("A", "Ärger")),
            "| where A matches regex @\"(?i)^Ärger$\""
        );
        assert_eq!(
            wh(not(eq("A", "Ärger"))),
            "| where not(A matches regex @\"(?i)^Ärger$\")"
        );
        // Caseless non-ASCII characters keep the operator.
        assert_eq!(wh(eq("A", "日本")), "| where A =~ \"日本\"");
        // Cased comparisons are exact byte comparisons.
        let cased = p(s("A"), st(StrOp::Eq, &["Ärger"], Quant::Any, true));
        assert_eq!(wh(cased), "| where A == \"Ärger\"");
        // Mixed list: the ASCII values stay in `in~`.
        let mixed = any("A", StrOp::Eq, &["a", "é.x", "b", "ÖL"]);
        assert_eq!(
            wh(mixed.clone()),
            "| where A in~ (\"a\", \"b\") or A matches regex @\"(?i)^é\\.x$|^ÖL$\""
        );
        assert_eq!(
            wh(not(mixed)),
            "| where A !in~ (\"a\", \"b\") and not(A matches regex @\"(?i)^é\\.x$|^ÖL$\")"
        );
        assert_eq!(
            wh(any("A", StrOp::Contains, &["x", "Straße", "Ω"])),
            "| where A contains \"x\" or A matches regex @\"(?i)Straße|Ω\""
        );
        assert_eq!(
            wh(any("A", StrOp::StartsWith, &["Å"])),
            "| where A matches regex @\"(?i)^Å\""
        );
        assert_eq!(
            wh(any("A", StrOp::EndsWith, &["Å"])),
            "| where A matches regex @\"(?i)Å$\""
        );
        let all = p(s("A"), st(StrOp::Contains, &["ä", "ö"], Quant::All, false));
        assert_eq!(
            wh(all.clone()),
            "| where A matches regex @\"(?i)ä\" and A matches regex @\"(?i)ö\""
        );
        assert_eq!(
            wh(not(all)),
            "| where not(A matches regex @\"(?i)ä\") or not(A matches regex @\"(?i)ö\")"
        );
    }

    #[test]
    fn adversarial_values_stay_inside_their_literals() {
        assert_eq!(
            wh(eq("A", "a\"b\\c\n|d*?'")),
            "| where A =~ \"a\\\"b\\\\c\\n|d*?'\""
        );
        assert_eq!(wh(eq("A", "C:\\")), "| where A =~ \"C:\\\\\"");
    }

    #[test]
    fn in_list_limit() {
        let many: Vec<String> = (0..=MAX_IN_VALUES).map(|i| i.to_string()).collect();
        let e = p(
            s("A"),
            Test::Str {
                op: StrOp::Eq,
                values: many,
                quant: Quant::Any,
                cased: false,
            },
        );
        assert_eq!(
            refused(e),
            vec!["an `in` list of more than 1000000 values".to_string()]
        );
    }

    #[test]
    fn long_chains_are_grouped() {
        let vals: Vec<String> = (0..130).map(|i| format!("v{i}")).collect();
        let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
        let out = wh(any("A", StrOp::Contains, &refs));
        let group = |r: std::ops::Range<usize>| {
            r.map(|i| format!("A contains \"v{i}\""))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        assert_eq!(
            out,
            format!(
                "| where ({}) or ({}) or ({})",
                group(0..64),
                group(64..128),
                group(128..130)
            )
        );
    }

    // ----- globs -------------------------------------------------------------------------

    #[test]
    fn globs() {
        assert_eq!(
            wh(glob("Image", &["C:\\W\\*\\cmd.exe"], false)),
            "| where Image matches regex @\"(?is)^C:\\\\W\\\\.*\\\\cmd\\.exe$\""
        );
        assert_eq!(
            wh(glob("A", &["prog?.exe"], true)),
            "| where A matches regex @\"(?s)^prog.\\.exe$\""
        );
        assert_eq!(
            wh(glob("A", &["a*", "*b"], false)),
            "| where A matches regex @\"(?is)^a.*$|^.*b$\""
        );
        assert_eq!(
            wh(not(glob("A", &["a*"], false))),
            "| where not(A matches regex @\"(?is)^a.*$\")"
        );
        // Every other character is literal, including regex syntax and quotes.
        assert_eq!(
            wh(glob("A", &["(a|b)+[c]{2}^$.#&-~ \"q\""], true)),
            "| where A matches regex @\"(?s)^\\(a\\|b\\)\\+\\[c\\]\\{2\\}\\^\\$\\.\\#\\&\\-\\~ \"\"q\"\"$\""
        );
        // Control characters become regex escapes so the literal stays verbatim.
        assert_eq!(
            wh(glob("A", &["a\nb\t*"], true)),
            "| where A matches regex @\"(?s)^a\\x{A}b\\x{9}.*$\""
        );
    }

    #[test]
    fn globs_matching_the_empty_string_are_guarded() {
        assert_eq!(
            wh(glob("A", &["*"], false)),
            "| where isnotempty(A) and A matches regex @\"(?is)^.*$\""
        );
        assert_eq!(
            wh(not(glob("A", &["x", "**"], false))),
            "| where isempty(A) or not(A matches regex @\"(?is)^x$|^.*.*$\")"
        );
        assert_eq!(
            wh(or(vec![glob("A", &["*"], true), eq("B", "b")])),
            "| where (isnotempty(A) and A matches regex @\"(?s)^.*$\") or B =~ \"b\""
        );
    }

    // ----- regular expressions -----------------------------------------------------------

    #[test]
    fn regexes() {
        assert_eq!(
            wh(re("A", r"\\cmd\.exe$", false)),
            "| where A matches regex @\"(?i)\\\\cmd\\.exe$\""
        );
        assert_eq!(
            wh(re("A", r"^Cmd", true)),
            "| where A matches regex @\"^Cmd\""
        );
        assert_eq!(
            wh(not(re("A", "a\"b", false))),
            "| where not(A matches regex @\"(?i)a\"\"b\")"
        );
        // Leading inline flags are merged.
        assert_eq!(
            wh(re("A", "(?s)a.b", false)),
            "| where A matches regex @\"(?is)a.b\""
        );
        assert_eq!(
            wh(re("A", "(?ms)^a", false)),
            "| where A matches regex @\"(?ims)^a\""
        );
        assert_eq!(
            wh(re("A", "(?i)x", false)),
            "| where A matches regex @\"(?i)x\""
        );
        assert_eq!(
            wh(re("A", "(?s:a.)b", false)),
            "| where A matches regex @\"(?i)(?s:a.)b\""
        );
        assert_eq!(
            wh(re("A", "(?m)^a", true)),
            "| where A matches regex @\"(?m)^a\""
        );
    }

    #[test]
    fn regexes_with_control_characters_use_escaped_literals() {
        assert_eq!(
            wh(re("A", "a\nb\\d", true)),
            "| where A matches regex \"a\\nb[0-9]\""
        );
    }

    #[test]
    fn perl_classes_are_spelled_as_ascii_classes() {
        // The language's \d, \w, \s are ASCII; Kusto's Rust-style engine would read them
        // as Unicode classes.
        assert_eq!(
            wh(re("A", r"^\d+\s\w$", true)),
            "| where A matches regex @\"^[0-9]+[\\t\\n\\x0B\\f\\r ][0-9A-Za-z_]$\""
        );
    }

    #[test]
    fn regexes_matching_the_empty_string_are_guarded() {
        assert_eq!(
            wh(re("A", "^$", true)),
            "| where isnotempty(A) and A matches regex @\"^$\""
        );
        assert_eq!(
            wh(not(re("A", "x*", false))),
            "| where isempty(A) or not(A matches regex @\"(?i)x*\")"
        );
    }

    #[test]
    fn regex_group_limit() {
        let sixteen = "(a)".repeat(16);
        assert_eq!(
            wh(re("A", &sixteen, true)),
            format!("| where A matches regex @\"{sixteen}\"")
        );
        // Non-capturing groups do not count.
        let noncap = format!("{}(?:b)", sixteen);
        assert_eq!(
            wh(re("A", &noncap, true)),
            format!("| where A matches regex @\"{noncap}\"")
        );
        assert_eq!(
            refused(re("A", &"(a)".repeat(17), false)),
            vec!["a regular expression with more than 16 groups".to_string()]
        );
    }

    #[test]
    fn unparsable_regex_is_refused() {
        assert_eq!(
            refused(re("A", "(a", true)),
            vec!["this regular expression".to_string()]
        );
    }

    // ----- cidr --------------------------------------------------------------------------

    const V4_GUARD: &str = "format_ipv4(Ip) == Ip";
    const V6_GUARD: &str = "Ip matches regex @\"^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$\"";

    #[test]
    fn cidr_ipv4() {
        assert_eq!(
            wh(cidr_t("Ip", &["10.0.0.0/8"])),
            format!("| where ipv4_is_in_range(Ip, \"10.0.0.0/8\") and {V4_GUARD}")
        );
        assert_eq!(
            wh(cidr_t("Ip", &["10.0.0.0/8", "192.168.0.0/16"])),
            format!("| where ipv4_is_in_any_range(Ip, dynamic([\"10.0.0.0/8\", \"192.168.0.0/16\"])) and {V4_GUARD}")
        );
        assert_eq!(
            wh(not(cidr_t("Ip", &["10.0.0.0/8"]))),
            format!(
                "| where not({V4_GUARD} and coalesce(ipv4_is_in_range(Ip, \"10.0.0.0/8\"), false))"
            )
        );
    }

    #[test]
    fn cidr_ipv6_and_mixed() {
        assert_eq!(
            wh(cidr_t("Ip", &["fd00::/8"])),
            format!("| where ipv6_is_in_range(Ip, \"fd00::/8\") and {V6_GUARD}")
        );
        assert_eq!(
            wh(cidr_t("Ip", &["10.0.0.0/8", "fd00::/8", "fe80::/10"])),
            format!(
                "| where (ipv4_is_in_range(Ip, \"10.0.0.0/8\") and {V4_GUARD}) or \
                 (ipv6_is_in_any_range(Ip, dynamic([\"fd00::/8\", \"fe80::/10\"])) and {V6_GUARD})"
            )
        );
        assert_eq!(
            wh(not(cidr_t("Ip", &["10.0.0.0/8", "fd00::/8"]))),
            format!(
                "| where not(({V4_GUARD} and coalesce(ipv4_is_in_range(Ip, \"10.0.0.0/8\"), false)) or \
                 ({V6_GUARD} and coalesce(ipv6_is_in_range(Ip, \"fd00::/8\"), false)))"
            )
        );
    }

    #[test]
    fn cidr_under_not_of_compound_is_two_valued() {
        let e = not(or(vec![cidr_t("Ip", &["10.0.0.0/8"]), eq("A", "x")]));
        assert_eq!(
            wh(e),
            format!("| where not(({V4_GUARD} and coalesce(ipv4_is_in_range(Ip, \"10.0.0.0/8\"), false)) or A =~ \"x\")")
        );
    }

    // ----- numbers, bools, exists, field comparisons -------------------------------------

    #[test]
    fn numbers() {
        let cmp = |op, v: &str| p(n("N"), Test::NumCmp { op, value: num(v) });
        assert_eq!(wh(cmp(CmpOp::Lt, "5")), "| where N < 5");
        assert_eq!(wh(cmp(CmpOp::Le, "-7")), "| where N <= -7");
        assert_eq!(wh(cmp(CmpOp::Gt, "3.5")), "| where N > 3.5");
        assert_eq!(wh(cmp(CmpOp::Ge, "0")), "| where N >= 0");
        // The checker writes `==` and `!=` as NumEq; the IR's operator set still holds them.
        assert_eq!(wh(cmp(CmpOp::Eq, "5")), "| where N == 5");
        assert_eq!(wh(cmp(CmpOp::Ne, "5")), "| where N != 5");
        assert_eq!(
            wh(not(cmp(CmpOp::Gt, "5"))),
            "| where isnull(N) or not(N > 5)"
        );
        let numeq = |vs: &[&str]| {
            p(
                n("N"),
                Test::NumEq {
                    values: vs.iter().map(|v| num(v)).collect(),
                },
            )
        };
        assert_eq!(wh(numeq(&["5"])), "| where N == 5");
        assert_eq!(wh(not(numeq(&["5"]))), "| where isnull(N) or N != 5");
        assert_eq!(wh(numeq(&["1", "2.5"])), "| where N in (1, 2.5)");
        assert_eq!(
            wh(not(numeq(&["1", "2"]))),
            "| where isnull(N) or N !in (1, 2)"
        );
        assert_eq!(
            wh(numeq(&["100000000000000000000"])),
            "| where N == 100000000000000000000.0"
        );
    }

    #[test]
    fn nullable_predicates_under_not_are_two_valued() {
        let e = not(and(vec![
            gt("N", "5"),
            p(b("B"), Test::BoolEq { value: true }),
            p(
                n("M"),
                Test::NumEq {
                    values: vec![num("1"), num("2")],
                },
            ),
        ]));
        assert_eq!(
            wh(e),
            "| where not((isnotnull(N) and N > 5) and (isnotnull(B) and B == true) and (isnotnull(M) and M in (1, 2)))"
        );
        // Double negation puts the predicate back in plain position.
        assert_eq!(wh(not(not(gt("N", "5")))), "| where N > 5");
        // A negated predicate inside a negated compound keeps its own two-valued form.
        assert_eq!(
            wh(not(or(vec![not(gt("N", "5")), eq("A", "x")]))),
            "| where not((isnull(N) or not(N > 5)) or A =~ \"x\")"
        );
        // Under two `not`s of compounds the plain form is back.
        assert_eq!(
            wh(not(or(vec![
                not(and(vec![gt("N", "5"), eq("A", "x")])),
                eq("B", "y")
            ]))),
            "| where not(not(N > 5 and A =~ \"x\") or B =~ \"y\")"
        );
    }

    #[test]
    fn bools() {
        assert_eq!(
            wh(p(b("B"), Test::BoolEq { value: true })),
            "| where B == true"
        );
        assert_eq!(
            wh(not(p(b("B"), Test::BoolEq { value: false }))),
            "| where isnull(B) or B != false"
        );
    }

    #[test]
    fn exists_and_missing() {
        assert_eq!(wh(p(s("A"), Test::Exists)), "| where isnotempty(A)");
        assert_eq!(wh(not(p(s("A"), Test::Exists))), "| where isempty(A)");
        assert_eq!(wh(p(ip("I"), Test::Exists)), "| where isnotempty(I)");
        assert_eq!(wh(p(n("N"), Test::Exists)), "| where isnotnull(N)");
        assert_eq!(wh(not(p(n("N"), Test::Exists))), "| where isnull(N)");
        assert_eq!(wh(p(b("B"), Test::Exists)), "| where isnotnull(B)");
        assert_eq!(wh(not(p(b("B"), Test::Exists))), "| where isnull(B)");
    }

    #[test]
    fn field_comparisons() {
        let feq = |f: Field, g: Field, cased| p(f, Test::FieldEq { other: g, cased });
        assert_eq!(
            wh(feq(s("A"), s("B"), false)),
            "| where isnotempty(A) and tolower(A) == tolower(B)"
        );
        assert_eq!(
            wh(not(feq(s("A"), s("B"), false))),
            "| where isempty(A) or tolower(A) != tolower(B)"
        );
        assert_eq!(
            wh(feq(s("A"), ip("B"), true)),
            "| where isnotempty(A) and A == B"
        );
        assert_eq!(
            wh(not(feq(s("A"), s("B"), true))),
            "| where isempty(A) or A != B"
        );
        assert_eq!(wh(feq(n("N"), n("M"), false)), "| where N == M");
        assert_eq!(
            wh(not(feq(n("N"), n("M"), false))),
            "| where isnull(N) or isnull(M) or N != M"
        );
        assert_eq!(
            wh(not(or(vec![feq(b("B"), b("C"), false), eq("A", "x")]))),
            "| where not((isnotnull(B) and isnotnull(C) and B == C) or A =~ \"x\")"
        );
        assert_eq!(
            refused(feq(n("N"), s("A"), false)),
            vec!["a comparison of the number field `N` with the string field `A`".to_string()]
        );
    }

    #[test]
    fn type_mismatches_are_refused() {
        assert_eq!(
            refused(p(n("N"), st(StrOp::Contains, &["1"], Quant::Any, false))),
            vec!["a string comparison on the number field `N`".to_string()]
        );
        assert_eq!(
            refused(p(
                s("A"),
                Test::NumEq {
                    values: vec![num("1")]
                }
            )),
            vec!["a numeric comparison on the string field `A`".to_string()]
        );
        assert_eq!(
            refused(p(s("A"), Test::BoolEq { value: true })),
            vec!["a boolean comparison on the string field `A`".to_string()]
        );
        assert_eq!(
            refused(p(
                b("B"),
                Test::Glob {
                    patterns: vec!["t*".to_string()],
                    cased: false
                }
            )),
            vec!["a `like` glob on the bool field `B`".to_string()]
        );
        assert_eq!(
            refused(p(
                n("N"),
                Test::Regex {
                    pattern: "1".to_string(),
                    cased: false
                }
            )),
            vec!["a regular expression on the number field `N`".to_string()]
        );
        assert_eq!(
            refused(p(
                n("N"),
                Test::Cidr {
                    nets: vec!["10.0.0.0/8".parse().expect("net")]
                }
            )),
            vec!["a `cidr` test on the number field `N`".to_string()]
        );
    }

    #[test]
    fn every_refusal_is_reported() {
        let e = and(vec![
            p(n("N"), st(StrOp::Eq, &["1"], Quant::Any, false)),
            eq("A", "fine"),
            not(or(vec![
                re("R", &"(x)".repeat(20), true),
                p(s("S"), Test::BoolEq { value: true }),
            ])),
        ]);
        assert_eq!(refused(e).len(), 3);
    }

    // ----- logic -------------------------------------------------------------------------

    #[test]
    fn logic_shapes() {
        // Top-level conjuncts become separate `where` lines, nested ands included.
        assert_eq!(
            wh(and(vec![
                eq("A", "1"),
                and(vec![eq("B", "2"), eq("C", "3")])
            ])),
            "| where A =~ \"1\"\n| where B =~ \"2\"\n| where C =~ \"3\""
        );
        // A top-level or stays on one line.
        assert_eq!(
            wh(or(vec![eq("A", "1"), eq("B", "2")])),
            "| where A =~ \"1\" or B =~ \"2\""
        );
        // a or (b and c): parenthesised.
        assert_eq!(
            wh(or(vec![
                eq("A", "1"),
                and(vec![eq("B", "2"), eq("C", "3")])
            ])),
            "| where A =~ \"1\" or (B =~ \"2\" and C =~ \"3\")"
        );
        // (a or b) and c at the top: two lines.
        assert_eq!(
            wh(and(vec![
                or(vec![eq("A", "1"), eq("B", "2")]),
                eq("C", "3")
            ])),
            "| where A =~ \"1\" or B =~ \"2\"\n| where C =~ \"3\""
        );
        // ((a or b) and c) or d
        assert_eq!(
            wh(or(vec![
                and(vec![or(vec![eq("A", "1"), eq("B", "2")]), eq("C", "3")]),
                eq("D", "4")
            ])),
            "| where ((A =~ \"1\" or B =~ \"2\") and C =~ \"3\") or D =~ \"4\""
        );
        // not over compounds.
        assert_eq!(
            wh(not(or(vec![eq("A", "1"), eq("B", "2")]))),
            "| where not(A =~ \"1\" or B =~ \"2\")"
        );
        assert_eq!(
            wh(and(vec![
                eq("X", "0"),
                not(and(vec![eq("A", "1"), not(eq("B", "2"))]))
            ])),
            "| where X =~ \"0\"\n| where not(A =~ \"1\" and B !~ \"2\")"
        );
        assert_eq!(wh(not(not(eq("A", "1")))), "| where A =~ \"1\"");
        assert_eq!(wh(not(not(not(eq("A", "1"))))), "| where A !~ \"1\"");
    }

    // ----- names and mapped expressions --------------------------------------------------

    #[test]
    fn column_quoting() {
        assert_eq!(wh(eq("where", "x")), "| where ['where'] =~ \"x\"");
        assert_eq!(wh(eq("and", "x")), "| where ['and'] =~ \"x\"");
        assert_eq!(wh(eq("true", "x")), "| where ['true'] =~ \"x\"");
        assert_eq!(
            wh(eq("Status.code", "x")),
            "| where ['Status.code'] =~ \"x\""
        );
        assert_eq!(wh(eq("a b", "x")), "| where ['a b'] =~ \"x\"");
        assert_eq!(wh(eq("1st", "x")), "| where ['1st'] =~ \"x\"");
        assert_eq!(wh(eq("it's\\", "x")), "| where ['it\\'s\\\\'] =~ \"x\"");
        assert_eq!(wh(eq("_ok9", "x")), "| where _ok9 =~ \"x\"");
        assert_eq!(wh(eq("Émile", "x")), "| where ['Émile'] =~ \"x\"");
        let col = mapped("A", FieldType::String, Mapped::Column("Client IP".into()));
        assert_eq!(
            wh(p(col, Test::Exists)),
            "| where isnotempty(['Client IP'])"
        );
    }

    #[test]
    fn keyword_list_is_sorted() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(KEYWORDS.iter().all(|k| is_plain_ident(k)));
    }

    #[test]
    fn mapped_expressions() {
        let e = |text: &str, ty| mapped("F", ty, Mapped::Expr(text.to_string()));
        let t = |text: &str| {
            wh(p(
                e(text, FieldType::String),
                st(StrOp::Eq, &["x"], Quant::Any, false),
            ))
        };
        assert_eq!(
            t("tostring(RawEventData.AppId)"),
            "| where tostring(RawEventData.AppId) =~ \"x\""
        );
        assert_eq!(
            t("RawEventData.AppId"),
            "| where RawEventData.AppId =~ \"x\""
        );
        assert_eq!(
            t("tostring(Props[\"a) or (b\"])"),
            "| where tostring(Props[\"a) or (b\"]) =~ \"x\""
        );
        assert_eq!(
            t("strcat(A, \" \", B)"),
            "| where strcat(A, \" \", B) =~ \"x\""
        );
        assert_eq!(t("A or B"), "| where (A or B) =~ \"x\"");
        assert_eq!(t("iff(A, B, C) "), "| where iff(A, B, C) =~ \"x\"");
        assert_eq!(t("a + b"), "| where (a + b) =~ \"x\"");
        assert_eq!(t("f(x) + g(y)"), "| where (f(x) + g(y)) =~ \"x\"");
        assert_eq!(t("\"lit\""), "| where (\"lit\") =~ \"x\"");
        assert_eq!(t("f(@\"a\\\")"), "| where f(@\"a\\\") =~ \"x\"");
        assert_eq!(t("f((a)"), "| where (f((a)) =~ \"x\"");
        assert_eq!(t("['odd name'].x"), "| where ['odd name'].x =~ \"x\"");
        let num_expr = e("toint(RawEventData.LogonType)", FieldType::Number);
        assert_eq!(
            wh(not(p(
                num_expr,
                Test::NumEq {
                    values: vec![num("0")]
                }
            ))),
            "| where isnull(toint(RawEventData.LogonType)) or toint(RawEventData.LogonType) != 0"
        );
        let other = e("tostring(RawEventData.ClientAppId)", FieldType::String);
        assert_eq!(
            wh(p(
                e("tostring(RawEventData.AppId)", FieldType::String),
                Test::FieldEq {
                    other,
                    cased: false
                }
            )),
            "| where isnotempty(tostring(RawEventData.AppId)) and tolower(tostring(RawEventData.AppId)) == tolower(tostring(RawEventData.ClientAppId))"
        );
    }

    // ----- literals ----------------------------------------------------------------------

    /// Decode a `"..."` KQL literal as Kusto's lexer does for the escapes we emit; `None`
    /// when it is not one well-formed literal.
    fn decode(lit: &str) -> Option<String> {
        let body = lit.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut cs = body.chars();
        while let Some(c) = cs.next() {
            match c {
                '"' | '\n' | '\r' => return None,
                '\\' => match cs.next()? {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let hex: String = cs.by_ref().take(4).collect();
                        if hex.len() != 4 {
                            return None;
                        }
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    _ => return None,
                },
                c => out.push(c),
            }
        }
        Some(out)
    }

    /// Decode `@"..."`.
    fn decode_verbatim(lit: &str) -> Option<String> {
        let body = lit.strip_prefix("@\"")?.strip_suffix('"')?;
        let mut out = String::new();
        let mut cs = body.chars().peekable();
        while let Some(c) = cs.next() {
            match c {
                '"' => {
                    if cs.next()? != '"' {
                        return None;
                    }
                    out.push('"');
                }
                '\n' | '\r' => return None,
                c => out.push(c),
            }
        }
        Some(out)
    }

    const ADVERSARIAL: &[&str] = &[
        "plain",
        "",
        "\"",
        "\\",
        "trailing\\",
        "\\\"",
        "a\"b\\c",
        "*?|",
        "line\nbreak",
        "cr\rlf\n",
        "tab\there",
        "\u{0}\u{1}\u{1f}\u{7f}\u{85}\u{9f}",
        "sep\u{2028}\u{2029}",
        "ünïcødé 日本 😀",
        "'single'",
        "@\"verbatim\"",
        "h\"x\"",
        "\" | take 1 //",
        "\\u0041",
    ];

    #[test]
    fn quote_string_round_trips_adversarial_values() {
        for v in ADVERSARIAL {
            let q = quote_string(v);
            assert_eq!(decode(&q).as_deref(), Some(*v), "{q}");
            assert!(!q.chars().any(|c| c.is_control()), "{q}");
        }
        assert_eq!(quote_string("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote_string("C:\\"), "\"C:\\\\\"");
        assert_eq!(quote_string("\u{1}\u{7f}"), "\"\\u0001\\u007f\"");
        assert_eq!(quote_string("x\r\n\t"), "\"x\\r\\n\\t\"");
        assert_eq!(quote_string("\u{2028}"), "\"\\u2028\"");
        assert_eq!(quote_string("é😀"), "\"é😀\"");
    }

    #[test]
    fn quote_verbatim_round_trips_adversarial_values() {
        for v in ADVERSARIAL {
            let q = quote_verbatim(v);
            let back = if q.starts_with('@') {
                decode_verbatim(&q)
            } else {
                decode(&q)
            };
            assert_eq!(back.as_deref(), Some(*v), "{q}");
            assert!(!q.chars().any(|c| c.is_control()), "{q}");
        }
        assert_eq!(quote_verbatim("a\"b\\d"), "@\"a\"\"b\\d\"");
        assert_eq!(quote_verbatim("a\nb\\d"), "\"a\\nb\\\\d\"");
    }

    #[test]
    fn quote_ident_escapes() {
        assert_eq!(quote_ident("Col"), "Col");
        assert_eq!(quote_ident("a'b"), "['a\\'b']");
        assert_eq!(quote_ident("a\\"), "['a\\\\']");
        assert_eq!(quote_ident("a\nb"), "['a\\nb']");
        assert_eq!(quote_ident("x\"y"), "['x\"y']");
    }

    #[test]
    fn glob_and_regex_helpers() {
        assert_eq!(glob_body("a*b?c"), "a.*b.c");
        assert_eq!(regex_literal("a.b\u{1}"), "a\\.b\\x{1}");
        assert_eq!(with_case_insensitive("(?-i)x"), "(?i)(?-i)x");
        assert!(needs_unicode_fold("Ä"));
        assert!(needs_unicode_fold("\u{212a}"));
        assert!(!needs_unicode_fold("ABC"));
        assert!(!needs_unicode_fold("日本"));
    }

    proptest::proptest! {
        #[test]
        fn quote_string_round_trips(v in ".*") {
            let q = quote_string(&v);
            proptest::prop_assert_eq!(decode(&q), Some(v));
        }

        #[test]
        fn quote_verbatim_round_trips(v in ".*") {
            let q = quote_verbatim(&v);
            let back = if q.starts_with('@') { decode_verbatim(&q) } else { decode(&q) };
            proptest::prop_assert_eq!(back, Some(v));
        }

        #[test]
        fn glob_regex_matches_like_a_glob(g in "[a-c*?.\\\\]{0,6}", v in "[a-c.\\\\\n]{0,6}") {
            let re = regex::Regex::new(&format!("(?s)^{}$", glob_body(&g))).expect("valid");
            proptest::prop_assert_eq!(re.is_match(&v), glob_match(&g, &v));
        }

        #[test]
        fn literal_regex_matches_only_itself(v in "\\PC{1,8}", w in "\\PC{0,8}") {
            let re = regex::Regex::new(&format!("^{}$", regex_literal(&v))).expect("valid");
            proptest::prop_assert!(re.is_match(&v));
            proptest::prop_assert_eq!(re.is_match(&w), v == w);
        }
    }

    /// A reference glob matcher over characters.
    fn glob_match(g: &str, v: &str) -> bool {
        fn go(g: &[char], v: &[char]) -> bool {
            match g.split_first() {
                None => v.is_empty(),
                Some(('*', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
                Some(('?', rest)) => !v.is_empty() && go(rest, &v[1..]),
                Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
            }
        }
        let g: Vec<char> = g.chars().collect();
        let v: Vec<char> = v.chars().collect();
        go(&g, &v)
    }
}
