//! From a match expression to Sigma search identifiers and a condition.
//!
//! Two steps:
//! 1. Every predicate becomes a small logic tree ([`L`]) over Sigma detection items
//!    ([`Item`]: `Field|modifiers: values`). Predicates whose meaning needs more than one item
//!    (`exists`, a regex that can match the empty string, `fieldref`) expand here, so the
//!    rest never has to think about missing fields.
//! 2. The tree is laid out: a conjunction of items on distinct keys is one selection map, a
//!    disjunction of such maps is one list of maps, values of one key are merged into a value
//!    list, and everything else becomes separate identifiers combined in the condition with
//!    the parentheses Sigma's precedence (`or` < `and` < `not`) needs.
//!
//! Naming follows SigmaHQ: the first positive identifier is `selection`, the others
//! `selection_<field>`; identifiers under a `not` are `filter_main_<field>`; names are made
//! unique with `_2`, `_3`, ... in order of appearance.

use super::{sigma_glob, sigma_value, yaml_scalar, TARGET};
use crate::catalog::Mapped;
use crate::ir::{CmpOp, Expr, Field, Number, Pred, Quant, Span, StrOp, Test};
use crate::targets::{unsupported, TargetError};

/// One value of a detection item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Val {
    /// A string, already a Sigma value (escaped where it must match literally).
    Str(String),
    /// A number in canonical text form.
    Num(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl Val {
    fn yaml(&self) -> String {
        match self {
            Val::Str(s) => yaml_scalar(s),
            Val::Num(t) => t.clone(),
            Val::Bool(b) => b.to_string(),
            Val::Null => "null".to_string(),
        }
    }
}

/// How an item may be merged with another item of the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merge {
    /// Never (`exists`, `null`, comparisons, guards).
    No,
    /// Into one value list under `or`.
    Or,
    /// Under `or`, and into an `|all` list under `and` (`contains`).
    OrAnd,
}

/// One Sigma detection item: `Field|ops|all|flags: values`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Item {
    /// The field (a column name of the `sigma` catalog section).
    pub field: String,
    /// Modifiers that say what is compared (`contains`, `re`, `cidr`, `gt`, ...).
    pub ops: Vec<&'static str>,
    /// The `all` modifier.
    pub all: bool,
    /// Trailing modifiers (`cased`; `i`, `m`, `s` after `re`).
    pub flags: Vec<&'static str>,
    /// The values (at least one).
    pub values: Vec<Val>,
    merge: Merge,
    /// Values compare case-insensitively (duplicates are detected ignoring case).
    fold: bool,
    /// The duplicate keys of `values` seen so far (a cache; not part of the item's meaning).
    seen: Seen,
}

/// The set behind [`Item::extend`]'s duplicate check, so that building a list of n values
/// takes O(n), not O(n²). Always equal to another `Seen`: it is derived from the values.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// The keys of `values[..upto]`, folded when `fold`.
    keys: std::collections::HashSet<Val>,
    upto: usize,
    fold: bool,
}

impl PartialEq for Seen {
    fn eq(&self, _: &Seen) -> bool {
        true
    }
}

impl Item {
    fn new(field: &str, ops: &[&'static str], values: Vec<Val>, merge: Merge) -> Item {
        Item {
            field: field.to_string(),
            ops: ops.to_vec(),
            all: false,
            flags: Vec::new(),
            values,
            merge,
            fold: false,
            seen: Seen::default(),
        }
    }

    /// The YAML key, `Field|contains|all|cased`.
    pub fn key(&self) -> String {
        let mut k = self.field.clone();
        for m in &self.ops {
            k.push('|');
            k.push_str(m);
        }
        if self.all {
            k.push_str("|all");
        }
        for m in &self.flags {
            k.push('|');
            k.push_str(m);
        }
        k
    }

    /// Append values, skipping duplicates (ignoring case when the item does).
    fn extend(&mut self, values: Vec<Val>) {
        let fold = self.fold;
        if self.seen.fold != fold {
            self.seen = Seen {
                fold,
                ..Seen::default()
            };
        }
        for v in &self.values[self.seen.upto..] {
            self.seen.keys.insert(dedup_key(v, fold));
        }
        for v in values {
            if self.seen.keys.insert(dedup_key(&v, fold)) {
                self.values.push(v);
            }
        }
        self.seen.upto = self.values.len();
    }

    fn is_null_or_empty(&self) -> bool {
        let null_or_empty = match &self.values[..] {
            [Val::Null] => true,
            [Val::Str(s)] => s.is_empty(),
            _ => false,
        };
        self.ops.is_empty() && null_or_empty
    }

    fn is_exists_false(&self) -> bool {
        self.ops == ["exists"] && self.values == [Val::Bool(false)]
    }
}

/// What two values must share to be duplicates: strings compare lower-cased when `fold`.
fn dedup_key(v: &Val, fold: bool) -> Val {
    match v {
        Val::Str(x) if fold => Val::Str(x.to_lowercase()),
        other => other.clone(),
    }
}

/// A logic tree over detection items.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum L {
    Item(Item),
    And(Vec<L>),
    Or(Vec<L>),
    Not(Box<L>),
}

