//! Loading: expanding paths into rule files, reading them and everything they import.
//! A file that cannot be read or decoded is a diagnostic, never the end of the run.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::syntax::{self, ast, SyntaxError};

use super::FileDiagnostic;

/// An input or output problem (exit code 2 in the CLI).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum IoError {
    /// A path could not be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(code(tripline::io::read))]
    Read {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// No Sigma files were found.
    #[error("no .yml or .yaml files found in {paths}")]
    #[diagnostic(code(tripline::io::no_sigma_input))]
    NoSigmaInput {
        /// The paths given.
        paths: String,
    },
    /// No rule files were found.
    #[error("no .trip or Sigma (.yml, .yaml) rule files found in {paths}")]
    #[diagnostic(code(tripline::io::no_input))]
    NoInput {
        /// The paths given.
        paths: String,
    },
}

/// One loaded file.
pub struct LoadedFile {
    /// Path as shown to users.
    pub display: String,
    /// Text.
    pub text: Arc<str>,
    /// Syntax tree, when it parsed.
    pub ast: Option<ast::File>,
    /// Syntax errors.
    pub syntax_errors: Vec<SyntaxError>,
    /// Resolved imports, in order.
    pub imports: Vec<Result<usize, String>>,
    /// Given on the command line (its rules are compiled).
    pub is_input: bool,
    /// A Sigma rule (`.yml`/`.yaml`), read by `sigma_in` instead of parsed.
    pub sigma: bool,
}

/// A set of loaded files.
pub struct Program {
    /// Files: inputs first in the order given, then imported files as found.
    pub files: Vec<LoadedFile>,
    /// Inputs that could not be loaded (unreadable, not UTF-8, unwalkable), in order.
    pub problems: Vec<FileDiagnostic>,
}

/// What expanding the paths found: the files to read, in order, and every entry that could
/// not be walked (each a diagnostic; the other files are still read).
#[derive(Debug, Default)]
pub struct Inputs {
    /// Files, deduplicated, in the order given (directories in sorted order).
    pub files: Vec<PathBuf>,
    /// Directory entries that could not be read, and symbolic-link loops.
    pub problems: Vec<FileDiagnostic>,
}

/// Expand paths: files as given, directories walked for rule files in sorted order — `.trip`
/// and Sigma rules (`.yml`, `.yaml`) — with symbolic links followed and loops reported.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Inputs, IoError> {
    let out = collect_files(paths, &["trip", "yml", "yaml"])?;
    if out.files.is_empty() && out.problems.is_empty() {
        return Err(IoError::NoInput {
            paths: joined(paths),
        });
    }
    Ok(out)
}

/// Expand paths: files as given, directories walked for `*.yml` / `*.yaml` in sorted order.
pub fn collect_sigma_inputs(paths: &[PathBuf]) -> Result<Inputs, IoError> {
    let out = collect_files(paths, &["yml", "yaml"])?;
    if out.files.is_empty() && out.problems.is_empty() {
        return Err(IoError::NoSigmaInput {
            paths: joined(paths),
        });
    }
    Ok(out)
}

fn joined(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Files as given, directories walked for files with one of `exts`, deduplicated. A path
/// given that does not exist is a usage error; anything below a directory that cannot be
/// walked is a problem of its own.
fn collect_files(paths: &[PathBuf], exts: &[&str]) -> Result<Inputs, IoError> {
    let mut out = Inputs::default();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| IoError::Read {
            path: p.display().to_string(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() {
            out.files.push(p.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) => {
                    if e.file_type().is_file()
                        && e.path()
                            .extension()
                            .is_some_and(|x| exts.iter().any(|e| x == *e))
                    {
                        found.push(e.into_path());
                    }
                }
                Err(e) => {
                    let path = e.path().map(display).unwrap_or_else(|| display(p));
                    let error = match e.loop_ancestor() {
                        Some(a) => LoadError::LinkLoop {
                            path: path.clone(),
                            ancestor: display(a),
                        },
                        None => LoadError::Unreadable {
                            path: path.clone(),
                            reason: e
                                .io_error()
                                .map(|io| io.to_string())
                                .unwrap_or_else(|| e.to_string()),
                        },
                    };
                    out.problems.push(FileDiagnostic {
                        path,
                        text: Arc::from(""),
                        error: error.into(),
                    });
                }
            }
        }
        found.sort();
        out.files.extend(found);
    }
    let mut seen = std::collections::HashSet::new();
    out.files.retain(|p| seen.insert(normalize(p)));
    Ok(out)
}

/// A file that could not be loaded (the run goes on with the others; exit code 1).
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// A file or directory that could not be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::load::unreadable),
        help("every other file is still compiled; fix the path or its permissions, or remove it")
    )]
    Unreadable {
        /// The path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A file that is not UTF-8 text.
    #[error("`{path}` is not UTF-8 text: invalid byte at offset {offset}")]
    #[diagnostic(
        code(tripline::load::not_utf8),
        help("rule files are UTF-8; re-save the file as UTF-8 (without a byte-order mark is fine too)")
    )]
    NotUtf8 {
        /// The path.
        path: String,
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// Where, in the file's text with invalid bytes replaced.
        #[label("first invalid byte")]
        span: miette::SourceSpan,
    },
    /// A symbolic link that leads back to a directory being walked.
    #[error("`{path}` is a symbolic link loop (back to `{ancestor}`)")]
    #[diagnostic(
        code(tripline::load::link_loop),
        help("the loop is skipped; every file reached another way is still compiled")
    )]
    LinkLoop {
        /// The link.
        path: String,
        /// The directory it leads back to.
        ancestor: String,
    },
}

