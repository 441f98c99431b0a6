use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::{open, read, BadRecord, InputError, Inputs};

/// What a run of inputs gave: the records (file, position, line text) with blank lines
/// skipped as the engine skips them, the bad records (file, bad), and the errors.
#[derive(Debug, Default)]
struct Read {
    records: Vec<(String, u64, String)>,
    bad: Vec<(String, BadRecord)>,
    errors: Vec<InputError>,
    blocks: usize,
}

fn gather(inputs: Inputs) -> Read {
    let mut out = Read::default();
    for item in inputs {
        match item {
            Err(e) => out.errors.push(e),
            Ok(block) => {
                out.blocks += 1;
                assert!(
                    block.text.is_empty() || block.text.ends_with('\n'),
                    "a block ends at a line end"
                );
                for (i, line) in block.text.lines().enumerate() {
                    if !line.trim().is_empty() {
                        out.records.push((
                            block.file.to_string(),
                            block.numbers.at(i),
                            line.into(),
                        ));
                    }
                }
                for b in block.bad {
                    out.bad.push((block.file.to_string(), b));
                }
            }
        }
    }
    out
}

fn from_bytes(bytes: &[u8], block_bytes: usize) -> Read {
    gather(read("<test>", Cursor::new(bytes.to_vec()), block_bytes))
}

/// (position, line) of the records.
fn lines(r: &Read) -> Vec<(u64, &str)> {
    r.records.iter().map(|(_, n, l)| (*n, l.as_str())).collect()
}

