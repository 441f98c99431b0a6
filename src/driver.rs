//! Loading files, running the stages in order and collecting diagnostics.
//! Nothing here prints; the CLI renders what it returns.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::check::{self, CheckError, FileInput};
use crate::ir;
use crate::mapping::{self, MapError};
use crate::syntax::{self, ast, SyntaxError};
use crate::targets::{self, Artifact, Ctx, Target, TargetError, TargetOptions};

/// Any diagnostic tripline reports, from any stage.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// From `syntax`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),
    /// From `check`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] CheckError),
    /// From `mapping`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Map(#[from] MapError),
    /// From a target.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),
    /// From `sigma_in` (reading a Sigma rule).
    #[error(transparent)]
    #[diagnostic(transparent)]
    SigmaIn(#[from] crate::sigma_in::SigmaInError),
    /// From `tripline test`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Test(#[from] crate::testing::TestFileError),
}

impl Error {
    fn offset(&self) -> usize {
        use miette::Diagnostic;
        self.labels()
            .and_then(|mut l| l.next())
            .map(|l| l.offset())
            .unwrap_or(0)
    }
}

/// A diagnostic together with the file it belongs to (the source is attached here, once).
#[derive(Debug, Clone)]
pub struct FileDiagnostic {
    /// The file's path as shown to users.
    pub path: String,
    /// The file's text.
    pub text: Arc<str>,
    /// The diagnostic.
    pub error: Error,
}

impl FileDiagnostic {
    /// Render with miette's graphical handler; `color` for terminals, plain for snapshots.
    pub fn render(&self, color: bool) -> String {
        use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let report = miette::Report::new(self.error.clone())
            .with_source_code(NamedSource::new(&self.path, self.text.to_string()));
        let mut out = String::new();
        // Rendering into a String cannot fail.
        let _ = handler.render_report(&mut out, report.as_ref());
        out
    }

    /// The stable code, e.g. `tripline::check::unknown_field`.
    pub fn code(&self) -> String {
        use miette::Diagnostic;
        self.error.code().map(|c| c.to_string()).unwrap_or_default()
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        use miette::Diagnostic;
        !matches!(self.error.severity(), Some(miette::Severity::Warning))
    }

    /// 1-based line and column of the primary label.
    pub fn line_col(&self) -> (usize, usize) {
        let off = self.error.offset().min(self.text.len());
        let before = &self.text[..off];
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map(|i| off - i).unwrap_or(off + 1);
        (line, col)
    }
}

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
    #[error("no .trip files found in {paths}")]
    #[diagnostic(code(tripline::io::no_input))]
    NoInput {
        /// The paths given.
        paths: String,
    },
}

/// A usage problem with the options (exit code 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OptionsError {
    /// `--target` names no target.
    #[error("unknown target `{0}`")]
    #[diagnostic(code(tripline::options::unknown_target), help("targets: {1}"))]
    UnknownTarget(String, String),
    /// `--flavor` names no flavour of the target.
    #[error("target `{0}` has no flavor `{1}`")]
    #[diagnostic(code(tripline::options::unknown_flavor), help("flavors of {0}: {2}"))]
    UnknownFlavor(String, String, String),
}

/// Compiler options.
#[derive(Clone)]
pub struct Options {
    /// The target.
    pub target: &'static dyn Target,
    /// The flavour (resolved to the target's default when not given).
    pub flavor: String,
    /// The catalog.
    pub catalog: Arc<Catalog>,
    /// Target options.
    pub target_opts: TargetOptions,
    /// Also build each rule's deployable artifact ([`Target::artifact`]); a refusal to
    /// build one is an error of the rule.
    pub artifact: bool,
}

impl Options {
    /// Options for a target by name, with the built-in catalog.
    pub fn new(target: &str, flavor: Option<&str>) -> Result<Options, OptionsError> {
        let t = targets::by_name(target).ok_or_else(|| {
            let names: Vec<&str> = targets::registry().iter().map(|t| t.name()).collect();
            OptionsError::UnknownTarget(target.to_string(), names.join(", "))
        })?;
        let flavors = t.flavors();
        let flavor = match flavor {
            None => flavors.first().copied().unwrap_or("").to_string(),
            Some(f) if flavors.contains(&f) => f.to_string(),
            Some(f) => {
                let list = if flavors.is_empty() {
                    "none".to_string()
                } else {
                    flavors.join(", ")
                };
                return Err(OptionsError::UnknownFlavor(
                    target.to_string(),
                    f.to_string(),
                    list,
                ));
            }
        };
        Ok(Options {
            target: t,
            flavor: flavor.clone(),
            catalog: Arc::new(Catalog::builtin()),
            target_opts: TargetOptions {
                flavor: if flavor.is_empty() {
                    None
                } else {
                    Some(flavor)
                },
                spl_index: None,
            },
            artifact: false,
        })
    }

