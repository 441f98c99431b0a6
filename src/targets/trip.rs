//! The rule language itself as a target: a rule written back as a `.trip` file (metadata,
//! `source`, `match`). `convert-sigma --target trip` migrates Sigma rules this way; checking
//! the written file gives the same IR as the rule it was written from (tested over the
//! SigmaHQ corpus). What has no `.trip` spelling is refused with a code: a field name that is
//! not a dotted identifier, a log source the catalog does not have, a stateful stage.

use crate::catalog::Mapped;
use crate::ir::{self, Expr, Quant, StrOp, Test};
use crate::targets::Construct;

use super::{unsupported, Ctx, Target, TargetError};

/// The `.trip` target.
pub struct Trip;

const TARGET: &str = "trip";

impl Target for Trip {
    fn refusals(&self) -> &'static [Construct] {
        &[
            Construct::StatefulStage,
            Construct::FieldName,
            Construct::EqualsAll,
            Construct::LogSource,
            Construct::RuleMetadata,
        ]
    }

    fn name(&self) -> &'static str {
        "trip"
    }

    fn extension(&self) -> &'static str {
        "trip"
    }

    fn comment(&self, text: &str) -> String {
        format!("// {}", text.replace('\n', " "))
    }

    fn is_query(&self) -> bool {
        false
    }

    fn compile_rule(&self, rule: &ir::Rule, ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        let span = ir::Span::new(rule.span.start, rule.span.start + 4);
        let mut errors = Vec::new();
        if !is_dotted(ctx.source_name) {
            errors.push(unsupported(
                TARGET,
                Construct::LogSource,
                &format!("the log source `{}`", ctx.source_name),
                span,
                "a rule's `source` names a catalog source; this one is a placeholder for a logsource the catalog does not have",
                Some("add the source to a catalog (--catalog FILE) first"),
            ));
        }
        if let Some(st) = &rule.stage {
            errors.push(unsupported(
                TARGET,
                Construct::StatefulStage,
                "a stateful stage",
                st.span(),
                "the .trip writer writes single-event rules",
                None,
            ));
        }
        // What a .trip rule must have (the checker's required metadata).
        let meta = &rule.meta;
        for (key, value) in [
            ("id", &meta.id),
            ("status", &meta.status),
            ("level", &meta.level),
            ("date", &meta.date),
            ("description", &meta.description),
        ] {
            if value.trim().is_empty() {
                errors.push(unsupported(
                    TARGET,
                    Construct::RuleMetadata,
                    &format!("a rule without `{key}`"),
                    span,
                    &format!("a .trip rule needs `{key}`"),
                    Some("add it to the Sigma rule"),
                ));
            }
        }
        let mut m = String::new();
        write_expr(&rule.expr, 0, &mut m, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut out = format!("rule {} {{\n", rule.name);
        write_meta(&rule.meta, &mut out);
        out.push_str(&format!(
            "    source {}\n\n    match {m}\n}}\n",
            ctx.source_name
        ));
        Ok(out)
    }
}

