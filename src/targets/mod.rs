//! Output targets. Everything that differs between KQL, SPL and Sigma lives below this
//! module; the rest of the compiler only sees the [`Target`] trait.
//!
//! Adding a target means adding one file and one line in [`registry`].

use miette::SourceSpan;

use crate::catalog::Source;
use crate::ir;

pub use construct::Construct;

pub mod attack;
pub mod construct;
pub mod duckdb;
pub mod guards;
pub mod kql;
pub mod logic;
pub mod sigma;
pub mod spark;
pub mod spl;
pub mod sql;
#[cfg(test)]
pub(crate) mod test_fixtures;
pub mod text;
pub mod trip;

/// Options a target reads.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// The flavour (`sentinel`, `defender` for KQL); `None` for the target's default.
    pub flavor: Option<String>,
    /// SPL: the index to search instead of the catalog's default.
    pub spl_index: Option<String>,
    /// SQL: put before every derived table name (`lake.` for a schema).
    pub table_prefix: Option<String>,
    /// The rule was read from a Sigma file: problems of its ATT&CK tags do not refuse its
    /// artifacts (SigmaHQ's rules often carry tags ATT&CK's table does not agree with, or of a
    /// newer ATT&CK release); `.trip` rules are held to the table.
    pub sigma_input: bool,
}

/// What a target gets besides the rule.
pub struct Ctx<'a> {
    /// The rule's log source from the catalog.
    pub source: &'a Source,
    /// The source's catalog name.
    pub source_name: &'a str,
    /// The options.
    pub opts: &'a TargetOptions,
    /// The catalog key the rule was mapped with (`kql.sentinel`).
    pub catalog_key: &'a str,
}

/// A deployable file for one compiled rule: what a pipeline publishes to the SIEM
/// (a Sentinel analytics rule, a Defender custom detection, a `savedsearches.conf` stanza).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The extension of the file written with `--out` (`yaml`, `json`, `conf`).
    pub extension: &'static str,
    /// The file's text, ending in a newline.
    pub text: String,
}

/// A target's refusal to emit something it cannot express exactly.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum TargetError {
    /// The construct has no exact translation on this target.
    #[error("{target} cannot express {construct} exactly [{kind}]")]
    #[diagnostic(code(tripline::target::unsupported))]
    Unsupported {
        /// The target (and flavour), e.g. `kql (defender)`.
        target: String,
        /// Which construct of the closed set (its sub-code is shown in brackets).
        kind: Construct,
        /// The construct, e.g. `a case-sensitive glob`.
        construct: String,
        /// Where the construct is.
        #[label("{reason}")]
        span: SourceSpan,
        /// Why it cannot be expressed.
        reason: String,
        /// What to do instead.
        #[help]
        help: Option<String>,
    },
    /// The output is exact only under a condition the target cannot check (a warning: the
    /// rule is still written).
    #[error("{target} expresses {construct} only as its own standard defines it")]
    #[diagnostic(code(tripline::target::backend_defined), severity(Warning))]
    BackendDefined {
        /// The target.
        target: String,
        /// The construct.
        construct: String,
        /// Where.
        #[label("{reason}")]
        span: SourceSpan,
        /// What may differ.
        reason: String,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },
    /// An `attack.tNNNN` tag naming a technique ATT&CK does not have (artifacts publish the
    /// rule's techniques).
    #[error("{target}: the tag `{tag}` names no technique of ATT&CK Enterprise v{version}")]
    #[diagnostic(
        code(tripline::target::unknown_technique),
        help("a published rule's technique tags name current ATT&CK Enterprise techniques or sub-techniques (revoked and deprecated ones are not current); see https://attack.mitre.org/techniques/enterprise/")
    )]
    UnknownTechnique {
        /// The target.
        target: String,
        /// The tag.
        tag: String,
        /// The ATT&CK version of `targets::attack::TABLE`.
        version: &'static str,
        /// The rule.
        #[label("this rule")]
        span: SourceSpan,
    },
    /// A technique tag none of whose tactics is among the rule's tactic tags.
    #[error("{target}: {what}, which the rule's tags do not name")]
    #[diagnostic(code(tripline::target::attack_mismatch))]
    AttackMismatch {
        /// The target.
        target: String,
        /// The tag, its technique and the technique's tactics: ``attack.t1027` (T1027
        /// Obfuscated Files or Information) belongs to defense-evasion`.
        what: String,
        /// The rule.
        #[label("this rule")]
        span: SourceSpan,
        /// The tactic tag to add.
        #[help]
        help: String,
    },
    /// A text of the rule is longer than the platform's artifact holds.
    #[error(
        "{target}: the rule's {what} has {chars} characters, and the platform holds at most {max}"
    )]
    #[diagnostic(
        code(tripline::target::too_long),
        help("shorten it, or compile the bare query (without --artifact) and publish it by hand")
    )]
    TooLong {
        /// The target.
        target: String,
        /// What is too long (`description`).
        what: String,
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
        /// The rule.
        #[label("this rule")]
        span: SourceSpan,
    },
    /// Two rules' artifacts would be published under one name: the second would replace the
    /// first.
    #[error("{target}: rule `{rule}` is published as {what}, as rule `{other}` is")]
    #[diagnostic(
        code(tripline::target::artifact_collision),
        help("the name comes from the rule's title: give one of the two rules another title")
    )]
    ArtifactCollision {
        /// The target.
        target: String,
        /// This rule.
        rule: String,
        /// The rule published first under that name.
        other: String,
        /// The shared name (`the stanza [tripline - X - Rule]`).
        what: String,
        /// This rule.
        #[label("published under the same name as `{other}`")]
        span: SourceSpan,
    },
    /// The source has no table / base search for this target.
    #[error("log source `{source_name}` has no {what} for {target} in the catalog")]
    #[diagnostic(code(tripline::target::no_table))]
    NoTable {
        /// The target.
        target: String,
        /// The source.
        source_name: String,
        /// What is missing (`table`, `base search`).
        what: String,
        /// The rule's `source` line.
        #[label("this source")]
        span: SourceSpan,
    },
}

