//! Loading files, running the stages in order and collecting diagnostics.
//! Nothing here prints; the CLI renders what it returns.

mod catalog;
mod diagnostic;
mod load;
mod options;
pub mod report;
mod snippet;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::check::{self, CheckError, FileInput};
use crate::ir;
use crate::mapping;
use crate::targets::{Artifact, Ctx};

pub use catalog::{file_errors, load_catalog, recognizer_problems};
pub use diagnostic::{Error, FileDiagnostic};
pub use load::{
    collect_inputs, collect_sigma_inputs, display as display_path, Inputs, IoError, LoadError,
    LoadedFile, Program,
};
pub use options::{Options, OptionsError};

/// A checked program: the IR of every valid rule and every diagnostic so far.
pub struct Checked {
    /// Rules with their file index, in file then source order.
    pub rules: Vec<(usize, ir::Rule)>,
    /// Diagnostics, per file and by position.
    pub diagnostics: Vec<FileDiagnostic>,
    /// Placeholder sources of Sigma rules whose logsource the catalog does not have, by the
    /// rule's `source` name (`sigma:<rule>`).
    pub sources: HashMap<String, crate::catalog::Source>,
}

/// Run `syntax` results and `check` over a program; Sigma rule files are read by
/// `sigma_in` against the catalog.
pub fn check_program(prog: &Program, catalog: &Catalog) -> Checked {
    check_program_with(prog, catalog, false, None)
}

/// [`check_program`], with the Sigma reader's options (`--strict`, `--placeholders`).
pub fn check_program_with(
    prog: &Program,
    catalog: &Catalog,
    strict: bool,
    placeholders: Option<&crate::sigma_in::modifiers::Placeholders>,
) -> Checked {
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
    let mut rules = checked.rules;
    let mut sources = HashMap::new();
    for (i, f) in prog
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.sigma && f.is_input)
    {
        match crate::sigma_in::read_with(&f.text, Some(catalog), strict, placeholders) {
            Ok(read) => {
                let mut rule = read.rule;
                if let Some(stem) = Path::new(&f.display).file_stem() {
                    rule.name = crate::sigma_in::identifier(&stem.to_string_lossy());
                }
                if !read.in_catalog {
                    // A placeholder source of its own, built from the rule's fields.
                    rule.source = format!("sigma:{}", rule.name);
                    sources.insert(rule.source.clone(), read.source);
                }
                diags.extend(read.warnings.into_iter().map(|w| (i, w.into())));
                rules.push((i, rule));
            }
            Err(es) => diags.extend(es.into_iter().map(|e| (i, e.into()))),
        }
    }
    rules.sort_by_key(|(f, _)| *f);
    // Rule names must be unique among compiled rules (they name output files).
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
    let mut diagnostics = prog.problems.clone();
    diagnostics.extend(finish(prog, diags));
    Checked {
        rules,
        diagnostics,
        sources,
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
    /// Coded warnings about this output (a Sigma rule's unmapped logsource, a target's
    /// backend-defined constructs), when they are not in [`Compiled::diagnostics`].
    pub warnings: Vec<Error>,
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
    compile_one(rule, &opts, &HashMap::new()).map(|(text, _, warnings)| (text, warnings))
}

