//! `tripline compile` and `tripline convert-sigma`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use tripline::driver::{self, Compiled, Options};

use super::io::{self, CliError};
use super::{CatalogArg, FormatArg, StdinArg, TargetArgs};

/// Arguments of `compile`.
#[derive(Args)]
pub struct CompileArgs {
    /// Rule files or directories (walked for *.trip; `-`: standard input).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
    /// Write each rule to DIR/<rule name>.<ext> instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    format: FormatArg,
    #[command(flatten)]
    stdin: StdinArg,
    /// Write deployable artifacts instead of bare queries: a Sentinel analytics rule
    /// (kql sentinel, .yaml), a Defender XDR custom detection (kql defender, .json), a
    /// savedsearches.conf stanza (spl, .conf); sigma rules are their own artifact.
    #[arg(long)]
    artifact: bool,
}

/// Arguments of `convert-sigma`.
#[derive(Args)]
pub struct ConvertArgs {
    /// Sigma rule files or directories (walked for *.yml and *.yaml; `-`: standard input).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
    /// Write each rule to DIR/<rule name>.<ext> instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
    /// A rule whose logsource no catalog source has is an error (default: a warning, and
    /// the rule is compiled for placeholder tables with Sigma's field names).
    #[arg(long)]
    strict: bool,
    /// Values for `expand` placeholders: a YAML map from placeholder name to a list of
    /// strings (`Admins: [root, admin]`).
    #[arg(long, value_name = "FILE")]
    placeholders: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArg,
    #[command(flatten)]
    stdin: StdinArg,
    /// Write deployable artifacts instead of bare queries (as `compile --artifact`).
    #[arg(long)]
    artifact: bool,
}

/// `compile`: every rule that compiles is written, whatever fails beside it.
pub fn run(a: CompileArgs) -> ExitCode {
    let opts = match super::load_catalog(&a.catalog)
        .and_then(|c| super::options(&a.target, c))
        .map(|o| o.with_artifact(a.artifact))
    {
        Ok(o) => o,
        Err(code) => return code,
    };
    let prog = match super::load_program(&a.paths, &a.stdin) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let compiled = {
        let _progress = io::progress(format!("compiling {} files", prog.files.len()));
        driver::compile_program(&prog, &opts)
    };
    io::report(
        &compiled.diagnostics,
        a.format.get(),
        a.format.to(channel(&a.out)),
    );
    let mut code = u8::from(compiled.failed());
    match &a.out {
        None => emit(&compiled, &opts),
        Some(dir) => {
            if !write_all(&compiled, &opts, dir) {
                code = 2;
            }
        }
    }
    ExitCode::from(code)
}

/// `convert-sigma`.
pub fn convert(a: ConvertArgs) -> ExitCode {
    let mut opts = match super::load_catalog(&a.catalog)
        .and_then(|c| super::options(&a.target, c))
        .map(|o| o.with_artifact(a.artifact).with_strict(a.strict))
    {
        Ok(o) => o,
        Err(code) => return code,
    };
    if let Some(p) = &a.placeholders {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                return io::fail_usage(CliError::PlaceholdersUnreadable {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        match tripline::yaml::from_str::<tripline::sigma_in::modifiers::Placeholders>(&text) {
            Ok(m) => opts.placeholders = Some(std::sync::Arc::new(m)),
            Err(e) => {
                return io::fail_usage(CliError::PlaceholdersUnreadable {
                    path: p.display().to_string(),
                    reason: e,
                })
            }
        }
    }
    let (given, files) = match super::split_stdin(&a.paths, &a.stdin, "stdin.yml") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let given = given
        .into_iter()
        .map(|(p, t)| (p.display().to_string(), t))
        .collect();
    let compiled = {
        let _progress = io::progress("converting Sigma rules".into());
        let mut compiled = driver::convert_sigma_texts(given, &opts);
        if !files.is_empty() {
            match driver::convert_sigma_paths(&files, &opts) {
                Ok(c) => {
                    compiled.outputs.extend(c.outputs);
                    compiled.diagnostics.extend(c.diagnostics);
                }
                Err(e) => return io::fail_usage(e),
            }
        }
        compiled
    };
    io::report(
        &compiled.diagnostics,
        a.format.get(),
        a.format.to(channel(&a.out)),
    );
    let mut code = u8::from(compiled.failed());
    match &a.out {
        None => emit(&compiled, &opts),
        Some(dir) => {
            if !write_all(&compiled, &opts, dir) {
                code = 2;
            }
        }
    }
    ExitCode::from(code)
}

/// Where machine diagnostics go: stdout when the outputs go to files, else stderr (stdout
/// carries the queries).
fn channel(out: &Option<PathBuf>) -> io::To {
    if out.is_some() {
        io::To::Stdout
    } else {
        io::To::Stderr
    }
}

/// Every output on stdout, as the target bundles them.
fn emit(compiled: &Compiled, opts: &Options) {
    if !compiled.outputs.is_empty() {
        // A reader that went away ends the output, not the command's verdict.
        let _ = io::out(&compiled.bundle(opts));
    }
}

/// One file per output in `dir`; every failure is reported and the others are still
/// written. `false` when anything could not be written.
fn write_all(compiled: &Compiled, opts: &Options, dir: &std::path::Path) -> bool {
    if let Err(e) = std::fs::create_dir_all(dir) {
        io::err_diag(CliError::OutDir {
            path: dir.display().to_string(),
            reason: e.to_string(),
        });
        return false;
    }
    let mut ok = true;
    for o in &compiled.outputs {
        let (ext, text) = o.file(opts);
        let file = dir.join(format!("{}.{ext}", o.rule));
        if let Err(e) = std::fs::write(&file, text) {
            io::err_diag(CliError::Write {
                path: file.display().to_string(),
                reason: e.to_string(),
            });
            ok = false;
        }
    }
    ok
}
