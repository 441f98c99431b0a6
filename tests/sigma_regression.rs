//! SigmaHQ's own positive regression tests (`../shared/corpus/sigmahq-regression`, real
//! recorded Windows events, DRL 1.1, not in the repository), run natively: each rule, read
//! against the catalog, matches at least one of its recorded events. Skips loudly when the
//! data is absent.

use std::path::PathBuf;

use tripline::catalog::Catalog;
use tripline::testing::regression;

/// Tests that must pass (of 155).
const FLOOR: usize = 150;

#[test]
fn sigmahq_regression_tests_pass_natively() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let (corpus, data) = (root.join("sigmahq"), root.join("sigmahq-regression"));
    if !corpus.is_dir() || !data.is_dir() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: SigmaHQ corpus or regression data not found under {}: the regression suite did not run",
            root.display()
        );
        return;
    }
    let results = regression::run(&corpus, &data, &Catalog::builtin());
    let passed = results.iter().filter(|r| r.failure.is_none()).count();
    println!(
        "SigmaHQ regression tests: {passed} of {} pass natively",
        results.len()
    );
    for r in results.iter().filter(|r| r.failure.is_some()) {
        println!(
            "  FAIL {} ({}): {}",
            r.test,
            r.source,
            r.failure.as_deref().unwrap_or("")
        );
    }
    assert!(results.len() >= 150, "only {} tests found", results.len());
    assert!(
        passed >= FLOOR,
        "{passed} of {} passed (floor {FLOOR})",
        results.len()
    );
}
