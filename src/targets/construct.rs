//! What a target may refuse: the closed set of constructs behind
//! `tripline::target::unsupported`, each with a stable sub-code shown in the diagnostic
//! (`[ipv6_cidr]`). Every target declares the ones it may refuse ([`super::Target::refusals`]);
//! the construct × target matrix in `grammar/README.md` is rendered from those declarations
//! (`tests/capabilities.rs`).

use std::fmt;

/// A construct some target cannot write exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Construct {
    /// A `threshold`, `new` or `sequence` stage at all.
    StatefulStage,
    /// A first-seen (`new`) stage.
    FirstSeenStage,
    /// A `threshold` compared otherwise than with `>` or `>=`.
    ThresholdComparison,
    /// A `threshold` without `by`.
    ThresholdWithoutKey,
    /// A `sequence` without a key or without steps.
    SequenceShape,
    /// A window or baseline length the target cannot hold.
    StageWindow,
    /// A field a stage groups, counts or joins on that the target cannot use so.
    StageField,
    /// A stateful rule whose `id` is not a UUID.
    StatefulRuleId,
    /// A field name the target cannot write.
    FieldName,
    /// A field the catalog maps to an expression.
    MappedExpression,
    /// A test on a field of a type it does not apply to.
    FieldType,
    /// A case-insensitive comparison with a non-ASCII letter.
    CaselessNonAscii,
    /// A comparison of the source's time field.
    TimeFieldComparison,
    /// A `like` glob the target cannot write.
    GlobPattern,
    /// A `matches` regular expression the target cannot write.
    RegexPattern,
    /// A comparison of two fields of different types.
    FieldComparison,
    /// A case-sensitive comparison of two fields.
    CaseSensitiveFieldComparison,
    /// An IPv6 network in a `cidr` test.
    Ipv6Cidr,
    /// A list longer than the target's limit.
    LongList,
    /// A string the target cannot quote.
    StringLiteral,
    /// Equality with `all` of several values.
    EqualsAll,
    /// A log source the target has no name for.
    LogSource,
    /// A rule without a metadata entry the target needs.
    RuleMetadata,
    /// An index name, base search or field expression from the catalog or the options.
    CatalogSetting,
    /// The deployable artifact for the rule.
    Artifact,
}

impl Construct {
    /// Every construct, in the order above.
    pub const ALL: [Construct; 25] = [
        Construct::StatefulStage,
        Construct::FirstSeenStage,
        Construct::ThresholdComparison,
        Construct::ThresholdWithoutKey,
        Construct::SequenceShape,
        Construct::StageWindow,
        Construct::StageField,
        Construct::StatefulRuleId,
        Construct::FieldName,
        Construct::MappedExpression,
        Construct::FieldType,
        Construct::CaselessNonAscii,
        Construct::TimeFieldComparison,
        Construct::GlobPattern,
        Construct::RegexPattern,
        Construct::FieldComparison,
        Construct::CaseSensitiveFieldComparison,
        Construct::Ipv6Cidr,
        Construct::LongList,
        Construct::StringLiteral,
        Construct::EqualsAll,
        Construct::LogSource,
        Construct::RuleMetadata,
        Construct::CatalogSetting,
        Construct::Artifact,
    ];

    /// The stable sub-code (`ipv6_cidr`).
    pub fn code(self) -> &'static str {
        self.row().0
    }

    /// What the construct is, in a few words (the matrix's first column).
    pub fn summary(self) -> &'static str {
        self.row().1
    }

    fn row(self) -> (&'static str, &'static str) {
        match self {
            Construct::StatefulStage => {
                ("stateful_stage", "a `threshold`, `new` or `sequence` stage")
            }
            Construct::FirstSeenStage => ("first_seen_stage", "a first-seen (`new`) stage"),
            Construct::ThresholdComparison => (
                "threshold_comparison",
                "a `threshold` compared otherwise than with `>` or `>=`",
            ),
            Construct::ThresholdWithoutKey => {
                ("threshold_without_key", "a `threshold` without `by`")
            }
            Construct::SequenceShape => ("sequence_shape", "a `sequence` without a key or steps"),
            Construct::StageWindow => (
                "stage_window",
                "a window or baseline the platform cannot hold",
            ),
            Construct::StageField => (
                "stage_field",
                "a field a stage cannot group, count or join on",
            ),
            Construct::StatefulRuleId => (
                "stateful_rule_id",
                "a stateful rule whose `id` is not a UUID",
            ),
            Construct::FieldName => ("field_name", "a field name the platform cannot write"),
            Construct::MappedExpression => ("mapped_expression", "a field mapped to an expression"),
            Construct::FieldType => ("field_type", "a test on a field of another type"),
            Construct::CaselessNonAscii => (
                "caseless_non_ascii",
                "a case-insensitive comparison with a non-ASCII letter",
            ),
            Construct::TimeFieldComparison => {
                ("time_field_comparison", "a comparison of the time field")
            }
            Construct::GlobPattern => ("glob_pattern", "a `like` glob the platform cannot write"),
            Construct::RegexPattern => (
                "regex_pattern",
                "a regular expression the platform cannot write",
            ),
            Construct::FieldComparison => {
                ("field_comparison", "two fields of different types compared")
            }
            Construct::CaseSensitiveFieldComparison => (
                "case_sensitive_field_comparison",
                "two fields compared with `cased`",
            ),
            Construct::Ipv6Cidr => ("ipv6_cidr", "an IPv6 network in a `cidr` test"),
            Construct::LongList => ("long_list", "a list longer than the platform's limit"),
            Construct::StringLiteral => ("string_literal", "a string the platform cannot quote"),
            Construct::EqualsAll => ("equals_all", "`==` with `all` of several values"),
            Construct::LogSource => ("log_source", "a log source the target has no name for"),
            Construct::RuleMetadata => (
                "rule_metadata",
                "a rule without a metadata entry the target needs",
            ),
            Construct::CatalogSetting => (
                "catalog_setting",
                "an index, base search or field expression it cannot use",
            ),
            Construct::Artifact => ("artifact", "the deployable artifact for the rule"),
        }
    }
}

impl fmt::Display for Construct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The construct × target matrix as a Markdown table: one row per construct, one column
/// per target of `targets`, `refused` where the target may refuse it.
pub fn matrix(targets: &[&dyn super::Target]) -> String {
    let mut out = String::from("| construct | sub-code |");
    for t in targets {
        out.push_str(&format!(" {} |", t.name()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(targets.len()));
    out.push('\n');
    for c in Construct::ALL {
        out.push_str(&format!("| {} | `{}` |", c.summary(), c.code()));
        for t in targets {
            let cell = if t.refusals().contains(&c) {
                " refused |"
            } else {
                " |"
            };
            out.push_str(cell);
        }
        out.push('\n');
    }
    out
}
