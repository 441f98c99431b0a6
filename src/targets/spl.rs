//! The `spl` target: Splunk Search Processing Language.
//!
//! # Shape of the output
//!
//! ```text
//! <the catalog's base search, {index} filled in>
//!     <search term: one top-level conjunct per line>
//!     ...
//! | where (<conjunct>) AND (<conjunct>) ...
//! [| <the stateful stage's commands>]
//! ```
//!
//! A rule with a stateful stage (`threshold`, `new`, `sequence`) gets the stage's commands
//! after its `where` line: see `spl/stage.rs` for the scheme, its refusals and its known
//! differences from the evaluator. Every output is checked by [`validate`] before it is
//! returned.
//!
//! The match expression is split into top-level conjuncts (`and` is flattened, and so is
//! `not (a or b)` = `not a and not b`, which is exact in the language's two-valued logic).
//! A conjunct whose every comparison can be written as an exact `search` term goes on its own
//! line under the base search; every other conjunct goes, whole, into the single `| where`
//! line (one line, conjuncts joined with `AND`, each parenthesised), translated there with
//! `where`-equivalents of every part, including the parts that alone would be search terms.
//!
//! # `search` terms (exact only in these cases)
//! - `F="v"` is a case-insensitive whole-value match in which `*` is a wildcard that cannot
//!   be escaped; `?` is NOT a wildcard in `search` (Splunk Search Manual, "Wildcards": only the
//!   asterisk is a wildcard outside `like()`; "Backslashes": the backslash cannot escape `*`).
//!   So a caseless string test becomes `F="v"`, `F="*v*"`, `F="v*"`, `F="*v"`,
//!   `F IN ("a", "b")` (any) or `(F="a" AND F="b")` (all), provided that no value contains `*`,
//!   a character [`quote_string`] refuses (control characters, backticks), a non-ASCII
//!   letter (see case folding below), or looks like a CIDR network (`search` reads
//!   `F="10.0.0.0/8"` as network membership).
//! - A caseless glob whose only wildcard is `*` is written as is (`F="C:\\W\\*\\cmd.exe"`).
//! - A boolean comparison is `F="true"` / `F="false"`.
//! - `NOT` in `search` keeps events without the field (`NOT F="v"`), which is the language's
//!   two-valued meaning; `F!="v"` is never emitted.
//! - Field names are written bare when they match `[A-Za-z_][A-Za-z0-9_.]*` (and are not an
//!   operator word), otherwise double-quoted; a name with `*` or an `Expr` mapping is never a
//!   search term.
//!
//! # `where` expressions
//! Every atom is made two-valued by hand, because eval logic is three-valued: with `F` a
//! field, the positive form is `(isnotnull(F) AND <test>)` and the negative form is
//! `(isnull(F) OR NOT (<test>))`; negation is pushed down to atoms (`and`/`or` swap).
//! - caseless equality: `lower(F)=="v"` (value lower-cased by tripline), several values
//!   `in(lower(F), "a", "b")`; a value [`quote_string`] refuses goes through `match()`.
//! - everything else on strings is `match()` with an escaped literal (see
//!   [`escape_regex_literal`]), anchored with `\A` / `\z` (never `^`/`$`: PCRE's `$` also
//!   matches before a final newline): cased tests on `F`, caseless ones on `lower(F)` with the
//!   literal lower-cased. Cased equality is also a `match()`, not `==`, because eval compares
//!   two number-looking values numerically (`"1.0"==1`).
//! - glob: `match(lower(F), "(?s)\A...\z")` (cased: on `F`) with `*` → `.*`, `?` → `.`;
//!   a glob made only of `*` means "present", like `exists`.
//! - regex: `match(F, "(?i)<pattern>")` (no `(?i)` when `cased`), with the guard `len(F)>0`
//!   because a missing field includes the empty string, which some patterns match. The
//!   pattern is rewritten for PCRE by [`translate_regex`].
//! - CIDR: `cidrmatch("net", F)`, several nets OR-ed. IPv6 networks are emitted (see
//!   [`CIDRMATCH_IPV6`]).
//! - numbers: `tonumber(F)>5`, guarded by `match(F, <decimal number>)` so that only what
//!   the language reads as a number (`crate::eval::parse_number`) is converted (Splunk's
//!   `tonumber` also reads hex).
//! - `exists`: `(isnotnull(F) AND len(F)>0)`; `missing`: `(isnull(F) OR len(F)==0)`: the
//!   language counts the empty string as missing, and Splunk's `F=*` might not.
//! - field-to-field: both present and non-empty, then `lower(F)==lower(G)` (caseless) or
//!   `sha256(F)==sha256(G)` (cased: compares the texts, where `F==G` could compare numbers).
//! - Field names are single-quoted when they are not `[A-Za-z_][A-Za-z0-9_]*` (a dot is the
//!   concatenation operator in eval); `Expr` mappings are emitted verbatim.
//!
//! # Case folding
//! The language folds case with Unicode lower-casing. Splunk documents neither how `search`
//! folds non-ASCII letters nor what `lower()` and PCRE `(?i)` do with them, so a
//! case-insensitive test whose literal contains a non-ASCII letter that has a case mapping is
//! refused (write `cased` and list the spellings). ASCII literals are exact; what Splunk does
//! with non-ASCII letters in the *data* (e.g. the Kelvin sign, which Unicode lower-cases to
//! `k`) is assumed to match.

use super::guards::Guard;
use super::logic::{Negation, Node, Style};
use super::text::{caseful_non_ascii, RegexDialect};
use super::{unsupported, Artifact, Ctx, Target, TargetError};
use crate::targets::Construct;

mod artifact;
mod stage;
mod validate;

use crate::catalog::{FieldType, Mapped};
use crate::ir::{self, Expr, Field, Pred, Quant, Span, StrOp, Test};
pub use validate::validate;
#[cfg(test)]
use validate::{tokenize, Tok};

/// The target's name in diagnostics.
const TARGET: &str = "spl";

/// Whether IPv6 networks are emitted with `cidrmatch()`.
///
/// Splunk's reference does not state IPv6 support in the text available to us, but a
/// published test on Splunk 8.2.2 (`where cidrmatch("2020::1/127", IPV6)`) and community
/// macros (`cidrmatch("fc00::/7", ip)`) show that it works. Set to `false` to refuse IPv6
/// networks instead.
pub const CIDRMATCH_IPV6: bool = true;

/// What [`ir::Number::parse`] accepts (Rust's float syntax without `inf`/`nan`), as a PCRE.
const NUMBER_RE: &str = r"\A-?[0-9]+(?:\.[0-9]+)?\z";

/// The spl target.
pub struct Spl;

