//! The layout on small inputs, the library and test files (idempotent, same IR, same
//! comments), the library's own formatting, and generated rules (`generated_rules_*`).

use std::path::{Path, PathBuf};

use super::format;
use crate::catalog::Catalog;
use crate::driver::{self, Program};

/// The formatted text, which must format to itself.
fn fmt(text: &str) -> String {
    let out = format(text).unwrap_or_else(|e| panic!("{text}\ndoes not parse: {e:?}"));
    let again = format(&out).unwrap_or_else(|e| panic!("{out}\nno longer parses: {e:?}"));
    assert_eq!(again, out, "not idempotent; first pass:\n{out}");
    out
}

/// The tokens (a comma before `]` left out) and the comments of a text, in order.
fn signature(text: &str) -> (Vec<String>, Vec<String>) {
    let (_, toks) = super::format_with_tokens(text).expect("parses");
    signature_of(&toks)
}

fn signature_of(toks: &super::tokens::Tokens) -> (Vec<String>, Vec<String>) {
    let ts: Vec<&super::tokens::Tok> = toks.values().collect();
    let mut words = Vec::new();
    let mut comments = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        comments.extend(t.lead.iter().map(|c| c.text.clone()));
        comments.extend(t.trail.clone());
        let before_close = ts.get(i + 1).is_some_and(|n| n.text == "]");
        if !(t.text.is_empty() || t.text == "," && before_close) {
            words.push(t.text.clone());
        }
    }
    (words, comments)
}

/// What the checker makes of a file: every rule's IR and every diagnostic code, spans left
/// out (they move). Imports are read from disk.
fn meaning(path: &Path, text: &str) -> (Vec<String>, Vec<String>) {
    let prog = Program::from_texts(vec![(path.to_path_buf(), text.to_string())], &|p| {
        std::fs::read_to_string(p)
    });
    let checked = driver::check_program(&prog, &Catalog::builtin_shared());
    let rules = checked
        .rules
        .iter()
        .map(|(_, r)| crate::ir::without_spans(r).to_string())
        .collect();
    let codes = checked
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code(), d.error))
        .collect();
    (rules, codes)
}

/// Format `text` and check everything the formatter promises about it.
fn check_file(path: &Path, text: &str) -> String {
    let out = fmt(text);
    assert_eq!(
        signature(text),
        signature(&out),
        "{}: tokens or comments differ",
        path.display()
    );
    assert_eq!(
        meaning(path, text),
        meaning(path, &out),
        "{}: meaning differs",
        path.display()
    );
    assert!(
        out.ends_with('\n') && !out.ends_with("\n\n"),
        "{}",
        path.display()
    );
    for line in out.lines() {
        assert_eq!(line, line.trim_end(), "{}: trailing blanks", path.display());
    }
    out
}

fn trip_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let inputs = crate::driver::collect_inputs(&[root]).expect("the directory");
    inputs
        .files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "trip"))
        .collect()
}

// ------------------------------------------------------------------ layout on small inputs

const HEAD: &str =
    "rule r {\n    title       \"T\"\n    id          7f86d937-60d0-4384-91f9-458693d73a2e\n";

#[test]
fn metadata_is_aligned_and_entries_are_one_per_line() {
    let text = "rule r { title \"T\" id 7f86d937-60d0-4384-91f9-458693d73a2e\nfalsepositives \"a\",\"b\" source windows.process_creation match Image endswith \"x\" }";
    assert_eq!(
        fmt(text),
        "rule r {\n    title       \"T\"\n    id          7f86d937-60d0-4384-91f9-458693d73a2e\n    falsepositives \"a\", \"b\"\n    source windows.process_creation\n    match Image endswith \"x\"\n}\n"
    );
}

