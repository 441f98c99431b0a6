//! Spark SQL (3.5+, as Databricks runs it): the shared SQL writer ([`super::sql`]) with
//! Spark's tokens. String literals with backslash escapes (every backslash and quote
//! escaped, control characters and `$` as `\uXXXX`), back-quoted identifiers, Java
//! regexes translated to the language's meaning (`rlike` searches), `try_cast`.

use super::sql::{regex, Dialect, SqlTarget};

/// The Spark SQL dialect.
pub struct Spark;

/// The target.
pub static SPARK: SqlTarget = SqlTarget(&Spark);

impl Dialect for Spark {
    fn name(&self) -> &'static str {
        "spark"
    }

    fn ident(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }

    fn string(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                // `${name}` is variable substitution in Spark's SQL text: spell `$` by code.
                '$' => out.push_str("\\u0024"),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    fn starts_with(&self) -> &'static str {
        "startswith"
    }

    fn ends_with(&self) -> &'static str {
        "endswith"
    }

    fn regex_search(&self, value: &str, pattern: &str) -> String {
        format!("rlike({value}, {pattern})")
    }

    fn regex(&self, pattern: &str, cased: bool) -> Result<String, String> {
        regex::java(pattern, cased)
    }

    fn now(&self) -> &'static str {
        "current_timestamp()"
    }

    fn epoch_ms(&self, t: &str) -> String {
        format!("unix_millis({t})")
    }

    fn timestamp_of_ms(&self, ms: &str) -> String {
        format!("timestamp_millis({ms})")
    }

    fn try_cast(&self, e: &str, ty: &str) -> String {
        format!("try_cast({e} AS {ty})")
    }

    /// Spark 3.5's `LIKE` never matches a pattern holding a character outside the Basic
    /// Multilingual Plane (it quotes the pattern by UTF-16 unit), so globs are regexes.
    fn globs_by_regex(&self) -> bool {
        true
    }
}
