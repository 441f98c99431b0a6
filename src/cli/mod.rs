//! The command-line interface: a thin layer over the library, one module per subcommand.
//! It is the only place that prints (through [`io`]).

mod build;
mod check;
mod compile;
mod completions;
mod events;
mod fmt;
mod hunt;
mod io;
mod lsp;
mod new;
mod sources;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use tripline::catalog::Catalog;
use tripline::driver::{self, Options};

use io::CliError;

/// Exit codes, as every command's help lists them.
const EXIT_CODES: &str = "\
Exit codes:
  0  everything compiled (or passed)
  1  some rule or input has errors, or a test failed (every other rule is still compiled)
  2  usage or I/O error
";

/// tripline: write a detection once, get KQL, SPL and Sigma that mean exactly the same.
#[derive(Parser)]
#[command(name = "tripline", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour rendered diagnostics: auto (when stderr is a terminal and NO_COLOR is unset
    /// or empty), always or never.
    #[arg(long, global = true, value_enum, default_value_t = io::Color::Auto)]
    color: io::Color,
    /// No summary lines: only diagnostics, errors and results.
    #[arg(long, short, global = true)]
    quiet: bool,
}

/// How diagnostics are written (`check`, `compile`, `convert-sigma`, `test`).
#[derive(Args, Clone)]
pub struct FormatArg {
    /// Diagnostics as rendered reports (human, on stderr), JSON lines (json), one SARIF 2.1.0
    /// log (sarif) or GitHub Actions workflow commands (github); machine formats go to
    /// stdout, except for compile and convert-sigma without --out (stderr: stdout has the
    /// queries).
    #[arg(long, value_enum, default_value_t = FormatChoice::Human)]
    format: FormatChoice,
    /// JSON lines on stderr, where --json has always written them (--format json writes
    /// them where the other machine formats go).
    #[arg(long, conflicts_with = "format")]
    json: bool,
}

/// The values of `--format`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatChoice {
    Human,
    Json,
    Sarif,
    Github,
}

impl FormatArg {
    /// The format chosen.
    pub fn get(&self) -> driver::report::Format {
        use driver::report::Format;
        if self.json {
            return Format::Json;
        }
        match self.format {
            FormatChoice::Human => Format::Human,
            FormatChoice::Json => Format::Json,
            FormatChoice::Sarif => Format::Sarif,
            FormatChoice::Github => Format::Github,
        }
    }

    /// Where machine diagnostics go: `to`, or stderr for `--json`.
    pub fn to(&self, to: io::To) -> io::To {
        if self.json {
            io::To::Stderr
        } else {
            to
        }
    }
}

/// The name of `-` (standard input).
#[derive(Args, Clone)]
pub struct StdinArg {
    /// The name of the rule file read from `-` (standard input): its imports are read
    /// relative to its directory and diagnostics name it.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
}