#[test]
fn long_metadata_values_continue_under_the_first() {
    let refs: Vec<String> = (0..4)
        .map(|i| format!("\"https://example.com/{}/{i}\"", "a".repeat(30)))
        .collect();
    let text = format!("rule r {{ references {} }}", refs.join(", "));
    let out = fmt(&text);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1], format!("    references  {},", refs[0]));
    for (i, r) in refs.iter().enumerate().skip(1) {
        let comma = if i == 3 { "" } else { "," };
        assert_eq!(lines[i + 1], format!("{}{r}{comma}", " ".repeat(16)));
    }
    // Short values share a line.
    let tags = "rule r { tags attack.execution,attack.t1059 }";
    assert!(fmt(tags).contains("    tags        attack.execution, attack.t1059\n"));
}

#[test]
fn blank_lines_between_entries_are_kept_once_and_never_at_the_ends() {
    let text =
        "rule r {\n\n\n    title \"T\"\n\n\n\n    source m365.audit\n    match A exists\n\n}\n";
    assert_eq!(
        fmt(text),
        "rule r {\n    title       \"T\"\n\n    source m365.audit\n    match A exists\n}\n"
    );
}

#[test]
fn top_level_items_are_separated_by_one_blank_line() {
    let text = "import \"a.trip\"\nimport \"b.trip\"\ncondition a = X exists\ncondition b = Y exists\n\n\n\nlist l = [1,2]\nrule r {}\nrule s {}";
    // One-line items of a kind keep the source's grouping; other items get one blank line.
    assert_eq!(
        fmt(text),
        "import \"a.trip\"\nimport \"b.trip\"\n\ncondition a = X exists\ncondition b = Y exists\n\nlist l = [1, 2]\n\nrule r {\n}\n\nrule s {\n}\n"
    );
    let text = "condition a = X exists\n\ncondition b =\n    Y exists\n    or Z exists\ncondition c = Y exists";
    assert_eq!(
        fmt(text),
        "condition a = X exists\n\ncondition b =\n    Y exists\n    or Z exists\n\ncondition c = Y exists\n"
    );
}

#[test]
fn comments_stay_before_and_after_their_items_and_entries() {
    let text = "// file header\n\n// about a\ncondition a = X exists // trailing a\n// about r\nrule r { // on the brace\n  // about title\n  title \"T\" // trailing title\n  source m365.audit\n\n  // about match\n  match a\n  // before the brace\n}\n// at the end\n";
    assert_eq!(
        fmt(text),
        "// file header\n\n// about a\ncondition a = X exists  // trailing a\n\n// about r\nrule r {  // on the brace\n    // about title\n    title       \"T\"  // trailing title\n    source m365.audit\n\n    // about match\n    match a\n    // before the brace\n}\n// at the end\n"
    );
}

#[test]
fn comments_inside_expressions_and_lists_are_kept_in_order() {
    let text = "condition c = A == \"x\" // one\n and // two\n B in [\"p\", // three\n \"q\" // four\n ] and not ( // five\n C exists)\n";
    let out = fmt(text);
    assert_eq!(
        signature(text).1,
        ["// one", "// two", "// three", "// four", "// five"]
    );
    assert_eq!(signature(text), signature(&out));
    assert_eq!(
        out,
        "condition c =\n    A == \"x\"  // one\n    and  // two\n    B in [\n        \"p\",   // three\n        \"q\",   // four\n    ]\n    and not (  // five\n    C exists)\n"
    );
}

