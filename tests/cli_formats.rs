//! Diagnostics for machines (`--format json|sarif|github`, `test --junit`) and the CLI's
//! conventions (`-` for stdin, colour, `--quiet`, help, completions, `new`), run on the
//! real binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tripline");
const STORM: &str = "rules/m365/mail_items_accessed_by_unexpected_app.trip";
const CERTUTIL: &str = "rules/windows/process_creation/certutil_download.trip";

fn run(args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(text) = stdin {
        let mut i = child.stdin.take().unwrap();
        i.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tripline(args: &[&str]) -> (i32, String, String) {
    run(args, None, &[])
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("formats_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The line holding the error: non-ASCII text (2-, 3- and 4-byte characters, the last two
/// UTF-16 units) before the unknown field `Imagee`.
const LINE: &str = "    match CommandLine == \"é€😀\" and Imagee == \"x\"";

/// The metadata every rule needs, with `id` a fresh-looking UUID ending in `n`.
fn meta(n: u32) -> String {
    format!(
        "    title \"t\"\n    id 6f1e1f2a-8a4e-4c3b-9a51-00000000000{n}\n    status experimental\n    level low\n    author \"a\"\n    date 2026-12-02\n    description \"d\"\n"
    )
}

/// A rule file with one error (an unknown field after non-ASCII text on its line), and one
/// rule after it.
fn broken(dir: &Path) -> PathBuf {
    let file = dir.join("broken.trip");
    std::fs::write(
        &file,
        format!(
            "rule first {{\n{}    source windows.process_creation\n{LINE}\n}}\n\nrule second {{\n{}    source windows.process_creation\n    match Image endswith \"x.exe\"\n}}\n",
            meta(1),
            meta(2)
        ),
    )
    .unwrap();
    file
}

/// Where `Imagee` starts and ends on [`LINE`]: (char column, UTF-16 column) each.
fn columns() -> ((usize, usize), (usize, usize)) {
    let at = LINE.find("Imagee").unwrap();
    let col = |b: usize| {
        (
            LINE[..b].chars().count() + 1,
            LINE[..b].encode_utf16().count() + 1,
        )
    };
    (col(at), col(at + "Imagee".len()))
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn format_json_puts_one_object_per_diagnostic_on_stdout_with_character_columns() {
    let dir = scratch("json");
    let file = broken(&dir);
    let path = file.to_str().unwrap();
    let (code, out, err) = tripline(&["check", path, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{out}");
    let d = &lines[0];
    let ((c0, u0), (c1, u1)) = columns();
    assert!(
        u0 > c0 && u1 > c1,
        "the line must have characters of two UTF-16 units"
    );
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "tripline::check::unknown_field");
    assert!(d["message"].as_str().unwrap().contains("Imagee"), "{d}");
    assert!(d["help"].as_str().unwrap().contains("Image"), "{d}");
    assert_eq!(d["rule"], "first");
    assert!(d["path"].as_str().unwrap().ends_with("broken.trip"), "{d}");
    assert_eq!(d["start"]["line"], 10);
    assert_eq!(d["start"]["column"], c0);
    assert_eq!(d["end"]["line"], 10);
    assert_eq!(d["end"]["column"], c1);
    assert_eq!(d["line"], 10);
    assert_eq!(d["column"], c0);
    let text = std::fs::read_to_string(&file).unwrap();
    let off = d["start"]["offset"].as_u64().unwrap() as usize;
    assert!(text[off..].starts_with("Imagee"));
    // The summary stays on stderr, and `--quiet` drops it.
    assert!(
        err.contains("2 rules in 1 file: 1 valid, 1 with errors"),
        "{err}"
    );
    assert!(!err.contains('{'), "{err}");
    let (_, out_q, err_q) = tripline(&["check", path, "--format", "json", "-q"]);
    assert_eq!(out_q, out);
    assert_eq!(err_q, "");
    // `--json` is the same JSON, on stderr as it always was.
    let (code, out, err) = tripline(&["check", path, "--json"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(json_lines(err.lines().next().unwrap())[0], lines[0]);
}

#[test]
fn format_sarif_is_one_sarif_2_1_0_log_with_utf16_regions() {
    let dir = scratch("sarif");
    let file = broken(&dir);
    let (code, out, err) = tripline(&["check", file.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let log: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "tripline");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["tripline::check::unknown_field"]);
    assert!(rules[0]["shortDescription"]["text"].is_string());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["ruleId"], "tripline::check::unknown_field");
    assert_eq!(r["ruleIndex"], 0);
    assert_eq!(r["level"], "error");
    let text = r["message"]["text"].as_str().unwrap();
    assert!(text.contains("Imagee") && text.contains("help: "), "{text}");
    let loc = &r["locations"][0]["physicalLocation"];
    let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.ends_with("broken.trip"), "{uri}");
    let ((_, u0), (_, u1)) = columns();
    let region = &loc["region"];
    assert_eq!(region["startLine"], 10);
    assert_eq!(region["startColumn"], u0);
    assert_eq!(region["endLine"], 10);
    assert_eq!(region["endColumn"], u1);
    assert_eq!(r["locations"][0]["logicalLocations"][0]["name"], "first");
    // No diagnostics: still one log, with no results.
    let (code, out, _) = tripline(&["check", CERTUTIL, "--format", "sarif"]);
    assert_eq!(code, 0);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn format_github_writes_escaped_workflow_commands() {
    let dir = scratch("github");
    let file = broken(&dir);
    let path = file.to_str().unwrap();
    let (code, out, _) = tripline(&["check", path, "--format", "github"]);
    assert_eq!(code, 1);
    let ((c0, _), (c1, _)) = columns();
    let want = format!(
        "::error file={path},line=10,col={c0},endLine=10,endColumn={c1},title=tripline%3A%3Acheck%3A%3Aunknown_field::"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with(&want), "{out}\nwant {want}");
    // The help is on the same command, its newline escaped.
    assert!(out.contains("%0Ahelp: "), "{out}");
}

#[test]
fn compile_keeps_stdout_for_queries_and_machine_diagnostics_go_to_stdout_with_out() {
    let dir = scratch("compile");
    let file = broken(&dir);
    let path = file.to_str().unwrap();
    let (code, plain, _) = tripline(&["compile", path, "--target", "kql"]);
    assert_eq!(code, 1);
    assert!(plain.contains("x.exe"), "{plain}");
    // Without --out: the queries keep stdout, the JSON lines go to stderr.
    let (code, out, err) = tripline(&["compile", path, "--target", "kql", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(out, plain);
    assert_eq!(json_lines(&err)[0]["rule"], "first");
    // With --out: stdout has only the diagnostics.
    let outdir = dir.join("out");
    let (code, out, err) = tripline(&[
        "compile",
        path,
        "--target",
        "kql",
        "--out",
        outdir.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, "");
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(outdir.join("second.kql").exists());
    // The default output is unchanged by the new options.
    let (_, again, _) = tripline(&["compile", path, "--target", "kql", "--format", "human"]);
    assert_eq!(again, plain);
}

#[test]
fn convert_sigma_takes_format_and_stdin() {
    let dir = scratch("sigma");
    let yml = "title: Whoami\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\nlevel: low\n";
    let (code, out, err) = run(
        &[
            "convert-sigma",
            "-",
            "--target",
            "kql",
            "--stdin-filename",
            "whoami.yml",
        ],
        Some(yml),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("whoami.exe"), "{out}");
    let file = dir.join("whoami.yml");
    std::fs::write(&file, yml).unwrap();
    let (_, from_file, _) = tripline(&["convert-sigma", file.to_str().unwrap(), "--target", "kql"]);
    assert_eq!(out, from_file);
    // A logsource no catalog source has: a warning, as JSON on stdout with --out.
    let odd = yml.replace("process_creation", "no_such_category");
    let out_dir = dir.join("out");
    let (code, out, err) = run(
        &[
            "convert-sigma",
            "-",
            "--target",
            "kql",
            "--stdin-filename",
            "odd_rule.yml",
            "--format",
            "json",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        Some(&odd),
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let lines = json_lines(&out);
    assert!(!lines.is_empty(), "{out}");
    assert!(
        lines
            .iter()
            .all(|d| d["severity"] == "warning" && d["rule"] == "odd_rule"),
        "{out}"
    );
    assert!(lines.iter().all(|d| d["path"] == "odd_rule.yml"), "{out}");
}

#[test]
fn test_junit_reports_every_case_deterministically() {
    let dir = scratch("junit");
    let rule = "rule r {\n    title \"t\"\n    id 6f1e1f2a-8a4e-4c3b-9a51-000000000003\n    status experimental\n    level low\n    author \"a\"\n    date 2026-12-02\n    description \"d\"\n    source windows.process_creation\n    match Image endswith \"<a&b>.exe\"\n    test \"hit\" expect match { \"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"EventID\": 1, \"Image\": \"C:\\\\<a&b>.exe\" }\n    test \"wrong \\\"quote\\\"\" expect match { \"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"EventID\": 1, \"Image\": \"C:\\\\other.exe\" }\n}\n";
    let file = dir.join("r.trip");
    std::fs::write(&file, rule).unwrap();
    let xml = dir.join("report.xml");
    let args = [
        "test",
        file.to_str().unwrap(),
        "--junit",
        xml.to_str().unwrap(),
    ];
    let (code, out, err) = tripline(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 passed, 1 failed"), "{out}");
    let first = std::fs::read_to_string(&xml).unwrap();
    let _ = tripline(&args);
    assert_eq!(
        std::fs::read_to_string(&xml).unwrap(),
        first,
        "deterministic"
    );
    assert!(first.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tripline\" tests=\"2\" failures=\"1\" errors=\"0\">"), "{first}");
    assert!(
        first.contains(&format!(
            "<testsuite name=\"{}\" tests=\"2\" failures=\"1\"",
            file.display()
        )),
        "{first}"
    );
    assert!(
        first.contains("<testcase classname=\"r\" name=\"hit\""),
        "{first}"
    );
    assert!(
        first.contains("name=\"wrong &quot;quote&quot;\""),
        "{first}"
    );
    assert!(
        first.contains("<failure message=\"expected match, got no match\""),
        "{first}"
    );
    assert!(first.contains("&lt;a&amp;b&gt;.exe"), "{first}");
    assert_eq!(first.matches("<testcase ").count(), 2);
    assert_eq!(first.matches("</testcase>").count(), 1);
    // With a machine format, stdout has the diagnostics only and the report goes to stderr.
    let (_, out, err) = tripline(&["test", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out, "");
    assert!(err.contains("1 passed, 1 failed"), "{err}");
    // --quiet drops the summary line, not the failure.
    let (_, out, _) = tripline(&["test", file.to_str().unwrap(), "-q"]);
    assert!(out.contains("FAIL  r :: wrong"), "{out}");
    assert!(!out.contains("passed"), "{out}");
}

#[test]
fn a_dash_reads_the_rule_from_stdin() {
    let text = std::fs::read_to_string(CERTUTIL).unwrap();
    let (_, from_file, _) = tripline(&["compile", CERTUTIL, "--target", "kql"]);
    let (code, out, err) = run(&["compile", "-", "--target", "kql"], Some(&text), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, from_file);
    // Imports are read relative to --stdin-filename's directory.
    let storm = std::fs::read_to_string(STORM).unwrap();
    let (_, from_file, _) = tripline(&["compile", STORM, "--target", "kql"]);
    let (code, out, err) = run(
        &["compile", "-", "--target", "kql", "--stdin-filename", STORM],
        Some(&storm),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, from_file);
    // Without it the import is not found, and diagnostics name `<stdin>`.
    let (code, _, err) = run(&["check", "-", "--format", "json"], Some(&storm), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("0 valid"), "{err}");
    let (_, out, _) = run(&["check", "-", "--format", "json"], Some(&storm), &[]);
    assert!(
        json_lines(&out).iter().all(|d| d["path"] == "<stdin>"),
        "{out}"
    );
    let (code, out, err) = run(
        &["check", "-", "--stdin-filename", "rules/m365/new.trip"],
        Some(&storm),
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    // And `test -` runs the cases.
    let (code, out, err) = run(&["test", "-"], Some(&text), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("7 passed, 0 failed"), "{out}");
}

fn has_escapes(s: &str) -> bool {
    s.contains("\u{1b}[")
}

#[test]
fn colour_follows_color_and_no_color() {
    let dir = scratch("color");
    let file = broken(&dir);
    let path = file.to_str().unwrap();
    // Not a terminal: plain unless --color always.
    let (_, _, err) = tripline(&["check", path]);
    assert!(!has_escapes(&err), "{err}");
    let (_, _, err) = tripline(&["--color", "always", "check", path]);
    assert!(has_escapes(&err), "{err}");
    let (_, _, err) = tripline(&["check", path, "--color", "never"]);
    assert!(!has_escapes(&err), "{err}");
    // Under a pseudo-terminal (script(1)): colour by default, none with NO_COLOR=1.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no `script` utility, so no pseudo-terminal for the NO_COLOR test");
        return;
    }
    let under_pty = |env: &str| {
        let cmd = format!("env {env} {BIN} check {path}");
        let out = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .output()
            .expect("script runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = under_pty("TRIPLINE_X=1");
    assert!(coloured.contains("unknown_field"), "{coloured}");
    assert!(
        has_escapes(&coloured),
        "a terminal gets colour: {coloured:?}"
    );
    let plain = under_pty("NO_COLOR=1");
    assert!(plain.contains("unknown_field"), "{plain}");
    assert!(!has_escapes(&plain), "NO_COLOR=1: {plain:?}");
    // An empty NO_COLOR does not disable colour.
    assert!(has_escapes(&under_pty("NO_COLOR=")));
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (code, out, _) = tripline(&["--help"]);
    assert_eq!(code, 0);
    for c in ["Exit codes:", "  0  ", "  1  ", "  2  "] {
        assert!(out.contains(c), "{c}: {out}");
    }
    for sub in [
        "compile",
        "convert-sigma",
        "check",
        "test",
        "hunt",
        "sources",
        "events",
        "lsp",
        "new",
        "completions",
    ] {
        let (code, out, _) = tripline(&[sub, "--help"]);
        assert_eq!(code, 0, "{sub}");
        assert!(out.contains("Examples:\n  tripline "), "{sub}: {out}");
        assert!(out.contains("Exit codes:"), "{sub}: {out}");
    }
    let (_, out, _) = tripline(&["check", "--help"]);
    assert!(out.contains("--format <FORMAT>") && out.contains("--stdin-filename"));
    assert!(out.contains("--color") && out.contains("--quiet"));
}

#[test]
fn completions_for_each_shell() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef tripline"),
        ("fish", "complete -c tripline"),
    ] {
        let (code, out, err) = tripline(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(mark), "{shell}: {out}");
        assert!(
            out.contains("convert-sigma") && out.contains("stdin-filename"),
            "{shell}"
        );
    }
    assert_eq!(tripline(&["completions", "tcsh"]).0, 2);
}

#[test]
fn new_writes_a_rule_that_checks_and_passes_its_tests() {
    let dir = scratch("new");
    let d = dir.to_str().unwrap();
    let (code, out, err) = tripline(&[
        "new",
        "my_rule",
        "--source",
        "windows.process_creation",
        "--dir",
        d,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let file = dir.join("my_rule.trip");
    let text = std::fs::read_to_string(&file).unwrap();
    for want in [
        "rule my_rule {",
        "title ",
        "status      experimental",
        "level ",
        "description ",
        "author ",
        "source windows.process_creation",
        "expect match {",
        "expect nomatch {",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    let id = text
        .lines()
        .find(|l| l.trim_start().starts_with("id "))
        .unwrap();
    let id = id.split_whitespace().nth(1).unwrap();
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(id.as_bytes()[14], b'4', "a v4 UUID: {id}");
    let date = text
        .lines()
        .find(|l| l.trim_start().starts_with("date "))
        .unwrap();
    let date = date.split_whitespace().nth(1).unwrap();
    assert_eq!(date.len(), 10);
    assert!(date.starts_with("20"), "{date}");
    let f = file.to_str().unwrap();
    let (code, _, err) = tripline(&["check", f]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = tripline(&["test", f]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");
    // Never over an existing file.
    let (code, _, err) = tripline(&[
        "new",
        "my_rule",
        "--source",
        "windows.process_creation",
        "--dir",
        d,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("tripline::cli::exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // An unknown source: did you mean.
    let (code, _, err) = tripline(&[
        "new",
        "other",
        "--source",
        "windows.proces_creation",
        "--dir",
        d,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("tripline::cli::unknown_source"), "{err}");
    assert!(
        err.contains("did you mean `windows.process_creation`?"),
        "{err}"
    );
    assert!(!dir.join("other.trip").exists());
    // A name that is not an identifier.
    let (code, _, err) = tripline(&[
        "new",
        "my-rule",
        "--source",
        "windows.process_creation",
        "--dir",
        d,
    ]);
    assert_eq!(code, 2, "{err}");
}

/// `new` checks and tests the skeleton before writing it; every built-in source gets one.
#[test]
fn new_works_for_every_builtin_source() {
    let (_, out, _) = tripline(&["sources", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<String> = v
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() >= 100, "{}", names.len());
    let dir = scratch("new_all");
    let mut failed = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let name = format!("r{i}");
        let (code, _, err) =
            tripline(&["new", &name, "--source", n, "--dir", dir.to_str().unwrap()]);
        if code != 0 {
            failed.push(format!("{n}: {err}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} sources:\n{}",
        failed.len(),
        failed.join("\n")
    );
    // Every file written passes `check` and `test` together.
    let (code, out, err) = tripline(&["test", dir.to_str().unwrap(), "-q"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// The spinner of a long run: on a terminal after a second, cleared at the end; never when
/// stderr is not a terminal. The SigmaHQ corpus (`../shared/corpus/sigmahq`) takes a few
/// seconds to convert.
#[test]
fn a_long_run_shows_a_spinner_only_on_a_terminal() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq/rules");
    if !corpus.is_dir() || Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs the SigmaHQ corpus and script(1) for a pseudo-terminal");
        return;
    }
    let dir = scratch("spinner");
    let args = format!(
        "convert-sigma {} --target kql --out {}",
        corpus.display(),
        dir.join("out").display()
    );
    let start = std::time::Instant::now();
    let out = Command::new("script")
        .args(["-qec", &format!("{BIN} {args} > /dev/null"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let long = start.elapsed() > std::time::Duration::from_millis(1500);
    let tty = String::from_utf8_lossy(&out.stdout);
    if long {
        assert!(
            tty.contains("converting Sigma rules"),
            "no spinner in {} bytes",
            tty.len()
        );
        assert!(tty.contains("\u{1b}[2K"), "the spinner is cleared");
    } else {
        eprintln!("SKIPPED: the conversion took under 1.5 s, too short for the spinner");
    }
    let (_, _, err) = tripline(&args.split(' ').collect::<Vec<_>>());
    assert!(!err.contains("converting Sigma rules"));
}
