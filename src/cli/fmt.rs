//! `tripline fmt`: rewrite rule files in the canonical layout (`tripline::fmt`).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use tripline::driver::{self, FileDiagnostic};

use super::io;

/// Arguments of `fmt`.
#[derive(Args)]
pub struct FmtArgs {
    /// Rule files or directories (walked for `*.trip`); `-` alone reads standard input and
    /// writes the formatted text to standard output.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write nothing: print each file that would change with a diff of its changed lines,
    /// and exit 1 if any would.
    #[arg(long)]
    check: bool,
}

/// `fmt`: 0 when every file is (or now is) formatted, 1 when a file does not parse, cannot
/// be written or (with `--check`) would change, 2 for a usage error.
pub fn run(a: FmtArgs) -> ExitCode {
    if a.paths.iter().any(|p| p.as_os_str() == "-") {
        if a.paths.len() > 1 {
            return io::fail_usage(io::CliError::Usage {
                message: "`-` (standard input) cannot be combined with other paths".into(),
                help: "Usage: tripline fmt [--check] PATH... | tripline fmt [--check] -".into(),
            });
        }
        return stdin(a.check);
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in &a.paths {
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        match driver::collect_inputs(std::slice::from_ref(p)) {
            Ok(found) => {
                let trip = |f: &PathBuf| f.extension().is_some_and(|e| e == "trip");
                files.extend(found.files.into_iter().filter(trip));
                problems.extend(found.problems);
            }
            // A directory without rule files has nothing to format.
            Err(driver::IoError::NoInput { .. }) => {}
            Err(e) => return io::fail_usage(e),
        }
    }
    if let Some(missing) = files.iter().find(|f| !f.exists()) {
        return io::fail_usage(driver::IoError::Read {
            path: missing.display().to_string(),
            reason: "No such file or directory".into(),
        });
    }
    io::report(
        &problems,
        tripline::driver::report::Format::Human,
        io::To::Stderr,
    );
    let mut failed = !problems.is_empty();
    let mut changed = 0;
    for f in &files {
        match one(f, a.check) {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(()) => failed = true,
        }
    }
    let verb = if a.check {
        "would change"
    } else {
        "reformatted"
    };
    io::err(&format!(
        "{} {verb}, {} already formatted\n",
        super::count(changed, "file"),
        files.len() - changed
    ));
    ExitCode::from(u8::from(failed || (a.check && changed > 0)))
}

/// Format one file: `Ok(true)` when it changed (or would, with `check`).
fn one(path: &Path, check: bool) -> Result<bool, ()> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            io::err_diag(driver::IoError::Read {
                path: shown,
                reason: e.to_string(),
            });
            return Err(());
        }
    };
    let formatted = formatted(&shown, &text)?;
    if formatted == text {
        return Ok(false);
    }
    if check {
        let _ = io::out(&diff(&shown, &text, &formatted));
        return Ok(true);
    }
    if let Err(e) = write_atomically(path, &formatted) {
        io::err_diag(io::CliError::Write {
            path: shown,
            reason: e.to_string(),
        });
        return Err(());
    }
    Ok(true)
}

/// The formatted text, or `Err` once the syntax errors are reported.
fn formatted(shown: &str, text: &str) -> Result<String, ()> {
    tripline::fmt::format(text).map_err(|errors| {
        let diags: Vec<FileDiagnostic> = errors
            .into_iter()
            .map(|e| FileDiagnostic {
                path: shown.to_string(),
                text: text.into(),
                error: e.into(),
            })
            .collect();
        io::report(
            &diags,
            tripline::driver::report::Format::Human,
            io::To::Stderr,
        );
    })
}

fn stdin(check: bool) -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return io::fail_usage(driver::IoError::Read {
            path: "<stdin>".into(),
            reason: e.to_string(),
        });
    }
    let Ok(formatted) = formatted("<stdin>", &text) else {
        return ExitCode::from(1);
    };
    if check {
        if formatted == text {
            return ExitCode::SUCCESS;
        }
        let _ = io::out(&diff("<stdin>", &text, &formatted));
        return ExitCode::from(1);
    }
    let _ = io::out(&formatted);
    ExitCode::SUCCESS
}

/// Write a temporary file beside `path` and rename it over `path`, so that a reader never
/// sees half a file; the file's permissions are kept, and a symbolic link stays a link (the
/// file it points to is replaced).
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let path = &std::fs::canonicalize(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.fmt-{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, text)
        .and_then(|_| {
            let perms = std::fs::metadata(path)?.permissions();
            std::fs::set_permissions(&tmp, perms)
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A unified diff of the changed lines (no context lines).
fn diff(shown: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = format!("--- {shown}\n+++ {shown} (formatted)\n");
    // Longest common subsequence by dynamic programming; rule files are small, and a huge
    // one gets its path only.
    if a.len().saturating_mul(b.len()) > 25_000_000 {
        return out;
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    // A hunk: where it starts in each text, the lines it removes and the lines it adds.
    type Hunk = (usize, usize, Vec<String>, Vec<String>);
    let mut hunk: Option<Hunk> = None;
    let flush = |h: &mut Option<Hunk>, i: usize, j: usize, out: &mut String| {
        if let Some((si, sj, minus, plus)) = h.take() {
            out.push_str(&format!(
                "@@ -{},{} +{},{} @@\n",
                si + 1,
                i - si,
                sj + 1,
                j - sj
            ));
            for l in minus.iter().chain(&plus) {
                out.push_str(l);
                out.push('\n');
            }
        }
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut hunk, i, j, &mut out);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let h = hunk.get_or_insert((i, j, Vec::new(), Vec::new()));
            h.2.push(format!("-{}", a[i]));
            i += 1;
        } else {
            let h = hunk.get_or_insert((i, j, Vec::new(), Vec::new()));
            h.3.push(format!("+{}", b[j]));
            j += 1;
        }
    }
    flush(&mut hunk, i, j, &mut out);
    out
}
