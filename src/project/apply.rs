//! A planned build against the disk: what differs (`build --check`), and writing it
//! (every file atomically, files the build no longer makes removed, the lock last).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::config::Project;
use super::lock;
use super::plan::{slash, Plan};
use super::ProjectError;

/// One difference between the plan and the disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Drift {
    /// A file the build would write that is not there.
    Missing(String),
    /// A file whose content is not what the build would write.
    Stale(String),
    /// A file in the output directory the build would not write (it would be removed).
    Extra(String),
    /// A lock entry that would change (or be added or removed), by rule name and id.
    Lock {
        name: String,
        id: String,
        what: &'static str,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing {p}"),
            Drift::Stale(p) => write!(f, "stale   {p}"),
            Drift::Extra(p) => write!(f, "extra   {p}"),
            Drift::Lock { name, id, what } => write!(f, "lock    {name} ({id}): {what}"),
        }
    }
}

/// Every file under the output directory, relative to the project root, sorted.
fn on_disk(project: &Project) -> Vec<PathBuf> {
    let out = project.root.join(&project.out);
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&out)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            e.path()
                .strip_prefix(&project.root)
                .ok()
                .map(Path::to_path_buf)
        })
        .collect();
    files.sort();
    files
}

/// Everything that differs between the plan and the disk, in path order, lock last.
pub fn drift(project: &Project, plan: &Plan) -> Vec<Drift> {
    let mut out = Vec::new();
    for (p, text) in &plan.files {
        match std::fs::read(project.root.join(p)) {
            Err(_) => out.push(Drift::Missing(slash(p))),
            Ok(bytes) if bytes != text.as_bytes() => out.push(Drift::Stale(slash(p))),
            Ok(_) => {}
        }
    }
    for p in on_disk(project) {
        if !plan.files.contains_key(&p) && !plan.kept.contains(&p) {
            out.push(Drift::Extra(slash(&p)));
        }
    }
    let ids: BTreeSet<&String> = plan
        .lock
        .rules
        .keys()
        .chain(plan.old_lock.rules.keys())
        .collect();
    for id in ids {
        let what = match (plan.old_lock.rules.get(id), plan.lock.rules.get(id)) {
            (None, Some(_)) => "not in the lock",
            (Some(_), None) => "in the lock but gone",
            (Some(a), Some(b)) if a != b => "out of date",
            _ => continue,
        };
        let name = plan
            .lock
            .rules
            .get(id)
            .or(plan.old_lock.rules.get(id))
            .map(|e| e.name.clone())
            .unwrap_or_default();
        out.push(Drift::Lock {
            name,
            id: id.clone(),
            what,
        });
    }
    let lock_on_disk = std::fs::read_to_string(project.root.join(lock::FILE)).ok();
    if out.iter().all(|d| !matches!(d, Drift::Lock { .. }))
        && lock_on_disk.as_deref() != Some(plan.lock.to_text().as_str())
    {
        out.push(Drift::Lock {
            name: String::new(),
            id: lock::FILE.into(),
            what: "not as the build writes it",
        });
    }
    out
}

/// Write `text` to `path` atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), ProjectError> {
    let fail = |e: std::io::Error| ProjectError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tripline-{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// What writing did.
#[derive(Debug, Default)]
pub struct Written {
    /// Files written (new or changed).
    pub written: Vec<String>,
    /// Files removed.
    pub removed: Vec<String>,
    /// Files that could not be written or removed.
    pub errors: Vec<ProjectError>,
}

/// Write the plan: changed files, removals, empty directories pruned, the lock last (not
/// written when any file failed, so a later build tries again).
pub fn write(project: &Project, plan: &Plan) -> Written {
    let mut w = Written::default();
    for (p, text) in &plan.files {
        let full = project.root.join(p);
        if std::fs::read(&full).is_ok_and(|b| b == text.as_bytes()) {
            continue;
        }
        match write_atomic(&full, text) {
            Ok(()) => w.written.push(slash(p)),
            Err(e) => w.errors.push(e),
        }
    }
    for p in on_disk(project) {
        if plan.files.contains_key(&p) || plan.kept.contains(&p) {
            continue;
        }
        match std::fs::remove_file(project.root.join(&p)) {
            Ok(()) => w.removed.push(slash(&p)),
            Err(e) => w.errors.push(ProjectError::Write {
                path: slash(&p),
                reason: e.to_string(),
            }),
        }
    }
    prune_empty(&project.root.join(&project.out));
    if w.errors.is_empty() {
        let lock_path = project.root.join(lock::FILE);
        let text = plan.lock.to_text();
        if std::fs::read_to_string(&lock_path).ok().as_deref() != Some(text.as_str()) {
            match write_atomic(&lock_path, &text) {
                Ok(()) => w.written.push(lock::FILE.into()),
                Err(e) => w.errors.push(e),
            }
        }
    }
    w
}

/// Remove empty directories below `dir` (not `dir` itself).
fn prune_empty(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            prune_empty(&p);
            let _ = std::fs::remove_dir(&p); // only succeeds when empty
        }
    }
}
