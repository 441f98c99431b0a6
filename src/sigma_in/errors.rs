//! Why a Sigma rule could not be read exactly: the coded refusals and warnings of the reader.

use miette::SourceSpan;

/// Why a Sigma rule could not be read exactly.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum SigmaInError {
    /// Not YAML, or not a single mapping.
    #[error("not a Sigma rule: {reason}")]
    #[diagnostic(code(tripline::sigma_in::yaml))]
    Yaml {
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Several YAML documents (correlations, `action: global` collections).
    #[error("a file of several Sigma documents ({what}) is not supported")]
    #[diagnostic(
        code(tripline::sigma_in::multi_document),
        help("convert one rule per file; correlation rules and `action: global` collections are not read")
    )]
    MultiDocument {
        /// What the documents look like.
        what: String,
        /// Where.
        #[label("second document")]
        span: SourceSpan,
    },
    /// A correlation rule.
    #[error("Sigma correlation rules are not supported")]
    #[diagnostic(code(tripline::sigma_in::correlation))]
    Correlation {
        /// Where.
        #[label("correlation")]
        span: SourceSpan,
    },
    /// A required key is absent or has the wrong shape.
    #[error("`{key}`: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_key))]
    BadKey {
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Keyword search (a selection of bare values, or a field-less modifier).
    #[error("selection `{selection}` is a keyword (unfielded) search, which is not supported")]
    #[diagnostic(
        code(tripline::sigma_in::keywords),
        help("tripline keywords search the catalog's string fields; a Sigma keyword searches the whole event, which has no exact equivalent")
    )]
    Keywords {
        /// The selection.
        selection: String,
        /// Where.
        #[label("keywords")]
        span: SourceSpan,
    },
    /// A modifier tripline does not read.
    #[error("the Sigma modifier `{modifier}` is not supported")]
    #[diagnostic(code(tripline::sigma_in::unsupported_modifier), help("{why}"))]
    Modifier {
        /// The modifier.
        modifier: String,
        /// Why not.
        why: String,
        /// Where.
        #[label("in `{key}`")]
        span: SourceSpan,
        /// The field key.
        key: String,
    },
    /// Modifiers that do not go together.
    #[error("`{key}`: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_modifiers))]
    BadModifiers {
        /// The field key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// An empty-string value.
    #[error("`{key}`: the empty string is not supported")]
    #[diagnostic(
        code(tripline::sigma_in::empty_string),
        help("tripline has no test for an empty value other than `missing` (absent, null or empty): `''` is read as `missing` only as a plain value, not with `contains`, `startswith`, `endswith` or `all`")
    )]
    EmptyString {
        /// The field key.
        key: String,
        /// Where.
        #[label("empty value")]
        span: SourceSpan,
    },
    /// An escaped wildcard together with a real wildcard.
    #[error("`{key}`: `{value}` mixes escaped and real wildcards")]
    #[diagnostic(
        code(tripline::sigma_in::escaped_wildcard),
        help("tripline globs have no escapes: a literal `*` or `?` cannot sit in a pattern")
    )]
    EscapedWildcard {
        /// The field key.
        key: String,
        /// The value.
        value: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A value of a kind the modifiers cannot take.
    #[error("`{key}`: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_value))]
    BadValue {
        /// The field key.
        key: String,
        /// What is wrong.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A regular expression outside the portable subset.
    #[error("`{key}`: the regular expression is outside tripline's portable subset: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_regex))]
    BadRegex {
        /// The field key.
        key: String,
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A CIDR network tripline does not accept.
    #[error("`{key}`: `{value}` is not an exact network: {reason}")]
    #[diagnostic(code(tripline::sigma_in::bad_cidr))]
    BadCidr {
        /// The field key.
        key: String,
        /// The value.
        value: String,
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A field used both as a number (`lt`, `gt`…) and as a string.
    #[error("field `{field}` is compared both numerically and as a string")]
    #[diagnostic(code(tripline::sigma_in::type_conflict))]
    TypeConflict {
        /// The field.
        field: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A condition that does not parse or uses what is not supported.
    #[error("condition: {reason}")]
    #[diagnostic(code(tripline::sigma_in::condition))]
    Condition {
        /// Why.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A legacy aggregation (`| count() …`) or `timeframe`.
    #[error("Sigma aggregations (`{what}`) are not supported")]
    #[diagnostic(
        code(tripline::sigma_in::aggregation),
        help("legacy `| count()` conditions and `timeframe` are deprecated in Sigma; use a tripline `threshold` stage")
    )]
    Aggregation {
        /// The construct.
        what: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A condition names a selection that does not exist.
    #[error("condition: `{name}` names no selection")]
    #[diagnostic(code(tripline::sigma_in::unknown_selection))]
    UnknownSelection {
        /// The name or pattern.
        name: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Keywords read as the language's keyword search (a warning).
    #[error("keywords are read as: some string field of the log source contains the value")]
    #[diagnostic(
        code(tripline::sigma_in::keywords_as_fields),
        severity(Warning),
        help("Sigma leaves keyword search to each backend (full-text search, term search, ...); tripline searches the catalog source's string fields, the same on every target")
    )]
    KeywordsAsFields {
        /// Where.
        #[label("keywords")]
        span: SourceSpan,
    },
    /// A lone `''` read as the language's `missing` (a warning).
    #[error("`''` is read as: the field is missing (absent, null or empty)")]
    #[diagnostic(
        code(tripline::sigma_in::empty_is_missing),
        severity(Warning),
        help("the language has one notion of an empty field, as `null` has: an empty, null or absent field is missing (KQL, for one, cannot tell an absent string column from an empty one); write `[null, '']` to say so and silence this warning")
    )]
    EmptyIsMissing {
        /// Where.
        #[label("empty value")]
        span: SourceSpan,
    },
    /// A field that the catalog source of the rule's logsource does not have.
    #[error("unknown field `{field}` in log source `{source_name}`")]
    #[diagnostic(code(tripline::sigma_in::unknown_field))]
    UnknownField {
        /// The field.
        field: String,
        /// The catalog source.
        source_name: String,
        /// Where.
        #[label("not a field of `{source_name}`")]
        span: SourceSpan,
        /// Did you mean.
        #[help]
        help: String,
    },
    /// A test that does not apply to the field's catalog type.
    #[error("field `{field}` is of type {ty} in the catalog: {reason}")]
    #[diagnostic(
        code(tripline::sigma_in::field_type),
        help("the catalog types each field; `tripline sources <source>` shows the types")
    )]
    FieldType {
        /// The field.
        field: String,
        /// Its catalog type.
        ty: &'static str,
        /// Why the test does not apply.
        reason: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A logsource that no catalog source has (a warning; an error with `--strict`).
    #[error("no catalog source has the logsource {logsource}: the rule is compiled for placeholder tables with Sigma's field names")]
    #[diagnostic(
        code(tripline::sigma_in::unmapped_logsource),
        severity(Warning),
        help("add the source to a catalog (--catalog FILE, see docs/catalog.md) to compile onto a real table; --strict makes this an error")
    )]
    UnmappedLogsource {
        /// The logsource, as written.
        logsource: String,
        /// Where.
        #[label("this logsource")]
        span: SourceSpan,
    },
    /// `--strict`: a logsource that no catalog source has.
    #[error("no catalog source has the logsource {logsource}")]
    #[diagnostic(
        code(tripline::sigma_in::unmapped_logsource_strict),
        help("add the source to a catalog (--catalog FILE, see docs/catalog.md), or drop --strict to compile onto placeholder tables")
    )]
    UnmappedLogsourceStrict {
        /// The logsource, as written.
        logsource: String,
        /// Where.
        #[label("this logsource")]
        span: SourceSpan,
    },
}