    /// Build deployable artifacts too (`--artifact`).
    pub fn with_artifact(mut self, artifact: bool) -> Options {
        self.artifact = artifact;
        self
    }

    /// Use another catalog.
    pub fn with_catalog(mut self, catalog: Catalog) -> Options {
        self.catalog = Arc::new(catalog);
        self
    }
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
}

/// A set of loaded files.
pub struct Program {
    /// Files: inputs first in the order given, then imported files as found.
    pub files: Vec<LoadedFile>,
}

/// Expand paths: files as given, directories walked for `*.trip` in sorted order.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let out = collect_files(paths, &["trip"])?;
    if out.is_empty() {
        return Err(IoError::NoInput {
            paths: joined(paths),
        });
    }
    Ok(out)
}

/// Expand paths: files as given, directories walked for `*.yml` / `*.yaml` in sorted order.
pub fn collect_sigma_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let out = collect_files(paths, &["yml", "yaml"])?;
    if out.is_empty() {
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

/// Files as given, directories walked for files with one of `exts`, deduplicated.
fn collect_files(paths: &[PathBuf], exts: &[&str]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| IoError::Read {
            path: p.display().to_string(),
            reason: e.to_string(),
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(normalize(p)));
    Ok(out)
}

/// Remove `.` and resolve `..` lexically, so the same file has one name.
fn normalize(p: &Path) -> PathBuf {
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

fn display(p: &Path) -> String {
    normalize(p).to_string_lossy().replace('\\', "/")
}

impl Program {
    /// Load files (not directories) and everything they import.
    pub fn load(files: &[PathBuf]) -> Result<Program, IoError> {
        let mut texts = Vec::new();
        for p in files {
            let text = std::fs::read_to_string(p).map_err(|e| IoError::Read {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            texts.push((p.clone(), text));
        }
        Ok(Program::from_texts(texts, &|p| std::fs::read_to_string(p)))
    }

    /// Build a program from in-memory texts; imports are read with `read`.
    pub fn from_texts(
        inputs: Vec<(PathBuf, String)>,
        read: &dyn Fn(&Path) -> std::io::Result<String>,
    ) -> Program {
        let mut prog = Program { files: Vec::new() };
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
    let (ast, syntax_errors) = syntax::parse(&text);
    let ast = Some(ast);
    LoadedFile {
        display,
        text: text.into(),
        ast,
        syntax_errors,
        imports: Vec::new(),
        is_input,
    }
}

/// A checked program: the IR of every valid rule and every diagnostic so far.
pub struct Checked {
    /// Rules with their file index, in file then source order.
    pub rules: Vec<(usize, ir::Rule)>,
    /// Diagnostics, per file and by position.
    pub diagnostics: Vec<FileDiagnostic>,
}

/// Run `syntax` results and `check` over a program.
pub fn check_program(prog: &Program, catalog: &Catalog) -> Checked {
    let inputs: Vec<FileInput> = prog
        .files
        .iter()
        .map(|f| FileInput {
            ast: f.ast.as_ref(),
            imports: f.imports.clone(),
            display: f.display.clone(),
            is_input: f.is_input,
        })
        .collect();
    let checked = check::check(&inputs, catalog);
    let mut diags: Vec<(usize, Error)> = Vec::new();
    for (i, f) in prog.files.iter().enumerate() {
        for e in &f.syntax_errors {
            diags.push((i, e.clone().into()));
        }
    }
    diags.extend(checked.errors.into_iter().map(|(f, e)| (f, e.into())));
    // Rule names must be unique among compiled rules (they name output files).
    let mut rules = checked.rules;
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut dup = Vec::new();
    for (k, (f, r)) in rules.iter().enumerate() {
        if let Some(first) = names.get(&r.name) {
            diags.push((
                *f,
                CheckError::DuplicateName {
                    name: r.name.clone(),
                    span: ir::Span::new(r.span.start, r.span.start + 4).into(),
                    first: format!("also a rule in {}", prog.files[*first].display),
                }
                .into(),
            ));
            dup.push(k);
        } else {
            names.insert(r.name.clone(), *f);
        }
    }
    for k in dup.into_iter().rev() {
        rules.remove(k);
    }
    Checked {
        rules,
        diagnostics: finish(prog, diags),
    }
}

fn finish(prog: &Program, mut diags: Vec<(usize, Error)>) -> Vec<FileDiagnostic> {
    diags.sort_by_key(|(f, e)| (*f, e.offset()));
    diags
        .into_iter()
        .map(|(f, error)| FileDiagnostic {
            path: prog.files[f].display.clone(),
            text: prog.files[f].text.clone(),
            error,
        })
        .collect()
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Output {
    /// The rule's name.
    pub rule: String,
    /// The file it came from.
    pub path: String,
    /// The compiled text (the bare query).
    pub text: String,
    /// The deployable artifact embedding `text`, when [`Options::artifact`] is set and the
    /// target has one.
    pub artifact: Option<Artifact>,
}

impl Output {
    /// What is published for this rule: the artifact's extension and text when there is an
    /// artifact, else the target's extension and the query.
    pub fn file(&self, opts: &Options) -> (&'static str, &str) {
        match &self.artifact {
            Some(a) => (a.extension, &a.text),
            None => (opts.target.extension(), &self.text),
        }
    }
}

/// The result of compiling.
pub struct Compiled {
    /// Every rule that compiled, in file then source order.
    pub outputs: Vec<Output>,
    /// Every diagnostic, per file and by position.
    pub diagnostics: Vec<FileDiagnostic>,
}

impl Compiled {
    /// Whether anything failed (warnings do not count).
    pub fn failed(&self) -> bool {
        self.diagnostics.iter().any(FileDiagnostic::is_error)
    }

    /// All outputs joined for one stream, as the target bundles them: the artifacts when
    /// every output has one (a target gives an artifact for every rule or for none), else
    /// the queries.
    pub fn bundle(&self, opts: &Options) -> String {
        let artifacts: Option<Vec<(String, Artifact)>> = self
            .outputs
            .iter()
            .map(|o| o.artifact.clone().map(|a| (o.rule.clone(), a)))
            .collect();
        if let Some(artifacts) = artifacts.filter(|a| !a.is_empty()) {
            return opts.target.bundle_artifacts(&artifacts);
        }
        let items: Vec<(String, String)> = self
            .outputs
            .iter()
            .map(|o| (o.rule.clone(), o.text.clone()))
            .collect();
        opts.target.bundle(&items)
    }
}

/// Compile one checked rule for the options' target: the text and any warnings.
pub fn compile_rule(rule: &ir::Rule, opts: &Options) -> Result<(String, Vec<Error>), Vec<Error>> {
    let opts = Options {
        artifact: false,
        ..opts.clone()
    };
    compile_one(rule, &opts).map(|(text, _, warnings)| (text, warnings))
}

/// Compile one checked rule: the text, the artifact (with [`Options::artifact`]) and any
/// warnings.
fn compile_one(
    rule: &ir::Rule,
    opts: &Options,
) -> Result<(String, Option<Artifact>, Vec<Error>), Vec<Error>> {
    let Some(src) = opts.catalog.sources.get(&rule.source) else {
        // The checker only lets through rules whose source exists.
        return Err(Vec::new());
    };
    compile_in_source(rule, src, opts)
}

/// Compile one rule for a source given directly rather than looked up in the catalog.
fn compile_in_source(
    rule: &ir::Rule,
    src: &crate::catalog::Source,
    opts: &Options,
) -> Result<(String, Option<Artifact>, Vec<Error>), Vec<Error>> {
    let key = opts.target.catalog_key(&opts.flavor);
    let mapped = mapping::map_rule(rule, &rule.source, src, &key)
        .map_err(|es| es.into_iter().map(Error::from).collect::<Vec<_>>())?;
    let ctx = Ctx {
        source: src,
        source_name: &rule.source,
        opts: &opts.target_opts,
        catalog_key: &key,
    };
    let text = opts
        .target
        .compile_rule(&mapped, &ctx)
        .map_err(|es| es.into_iter().map(Error::from).collect::<Vec<_>>())?;
    let warnings: Vec<Error> = opts
        .target
        .warnings(&mapped, &ctx)
        .into_iter()
        .map(Error::from)
        .collect();
    let artifact = if opts.artifact {
        match opts.target.artifact(&mapped, &text, &ctx) {
            Ok(a) => a,
            Err(es) => {
                let mut all: Vec<Error> = es.into_iter().map(Error::from).collect();
                all.extend(warnings);
                return Err(all);
            }
        }
    } else {
        None
    };
    Ok((text, artifact, warnings))
}

/// Compile a loaded program.
pub fn compile_program(prog: &Program, opts: &Options) -> Compiled {
    let checked = check_program(prog, &opts.catalog);
    let mut outputs = Vec::new();
    let mut diags: Vec<(usize, Error)> = Vec::new();
    for (f, rule) in &checked.rules {
        match compile_one(rule, opts) {
            Ok((text, artifact, warnings)) => {
                outputs.push(Output {
                    rule: rule.name.clone(),
                    path: prog.files[*f].display.clone(),
                    text,
                    artifact,
                });
                diags.extend(warnings.into_iter().map(|e| (*f, e)));
            }
            Err(es) => diags.extend(es.into_iter().map(|e| (*f, e))),
        }
    }
    let mut all = checked.diagnostics;
    all.extend(finish(prog, diags));
    let order: HashMap<String, usize> = prog
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.display.clone(), i))
        .collect();
    all.sort_by_key(|d| (order.get(&d.path).copied(), d.error.offset()));
    Compiled {
        outputs,
        diagnostics: all,
    }
}

/// Compile the rules in `source` (one file's text). Imports are read relative to the
/// current directory.
pub fn compile(source: &str, opts: &Options) -> Compiled {
    let prog = Program::from_texts(
        vec![(PathBuf::from("<input>.trip"), source.to_string())],
        &|p| std::fs::read_to_string(p),
    );
    compile_program(&prog, opts)
}

/// Compile files and directories.
pub fn compile_paths(paths: &[PathBuf], opts: &Options) -> Result<Compiled, IoError> {
    let files = collect_inputs(paths)?;
    let prog = Program::load(&files)?;
    Ok(compile_program(&prog, opts))
}

/// Read one Sigma rule file's text and compile it for the options' target. The rule is
/// named after `path`'s file stem. Errors are the reader's refusals or the compiler's.
pub fn convert_sigma(path: &str, text: &str, opts: &Options) -> Result<Output, Vec<Error>> {
    let read = crate::sigma_in::read(text)
        .map_err(|es| es.into_iter().map(Error::from).collect::<Vec<_>>())?;
    let mut rule = read.rule;
    if let Some(stem) = Path::new(path).file_stem() {
        rule.name = crate::sigma_in::identifier(&stem.to_string_lossy());
    }
    let (text, artifact, _warnings) = compile_in_source(&rule, &read.source, opts)?;
    Ok(Output {
        rule: rule.name,
        path: path.to_string(),
        text,
        artifact,
    })
}

/// Read and compile Sigma rule files (files as given, directories walked for `*.yml` and
/// `*.yaml`), in sorted order.
pub fn convert_sigma_paths(paths: &[PathBuf], opts: &Options) -> Result<Compiled, IoError> {
    let files = collect_sigma_inputs(paths)?;
    let mut outputs = Vec::new();
    let mut diagnostics = Vec::new();
    for p in &files {
        let text = std::fs::read_to_string(p).map_err(|e| IoError::Read {
            path: p.display().to_string(),
            reason: e.to_string(),
        })?;
        let shown = display(p);
        match convert_sigma(&shown, &text, opts) {
            Ok(o) => outputs.push(o),
            Err(es) => {
                let text: Arc<str> = text.into();
                diagnostics.extend(es.into_iter().map(|error| FileDiagnostic {
                    path: shown.clone(),
                    text: text.clone(),
                    error,
                }));
            }
        }
    }
    Ok(Compiled {
        outputs,
        diagnostics,
    })
}
