//! JSON text inputs: JSON Lines, streamed block by block, and whole JSON documents (an
//! array, a CloudTrail file, pretty-printed objects one after another), read at once.

use std::collections::VecDeque;
use std::io::{BufRead, ErrorKind};
use std::sync::Arc;

use serde_json::Value;

use super::{BadRecord, Block, BlockSource, InputError, Numbers};
use crate::testing::{is_cloudtrail_file, read_events_coded};

/// Whether the first non-blank line of a JSON text input (`line`, without its line end) is
/// one whole JSON object, and so the input is JSON Lines. A CloudTrail file written on one
/// line (`{"Records": [...]}`) is a document, not one record.
pub(super) fn is_json_lines(line: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => !is_cloudtrail_file(&m),
        _ => false,
    }
}

/// Whether a line (with or without its line end) holds only whitespace.
pub(super) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The reason of a line that is not UTF-8.
fn not_utf8(at: u64, e: std::str::Utf8Error) -> BadRecord {
    BadRecord {
        at,
        code: "not_utf8",
        reason: format!(
            "not UTF-8 text (an invalid byte at column {})",
            e.valid_up_to() + 1
        ),
    }
}

/// JSON Lines, read in blocks of about `block_bytes` of text, each split at a line end.
pub(super) struct JsonLines {
    file: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    /// Whether `reader` decompresses (its read errors are then gzip errors).
    compressed: bool,
    block_bytes: usize,
    /// The 1-based number of the next line to read.
    next_line: u64,
    done: bool,
    /// The read error that ended the input, reported after the lines before it.
    error: Option<InputError>,
    /// Whether a block was given: every input gives at least one, if only an empty one.
    given: bool,
}

impl JsonLines {
    pub(super) fn new(
        file: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        compressed: bool,
        block_bytes: usize,
    ) -> Self {
        JsonLines {
            file,
            reader,
            compressed,
            block_bytes: block_bytes.max(1),
            next_line: 1,
            done: false,
            error: None,
            given: false,
        }
    }
}

impl BlockSource for JsonLines {
    fn next_block(&mut self) -> Option<Result<Block, InputError>> {
        if self.done {
            return self.error.take().map(Err);
        }
        let first = self.next_line;
        let mut text = String::new();
        let mut bad = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {
                    match std::str::from_utf8(&line) {
                        Ok(s) => {
                            text.push_str(s);
                            if !s.ends_with('\n') {
                                text.push('\n');
                            }
                        }
                        // Left out of the text, as a blank line, so the numbers stay right.
                        Err(e) => {
                            bad.push(not_utf8(self.next_line, e));
                            text.push('\n');
                        }
                    }
                    self.next_line += 1;
                    if text.len() >= self.block_bytes {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // A line cut short by the error is not a record.
                    self.done = true;
                    self.error = Some(read_error(&self.file, self.compressed, e));
                    break;
                }
            }
        }
        if text.is_empty() && bad.is_empty() && self.given {
            return self.error.take().map(Err);
        }
        self.given = true;
        Some(Ok(Block {
            file: self.file.clone(),
            text,
            numbers: Numbers::From(first),
            bad,
        }))
    }
}

/// A read error of an input: a gzip error when the input is compressed.
pub(super) fn read_error(file: &Arc<str>, compressed: bool, source: std::io::Error) -> InputError {
    if compressed {
        InputError::Gzip {
            file: file.clone(),
            source,
        }
    } else {
        InputError::Unreadable {
            file: file.clone(),
            source,
        }
    }
}

/// A whole JSON document, as blocks of about `block_bytes`: each event re-serialized on one
/// line, numbered with the line it starts on (as [`crate::testing::read_events`] reads it).
/// A line that is not UTF-8 is a `not_utf8` bad record and is read as a blank line.
pub(super) struct Document {
    blocks: VecDeque<Block>,
}

impl Document {
    pub(super) fn new(file: Arc<str>, bytes: Vec<u8>, block_bytes: usize) -> Self {
        let block_bytes = block_bytes.max(1);
        let (text, mut bad) = utf8_lines(bytes);
        let (events, coded) = read_events_coded(&text);
        bad.extend(coded.into_iter().map(|(code, b)| BadRecord {
            at: b.line as u64,
            code,
            reason: b.reason,
        }));
        // Stable: parts on one line keep the order they were found in.
        bad.sort_by_key(|b| b.at);

        let mut blocks = VecDeque::new();
        let new_block = || Block {
            file: file.clone(),
            text: String::new(),
            numbers: Numbers::Each(Vec::new()),
            bad: Vec::new(),
        };
        let mut block = new_block();
        let mut bad = bad.into_iter().peekable();
        for event in events {
            let line = event.line as u64;
            // Bad parts before this event go with the events before them.
            while let Some(b) = bad.next_if(|b| b.at < line) {
                block.bad.push(b);
            }
            match serde_json::to_string(&event.value) {
                Ok(s) => {
                    block.text.push_str(&s);
                    block.text.push('\n');
                    if let Numbers::Each(each) = &mut block.numbers {
                        each.push(line);
                    }
                }
                Err(e) => block.bad.push(BadRecord {
                    at: line,
                    code: "not_json",
                    reason: e.to_string(),
                }),
            }
            if block.text.len() >= block_bytes {
                blocks.push_back(std::mem::replace(&mut block, new_block()));
            }
        }
        match blocks.back_mut() {
            // Bad parts after the last event go with it.
            Some(last) if block.text.is_empty() && block.bad.is_empty() => last.bad.extend(bad),
            _ => {
                block.bad.extend(bad);
                blocks.push_back(block);
            }
        }
        Document { blocks }
    }
}

impl BlockSource for Document {
    fn next_block(&mut self) -> Option<Result<Block, InputError>> {
        self.blocks.pop_front().map(Ok)
    }
}

/// `bytes` as text: each line that is not UTF-8 is made blank (its line end kept, so the
/// line numbers stay right) and reported.
fn utf8_lines(bytes: Vec<u8>) -> (String, Vec<BadRecord>) {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return (text, Vec::new()),
        Err(e) => e.into_bytes(),
    };
    let mut text = String::with_capacity(bytes.len());
    let mut bad = Vec::new();
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(e) => {
                bad.push(not_utf8(i as u64 + 1, e));
                if line.ends_with(b"\n") {
                    text.push('\n');
                }
            }
        }
    }
    (text, bad)
}
