//! `tripline new`: a rule skeleton that passes `check` and `test` as written.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Map, Value};

use tripline::catalog::{Catalog, FieldType, Source};
use tripline::ir::{self, CmpOp, Expr, Quant, StrOp, Test};

use super::io::{self, CliError};
use super::CatalogArg;

/// Arguments of `new`.
#[derive(Args)]
pub struct NewArgs {
    /// The rule's name (an identifier); the file is NAME.trip.
    name: String,
    /// The catalog source the rule reads (`tripline sources` lists them).
    #[arg(long)]
    source: String,
    /// The directory to write the file in (default: the current one).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `new`: write DIR/NAME.trip, never over an existing file.
pub fn run(a: NewArgs) -> ExitCode {
    if !tripline::syntax::is_ident(&a.name) {
        return io::fail_usage(CliError::Usage {
            message: format!("`{}` is not a rule name", a.name),
            help: "a rule name is letters, digits and `_`, starting with a letter or `_`, and \
                   not a reserved word"
                .into(),
        });
    }
    let catalog = match super::load_catalog(&a.catalog) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(src) = catalog.sources.get(&a.source) else {
        let names: Vec<&str> = catalog.sources.keys().map(String::as_str).collect();
        return io::fail_usage(CliError::UnknownSource {
            name: a.source.clone(),
            help: tripline::check::did_you_mean(&a.source, names.iter().copied())
                .unwrap_or_else(|| "`tripline sources` lists every source".into()),
        });
    };
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let file = dir.join(format!("{}.trip", a.name));
    if file.exists() {
        return io::fail_usage(CliError::Exists {
            path: file.display().to_string(),
        });
    }
    let Some(text) = skeleton(&a.name, &a.source, src, &catalog, &file) else {
        return io::fail_usage(CliError::Usage {
            message: format!(
                "cannot write test events for `{}`: no field to match, or its records \
                 cannot be told apart by a generated event",
                a.source
            ),
            help: "start from a rule of the library on the same source instead".into(),
        });
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return io::fail_usage(CliError::OutDir {
            path: dir.display().to_string(),
            reason: e.to_string(),
        });
    }
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return io::fail_usage(CliError::Exists {
                path: file.display().to_string(),
            });
        }
        return io::fail_usage(CliError::Write {
            path: file.display().to_string(),
            reason: e.to_string(),
        });
    }
    io::summary(&format!("wrote {}\n", file.display()));
    ExitCode::SUCCESS
}

/// The rule file's text, checked and tested in memory before it is written; `None` when no
/// skeleton for the source passes.
fn skeleton(
    name: &str,
    source: &str,
    src: &Source,
    catalog: &Catalog,
    file: &std::path::Path,
) -> Option<String> {
    let base = match &src.recognize {
        None => Map::new(),
        Some(r) => {
            let e = tripline::check::recognizer(source, src, &r.text).ok()?;
            let mut m = Map::new();
            solve(&e, &mut m).then_some(m)?
        }
    };
    // A string field written as plain names: one the recognition does not set before one
    // it does (`date exists` still holds for "CHANGE-ME"), one that identifies something
    // (a process, a file, an account) before the others, then the catalog's order.
    let rank = |d: &tripline::catalog::FieldDef| match d.entity {
        Some(tripline::catalog::Entity::Host) => 1,
        Some(_) => 0,
        None => 2,
    };
    let mut fields: Vec<(&String, FieldType, _)> = src
        .fields
        .iter()
        .filter(|(n, d)| {
            matches!(d.ty, FieldType::String | FieldType::Ip)
                && Some(n.as_str()) != src.timestamp.as_deref()
                && n.split('.').all(tripline::syntax::is_ident)
        })
        .map(|(n, d)| {
            let key = (
                d.ty != FieldType::String,
                get(&base, n).is_some(),
                rank(d),
                n.contains('.'),
            );
            (n, d.ty, key)
        })
        .collect();
    fields.sort_by_key(|(_, _, k)| *k);
    fields.into_iter().take(8).find_map(|(f, ty, _)| {
        let test = if ty == FieldType::Ip {
            Match {
                text: format!("{f} in cidr [\"192.0.2.0/24\"]"),
                hit: "192.0.2.10",
                miss: "198.51.100.10",
            }
        } else {
            Match {
                text: format!("{f} contains \"CHANGE-ME\""),
                hit: "CHANGE-ME",
                miss: "ordinary",
            }
        };
        written(name, source, &base, f, &test, catalog, file)
    })
}

