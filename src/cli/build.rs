//! `tripline build`: the project in `tripline.toml` built into its output tree and lock.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use tripline::project::{self, Project};

use super::io;
use super::FormatArg;

/// Arguments of `build`.
#[derive(Args)]
pub struct BuildArgs {
    /// The project directory (holding tripline.toml).
    #[arg(long, default_value = ".")]
    project: PathBuf,
    /// Write nothing; list every stale, missing or extra file and every lock entry out of
    /// date, and exit 1 if there is any.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    format: FormatArg,
}

/// `build`: compile, then write (or with `--check`, compare).
pub fn run(a: BuildArgs) -> ExitCode {
    let proj = match Project::load(&a.project) {
        Ok(p) => p,
        Err(e) => return io::fail_usage(e),
    };
    let plan = match project::plan(&proj) {
        Ok(p) => p,
        Err(project::ProjectError::Catalog(diags)) => {
            io::report(&diags, a.format.get(), a.format.to(io::To::Stdout));
            return ExitCode::from(2);
        }
        Err(e) => return io::fail_usage(e),
    };
    // Machine diagnostics take stdout; the file lists then go to stderr.
    let machine = a.format.get() != tripline::driver::report::Format::Human;
    io::report(
        &plan.diagnostics,
        a.format.get(),
        a.format.to(io::To::Stdout),
    );
    let listing = |text: &str| {
        if machine {
            io::err(text);
        } else {
            let _ = io::out(text);
        }
    };
    let mut notes = String::new();
    for n in &plan.notes {
        notes.push_str(&format!("{n}\n"));
    }
    let failed = plan.failed();
    if a.check {
        let drift = project::drift(&proj, &plan);
        let mut text = String::new();
        for d in &drift {
            text.push_str(&format!("{d}\n"));
        }
        listing(&text);
        io::summary(&notes);
        io::summary(&format!(
            "build --check: {} rules, {} files; {} out of date{}\n",
            plan.lock.rules.len(),
            plan.files.len(),
            drift.len(),
            if failed { "; some rules failed" } else { "" }
        ));
        return ExitCode::from(u8::from(failed || !drift.is_empty()));
    }
    let mut w = project::write(&proj, &plan);
    let write_errors = w.errors.len();
    for e in std::mem::take(&mut w.errors) {
        io::err_diag(e);
    }
    let mut text = String::new();
    for p in &w.written {
        text.push_str(&format!("wrote   {p}\n"));
    }
    for p in &w.removed {
        text.push_str(&format!("removed {p}\n"));
    }
    listing(&text);
    io::summary(&notes);
    io::summary(&format!(
        "build: {} rules, {} files; {} written, {} removed{}\n",
        plan.lock.rules.len(),
        plan.files.len(),
        w.written.len(),
        w.removed.len(),
        if failed { "; some rules failed" } else { "" }
    ));
    if write_errors > 0 {
        return ExitCode::from(2);
    }
    ExitCode::from(u8::from(failed))
}
