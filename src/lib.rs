//! tripline: a detection-rule compiler.
//!
//! Stages: [`syntax`] (pest → AST) → [`check`] (names, fields, types → [`ir`]) →
//! [`mapping`] (catalog field mapping, IR → IR) → [`targets`] (KQL, SPL, Sigma).
//! The library never prints; the CLI in `src/cli/` is a thin layer over [`compile`].

pub mod catalog;
pub mod ir;
pub mod mapping;
pub mod targets;
pub mod yaml;
