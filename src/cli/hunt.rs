//! `tripline hunt`: a thin layer over [`tripline::hunt`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use tripline::driver;
use tripline::hunt::{self, input, Options};

use super::io;
use super::CatalogArg;

/// Output formats of `hunt`.
#[derive(Clone, Copy, ValueEnum)]
pub enum HuntFormat {
    /// One JSON object per match or alert.
    Jsonl,
    /// CSV with a header: rule, level, time, file, line, details.
    Csv,
    /// Fixed columns for people.
    Table,
}

/// Arguments of `hunt`.
#[derive(Args)]
pub struct HuntArgs {
    /// Rule files or directories (`.trip` and Sigma YAML).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Event inputs: JSON Lines, JSON documents, CloudTrail files, EVTX logs, any of them
    /// gzip-compressed, directories (walked), or `-` for stdin. Repeat for more.
    #[arg(long, required = true, num_args = 1..)]
    events: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HuntFormat::Jsonl)]
    format: HuntFormat,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Evaluate every rule on every event (no literal prefilter); slower, same matches.
    #[arg(long)]
    no_prefilter: bool,
    /// At most this many state entries per stateful rule; past it, the rule's alerts may
    /// be incomplete and a warning says so.
    #[arg(long, default_value_t = hunt::DEFAULT_MAX_STATE)]
    max_state: usize,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `hunt`: matches on stdout as they are found, alerts at the end; the summary, skipped
/// lines and unreadable inputs on stderr.
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
    let checked = driver::check_program(&prog, &catalog);
    io::report(
        &checked.diagnostics,
        driver::report::Format::Human,
        io::To::Stderr,
    );
    let failed = checked.diagnostics.iter().any(|d| d.is_error());
    let rules: Vec<_> = checked.rules.into_iter().map(|(_, r)| r).collect();
    let opts = Options {
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        prefilter: !a.no_prefilter,
        max_state: a.max_state,
        format: match a.format {
            HuntFormat::Jsonl => hunt::Format::Jsonl,
            HuntFormat::Csv => hunt::Format::Csv,
            HuntFormat::Table => hunt::Format::Table,
        },
    };
    let inputs = input::open(&a.events, input::DEFAULT_BLOCK_BYTES);
    let bar = bar();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = hunt::run(&rules, &catalog, inputs, &opts, &mut out, &mut |p| {
        if let Some(b) = &bar {
            b.set_message(format!(
                "{} events, {:.0} MB, {} hits",
                p.events,
                p.bytes as f64 / 1e6,
                p.hits
            ));
        }
    });
    let _ = out.flush();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (summary, errors) = match result {
        Ok(x) => x,
        // stdout closed (`| head`): stop quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::from(0),
        Err(e) => {
            io::err(&format!("error: cannot write the results: {e}\n"));
            return ExitCode::from(2);
        }
    };
    // An unreadable input is an I/O error (exit 2); the other inputs were still read.
    let unreadable = !errors.is_empty();
    for e in errors {
        io::err_diag(e);
    }
    for b in &summary.bad {
        io::err(&format!(
            "{}:{}: skipped ({}): {}\n",
            b.file, b.at, b.code, b.reason
        ));
    }
    if summary.bad_lines() > summary.bad.len() as u64 {
        io::err(&format!(
            "… and {} more skipped lines\n",
            summary.bad_lines() - summary.bad.len() as u64
        ));
    }
    for r in &summary.state_limited {
        io::err_diag(StateLimit {
            rule: r.clone(),
            limit: a.max_state,
        });
    }
    io::summary(&summary.human());
    if let Some(path) = &a.summary {
        let text = serde_json::to_string_pretty(&summary.to_json()).unwrap_or_default() + "\n";
        if let Err(e) = std::fs::write(path, text) {
            io::err(&format!("error: cannot write `{}`: {e}\n", path.display()));
            return ExitCode::from(2);
        }
    }
    if unreadable {
        return ExitCode::from(2);
    }
    ExitCode::from(u8::from(failed || summary.bad_lines() > 0))
}

/// A stateful rule kept more state than `--max-state` allows.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("rule `{rule}` reached --max-state {limit}: its alerts may be incomplete")]
#[diagnostic(
    code(tripline::hunt::state_limit),
    severity(Warning),
    help("raise --max-state, or hunt over less data at once; the state is one entry per group, distinct value, first-seen time or sequence step time")
)]
struct StateLimit {
    rule: String,
    limit: usize,
}

/// A progress line on stderr, only when stderr is a terminal and not `--quiet`.
fn bar() -> Option<indicatif::ProgressBar> {
    if io::quiet() || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    b.set_style(indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}").ok()?);
    b.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(b)
}
