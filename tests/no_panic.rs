//! Bad input gets a diagnostic, never a panic: random edits of the real rule files, and
//! random text, go through every stage and every target (with `--artifact`: every artifact
//! reads back to its query).

use std::path::PathBuf;

use proptest::prelude::*;
use tripline::driver::{compile_program, Options, Program};

fn library() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    tripline::driver::collect_inputs(&[root.join("rules")])
        .expect("rules/")
        .files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("readable"))
        .collect()
}

fn all_targets(text: &str) -> usize {
    let prog = Program::from_texts(
        vec![(PathBuf::from("fuzz.trip"), text.to_string())],
        &|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no imports while fuzzing",
            ))
        },
    );
    let mut n = 0;
    for (t, f) in tripline::targets::query_targets() {
        let opts = Options::new(t, f).expect("target").with_artifact(true);
        let out = compile_program(&prog, &opts);
        for o in &out.outputs {
            // Every artifact reads back to the query it embeds.
            let Some(a) = &o.artifact else { continue };
            match a.extension {
                "yaml" => {
                    let v: serde_json::Value = tripline::yaml::from_str(&a.text).expect("yaml");
                    // A Sentinel rule's query may add artifact-only `| extend` lines for its
                    // entity mappings.
                    let q = v["query"].as_str().expect("query");
                    let extra = q
                        .strip_prefix(o.text.as_str())
                        .expect("the bare query first");
                    assert!(extra.lines().all(|l| l.starts_with("| extend Entity")));
                }
                "json" => {
                    let v: serde_json::Value = serde_json::from_str(&a.text).expect("json");
                    assert_eq!(v["queryCondition"]["queryText"], o.text.as_str());
                }
                _ => {
                    let search = a.text.lines().nth(1).expect("search line");
                    assert!(search.starts_with("search = "));
                }
            }
        }
        for d in &out.diagnostics {
            // Every diagnostic renders, with a code.
            assert!(!d.code().is_empty());
            let _ = d.render(false);
        }
        n += out.outputs.len() + out.diagnostics.len();
    }
    n
}

/// Characters that matter to the grammar, to make edits that reach deep into the parser.
const ALPHABET: &[char] = &[
    '"', '\\', '{', '}', '[', ']', '(', ')', ',', '.', '=', '!', '<', '>', '*', '?', '|', '\n',
    ' ', 'r', '#', '/', 'a', '0', '-', ':', 'é', '\u{0}',
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn edited_rule_files_never_panic(
        file in 0usize..64,
        edits in proptest::collection::vec((0usize..4096, 0usize..6, proptest::sample::select(ALPHABET)), 1..6),
    ) {
        let lib = library();
        let mut text: Vec<char> = lib[file % lib.len()].chars().collect();
        for (at, len, c) in edits {
            let at = at % (text.len() + 1);
            let end = (at + len).min(text.len());
            text.splice(at..end, std::iter::once(c));
        }
        let text: String = text.into_iter().collect();
        all_targets(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        all_targets(&text);
    }
}
