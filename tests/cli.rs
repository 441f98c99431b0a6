//! The command-line surface, run as a user or pipeline would: outputs, files and exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tripline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const STORM: &str = "rules/m365/mail_items_accessed_by_unexpected_app.trip";

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn compiles_the_storm_rule_to_kql() {
    let (code, out, err) = tripline(&["compile", STORM, "--target", "kql"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OfficeActivity\n"), "{out}");
    assert!(out.contains("MailItemsAccessed"), "{out}");
}

#[test]
fn every_target_accepts_the_storm_rule() {
    for args in [
        vec!["--target", "kql", "--flavor", "defender"],
        vec!["--target", "spl"],
        vec!["--target", "sigma"],
    ] {
        let mut a = vec!["compile", STORM];
        a.extend(args.iter().copied());
        let (code, out, err) = tripline(&a);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty());
    }
}

#[test]
fn a_broken_rule_does_not_stop_the_others() {
    let dir = scratch("broken_and_good");
    let good = std::fs::read_to_string(STORM).unwrap();
    // The storm rule imports a list relative to its file.
    std::fs::create_dir_all(dir.join("m365")).unwrap();
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    std::fs::copy(
        "rules/lists/microsoft_first_party_apps.trip",
        dir.join("lists/microsoft_first_party_apps.trip"),
    )
    .unwrap();
    std::fs::write(dir.join("m365/good.trip"), good).unwrap();
    std::fs::write(
        dir.join("m365/bad.trip"),
        "rule bad {\n  title \"x\"\n  source m365.audit\n  match Nope == \"x\"\n}\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let (code, _, err) = tripline(&[
        "compile",
        dir.to_str().unwrap(),
        "--target",
        "spl",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("tripline::check::unknown_field"), "{err}");
    let written = out_dir.join("mail_items_accessed_by_unexpected_app.spl");
    assert!(written.exists(), "the good rule is still written");
    assert!(!out_dir.join("bad.spl").exists());
}

#[test]
fn out_writes_one_file_per_rule() {
    let dir = scratch("out_sigma");
    let (code, out, err) = tripline(&[
        "compile",
        "rules/windows",
        "--target",
        "sigma",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.contains(&"lsass_memory_access.yml".to_string()),
        "{names:?}"
    );
    assert!(names.iter().all(|n| n.ends_with(".yml")));
}

#[test]
fn artifact_writes_deployable_files() {
    let names = |dir: &Path| -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    let dir = scratch("artifact_sentinel");
    let (code, out, err) = tripline(&[
        "compile",
        "rules/azure",
        "--target",
        "kql",
        "--artifact",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let files = names(&dir);
    assert!(files.contains(&"password_spray_from_single_address.yaml".to_string()));
    assert!(files.iter().all(|n| n.ends_with(".yaml")), "{files:?}");

    // Defender: stateful rules are refused (exit 1), the others are written.
    let dir = scratch("artifact_defender");
    let (code, _, err) = tripline(&[
        "compile",
        "rules/azure",
        "--target",
        "kql",
        "--flavor",
        "defender",
        "--artifact",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("tripline::target::unsupported"), "{err}");
    assert!(err.contains("a Defender custom detection for a stateful rule"));
    let files = names(&dir);
    assert!(files.contains(&"signin_offensive_tool_user_agent.json".to_string()));
    assert!(!files.contains(&"password_spray_from_single_address.json".to_string()));

    // SPL to stdout: stanzas.
    let (code, out, err) = tripline(&["compile", STORM, "--target", "spl", "--artifact"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(
            "[tripline - Mail Items Accessed By Unexpected Application - Rule]\nsearch = "
        ),
        "{out}"
    );
    assert!(out.contains("\naction.notable.param.severity = high\n"));

    // Sigma: the rule is its own artifact.
    let (code, plain, _) = tripline(&["compile", STORM, "--target", "sigma"]);
    assert_eq!(code, 0);
    let (code, out, _) = tripline(&["compile", STORM, "--target", "sigma", "--artifact"]);
    assert_eq!(code, 0);
    assert_eq!(out, plain);
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(tripline(&["compile", STORM, "--target", "eql"]).0, 2);
    assert_eq!(
        tripline(&["compile", STORM, "--target", "kql", "--flavor", "nope"]).0,
        2
    );
    assert_eq!(
        tripline(&["compile", "does/not/exist.trip", "--target", "kql"]).0,
        2
    );
    assert_eq!(tripline(&["compile"]).0, 2);
}

#[test]
fn check_reports_every_error_with_codes_as_json() {
    let (code, _, err) = tripline(&["check", "tests/invalid/bad_metadata.trip", "--json"]);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(lines.len() >= 6, "{err}");
    for l in &lines {
        assert!(l["code"].as_str().unwrap().starts_with("tripline::"));
        assert!(l["line"].as_u64().unwrap() > 0);
    }
    let (code, _, _) = tripline(&["check", STORM]);
    assert_eq!(code, 0);
}

#[test]
fn hunt_finds_the_storm_events() {
    let (code, out, err) = tripline(&[
        "hunt",
        STORM,
        "--events",
        "rules/m365/storm-0558-events.jsonl",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<u64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    // The verdicts given with the sample events.
    let text = std::fs::read_to_string("rules/m365/storm-0558-events.jsonl").unwrap();
    let expected: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("\"_expect\": true"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(lines, expected);
    assert_eq!(expected, vec![1, 5]);
}

#[test]
fn test_command_ends_with_a_summary_and_fails_on_failure() {
    let (code, out, err) = tripline(&["test", "rules"]);
    assert_eq!(code, 0, "{out}{err}");
    let last = out.lines().last().unwrap();
    assert!(
        last.ends_with(" failed") && last.contains(" passed, 0 failed"),
        "{last}"
    );

    let dir = scratch("failing_test");
    std::fs::write(
        dir.join("r.trip"),
        r#"rule r {
    title "A rule whose test is wrong"
    id 6f3b1a2e-9c4d-4e5f-8a7b-1c2d3e4f5a6b
    status test
    level low
    date 2024-01-01
    description "Detects Send."
    source m365.audit
    match Operation == "Send"
    test "wrong on purpose" expect match {"RecordType": 2, "Workload": "Exchange", "Operation": "Receive"}
}
"#,
    )
    .unwrap();
    let (code, out, _) = tripline(&["test", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("FAIL  r :: wrong on purpose"), "{out}");
    assert!(out.contains("Operation is \"Receive\""), "{out}");
    assert!(out.trim_end().ends_with("0 passed, 1 failed"), "{out}");
}

#[test]
fn the_shared_storm_sample_gives_its_verdicts() {
    // The reference copy under ../shared is the authority; rules/m365 carries a copy.
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/storm-0558-events.jsonl");
    if !shared.exists() {
        eprintln!(
            "SKIPPED LOUDLY: {} is absent; cannot compare with the shared sample",
            shared.display()
        );
        return;
    }
    let a = std::fs::read_to_string(&shared).unwrap();
    let b = std::fs::read_to_string("rules/m365/storm-0558-events.jsonl").unwrap();
    assert_eq!(
        a, b,
        "rules/m365/storm-0558-events.jsonl must equal the shared sample"
    );
}

#[test]
fn sources_lists_the_catalog() {
    let (code, out, _) = tripline(&["sources"]);
    assert_eq!(code, 0);
    for s in [
        "m365.audit",
        "azure.signinlogs",
        "azure.auditlogs",
        "windows.process_creation",
        "windows.network_connection",
        "windows.process_access",
    ] {
        assert!(out.contains(s), "{s}");
    }
    assert!(out.contains("AppId"));
}

#[test]
fn convert_sigma_exit_codes() {
    let dir = scratch("convert_sigma");
    let good = "title: Good\nid: 5a1e6c8b-1111-4222-8333-944445555666\nstatus: test\nlevel: low\n\
                description: Detects x.\ndate: 2024-01-01\nlogsource:\n    product: windows\n    \
                category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\cmd.exe'\n    \
                condition: sel\n";
    std::fs::write(dir.join("good.yml"), good).expect("write");
    let (code, out, err) = tripline(&[
        "convert-sigma",
        dir.join("good.yml").to_str().unwrap(),
        "--target",
        "kql",
    ]);
    assert_eq!(code, 0, "{err}");
    // The logsource names a catalog source: the rule lands on its real table.
    assert!(
        out.contains("// rule: good\nWindowsEvent\n| where Channel =~ \"Microsoft-Windows-Sysmon/Operational\"\n| where EventID == 1\n| where tostring(EventData.Image) endswith"),
        "{out}"
    );
    // A field the source does not have is a coded error with did-you-mean.
    let typo = good.replace("Image|endswith", "Imagge|endswith");
    std::fs::write(dir.join("typo.yml"), &typo).expect("write");
    let (code, _, err) = tripline(&[
        "convert-sigma",
        dir.join("typo.yml").to_str().unwrap(),
        "--target",
        "kql",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("tripline::sigma_in::unknown_field") && err.contains("did you mean `Image`?"),
        "{err}"
    );
    std::fs::remove_file(dir.join("typo.yml")).unwrap();
    // A logsource no catalog source has: placeholder tables and a coded warning; --strict
    // makes it an error.
    let other = good.replace("product: windows", "product: nowhere");
    std::fs::write(dir.join("other.yml"), &other).expect("write");
    let (code, out, err) = tripline(&[
        "convert-sigma",
        dir.join("other.yml").to_str().unwrap(),
        "--target",
        "kql",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("SigmaEvents\n| where Image endswith"), "{out}");
    assert!(
        err.contains("tripline::sigma_in::unmapped_logsource"),
        "{err}"
    );
    let (code, _, err) = tripline(&[
        "convert-sigma",
        dir.join("other.yml").to_str().unwrap(),
        "--target",
        "kql",
        "--strict",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("tripline::sigma_in::unmapped_logsource_strict"),
        "{err}"
    );
    std::fs::remove_file(dir.join("other.yml")).unwrap();
    let bad = good.replace("Image|endswith", "Image|minute");
    std::fs::write(dir.join("bad.yaml"), bad).expect("write");
    let (code, out, err) = tripline(&["convert-sigma", dir.to_str().unwrap(), "--target", "spl"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("tripline::sigma_in::unsupported_modifier"),
        "{err}"
    );
    assert!(out.contains("rule: good"), "{out}");
    let (code, _, _) = tripline(&["convert-sigma", "no/such/dir", "--target", "spl"]);
    assert_eq!(code, 2);
    let (code, _, _) = tripline(&["convert-sigma", dir.to_str().unwrap(), "--target", "nope"]);
    assert_eq!(code, 2);
}

/// Runs the binary with stdout's reader already gone; the exit status (None when ended by
/// a signal) and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("it ends");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    for args in [
        vec!["sources"],
        vec!["compile", "rules", "--target", "kql"],
        vec!["compile", "rules", "--target", "sigma"],
        vec!["test", "rules", "-v"],
        vec!["--help"],
    ] {
        let normal = tripline(&args).0;
        let (code, err) = with_closed_stdout(&args);
        // Ended by SIGPIPE, or the exit code the command gives with a reader.
        assert!(
            code.is_none() || code == Some(normal),
            "{args:?}: exit {code:?}\n{err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn unreadable_and_undecodable_files_are_diagnostics_and_the_rest_compile() {
    let dir = scratch("bad_files");
    let lib = dir.join("lib");
    std::fs::create_dir_all(lib.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("elsewhere")).unwrap();
    std::fs::copy(
        "rules/windows/process_creation/certutil_download.trip",
        lib.join("certutil_download.trip"),
    )
    .unwrap();
    std::fs::copy(
        "rules/windows/process_creation/shadow_copy_deletion.trip",
        dir.join("elsewhere/shadow_copy_deletion.trip"),
    )
    .unwrap();
    std::fs::write(
        lib.join("bad_utf8.trip"),
        b"rule x {\n  title \"\xff bad\"\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/no/such/file.trip", lib.join("dangling.trip")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", lib.join("linked")).unwrap();
    std::os::unix::fs::symlink("..", lib.join("sub/loop")).unwrap();
    let out = dir.join("out");
    let (code, _, err) = tripline(&[
        "compile",
        lib.to_str().unwrap(),
        "--target",
        "kql",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1, "{err}");
    for c in [
        "tripline::load::not_utf8",
        "tripline::load::unreadable",
        "tripline::load::link_loop",
    ] {
        assert!(err.contains(c), "{c} missing:\n{err}");
    }
    assert!(err.contains("invalid byte at offset 18"), "{err}");
    assert!(err.contains("dangling.trip"), "{err}");
    // The readable rules were compiled and written, the symlinked directory followed.
    assert!(out.join("certutil_download.kql").exists());
    assert!(out.join("shadow_copy_deletion.kql").exists());
}

#[test]
fn summaries_count_rules_and_every_cli_error_is_coded() {
    const SYSMON1: &str = "\"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"EventID\": 1";
    let dir = scratch("summaries");
    let file = dir.join("mixed.trip");
    let rule = |name: &str, id: &str, field: &str| {
        format!(
            "rule {name} {{\n    title \"T\"\n    id {id}\n    status experimental\n    level low\n    date 2026-01-01\n    description \"d\"\n    source windows.process_creation\n    match {field} contains \"x\"\n    test \"hit\" expect match {{ {SYSMON1}, \"CommandLine\": \"x\" }}\n    test \"wrong\" expect match {{ {SYSMON1}, \"CommandLine\": \"y\" }}\n}}\n"
        )
    };
    let text = rule(
        "good",
        "11111111-1111-4111-8111-111111111121",
        "CommandLine",
    ) + &rule("bad", "11111111-1111-4111-8111-111111111122", "Nope");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let (code, _, err) = tripline(&["check", f]);
    assert_eq!(code, 1);
    assert!(
        err.contains("2 rules in 1 file: 1 valid, 1 with errors; 1 error, 0 warnings"),
        "{err}"
    );
    let (code, out, _) = tripline(&["test", f]);
    assert_eq!(code, 1);
    assert!(
        out.ends_with("1 passed, 1 failed; 1 rule not tested (errors reported above)\n"),
        "{out}"
    );
    // The CLI's own errors carry codes too.
    let blocker = dir.join("a_file");
    std::fs::write(&blocker, "x").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "compile".into(),
                STORM.into(),
                "--target".into(),
                "kql".into(),
                "--out".into(),
                blocker.join("sub").to_string_lossy().into_owned(),
            ],
            "tripline::cli::out_dir",
        ),
        (
            vec!["sources".into(), "--catalog".into(), "/no/such.yml".into()],
            "tripline::cli::catalog_unreadable",
        ),
        (
            vec![
                "hunt".into(),
                STORM.into(),
                "--events".into(),
                "/no/such.jsonl".into(),
            ],
            "tripline::hunt::input_unreadable",
        ),
        (vec!["compile".into()], "tripline::cli::usage"),
    ];
    for (args, want) in cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = tripline(&a);
        assert_eq!(code, 2, "{a:?}");
        assert!(err.contains(want), "{a:?}: {err}");
    }
}

#[test]
fn a_diagnostic_on_a_huge_line_prints_a_window_of_it() {
    let dir = scratch("huge_line");
    let file = dir.join("huge.trip");
    let long = "x".repeat(5_000_000);
    std::fs::write(
        &file,
        format!("rule r {{\n    title \"T\"\n    id 11111111-1111-4111-8111-111111111131\n    status experimental\n    level low\n    date 2026-01-01\n    description \"d\"\n    source windows.process_creation\n    match CommandLine contains \"{long}\" and Nope == \"x\"\n}}\n"),
    )
    .unwrap();
    let (code, _, err) = tripline(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("tripline::check::unknown_field"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(err.len() < 4_000, "{} bytes of diagnostics", err.len());
    assert!(err.contains("…"));
}

/// A JSON error inside a test event is located by serde_json in bytes, which can fall inside
/// a multi-byte character (here right after `\u`): the diagnostic labels the whole character
/// and its line and column are reported, where the JSON report used to panic (found by the
/// compile fuzz target).
#[test]
fn a_json_error_inside_a_multibyte_character_is_reported() {
    let dir = scratch("json_mid_char");
    let file = dir.join("r.trip");
    std::fs::write(
        &file,
        "rule r {\n    source windows.process_creation\n    match Image contains \"a\"\n    test \"x\" expect match {\n        \"\\u\u{e9}\u{e9}\": \"a\"\n    }\n}\n",
    )
    .unwrap();
    for json in [true, false] {
        let mut args = vec!["check", file.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        let (code, _, err) = tripline(&args);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("tripline::syntax::bad_json"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        if json {
            let line = err
                .lines()
                .find(|l| l.contains("bad_json"))
                .expect("a bad_json line");
            assert!(line.contains("\"line\":5"), "{line}");
        }
    }
}

/// `hunt` over EVTX-exported JSON (the shape of SigmaHQ's regression data) routes events by
/// source: a Sysmon event 1 and an event 10 with the same TargetImage, and only the event 10
/// is a `windows.process_access` record, as the Sentinel query (EventID == 10) and the SPL
/// search (EventCode=10) have it.
#[test]
fn hunt_over_evtx_json_gives_each_rule_only_its_sources_events() {
    let dir = scratch("hunt_evtx");
    let event = |id: u32, record: u32| {
        format!(
            r##"{{
  "Event": {{
    "#attributes": {{"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"}},
    "System": {{
      "Provider": {{"#attributes": {{"Name": "Microsoft-Windows-Sysmon", "Guid": "5770385F-C22A-43E0-BF4C-06F5698FFBD9"}}}},
      "EventID": {id}, "Version": 3, "Level": 4, "EventRecordID": {record},
      "TimeCreated": {{"#attributes": {{"SystemTime": "2026-06-03T08:15:31.402000Z"}}}},
      "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "WS0142.contoso.example"
    }},
    "EventData": {{
      "UtcTime": "2026-06-03 08:15:31.402", "SourceImage": "C:\\Users\\j.doe\\mimikatz.exe",
      "Image": "C:\\Users\\j.doe\\mimikatz.exe", "CommandLine": "mimikatz.exe sekurlsa::logonpasswords",
      "TargetImage": "C:\\Windows\\system32\\lsass.exe", "GrantedAccess": "0x1010"
    }}
  }}
}}
"##
        )
    };
    // Two objects one after the other, as evtx_dump writes them.
    let events = dir.join("events.json");
    std::fs::write(&events, event(1, 100) + &event(10, 101)).unwrap();
    let (code, out, err) = tripline(&[
        "hunt",
        "rules/windows/process_access/lsass_memory_access.trip",
        "--events",
        events.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let hits: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(hits.len(), 1, "{out}");
    assert_eq!(hits[0]["rule"], "lsass_memory_access");
    assert_eq!(hits[0]["event"]["Event"]["System"]["EventID"], 10);
    // The same events as a JSON array read the same.
    let array = format!("[{},{}]", event(1, 100), event(10, 101));
    std::fs::write(&events, array).unwrap();
    let (_, out, _) = tripline(&[
        "hunt",
        "rules/windows/process_access/lsass_memory_access.trip",
        "--events",
        events.to_str().unwrap(),
    ]);
    assert_eq!(out.lines().count(), 1, "{out}");
}

#[test]
fn sources_describe_every_mapping_as_text_and_json() {
    let (code, out, err) = tripline(&["sources", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let sources = v.as_array().expect("a list");
    assert!(sources.len() >= 32, "{}", sources.len());
    let pa = sources
        .iter()
        .find(|s| s["name"] == "windows.process_access")
        .expect("process_access");
    assert!(pa["recognize"].as_str().unwrap().contains("EventID == 10"));
    let call = pa["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "CallTrace")
        .unwrap();
    assert!(
        call["targets"]["kql.defender"]["unavailable"].is_string(),
        "{call}"
    );
    let (code, out, _) = tripline(&[
        "sources",
        "windows.process_access",
        "--target",
        "kql",
        "--flavor",
        "defender",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("kql.defender: DeviceEvents"), "{out}");
    assert!(
        out.contains("unavailable: Defender for Endpoint does not record the call stack"),
        "{out}"
    );
    assert!(!out.contains("kql.sentinel"), "{out}");
    let (code, _, err) = tripline(&["sources", "windows.proces_access"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean `windows.process_access`?"),
        "{err}"
    );
}

/// Sigma rules are first-class inputs: `check`, `compile`, `test` and `hunt` take a library
/// that mixes `.trip` and Sigma files, read against the same catalog.
#[test]
fn a_mixed_library_of_trip_and_sigma_rules() {
    let dir = scratch("mixed_library");
    std::fs::copy(
        "rules/windows/process_creation/certutil_download.trip",
        dir.join("certutil_download.trip"),
    )
    .unwrap();
    std::fs::write(
        dir.join("whoami_run.yml"),
        "title: Whoami Run\nid: 0b8a9a6e-3c1d-4f55-9a0e-6b1d3c2e4f70\nstatus: test\nlevel: low\n\
         description: Detects whoami.\ndate: 2026-12-01\nlogsource:\n    product: windows\n    \
         category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\whoami.exe'\n    \
         condition: sel\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let (code, _, err) = tripline(&["check", d]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 rules in 2 files: 2 valid"), "{err}");
    let (code, out, err) = tripline(&["compile", d, "--target", "kql"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("// rule: whoami_run\nWindowsEvent\n"), "{out}");
    assert!(
        out.contains("// rule: certutil_download\nWindowsEvent\n"),
        "{out}"
    );
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        "{\"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"EventID\": 1, \"Image\": \"C:\\\\Windows\\\\System32\\\\whoami.exe\"}\n\
         {\"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"EventID\": 10, \"Image\": \"C:\\\\Windows\\\\System32\\\\whoami.exe\"}\n",
    )
    .unwrap();
    let (code, out, err) = tripline(&["hunt", d, "--events", events.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("\"rule\":\"whoami_run\"") && out.contains("\"line\":1"),
        "{out}"
    );
}
