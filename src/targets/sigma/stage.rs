//! Stateful stages as Sigma correlation rules (correlation specification 2.0.x, checked
//! against pySigma 2.0.1 and pySigma-validators-sigmahq 0.21.0).
//!
//! # What is emitted
//!
//! A stateful rule becomes a multi-document YAML stream: the detection rules the correlation
//! refers to, then the correlation document.
//!
//! - `threshold count OP N by K… window W`: one detection rule (the rule's `id`, `name:` the
//!   rule's name, title `<title> - Matching Events`, the rule's metadata; detection = the
//!   rule's `match` and every key present), then a correlation `event_count` with `group-by:
//!   K…`, `timespan: W` and `condition: {gt|gte: N}`.
//! - `threshold distinct F OP N …`: the same with `value_count` and `condition.field: F`; the
//!   detection rule also requires `F` present.
//! - `sequence by K… within W [s1, …, sn]`: one detection rule per step (title `<title> -
//!   Step i of n`, `name: <rule>_<step>`, an id derived as below; detection = the rule's
//!   `match`, the step's expression and every key present), then a correlation
//!   `temporal_ordered` over them in order, with `condition: {gte: n}` (all steps; pySigma's
//!   default, written out because the correlation JSON schema requires a condition).
//! - `new`: refused (see below).
//!
//! The correlation document carries the rule's title, status, description, references,
//! author, dates, tags, false positives and level, and the id `uuid5(<rule id>,
//! "sigma:correlation")` (step rules: `uuid5(<rule id>, "sigma:step:<i>:<step>")`; see
//! [`super::ids`]). It leaves `generate` out (false), so a converter emits the correlation
//! query only, not the detection rules on their own: as in the language, only the stage
//! alerts. `correlation.rules` names the detection rules by **id**, with their name as a YAML
//! comment: pySigma resolves names through one table for the whole collection in which the
//! last rule with a name wins, so a rule named `brute_failed` loaded beside rule `brute`'s
//! step `failed` would silently take its place; ids are unique.
//!
//! # What the Sigma specification says, and what is exact
//!
//! - **Window alignment.** The specification defines `timespan` only as "a time period in
//!   which the correlation should be applied". Its *Compatibility* section treats fixed
//!   boundaries as a backend restriction ("a `timespan` of 1h only matches if all events
//!   appear within a full hour … could cause false negatives"; the backend should warn), and
//!   for `temporal` it says "the time frame should not be restricted to boundaries if this is
//!   not required by the given backend". So the specification's meaning is a sliding time
//!   frame, and where a backend uses fixed windows their alignment is the backend's. (pySigma's
//!   SQLite backend counts over `[t - timespan, t]` ending at every event; Splunk's uses
//!   `bin`.) The language's windows are tumbling and aligned to the Unix epoch: Sigma cannot
//!   state that.
//! - **Thresholds with `>` / `>=`** (monotone: more events never make them false). Every
//!   (key, window) the language alerts on is a time frame of length `timespan` in which the
//!   figure holds, so under the specification's sliding meaning the Sigma rule alerts for it
//!   too: no false negatives. It can also alert for a burst that straddles an epoch-aligned
//!   boundary, which is what the specification intends. A fixed-window backend is exact when
//!   its windows are epoch-aligned in UTC (as KQL `bin` is), and otherwise can miss (and must
//!   warn, per the specification). Judged an honest translation and emitted: the document
//!   states the rule's detection as precisely as Sigma can state any windowed count.
//! - **Thresholds with `<`, `<=`, `==`, `!=`** (not monotone). Under the sliding meaning the
//!   figure passes through 1, 2, 3, … while a burst builds, so "fewer than 5 per hour" holds at
//!   the start of almost every burst and "exactly 5" at the fifth event of any larger one:
//!   the alerts differ from the language's in both directions and in bulk, which the
//!   specification's *Compatibility* section says a translation must not do. Refused.
//!   (`neq` is moreover not in the published correlation specification 2.0.x, whose
//!   operators are `gt`, `gte`, `lt`, `lte`, `eq`; pySigma 2.0.1 accepts it.)
//! - **Sequences.** `temporal_ordered` requires all referred rules' events "in the time frame
//!   defined by timespan" and "in the order provided in the rules attribute"; with the
//!   sliding meaning that is the language's `time(en) - time(e1) <= within` (whether the
//!   bound is closed is not said). **Tie ordering is not specified**: nothing says whether
//!   events with equal times are "in order", or whether one event may stand for two
//!   consecutive steps. The language requires strictly increasing times; pySigma's SQLite
//!   backend also does (`ts > previous`), but that is a backend's choice.
//! - **Alerts.** The language defines one alert per (key, window) or per (key, completion
//!   time), with `window_start` / `start` / `end`. Sigma defines neither the shape nor the
//!   number of a correlation's results (the SQLite backend gives one per event that closes a
//!   qualifying time frame). What carries over is which keys alert, around which times.
//! - **Keys.** The language ignores events whose key (or `distinct` field) is missing, null
//!   or empty; Sigma does not say what a backend does with them (SQL `GROUP BY` keeps a null
//!   group). Made exact: each detection rule also requires every key present (tripline's
//!   `exists`), unless its expression already implies it. The language compares keys and
//!   distinct values as exact text; Sigma does not say how `group-by` values compare
//!   (pySigma's SQLite backend folds ASCII case, Splunk's `stats by` does not). Left to the
//!   backend: a documented difference, not refusable per rule.
//! - **Event time.** A correlation does not name its time field: the backend uses its own,
//!   not the catalog's `timestamp`.
//!
//! # Refusals (`tripline::target::unsupported`, at the stage)
//!
//! - `new`: Sigma has no new-value / baseline correlation (the specification's types are
//!   `event_count`, `value_count`, `temporal`, `temporal_ordered`; a `baseline` type exists
//!   only as a draft proposal and pySigma 2.0.1 does not know it).
//! - `threshold` with `<`, `<=`, `==` or `!=`: the window model, above.
//! - `threshold` without `by`: `group-by` is mandatory in the specification and SigmaHQ's
//!   validators flag a correlation without it.
//! - a `by` or `distinct` field of type `json`: the language ignores events whose key is an
//!   object or array; a backend would group by its JSON text.
//! - a stage field, or a field of a sequence step, that the catalog marks unavailable or
//!   maps to an expression, or whose Sigma name cannot be written as a field.

