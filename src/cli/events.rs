//! `tripline events`: how tripline reads an events file — each event as its source's fields
//! (through the catalog's record shapes) and the catalog sources that recognise it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use tripline::eval::Evaluator;
use tripline::testing::{read_events, Router};

use super::io::{self, CliError};
use super::CatalogArg;

/// Arguments of `events`.
#[derive(Args)]
pub struct EventsArgs {
    /// Event files: JSON Lines, JSON objects one after another, a JSON array, EVTX exported
    /// as JSON, CloudTrail files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Only report whether each event is a record of this source.
    #[arg(long)]
    source: Option<String>,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `events`: one JSON line per event: `{"file", "line", "sources", "fields"}`.
pub fn run(a: EventsArgs) -> ExitCode {
    let catalog = match super::load_catalog(&a.catalog) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let names: Vec<String> = match &a.source {
        Some(s) if !catalog.sources.contains_key(s) => {
            let all: Vec<&str> = catalog.sources.keys().map(String::as_str).collect();
            return io::fail_usage(CliError::UnknownSource {
                name: s.clone(),
                help: tripline::check::did_you_mean(s, all.iter().copied())
                    .unwrap_or_else(|| "`tripline sources` lists every source".into()),
            });
        }
        Some(s) => vec![s.clone()],
        None => catalog.sources.keys().cloned().collect(),
    };
    let mut router = Router::new(&catalog);
    let mut ev = Evaluator::new();
    let mut code = 0;
    for f in &a.files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                io::err_diag(CliError::EventsUnreadable {
                    path: f.display().to_string(),
                    reason: e.to_string(),
                });
                code = 2;
                continue;
            }
        };
        let (events, bad) = read_events(&text);
        for b in &bad {
            io::err(&format!(
                "{}:{}: skipped: {}\n",
                f.display(),
                b.line,
                b.reason
            ));
            code = code.max(1);
        }
        for e in events {
            let fields = router.fields(&e.value);
            let sources: Vec<&str> = names
                .iter()
                .filter(|s| router.accepts(&mut ev, s, &fields))
                .map(String::as_str)
                .collect();
            let line = json!({
                "file": f.display().to_string(),
                "line": e.line,
                "sources": sources,
                "fields": fields,
            });
            if io::out(&format!("{line}\n")).is_err() {
                return ExitCode::from(code);
            }
        }
    }
    ExitCode::from(code)
}
