//! The construct × target matrix in `grammar/README.md` ("What each target refuses") is the
//! one rendered from `targets::registry()`: docs cannot go stale. `TRIPLINE_BLESS=1`
//! rewrites the section.

use std::path::PathBuf;

const BEGIN: &str = "<!-- capabilities: begin -->\n";
const END: &str = "<!-- capabilities: end -->";

#[test]
fn the_reference_shows_what_each_target_refuses() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grammar/README.md");
    let text = std::fs::read_to_string(&path).expect("grammar/README.md");
    let start = text.find(BEGIN).expect("the begin marker") + BEGIN.len();
    let end = start + text[start..].find(END).expect("the end marker");
    let want = tripline::targets::construct::matrix(&tripline::targets::registry());
    if text[start..end] == want {
        return;
    }
    if std::env::var_os("TRIPLINE_BLESS").is_some_and(|v| v == "1") {
        let new = format!("{}{want}{}", &text[..start], &text[end..]);
        std::fs::write(&path, new).expect("grammar/README.md is writable");
        return;
    }
    panic!(
        "grammar/README.md's capability matrix differs from the targets' declarations \
         (rerun with TRIPLINE_BLESS=1 to rewrite it):\n{want}"
    );
}

#[test]
fn every_construct_has_its_own_sub_code() {
    let all = tripline::targets::Construct::ALL;
    let mut codes: Vec<&str> = all.iter().map(|c| c.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    for c in all {
        assert!(
            c.code()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
            "{c:?}"
        );
        let refused_somewhere = tripline::targets::registry()
            .iter()
            .any(|t| t.refusals().contains(&c));
        assert!(refused_somewhere, "{c:?} is refused by no target");
    }
}
