//! Stateful stages (`threshold`, `new`, `sequence`) on the `spl` target.
//!
//! The rule's `match` is compiled as for any rule (base search, search terms, one `| where`);
//! the stage's commands follow. The normative meaning is "Stateful stages" in
//! `grammar/README.md`, the executable one `src/eval/stage.rs`; every difference is listed
//! under "Known differences" below.
//!
//! # Fields
//! Stage fields (keys, the `distinct` field, the `new` fields, and the fields of sequence
//! steps) are mapped here from the catalog (`Source::map_field`); a field the catalog marks
//! unavailable is refused at the stage. Every key must be present and non-empty (the
//! language counts `""` as missing, and ignores events whose key is missing):
//! `| where isnotnull(K) AND len(K)>0 AND ...`.
//!
//! A key is used under its column name in `stats`, `sort`, `streamstats` and `table` when that
//! name is a plain `[A-Za-z][A-Za-z0-9_.]*` (not a word with a meaning in those commands, and
//! not one of the stage's output names or another key's output name); otherwise it is first
//! copied to an internal name (`| eval _k1=<field>`; `_d` for a `distinct` field). Internal
//! fields all start with `_` and never reach the output. The output names the keys by their
//! source field names: the last two commands are `| table <columns> <figures>` and
//! `| rename <column> AS <source name>, ...` (only for columns whose name differs). A key
//! whose source name starts with `_`, is one of the stage's output names (`window_start`,
//! `count`, `distinct`, `first_seen`, `start`, `end`) or cannot be written as a `rename`
//! target (`*`, quotes, backslashes) is refused. Keys listed twice are grouped on once.
//!
//! # Time
//! Stages run on `_time` (the catalog's spl `timestamp` must be `_time`, which says that
//! Splunk's `_time` is the source's timestamp field; another column would need `strptime()`,
//! which reads times without a zone in the search head's time zone). Times in the output
//! (`window_start`, `first_seen`, `start`, `end`) are **epoch seconds** (with the fraction
//! Splunk keeps), where the evaluator writes ISO 8601 UTC text: `strftime()` formats in the
//! search head's time zone, so it cannot write UTC exactly.
//!
//! # `threshold`
//! ```text
//! | where isnotnull(K) AND len(K)>0 [AND isnotnull(F) AND len(F)>0]
//! | eval window_start=floor(_time/3600)*3600
//! | stats count as count by K window_start          (or: dc(F) as distinct)
//! | where count>=10
//! | table K window_start count
//! | rename K AS <source name>
//! ```
//! The window start is computed from epoch seconds, not with `bin`/`bucket`, whose spans are
//! aligned in the search head's time zone. For `distinct`, events without a (non-empty) `F`
//! are dropped before `stats`, so a group with no value of `F` does not exist (as in the
//! evaluator; otherwise `dc` would report 0 for it and `< n` would alert).
//!
//! # `new`
//! ```text
//! <base search> earliest=-<baseline+window+1>s latest=now
//! | where isnotnull(K) AND len(K)>0
//! | where _time>=now()-<baseline+window> AND _time<now()
//! | eval _b=if(_time<now()-<window>, 1, 0)
//! | stats max(_b) as _b min(_time) as first_seen by K
//! | where _b==0
//! | table K first_seen
//! ```
//! The intervals are the evaluator's, half-open: baseline `[now-window-baseline, now-window)`,
//! detection `[now-window, now)`. They are decided by the explicit `where` on `now()` (the
//! time the search started), with exact arithmetic on seconds rather than
//! `relative_time(now(), "-1d")`: relative times are computed in the search head's time zone
//! and their `d` unit is not documented to be exactly 86,400 seconds (a calendar day is 23
//! or 25 hours across a daylight-saving change). For the same reason the inline modifiers are
//! written in seconds. The inline time modifiers only bound
//! what the search reads (one second wider, so that the `where` decides the edges): the
//! Search Reference ("Time modifiers") says that a time modifier in the search string
//! overrides the time range picker, and the Search Manual ("Specify time modifiers in your
//! search") that a time range "in the Search bar, or in a saved search, overrides the time
//! range that is selected in the Time Range Picker". The docs do not spell out the case of a
//! saved search's `dispatch.earliest_time`; deploy the search with a dispatch range of at
//! least `baseline + window` (or "All time") so that no reading can cut the baseline short.
//! When a key has no baseline event (`_b==0`), all its events are in the window, so
//! `min(_time)` is its first time in the window.
//!
//! # `sequence`
//! ```text
//! | where isnotnull(K) AND len(K)>0
//! | eval _s1=if(<step 1>, 1, 0), _s2=if(<step 2>, 1, 0)
//! | where _s1==1 OR _s2==1
//! | stats max(_s1) as _s1 max(_s2) as _s2 by K _time
//! | sort 0 K _time
//! | eval _c1=if(_s1==1, _time, null())
//! | streamstats current=f max(_c1) as _p1 by K
//! | eval _c2=if(_s2==1 AND isnotnull(_p1) AND round((_time-_p1)*1000)<=1800000, _p1, null())
//! | where isnotnull(_c2)
//! | eval start=_c2, end=_time
//! | table K start end
//! ```
//! Not `transaction`, which has its own grouping and eviction rules. Each step is the
//! target's two-valued `where` translation of the step's expression, so `if()` sees only
//! true or false. Events of one key at one time are collapsed into one row whose flags say
//! which steps some event at that time satisfies (equal times are never consecutive steps);
//! rows with no step are dropped. `_c{k}` is the start of the latest-starting chain through
//! step `k` that ends on this row, `_p{k}` the latest non-null `_c{k}` on an earlier row of
//! the key: this is the evaluator's `latest[k]`. An alert is a row where the last step
//! completes. The `within` test is on whole milliseconds (`round(... * 1000)`): `_time` is a
//! binary floating-point number, and the difference of two times with a millisecond fraction
//! can exceed an exact bound such as 1800 by a rounding error.
//!
//! `max()` is used rather than `last()`: the non-null values of `_c{k}` never decrease along a
//! key's rows (each is the latest earlier `_c{k-1}`), so the largest earlier value is the
//! latest one, and statistical functions skip null values, whereas the Search Reference does
//! not say whether `last()` ("the last seen value in a field") skips them.
//!
//! # Known differences
//! - `streamstats` without `window`/`time_window` only keeps the last `max_stream_window`
//!   events (`limits.conf`, 10,000 by default; Search Reference, "streamstats"). A chain is
//!   missed when the row holding the latest `_c{k-1}` is more than that many rows before the
//!   row of step `k` (rows are sorted by key, so these are rows of the same key, one per
//!   distinct time at which some step holds); `window` is capped by the same setting.
//! - Keys and `distinct` values are compared by `stats` as the text Splunk extracted. A
//!   multivalue field (which the evaluator never sees: arrays are not values) would be split
//!   into one group per value by `stats ... by` and counted per value by `dc`.
//! - Splunk keeps sub-second times to the microsecond; the evaluator truncates them to
//!   milliseconds. With sub-millisecond times, two events in the same millisecond can be
//!   ordered (and chained) on Splunk, and a `within` bound is rounded, not truncated.
//! - `threshold` and `sequence` read whatever time range the search is dispatched with: a
//!   scheduled search sees partial windows and chains at the edges of its range.

