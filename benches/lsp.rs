//! How long the editor waits on `tripline lsp`, on the library's largest rule file: the
//! server started as a process, the time from an edit and a `didSave` (checked at once, no
//! debounce) to its `publishDiagnostics`, and the round trip of a completion and a hover request.
//! `cargo bench --bench lsp`; prints medians and 95th percentiles, asserts nothing.

#[path = "../tests/support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp_client::{file_uri, Client};
use serde_json::json;

const RUNS: usize = 200;

fn largest_rule() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "trip"))
        .max_by_key(|e| {
            (
                e.metadata().map(|m| m.len()).unwrap_or(0),
                e.path().to_path_buf(),
            )
        })
        .map(|e| e.into_path())
        .expect("rules/ holds .trip files")
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "lsp: {what:<28} median {:6.2} ms   p95 {:6.2} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        times.len()
    );
}

fn main() {
    let path = largest_rule();
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    println!(
        "lsp: {} ({} bytes, {} lines)",
        path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display(),
        text.len(),
        text.lines().count()
    );
    let mut c = Client::start(env!("CARGO_BIN_EXE_tripline"));
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    c.notify("initialized", json!({}));
    let t = Instant::now();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "trip", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics(&uri);
    println!(
        "lsp: first diagnostics (start-up included) {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );

    // An edit, then a save: the save checks the edited text at once (a change alone waits
    // for the debounce, `tripline::lsp::DEBOUNCE`).
    let mut saves = Vec::new();
    for k in 0..RUNS {
        let t = Instant::now();
        c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": k + 2}, "contentChanges": [{"text": format!("{text}\n// {k}\n")}]}));
        c.notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": uri}}),
        );
        let _ = c.diagnostics(&uri);
        saves.push(t.elapsed());
    }
    report("edit + save -> diagnostics", saves);

    let at = text.find("match ").map_or(0, |i| i + 6);
    let line = text[..at].matches('\n').count();
    let col = text[..at]
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .encode_utf16()
        .count();
    let position = json!({"line": line, "character": col});
    // The first field of the match, for hover.
    let field_at = at
        + text[at..]
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(0);
    let field_col = text[..field_at]
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .encode_utf16()
        .count();
    let field = json!({"line": text[..field_at].matches('\n').count(), "character": field_col});
    for (method, what, position) in [
        (
            "textDocument/completion",
            "completion after `match `",
            &position,
        ),
        ("textDocument/hover", "hover on a field", &field),
    ] {
        let mut times = Vec::new();
        for k in 0..RUNS {
            // An edit before each request, as typing does, so no cached load is reused.
            c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": RUNS + k + 2}, "contentChanges": [{"text": format!("{text}\n// {k}\n")}]}));
            let t = Instant::now();
            let answer = c.request(
                method,
                json!({"textDocument": {"uri": uri}, "position": position}),
            );
            assert!(!answer.is_null(), "{method} answered nothing");
            times.push(t.elapsed());
        }
        report(what, times);
    }
    let _ = c.request("shutdown", serde_json::Value::Null);
    c.notify("exit", serde_json::Value::Null);
    let _ = c.child.wait();
}