/// Compile one checked rule: the text, the artifact (with [`Options::artifact`]) and any
/// warnings.
fn compile_one(
    rule: &ir::Rule,
    opts: &Options,
    extra: &HashMap<String, crate::catalog::Source>,
) -> Result<(String, Option<Artifact>, Vec<Error>), Vec<Error>> {
    let Some(src) = opts
        .catalog
        .sources
        .get(&rule.source)
        .or_else(|| extra.get(&rule.source))
    else {
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
    if let Some(why) = src.targets.get(&key).and_then(|t| t.unavailable.as_ref()) {
        return Err(vec![mapping::SourceUnavailable {
            source_name: rule.source.clone(),
            key: key.clone(),
            span: ir::Span::new(rule.span.start, rule.span.start + 4).into(),
            why: why.clone(),
        }
        .into()]);
    }
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
    let checked = check_program_with(
        prog,
        &opts.catalog,
        opts.strict,
        opts.placeholders.as_deref(),
    );
    compile_checked(prog, &checked, opts)
}

/// Compile a program already checked (against the options' catalog, with their Sigma
/// reader settings), so that one check serves several targets.
pub fn compile_checked(prog: &Program, checked: &Checked, opts: &Options) -> Compiled {
    let mut outputs = Vec::new();
    // The file and rule of each output.
    let mut origins: Vec<(usize, &ir::Rule)> = Vec::new();
    let mut diags: Vec<(usize, Error)> = Vec::new();
    // Rules read from Sigma files compile with `TargetOptions::sigma_input`.
    let mut sigma_opts = opts.clone();
    sigma_opts.target_opts.sigma_input = true;
    for (f, rule) in &checked.rules {
        let rule_opts = if prog.files[*f].sigma {
            &sigma_opts
        } else {
            opts
        };
        match compile_one(rule, rule_opts, &checked.sources) {
            Ok((text, artifact, warnings)) => {
                outputs.push(Output {
                    rule: rule.name.clone(),
                    path: prog.files[*f].display.clone(),
                    text,
                    artifact,
                    warnings: Vec::new(),
                });
                origins.push((*f, rule));
                diags.extend(warnings.into_iter().map(|e| (*f, e)));
            }
            Err(es) => diags.extend(es.into_iter().map(|e| (*f, e))),
        }
    }
    // Refusals across rules (two artifacts under one name): the refused outputs are dropped.
    let with_artifacts: Vec<(usize, (&ir::Rule, &Artifact))> = outputs
        .iter()
        .zip(&origins)
        .enumerate()
        .filter_map(|(i, (o, (_, rule)))| o.artifact.as_ref().map(|a| (i, (*rule, a))))
        .collect();
    if !with_artifacts.is_empty() {
        let items: Vec<(&ir::Rule, &Artifact)> = with_artifacts.iter().map(|(_, x)| *x).collect();
        let mut refused: Vec<usize> = Vec::new();
        for (k, e) in opts.target.check_artifacts(&items) {
            let Some((i, _)) = with_artifacts.get(k) else {
                continue;
            };
            diags.push((origins[*i].0, Error::from(e)));
            refused.push(*i);
        }
        let mut i = 0;
        outputs.retain(|_| {
            i += 1;
            !refused.contains(&(i - 1))
        });
    }
    let mut all = checked.diagnostics.clone();
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
    let prog = Program::load_inputs(collect_inputs(paths)?);
    Ok(compile_program(&prog, opts))
}

/// Read one Sigma rule file's text and compile it for the options' target. The rule is
/// named after `path`'s file stem. Errors are the reader's refusals or the compiler's.
///
/// The rule's logsource names its catalog source (`Catalog::source_for_logsource`), whose
/// tables and field mappings it is compiled with; a logsource the catalog does not have is
/// compiled for placeholder tables with a coded warning (an error with [`Options::strict`]).
pub fn convert_sigma(path: &str, text: &str, opts: &Options) -> Result<Output, Vec<Error>> {
    let read = crate::sigma_in::read_with(
        text,
        Some(&opts.catalog),
        opts.strict,
        opts.placeholders.as_deref(),
    )
    .map_err(|es| es.into_iter().map(Error::from).collect::<Vec<_>>())?;
    let mut rule = read.rule;
    if let Some(stem) = Path::new(path).file_stem() {
        rule.name = crate::sigma_in::identifier(&stem.to_string_lossy());
    }
    let mut opts = opts.clone();
    opts.target_opts.sigma_input = true;
    let (text, artifact, target_warnings) = compile_in_source(&rule, &read.source, &opts)?;
    let mut warnings: Vec<Error> = read.warnings.into_iter().map(Error::from).collect();
    warnings.extend(target_warnings);
    Ok(Output {
        rule: rule.name,
        path: path.to_string(),
        text,
        artifact,
        warnings,
    })
}

/// Read and compile Sigma rule files (files as given, directories walked for `*.yml` and
/// `*.yaml`), in sorted order.
pub fn convert_sigma_paths(paths: &[PathBuf], opts: &Options) -> Result<Compiled, IoError> {
    let inputs = collect_sigma_inputs(paths)?;
    let mut outputs = Vec::new();
    let mut diagnostics = inputs.problems;
    for p in &inputs.files {
        let text = match load::read_text(p) {
            Ok(t) => t,
            Err(d) => {
                diagnostics.push(*d);
                continue;
            }
        };
        convert_one(load::display(p), text, opts, &mut outputs, &mut diagnostics);
    }
    Ok(Compiled {
        outputs,
        diagnostics,
    })
}

/// Read and compile Sigma rules given as text (standard input), each with the path that
/// names it.
pub fn convert_sigma_texts(texts: Vec<(String, String)>, opts: &Options) -> Compiled {
    let mut outputs = Vec::new();
    let mut diagnostics = Vec::new();
    for (shown, text) in texts {
        convert_one(shown, text, opts, &mut outputs, &mut diagnostics);
    }
    Compiled {
        outputs,
        diagnostics,
    }
}

fn convert_one(
    shown: String,
    text: String,
    opts: &Options,
    outputs: &mut Vec<Output>,
    diagnostics: &mut Vec<FileDiagnostic>,
) {
    match convert_sigma(&shown, &text, opts) {
        Ok(mut o) => {
            let text: Arc<str> = text.into();
            diagnostics.extend(o.warnings.drain(..).map(|error| FileDiagnostic {
                path: shown.clone(),
                text: text.clone(),
                error,
            }));
            outputs.push(o);
        }
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
