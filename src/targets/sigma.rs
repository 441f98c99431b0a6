//! The `sigma` target: one Sigma rule (specification 2.1) per tripline rule; a rule with a
//! stateful stage becomes a multi-document stream of detection rules and a correlation rule
//! (see [`stage`], which also says what of the language's stage semantics Sigma keeps).
//!
//! The YAML is written by hand so that the output is stable and diff-friendly: SigmaHQ key
//! order, 4-space indentation, block style, one value per line. Every scalar goes through
//! [`yaml_scalar`] and every literal string that becomes a Sigma value through
//! [`sigma_value`], so no value can leave its literal.
//!
//! The match expression is turned into named search identifiers and a condition by
//! [`detection`]; regular expressions are re-printed in Sigma's regex flavour by [`regex`].
//! Whatever Sigma cannot express with exactly the language's meaning is refused.
//!
//! Meaning relied on (Sigma spec 2.1, checked against pySigma 2.0.1):
//! - plain values match the whole value case-insensitively, `*` / `?` are wildcards and `\`
//!   escapes them and itself; `cased` makes a string test case-sensitive;
//! - a detection item on an absent field is false and `not` is plain negation, so tripline's
//!   two-valued logic carries over (`not filter` is true when the field is absent);
//! - `|exists: true` only checks presence (an empty or null value exists), hence the extra
//!   `null` / `''` filters wherever tripline's `exists` (present, not null, not empty) is meant;
//! - `|fieldref` compares case-insensitively and cannot be made case-sensitive in pySigma;
//! - `|re` searches (unanchored), case-sensitive unless `|i`.

use super::{Ctx, Target, TargetError};
use crate::catalog::Mapped;
use crate::ir;
use crate::targets::Construct;

mod detection;
mod ids;
mod regex;
mod stage;
#[cfg(test)]
mod stage_tests;
#[cfg(test)]
mod tests;

/// The target name, as used in diagnostics.
const TARGET: &str = "sigma";

/// The sigma target.
pub struct Sigma;

impl Target for Sigma {
    fn refusals(&self) -> &'static [Construct] {
        &[
            Construct::StatefulRuleId,
            Construct::FirstSeenStage,
            Construct::ThresholdComparison,
            Construct::ThresholdWithoutKey,
            Construct::StageField,
            Construct::FieldName,
            Construct::MappedExpression,
            Construct::RegexPattern,
            Construct::CaseSensitiveFieldComparison,
        ]
    }

    fn name(&self) -> &'static str {
        "sigma"
    }

    fn extension(&self) -> &'static str {
        "yml"
    }

    fn compile_rule(&self, rule: &ir::Rule, ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        let logsource = logsource_lines(ctx);
        let no_logsource = || {
            vec![TargetError::NoTable {
                target: TARGET.to_string(),
                source_name: ctx.source_name.to_string(),
                what: "logsource (category, product or service)".to_string(),
                span: rule.span.into(),
            }]
        };
        if let Some(stage) = &rule.stage {
            let docs = stage::build(rule, stage, ctx)?;
            if logsource.is_empty() {
                return Err(no_logsource());
            }
            return Ok(docs.render(rule, ctx, &logsource));
        }
        let det = detection::build(&rule.expr)?;
        if logsource.is_empty() {
            return Err(no_logsource());
        }
        Ok(render_rule(rule, ctx, &logsource, &det))
    }

    fn warnings(&self, rule: &ir::Rule, _ctx: &Ctx) -> Vec<TargetError> {
        let mut out = json_text_warnings(rule);
        out.extend(self.stage_warnings(rule));
        out
    }

    fn comment(&self, text: &str) -> String {
        let one_line: String = text
            .chars()
            .map(|c| if is_line_break(c) { ' ' } else { c })
            .collect();
        format!("# {one_line}")
    }

    /// A multi-document YAML stream: each rule is one document, preceded by a comment naming
    /// it, and documents are separated by `---`.
    fn bundle(&self, outputs: &[(String, String)]) -> String {
        let mut s = String::new();
        for (i, (name, text)) in outputs.iter().enumerate() {
            if i > 0 {
                s.push_str("---\n");
            }
            s.push_str(&self.comment(&format!("rule: {name}")));
            s.push('\n');
            s.push_str(text);
            if !text.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }
}

