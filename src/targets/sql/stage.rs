//! Stateful stages in SQL. `threshold` is a `GROUP BY` over epoch-aligned tumbling windows
//! of the source's time column (a `TIMESTAMP`, see the lake layout): the window of an event
//! at `t` ms starts at `floor(t / W) * W`; only events with a time, every key present and (for
//! `distinct F`) `F` present make a group; `count(DISTINCT F)` is exact. `new` is an
//! anti-join of the detection window against the baseline, relative to the query's `now`;
//! `sequence` chains one CTE per step with joins on strictly increasing times.

use super::expr::Writer;
use super::STYLE;
use crate::ir::{self, CmpOp, Stage};
use crate::targets::logic::Node;
use crate::targets::Construct;
use crate::targets::{unsupported, TargetError};

/// The query of a stateful rule, around its match clauses.
pub fn query(
    w: &Writer,
    stage: &Stage,
    table: &str,
    clauses: Vec<Node>,
) -> Result<String, Vec<TargetError>> {
    let d = w.d;
    let time = w.time.clone();
    let Some(time) = time else {
        return Err(vec![unsupported(
            d.name(),
            Construct::StageField,
            "a stateful stage",
            stage.span(),
            "the catalog gives the source no time column",
            None,
        )]);
    };
    let time = d.ident(&w.column_name(&time));
    match stage {
        Stage::Threshold {
            distinct,
            op,
            value,
            by,
            window,
            ..
        } => Ok(threshold_query(
            w, &time, table, clauses, distinct, *op, *value, by, window,
        )),
        Stage::FirstSeen {
            fields,
            baseline,
            window,
            ..
        } => Ok(first_seen(
            w, &time, table, clauses, fields, baseline, window,
        )),
        Stage::Sequence {
            by, within, steps, ..
        } => sequence(w, &time, table, clauses, by, within, steps),
    }
}

/// `WHERE` lines: the clauses, one per line.
fn where_lines(parts: &[Node], indent: &str) -> String {
    let mut q = String::new();
    for (i, n) in parts.iter().enumerate() {
        let text = match n {
            Node::Or(_) if parts.len() > 1 => STYLE.render_operand(n),
            _ => STYLE.render(n),
        };
        q.push_str(indent);
        q.push_str(if i == 0 { "WHERE " } else { "  AND " });
        q.push_str(&text);
        q.push('\n');
    }
    q
}

#[allow(clippy::too_many_arguments)]
fn threshold_query(
    w: &Writer,
    time: &str,
    table: &str,
    clauses: Vec<Node>,
    distinct: &Option<ir::Field>,
    op: CmpOp,
    value: u64,
    by: &[ir::Field],
    window: &ir::Duration,
) -> String {
    let d = w.d;
    let mut wh = clauses;
    wh.push(Node::bare(format!("{time} IS NOT NULL")));
    wh.extend(by.iter().map(|f| w.present(f)));
    wh.extend(distinct.iter().map(|f| w.present(f)));
    let ms = window.seconds * 1000;
    let start = d.timestamp_of_ms(&format!(
        "CAST(floor({} / {ms}) * {ms} AS BIGINT)",
        d.epoch_ms(time)
    ));
    let keys: Vec<String> = by.iter().map(|f| w.column(f)).collect();
    let (figure, name) = match distinct {
        Some(f) => (format!("count(DISTINCT {})", w.column(f)), "distinct"),
        None => ("count(*)".to_string(), "count"),
    };
    let mut select: Vec<String> = by
        .iter()
        .map(|f| format!("{} AS {}", w.column(f), d.ident(&f.name)))
        .collect();
    select.push(format!("{start} AS {}", d.ident("window_start")));
    select.push(format!("{figure} AS {}", d.ident(name)));
    let mut group = keys;
    group.push(start);
    let mut q = format!("SELECT {}\nFROM {table}\n", select.join(", "));
    q.push_str(&where_lines(&wh, ""));
    q.push_str(&format!("GROUP BY {}\n", group.join(", ")));
    q.push_str(&format!("HAVING {figure} {} {value}\n", super::cmp_op(op)));
    q
}

