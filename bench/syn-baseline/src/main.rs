//! Bare parallel `syn::parse_file` pass: the speed baseline of SPEC §5.
//!
//! Usage: syn-baseline [-j N] DIR_OR_FILE...
//!
//! Collects every `.rs` file under the given paths (skipping `target/` and
//! hidden directories, following no symlinks, ignoring no .gitignore), then
//! reads and parses each file on a rayon pool, dropping the AST right away and
//! calling `proc_macro2::extra::invalidate_current_thread_spans()` after each
//! file (as the linter does, to bound the span-location memory). Prints
//! `files=… lines=… bytes=… parse_errors=… read_errors=… spans=on|off`.
//! With `-v`, prints each file that fails to parse on stderr.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The linter's allocator configuration too (see its `src/main.rs`): freed pages are kept,
/// not handed back to the kernel, unless `MIMALLOC_PURGE_DELAY` says otherwise.
#[cfg(feature = "mimalloc")]
fn keep_freed_memory() {
    extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain setter of a global option, valid at any time.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use walkdir::WalkDir;

fn collect(root: &Path, out: &mut Vec<PathBuf>) {
    if root.is_file() {
        out.push(root.to_path_buf());
        return;
    }
    let walker = WalkDir::new(root).follow_links(false).into_iter();
    let walker = walker.filter_entry(|e| {
        if e.depth() == 0 || !e.file_type().is_dir() {
            return true;
        }
        let name = e.file_name().to_string_lossy();
        !(name.starts_with('.') || name == "target")
    });
    for entry in walker.flatten() {
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "rs") {
            out.push(entry.into_path());
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: syn-baseline [-j N] [-v] PATH...");
    std::process::exit(2);
}

fn main() {
    #[cfg(feature = "mimalloc")]
    keep_freed_memory();
    let mut jobs: Option<usize> = None;
    let mut verbose = false;
    let mut roots = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("-j") | Some("--jobs") => {
                let n = args.next().and_then(|v| v.to_str()?.parse().ok()).unwrap_or_else(|| usage());
                jobs = Some(n);
            }
            Some("-v") | Some("--verbose") => verbose = true,
            Some("-h") | Some("--help") => usage(),
            _ => roots.push(PathBuf::from(a)),
        }
    }
    if roots.is_empty() {
        usage();
    }
    if let Some(n) = jobs {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().expect("rayon pool");
    }

    let mut files = Vec::new();
    for r in &roots {
        collect(r, &mut files);
    }
    files.sort();
    files.dedup();

    let lines = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let parse_errors = AtomicU64::new(0);
    let read_errors = AtomicU64::new(0);
    let items = AtomicU64::new(0);

    files.par_iter().for_each(|path| {
        let src = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                read_errors.fetch_add(1, Ordering::Relaxed);
                if verbose {
                    eprintln!("read error: {}: {e}", path.display());
                }
                return;
            }
        };
        bytes.fetch_add(src.len() as u64, Ordering::Relaxed);
        lines.fetch_add(src.lines().count() as u64, Ordering::Relaxed);
        match syn::parse_file(&src) {
            // Touch the result so the parse cannot be optimised away.
            Ok(file) => {
                items.fetch_add(file.items.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                parse_errors.fetch_add(1, Ordering::Relaxed);
                if verbose {
                    #[cfg(feature = "span-locations")]
                    {
                        let at = e.span().start();
                        eprintln!("parse error: {}:{}:{}: {e}", path.display(), at.line, at.column + 1);
                    }
                    #[cfg(not(feature = "span-locations"))]
                    eprintln!("parse error: {}: {e}", path.display());
                }
            }
        }
        // No-op without span-locations; with it, frees this thread's source map.
        #[cfg(feature = "span-locations")]
        proc_macro2::extra::invalidate_current_thread_spans();
    });

    println!(
        "files={} lines={} bytes={} parse_errors={} read_errors={} items={} spans={} threads={}",
        files.len(),
        lines.into_inner(),
        bytes.into_inner(),
        parse_errors.into_inner(),
        read_errors.into_inner(),
        items.into_inner(),
        if cfg!(feature = "span-locations") { "on" } else { "off" },
        rayon::current_num_threads(),
    );
}