use crate::targets::Construct;
use std::collections::BTreeSet;

use super::detection::{self, Detection};
use super::{ids, push_head, push_tail, render_rule_as, yaml_scalar, Head, TARGET};
use crate::ir::{CmpOp, Expr, Field, Pred, Rule, Span, Stage, Test};
use crate::targets::{unsupported, Ctx, TargetError};

/// The documents a stateful rule becomes, before the log source is known.
pub(super) struct Docs {
    /// The detection rules the correlation refers to, in order.
    bases: Vec<(Head, Detection)>,
    /// The correlation's `id`.
    id: String,
    /// The lines under `correlation:`.
    correlation: String,
}

impl Docs {
    /// The YAML stream: the detection rules, then the correlation, separated by `---`.
    pub(super) fn render(&self, rule: &Rule, ctx: &Ctx, logsource: &[String]) -> String {
        let mut out = String::new();
        for (head, det) in &self.bases {
            out.push_str(&render_rule_as(head, rule, ctx, logsource, det));
            out.push_str("---\n");
        }
        let m = &rule.meta;
        let head = Head {
            title: m.title.clone(),
            id: self.id.clone(),
            name: None,
            description: m.description.clone(),
        };
        push_head(&mut out, &head, m);
        out.push_str("correlation:\n");
        out.push_str(&self.correlation);
        push_tail(&mut out, m);
        out
    }
}

