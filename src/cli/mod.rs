//! The command-line interface: a thin layer over the library. It is the only place that
//! prints.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tripline::catalog::Catalog;
use tripline::driver::{self, FileDiagnostic, Options};

/// tripline: write a detection once, get KQL, SPL and Sigma that mean exactly the same.
#[derive(Parser)]
#[command(name = "tripline", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile rules to a target query language.
    Compile {
        /// Rule files or directories (walked for *.trip).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The target: kql, spl or sigma.
        #[arg(long, short)]
        target: String,
        /// The target's flavor (kql: sentinel or defender).
        #[arg(long)]
        flavor: Option<String>,
        /// Write each rule to DIR/<rule name>.<ext> instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// A catalog YAML file whose sources replace or extend the built-in ones.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// SPL: the index to search instead of the catalog's default.
        #[arg(long)]
        index: Option<String>,
        /// Print diagnostics as JSON lines instead of rendered reports.
        #[arg(long)]
        json: bool,
        /// Write deployable artifacts instead of bare queries: a Sentinel analytics rule
        /// (kql sentinel, .yaml), a Defender XDR custom detection (kql defender, .json), a
        /// savedsearches.conf stanza (spl, .conf); sigma rules are their own artifact.
        #[arg(long)]
        artifact: bool,
    },
    /// Read Sigma rules (YAML) and compile them to a target query language.
    ConvertSigma {
        /// Sigma rule files or directories (walked for *.yml and *.yaml).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The target: kql, spl or sigma.
        #[arg(long, short)]
        target: String,
        /// The target's flavor (kql: sentinel or defender).
        #[arg(long)]
        flavor: Option<String>,
        /// Print diagnostics as JSON lines instead of rendered reports.
        #[arg(long)]
        json: bool,
    },
    /// Check rules and report every diagnostic.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A catalog YAML file.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Print diagnostics as JSON lines instead of rendered reports.
        #[arg(long)]
        json: bool,
    },
    /// Run the test cases kept with each rule through the reference evaluator.
    Test {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A catalog YAML file.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Also list passing cases.
        #[arg(long, short)]
        verbose: bool,
        /// Also write each rule's cases to DIR/<rule>.jsonl (`_expect` and `_case` keys added),
        /// for running the same events through other engines.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
    },
    /// Run rules over a JSONL file of events; print one JSON line per match.
    Hunt {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The events, one JSON object per line.
        #[arg(long)]
        events: PathBuf,
        /// A catalog YAML file.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// List the catalog's log sources with their fields and types.
    Sources {
        /// A catalog YAML file.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

/// Exit code 2: usage or I/O problems.
fn fail_usage(e: impl Into<miette::Report>) -> ExitCode {
    eprintln!("{:?}", e.into());
    ExitCode::from(2)
}

fn load_catalog(path: &Option<PathBuf>) -> Result<Catalog, ExitCode> {
    let builtin = Catalog::builtin();
    let Some(p) = path else { return Ok(builtin) };
    let text = std::fs::read_to_string(p).map_err(|e| {
        eprintln!("error: cannot read catalog `{}`: {e}", p.display());
        ExitCode::from(2)
    })?;
    let user = Catalog::from_yaml(&text, &p.display().to_string()).map_err(fail_usage)?;
    Ok(builtin.overlay(user))
}

/// The catalog and the loaded rule files, or the exit code of a usage / I/O error.
fn load_inputs(
    paths: &[PathBuf],
    catalog: &Option<PathBuf>,
) -> Result<(driver::Program, Catalog), ExitCode> {
    let catalog = load_catalog(catalog)?;
    let prog = driver::collect_inputs(paths)
        .and_then(|f| driver::Program::load(&f))
        .map_err(fail_usage)?;
    Ok((prog, catalog))
}

fn report(diags: &[FileDiagnostic], json: bool) {
    let color = std::io::stderr().is_terminal();
    let mut err = std::io::stderr().lock();
    for d in diags {
        if json {
            let (line, col) = d.line_col();
            let v = serde_json::json!({
                "path": d.path,
                "line": line,
                "column": col,
                "code": d.code(),
                "message": d.error.to_string(),
            });
            let _ = writeln!(err, "{v}");
        } else {
            let _ = write!(err, "{}", d.render(color));
        }
    }
}

/// Run the CLI and return the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Compile {
            paths,
            target,
            flavor,
            out,
            catalog,
            index,
            json,
            artifact,
        } => {
            let catalog = match load_catalog(&catalog) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let mut opts = match Options::new(&target, flavor.as_deref()) {
                Ok(o) => o.with_catalog(catalog).with_artifact(artifact),
                Err(e) => return fail_usage(e),
            };
            opts.target_opts.spl_index = index;
            let compiled = match driver::compile_paths(&paths, &opts) {
                Ok(c) => c,
                Err(e) => return fail_usage(e),
            };
            report(&compiled.diagnostics, json);
            match out {
                None => {
                    if !compiled.outputs.is_empty() {
                        print!("{}", compiled.bundle(&opts));
                    }
                }
                Some(dir) => {
                    if let Err(e) = std::fs::create_dir_all(&dir) {
                        eprintln!("error: cannot create `{}`: {e}", dir.display());
                        return ExitCode::from(2);
                    }
                    for o in &compiled.outputs {
                        let (ext, text) = o.file(&opts);
                        let file = dir.join(format!("{}.{ext}", o.rule));
                        if let Err(e) = std::fs::write(&file, text) {
                            eprintln!("error: cannot write `{}`: {e}", file.display());
                            return ExitCode::from(2);
                        }
                    }
                }
            }
            if compiled.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::ConvertSigma {
            paths,
            target,
            flavor,
            json,
        } => {
            let opts = match Options::new(&target, flavor.as_deref()) {
                Ok(o) => o,
                Err(e) => return fail_usage(e),
            };
            let compiled = match driver::convert_sigma_paths(&paths, &opts) {
                Ok(c) => c,
                Err(e) => return fail_usage(e),
            };
            report(&compiled.diagnostics, json);
            if !compiled.outputs.is_empty() {
                print!("{}", compiled.bundle(&opts));
            }
            if compiled.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Check {
            paths,
            catalog,
            json,
        } => {
            let (files, catalog) = match load_inputs(&paths, &catalog) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let checked = driver::check_program(&files, &catalog);
            report(&checked.diagnostics, json);
            let n = checked.rules.len();
            let bad = checked.diagnostics.len();
            eprintln!(
                "{n} rule{} checked, {bad} error{}",
                if n == 1 { "" } else { "s" },
                if bad == 1 { "" } else { "s" }
            );
            if bad > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Test {
            paths,
            catalog,
            verbose,
            export,
        } => {
            let (prog, catalog) = match load_inputs(&paths, &catalog) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let rep = tripline::testing::run_tests(&prog, &catalog);
            if let Some(dir) = export {
                if let Err(e) = tripline::testing::export_cases(&prog, &catalog, &dir) {
                    eprintln!("error: cannot export to `{}`: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
            report(&rep.diagnostics, false);
            let mut out = std::io::stdout().lock();
            for c in &rep.cases {
                let verdict = |b: bool| if b { "match" } else { "no match" };
                if c.passed() {
                    if verbose {
                        let _ = writeln!(out, "ok    {} :: {}", c.rule, c.name);
                    }
                    continue;
                }
                let why = if c.stream {
                    "alerts differ".to_string()
                } else {
                    format!("expected {}, got {}", verdict(c.expect), verdict(c.got))
                };
                let _ = writeln!(out, "FAIL  {} :: {} ({why})  [{}]", c.rule, c.name, c.path);
                for (depth, v, text) in &c.explanation {
                    let _ = writeln!(
                        out,
                        "      {}{} {}",
                        "  ".repeat(*depth),
                        if *v { "true " } else { "false" },
                        text
                    );
                }
            }
            for r in &rep.untested {
                let _ = writeln!(out, "note  {r} has no test cases");
            }
            if !rep.diagnostics.is_empty() {
                let _ = writeln!(
                    out,
                    "error {} diagnostic(s) above: rules with errors were not tested",
                    rep.diagnostics.len()
                );
            }
            let _ = writeln!(out, "{} passed, {} failed", rep.passed(), rep.failed());
            if rep.failed() > 0 || !rep.diagnostics.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Hunt {
            paths,
            events,
            catalog,
        } => {
            let (prog, catalog) = match load_inputs(&paths, &catalog) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let text = match std::fs::read_to_string(&events) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read `{}`: {e}", events.display());
                    return ExitCode::from(2);
                }
            };
            let checked = driver::check_program(&prog, &catalog);
            report(&checked.diagnostics, false);
            let rules: Vec<_> = checked.rules.into_iter().map(|(_, r)| r).collect();
            let (hits, bad) = tripline::testing::hunt(&rules, &text, &catalog);
            let mut out = std::io::stdout().lock();
            for h in &hits {
                let _ = writeln!(out, "{}", serde_json::to_string(h).unwrap_or_default());
            }
            for b in &bad {
                eprintln!("{}:{}: skipped: {}", events.display(), b.line, b.reason);
            }
            if !checked.diagnostics.is_empty() || !bad.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Sources { catalog } => {
            let catalog = match load_catalog(&catalog) {
                Ok(c) => c,
                Err(code) => return code,
            };
            print!("{}", tripline::catalog::describe(&catalog));
            ExitCode::SUCCESS
        }
    }
}
