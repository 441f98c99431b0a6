//! EVTX binary logs, read chunk by chunk with the `evtx` crate: each record as one line of
//! compact JSON in the shape of an EVTX export (`{"Event":{"#attributes":{...},"System":
//! {...},"EventData":{...}}}`, as in SigmaHQ's regression data).

use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use evtx::{EvtxParser, IntoIterChunks, ParserSettings};
use serde_json::Value;

use super::{BadRecord, Block, BlockSource, InputError, Numbers};

/// The parser settings: attributes nested under `#attributes` (`separate_json_attributes`
/// off, as the JSON exports have them; on, they would be `Event_attributes` siblings), no
/// indentation (one record per line), checksums not validated, no carved records, and,
/// since the crate is built without its `multithreading` feature, chunks parsed one after
/// another on this thread, in file order.
fn settings() -> ParserSettings {
    ParserSettings::new()
        .separate_json_attributes(false)
        .indent(false)
}

/// The records of one EVTX log, in blocks of about `block_bytes` of JSON text. Each line is
/// numbered with the record's 1-based position in the log (in the order the log is read:
/// from its oldest chunk on), counting damaged records too; the record's own id is in the
/// JSON (`Event.System.EventRecordID`).
pub(super) struct EvtxLog<T: Read + Seek> {
    file: Arc<str>,
    chunks: IntoIterChunks<T>,
    settings: Arc<ParserSettings>,
    block_bytes: usize,
    /// Records read so far (good and damaged).
    position: u64,
    ready: VecDeque<Block>,
    current: Block,
    done: bool,
    /// Whether a block was given: every input gives at least one, if only an empty one.
    given: bool,
    /// Why the log is cut short, if it is.
    short: Option<String>,
}

/// The size of an EVTX chunk.
const CHUNK_BYTES: u64 = 65536;

impl<T: Read + Seek> EvtxLog<T> {
    /// The log in `data` (`len` bytes long, if known), or the error that its file header
    /// cannot be read.
    pub(super) fn new(
        file: Arc<str>,
        data: T,
        len: Option<u64>,
        block_bytes: usize,
    ) -> Result<Self, InputError> {
        let opened = catch_unwind(AssertUnwindSafe(|| EvtxParser::from_read_seek(data)));
        let parser = match opened {
            Ok(Ok(parser)) => parser,
            Ok(Err(e)) => {
                return Err(InputError::Evtx {
                    file,
                    reason: e.to_string(),
                })
            }
            Err(_) => {
                return Err(InputError::Evtx {
                    file,
                    reason: "the EVTX parser failed on the file header".into(),
                })
            }
        };
        // The parser stops, saying nothing, at a last chunk cut short, or where the chunks
        // its header counts end early.
        let header = parser.header();
        let short = len
            .and_then(|len| len.checked_sub(u64::from(header.header_block_size)))
            .and_then(|body| {
                let (whole, rest) = (body / CHUNK_BYTES, body % CHUNK_BYTES);
                let counted = u64::from(header.chunk_count);
                if rest > 0 {
                    Some(format!(
                        "the log is cut short: its last {rest} bytes are not a whole chunk ({CHUNK_BYTES} bytes)"
                    ))
                } else if whole < counted {
                    Some(format!(
                        "the log is cut short: its header counts {counted} chunks, it holds {whole}"
                    ))
                } else {
                    None
                }
            });
        let settings = settings();
        let chunks = parser.with_configuration(settings.clone()).into_chunks();
        Ok(EvtxLog {
            current: empty(&file),
            file,
            chunks,
            settings: Arc::new(settings),
            block_bytes: block_bytes.max(1),
            position: 0,
            ready: VecDeque::new(),
            done: false,
            given: false,
            short,
        })
    }

    fn flush(&mut self) {
        let block = std::mem::replace(&mut self.current, empty(&self.file));
        self.ready.push_back(block);
    }

    /// A damaged chunk: reported at the position its first record would have.
    fn bad_chunk(&mut self, reason: String) {
        self.current.bad.push(BadRecord {
            at: self.position + 1,
            code: "evtx_chunk",
            reason,
        });
    }

    /// Every record of the next chunk into the blocks; false at the end of the log.
    fn read_chunk(&mut self) -> bool {
        let next = catch_unwind(AssertUnwindSafe(|| self.chunks.next()));
        let mut data = match next {
            Ok(None) => return false,
            Ok(Some(Ok(data))) => data,
            Ok(Some(Err(e))) => {
                self.bad_chunk(e.to_string());
                return true;
            }
            Err(_) => {
                // The chunk cursor may be anywhere now: stop reading this log.
                self.bad_chunk(
                    "the EVTX parser failed on this chunk; the rest of the log is not read".into(),
                );
                return false;
            }
        };
        let settings = self.settings.clone();
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            let mut chunk = match data.parse(settings) {
                Ok(chunk) => chunk,
                Err(e) => return Err(e.to_string()),
            };
            for record in chunk.iter() {
                self.position += 1;
                let at = self.position;
                match record.and_then(|r| r.into_json()) {
                    Ok(r) => self.push(at, r.data),
                    Err(e) => self.current.bad.push(BadRecord {
                        at,
                        code: "evtx_record",
                        reason: e.to_string(),
                    }),
                }
                if self.current.text.len() >= self.block_bytes {
                    self.flush();
                }
            }
            Ok(())
        }));
        match parsed {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => self.bad_chunk(reason),
            Err(_) => self.bad_chunk("the EVTX parser failed on this chunk".into()),
        }
        true
    }

    /// One record's JSON as one line of the block.
    fn push(&mut self, at: u64, json: String) {
        // Without indentation the JSON is on one line; make sure of it all the same.
        let line = if json.contains(['\n', '\r']) {
            match serde_json::from_str::<Value>(&json) {
                Ok(v) => v.to_string(),
                Err(e) => {
                    self.current.bad.push(BadRecord {
                        at,
                        code: "evtx_record",
                        reason: format!("the record's JSON is not valid: {e}"),
                    });
                    return;
                }
            }
        } else {
            json
        };
        self.current.text.push_str(&line);
        self.current.text.push('\n');
        if let Numbers::Each(each) = &mut self.current.numbers {
            each.push(at);
        }
    }
}

fn empty(file: &Arc<str>) -> Block {
    Block {
        file: file.clone(),
        text: String::new(),
        numbers: Numbers::Each(Vec::new()),
        bad: Vec::new(),
    }
}

impl<T: Read + Seek + Send> BlockSource for EvtxLog<T> {
    fn next_block(&mut self) -> Option<Result<Block, InputError>> {
        loop {
            if let Some(block) = self.ready.pop_front() {
                self.given = true;
                return Some(Ok(block));
            }
            if self.done {
                return None;
            }
            if !self.read_chunk() {
                self.done = true;
                if let Some(short) = self.short.take() {
                    self.bad_chunk(short);
                }
                if !self.given || !self.current.text.is_empty() || !self.current.bad.is_empty() {
                    self.flush();
                }
            }
        }
    }
}