impl Target for Spl {
    fn refusals(&self) -> &'static [Construct] {
        &[
            Construct::SequenceShape,
            Construct::StageWindow,
            Construct::StageField,
            Construct::FieldName,
            Construct::MappedExpression,
            Construct::CaselessNonAscii,
            Construct::RegexPattern,
            Construct::Ipv6Cidr,
            Construct::StringLiteral,
            Construct::CatalogSetting,
            Construct::Artifact,
        ]
    }

    fn name(&self) -> &'static str {
        "spl"
    }

    fn extension(&self) -> &'static str {
        "spl"
    }

    fn unmapped_source(&self) -> crate::catalog::TargetSource {
        crate::catalog::TargetSource {
            base: Some("index=*".into()),
            ..Default::default()
        }
    }

    fn compile_rule(&self, rule: &ir::Rule, ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        let mut base = base_line(rule, ctx).map_err(|e| vec![e])?;
        let mut conjuncts = Vec::new();
        flatten_conjuncts(&rule.expr, false, &mut conjuncts);
        let mut terms = Vec::new();
        let mut wheres = Vec::new();
        let mut errors = Vec::new();
        for (e, neg) in conjuncts {
            if let Some(s) = search_expr(e, neg) {
                terms.push(STYLE.render(&s));
                continue;
            }
            match where_expr(e, neg) {
                Ok(w) => wheres.push(w),
                Err(mut es) => errors.append(&mut es),
            }
        }
        let stage = match &rule.stage {
            Some(st) => match stage::compile(st, ctx) {
                Ok(s) => Some(s),
                Err(mut es) => {
                    errors.append(&mut es);
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Some(s) = &stage {
            base.push_str(&s.base_suffix);
        }
        let mut out = base;
        out.push('\n');
        for t in &terms {
            out.push_str("    ");
            out.push_str(t);
            out.push('\n');
        }
        if !wheres.is_empty() {
            let parts: Vec<String> = wheres.iter().map(render_conjunct).collect();
            out.push_str("| where ");
            out.push_str(&parts.join(" AND "));
            out.push('\n');
        }
        for line in stage.iter().flat_map(|s| &s.lines) {
            out.push_str(line);
            out.push('\n');
        }
        validate(&out).map_err(|m| {
            vec![unsupported(
                TARGET,
                Construct::CatalogSetting,
                "this rule",
                rule.span,
                &format!("the generated SPL failed tripline's structural check: {m}"),
                Some("check the catalog's SPL base search and field expressions"),
            )]
        })?;
        Ok(out)
    }

    /// A `savedsearches.conf` stanza (see the `artifact` submodule).
    fn artifact(
        &self,
        rule: &ir::Rule,
        query: &str,
        ctx: &Ctx,
    ) -> Result<Option<Artifact>, Vec<TargetError>> {
        artifact::stanza(rule, query, ctx).map(Some)
    }

    /// Two stanzas of one name (two rules of one title): in one `savedsearches.conf` the
    /// later's keys would merge into the earlier's.
    fn check_artifacts(&self, artifacts: &[(&ir::Rule, &Artifact)]) -> Vec<(usize, TargetError)> {
        artifact::collisions(artifacts)
    }

    fn comment(&self, text: &str) -> String {
        let clean: String = text
            .chars()
            .map(|c| match c {
                '`' => '\'',
                c if c.is_control() => ' ',
                c => c,
            })
            .collect();
        format!("```{clean}```")
    }
}

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

/// Write `s` as a double-quoted SPL string literal (for `search` values and `where`/eval
/// strings alike): `\` becomes `\\` and `"` becomes `\"`; every other character stands for
/// itself.
///
/// Returns `Err(c)` with the first character that cannot be written inside a literal:
/// control characters (SPL has no documented `\n`-style escape in search values, and a raw
/// line break in a query is not reliably the same character in the data) and the backtick
/// (backticks delimit macros and, tripled, comments). Callers move such values to `where`,
/// where [`escape_regex_literal`] spells them `\x{..}` inside a regex.
pub fn quote_string(s: &str) -> Result<String, char> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '`' => return Err(c),
            c if c.is_control() => return Err(c),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// Write a field name for `where`/eval: bare when it is `[A-Za-z_][A-Za-z0-9_]*` and not an
/// operator word, otherwise in single quotes (`'OperationProperties{}.Name'`).
///
/// Names holding a quote, a backslash, a backtick or a control character are refused (`Err`
/// with the reason): SPL documents no escape inside single-quoted field names.
pub fn quote_field(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("the field name is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|&c| matches!(c, '\'' | '"' | '\\' | '`') || c.is_control())
    {
        return Err(format!(
            "the field name `{}` contains {}, which SPL cannot quote in a field name",
            name.escape_debug(),
            describe_char(c)
        ));
    }
    let bare = is_ident(name, false) && !is_operator_word(name);
    Ok(if bare {
        name.to_string()
    } else {
        format!("'{name}'")
    })
}

/// A field name for `search`: bare when `[A-Za-z_][A-Za-z0-9_.]*`, otherwise double-quoted;
/// `None` when it cannot be a search field: a wildcard, a quote or backslash (no documented
/// escape in field names, and `where` refuses them too), or a character `quote_string`
/// refuses.
fn search_field_name(name: &str) -> Option<String> {
    if name.is_empty() || name.chars().any(|c| matches!(c, '*' | '\'' | '"' | '\\')) {
        return None;
    }
    if is_ident(name, true) && !is_operator_word(name) {
        Some(name.to_string())
    } else {
        quote_string(name).ok()
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`, with `.` also allowed after the first character when `dots`.
fn is_ident(s: &str, dots: bool) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || (dots && c == '.'))
}

/// Words with a meaning of their own in `search` or `where`.
fn is_operator_word(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "AND", "OR", "NOT", "XOR", "IN", "LIKE", "TRUE", "FALSE", "NULL", "TERM", "CASE",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Escape a literal string for use inside a PCRE (and Rust `regex`) pattern: regex
/// metacharacters get a backslash, control characters and the backtick become `\x{..}` so
/// that the pattern never holds them raw; everything else stands for itself.
pub fn escape_regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_regex_literal(&mut out, c);
    }
    out
}

/// PCRE2 as SPL writes it inside a string: its metacharacters escaped, control characters
/// and the backtick (which SPL's parser reads in any string) as `\x{..}`.
const PCRE: RegexDialect = RegexDialect {
    meta: |c| {
        matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        )
    },
    by_code_point: |c| c == '`' || c.is_control(),
    upper_hex: false,
};

fn push_regex_literal(out: &mut String, c: char) {
    PCRE.push_literal(out, c)
}

/// Push a character that is already meant literally at this point of a pattern, spelling
/// control characters and the backtick as `\x{..}`.
fn push_raw_regex_char(out: &mut String, c: char) {
    PCRE.push_raw(out, c)
}

/// A glob (`*` any run, `?` one character, nothing else special) as an anchored PCRE body.
fn glob_to_regex(glob: &str) -> String {
    format!("\\A{}\\z", PCRE.glob_body(glob))
}

/// A comparison operator as SPL's `where` and `eval` write it: each as the rule language
/// does. Every operator is named, so a new one is SPL's decision too.
fn cmp_op(op: ir::CmpOp) -> &'static str {
    use ir::CmpOp::{Eq, Ge, Gt, Le, Lt, Ne};
    match op {
        Eq | Ne | Lt | Le | Gt | Ge => op.symbol(),
    }
}

