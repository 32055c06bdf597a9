//! A file's text and the conversion of `proc_macro2` spans into plain, thread-safe locations.

use proc_macro2::Span;
use serde::{Deserialize, Serialize};

/// A position range in one file, plain data (spans never leave the worker thread).
/// Lines are 1-based; columns are 1-based Unicode scalar values, end exclusive (as rustc).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// The file being analysed on this thread: its text, line starts and a per-line
/// char→byte index, so that byte offsets come from (line, column) in O(1) for ASCII
/// lines and O(log n) otherwise, instead of `Span::byte_range` or a walk from the line's
/// start for every span (quadratic on one long line).
///
/// `proc_macro2` counts lines and columns in the text `syn` parsed, which lacks the
/// file's prefix (a UTF-8 BOM, a `#!` line's text): `prefix` bytes of line 1 that the
/// parser never saw. The locations this module produces are in the file's own bytes.
struct CurrentFile {
    text: *const str,
    line_starts: Vec<usize>,
    prefix: usize,
    /// The whole text is ASCII: a column is a byte count on every line.
    ascii: bool,
    /// For each non-ASCII line (by 0-based index), the byte offset of every char.
    wide_lines: rustc_hash::FxHashMap<usize, Vec<u32>>,
    /// Text the parser saw that the file does not have (`parse::parse_file_in_edition`'s
    /// `dyn `): per 1-based line, the parsed-text columns where 4 chars were inserted.
    inserted: rustc_hash::FxHashMap<usize, Vec<usize>>,
}

thread_local! {
    static CURRENT_FILE: std::cell::RefCell<Option<CurrentFile>> = const { std::cell::RefCell::new(None) };
}

/// Run `f` with `text` as this thread's current file (for `Location::from_span`).
pub fn with_current_file<R>(text: &str, f: impl FnOnce() -> R) -> R {
    CURRENT_FILE.with(|current| {
        *current.borrow_mut() = Some(CurrentFile {
            text: text as *const str,
            line_starts: line_starts(text),
            prefix: parsed_prefix(text),
            ascii: text.is_ascii(),
            wide_lines: Default::default(),
            inserted: Default::default(),
        })
    });
    let result = f();
    CURRENT_FILE.with(|current| *current.borrow_mut() = None);
    result
}

/// The bytes at the start of a file that `syn::parse_file` strips before parsing: a
/// UTF-8 BOM, and the text of a `#!` line that is not an inner attribute.
pub fn parsed_prefix(text: &str) -> usize {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[bom..];
    if let Some(after) = rest.strip_prefix("#!") {
        if !skip_whitespace_and_comments(after).starts_with('[') {
            return bom + rest.find('\n').unwrap_or(rest.len());
        }
    }
    bom
}

/// `syn`'s rule for a shebang: `#!` followed (after whitespace and comments) by `[` is
/// an inner attribute.
fn skip_whitespace_and_comments(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_start();
        if let Some(rest) = trimmed.strip_prefix("//") {
            s = rest.find('\n').map_or("", |at| &rest[at..]);
        } else if let Some(rest) = trimmed.strip_prefix("/*") {
            s = rest.find("*/").map_or("", |at| &rest[at + 2..]);
        } else {
            return trimmed;
        }
    }
}

/// Record where the parser's text had `dyn ` inserted (see `CurrentFile::inserted`).
pub fn set_insertions(insertions: &[(usize, usize)]) {
    CURRENT_FILE.with(|current| {
        if let Some(current) = current.borrow_mut().as_mut() {
            current.inserted.clear();
            for &(line, column) in insertions {
                current.inserted.entry(line).or_default().push(column);
            }
        }
    });
}

impl CurrentFile {
    /// The file's own column of a parsed-text column (insertions taken out).
    fn own_column(&self, line: usize, column: usize) -> usize {
        if self.inserted.is_empty() {
            return column;
        }
        let Some(inserted) = self.inserted.get(&line) else {
            return column;
        };
        let mut own = column;
        // each `at` is where an insertion began in the parsed text (the earlier ones,
        // to its left, already in it; the later ones are to its right)
        for &at in inserted {
            if column >= at + 4 {
                own -= 4;
            } else if column >= at {
                own -= column - at;
            }
        }
        own
    }

    /// Byte offset of a 1-based line and 0-based char column (as `proc_macro2` counts).
    fn byte_offset(&mut self, line: usize, column: usize) -> Option<usize> {
        // SAFETY: `text` outlives the closure run by `with_current_file`, which is the
        // only place `CURRENT_FILE` is set, and it is cleared before that returns.
        let text: &str = unsafe { &*self.text };
        let index = line.checked_sub(1)?;
        let mut start = *self.line_starts.get(index)?;
        if index == 0 {
            start += self.prefix;
        }
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(text.len())
            .max(start);
        let line_text = text.get(start..end)?;
        if column == 0 || self.ascii || (line_text.len() < 64 && line_text.is_ascii()) {
            return Some(start + column.min(line_text.len()));
        }
        // Long or non-ASCII lines: index them once (empty for a long ASCII line).
        let chars = self.wide_lines.entry(index).or_insert_with(|| {
            if line_text.is_ascii() {
                Vec::new()
            } else {
                line_text.char_indices().map(|(at, _)| at as u32).collect()
            }
        });
        let within = if chars.is_empty() {
            column.min(line_text.len())
        } else {
            chars.get(column).map_or(line_text.len(), |&at| at as usize)
        };
        Some(start + within)
    }
}