use super::{
    is_ident, is_operator_word, search_field_name, unsupported, where_expr, where_field, TARGET,
};
use crate::catalog::Mapped;
use crate::ir::{CmpOp, Duration, Expr, Field, Span, Stage, Step};
use crate::targets::Construct;
use crate::targets::{Ctx, TargetError};

/// What a stage adds to a query.
pub(super) struct StageSpl {
    /// Appended to the base search line (time modifiers), with its leading space.
    pub base_suffix: String,
    /// The `| ...` commands, one per line, without line breaks.
    pub lines: Vec<String>,
}

/// Compile a stage; every refusal in it.
pub(super) fn compile(stage: &Stage, ctx: &Ctx) -> Result<StageSpl, Vec<TargetError>> {
    let span = stage.span();
    check_time_column(ctx, span).map_err(|e| vec![e])?;
    match stage {
        Stage::Threshold {
            distinct,
            op,
            value,
            by,
            window,
            ..
        } => threshold(distinct.as_ref(), *op, *value, by, *window, span, ctx),
        Stage::FirstSeen {
            fields,
            baseline,
            window,
            ..
        } => first_seen(fields, *baseline, *window, span, ctx),
        Stage::Sequence {
            by, within, steps, ..
        } => sequence(by, *within, steps, span, ctx),
    }
}

