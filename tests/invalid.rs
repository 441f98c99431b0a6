//! Invalid inputs under `tests/invalid/`, each with its rendered diagnostics snapshotted
//! without colour.
//!
//! Each file starts with comment lines that say what must happen:
//! `// expect: <code>` (one or more; each code must be among the diagnostics) and optionally
//! `// target: <target> [<flavor>]` to compile for a target instead of only checking.

use std::path::PathBuf;

use tripline::catalog::Catalog;
use tripline::driver::{check_program, collect_inputs, compile_program, Options, Program};

#[test]
fn invalid_inputs_report_coded_located_diagnostics() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/invalid");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let _guard = settings.bind_to_scope();
    // Run from the crate root so paths in the output are relative and stable.
    std::env::set_current_dir(&root).expect("crate root exists");
    let files = collect_inputs(&[PathBuf::from("tests/invalid")])
        .expect("inputs exist")
        .files;
    let mut n = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let expects: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// expect: "))
            .map(str::trim)
            .collect();
        assert!(
            !expects.is_empty(),
            "{}: no `// expect:` line",
            file.display()
        );
        let target = text
            .lines()
            .find_map(|l| l.strip_prefix("// target: "))
            .map(|t| t.split_whitespace().collect::<Vec<_>>());
        let prog = Program::load(std::slice::from_ref(&file));
        let diags = match &target {
            None => check_program(&prog, &Catalog::builtin()).diagnostics,
            Some(t) => {
                let opts = Options::new(t[0], t.get(1).copied()).expect("valid target");
                compile_program(&prog, &opts).diagnostics
            }
        };
        let codes: Vec<String> = diags.iter().map(|d| d.code()).collect();
        for e in &expects {
            assert!(
                codes.iter().any(|c| c == e),
                "{}: expected {e}, got {codes:?}",
                file.display()
            );
        }
        for d in &diags {
            assert!(
                !d.code().is_empty(),
                "{}: a diagnostic without a code",
                file.display()
            );
            assert!(
                miette::Diagnostic::labels(&d.error).is_some_and(|mut l| l.next().is_some()),
                "{}: diagnostic {} has no label",
                file.display(),
                d.code()
            );
        }
        let rendered: String = diags.iter().map(|d| d.render(false)).collect();
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, rendered);
        n += 1;
    }
    assert!(n >= 15, "expected at least 15 invalid inputs, found {n}");
}
