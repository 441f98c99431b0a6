//! Compiler options: the target, its flavour, the catalog and the target's settings.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::targets::{self, Target, TargetOptions};

/// A usage problem with the options (exit code 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OptionsError {
    /// `--target` names no target.
    #[error("unknown target `{0}`")]
    #[diagnostic(code(tripline::options::unknown_target), help("targets: {1}"))]
    UnknownTarget(String, String),
    /// `--flavor` names no flavour of the target.
    #[error("target `{0}` has no flavor `{1}`")]
    #[diagnostic(code(tripline::options::unknown_flavor), help("flavors of {0}: {2}"))]
    UnknownFlavor(String, String, String),
}

/// Compiler options.
#[derive(Clone)]
pub struct Options {
    /// The target.
    pub target: &'static dyn Target,
    /// The flavour (resolved to the target's default when not given).
    pub flavor: String,
    /// The catalog.
    pub catalog: Arc<Catalog>,
    /// Target options.
    pub target_opts: TargetOptions,
    /// Also build each rule's deployable artifact ([`Target::artifact`]); a refusal to
    /// build one is an error of the rule.
    pub artifact: bool,
    /// Sigma input: a logsource the catalog does not have is an error, not a warning.
    pub strict: bool,
    /// Sigma input: values of `expand` placeholders.
    pub placeholders: Option<Arc<crate::sigma_in::modifiers::Placeholders>>,
}

impl Options {
    /// Options for a target by name, with the built-in catalog.
    pub fn new(target: &str, flavor: Option<&str>) -> Result<Options, OptionsError> {
        let t = targets::by_name(target).ok_or_else(|| {
            let names: Vec<&str> = targets::registry().iter().map(|t| t.name()).collect();
            OptionsError::UnknownTarget(target.to_string(), names.join(", "))
        })?;
        let flavors = t.flavors();
        let flavor = match flavor {
            None => flavors.first().copied().unwrap_or("").to_string(),
            Some(f) if flavors.contains(&f) => f.to_string(),
            Some(f) => {
                let list = if flavors.is_empty() {
                    "none".to_string()
                } else {
                    flavors.join(", ")
                };
                return Err(OptionsError::UnknownFlavor(
                    target.to_string(),
                    f.to_string(),
                    list,
                ));
            }
        };
        Ok(Options {
            target: t,
            flavor: flavor.clone(),
            catalog: builtin_with_derived(),
            target_opts: TargetOptions {
                flavor: if flavor.is_empty() {
                    None
                } else {
                    Some(flavor)
                },
                spl_index: None,
                table_prefix: None,
                sigma_input: false,
            },
            artifact: false,
            strict: false,
            placeholders: None,
        })
    }

    /// Build deployable artifacts too (`--artifact`).
    pub fn with_artifact(mut self, artifact: bool) -> Options {
        self.artifact = artifact;
        self
    }

    /// Refuse Sigma rules whose logsource the catalog does not have (`--strict`).
    pub fn with_strict(mut self, strict: bool) -> Options {
        self.strict = strict;
        self
    }

    /// Use another catalog (with the sections targets derive for sources it gives none).
    pub fn with_catalog(mut self, catalog: Catalog) -> Options {
        self.catalog = Arc::new(targets::with_derived_sections(&catalog));
        self
    }
}

/// The built-in catalog with the targets' derived sections, built once per process.
fn builtin_with_derived() -> Arc<Catalog> {
    static CAT: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    CAT.get_or_init(|| Arc::new(targets::with_derived_sections(&Catalog::builtin_shared())))
        .clone()
}
