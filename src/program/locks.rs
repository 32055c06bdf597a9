//! What a file tells the crate-level phase about locks: per function, the locks it acquires
//! (with the locks already held at that point) and the crate-local calls it makes while
//! holding a guard. Plain data (crosses threads). The lock-order graph of
//! `lock_order_inversion` is built from `acquisitions`; the through-calls findings
//! (`double_lock` and `lock_order_inversion` across functions) from `calls_under_guard`.
//!
//! Lock identity is crate-wide: `self.accounts` inside `impl crate::bank::Bank` is
//! `crate::bank::Bank.accounts` (the self type, a dot, the field path); a static is its
//! resolved path (`crate::STATE`, `crate::db::POOL.inner`). Locks reached through local
//! variables or parameters have no crate-wide identity and are not recorded.

use crate::catalog::guards::LockMode;
use crate::source::Location;
use serde::{Deserialize, Serialize};

/// A lock held at some point of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLock {
    /// Crate-wide lock identity (see the module docs).
    pub lock: String,
    pub mode: LockMode,
    /// Where its guard was acquired (the lock method name).
    pub acquired: Location,
    /// Its readers never wait for each other (`DashMap`).
    pub readers_share: bool,
}

/// One acquisition of a lock with a crate-wide identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockAcquisition {
    pub lock: String,
    pub mode: LockMode,
    /// False for `try_lock` and friends (they never wait, so never deadlock).
    pub blocks: bool,
    /// The lock method name (`lock` in `self.a.lock()`).
    pub location: Location,
    /// Locks whose guards are alive at this acquisition (outermost first).
    pub held: Vec<HeldLock>,
    /// Inside a closure or async block: it may run later, not when the function runs, so
    /// callers do not reach this lock through a call.
    pub nested: bool,
}

/// A call to a crate function made while at least one guard is alive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallUnderGuard {
    /// As `Walker::resolve_callee` resolves it (`crate::db::flush`); `self.bump()` and
    /// `Self::bump()` → `SelfType::bump`. Only `crate::` paths are recorded.
    pub callee: String,
    pub held: Vec<HeldLock>,
    /// The callee path of a call, or the method name of a method call.
    pub location: Location,
    /// A method call on `self` (its arguments are the callee's parameters after `self`).
    pub method_call: bool,
    /// Each argument's place, when it names one (`state`, `&self.cache` → `self.cache`).
    pub args: Vec<Option<String>>,
    /// The guards alive at the call by the place they lock (`state.player`), with or
    /// without a crate-wide identity: matched against what the callee locks through
    /// its parameters.
    pub held_places: Vec<HeldPlace>,
}

/// A guard alive at a call, by the place it locks in the caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeldPlace {
    pub place: String,
    pub mode: LockMode,
    pub acquired: Location,
    pub readers_share: bool,
}

/// A lock the function takes through one of its parameters (`fn render(state: &State)
/// { state.player.read() }`: parameter 0, `.player`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamAcquisition {
    /// The index among the typed parameters (not counting `self`).
    pub param: usize,
    /// The rest of the place after the parameter (`.player`, or empty).
    pub rest: String,
    pub mode: LockMode,
    pub location: Location,
}

/// One function's lock facts. Closures and async blocks count as part of the function
/// they are written in (their own guards only: a closure does not see the caller's).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FunctionLocks {
    /// Fully qualified path, as in `FunctionSummary::path`.
    pub function: String,
    /// The file's display path. Not packed: it is the file's own (`packed`).
    #[serde(skip)]
    pub file: String,
    pub acquisitions: Vec<LockAcquisition>,
    pub calls_under_guard: Vec<CallUnderGuard>,
    /// Takes `self` (a path call `Type::f(x, ..)` passes it first).
    pub has_receiver: bool,
    /// Blocking acquisitions through its parameters, in its own body.
    pub param_acquisitions: Vec<ParamAcquisition>,
}