#[test]
fn long_matches_break_before_and_or_with_brackets_as_written() {
    let text = format!(
        "{HEAD}    source windows.process_creation\n    match (Image endswith \"\\\\{a}.exe\" or OriginalFileName == \"{a}.exe\") and (CommandLine contains \"{b}\" or (CommandLine contains \"{b}\" and not ParentImage endswith \"x\")) or ((Image exists))\n}}\n",
        a = "a".repeat(30),
        b = "b".repeat(30)
    );
    let out = fmt(&text);
    let expected = format!(
        "    match (Image endswith \"\\\\{a}.exe\"\n           or OriginalFileName == \"{a}.exe\")\n      and (CommandLine contains \"{b}\"\n           or (CommandLine contains \"{b}\"\n               and not ParentImage endswith \"x\"))\n       or ((Image exists))\n}}\n",
        a = "a".repeat(30),
        b = "b".repeat(30)
    );
    assert!(out.contains(&expected), "{out}");
    // A short match written on one line stays on it, redundant brackets included; one
    // written over several lines stays one operand per line.
    let short = format!("{HEAD}    match  ((A exists))   and B exists\n}}\n");
    assert!(fmt(&short).contains("    match ((A exists)) and B exists\n"));
    let short = format!("{HEAD}    match  ((A exists))\n and B exists\n}}\n");
    assert!(fmt(&short).contains("    match ((A exists))\n      and B exists\n"));
}

#[test]
fn long_lists_are_one_value_per_line() {
    let values: Vec<String> = (0..12).map(|i| format!("\"value-number-{i}\"")).collect();
    let text = format!("list l = [{}]\n", values.join(","));
    let out = fmt(&text);
    let expected = format!(
        "list l = [\n{}]\n",
        values
            .iter()
            .map(|v| format!("    {v},\n"))
            .collect::<String>()
    );
    assert_eq!(out, expected);
    // A trailing comma goes when the list fits on one line.
    assert_eq!(fmt("list l: number = [1, 2,]"), "list l: number = [1, 2]\n");
    // In a match, the values are indented four columns from the operand.
    let text = format!(
        "{HEAD}    match X == \"y\" and CommandLine contains any [{}]\n}}\n",
        values.join(", ")
    );
    let out = fmt(&text);
    assert!(
        out.contains("      and CommandLine contains any [\n              \"value-number-0\",\n"),
        "{out}"
    );
    assert!(
        out.contains("              \"value-number-11\",\n          ]\n}\n"),
        "{out}"
    );
}

#[test]
fn strings_numbers_and_json_are_written_as_spelled() {
    let text = "rule r {\n source windows.process_creation\n match Image == r\"C:\\x\" or Image == r#\"a\"b\"# or Image == \"\\u{41}\\t\\\\\" or Image == \"\"\"\n      multi\n      line   \n      \"\"\" or ProcessId == -7.50\n test \"t\"   expect   match {  \"Image\" :  \"a\",\n      \"ProcessId\": 1.0   \n }\n test \"s\" at \"2024-01-01T00:00:00Z\" expect alerts [ {\"a\": 1} ] events [\n  {\"b\": 2}\n]\n}\n";
    let out = fmt(text);
    for piece in [
        "r\"C:\\x\"",
        "r#\"a\"b\"#",
        "\"\\u{41}\\t\\\\\"",
        "\"\"\"\n      multi\n      line\n      \"\"\"",
        "-7.50",
        "    test \"t\" expect match {  \"Image\" :  \"a\",\n      \"ProcessId\": 1.0\n }\n",
        "    test \"s\" at \"2024-01-01T00:00:00Z\" expect alerts [ {\"a\": 1} ] events [\n  {\"b\": 2}\n]\n",
    ] {
        assert!(out.contains(piece), "{piece:?} not in\n{out}");
    }
}

#[test]
fn stateful_stages_are_one_line_each() {
    let text = "rule a { source m365.audit match A exists threshold   distinct  B >= 10 by C ,D window 1h }\nrule b { source m365.audit match A exists new  B,C baseline 14d window 1h }\nrule c { source m365.audit match A exists sequence by K within 30m [ s1 , s2, ] }\n";
    let out = fmt(text);
    assert!(
        out.contains("\n    threshold distinct B >= 10 by C, D window 1h\n"),
        "{out}"
    );
    assert!(
        out.contains("\n    new B, C baseline 14d window 1h\n"),
        "{out}"
    );
    assert!(
        out.contains("\n    sequence by K within 30m [s1, s2]\n"),
        "{out}"
    );
}

