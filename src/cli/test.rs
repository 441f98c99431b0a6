//! `tripline test`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use tripline::testing::TestReport;

use super::io::{self, CliError};
use super::{count, CatalogArg, FormatArg, StdinArg};

/// Arguments of `test`.
#[derive(Args)]
pub struct TestArgs {
    /// Rule files or directories (`-`: standard input).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    format: FormatArg,
    #[command(flatten)]
    stdin: StdinArg,
    /// Also write the results as JUnit XML to FILE (a testsuite per rule file, a testcase
    /// per case).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also list passing cases.
    #[arg(long, short)]
    verbose: bool,
    /// Also write each rule's cases to DIR/<rule>.jsonl (`_expect` and `_case` keys added),
    /// for running the same events through other engines.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
}

/// `test`: failures explained on stdout, then `N passed, N failed` (with a machine
/// `--format`, stdout has the diagnostics and this report goes to stderr).
pub fn run(a: TestArgs) -> ExitCode {
    let (prog, catalog) = match super::load_inputs(&a.paths, &a.catalog, &a.stdin) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let rep = tripline::testing::run_tests(&prog, &catalog);
    if let Some(dir) = &a.export {
        if let Err(e) = tripline::testing::export_cases(&prog, &catalog, dir) {
            return io::fail_usage(CliError::Export {
                path: dir.display().to_string(),
                reason: e.to_string(),
            });
        }
    }
    if let Some(file) = &a.junit {
        if let Err(e) = std::fs::write(file, tripline::driver::report::junit(&rep)) {
            return io::fail_usage(CliError::Junit {
                path: file.display().to_string(),
                reason: e.to_string(),
            });
        }
    }
    let format = a.format.get();
    let to = a.format.to(io::To::Stdout);
    io::report(&rep.diagnostics, format, to);
    let not_tested = not_tested(&prog, &rep);
    let text = render(&rep, a.verbose, not_tested, io::quiet());
    if format == tripline::driver::report::Format::Human || to == io::To::Stderr {
        let _ = io::out(&text);
    } else {
        io::err(&text);
    }
    let errors = rep.diagnostics.iter().any(|d| d.is_error());
    ExitCode::from(u8::from(rep.failed() > 0 || errors))
}

/// Rules declared in the input files that did not reach the evaluator (they have errors).
fn not_tested(prog: &tripline::driver::Program, rep: &TestReport) -> usize {
    let declared: usize = prog
        .files
        .iter()
        .filter(|f| f.is_input)
        .filter_map(|f| f.ast.as_ref())
        .map(|a| {
            a.items
                .iter()
                .filter(|i| matches!(i, tripline::syntax::ast::Item::Rule(_)))
                .count()
        })
        .sum::<usize>()
        // A Sigma rule file holds one rule.
        + prog.files.iter().filter(|f| f.is_input && f.sigma).count();
    let mut ran: Vec<&str> = rep.cases.iter().map(|c| c.rule.as_str()).collect();
    ran.extend(rep.untested.iter().map(String::as_str));
    ran.sort_unstable();
    ran.dedup();
    declared.saturating_sub(ran.len())
}

fn render(rep: &TestReport, verbose: bool, not_tested: usize, quiet: bool) -> String {
    let mut out = String::new();
    let verdict = |b: bool| if b { "match" } else { "no match" };
    for c in &rep.cases {
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
    if quiet {
        return out;
    }
    for r in &rep.untested {
        let _ = writeln!(out, "note  {r} has no test cases");
    }
    let mut last = format!("{} passed, {} failed", rep.passed(), rep.failed());
    if not_tested > 0 {
        let _ = write!(
            last,
            "; {} not tested (errors reported above)",
            count(not_tested, "rule")
        );
    } else if rep.diagnostics.iter().any(|d| d.is_error()) {
        last.push_str("; errors reported above");
    }
    let _ = writeln!(out, "{last}");
    out
}
