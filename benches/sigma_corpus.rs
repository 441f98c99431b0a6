//! Sigma-reading benchmark: read every rule of the public SigmaHQ corpus
//! (`../shared/corpus/sigmahq`, not in the repository) and convert it to KQL (sentinel) and
//! SPL, from the files' text in memory. Prints the median of several rounds: total seconds
//! and µs per rule, and how many rules converted. `benches/side_by_side.sh` times pySigma on
//! the same files.
//!
//! `cargo bench --bench sigma_corpus [-- DIR]`

use std::path::PathBuf;
use std::time::Instant;

use tripline::driver::{collect_sigma_inputs, convert_sigma, Options};

const ROUNDS: usize = 7;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq")
        });
    if !dir.is_dir() {
        eprintln!("SKIPPED: no Sigma corpus at {}", dir.display());
        return;
    }
    let files = collect_sigma_inputs(std::slice::from_ref(&dir))
        .expect("corpus readable")
        .files;
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(p).expect("readable"),
            )
        })
        .collect();
    println!(
        "tripline Sigma corpus benchmark: {} files in {}, median of {ROUNDS} rounds",
        texts.len(),
        dir.display()
    );
    let configs = [("kql", Some("sentinel")), ("spl", None)];
    let opts: Vec<Options> = configs
        .iter()
        .map(|(t, f)| Options::new(t, *f).expect("target"))
        .collect();
    let report = |label: &str, which: &[usize]| {
        let mut times = Vec::new();
        let mut converted = vec![0usize; which.len()];
        for _ in 0..ROUNDS {
            converted.iter_mut().for_each(|c| *c = 0);
            let start = Instant::now();
            for (path, text) in &texts {
                for (k, &i) in which.iter().enumerate() {
                    if let Ok(o) = convert_sigma(path, text, &opts[i]) {
                        converted[k] += 1;
                        std::hint::black_box(o);
                    }
                }
            }
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let secs = times[times.len() / 2];
        let counts: Vec<String> = which
            .iter()
            .zip(&converted)
            .map(|(&i, n)| format!("{} {n}", configs[i].0))
            .collect();
        println!(
            "read + convert to {label:<16} {:>4} files  median {secs:>7.3} s  {:>7.1} µs/file  (converted: {})",
            texts.len(),
            secs * 1e6 / texts.len() as f64,
            counts.join(", ")
        );
    };
    report("kql (sentinel)", &[0]);
    report("spl", &[1]);
    report("kql + spl", &[0, 1]);
}
