//! Stateful stages on the kql target: `threshold`, `new` (first seen) and `sequence`.
//!
//! The meaning is the section "Stateful stages" of `grammar/README.md`; the executable
//! definition is `src/eval/stage.rs`. Every stage starts from the rule's table, the catalog's
//! row filter and one `| where` line per conjunct of the match expression (as a rule without
//! a stage), and then:
//!
//! * keeps only events whose grouping fields are present (`isnotempty` for string and ip
//!   fields, `isnotnull` for the others: a missing string is the empty string in KQL) and,
//!   for `threshold` and `sequence`, whose time is not null;
//! * names every key column by its source field name (`IPAddress`, or
//!   `['Status.errorCode'] = toint(Status.errorCode)` for a mapped expression), so that the
//!   result's columns are the evaluator's alert keys. Keys are compared as exact text by
//!   `summarize by` and `join ... on`, as the language requires.
//!
//! # `threshold`
//!
//! ```text
//! | where isnotnull(TimeGenerated) and isnotempty(IPAddress) and isnotempty(UserPrincipalName)
//! | summarize by IPAddress, window_start = bin_at(TimeGenerated, 1h, datetime(1970-01-01)), UserPrincipalName
//! | summarize distinct_ = count() by IPAddress, window_start
//! | where distinct_ >= 10
//! | project IPAddress, window_start, ['distinct'] = distinct_
//! ```
//!
//! `bin_at` with the Unix epoch as its fixed point gives tumbling windows aligned to the
//! epoch for every window length. The distinct count is exact (a `summarize by` of the value
//! and a count of the rows), not `dcount()`, which is an estimate. A plain count is
//! `summarize count_ = count() by ...`. `count` and `distinct` are KQL keywords: the alert
//! columns are written `['count']` and `['distinct']` (their names are `count`/`distinct`).
//!
//! # `new` (first seen)
//!
//! ```text
//! let known_values = SigninLogs
//! | where TimeGenerated >= ago(14d) and TimeGenerated < ago(1d)
//! | ...
//! | distinct AppId;
//! SigninLogs
//! | where TimeGenerated >= ago(1d) and TimeGenerated < now()
//! | ...
//! | summarize first_seen = min(TimeGenerated) by AppId
//! | join kind=leftanti known_values on AppId
//! ```
//!
//! Both ranges are half-open, as the language defines them (`between` would include both
//! ends). `now()` is one value for the whole query, and `ago(d)` is `now() - d`. Keys bound to
//! an expression make the baseline a `summarize by` (the documented equivalent of
//! `distinct`, which takes column names only). Sentinel scheduled rules query at most 14 days
//! and Defender XDR keeps 30 days of advanced-hunting data: a longer baseline plus window is
//! refused.
//!
//! # `sequence`
//!
//! ```text
//! let step_events = materialize(SigninLogs
//! | ...
//! | where isnotnull(TimeGenerated) and isnotempty(UserPrincipalName)
//! | summarize step1_ = max(toint(<step 1>)), step2_ = max(toint(<step 2>)) by UserPrincipalName, t_ = TimeGenerated);
//! step_events
//! | where step1_ == 1
//! | project UserPrincipalName, start = t_, end = t_
//! | join kind=inner (step_events | where step2_ == 1 | project UserPrincipalName, next_ = t_) on UserPrincipalName
//! | where next_ > end and next_ - start <= 30m
//! | summarize start = max(start) by UserPrincipalName, end = next_
//! ```
//!
//! As the evaluator does, events are grouped by key and time with one flag per step (an
//! event at that time satisfies the step; a null step value counts as false, as `max`
//! ignores nulls and `== 1` drops them). After step *k* the table holds, for every key and
//! every time `end` at which a chain through step *k* completes, the latest start of such a
//! chain; step *k + 1* extends it with a strictly later event within `within` of the start
//! (the latest start is the one that fits best, so keeping only it loses no chain). The last
//! step's table is the alerts: one per key and completion time, with the latest start.
//! `kind=inner` is explicit: KQL's default join (`innerunique`) drops duplicate left keys.

use super::{field_text, quote_ident, Emitter};
use crate::catalog::FieldType;
use crate::ir::{CmpOp, Duration, Expr, Field, Span, Stage, Step, Test};
use crate::targets::Construct;
use crate::targets::{unsupported, Ctx, TargetError};

/// The longest timespan KQL holds (2^63 - 1 ticks of 100 ns), in whole seconds.
pub const MAX_TIMESPAN_SECONDS: u64 = 922_337_203_685;

/// Microsoft Sentinel scheduled rules query at most 14 days of data.
pub const SENTINEL_QUERY_PERIOD: Duration = Duration {
    seconds: 14 * 86_400,
};

/// Microsoft Defender XDR advanced hunting (and custom detections) keep 30 days of data.
pub const DEFENDER_QUERY_PERIOD: Duration = Duration {
    seconds: 30 * 86_400,
};

/// The fixed point of threshold windows.
const EPOCH: &str = "datetime(1970-01-01)";

/// What a stage is emitted from.
pub(super) struct Input<'a> {
    /// The predicate emitter (and the target's name for diagnostics).
    pub em: &'a Emitter<'a>,
    /// The compilation context.
    pub ctx: &'a Ctx<'a>,
    /// `sentinel` or `defender`.
    pub flavor: &'a str,
    /// The table, quoted.
    pub table: &'a str,
    /// The catalog's row filter and the match conjuncts: `| where` lines, each ending in a
    /// newline.
    pub filters: &'a str,
    /// The rule's span (for a missing catalog entry).
    pub rule_span: Span,
}

