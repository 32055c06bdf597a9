// The parse allocates a node per token; mimalloc makes that markedly cheaper than the
// system allocator. Version 2, whose freed pages a later phase reuses (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::ffi::{c_int, c_long, OsString};

extern "C" {
    // mimalloc's own API (linked in by the `mimalloc` crate).
    fn mi_option_set(option: c_int, value: c_long);
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (the same index in v2 and v3).
const MI_OPTION_PURGE_DELAY: c_int = 15;

/// A lint run frees each file's syntax tree and soon needs as much memory again: for the
/// next file, then for the crate phase. mimalloc hands freed pages back to the kernel soon
/// after they empty (its `purge_delay`, 10 ms in mimalloc 2), and the kernel zeroes them
/// anew on the next touch. A run that ends in seconds
/// keeps them instead (bench/README.md, "Keeping the freed memory"). The language server,
/// which lives on, keeps mimalloc's default, and so does a run given
/// `MIMALLOC_PURGE_DELAY`.
fn keep_freed_memory(args: &[OsString]) {
    let server = args.iter().skip(1).any(|a| a == "server");
    if server || std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: a plain setter of a global option, valid at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    keep_freed_memory(&args);
    std::process::exit(concurrency_lint::run(args));
}