/// The content of one search identifier.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    /// A map: its items are AND-ed.
    Map(Vec<Item>),
    /// A list of maps: the maps are OR-ed.
    List(Vec<Vec<Item>>),
}

/// A laid-out detection: search identifiers in order, and the condition.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Detection {
    /// `(name, content)` in order of appearance.
    pub blocks: Vec<(String, Block)>,
    /// The condition.
    pub condition: String,
}

/// Build the detection of a match expression, or every reason it cannot be expressed.
pub(super) fn build(expr: &Expr) -> Result<Detection, Vec<TargetError>> {
    let mut errors = Vec::new();
    let tree = to_logic(expr, &mut errors);
    match tree {
        Some(t) if errors.is_empty() => {
            let t = normalize(t);
            let mut lay = Layout::default();
            let cond = lay.conv(t, 0);
            Ok(Detection {
                blocks: lay.blocks,
                condition: render_cond(&cond, 0),
            })
        }
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------------
// Predicates → items
// ---------------------------------------------------------------------------------------------

fn to_logic(expr: &Expr, errors: &mut Vec<TargetError>) -> Option<L> {
    match expr {
        Expr::And(xs) | Expr::Or(xs) => {
            let kids: Vec<Option<L>> = xs.iter().map(|x| to_logic(x, errors)).collect();
            let kids: Option<Vec<L>> = kids.into_iter().collect();
            let kids = kids?;
            Some(if matches!(expr, Expr::And(_)) {
                L::And(kids)
            } else {
                L::Or(kids)
            })
        }
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Pred(p) if p.test == Test::Exists => {
                let f = field_name(&p.field, p.span, errors)?;
                Some(missing(&f))
            }
            other => Some(L::Not(Box::new(to_logic(other, errors)?))),
        },
        Expr::Pred(p) => pred(p, errors),
    }
}

/// The Sigma name of a field, or a refusal.
pub(super) fn field_name(
    field: &Field,
    span: Span,
    errors: &mut Vec<TargetError>,
) -> Option<String> {
    match field.target() {
        Mapped::Column(c) => {
            if c.is_empty() || c.contains('|') || c.chars().any(|ch| ch.is_control()) {
                errors.push(unsupported(
                    TARGET,
                    "this field name",
                    span,
                    &format!(
                        "the Sigma field name `{}` would be read as something else: a key is \
                         `field|modifier|...`, so a field name cannot be empty or hold `|` or \
                         control characters",
                        c.escape_debug()
                    ),
                    Some("map the field to another name in the catalog's `sigma` section"),
                ));
                return None;
            }
            Some(c)
        }
        Mapped::Expr(e) => {
            errors.push(unsupported(
                TARGET,
                "a field mapped to an expression",
                span,
                &format!(
                    "Sigma detections name fields; the catalog maps `{}` to the expression `{e}`",
                    field.name
                ),
                Some("map the field to a plain field name in the catalog's `sigma` section"),
            ));
            None
        }
    }
}

/// The field holds a value: present, not null, not the empty string.
///
/// Sigma's `|exists: true` only checks presence ("not its value, be it empty or null",
/// modifiers appendix), so null and `''` are filtered out.
fn exists(f: &str) -> L {
    L::And(vec![
        L::Item(Item::new(f, &["exists"], vec![Val::Bool(true)], Merge::No)),
        L::Not(Box::new(null_or_empty(f))),
    ])
}

/// The field is null or the empty string (each `null` stands in its own item).
fn null_or_empty(f: &str) -> L {
    L::Or(vec![
        L::Item(Item::new(f, &[], vec![Val::Null], Merge::No)),
        L::Item(Item::new(f, &[], vec![Val::Str(String::new())], Merge::No)),
    ])
}

/// The field is missing: absent, null or the empty string.
fn missing(f: &str) -> L {
    L::Or(vec![
        L::Item(Item::new(f, &["exists"], vec![Val::Bool(false)], Merge::No)),
        L::Item(Item::new(f, &[], vec![Val::Null], Merge::No)),
        L::Item(Item::new(f, &[], vec![Val::Str(String::new())], Merge::No)),
    ])
}

/// `L` that also requires the field to hold a value (for tests that would otherwise match
/// the empty string, or compare two empty fields as equal).
fn guarded(f: &str, l: L) -> L {
    L::And(vec![l, L::Not(Box::new(null_or_empty(f)))])
}

fn str_op(op: StrOp) -> &'static [&'static str] {
    match op {
        StrOp::Eq => &[],
        StrOp::Contains => &["contains"],
        StrOp::StartsWith => &["startswith"],
        StrOp::EndsWith => &["endswith"],
    }
}

