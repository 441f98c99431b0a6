//! Diagnostics of every stage, with the file they belong to: the source text is attached
//! here, once, and rendered by the CLI.

use std::sync::Arc;

use crate::check::CheckError;
use crate::mapping::MapError;
use crate::syntax::SyntaxError;
use crate::targets::TargetError;

use super::load::LoadError;
use super::snippet::{moved_labels, Shrunk, Window, WindowSource};

/// Any diagnostic tripline reports, from any stage.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// From `syntax`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),
    /// From `check`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] CheckError),
    /// From `mapping`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Map(#[from] MapError),
    /// From `mapping`: the whole source is unavailable on the target.
    #[error(transparent)]
    #[diagnostic(transparent)]
    SourceUnavailable(#[from] crate::mapping::SourceUnavailable),
    /// From a target.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),
    /// From `sigma_in` (reading a Sigma rule).
    #[error(transparent)]
    #[diagnostic(transparent)]
    SigmaIn(#[from] crate::sigma_in::SigmaInError),
    /// From `tripline test`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Test(#[from] crate::testing::TestFileError),
    /// From loading an input file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),
    /// From reading a catalog file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

impl Error {
    pub(super) fn offset(&self) -> usize {
        use miette::Diagnostic;
        self.labels()
            .and_then(|mut l| l.next())
            .map(|l| l.offset())
            .unwrap_or(0)
    }
}

/// A diagnostic together with the file it belongs to (the source is attached here, once).
#[derive(Debug, Clone)]
pub struct FileDiagnostic {
    /// The file's path as shown to users.
    pub path: String,
    /// The file's text.
    pub text: Arc<str>,
    /// The diagnostic.
    pub error: Error,
}

impl FileDiagnostic {
    /// Render with miette's graphical handler; `color` for terminals, plain for snapshots.
    pub fn render(&self, color: bool) -> String {
        use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        use miette::Diagnostic;
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        let offsets: Vec<usize> = self
            .error
            .labels()
            .map(|ls| ls.map(|l| l.offset()).collect())
            .unwrap_or_default();
        // Rendering into a String cannot fail.
        if let Some(w) = Window::new(&self.text, &offsets) {
            let labels = moved_labels(&self.error, &w);
            let shrunk = Shrunk {
                inner: &self.error,
                labels,
                source: WindowSource {
                    name: self.path.clone(),
                    window: w,
                    original: &self.text,
                },
            };
            let _ = handler.render_report(&mut out, &shrunk);
            return out;
        }
        let report = miette::Report::new(self.error.clone())
            .with_source_code(NamedSource::new(&self.path, self.text.to_string()));
        let _ = handler.render_report(&mut out, report.as_ref());
        out
    }

    /// The stable code, e.g. `tripline::check::unknown_field`.
    pub fn code(&self) -> String {
        use miette::Diagnostic;
        self.error.code().map(|c| c.to_string()).unwrap_or_default()
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        use miette::Diagnostic;
        !matches!(self.error.severity(), Some(miette::Severity::Warning))
    }

    /// The primary label's byte range in the text (clamped to it), if there is a label.
    pub fn span(&self) -> Option<(usize, usize)> {
        use miette::Diagnostic;
        let l = self.error.labels()?.next()?;
        let start = l.offset().min(self.text.len());
        let end = (l.offset() + l.len()).clamp(start, self.text.len());
        Some((start, end))
    }

    /// 1-based line and column of the primary label.
    pub fn line_col(&self) -> (usize, usize) {
        let mut off = self.error.offset().min(self.text.len());
        // A label is meant to start on a character; never slice inside one.
        while !self.text.is_char_boundary(off) {
            off -= 1;
        }
        let before = &self.text[..off];
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map(|i| off - i).unwrap_or(off + 1);
        (line, col)
    }
}