/// The target's time column must be `_time`.
fn check_time_column(ctx: &Ctx, span: Span) -> Result<(), TargetError> {
    let ts = ctx
        .source
        .targets
        .get(ctx.catalog_key)
        .and_then(|t| t.timestamp.as_deref());
    match ts {
        Some("_time") => Ok(()),
        None => Err(TargetError::NoTable {
            target: TARGET.to_string(),
            source_name: ctx.source_name.to_string(),
            what: "timestamp".to_string(),
            span: span.into(),
        }),
        Some(other) => Err(unsupported(
            TARGET,
            Construct::StageField,
            &format!(
                "a stateful stage over the time column `{}`",
                other.escape_debug()
            ),
            span,
            "SPL stages are computed on `_time`; reading the time from another column needs strptime(), which reads times in the search head's time zone",
            Some("extract the event time into `_time` at index time and set the source's spl `timestamp` to `_time`"),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

/// Words with a meaning of their own in `stats`, `sort`, `rename` or `table` arguments.
fn is_command_word(s: &str) -> bool {
    const WORDS: &[&str] = &["AS", "BY", "OVER", "OUTPUT", "OUTPUTNEW", "WHERE"];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) || is_operator_word(s)
}

/// A column name usable bare in `stats ... by`, `sort`, `streamstats ... by` and `table`.
fn is_plain(name: &str) -> bool {
    is_ident(name, true) && !name.starts_with('_') && !is_command_word(name)
}

/// `field` with its mapping on this target (stage fields are not mapped by the driver).
fn map_stage_field(
    field: &Field,
    ctx: &Ctx,
    span: Span,
    place: &str,
) -> Result<Field, TargetError> {
    if field.mapped.is_some() {
        return Ok(field.clone());
    }
    match ctx.source.map_field(ctx.catalog_key, &field.name) {
        Ok(m) => Ok(Field {
            mapped: Some(m),
            ..field.clone()
        }),
        Err(why) => Err(unsupported(
            TARGET,
            Construct::StageField,
            &format!("the field `{}`{place}", field.name.escape_debug()),
            span,
            &format!("the catalog says it is not available on spl: {why}"),
            Some("use another field, or compile this rule for another target"),
        )),
    }
}

/// A stage field as the emitted SPL uses it.
struct Col {
    /// The source field name (the output column for keys).
    src: String,
    /// Its `where`/`eval` form.
    expr: String,
    /// Its name in `stats`, `sort`, `streamstats` and `table`.
    by: String,
    /// `<internal>=<expr>` when it is copied to an internal name first.
    copy: Option<String>,
}

/// The grouping keys, deduplicated by source name. `outputs` are the stage's own output
/// names.
fn key_columns(
    fields: &[Field],
    outputs: &[&str],
    ctx: &Ctx,
    span: Span,
) -> Result<Vec<Col>, Vec<TargetError>> {
    let mut unique: Vec<&Field> = Vec::new();
    for f in fields {
        if !unique.iter().any(|u| u.name == f.name) {
            unique.push(f);
        }
    }
    let mut errors = Vec::new();
    let mut mapped = Vec::new();
    for f in unique {
        match key_field(f, outputs, ctx, span) {
            Ok(x) => mapped.push(x),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Output names a column must not be confused with.
    let srcs: Vec<String> = mapped.iter().map(|(f, _)| f.name.clone()).collect();
    let mut cols: Vec<Col> = Vec::new();
    for (i, (f, expr)) in mapped.into_iter().enumerate() {
        let column = match f.target() {
            Mapped::Column(c) => Some(c),
            Mapped::Expr(_) => None,
        };
        let bare = column.filter(|c| {
            is_plain(c)
                && !outputs.contains(&c.as_str())
                && !srcs.iter().any(|s| s == c && *s != f.name)
                && !cols.iter().any(|k| k.by == *c)
        });
        let col = match bare {
            Some(c) => Col {
                src: f.name.clone(),
                expr,
                by: c,
                copy: None,
            },
            None => {
                let internal = format!("_k{}", i + 1);
                Col {
                    src: f.name.clone(),
                    copy: Some(format!("{internal}={expr}")),
                    expr,
                    by: internal,
                }
            }
        };
        cols.push(col);
    }
    Ok(cols)
}

/// A key field mapped, with its `where` form; refused when it cannot be an output column.
fn key_field(
    f: &Field,
    outputs: &[&str],
    ctx: &Ctx,
    span: Span,
) -> Result<(Field, String), TargetError> {
    let name = &f.name;
    let refuse = |reason: &str| {
        unsupported(
            TARGET,
            Construct::StageField,
            &format!("the key field `{}`", name.escape_debug()),
            span,
            reason,
            Some("group by another field"),
        )
    };
    if let Err(why) = crate::ir::stage_key::check_type(f.ty) {
        return Err(refuse(why));
    }
    if name.starts_with('_') {
        return Err(refuse(
            "an output column whose name starts with `_` is one of Splunk's internal fields",
        ));
    }
    if outputs.contains(&name.as_str()) {
        return Err(refuse(&format!(
            "the stage's own output column `{name}` has the same name"
        )));
    }
    if search_field_name(name).is_none() {
        return Err(refuse(
            "its name cannot be written as a `rename`/`table` field (a `*` is a wildcard there, and quotes and backslashes have no documented escape)",
        ));
    }
    let f = map_stage_field(f, ctx, span, " (a stage key)")?;
    let expr = where_field(&f, span)?;
    Ok((f, expr))
}

/// The `distinct` field of a threshold.
fn distinct_column(f: &Field, outputs: &[&str], ctx: &Ctx, span: Span) -> Result<Col, TargetError> {
    if let Err(why) = crate::ir::stage_key::check_type(f.ty) {
        return Err(unsupported(
            TARGET,
            Construct::StageField,
            &format!("the distinct field `{}`", f.name.escape_debug()),
            span,
            why,
            None,
        ));
    }
    let f = map_stage_field(f, ctx, span, " (counted distinct)")?;
    let expr = where_field(&f, span)?;
    Ok(match f.target() {
        Mapped::Column(c) if is_plain(&c) && !outputs.contains(&c.as_str()) => Col {
            src: f.name.clone(),
            expr,
            by: c,
            copy: None,
        },
        _ => Col {
            src: f.name.clone(),
            copy: Some(format!("_d={expr}")),
            expr,
            by: "_d".to_string(),
        },
    })
}

/// `| where isnotnull(A) AND len(A)>0 AND ...` (each field once), or nothing without
/// fields.
fn presence_line(cols: &[&Col]) -> Option<String> {
    if cols.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    for c in cols {
        let p = format!("isnotnull({e}) AND len({e})>0", e = c.expr);
        if !parts.contains(&p) {
            parts.push(p);
        }
    }
    Some(format!("| where {}", parts.join(" AND ")))
}

/// `| eval _k1=..., _d=...`, or nothing.
fn copy_line(cols: &[&Col]) -> Option<String> {
    let copies: Vec<&str> = cols.iter().filter_map(|c| c.copy.as_deref()).collect();
    if copies.is_empty() {
        None
    } else {
        Some(format!("| eval {}", copies.join(", ")))
    }
}

/// `| table <keys> <figures>` then `| rename <column> AS <source>, ...`.
fn output_lines(keys: &[Col], figures: &[&str], lines: &mut Vec<String>) {
    let mut names: Vec<&str> = keys.iter().map(|k| k.by.as_str()).collect();
    names.extend(figures);
    lines.push(format!("| table {}", names.join(" ")));
    let renames: Vec<String> = keys
        .iter()
        .filter(|k| k.by != k.src)
        .map(|k| {
            // Checked writable in `key_field`.
            let to = search_field_name(&k.src).unwrap_or_else(|| k.src.clone());
            format!("{} AS {to}", k.by)
        })
        .collect();
    if !renames.is_empty() {
        lines.push(format!("| rename {}", renames.join(", ")));
    }
}

/// The `by` list (with a leading space), or nothing.
fn by_list(keys: &[Col]) -> String {
    keys.iter().map(|k| format!(" {}", k.by)).collect()
}

/// Join two error lists from two independent parts.
fn both<A, B>(
    a: Result<A, Vec<TargetError>>,
    b: Result<B, Vec<TargetError>>,
) -> Result<(A, B), Vec<TargetError>> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut x), Err(y)) => {
            x.extend(y);
            Err(x)
        }
        (Err(x), _) | (_, Err(x)) => Err(x),
    }
}

// ---------------------------------------------------------------------------------------------
// threshold
// ---------------------------------------------------------------------------------------------

fn threshold(
    distinct: Option<&Field>,
    op: CmpOp,
    value: u64,
    by: &[Field],
    window: Duration,
    span: Span,
    ctx: &Ctx,
) -> Result<StageSpl, Vec<TargetError>> {
    let figure = if distinct.is_some() {
        "distinct"
    } else {
        "count"
    };
    let outputs = ["window_start", figure];
    let keys = key_columns(by, &outputs, ctx, span);
    let dist = match distinct {
        Some(f) => distinct_column(f, &outputs, ctx, span)
            .map(Some)
            .map_err(|e| vec![e]),
        None => Ok(None),
    };
    let (keys, dist) = both(keys, dist)?;
    let s = window.seconds;
    if s == 0 {
        return Err(vec![unsupported(
            TARGET,
            Construct::StageWindow,
            "a window of zero seconds",
            span,
            "a window must be longer than zero",
            None,
        )]);
    }
    let mut fields: Vec<&Col> = keys.iter().collect();
    fields.extend(dist.iter());
    let mut lines = Vec::new();
    lines.extend(presence_line(&fields));
    lines.extend(copy_line(&fields));
    lines.push(format!("| eval window_start=floor(_time/{s})*{s}"));
    let agg = match &dist {
        Some(d) => format!("dc({}) as distinct", d.by),
        None => "count as count".to_string(),
    };
    lines.push(format!("| stats {agg} by{} window_start", by_list(&keys)));
    lines.push(format!("| where {figure}{}{value}", super::cmp_op(op)));
    output_lines(&keys, &["window_start", figure], &mut lines);
    Ok(StageSpl {
        base_suffix: String::new(),
        lines,
    })
}

// ---------------------------------------------------------------------------------------------
// new
// ---------------------------------------------------------------------------------------------

fn first_seen(
    fields: &[Field],
    baseline: Duration,
    window: Duration,
    span: Span,
    ctx: &Ctx,
) -> Result<StageSpl, Vec<TargetError>> {
    let keys = key_columns(fields, &["first_seen"], ctx, span)?;
    let w = window.seconds;
    let Some(total) = baseline.seconds.checked_add(w) else {
        return Err(vec![unsupported(
            TARGET,
            Construct::StageWindow,
            "this baseline and window",
            span,
            "their sum does not fit in 64 bits",
            None,
        )]);
    };
    let read = u128::from(total) + 1;
    let cols: Vec<&Col> = keys.iter().collect();
    let mut lines = Vec::new();
    lines.extend(presence_line(&cols));
    lines.extend(copy_line(&cols));
    lines.push(format!("| where _time>=now()-{total} AND _time<now()"));
    lines.push(format!("| eval _b=if(_time<now()-{w}, 1, 0)"));
    lines.push(format!(
        "| stats max(_b) as _b min(_time) as first_seen{}",
        if keys.is_empty() {
            String::new()
        } else {
            format!(" by{}", by_list(&keys))
        }
    ));
    lines.push("| where _b==0".to_string());
    output_lines(&keys, &["first_seen"], &mut lines);
    Ok(StageSpl {
        base_suffix: format!(" earliest=-{read}s latest=now"),
        lines,
    })
}

// ---------------------------------------------------------------------------------------------
// sequence
// ---------------------------------------------------------------------------------------------

/// A step's expression with its fields mapped on this target.
fn map_step(step: &Step, ctx: &Ctx, span: Span) -> Result<Expr, Vec<TargetError>> {
    let mut expr = step.expr.clone();
    let mut errors = Vec::new();
    let place = format!(" (in sequence step `{}`)", step.name);
    let mut map = |f: &mut Field| match map_stage_field(f, ctx, span, &place) {
        Ok(m) => *f = m,
        Err(e) => errors.push(e),
    };
    expr.preds_mut(&mut |p| {
        map(&mut p.field);
        if let crate::ir::Test::FieldEq { other, .. } = &mut p.test {
            map(other);
        }
    });
    if errors.is_empty() {
        Ok(expr)
    } else {
        Err(errors)
    }
}

fn sequence(
    by: &[Field],
    within: Duration,
    steps: &[Step],
    span: Span,
    ctx: &Ctx,
) -> Result<StageSpl, Vec<TargetError>> {
    let keys = key_columns(by, &["start", "end"], ctx, span);
    let mut flags = Vec::new();
    let mut errors = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match map_step(step, ctx, span).and_then(|e| where_expr(&e, false)) {
            Ok(w) => flags.push(format!("_s{}=if({}, 1, 0)", i + 1, super::STYLE.render(&w))),
            Err(es) => errors.extend(es),
        }
    }
    let keys = match keys {
        Ok(k) if errors.is_empty() => k,
        Ok(_) => return Err(errors),
        Err(mut es) => {
            es.extend(errors);
            return Err(es);
        }
    };
    let n = steps.len();
    if n == 0 {
        return Err(vec![unsupported(
            TARGET,
            Construct::SequenceShape,
            "a sequence without steps",
            span,
            "there is nothing to match",
            None,
        )]);
    }
    let by = by_list(&keys);
    let by_clause = if keys.is_empty() {
        String::new()
    } else {
        format!(" by{by}")
    };
    let within_ms = u128::from(within.seconds) * 1000;
    let cols: Vec<&Col> = keys.iter().collect();
    let mut lines = Vec::new();
    lines.extend(presence_line(&cols));
    lines.extend(copy_line(&cols));
    lines.push(format!("| eval {}", flags.join(", ")));
    let any: Vec<String> = (1..=n).map(|k| format!("_s{k}==1")).collect();
    lines.push(format!("| where {}", any.join(" OR ")));
    let maxes: Vec<String> = (1..=n).map(|k| format!("max(_s{k}) as _s{k}")).collect();
    lines.push(format!("| stats {} by{by} _time", maxes.join(" ")));
    lines.push(format!("| sort 0{by} _time"));
    lines.push("| eval _c1=if(_s1==1, _time, null())".to_string());
    for k in 2..=n {
        let p = k - 1;
        lines.push(format!(
            "| streamstats current=f max(_c{p}) as _p{p}{by_clause}"
        ));
        lines.push(format!(
            "| eval _c{k}=if(_s{k}==1 AND isnotnull(_p{p}) AND round((_time-_p{p})*1000)<={within_ms}, _p{p}, null())"
        ));
    }
    lines.push(format!("| where isnotnull(_c{n})"));
    lines.push(format!("| eval start=_c{n}, end=_time"));
    output_lines(&keys, &["start", "end"], &mut lines);
    Ok(StageSpl {
        base_suffix: String::new(),
        lines,
    })
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::super::validate;
    use crate::catalog::Catalog;
    use crate::driver::{self, Error, Options};
    use crate::ir::{self, CmpOp, Duration, Expr, Field, Pred, Quant, Span, Stage, Step, Test};
    use crate::targets::TargetError;

    const CATALOG: &str = r#"
sources:
  t.src:
    description: test
    logsource: {product: t}
    timestamp: Time
    fields:
      Time: string
      User: string
      Ip: ip
      App: string
      Op: string
      Code: number
      Nested.name: string
      Gone: string
      Swap1: string
      Swap2: string
      Same1: string
      Same2: string
      Ws: string
      window_start: string
      start: string
      count: string
      _hidden: string
    targets:
      spl:
        base: 'index={index} sourcetype="t"'
        index: t
        timestamp: _time
        fields:
          User: user.name
          Ip: src_ip
          App: {expr: 'spath(_raw, "app.id")'}
          Nested.name: 'nested{}.name'
          Gone: {unavailable: 'not extracted'}
          Swap1: Swap2
          Swap2: Swap1
          Same1: shared
          Same2: shared
          Ws: window_start
  t.notime:
    description: test
    logsource: {product: t}
    timestamp: Time
    fields:
      Time: string
      User: string
    targets:
      spl:
        base: 'index=t'
  t.othertime:
    description: test
    logsource: {product: t}
    timestamp: Time
    fields:
      Time: string
      User: string
    targets:
      spl:
        base: 'index=t'
        timestamp: eventTime
"#;

    const HEAD: &str = "title \"T\" id 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 status test level high date 2024-03-01 description \"D.\"";

    /// A file with the conditions `a`, `b`, `c` and one rule `r` over `source`.
    fn file(source: &str, matching: &str, stage: &str) -> String {
        format!(
            "condition a = Op == \"a\"\ncondition b = Op == \"b\"\ncondition c = Op == \"c\"\n\
             rule r {{ {HEAD}\n    source {source}\n    match {matching}\n    {stage} }}\n"
        )
    }

    fn builtin_file(source: &str, matching: &str, stage: &str) -> String {
        format!(
            "condition failed = ResultType == 50126\ncondition succeeded = ResultType == 0\n\
             rule r {{ {HEAD}\n    source {source}\n    match {matching}\n    {stage} }}\n"
        )
    }

    fn run(text: &str, catalog: Option<&str>) -> Result<String, Vec<Error>> {
        let mut opts = Options::new("spl", None).expect("spl");
        if let Some(c) = catalog {
            opts = opts.with_catalog(Catalog::from_yaml(c, "test").expect("catalog"));
        }
        let out = driver::compile(text, &opts);
        if !out.diagnostics.is_empty() {
            return Err(out.diagnostics.into_iter().map(|d| d.error).collect());
        }
        assert_eq!(out.outputs.len(), 1);
        let text = out.outputs[0].text.clone();
        validate(&text).unwrap_or_else(|e| panic!("invalid SPL ({e}):\n{text}"));
        Ok(text)
    }

    fn ok(text: &str) -> String {
        run(text, Some(CATALOG)).unwrap_or_else(|e| panic!("refused: {e:?}"))
    }

    fn ok_builtin(text: &str) -> String {
        run(text, None).unwrap_or_else(|e| panic!("refused: {e:?}"))
    }

    /// The constructs refused, each with the text its span starts at.
    fn refused(text: &str) -> Vec<(String, String)> {
        match run(text, Some(CATALOG)) {
            Ok(t) => panic!("expected a refusal, got:\n{t}"),
            Err(es) => es
                .into_iter()
                .map(|e| match e {
                    Error::Target(TargetError::Unsupported {
                        construct, span, ..
                    }) => {
                        let at: String = text[span.offset()..].chars().take(12).collect();
                        (construct, at)
                    }
                    // Since the mapping pass maps stage fields, an unavailable field is
                    // reported there, with its own code.
                    Error::Map(m) => {
                        let at: String = text[m.span.offset()..].chars().take(12).collect();
                        (format!("the field `{}` (unavailable)", m.field), at)
                    }
                    other => panic!("unexpected {other:?}"),
                })
                .collect(),
        }
    }

    // ----- the brief's four examples, on the built-in catalog -----

    #[test]
    fn spray() {
        assert_eq!(
            ok_builtin(&builtin_file(
                "azure.signinlogs",
                "ResultType == 50126",
                "threshold distinct UserPrincipalName >= 10 by IPAddress window 1h"
            )),
            "index=azure sourcetype=\"azure:monitor:aad\" category=SignInLogs\n\
             | where (isnotnull(resultType) AND match(resultType, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\") AND tonumber(resultType)==50126)\n\
             | where isnotnull('properties.ipAddress') AND len('properties.ipAddress')>0 AND isnotnull('properties.userPrincipalName') AND len('properties.userPrincipalName')>0\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats dc(properties.userPrincipalName) as distinct by properties.ipAddress window_start\n\
             | where distinct>=10\n\
             | table properties.ipAddress window_start distinct\n\
             | rename properties.ipAddress AS IPAddress\n"
        );
    }

    #[test]
    fn brute() {
        assert_eq!(
            ok_builtin(&builtin_file(
                "azure.signinlogs",
                "ResultType exists",
                "sequence by UserPrincipalName within 30m [failed, succeeded]"
            )),
            "index=azure sourcetype=\"azure:monitor:aad\" category=SignInLogs\n\
             | where (isnotnull(resultType) AND len(resultType)>0)\n\
             | where isnotnull('properties.userPrincipalName') AND len('properties.userPrincipalName')>0\n\
             | eval _s1=if((isnotnull(resultType) AND match(resultType, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\") AND tonumber(resultType)==50126), 1, 0), \
             _s2=if((isnotnull(resultType) AND match(resultType, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\") AND tonumber(resultType)==0), 1, 0)\n\
             | where _s1==1 OR _s2==1\n\
             | stats max(_s1) as _s1 max(_s2) as _s2 by properties.userPrincipalName _time\n\
             | sort 0 properties.userPrincipalName _time\n\
             | eval _c1=if(_s1==1, _time, null())\n\
             | streamstats current=f max(_c1) as _p1 by properties.userPrincipalName\n\
             | eval _c2=if(_s2==1 AND isnotnull(_p1) AND round((_time-_p1)*1000)<=1800000, _p1, null())\n\
             | where isnotnull(_c2)\n\
             | eval start=_c2, end=_time\n\
             | table properties.userPrincipalName start end\n\
             | rename properties.userPrincipalName AS UserPrincipalName\n"
        );
    }

    #[test]
    fn newapp() {
        assert_eq!(
            ok_builtin(&builtin_file(
                "azure.signinlogs",
                "ResultType == 0",
                "new AppId baseline 13d window 1d"
            )),
            "index=azure sourcetype=\"azure:monitor:aad\" category=SignInLogs earliest=-1209601s latest=now\n\
             | where (isnotnull(resultType) AND match(resultType, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\") AND tonumber(resultType)==0)\n\
             | where isnotnull('properties.appId') AND len('properties.appId')>0\n\
             | where _time>=now()-1209600 AND _time<now()\n\
             | eval _b=if(_time<now()-86400, 1, 0)\n\
             | stats max(_b) as _b min(_time) as first_seen by properties.appId\n\
             | where _b==0\n\
             | table properties.appId first_seen\n\
             | rename properties.appId AS AppId\n"
        );
    }

    #[test]
    fn volume() {
        assert_eq!(
            ok_builtin(&builtin_file(
                "m365.audit",
                "Operation == \"MailItemsAccessed\"",
                "threshold count > 100 by UserId window 1h"
            )),
            "index=o365 sourcetype=\"o365:management:activity\"\n    \
             Operation=\"MailItemsAccessed\"\n\
             | where isnotnull(UserId) AND len(UserId)>0\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats count as count by UserId window_start\n\
             | where count>100\n\
             | table UserId window_start count\n"
        );
    }

    // ----- threshold -----

    #[test]
    fn threshold_without_keys_and_every_operator() {
        for (op, sym) in [
            ("<", "<"),
            ("<=", "<="),
            ("==", "=="),
            ("!=", "!="),
            (">", ">"),
            (">=", ">="),
        ] {
            let out = ok(&file(
                "t.src",
                "Op == \"a\"",
                &format!("threshold count {op} 5 window 90m"),
            ));
            assert_eq!(
                out,
                format!(
                    "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
                     | eval window_start=floor(_time/5400)*5400\n\
                     | stats count as count by window_start\n\
                     | where count{sym}5\n\
                     | table window_start count\n"
                )
            );
        }
    }

    #[test]
    fn threshold_odd_window_and_several_keys() {
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "threshold count >= 3 by User, Ip, User window 1d1s"
            )),
            "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
             | where isnotnull('user.name') AND len('user.name')>0 AND isnotnull(src_ip) AND len(src_ip)>0\n\
             | eval window_start=floor(_time/86401)*86401\n\
             | stats count as count by user.name src_ip window_start\n\
             | where count>=3\n\
             | table user.name src_ip window_start count\n\
             | rename user.name AS User, src_ip AS Ip\n"
        );
    }

    #[test]
    fn expression_and_quoted_fields_are_copied_to_internal_names() {
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "threshold distinct App < 2 by Nested.name window 1h"
            )),
            "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
             | where isnotnull('nested{}.name') AND len('nested{}.name')>0 AND isnotnull(spath(_raw, \"app.id\")) AND len(spath(_raw, \"app.id\"))>0\n\
             | eval _k1='nested{}.name', _d=spath(_raw, \"app.id\")\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats dc(_d) as distinct by _k1 window_start\n\
             | where distinct<2\n\
             | table _k1 window_start distinct\n\
             | rename _k1 AS Nested.name\n"
        );
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "threshold count > 1 by App window 1h"
            )),
            "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
             | where isnotnull(spath(_raw, \"app.id\")) AND len(spath(_raw, \"app.id\"))>0\n\
             | eval _k1=spath(_raw, \"app.id\")\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats count as count by _k1 window_start\n\
             | where count>1\n\
             | table _k1 window_start count\n\
             | rename _k1 AS App\n"
        );
    }

    #[test]
    fn columns_that_collide_with_output_names_are_copied() {
        // Swap1 and Swap2 are each other's columns: renaming in place would swap them back.
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "threshold count > 1 by Swap1, Swap2 window 1h"
            )),
            "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
             | where isnotnull(Swap2) AND len(Swap2)>0 AND isnotnull(Swap1) AND len(Swap1)>0\n\
             | eval _k1=Swap2, _k2=Swap1\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats count as count by _k1 _k2 window_start\n\
             | where count>1\n\
             | table _k1 _k2 window_start count\n\
             | rename _k1 AS Swap1, _k2 AS Swap2\n"
        );
        // Two keys on one column.
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "threshold count > 1 by Same1, Same2 window 1h"
            )),
            "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
             | where isnotnull(shared) AND len(shared)>0\n\
             | eval _k2=shared\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats count as count by shared _k2 window_start\n\
             | where count>1\n\
             | table shared _k2 window_start count\n\
             | rename shared AS Same1, _k2 AS Same2\n"
        );
        // A column named like the window start would be overwritten by its `eval`.
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "threshold distinct Ws > 1 by Ws window 1h"
            )),
            "index=t sourcetype=\"t\"\n    Op=\"a\"\n\
             | where isnotnull(window_start) AND len(window_start)>0\n\
             | eval _k1=window_start, _d=window_start\n\
             | eval window_start=floor(_time/3600)*3600\n\
             | stats dc(_d) as distinct by _k1 window_start\n\
             | where distinct>1\n\
             | table _k1 window_start distinct\n\
             | rename _k1 AS Ws\n"
        );
    }

    // ----- new -----

    #[test]
    fn first_seen_with_several_fields() {
        assert_eq!(
            ok(&file(
                "t.src",
                "Op == \"a\"",
                "new User, App baseline 6d12h window 90m"
            )),
            "index=t sourcetype=\"t\" earliest=-567001s latest=now\n    Op=\"a\"\n\
             | where isnotnull('user.name') AND len('user.name')>0 AND isnotnull(spath(_raw, \"app.id\")) AND len(spath(_raw, \"app.id\"))>0\n\
             | eval _k2=spath(_raw, \"app.id\")\n\
             | where _time>=now()-567000 AND _time<now()\n\
             | eval _b=if(_time<now()-5400, 1, 0)\n\
             | stats max(_b) as _b min(_time) as first_seen by user.name _k2\n\
             | where _b==0\n\
             | table user.name _k2 first_seen\n\
             | rename user.name AS User, _k2 AS App\n"
        );
    }

    // ----- sequence -----

    #[test]
    fn sequence_of_three_steps() {
        assert_eq!(
            ok(&file(
                "t.src",
                "Code > 0",
                "sequence by User, Ip within 1h [a, b, c]"
            )),
            "index=t sourcetype=\"t\"\n\
             | where (isnotnull(Code) AND match(Code, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\") AND tonumber(Code)>0)\n\
             | where isnotnull('user.name') AND len('user.name')>0 AND isnotnull(src_ip) AND len(src_ip)>0\n\
             | eval _s1=if((isnotnull(Op) AND lower(Op)==\"a\"), 1, 0), _s2=if((isnotnull(Op) AND lower(Op)==\"b\"), 1, 0), _s3=if((isnotnull(Op) AND lower(Op)==\"c\"), 1, 0)\n\
             | where _s1==1 OR _s2==1 OR _s3==1\n\
             | stats max(_s1) as _s1 max(_s2) as _s2 max(_s3) as _s3 by user.name src_ip _time\n\
             | sort 0 user.name src_ip _time\n\
             | eval _c1=if(_s1==1, _time, null())\n\
             | streamstats current=f max(_c1) as _p1 by user.name src_ip\n\
             | eval _c2=if(_s2==1 AND isnotnull(_p1) AND round((_time-_p1)*1000)<=3600000, _p1, null())\n\
             | streamstats current=f max(_c2) as _p2 by user.name src_ip\n\
             | eval _c3=if(_s3==1 AND isnotnull(_p2) AND round((_time-_p2)*1000)<=3600000, _p2, null())\n\
             | where isnotnull(_c3)\n\
             | eval start=_c3, end=_time\n\
             | table user.name src_ip start end\n\
             | rename user.name AS User, src_ip AS Ip\n"
        );
    }

    #[test]
    fn sequence_steps_are_two_valued_and_mapped() {
        let text = "condition a = not (App == \"x\")\ncondition b = User matches r\"^adm\" or Nested.name exists\n"
            .to_string()
            + &format!(
                "rule r {{ {HEAD}\n    source t.src\n    match Op exists\n    sequence by Ip within 10s [a, b] }}\n"
            );
        let out = ok(&text);
        assert!(
            out.contains(
                "| eval _s1=if((isnull(spath(_raw, \"app.id\")) OR NOT (lower(spath(_raw, \"app.id\"))==\"x\")), 1, 0), \
                 _s2=if(((isnotnull('user.name') AND len('user.name')>0 AND match('user.name', \"(?i)^adm\")) OR (isnotnull('nested{}.name') AND len('nested{}.name')>0)), 1, 0)\n"
            ),
            "{out}"
        );
        assert!(out.contains("round((_time-_p1)*1000)<=10000"), "{out}");
    }

    // ----- refusals -----

    #[test]
    fn unavailable_fields_are_refused_at_the_stage() {
        assert_eq!(
            refused(&file(
                "t.src",
                "Op == \"a\"",
                "threshold distinct Gone > 1 by Gone, User window 1h"
            )),
            vec![
                (
                    "the field `Gone` (unavailable)".to_string(),
                    "threshold di".to_string()
                ),
                (
                    "the field `Gone` (unavailable)".to_string(),
                    "threshold di".to_string()
                ),
            ]
        );
        assert_eq!(
            refused(&file(
                "t.src",
                "Op == \"a\"",
                "new Gone baseline 1d window 1h"
            )),
            vec![(
                "the field `Gone` (unavailable)".to_string(),
                "new Gone bas".to_string()
            )]
        );
        let text = "condition a = Gone == \"x\"\ncondition b = Op == \"b\"\n".to_string()
            + &format!(
                "rule r {{ {HEAD}\n    source t.src\n    match Op exists\n    sequence by User within 10s [a, b] }}\n"
            );
        assert_eq!(
            refused(&text),
            vec![(
                "the field `Gone` (unavailable)".to_string(),
                "Gone == \"x\"\n".to_string()
            )]
        );
    }

    #[test]
    fn keys_named_like_outputs_or_internal_fields_are_refused() {
        assert_eq!(
            refused(&file(
                "t.src",
                "Op == \"a\"",
                "threshold count > 1 by count, window_start, _hidden window 1h"
            )),
            vec![
                (
                    "the key field `count`".to_string(),
                    "threshold co".to_string()
                ),
                (
                    "the key field `window_start`".to_string(),
                    "threshold co".to_string()
                ),
                (
                    "the key field `_hidden`".to_string(),
                    "threshold co".to_string()
                ),
            ]
        );
        assert_eq!(
            refused(&file(
                "t.src",
                "Op == \"a\"",
                "sequence by start within 1h [a, b]"
            )),
            vec![(
                "the key field `start`".to_string(),
                "sequence by ".to_string()
            )]
        );
        // Not an output name of this stage: allowed.
        ok(&file(
            "t.src",
            "Op == \"a\"",
            "sequence by count within 1h [a, b]",
        ));
    }

    #[test]
    fn step_refusals_point_at_the_step_expression() {
        let text = "condition a = Op == \"é\"\ncondition b = Op == \"b\"\n".to_string()
            + &format!(
                "rule r {{ {HEAD}\n    source t.src\n    match Op exists\n    sequence by User within 10s [a, b] }}\n"
            );
        assert_eq!(
            refused(&text),
            vec![(
                "a case-insensitive comparison with a non-ASCII letter".to_string(),
                "Op == \"é\"\nco".to_string()
            )]
        );
    }

    #[test]
    fn refusals_from_match_and_stage_are_reported_together() {
        let got = refused(&file(
            "t.src",
            "Op == \"é\" and User exists",
            "threshold count > 1 by _hidden window 1h",
        ));
        let constructs: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(
            constructs,
            vec![
                "a case-insensitive comparison with a non-ASCII letter",
                "the key field `_hidden`"
            ]
        );
    }

    #[test]
    fn time_column_must_be_time() {
        assert_eq!(
            refused(&file(
                "t.othertime",
                "User exists",
                "threshold count > 1 window 1h"
            )),
            vec![(
                "a stateful stage over the time column `eventTime`".to_string(),
                "threshold co".to_string()
            )]
        );
        match run(
            &file("t.notime", "User exists", "threshold count > 1 window 1h"),
            Some(CATALOG),
        ) {
            Err(es) => match &es[..] {
                [Error::Target(TargetError::NoTable { what, .. })] => assert_eq!(what, "timestamp"),
                other => panic!("{other:?}"),
            },
            Ok(t) => panic!("{t}"),
        }
    }

    // ----- fields the language cannot name, straight from the IR -----

    fn ir_field(name: &str) -> Field {
        Field {
            name: name.into(),
            ty: crate::catalog::FieldType::String,
            mapped: None,
        }
    }

    fn ir_compile(stage: Stage) -> Result<String, Vec<TargetError>> {
        use crate::targets::{Ctx, Target, TargetOptions};
        let cat = Catalog::from_yaml(CATALOG, "test").expect("catalog");
        let src = &cat.sources["t.src"];
        let rule = ir::Rule {
            name: "r".into(),
            meta: Default::default(),
            source: "t.src".into(),
            expr: Expr::Pred(Pred {
                field: Field {
                    mapped: Some(crate::catalog::Mapped::Column("Op".into())),
                    ..ir_field("Op")
                },
                test: Test::Exists,
                span: Span::new(1, 2),
            }),
            span: Span::new(0, 50),
            stage: Some(stage),
            tests: Vec::new(),
            test_files: Vec::new(),
            stream_tests: Vec::new(),
        };
        let opts = TargetOptions::default();
        let ctx = Ctx {
            source: src,
            source_name: "t.src",
            opts: &opts,
            catalog_key: "spl",
        };
        let out = super::super::Spl.compile_rule(&rule, &ctx);
        if let Ok(t) = &out {
            validate(t).unwrap_or_else(|e| panic!("invalid SPL ({e}):\n{t}"));
        }
        out
    }

    fn threshold_by(names: &[&str]) -> Stage {
        Stage::Threshold {
            distinct: None,
            op: CmpOp::Gt,
            value: 1,
            by: names.iter().map(|n| ir_field(n)).collect(),
            window: Duration { seconds: 60 },
            span: Span::new(10, 20),
        }
    }

    #[test]
    fn unwritable_key_names_are_refused() {
        for name in ["a*b", "say\"x", "back\\slash", "it's"] {
            match ir_compile(threshold_by(&[name])) {
                Err(es) => match &es[..] {
                    [TargetError::Unsupported {
                        construct, span, ..
                    }] => {
                        assert!(construct.starts_with("the key field"), "{construct}");
                        assert_eq!(*span, miette::SourceSpan::from((10, 10)));
                    }
                    other => panic!("{other:?}"),
                },
                Ok(t) => panic!("{name}: {t}"),
            }
        }
        // A name that needs quotes but can be written: copied, then renamed to a quoted name.
        let out = ir_compile(threshold_by(&["user name", "OperationProperties{}.Name"])).unwrap();
        assert_eq!(
            out,
            "index=t sourcetype=\"t\"\n\
             | where (isnotnull(Op) AND len(Op)>0)\n\
             | where isnotnull('user name') AND len('user name')>0 AND isnotnull('OperationProperties{}.Name') AND len('OperationProperties{}.Name')>0\n\
             | eval _k1='user name', _k2='OperationProperties{}.Name'\n\
             | eval window_start=floor(_time/60)*60\n\
             | stats count as count by _k1 _k2 window_start\n\
             | where count>1\n\
             | table _k1 _k2 window_start count\n\
             | rename _k1 AS \"user name\", _k2 AS \"OperationProperties{}.Name\"\n"
        );
    }

    #[test]
    fn degenerate_stages_do_not_panic() {
        let zero = Stage::Threshold {
            distinct: None,
            op: CmpOp::Ge,
            value: 1,
            by: Vec::new(),
            window: Duration { seconds: 0 },
            span: Span::new(10, 20),
        };
        assert!(ir_compile(zero).is_err());
        let huge = Stage::FirstSeen {
            fields: vec![ir_field("User")],
            baseline: Duration { seconds: u64::MAX },
            window: Duration { seconds: 1 },
            span: Span::new(10, 20),
        };
        assert!(ir_compile(huge).is_err());
        let big = Stage::FirstSeen {
            fields: Vec::new(),
            baseline: Duration {
                seconds: u64::MAX - 1,
            },
            window: Duration { seconds: 1 },
            span: Span::new(10, 20),
        };
        let out = ir_compile(big).unwrap();
        assert!(out.contains("earliest=-18446744073709551616s"), "{out}");
        assert!(
            out.contains("| stats max(_b) as _b min(_time) as first_seen\n"),
            "{out}"
        );
        assert!(
            out.ends_with("| where _b==0\n| table first_seen\n"),
            "{out}"
        );
        let none = Stage::Sequence {
            by: vec![ir_field("User")],
            within: Duration { seconds: 1 },
            steps: Vec::new(),
            span: Span::new(10, 20),
        };
        assert!(ir_compile(none).is_err());
        let one = Stage::Sequence {
            by: Vec::new(),
            within: Duration { seconds: u64::MAX },
            steps: vec![Step {
                name: "a".into(),
                expr: Expr::Pred(Pred {
                    field: ir_field("Op"),
                    test: Test::Exists,
                    span: Span::new(1, 2),
                }),
            }],
            span: Span::new(10, 20),
        };
        let out = ir_compile(one).unwrap();
        assert!(
            out.contains("| stats max(_s1) as _s1 by _time\n| sort 0 _time\n"),
            "{out}"
        );
        assert!(
            out.ends_with(
                "| where isnotnull(_c1)\n| eval start=_c1, end=_time\n| table start end\n"
            ),
            "{out}"
        );
    }

    // ----- the sequence scheme agrees with the evaluator -----

    /// What the emitted sequence computes, written out in Rust: collapse to one row per
    /// (key, time) with step flags, sort, `_c1`, then per step `last()` of the previous `_c`
    /// over earlier rows of the key, ignoring nulls. Returns (key, start ms, end ms).
    fn spl_model(
        rows: &[(Option<&str>, i64, Vec<bool>)],
        within_ms: i64,
    ) -> Vec<(String, i64, i64)> {
        use std::collections::BTreeMap;
        let n = rows.first().map_or(0, |r| r.2.len());
        let mut collapsed: BTreeMap<(String, i64), Vec<bool>> = BTreeMap::new();
        for (k, t, flags) in rows {
            let Some(k) = k else { continue };
            if !flags.iter().any(|f| *f) {
                continue;
            }
            let slot = collapsed
                .entry((k.to_string(), *t))
                .or_insert_with(|| vec![false; n]);
            for (i, f) in flags.iter().enumerate() {
                slot[i] |= *f;
            }
        }
        let mut out = Vec::new();
        let mut prev_key: Option<String> = None;
        // Per key: every earlier row's `_c` values.
        let mut history: Vec<Vec<Option<i64>>> = Vec::new();
        for ((k, t), flags) in collapsed {
            if prev_key.as_deref() != Some(k.as_str()) {
                history.clear();
                prev_key = Some(k.clone());
            }
            let mut c: Vec<Option<i64>> = vec![None; n];
            c[0] = flags[0].then_some(t);
            for s in 1..n {
                // streamstats current=f max(_c{s}): latest non-null on an earlier row.
                let p = history.iter().rev().find_map(|row| row[s - 1]);
                c[s] = match p {
                    Some(p) if flags[s] && t - p <= within_ms => Some(p),
                    _ => None,
                };
            }
            if let Some(start) = c[n - 1] {
                out.push((k.clone(), start, t));
            }
            history.push(c);
        }
        out
    }

    fn step_on(values: &[&str]) -> Expr {
        Expr::Pred(Pred {
            field: ir_field("S"),
            test: Test::Str {
                op: crate::ir::StrOp::Eq,
                values: values.iter().map(|v| v.to_string()).collect(),
                quant: Quant::Any,
                cased: true,
            },
            span: Span::default(),
        })
    }

    proptest::proptest! {
        #[test]
        fn sequence_scheme_matches_the_evaluator(
            events in proptest::collection::vec(
                (proptest::option::of(0usize..2), 0i64..20, 0usize..5),
                0..14,
            ),
            three in proptest::bool::ANY,
            within in 1u64..8,
        ) {
            use serde_json::json;
            let values = ["x", "y", "xy", "z", "w"];
            let mut steps = vec![
                Step { name: "a".into(), expr: step_on(&["x", "xy"]) },
                Step { name: "b".into(), expr: step_on(&["y", "xy"]) },
            ];
            if three {
                steps.push(Step { name: "c".into(), expr: step_on(&["z"]) });
            }
            let stage = Stage::Sequence {
                by: vec![ir_field("K")],
                within: Duration { seconds: within },
                steps: steps.clone(),
                span: Span::default(),
            };
            let rule = ir::Rule {
                name: "r".into(),
                meta: Default::default(),
                source: "s".into(),
                expr: Expr::Pred(Pred { field: ir_field("S"), test: Test::Exists, span: Span::default() }),
                span: Span::default(),
                stage: Some(stage.clone()),
                tests: Vec::new(),
                test_files: Vec::new(),
                stream_tests: Vec::new(),
            };
            let keys = ["k1", "k2"];
            let mut json_events = Vec::new();
            let mut rows = Vec::new();
            for (k, sec, v) in &events {
                let t = 1_700_000_000_000i64 + sec * 1000;
                let mut e = json!({"t": crate::time::format(t), "S": values[*v]});
                if let Some(k) = k {
                    e["K"] = json!(keys[*k]);
                }
                json_events.push(e);
                let flags: Vec<bool> = steps
                    .iter()
                    .map(|s| match &s.expr {
                        Expr::Pred(Pred { test: Test::Str { values: vs, .. }, .. }) => {
                            vs.iter().any(|x| x == values[*v])
                        }
                        _ => unreachable!(),
                    })
                    .collect();
                rows.push((k.map(|k| keys[k]), t, flags));
            }
            let mut ev = crate::eval::Evaluator::new();
            let got = crate::eval::stage::run(&mut ev, &rule, &stage, &json_events, "t", i64::MAX);
            let mut expected: Vec<(String, String, String)> = spl_model(&rows, within as i64 * 1000)
                .into_iter()
                .map(|(k, s, e)| (k, crate::time::format(s), crate::time::format(e)))
                .collect();
            let mut actual: Vec<(String, String, String)> = got
                .iter()
                .map(|a| (
                    a["K"].as_str().unwrap().to_string(),
                    a["start"].as_str().unwrap().to_string(),
                    a["end"].as_str().unwrap().to_string(),
                ))
                .collect();
            expected.sort();
            actual.sort();
            proptest::prop_assert_eq!(expected, actual);
        }
    }

    // ----- the threshold and new schemes agree with the evaluator -----

    fn run_eval(
        stage: &Stage,
        events: &[serde_json::Value],
        now: i64,
    ) -> Vec<crate::eval::stage::Alert> {
        let rule = ir::Rule {
            name: "r".into(),
            meta: Default::default(),
            source: "s".into(),
            expr: Expr::Pred(Pred {
                field: ir_field("S"),
                test: Test::Exists,
                span: Span::default(),
            }),
            span: Span::default(),
            stage: Some(stage.clone()),
            tests: Vec::new(),
            test_files: Vec::new(),
            stream_tests: Vec::new(),
        };
        let mut ev = crate::eval::Evaluator::new();
        crate::eval::stage::run(&mut ev, &rule, stage, events, "t", now)
    }

    /// A random event: key (maybe missing), distinct value (maybe missing), second.
    fn event(k: Option<usize>, d: Option<usize>, sec: i64) -> serde_json::Value {
        let mut e = serde_json::json!({"t": crate::time::format(sec * 1000), "S": "s"});
        if let Some(k) = k {
            e["K"] = serde_json::json!(["k1", "k2"][k]);
        }
        if let Some(d) = d {
            e["D"] = serde_json::json!(["a", "b", "A"][d]);
        }
        e
    }

    proptest::proptest! {
        /// `where` on presence, `floor(_time/W)*W`, `stats count`/`dc` by key and window,
        /// `where <figure><op>n`.
        #[test]
        fn threshold_scheme_matches_the_evaluator(
            events in proptest::collection::vec(
                (proptest::option::of(0usize..2), proptest::option::of(0usize..3), 0i64..40),
                0..16,
            ),
            distinct in proptest::bool::ANY,
            window in 1u64..12,
            n in 0u64..4,
            op in 0usize..6,
        ) {
            use std::collections::{BTreeMap, BTreeSet};
            let ops = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
            let stage = Stage::Threshold {
                distinct: distinct.then(|| ir_field("D")),
                op: ops[op],
                value: n,
                by: vec![ir_field("K")],
                window: Duration { seconds: window },
                span: Span::default(),
            };
            let json: Vec<_> = events.iter().map(|(k, d, t)| event(*k, *d, *t)).collect();
            let got = run_eval(&stage, &json, i64::MAX);
            let mut model: BTreeMap<(String, i64), (u64, BTreeSet<usize>)> = BTreeMap::new();
            for (k, d, t) in &events {
                let Some(k) = k else { continue };
                if distinct && d.is_none() {
                    continue;
                }
                let w = window as i64;
                let start = (*t as f64 / w as f64).floor() as i64 * w;
                let g = model.entry((["k1", "k2"][*k].to_string(), start)).or_default();
                g.0 += 1;
                if let Some(d) = d {
                    g.1.insert(*d);
                }
            }
            let mut expected: Vec<(String, String, u64)> = model
                .into_iter()
                .map(|((k, start), (c, ds))| (k, start, if distinct { ds.len() as u64 } else { c }))
                .filter(|(_, _, fig)| ops[op].holds(*fig, n))
                .map(|(k, start, fig)| (k, crate::time::format(start * 1000), fig))
                .collect();
            let figure = if distinct { "distinct" } else { "count" };
            let mut actual: Vec<(String, String, u64)> = got
                .iter()
                .map(|a| (
                    a["K"].as_str().unwrap().to_string(),
                    a["window_start"].as_str().unwrap().to_string(),
                    a[figure].as_u64().unwrap(),
                ))
                .collect();
            expected.sort();
            actual.sort();
            proptest::prop_assert_eq!(expected, actual);
        }

        /// `where _time>=now()-(B+W) AND _time<now()`, `_b=if(_time<now()-W,1,0)`,
        /// `stats max(_b) min(_time) by key`, `where _b==0`.
        #[test]
        fn first_seen_scheme_matches_the_evaluator(
            events in proptest::collection::vec(
                (proptest::option::of(0usize..2), 0i64..40),
                0..16,
            ),
            baseline in 1u64..15,
            window in 1u64..15,
            now in 10i64..45,
        ) {
            use std::collections::BTreeMap;
            let stage = Stage::FirstSeen {
                fields: vec![ir_field("K")],
                baseline: Duration { seconds: baseline },
                window: Duration { seconds: window },
                span: Span::default(),
            };
            let json: Vec<_> = events.iter().map(|(k, t)| event(*k, None, *t)).collect();
            let got = run_eval(&stage, &json, now * 1000);
            let (b, w) = (baseline as i64, window as i64);
            let mut model: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for (k, t) in &events {
                let Some(k) = k else { continue };
                if !(*t >= now - (b + w) && *t < now) {
                    continue;
                }
                let in_base = i64::from(*t < now - w);
                let g = model.entry(["k1", "k2"][*k].to_string()).or_insert((0, i64::MAX));
                g.0 = g.0.max(in_base);
                g.1 = g.1.min(*t);
            }
            let mut expected: Vec<(String, String)> = model
                .into_iter()
                .filter(|(_, (seen, _))| *seen == 0)
                .map(|(k, (_, first))| (k, crate::time::format(first * 1000)))
                .collect();
            let mut actual: Vec<(String, String)> = got
                .iter()
                .map(|a| (
                    a["K"].as_str().unwrap().to_string(),
                    a["first_seen"].as_str().unwrap().to_string(),
                ))
                .collect();
            expected.sort();
            actual.sort();
            proptest::prop_assert_eq!(expected, actual);
        }
    }
}