/// The placeholder `match` and a value of its field for each test.
struct Match {
    text: String,
    hit: &'static str,
    miss: &'static str,
}

/// The file with a match on `field`, if it checks and its two tests pass.
fn written(
    name: &str,
    source: &str,
    base: &Map<String, Value>,
    field: &str,
    test: &Match,
    catalog: &Catalog,
    file: &std::path::Path,
) -> Option<String> {
    let event = |value: &str| {
        let mut m = base.clone();
        set(&mut m, field, Value::String(value.into()));
        Value::Object(m).to_string()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let date = &tripline::time::format(now)[..10];
    let text = format!(
        r#"rule {name} {{
    title       "TODO: what this rule detects"
    id          {id}
    status      experimental
    level       medium
    author      "TODO: your name"
    date        {date}
    description """
        TODO: what the rule detects, why it matters, and what a true positive looks like.
    """
    source {source}

    match {matched}

    test "an event the rule detects" expect match {match_event}
    test "an ordinary event" expect nomatch {nomatch_event}
}}
"#,
        id = uuid::Uuid::new_v4(),
        matched = test.text,
        match_event = event(test.hit),
        nomatch_event = event(test.miss),
    );
    let prog =
        tripline::driver::Program::from_texts(vec![(file.to_path_buf(), text.clone())], &|p| {
            std::fs::read_to_string(p)
        });
    let rep = tripline::testing::run_tests(&prog, catalog);
    let ok = rep.diagnostics.is_empty() && rep.cases.len() == 2 && rep.failed() == 0;
    ok.then_some(text)
}

/// The value at a dotted name.
fn get<'m>(m: &'m Map<String, Value>, dotted: &str) -> Option<&'m Value> {
    let mut parts = dotted.split('.');
    let mut v = m.get(parts.next()?)?;
    for p in parts {
        v = v.as_object()?.get(p)?;
    }
    Some(v)
}

/// Set a dotted name, making the objects on the way.
fn set(m: &mut Map<String, Value>, dotted: &str, value: Value) {
    match dotted.split_once('.') {
        None => {
            m.insert(dotted.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = m
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(o) = inner {
                set(o, rest, value);
            }
        }
    }
}

/// Add to `m` the fields that make `e` hold; `false` when this simple solver cannot.
fn solve(e: &Expr, m: &mut Map<String, Value>) -> bool {
    match e {
        Expr::And(xs) => xs.iter().all(|x| solve(x, m)),
        Expr::Or(xs) => xs.iter().any(|x| {
            let mut trial = m.clone();
            let ok = solve(x, &mut trial);
            if ok {
                *m = trial;
            }
            ok
        }),
        // Leaving the field out makes a negated comparison hold.
        Expr::Not(_) => true,
        Expr::Pred(p) => match value(p) {
            Some(v) => {
                if get(m, &p.field.name).is_some_and(|old| *old != v) {
                    return false;
                }
                set(m, &p.field.name, v);
                if let Test::FieldEq { other, .. } = &p.test {
                    set(m, &other.name, json!("x"));
                }
                true
            }
            None => false,
        },
    }
}

/// A value of the field for which the comparison holds.
fn value(p: &ir::Pred) -> Option<Value> {
    let num = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            json!(n as i64)
        } else {
            json!(n)
        }
    };
    Some(match &p.test {
        Test::Str {
            op, values, quant, ..
        } => match (op, quant) {
            (_, Quant::Any) => json!(values.first()?),
            (StrOp::Contains, Quant::All) => json!(values.concat()),
            (_, Quant::All) if values.len() == 1 => json!(values[0]),
            _ => return None,
        },
        Test::Glob { patterns, .. } => json!(patterns.first()?.replace('*', "").replace('?', "x")),
        Test::Cidr { nets } => json!(nets.first()?.network().to_string()),
        Test::NumEq { values } => num(values.first()?.value),
        Test::NumCmp { op, value } => num(match op {
            CmpOp::Lt => value.value - 1.0,
            CmpOp::Gt | CmpOp::Ne => value.value + 1.0,
            CmpOp::Le | CmpOp::Ge | CmpOp::Eq => value.value,
        }),
        Test::BoolEq { value } => json!(value),
        Test::Exists | Test::FieldEq { .. } => match p.field.ty {
            FieldType::String => json!("x"),
            FieldType::Number => json!(1),
            FieldType::Ip => json!("192.0.2.1"),
            FieldType::Bool => json!(true),
            FieldType::Json => json!({"x": "x"}),
        },
        Test::Regex { .. } => return None,
    })
}
