//! `tripline build` on a copy of the rule library: build then `--check` is clean; a change
//! of meaning makes `--check` name exactly that rule's files and lock entry and bumps its
//! version; comments and layout change nothing; a deleted rule's files are removed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROJECT: &str = r#"rules = ["rules"]
out = "build"

[[targets]]
name = "kql"
flavor = "sentinel"

[[targets]]
name = "kql"
flavor = "defender"
skip = ["tripline::mapping::unavailable_source", "tripline::target::unsupported"]

[[targets]]
name = "spl"
"#;

const RULE: &str = "rules/m365/mail_items_accessed_by_unexpected_app.trip";
const NAME: &str = "mail_items_accessed_by_unexpected_app";
const ID: &str = "dcb83a84-e326-47fc-902a-4edf70cb9231";

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn project() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tripline-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"),
        &dir.join("rules"),
    );
    std::fs::write(dir.join("tripline.toml"), PROJECT).unwrap();
    dir
}

fn build(dir: &Path, check: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tripline"));
    c.arg("build").arg("--project").arg(dir);
    if check {
        c.arg("--check");
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn edit(dir: &Path, from: &str, to: &str) {
    let p = dir.join(RULE);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{from:?} not in the rule");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn build_check_lock_and_removal() {
    let dir = project();
    let first = build(&dir, false);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let lock = std::fs::read_to_string(dir.join("tripline.lock")).unwrap();
    assert!(lock.contains(&format!("\"{ID}\"")));
    let clean = build(&dir, true);
    assert_eq!(clean.status.code(), Some(0), "{:?}", stdout(&clean));
    assert!(stdout(&clean).is_empty());

    // Only comments and layout: nothing is out of date, the lock does not change.
    edit(
        &dir,
        "    match Operation",
        "    // reviewed 2026-12-02\n\n    match   Operation",
    );
    let layout = build(&dir, true);
    assert_eq!(layout.status.code(), Some(0), "{:?}", stdout(&layout));
    assert_eq!(build(&dir, false).status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("tripline.lock")).unwrap(),
        lock
    );

    // A change of meaning: exactly this rule's files and its lock entry.
    edit(
        &dir,
        "Operation == \"MailItemsAccessed\"",
        "Operation == \"MailItemsAccessed2\"",
    );
    let stale = build(&dir, true);
    assert_eq!(stale.status.code(), Some(1));
    assert_eq!(
        stdout(&stale),
        [
            format!("stale   build/kql-defender/{NAME}.json"),
            format!("stale   build/kql-sentinel/{NAME}.yaml"),
            format!("stale   build/spl/{NAME}.conf"),
            format!("lock    {NAME} ({ID}): out of date"),
        ]
    );
    let rebuilt = build(&dir, false);
    assert_eq!(rebuilt.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&rebuilt.stderr)
        .contains(&format!("rule {NAME}: meaning changed, version 1 → 2")));
    let lock2 = std::fs::read_to_string(dir.join("tripline.lock")).unwrap();
    assert!(lock2.contains("\"version\": 2"));
    assert_eq!(build(&dir, true).status.code(), Some(0));

    // A broken rule keeps its files and lock entry, and fails the build.
    edit(&dir, "and Workload == \"Exchange\"", "and Workload ==");
    let broken = build(&dir, false);
    assert_eq!(broken.status.code(), Some(1));
    assert!(dir.join(format!("build/spl/{NAME}.conf")).exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("tripline.lock")).unwrap(),
        lock2
    );

    // A deleted rule: its files and lock entry go.
    std::fs::remove_file(dir.join(RULE)).unwrap();
    let check = build(&dir, true);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains(&format!("extra   build/spl/{NAME}.conf")),
        "{:?}",
        stdout(&check)
    );
    let removed = build(&dir, false);
    assert_eq!(
        removed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert!(stdout(&removed).contains(&format!("removed build/spl/{NAME}.conf")));
    assert!(!dir.join(format!("build/kql-sentinel/{NAME}.yaml")).exists());
    assert!(!std::fs::read_to_string(dir.join("tripline.lock"))
        .unwrap()
        .contains(ID));
    assert_eq!(build(&dir, true).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_library_lock_is_current() {
    // tripline.toml at the repository root builds rules/; the committed lock must be what
    // a build writes (a rule whose meaning changed without its lock entry fails here).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("tripline-build-lib-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root.join("rules"), &dir.join("rules"));
    for f in ["tripline.toml", "tripline.lock"] {
        std::fs::copy(root.join(f), dir.join(f)).unwrap();
    }
    let o = build(&dir, false);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("tripline.lock")).unwrap(),
        std::fs::read_to_string(root.join("tripline.lock")).unwrap(),
        "tripline.lock is stale: run `tripline build` and commit it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
