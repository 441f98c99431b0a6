//! Diagnostics and test results for machines: JSON lines, SARIF 2.1.0, GitHub workflow
//! commands and JUnit XML. Pure functions returning text; the CLI decides where it goes.
//!
//! Positions are 1-based. JSON lines and GitHub commands count columns in characters
//! (Unicode scalar values); SARIF counts UTF-16 code units and says so (`columnKind`).
//! End positions are exclusive: the column just after the last character of the span.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::testing::TestReport;

use super::FileDiagnostic;

/// How diagnostics are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// miette's rendered reports (without colour here; the CLI colours them on terminals).
    Human,
    /// One JSON object per line.
    Json,
    /// One SARIF 2.1.0 log.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::message`).
    Github,
}

/// A 1-based position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line.
    pub line: usize,
    /// Column in Unicode scalar values.
    pub column: usize,
    /// Column in UTF-16 code units.
    pub column_utf16: usize,
    /// Byte offset in the file.
    pub offset: usize,
}

/// The position of byte `off` in `text` (moved back to a character boundary).
pub fn position(text: &str, off: usize) -> Position {
    let mut off = off.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let in_line = &before[line_start..];
    Position {
        line: before.matches('\n').count() + 1,
        column: in_line.chars().count() + 1,
        column_utf16: in_line.encode_utf16().count() + 1,
        offset: off,
    }
}

/// Everything a machine format says about one diagnostic.
struct Item<'a> {
    d: &'a FileDiagnostic,
    severity: &'static str,
    code: String,
    message: String,
    help: Option<String>,
    url: Option<String>,
    rule: Option<String>,
    span: Option<(Position, Position)>,
}

fn items(diags: &[FileDiagnostic]) -> Vec<Item<'_>> {
    use miette::Diagnostic;
    let mut asts: HashMap<&str, Option<crate::syntax::ast::File>> = HashMap::new();
    diags
        .iter()
        .map(|d| {
            let severity = match d.error.severity() {
                Some(miette::Severity::Warning) => "warning",
                Some(miette::Severity::Advice) => "note",
                _ => "error",
            };
            let span = d
                .span()
                .map(|(s, e)| (position(&d.text, s), position(&d.text, e)));
            let rule = if matches!(d.error, super::Error::Catalog(_) | super::Error::Load(_)) {
                // A catalog file or an input that could not be read: no rule.
                None
            } else if super::load::is_sigma(&d.path) {
                // A Sigma rule is named after its file.
                Path::new(&d.path)
                    .file_stem()
                    .map(|s| crate::sigma_in::identifier(&s.to_string_lossy()))
            } else {
                let ast = asts.entry(d.path.as_str()).or_insert_with(|| {
                    (!d.text.is_empty()).then(|| crate::syntax::parse(&d.text).0)
                });
                span.and_then(|(s, _)| crate::check::rule_at(ast.as_ref(), s.offset))
            };
            Item {
                d,
                severity,
                code: d.code(),
                message: d.error.to_string(),
                help: d.error.help().map(|h| h.to_string()),
                url: d.error.url().map(|u| u.to_string()),
                rule,
                span,
            }
        })
        .collect()
}

/// Every diagnostic in `format` (the human form without colour).
pub fn render(diags: &[FileDiagnostic], format: Format) -> String {
    match format {
        Format::Human => diags.iter().map(|d| d.render(false)).collect(),
        Format::Json => json_lines(diags),
        Format::Sarif => sarif(diags),
        Format::Github => github(diags),
    }
}

/// One JSON object per line: `severity`, `code`, `message`, `help`, `rule`, `path`,
/// `start` and `end` (`{line, column, offset}`; columns in characters, `end` exclusive;
/// `null` when the diagnostic has no span), and `line`/`column` (the start, as the first
/// JSON form of `--json` had them).
pub fn json_lines(diags: &[FileDiagnostic]) -> String {
    let pos = |p: Position| json!({"line": p.line, "column": p.column, "offset": p.offset});
    let mut out = String::new();
    for i in items(diags) {
        let (line, column) = i.span.map(|(s, _)| (s.line, s.column)).unwrap_or((1, 1));
        let v = json!({
            "severity": i.severity,
            "code": i.code,
            "message": i.message,
            "help": i.help,
            "rule": i.rule,
            "path": i.d.path,
            "line": line,
            "column": column,
            "start": i.span.map(|(s, _)| pos(s)),
            "end": i.span.map(|(_, e)| pos(e)),
        });
        let _ = writeln!(out, "{v}");
    }
    out
}

