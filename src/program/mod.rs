//! The program layer: what the crate (and the workspace) knows once every file has been
//! walked. Workers return plain per-file data ([`FileAnalysis`], [`FileFacts`]); the crate
//! phase builds the call graph ([`callgraph`]) and the lock-order graph ([`lockgraph`])
//! from it. Nothing here names a rule.

pub mod callgraph;
pub mod calls;
pub mod contexts;
pub mod cpu;
pub mod entries;
pub mod items;
pub mod lockgraph;
pub mod locks;
pub mod optional_args;
pub mod packed;
pub mod signatures;
pub mod workspace;

use crate::diagnostic::Diagnostic;
use crate::semantic::walker::{ItemExtent, ModDecl};
use crate::source::Location;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// Every function of the file, with its calls and direct blocking calls.
    pub functions: Vec<calls::FunctionSummary>,
    /// Functions whose own body is CPU-heavy (a CPU-heavy API call or a CPU loop), for
    /// reporting async callers of CPU-heavy sync helpers through the call graph.
    pub cpu_heavy: Vec<CpuHeavyFn>,
    /// Per function: the locks it acquires (with the locks held at each acquisition) and
    /// the crate calls it makes while holding a guard (`guards::facts`).
    pub locks: Vec<locks::FunctionLocks>,
    /// The file's items as types (return types, fields, aliases, re-exports, statics),
    /// for the workspace's item index.
    pub items: crate::semantic::types::items::ItemFacts,
    /// Entry points, function extents and spawned futures (for each finding's context).
    pub entries: entries::EntryFacts,
    /// Findings that hold only if a crate function's declared return type is a `Result`
    /// (a spawned call to a function of another file): the crate phase decides. Few, and
    /// never packed (`packed`).
    #[serde(skip)]
    pub if_returns_result: Vec<IfReturnsResult>,
    /// Findings that hold only if a crate async fn awaits a call that is not cancellation
    /// safe (a `select!` branch calling it in a loop): the crate phase decides. Few, and
    /// never packed.
    #[serde(skip)]
    pub if_cancel_unsafe: Vec<IfCancelUnsafe>,
    /// Findings of the walk's rules about a tentative guard (`Guard::if_lock`): they hold
    /// if the crate phase confirms the receiver's type is a lock. Few, and never packed.
    #[serde(skip)]
    pub if_lock: Vec<IfLock>,
}

impl FileFacts {
    /// Every path that names one of the file's functions where it is defined (its summary,
    /// its CPU and lock facts, its extent, its entries, its calls into other crates), for
    /// renaming a definition everywhere the file speaks of it.
    pub fn definition_paths_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        for function in &mut self.functions {
            f(&mut function.path);
        }
        for cpu in &mut self.cpu_heavy {
            f(&mut cpu.function);
        }
        for locks in &mut self.locks {
            f(&mut locks.function);
        }
        let entries = &mut self.entries;
        for extent in &mut entries.functions {
            f(&mut extent.path);
        }
        for entry in &mut entries.entries {
            f(&mut entry.function);
        }
        for (caller, _, _) in &mut entries.external_calls {
            f(caller);
        }
    }
}

/// A finding conditional on a receiver's type being a synchronous lock.
#[derive(Debug, Clone)]
pub struct IfLock {
    pub receiver: locks::Tentative,
    pub diagnostic: Diagnostic,
}

/// A finding conditional on a crate async fn awaiting a cancel-unsafe call.
#[derive(Debug, Clone)]
pub struct IfCancelUnsafe {
    /// Fully qualified path, as in `FunctionSummary::path`.
    pub callee: String,
    pub diagnostic: Diagnostic,
}

/// A finding conditional on a crate function's declared return type being a `Result`.
#[derive(Debug, Clone)]
pub struct IfReturnsResult {
    /// Fully qualified path, as in `FunctionSummary::path`.
    pub callee: String,
    pub diagnostic: Diagnostic,
}

/// A function whose own body does CPU-heavy work: it calls a CPU-heavy API of
/// `rules/compute.toml` (password hashing, whole-buffer compression, image decoding, a
/// rayon parallel iterator driven to completion, …) or runs a CPU loop (no `.await`, work
/// growing with the input). Only code that runs on the function's own thread when it is
/// called counts: not closures handed to insulating wrappers (`spawn_blocking`,
/// `thread::spawn`) or to rayon, not nested `fn` items, and for a sync fn not `async`
/// blocks it merely creates. One fact per function: the first such place.
///
/// Plain data for the crate-level phase, so that an async fn calling a CPU-heavy sync
/// helper of the same crate can be reported at the call (through the call graph).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuHeavyFn {
    /// Fully qualified path of the function (`crate::auth::hash_password`,
    /// `crate::img::Thumbnailer::render`), as in `FunctionInfo::path`.
    pub function: String,
    /// `async fn` (its CPU-heavy work is already reported in place by
    /// `cpu_heavy_in_async`); false for a sync fn (a candidate for reports at call sites).
    pub is_async: bool,
    /// The CPU-heavy call (callee path / method name) or the loop keyword.
    pub location: Location,
    /// Short description: "bcrypt password hashing", "nested loops whose work grows with
    /// the input", "a rayon parallel iterator driven to completion by `collect`".
    pub what: String,
    /// The evidence is a loop (weaker than a CPU-heavy API: most helpers loop over small
    /// data, so the call graph does not propagate loop facts).
    pub from_loop: bool,
    /// It runs only when the function's parameter at this index is `Some`
    /// (`optional_args`); an unconditional place found later replaces it.
    pub if_some: Option<u8>,
}

/// One file of a crate, as the crate-level phase sees it.
pub struct CrateFile<'a> {
    pub display: &'a str,
    pub facts: &'a FileFacts,
}