/// A grouping key (or the distinct field): its output column and its value.
struct Key {
    /// The column name: the source field name, quoted.
    name: String,
    /// The mapped field as an operand.
    value: String,
    /// The field's type.
    ty: FieldType,
}

impl Key {
    /// `name` when the value is the column of that name, else `name = value`.
    fn binding(&self) -> String {
        if self.name == self.value {
            self.name.clone()
        } else {
            format!("{} = {}", self.name, self.value)
        }
    }

    /// The test that the field is present.
    fn present(&self) -> String {
        match self.ty {
            FieldType::String | FieldType::Ip | FieldType::Json => {
                format!("isnotempty({})", self.value)
            }
            FieldType::Number | FieldType::Bool => format!("isnotnull({})", self.value),
        }
    }
}

/// Emit `stage` after the rule's table and filters.
pub(super) fn emit(stage: &Stage, inp: &Input) -> Result<String, Vec<TargetError>> {
    let time = inp
        .ctx
        .source
        .targets
        .get(inp.ctx.catalog_key)
        .and_then(|t| t.timestamp.as_deref());
    let Some(time) = time else {
        return Err(vec![TargetError::NoTable {
            target: inp.em.target.to_string(),
            source_name: inp.ctx.source_name.to_string(),
            what: "time column".to_string(),
            span: inp.rule_span.into(),
        }]);
    };
    let time = quote_ident(time);
    let st = StageEmitter {
        inp,
        time,
        span: stage.span(),
    };
    match stage {
        Stage::Threshold {
            distinct,
            op,
            value,
            by,
            window,
            ..
        } => st.threshold(distinct.as_ref(), *op, *value, by, *window),
        Stage::FirstSeen {
            fields,
            baseline,
            window,
            ..
        } => st.first_seen(fields, *baseline, *window),
        Stage::Sequence {
            by, within, steps, ..
        } => st.sequence(by, *within, steps),
    }
}

struct StageEmitter<'a> {
    inp: &'a Input<'a>,
    /// The time column, quoted.
    time: String,
    /// The stage's span.
    span: Span,
}

