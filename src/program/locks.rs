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
//!
//! A `read()`/`write()` whose receiver's type the walk could only name (a field of a
//! struct declared in another file: `state.player`) is a lock only if that type is one.
//! Its facts carry the receiver's type (`if_lock`) and count once the crate phase has
//! confirmed it from the item index (`Tentative::holds`).

use crate::catalog::guards::LockMode;
use crate::semantic::types::Ty;
use crate::source::Location;
use serde::{Deserialize, Serialize};

/// Whether a lock fact holds: always, unless it waits for the crate phase to confirm
/// that its receiver's type is a lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tentative {
    /// The receiver's type as the walk named it, when only the crate phase can tell
    /// whether it is a synchronous lock.
    pub if_lock: Option<Ty>,
    /// The crate phase resolved `if_lock` to a synchronous lock (recomputed on each run).
    pub confirmed: bool,
}

impl Tentative {
    pub fn if_lock(ty: Option<Ty>) -> Tentative {
        Tentative {
            if_lock: ty,
            confirmed: false,
        }
    }

    /// The fact counts: certain from the walk, or confirmed by the crate phase.
    pub fn holds(&self) -> bool {
        self.if_lock.is_none() || self.confirmed
    }
}

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
    pub tentative: Tentative,
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
    pub tentative: Tentative,
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
    pub tentative: Tentative,
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
    pub tentative: Tentative,
}

/// One function's lock facts. Closures and async blocks count as part of the function
/// they are written in (their own guards only: a closure does not see the caller's).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FunctionLocks {
    /// Fully qualified path, as in `FunctionSummary::path`.
    pub function: String,
    /// The file's display path. Not packed: it is the file's own (`packed`).
    #[serde(skip)]
    pub file: std::sync::Arc<str>,
    pub acquisitions: Vec<LockAcquisition>,
    pub calls_under_guard: Vec<CallUnderGuard>,
    /// Takes `self` (a path call `Type::f(x, ..)` passes it first).
    pub has_receiver: bool,
    /// Blocking acquisitions through its parameters, in its own body.
    pub param_acquisitions: Vec<ParamAcquisition>,
}

impl FunctionLocks {
    /// Every fact's `Tentative`: the acquisitions, the locks and places held at each
    /// acquisition and call, and the acquisitions through parameters.
    pub fn tentative_mut(&mut self, f: &mut dyn FnMut(&mut Tentative)) {
        for acquisition in &mut self.acquisitions {
            f(&mut acquisition.tentative);
            for held in &mut acquisition.held {
                f(&mut held.tentative);
            }
        }
        for call in &mut self.calls_under_guard {
            for held in &mut call.held {
                f(&mut held.tentative);
            }
            for place in &mut call.held_places {
                f(&mut place.tentative);
            }
        }
        for taken in &mut self.param_acquisitions {
            f(&mut taken.tentative);
        }
    }
}
