//! Where the CLI writes: stdout for results, stderr for diagnostics and summaries.
//!
//! A reader that goes away (`tripline … | head -1`) is not an error: writing stops and the
//! command exits quietly with the code it had decided on. Every error the CLI itself
//! reports is a coded diagnostic ([`CliError`]).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tripline::driver::FileDiagnostic;

/// The reader of stdout has gone away.
#[derive(Debug)]
pub struct Closed;

/// Write `text` to stdout; `Err(Closed)` when the reader has gone away. Other write errors
/// are reported as coded diagnostics and also end the output.
pub fn out(text: &str) -> Result<(), Closed> {
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|_| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed),
        Err(e) => {
            err_diag(CliError::Stdout {
                reason: e.to_string(),
            });
            Err(Closed)
        }
    }
}

/// Write `text` to stderr, ignoring a reader that has gone away.
pub fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes()).and_then(|_| e.flush());
}

/// Render a CLI-level diagnostic on stderr.
pub fn err_diag(e: impl Into<miette::Report>) {
    err(&format!("{:?}\n", e.into()));
}

/// Report a usage or I/O problem and give exit code 2.
pub fn fail_usage(e: impl Into<miette::Report>) -> ExitCode {
    err_diag(e);
    ExitCode::from(2)
}

/// Every diagnostic, as rendered reports or JSON lines, on stderr.
pub fn report(diags: &[FileDiagnostic], json: bool) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
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
            err(&format!("{v}\n"));
        } else {
            err(&d.render(color));
        }
    }
}

/// The CLI's own errors (the library's are [`tripline::driver::Error`]).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    /// The command line does not parse.
    #[error("{message}")]
    #[diagnostic(code(tripline::cli::usage))]
    Usage {
        /// What is wrong.
        message: String,
        /// The usage and where to read more.
        #[help]
        help: String,
    },
    /// `--catalog FILE` could not be read.
    #[error("cannot read catalog `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::catalog_unreadable),
        help("--catalog takes a YAML file with a `sources:` map (see docs/catalog.md)")
    )]
    CatalogUnreadable {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// `tripline sources NAME` names no source.
    #[error("no log source `{name}` in the catalog")]
    #[diagnostic(code(tripline::cli::unknown_source))]
    UnknownSource {
        /// The name.
        name: String,
        /// Did you mean.
        #[help]
        help: String,
    },
    /// `--placeholders FILE` could not be read.
    #[error("cannot read placeholders `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::placeholders_unreadable),
        help("--placeholders takes a YAML map from placeholder name to a list of strings, e.g. `Admins: [root, admin]`")
    )]
    PlaceholdersUnreadable {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// `--out DIR` could not be created.
    #[error("cannot create output directory `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::out_dir),
        help("check that the parent directory exists and is writable")
    )]
    OutDir {
        /// The directory.
        path: String,
        /// Why.
        reason: String,
    },
    /// One output file could not be written (the others still are).
    #[error("cannot write `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::write),
        help("the other outputs were written; fix the file's permissions and run again")
    )]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The events file of `hunt` could not be read.
    #[error("cannot read events `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::events_unreadable),
        help("--events takes a file of JSON objects, one per line")
    )]
    EventsUnreadable {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// `test --export DIR` could not be written.
    #[error("cannot export test cases to `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::export),
        help("check that the directory can be created and written")
    )]
    Export {
        /// The directory.
        path: String,
        /// Why.
        reason: String,
    },
    /// Writing to stdout failed for another reason than a closed pipe.
    #[error("cannot write to standard output: {reason}")]
    #[diagnostic(
        code(tripline::cli::stdout),
        help("the output was cut short; write to a file with --out instead")
    )]
    Stdout {
        /// Why.
        reason: String,
    },
}
