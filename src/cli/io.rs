//! Where the CLI writes: stdout for results, stderr for diagnostics and summaries.
//!
//! A reader that goes away (`tripline … | head -1`) is not an error: writing stops and the
//! command exits quietly with the code it had decided on. Every error the CLI itself
//! reports is a coded diagnostic ([`CliError`]).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tripline::driver::report::Format;
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

/// When to colour rendered diagnostics (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// When stderr is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The global output settings, set once from the command line.
struct Settings {
    color: Color,
    quiet: bool,
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

/// Set `--color` and `--quiet` (once, before anything is written). An explicit `--color`
/// also sets how the CLI's own (miette) reports are coloured.
pub fn configure(color: Color, quiet: bool) {
    if color != Color::Auto {
        let on = color == Color::Always;
        let _ = miette::set_hook(Box::new(move |_| {
            Box::new(miette::MietteHandlerOpts::new().color(on).build())
        }));
    }
    let _ = SETTINGS.set(Settings { color, quiet });
}

/// Whether rendered diagnostics are coloured: `--color`, else a terminal on stderr and no
/// non-empty `NO_COLOR`.
pub fn color() -> bool {
    match SETTINGS.get().map_or(Color::Auto, |s| s.color) {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `--quiet`: no summary lines.
pub fn quiet() -> bool {
    SETTINGS.get().is_some_and(|s| s.quiet)
}

/// A summary line on stderr, unless `--quiet`.
pub fn summary(text: &str) {
    if !quiet() {
        err(text);
    }
}

/// Where machine-readable diagnostics go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// Standard output (nothing else is written there).
    Stdout,
    /// Standard error (standard output carries the results).
    Stderr,
}

/// Every diagnostic: rendered reports on stderr (`Format::Human`), or the machine format
/// on `to` (a SARIF log even when there is none).
pub fn report(diags: &[FileDiagnostic], format: Format, to: To) {
    if format == Format::Human {
        let color = color();
        for d in diags {
            err(&d.render(color));
        }
        return;
    }
    let text = tripline::driver::report::render(diags, format);
    match to {
        To::Stdout => {
            let _ = out(&text);
        }
        To::Stderr => err(&text),
    }
}

/// A spinner on stderr while a long run works: shown after one second, only when stderr is
/// a terminal and not `--quiet`; cleared when dropped.
pub struct Progress {
    done: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Start a [`Progress`] saying `message`.
pub fn progress(message: String) -> Progress {
    if quiet() || !std::io::stderr().is_terminal() {
        return Progress {
            done: None,
            thread: None,
        };
    }
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        use std::sync::mpsc::RecvTimeoutError;
        let wait = std::time::Duration::from_secs(1);
        if rx.recv_timeout(wait) != Err(RecvTimeoutError::Timeout) {
            return;
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(indicatif::ProgressStyle::default_spinner());
        bar.set_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        let _ = rx.recv();
        bar.finish_and_clear();
    });
    Progress {
        done: Some(tx),
        thread: Some(thread),
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
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
    /// Standard input (`-`) could not be read.
    #[error("cannot read standard input: {reason}")]
    #[diagnostic(
        code(tripline::cli::stdin),
        help("`-` reads one rule file from standard input, as UTF-8 text")
    )]
    Stdin {
        /// Why.
        reason: String,
    },
    /// `tripline new` would overwrite a file.
    #[error("`{path}` already exists")]
    #[diagnostic(
        code(tripline::cli::exists),
        help("choose another name or --dir; tripline new never overwrites a file")
    )]
    Exists {
        /// The file.
        path: String,
    },
    /// `--junit FILE` could not be written.
    #[error("cannot write JUnit report `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::cli::junit),
        help("check that the file's directory exists and is writable")
    )]
    Junit {
        /// The file.
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
