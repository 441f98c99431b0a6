//! `tripline sources`.

use std::process::ExitCode;

use clap::Args;

use super::io;
use super::CatalogArg;

/// Arguments of `sources`.
#[derive(Args)]
pub struct SourcesArgs {
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `sources`: the catalog, described.
pub fn run(a: SourcesArgs) -> ExitCode {
    let catalog = match super::load_catalog(&a.catalog) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let _ = io::out(&tripline::catalog::describe(&catalog));
    ExitCode::SUCCESS
}
