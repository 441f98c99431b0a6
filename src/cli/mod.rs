//! The command-line interface: a thin layer over the library, one module per subcommand.
//! It is the only place that prints (through [`io`]).

mod check;
mod compile;
mod events;
mod fmt;
mod hunt;
mod io;
mod lsp;
mod sources;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use tripline::catalog::Catalog;
use tripline::driver::{self, Options};

use io::CliError;

/// tripline: write a detection once, get KQL, SPL and Sigma that mean exactly the same.
#[derive(Parser)]
#[command(name = "tripline", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The target a command compiles for.
#[derive(Args, Clone)]
pub struct TargetArgs {
    /// The target: kql, spl, sigma, trip, duckdb or spark.
    #[arg(long, short)]
    pub target: String,
    /// The target's flavor (kql: sentinel or defender).
    #[arg(long)]
    pub flavor: Option<String>,
    /// SPL: the index to search instead of the catalog's default.
    #[arg(long)]
    pub index: Option<String>,
    /// SQL (duckdb, spark): put this before every table name (`lake.` for a schema or
    /// database).
    #[arg(long)]
    pub table_prefix: Option<String>,
}

/// A user catalog on top of the built-in one.
#[derive(Args, Clone)]
pub struct CatalogArg {
    /// A catalog YAML file whose sources replace or extend the built-in ones.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Compile rules to a target query language.
    Compile(compile::CompileArgs),
    /// Read Sigma rules (YAML) and compile them to a target query language.
    ConvertSigma(compile::ConvertArgs),
    /// Check rules and report every diagnostic.
    Check(check::CheckArgs),
    /// Run the test cases kept with each rule through the reference evaluator.
    Test(test::TestArgs),
    /// Run rules over a JSONL file of events; print one JSON line per match.
    Hunt(hunt::HuntArgs),
    /// List the catalog's log sources with their fields and types.
    Sources(sources::SourcesArgs),
    /// Show how events are read: each as its source's fields, and the sources that
    /// recognise it.
    Events(events::EventsArgs),
    /// Run the language server (Language Server Protocol on stdin and stdout) for editors.
    Lsp(lsp::LspArgs),
    /// Rewrite rule files in the canonical layout (`--check`: only report the files that would change).
    Fmt(fmt::FmtArgs),
}

/// Run the CLI and return the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    match cli.command {
        Command::Compile(a) => compile::run(a),
        Command::ConvertSigma(a) => compile::convert(a),
        Command::Check(a) => check::run(a),
        Command::Test(a) => test::run(a),
        Command::Hunt(a) => hunt::run(a),
        Command::Sources(a) => sources::run(a),
        Command::Events(a) => events::run(a),
        Command::Lsp(a) => lsp::run(a),
        Command::Fmt(a) => fmt::run(a),
    }
}

/// The built-in catalog with the user's on top, or exit code 2 (every problem of the user
/// file reported).
fn load_catalog(arg: &CatalogArg) -> Result<Catalog, ExitCode> {
    let Some(p) = &arg.catalog else {
        return Ok(Catalog::builtin());
    };
    let text = std::fs::read_to_string(p).map_err(|e| {
        io::fail_usage(CliError::CatalogUnreadable {
            path: p.display().to_string(),
            reason: e.to_string(),
        })
    })?;
    let origin = p.display().to_string();
    driver::load_catalog(Some((&text, &origin))).map_err(|diags| {
        io::report(&diags, false);
        ExitCode::from(2)
    })
}

/// Options for the target, or exit code 2.
fn options(t: &TargetArgs, catalog: Catalog) -> Result<Options, ExitCode> {
    let mut opts = Options::new(&t.target, t.flavor.as_deref())
        .map_err(io::fail_usage)?
        .with_catalog(catalog);
    opts.target_opts.spl_index = t.index.clone();
    opts.target_opts.table_prefix = t.table_prefix.clone();
    Ok(opts)
}

/// The catalog and the loaded rule files, or the exit code of a usage error.
fn load_inputs(
    paths: &[PathBuf],
    catalog: &CatalogArg,
) -> Result<(driver::Program, Catalog), ExitCode> {
    let catalog = load_catalog(catalog)?;
    let inputs = driver::collect_inputs(paths).map_err(io::fail_usage)?;
    Ok((driver::Program::load_inputs(inputs), catalog))
}

/// `n thing` / `n things`.
fn count(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// Help and version go to stdout (exit 0); a usage error is a coded diagnostic (exit 2).
fn usage(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = io::out(&e.render().to_string());
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            io::err(&e.render().to_string());
            ExitCode::from(2)
        }
        _ => {
            let text = e.render().to_string();
            let (what, how): (Vec<&str>, Vec<&str>) = {
                let lines: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                let at = lines
                    .iter()
                    .position(|l| l.starts_with("Usage:"))
                    .unwrap_or(lines.len());
                (lines[..at].to_vec(), lines[at..].to_vec())
            };
            let message = what.join(" ");
            let message = message
                .strip_prefix("error: ")
                .unwrap_or(&message)
                .to_string();
            io::fail_usage(CliError::Usage {
                message,
                help: how.join("\n"),
            })
        }
    }
}
