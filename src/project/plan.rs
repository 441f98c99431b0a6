//! What a build produces, computed without touching the output directory: every file of
//! every configured target, the new lock, and what changed since the old one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::driver::{self, Checked, FileDiagnostic, Options, Program};
use crate::syntax::ast;

use super::config::Project;
use super::lock::{self, Entry, Lock};
use super::ProjectError;

/// Something the build reports about a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Note {
    /// A rule not in the old lock.
    New { name: String, id: String },
    /// A rule whose meaning changed.
    Changed {
        name: String,
        id: String,
        from: u32,
        to: u32,
    },
    /// A rule whose `id` is not the one the lock has for its name.
    IdChanged {
        name: String,
        from: String,
        to: String,
    },
    /// A rule in the old lock that no longer exists; its files are removed.
    Removed { name: String, id: String },
    /// A rule not deployed to a target, with the code that says why.
    Skipped {
        name: String,
        target: String,
        code: String,
    },
    /// A rule that failed: its old files and lock entry are kept as they were.
    Failed { name: String },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::New { name, id } => write!(f, "new rule {name} ({id}), version 1"),
            Note::Changed { name, from, to, .. } => {
                write!(f, "rule {name}: meaning changed, version {from} → {to}")
            }
            Note::IdChanged { name, from, to } => {
                write!(
                    f,
                    "rule {name}: id changed from {from} to {to} (a new rule to every platform)"
                )
            }
            Note::Removed { name, id } => {
                write!(f, "removed rule {name} ({id}): its files are removed")
            }
            Note::Skipped { name, target, code } => {
                write!(f, "rule {name}: not built for {target} ({code})")
            }
            Note::Failed { name } => {
                write!(
                    f,
                    "rule {name} failed: its files and lock entry are left as they were"
                )
            }
        }
    }
}

/// A build, planned.
#[derive(Debug, Default)]
pub struct Plan {
    /// Every file the output directory should hold, relative to the project root.
    pub files: BTreeMap<PathBuf, String>,
    /// Files of failed rules, kept as they are (neither rewritten nor removed).
    pub kept: BTreeSet<PathBuf>,
    /// The new lock.
    pub lock: Lock,
    /// The old lock as read (empty when there was none).
    pub old_lock: Lock,
    /// Every diagnostic (check, targets; skipped refusals are notes instead).
    pub diagnostics: Vec<FileDiagnostic>,
    /// What changed, in rule order.
    pub notes: Vec<Note>,
}

impl Plan {
    /// Whether any rule failed.
    pub fn failed(&self) -> bool {
        self.diagnostics.iter().any(FileDiagnostic::is_error)
    }
}

fn rel(project: &Project, display: &str) -> String {
    let root = project.root.to_string_lossy().replace('\\', "/");
    let root = root.trim_end_matches('/');
    match display.strip_prefix(root) {
        Some(r) if !root.is_empty() && root != "." => r.trim_start_matches('/').to_string(),
        _ => display.strip_prefix("./").unwrap_or(display).to_string(),
    }
}

/// The names of every rule declared in the program's input files (compiled or not).
fn declared(prog: &Program) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in prog.files.iter().filter(|f| f.is_input) {
        if f.sigma {
            if let Some(stem) = Path::new(&f.display).file_stem() {
                out.insert(crate::sigma_in::identifier(&stem.to_string_lossy()));
            }
        }
        for i in f.ast.iter().flat_map(|a| &a.items) {
            if let ast::Item::Rule(r) = i {
                out.insert(r.name.name.clone());
            }
        }
    }
    out
}

