//! Stage 1: text → AST. [`parse`] is the entry point.
//!
//! pest recognises the grammar in `grammar/tripline.pest`; `build` turns its pairs into the
//! AST, one function per grammar rule. When a file does not parse, the parser re-parses each
//! top-level item on its own so that every broken item is reported, not just the first.

pub mod ast;
mod build;

use miette::SourceSpan;
use pest::Parser as _;

use crate::ir::Span;

/// Words that cannot name a field, list or condition: the grammar's `reserved` rule, read
/// from `grammar/tripline.pest` itself (so a new operator's word is reserved in one place).
pub fn reserved() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let g = include_str!("../../grammar/tripline.pest");
        let start = g
            .find("\nreserved = _{")
            .expect("the grammar has a reserved rule");
        let body = &g[start..start + g[start..].find('}').expect("the rule ends")];
        body.split('"').skip(1).step_by(2).collect()
    })
}

/// Whether `s` is an identifier that can name a list or condition: letters, digits and
/// `_`, not starting with a digit, and not a reserved word.
pub fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !reserved().contains(&s)
}

/// The pest parser generated from `grammar/tripline.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/tripline.pest"]
pub struct TriplineParser;

/// A syntax error.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum SyntaxError {
    /// The text does not follow the grammar.
    #[error("syntax error: {message}")]
    #[diagnostic(code(tripline::syntax::unexpected))]
    Unexpected {
        /// What the parser expected.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// Short label.
        label: String,
        /// A hint.
        #[help]
        help: Option<String>,
    },
    /// Brackets or `not`s nested deeper than the parser allows.
    #[error("nested more than {limit} levels deep")]
    #[diagnostic(
        code(tripline::syntax::too_deep),
        help("split the expression into named conditions")
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the limit is passed.
        #[label("level {limit} + 1 starts here")]
        span: SourceSpan,
    },
    /// A test event that is not valid JSON.
    #[error("test event is not valid JSON: {message}")]
    #[diagnostic(
        code(tripline::syntax::bad_json),
        help(
            "a test event is a JSON object: keys and strings in double quotes, no trailing commas"
        )
    )]
    BadJson {
        /// serde_json's message.
        message: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A bad escape in a string.
    #[error("invalid escape `{escape}` in string")]
    #[diagnostic(
        code(tripline::syntax::bad_escape),
        help("valid escapes are \\\\ \\\" \\n \\r \\t \\0 and \\u{{…}}; use a raw string r\"…\" for Windows paths and regexes")
    )]
    BadEscape {
        /// The escape as written.
        escape: String,
        /// Where.
        #[label("not a valid escape")]
        span: SourceSpan,
    },
}

impl SyntaxError {
    /// The error's start offset (for sorting).
    pub fn offset(&self) -> usize {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::TooDeep { span, .. }
            | SyntaxError::BadEscape { span, .. }
            | SyntaxError::BadJson { span, .. } => span.offset(),
        }
    }
}

/// Parse a whole file. Returns the syntax tree of every item that parsed and every syntax
/// error, sorted by position. When the file does not parse as a whole, each top-level item
/// (a line starting with `rule`, `list`, `condition` or `import`) is parsed on its own, so
/// one broken item does not hide the others.
pub fn parse(text: &str) -> (ast::File, Vec<SyntaxError>) {
    // Every later stage walks the tree recursively: refuse absurd nesting up front, so that
    // no input can exhaust the stack.
    if let Some(e) = too_deep(text) {
        return (ast::File::default(), vec![e]);
    }
    // Detailed error tracking slows pest down; it is switched on (for the rest of the
    // process) only to explain a failure, so messages never depend on what ran before.
    let mut errors = Vec::new();
    match parse_text(text, &mut errors) {
        Some(file) => {
            errors.sort_by_key(SyntaxError::offset);
            (file, errors)
        }
        None => {
            pest::set_error_detail(true);
            errors.clear();
            let mut file = ast::File::default();
            for (start, end) in chunks(text) {
                // Pad with blanks so that spans stay offsets into the whole text.
                let mut padded = String::with_capacity(end);
                padded.extend(text.as_bytes()[..start].iter().map(|b| {
                    if *b == b'\n' {
                        '\n'
                    } else {
                        ' '
                    }
                }));
                padded.push_str(&text[start..end]);
                if let Some(f) = parse_text(&padded, &mut errors) {
                    file.items.extend(f.items);
                }
            }
            if errors.is_empty() {
                // The chunks parse alone but not together; report the whole-file error.
                let _ = parse_text(text, &mut errors);
            }
            errors.sort_by_key(SyntaxError::offset);
            errors.dedup_by_key(|e| e.offset());
            (file, errors)
        }
    }
}