/// A compiler back end.
pub trait Target: Sync {
    /// The name used with `--target` (`kql`).
    fn name(&self) -> &'static str;

    /// The flavours accepted by `--flavor`; the first is the default. Empty when the target
    /// has none.
    fn flavors(&self) -> &'static [&'static str] {
        &[]
    }

    /// The key of this target's section in the catalog (`kql.sentinel`).
    fn catalog_key(&self, flavor: &str) -> String {
        if flavor.is_empty() {
            self.name().to_string()
        } else {
            format!("{}.{}", self.name(), flavor)
        }
    }

    /// Whether the target writes queries (every target but the `.trip` migration writer).
    fn is_query(&self) -> bool {
        true
    }

    /// The extension of the files written with `--out` (`kql`).
    fn extension(&self) -> &'static str;

    /// Compile one rule whose fields are already mapped for this target.
    fn compile_rule(&self, rule: &ir::Rule, ctx: &Ctx) -> Result<String, Vec<TargetError>>;

    /// This target's settings for a log source that has no catalog entry (a Sigma rule read
    /// with `convert-sigma`): whatever the target needs to run at all, with no field mapping.
    fn unmapped_source(&self) -> crate::catalog::TargetSource {
        crate::catalog::TargetSource::default()
    }

    /// The section a source gets on this target when the catalog gives it none (the SQL
    /// targets' lake layout); `None`: no section (fields keep their names).
    fn derived_section(
        &self,
        _source_name: &str,
        _source: &Source,
    ) -> Option<crate::catalog::TargetSource> {
        None
    }

    /// Every catalog key this target reads: one per flavour, or its name when it has none.
    fn catalog_keys(&self) -> Vec<String> {
        if self.flavors().is_empty() {
            vec![self.catalog_key("")]
        } else {
            self.flavors().iter().map(|f| self.catalog_key(f)).collect()
        }
    }

    /// Coded warnings about an output that compiled: parts whose meaning the target's own
    /// standard leaves to each engine. Empty by default.
    fn warnings(&self, _rule: &ir::Rule, _ctx: &Ctx) -> Vec<TargetError> {
        Vec::new()
    }

    /// The deployable artifact for a rule that compiled to `query`: `None` when the target
    /// has none (the query itself is what is published). A refusal is the same coded error
    /// as in [`Target::compile_rule`].
    fn artifact(
        &self,
        _rule: &ir::Rule,
        _query: &str,
        _ctx: &Ctx,
    ) -> Result<Option<Artifact>, Vec<TargetError>> {
        Ok(None)
    }

    /// Refusals that concern several rules' artifacts together (two published under one
    /// name), as `(index into artifacts, error)`: the driver calls it once with every artifact
    /// of a compilation, in output order. None by default.
    fn check_artifacts(&self, _artifacts: &[(&ir::Rule, &Artifact)]) -> Vec<(usize, TargetError)> {
        Vec::new()
    }

    /// Join several artifacts into one stream (stdout): by default each artifact's text,
    /// separated by a blank line.
    fn bundle_artifacts(&self, artifacts: &[(String, Artifact)]) -> String {
        let texts: Vec<&str> = artifacts.iter().map(|(_, a)| a.text.as_str()).collect();
        texts.join("\n")
    }

    /// The constructs this target may refuse (`tripline::target::unsupported`): the
    /// columns of the capability matrix in `grammar/README.md`. A refusal of a construct not
    /// listed here fails a debug assertion.
    fn refusals(&self) -> &'static [Construct] {
        &[]
    }

    /// How a line comment is written (used to label rules when several go to one stream).
    fn comment(&self, text: &str) -> String;

    /// Join several compiled rules into one stream (stdout).
    fn bundle(&self, outputs: &[(String, String)]) -> String {
        let mut s = String::new();
        for (i, (name, text)) in outputs.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            s.push_str(&self.comment(&format!("rule: {name}")));
            s.push('\n');
            s.push_str(text);
            if !text.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }
}

