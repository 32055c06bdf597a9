//! The compute and structure rule family: CPU work on the executor (`cpu_heavy_in_async`),
//! waiting on rayon's pool (`io_in_rayon`), sequential and unbounded concurrency
//! (`sequential_await_in_loop`, `unbounded_spawn`), unowned tasks (`detached_spawn`),
//! polling (`busy_wait`) and queues without backpressure (`unbounded_channel`).
//!
//! One `Checker` ([`checker::StructureChecker`]) fed by the walk; loop and spawn analysis in
//! [`loops`] and [`spawns`]; the catalogs `rules/{compute,spawn,channels}.toml` in
//! [`catalog`]. It also records, per function, whether its body is CPU-heavy
//! ([`CpuHeavyFn`]), for the crate-level phase.

pub mod checker;