/// The project's catalog and its rule files, loaded.
fn load(project: &Project) -> Result<(Catalog, Program), ProjectError> {
    let catalog = match &project.catalog {
        None => Catalog::builtin(),
        Some(c) => {
            let p = project.root.join(c);
            let text = std::fs::read_to_string(&p).map_err(|e| ProjectError::Unreadable {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            driver::load_catalog(Some((&text, &p.display().to_string())))
                .map_err(ProjectError::Catalog)?
        }
    };
    let paths: Vec<PathBuf> = project.rules.iter().map(|r| project.root.join(r)).collect();
    let inputs = driver::collect_inputs(&paths).map_err(|e| ProjectError::Unreadable {
        path: paths
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        reason: e.to_string(),
    })?;
    Ok((catalog, Program::load_inputs(inputs)))
}

/// What compiling every target gave, per rule name.
#[derive(Default)]
struct Outcomes {
    /// The files of each rule.
    files: BTreeMap<String, BTreeMap<PathBuf, String>>,
    /// Targets each rule is not built for, with the code why.
    skipped: BTreeMap<String, BTreeMap<String, String>>,
    /// Rules that failed to check or to compile for some target.
    failed: BTreeSet<String>,
}

/// Compile every checked rule for every target; refusals listed in a target's `skip` are
/// notes, other refusals fail the rule (their diagnostics go to the plan).
fn compile_all(
    project: &Project,
    catalog: &Catalog,
    prog: &Program,
    checked: &Checked,
    plan: &mut Plan,
) -> Result<Outcomes, ProjectError> {
    let mut out = Outcomes {
        failed: declared(prog),
        ..Outcomes::default()
    };
    out.failed
        .retain(|n| !checked.rules.iter().any(|(_, r)| &r.name == n));
    let target_only = Checked {
        rules: checked.rules.clone(),
        diagnostics: Vec::new(),
        sources: checked.sources.clone(),
    };
    for t in &project.targets {
        let mut opts = Options::new(&t.name, t.flavor.as_deref())
            .map_err(|e| ProjectError::Unreadable {
                path: t.dir.clone(),
                reason: e.to_string(),
            })?
            .with_catalog(catalog.clone())
            .with_artifact(project.artifacts);
        opts.target_opts.spl_index = t.index.clone();
        opts.target_opts.table_prefix = t.table_prefix.clone();
        let compiled = driver::compile_checked(prog, &target_only, &opts);
        for o in &compiled.outputs {
            let (ext, text) = o.file(&opts);
            let path = project.out.join(&t.dir).join(format!("{}.{ext}", o.rule));
            out.files
                .entry(o.rule.clone())
                .or_default()
                .insert(path, text.to_string());
        }
        for (f, rule) in &checked.rules {
            if compiled.outputs.iter().any(|o| o.rule == rule.name) {
                continue;
            }
            let display = &prog.files[*f].display;
            let mine: Vec<&FileDiagnostic> = compiled
                .diagnostics
                .iter()
                .filter(|d| &d.path == display && d.is_error())
                .filter(|d| (rule.span.start..=rule.span.end).contains(&offset(d)))
                .collect();
            match mine.iter().map(|d| d.code()).find(|c| !t.skip.contains(c)) {
                None if !mine.is_empty() => {
                    let code = mine[0].code();
                    let (name, target) = (rule.name.clone(), t.dir.clone());
                    out.skipped
                        .entry(name.clone())
                        .or_default()
                        .insert(target.clone(), code.clone());
                    plan.notes.push(Note::Skipped { name, target, code });
                }
                _ => {
                    out.failed.insert(rule.name.clone());
                    plan.diagnostics.extend(mine.into_iter().cloned());
                }
            }
        }
        // Warnings of the rules that compiled.
        plan.diagnostics
            .extend(compiled.diagnostics.into_iter().filter(|d| !d.is_error()));
    }
    Ok(out)
}

/// The new lock entry of every rule that compiled everywhere, with its notes.
fn new_entries(
    project: &Project,
    prog: &Program,
    checked: &Checked,
    out: &mut Outcomes,
    plan: &mut Plan,
) {
    let by_name: BTreeMap<&str, &String> = plan
        .old_lock
        .rules
        .iter()
        .map(|(id, e)| (e.name.as_str(), id))
        .collect();
    for (f, rule) in &checked.rules {
        let name = &rule.name;
        if out.failed.contains(name) {
            continue;
        }
        let id = rule.meta.id.clone();
        let meaning = lock::meaning(rule);
        let old = plan.old_lock.rules.get(&id);
        let version = lock::next_version(old, &meaning);
        let note = match (old, by_name.get(name.as_str())) {
            (None, Some(old_id)) => Some(Note::IdChanged {
                name: name.clone(),
                from: (*old_id).clone(),
                to: id.clone(),
            }),
            (None, None) => Some(Note::New {
                name: name.clone(),
                id: id.clone(),
            }),
            (Some(e), _) if e.version != version => Some(Note::Changed {
                name: name.clone(),
                id: id.clone(),
                from: e.version,
                to: version,
            }),
            (Some(_), _) => None,
        };
        plan.notes.extend(note);
        let mine = out.files.remove(name).unwrap_or_default();
        let outputs = mine
            .iter()
            .map(|(p, text)| (slash(p), lock::hash(text.as_bytes())))
            .collect();
        plan.files.extend(mine);
        let entry = Entry {
            name: name.clone(),
            path: rel(project, &prog.files[*f].display),
            version,
            meaning,
            outputs,
            skipped: out.skipped.remove(name).unwrap_or_default(),
        };
        plan.lock.rules.insert(id, entry);
    }
}

/// Old entries: a failed rule keeps its entry and files; a rule no longer declared is
/// removed.
fn old_entries(project: &Project, prog: &Program, out: &Outcomes, plan: &mut Plan) {
    let declared = declared(prog);
    // A file that does not parse may hold rules the parser could not see: every rule the
    // lock has in it counts as failed, not removed.
    let unparsed: BTreeSet<String> = prog
        .files
        .iter()
        .filter(|f| f.is_input && !f.syntax_errors.is_empty())
        .map(|f| rel(project, &f.display))
        .collect();
    let old = plan.old_lock.rules.clone();
    for (id, e) in &old {
        let unseen = unparsed.contains(&e.path) && !plan.lock.rules.contains_key(id);
        if out.failed.contains(&e.name) || unseen {
            plan.notes.push(Note::Failed {
                name: e.name.clone(),
            });
            plan.kept.extend(e.outputs.keys().map(PathBuf::from));
            plan.lock.rules.insert(id.clone(), e.clone());
        } else if !declared.contains(&e.name) {
            plan.notes.push(Note::Removed {
                name: e.name.clone(),
                id: id.clone(),
            });
        }
    }
    for name in &out.failed {
        if !old.values().any(|e| &e.name == name) {
            plan.notes.push(Note::Failed { name: name.clone() });
        }
    }
}

/// Compile the project's rules for every target and work out the new lock.
pub fn plan(project: &Project) -> Result<Plan, ProjectError> {
    let (catalog, prog) = load(project)?;
    let checked = driver::check_program(&prog, &catalog);
    let mut plan = Plan {
        diagnostics: checked.diagnostics.clone(),
        old_lock: read_lock(&project.root)?,
        ..Plan::default()
    };
    plan.lock.lock_version = lock::FORMAT;
    let mut out = compile_all(project, &catalog, &prog, &checked, &mut plan)?;
    new_entries(project, &prog, &checked, &mut out, &mut plan);
    old_entries(project, &prog, &out, &mut plan);
    plan.diagnostics
        .sort_by_key(|d| (d.path.clone(), offset(d)));
    Ok(plan)
}

fn offset(d: &FileDiagnostic) -> usize {
    use miette::Diagnostic;
    d.error
        .labels()
        .and_then(|mut l| l.next())
        .map_or(0, |l| l.offset())
}

/// A relative path with `/` separators, as the lock writes it.
pub fn slash(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The lock at the project root, or an empty one when there is none.
fn read_lock(root: &Path) -> Result<Lock, ProjectError> {
    let p = root.join(lock::FILE);
    match std::fs::read_to_string(&p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lock {
            lock_version: lock::FORMAT,
            ..Lock::default()
        }),
        Err(e) => Err(ProjectError::Unreadable {
            path: p.display().to_string(),
            reason: e.to_string(),
        }),
        Ok(text) => Lock::from_text(&text).map_err(|reason| ProjectError::BadLock {
            path: p.display().to_string(),
            reason,
        }),
    }
}
