//! The language server behind `tripline lsp`: the compiler's own stages, answering an
//! editor over the Language Server Protocol (on `lsp-server` and `lsp-types`, the
//! synchronous pair rust-analyzer is built on: the compiler is synchronous and fast, so a
//! plain message loop needs no async runtime).
//!
//! Diagnostics come from the same loading and checking as `tripline check`
//! ([`crate::driver::check_program`]), so there is no second parser; completion and hover
//! read the tokens around the cursor ([`lex`], [`context`]) so that they work in a rule
//! that does not parse yet, and take names from the parsed items ([`names`]).

// `lsp_types::Uri` caches parts of itself inside, which clippy takes for a mutable key; its
// `Hash`, `Eq` and `Ord` read only the URI's text, so it is a sound map key.
#![allow(clippy::mutable_key_type)]

mod compiled;
mod complete;
mod context;
mod diagnostics;
mod hover;
mod lex;
mod names;
mod navigate;
pub mod position;
mod server;
mod uri;
mod workspace;

#[cfg(test)]
mod tests;

pub use compiled::{CLIENT_COMMAND, COMMAND};
pub use server::{capabilities, serve, ServeError, DEBOUNCE};