/// Check the stage and build the documents, or every refusal.
pub(super) fn build(rule: &Rule, stage: &Stage, ctx: &Ctx) -> Result<Docs, Vec<TargetError>> {
    let mut errors = Vec::new();
    if !matches!(stage, Stage::FirstSeen { .. }) && uuid::Uuid::try_parse(&rule.meta.id).is_err() {
        // The checker only lets rules with a UUID id through; the derived ids need one.
        errors.push(unsupported(
            TARGET,
            Construct::StatefulRuleId,
            "a stateful rule whose id is not a UUID",
            stage.span(),
            "the ids of the correlation and its detection rules are derived from the rule's id",
            None,
        ));
    }
    let docs = match stage {
        Stage::FirstSeen { span, .. } => {
            errors.push(unsupported(
                TARGET,
                Construct::FirstSeenStage,
                "a first-seen (`new`) stage",
                *span,
                "Sigma has no new-value or baseline correlation: its correlation types are \
                 event_count, value_count, temporal and temporal_ordered",
                Some("compile this rule for kql or spl"),
            ));
            None
        }
        Stage::Threshold {
            distinct,
            op,
            value,
            by,
            window,
            span,
        } => threshold(
            rule,
            ctx,
            distinct.as_ref(),
            *op,
            *value,
            by,
            *window,
            *span,
            &mut errors,
        ),
        Stage::Sequence {
            by,
            within,
            steps,
            span,
        } => sequence(rule, ctx, by, *within, steps, *span, &mut errors),
    };
    match docs {
        Some(d) if errors.is_empty() => Ok(d),
        _ => Err(errors),
    }
}

