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

impl Location {
    pub fn from_span(span: Span) -> Location {
        let start = span.start();
        let end = span.end();
        let bytes = span.byte_range();
        Location {
            line: start.line,
            column: start.column + 1,
            end_line: end.line,
            end_column: end.column + 1,
            byte_start: bytes.start,
            byte_end: bytes.end,
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