impl StageEmitter<'_> {
    fn refuse(
        &self,
        kind: Construct,
        construct: &str,
        reason: &str,
        help: Option<&str>,
    ) -> TargetError {
        unsupported(self.inp.em.target, kind, construct, self.span, reason, help)
    }

    /// `f` with its mapping for this target (kept when the mapping pass already set it).
    fn map(&self, f: &Field) -> Result<Field, TargetError> {
        if f.mapped.is_some() {
            return Ok(f.clone());
        }
        match self
            .inp
            .ctx
            .source
            .map_field(self.inp.ctx.catalog_key, &f.name)
        {
            Ok(m) => Ok(Field {
                mapped: Some(m),
                ..f.clone()
            }),
            Err(why) => Err(self.refuse(
                Construct::StageField,
                &format!("the field `{}`", f.name),
                &format!("the field is not available on this target: {why}"),
                None,
            )),
        }
    }

    /// The keys for `fields`, each field once (first occurrence), refusing unavailable and
    /// json fields and fields named like one of the query's own columns (`reserved`).
    fn keys(
        &self,
        fields: &[Field],
        reserved: &[String],
        errors: &mut Vec<TargetError>,
    ) -> Vec<Key> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for f in fields {
            if seen.contains(&f.name.as_str()) {
                continue;
            }
            seen.push(&f.name);
            match self.key(f, reserved) {
                Ok(k) => out.push(k),
                Err(e) => errors.push(e),
            }
        }
        out
    }

    fn key(&self, f: &Field, reserved: &[String]) -> Result<Key, TargetError> {
        if reserved.contains(&f.name) {
            return Err(self.refuse(
                Construct::StageField,
                &format!("a stage field named `{}`", f.name),
                &format!(
                    "the query's own column `{}` has this name, so the two would clash",
                    f.name
                ),
                None,
            ));
        }
        if let Err(why) = crate::ir::stage_key::check_type(f.ty) {
            return Err(self.refuse(
                Construct::StageField,
                &format!("the json field `{}` as a stage key", f.name),
                why,
                None,
            ));
        }
        let f = self.map(f)?;
        Ok(Key {
            name: quote_ident(&f.name),
            value: field_text(&f),
            ty: f.ty,
        })
    }

    /// A duration as a KQL timespan literal (`30m`, `1h`, `14d`).
    fn timespan(&self, d: Duration, errors: &mut Vec<TargetError>) -> String {
        if d.seconds > MAX_TIMESPAN_SECONDS {
            errors.push(self.refuse(
                Construct::StageWindow,
                &format!("a duration of {}", d.text()),
                &format!(
                    "KQL's longest timespan is {MAX_TIMESPAN_SECONDS} seconds (about 29,000 years)"
                ),
                None,
            ));
        }
        d.text()
    }

    // ----- threshold -------------------------------------------------------------------

    fn threshold(
        &self,
        distinct: Option<&Field>,
        op: CmpOp,
        n: u64,
        by: &[Field],
        window: Duration,
    ) -> Result<String, Vec<TargetError>> {
        let reserved = names(&["window_start", "count_", "distinct_", "count", "distinct"]);
        let mut errors = Vec::new();
        let keys = self.keys(by, &reserved, &mut errors);
        // The distinct field, unless it is also a key (then every group has one value).
        let value = match distinct {
            Some(f) if !by.iter().any(|b| b.name == f.name) => match self.key(f, &reserved) {
                Ok(k) => Some(k),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            _ => None,
        };
        let w = self.timespan(window, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let time = &self.time;
        let mut present = vec![format!("isnotnull({time})")];
        present.extend(keys.iter().chain(&value).map(Key::present));
        let bindings: Vec<String> = keys.iter().map(Key::binding).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let bin = format!("window_start = bin_at({time}, {w}, {EPOCH})");
        let n = count_literal(n);
        let mut out = format!("{}\n{}", self.inp.table, self.inp.filters);
        out.push_str(&format!("| where {}\n", present.join(" and ")));
        let group = list(&bindings, &bin);
        let (figure, column) = if distinct.is_some() {
            match &value {
                Some(v) => out.push_str(&format!("| summarize by {group}, {}\n", v.binding())),
                None => out.push_str(&format!("| summarize by {group}\n")),
            }
            out.push_str(&format!(
                "| summarize distinct_ = count() by {}\n",
                list(&names, "window_start")
            ));
            ("distinct_", "['distinct']")
        } else {
            out.push_str(&format!("| summarize count_ = count() by {group}\n"));
            ("count_", "['count']")
        };
        out.push_str(&format!(
            "| where {figure} {} {n}\n",
            super::lex::cmp_op(op)
        ));
        out.push_str(&format!(
            "| project {}, {column} = {figure}\n",
            list(&names, "window_start")
        ));
        Ok(out)
    }

    // ----- new (first seen) ------------------------------------------------------------

    fn first_seen(
        &self,
        fields: &[Field],
        baseline: Duration,
        window: Duration,
    ) -> Result<String, Vec<TargetError>> {
        let mut errors = Vec::new();
        let keys = self.keys(fields, &names(&["first_seen"]), &mut errors);
        let (cap, product) = if self.inp.flavor == "defender" {
            (
                DEFENDER_QUERY_PERIOD,
                "Microsoft Defender XDR keeps advanced-hunting data (which custom detections query) for",
            )
        } else {
            (
                SENTINEL_QUERY_PERIOD,
                "a Microsoft Sentinel scheduled rule queries at most",
            )
        };
        let total = Duration {
            seconds: baseline.seconds.saturating_add(window.seconds),
        };
        if total.seconds > cap.seconds {
            errors.push(self.refuse(
                Construct::StageWindow,
                &format!("a first-seen stage over more than {}", cap.text()),
                &format!(
                    "baseline + window is {}, but {product} {}",
                    total.text(),
                    cap.text()
                ),
                Some(&format!(
                    "shorten the baseline so that baseline + window is at most {}",
                    cap.text()
                )),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (time, table, filters) = (&self.time, self.inp.table, self.inp.filters);
        let (total, w) = (total.text(), window.text());
        let present: Vec<String> = keys.iter().map(Key::present).collect();
        let present = present.join(" and ");
        let bindings: Vec<String> = keys.iter().map(Key::binding).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let known = let_name("known_values", table);
        // `distinct` takes column names only; keys bound to an expression need `summarize by`.
        let dedup = if keys.iter().all(|k| k.name == k.value) {
            format!("distinct {}", names.join(", "))
        } else {
            format!("summarize by {}", bindings.join(", "))
        };
        Ok(format!(
            "let {known} = {table}\n\
             | where {time} >= ago({total}) and {time} < ago({w})\n\
             {filters}\
             | where {present}\n\
             | {dedup};\n\
             {table}\n\
             | where {time} >= ago({w}) and {time} < now()\n\
             {filters}\
             | where {present}\n\
             | summarize first_seen = min({time}) by {}\n\
             | join kind=leftanti {known} on {}\n",
            bindings.join(", "),
            names.join(", ")
        ))
    }

    // ----- sequence --------------------------------------------------------------------

    fn sequence(
        &self,
        by: &[Field],
        within: Duration,
        steps: &[Step],
    ) -> Result<String, Vec<TargetError>> {
        let mut reserved = names(&["start", "end", "t_", "next_"]);
        reserved.extend((1..=steps.len()).map(|i| format!("step{i}_")));
        let mut errors = Vec::new();
        let keys = self.keys(by, &reserved, &mut errors);
        if keys.is_empty() && errors.is_empty() {
            errors.push(self.refuse(
                Construct::SequenceShape,
                "a sequence without a `by` key",
                "the steps are joined on the key",
                None,
            ));
        }
        if steps.is_empty() {
            errors.push(self.refuse(
                Construct::SequenceShape,
                "a sequence without steps",
                "a sequence needs at least one step",
                None,
            ));
        }
        let within = self.timespan(within, &mut errors);
        let mut flags = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            match self.step(s) {
                Ok(text) => flags.push(format!("step{}_ = max(toint({text}))", i + 1)),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (time, table, filters) = (&self.time, self.inp.table, self.inp.filters);
        let mut present = vec![format!("isnotnull({time})")];
        present.extend(keys.iter().map(Key::present));
        let bindings: Vec<String> = keys.iter().map(Key::binding).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let on = names.join(", ");
        let events = let_name("step_events", table);
        let mut out = format!(
            "let {events} = materialize({table}\n\
             {filters}\
             | where {}\n\
             | summarize {} by {});\n\
             {events}\n\
             | where step1_ == 1\n\
             | project {}\n",
            present.join(" and "),
            flags.join(", "),
            list(&bindings, &format!("t_ = {time}")),
            list(&names, "start = t_, end = t_"),
        );
        for k in 2..=steps.len() {
            out.push_str(&format!(
                "| join kind=inner ({events} | where step{k}_ == 1 | project {}) on {on}\n\
                 | where next_ > end and next_ - start <= {within}\n\
                 | summarize start = max(start) by {}\n",
                list(&names, "next_ = t_"),
                list(&names, "end = next_"),
            ));
        }
        Ok(out)
    }

    /// A step's expression (fields mapped here: the mapping pass maps only the match).
    fn step(&self, s: &Step) -> Result<String, Vec<TargetError>> {
        let mut e: Expr = s.expr.clone();
        let mut errors = Vec::new();
        e.preds_mut(&mut |p| {
            match self.map(&p.field) {
                Ok(f) => p.field = f,
                Err(err) => errors.push(err),
            }
            if let Test::FieldEq { other, .. } = &mut p.test {
                match self.map(other) {
                    Ok(f) => *other = f,
                    Err(err) => errors.push(err),
                }
            }
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        self.inp.em.expr(&e, false).map(|f| super::STYLE.render(&f))
    }
}

/// Owned copies of `xs`.
fn names(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

/// `a, b, last` (or `last` alone).
fn list<S: AsRef<str>>(items: &[S], last: &str) -> String {
    let mut parts: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    parts.push(last);
    parts.join(", ")
}

/// A name for a `let`, different from the table's.
fn let_name(base: &str, table: &str) -> String {
    if table == base {
        format!("{base}_")
    } else {
        base.to_string()
    }
}

/// A threshold as a KQL number: as is when it fits in a `long` (a count always does),
/// otherwise as a `real` (which every count is below).
fn count_literal(n: u64) -> String {
    if i64::try_from(n).is_ok() {
        n.to_string()
    } else {
        format!("{n}.0")
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::driver::{self, Error, Options};
    use crate::targets::TargetError;

    /// A test catalog: `t.src` with a catalog row filter, renamed and expression-mapped
    /// fields, an unavailable field, a json field and a field named like a stage column.
    const CATALOG: &str = r#"
sources:
  t.src:
    description: test source
    logsource: {product: test}
    timestamp: Time
    fields:
      Time: string
      User: string
      Ip: ip
      App: string
      Code: number
      Status.errorCode: number
      Flag: bool
      Props: json
      Hidden: string
      window_start: string
      start: string
      first_seen: string
      step2_: string
    targets:
      kql.sentinel:
        table: T
        timestamp: TimeGenerated
        filter: 'Type == "t"'
        fields:
          Ip: ClientIp
          Code: {column: Code, expr: 'toint(Code)'}
          Status.errorCode: {column: Status, expr: 'toint(Status.errorCode)'}
          Hidden: {unavailable: 'T has no Hidden column'}
      kql.defender:
        table: D
        timestamp: Timestamp
        fields:
          User: {column: Raw, expr: 'tostring(Raw.User)'}
          Code: {column: Raw, expr: 'toint(Raw.Code)'}
  t.notime:
    description: a source whose kql targets lack a time column
    logsource: {product: test2}
    timestamp: Time
    fields:
      Time: string
      User: string
    targets:
      kql.sentinel:
        table: T
      kql.defender:
        table: known_values
        timestamp: Timestamp
"#;

    const PRELUDE: &str = "condition failed = Code == 50126\n\
        condition other = Code == 50053\n\
        condition succeeded = Code == 0\n\
        condition blocked = Hidden == \"x\"\n";

    fn options(flavor: &str, builtin: bool) -> Options {
        let opts = Options::new("kql", Some(flavor)).expect("options");
        if builtin {
            opts
        } else {
            opts.with_catalog(Catalog::from_yaml(CATALOG, "test").expect("catalog"))
        }
    }

    fn rule_text(source: &str, body: &str) -> String {
        format!(
            "{PRELUDE}rule r {{ title \"R\" id 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 status test \
             level high date 2024-03-01 description \"Detects x.\"\n    source {source}\n{body} }}\n"
        )
    }

    /// Compile one rule; `Ok(text)` or the target's refusals.
    fn compile_with(
        flavor: &str,
        builtin: bool,
        source: &str,
        body: &str,
    ) -> Result<String, Vec<TargetError>> {
        let out = driver::compile(&rule_text(source, body), &options(flavor, builtin));
        if out.diagnostics.is_empty() {
            assert_eq!(out.outputs.len(), 1);
            return Ok(out.outputs[0].text.clone());
        }
        Err(out
            .diagnostics
            .into_iter()
            .map(|d| match d.error {
                Error::Target(t) => t,
                // Unavailable fields are reported by the mapping pass (it maps stage and
                // step fields too); shown here in the same shape.
                Error::Map(m) => TargetError::Unsupported {
                    target: format!("kql ({flavor})"),
                    kind: crate::targets::Construct::StageField,
                    construct: format!("the field `{}`", m.field),
                    span: m.span,
                    reason: m.why,
                    help: None,
                },
                other => panic!("not a target error: {other:?}"),
            })
            .collect())
    }

    fn kql(flavor: &str, body: &str) -> String {
        match compile_with(flavor, false, "t.src", body) {
            Ok(t) => t,
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    /// The refusals as `(target, construct)`, each checked to point at the stage.
    fn refused(flavor: &str, source: &str, body: &str) -> Vec<(String, String)> {
        let text = rule_text(source, body);
        match compile_with(flavor, false, source, body) {
            Ok(t) => panic!("not refused: {t}"),
            Err(es) => es
                .into_iter()
                .map(|e| match e {
                    TargetError::Unsupported {
                        target,
                        construct,
                        span,
                        ..
                    } => {
                        let at = &text[span.offset()..span.offset() + span.len()];
                        // At the stage, or (for a step's field) at the step's comparison.
                        assert!(
                            ["threshold", "new", "sequence", "Hidden"]
                                .iter()
                                .any(|k| at.starts_with(k)),
                            "span {at:?}"
                        );
                        (target, construct)
                    }
                    other => panic!("unexpected {other:?}"),
                })
                .collect(),
        }
    }

    // ----- the four examples of the brief, on the built-in catalog -------------------

    const SPRAY: &str = "    match ResultType == 50126\n    threshold distinct UserPrincipalName >= 10 by IPAddress window 1h";
    const BRUTE: &str = "    match ResultType exists\n    sequence by UserPrincipalName within 30m [failed, succeeded]";
    const NEWAPP: &str = "    match ResultType == 0\n    new AppId baseline 13d window 1d";
    const VOLUME: &str = "    match Operation == \"MailItemsAccessed\"\n    threshold count > 100 by UserId window 1h";

    fn builtin(flavor: &str, source: &str, body: &str) -> String {
        let body = body.replace("[failed, succeeded]", "[failed_b, succeeded_b]");
        let text = format!(
            "condition failed_b = ResultType == 50126\ncondition succeeded_b = ResultType == 0\n\
             rule r {{ title \"R\" id 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 status test level high \
             date 2024-03-01 description \"Detects x.\"\n    source {source}\n{body} }}\n"
        );
        let out = driver::compile(&text, &options(flavor, true));
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        out.outputs[0].text.clone()
    }

    #[test]
    fn spray_sentinel() {
        assert_eq!(
            builtin("sentinel", "azure.signinlogs", SPRAY),
            "SigninLogs\n\
             | where iff(tostring(ResultType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(ResultType), real(null)) == 50126\n\
             | where isnotnull(TimeGenerated) and isnotempty(IPAddress) and isnotempty(UserPrincipalName)\n\
             | summarize by IPAddress, window_start = bin_at(TimeGenerated, 1h, datetime(1970-01-01)), UserPrincipalName\n\
             | summarize distinct_ = count() by IPAddress, window_start\n\
             | where distinct_ >= 10\n\
             | project IPAddress, window_start, ['distinct'] = distinct_\n"
        );
    }

    #[test]
    fn spray_defender() {
        assert_eq!(
            builtin("defender", "azure.signinlogs", SPRAY),
            "EntraIdSignInEvents\n\
             | where LogonType has \"interactiveUser\"\n\
             | where ErrorCode == 50126\n\
             | where isnotnull(Timestamp) and isnotempty(IPAddress) and isnotempty(AccountUpn)\n\
             | summarize by IPAddress, window_start = bin_at(Timestamp, 1h, datetime(1970-01-01)), UserPrincipalName = AccountUpn\n\
             | summarize distinct_ = count() by IPAddress, window_start\n\
             | where distinct_ >= 10\n\
             | project IPAddress, window_start, ['distinct'] = distinct_\n"
        );
    }

    #[test]
    fn brute_sentinel() {
        assert_eq!(
            builtin("sentinel", "azure.signinlogs", BRUTE),
            "let step_events = materialize(SigninLogs\n\
             | where isnotnull(iff(tostring(ResultType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(ResultType), real(null)))\n\
             | where isnotnull(TimeGenerated) and isnotempty(UserPrincipalName)\n\
             | summarize step1_ = max(toint(iff(tostring(ResultType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(ResultType), real(null)) == 50126)), step2_ = max(toint(iff(tostring(ResultType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(ResultType), real(null)) == 0)) by UserPrincipalName, t_ = TimeGenerated);\n\
             step_events\n\
             | where step1_ == 1\n\
             | project UserPrincipalName, start = t_, end = t_\n\
             | join kind=inner (step_events | where step2_ == 1 | project UserPrincipalName, next_ = t_) on UserPrincipalName\n\
             | where next_ > end and next_ - start <= 30m\n\
             | summarize start = max(start) by UserPrincipalName, end = next_\n"
        );
    }

    #[test]
    fn brute_defender() {
        assert_eq!(
            builtin("defender", "azure.signinlogs", BRUTE),
            "let step_events = materialize(EntraIdSignInEvents\n\
             | where LogonType has \"interactiveUser\"\n\
             | where isnotnull(ErrorCode)\n\
             | where isnotnull(Timestamp) and isnotempty(AccountUpn)\n\
             | summarize step1_ = max(toint(ErrorCode == 50126)), step2_ = max(toint(ErrorCode == 0)) by UserPrincipalName = AccountUpn, t_ = Timestamp);\n\
             step_events\n\
             | where step1_ == 1\n\
             | project UserPrincipalName, start = t_, end = t_\n\
             | join kind=inner (step_events | where step2_ == 1 | project UserPrincipalName, next_ = t_) on UserPrincipalName\n\
             | where next_ > end and next_ - start <= 30m\n\
             | summarize start = max(start) by UserPrincipalName, end = next_\n"
        );
    }

    #[test]
    fn newapp_sentinel() {
        assert_eq!(
            builtin("sentinel", "azure.signinlogs", NEWAPP),
            "let known_values = SigninLogs\n\
             | where TimeGenerated >= ago(14d) and TimeGenerated < ago(1d)\n\
             | where iff(tostring(ResultType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(ResultType), real(null)) == 0\n\
             | where isnotempty(AppId)\n\
             | distinct AppId;\n\
             SigninLogs\n\
             | where TimeGenerated >= ago(1d) and TimeGenerated < now()\n\
             | where iff(tostring(ResultType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(ResultType), real(null)) == 0\n\
             | where isnotempty(AppId)\n\
             | summarize first_seen = min(TimeGenerated) by AppId\n\
             | join kind=leftanti known_values on AppId\n"
        );
    }

    #[test]
    fn newapp_defender() {
        assert_eq!(
            builtin("defender", "azure.signinlogs", NEWAPP),
            "let known_values = EntraIdSignInEvents\n\
             | where Timestamp >= ago(14d) and Timestamp < ago(1d)\n\
             | where LogonType has \"interactiveUser\"\n\
             | where ErrorCode == 0\n\
             | where isnotempty(ApplicationId)\n\
             | summarize by AppId = ApplicationId;\n\
             EntraIdSignInEvents\n\
             | where Timestamp >= ago(1d) and Timestamp < now()\n\
             | where LogonType has \"interactiveUser\"\n\
             | where ErrorCode == 0\n\
             | where isnotempty(ApplicationId)\n\
             | summarize first_seen = min(Timestamp) by AppId = ApplicationId\n\
             | join kind=leftanti known_values on AppId\n"
        );
    }

    #[test]
    fn volume_sentinel() {
        assert_eq!(
            builtin("sentinel", "m365.audit", VOLUME),
            "OfficeActivity\n\
             | where Operation =~ \"MailItemsAccessed\"\n\
             | where isnotnull(TimeGenerated) and isnotempty(UserId)\n\
             | summarize count_ = count() by UserId, window_start = bin_at(TimeGenerated, 1h, datetime(1970-01-01))\n\
             | where count_ > 100\n\
             | project UserId, window_start, ['count'] = count_\n"
        );
    }

    #[test]
    fn volume_defender() {
        assert_eq!(
            builtin("defender", "m365.audit", VOLUME),
            "CloudAppEvents\n\
             | where isnotnull(toint(RawEventData.RecordType)) and isnotempty(tostring(RawEventData.Workload))\n\
             | where ActionType =~ \"MailItemsAccessed\"\n\
             | where isnotnull(Timestamp) and isnotempty(tostring(RawEventData.UserId))\n\
             | summarize count_ = count() by UserId = tostring(RawEventData.UserId), window_start = bin_at(Timestamp, 1h, datetime(1970-01-01))\n\
             | where count_ > 100\n\
             | project UserId, window_start, ['count'] = count_\n"
        );
    }

    // ----- threshold -------------------------------------------------------------------

    #[test]
    fn threshold_keys_of_every_kind() {
        // A renamed column, a mapped expression with a dotted name, a number and a bool:
        // columns are named by the source field names; presence is isnotempty for string
        // and ip fields, isnotnull for the others. The catalog filter comes first.
        assert_eq!(
            kql(
                "sentinel",
                "    match User exists\n    threshold count >= 3 by Ip, Status.errorCode, Code, Flag window 90m"
            ),
            "T\n\
             | where Type == \"t\"\n\
             | where isnotempty(User)\n\
             | where isnotnull(TimeGenerated) and isnotempty(ClientIp) and isnotnull(toint(Status.errorCode)) and isnotnull(toint(Code)) and isnotnull(Flag)\n\
             | summarize count_ = count() by Ip = ClientIp, ['Status.errorCode'] = toint(Status.errorCode), Code = toint(Code), Flag, window_start = bin_at(TimeGenerated, 90m, datetime(1970-01-01))\n\
             | where count_ >= 3\n\
             | project Ip, ['Status.errorCode'], Code, Flag, window_start, ['count'] = count_\n"
        );
    }

    #[test]
    fn threshold_without_keys() {
        assert_eq!(
            kql("sentinel", "    match User exists\n    threshold count < 5 window 1d"),
            "T\n\
             | where Type == \"t\"\n\
             | where isnotempty(User)\n\
             | where isnotnull(TimeGenerated)\n\
             | summarize count_ = count() by window_start = bin_at(TimeGenerated, 1d, datetime(1970-01-01))\n\
             | where count_ < 5\n\
             | project window_start, ['count'] = count_\n"
        );
        assert_eq!(
            kql("defender", "    match App exists\n    threshold distinct User != 2 window 7d"),
            "D\n\
             | where isnotempty(App)\n\
             | where isnotnull(Timestamp) and isnotempty(tostring(Raw.User))\n\
             | summarize by window_start = bin_at(Timestamp, 7d, datetime(1970-01-01)), User = tostring(Raw.User)\n\
             | summarize distinct_ = count() by window_start\n\
             | where distinct_ != 2\n\
             | project window_start, ['distinct'] = distinct_\n"
        );
    }

    #[test]
    fn threshold_every_operator() {
        for (op, text) in [
            ("==", "=="),
            ("!=", "!="),
            ("<", "<"),
            ("<=", "<="),
            (">", ">"),
            (">=", ">="),
        ] {
            let out = kql(
                "sentinel",
                &format!("    match User exists\n    threshold count {op} 7 by User window 1h"),
            );
            assert!(out.contains(&format!("| where count_ {text} 7\n")), "{out}");
        }
    }

    #[test]
    fn threshold_distinct_of_a_key_and_duplicate_keys() {
        // Distinct of a key: one value per group (no extra column); a repeated key once.
        assert_eq!(
            kql(
                "sentinel",
                "    match User exists\n    threshold distinct User >= 1 by User, App, User window 1h"
            ),
            "T\n\
             | where Type == \"t\"\n\
             | where isnotempty(User)\n\
             | where isnotnull(TimeGenerated) and isnotempty(User) and isnotempty(App)\n\
             | summarize by User, App, window_start = bin_at(TimeGenerated, 1h, datetime(1970-01-01))\n\
             | summarize distinct_ = count() by User, App, window_start\n\
             | where distinct_ >= 1\n\
             | project User, App, window_start, ['distinct'] = distinct_\n"
        );
    }

    #[test]
    fn threshold_beyond_a_long() {
        let out = kql(
            "sentinel",
            "    match User exists\n    threshold count < 18446744073709551615 window 1h",
        );
        assert!(
            out.contains("| where count_ < 18446744073709551615.0\n"),
            "{out}"
        );
        let out = kql(
            "sentinel",
            "    match User exists\n    threshold count < 9223372036854775807 window 1h",
        );
        assert!(
            out.contains("| where count_ < 9223372036854775807\n"),
            "{out}"
        );
    }

    // ----- new -------------------------------------------------------------------------

    #[test]
    fn first_seen_tuple_with_mapped_keys() {
        // One key bound to an expression: the baseline is a `summarize by`.
        assert_eq!(
            kql(
                "sentinel",
                "    match App exists\n    new User, Ip baseline 12h window 90m"
            ),
            "let known_values = T\n\
             | where TimeGenerated >= ago(810m) and TimeGenerated < ago(90m)\n\
             | where Type == \"t\"\n\
             | where isnotempty(App)\n\
             | where isnotempty(User) and isnotempty(ClientIp)\n\
             | summarize by User, Ip = ClientIp;\n\
             T\n\
             | where TimeGenerated >= ago(90m) and TimeGenerated < now()\n\
             | where Type == \"t\"\n\
             | where isnotempty(App)\n\
             | where isnotempty(User) and isnotempty(ClientIp)\n\
             | summarize first_seen = min(TimeGenerated) by User, Ip = ClientIp\n\
             | join kind=leftanti known_values on User, Ip\n"
        );
        // Plain columns: `distinct`.
        assert!(kql(
            "sentinel",
            "    match App exists\n    new User, App, User baseline 1d window 1d"
        )
        .contains("| distinct User, App;\n"));
    }

    #[test]
    fn first_seen_query_period_caps() {
        assert!(kql(
            "sentinel",
            "    match App exists\n    new User baseline 13d window 1d"
        )
        .contains(">= ago(14d)"));
        assert!(kql(
            "defender",
            "    match App exists\n    new User baseline 29d window 1d"
        )
        .contains(">= ago(30d)"));
        assert_eq!(
            refused(
                "sentinel",
                "t.src",
                "    match App exists\n    new User baseline 14d window 1s"
            ),
            vec![(
                "kql (sentinel)".to_string(),
                "a first-seen stage over more than 14d".to_string()
            )]
        );
        assert_eq!(
            refused(
                "defender",
                "t.src",
                "    match App exists\n    new User baseline 30d window 1h"
            ),
            vec![(
                "kql (defender)".to_string(),
                "a first-seen stage over more than 30d".to_string()
            )]
        );
    }

    #[test]
    fn let_names_avoid_the_table() {
        let out = compile_with(
            "defender",
            false,
            "t.notime",
            "    match User exists\n    new User baseline 1d window 1d",
        )
        .expect("compiled");
        assert!(
            out.starts_with("let known_values_ = known_values\n"),
            "{out}"
        );
        assert!(
            out.ends_with("| join kind=leftanti known_values_ on User\n"),
            "{out}"
        );
    }

    // ----- sequence --------------------------------------------------------------------

    #[test]
    fn sequence_of_three_steps_with_two_keys() {
        assert_eq!(
            kql(
                "sentinel",
                "    match App exists\n    sequence by User, Status.errorCode within 1h [failed, other, succeeded]"
            ),
            "let step_events = materialize(T\n\
             | where Type == \"t\"\n\
             | where isnotempty(App)\n\
             | where isnotnull(TimeGenerated) and isnotempty(User) and isnotnull(toint(Status.errorCode))\n\
             | summarize step1_ = max(toint(toint(Code) == 50126)), step2_ = max(toint(toint(Code) == 50053)), step3_ = max(toint(toint(Code) == 0)) by User, ['Status.errorCode'] = toint(Status.errorCode), t_ = TimeGenerated);\n\
             step_events\n\
             | where step1_ == 1\n\
             | project User, ['Status.errorCode'], start = t_, end = t_\n\
             | join kind=inner (step_events | where step2_ == 1 | project User, ['Status.errorCode'], next_ = t_) on User, ['Status.errorCode']\n\
             | where next_ > end and next_ - start <= 1h\n\
             | summarize start = max(start) by User, ['Status.errorCode'], end = next_\n\
             | join kind=inner (step_events | where step3_ == 1 | project User, ['Status.errorCode'], next_ = t_) on User, ['Status.errorCode']\n\
             | where next_ > end and next_ - start <= 1h\n\
             | summarize start = max(start) by User, ['Status.errorCode'], end = next_\n"
        );
    }

    #[test]
    fn sequence_steps_are_mapped_per_flavour() {
        let out = kql(
            "defender",
            "    match App exists\n    sequence by User within 10m [failed, failed]",
        );
        assert!(
            out.contains("| summarize step1_ = max(toint(toint(Raw.Code) == 50126)), step2_ = max(toint(toint(Raw.Code) == 50126)) by User = tostring(Raw.User), t_ = Timestamp);\n"),
            "{out}"
        );
    }

    #[test]
    fn sequence_step_refusals() {
        // A step reading a field the target lacks.
        assert_eq!(
            refused(
                "sentinel",
                "t.src",
                "    match App exists\n    sequence by User within 10m [failed, blocked]"
            ),
            vec![(
                "kql (sentinel)".to_string(),
                "the field `Hidden`".to_string()
            )]
        );
    }

    // ----- refusals --------------------------------------------------------------------

    #[test]
    fn unavailable_keys_are_refused() {
        assert_eq!(
            refused(
                "sentinel",
                "t.src",
                "    match App exists\n    threshold distinct Hidden > 1 by User window 1h"
            ),
            vec![(
                "kql (sentinel)".to_string(),
                "the field `Hidden`".to_string()
            )]
        );
        // A json key is a check error (`ir::stage_key`), tested in tests/stage_keys.rs.
        assert_eq!(
            refused(
                "sentinel",
                "t.src",
                "    match App exists\n    new Hidden baseline 1d window 1d"
            )
            .len(),
            1
        );
    }

    #[test]
    fn fields_named_like_stage_columns_are_refused() {
        let one = |body: &str, name: &str| {
            assert_eq!(
                refused("sentinel", "t.src", body),
                vec![(
                    "kql (sentinel)".to_string(),
                    format!("a stage field named `{name}`")
                )]
            );
        };
        one(
            "    match App exists\n    threshold count > 1 by window_start window 1h",
            "window_start",
        );
        one(
            "    match App exists\n    threshold distinct window_start > 1 window 1h",
            "window_start",
        );
        one(
            "    match App exists\n    new first_seen baseline 1d window 1d",
            "first_seen",
        );
        one(
            "    match App exists\n    sequence by start within 1h [failed, succeeded]",
            "start",
        );
        one(
            "    match App exists\n    sequence by step2_ within 1h [failed, succeeded]",
            "step2_",
        );
        // Outside a sequence, `start` is just a key.
        assert!(kql(
            "sentinel",
            "    match App exists\n    threshold count > 1 by start window 1h"
        )
        .contains("by start, window_start"));
    }

    #[test]
    fn durations_beyond_a_timespan_are_refused() {
        assert_eq!(
            refused(
                "sentinel",
                "t.src",
                "    match App exists\n    threshold count > 1 window 10675200d"
            ),
            vec![(
                "kql (sentinel)".to_string(),
                "a duration of 10675200d".to_string()
            )]
        );
        assert!(kql(
            "sentinel",
            "    match App exists\n    threshold count > 1 window 10675199d"
        )
        .contains("bin_at(TimeGenerated, 10675199d, "));
        assert_eq!(
            refused(
                "sentinel",
                "t.src",
                "    match App exists\n    sequence by User within 10675200d [failed, succeeded]"
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_missing_time_column_is_reported() {
        let errs = compile_with(
            "sentinel",
            false,
            "t.notime",
            "    match User exists\n    threshold count > 1 window 1h",
        )
        .expect_err("no time column");
        assert_eq!(errs.len(), 1);
        match &errs[0] {
            TargetError::NoTable {
                target,
                source_name,
                what,
                ..
            } => {
                assert_eq!(target, "kql (sentinel)");
                assert_eq!(source_name, "t.notime");
                assert_eq!(what, "time column");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sequences_without_keys_or_steps_are_refused() {
        // The grammar requires both; the IR does not.
        use crate::ir::{Duration, Meta, Rule, Span, Stage};
        use crate::targets::{Ctx, Target, TargetOptions};
        let cat = Catalog::from_yaml(CATALOG, "test").expect("catalog");
        let rule = Rule {
            name: "r".to_string(),
            meta: Meta::default(),
            source: "t.src".to_string(),
            expr: crate::ir::Expr::And(Vec::new()),
            span: Span::new(0, 50),
            stage: Some(Stage::Sequence {
                by: Vec::new(),
                within: Duration { seconds: 60 },
                steps: Vec::new(),
                span: Span::new(10, 20),
            }),
            tests: Vec::new(),
            test_files: Vec::new(),
            stream_tests: Vec::new(),
        };
        let ctx = Ctx {
            source: &cat.sources["t.src"],
            source_name: "t.src",
            opts: &TargetOptions::default(),
            catalog_key: "kql.sentinel",
        };
        let errs = super::super::Kql
            .compile_rule(&rule, &ctx)
            .expect_err("refused");
        let constructs: Vec<String> = errs
            .into_iter()
            .map(|e| match e {
                TargetError::Unsupported {
                    construct, span, ..
                } => {
                    assert_eq!(span, miette::SourceSpan::from((10, 10)));
                    construct
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            constructs,
            vec![
                "a sequence without a `by` key".to_string(),
                "a sequence without steps".to_string()
            ]
        );
    }

    #[test]
    fn match_refusals_and_stage_refusals_are_all_reported() {
        let errs = compile_with(
            "sentinel",
            false,
            "t.src",
            "    match App matches \"(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\"\n    threshold count > 1 by window_start window 1h",
        )
        .expect_err("refused");
        assert_eq!(errs.len(), 2);
    }
}
