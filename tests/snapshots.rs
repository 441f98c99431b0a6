//! One snapshot per (rule, target, flavour), from one glob over `rules/`, stored in the
//! top-level `snapshots/` directory. Every rule must compile to every target.

use std::path::PathBuf;

use tripline::driver::{compile_paths, Options};

/// Refusals that say the catalog has no exact way to query a source or field on a target:
/// justified by the catalog's own reason, snapshotted like an output.
const UNAVAILABLE: &[&str] = &[
    "tripline::mapping::unavailable_source",
    "tripline::mapping::unavailable_field",
];

/// Rules that a target must refuse, with the code: the refusal itself is snapshotted.
const EXPECTED_REFUSALS: &[(&str, &str, &str)] = &[
    (
        "mail_items_accessed_by_new_app",
        "sigma",
        "tripline::target::unsupported",
    ),
    // The SQL targets test IPv4 networks only.
    ("inbound_rdp_from_public_ip", "duckdb", UNSUPPORTED),
    ("outbound_uncommon_port_public_ip", "duckdb", UNSUPPORTED),
    (
        "script_interpreter_outbound_connection",
        "duckdb",
        UNSUPPORTED,
    ),
    ("inbound_rdp_from_public_ip", "spark", UNSUPPORTED),
    ("outbound_uncommon_port_public_ip", "spark", UNSUPPORTED),
    (
        "script_interpreter_outbound_connection",
        "spark",
        UNSUPPORTED,
    ),
];

const UNSUPPORTED: &str = "tripline::target::unsupported";

fn snapshot_name(rule: &str, target: &str, flavor: Option<&str>) -> String {
    match flavor {
        Some(f) => format!("{rule}.{target}-{f}"),
        None => format!("{rule}.{target}"),
    }
}

#[test]
fn every_rule_compiles_to_every_target() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let _guard = settings.bind_to_scope();
    let mut failures = Vec::new();
    let mut warnings: std::collections::BTreeMap<String, String> = Default::default();
    let mut count = 0;
    let targets = tripline::targets::query_targets();
    for (target, flavor) in &targets {
        let opts = Options::new(target, *flavor).expect("known target");
        // Relative paths, so that snapshots do not depend on where the checkout lives.
        std::env::set_current_dir(&root).expect("crate root");
        let compiled = compile_paths(&[PathBuf::from("rules")], &opts).expect("rules/ is readable");
        for d in &compiled.diagnostics {
            let rendered = d.render(false);
            // Rule files are named after their rule (tests/rules_library.rs checks it).
            let stem = d
                .path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".trip");
            let expected = EXPECTED_REFUSALS
                .iter()
                .find(|(rule, t, code)| *t == *target && d.code() == *code && stem == *rule);
            if let Some((rule, _, _)) = expected {
                // All of a rule's refusals together.
                warnings
                    .entry(snapshot_name(rule, target, *flavor) + ".refused")
                    .or_default()
                    .push_str(&rendered);
                count += 1;
            } else if UNAVAILABLE.contains(&d.code().as_str()) {
                // All of a rule's unavailability refusals together, like its warnings.
                warnings
                    .entry(snapshot_name(stem, target, *flavor) + ".unavailable")
                    .or_default()
                    .push_str(&rendered);
                count += 1;
            } else if d.is_error() {
                failures.push(format!("{target} {flavor:?}:\n{rendered}"));
            } else {
                // Warnings are part of what a reviewer must see: snapshot them too, all of a
                // rule's warnings together.
                warnings
                    .entry(snapshot_name(stem, target, *flavor) + ".warning")
                    .or_default()
                    .push_str(&rendered);
            }
        }
        for (name, text) in std::mem::take(&mut warnings) {
            insta::assert_snapshot!(name, text);
        }
        for o in &compiled.outputs {
            count += 1;
            insta::with_settings!({ info => &o.path }, {
                insta::assert_snapshot!(snapshot_name(&o.rule, target, *flavor), &o.text);
            });
        }
    }
    assert!(
        failures.is_empty(),
        "rules that did not compile:\n{}",
        failures.join("\n")
    );
    assert!(
        count >= 12 * targets.len(),
        "expected at least 12 rules per target, got {count}"
    );
}
