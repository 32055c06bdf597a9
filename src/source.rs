//! A file's text and the conversion of `proc_macro2` spans into plain, thread-safe locations.

use proc_macro2::Span;
use serde::Serialize;

/// A position range in one file, plain data (spans never leave the worker thread).
/// Lines are 1-based; columns are 1-based Unicode scalar values, end exclusive (as rustc).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// The file being analysed on this thread: its text and line starts, so that byte
/// offsets come from (line, column) directly instead of `Span::byte_range`, whose
/// char-to-byte lookup is the costliest part of a span conversion.
struct CurrentFile {
    text: *const str,
    line_starts: Vec<usize>,
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
        })
    });
    let result = f();
    CURRENT_FILE.with(|current| *current.borrow_mut() = None);
    result
}

/// Byte offset of a 1-based line and 0-based char column in the current file.
fn byte_offset(line: usize, column: usize) -> Option<usize> {
    CURRENT_FILE.with(|current| {
        let current = current.borrow();
        let current = current.as_ref()?;
        // SAFETY: `text` outlives the closure run by `with_current_file`, which is the
        // only place `CURRENT_FILE` is set, and it is cleared before that returns.
        let text: &str = unsafe { &*current.text };
        let start = *current.line_starts.get(line.checked_sub(1)?)?;
        let rest = text.get(start..)?;
        let within = match rest.char_indices().nth(column) {
            Some((at, _)) => at,
            None => rest.len(),
        };
        Some(start + within)
    })
}

impl Location {
    pub fn from_span(span: Span) -> Location {
        let start = span.start();
        let end = span.end();
        let (byte_start, byte_end) = match (
            byte_offset(start.line, start.column),
            byte_offset(end.line, end.column),
        ) {
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
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The source text of `location` (empty when out of range).
pub fn snippet(text: &str, location: &Location) -> String {
    text.get(location.byte_start..location.byte_end)
        .unwrap_or("")
        .to_string()
}