/// Parse a whole file that must have no syntax error and hand pest's tree of it to `f`
/// (`tripline fmt` lays out its tokens); otherwise every syntax error, as [`parse`] gives them.
pub(crate) fn with_tree<T>(
    text: &str,
    f: impl FnOnce(pest::iterators::Pair<Rule>) -> T,
) -> Result<T, Vec<SyntaxError>> {
    if too_deep(text).is_none() {
        if let Ok(mut pairs) = TriplineParser::parse(Rule::file, text) {
            let file = pairs.next().expect("the file rule always yields one pair");
            let mut errors = Vec::new();
            build::file(file.clone(), &mut errors);
            if errors.is_empty() {
                return Ok(f(file));
            }
        }
    }
    Err(parse(text).1)
}

/// Parse a match expression on its own (a catalog source's `recognize`): the expression
/// or every syntax error.
pub fn parse_expr(text: &str) -> Result<ast::Expr, Vec<SyntaxError>> {
    if let Some(e) = too_deep(text) {
        return Err(vec![e]);
    }
    match TriplineParser::parse(Rule::expr_input, text) {
        Ok(mut pairs) => {
            let input = pairs
                .next()
                .expect("the expr_input rule always yields one pair");
            let mut errors = Vec::new();
            let e = build::expr_input(input, &mut errors);
            if errors.is_empty() {
                Ok(e)
            } else {
                Err(errors)
            }
        }
        Err(e) => Err(vec![from_pest(e, text)]),
    }
}

fn parse_text(text: &str, errors: &mut Vec<SyntaxError>) -> Option<ast::File> {
    match TriplineParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let file = pairs.next().expect("the file rule always yields one pair");
            Some(build::file(file, errors))
        }
        Err(e) => {
            errors.push(from_pest(e, text));
            None
        }
    }
}

/// How deeply brackets and `not`s may nest.
pub const MAX_DEPTH: usize = 128;

/// Find the first place where brackets (outside strings and comments) or a run of `not`s
/// nest deeper than [`MAX_DEPTH`].
fn too_deep(text: &str) -> Option<SyntaxError> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut nots = 0usize;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let find = |from: usize, pat: &[u8]| -> usize {
        b[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| from + p + pat.len())
            .unwrap_or(b.len())
    };
    while i < b.len() {
        let c = b[i];
        if b[i..].starts_with(b"//") {
            i = find(i, b"\n");
            continue;
        }
        if b[i..].starts_with(b"\"\"\"") {
            i = find(i + 3, b"\"\"\"");
            continue;
        }
        if b[i..].starts_with(b"r#\"") && (i == 0 || !word(b[i - 1])) {
            i = find(i + 3, b"\"#");
            continue;
        }
        if b[i..].starts_with(b"r\"") && (i == 0 || !word(b[i - 1])) {
            i = find(i + 2, b"\"");
            continue;
        }
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            nots = 0;
            continue;
        }
        let start = i;
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if word(c) => {
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                nots = if &b[start..i] == b"not" { nots + 1 } else { 0 };
                if depth + nots > MAX_DEPTH {
                    return Some(deep(start, i));
                }
                continue;
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() && c != b'(' {
            nots = 0;
        }
        if depth + nots > MAX_DEPTH {
            return Some(deep(start, start + 1));
        }
        i += 1;
    }
    None
}

fn deep(start: usize, end: usize) -> SyntaxError {
    SyntaxError::TooDeep {
        limit: MAX_DEPTH,
        span: Span::new(start, end).into(),
    }
}