/// `tripline::check::unknown_field` → `unknown field (check)`.
fn describe_code(code: &str) -> String {
    let parts: Vec<&str> = code.split("::").collect();
    match parts.as_slice() {
        [_, stage, what] => format!("{} ({stage})", what.replace('_', " ")),
        _ => code.to_string(),
    }
}

/// A relative path as a URI reference (percent-encoded); an absolute one as a `file:` URI.
fn uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One SARIF 2.1.0 log with one run: the tool `tripline` with a reporting rule per code
/// seen (sorted), and a result per diagnostic. Columns are UTF-16 code units
/// (`columnKind: utf16CodeUnits`).
pub fn sarif(diags: &[FileDiagnostic]) -> String {
    let items = items(diags);
    let mut rules: BTreeMap<&str, &Item> = BTreeMap::new();
    for i in &items {
        rules.entry(i.code.as_str()).or_insert(i);
    }
    let index: HashMap<&str, usize> = rules.keys().enumerate().map(|(n, k)| (*k, n)).collect();
    let rule_objs: Vec<Value> = rules
        .iter()
        .map(|(code, i)| {
            let mut r = json!({
                "id": code,
                "name": code.rsplit("::").next().unwrap_or(code),
                "shortDescription": {"text": describe_code(code)},
                "defaultConfiguration": {"level": i.severity},
            });
            if let Some(u) = &i.url {
                r["helpUri"] = json!(u);
            }
            r
        })
        .collect();
    let results: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut text = i.message.clone();
            if let Some(h) = &i.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut physical = json!({"artifactLocation": {"uri": uri(&i.d.path)}});
            if let Some((s, e)) = i.span {
                physical["region"] = json!({
                    "startLine": s.line,
                    "startColumn": s.column_utf16,
                    "endLine": e.line,
                    "endColumn": e.column_utf16,
                    "byteOffset": s.offset,
                    "byteLength": e.offset - s.offset,
                });
            }
            let mut location = json!({"physicalLocation": physical});
            if let Some(r) = &i.rule {
                location["logicalLocations"] =
                    json!([{"name": r, "kind": "function", "fullyQualifiedName": r}]);
            }
            json!({
                "ruleId": i.code,
                "ruleIndex": index[i.code.as_str()],
                "level": i.severity,
                "message": {"text": text},
                "locations": [location],
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tripline",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rule_objs,
            }},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

/// A workflow command's message: `%`, CR and LF escaped.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as data, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one per diagnostic:
/// `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::message` (columns in
/// characters; `notice` for advice).
pub fn github(diags: &[FileDiagnostic]) -> String {
    let mut out = String::new();
    for i in items(diags) {
        let cmd = match i.severity {
            "warning" => "warning",
            "note" => "notice",
            _ => "error",
        };
        let mut props = vec![format!("file={}", escape_property(&i.d.path))];
        if let Some((s, e)) = i.span {
            props.push(format!("line={}", s.line));
            props.push(format!("col={}", s.column));
            props.push(format!("endLine={}", e.line));
            props.push(format!("endColumn={}", e.column));
        }
        props.push(format!("title={}", escape_property(&i.code)));
        let mut msg = i.message.clone();
        if let Some(h) = &i.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        let _ = writeln!(out, "::{cmd} {}::{}", props.join(","), escape_data(&msg));
    }
    out
}

/// Text for an XML attribute or element: `& < > " '` escaped, characters XML 1.0 cannot
/// hold replaced by U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The test run as JUnit XML: one `testsuite` per rule file (in the report's order), one
/// `testcase` per case (`classname` the rule), a `failure` with the explanation for each
/// failing case, and an `error` test case for each error that stopped a rule or case.
/// No timings, so the same run gives the same bytes.
pub fn junit(rep: &TestReport) -> String {
    struct Suite<'a> {
        cases: Vec<&'a crate::testing::CaseResult>,
        errors: Vec<&'a FileDiagnostic>,
    }
    let mut order: Vec<&str> = Vec::new();
    let mut suites: HashMap<&str, Suite> = HashMap::new();
    for c in &rep.cases {
        if !suites.contains_key(c.path.as_str()) {
            order.push(&c.path);
        }
        suites
            .entry(&c.path)
            .or_insert_with(|| Suite {
                cases: Vec::new(),
                errors: Vec::new(),
            })
            .cases
            .push(c);
    }
    for d in rep.diagnostics.iter().filter(|d| d.is_error()) {
        if !suites.contains_key(d.path.as_str()) {
            order.push(&d.path);
        }
        suites
            .entry(&d.path)
            .or_insert_with(|| Suite {
                cases: Vec::new(),
                errors: Vec::new(),
            })
            .errors
            .push(d);
    }
    let total_errors: usize = suites.values().map(|s| s.errors.len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"tripline\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        rep.cases.len() + total_errors,
        rep.failed(),
        total_errors
    );
    for path in order {
        let s = &suites[path];
        let failures = s.cases.iter().filter(|c| !c.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"0\">",
            xml(path),
            s.cases.len() + s.errors.len(),
            s.errors.len()
        );
        for c in &s.cases {
            junit_case(&mut out, c);
        }
        for d in &s.errors {
            junit_error(&mut out, d);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// One test case as a `<testcase>`, with its failure and explanation when it failed.
fn junit_case(out: &mut String, c: &crate::testing::CaseResult) {
    let verdict = |b: bool| if b { "match" } else { "no match" };
    let head = format!(
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
        xml(&c.rule),
        xml(&c.name),
        xml(&c.path)
    );
    if c.passed() {
        let _ = writeln!(out, "{head}/>");
        return;
    }
    let why = if c.stream {
        "alerts differ".to_string()
    } else {
        format!("expected {}, got {}", verdict(c.expect), verdict(c.got))
    };
    let mut body = String::new();
    for (depth, v, text) in &c.explanation {
        let _ = writeln!(
            body,
            "{}{} {}",
            "  ".repeat(*depth),
            if *v { "true " } else { "false" },
            text
        );
    }
    let _ = writeln!(out, "{head}>");
    let _ = writeln!(
        out,
        "      <failure message=\"{}\" type=\"tripline::test::failed\">{}</failure>",
        xml(&why),
        xml(&body)
    );
    let _ = writeln!(out, "    </testcase>");
}

/// A diagnostic that stopped a rule's tests, as a `<testcase>` with an `<error>`.
fn junit_error(out: &mut String, d: &FileDiagnostic) {
    let rule = items(std::slice::from_ref(d))
        .pop()
        .and_then(|i| i.rule)
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">",
        xml(&rule),
        xml(&d.code()),
        xml(&d.path)
    );
    let _ = writeln!(
        out,
        "      <error message=\"{}\" type=\"{}\">{}</error>",
        xml(&d.error.to_string()),
        xml(&d.code()),
        xml(&d.render(false))
    );
    let _ = writeln!(out, "    </testcase>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let t = "ab\n\u{e9}\u{1F600}x";
        let p = position(t, t.find('x').unwrap());
        assert_eq!((p.line, p.column, p.column_utf16), (2, 3, 4));
        // Inside a character: moved back to its start.
        let p = position(t, 4);
        assert_eq!((p.line, p.column), (2, 1));
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\r\nc"), "a%25b%0D%0Ac");
        assert_eq!(escape_property("t::a,b"), "t%3A%3Aa%2Cb");
        assert_eq!(
            xml("<a & 'b'>\u{1}"),
            "&lt;a &amp; &apos;b&apos;&gt;\u{FFFD}"
        );
        assert_eq!(uri("rules/a b.trip"), "rules/a%20b.trip");
        assert_eq!(
            describe_code("tripline::check::unknown_field"),
            "unknown field (check)"
        );
    }
}