/// Coded warnings for `contains` on json fields: the language tests the field's compact JSON
/// text, while a Sigma engine that is given the field as a real array (as the Management API
/// delivers `Parameters`) tests its elements, which are objects, so it never matches there.
fn json_text_warnings(rule: &ir::Rule) -> Vec<TargetError> {
    let mut exprs = vec![&rule.expr];
    if let Some(ir::Stage::Sequence { steps, .. }) = &rule.stage {
        exprs.extend(steps.iter().map(|s| &s.expr));
    }
    exprs
        .into_iter()
        .flat_map(|e| e.preds())
        .filter(|p| {
            p.field.ty == crate::catalog::FieldType::Json && matches!(p.test, ir::Test::Str { .. })
        })
        .map(|p| TargetError::BackendDefined {
            target: "sigma".to_string(),
            construct: format!("`contains` on the json field `{}`", p.field.name),
            span: p.span.into(),
            reason: "tripline tests the field's JSON text; a Sigma engine given the field as \
                     an array tests its elements instead, and finds nothing in objects"
                .to_string(),
            help: Some(
                "exact where the backend stores the field as JSON text (as Splunk's \
                 json_extract and KQL's tostring do); check how your backend ingests it"
                    .to_string(),
            ),
        })
        .collect()
}

impl Sigma {
    /// Coded warnings for what Sigma leaves to the backend in a stage.
    fn stage_warnings(&self, rule: &ir::Rule) -> Vec<TargetError> {
        let Some(stage) = &rule.stage else {
            return Vec::new();
        };
        let warn = |construct: String, reason: &str, help: &str| TargetError::BackendDefined {
            target: "sigma".to_string(),
            construct,
            span: stage.span().into(),
            reason: reason.to_string(),
            help: Some(help.to_string()),
        };
        let keys = |by: &[ir::Field]| {
            by.iter()
                .map(|f| format!("`{}`", f.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let case = "Sigma does not say how group-by values compare; tripline compares them as exact text, pySigma's SQLite backend folds case";
        let case_help =
            "keys that differ only in letter case may be grouped together by some backends";
        match stage {
            ir::Stage::Threshold { window, by, .. } => vec![
                warn(
                    format!("the {} window of a threshold", window.text()),
                    "Sigma leaves the time frame to the backend (the spec intends a sliding frame); tripline's windows are fixed and aligned to the Unix epoch",
                    "a backend with sliding frames can also alert on bursts that straddle a window boundary; backends that bin by fixed epoch-aligned windows match exactly",
                ),
                warn(format!("the grouping by {}", keys(by)), case, case_help),
            ],
            ir::Stage::Sequence { by, .. } => {
                vec![warn(format!("the grouping by {}", keys(by)), case, case_help)]
            }
            ir::Stage::FirstSeen { .. } => Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

/// Escape a literal string so that, as a Sigma value, it matches itself and nothing else:
/// `*`, `?` (the wildcards) and `\` (the escape character) are written `\*`, `\?` and `\\`.
///
/// Escaping every backslash (not only those before a wildcard) keeps the rule unambiguous:
/// the specification reads `\\` as one literal backslash wherever it stands, and a trailing
/// backslash stays literal even when a modifier appends a wildcard after it.
/// The result is a Sigma value, not YAML: write it with [`yaml_scalar`].
pub fn sigma_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A tripline glob (`*` any run, `?` one character, no escapes) as a Sigma value: the
/// wildcards stay wildcards (runs of `*` collapse to one, which means the same), every
/// other character is made literal with [`sigma_value`].
fn sigma_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut literal = String::new();
    let mut prev_star = false;
    for c in pattern.chars() {
        match c {
            '*' | '?' => {
                out.push_str(&sigma_value(&literal));
                literal.clear();
                if !(c == '*' && prev_star) {
                    out.push(c);
                }
                prev_star = c == '*';
            }
            _ => {
                literal.push(c);
                prev_star = false;
            }
        }
    }
    out.push_str(&sigma_value(&literal));
    out
}

/// Write a string as a YAML scalar that reads back as exactly that string under YAML 1.1
/// (PyYAML, used by pySigma) and YAML 1.2.
///
/// Plain when that is unambiguous (ASCII, starts with a letter or one of `_ / \ ( $ ^`, no
/// `: ` or ` #`, and not a word YAML would read as something else; or a GUID-like run of
/// letters, digits and `-` that no YAML reads as a number or date); otherwise
/// single-quoted (`'` doubled); double-quoted with escapes when the string holds a tab, a
/// line break, a control or another non-printable character.
pub fn yaml_scalar(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    if s.chars().all(|c| !needs_double_quotes(c)) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if needs_double_quotes(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters that cannot stand in a single-quoted YAML scalar (or would be folded there).
fn needs_double_quotes(c: char) -> bool {
    c == '\t' || is_line_break(c) || !is_yaml_printable(c)
}

/// YAML line-break characters (YAML 1.1 also breaks on NEL, LS and PS).
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// YAML's printable set, minus the byte-order mark (which a reader may drop).
fn is_yaml_printable(c: char) -> bool {
    let u = c as u32;
    matches!(u, 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD)
        && c != '\u{FEFF}'
        || u >= 0x10000
}

/// Whether `s` can be written as a plain scalar and read back as the same string.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() {
        return is_plain_safe_digit_led(s);
    }
    if !(first.is_ascii_alphabetic() || matches!(first, '_' | '/' | '\\' | '(' | '$' | '^')) {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !(c.is_ascii_graphic() || c == ' ') {
            return false;
        }
        match c {
            ':' if chars.get(i + 1).is_none_or(|n| *n == ' ') => return false,
            '#' if i > 0 && chars[i - 1] == ' ' => return false,
            _ => {}
        }
    }
    if s.ends_with(' ') {
        return false;
    }
    // Words YAML 1.1 reads as booleans or null (a case-insensitive superset).
    const WORDS: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off", "null"];
    !WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// A value that starts with a digit but cannot be read as a number, date or time by YAML
/// 1.1 or 1.2 (GUIDs such as `5d661950-3475-41cd-a2c3-d671a3162bc1`): only letters, digits
/// and `-`, at least one `-` and at least one letter other than `e` (so neither a decimal,
/// hexadecimal, octal or exponent number nor a `YYYY-MM-DD` date).
fn is_plain_safe_digit_led(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && s.contains('-')
        && s.chars()
            .any(|c| c.is_ascii_alphabetic() && !c.eq_ignore_ascii_case(&'e'))
}

/// A description: a literal block (`|-`) when it spans several lines and the block form
/// reads back exactly, otherwise [`yaml_scalar`]. `indent` is the indentation of the key.
fn yaml_text(s: &str, indent: usize) -> String {
    let block_safe = s.contains('\n')
        && !s.starts_with('\n')
        && !s.ends_with('\n')
        && !s.starts_with(' ')
        && s.chars().all(|c| c == '\n' || !needs_double_quotes(c))
        && s.split('\n').all(|l| l.is_empty() || !l.trim().is_empty());
    if !block_safe {
        return yaml_scalar(s);
    }
    let pad = " ".repeat(indent + 4);
    let mut out = String::from("|-");
    for line in s.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The rule document
// ---------------------------------------------------------------------------------------------

/// `YYYY-MM-DD`, written unquoted as SigmaHQ does.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// A lower-case hyphenated UUID, written unquoted as SigmaHQ does.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

fn id_scalar(s: &str) -> String {
    if is_uuid(s) {
        s.to_string()
    } else {
        yaml_scalar(s)
    }
}

fn date_scalar(s: &str) -> String {
    if is_iso_date(s) {
        s.to_string()
    } else {
        yaml_scalar(s)
    }
}

/// The `logsource` lines, keys in the order category, product, service, definition, then
/// any other key in catalog order.
fn logsource_lines(ctx: &Ctx) -> Vec<String> {
    const ORDER: [&str; 4] = ["category", "product", "service", "definition"];
    let ls = &ctx.source.logsource;
    let mut lines = Vec::new();
    for key in ORDER {
        if let Some(v) = ls.get(key) {
            lines.push(format!("    {key}: {}", yaml_scalar(v)));
        }
    }
    for (k, v) in ls {
        if !ORDER.contains(&k.as_str()) {
            lines.push(format!("    {}: {}", yaml_scalar(k), yaml_scalar(v)));
        }
    }
    lines
}

fn push_list(out: &mut String, key: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(key);
    out.push_str(":\n");
    for it in items {
        out.push_str("    - ");
        out.push_str(it);
        out.push('\n');
    }
}

/// The lines that differ between the documents one rule becomes (a stateful rule is several
/// documents; a plain rule is one, with the rule's own metadata).
struct Head {
    /// `title`.
    title: String,
    /// `id`.
    id: String,
    /// `name`, the handle correlation rules use.
    name: Option<String>,
    /// `description`.
    description: String,
}

impl Head {
    /// The rule's own title, id and description, without a name.
    fn of(meta: &ir::Meta) -> Head {
        Head {
            title: meta.title.clone(),
            id: meta.id.clone(),
            name: None,
            description: meta.description.clone(),
        }
    }
}

/// Everything above `logsource` (or `correlation`): title, id, name, related, status,
/// description, references, author, date, modified, tags.
fn push_head(out: &mut String, head: &Head, m: &ir::Meta) {
    out.push_str(&format!("title: {}\n", yaml_scalar(&head.title)));
    out.push_str(&format!("id: {}\n", id_scalar(&head.id)));
    if let Some(name) = &head.name {
        out.push_str(&format!("name: {}\n", yaml_scalar(name)));
    }
    if !m.related.is_empty() {
        out.push_str("related:\n");
        for (ty, id) in &m.related {
            out.push_str(&format!("    - id: {}\n", id_scalar(id)));
            out.push_str(&format!("      type: {}\n", yaml_scalar(ty)));
        }
    }
    out.push_str(&format!("status: {}\n", yaml_scalar(&m.status)));
    out.push_str(&format!(
        "description: {}\n",
        yaml_text(&head.description, 0)
    ));
    let refs: Vec<String> = m.references.iter().map(|r| yaml_scalar(r)).collect();
    push_list(out, "references", &refs);
    if !m.authors.is_empty() {
        out.push_str(&format!("author: {}\n", yaml_scalar(&m.authors.join(", "))));
    }
    out.push_str(&format!("date: {}\n", date_scalar(&m.date)));
    if let Some(modified) = &m.modified {
        out.push_str(&format!("modified: {}\n", date_scalar(modified)));
    }
    let tags: Vec<String> = m.tags.iter().map(|t| yaml_scalar(t)).collect();
    push_list(out, "tags", &tags);
}

/// Everything below `detection` (or `correlation`) but `fields`: falsepositives, level.
fn push_tail(out: &mut String, m: &ir::Meta) {
    let fps: Vec<String> = if m.falsepositives.is_empty() {
        vec!["Unknown".to_string()]
    } else {
        m.falsepositives.iter().map(|f| yaml_scalar(f)).collect()
    };
    push_list(out, "falsepositives", &fps);
    out.push_str(&format!("level: {}\n", yaml_scalar(&m.level)));
}

fn render_rule(
    rule: &ir::Rule,
    ctx: &Ctx,
    logsource: &[String],
    det: &detection::Detection,
) -> String {
    render_rule_as(&Head::of(&rule.meta), rule, ctx, logsource, det)
}

/// A detection rule document with the lines of `head` in place of the rule's own.
fn render_rule_as(
    head: &Head,
    rule: &ir::Rule,
    ctx: &Ctx,
    logsource: &[String],
    det: &detection::Detection,
) -> String {
    let m = &rule.meta;
    let mut out = String::new();
    push_head(&mut out, head, m);
    out.push_str("logsource:\n");
    for l in logsource {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str("detection:\n");
    out.push_str(&det.render());
    let fields: Vec<String> = m
        .fields
        .iter()
        .map(|f| match ctx.source.map_field(ctx.catalog_key, f) {
            Ok(Mapped::Column(c)) => yaml_scalar(&c),
            _ => yaml_scalar(f),
        })
        .collect();
    push_list(&mut out, "fields", &fields);
    push_tail(&mut out, m);
    out
}
