//! `tripline fmt` as a user runs it: in place, `--check`, standard input, errors.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn tripline(args: &[&str], dir: &Path, stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let input = stdin.unwrap_or("").to_string();
    let mut pipe = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("the binary ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).expect("scratch dir");
    dir
}

const MESSY: &str = "condition a =   X exists   // why\nrule r {\n  title \"T\"\n  match a\n}\n";
const TIDY: &str =
    "condition a = X exists  // why\n\nrule r {\n    title       \"T\"\n    match a\n}\n";

#[test]
fn check_reports_without_writing_then_fmt_rewrites_only_what_changes() {
    let dir = scratch("fmt_in_place");
    std::fs::write(dir.join("sub/messy.trip"), MESSY).unwrap();
    std::fs::write(dir.join("tidy.trip"), TIDY).unwrap();
    std::fs::write(dir.join("notes.yml"), "not: a rule\n").unwrap();
    let (code, out, err) = tripline(&["fmt", "--check", "."], &dir, None);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("--- ./sub/messy.trip\n"), "{out}");
    assert!(
        out.contains("@@ -3,2 +4,2 @@\n-  title \"T\"\n-  match a\n+    title       \"T\"\n"),
        "{out}"
    );
    assert!(!out.contains("tidy.trip"), "{out}");
    assert!(
        err.contains("1 file would change, 1 already formatted"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/messy.trip")).unwrap(),
        MESSY
    );

    let before = std::fs::metadata(dir.join("tidy.trip"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, _, err) = tripline(&["fmt", "."], &dir, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/messy.trip")).unwrap(),
        TIDY
    );
    let after = std::fs::metadata(dir.join("tidy.trip"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "an unchanged file is not rewritten");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");

    let (code, out, _) = tripline(&["fmt", "--check", "."], &dir, None);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn standard_input_is_formatted_to_standard_output() {
    let dir = scratch("fmt_stdin");
    let (code, out, err) = tripline(&["fmt", "-"], &dir, Some(MESSY));
    assert_eq!((code, out.as_str()), (0, TIDY), "{err}");
    let (code, out, _) = tripline(&["fmt", "--check", "-"], &dir, Some(MESSY));
    assert_eq!(code, 1);
    assert!(out.starts_with("--- <stdin>\n"), "{out}");
    let (code, _, _) = tripline(&["fmt", "--check", "-"], &dir, Some(TIDY));
    assert_eq!(code, 0);
}

#[test]
fn a_file_with_syntax_errors_is_reported_and_left_alone() {
    let dir = scratch("fmt_broken");
    let broken = "rule r {\n  match\n}\n";
    std::fs::write(dir.join("broken.trip"), broken).unwrap();
    std::fs::write(dir.join("messy.trip"), MESSY).unwrap();
    let (code, _, err) = tripline(&["fmt", "."], &dir, None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("tripline::syntax::unexpected"), "{err}");
    assert!(err.contains("broken.trip"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.trip")).unwrap(),
        broken
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.trip")).unwrap(),
        TIDY
    );
    let (code, out, _) = tripline(&["fmt", "-"], &dir, Some(broken));
    assert_eq!((code, out.as_str()), (1, ""));
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch("fmt_usage");
    assert_eq!(tripline(&["fmt"], &dir, None).0, 2);
    assert_eq!(tripline(&["fmt", "missing.trip"], &dir, None).0, 2);
    assert_eq!(tripline(&["fmt", "-", "x.trip"], &dir, None).0, 2);
    assert_eq!(tripline(&["fmt", "--bogus", "."], &dir, None).0, 2);
}
