//! `tripline sources`.

use std::process::ExitCode;

use clap::Args;

use tripline::catalog::{describe, describe_json, Selection};

use super::io::{self, CliError};
use super::CatalogArg;

/// Arguments of `sources`.
#[derive(Args)]
pub struct SourcesArgs {
    /// One source, in full (every field's mapping on every target).
    name: Option<String>,
    /// Only this target's sections and mappings (`kql`, `spl`, `sigma`; with --flavor for KQL).
    #[arg(long, short)]
    target: Option<String>,
    /// The target's flavor (kql: sentinel or defender); without it, every flavor.
    #[arg(long)]
    flavor: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `sources`: the catalog, described.
pub fn run(a: SourcesArgs) -> ExitCode {
    let catalog = match super::load_catalog(&a.catalog) {
        Ok(c) => tripline::targets::with_derived_sections(&c),
        Err(code) => return code,
    };
    if let Some(n) = &a.name {
        if !catalog.sources.contains_key(n) {
            let names: Vec<&str> = catalog.sources.keys().map(String::as_str).collect();
            return io::fail_usage(CliError::UnknownSource {
                name: n.clone(),
                help: tripline::check::did_you_mean(n, names.iter().copied())
                    .unwrap_or_else(|| "`tripline sources` lists every source".into()),
            });
        }
    }
    let keys = match &a.target {
        None => Vec::new(),
        Some(t) => match tripline::driver::Options::new(t, a.flavor.as_deref()) {
            Err(e) => return io::fail_usage(e),
            Ok(o) if a.flavor.is_some() || o.target.flavors().is_empty() => {
                vec![o.target.catalog_key(&o.flavor)]
            }
            Ok(o) => o.target.catalog_keys(),
        },
    };
    let sel = Selection {
        source: a.name.as_deref(),
        keys,
        mappings: a.target.is_some(),
    };
    let text = if a.json {
        serde_json::to_string_pretty(&describe_json(&catalog, &sel)).unwrap_or_default() + "\n"
    } else {
        describe(&catalog, &sel)
    };
    let _ = io::out(&text);
    ExitCode::SUCCESS
}