/// The correlation condition key for a threshold comparison, or why there is none.
pub(super) fn condition_key(op: CmpOp) -> Result<&'static str, String> {
    let sliding = "Sigma leaves the window model to the backend and its specification prefers \
                   a time frame not bound to fixed windows; over such a sliding frame the count \
                   runs through 1, 2, 3, ... as a burst builds, so a comparison that is not `>` \
                   or `>=` would alert where the language's epoch-aligned windows do not, and \
                   the other way round";
    match op {
        CmpOp::Gt => Ok("gt"),
        CmpOp::Ge => Ok("gte"),
        CmpOp::Lt | CmpOp::Le | CmpOp::Eq => Err(sliding.to_string()),
        CmpOp::Ne => Err(format!(
            "{sliding} (and `neq` is not in the published correlation specification)"
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn threshold(
    rule: &Rule,
    ctx: &Ctx,
    distinct: Option<&Field>,
    op: CmpOp,
    value: u64,
    by: &[Field],
    window: crate::ir::Duration,
    span: Span,
    errors: &mut Vec<TargetError>,
) -> Option<Docs> {
    let key = match condition_key(op) {
        Ok(k) => Some(k),
        Err(reason) => {
            errors.push(unsupported(
                TARGET,
                Construct::ThresholdComparison,
                &format!("a `threshold` compared with `{}`", op.symbol()),
                span,
                &reason,
                Some("use `>` or `>=`, or compile this rule for kql or spl"),
            ));
            None
        }
    };
    if by.is_empty() {
        errors.push(unsupported(
            TARGET,
            Construct::ThresholdWithoutKey,
            "a `threshold` without `by`",
            span,
            "a Sigma correlation needs `group-by`: the specification makes it mandatory and \
             SigmaHQ's validators flag a correlation without it",
            Some("group by a field, or compile this rule for kql or spl"),
        ));
    }
    let keys = stage_fields(ctx, by, span, "a `by` field", errors);
    let counted = match distinct {
        Some(f) => stage_fields(
            ctx,
            std::slice::from_ref(f),
            span,
            "the `distinct` field",
            errors,
        )
        .map(|mut v| v.pop()),
        None => Some(None),
    };
    let (key, keys, counted) = (key?, keys?, counted?);
    if keys.is_empty() {
        return None;
    }
    let mut needed = keys.clone();
    if let Some(c) = &counted {
        if !needed.iter().any(|(_, col)| *col == c.1) {
            needed.push(c.clone());
        }
    }
    let det = detection_with_keys(&rule.expr, &needed, span, errors)?;
    let id = ids::derived_id(&rule.meta.id, "sigma:correlation")?;
    let head = Head {
        title: format!("{} - Matching Events", rule.meta.title),
        id: rule.meta.id.clone(),
        name: Some(rule.name.clone()),
        description: rule.meta.description.clone(),
    };
    let mut c = String::new();
    let ty = if counted.is_some() {
        "value_count"
    } else {
        "event_count"
    };
    c.push_str(&format!("    type: {ty}\n"));
    push_rules(&mut c, &[(&rule.meta.id, &rule.name)]);
    push_group_by(&mut c, &keys);
    c.push_str(&format!("    timespan: {}\n", window.text()));
    c.push_str("    condition:\n");
    if let Some((_, col)) = &counted {
        c.push_str(&format!("        field: {}\n", yaml_scalar(col)));
    }
    c.push_str(&format!("        {key}: {value}\n"));
    Some(Docs {
        bases: vec![(head, det)],
        id,
        correlation: c,
    })
}

fn sequence(
    rule: &Rule,
    ctx: &Ctx,
    by: &[Field],
    within: crate::ir::Duration,
    steps: &[crate::ir::Step],
    span: Span,
    errors: &mut Vec<TargetError>,
) -> Option<Docs> {
    let keys = stage_fields(ctx, by, span, "a `by` field", errors);
    let mapped: Vec<Option<Expr>> = steps
        .iter()
        .map(|s| map_expr(ctx, &s.expr, &s.name, span, errors))
        .collect();
    let keys = keys?;
    let n = steps.len();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut bases = Vec::new();
    let mut refs: Vec<(String, String)> = Vec::new();
    let mut ok = true;
    for (i, (step, expr)) in steps.iter().zip(mapped).enumerate() {
        let Some(expr) = expr else {
            ok = false;
            continue;
        };
        let both = conj(vec![rule.expr.clone(), expr]);
        let Some(det) = detection_with_keys(&both, &keys, span, errors) else {
            ok = false;
            continue;
        };
        let name = unique_name(&format!("{}_{}", rule.name, step.name), &mut names);
        let label = format!("sigma:step:{}:{}", i + 1, step.name);
        let Some(id) = ids::derived_id(&rule.meta.id, &label) else {
            ok = false;
            continue;
        };
        let head = Head {
            title: format!("{} - Step {} of {n}", rule.meta.title, i + 1),
            id: id.clone(),
            name: Some(name.clone()),
            description: format!(
                "Step {} of {n} (`{}`) of the sequence: {}",
                i + 1,
                step.name,
                rule.meta.description
            ),
        };
        bases.push((head, det));
        refs.push((id, name));
    }
    if !ok {
        return None;
    }
    let id = ids::derived_id(&rule.meta.id, "sigma:correlation")?;
    let mut c = String::new();
    c.push_str("    type: temporal_ordered\n");
    let refs: Vec<(&String, &String)> = refs.iter().map(|(a, b)| (a, b)).collect();
    push_rules(&mut c, &refs);
    push_group_by(&mut c, &keys);
    c.push_str(&format!("    timespan: {}\n", within.text()));
    c.push_str("    condition:\n");
    c.push_str(&format!("        gte: {n}\n"));
    Some(Docs {
        bases,
        id,
        correlation: c,
    })
}

/// `name`, or `name_2`, `name_3`, … when it is taken.
fn unique_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.to_string();
    let mut k = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{k}");
        k += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// `rules:` by id, each with its name as a comment.
fn push_rules<S: AsRef<str>>(c: &mut String, refs: &[(S, S)]) {
    c.push_str("    rules:\n");
    for (id, name) in refs {
        c.push_str(&format!("        - {} # {}\n", id.as_ref(), name.as_ref()));
    }
}

fn push_group_by(c: &mut String, keys: &[(Field, String)]) {
    c.push_str("    group-by:\n");
    for (_, col) in keys {
        c.push_str(&format!("        - {}\n", yaml_scalar(col)));
    }
}

/// Map stage fields for the sigma target: each with its Sigma name, duplicates dropped.
/// `None` (with refusals) when any cannot be used.
fn stage_fields(
    ctx: &Ctx,
    fields: &[Field],
    span: Span,
    what: &str,
    errors: &mut Vec<TargetError>,
) -> Option<Vec<(Field, String)>> {
    let mut out: Vec<(Field, String)> = Vec::new();
    let mut ok = true;
    for f in fields {
        if let Err(why) = crate::ir::stage_key::check_type(f.ty) {
            errors.push(unsupported(
                TARGET,
                Construct::StageField,
                &format!("{what} of type json (`{}`)", f.name),
                span,
                why,
                None,
            ));
            ok = false;
            continue;
        }
        let Some(mapped) = map_field(ctx, f, span, what, errors) else {
            ok = false;
            continue;
        };
        let Some(col) = detection::field_name(&mapped, span, errors) else {
            ok = false;
            continue;
        };
        if !out.iter().any(|(_, c)| *c == col) {
            out.push((mapped, col));
        }
    }
    ok.then_some(out)
}

/// `field` with its mapping for the sigma target, or a refusal.
fn map_field(
    ctx: &Ctx,
    field: &Field,
    span: Span,
    what: &str,
    errors: &mut Vec<TargetError>,
) -> Option<Field> {
    // The mapping pass has normally done this; hand-built IR (unit tests) is mapped here.
    if field.mapped.is_some() {
        return Some(field.clone());
    }
    match ctx.source.map_field(ctx.catalog_key, &field.name) {
        Ok(m) => Some(Field {
            mapped: Some(m),
            ..field.clone()
        }),
        Err(why) => {
            errors.push(unsupported(
                TARGET,
                Construct::StageField,
                &format!("{what} (`{}`)", field.name),
                span,
                &format!(
                    "field `{}` of `{}` is not available on {}: {why}",
                    field.name, ctx.source_name, ctx.catalog_key
                ),
                None,
            ));
            None
        }
    }
}

/// A sequence step's expression with every field mapped (the mapping pass does not reach
/// stages).
fn map_expr(
    ctx: &Ctx,
    expr: &Expr,
    step: &str,
    span: Span,
    errors: &mut Vec<TargetError>,
) -> Option<Expr> {
    let mut out = expr.clone();
    let mut ok = true;
    let what = format!("a field of sequence step `{step}`");
    out.preds_mut(&mut |p| {
        match map_field(ctx, &p.field, span, &what, errors) {
            Some(f) => p.field = f,
            None => ok = false,
        }
        if let Test::FieldEq { other, .. } = &mut p.test {
            match map_field(ctx, other, span, &what, errors) {
                Some(f) => *other = f,
                None => ok = false,
            }
        }
    });
    ok.then_some(out)
}

/// The detection of `expr` restricted to events that hold every one of `keys` (present, not
/// null, not empty), leaving out the tests that `expr` already implies.
fn detection_with_keys(
    expr: &Expr,
    keys: &[(Field, String)],
    span: Span,
    errors: &mut Vec<TargetError>,
) -> Option<Detection> {
    let mut parts = vec![expr.clone()];
    for (f, _) in keys {
        if !implies_present(expr, &f.name) {
            parts.push(Expr::Pred(Pred {
                field: f.clone(),
                test: Test::Exists,
                span,
            }));
        }
    }
    match detection::build(&conj(parts)) {
        Ok(d) => Some(d),
        Err(es) => {
            errors.extend(es);
            None
        }
    }
}

/// The conjunction of `parts` (flattened; one part is itself).
fn conj(parts: Vec<Expr>) -> Expr {
    let mut flat = Vec::new();
    for p in parts {
        match p {
            Expr::And(xs) => flat.extend(xs),
            other => flat.push(other),
        }
    }
    if flat.len() == 1 {
        flat.pop().unwrap_or(Expr::And(Vec::new()))
    } else {
        Expr::And(flat)
    }
}

/// Whether every event that satisfies `expr` has a value in field `name` (a comparison on a
/// missing, null or empty field is false in the language, so any test of the field outside a
/// `not` implies it).
fn implies_present(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Pred(p) => {
            p.field.name == name
                || matches!(&p.test, Test::FieldEq { other, .. } if other.name == name)
        }
        Expr::And(xs) => xs.iter().any(|x| implies_present(x, name)),
        Expr::Or(xs) => xs.iter().all(|x| implies_present(x, name)),
        Expr::Not(_) => false,
    }
}
