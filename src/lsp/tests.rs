//! The server's answers on every rule file of the library and on half-typed versions of
//! them: no request may panic, whatever the text, and positions stay inside the text.

use std::path::{Path, PathBuf};

use lsp_types::{Position, Uri};

use super::position::LineIndex;
use super::workspace::Workspace;
use super::{compiled, complete, diagnostics, hover, navigate, uri};

/// Every `.trip` file of `rules/` and `tests/`, found as the CLI finds rule files.
fn trip_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = [root.join("rules"), root.join("tests")];
    let inputs = crate::driver::collect_inputs(&dirs).expect("rules/ and tests/");
    inputs
        .files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "trip"))
        .collect()
}

fn open(ws: &mut Workspace, path: &Path, text: &str) -> Uri {
    let u = uri::from_path(path).unwrap();
    ws.open(u.clone(), text.to_string());
    u
}

/// Every request at positions spread over the text (and at its end).
fn ask_everywhere(ws: &Workspace, u: &Uri, text: &str, step: usize) {
    let idx = LineIndex::new(text);
    let mut at = 0;
    while at <= text.len() {
        let p: Position = idx.position(at);
        let _ = complete::complete(ws, u, p);
        if let Some(h) = hover::hover(ws, u, p) {
            let r = h.range.unwrap();
            assert!(idx.offset(r.start) <= idx.offset(r.end));
        }
        let _ = navigate::definition(ws, u, p);
        let _ = navigate::references(ws, u, p, true);
        let _ = navigate::prepare_rename(ws, u, p);
        at += step;
    }
}

#[test]
fn every_library_file_and_its_half_typed_prefixes() {
    let files = trip_files();
    assert!(files.len() > 80, "found only {} .trip files", files.len());
    let mut ws = Workspace::new(None);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let u = open(&mut ws, path, &text);
        let diags = diagnostics::for_document(&ws, &u);
        assert!(diags.contains_key(&u));
        let _ = navigate::symbols(&ws, &u);
        let _ = compiled::lenses(&ws, &u);
        ask_everywhere(&ws, &u, &text, text.len() / 30 + 1);
        // The cursor context alone (cheap) at every fifth byte.
        for at in (0..=text.len())
            .step_by(5)
            .filter(|a| text.is_char_boundary(*a))
        {
            let _ = super::context::at(&text, at);
        }
        // Cut the text at a few points (a rule being typed) and ask again.
        for cut in [text.len() / 3, text.len() / 2, text.len() * 4 / 5] {
            let mut cut = cut;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let u = open(&mut ws, path, &text[..cut]);
            let _ = diagnostics::for_document(&ws, &u);
            ask_everywhere(&ws, &u, &text[..cut], cut / 8 + 1);
        }
        ws.close(&uri::from_path(path).unwrap());
    }
}

#[test]
fn the_compiled_view_shows_every_query_target_or_its_refusal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("rules/m365/mail_items_accessed_by_unexpected_app.trip");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut ws = Workspace::new(None);
    let u = open(&mut ws, &path, &text);
    let md = compiled::markdown(&ws, &u, None);
    let headings = md.lines().filter(|l| l.starts_with("## ")).count();
    assert_eq!(headings, crate::targets::query_targets().len(), "{md}");
    assert!(md.contains("OfficeActivity"), "{md}");
}