#[test]
fn related_entries_and_test_files() {
    let text = "rule r { related derived   42127bdd-9133-474f-a6f1-97b6c08a4339 , similar\t42127bdd-9133-474f-a6f1-97b6c08a4330 tests \"x.jsonl\" }";
    assert_eq!(
        fmt(text),
        "rule r {\n    related     derived 42127bdd-9133-474f-a6f1-97b6c08a4339,\n                similar 42127bdd-9133-474f-a6f1-97b6c08a4330\n    tests \"x.jsonl\"\n}\n"
    );
}

#[test]
fn a_file_that_does_not_parse_is_refused() {
    assert!(format("rule r { match }").is_err());
    assert!(format("rule r { title \"\\q\" }").is_err());
    assert!(format("rule r { test \"t\" expect match {\"a\": } }").is_err());
    assert_eq!(fmt(""), "\n");
    assert_eq!(
        fmt("// only\n\n\n// comments   \n"),
        "// only\n\n// comments\n"
    );
}

// ------------------------------------------------------------------ the library and tests/

#[test]
fn library_and_test_files_keep_their_meaning_and_format_to_themselves() {
    let mut n = 0;
    for dir in ["rules", "tests"] {
        for p in trip_files(dir) {
            let text = std::fs::read_to_string(&p).expect("readable");
            if format(&text).is_err() {
                assert!(
                    p.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")),
                    "{}",
                    p.display()
                );
                continue;
            }
            check_file(&p, &text);
            n += 1;
        }
    }
    assert!(n >= 90, "only {n} files");
}

#[test]
fn the_library_is_formatted() {
    let unformatted: Vec<String> = trip_files("rules")
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).expect("readable");
            format(&text).map_or(true, |f| f != text)
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        unformatted.is_empty(),
        "not in the canonical layout (run `tripline fmt rules/`):\n{}",
        unformatted.join("\n")
    );
}

// ------------------------------------------------------------------ generated rules

mod generated {
    use std::cell::Cell;
    use std::path::Path;

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::{meaning, signature_of};
    use crate::fmt::format_with_tokens;

    type Toks = Vec<String>;

