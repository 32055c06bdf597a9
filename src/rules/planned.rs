//! Rules of the SPEC that are not built yet. They are registered so that config naming
//! them is valid and `rules` lists them (marked planned); they find nothing.

use super::RuleInfo;
use crate::diagnostic::Level;

const fn planned(
    name: &'static str,
    group: &'static str,
    default_level: Level,
    summary: &'static str,
) -> RuleInfo {
    RuleInfo {
        name,
        group,
        default_level,
        summary,
        doc: "This rule is specified (see SPEC §2) but not implemented yet: it finds nothing.",
        implemented: false,
    }
}

pub const CPU_HEAVY_IN_ASYNC: RuleInfo = planned(
    "cpu_heavy_in_async",
    "compute",
    Level::Warn,
    "CPU-bound work (hashing, compression, growing loops) on the async executor",
);
pub const IO_IN_RAYON: RuleInfo = planned(
    "io_in_rayon",
    "compute",
    Level::Warn,
    "blocking I/O inside a rayon parallel iterator or rayon task",
);
pub const GUARD_ACROSS_AWAIT: RuleInfo = planned(
    "guard_across_await",
    "guards",
    Level::Warn,
    "a synchronous lock guard or RefCell borrow alive across an `.await`",
);
pub const DOUBLE_LOCK: RuleInfo = planned(
    "double_lock",
    "guards",
    Level::Deny,
    "the same lock acquired again while its guard is alive (deadlock)",
);
pub const LOCK_ORDER_INVERSION: RuleInfo = planned(
    "lock_order_inversion",
    "guards",
    Level::Warn,
    "two locks acquired in opposite orders in different places (deadlock)",
);
pub const SPLIT_LOCK_UPDATE: RuleInfo = planned(
    "split_lock_update",
    "shared_state",
    Level::Warn,
    "a read-modify-write split across two acquisitions of one lock (lost update)",
);
pub const ATOMIC_CHECK_THEN_ACT: RuleInfo = planned(
    "atomic_check_then_act",
    "shared_state",
    Level::Warn,
    "an atomic load followed by a dependent store instead of an atomic RMW",
);
pub const STATIC_MUT: RuleInfo = planned(
    "static_mut",
    "shared_state",
    Level::Warn,
    "a `static mut` that is read or written",
);
pub const UNSAFE_IMPL_SYNC: RuleInfo = planned(
    "unsafe_impl_sync",
    "shared_state",
    Level::Warn,
    "`unsafe impl Send/Sync` for a type that is not thread-safe",
);
pub const SEQUENTIAL_AWAIT_IN_LOOP: RuleInfo = planned(
    "sequential_await_in_loop",
    "structure",
    Level::Warn,
    "a loop awaiting independent I/O one item at a time",
);
pub const UNBOUNDED_SPAWN: RuleInfo = planned(
    "unbounded_spawn",
    "structure",
    Level::Warn,
    "tasks or threads spawned per input item with no limit",
);
pub const DETACHED_SPAWN: RuleInfo = planned(
    "detached_spawn",
    "structure",
    Level::Warn,
    "a spawned task's JoinHandle is discarded",
);
pub const BUSY_WAIT: RuleInfo = planned(
    "busy_wait",
    "structure",
    Level::Warn,
    "a loop polling shared state with sleeps between polls",
);
pub const UNBOUNDED_CHANNEL: RuleInfo = planned(
    "unbounded_channel",
    "structure",
    Level::Allow,
    "an unbounded channel (no backpressure)",
);
