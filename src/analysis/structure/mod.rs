//! The compute and structure rule family: CPU work on the executor (`cpu_heavy_in_async`),
//! waiting on rayon's pool (`io_in_rayon`), sequential and unbounded concurrency
//! (`sequential_await_in_loop`, `unbounded_spawn`), unowned tasks (`detached_spawn`),
//! polling (`busy_wait`) and queues without backpressure (`unbounded_channel`).
//!
//! One `Checker` ([`checker::StructureChecker`]) fed by the walk; loop and spawn analysis in
//! [`loops`] and [`spawns`]; the catalogs `rules/{compute,spawn,channels}.toml` in
//! [`catalog`]. It also records, per function, whether its body is CPU-heavy
//! ([`CpuHeavyFn`]), for the crate-level phase.

pub mod catalog;
pub mod checker;
pub mod loops;
pub mod spawns;

use crate::source::Location;

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
}
