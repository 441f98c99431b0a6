//! Source snippets for rendered diagnostics, capped: a line longer than [`MAX_LINE`]
//! characters (a minified JSON event, an IOC list on one line) is shown as a window around
//! the label, marked with `…`, so one diagnostic never prints megabytes.

use miette::{Diagnostic, LabeledSpan, SourceCode};

/// The most characters of one source line a rendered diagnostic shows.
pub const MAX_LINE: usize = 240;

/// How many characters before the label a window starts.
const LEAD: usize = 60;

/// `text` with long lines cut, and how to move an offset of `text` into it.
pub(super) struct Window {
    pub text: String,
    /// Kept byte ranges of the original: (start, end, start in `text`).
    kept: Vec<(usize, usize, usize)>,
}

impl Window {
    /// Cut every line of `text` longer than [`MAX_LINE`] characters to a window around the
    /// first of `offsets` inside it (or its start). `None` when no line is that long.
    pub fn new(text: &str, offsets: &[usize]) -> Option<Window> {
        if !text
            .lines()
            .any(|l| l.len() > MAX_LINE && l.chars().count() > MAX_LINE)
        {
            return None;
        }
        let mut out = String::with_capacity(text.len().min(64 * 1024));
        let mut kept = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let end = start + body.len();
            if body.chars().count() <= MAX_LINE {
                kept.push((start, start + line.len(), out.len()));
                out.push_str(line);
            } else {
                let at = offsets
                    .iter()
                    .copied()
                    .filter(|&o| o >= start && o <= end)
                    .min()
                    .unwrap_or(start);
                let from = char_back(text, at, LEAD).max(start);
                let to = char_forward(text, from, MAX_LINE).min(end);
                if from > start {
                    out.push('…');
                }
                kept.push((from, to, out.len()));
                out.push_str(&text[from..to]);
                if to < end {
                    out.push('…');
                }
                if line.len() > body.len() {
                    kept.push((end, end + 1, out.len()));
                    out.push('\n');
                }
            }
            start += line.len();
        }
        Some(Window { text: out, kept })
    }

    /// Where offset `off` of the original text is in the window (the nearest kept byte
    /// when it was cut away).
    pub fn map(&self, off: usize) -> usize {
        let mut best = 0;
        for &(s, e, n) in &self.kept {
            if off < s {
                return if best == 0 { n } else { best };
            }
            if off <= e {
                return n + (off - s);
            }
            best = n + (e - s);
        }
        best
    }
}

impl Window {
    /// Where offset `off` of the window is in the original text.
    pub fn unmap(&self, off: usize) -> usize {
        let mut last = 0;
        for &(s, e, n) in &self.kept {
            if off < n {
                return s;
            }
            if off < n + (e - s) {
                return s + (off - n);
            }
            last = e;
        }
        last
    }
}

/// The window's text, reporting the original file's line and column for the primary
/// label (what the report's `[file:line:column]` header shows).
pub(super) struct WindowSource<'a> {
    pub name: String,
    pub window: Window,
    pub original: &'a str,
}

impl SourceCode for WindowSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        let c = self.window.text.read_span(span, before, after)?;
        let (line, column) = if before == 0 && after == 0 {
            let orig = floor_boundary(self.original, self.window.unmap(span.offset()));
            let line_start = self.original[..orig].rfind('\n').map_or(0, |i| i + 1);
            (c.line(), orig - line_start)
        } else {
            (c.line(), c.column())
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            line,
            column,
            c.line_count(),
        )))
    }
}

/// The byte offset `n` characters before `at` (or 0).
fn char_back(text: &str, at: usize, n: usize) -> usize {
    let at = floor_boundary(text, at);
    text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

/// The byte offset `n` characters after `from` (or the end).
fn char_forward(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map(|(i, _)| from + i)
        .unwrap_or(text.len())
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A diagnostic shown against a [`Window`]: the inner diagnostic's code, message, help and
/// severity, with its labels moved into the window.
pub(super) struct Shrunk<'a> {
    pub inner: &'a dyn Diagnostic,
    pub labels: Vec<LabeledSpan>,
    pub source: WindowSource<'a>,
}

impl std::fmt::Debug for Shrunk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.inner, f)
    }
}

impl std::fmt::Display for Shrunk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.inner, f)
    }
}

impl std::error::Error for Shrunk<'_> {}

impl Diagnostic for Shrunk<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.help()
    }
    fn url<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The labels of `d`, moved into `w`.
pub(super) fn moved_labels(d: &dyn Diagnostic, w: &Window) -> Vec<LabeledSpan> {
    d.labels()
        .map(|ls| {
            ls.map(|l| {
                let s = w.map(l.offset());
                let e = w.map(l.offset() + l.len()).max(s);
                LabeledSpan::new(l.label().map(str::to_string), s, e - s)
            })
            .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_left_alone() {
        assert!(Window::new("a\nb\n", &[0]).is_none());
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let long = "x".repeat(5_000_000);
        let text = format!("head\n{long}BAD{long}\ntail\n");
        let at = 5 + 5_000_000;
        let w = Window::new(&text, &[at]).unwrap();
        assert!(w.text.len() < 2 * MAX_LINE + 40, "{}", w.text.len());
        let m = w.map(at);
        assert_eq!(&w.text[m..m + 3], "BAD");
        assert_eq!(w.unmap(m), at);
        assert!(w.text.starts_with("head\n…"));
        assert!(w.text.ends_with("…\ntail\n"));
    }

    #[test]
    fn offsets_in_cut_parts_map_to_kept_text() {
        let text = format!("{}\n", "é".repeat(1000));
        let w = Window::new(&text, &[]).unwrap();
        let m = w.map(1500);
        assert!(w.text.is_char_boundary(m));
        assert!(m <= w.text.len());
    }
}