fn bad(r: &Read) -> Vec<(u64, &'static str)> {
    r.bad.iter().map(|(_, b)| (b.at, b.code)).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn json_lines_keep_real_line_numbers_and_bad_lines() {
    let text = b"{\"a\":1}\n\n  \nnot json\n{\"a\":2}\r\n{\"a\":3}";
    let r = from_bytes(text, 1 << 20);
    assert_eq!(
        lines(&r),
        vec![
            (1, "{\"a\":1}"),
            (4, "not json"),
            (5, "{\"a\":2}"),
            (6, "{\"a\":3}")
        ]
    );
    assert!(r.bad.is_empty() && r.errors.is_empty());
    assert_eq!(r.records[0].0, "<test>");
}

#[test]
fn json_lines_may_start_with_blank_lines_and_a_bom() {
    let r = from_bytes(b"\xef\xbb\xbf\n\n{\"a\":1}\n{\"a\":2}\n", 1 << 20);
    assert_eq!(lines(&r), vec![(3, "{\"a\":1}"), (4, "{\"a\":2}")]);
}

#[test]
fn json_lines_not_utf8_is_a_bad_record_and_numbers_stay_right() {
    let r = from_bytes(b"{\"a\":1}\n{\"a\":\"\xff\"}\n{\"a\":3}\n", 1 << 20);
    assert_eq!(lines(&r), vec![(1, "{\"a\":1}"), (3, "{\"a\":3}")]);
    assert_eq!(bad(&r), vec![(2, "not_utf8")]);
}

#[test]
fn gzip_json_lines_are_decompressed_then_told() {
    let plain = b"{\"a\":1}\n\n{\"a\":2}\n";
    let r = from_bytes(&gzip(plain), 1 << 20);
    assert_eq!(lines(&r), vec![(1, "{\"a\":1}"), (3, "{\"a\":2}")]);
    assert!(r.errors.is_empty());
    // Several gzip members one after another are one stream.
    let mut two = gzip(b"{\"a\":1}\n");
    two.extend(gzip(b"{\"a\":2}\n"));
    let r = from_bytes(&two, 1 << 20);
    assert_eq!(lines(&r), vec![(1, "{\"a\":1}"), (2, "{\"a\":2}")]);
}

#[test]
fn a_json_array_gives_its_objects_at_the_line_it_starts_on() {
    let r = from_bytes(b"\n[\n{\"a\": 1},\n{\"a\": 2}, 3\n]\n", 1 << 20);
    assert_eq!(lines(&r), vec![(2, "{\"a\":1}"), (2, "{\"a\":2}")]);
    assert_eq!(bad(&r), vec![(2, "not_object")]);
}

#[test]
fn a_cloudtrail_file_on_one_line_gives_its_records() {
    let r = from_bytes(
        b"{\"Records\":[{\"eventName\":\"x\"},{\"eventName\":\"y\"}]}\n",
        1 << 20,
    );
    assert_eq!(
        lines(&r),
        vec![(1, "{\"eventName\":\"x\"}"), (1, "{\"eventName\":\"y\"}")]
    );
}

#[test]
fn pretty_objects_are_compacted_one_per_line() {
    let text = b"{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n{\n  \"a\": 2\n}\n42\nnope\n";
    let r = from_bytes(text, 1 << 20);
    assert_eq!(
        lines(&r),
        vec![(1, "{\"a\":1,\"b\":[1,2]}"), (5, "{\"a\":2}")]
    );
    assert_eq!(bad(&r), vec![(8, "not_object"), (9, "not_json")]);
}

#[test]
fn a_document_in_tiny_blocks_gives_the_same_records() {
    let text = b"[{\"a\":1},{\"a\":2},{\"a\":3}]\n{\n\"a\":4}\n7\n";
    let big = from_bytes(text, 1 << 20);
    let small = from_bytes(text, 1);
    assert_eq!(lines(&big), lines(&small));
    assert_eq!(bad(&big), bad(&small));
    assert_eq!(small.blocks, 4);
}

#[test]
fn a_document_not_utf8_reports_the_line_and_reads_the_rest() {
    let r = from_bytes(b"{\n\"a\":1\n}\n\xff\xfe\n{\"a\":\n2}\n", 1 << 20);
    assert_eq!(lines(&r), vec![(1, "{\"a\":1}"), (5, "{\"a\":2}")]);
    assert_eq!(bad(&r), vec![(4, "not_utf8")]);
}

#[test]
fn empty_and_blank_inputs_give_one_empty_block() {
    for text in [&b""[..], b"\n\n  \n"] {
        let r = from_bytes(text, 1 << 20);
        assert_eq!(
            (r.blocks, r.records.len(), r.bad.len(), r.errors.len()),
            (1, 0, 0, 0)
        );
    }
}

#[test]
fn a_truncated_gzip_gives_the_lines_before_and_a_gzip_error() {
    let lines_in: String = (0..2000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
    let full = gzip(lines_in.as_bytes());
    let cut = &full[..full.len() / 2];
    let r = from_bytes(cut, 1 << 10);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(matches!(r.errors[0], InputError::Gzip { .. }));
    // Whatever was read is the start of the input, numbered right.
    for (i, (_, n, line)) in r.records.iter().enumerate() {
        assert_eq!(
            (*n, line.as_str()),
            (i as u64 + 1, format!("{{\"n\":{i}}}").as_str())
        );
    }
    // A gzip header and nothing else.
    let r = from_bytes(&full[..4], 1 << 10);
    assert!(matches!(r.errors[..], [InputError::Gzip { .. }]));
}

#[test]
fn garbage_after_the_evtx_magic_is_an_error_or_bad_records() {
    let mut bytes = b"ElfFile\0".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    for len in [8, 100, 4096, 4096 + 70_000, bytes.len()] {
        let r = from_bytes(&bytes[..len], 1 << 20);
        assert!(r.records.is_empty(), "{len}: {:?}", r.records);
        assert!(
            !r.bad.is_empty() || !r.errors.is_empty(),
            "{len}: nothing said"
        );
        for e in &r.errors {
            assert!(matches!(e, InputError::Evtx { .. }), "{e:?}");
        }
    }
}

#[test]
fn a_truncated_or_damaged_evtx_log_is_never_silent_nor_a_panic() {
    let Some(evtx) = corpus_evtx().into_iter().next() else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: no .evtx file under ../shared/corpus/sigmahq-regression: the truncated EVTX test did not run"
        );
        return;
    };
    let bytes = std::fs::read(evtx).unwrap();
    let whole = from_bytes(&bytes, 1 << 20);
    assert!(!whole.records.is_empty() && whole.bad.is_empty() && whole.errors.is_empty());
    for len in [
        0,
        7,
        8,
        600,
        4096,
        4096 + 600,
        4096 + 65536 - 1,
        bytes.len() - 1,
    ] {
        let len = len.min(bytes.len());
        let r = from_bytes(&bytes[..len], 1 << 20);
        // Cut short after its magic (before, it is only text), a log is never silent.
        assert!(
            len < 8 || !r.bad.is_empty() || !r.errors.is_empty(),
            "{len}: nothing said"
        );
        for (_, b) in r.bad.iter().filter(|_| len >= 8) {
            assert!(b.code.starts_with("evtx_"), "{b:?}");
        }
        // And damaged in the middle of its first chunk.
        let mut damaged = bytes.clone();
        for b in damaged.iter_mut().skip(4096 + 512).take(len.min(3000)) {
            *b = !*b;
        }
        let _ = from_bytes(&damaged, 1 << 20);
    }
}

