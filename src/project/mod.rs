//! A rule library as a project: `tripline.toml` names what to build ([`config`]), a build
//! compiles every rule for every target into one deterministic tree ([`plan`]), and
//! `tripline.lock` records each rule's version, meaning and output hashes ([`lock`]);
//! [`apply`] compares a plan with the disk (`build --check`) or writes it.

// A project error is made once per run and carries its file's text for the report; its
// size does not matter.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod config;
pub mod lock;
pub mod plan;

pub use apply::{drift, write, Drift, Written};
pub use config::{Project, TargetConfig};
pub use lock::{Entry, Lock};
pub use plan::{plan, Note, Plan};

use crate::driver::FileDiagnostic;

/// A project that cannot be built at all (a rule's own problems are diagnostics instead).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ProjectError {
    /// A file of the project could not be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::project::unreadable),
        help("run `tripline build` in the directory holding tripline.toml, or pass --project DIR")
    )]
    Unreadable {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// `tripline.toml` is not a valid project.
    #[error("tripline.toml: {message}")]
    #[diagnostic(code(tripline::project::bad_config))]
    BadConfig {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("here")]
        span: miette::SourceSpan,
        /// How to fix it.
        #[help]
        help: Option<String>,
        /// The file.
        #[source_code]
        src: miette::NamedSource<String>,
    },
    /// `tripline.lock` cannot be read as a lock.
    #[error("`{path}` is not a tripline lock: {reason}")]
    #[diagnostic(code(tripline::project::bad_lock), help("the lock is written by `tripline build`; restore it from version control, or delete it to start every rule at version 1"))]
    BadLock {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The project's catalog has errors.
    #[error("the project's catalog has {} problem(s)", .0.len())]
    #[diagnostic(
        code(tripline::project::catalog),
        help("fix the catalog file named in tripline.toml")
    )]
    Catalog(Vec<FileDiagnostic>),
    /// A file could not be written or removed.
    #[error("cannot write `{path}`: {reason}")]
    #[diagnostic(
        code(tripline::project::write),
        help("every other file is still written; the lock is not updated until every file is")
    )]
    Write {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}
