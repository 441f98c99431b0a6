//! Normalisation of the item tree: nested and/or flattened, double negations dropped, items
//! of one key merged into lists.

use super::*;

/// Flatten nested and/or, drop double negations and merge items: values of one key under
/// `or` into one list, `contains` values of one key under `and` into one `|all` list.
pub(super) fn normalize(l: L) -> L {
    match l {
        L::Item(_) => l,
        L::Not(x) => match normalize(*x) {
            L::Not(y) => *y,
            y => L::Not(Box::new(y)),
        },
        L::And(xs) => {
            let mut flat = Vec::new();
            for x in xs {
                match normalize(x) {
                    L::And(ys) => flat.extend(ys),
                    y => flat.push(y),
                }
            }
            let flat = merge_items(flat, false);
            if flat.len() == 1 {
                flat.into_iter().next().unwrap_or(L::And(Vec::new()))
            } else {
                L::And(flat)
            }
        }
        L::Or(xs) => {
            let mut flat = Vec::new();
            for x in xs {
                match normalize(x) {
                    L::Or(ys) => flat.extend(ys),
                    y => flat.push(y),
                }
            }
            let flat = merge_items(flat, true);
            if flat.len() == 1 {
                flat.into_iter().next().unwrap_or(L::Or(Vec::new()))
            } else {
                L::Or(flat)
            }
        }
    }
}

/// Merge sibling items of one key, keeping the position of the first.
pub(super) fn merge_items(xs: Vec<L>, or: bool) -> Vec<L> {
    let mut out: Vec<L> = Vec::new();
    for x in xs {
        if let L::Item(it) = &x {
            let target = out.iter_mut().find_map(|y| match y {
                L::Item(prev) if can_merge(prev, it, or) => Some(prev),
                _ => None,
            });
            if let Some(prev) = target {
                prev.extend(it.values.clone());
                if !or {
                    prev.all = prev.values.len() > 1;
                }
                continue;
            }
        }
        out.push(x);
    }
    out
}

pub(super) fn can_merge(a: &Item, b: &Item, or: bool) -> bool {
    let same = a.field == b.field && a.ops == b.ops && a.flags == b.flags;
    if !same {
        return false;
    }
    if or {
        a.merge != Merge::No && b.merge != Merge::No && !a.all && !b.all
    } else {
        // x contains a AND x contains b = x|contains|all [a, b]
        a.merge == Merge::OrAnd
            && b.merge == Merge::OrAnd
            && (a.all || a.values.len() == 1)
            && (b.all || b.values.len() == 1)
    }
}