fn cased_flags(cased: bool) -> Vec<&'static str> {
    if cased {
        vec!["cased"]
    } else {
        Vec::new()
    }
}

fn pred(p: &Pred, errors: &mut Vec<TargetError>) -> Option<L> {
    let f = field_name(&p.field, p.span, errors)?;
    match &p.test {
        Test::Str {
            op,
            values,
            quant,
            cased,
        } => {
            let mut it = Item::new(&f, str_op(*op), Vec::new(), Merge::Or);
            it.flags = cased_flags(*cased);
            it.fold = !cased;
            it.extend(values.iter().map(|v| Val::Str(sigma_value(v))).collect());
            let all = *quant == Quant::All && it.values.len() > 1;
            if !all {
                if *op == StrOp::Contains {
                    it.merge = Merge::OrAnd;
                }
                return Some(L::Item(it));
            }
            if *op == StrOp::Contains {
                it.all = true;
                it.merge = Merge::OrAnd;
                return Some(L::Item(it));
            }
            // `all` without `contains` draws a validator error in pySigma; one item per value
            // AND-ed means the same.
            let parts = it
                .values
                .iter()
                .map(|v| {
                    let mut one = it.clone();
                    one.values = vec![v.clone()];
                    one.merge = Merge::No;
                    L::Item(one)
                })
                .collect();
            Some(L::And(parts))
        }
        Test::Glob { patterns, cased } => {
            // A pattern of stars alone matches any value, but not a missing field.
            if patterns.iter().any(|g| g.chars().all(|c| c == '*')) {
                return Some(exists(&f));
            }
            let mut items: Vec<Item> = Vec::new();
            for g in patterns {
                let (ops, value) = glob_item(g);
                match items.iter_mut().find(|i| i.ops == ops) {
                    Some(i) => i.extend(vec![Val::Str(value)]),
                    None => {
                        let mut it = Item::new(&f, ops, vec![Val::Str(value)], Merge::Or);
                        it.flags = cased_flags(*cased);
                        it.fold = !cased;
                        items.push(it);
                    }
                }
            }
            if items.len() == 1 {
                items.pop().map(L::Item)
            } else {
                Some(L::Or(items.into_iter().map(L::Item).collect()))
            }
        }
        Test::Regex { pattern, cased } => {
            // The language's \d, \w, \s are ASCII; spelled out as classes they mean the same
            // in every Sigma engine.
            let pattern = &crate::ir::regex::ascii_classes(pattern, false);
            let re = match super::regex::convert(pattern, *cased) {
                Ok(re) => re,
                Err(e) => {
                    errors.push(unsupported(
                        TARGET,
                        &e.construct,
                        p.span,
                        &e.reason,
                        e.help.as_deref(),
                    ));
                    return None;
                }
            };
            let mut it = Item::new(&f, &["re"], vec![Val::Str(re.pattern)], Merge::Or);
            it.flags = re.flags;
            let l = L::Item(it);
            Some(if re.can_match_empty {
                guarded(&f, l)
            } else {
                l
            })
        }
        Test::Cidr { nets } => {
            let mut it = Item::new(&f, &["cidr"], Vec::new(), Merge::Or);
            it.extend(
                nets.iter()
                    .map(|n| Val::Str(n.trunc().to_string()))
                    .collect(),
            );
            Some(L::Item(it))
        }
        Test::NumEq { values } => {
            let mut it = Item::new(&f, &[], Vec::new(), Merge::Or);
            it.extend(values.iter().map(|n| Val::Num(yaml_number(n))).collect());
            Some(L::Item(it))
        }
        Test::NumCmp { op, value } => {
            let m = match op {
                CmpOp::Lt => "lt",
                CmpOp::Le => "lte",
                CmpOp::Gt => "gt",
                CmpOp::Ge => "gte",
            };
            Some(L::Item(Item::new(
                &f,
                &[m],
                vec![Val::Num(yaml_number(value))],
                Merge::No,
            )))
        }
        Test::BoolEq { value } => Some(L::Item(Item::new(
            &f,
            &[],
            vec![Val::Bool(*value)],
            Merge::No,
        ))),
        Test::Exists => Some(exists(&f)),
        Test::FieldEq { other, cased } => {
            if *cased {
                errors.push(unsupported(
                    TARGET,
                    "a case-sensitive field comparison",
                    p.span,
                    "Sigma's `fieldref` compares case-insensitively and cannot take `cased`: \
                     pySigma rejects `fieldref|cased` and drops `cased|fieldref`",
                    Some("compare case-insensitively (drop `cased`), or use another target"),
                ));
                return None;
            }
            let g = field_name(other, p.span, errors)?;
            if g.contains(['*', '?']) {
                errors.push(unsupported(
                    TARGET,
                    "a field comparison with this field",
                    p.span,
                    &format!("a `fieldref` value cannot name a field with `*` or `?` (`{g}`)"),
                    Some("map the field to another name in the catalog's `sigma` section"),
                ));
                return None;
            }
            let it = Item::new(
                &f,
                &["fieldref"],
                vec![Val::Str(sigma_value(&g))],
                Merge::No,
            );
            // Two empty (or null) fields are equal in Sigma but missing in tripline.
            Some(guarded(&f, L::Item(it)))
        }
    }
}

