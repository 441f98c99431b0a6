//! The problems of a catalog file: one coded diagnostic each, and all of one file together.

use std::sync::Arc;

use miette::SourceSpan;

/// One problem of a catalog file.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum CatalogError {
    /// The file is not YAML.
    #[error("not valid YAML: {message}")]
    #[diagnostic(
        code(tripline::catalog::yaml),
        help("a catalog is a YAML map with the keys `sources` (and optionally `records`, `field_sets`); see docs/catalog.md")
    )]
    Yaml {
        /// The parser's message.
        message: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A key that the format does not have.
    #[error("unknown key `{key}` in {place}")]
    #[diagnostic(code(tripline::catalog::unknown_key))]
    UnknownKey {
        /// The key.
        key: String,
        /// Where (`source `m365.audit``).
        place: String,
        /// Where in the file.
        #[label("not a key of {place}")]
        span: SourceSpan,
        /// Did you mean / the valid keys.
        #[help]
        help: String,
    },
    /// A target section under a key no target reads.
    #[error("unknown target key `{key}` in {place}")]
    #[diagnostic(code(tripline::catalog::unknown_target))]
    UnknownTarget {
        /// The key.
        key: String,
        /// Where.
        place: String,
        /// Where in the file.
        #[label("no target reads this section")]
        span: SourceSpan,
        /// Did you mean / the valid keys.
        #[help]
        help: String,
    },
    /// A value of the wrong form.
    #[error("{place}: {message}")]
    #[diagnostic(code(tripline::catalog::bad_value))]
    BadValue {
        /// Where.
        place: String,
        /// What is wrong.
        message: String,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
        /// The valid forms.
        #[help]
        help: String,
    },
    /// A required key that is missing.
    #[error("{place} has no `{key}`")]
    #[diagnostic(code(tripline::catalog::missing_key))]
    MissingKey {
        /// Where.
        place: String,
        /// The key.
        key: String,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
        /// What it is for.
        #[help]
        help: String,
    },
    /// A name that is not a field of its source (in a mapping, `timestamp`, ...).
    #[error("{place}: `{name}` is not a field of source `{source_name}`")]
    #[diagnostic(code(tripline::catalog::unknown_field))]
    UnknownField {
        /// Where.
        place: String,
        /// The name.
        name: String,
        /// The source.
        source_name: String,
        /// Where in the file.
        #[label("not a field")]
        span: SourceSpan,
        /// Did you mean.
        #[help]
        help: String,
    },
    /// A name that refers to nothing (`record`, `use`).
    #[error("{place}: unknown {what} `{name}`")]
    #[diagnostic(code(tripline::catalog::unknown_name))]
    UnknownName {
        /// Where.
        place: String,
        /// What kind of name.
        what: &'static str,
        /// The name.
        name: String,
        /// Where in the file.
        #[label("unknown {what}")]
        span: SourceSpan,
        /// Did you mean / the known names.
        #[help]
        help: String,
    },
    /// A name defined twice among the built-in files.
    #[error("{what} `{name}` is defined twice")]
    #[diagnostic(
        code(tripline::catalog::duplicate),
        help("each built-in file defines its own names; merge the two definitions")
    )]
    Duplicate {
        /// What kind of name.
        what: &'static str,
        /// The name.
        name: String,
        /// Where in the file.
        #[label("defined again here")]
        span: SourceSpan,
    },
    /// A `recognize` predicate that does not parse or check (reported by `check`).
    #[error("source `{source_name}`: recognize: {message}")]
    #[diagnostic(
        code(tripline::catalog::bad_recognize),
        help("`recognize` is a rule-language expression over the source's own fields, e.g. `Channel == \"Security\" and EventID == 4624`")
    )]
    BadRecognize {
        /// The source.
        source_name: String,
        /// What is wrong.
        message: String,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
    },
}

/// Every problem of one catalog file, with its text (for rendering).
#[derive(Debug, Clone)]
pub struct FileError {
    /// The file.
    pub origin: String,
    /// Its text.
    pub text: Arc<str>,
    /// The problems, in file order.
    pub errors: Vec<CatalogError>,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "catalog {}: ", self.origin)?;
        let msgs: Vec<String> = self.errors.iter().map(|e| e.to_string()).collect();
        write!(f, "{}", msgs.join("; "))
    }
}

impl std::error::Error for FileError {}
