//! Positions as the protocol counts them: zero-based lines and UTF-16 code units within a
//! line, converted to and from byte offsets into the text.

use lsp_types::{Position, Range};

/// The start offset of every line of one text.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Index `text`.
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The protocol position of a byte offset (clamped to the text, and moved back to the
    /// start of a character when it falls inside one).
    pub fn position(&self, offset: usize) -> Position {
        let mut off = offset.min(self.text.len());
        while !self.text.is_char_boundary(off) {
            off -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= off) - 1;
        let col: usize = self.text[self.starts[line]..off]
            .chars()
            .map(char::len_utf16)
            .sum();
        Position::new(line as u32, col as u32)
    }

    /// The protocol range of a byte range.
    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end.max(start)))
    }

    /// The byte offset of a protocol position; a column past the end of its line is the end
    /// of the line, a line past the end is the end of the text.
    pub fn offset(&self, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_astral_characters_twice() {
        let text = "ab\n\u{e9}\u{1F600}x = 1\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        // é is one UTF-16 unit, the emoji two.
        assert_eq!(idx.position(x), Position::new(1, 3));
        assert_eq!(idx.offset(Position::new(1, 3)), x);
        assert_eq!(idx.offset(Position::new(1, 99)), text.len() - 1);
        assert_eq!(idx.offset(Position::new(9, 0)), text.len());
        // Inside the emoji: back to its start.
        assert_eq!(idx.position(x - 1), Position::new(1, 1));
        assert_eq!(idx.position(0), Position::new(0, 0));
        assert_eq!(idx.position(text.len()), Position::new(2, 0));
    }
}