/// A number as YAML that both YAML 1.1 and 1.2 read as that number: the canonical text when
/// it is a plain decimal (`-7`, `3.5`), otherwise the value written out without an exponent
/// (`1e5` would be a string in YAML 1.1).
fn yaml_number(n: &Number) -> String {
    let plain = |t: &str| {
        let digits = t.strip_prefix('-').unwrap_or(t);
        let mut parts = digits.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    };
    if plain(&n.text) {
        n.text.clone()
    } else if n.value.fract() == 0.0 && n.value.abs() < 1e15 {
        format!("{}", n.value as i64)
    } else {
        format!("{}", n.value)
    }
}

/// A glob as modifiers and a Sigma value: `*x*` → `contains x`, `*x` → `endswith x`,
/// `x*` → `startswith x` (what SigmaHQ's validators ask for), otherwise the pattern with
/// its wildcards.
fn glob_item(g: &str) -> (&'static [&'static str], String) {
    let wild = |s: &str| s.contains(['*', '?']);
    let body = g.trim_start_matches('*');
    let lead = body.len() < g.len();
    let core = body.trim_end_matches('*');
    let trail = core.len() < body.len();
    if !wild(core) && !core.is_empty() {
        match (lead, trail) {
            (true, true) => return (&["contains"], sigma_value(core)),
            (true, false) => return (&["endswith"], sigma_value(core)),
            (false, true) => return (&["startswith"], sigma_value(core)),
            (false, false) => {}
        }
    }
    (&[], sigma_glob(g))
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/// Flatten nested and/or, drop double negations and merge items: values of one key under
/// `or` into one list, `contains` values of one key under `and` into one `|all` list.
fn normalize(l: L) -> L {
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
fn merge_items(xs: Vec<L>, or: bool) -> Vec<L> {
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

fn can_merge(a: &Item, b: &Item, or: bool) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------

/// A condition over named search identifiers.
#[derive(Debug, Clone, PartialEq)]
enum C {
    Ref(String),
    Not(Box<C>),
    And(Vec<C>),
    Or(Vec<C>),
}

#[derive(Default)]
struct Layout {
    blocks: Vec<(String, Block)>,
    main_taken: bool,
    /// The names in `blocks`, and per stem the next suffix to try: naming n blocks that
    /// share a stem takes O(n), not O(n²) scans of `blocks`.
    taken: std::collections::HashSet<String>,
    next_suffix: std::collections::HashMap<String, usize>,
}

/// Whether `l` fits in one selection map (items on distinct keys, AND-ed).
fn as_map(l: &L) -> Option<Vec<Item>> {
    match l {
        L::Item(it) => Some(vec![it.clone()]),
        L::And(xs) => {
            let mut items: Vec<Item> = Vec::new();
            for x in xs {
                match x {
                    L::Item(it) if !items.iter().any(|i| i.key() == it.key()) => {
                        items.push(it.clone())
                    }
                    _ => return None,
                }
            }
            Some(items)
        }
        _ => None,
    }
}

impl Layout {
    /// `nots`: how many `not` enclose `l` (odd: its identifiers are filters).
    fn conv(&mut self, l: L, nots: usize) -> C {
        match l {
            L::Item(it) => self.block(Block::Map(vec![it]), nots),
            L::Not(x) => C::Not(Box::new(self.conv(*x, nots + 1))),
            L::And(xs) => {
                // Items go into selection maps (a key used twice opens another map), named
                // before the other operands so the main map is `selection`.
                let mut maps: Vec<Vec<Item>> = Vec::new();
                let mut first_map = None;
                let mut rest: Vec<(usize, L)> = Vec::new();
                for (i, x) in xs.into_iter().enumerate() {
                    match x {
                        L::Item(it) => {
                            first_map.get_or_insert(i);
                            match maps
                                .iter_mut()
                                .find(|m| !m.iter().any(|o| o.key() == it.key()))
                            {
                                Some(m) => m.push(it),
                                None => maps.push(vec![it]),
                            }
                        }
                        other => rest.push((i, other)),
                    }
                }
                let map_refs: Vec<C> = maps
                    .into_iter()
                    .map(|m| self.block(Block::Map(m), nots))
                    .collect();
                self.assemble(first_map, map_refs, rest, nots, true)
            }
            L::Or(xs) => {
                let mut maps: Vec<Vec<Item>> = Vec::new();
                let mut first_map = None;
                let mut rest: Vec<(usize, L)> = Vec::new();
                for (i, x) in xs.into_iter().enumerate() {
                    match as_map(&x) {
                        Some(m) => {
                            first_map.get_or_insert(i);
                            maps.push(m);
                        }
                        None => rest.push((i, x)),
                    }
                }
                let map_refs: Vec<C> = if maps.is_empty() {
                    Vec::new()
                } else if maps.len() == 1 {
                    maps.into_iter()
                        .map(|m| self.block(Block::Map(m), nots))
                        .collect()
                } else {
                    vec![self.block(Block::List(maps), nots)]
                };
                self.assemble(first_map, map_refs, rest, nots, false)
            }
        }
    }

    /// Put the identifiers of the merged items at the position of the first item, convert
    /// the other operands in order.
    fn assemble(
        &mut self,
        first_map: Option<usize>,
        map_refs: Vec<C>,
        rest: Vec<(usize, L)>,
        nots: usize,
        is_and: bool,
    ) -> C {
        let mut out = Vec::new();
        let mut map_refs = Some(map_refs);
        for (i, x) in rest {
            if first_map.is_some_and(|f| f < i) {
                if let Some(m) = map_refs.take() {
                    out.extend(m);
                }
            }
            out.push(self.conv(x, nots));
        }
        if let Some(m) = map_refs.take() {
            out.extend(m);
        }
        let mut flat = Vec::new();
        for c in out {
            match c {
                C::And(ys) if is_and => flat.extend(ys),
                C::Or(ys) if !is_and => flat.extend(ys),
                c => flat.push(c),
            }
        }
        match (flat.len(), is_and) {
            (1, _) => flat.pop().unwrap_or(C::And(Vec::new())),
            (_, true) => C::And(flat),
            (_, false) => C::Or(flat),
        }
    }

    fn block(&mut self, block: Block, nots: usize) -> C {
        let name = self.name(&block, nots);
        self.taken.insert(name.clone());
        self.blocks.push((name.clone(), block));
        C::Ref(name)
    }

    fn name(&mut self, block: &Block, nots: usize) -> String {
        let negated = nots % 2 == 1;
        let items: Vec<&Item> = match block {
            Block::Map(m) => m.iter().collect(),
            Block::List(ms) => ms.iter().flatten().collect(),
        };
        if nots == 0 && !self.main_taken {
            self.main_taken = true;
            if !self.taken.contains("selection") {
                return "selection".to_string();
            }
        }
        let base = if negated { "filter_main" } else { "selection" };
        let first = items.first().map(|i| i.field.as_str()).unwrap_or("field");
        let mut what = snake(first);
        let one_field = items.iter().all(|i| i.field == first);
        if one_field
            && !items.is_empty()
            && items
                .iter()
                .all(|i| i.is_null_or_empty() || i.is_exists_false())
        {
            if items.iter().any(|i| i.is_exists_false()) {
                what.push_str("_missing");
            } else {
                what.push_str("_empty");
            }
        }
        let stem = format!("{base}_{what}");
        if !self.taken.contains(&stem) {
            return stem;
        }
        // Names are never given back, so every suffix below the stem's counter is taken:
        // this is the smallest free `stem_n`, n ≥ 2.
        let n = self.next_suffix.entry(stem.clone()).or_insert(2);
        loop {
            let name = format!("{stem}_{n}");
            *n += 1;
            if !self.taken.contains(&name) {
                return name;
            }
        }
    }
}

/// `AppId` → `app_id`, `ClientIPAddress` → `client_ip_address`, `Status.errorCode` →
/// `status_error_code`. Only `[a-z0-9_]` remain, so the name is a valid identifier.
pub(super) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && i > 0 {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                let boundary = prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower);
                if boundary && !out.is_empty() && !out.ends_with('_') {
                    out.push('_');
                }
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("field");
    }
    out
}

/// Render a condition; `parent` is the binding strength of the enclosing operator
/// (0 top, 1 or, 2 and, 3 not). Sigma binds `not` tighter than `and`, `and` tighter than
/// `or`; an `and` inside an `or` is parenthesised anyway, for the reader (and for converters
/// that get this precedence wrong).
fn render_cond(c: &C, parent: u8) -> String {
    let (s, strength) = match c {
        C::Ref(n) => (n.clone(), 4),
        C::Not(x) => (format!("not {}", render_cond(x, 3)), 3),
        C::And(xs) => (
            xs.iter()
                .map(|x| render_cond(x, 2))
                .collect::<Vec<_>>()
                .join(" and "),
            2,
        ),
        C::Or(xs) => (
            xs.iter()
                .map(|x| render_cond(x, 1))
                .collect::<Vec<_>>()
                .join(" or "),
            1,
        ),
    };
    let needs_parens = match (strength, parent) {
        (4, _) => false,
        (3, p) => p > 3,
        (2, p) => p == 1 || p == 3,
        (_, p) => p > 1,
    };
    if needs_parens {
        format!("({s})")
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

impl Detection {
    /// The lines under `detection:` (4-space indentation, one value per line).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, block) in &self.blocks {
            out.push_str(&format!("    {name}:\n"));
            match block {
                Block::Map(items) => {
                    for it in items {
                        render_item(&mut out, it, "        ", "        ");
                    }
                }
                Block::List(maps) => {
                    for m in maps {
                        for (i, it) in m.iter().enumerate() {
                            let lead = if i == 0 { "        - " } else { "          " };
                            render_item(&mut out, it, lead, "          ");
                        }
                    }
                }
            }
        }
        out.push_str(&format!("    condition: {}\n", self.condition));
        out
    }
}

/// `lead` starts the key's line; `indent` is the key's column, values go 4 further.
fn render_item(out: &mut String, it: &Item, lead: &str, indent: &str) {
    out.push_str(lead);
    out.push_str(&yaml_scalar(&it.key()));
    out.push(':');
    match &it.values[..] {
        [one] => {
            out.push(' ');
            out.push_str(&one.yaml());
            out.push('\n');
        }
        many => {
            out.push('\n');
            for v in many {
                out.push_str(indent);
                out.push_str("    - ");
                out.push_str(&v.yaml());
                out.push('\n');
            }
        }
    }
}
