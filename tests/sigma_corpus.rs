//! Robustness over the public SigmaHQ corpus (`../shared/corpus/sigmahq`, data only, not in
//! the repository): every rule is read and converted to KQL (sentinel), SPL and Sigma with
//! no panic; every failure is a coded diagnostic; at least `FLOOR` rules convert to all
//! three targets.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tripline::driver::{collect_sigma_inputs, convert_sigma, Options};

/// Rules on real tables (not the placeholder), per target, measured 2026-12-02 minus a
/// margin.
const FLOORS: [(&str, usize); 6] = [
    ("kql sentinel", 3360),
    ("kql defender", 1990),
    ("spl", 3300),
    ("sigma", 3520),
    ("duckdb", 3450),
    ("spark", 3450),
];

#[test]
fn sigmahq_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq");
    if !dir.is_dir() {
        skip(&format!(
            "SigmaHQ corpus not found at {} -- the Sigma corpus test did not run",
            dir.display()
        ));
        return;
    }
    let files = collect_sigma_inputs(std::slice::from_ref(&dir))
        .expect("corpus readable")
        .files;
    let targets: Vec<(String, Options)> = tripline::targets::query_targets()
        .into_iter()
        .map(|(t, f)| {
            let label = f.map_or(t.to_string(), |f| format!("{t} {f}"));
            (label, Options::new(t, f).expect("a registered target"))
        })
        .collect();
    let mut real = vec![0usize; targets.len()];
    let mut placeholder = vec![0usize; targets.len()];
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut uncoded = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let shown = f.display().to_string();
        let mut rule_codes = std::collections::BTreeSet::new();
        for (i, (_, opts)) in targets.iter().enumerate() {
            match convert_sigma(&shown, &text, opts) {
                Ok(o) => {
                    assert!(!o.text.trim().is_empty(), "{shown}: empty output");
                    let unmapped = o.warnings.iter().any(|w| {
                        use miette::Diagnostic;
                        w.code().is_some_and(|c| {
                            c.to_string() == "tripline::sigma_in::unmapped_logsource"
                        })
                    });
                    if unmapped {
                        placeholder[i] += 1;
                    } else {
                        real[i] += 1;
                    }
                }
                Err(es) => {
                    if es.is_empty() {
                        uncoded.push(shown.clone());
                    }
                    for e in &es {
                        use miette::Diagnostic;
                        match e.code() {
                            Some(c) => {
                                rule_codes.insert(format!("{}: {c}", targets[i].0));
                            }
                            None => uncoded.push(format!("{shown}: {e}")),
                        }
                    }
                }
            }
        }
        for c in rule_codes {
            *codes.entry(c).or_default() += 1;
        }
    }
    println!("SigmaHQ corpus: {} files", files.len());
    for (i, (name, _)) in targets.iter().enumerate() {
        println!(
            "  {name:<13} {:>5} on real tables, {:>4} on placeholder tables (logsource not in the catalog)",
            real[i], placeholder[i]
        );
    }
    println!("not converted, by target and code (rules):");
    for (c, n) in &codes {
        println!("    {n:>5}  {c}");
    }
    assert!(uncoded.is_empty(), "failures without a code: {uncoded:#?}");
    for (i, (name, _)) in targets.iter().enumerate() {
        let floor = FLOORS
            .iter()
            .find(|(t, _)| t == name)
            .map_or(0, |(_, n)| *n);
        assert!(
            real[i] >= floor,
            "{name}: only {} rules on real tables (floor {floor})",
            real[i],
        );
    }
    for (t, _) in FLOORS {
        assert!(
            targets.iter().any(|(name, _)| name == t),
            "a floor for {t}, which is not a registered target"
        );
    }
}

/// A line on stderr that the test harness does not capture, so a skipped test is visible in
/// plain `cargo test` output.
fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// The catalog's sources cover at least 90 % of the corpus's rules by their logsource.
#[test]
fn catalog_covers_most_corpus_logsources() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq");
    if !dir.is_dir() {
        skip(&format!(
            "SigmaHQ corpus not found at {}: logsource coverage not measured",
            dir.display()
        ));
        return;
    }
    let cat = tripline::catalog::Catalog::builtin();
    let files = collect_sigma_inputs(std::slice::from_ref(&dir))
        .expect("corpus readable")
        .files;
    let (mut total, mut covered) = (0usize, 0usize);
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let Ok(docs) = tripline::yaml::from_str_all::<serde_json::Value>(&text) else {
            continue;
        };
        let Some(ls) = docs
            .first()
            .and_then(|d| d.get("logsource"))
            .and_then(|l| l.as_object())
        else {
            continue;
        };
        let ls: indexmap::IndexMap<String, String> = ls
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
        total += 1;
        if cat.source_for_logsource(&ls).is_some() {
            covered += 1;
        } else {
            *missing.entry(format!("{ls:?}")).or_default() += 1;
        }
    }
    let share = covered as f64 / total as f64;
    println!(
        "catalog covers {covered} of {total} corpus rules ({:.1} %)",
        share * 100.0
    );
    assert!(share >= 0.90, "{covered}/{total}; most missing: {:?}", {
        let mut v: Vec<_> = missing.into_iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.1));
        v.truncate(10);
        v
    });
}