/// Every target, in a fixed order.
pub fn registry() -> Vec<&'static dyn Target> {
    vec![
        &kql::Kql,
        &spl::Spl,
        &sigma::Sigma,
        &trip::Trip,
        &duckdb::DUCKDB,
        &spark::SPARK,
    ]
}

/// Every (target, flavour) a rule library compiles to: each query target of the registry
/// with each of its flavours (`None` for a target without flavours). The `trip` writer,
/// which migrates Sigma rules, is not a query target.
pub fn query_targets() -> Vec<(&'static str, Option<&'static str>)> {
    let mut out = Vec::new();
    for t in registry() {
        if !t.is_query() {
            continue;
        }
        if t.flavors().is_empty() {
            out.push((t.name(), None));
        } else {
            out.extend(t.flavors().iter().map(|f| (t.name(), Some(*f))));
        }
    }
    out
}

/// `cat` with every section a target derives for a source the catalog gives no section
/// for that target (`Target::derived_section`).
pub fn with_derived_sections(cat: &crate::catalog::Catalog) -> crate::catalog::Catalog {
    let mut out = cat.clone();
    for t in registry() {
        for key in t.catalog_keys() {
            for (name, src) in out.sources.iter_mut() {
                if src.targets.contains_key(&key) {
                    continue;
                }
                if let Some(sec) = t.derived_section(name, src) {
                    src.targets.insert(key.clone(), sec);
                }
            }
        }
    }
    out
}

/// Look a target up by name.
pub fn by_name(name: &str) -> Option<&'static dyn Target> {
    registry().into_iter().find(|t| t.name() == name)
}

/// An `Unsupported` error: `target` cannot write `construct` (the words of the message), a
/// case of `kind`.
pub fn unsupported(
    target: &str,
    kind: Construct,
    construct: &str,
    span: ir::Span,
    reason: &str,
    help: Option<&str>,
) -> TargetError {
    debug_assert!(
        declares(target, kind),
        "{target} refuses {kind}, which its Target::refusals does not list"
    );
    TargetError::Unsupported {
        target: target.to_string(),
        kind,
        construct: construct.to_string(),
        span: span.into(),
        reason: reason.to_string(),
        help: help.map(str::to_string),
    }
}

/// Whether the target named `target` (`kql (defender)`: its name and flavour) lists `kind`
/// among its refusals; true for a name the registry does not know.
fn declares(target: &str, kind: Construct) -> bool {
    let name = target.split(' ').next().unwrap_or(target);
    by_name(name).is_none_or(|t| t.refusals().contains(&kind))
}

/// The refusal of a test on a field of a type it does not apply to (`a regular expression
/// on the number field `EventID``), the same on every target.
pub fn type_refusal(target: &str, p: &ir::Pred, what: &str) -> TargetError {
    let ty = p.field.ty.name();
    unsupported(
        target,
        Construct::FieldType,
        &format!("{what} on the {ty} field `{}`", p.field.name),
        p.span,
        &format!("{what} needs a field of another type than {ty}"),
        None,
    )
}
