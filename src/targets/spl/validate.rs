//! Structural validation of the SPL this target emits.
//!
//! [`validate`] is a check of tripline's own output, not an SPL parser: it accepts the
//! shapes [`super::Spl`] writes and rejects everything else, so that a bug in the emitter
//! (or a catalog expression that breaks the structure) is caught before a query ships.

/// A token of SPL text.
#[derive(Debug, PartialEq)]
pub(super) enum Tok {
    /// A double-quoted string, decoded.
    Str(String),
    /// A single-quoted field name.
    Name(String),
    /// A run of `[A-Za-z0-9_]`.
    Word(String),
    /// Any other character.
    Ch(char),
    /// A triple-backtick comment. tripline only writes comments between queries (the labels
    /// of [`super::super::Target::bundle`]), so a comment ends a query.
    Comment,
}

/// The `|` commands this target emits.
const COMMANDS: &[&str] = &[
    "where",
    "eval",
    "stats",
    "streamstats",
    "sort",
    "rename",
    "table",
    "fields",
];

/// The aggregation functions this target emits in `stats` and `streamstats`.
const AGGREGATES: &[&str] = &["count", "dc", "max", "min", "last"];

/// The `streamstats` options this target may emit (`current=f`).
const STREAMSTATS_OPTIONS: &[&str] = &["current", "window", "global"];

pub(super) fn tokenize(spl: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = spl.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\n' => i += 1,
            '`' => {
                if cs[i..].starts_with(&['`', '`', '`']) {
                    let close = (i + 3..cs.len().saturating_sub(2))
                        .find(|&k| cs[k..].starts_with(&['`', '`', '`']));
                    match close {
                        Some(k) => {
                            toks.push(Tok::Comment);
                            i = k + 3;
                        }
                        None => return Err(format!("unterminated comment at character {i}")),
                    }
                } else {
                    return Err(format!("stray backtick at character {i}"));
                }
            }
            '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match cs.get(j) {
                        None => {
                            return Err(format!("unterminated string starting at character {i}"))
                        }
                        Some('"') => break,
                        Some('\\') => match cs.get(j + 1) {
                            Some(&d @ ('\\' | '"')) => {
                                s.push(d);
                                j += 2;
                            }
                            Some(_) => {
                                s.push('\\');
                                j += 1;
                            }
                            None => {
                                return Err(format!(
                                    "unterminated string starting at character {i}"
                                ))
                            }
                        },
                        Some(&d) if d.is_control() => {
                            return Err(format!("control character in a string at character {j}"))
                        }
                        Some(&d) => {
                            s.push(d);
                            j += 1;
                        }
                    }
                }
                toks.push(Tok::Str(s));
                i = j + 1;
            }
            '\'' => {
                let close = (i + 1..cs.len()).find(|&k| cs[k] == '\'' || cs[k] == '\n');
                match close {
                    Some(k) if cs[k] == '\'' => {
                        toks.push(Tok::Name(cs[i + 1..k].iter().collect()));
                        i = k + 1;
                    }
                    _ => return Err(format!("unterminated field name starting at character {i}")),
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut j = i;
                while j < cs.len() && (cs[j].is_ascii_alphanumeric() || cs[j] == '_') {
                    j += 1;
                }
                toks.push(Tok::Word(cs[i..j].iter().collect()));
                i = j;
            }
            c if c.is_control() => {
                return Err(format!(
                    "control character U+{:04X} at character {i}",
                    c as u32
                ))
            }
            c => {
                toks.push(Tok::Ch(c));
                i += 1;
            }
        }
    }
    Ok(toks)
}

