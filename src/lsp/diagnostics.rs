//! The compiler's diagnostics as the protocol's: the primary label's range, the severity,
//! the stable code, the message with its help, and the other labels as related places.

use std::collections::BTreeMap;

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri,
};
use miette::Diagnostic as _;

use crate::driver::{self, FileDiagnostic};

use super::position::LineIndex;
use super::workspace::Workspace;

/// One compiler diagnostic in protocol form, located in `uri`.
pub fn to_lsp(d: &FileDiagnostic, uri: &Uri) -> Diagnostic {
    let idx = LineIndex::new(&d.text);
    let labels: Vec<miette::LabeledSpan> =
        d.error.labels().map(|l| l.collect()).unwrap_or_default();
    let range_of = |l: &miette::LabeledSpan| idx.range(l.offset(), l.offset() + l.len());
    let range = labels.first().map(range_of).unwrap_or_default();
    let mut message = d.error.to_string();
    if let Some(label) = labels.first().and_then(|l| l.label()) {
        if !label.is_empty() && !message.contains(label) {
            message.push_str(&format!(" ({label})"));
        }
    }
    if let Some(help) = d.error.help() {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = labels
        .iter()
        .skip(1)
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range_of(l)),
            message: l.label().unwrap_or("here").to_string(),
        })
        .collect();
    Diagnostic {
        range,
        severity: Some(if d.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(d.code())),
        source: Some("tripline".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

/// Everything to publish after checking document `uri`: its own diagnostics, those of every
/// file it imports that is not open itself (an empty list clears old ones), and the user
/// catalog's problems. Files in path order; diagnostics in position order.
pub fn for_document(ws: &Workspace, uri: &Uri) -> BTreeMap<Uri, Vec<Diagnostic>> {
    let mut out: BTreeMap<Uri, Vec<Diagnostic>> = BTreeMap::new();
    let Some(prog) = ws.program(uri) else {
        return out;
    };
    out.insert(uri.clone(), Vec::new());
    for f in prog.files.iter().skip(1) {
        if let Some(u) = ws.uri_of(&f.display) {
            if !ws.docs().contains_key(&u) {
                out.entry(u).or_default();
            }
        }
    }
    let checked = driver::check_program(&prog, &ws.catalog.catalog);
    let own = &prog.files[0].display;
    for d in checked.diagnostics.iter().chain(&ws.catalog.problems) {
        let target = if &d.path == own {
            Some(uri.clone())
        } else {
            ws.uri_of(&d.path)
        };
        if let Some(u) = target {
            let diag = to_lsp(d, &u);
            out.entry(u).or_default().push(diag);
        }
    }
    out
}
