//! `tripline check`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use tripline::driver::{self, Program};
use tripline::syntax::ast;

use super::io;
use super::{count, CatalogArg, FormatArg, StdinArg};

/// Arguments of `check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Rule files or directories (`-`: standard input).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    format: FormatArg,
    #[command(flatten)]
    stdin: StdinArg,
}

/// `check`: every diagnostic (machine formats on stdout), then one summary line on stderr.
pub fn run(a: CheckArgs) -> ExitCode {
    let (prog, catalog) = match super::load_inputs(&a.paths, &a.catalog, &a.stdin) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let checked = driver::check_program(&prog, &catalog);
    io::report(
        &checked.diagnostics,
        a.format.get(),
        a.format.to(io::To::Stdout),
    );
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors;
    io::summary(&format!(
        "{}\n",
        summary(&prog, checked.rules.len(), errors, warnings)
    ));
    ExitCode::from(u8::from(errors > 0))
}

/// `6 rules in 2 files: 5 valid, 1 with errors; 3 errors, 0 warnings` (and the files that
/// could not be read).
pub fn summary(prog: &Program, valid: usize, errors: usize, warnings: usize) -> String {
    let inputs: Vec<_> = prog.files.iter().filter(|f| f.is_input).collect();
    let declared: usize = inputs
        .iter()
        .filter_map(|f| f.ast.as_ref())
        .map(|a| {
            a.items
                .iter()
                .filter(|i| matches!(i, ast::Item::Rule(_)))
                .count()
        })
        .sum::<usize>()
        // A Sigma rule file holds one rule.
        + prog.files.iter().filter(|f| f.is_input && f.sigma).count();
    let mut s = format!(
        "{} in {}: {} valid, {} with errors; {}, {}",
        count(declared, "rule"),
        count(inputs.len(), "file"),
        valid,
        declared.saturating_sub(valid),
        count(errors, "error"),
        count(warnings, "warning"),
    );
    if !prog.problems.is_empty() {
        s.push_str(&format!(
            "; {} could not be read",
            count(prog.problems.len(), "input")
        ));
    }
    s
}