fn is_dotted(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|seg| {
            let mut cs = seg.chars();
            cs.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A string literal that reads back as exactly `s`.
fn lit(s: &str) -> String {
    if !s.contains('"') && !s.chars().any(|c| c.is_control()) && s.contains('\\') {
        return format!("r\"{s}\"");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A regex literal: raw when it can be, so the pattern reads as written.
fn regex_lit(p: &str) -> String {
    if !p.contains('"') && !p.chars().any(|c| c.is_control()) {
        format!("r\"{p}\"")
    } else if !p.contains("\"#") && !p.chars().any(|c| c.is_control()) {
        format!("r#\"{p}\"#")
    } else {
        lit(p)
    }
}

fn list(vs: &[String]) -> String {
    let items: Vec<String> = vs.iter().map(|v| lit(v)).collect();
    format!("[{}]", items.join(", "))
}

fn write_meta(m: &ir::Meta, out: &mut String) {
    let line = |out: &mut String, key: &str, value: String| {
        out.push_str(&format!("    {key:<14} {value}\n"));
    };
    line(out, "title", lit(&m.title));
    line(out, "id", m.id.clone());
    if !m.related.is_empty() {
        let r: Vec<String> = m
            .related
            .iter()
            .map(|(t, id)| format!("{t} {id}"))
            .collect();
        line(out, "related", r.join(", "));
    }
    line(out, "status", m.status.clone());
    line(out, "level", m.level.clone());
    if !m.authors.is_empty() {
        let a: Vec<String> = m.authors.iter().map(|a| lit(a)).collect();
        line(out, "author", a.join(", "));
    }
    line(out, "date", m.date.clone());
    if let Some(d) = &m.modified {
        line(out, "modified", d.clone());
    }
    if !m.tags.is_empty() {
        line(out, "tags", m.tags.join(", "));
    }
    if !m.references.is_empty() {
        let r: Vec<String> = m.references.iter().map(|r| lit(r)).collect();
        line(out, "references", r.join(",\n                   "));
    }
    if !m.falsepositives.is_empty() {
        let f: Vec<String> = m.falsepositives.iter().map(|f| lit(f)).collect();
        line(out, "falsepositives", f.join(", "));
    }
    if !m.fields.is_empty() {
        let f: Vec<String> = m.fields.iter().map(|f| lit(f)).collect();
        line(out, "fields", f.join(", "));
    }
    line(out, "description", lit(&m.description));
}

/// The field as the rule names it (`.trip` has no quoting for field names).
fn field_name(f: &ir::Field, span: ir::Span, errors: &mut Vec<TargetError>) -> String {
    let name = match f.target() {
        Mapped::Column(c) => c,
        Mapped::Expr(e) => e,
    };
    if !is_dotted(&name)
        || name
            .split('.')
            .any(|s| crate::syntax::reserved().contains(&s))
    {
        errors.push(unsupported(
            TARGET,
            Construct::FieldName,
            &format!("the field name `{name}`"),
            span,
            "a .trip field name is dotted identifiers (letters, digits, `_`) and not a keyword",
            None,
        ));
    }
    name
}

/// Precedence: 0 = or, 1 = and, 2 = not/atom.
fn write_expr(e: &Expr, ctx: u8, out: &mut String, errors: &mut Vec<TargetError>) {
    match e {
        Expr::Or(xs) | Expr::And(xs) => {
            let (prec, word) = if matches!(e, Expr::Or(_)) {
                (0, " or ")
            } else {
                (1, " and ")
            };
            let paren = prec < ctx;
            if paren {
                out.push('(');
            }
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push_str(word);
                }
                write_expr(x, prec + 1, out, errors);
            }
            if paren {
                out.push(')');
            }
        }
        Expr::Not(x) => match x.as_ref() {
            Expr::Pred(p) if p.test == Test::Exists => {
                let f = field_name(&p.field, p.span, errors);
                out.push_str(&format!("{f} missing"));
            }
            inner => {
                out.push_str("not ");
                write_expr(inner, 2, out, errors);
            }
        },
        Expr::Pred(p) => write_pred(p, out, errors),
    }
}

fn write_pred(p: &ir::Pred, out: &mut String, errors: &mut Vec<TargetError>) {
    let f = field_name(&p.field, p.span, errors);
    let cased = |c: bool| if c { "cased " } else { "" };
    let text = match &p.test {
        Test::Exists => format!("{f} exists"),
        Test::Str {
            op: StrOp::Eq,
            values,
            quant,
            cased: c,
        } => match (values.as_slice(), quant) {
            ([v], _) => format!("{f} == {}{}", cased(*c), lit(v)),
            (_, Quant::Any) => format!("{f} in {}{}", cased(*c), list(values)),
            (_, Quant::All) => {
                errors.push(unsupported(
                    TARGET,
                    Construct::EqualsAll,
                    "equality with all of several values",
                    p.span,
                    "the language has no `== all [...]`",
                    None,
                ));
                String::new()
            }
        },
        Test::Str {
            op,
            values,
            quant,
            cased: c,
        } => {
            let word = op.keyword();
            match (values.as_slice(), quant) {
                ([v], Quant::Any) => format!("{f} {word} {}{}", cased(*c), lit(v)),
                (_, Quant::Any) => format!("{f} {word} {}any {}", cased(*c), list(values)),
                (_, Quant::All) => format!("{f} {word} {}all {}", cased(*c), list(values)),
            }
        }
        Test::Glob { patterns, cased: c } => match patterns.as_slice() {
            [g] => format!("{f} like {}{}", cased(*c), lit(g)),
            _ => format!("{f} like {}any {}", cased(*c), list(patterns)),
        },
        Test::Regex { pattern, cased: c } => {
            format!("{f} matches {}{}", cased(*c), regex_lit(pattern))
        }
        Test::Cidr { nets } => {
            let ns: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
            format!("{f} in cidr {}", list(&ns))
        }
        Test::NumEq { values } => match values.as_slice() {
            [v] => format!("{f} == {}", v.text),
            _ => {
                let ns: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
                format!("{f} in [{}]", ns.join(", "))
            }
        },
        Test::NumCmp { op, value } => format!("{f} {} {}", op.symbol(), value.text),
        Test::BoolEq { value } => format!("{f} == {value}"),
        Test::FieldEq { other, cased: c } => {
            let g = field_name(other, p.span, errors);
            format!("{f} == {}{g}", cased(*c))
        }
    };
    out.push_str(&text);
}