/// The file's own column and byte offset of a position `proc_macro2` gives (None
/// outside a current file).
fn own_position(at: proc_macro2::LineColumn) -> (usize, Option<usize>) {
    CURRENT_FILE.with(|current| match current.borrow_mut().as_mut() {
        Some(file) => {
            let column = file.own_column(at.line, at.column);
            (column, file.byte_offset(at.line, column))
        }
        None => (at.column, None),
    })
}

/// The bytes of the current file a span covers (in the file's own offsets, unlike
/// `Span::byte_range`, which ignores a BOM or a `#!` line).
pub fn byte_range(span: Span) -> std::ops::Range<usize> {
    let location = Location::from_span(span);
    location.byte_start..location.byte_end
}

/// The bytes of the current file an expression covers. Closures and async blocks (handed
/// to spawners and callbacks, often large) are measured from their first token to the end
/// of their body: `Spanned::span` re-tokenizes the whole expression to find its ends.
pub fn expr_byte_range(expr: &syn::Expr) -> std::ops::Range<usize> {
    use syn::spanned::Spanned;
    let (first, last) = match expr {
        syn::Expr::Closure(closure) => {
            let first = closure
                .lifetimes
                .as_ref()
                .map(|l| l.for_token.span)
                .or(closure.constness.map(|t| t.span))
                .or(closure.movability.map(|t| t.span))
                .or(closure.asyncness.map(|t| t.span))
                .or(closure.capture.map(|t| t.span))
                .unwrap_or(closure.or1_token.spans[0]);
            (first, expr_end(&closure.body))
        }
        syn::Expr::Async(block) => (block.async_token.span, block.block.brace_token.span.close()),
        other => {
            let span = other.span();
            (span, span)
        }
    };
    byte_range(first).start..byte_range(last).end
}

/// A span ending where `expr` ends.
fn expr_end(expr: &syn::Expr) -> Span {
    match expr {
        syn::Expr::Block(block) => block.block.brace_token.span.close(),
        syn::Expr::Async(block) => block.block.brace_token.span.close(),
        syn::Expr::Call(call) => call.paren_token.span.close(),
        syn::Expr::MethodCall(call) => call.paren_token.span.close(),
        syn::Expr::Macro(mac) => mac.mac.delimiter.span().close(),
        syn::Expr::Match(expr) => expr.brace_token.span.close(),
        other => syn::spanned::Spanned::span(other),
    }
}

impl Location {
    pub fn from_span(span: Span) -> Location {
        let mut start = span.start();
        let mut end = span.end();
        let (start_byte, end_byte);
        (start.column, start_byte) = own_position(start);
        (end.column, end_byte) = own_position(end);
        let (byte_start, byte_end) = match (start_byte, end_byte) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                let bytes = span.byte_range();
                (bytes.start, bytes.end)
            }
        };
        Location {
            line: start.line,
            column: start.column + 1,
            end_line: end.line,
            end_column: end.column + 1,
            byte_start,
            byte_end,
        }
    }

    /// From the start of `first` to the end of `last`.
    pub fn covering(first: Span, last: Span) -> Location {
        let a = Location::from_span(first);
        let b = Location::from_span(last);
        Location {
            end_line: b.end_line,
            end_column: b.end_column,
            byte_end: b.byte_end,
            ..a
        }
    }

    /// A callee's location: from its first token to the end of its last segment (with a
    /// turbofish, its `>`), as `Spanned::span` gives it but without re-tokenizing.
    pub fn of_expr(expr: &syn::Expr) -> Location {
        if let syn::Expr::Path(path) = expr {
            if let Some(last) = path.path.segments.last() {
                let first = match &path.path.leading_colon {
                    Some(colon) => colon.spans[0],
                    None => path.path.segments[0].ident.span(),
                };
                let end = match &last.arguments {
                    syn::PathArguments::AngleBracketed(args) => args.gt_token.span,
                    _ => last.ident.span(),
                };
                return Location::covering(first, end);
            }
        }
        Location::from_span(syn::spanned::Spanned::span(expr))
    }

    /// The whole first line of a file (for file-level errors).
    pub fn file_start() -> Location {
        Location {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            byte_start: 0,
            byte_end: 0,
        }
    }
}

/// Byte offset of the start of each line of `text`.
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// The source text of `location` (empty when out of range).
pub fn snippet(text: &str, location: &Location) -> String {
    text.get(location.byte_start..location.byte_end)
        .unwrap_or("")
        .to_string()
}
