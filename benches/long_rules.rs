//! IOC-sized rules: a 100,000-value list and a 200,000-term flat `or`, compiled from text to
//! every target (parse, check, map, emit). `cargo bench --bench long_rules`; no assertion.

use std::time::Instant;

use tripline::driver::{compile, Options};

const HEADER: &str = "rule iocs {\n    title \"IOC list\"\n    id 3b0d6a4e-5f1c-4f7e-9a51-2f4a1c9e7d11\n    status experimental\n    level low\n    date 2026-12-01\n    description \"Detects listed values\"\n    source windows.process_creation\n    match ";

fn time(label: &str, text: &str) {
    for (t, f) in [
        ("kql", Some("sentinel")),
        ("kql", Some("defender")),
        ("spl", None),
        ("sigma", None),
    ] {
        let opts = Options::new(t, f).expect("target");
        let mut runs = Vec::new();
        let mut bytes = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let out = compile(text, &opts);
            runs.push(start.elapsed().as_secs_f64());
            assert!(!out.failed(), "{label} {t}");
            bytes = out.outputs.iter().map(|o| o.text.len()).sum();
        }
        runs.sort_by(f64::total_cmp);
        println!(
            "{label:<28} {:<16} median {:>7.3} s  ({} KB out)",
            match f {
                Some(f) => format!("{t} ({f})"),
                None => t.to_string(),
            },
            runs[runs.len() / 2],
            bytes / 1024
        );
    }
}

fn main() {
    let values: Vec<String> = (0..100_000)
        .map(|i| format!("\"ioc-{i}.example\""))
        .collect();
    let list = format!(
        "{HEADER}CommandLine contains any [{}]\n}}\n",
        values.join(", ")
    );
    time("100,000-value contains list", &list);
    let terms: Vec<String> = (0..200_000)
        .map(|i| format!("Image endswith \"\\\\ioc{i}.exe\""))
        .collect();
    let flat = format!("{HEADER}{}\n}}\n", terms.join(" or "));
    time("200,000-term flat or", &flat);
}
