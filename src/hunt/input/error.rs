//! The problems of a whole input (one file, or stdin): the input, or the rest of it, is
//! not read. Problems of single records are [`super::BadRecord`]s instead.

use std::sync::Arc;

/// An input that could not be read (or not to its end). The other inputs are still read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InputError {
    /// A path that cannot be opened or read, or a directory that cannot be walked.
    #[error("cannot read `{file}`: {source}")]
    #[diagnostic(
        code(tripline::hunt::input_unreadable),
        help("check that the path exists and is readable; directories are walked for .json, .jsonl, .ndjson, .log, .evtx and .gz files")
    )]
    Unreadable {
        /// The input as shown to the user.
        file: Arc<str>,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A gzip stream that is corrupt or cut short. The records before the damage were read.
    #[error("`{file}` is not a valid gzip stream: {source}")]
    #[diagnostic(
        code(tripline::hunt::gzip),
        help("the file starts like gzip (1f 8b) but does not decompress to its end; check it with `gzip -t`")
    )]
    Gzip {
        /// The input as shown to the user.
        file: Arc<str>,
        /// The decompressor's error.
        #[source]
        source: std::io::Error,
    },
    /// An EVTX log whose file header cannot be read (damaged records and chunks are
    /// reported one by one as bad records instead).
    #[error("`{file}` is not a readable EVTX log: {reason}")]
    #[diagnostic(
        code(tripline::hunt::evtx),
        help("the file starts like an EVTX log (`ElfFile`) but its header is damaged or the file is cut short")
    )]
    Evtx {
        /// The input as shown to the user.
        file: Arc<str>,
        /// The EVTX parser's message.
        reason: String,
    },
}

impl InputError {
    /// The input the problem is about, as shown to the user.
    pub fn file(&self) -> &str {
        match self {
            InputError::Unreadable { file, .. }
            | InputError::Gzip { file, .. }
            | InputError::Evtx { file, .. } => file,
        }
    }
}
