//! Stateful stages in SQL. `threshold` is a `GROUP BY` over epoch-aligned tumbling windows
//! of the source's time column (a `TIMESTAMP`, see the lake layout): the window of an event
//! at `t` ms starts at `floor(t / W) * W`; only events with a time, every key present and (for
//! `distinct F`) `F` present make a group; `count(DISTINCT F)` is exact. `new` and
//! `sequence` are refused (coded).

use super::expr::Writer;
use super::STYLE;
use crate::ir::{self, CountOp, Stage};
use crate::targets::logic::Node;
use crate::targets::{unsupported, TargetError};

/// The `SELECT … GROUP BY … HAVING …` of a threshold rule, around the match clauses.
pub fn threshold(
    w: &Writer,
    stage: &Stage,
    table: &str,
    clauses: Vec<Node>,
) -> Result<String, Vec<TargetError>> {
    let d = w.d;
    let Stage::Threshold {
        distinct,
        op,
        value,
        by,
        window,
        span,
    } = stage
    else {
        let what = match stage {
            Stage::FirstSeen { .. } => "a first-seen stage",
            _ => "a sequence stage",
        };
        return Err(vec![unsupported(
            d.name(),
            what,
            stage.span(),
            "the SQL targets write `threshold` stages; first-seen and sequences are not written yet",
            Some("compile the rule for kql or spl, or hunt with `tripline hunt`"),
        )]);
    };
    let time = w.time.clone();
    let Some(time) = time else {
        return Err(vec![unsupported(
            d.name(),
            "a threshold stage",
            *span,
            "the catalog gives the source no time column",
            None,
        )]);
    };
    let time = d.ident(&w.column_name(&time));
    let present = |f: &ir::Field| Node::bare(format!("coalesce({}, '') <> ''", w.column(f)));
    let mut wh = clauses;
    wh.push(Node::bare(format!("{time} IS NOT NULL")));
    wh.extend(by.iter().map(present));
    wh.extend(distinct.iter().map(present));
    let ms = window.seconds * 1000;
    let start = d.timestamp_of_ms(&format!(
        "CAST(floor({} / {ms}) * {ms} AS BIGINT)",
        d.epoch_ms(&time)
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
    let sym = match op {
        CountOp::Eq => "=",
        CountOp::Ne => "<>",
        o => o.symbol(),
    };
    let mut q = format!("SELECT {}\nFROM {table}\n", select.join(", "));
    for (i, n) in wh.iter().enumerate() {
        let text = match n {
            Node::Or(_) if wh.len() > 1 => STYLE.render_operand(n),
            _ => STYLE.render(n),
        };
        q.push_str(if i == 0 { "WHERE " } else { "  AND " });
        q.push_str(&text);
        q.push('\n');
    }
    q.push_str(&format!("GROUP BY {}\n", group.join(", ")));
    q.push_str(&format!("HAVING {figure} {sym} {value}\n"));
    Ok(q)
}
