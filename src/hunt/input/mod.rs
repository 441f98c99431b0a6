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