fn corpus_evtx() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigmahq-regression");
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .collect();
    found.truncate(3);
    found
}

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tripline-hunt-input-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn directories_are_walked_in_name_order_and_broken_inputs_do_not_stop_the_rest() {
    let dir = scratch("walk");
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("z.log"), "{\"f\":\"z\"}\n").unwrap();
    std::fs::write(dir.join("b/2.jsonl"), "{\"f\":\"b2\"}\n").unwrap();
    std::fs::write(dir.join("b/1.NDJSON"), "{\"f\":\"b1\"}\n").unwrap();
    std::fs::write(dir.join("a.json"), "[{\"f\":\"a\"}]").unwrap();
    std::fs::write(dir.join("c.txt"), "{\"f\":\"skipped\"}\n").unwrap();
    std::fs::write(dir.join("d.gz"), gzip(b"{\"f\":\"d\"}\n")).unwrap();
    std::fs::write(dir.join("e.json"), gzip(b"not gzip by name")).unwrap();
    let named_txt = dir.join("c.txt");
    let missing = dir.join("missing.jsonl");
    let r = gather(open(&[dir.clone(), missing.clone(), named_txt.clone()], 4));
    let got: Vec<(String, &str)> = r
        .records
        .iter()
        .map(|(f, _, l)| {
            let rel = Path::new(f).strip_prefix(&dir).unwrap();
            (rel.display().to_string(), l.as_str())
        })
        .collect();
    let b1 = Path::new("b").join("1.NDJSON").display().to_string();
    let b2 = Path::new("b").join("2.jsonl").display().to_string();
    assert_eq!(
        got,
        vec![
            ("a.json".to_string(), "{\"f\":\"a\"}"),
            (b1, "{\"f\":\"b1\"}"),
            (b2, "{\"f\":\"b2\"}"),
            ("d.gz".into(), "{\"f\":\"d\"}"),
            ("z.log".into(), "{\"f\":\"z\"}"),
            ("c.txt".into(), "{\"f\":\"skipped\"}"),
        ]
    );
    // e.json is gzip by content (content wins over the name) and holds no JSON object.
    assert_eq!(r.bad.len(), 1);
    assert!(r.bad[0].0.ends_with("e.json") && r.bad[0].1.code == "not_json");
    assert_eq!(r.errors.len(), 1);
    assert!(
        matches!(&r.errors[0], InputError::Unreadable { file, .. } if **file == *missing.display().to_string())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inputs_can_be_read_on_another_thread() {
    fn send<T: Send>(_: &T) {}
    send(&open(&[], 1));
}

#[test]
fn errors_are_coded_diagnostics() {
    use miette::Diagnostic;
    let r = gather(open(&[PathBuf::from("/nonexistent/tripline/x.jsonl")], 1));
    let e = &r.errors[0];
    assert_eq!(
        e.code().unwrap().to_string(),
        "tripline::hunt::input_unreadable"
    );
    assert!(e.help().is_some());
    assert_eq!(e.file(), "/nonexistent/tripline/x.jsonl");
}

/// A line written as a JSON object with a byte that is not UTF-8 in it.
const NOT_UTF8: &str = "<not utf-8>";

/// One line of a JSON Lines test input.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| format!("{{\"n\":{n}}}")),
        "[a-z ]{0,40}".prop_map(|s| format!("{{\"s\":\"{s}\"}}")),
        Just(String::new()),
        Just("   ".to_string()),
        Just("not json".to_string()),
        Just("{\"cut\":".to_string()),
        Just(NOT_UTF8.to_string()),
        (0usize..300).prop_map(|n| format!("{{\"long\":\"{}\"}}", "x".repeat(n))),
    ]
}

proptest! {
    #[test]
    fn block_size_never_changes_the_records(
        lines_in in proptest::collection::vec(line(), 1..60),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        small in 0usize..80,
    ) {
        // The first line is an object, so the input is JSON Lines.
        let mut text = String::from("{\"first\":true}");
        for l in &lines_in {
            text.push_str(if crlf { "\r\n" } else { "\n" });
            text.push_str(l);
        }
        if final_newline {
            text.push('\n');
        }
        let bytes = text
            .split('\n')
            .map(|l| match l.trim_end_matches('\r') == NOT_UTF8 {
                true => b"{\"x\":\"\xff\"}".to_vec(),
                false => l.as_bytes().to_vec(),
            })
            .collect::<Vec<_>>()
            .join(&b'\n');
        let big = from_bytes(&bytes, usize::MAX);
        let tiny = from_bytes(&bytes, small);
        prop_assert_eq!(big.blocks, 1);
        prop_assert_eq!(lines(&big), lines(&tiny));
        prop_assert_eq!(bad(&big), bad(&tiny));
        let numbered = || text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
        let expected: Vec<(u64, &str)> = numbered()
            .filter(|(_, l)| !l.trim().is_empty() && *l != NOT_UTF8)
            .collect();
        let expected_bad: Vec<(u64, &str)> = numbered()
            .filter(|(_, l)| *l == NOT_UTF8)
            .map(|(i, _)| (i, "not_utf8"))
            .collect();
        prop_assert_eq!(bad(&big), expected_bad);
        prop_assert_eq!(lines(&big), expected);
    }

    #[test]
    fn no_bytes_make_the_reader_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        prefix in prop_oneof![Just(&b""[..]), Just(&b"\x1f\x8b"[..]), Just(&b"ElfFile\0"[..]), Just(&b"{\"a\":1}\n"[..]), Just(&b"["[..])],
        block in 0usize..64,
    ) {
        let mut input = prefix.to_vec();
        input.extend(bytes);
        let _ = from_bytes(&input, block);
        let _ = from_bytes(&gzip(&input), block);
    }
}