/// A structural check of SPL text as this target emits it, one query or a bundle of
/// queries separated by comments:
/// - strings, single-quoted names and triple-backtick comments terminated; no other
///   backtick and no control character but the line break;
/// - parentheses balanced within every command;
/// - every `|` followed by a command this target emits, in the shape it emits it:
///   - `where <expression>`;
///   - `eval <name>=<expression>[, <name>=<expression>]...`;
///   - `stats <agg>... [by <field>...]`, `streamstats [<option>=<value>...] <agg>... [by
///     <field>...]`, where `<agg>` is `count`, `count(<field>)`, `dc|max|min|last(<field>)`,
///     optionally followed by `as <name>`;
///   - `sort [<limit>] [+|-]<field>...`;
///   - `rename <field> AS <field>[, <field> AS <field>]...`;
///   - `table <field>...` and `fields <field>...`;
/// - the pattern of every `match(…, "<pattern>")` a valid PCRE2 pattern in UTF mode (Splunk's
///   regex library), compiled by the real PCRE2.
///
/// A `<field>` is a word, dotted words (`properties.ipAddress`) or, in `rename` and `table`,
/// a double-quoted name without `*` (which `rename` and `table` read as a wildcard).
pub fn validate(spl: &str) -> Result<(), String> {
    let toks = tokenize(spl)?;
    for (k, t) in toks.iter().enumerate() {
        if matches!(t, Tok::Word(w) if w == "match") && toks.get(k + 1) == Some(&Tok::Ch('(')) {
            check_match_call(&toks, k + 2)?;
        }
    }
    for query in toks.split(|t| *t == Tok::Comment) {
        let mut segments = query.split(|t| *t == Tok::Ch('|'));
        if let Some(base) = segments.next() {
            check_balanced(base)?;
        }
        for seg in segments {
            check_balanced(seg)?;
            check_command(seg)?;
        }
    }
    Ok(())
}

fn check_balanced(toks: &[Tok]) -> Result<(), String> {
    let mut depth: i64 = 0;
    for t in toks {
        match t {
            Tok::Ch('(') => depth += 1,
            Tok::Ch(')') => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced `)`".into());
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced `(`".into());
    }
    Ok(())
}

fn is_word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
}

/// One command after a `|`.
fn check_command(seg: &[Tok]) -> Result<(), String> {
    let (cmd, rest) = match seg.split_first() {
        Some((Tok::Word(w), rest)) if COMMANDS.contains(&w.as_str()) => (w.as_str(), rest),
        other => {
            return Err(format!(
                "`|` followed by {:?}, not a known command",
                other.map(|(t, _)| t)
            ))
        }
    };
    let end = match cmd {
        "where" => {
            if rest.is_empty() {
                return Err("`where` without an expression".into());
            }
            rest.len()
        }
        "eval" => check_eval(rest)?,
        "stats" => check_stats(rest, false)?,
        "streamstats" => check_stats(rest, true)?,
        "sort" => check_sort(rest)?,
        "rename" => check_rename(rest)?,
        _ => check_field_list(rest)?,
    };
    if end != rest.len() {
        return Err(format!(
            "unexpected {:?} in `{cmd}`",
            rest.get(end).map(|t| format!("{t:?}"))
        ));
    }
    Ok(())
}

/// A field name at `toks[i]`: a word followed by any number of `.word`, or (when `quoted`)
/// a double-quoted name without `*`. Returns the index after it.
fn field_at(toks: &[Tok], i: usize, quoted: bool) -> Option<usize> {
    match toks.get(i)? {
        Tok::Str(s) if quoted && !s.is_empty() && !s.contains('*') => Some(i + 1),
        Tok::Word(_) => {
            let mut j = i + 1;
            while toks.get(j) == Some(&Tok::Ch('.'))
                && matches!(toks.get(j + 1), Some(Tok::Word(_)))
            {
                j += 2;
            }
            Some(j)
        }
        _ => None,
    }
}

/// The end of an eval expression starting at `i`: the next top-level `,` or the end.
fn expression_end(toks: &[Tok], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < toks.len() {
        match &toks[j] {
            Tok::Ch('(') => depth += 1,
            Tok::Ch(')') => depth -= 1,
            Tok::Ch(',') if depth == 0 => break,
            _ => {}
        }
        j += 1;
    }
    j
}

fn check_eval(toks: &[Tok]) -> Result<usize, String> {
    let mut i = 0;
    loop {
        let Some(Tok::Word(_)) = toks.get(i) else {
            return Err("`eval` assignment without a field name".into());
        };
        if toks.get(i + 1) != Some(&Tok::Ch('=')) || toks.get(i + 2) == Some(&Tok::Ch('=')) {
            return Err("`eval` assignment without `=`".into());
        }
        let end = expression_end(toks, i + 2);
        if end == i + 2 {
            return Err("`eval` assignment without an expression".into());
        }
        if toks.get(end) == Some(&Tok::Ch(',')) {
            i = end + 1;
        } else {
            return Ok(end);
        }
    }
}