fn describe_char(c: char) -> String {
    if c == '`' {
        "a backtick".to_string()
    } else if c.is_control() {
        format!("the control character U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

/// A non-ASCII character with a case mapping: case-insensitive comparison with it is not
/// known to fold the way the language does on Splunk.
fn unsure_case_char(s: &str) -> Option<char> {
    caseful_non_ascii(s)
}

/// Whether `search` could read the value as a CIDR network (`F="10.0.0.0/8"`).
fn cidr_like(v: &str) -> bool {
    v.contains('/')
        && v.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/' | '*'))
}

/// `\b` of the language (ASCII word characters) for PCRE, whatever its UCP option.
const ASCII_BOUNDARY: &str =
    "(?-i:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))";
/// `\B` of the language for PCRE.
const ASCII_NON_BOUNDARY: &str =
    "(?-i:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))";

/// Rewrite a rule-language regex (the RE2 / Rust / PCRE common subset) as a PCRE with the
/// same meaning on Splunk:
/// - `(?i)` is prepended unless `cased`;
/// - `$` outside a class becomes `\z` unless multi-line mode is on (PCRE's `$` also matches
///   before a final newline; Rust's does not);
/// - raw or escaped control characters and backticks become `\x{..}`;
/// - refused: flag groups other than `i`, `m`, `s`, `U` (`x` ignores whitespace differently,
///   `R` means recursion in PCRE, `u` is Rust-only), a change of `m` after the leading flags,
///   `[` inside a class (a nested class in Rust, a literal in PCRE) and `&&`/`--`/`~~` in a
///   class (set operations in Rust), and, unless `cased`, non-ASCII letters.
///
/// `Err` carries (construct, reason).
pub fn translate_regex(pattern: &str, cased: bool) -> Result<String, (String, String)> {
    let cs: Vec<char> = pattern.chars().collect();
    let n = cs.len();
    if !cased {
        if let Some(c) = unsure_case_char(pattern) {
            return Err((
                "a case-insensitive regex with a non-ASCII letter".into(),
                format!("`{c}`: Splunk's PCRE case folding for non-ASCII letters is not known to match the language's"),
            ));
        }
    }
    let flag_group = |i: usize| -> Option<(usize, String)> {
        // `(?flags)` or `(?flags:` starting at i; returns (index of `)`/`:`, flags).
        if i + 2 < n && cs[i] == '(' && cs[i + 1] == '?' {
            let mut j = i + 2;
            while j < n && (cs[j].is_ascii_alphabetic() || cs[j] == '-') {
                j += 1;
            }
            if j > i + 2 && j < n && (cs[j] == ')' || cs[j] == ':') {
                return Some((j, cs[i + 2..j].iter().collect()));
            }
        }
        None
    };
    let check_flags = |flags: &str| -> Result<(), (String, String)> {
        match flags
            .chars()
            .find(|c| !matches!(c, 'i' | 'm' | 's' | 'U' | '-'))
        {
            Some(c) => Err((
                format!("the regex flag `{c}`"),
                "only the flags i, m, s and U mean the same in the rule language and in PCRE"
                    .into(),
            )),
            None => Ok(()),
        }
    };
    let mut out = String::new();
    if !cased {
        out.push_str("(?i)");
    }
    // Leading flag groups decide multi-line mode for the whole pattern.
    let mut i = 0;
    let mut multiline = false;
    while let Some((j, flags)) = flag_group(i) {
        if cs[j] != ')' {
            break;
        }
        check_flags(&flags)?;
        let mut on = true;
        for f in flags.chars() {
            match f {
                '-' => on = false,
                'm' => multiline = on,
                _ => {}
            }
        }
        out.extend(&cs[i..=j]);
        i = j + 1;
    }
    let mut in_class = false;
    while i < n {
        let c = cs[i];
        if c == '\\' {
            let Some(&d) = cs.get(i + 1) else {
                return Err((
                    "a regex ending in a lone backslash".into(),
                    "the pattern is not valid".into(),
                ));
            };
            if d == '`' || d.is_control() {
                push_raw_regex_char(&mut out, d);
            } else if !in_class && (d == 'b' || d == 'B') {
                // The language's `\b` is an ASCII word boundary; PCRE's follows Unicode
                // properties under the UCP option, which Splunk does not document. Spelled
                // with ASCII look-around (case folding off), it means the same either way.
                out.push_str(if d == 'b' {
                    ASCII_BOUNDARY
                } else {
                    ASCII_NON_BOUNDARY
                });
            } else {
                out.push('\\');
                out.push(d);
            }
            i += 2;
            continue;
        }
        if in_class {
            match c {
                '[' if cs.get(i + 1) == Some(&':') => {
                    // POSIX class `[:alpha:]`: copy through `:]`.
                    let end =
                        (i + 2..n.saturating_sub(1)).find(|&k| cs[k] == ':' && cs[k + 1] == ']');
                    let Some(end) = end else {
                        return Err((
                            "an unterminated POSIX class in a regex".into(),
                            "the pattern is not valid".into(),
                        ));
                    };
                    out.extend(&cs[i..end + 2]);
                    i = end + 2;
                    continue;
                }
                '[' => return Err((
                    "a `[` inside a regex character class".into(),
                    "Rust reads it as a nested class, PCRE as a literal `[`: escape it as `\\[`"
                        .into(),
                )),
                '&' | '-' | '~' if cs.get(i + 1) == Some(&c) => {
                    return Err((
                        format!("`{c}{c}` inside a regex character class"),
                        "Rust reads it as a set operation, PCRE as literal characters".into(),
                    ))
                }
                ']' => in_class = false,
                // `[.`, `[=` and `[:` open POSIX collating elements and classes in PCRE;
                // escaped, these are the plain characters the language means.
                '.' | '=' | ':' if out.ends_with('[') => {
                    out.push('\\');
                    out.push(c);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            push_raw_regex_char(&mut out, c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if cs.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if cs.get(i) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
                continue;
            }
            '^' if multiline => {
                // PCRE's multi-line `^` does not match after a newline that ends the value;
                // the language's (Rust's and RE2's) does.
                out.push_str("(?:^|(?<=\\n))");
            }
            '$' => {
                if multiline {
                    out.push('$');
                } else {
                    out.push_str("\\z");
                }
            }
            '(' => {
                if let Some((_, flags)) = flag_group(i) {
                    check_flags(&flags)?;
                    if flags.contains('m') {
                        return Err((
                            "a regex that changes multi-line mode after its start".into(),
                            "tripline only follows `(?m)` at the start of a pattern".into(),
                        ));
                    }
                }
                out.push('(');
            }
            c => push_raw_regex_char(&mut out, c),
        }
        i += 1;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The base search
// ---------------------------------------------------------------------------------------------

fn base_line(rule: &ir::Rule, ctx: &Ctx) -> Result<String, TargetError> {
    let no_table = |what: &str| TargetError::NoTable {
        target: TARGET.to_string(),
        source_name: ctx.source_name.to_string(),
        what: what.to_string(),
        span: rule.span.into(),
    };
    let ts = ctx.source.targets.get(ctx.catalog_key);
    let base = ts
        .and_then(|t| t.base.as_deref())
        .ok_or_else(|| no_table("base search"))?;
    let mut line = base.trim().to_string();
    if line.contains("{index}") {
        let index = ctx
            .opts
            .spl_index
            .as_deref()
            .or_else(|| ts.and_then(|t| t.index.as_deref()))
            .ok_or_else(|| no_table("index"))?;
        let ok = !index.is_empty()
            && index
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*'));
        if !ok {
            return Err(unsupported(
                TARGET,
                Construct::CatalogSetting,
                &format!("the index name `{}`", index.escape_debug()),
                rule.span,
                "an index name may only hold letters, digits, `_`, `-` and `*`",
                Some("pass a plain index name"),
            ));
        }
        line = line.replace("{index}", index);
    }
    if line.is_empty() || line.contains('\n') || !base_is_plain_search(&line) {
        return Err(unsupported(
            TARGET,
            Construct::CatalogSetting,
            "the catalog's base search",
            rule.span,
            "the base search must be one line of search terms, without `|` or backticks",
            Some("move later pipeline stages out of the catalog's `base`"),
        ));
    }
    Ok(line)
}

/// No `|`, backtick or control character outside double quotes, and quotes balanced.
fn base_is_plain_search(s: &str) -> bool {
    let mut in_str = false;
    let mut esc = false;
    for c in s.chars() {
        if c.is_control() || c == '`' {
            return false;
        }
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if c == '|' {
            return false;
        }
    }
    !in_str
}

// ---------------------------------------------------------------------------------------------
// Top-level conjuncts
// ---------------------------------------------------------------------------------------------

/// Split into conjuncts, each with whether it is negated.
fn flatten_conjuncts<'e>(e: &'e Expr, neg: bool, out: &mut Vec<(&'e Expr, bool)>) {
    match (e, neg) {
        (Expr::And(xs), false) | (Expr::Or(xs), true) => {
            for x in xs {
                flatten_conjuncts(x, neg, out);
            }
        }
        (Expr::Not(x), _) => flatten_conjuncts(x, !neg, out),
        _ => out.push((e, neg)),
    }
}

// ---------------------------------------------------------------------------------------------
// search terms
// ---------------------------------------------------------------------------------------------

/// SPL's boolean tokens, in `search` and in `where`/`eval`: `AND`/`OR`/`NOT`, every chain
/// parenthesised, nested chains of one connective merged, a bare comparison parenthesised
/// under `NOT`, a double `NOT` cancelled.
pub(crate) const STYLE: Style = Style {
    and: " AND ",
    or: " OR ",
    truth: "true()",
    falsity: "false()",
    negation: Negation::Prefix("NOT"),
    always_group: true,
    flatten: true,
    chain_max: usize::MAX,
};

/// A `search` expression (its atoms are terms).
type S = Node;

/// The exact `search` form of `e` (negated when `neg`), or `None`.
fn search_expr(e: &Expr, neg: bool) -> Option<S> {
    let s = match e {
        Expr::Not(x) => return search_expr(x, !neg),
        Expr::And(xs) => Node::And(
            xs.iter()
                .map(|x| search_expr(x, false))
                .collect::<Option<_>>()?,
        ),
        Expr::Or(xs) => Node::Or(
            xs.iter()
                .map(|x| search_expr(x, false))
                .collect::<Option<_>>()?,
        ),
        Expr::Pred(p) => search_pred(p)?,
    };
    Some(if neg { s.negate() } else { s })
}

fn search_pred(p: &Pred) -> Option<S> {
    let f = match p.field.target() {
        Mapped::Column(name) => search_field_name(&name)?,
        Mapped::Expr(_) => return None,
    };
    match &p.test {
        Test::Str {
            op,
            values,
            quant,
            cased: false,
        } => {
            let mut pats = Vec::new();
            for v in values {
                if v.contains('*') || cidr_like(v) || unsure_case_char(v).is_some() {
                    return None;
                }
                let pat = match op {
                    StrOp::Eq => v.clone(),
                    StrOp::Contains => format!("*{v}*"),
                    StrOp::StartsWith => format!("{v}*"),
                    StrOp::EndsWith => format!("*{v}"),
                };
                pats.push(quote_string(&pat).ok()?);
            }
            Some(search_terms(&f, pats, *quant))
        }
        Test::Glob {
            patterns,
            cased: false,
        } => {
            let mut pats = Vec::new();
            for g in patterns {
                if g.contains('?')
                    || g.chars().all(|c| c == '*')
                    || cidr_like(g)
                    || unsure_case_char(g).is_some()
                {
                    return None;
                }
                pats.push(quote_string(g).ok()?);
            }
            Some(search_terms(&f, pats, Quant::Any))
        }
        Test::BoolEq { value } => Some(Node::atom(format!("{f}=\"{value}\""))),
        _ => None,
    }
}

/// `F="a"`, `F IN ("a", "b")` or `(F="a" AND F="b")` from quoted patterns.
fn search_terms(f: &str, pats: Vec<String>, quant: Quant) -> S {
    match (quant, pats.len()) {
        (_, 1) => Node::atom(format!("{f}={}", pats[0])),
        (Quant::Any, _) => Node::atom(format!("{f} IN ({})", pats.join(", "))),
        (Quant::All, _) => Node::And(
            pats.into_iter()
                .map(|p| Node::atom(format!("{f}={p}")))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// where expressions
// ---------------------------------------------------------------------------------------------

/// A `where` (eval) expression: calls are atoms, binary comparisons bare atoms.
type W = Node;

/// Rendered as one conjunct of the `where` line: always parenthesised.
fn render_conjunct(w: &W) -> String {
    match w {
        Node::And(_) | Node::Or(_) => STYLE.render(w),
        other => format!("({})", STYLE.render(other)),
    }
}

fn w_and(xs: Vec<W>) -> W {
    STYLE.all(xs)
}

fn w_or(xs: Vec<W>) -> W {
    STYLE.any(xs)
}

fn not_null(f: &str) -> Guard {
    Guard::new(format!("isnotnull({f})"), format!("isnull({f})"))
}

fn non_empty(f: &str) -> Guard {
    Guard {
        present: Node::bare(format!("len({f})>0")),
        missing: Node::bare(format!("len({f})==0")),
    }
}

fn numeric(f: &str) -> Result<Guard, TargetError> {
    let m = Node::atom(format!("match({f}, {})", quote_internal(NUMBER_RE)?));
    Ok(Guard {
        missing: m.clone().negate(),
        present: m,
    })
}

/// `(g1 AND g2 AND body)`, or negated `(not g1 OR not g2 OR NOT body)`.
fn guarded(guards: Vec<Guard>, body: W, neg: bool) -> W {
    let test = if neg { body.negate() } else { body };
    super::guards::guarded(&STYLE, guards, test, neg)
}

/// A string we built ourselves (never holds a refused character) as an SPL literal.
fn quote_internal(s: &str) -> Result<String, TargetError> {
    quote_string(s).map_err(|c| {
        unsupported(
            TARGET,
            Construct::StringLiteral,
            "a string",
            Span::default(),
            &format!("internal: {} in a generated literal", describe_char(c)),
            None,
        )
    })
}

/// The `where` form of `e` (negated when `neg`); every refusal inside it.
fn where_expr(e: &Expr, neg: bool) -> Result<W, Vec<TargetError>> {
    match e {
        Expr::Not(x) => where_expr(x, !neg),
        Expr::And(xs) | Expr::Or(xs) => {
            let mut parts = Vec::new();
            let mut errors = Vec::new();
            for x in xs {
                match where_expr(x, neg) {
                    Ok(w) => parts.push(w),
                    Err(mut es) => errors.append(&mut es),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            let is_and = matches!(e, Expr::And(_)) != neg;
            Ok(if is_and { w_and(parts) } else { w_or(parts) })
        }
        Expr::Pred(p) => where_pred(p, neg).map_err(|e| vec![e]),
    }
}

/// A field as written in `where` (always used as a function argument).
fn where_field(field: &Field, span: Span) -> Result<String, TargetError> {
    match field.target() {
        Mapped::Column(name) => quote_field(&name).map_err(|reason| {
            unsupported(
                TARGET,
                Construct::FieldName,
                &format!("the field `{}`", name.escape_debug()),
                span,
                &reason,
                Some("map the field to a plain column name in the catalog"),
            )
        }),
        Mapped::Expr(text) => {
            if let Some(c) = text.chars().find(|&c| c == '`' || c.is_control()) {
                return Err(unsupported(
                    TARGET,
                    Construct::MappedExpression,
                    &format!("the mapped expression for `{}`", field.name),
                    span,
                    &format!("it contains {}", describe_char(c)),
                    Some("fix the catalog's SPL expression for this field"),
                ));
            }
            Ok(text.trim().to_string())
        }
    }
}

fn fold_refusal(c: char, span: Span) -> TargetError {
    unsupported(
        TARGET,
        Construct::CaselessNonAscii,
        "a case-insensitive comparison with a non-ASCII letter",
        span,
        &format!(
            "`{c}`: Splunk does not document folding non-ASCII letters the way the language does (Unicode lower-casing)"
        ),
        Some("write `cased` and list each spelling, or use a regex with explicit alternatives"),
    )
}

fn where_pred(p: &Pred, neg: bool) -> Result<W, TargetError> {
    let span = p.span;
    let f = where_field(&p.field, span)?;
    match &p.test {
        Test::Exists => Ok(exists(&f, neg)),
        Test::Str {
            op,
            values,
            quant,
            cased,
        } => {
            if !cased {
                if let Some(c) = values.iter().find_map(|v| unsure_case_char(v)) {
                    return Err(fold_refusal(c, span));
                }
            }
            let body = str_body(&f, *op, values, *quant, *cased)?;
            Ok(guarded(vec![not_null(&f)], body, neg))
        }
        Test::Glob { patterns, cased } => {
            if patterns.iter().any(|g| g.chars().all(|c| c == '*')) {
                return Ok(exists(&f, neg));
            }
            if !cased {
                if let Some(c) = patterns.iter().find_map(|g| unsure_case_char(g)) {
                    return Err(fold_refusal(c, span));
                }
            }
            let res: Vec<String> = patterns
                .iter()
                .map(|g| glob_to_regex(&if *cased { g.clone() } else { g.to_lowercase() }))
                .collect();
            let re = format!("(?s){}", alternation(&res));
            let subject = if *cased {
                f.clone()
            } else {
                format!("lower({f})")
            };
            let body = Node::atom(format!("match({subject}, {})", quote_internal(&re)?));
            Ok(guarded(vec![not_null(&f)], body, neg))
        }
        Test::Regex { pattern, cased } => where_regex(&f, pattern, *cased, span, neg),
        Test::Cidr { nets } => where_cidr(&f, nets, span, neg),
        Test::NumEq { values } => {
            let parts = values
                .iter()
                .map(|v| Node::bare(format!("tonumber({f})=={}", v.text)))
                .collect();
            Ok(guarded(vec![not_null(&f), numeric(&f)?], w_or(parts), neg))
        }
        Test::NumCmp { op, value } => {
            let body = Node::bare(format!("tonumber({f}){}{}", cmp_op(*op), value.text));
            Ok(guarded(vec![not_null(&f), numeric(&f)?], body, neg))
        }
        Test::BoolEq { value } => {
            let body = Node::bare(format!("lower({f})==\"{value}\""));
            Ok(guarded(vec![not_null(&f)], body, neg))
        }
        Test::FieldEq { other, cased } => {
            let g = where_field(other, span)?;
            let stringy =
                |t: FieldType| matches!(t, FieldType::String | FieldType::Ip | FieldType::Json);
            let body = if *cased && stringy(p.field.ty) && stringy(other.ty) {
                Node::bare(format!("sha256({f})==sha256({g})"))
            } else {
                Node::bare(format!("lower({f})==lower({g})"))
            };
            let guards = vec![not_null(&f), non_empty(&f), not_null(&g), non_empty(&g)];
            Ok(guarded(guards, body, neg))
        }
    }
}

/// `matches` in `where`: `match()` with the pattern in PCRE's dialect.
fn where_regex(
    f: &str,
    pattern: &str,
    cased: bool,
    span: Span,
    neg: bool,
) -> Result<W, TargetError> {
    // The language's \d, \w, \s are ASCII, as in PCRE; spell them out anyway so the
    // pattern means the same under PCRE's UCP option.
    let pattern = &crate::ir::regex::ascii_classes(pattern, false);
    let re = translate_regex(pattern, cased).map_err(|(construct, reason)| {
        unsupported(
            TARGET,
            Construct::RegexPattern,
            &construct,
            span,
            &reason,
            None,
        )
    })?;
    let body = Node::atom(format!("match({f}, {})", quote_internal(&re)?));
    Ok(guarded(vec![not_null(f), non_empty(f)], body, neg))
}

/// `in cidr` in `where`: one `cidrmatch()` per network.
fn where_cidr(f: &str, nets: &[ipnet::IpNet], span: Span, neg: bool) -> Result<W, TargetError> {
    if !CIDRMATCH_IPV6 {
        if let Some(n) = nets.iter().find(|n| matches!(n, ipnet::IpNet::V6(_))) {
            return Err(unsupported(
                TARGET,
                Construct::Ipv6Cidr,
                &format!("the IPv6 network {n}"),
                span,
                "cidrmatch() is not trusted with IPv6 in this build",
                None,
            ));
        }
    }
    let mut parts = Vec::new();
    for n in nets {
        parts.push(Node::atom(format!(
            "cidrmatch({}, {f})",
            quote_internal(&n.to_string())?
        )));
    }
    Ok(guarded(vec![not_null(f)], w_or(parts), neg))
}

/// `exists` / `missing`: present and not the empty string.
fn exists(f: &str, neg: bool) -> W {
    if neg {
        Node::Or(vec![
            Node::atom(format!("isnull({f})")),
            Node::bare(format!("len({f})==0")),
        ])
    } else {
        Node::And(vec![
            Node::atom(format!("isnotnull({f})")),
            Node::bare(format!("len({f})>0")),
        ])
    }
}

/// `a` or `(?:a|b)`.
fn alternation(res: &[String]) -> String {
    if res.len() == 1 {
        res[0].clone()
    } else {
        format!("(?:{})", res.join("|"))
    }
}

/// The test of a string comparison on a present field.
fn str_body(
    f: &str,
    op: StrOp,
    values: &[String],
    quant: Quant,
    cased: bool,
) -> Result<W, TargetError> {
    let vals: Vec<String> = if cased {
        values.to_vec()
    } else {
        values.iter().map(|v| v.to_lowercase()).collect()
    };
    let subject = if cased {
        f.to_string()
    } else {
        format!("lower({f})")
    };
    if op == StrOp::Eq && !cased {
        let quoted: Result<Vec<String>, char> = vals.iter().map(|v| quote_string(v)).collect();
        if let Ok(q) = quoted {
            return Ok(match (quant, q.len()) {
                (_, 1) => Node::bare(format!("{subject}=={}", q[0])),
                (Quant::Any, _) => Node::atom(format!("in({subject}, {})", q.join(", "))),
                (Quant::All, _) => w_and(
                    q.iter()
                        .map(|v| Node::bare(format!("{subject}=={v}")))
                        .collect(),
                ),
            });
        }
    }
    let (start, end) = op.anchors();
    let (pre, post) = (if start { "\\A" } else { "" }, if end { "\\z" } else { "" });
    let lits: Vec<String> = vals.iter().map(|v| escape_regex_literal(v)).collect();
    let call = |body: &str| -> Result<W, TargetError> {
        Ok(Node::atom(format!(
            "match({subject}, {})",
            quote_internal(&format!("{pre}{body}{post}"))?
        )))
    };
    match quant {
        Quant::Any => {
            let body = if lits.len() == 1 {
                lits[0].clone()
            } else if pre.is_empty() && post.is_empty() {
                lits.join("|")
            } else {
                format!("(?:{})", lits.join("|"))
            };
            call(&body)
        }
        Quant::All => Ok(w_and(
            lits.iter()
                .map(|l| call(l))
                .collect::<Result<Vec<_>, _>>()?,
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Source, TargetSource};
    use crate::ir::{CmpOp, Number, Rule};
    use crate::targets::TargetOptions;
    use indexmap::IndexMap;

    const BASE: &str = "index={index} sourcetype=\"o365:management:activity\"";

    fn source(base: Option<&str>, index: Option<&str>) -> Source {
        let mut targets = IndexMap::new();
        targets.insert(
            "spl".to_string(),
            TargetSource {
                base: base.map(str::to_string),
                index: index.map(str::to_string),
                ..Default::default()
            },
        );
        Source {
            description: "test".into(),
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
            name: "r".into(),
            meta: Default::default(),
            source: "m365.audit".into(),
            expr,
            span: Span::new(0, 100),
            stage: None,
            tests: Vec::new(),
            test_files: Vec::new(),
            stream_tests: Vec::new(),
        }
    }

    fn compile_with(
        expr: Expr,
        src: &Source,
        opts: &TargetOptions,
    ) -> Result<String, Vec<TargetError>> {
        let ctx = Ctx {
            source: src,
            source_name: "m365.audit",
            opts,
            catalog_key: "spl",
        };
        let out = Spl.compile_rule(&rule(expr), &ctx);
        if let Ok(text) = &out {
            validate(text).unwrap_or_else(|e| panic!("invalid SPL ({e}):\n{text}"));
        }
        out
    }

    fn compile(expr: Expr) -> Result<String, Vec<TargetError>> {
        compile_with(
            expr,
            &source(Some(BASE), Some("o365")),
            &TargetOptions::default(),
        )
    }

    /// The body after the base line.
    fn body(expr: Expr) -> String {
        let out = compile(expr).unwrap_or_else(|e| panic!("refused: {e:?}"));
        let (first, rest) = out.split_once('\n').unwrap();
        assert_eq!(first, "index=o365 sourcetype=\"o365:management:activity\"");
        rest.to_string()
    }

    /// The constructs named by the refusals.
    fn refused(expr: Expr) -> Vec<String> {
        match compile(expr) {
            Ok(t) => panic!("expected a refusal, got:\n{t}"),
            Err(es) => es
                .into_iter()
                .map(|e| match e {
                    TargetError::Unsupported {
                        construct, span, ..
                    } => {
                        assert_eq!(span, miette::SourceSpan::from((3, 4)));
                        construct
                    }
                    other => panic!("unexpected {other:?}"),
                })
                .collect(),
        }
    }

    fn fld(name: &str) -> Field {
        Field {
            name: name.into(),
            ty: FieldType::String,
            mapped: Some(Mapped::Column(name.into())),
        }
    }

    fn typed(name: &str, ty: FieldType) -> Field {
        Field { ty, ..fld(name) }
    }

    fn mapped_expr(name: &str, expr: &str) -> Field {
        Field {
            mapped: Some(Mapped::Expr(expr.into())),
            ..fld(name)
        }
    }

    fn pred_on(field: Field, test: Test) -> Expr {
        Expr::Pred(Pred {
            field,
            test,
            span: Span::new(3, 7),
        })
    }

    fn pred(f: &str, test: Test) -> Expr {
        pred_on(fld(f), test)
    }

    fn strs(op: StrOp, vals: &[&str], quant: Quant, cased: bool) -> Test {
        Test::Str {
            op,
            values: vals.iter().map(|s| s.to_string()).collect(),
            quant,
            cased,
        }
    }

    fn eq(f: &str, v: &str) -> Expr {
        pred(f, strs(StrOp::Eq, &[v], Quant::Any, false))
    }

    fn eq_cased(f: &str, v: &str) -> Expr {
        pred(f, strs(StrOp::Eq, &[v], Quant::Any, true))
    }

    fn op(f: &str, o: StrOp, v: &str) -> Expr {
        pred(f, strs(o, &[v], Quant::Any, false))
    }

    fn glob(f: &str, pats: &[&str], cased: bool) -> Expr {
        pred(
            f,
            Test::Glob {
                patterns: pats.iter().map(|s| s.to_string()).collect(),
                cased,
            },
        )
    }

    fn re(f: &str, p: &str, cased: bool) -> Expr {
        pred(
            f,
            Test::Regex {
                pattern: p.into(),
                cased,
            },
        )
    }

    fn cidr(f: &str, nets: &[&str]) -> Expr {
        pred_on(
            typed(f, FieldType::Ip),
            Test::Cidr {
                nets: nets.iter().map(|n| n.parse().unwrap()).collect(),
            },
        )
    }

    fn num(v: &str) -> Number {
        Number::parse(v).unwrap()
    }

    fn num_eq(f: &str, vs: &[&str]) -> Expr {
        pred_on(
            typed(f, FieldType::Number),
            Test::NumEq {
                values: vs.iter().map(|v| num(v)).collect(),
            },
        )
    }

    fn num_cmp(f: &str, o: CmpOp, v: &str) -> Expr {
        pred_on(
            typed(f, FieldType::Number),
            Test::NumCmp {
                op: o,
                value: num(v),
            },
        )
    }

    fn exists(f: &str) -> Expr {
        pred(f, Test::Exists)
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

    const GUIDS: [&str; 5] = [
        "00000002-0000-0ff1-ce00-000000000000",
        "00000003-0000-0000-c000-000000000000",
        "5d661950-3475-41cd-a2c3-d671a3162bc1",
        "27922004-5251-4030-b22d-91ecd9a37ea4",
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    ];

    // ----- the motivating rule -----

    #[test]
    fn storm_0558() {
        let e = and(vec![
            eq("Operation", "MailItemsAccessed"),
            eq("Workload", "Exchange"),
            not(pred("AppId", strs(StrOp::Eq, &GUIDS, Quant::Any, false))),
        ]);
        assert_eq!(
            compile(e).unwrap(),
            "index=o365 sourcetype=\"o365:management:activity\"\n    \
             Operation=\"MailItemsAccessed\"\n    \
             Workload=\"Exchange\"\n    \
             NOT AppId IN (\"00000002-0000-0ff1-ce00-000000000000\", \
             \"00000003-0000-0000-c000-000000000000\", \"5d661950-3475-41cd-a2c3-d671a3162bc1\", \
             \"27922004-5251-4030-b22d-91ecd9a37ea4\", \"d3590ed6-52b3-4102-aeff-aad2292ab01c\")\n"
        );
    }

    // ----- base search and index -----

    #[test]
    fn index_option_overrides_catalog() {
        let opts = TargetOptions {
            spl_index: Some("tenant_a".into()),
            ..Default::default()
        };
        let out = compile_with(eq("A", "x"), &source(Some(BASE), Some("o365")), &opts).unwrap();
        assert_eq!(
            out,
            "index=tenant_a sourcetype=\"o365:management:activity\"\n    A=\"x\"\n"
        );
    }

    #[test]
    fn missing_base_or_index_is_no_table() {
        let opts = TargetOptions::default();
        for (src, what) in [
            (source(None, Some("o365")), "base search"),
            (source(Some(BASE), None), "index"),
        ] {
            match compile_with(eq("A", "x"), &src, &opts) {
                Err(es) => match &es[..] {
                    [TargetError::NoTable {
                        what: w,
                        source_name,
                        ..
                    }] => {
                        assert_eq!(w, what);
                        assert_eq!(source_name, "m365.audit");
                    }
                    other => panic!("{other:?}"),
                },
                Ok(t) => panic!("{t}"),
            }
        }
        // No source section for this target at all.
        let mut src = source(Some(BASE), Some("x"));
        src.targets.clear();
        assert!(matches!(
            &compile_with(eq("A", "x"), &src, &opts).unwrap_err()[..],
            [TargetError::NoTable { .. }]
        ));
    }

    #[test]
    fn base_without_index_placeholder() {
        let src = source(Some("sourcetype=x"), None);
        let out = compile_with(eq("A", "x"), &src, &TargetOptions::default()).unwrap();
        assert_eq!(out, "sourcetype=x\n    A=\"x\"\n");
    }

    #[test]
    fn bad_index_and_base_are_refused() {
        let opts = TargetOptions {
            spl_index: Some("main | delete".into()),
            ..Default::default()
        };
        let err = compile_with(eq("A", "x"), &source(Some(BASE), None), &opts).unwrap_err();
        assert!(
            matches!(&err[..], [TargetError::Unsupported { construct, .. }] if construct.contains("index name"))
        );
        for base in ["index=x | stats count", "index=x ```c```", "index=\"x"] {
            let err = compile_with(
                eq("A", "x"),
                &source(Some(base), None),
                &TargetOptions::default(),
            )
            .unwrap_err();
            assert!(
                matches!(&err[..], [TargetError::Unsupported { construct, .. }] if construct.contains("base search")),
                "{base}"
            );
        }
        // A pipe inside quotes is fine.
        let out = compile_with(
            eq("A", "x"),
            &source(Some("source=\"a|b\""), None),
            &TargetOptions::default(),
        )
        .unwrap();
        assert_eq!(out, "source=\"a|b\"\n    A=\"x\"\n");
    }

    // ----- strings in search -----

    #[test]
    fn string_ops_in_search() {
        assert_eq!(body(eq("A", "x y")), "    A=\"x y\"\n");
        assert_eq!(body(op("A", StrOp::Contains, "x")), "    A=\"*x*\"\n");
        assert_eq!(body(op("A", StrOp::StartsWith, "x")), "    A=\"x*\"\n");
        assert_eq!(
            body(op("A", StrOp::EndsWith, "\\cmd.exe")),
            "    A=\"*\\\\cmd.exe\"\n"
        );
        assert_eq!(
            body(pred(
                "A",
                strs(StrOp::Contains, &[" -enc ", " -e "], Quant::Any, false)
            )),
            "    A IN (\"* -enc *\", \"* -e *\")\n"
        );
        assert_eq!(
            body(pred(
                "A",
                strs(StrOp::Contains, &["a", "b"], Quant::All, false)
            )),
            "    (A=\"*a*\" AND A=\"*b*\")\n"
        );
        assert_eq!(
            body(pred("A", strs(StrOp::Eq, &["a", "b"], Quant::All, false))),
            "    (A=\"a\" AND A=\"b\")\n"
        );
    }

    #[test]
    fn negated_strings_use_not_never_bang_equals() {
        assert_eq!(body(not(eq("A", "x"))), "    NOT A=\"x\"\n");
        assert_eq!(
            body(not(op("A", StrOp::Contains, "x"))),
            "    NOT A=\"*x*\"\n"
        );
        let out = body(and(vec![not(eq("A", "x")), not(not(eq("B", "y")))]));
        assert_eq!(out, "    NOT A=\"x\"\n    B=\"y\"\n");
        assert!(!out.contains("!="));
    }

    #[test]
    fn question_mark_is_literal_in_search() {
        assert_eq!(body(eq("A", "what?")), "    A=\"what?\"\n");
    }

    #[test]
    fn adversarial_values_in_search() {
        assert_eq!(body(eq("A", "a|b")), "    A=\"a|b\"\n");
        assert_eq!(body(eq("A", "say \"hi\"")), "    A=\"say \\\"hi\\\"\"\n");
        assert_eq!(body(eq("A", "C:\\dir\\")), "    A=\"C:\\\\dir\\\\\"\n");
        // pySigma#431: a trailing backslash before the added wildcard stays a backslash.
        assert_eq!(
            body(op("A", StrOp::Contains, "C:\\dir\\")),
            "    A=\"*C:\\\\dir\\\\*\"\n"
        );
        assert_eq!(body(eq("A", "[x] ]y[")), "    A=\"[x] ]y[\"\n");
        assert_eq!(body(eq("A", "a) OR (b")), "    A=\"a) OR (b\"\n");
        assert_eq!(body(eq("A", "日本語")), "    A=\"日本語\"\n");
        assert_eq!(body(eq("A", "\\")), "    A=\"\\\\\"\n");
    }

    #[test]
    fn values_that_cannot_be_search_terms_go_to_where() {
        // A literal `*`.
        assert_eq!(
            body(op("A", StrOp::Contains, "/tn *")),
            "| where (isnotnull(A) AND match(lower(A), \"/tn \\\\*\"))\n"
        );
        assert_eq!(
            body(eq("A", "a*b")),
            "| where (isnotnull(A) AND lower(A)==\"a*b\")\n"
        );
        // Backtick and newline: spelled \x{..} inside a regex.
        assert_eq!(
            body(op("A", StrOp::Contains, "i`e`x")),
            "| where (isnotnull(A) AND match(lower(A), \"i\\\\x{60}e\\\\x{60}x\"))\n"
        );
        assert_eq!(
            body(eq("A", "a\nb")),
            "| where (isnotnull(A) AND match(lower(A), \"\\\\Aa\\\\x{a}b\\\\z\"))\n"
        );
        // Looks like a network: search would test membership.
        assert_eq!(
            body(eq("A", "10.0.0.0/8")),
            "| where (isnotnull(A) AND lower(A)==\"10.0.0.0/8\")\n"
        );
    }

    #[test]
    fn contains_all_with_literal_star_keeps_order_free_semantics() {
        assert_eq!(
            body(pred(
                "A",
                strs(StrOp::Contains, &["a*b", "c"], Quant::All, false)
            )),
            "| where (isnotnull(A) AND match(lower(A), \"a\\\\*b\") AND match(lower(A), \"c\"))\n"
        );
        assert_eq!(
            body(pred(
                "A",
                strs(StrOp::Contains, &["a*b", "c"], Quant::Any, false)
            )),
            "| where (isnotnull(A) AND match(lower(A), \"a\\\\*b|c\"))\n"
        );
    }

    // ----- cased strings -----

    #[test]
    fn cased_strings_in_where() {
        assert_eq!(
            body(eq_cased("A", "X.exe")),
            "| where (isnotnull(A) AND match(A, \"\\\\AX\\\\.exe\\\\z\"))\n"
        );
        assert_eq!(
            body(pred(
                "A",
                strs(StrOp::EndsWith, &["\\CMD.EXE"], Quant::Any, true)
            )),
            "| where (isnotnull(A) AND match(A, \"\\\\\\\\CMD\\\\.EXE\\\\z\"))\n"
        );
        assert_eq!(
            body(pred(
                "A",
                strs(StrOp::StartsWith, &["a", "B"], Quant::Any, true)
            )),
            "| where (isnotnull(A) AND match(A, \"\\\\A(?:a|B)\"))\n"
        );
        assert_eq!(
            body(not(pred(
                "A",
                strs(StrOp::Eq, &["a", "B"], Quant::Any, true)
            ))),
            "| where (isnull(A) OR NOT match(A, \"\\\\A(?:a|B)\\\\z\"))\n"
        );
        // Non-ASCII letters are fine when cased.
        assert_eq!(
            body(eq_cased("A", "É")),
            "| where (isnotnull(A) AND match(A, \"\\\\AÉ\\\\z\"))\n"
        );
    }

    #[test]
    fn caseless_non_ascii_letters_are_refused() {
        assert_eq!(
            refused(eq("A", "Éric")),
            vec!["a case-insensitive comparison with a non-ASCII letter"]
        );
        assert_eq!(
            refused(glob("A", &["*é*"], false)),
            vec!["a case-insensitive comparison with a non-ASCII letter"]
        );
        assert_eq!(
            refused(re("A", "straße", false)),
            vec!["a case-insensitive regex with a non-ASCII letter"]
        );
        // Uncased scripts are fine.
        assert_eq!(body(eq("A", "日本")), "    A=\"日本\"\n");
    }

    // ----- globs -----

    #[test]
    fn globs() {
        assert_eq!(
            body(glob("A", &["C:\\W\\*\\cmd.exe"], false)),
            "    A=\"C:\\\\W\\\\*\\\\cmd.exe\"\n"
        );
        assert_eq!(
            body(glob("A", &["a*", "*b"], false)),
            "    A IN (\"a*\", \"*b\")\n"
        );
        assert_eq!(
            body(glob("A", &["prog?.exe"], false)),
            "| where (isnotnull(A) AND match(lower(A), \"(?s)\\\\Aprog.\\\\.exe\\\\z\"))\n"
        );
        assert_eq!(
            body(glob("A", &["Prog?.exe", "X*"], true)),
            "| where (isnotnull(A) AND match(A, \"(?s)(?:\\\\AProg.\\\\.exe\\\\z|\\\\AX.*\\\\z)\"))\n"
        );
        assert_eq!(
            body(not(glob("A", &["a?"], false))),
            "| where (isnull(A) OR NOT match(lower(A), \"(?s)\\\\Aa.\\\\z\"))\n"
        );
        // `*` alone: any present value.
        assert_eq!(
            body(glob("A", &["*"], false)),
            "| where (isnotnull(A) AND len(A)>0)\n"
        );
        assert_eq!(
            body(not(glob("A", &["**"], true))),
            "| where (isnull(A) OR len(A)==0)\n"
        );
        // Backtick in a glob.
        assert_eq!(
            body(glob("A", &["*`*"], false)),
            "| where (isnotnull(A) AND match(lower(A), \"(?s)\\\\A.*\\\\x{60}.*\\\\z\"))\n"
        );
    }

    // ----- regex -----

    #[test]
    fn regexes() {
        assert_eq!(
            body(re("A", "^a.b$", false)),
            "| where (isnotnull(A) AND len(A)>0 AND match(A, \"(?i)^a.b\\\\z\"))\n"
        );
        assert_eq!(
            body(re("A", "a|b\"c\\d+", true)),
            "| where (isnotnull(A) AND len(A)>0 AND match(A, \"a|b\\\"c[0-9]+\"))\n"
        );
        assert_eq!(
            body(not(re("A", "x", false))),
            "| where (isnull(A) OR len(A)==0 OR NOT match(A, \"(?i)x\"))\n"
        );
        // Multi-line mode keeps `$`; `$` in a class or escaped is untouched.
        assert_eq!(
            body(re("A", "(?m)^a$", true)),
            "| where (isnotnull(A) AND len(A)>0 AND match(A, \"(?m)(?:^|(?<=\\\\n))a$\"))\n"
        );
        assert_eq!(
            body(re("A", "[$]\\$", true)),
            "| where (isnotnull(A) AND len(A)>0 AND match(A, \"[$]\\\\$\"))\n"
        );
    }

    #[test]
    fn translate_regex_cases() {
        let t = |p: &str, cased: bool| translate_regex(p, cased);
        assert_eq!(t("a$", true).unwrap(), "a\\z");
        assert_eq!(t("(?s)a$", false).unwrap(), "(?i)(?s)a\\z");
        assert_eq!(t("(?ms)a$", true).unwrap(), "(?ms)a$");
        assert_eq!(t("(?m)(?-m)a$", true).unwrap(), "(?m)(?-m)a\\z");
        assert_eq!(t("[]a$]x", true).unwrap(), "[]a$]x");
        assert_eq!(t("[^]$]", true).unwrap(), "[^]$]");
        assert_eq!(t("[[:alpha:]]$", true).unwrap(), "[[:alpha:]]\\z");
        assert_eq!(t("a`b", true).unwrap(), "a\\x{60}b");
        assert_eq!(t("a\\`b", true).unwrap(), "a\\x{60}b");
        assert_eq!(t("a\nb[\t]", true).unwrap(), "a\\x{a}b[\\x{9}]");
        assert_eq!(
            t("(?P<n>a)(?:b)(?i:c)", true).unwrap(),
            "(?P<n>a)(?:b)(?i:c)"
        );
        assert!(t("(?x)a b", true).is_err());
        assert!(t("a(?m)b$", true).is_err());
        assert!(t("(?R)a", true).is_err());
        assert!(t("[a[b]]", true).is_err());
        assert!(t("[a&&b]", true).is_err());
        assert!(t("a\\", true).is_err());
        for p in ["a$", "[]a$]x", "(?ms)a$", "a`b", "a\nb[\t]", "[[:alpha:]]$"] {
            regex::Regex::new(&t(p, false).unwrap()).unwrap();
        }
    }

    #[test]
    fn regex_refusals_carry_the_span() {
        assert_eq!(refused(re("A", "(?x) a", true)), vec!["the regex flag `x`"]);
        assert_eq!(
            refused(re("A", "a(?m:b)", true)),
            vec!["a regex that changes multi-line mode after its start"]
        );
    }

    // ----- cidr -----

    #[test]
    fn cidr_networks() {
        assert_eq!(
            body(cidr("ip", &["10.0.0.0/8"])),
            "| where (isnotnull(ip) AND cidrmatch(\"10.0.0.0/8\", ip))\n"
        );
        assert_eq!(
            body(not(cidr("ip", &["10.0.0.0/8", "fd00::/8"]))),
            "| where (isnull(ip) OR NOT (cidrmatch(\"10.0.0.0/8\", ip) OR cidrmatch(\"fd00::/8\", ip)))\n"
        );
    }

    // ----- numbers and booleans -----

    #[test]
    fn numbers() {
        let g = "match(N, \"\\\\A-?[0-9]+(?:\\\\.[0-9]+)?\\\\z\")";
        assert_eq!(
            body(num_cmp("N", CmpOp::Gt, "5")),
            format!("| where (isnotnull(N) AND {g} AND tonumber(N)>5)\n")
        );
        assert_eq!(
            body(num_cmp("N", CmpOp::Le, "-2.5")),
            format!("| where (isnotnull(N) AND {g} AND tonumber(N)<=-2.5)\n")
        );
        assert_eq!(
            body(num_eq("N", &["1", "2"])),
            format!("| where (isnotnull(N) AND {g} AND (tonumber(N)==1 OR tonumber(N)==2))\n")
        );
        assert_eq!(
            body(not(num_eq("N", &["4624"]))),
            format!("| where (isnull(N) OR NOT {g} OR NOT (tonumber(N)==4624))\n")
        );
    }

    #[test]
    fn booleans() {
        let b = |v| pred_on(typed("B", FieldType::Bool), Test::BoolEq { value: v });
        assert_eq!(body(b(true)), "    B=\"true\"\n");
        assert_eq!(body(not(b(false))), "    NOT B=\"false\"\n");
        assert_eq!(
            body(or(vec![b(true), re("A", "x", true)])),
            "| where ((isnotnull(B) AND lower(B)==\"true\") OR (isnotnull(A) AND len(A)>0 AND match(A, \"x\")))\n"
        );
    }

    // ----- exists / missing -----

    #[test]
    fn exists_and_missing() {
        assert_eq!(body(exists("A")), "| where (isnotnull(A) AND len(A)>0)\n");
        assert_eq!(body(not(exists("A"))), "| where (isnull(A) OR len(A)==0)\n");
    }

    // ----- field to field -----

    #[test]
    fn field_eq() {
        let fe = |cased| {
            pred(
                "A",
                Test::FieldEq {
                    other: fld("B.c"),
                    cased,
                },
            )
        };
        assert_eq!(
            body(fe(false)),
            "| where (isnotnull(A) AND len(A)>0 AND isnotnull('B.c') AND len('B.c')>0 AND lower(A)==lower('B.c'))\n"
        );
        assert_eq!(
            body(not(fe(true))),
            "| where (isnull(A) OR len(A)==0 OR isnull('B.c') OR len('B.c')==0 OR NOT (sha256(A)==sha256('B.c')))\n"
        );
        let nums = pred_on(
            typed("N", FieldType::Number),
            Test::FieldEq {
                other: typed("M", FieldType::Number),
                cased: false,
            },
        );
        assert_eq!(
            body(nums),
            "| where (isnotnull(N) AND len(N)>0 AND isnotnull(M) AND len(M)>0 AND lower(N)==lower(M))\n"
        );
    }

    // ----- field names and expressions -----

    #[test]
    fn field_names() {
        assert_eq!(
            body(eq("OperationProperties{}.Name", "MailAccessType")),
            "    \"OperationProperties{}.Name\"=\"MailAccessType\"\n"
        );
        assert_eq!(
            body(eq("Status.errorCode", "x")),
            "    Status.errorCode=\"x\"\n"
        );
        assert_eq!(body(eq("OR", "x")), "    \"OR\"=\"x\"\n");
        assert_eq!(
            body(re("OperationProperties{}.Name", "x", true)),
            "| where (isnotnull('OperationProperties{}.Name') AND len('OperationProperties{}.Name')>0 AND match('OperationProperties{}.Name', \"x\"))\n"
        );
        assert_eq!(
            body(re("user-name", "x", true)),
            "| where (isnotnull('user-name') AND len('user-name')>0 AND match('user-name', \"x\"))\n"
        );
        // A wildcard in a field name never reaches search.
        assert_eq!(
            body(eq("a*", "x")),
            "| where (isnotnull('a*') AND lower('a*')==\"x\")\n"
        );
        assert_eq!(quote_field("not").unwrap(), "'not'");
        assert_eq!(refused(eq("it's", "x")), vec!["the field `it\\'s`"]);
        assert_eq!(refused(eq("a\\b", "x")), vec!["the field `a\\\\b`"]);
    }

    #[test]
    fn mapped_expressions_go_to_where_verbatim() {
        let f = mapped_expr("AppId", "spath(_raw, \"AppId\")");
        assert_eq!(
            body(pred_on(f.clone(), strs(StrOp::Eq, &["x"], Quant::Any, false))),
            "| where (isnotnull(spath(_raw, \"AppId\")) AND lower(spath(_raw, \"AppId\"))==\"x\")\n"
        );
        assert_eq!(
            body(not(pred_on(f.clone(), Test::Exists))),
            "| where (isnull(spath(_raw, \"AppId\")) OR len(spath(_raw, \"AppId\"))==0)\n"
        );
        let bad = mapped_expr("AppId", "`macro`");
        assert_eq!(
            refused(pred_on(bad, Test::Exists)),
            vec!["the mapped expression for `AppId`"]
        );
    }

    // ----- boolean structure -----

    #[test]
    fn or_of_search_terms_is_parenthesised() {
        // (A or B) and C: search's OR binds tighter, but we parenthesise anyway.
        let e = and(vec![or(vec![eq("X", "1"), eq("Y", "2")]), eq("Z", "3")]);
        assert_eq!(body(e), "    (X=\"1\" OR Y=\"2\")\n    Z=\"3\"\n");
        // a or (b and c)
        let e = or(vec![eq("X", "1"), and(vec![eq("Y", "2"), eq("Z", "3")])]);
        assert_eq!(body(e), "    (X=\"1\" OR (Y=\"2\" AND Z=\"3\"))\n");
        // not (a and b)
        let e = not(and(vec![eq("X", "1"), eq("Y", "2")]));
        assert_eq!(body(e), "    NOT (X=\"1\" AND Y=\"2\")\n");
    }

    #[test]
    fn not_of_or_splits_into_conjuncts() {
        let e = not(or(vec![eq("X", "1"), re("Y", "a", true)]));
        assert_eq!(
            body(e),
            "    NOT X=\"1\"\n| where (isnull(Y) OR len(Y)==0 OR NOT match(Y, \"a\"))\n"
        );
    }

    #[test]
    fn mixed_or_moves_whole_conjunct_to_where() {
        let e = and(vec![
            eq("Operation", "MailItemsAccessed"),
            or(vec![
                eq("AppId", "x"),
                re("ClientAppId", "^[0-9a-f]{8}-", false),
            ]),
        ]);
        assert_eq!(
            body(e),
            "    Operation=\"MailItemsAccessed\"\n\
             | where ((isnotnull(AppId) AND lower(AppId)==\"x\") OR (isnotnull(ClientAppId) AND len(ClientAppId)>0 AND match(ClientAppId, \"(?i)^[0-9a-f]{8}-\")))\n"
        );
    }

    #[test]
    fn negated_mixed_group_pushes_negation_to_atoms() {
        // not (A == "x" and B like "a?") : a NOT over an AND is not split.
        let e = not(and(vec![eq("A", "x"), glob("B", &["a?"], false)]));
        assert_eq!(
            body(e),
            "| where (isnull(A) OR NOT (lower(A)==\"x\") OR isnull(B) OR NOT match(lower(B), \"(?s)\\\\Aa.\\\\z\"))\n"
        );
    }

    #[test]
    fn several_where_conjuncts_are_anded_and_parenthesised() {
        let e = and(vec![
            eq("A", "x"),
            re("B", "b", true),
            or(vec![eq("C", "c"), num_cmp("N", CmpOp::Lt, "3")]),
            not(exists("D")),
        ]);
        let out = body(e);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "    A=\"x\"");
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with("| where (isnotnull(B) AND len(B)>0 AND match(B, \"b\")) AND ((isnotnull(C) AND lower(C)==\"c\") OR (isnotnull(N) AND "), "{}", lines[1]);
        assert!(
            lines[1].ends_with(" AND tonumber(N)<3)) AND (isnull(D) OR len(D)==0)"),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn caseless_eq_in_where() {
        let e = or(vec![
            pred("A", strs(StrOp::Eq, &["X", "y"], Quant::Any, false)),
            exists("B"),
        ]);
        assert_eq!(
            body(e),
            "| where ((isnotnull(A) AND in(lower(A), \"x\", \"y\")) OR (isnotnull(B) AND len(B)>0))\n"
        );
        let e = or(vec![
            pred("A", strs(StrOp::Eq, &["X", "y"], Quant::All, false)),
            exists("B"),
        ]);
        assert_eq!(
            body(e),
            "| where ((isnotnull(A) AND lower(A)==\"x\" AND lower(A)==\"y\") OR (isnotnull(B) AND len(B)>0))\n"
        );
    }

    #[test]
    fn errors_are_collected_from_every_conjunct() {
        let e = and(vec![eq("A", "é"), eq("B", "x"), re("C", "(?x)a", true)]);
        assert_eq!(
            refused(e),
            vec![
                "a case-insensitive comparison with a non-ASCII letter",
                "the regex flag `x`"
            ]
        );
    }

    // ----- escaping routines -----

    #[test]
    fn quote_string_adversarial() {
        assert_eq!(quote_string("plain").unwrap(), "\"plain\"");
        assert_eq!(quote_string("a\"b").unwrap(), "\"a\\\"b\"");
        assert_eq!(quote_string("a\\b").unwrap(), "\"a\\\\b\"");
        assert_eq!(quote_string("trail\\").unwrap(), "\"trail\\\\\"");
        assert_eq!(quote_string("\\\"").unwrap(), "\"\\\\\\\"\"");
        assert_eq!(quote_string("a|b [c] *?").unwrap(), "\"a|b [c] *?\"");
        assert_eq!(quote_string("é😀").unwrap(), "\"é😀\"");
        assert_eq!(quote_string("a\nb"), Err('\n'));
        assert_eq!(quote_string("a\rb"), Err('\r'));
        assert_eq!(quote_string("a\tb"), Err('\t'));
        assert_eq!(quote_string("a\0b"), Err('\0'));
        assert_eq!(quote_string("\u{85}"), Err('\u{85}'));
        assert_eq!(quote_string("a`b"), Err('`'));
        // Whatever the value, the literal is one token whose decoded text is the value.
        for v in [
            "\"",
            "\\",
            "\\\\\"",
            "x\\\"y",
            "|",
            "\"|where 1==1 | \"",
            ")(",
            "'",
        ] {
            let q = quote_string(v).unwrap();
            let toks = tokenize(&q).unwrap();
            assert_eq!(toks, vec![Tok::Str(v.to_string())], "{v}");
        }
    }

    #[test]
    fn escape_regex_literal_adversarial() {
        let vals = [
            "a.b*c?d+e(f)g|h[i]j{k}l^m$n\\o",
            "trail\\",
            "`",
            "line\nbreak\r\t\0",
            "\"quoted\"",
            "é日😀",
            "#-&~ /",
        ];
        for v in vals {
            let e = escape_regex_literal(v);
            assert!(!e.contains('`') && !e.chars().any(char::is_control), "{e}");
            let r = regex::Regex::new(&format!("\\A{e}\\z")).unwrap();
            assert!(r.is_match(v), "{v:?} vs {e}");
            assert!(!r.is_match(&format!("{v}x")));
            // And it survives SPL quoting.
            let q = quote_string(&e).unwrap();
            assert_eq!(tokenize(&q).unwrap(), vec![Tok::Str(e.clone())]);
        }
        assert_eq!(escape_regex_literal("a.b"), "a\\.b");
        assert_eq!(escape_regex_literal("`"), "\\x{60}");
    }

    #[test]
    fn glob_regex_matches_like_a_glob() {
        let r = regex::Regex::new(&format!("(?s){}", glob_to_regex("C:\\*\\?.exe"))).unwrap();
        assert!(r.is_match("C:\\Windows\\a.exe"));
        assert!(r.is_match("C:\\\\é.exe"));
        assert!(!r.is_match("C:\\Windows\\ab.exe"));
        assert!(!r.is_match("xC:\\W\\a.exe"));
        assert!(r.is_match("C:\\a\nb\\\n.exe"));
    }

    #[test]
    fn number_guard_matches_number_parse() {
        let r = regex::Regex::new(NUMBER_RE).unwrap();
        for s in ["5", "-7", "3.5", "-0.25", "007"] {
            assert!(r.is_match(s), "{s}");
            assert!(crate::eval::parse_number(s).is_some(), "{s}");
        }
        for s in [
            "", "0x1F", " 5", "5 ", "1,5", "inf", "NaN", "e3", ".", "-", "1e", "--1", "+3", "5.",
            ".5", "1e3",
        ] {
            assert!(!r.is_match(s), "{s}");
            assert!(crate::eval::parse_number(s).is_none(), "{s}");
        }
    }

    // ----- properties over arbitrary values -----

    fn any_op() -> impl proptest::strategy::Strategy<Value = StrOp> {
        proptest::prop_oneof![
            proptest::strategy::Just(StrOp::Eq),
            proptest::strategy::Just(StrOp::Contains),
            proptest::strategy::Just(StrOp::StartsWith),
            proptest::strategy::Just(StrOp::EndsWith),
        ]
    }

    proptest::proptest! {
        /// Any value, under any operator, negated or not, mixed with a where-only test or
        /// not: the output validates, every `match()` pattern that tests one literal value
        /// matches that value, and the only refusal is the documented case-folding one.
        #[test]
        fn any_value_gives_valid_spl_or_a_documented_refusal(
            v in "(?s).{1,12}",
            o in any_op(),
            cased in proptest::bool::ANY,
            negate in proptest::bool::ANY,
            mixed in proptest::bool::ANY,
        ) {
            let mut e = pred("A", strs(o, &[v.as_str()], Quant::Any, cased));
            if mixed {
                e = or(vec![e, re("B", "x", true)]);
            }
            if negate {
                e = not(e);
            }
            match compile(e) {
                Ok(out) => {
                    for tok in tokenize(&out).unwrap() {
                        if let Tok::Str(p) = tok {
                            if p.starts_with("\\A") && p.ends_with("\\z") && !p.contains("(?:") {
                                let r = regex::Regex::new(&p).unwrap();
                                let subject = if cased { v.clone() } else { v.to_lowercase() };
                                proptest::prop_assert!(r.is_match(&subject), "{p} vs {subject:?}");
                            }
                        }
                    }
                }
                Err(es) => {
                    proptest::prop_assert!(!cased && unsure_case_char(&v).is_some(), "{es:?}");
                }
            }
        }

        /// A glob of arbitrary characters compiles to valid SPL or is refused for case folding.
        #[test]
        fn any_glob_gives_valid_spl(g in "(?s)[a-z*?`\\\\\"|\n]{1,10}", cased in proptest::bool::ANY) {
            assert_compiles(compile(glob("A", &[g.as_str()], cased)));
        }
    }

    fn assert_compiles(r: Result<String, Vec<TargetError>>) {
        if let Err(es) = r {
            panic!("refused: {es:?}");
        }
    }

    // ----- comments and validation -----

    #[test]
    fn comments() {
        assert_eq!(Spl.comment("rule: x"), "```rule: x```");
        assert_eq!(Spl.comment("a```b`c\nd"), "```a'''b'c d```");
        let bundled = Spl.bundle(&[
            ("a".into(), "index=x\n".into()),
            ("b`".into(), "index=y\n".into()),
        ]);
        assert_eq!(
            bundled,
            "```rule: a```\nindex=x\n\n```rule: b'```\nindex=y\n"
        );
        validate(&bundled).unwrap();
    }

    #[test]
    fn validator_catches_broken_output() {
        assert!(validate("index=x\n    A=\"x\"\n| where (isnotnull(A))\n").is_ok());
        assert!(validate("index=x A=\"x").is_err());
        assert!(validate("index=x | dedup A").is_err());
        assert!(validate("index=x |").is_err());
        assert!(validate("index=x (A=1").is_err());
        assert!(validate("index=x A=1)").is_err());
        assert!(validate("index=x `macro`").is_err());
        assert!(validate("index=x ```open").is_err());
        assert!(validate("index=x\tA=1").is_err());
        assert!(validate("| where match(A, \"(\")").is_err());
        assert!(validate("| where match(A, B)").is_err());
        assert!(validate("| where match(lower(A), \"a(b)\")").is_ok());
        assert!(validate("| where 'a.b==1").is_err());
        assert!(validate("A=\"a|b\" ```x | y```").is_ok());
        assert!(validate("| where cidrmatch(\"10.0.0.0/8\", ip)").is_ok());
    }

    #[test]
    fn validator_knows_the_stage_commands() {
        let ok = [
            "index=x | stats count",
            "index=x | stats count as count by a.b window_start",
            "index=x | stats dc(a.b) as distinct by c",
            "index=x | stats max(_b) as _b min(_time) as first_seen",
            "index=x | stats max(_s1) as _s1, max(_s2) as _s2 by k _time",
            "index=x | streamstats current=f last(_c1) as _p1 by k",
            "index=x | eval window_start=floor(_time/3600)*3600",
            "index=x | eval _s1=if(a==1, 1, 0), _s2=if(in(b, \"x\", \"y\"), 1, 0)",
            "index=x | sort 0 k.a _time",
            "index=x | sort -_time",
            "index=x | rename a.b AS A, _k1 AS \"B{}.c\"",
            "index=x | table a.b window_start count",
            "index=x | fields a, \"b c\"",
            "index=x | where _s1==1 OR _s2==1",
            // A bundle: comments separate queries.
            "```rule: a```\nindex=x\n| table a\n\n```rule: b```\nindex=y a=1\n| where b==1\n",
        ];
        for q in ok {
            assert_eq!(validate(q), Ok(()), "{q}");
        }
        let bad = [
            "index=x | stats",
            "index=x | stats avg(a)",
            "index=x | stats dc as d",
            "index=x | stats dc(a b)",
            "index=x | stats count by",
            "index=x | stats count by a | where",
            "index=x | stats count as",
            "index=x | streamstats reset=t last(a)",
            "index=x | eval",
            "index=x | eval a",
            "index=x | eval a==1",
            "index=x | eval a=",
            "index=x | eval a=1,",
            "index=x | eval a=(1",
            "index=x | sort 0",
            "index=x | sort 0 a =",
            "index=x | rename a",
            "index=x | rename a AS",
            "index=x | rename a AS b,",
            "index=x | rename a* AS b",
            "index=x | rename \"a*\" AS b",
            "index=x | table",
            "index=x | table \"a*\"",
            "index=x | table a (b)",
            "index=x | where (a | where b)",
            "index=x | table a\nindex=y",
        ];
        for q in bad {
            assert!(validate(q).is_err(), "{q}");
        }
    }
}
