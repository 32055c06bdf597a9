//! Locks reached through calls: for each synchronous crate function, every lock it
//! acquires itself or through the crate functions it calls (shortest chain), so that a
//! call made while a guard is alive can be checked against what the callee locks
//! (`double_lock` and `lock_order_inversion` through calls).

use super::calls::{CallContext, FunctionSummary};
use super::locks::FunctionLocks;
use crate::catalog::guards::LockMode;
use crate::source::Location;
use std::collections::HashMap;

/// How a function reaches a lock.
#[derive(Debug, Clone)]
pub enum LockStep {
    /// It acquires the lock itself, at this lock method.
    Acquires(Location),
    /// It calls `callee` (at this location), which reaches the lock.
    Calls(String, Location),
}

#[derive(Debug, Clone)]
pub struct LockReach {
    pub mode: LockMode,
    /// Number of functions on the chain (1: the function itself acquires it).
    pub length: usize,
    pub step: LockStep,
}

/// Per function path: lock identity → how it is reached.
pub struct ReachableLocks<'a> {
    reach: HashMap<&'a str, HashMap<&'a str, LockReach>>,
    files: HashMap<&'a str, &'a str>,
}

impl<'a> ReachableLocks<'a> {
    /// Fixed point over the sync call edges of `summaries`, seeded with each function's own
    /// blocking acquisitions (not `try_lock`, not `RefCell` borrows: those never wait; not
    /// in closures or async blocks, which may run later).
    pub fn build(
        locks: impl Iterator<Item = &'a FunctionLocks>,
        summaries: impl Iterator<Item = &'a FunctionSummary>,
    ) -> ReachableLocks<'a> {
        let mut reach: HashMap<&str, HashMap<&str, LockReach>> = HashMap::new();
        let mut files: HashMap<&str, &str> = HashMap::new();
        for function in locks {
            files.insert(&function.function, &function.file);
            let own = reach.entry(&function.function).or_default();
            for acquisition in &function.acquisitions {
                if !acquisition.blocks || acquisition.mode.is_refcell() || acquisition.nested {
                    continue;
                }
                own.entry(&acquisition.lock).or_insert(LockReach {
                    mode: acquisition.mode,
                    length: 1,
                    step: LockStep::Acquires(acquisition.location.clone()),
                });
            }
        }
        let functions: Vec<&FunctionSummary> = summaries.filter(|f| !f.is_async).collect();
        for function in &functions {
            files.insert(&function.path, &function.file);
        }
        loop {
            let mut changed = false;
            for function in &functions {
                for edge in function
                    .calls
                    .iter()
                    .filter(|e| e.context == CallContext::Sync)
                {
                    let Some(callee_locks) = reach.get(edge.callee.as_str()) else {
                        continue;
                    };
                    let additions: Vec<(&str, LockReach)> = callee_locks
                        .iter()
                        .map(|(lock, r)| {
                            (
                                *lock,
                                LockReach {
                                    mode: r.mode,
                                    length: r.length + 1,
                                    step: LockStep::Calls(
                                        edge.callee.clone(),
                                        edge.location.clone(),
                                    ),
                                },
                            )
                        })
                        .collect();
                    let own = reach.entry(&function.path).or_default();
                    for (lock, candidate) in additions {
                        let better = own.get(lock).is_none_or(|r| candidate.length < r.length);
                        if better {
                            own.insert(lock, candidate);
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        ReachableLocks { reach, files }
    }

    /// The locks a function reaches (its own and through calls).
    pub fn locks_of(&self, function: &str) -> impl Iterator<Item = (&'a str, &LockReach)> {
        self.reach
            .get(function)
            .into_iter()
            .flat_map(|locks| locks.iter().map(|(lock, r)| (*lock, r)))
    }

    /// The chain from `function` to the acquisition of `lock`: (function, file, location
    /// of its step) for each function on the way, ending at the lock method.
    pub fn chain(&self, function: &str, lock: &str) -> Vec<(String, String, Location)> {
        let mut chain = Vec::new();
        let mut current = function.to_string();
        while chain.len() < 64 {
            let Some(r) = self.reach.get(current.as_str()).and_then(|l| l.get(lock)) else {
                break;
            };
            let file = self
                .files
                .get(current.as_str())
                .copied()
                .unwrap_or("")
                .to_string();
            match &r.step {
                LockStep::Acquires(location) => {
                    chain.push((current, file, location.clone()));
                    break;
                }
                LockStep::Calls(callee, location) => {
                    chain.push((current.clone(), file, location.clone()));
                    current = callee.clone();
                }
            }
        }
        chain
    }
}
