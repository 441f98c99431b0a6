//! Catalogs as diagnostics: a user catalog laid over the built-in one, every problem of
//! the file reported with its snippet, and each user-given `recognize` compiled.

use std::sync::Arc;

use crate::catalog::{Catalog, CatalogError, FileError};

use super::FileDiagnostic;

/// The built-in catalog with the user's file (`(text, origin)`) laid over it, or every
/// problem of that file.
pub fn load_catalog(user: Option<(&str, &str)>) -> Result<Catalog, Vec<FileDiagnostic>> {
    let builtin = Catalog::builtin_shared();
    let Some((text, origin)) = user else {
        return Ok(builtin.as_ref().clone());
    };
    let cat = builtin
        .with_user_yaml(text, origin)
        .map_err(|e| file_errors(&e))?;
    let problems: Vec<FileDiagnostic> = recognizer_problems(&cat, |o| o == origin);
    if problems.is_empty() {
        Ok(cat)
    } else {
        Err(problems)
    }
}

/// One diagnostic per problem of a catalog file.
pub fn file_errors(e: &FileError) -> Vec<FileDiagnostic> {
    e.errors
        .iter()
        .map(|error| FileDiagnostic {
            path: e.origin.clone(),
            text: e.text.clone(),
            error: error.clone().into(),
        })
        .collect()
}

/// Every `recognize` predicate of a source written in a file for which `which` holds that
/// does not parse or check, located in its catalog file.
pub fn recognizer_problems(cat: &Catalog, which: impl Fn(&str) -> bool) -> Vec<FileDiagnostic> {
    let mut out = Vec::new();
    for (name, src) in &cat.sources {
        let Some(r) = &src.recognize else { continue };
        if !which(&r.origin) {
            continue;
        }
        if let Err(es) = crate::check::recognizer(name, src, &r.text) {
            for (message, span) in es {
                let at = (r.offset + span.start).min(r.file.len());
                out.push(FileDiagnostic {
                    path: r.origin.to_string(),
                    text: Arc::clone(&r.file),
                    error: CatalogError::BadRecognize {
                        source_name: name.clone(),
                        message,
                        span: (at, 1).into(),
                    }
                    .into(),
                });
            }
        }
    }
    out
}
