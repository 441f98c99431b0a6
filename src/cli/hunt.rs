//! `tripline hunt`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use tripline::driver;

use super::io::{self, CliError};
use super::CatalogArg;

/// Arguments of `hunt`.
#[derive(Args)]
pub struct HuntArgs {
    /// Rule files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The events, one JSON object per line.
    #[arg(long)]
    events: PathBuf,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `hunt`: one JSON line per match on stdout; skipped lines on stderr.
pub fn run(a: HuntArgs) -> ExitCode {
    let (prog, catalog) = match super::load_inputs(
        &a.paths,
        &a.catalog,
        &super::StdinArg {
            stdin_filename: None,
        },
    ) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let text = match std::fs::read_to_string(&a.events) {
        Ok(t) => t,
        Err(e) => {
            return io::fail_usage(CliError::EventsUnreadable {
                path: a.events.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    let checked = driver::check_program(&prog, &catalog);
    io::report(
        &checked.diagnostics,
        driver::report::Format::Human,
        io::To::Stderr,
    );
    let rules: Vec<_> = checked.rules.into_iter().map(|(_, r)| r).collect();
    let (hits, bad) = tripline::testing::hunt(&rules, &text, &catalog);
    let code = u8::from(checked.diagnostics.iter().any(|d| d.is_error()) || !bad.is_empty());
    for b in &bad {
        io::err(&format!(
            "{}:{}: skipped: {}\n",
            a.events.display(),
            b.line,
            b.reason
        ));
    }
    for h in &hits {
        let line = serde_json::to_string(h).unwrap_or_default() + "\n";
        if io::out(&line).is_err() {
            break;
        }
    }
    ExitCode::from(code)
}
