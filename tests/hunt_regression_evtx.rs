//! `tripline hunt` over SigmaHQ's recorded `.evtx` logs (`../shared/corpus/sigmahq-regression`,
//! DRL 1.1, not in the repository): each test's rule, read from the SigmaHQ corpus by id,
//! must report a match on its own binary log, read by the EVTX reader and the streaming
//! engine. Skips loudly when the data is absent.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use tripline::catalog::Catalog;
use tripline::hunt::{self, input, Options};
use tripline::testing::regression;

/// Tests whose rule must match its `.evtx` (of 154 with a log).
const FLOOR: usize = 150;

#[test]
fn hunt_reports_each_regression_rule_on_its_evtx_log() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let (corpus, data) = (root.join("sigmahq"), root.join("sigmahq-regression"));
    if !corpus.is_dir() || !data.is_dir() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: SigmaHQ corpus or regression data not found under {}: hunt over .evtx did not run",
            root.display()
        );
        return;
    }
    let catalog = Catalog::builtin();
    let rules = regression::index_rules(&corpus);
    let mut logs: Vec<PathBuf> = walkdir::WalkDir::new(&data)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "evtx"))
        .map(|e| e.into_path())
        .collect();
    logs.sort();
    let (mut passed, mut failed) = (0, Vec::new());
    for log in &logs {
        let id = log.file_stem().unwrap().to_string_lossy().to_lowercase();
        match hits(&rules, &id, log, &catalog) {
            Ok(n) if n > 0 => passed += 1,
            Ok(_) => failed.push(format!("{}: no match", log.display())),
            Err(e) => failed.push(format!("{}: {e}", log.display())),
        }
    }
    println!(
        "hunt over SigmaHQ regression .evtx logs: {passed} of {} rules match",
        logs.len()
    );
    for f in &failed {
        println!("  FAIL {f}");
    }
    assert!(logs.len() >= 150, "only {} logs found", logs.len());
    assert!(
        passed >= FLOOR,
        "{passed} of {} (floor {FLOOR})",
        logs.len()
    );
}

fn hits(
    rules: &std::collections::HashMap<String, PathBuf>,
    id: &str,
    log: &Path,
    catalog: &Catalog,
) -> Result<usize, String> {
    let path = rules.get(id).ok_or("no rule with this id")?;
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let read = tripline::sigma_in::read_for(&text, Some(catalog), false)
        .map_err(|es| format!("not read: {} errors", es.len()))?;
    let rules = vec![read.rule];
    let mut out = Vec::new();
    let (summary, errors) = hunt::run(
        &rules,
        catalog,
        input::open(&[log.to_path_buf()], input::DEFAULT_BLOCK_BYTES),
        &Options::default(),
        &mut out,
        &mut |_| {},
    )
    .map_err(|e| e.to_string())?;
    if !errors.is_empty() || summary.events == 0 {
        return Err(format!(
            "{} input errors, {} events",
            errors.len(),
            summary.events
        ));
    }
    let text = String::from_utf8(out).map_err(|e| e.to_string())?;
    Ok(text
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_ok())
        .count())
}

/// Parsing events onto the rules' keys (`hunt::project`) gives every rule the verdict the
/// whole event gives: the regression tests' rules over all their recorded events.
#[test]
fn projected_events_get_the_verdicts_of_whole_events() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let (corpus, data) = (root.join("sigmahq"), root.join("sigmahq-regression"));
    if !corpus.is_dir() || !data.is_dir() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: SigmaHQ corpus or regression data not found under {}: projection check did not run",
            root.display()
        );
        return;
    }
    let catalog = Catalog::builtin();
    let index = regression::index_rules(&corpus);
    let mut rules = Vec::new();
    let mut events = Vec::new();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&data)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for f in &files {
        let id = f.file_stem().unwrap().to_string_lossy().to_lowercase();
        let Some(path) = index.get(&id) else { continue };
        let text = std::fs::read_to_string(path).unwrap();
        if let Ok(read) = tripline::sigma_in::read_for(&text, Some(&catalog), false) {
            rules.push(read.rule);
        }
        let (evs, _) = tripline::testing::read_events(&std::fs::read_to_string(f).unwrap());
        events.extend(evs.into_iter().map(|e| e.value.to_string()));
    }
    let plan = hunt::Plan::new(&rules, &catalog, true);
    let mut ev = tripline::eval::Evaluator::new();
    let mut checked = 0;
    for line in &events {
        let whole = tripline::catalog::normalize(&catalog, &serde_json::from_str(line).unwrap()).0;
        let part = tripline::catalog::normalize(&catalog, &plan.keys.parse(line).unwrap()).0;
        for (i, r) in rules.iter().enumerate() {
            let src = &plan.sources[plan.rule_source[i]];
            let verdict = |ev: &mut tripline::eval::Evaluator, e: &Value| {
                src.recognizer.as_ref().is_none_or(|p| ev.eval(p, e)) && ev.eval(&r.expr, e)
            };
            assert_eq!(
                verdict(&mut ev, &whole),
                verdict(&mut ev, &part),
                "{} on {line}",
                r.name
            );
            checked += 1;
        }
    }
    println!("projection: {checked} (rule, event) verdicts agree");
    assert!(checked > 10_000);
}