/// The help's examples and exit codes, per subcommand.
fn examples(lines: &str) -> String {
    format!("Examples:\n{lines}\n\n{EXIT_CODES}")
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
    #[command(after_help = examples(
        "  tripline compile rules --target kql --out build/kql\n  tripline compile - --target spl < rule.trip\n  tripline compile rules --target kql --out build --format sarif > results.sarif"
    ))]
    Compile(compile::CompileArgs),
    /// Read Sigma rules (YAML) and compile them to a target query language.
    #[command(after_help = examples(
        "  tripline convert-sigma sigma/rules --target kql --out build/kql\n  tripline convert-sigma rule.yml --target trip"
    ))]
    ConvertSigma(compile::ConvertArgs),
    /// Build the project in tripline.toml: every rule for every target, and tripline.lock.
    Build(build::BuildArgs),
    /// Check rules and report every diagnostic.
    #[command(after_help = examples(
        "  tripline check rules\n  tripline check rules --format github\n  tripline check - --stdin-filename rules/new.trip < new.trip"
    ))]
    Check(check::CheckArgs),
    /// Run the test cases kept with each rule through the reference evaluator.
    #[command(after_help = examples(
        "  tripline test rules\n  tripline test rules --junit report.xml"
    ))]
    Test(test::TestArgs),
    /// Run rules over a JSONL file of events; print one JSON line per match.
    #[command(after_help = examples(
        "  tripline hunt rules --events events.jsonl\n  tripline hunt rules/m365 --events cloudtrail.json | jq .rule"
    ))]
    Hunt(hunt::HuntArgs),
    /// List the catalog's log sources with their fields and types.
    #[command(after_help = examples(
        "  tripline sources\n  tripline sources windows.process_creation --target kql --flavor sentinel\n  tripline sources --json"
    ))]
    Sources(sources::SourcesArgs),
    /// Show how events are read: each as its source's fields, and the sources that
    /// recognise it.
    #[command(after_help = examples(
        "  tripline events sample.jsonl\n  tripline events sample.jsonl --source windows.process_creation"
    ))]
    Events(events::EventsArgs),
    /// Run the language server (Language Server Protocol on stdin and stdout) for editors.
    #[command(after_help = examples(
        "  tripline lsp\n  tripline lsp --catalog catalog.yml"
    ))]
    Lsp(lsp::LspArgs),
    /// Write a new rule file: metadata, a placeholder match on a field of the source and
    /// one test of each kind.
    #[command(after_help = examples(
        "  tripline new suspicious_logon --source windows.security --dir rules/windows"
    ))]
    New(new::NewArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    #[command(after_help = examples(
        "  tripline completions bash > ~/.local/share/bash-completion/completions/tripline\n  tripline completions zsh > ~/.zfunc/_tripline\n  tripline completions fish > ~/.config/fish/completions/tripline.fish"
    ))]
    Completions(completions::CompletionsArgs),
    /// Rewrite rule files in the canonical layout (`--check`: only report the files that would change).
    #[command(after_help = examples(
        "  tripline fmt rules/\n  tripline fmt --check rules/\n  tripline fmt - < rule.trip"
    ))]
    Fmt(fmt::FmtArgs),
}

/// Run the CLI and return the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    io::configure(cli.color, cli.quiet);
    match cli.command {
        Command::Compile(a) => compile::run(a),
        Command::ConvertSigma(a) => compile::convert(a),
        Command::Build(a) => build::run(a),
        Command::Check(a) => check::run(a),
        Command::Test(a) => test::run(a),
        Command::Hunt(a) => hunt::run(a),
        Command::Sources(a) => sources::run(a),
        Command::Events(a) => events::run(a),
        Command::Lsp(a) => lsp::run(a),
        Command::New(a) => new::run(a),
        Command::Completions(a) => completions::run(a, Cli::command()),
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
        io::report(&diags, driver::report::Format::Human, io::To::Stderr);
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

/// The catalog and the loaded rule files, or the exit code of a usage error. `-` reads a
/// rule file from standard input, named `stdin`'s name (default `<stdin>`).
fn load_inputs(
    paths: &[PathBuf],
    catalog: &CatalogArg,
    stdin: &StdinArg,
) -> Result<(driver::Program, Catalog), ExitCode> {
    let catalog = load_catalog(catalog)?;
    Ok((load_program(paths, stdin)?, catalog))
}

/// The rule files (and standard input for `-`), loaded with their imports.
fn load_program(paths: &[PathBuf], stdin: &StdinArg) -> Result<driver::Program, ExitCode> {
    let (given, files) = split_stdin(paths, stdin, "<stdin>")?;
    let inputs = if files.is_empty() && !given.is_empty() {
        driver::Inputs::default()
    } else {
        driver::collect_inputs(&files).map_err(io::fail_usage)?
    };
    Ok(driver::Program::load_inputs_with(inputs, given))
}

/// The text of standard input when `-` is among `paths` (named by `--stdin-filename`, else
/// `default`), and the other paths.
#[allow(clippy::type_complexity)]
fn split_stdin(
    paths: &[PathBuf],
    stdin: &StdinArg,
    default: &str,
) -> Result<(Vec<(PathBuf, String)>, Vec<PathBuf>), ExitCode> {
    let files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if files.len() == paths.len() {
        return Ok((Vec::new(), files));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
        io::fail_usage(CliError::Stdin {
            reason: e.to_string(),
        })
    })?;
    let name = stdin
        .stdin_filename
        .clone()
        .unwrap_or_else(|| PathBuf::from(default));
    Ok((vec![(name, text)], files))
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
