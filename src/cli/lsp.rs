//! `tripline lsp`: the language server on stdin and stdout.

use std::process::ExitCode;

use clap::Args;

use super::io;
use super::CatalogArg;

/// Arguments of `lsp`.
#[derive(Args)]
pub struct LspArgs {
    /// Ignored: the server always speaks on stdin and stdout (editors pass it).
    #[arg(long, hide = true)]
    stdio: bool,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// `lsp`: serve one editor until it exits.
pub fn run(a: LspArgs) -> ExitCode {
    let _ = a.stdio;
    let (conn, threads) = lsp_server::Connection::stdio();
    let served = tripline::lsp::serve(&conn, a.catalog.catalog);
    drop(conn);
    let joined = threads.join();
    match (served, joined) {
        (Ok(()), _) => ExitCode::SUCCESS,
        (Err(e), _) => {
            io::err_diag(e);
            ExitCode::from(1)
        }
    }
}