/// Byte ranges of the top-level items, split at lines that start one.
fn chunks(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let is_item = ["rule ", "list ", "condition ", "import "]
            .iter()
            .any(|k| line.starts_with(k));
        if is_item && offset > 0 {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(text.len());
    starts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The string operators as an expected token: "`contains`, `startswith`, ... or `matches`".
fn str_ops() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let words: Vec<String> = ast::StrOpKind::all()
            .map(|op| format!("`{}`", op.keyword()))
            .collect();
        let (last, rest) = words.split_last().expect("there are string operators");
        format!("{} or {last}", rest.join(", "))
    })
}

fn rule_name(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of file",
        Rule::item | Rule::import | Rule::list_decl | Rule::condition_decl | Rule::rule_decl => {
            "`rule`, `list`, `condition` or `import`"
        }
        Rule::kw_import => "`import`",
        Rule::kw_list => "`list`",
        Rule::kw_condition => "`condition`",
        Rule::kw_rule => "`rule`",
        Rule::ident | Rule::ident_raw => "a name",
        Rule::dotted => "a log source name",
        Rule::list_type => "`string`, `number` or `cidr`",
        Rule::list_lit => "a list `[...]`",
        Rule::expr | Rule::primary | Rule::paren | Rule::comparison | Rule::cond_ref => {
            "an expression"
        }
        Rule::keyword_search | Rule::kw_keyword => "a keyword string",
        Rule::field | Rule::field_ref => "a field",
        Rule::presence | Rule::kw_exists | Rule::kw_missing => "`exists`/`missing`",
        Rule::membership | Rule::kw_in | Rule::not_kw => "`in`",
        Rule::string_test
        | Rule::str_op
        | Rule::op_contains
        | Rule::op_startswith
        | Rule::op_endswith
        | Rule::op_like
        | Rule::op_matches => str_ops(),
        Rule::compare
        | Rule::cmp_op
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt => "a comparison operator (`==`, `!=`, `<`, ...)",
        Rule::infix | Rule::op_and | Rule::op_or => "`and`/`or`",
        Rule::op_not | Rule::prefix => "`not`",
        Rule::rule_item | Rule::meta_entry | Rule::meta_key => {
            "a metadata key, `source` or `match`"
        }
        Rule::source_entry | Rule::kw_source => "`source`",
        Rule::match_entry | Rule::kw_match => "`match`",
        Rule::meta_value | Rule::bare => "a value",
        Rule::string | Rule::plain_str | Rule::raw_str | Rule::triple_str => "a string",
        Rule::number => "a number",
        Rule::boolean => "`true`/`false`",
        Rule::literal => "a literal",
        Rule::quant => "`any`/`all`",
        Rule::cased | Rule::kw_cased => "`cased`",
        Rule::cidr_kw | Rule::kw_cidr => "`cidr`",
        Rule::test_entry | Rule::kw_test => "`test`",
        Rule::tests_entry | Rule::kw_tests => "`tests`",
        Rule::kw_expect => "`expect`",
        Rule::verdict => "`match` or `nomatch`",
        Rule::json_object => "a JSON object",
        Rule::json_array => "a JSON array",
        Rule::threshold_entry | Rule::kw_threshold => "`threshold`",
        Rule::new_entry | Rule::kw_new => "`new`",
        Rule::sequence_entry | Rule::kw_sequence => "`sequence`",
        Rule::aggregate | Rule::kw_count | Rule::kw_distinct => "`count` or `distinct <field>`",
        Rule::group_by | Rule::kw_by => "`by`",
        Rule::kw_window => "`window`",
        Rule::kw_baseline => "`baseline`",
        Rule::kw_within => "`within`",
        Rule::duration => "a duration such as `30m`, `1h` or `14d`",
        Rule::kw_at => "`at`",
        Rule::related_entry | Rule::kw_related => "`related`",
        Rule::related_item => "`<type> <uuid>`",
        Rule::kw_alerts => "`alerts`",
        Rule::kw_events => "`events`",
        _ => return None,
    })
}

