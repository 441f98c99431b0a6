//! The inputs, in order: paths (files, directories walked, `-` for stdin) or a reader; and
//! what each input is, told by its first bytes.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::evtx_log::EvtxLog;
use super::text::{is_blank, is_json_lines, read_error, Document, JsonLines};
use super::{Block, BlockSource, InputError};

/// A good block size for [`open`] and [`read`]: 1 MiB of text.
pub const DEFAULT_BLOCK_BYTES: usize = 1 << 20;

/// The file name endings (ASCII case-insensitive) of the files taken from a directory; other
/// files there are skipped. A file named on its own is read whatever its name.
pub const WALKED_EXTENSIONS: &[&str] = &[".json", ".jsonl", ".ndjson", ".log", ".evtx", ".gz"];

/// How deep gzip may nest in gzip before the inner stream is read as it is.
const MAX_GZIP_DEPTH: usize = 4;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const EVTX_MAGIC: &[u8] = b"ElfFile\0";
const UTF8_BOM: &[u8] = &[0xef, 0xbb, 0xbf];

/// Every input of `paths`, in order, as blocks of about `block_bytes` of text each (a
/// record longer than that is one block of its own; `0` is taken as `1`).
///
/// - A file is read whatever its name; what it holds is told by its content (see the module
///   documentation).
/// - A directory is walked recursively, following symbolic links, each directory's entries
///   sorted by file name (byte order), so the order is the same on every run; only files
///   whose names end in `.json`, `.jsonl`, `.ndjson`, `.log`, `.evtx` or `.gz`
///   ([`WALKED_EXTENSIONS`], any case) are read, others are skipped.
/// - `-` is stdin, named `<stdin>`.
///
/// Nothing is opened until the iterator is advanced. A path or file that cannot be read
/// gives one [`InputError`] and the iterator goes on with the next input; so does an input
/// that is damaged part way (after the blocks read before the damage). Every input that can
/// be opened gives at least one block, if only an empty one.
pub fn open(paths: &[PathBuf], block_bytes: usize) -> Inputs {
    Inputs {
        pending: paths.iter().cloned().map(Pending::Path).collect(),
        walk: None,
        current: None,
        block_bytes,
    }
}

/// One input read from `reader` (stdin, a socket, a test's bytes), named `file`, as
/// [`open`] reads a file. An EVTX log from a reader is read into memory first.
pub fn read(file: &str, reader: impl Read + Send + 'static, block_bytes: usize) -> Inputs {
    let mut pending = VecDeque::new();
    pending.push_back(Pending::Reader(file.into(), Box::new(reader)));
    Inputs {
        pending,
        walk: None,
        current: None,
        block_bytes,
    }
}

/// The blocks of every input, in input order and, within an input, in record order: an
/// `Iterator<Item = Result<Block, InputError>>` (see [`open`]). It is `Send`, so it can be
/// read on a thread of its own.
pub struct Inputs {
    pending: VecDeque<Pending>,
    walk: Option<walkdir::IntoIter>,
    current: Option<Box<dyn BlockSource>>,
    block_bytes: usize,
}

enum Pending {
    Path(PathBuf),
    Reader(Arc<str>, Box<dyn Read + Send>),
}

impl std::fmt::Debug for Inputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inputs")
            .field("pending", &self.pending.len())
            .field("block_bytes", &self.block_bytes)
            .finish_non_exhaustive()
    }
}

impl Iterator for Inputs {
    type Item = Result<Block, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(current) = &mut self.current {
                match current.next_block() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            if let Some(walk) = &mut self.walk {
                match walk.next() {
                    None => self.walk = None,
                    Some(Err(e)) => {
                        let file = e
                            .path()
                            .map(display)
                            .unwrap_or_else(|| "<directory>".into());
                        return Some(Err(InputError::Unreadable {
                            file,
                            source: e.into(),
                        }));
                    }
                    Some(Ok(entry)) => {
                        if entry.file_type().is_file() && is_walked(entry.path()) {
                            if let Err(e) = self.open_file(entry.path()) {
                                return Some(Err(e));
                            }
                        }
                    }
                }
                continue;
            }
            match self.pending.pop_front()? {
                Pending::Reader(file, reader) => {
                    if let Err(e) = self.start(file, Raw::Stream(reader)) {
                        return Some(Err(e));
                    }
                }
                Pending::Path(path) if path.as_os_str() == "-" => {
                    let stdin = Box::new(std::io::stdin());
                    if let Err(e) = self.start("<stdin>".into(), Raw::Stream(stdin)) {
                        return Some(Err(e));
                    }
                }
                Pending::Path(path) => match std::fs::metadata(&path) {
                    Err(source) => {
                        return Some(Err(InputError::Unreadable {
                            file: display(&path),
                            source,
                        }))
                    }
                    Ok(m) if m.is_dir() => {
                        self.walk = Some(
                            walkdir::WalkDir::new(&path)
                                .follow_links(true)
                                .sort_by_file_name()
                                .into_iter(),
                        );
                    }
                    Ok(_) => {
                        if let Err(e) = self.open_file(&path) {
                            return Some(Err(e));
                        }
                    }
                },
            }
        }
    }
}

impl Inputs {
    fn open_file(&mut self, path: &Path) -> Result<(), InputError> {
        let file = display(path);
        match File::open(path) {
            Ok(f) => self.start(file, Raw::File(f)),
            Err(source) => Err(InputError::Unreadable { file, source }),
        }
    }

