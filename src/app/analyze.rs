//! Per-file analysis: parse, walk once, return plain data. Runs on a worker thread; no
//! span or syntax tree outlives `analyze`.

use crate::parse::ParseFailure;
use crate::program::FileAnalysis;
use crate::semantic::walker::{FileContext, Walker};

/// Parse and lint one file's text. `module_path` is the file's module (`crate::net::tcp`).
pub fn analyze(cx: &FileContext, module_path: &str) -> FileAnalysis {
    crate::source::with_current_file(cx.text, || analyze_text(cx, module_path))
}

fn analyze_text(cx: &FileContext, module_path: &str) -> FileAnalysis {
    let result = match crate::parse::parse_file_in_edition(cx.text, cx.edition) {
        Err(ParseFailure::Syntax(error)) => FileAnalysis {
            diagnostics: vec![crate::rules::syntax_error(cx.file, &error, cx.text)],
            ..FileAnalysis::default()
        },
        Err(ParseFailure::TooDeep { line }) => FileAnalysis {
            diagnostics: vec![crate::rules::file_error_at(
                cx.file,
                &format!("nesting too deep to analyse at line {line}"),
                cx.text,
                line,
            )],
            ..FileAnalysis::default()
        },
        Ok((parsed, insertions)) => {
            crate::source::set_insertions(&insertions);
            let mut file = parsed.file;
            crate::parse::item_macros::expand(&mut file.items);
            if !cx.include_tests && crate::semantic::attrs::is_test_only(&file.attrs) {
                FileAnalysis {
                    parsed: true,
                    ..FileAnalysis::default()
                }
            } else {
                let mut walker = Walker::new(cx, crate::rules::checkers(cx));
                walker.doc_lines = parsed.doc_lines;
                walker.walk_file(&file, module_path);
                walker.finish()
            }
        }
    };
    // Spans are plain data now; free this thread's source map so memory stays flat.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}