/// `new`: the key tuples of matching events in `[now − window, now)` that no matching event
/// in `[now − window − baseline, now − window)` has, with the earliest time in the window.
fn first_seen(
    w: &Writer,
    time: &str,
    table: &str,
    clauses: Vec<Node>,
    fields: &[ir::Field],
    baseline: &ir::Duration,
    window: &ir::Duration,
) -> String {
    let d = w.d;
    let now = d.epoch_ms(d.now());
    let t = d.epoch_ms(time);
    let (win, base) = (window.seconds * 1000, baseline.seconds * 1000);
    let mut wh = clauses;
    wh.push(Node::bare(format!("{time} IS NOT NULL")));
    wh.extend(fields.iter().map(|f| w.present(f)));
    wh.push(Node::bare(format!("{t} >= {now} - {}", win + base)));
    wh.push(Node::bare(format!("{t} < {now}")));
    let keys: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} AS {}", w.column(f), d.ident(&format!("k{i}"))))
        .collect();
    let k = |i: usize, side: &str| format!("{side}.{}", d.ident(&format!("k{i}")));
    let same: Vec<String> = (0..fields.len())
        .map(|i| format!("{} = {}", k(i, "b"), k(i, "e")))
        .collect();
    let out: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} AS {}", k(i, "e"), d.ident(&f.name)))
        .collect();
    let group: Vec<String> = (0..fields.len()).map(|i| k(i, "e")).collect();
    let mut q = format!(
        "WITH m AS (\n  SELECT {}, {t} AS {}\n  FROM {table}\n",
        keys.join(", "),
        d.ident("t")
    );
    q.push_str(&where_lines(&wh, "  "));
    q.push_str(&format!(
        ")\nSELECT {}, {} AS {}\nFROM m AS e\nWHERE e.{tt} >= {now} - {win}\n  AND NOT EXISTS (SELECT 1 FROM m AS b WHERE b.{tt} < {now} - {win} AND {})\nGROUP BY {}\n",
        out.join(", "),
        d.timestamp_of_ms(&format!("min(e.{})", d.ident("t"))),
        d.ident("first_seen"),
        same.join(" AND "),
        group.join(", "),
        tt = d.ident("t"),
    ));
    q
}

/// `sequence`: per key and end time, the chains `e1 … en` of events satisfying the steps in
/// order with strictly increasing times and `time(en) − time(e1) ≤ within`; `start` is the
/// latest `e1` of such a chain.
fn sequence(
    w: &Writer,
    time: &str,
    table: &str,
    clauses: Vec<Node>,
    by: &[ir::Field],
    within: &ir::Duration,
    steps: &[ir::Step],
) -> Result<String, Vec<TargetError>> {
    let d = w.d;
    let t = d.epoch_ms(time);
    let mut ctes = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let mut wh = clauses.clone();
        wh.push(w.expr(&step.expr, false)?);
        wh.push(Node::bare(format!("{time} IS NOT NULL")));
        wh.extend(by.iter().map(|f| w.present(f)));
        let keys: Vec<String> = by
            .iter()
            .enumerate()
            .map(|(j, f)| format!("{} AS {}", w.column(f), d.ident(&format!("k{j}"))))
            .collect();
        let mut c = format!(
            "s{i} AS (\n  SELECT {}, {t} AS {}\n  FROM {table}\n",
            keys.join(", "),
            d.ident("t")
        );
        c.push_str(&where_lines(&wh, "  "));
        c.push(')');
        ctes.push(c);
    }
    let tt = d.ident("t");
    let k = |j: usize, i: usize| format!("s{i}.{}", d.ident(&format!("k{j}")));
    let last = steps.len() - 1;
    let mut from = String::from("FROM s0");
    for i in 1..steps.len() {
        let on: Vec<String> = (0..by.len())
            .map(|j| format!("{} = {}", k(j, i), k(j, 0)))
            .collect();
        from.push_str(&format!(
            "\nJOIN s{i} ON {} AND s{i}.{tt} > s{}.{tt}",
            on.join(" AND "),
            i - 1
        ));
    }
    let out: Vec<String> = by
        .iter()
        .enumerate()
        .map(|(j, f)| format!("{} AS {}", k(j, last), d.ident(&f.name)))
        .collect();
    let group: Vec<String> = (0..by.len())
        .map(|j| k(j, last))
        .chain([format!("s{last}.{tt}")])
        .collect();
    Ok(format!(
        "WITH {}\nSELECT {}, {} AS {}, {} AS {}\n{from}\nWHERE s{last}.{tt} - s0.{tt} <= {}\nGROUP BY {}\n",
        ctes.join(",\n"),
        out.join(", "),
        d.timestamp_of_ms(&format!("max(s0.{tt})")),
        d.ident("start"),
        d.timestamp_of_ms(&format!("s{last}.{tt}")),
        d.ident("end"),
        within.seconds * 1000,
        group.join(", "),
    ))
}