fn check_stats(toks: &[Tok], streaming: bool) -> Result<usize, String> {
    let mut i = 0;
    if streaming {
        while let (Some(Tok::Word(o)), Some(Tok::Ch('=')), Some(Tok::Word(_))) =
            (toks.get(i), toks.get(i + 1), toks.get(i + 2))
        {
            if !STREAMSTATS_OPTIONS.contains(&o.as_str()) {
                return Err(format!("unknown streamstats option `{o}`"));
            }
            i += 3;
        }
    }
    let mut aggs = 0;
    while let Some(Tok::Word(f)) = toks.get(i) {
        if f.eq_ignore_ascii_case("by") {
            break;
        }
        if !AGGREGATES.contains(&f.as_str()) {
            return Err(format!("unknown aggregation `{f}`"));
        }
        i += 1;
        if toks.get(i) == Some(&Tok::Ch('(')) {
            let j = field_at(toks, i + 1, false)
                .ok_or_else(|| format!("`{f}(` without a field name"))?;
            if toks.get(j) != Some(&Tok::Ch(')')) {
                return Err(format!("`{f}(` with more than a field name"));
            }
            i = j + 1;
        } else if f != "count" {
            return Err(format!("`{f}` without a field"));
        }
        if is_word(toks.get(i), "as") {
            let Some(Tok::Word(_)) = toks.get(i + 1) else {
                return Err("`as` without a name".into());
            };
            i += 2;
        }
        aggs += 1;
        if toks.get(i) == Some(&Tok::Ch(',')) {
            i += 1;
        }
    }
    if aggs == 0 {
        return Err("statistics without an aggregation".into());
    }
    if is_word(toks.get(i), "by") {
        i += 1;
        let mut fields = 0;
        while let Some(j) = field_at(toks, i, false) {
            i = j;
            fields += 1;
        }
        if fields == 0 {
            return Err("`by` without a field".into());
        }
    }
    Ok(i)
}

fn check_sort(toks: &[Tok]) -> Result<usize, String> {
    let mut i = 0;
    if matches!(toks.first(), Some(Tok::Word(w)) if w.bytes().all(|b| b.is_ascii_digit())) {
        i = 1;
    }
    let mut fields = 0;
    loop {
        let sign = matches!(toks.get(i), Some(Tok::Ch('-' | '+'))) as usize;
        match field_at(toks, i + sign, false) {
            Some(j) => {
                i = j;
                fields += 1;
            }
            None => break,
        }
    }
    if fields == 0 {
        return Err("`sort` without a field".into());
    }
    Ok(i)
}

fn check_rename(toks: &[Tok]) -> Result<usize, String> {
    let mut i = 0;
    loop {
        let j = field_at(toks, i, true).ok_or("`rename` without a field")?;
        if !is_word(toks.get(j), "as") {
            return Err("`rename` without `AS`".into());
        }
        i = field_at(toks, j + 1, true).ok_or("`rename … AS` without a new name")?;
        if toks.get(i) == Some(&Tok::Ch(',')) {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

fn check_field_list(toks: &[Tok]) -> Result<usize, String> {
    let mut i = 0;
    let mut fields = 0;
    while let Some(j) = field_at(toks, i, true) {
        i = j;
        fields += 1;
        if toks.get(i) == Some(&Tok::Ch(',')) {
            i += 1;
        }
    }
    if fields == 0 {
        return Err("a field list without a field".into());
    }
    Ok(i)
}

/// `toks[start..]` follows `match(`: the first argument up to a top-level comma, then a
/// string that must compile, then `)`.
fn check_match_call(toks: &[Tok], start: usize) -> Result<(), String> {
    let mut depth = 0;
    let mut k = start;
    loop {
        match toks.get(k) {
            None => return Err("unterminated match(".into()),
            Some(Tok::Ch('(')) => depth += 1,
            Some(Tok::Ch(')')) => {
                if depth == 0 {
                    return Err("match( with one argument".into());
                }
                depth -= 1;
            }
            Some(Tok::Ch(',')) if depth == 0 => break,
            _ => {}
        }
        k += 1;
    }
    match (toks.get(k + 1), toks.get(k + 2)) {
        (Some(Tok::Str(p)), Some(Tok::Ch(')'))) => pcre2::bytes::RegexBuilder::new()
            .utf(true)
            .build(p)
            .map(|_| ())
            .map_err(|e| format!("match() pattern {p:?} does not compile: {e}")),
        _ => Err("match( whose second argument is not a string followed by `)`".into()),
    }
}