    fn word() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "cmd",
            "powershell.exe",
            "x",
            "Temp",
            "a b",
            "evil",
            "a-quite-long-value-that-makes-lines-longer-than-usual",
        ])
    }

    /// A string literal in one of its spellings.
    fn string_lit() -> impl Strategy<Value = String> {
        (word(), 0..6u8).prop_map(|(w, form)| match form {
            0 | 1 => format!("\"{w}\""),
            2 => format!("r\"{w}\\\""),
            3 => format!("r#\"{w}\"\"#"),
            4 => format!("\"\"\"\n        {w}\n    \"\"\""),
            _ => format!("\"{w}\\t\\\\\""),
        })
    }

    /// A string that is also a portable regex.
    fn regex_lit() -> impl Strategy<Value = String> {
        (word(), any::<bool>()).prop_map(|(w, raw)| {
            if raw {
                format!("r\"{w}\"")
            } else {
                format!("\"{w}\"")
            }
        })
    }

    fn field() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "Image",
            "CommandLine",
            "ParentImage",
            "OriginalFileName",
            "User",
        ])
    }

    fn t(words: &[&str]) -> Toks {
        words.iter().map(|w| w.to_string()).collect()
    }

    /// `[a, b]` with an optional trailing comma.
    fn list_of(items: Vec<String>, trailing: bool) -> Toks {
        let mut out = vec!["[".to_string()];
        for (i, x) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(",".into());
            }
            out.push(x);
        }
        if trailing {
            out.push(",".into());
        }
        out.push("]".into());
        out
    }

    /// One comparison (or a condition name when `refs`).
    fn leaf(refs: bool) -> impl Strategy<Value = Toks> {
        let strs = prop::collection::vec(string_lit(), 1..4);
        (
            field(),
            string_lit(),
            strs,
            regex_lit(),
            0..16u8,
            any::<bool>(),
            1..3usize,
        )
            .prop_map(move |(f, s, many, re, kind, flag, n)| {
                let f = f.to_string();
                let mut out = vec![f.clone()];
                match kind {
                    0 => out.extend(t(&["==", &s])),
                    1 => out.extend(t(&["!=", &s])),
                    2 => out.extend(t(&["contains", &s])),
                    3 => out.extend(t(&["startswith", "cased", &s])),
                    4 => {
                        out.extend(t(&["endswith", "any"]));
                        out.extend(list_of(many, flag));
                    }
                    5 => {
                        out.extend(t(if flag {
                            &["in"][..]
                        } else {
                            &["not", "in"][..]
                        }));
                        out.extend(list_of(many, !flag));
                    }
                    6 => out.push("exists".into()),
                    7 => out.push("missing".into()),
                    8 => out.extend(t(&["like", "\"*x*\""])),
                    9 => out.extend(t(&["matches", &re])),
                    10 => out = t(&["ProcessId", if flag { ">" } else { "<=" }, "-5.50"]),
                    11 => {
                        out = t(&["ProcessId", "in"]);
                        out.extend(list_of(vec!["1".into(), "20".into()], flag));
                    }
                    12 => out = t(&["keyword", &s]),
                    13 => out.extend(t(&["in", "names"])),
                    14 if refs => out = t(&[if n == 1 { "c1" } else { "c2" }]),
                    _ => out.extend(t(&["==", "ParentImage"])),
                }
                out
            })
    }

    fn expr(refs: bool) -> impl Strategy<Value = Toks> {
        leaf(refs).prop_recursive(4, 32, 3, |inner| {
            prop_oneof![
                3 => (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(mut a, b, and)| {
                    a.push(if and { "and" } else { "or" }.into());
                    a.extend(b);
                    a
                }),
                1 => inner.clone().prop_map(|a| {
                    let mut out = vec!["not".to_string()];
                    out.extend(a);
                    out
                }),
                2 => inner.prop_map(|a| {
                    let mut out = vec!["(".to_string()];
                    out.extend(a);
                    out.push(")".into());
                    out
                }),
            ]
        })
    }

    /// A whole file: a list, two conditions and a rule with metadata, a stage and tests.
    fn file() -> impl Strategy<Value = Toks> {
        (
            expr(false),
            expr(false),
            expr(true),
            prop::collection::vec(string_lit(), 1..4),
            0..5u8,
            any::<bool>(),
            (word(), prop::sample::select(vec!["low", "medium", "high"])),
        )
            .prop_map(|(c1, c2, m, names, stage, optional, (title, level))| {
                let mut out = Vec::new();
                out.extend(t(&["list", "names", "="]));
                out.extend(list_of(names, optional));
                out.extend(t(&["condition", "c1", "="]));
                out.extend(c1);
                out.extend(t(&["condition", "c2", "="]));
                out.extend(c2);
                let title = format!("\"{title}\"");
                out.extend(t(&["rule", "generated", "{", "title", &title]));
                out.extend(t(&[
                    "id",
                    "7f86d937-60d0-4384-91f9-458693d73a2e",
                    "status",
                    "experimental",
                ]));
                out.extend(t(&[
                    "level",
                    level,
                    "date",
                    "2026-01-01",
                    "author",
                    "\"a\"",
                    ",",
                    "\"b\"",
                ]));
                if optional {
                    out.extend(t(&["tags", "attack.execution", ",", "attack.t1059.001"]));
                    out.extend(t(&["falsepositives", "\"admins\"", "description"]));
                    out.push("\"\"\"\n        Some text.\n          Indented.\n    \"\"\"".into());
                } else {
                    out.extend(t(&["description", "\"Plain text.\""]));
                }
                out.extend(t(&["source", "windows.process_creation", "match"]));
                out.extend(m);
                let stream = [
                    "test",
                    "\"s\"",
                    "expect",
                    "alerts",
                    "[]",
                    "events",
                    "[ {\"Image\": \"x\"} ]",
                ];
                match stage {
                    0 => out.extend(t(&[
                        "threshold",
                        "count",
                        ">=",
                        "5",
                        "by",
                        "Image",
                        ",",
                        "User",
                        "window",
                        "1h",
                    ])),
                    1 => out.extend(t(&[
                        "threshold",
                        "distinct",
                        "User",
                        ">",
                        "2",
                        "window",
                        "90m",
                    ])),
                    2 => out.extend(t(&[
                        "new", "Image", ",", "User", "baseline", "14d", "window", "1h",
                    ])),
                    3 => out.extend(t(&[
                        "sequence", "by", "User", "within", "30m", "[", "c1", ",", "c2", "]",
                    ])),
                    _ => {}
                }
                if stage < 4 {
                    out.extend(t(&stream));
                } else {
                    out.extend(t(&[
                        "test",
                        "\"t\"",
                        "expect",
                        "match",
                        "{ \"Image\":\n  \"x\" }",
                    ]));
                }
                out.push("}".into());
                out
            })
    }

    /// The tokens with blanks, line breaks and comments between them, chosen by `seed`.
    fn text(toks: &[String], mut seed: u64) -> String {
        const SEPS: [&str; 12] = [
            " ",
            " ",
            " ",
            " ",
            "\n",
            "\n    ",
            "  ",
            "\n\n",
            "\t",
            " // c\n",
            "\n// c\n",
            "\n\n  // c\n\n",
        ];
        let mut out = String::new();
        let mut k = 0;
        for (i, tok) in toks.iter().enumerate() {
            if i > 0 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let sep = SEPS[((seed >> 33) % SEPS.len() as u64) as usize];
                if sep.contains("// c") {
                    k += 1;
                    out.push_str(&sep.replace("// c", &format!("// c{k}")));
                } else {
                    out.push_str(sep);
                }
            }
            out.push_str(tok);
        }
        out
    }

    #[test]
    fn generated_rules_keep_their_meaning_and_format_to_themselves() {
        let cases = std::env::var("FMT_CASES").map_or(10_500, |n| n.parse().expect("a number"));
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let checked = Cell::new(0u32);
        let path = Path::new("generated.trip");
        let started = std::time::Instant::now();
        runner
            .run(&(file(), any::<u64>()), |(toks, seed)| {
                let text = text(&toks, seed);
                let Ok((out, before)) = format_with_tokens(&text) else {
                    return Ok(());
                };
                let (again, after) = format_with_tokens(&out).expect("the output parses");
                prop_assert_eq!(&again, &out, "input:\n{}", text);
                prop_assert_eq!(
                    signature_of(&before),
                    signature_of(&after),
                    "input:\n{}\noutput:\n{}",
                    text,
                    out
                );
                let before = meaning(path, &text);
                prop_assert_eq!(
                    &before,
                    &meaning(path, &out),
                    "input:\n{}\noutput:\n{}",
                    text,
                    out
                );
                if !before.0.is_empty() {
                    checked.set(checked.get() + 1);
                } else if std::env::var_os("FMT_SHOW").is_some() {
                    eprintln!("{text}\n{:?}", before.1);
                }
                Ok(())
            })
            .unwrap();
        println!(
            "fmt: {} of {cases} generated files checked, in {:?}",
            checked.get(),
            started.elapsed()
        );
        assert!(
            checked.get() * 6 >= cases * 5,
            "only {} of {cases} checked",
            checked.get()
        );
        assert!(cases < 10_500 || checked.get() >= 10_000);
    }
}
