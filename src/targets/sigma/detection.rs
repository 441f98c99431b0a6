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

mod normalize;
mod predicate;

use super::{sigma_glob, sigma_value, yaml_scalar, TARGET};
use crate::catalog::Mapped;
use crate::ir::{CmpOp, Expr, Field, Number, Pred, Quant, Span, StrOp, Test};
use crate::targets::{unsupported, TargetError};
use normalize::*;
pub(super) use predicate::field_name;
use predicate::*;

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