    /// Make `raw` the current input.
    fn start(&mut self, file: Arc<str>, raw: Raw) -> Result<(), InputError> {
        self.current = Some(detect(file, raw, self.block_bytes, 0)?);
        Ok(())
    }
}

fn display(path: &Path) -> Arc<str> {
    path.display().to_string().into()
}

fn is_walked(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    WALKED_EXTENSIONS.iter().any(|ext| {
        name.len() >= ext.len()
            && name.is_char_boundary(name.len() - ext.len())
            && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
    })
}

/// An input not yet told: a file (which can seek back to its start) or a stream.
enum Raw {
    File(File),
    Stream(Box<dyn Read + Send>),
}

impl Raw {
    fn into_read(self) -> Box<dyn Read + Send> {
        match self {
            Raw::File(f) => Box::new(f),
            Raw::Stream(r) => r,
        }
    }
}

/// Up to `n` bytes from the start of `r` (fewer only at its end).
fn head(r: &mut dyn Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// What `raw` holds, told by its first bytes, and its reader. `depth` is how many gzip
/// layers are around it (its read errors are then gzip errors).
fn detect(
    file: Arc<str>,
    raw: Raw,
    block_bytes: usize,
    depth: usize,
) -> Result<Box<dyn BlockSource>, InputError> {
    let compressed = depth > 0;
    let error = |e| read_error(&file, compressed, e);
    // The first bytes, and the input from its start again.
    let (first, raw) = match raw {
        Raw::File(mut f) => {
            let first = head(&mut f, EVTX_MAGIC.len()).map_err(error)?;
            match f.seek(SeekFrom::Start(0)) {
                Ok(_) => (first, Raw::File(f)),
                // A pipe or device given by name.
                Err(_) => {
                    let again = Cursor::new(first.clone()).chain(f);
                    (first, Raw::Stream(Box::new(again)))
                }
            }
        }
        Raw::Stream(mut r) => {
            let first = head(&mut r, EVTX_MAGIC.len()).map_err(error)?;
            let again = Cursor::new(first.clone()).chain(r);
            (first, Raw::Stream(Box::new(again)))
        }
    };

    if first.starts_with(GZIP_MAGIC) && depth < MAX_GZIP_DEPTH {
        let inner = MultiGzDecoder::new(BufReader::new(raw.into_read()));
        return detect(file, Raw::Stream(Box::new(inner)), block_bytes, depth + 1);
    }

    if first == EVTX_MAGIC {
        return match raw {
            Raw::File(f) => {
                let len = f.metadata().ok().map(|m| m.len());
                Ok(Box::new(EvtxLog::new(file, f, len, block_bytes)?))
            }
            Raw::Stream(mut r) => {
                // The parser seeks: read the whole log first.
                let mut data = Vec::new();
                let read = read_all(&mut r, &mut data).err().map(error);
                let len = Some(data.len() as u64);
                match (
                    EvtxLog::new(file, Cursor::new(data), len, block_bytes),
                    read,
                ) {
                    (Ok(log), read) => Ok(then(Box::new(log), read)),
                    // The read error says more than the header cut short by it.
                    (Err(_), Some(read)) => Err(read),
                    (Err(e), None) => Err(e),
                }
            }
        };
    }

    // JSON text: JSON Lines if its first non-blank line is one whole object.
    let mut reader = BufReader::new(raw.into_read());
    if first.starts_with(UTF8_BOM) {
        let mut bom = [0u8; 3];
        reader.read_exact(&mut bom).map_err(error)?;
    }
    let mut prefix = Vec::new();
    let lines = loop {
        let start = prefix.len();
        match reader.read_until(b'\n', &mut prefix) {
            Ok(0) => break false,
            Ok(_) if is_blank(&prefix[start..]) => continue,
            Ok(_) => break is_json_lines(&prefix[start..]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {
                prefix.truncate(start);
                continue;
            }
            Err(e) => {
                // What was read before the error is read as it is, then the error given.
                prefix.truncate(start);
                let read = Box::new(JsonLines::new(
                    file.clone(),
                    Box::new(Cursor::new(prefix)),
                    compressed,
                    block_bytes,
                ));
                return Ok(then(read, Some(error(e))));
            }
        }
    };
    if lines {
        let again = BufReader::new(Cursor::new(prefix).chain(reader));
        return Ok(Box::new(JsonLines::new(
            file,
            Box::new(again),
            compressed,
            block_bytes,
        )));
    }
    let mut bytes = prefix;
    let read = read_all(&mut reader, &mut bytes).err().map(error);
    Ok(then(
        Box::new(Document::new(file.clone(), bytes, block_bytes)),
        read,
    ))
}

/// The rest of `r` onto `into`, keeping what was read before an error.
fn read_all(r: &mut dyn Read, into: &mut Vec<u8>) -> std::io::Result<()> {
    r.read_to_end(into).map(|_| ())
}

/// The blocks of `first`, then `error` (if any).
fn then(first: Box<dyn BlockSource>, error: Option<InputError>) -> Box<dyn BlockSource> {
    match error {
        None => first,
        Some(error) => Box::new(Then {
            first: Some(first),
            error: Some(error),
        }),
    }
}

struct Then {
    first: Option<Box<dyn BlockSource>>,
    error: Option<InputError>,
}

impl BlockSource for Then {
    fn next_block(&mut self) -> Option<Result<Block, InputError>> {
        if let Some(first) = &mut self.first {
            match first.next_block() {
                Some(item) => return Some(item),
                None => self.first = None,
            }
        }
        self.error.take().map(Err)
    }
}
