//! Doc comments the parse skips: no rule reads them (see `DocComments`).

use super::quick_lex::Token;

/// Outer doc comments the parse skipped, by the line of the token they document: (that
/// line, the first line of the doc comments), in order of the line. An item's extent
/// starts at its doc comments, as it did when they were `#[doc]` attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocLines(Vec<(usize, usize)>);

impl DocLines {
    /// The first line of what starts on `line`, with the doc comments above it.
    pub fn first_line(&self, line: usize) -> usize {
        match self
            .0
            .binary_search_by_key(&line, |&(documented, _)| documented)
        {
            Ok(index) => self.0[index].1.min(line),
            Err(_) => line,
        }
    }
}

/// Doc comments that the parse can skip, found during the quick lexing.
///
/// No rule reads documentation, and `proc_macro2` makes every doc comment an attribute
/// for `syn` to parse, keep and drop: a fifth of the lines of the benchmark corpus. The
/// byte after `//` or `/*` becomes a space, so every other byte keeps its line, column
/// and offset. Only doc comments that `syn` would accept go: an outer one must document
/// something (not be followed by a `}` or the end of the file, or by an inner doc
/// comment), an inner one must lead the file. The others stay, and are the syntax error
/// they were.
pub(super) struct DocComments<'t> {
    bytes: &'t [u8],
    /// Offsets of the doc comments to blank.
    blank: Vec<usize>,
    /// (line of the documented token, first line of its doc comments)
    documented: Vec<(usize, usize)>,
    /// The outer doc comments since the last token: (offset, line).
    pending: Vec<(usize, usize)>,
    /// No token seen yet: inner doc comments here document the file.
    leading: bool,
    line: usize,
    counted: usize,
}

impl<'t> DocComments<'t> {
    pub(super) fn new(text: &'t str) -> DocComments<'t> {
        DocComments {
            bytes: text.as_bytes(),
            blank: Vec::new(),
            documented: Vec::new(),
            pending: Vec::new(),
            leading: true,
            line: 1,
            counted: 0,
        }
    }

    /// The 1-based line of `offset` (offsets come in order).
    fn line_at(&mut self, offset: usize) -> usize {
        self.line += memchr::memchr_iter(b'\n', &self.bytes[self.counted..offset]).count();
        self.counted = offset;
        self.line
    }

    /// Note one token of the quick lexing. Nearly every token is code with no doc comment
    /// pending: that case is inlined into the lexing loop.
    #[inline]
    pub(super) fn observe(&mut self, token: &Token, at: usize) {
        if self.pending.is_empty() && !matches!(token, Token::Doc { .. }) {
            self.leading = false;
            return;
        }
        self.observe_doc(token, at);
    }

    #[inline(never)]
    fn observe_doc(&mut self, token: &Token, at: usize) {
        match token {
            Token::Doc { inner: true } => {
                if self.leading {
                    self.blank.push(at);
                }
                self.pending.clear();
            }
            Token::Doc { inner: false } => {
                self.leading = false;
                let line = self.line_at(at);
                self.pending.push((at, line));
            }
            token => {
                self.leading = false;
                if let Some(&(_, first_line)) = self.pending.first() {
                    if !matches!(token, Token::Close) {
                        self.blank
                            .extend(self.pending.iter().map(|&(offset, _)| offset));
                        let line = self.line_at(at);
                        self.documented.push((line, first_line));
                    }
                    self.pending.clear();
                }
            }
        }
    }

    pub(super) fn finish(mut self) -> Option<(String, DocLines)> {
        if self.blank.is_empty() {
            return None;
        }
        let mut text = self.bytes.to_vec();
        for offset in self.blank {
            // `///` `//!` `/**` `/*!`: the third byte
            text[offset + 2] = b' ';
        }
        // Only an ASCII byte of a comment changed: still UTF-8.
        let text = String::from_utf8(text).ok()?;
        self.documented.dedup_by_key(|&mut (line, _)| line);
        Some((text, DocLines(self.documented)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    #[test]
    fn doc_comments_that_document_something_become_plain_comments() {
        let text = "//! crate doc\n/// outer\n/** block */\n#[inline]\n/// more\nfn f() {}\n";
        let (blanked, lines) = without_doc_comments(text).unwrap();
        assert_eq!(
            blanked,
            "//  crate doc\n//  outer\n/*  block */\n#[inline]\n//  more\nfn f() {}\n"
        );
        assert_eq!(blanked.len(), text.len());
        // `#[inline]` (line 4) is documented from line 2, `fn` (line 6) from line 5
        assert_eq!(lines, DocLines(vec![(4, 2), (6, 5)]));
        assert_eq!(lines.first_line(4), 2);
        assert_eq!(lines.first_line(6), 5);
        assert_eq!(lines.first_line(3), 3);
        let file = parse_file(text).unwrap().file;
        assert!(file.attrs.is_empty() && file.items.len() == 1);
    }

    #[test]
    fn doc_comments_rustc_rejects_stay_and_are_still_errors() {
        for text in [
            "fn f() {\n    let x = 1;\n    /// documents nothing\n}\n",
            "struct S;\n/// at the end of the file\n",
            "/// outer before inner\n//! inner\nfn f() {}\n",
            "fn f() {}\n//! inner after an item\n",
        ] {
            assert!(parse_file(text).is_err(), "{text}");
        }
        // nothing to skip, or a lexing that is not clean: the text is parsed as it is
        assert!(without_doc_comments("fn f() {} // plain\n//// four slashes\n").is_none());
        assert!(without_doc_comments("/// doc\nfn f() { \"open }").is_none());
        // doc comments that stay are still attributes
        let kept = parse_file("mod m {\n    //! inner doc of an inline module\n}\n").unwrap();
        let syn::Item::Mod(module) = &kept.file.items[0] else {
            panic!("a module");
        };
        assert_eq!(module.attrs.len(), 1);
    }
}
