//! The complete examples in the language reference (`grammar/README.md`) and the README's
//! tour parse: the documentation cannot drift from the grammar unnoticed.

fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            match cur.take() {
                Some(b) => out.push(b),
                None => cur = Some(String::new()),
            }
        } else if let Some(b) = cur.as_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    out
}

/// Blocks that are whole rule files (not fragments with `…` placeholders).
fn whole_files(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable");
    blocks(&text)
        .into_iter()
        .filter(|b| {
            let first = b.trim_start();
            ["import ", "rule ", "list ", "condition "]
                .iter()
                .any(|k| first.starts_with(k))
                && !b.contains('…')
                && !b.contains("...")
        })
        .collect()
}

#[test]
fn reference_examples_parse() {
    let examples = whole_files(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/README.md"));
    assert!(
        !examples.is_empty(),
        "the reference has whole-file examples"
    );
    for ex in &examples {
        let (_, errors) = tripline::syntax::parse(ex);
        assert!(
            errors.is_empty(),
            "example does not parse:\n{ex}\n{errors:?}"
        );
    }
}

#[test]
fn reference_example_rule_checks_against_the_catalog() {
    // The first example is the Storm-0558 rule; with its import resolved from rules/lists it
    // must pass the checker too.
    let examples = whole_files(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/README.md"));
    let ex = examples[0].replace(
        "import \"../lists/microsoft_first_party_apps.trip\"",
        "import \"lists/microsoft_first_party_apps.trip\"",
    );
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let prog =
        tripline::driver::Program::from_texts(vec![(root.join("rules/example.trip"), ex)], &|p| {
            std::fs::read_to_string(p)
        });
    let checked = tripline::driver::check_program(&prog, &tripline::catalog::Catalog::builtin());
    let rendered: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| d.render(false))
        .collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    assert_eq!(checked.rules.len(), 1);
}
