//! tripline: a detection-rule compiler.
//!
//! Stages: [`syntax`] (pest → AST) → [`check`] (names, fields, types → [`ir`]) →
//! [`mapping`] (catalog field mapping, IR → IR) → [`targets`] (KQL, SPL, Sigma).
//! The library never prints; the CLI in `src/cli/` is a thin layer over [`compile`].

pub mod catalog;
pub mod check;
pub mod driver;
pub mod fmt;
pub mod hunt;
pub mod ir;
pub mod lsp;
pub mod mapping;
pub mod project;
pub mod sigma_in;
pub mod syntax;
pub mod targets;
pub mod yaml;

pub use driver::{compile, compile_paths, Compiled, FileDiagnostic, Options, Output};
pub mod eval;
pub mod testing;
pub mod time;
