//! Positions: the linter speaks byte offsets (and 1-based lines, char columns); LSP speaks
//! 0-based lines and UTF-16 code units. A document's text and its line starts convert
//! between the two; anything out of range is clamped, never a panic.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// A document's text with its line index.
#[derive(Debug, Clone, Default)]
pub struct Document {
    text: String,
    line_starts: Vec<usize>,
}

impl Document {
    pub fn new(text: String) -> Document {
        let line_starts = crate::source::line_starts(&text);
        Document { text, line_starts }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The largest char boundary at or before `byte` (clamped to the text).
    fn floor_boundary(&self, byte: usize) -> usize {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        byte
    }

    /// The LSP position (UTF-16) of a byte offset.
    pub fn position(&self, byte: usize) -> Position {
        let byte = self.floor_boundary(byte);
        let line = self.line_starts.partition_point(|&start| start <= byte) - 1;
        let start = self.line_starts[line];
        let character = self.text[start..byte].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, byte_start: usize, byte_end: usize) -> Range {
        Range::new(
            self.position(byte_start),
            self.position(byte_end.max(byte_start)),
        )
    }

    /// The byte offset of an LSP position: a line past the end is the end of the text, a
    /// character past the end of its line is the end of the line (as the protocol says), and
    /// a position inside a surrogate pair is the start of that character.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .line_starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line = &self.text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let wanted = position.character as usize;
        let mut units = 0;
        for (at, c) in line.char_indices() {
            if units >= wanted {
                return start + at;
            }
            units += c.len_utf16();
            if units > wanted {
                return start + at;
            }
        }
        start + line.len()
    }

    /// Apply one `didChange` content change (a whole text, or a range replacement).
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent) {
        match change.range {
            None => *self = Document::new(change.text),
            Some(range) => {
                let start = self.offset(range.start);
                let end = self.offset(range.end).max(start);
                let mut text = std::mem::take(&mut self.text);
                text.replace_range(start..end, &change.text);
                *self = Document::new(text);
            }
        }
    }
}

/// Whether two ranges overlap or touch (a cursor at either end of a range is in it).
pub fn touches(a: &Range, b: &Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_round_trip() {
        // `é` is 2 bytes / 1 unit, `🦀` 4 bytes / 2 units.
        let doc = Document::new("a\né🦀x\r\nlast".into());
        let x = doc.text().find('x').unwrap();
        assert_eq!(doc.position(x), Position::new(1, 3));
        assert_eq!(doc.offset(Position::new(1, 3)), x);
        assert_eq!(doc.position(doc.text().len()), Position::new(2, 4));
        // Out of range: clamped.
        assert_eq!(doc.offset(Position::new(1, 99)), x + 1);
        assert_eq!(doc.offset(Position::new(9, 0)), doc.text().len());
        assert_eq!(doc.position(10_000), Position::new(2, 4));
        // Inside the surrogate pair: the crab's start.
        assert_eq!(
            doc.offset(Position::new(1, 2)),
            doc.text().find('🦀').unwrap()
        );
        // Inside a multi-byte char: its start.
        assert_eq!(doc.position(3), Position::new(1, 0));
    }

    #[test]
    fn range_edits_apply_and_clamp() {
        let mut doc = Document::new("fn a() {}\n".into());
        doc.apply(TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(0, 3), Position::new(0, 4))),
            range_length: None,
            text: "bb".into(),
        });
        assert_eq!(doc.text(), "fn bb() {}\n");
        doc.apply(TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(7, 0), Position::new(3, 0))),
            range_length: None,
            text: "// end\n".into(),
        });
        assert_eq!(doc.text(), "fn bb() {}\n// end\n");
    }
}
