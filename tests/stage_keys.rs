//! One rule for what may key a stateful stage (`tripline::ir::stage_key`), followed by the
//! checker, every target and the evaluator: a json field is refused before any target sees
//! it, so no target can compile a key the evaluator ignores.

use tripline::catalog::Catalog;
use tripline::driver::{self, Options};
use tripline::targets;

fn rule(stage: &str) -> String {
    format!(
        "rule r {{\n    title \"T\"\n    id 11111111-1111-4111-8111-111111111141\n    status experimental\n    level low\n    date 2026-01-01\n    description \"d\"\n    source m365.audit\n    match Operation == \"New-InboxRule\"\n    {stage}\n}}\n"
    )
}

#[test]
fn a_json_field_cannot_key_a_stage_on_any_target() {
    for stage in [
        "threshold count > 1 by Parameters window 1h",
        "threshold distinct Parameters > 1 by UserId window 1h",
        "new Parameters baseline 13d window 1h",
    ] {
        let text = rule(stage);
        for t in targets::registry() {
            let flavors: Vec<Option<&str>> = if t.flavors().is_empty() {
                vec![None]
            } else {
                t.flavors().iter().copied().map(Some).collect()
            };
            for fl in flavors {
                let opts = Options::new(t.name(), fl).unwrap();
                let out = driver::compile(&text, &opts);
                assert!(out.outputs.is_empty(), "{} {fl:?}: {stage}", t.name());
                let codes: Vec<String> = out.diagnostics.iter().map(|d| d.code()).collect();
                assert_eq!(
                    codes,
                    ["tripline::check::stage_key"],
                    "{} {fl:?}: {stage}",
                    t.name()
                );
            }
        }
    }
}

#[test]
fn text_fields_still_key_stages() {
    let text = rule("threshold count > 1 by UserId window 1h");
    let prog = driver::Program::from_texts(vec![("r.trip".into(), text)], &|_| {
        Err(std::io::Error::other("no imports"))
    });
    let checked = driver::check_program(&prog, &Catalog::builtin());
    assert!(checked.diagnostics.is_empty());
    assert_eq!(checked.rules.len(), 1);
}
