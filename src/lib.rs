//! `cargo concurrency-lint`: finds Rust code that uses the wrong concurrency model.
//!
//! Data flow: files → (parallel, per file) read → `syn::parse_file` → one walk producing
//! findings → suppressions and levels → sort → render. Syntax trees and spans never leave
//! the worker thread; what crosses threads is plain data.

pub mod app;
pub mod catalog;
pub(crate) mod cli;
pub(crate) mod config;
pub mod diagnostic;
pub(crate) mod fix;
pub mod levels;
pub(crate) mod output;
pub mod parse;
pub(crate) mod path_text;
pub(crate) mod program;
pub(crate) mod report;
pub mod rules;
pub(crate) mod semantic;
pub(crate) mod server;
pub(crate) mod source;
pub(crate) mod suppress;
pub(crate) mod workspace;

use std::ffi::OsString;

/// Exit codes (SPEC §1).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Run the command line; returns the process exit code. Never panics on user input.
pub fn run(mut args: Vec<OsString>) -> i32 {
    // `cargo concurrency-lint …` runs us as `cargo-concurrency-lint concurrency-lint …`.
    if args.get(1).is_some_and(|a| a == "concurrency-lint") {
        args.remove(1);
    }
    app::main(args)
}
