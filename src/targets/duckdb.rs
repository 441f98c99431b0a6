//! DuckDB SQL: the shared SQL writer ([`super::sql`]) with DuckDB's tokens. Standard
//! string literals (no backslash escapes), double-quoted identifiers, RE2 regexes
//! (`regexp_matches` searches), `TRY_CAST`.

use super::sql::{regex, Dialect, SqlTarget};

/// The DuckDB dialect.
pub struct DuckDb;

/// The target.
pub static DUCKDB: SqlTarget = SqlTarget(&DuckDb);

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn string(&self, s: &str) -> String {
        // Control characters (raw newlines and carriage returns would make the output
        // unreadable and line endings fragile) as `chr(n)`, joined with `||`.
        if !s.chars().any(char::is_control) {
            return format!("'{}'", s.replace('\'', "''"));
        }
        let mut parts = Vec::new();
        let mut run = String::new();
        for c in s.chars() {
            if c.is_control() {
                if !run.is_empty() {
                    parts.push(format!(
                        "'{}'",
                        std::mem::take(&mut run).replace('\'', "''")
                    ));
                }
                parts.push(format!("chr({})", c as u32));
            } else {
                run.push(c);
            }
        }
        if !run.is_empty() {
            parts.push(format!("'{}'", run.replace('\'', "''")));
        }
        format!("({})", parts.join(" || "))
    }

    fn starts_with(&self) -> &'static str {
        "starts_with"
    }

    fn ends_with(&self) -> &'static str {
        "ends_with"
    }

    fn regex_search(&self, value: &str, pattern: &str) -> String {
        format!("regexp_matches({value}, {pattern})")
    }

    fn regex(&self, pattern: &str, cased: bool) -> Result<String, String> {
        regex::re2(pattern, cased)
    }

    fn now(&self) -> &'static str {
        "now()"
    }

    fn epoch_ms(&self, t: &str) -> String {
        format!("epoch_ms({t})")
    }

    fn timestamp_of_ms(&self, ms: &str) -> String {
        format!("epoch_ms({ms})")
    }

    fn try_cast(&self, e: &str, ty: &str) -> String {
        format!("TRY_CAST({e} AS {ty})")
    }
}
