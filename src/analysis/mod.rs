//! Per-file analysis: parse, walk once, return plain data. Runs on a worker thread; no
//! span or syntax tree outlives `analyze`.

pub mod attrs;
pub mod bindings;
pub mod callgraph;
pub mod calls;
pub mod checker;
pub mod guards;
pub mod lockgraph;
pub mod mentions;
pub mod structure;
pub mod walker;

use crate::diagnostic::Diagnostic;
use walker::{FileContext, ItemExtent, ModDecl, Walker};

/// Everything the driver needs from one file.
#[derive(Debug, Default)]
pub struct FileAnalysis {
    pub diagnostics: Vec<Diagnostic>,
    pub mod_decls: Vec<ModDecl>,
    pub item_extents: Vec<ItemExtent>,
    pub parsed: bool,
    /// Plain data for the crate-level phase (call graph, lock order).
    pub facts: FileFacts,
}

/// What a file contributes to crate-level analysis. Plain data: crosses threads.
#[derive(Debug, Default)]
pub struct FileFacts {
    /// Every function of the file, with its calls and direct blocking calls.
    pub functions: Vec<calls::FunctionSummary>,
    /// Functions whose own body is CPU-heavy (a CPU-heavy API call or a CPU loop), for
    /// reporting async callers of CPU-heavy sync helpers through the call graph.
    pub cpu_heavy: Vec<structure::CpuHeavyFn>,
    /// Per function: the locks it acquires (with the locks held at each acquisition) and
    /// the crate calls it makes while holding a guard (`guards::facts`).
    pub locks: Vec<guards::facts::FunctionLocks>,
}

/// Parse and lint one file's text. `module_path` is the file's module (`crate::net::tcp`).
pub fn analyze(cx: &FileContext, module_path: &str) -> FileAnalysis {
    crate::source::with_current_file(cx.text, || analyze_text(cx, module_path))
}

fn analyze_text(cx: &FileContext, module_path: &str) -> FileAnalysis {
    let result = match syn::parse_file(cx.text) {
        Err(error) => FileAnalysis {
            diagnostics: vec![crate::rules::syntax_error(cx.file, &error, cx.text)],
            ..FileAnalysis::default()
        },
        Ok(file) => {
            if !cx.include_tests && attrs::is_test_only(&file.attrs) {
                FileAnalysis {
                    parsed: true,
                    ..FileAnalysis::default()
                }
            } else {
                let mut walker = Walker::new(cx, crate::rules::checkers(cx));
                walker.walk_file(&file, module_path);
                walker.finish()
            }
        }
    };
    // Spans are plain data now; free this thread's source map so memory stays flat.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}
