//! Reading hunt inputs as a stream of [`Block`]s: JSON Lines (plain or gzip-compressed),
//! EVTX binary logs, whole JSON documents (a JSON array, a CloudTrail `{"Records": [...]}`
//! file, pretty-printed objects one after another), directories walked recursively in a
//! fixed order, and stdin (`-`).
//!
//! Every block holds whole records, one per line of [`Block::text`], so the engine can
//! prefilter and parse each record on its own, in parallel, and still report in input
//! order. Memory is bounded by the block size for JSON Lines and EVTX; a whole JSON
//! document is read at once (its size bounds the memory it takes).
//!
//! [`open`] reads paths, [`read`] any reader; both give an [`Inputs`] iterator. What an
//! input is, is told by its content, never its name: gzip (`1f 8b`, decompressed as it is
//! read, then told again), EVTX (`ElfFile\0`), else JSON text, which is JSON Lines when its
//! first non-blank line is one whole JSON object (and not a CloudTrail file), else a whole
//! JSON document.
//!
//! How each kind is read, and numbered:
//!
//! - **JSON Lines** (plain or gzip): streamed, in blocks of about the block size split at
//!   line ends (a longer line is a block of its own). [`Numbers::From`] with the real 1-based
//!   line numbers: blank lines, and lines that are not JSON, are left in the text for the
//!   engine (it skips the blank ones and reports the bad ones). A line that is not UTF-8 is
//!   a `not_utf8` [`BadRecord`] and is left in the text as a blank line.
//! - **A whole JSON document** (an array, a CloudTrail `{"Records": [...]}` file, even on one
//!   line, pretty-printed objects one after another): read at once, as
//!   [`crate::testing::read_events`] reads it; each event re-serialized compactly as one
//!   line, [`Numbers::Each`] with the line the event starts on (every element of an array has
//!   the array's line). Parts that are not objects are `not_json` / `not_object` bad records;
//!   lines that are not UTF-8 are `not_utf8` bad records, read as blank lines.
//! - **EVTX**: read chunk by chunk (from a file; from stdin or gzip, read into memory first),
//!   single-threaded, with the `evtx` crate; each record as one line of compact JSON shaped
//!   like an EVTX export (`{"Event":{"#attributes":{..},"System":{..},"EventData":{..}}}`).
//!   [`Numbers::Each`] with the record's 1-based position in the log in read order (from its
//!   oldest chunk on, damaged records counted); the record's id is in the JSON
//!   (`Event.System.EventRecordID`). A damaged record is an `evtx_record` bad record, a
//!   damaged chunk or a log cut short an `evtx_chunk` one, and reading goes on. Values are
//!   rendered as the crate renders them, which differs from older exports (SigmaHQ's
//!   regression data) in three ways: GUIDs as `{lower-case}` (not `UPPER-CASE`), `SystemTime`
//!   to 100 ns (7 digits, not 6), and trailing spaces of strings kept (not trimmed).

use std::sync::Arc;

mod error;
mod evtx_log;
mod sources;
mod text;

pub use error::InputError;
pub use sources::{open, read, Inputs, DEFAULT_BLOCK_BYTES, WALKED_EXTENSIONS};

/// The blocks of one input, one after another; `None` at its end.
trait BlockSource: Send {
    fn next_block(&mut self) -> Option<Result<Block, InputError>>;
}

/// Records read from one input, in input order.
#[derive(Debug, Clone)]
pub struct Block {
    /// The input as shown to the user (a path, or `<stdin>`).
    pub file: Arc<str>,
    /// One record per line: the record's JSON text, on one line (`\n`-separated; a
    /// trailing `\r` is allowed). A blank line is not a record and is skipped.
    pub text: String,
    /// Where each line of `text` came from.
    pub numbers: Numbers,
    /// Parts of the input that are not records, with their position and why.
    pub bad: Vec<BadRecord>,
}

/// The position (1-based line of a JSON input, or 1-based record of an EVTX log) of each
/// line of a block's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Numbers {
    /// Line `i` (0-based) of the text is position `first + i`.
    From(u64),
    /// Line `i` of the text is position `each[i]`.
    Each(Vec<u64>),
}

impl Numbers {
    /// The position of line `i` of the block's text.
    pub fn at(&self, i: usize) -> u64 {
        match self {
            Numbers::From(first) => first + i as u64,
            Numbers::Each(each) => each.get(i).copied().unwrap_or(0),
        }
    }
}

/// A part of an input that is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// 1-based line or record.
    pub at: u64,
    /// A stable reason code (`not_json`, `not_object`, `evtx_record`, …).
    pub code: &'static str,
    /// What is wrong, for people.
    pub reason: String,
}

#[cfg(test)]
mod tests;
