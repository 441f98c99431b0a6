//! The checker's diagnostics.

use miette::SourceSpan;

/// An error found by the checker. Every variant has a stable code and a labelled span.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum CheckError {
    /// A field the log source does not have.
    #[error("unknown field `{field}` in log source `{source_name}`")]
    #[diagnostic(code(tripline::check::unknown_field))]
    UnknownField {
        /// The field.
        field: String,
        /// The source.
        source_name: String,
        /// Where.
        #[label("not a field of `{source_name}`")]
        span: SourceSpan,
        /// Did-you-mean.
        #[help]
        help: Option<String>,
    },
    /// A log source the catalog does not have.
    #[error("unknown log source `{name}`")]
    #[diagnostic(code(tripline::check::unknown_source))]
    UnknownSource {
        /// The name.
        name: String,
        /// Where.
        #[label("not in the catalog")]
        span: SourceSpan,
        /// Did-you-mean.
        #[help]
        help: Option<String>,
    },
    /// A list or condition name that is not in scope.
    #[error("unknown {kind} `{name}`")]
    #[diagnostic(code(tripline::check::unknown_name))]
    UnknownName {
        /// `list` or `condition`.
        kind: &'static str,
        /// The name.
        name: String,
        /// Where.
        #[label("not declared here or in an imported file")]
        span: SourceSpan,
        /// Did-you-mean.
        #[help]
        help: Option<String>,
    },
    /// A name used as the wrong kind of thing.
    #[error("`{name}` is a {actual}, not a {expected}")]
    #[diagnostic(code(tripline::check::wrong_kind))]
    WrongKind {
        /// The name.
        name: String,
        /// What it is.
        actual: &'static str,
        /// What was needed.
        expected: &'static str,
        /// Where.
        #[label("a {expected} is needed here")]
        span: SourceSpan,
    },
    /// The same name declared twice in one scope.
    #[error("`{name}` is declared more than once")]
    #[diagnostic(
        code(tripline::check::duplicate_name),
        help("rules, lists and conditions share one namespace per file, including imported files")
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The second declaration.
        #[label("declared again here")]
        span: SourceSpan,
        /// Where the first one is.
        first: String,
    },
    /// An import that leads back to the importing file.
    #[error("import cycle: {cycle}")]
    #[diagnostic(
        code(tripline::check::import_cycle),
        help("move the shared lists and conditions into a file that imports nothing")
    )]
    ImportCycle {
        /// The files in the cycle.
        cycle: String,
        /// The import that closes the cycle.
        #[label("this import closes the cycle")]
        span: SourceSpan,
    },
    /// An import that cannot be read.
    #[error("cannot import `{path}`: {reason}")]
    #[diagnostic(code(tripline::check::import_not_found))]
    ImportNotFound {
        /// The path as written.
        path: String,
        /// The I/O error.
        reason: String,
        /// Where.
        #[label("imported here")]
        span: SourceSpan,
    },
    /// An imported file that has errors of its own.
    #[error("imported file `{path}` has errors")]
    #[diagnostic(
        code(tripline::check::broken_import),
        help("fix the errors reported for that file")
    )]
    BrokenImport {
        /// The path.
        path: String,
        /// Where.
        #[label("imported here")]
        span: SourceSpan,
    },
    /// A required rule entry is absent.
    #[error("rule `{rule}` has no `{key}`")]
    #[diagnostic(code(tripline::check::missing_entry))]
    MissingEntry {
        /// The rule.
        rule: String,
        /// The key.
        key: &'static str,
        /// The rule name.
        #[label("`{key}` is required")]
        span: SourceSpan,
    },
    /// A rule entry given twice.
    #[error("`{key}` is given more than once")]
    #[diagnostic(code(tripline::check::duplicate_entry))]
    DuplicateEntry {
        /// The key.
        key: String,
        /// The second one.
        #[label("given again here")]
        span: SourceSpan,
    },
    /// A metadata key tripline does not know.
    #[error("unknown metadata key `{key}`")]
    #[diagnostic(code(tripline::check::unknown_key))]
    UnknownKey {
        /// The key.
        key: String,
        /// Where.
        #[label("not a metadata key")]
        span: SourceSpan,
        /// Did-you-mean.
        #[help]
        help: Option<String>,
    },
    /// A metadata value of the wrong form.
    #[error("invalid `{key}`: {reason}")]
    #[diagnostic(code(tripline::check::bad_metadata))]
    BadMetadata {
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("{reason}")]
        span: SourceSpan,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// An `id` that is not a UUID.
    #[error("`{value}` is not a UUID")]
    #[diagnostic(
        code(tripline::check::bad_uuid),
        help("an id is a UUID such as 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 (generate one with `uuidgen`)")
    )]
    BadUuid {
        /// The text.
        value: String,
        /// Where.
        #[label("not a UUID")]
        span: SourceSpan,
    },
    /// A date that does not exist.
    #[error("`{value}` is not a valid date")]
    #[diagnostic(
        code(tripline::check::bad_date),
        help("dates are written YYYY-MM-DD and must exist on the calendar")
    )]
    BadDate {
        /// The text.
        value: String,
        /// Where.
        #[label("not a real YYYY-MM-DD date")]
        span: SourceSpan,
    },
    /// A malformed tag.
    #[error("invalid tag `{value}`: {reason}")]
    #[diagnostic(code(tripline::check::bad_tag))]
    BadTag {
        /// The tag.
        value: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("{reason}")]
        span: SourceSpan,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// The same id in two rules.
    #[error("id `{id}` is used by more than one rule")]
    #[diagnostic(
        code(tripline::check::duplicate_id),
        help("every rule needs its own id; generate a new one with `uuidgen`")
    )]
    DuplicateId {
        /// The id.
        id: String,
        /// The second use.
        #[label("also used by `{first}`")]
        span: SourceSpan,
        /// The first rule using it (path and name).
        first: String,
    },
    /// An operator used on a field of a type it does not apply to.
    #[error("{what} cannot be used on `{field}`, a {ty} field")]
    #[diagnostic(code(tripline::check::type_mismatch))]
    TypeMismatch {
        /// The operation.
        what: String,
        /// The field.
        field: String,
        /// Its type.
        ty: &'static str,
        /// Where.
        #[label("{field} is a {ty}")]
        span: SourceSpan,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// A value of the wrong kind for its place.
    #[error("{reason}")]
    #[diagnostic(code(tripline::check::bad_value))]
    BadValue {
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// A field that cannot key a stateful stage.
    #[error("field `{field}` cannot be a stage key: {reason}")]
    #[diagnostic(
        code(tripline::check::stage_key),
        help("group by or count a string, number, ip or bool field instead")
    )]
    StageKey {
        /// The field.
        field: String,
        /// Why (from `ir::stage_key`).
        reason: String,
        /// Where.
        #[label("not a possible key")]
        span: SourceSpan,
    },
    /// A comparison with the empty string.
    #[error("comparison with the empty string")]
    #[diagnostic(
        code(tripline::check::empty_string),
        help("a field that is empty counts as missing: write `{field} missing` (or `{field} exists`)")
    )]
    EmptyString {
        /// The field.
        field: String,
        /// Where.
        #[label("empty string")]
        span: SourceSpan,
    },
    /// A regular expression outside the portable subset.
    #[error("regular expression not supported by every target: {reason}")]
    #[diagnostic(
        code(tripline::check::bad_regex),
        help("tripline accepts the syntax common to RE2 (KQL), PCRE (SPL) and Sigma: no look-around, no back-references, no class set operations; inline flags only i, m, s")
    )]
    BadRegex {
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("{reason}")]
        span: SourceSpan,
    },
    /// A malformed CIDR network.
    #[error("`{value}` is not a CIDR network")]
    #[diagnostic(
        code(tripline::check::bad_cidr),
        help("write networks as 10.0.0.0/8 or fd00::/8 with no host bits set")
    )]
    BadCidr {
        /// The text.
        value: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("{reason}")]
        span: SourceSpan,
    },
    /// Named conditions that refer to each other too deeply.
    #[error("conditions refer to conditions more than {limit} levels deep")]
    #[diagnostic(
        code(tripline::check::condition_depth),
        help("flatten the chain: let a condition refer to the conditions it combines directly")
    )]
    ConditionDepth {
        /// The limit.
        limit: usize,
        /// The reference past the limit.
        #[label("one level too deep")]
        span: SourceSpan,
    },
    /// An expression nested too deeply once its named conditions are expanded.
    #[error("the expression nests `and`/`or`/`not` more than {limit} levels deep once named conditions are expanded")]
    #[diagnostic(
        code(tripline::check::expr_depth),
        help("a long run of `and` or `or` is one level: write the alternatives side by side instead of nesting them")
    )]
    ExprDepth {
        /// The limit.
        limit: usize,
        /// The expression past the limit.
        #[label("one level too deep")]
        span: SourceSpan,
    },
    /// A named condition that refers to itself.
    #[error("condition `{name}` refers to itself")]
    #[diagnostic(code(tripline::check::condition_cycle))]
    ConditionCycle {
        /// The condition.
        name: String,
        /// Where.
        #[label("reference back to `{name}`")]
        span: SourceSpan,
    },
}
