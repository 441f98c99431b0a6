//! `tripline compile` and `tripline convert-sigma`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use tripline::driver::{self, Compiled, Options};

use super::io::{self, CliError};
use super::{CatalogArg, TargetArgs};

/// Arguments of `compile`.
#[derive(Args)]
pub struct CompileArgs {
    /// Rule files or directories (walked for *.trip).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
    /// Write each rule to DIR/<rule name>.<ext> instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
    /// Print diagnostics as JSON lines instead of rendered reports.
    #[arg(long)]
    json: bool,
    /// Write deployable artifacts instead of bare queries: a Sentinel analytics rule
    /// (kql sentinel, .yaml), a Defender XDR custom detection (kql defender, .json), a
    /// savedsearches.conf stanza (spl, .conf); sigma rules are their own artifact.
    #[arg(long)]
    artifact: bool,
}

/// Arguments of `convert-sigma`.
#[derive(Args)]
pub struct ConvertArgs {
    /// Sigma rule files or directories (walked for *.yml and *.yaml).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
    /// Print diagnostics as JSON lines instead of rendered reports.
    #[arg(long)]
    json: bool,
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
    let compiled = match driver::compile_paths(&a.paths, &opts) {
        Ok(c) => c,
        Err(e) => return io::fail_usage(e),
    };
    io::report(&compiled.diagnostics, a.json);
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
    let opts = match super::options(&a.target, tripline::catalog::Catalog::builtin()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let compiled = match driver::convert_sigma_paths(&a.paths, &opts) {
        Ok(c) => c,
        Err(e) => return io::fail_usage(e),
    };
    io::report(&compiled.diagnostics, a.json);
    emit(&compiled, &opts);
    ExitCode::from(u8::from(compiled.failed()))
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