/// Read a file as UTF-8 text, or say why not as a diagnostic of that file.
pub(super) fn read_text(p: &Path) -> Result<String, Box<FileDiagnostic>> {
    let shown = display(p);
    let bytes = std::fs::read(p).map_err(|e| {
        Box::new(FileDiagnostic {
            path: shown.clone(),
            text: Arc::from(""),
            error: LoadError::Unreadable {
                path: shown.clone(),
                reason: e.to_string(),
            }
            .into(),
        })
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        // The offset in the lossy text: the valid prefix is unchanged.
        Box::new(FileDiagnostic {
            path: shown.clone(),
            text: Arc::from(lossy),
            error: LoadError::NotUtf8 {
                path: shown,
                offset,
                span: (offset, 1).into(),
            }
            .into(),
        })
    })
}

/// Remove `.` and resolve `..` lexically, so the same file has one name.
pub(super) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path as shown to users (and as a program names its files): normalised, with `/`
/// separators.
pub fn display(p: &Path) -> String {
    normalize(p).to_string_lossy().replace('\\', "/")
}

impl Program {
    /// Load files (not directories) and everything they import. A file that cannot be
    /// read or is not UTF-8 becomes a diagnostic in [`Program::problems`]; the rest load.
    pub fn load(files: &[PathBuf]) -> Program {
        Program::load_inputs(Inputs {
            files: files.to_vec(),
            problems: Vec::new(),
        })
    }

    /// Load what [`collect_inputs`] found; its problems become the program's first.
    pub fn load_inputs(inputs: Inputs) -> Program {
        Program::load_inputs_with(inputs, Vec::new())
    }

    /// [`Program::load_inputs`], with inputs given as text (standard input) first: each is
    /// named by its path, which places its imports and names it in diagnostics.
    pub fn load_inputs_with(inputs: Inputs, given: Vec<(PathBuf, String)>) -> Program {
        let files = &inputs.files;
        let mut texts = given;
        let mut problems = Vec::new();
        for p in files {
            match read_text(p) {
                Ok(text) => texts.push((p.clone(), text)),
                Err(d) => problems.push(*d),
            }
        }
        let mut prog = Program::from_texts(texts, &|p| {
            read_text(p).map_err(|d| match d.error {
                super::Error::Load(LoadError::Unreadable { reason, .. }) => {
                    std::io::Error::other(reason)
                }
                other => std::io::Error::other(other.to_string()),
            })
        });
        let mut all = inputs.problems;
        all.extend(problems);
        prog.problems = all;
        prog
    }

    /// Build a program from in-memory texts; imports are read with `read`.
    pub fn from_texts(
        inputs: Vec<(PathBuf, String)>,
        read: &dyn Fn(&Path) -> std::io::Result<String>,
    ) -> Program {
        let mut prog = Program {
            files: Vec::new(),
            problems: Vec::new(),
        };
        let mut index: HashMap<PathBuf, usize> = HashMap::new();
        let mut queue: Vec<(usize, PathBuf)> = Vec::new();
        for (p, text) in inputs {
            let key = normalize(&p);
            if index.contains_key(&key) {
                continue;
            }
            index.insert(key, prog.files.len());
            queue.push((prog.files.len(), p.clone()));
            prog.files.push(parse_file(display(&p), text, true));
        }
        let mut qi = 0;
        while qi < queue.len() {
            let (fi, path) = queue[qi].clone();
            qi += 1;
            let imports: Vec<String> = match &prog.files[fi].ast {
                Some(a) => a
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        ast::Item::Import(s) => Some(s.value.clone()),
                        _ => None,
                    })
                    .collect(),
                None => continue,
            };
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let mut resolved = Vec::new();
            for imp in imports {
                let target = normalize(&base.join(&imp));
                if let Some(i) = index.get(&target) {
                    resolved.push(Ok(*i));
                    continue;
                }
                match read(&target) {
                    Ok(text) => {
                        let i = prog.files.len();
                        index.insert(target.clone(), i);
                        prog.files.push(parse_file(display(&target), text, false));
                        queue.push((i, target));
                        resolved.push(Ok(i));
                    }
                    Err(e) => resolved.push(Err(e.to_string())),
                }
            }
            prog.files[fi].imports = resolved;
        }
        prog
    }
}

fn parse_file(display: String, text: String, is_input: bool) -> LoadedFile {
    if is_sigma(&display) && is_input {
        return LoadedFile {
            display,
            text: text.into(),
            ast: None,
            syntax_errors: Vec::new(),
            imports: Vec::new(),
            is_input,
            sigma: true,
        };
    }
    let (ast, syntax_errors) = syntax::parse(&text);
    let ast = Some(ast);
    LoadedFile {
        display,
        text: text.into(),
        ast,
        syntax_errors,
        imports: Vec::new(),
        is_input,
        sigma: false,
    }
}

/// Whether a path names a Sigma rule file.
pub(super) fn is_sigma(path: &str) -> bool {
    path.ends_with(".yml") || path.ends_with(".yaml")
}
