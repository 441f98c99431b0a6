//! The SQL writers' shape and refusals. What the queries mean is tested on the engines
//! themselves (tests/conformance: `duckdb`, `spark`, their `-escaping` and `-regex` checks).

use super::regex::{java, re2};
use crate::driver::{compile, Options};
use crate::targets::test_fixtures::SPRAY;

fn rule(source: &str, expr: &str) -> String {
    format!(
        "rule r {{\n    title \"T\"\n    id 5c0e3a51-7f4b-4c0e-9a3d-2b7c1e9f6d41\n    status test\n    \
         level low\n    date 2026-11-28\n    description \"D\"\n    source {source}\n    match {expr}\n}}\n"
    )
}

fn sql(target: &str, text: &str) -> Result<String, Vec<String>> {
    let out = compile(text, &Options::new(target, None).expect("a SQL target"));
    match out.outputs.first() {
        Some(o) if !out.failed() => Ok(o.text.clone()),
        _ => Err(out.diagnostics.iter().map(|d| d.code()).collect()),
    }
}

#[test]
fn one_clause_per_line_with_the_source_recognised_first() {
    let q = sql(
        "duckdb",
        &rule(
            "windows.process_creation",
            r#"Image endswith "\\cmd.exe" and not CommandLine contains "/c""#,
        ),
    )
    .unwrap();
    assert_eq!(
        q,
        "SELECT *\nFROM \"windows_process_creation\"\n\
         WHERE lower(\"Channel\") = 'microsoft-windows-sysmon/operational'\n  \
         AND regexp_matches(\"EventID\", '^-?[0-9]+(?:\\.[0-9]+)?$') AND TRY_CAST(\"EventID\" AS DOUBLE) = 1\n  \
         AND ends_with(lower(\"Image\"), '\\cmd.exe')\n  \
         AND NOT coalesce(contains(lower(\"CommandLine\"), '/c'), FALSE)\n"
    );
}

#[test]
fn threshold_groups_by_key_and_epoch_aligned_window() {
    let q = sql("duckdb", SPRAY).unwrap();
    assert_eq!(
        q,
        "SELECT \"IPAddress\" AS \"IPAddress\", epoch_ms(CAST(floor(epoch_ms(\"CreatedDateTime\") / 3600000) * 3600000 AS BIGINT)) AS \"window_start\", count(DISTINCT \"UserPrincipalName\") AS \"distinct\"\n\
         FROM \"azure_signinlogs\"\n\
         WHERE lower(\"Category\") = 'signinlogs'\n  \
         AND regexp_matches(\"ResultType\", '^-?[0-9]+(?:\\.[0-9]+)?$') AND TRY_CAST(\"ResultType\" AS DOUBLE) = 50126\n  \
         AND \"CreatedDateTime\" IS NOT NULL\n  \
         AND coalesce(\"IPAddress\", '') <> ''\n  \
         AND coalesce(\"UserPrincipalName\", '') <> ''\n\
         GROUP BY \"IPAddress\", epoch_ms(CAST(floor(epoch_ms(\"CreatedDateTime\") / 3600000) * 3600000 AS BIGINT))\n\
         HAVING count(DISTINCT \"UserPrincipalName\") >= 10\n"
    );
}

#[test]
fn ipv6_time_comparisons_and_caseless_non_ascii_are_refused_with_a_code() {
    for t in ["duckdb", "spark"] {
        let first_seen = SPRAY.replace(
            "threshold distinct UserPrincipalName >= 10 by IPAddress window 1h",
            "new AppId baseline 13d window 1d",
        );
        // First-seen: an anti-join of the window against the baseline, before `now`.
        let q = sql(t, &first_seen).unwrap();
        assert!(q.starts_with("WITH m AS (\n"), "{q}");
        assert!(
            q.contains("AND NOT EXISTS (SELECT 1 FROM m AS b WHERE b."),
            "{q}"
        );
        // A comparison of the time field (a TIMESTAMP in the layout) is refused.
        let time = rule("azure.signinlogs", r#"CreatedDateTime startswith "2024""#);
        assert_eq!(
            sql(t, &time).unwrap_err(),
            ["tripline::target::unsupported"]
        );
        let v6 = rule(
            "windows.network_connection",
            r#"DestinationIp in cidr ["fd00::/8"]"#,
        );
        assert_eq!(sql(t, &v6).unwrap_err(), ["tripline::target::unsupported"]);
        let fold = rule("windows.process_creation", r#"Image endswith "Ä.exe""#);
        assert_eq!(
            sql(t, &fold).unwrap_err(),
            ["tripline::target::unsupported"]
        );
        let cased = rule(
            "windows.process_creation",
            r#"Image endswith cased "Ä.exe""#,
        );
        assert!(sql(t, &cased).is_ok());
    }
}

#[test]
fn literals_hold_any_text() {
    let q = |t| {
        sql(
            t,
            &rule("windows.process_creation", r#"Image == cased "a'b\\c$\n""#),
        )
    };
    assert!(q("duckdb")
        .unwrap()
        .contains(r#""Image" = ('a''b\c$' || chr(10))"#));
    assert!(q("spark")
        .unwrap()
        .contains(r#"`Image` = 'a\'b\\c\u0024\u000A'"#));
}

#[test]
fn java_regexes_spell_out_what_java_reads_otherwise() {
    let j = |p: &str, cased: bool| java(p, cased).unwrap();
    // `$` is the end of the value, `.` excludes only `\n`; `(?m)` anchors are newline-only.
    assert_eq!(j("a.$", true), r"a[^\x{A}]\z");
    assert_eq!(j("(?m)^a$", true), r"(?<![^\n])a(?![^\n])");
    assert_eq!(j("(?s).", true), "(?s:.)");
    // Case folding as explicit classes (the language folds `s` with `ſ`).
    assert_eq!(j("s", false), r"[Ss\x{17F}]");
    // `\b` as look-arounds over ASCII word characters; class syntax escaped.
    assert!(j(r"\bx", true).starts_with("(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|"));
    assert_eq!(j(r"[\[&]", true), r"[\&\[]");
    assert_eq!(re2("a$", false).unwrap(), "(?i)a$");
}

#[test]
fn every_source_gets_the_lake_layout_unless_the_catalog_says_otherwise() {
    let cat = crate::targets::with_derived_sections(&crate::catalog::Catalog::builtin());
    for (name, src) in &cat.sources {
        for key in ["duckdb", "spark"] {
            let t = &src.targets[key];
            assert_eq!(t.table.as_deref(), Some(name.replace('.', "_").as_str()));
            assert_eq!(t.recognize, src.recognize.is_some(), "{name}");
            assert_eq!(t.timestamp, src.timestamp, "{name}");
        }
    }
    // A user section names another table; the source's records are still selected first.
    let user =
        "sources:\n  windows.process_creation:\n    targets:\n      duckdb: {table: raw.sysmon}\n";
    let user = crate::driver::load_catalog(Some((user, "user.yml"))).expect("valid");
    let opts = Options::new("duckdb", None).unwrap().with_catalog(user);
    let out = compile(
        &rule("windows.process_creation", r#"Image endswith "\\x.exe""#),
        &opts,
    );
    let q = &out.outputs[0].text;
    assert!(
        q.starts_with("SELECT *\nFROM \"raw\".\"sysmon\"\nWHERE lower(\"Channel\") = "),
        "{q}"
    );
}