fn from_pest(e: pest::error::Error<Rule>, text: &str) -> SyntaxError {
    let len = text.len();
    use pest::error::{ErrorVariant, InputLocation};
    let (mut start, mut end) = match e.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let mut names: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(rule_name)
            .map(str::to_string)
            .collect(),
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    if let Some(a) = e.parse_attempts() {
        if a.max_position > start {
            start = a.max_position;
            end = start;
            names.clear();
            for cs in a.call_stacks() {
                if let Some(n) = cs.parent.as_ref().and_then(rule_name) {
                    names.push(n.to_string());
                }
            }
        }
        if a.max_position == start {
            for t in a.expected_tokens() {
                let t = t.to_string();
                let punct = !t.is_empty()
                    && t.chars().all(|c| c.is_ascii_punctuation())
                    && !["\"", "\"\"\"", "-", "//", "_"].contains(&t.as_str());
                if punct {
                    names.push(format!("`{t}`"));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    let message = if names.is_empty() {
        "unexpected input".to_string()
    } else {
        format!("expected {}", names.join(" or "))
    };
    let found = if start >= len {
        "end of file".to_string()
    } else {
        "unexpected".to_string()
    };
    // At least one character, and never part of one: a label inside a multi-byte character
    // cannot be shown (at the end of the file, the last character).
    let start = if start >= len {
        text.char_indices().next_back().map_or(0, |(i, _)| i)
    } else {
        floor_char(text, start)
    };
    let next = text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    let end = ceil_char(text, end.min(len)).max(next);
    SyntaxError::Unexpected {
        label: found,
        message,
        span: Span::new(start, end).into(),
        help: None,
    }
}

/// The char boundary at or before `at`.
fn floor_char(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The char boundary at or after `at`.
fn ceil_char(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_the_grammars() {
        for w in ["and", "in", "cased", "false"] {
            assert!(reserved().contains(&w), "{w}");
        }
        for op in ast::StrOpKind::all() {
            assert!(reserved().contains(&op.keyword()), "{op:?}");
        }
        assert_eq!(
            str_ops(),
            "`contains`, `startswith`, `endswith`, `like` or `matches`"
        );
        assert!(is_ident("known_apps") && is_ident("_x1"));
        assert!(!is_ident("in") && !is_ident("1x") && !is_ident("a.b") && !is_ident(""));
    }

    #[test]
    fn error_spans_are_whole_characters() {
        for text in [
            "rule r {\n  title é",
            "rule é",
            "é",
            "rule r { title \"\u{FFFD}",
        ] {
            let (_, errors) = parse(text);
            assert!(!errors.is_empty(), "{text:?}");
            for e in &errors {
                let s = miette::Diagnostic::labels(e).unwrap().next().unwrap();
                assert!(text.is_char_boundary(s.offset()), "{text:?}: {s:?}");
                assert!(
                    text.is_char_boundary(s.offset() + s.len()),
                    "{text:?}: {s:?}"
                );
                assert!(s.offset() + s.len() <= text.len().max(1), "{text:?}: {s:?}");
            }
        }
    }

    fn rule(matches: &str) -> String {
        format!("rule r {{\n  source m365.audit\n  match {matches}\n}}\n")
    }

    #[test]
    fn nesting_is_limited_with_a_coded_error() {
        let ok = rule(&format!("{}A == \"x\"{}", "(".repeat(100), ")".repeat(100)));
        assert!(parse(&ok).1.is_empty());
        let parens = rule(&format!(
            "{}A == \"x\"{}",
            "(".repeat(20_000),
            ")".repeat(20_000)
        ));
        let errs = parse(&parens).1;
        assert!(
            matches!(errs[..], [SyntaxError::TooDeep { .. }]),
            "{errs:?}"
        );
        let nots = rule(&format!("{}A == \"x\"", "not ".repeat(20_000)));
        assert!(matches!(parse(&nots).1[..], [SyntaxError::TooDeep { .. }]));
        let json = format!(
            "rule r {{\n  test \"t\" expect match {}{}\n}}",
            "{\"a\": ".repeat(5000),
            "}".repeat(5000)
        );
        assert!(matches!(parse(&json).1[..], [SyntaxError::TooDeep { .. }]));
        // Brackets inside strings and comments do not count.
        let quoted = rule(&format!(
            "A == \"{}\" // {}",
            "(".repeat(500),
            "[".repeat(500)
        ));
        assert!(parse(&quoted).1.is_empty());
    }
}
