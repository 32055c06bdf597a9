//! Locks reached through calls: for each synchronous crate function, every lock it
//! acquires itself or through the crate functions it calls (shortest chain), so that a
//! call made while a guard is alive can be checked against what the callee locks
//! (a double lock or a lock-order edge through calls); and the crate's lock-order graph
//! ([`LockGraph`]).

use super::calls::{CallContext, FunctionSummary};
use super::locks::FunctionLocks;
use super::CrateFile;
use crate::catalog::guards::LockMode;
use crate::source::Location;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeSet;

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

impl LockReach {
    /// An exclusive acquisition matters more than a shared one (it conflicts with every
    /// other), then a shorter chain.
    fn stronger_than(&self, other: &LockReach) -> bool {
        let exclusive = |r: &LockReach| r.mode == LockMode::Exclusive;
        match (exclusive(self), exclusive(other)) {
            (true, false) => true,
            (false, true) => false,
            _ => self.length < other.length,
        }
    }
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
        let mut reach: HashMap<&str, HashMap<&str, LockReach>> = HashMap::default();
        let mut files: HashMap<&str, &str> = HashMap::default();
        for function in locks {
            files.insert(&function.function, &function.file);
            let own = reach.entry(&function.function).or_default();
            for acquisition in &function.acquisitions {
                if !acquisition.blocks
                    || acquisition.mode.is_refcell()
                    || acquisition.nested
                    || !acquisition.tentative.holds()
                {
                    continue;
                }
                let candidate = LockReach {
                    mode: acquisition.mode,
                    length: 1,
                    step: LockStep::Acquires(acquisition.location.clone()),
                };
                match own.get(acquisition.lock.as_str()) {
                    Some(r) if !candidate.stronger_than(r) => {}
                    _ => {
                        own.insert(&acquisition.lock, candidate);
                    }
                }
            }
        }
        // Async fns too: an awaited call into an async fn that locks what the caller holds
        // never completes (async locks) or deadlocks the thread (sync locks).
        let functions: Vec<&FunctionSummary> = summaries.collect();
        for function in &functions {
            files.insert(&function.path, &function.file);
        }
        loop {
            let mut changed = false;
            for function in &functions {
                for edge in function
                    .calls
                    .iter()
                    .filter(|e| e.context == CallContext::Sync || e.awaited)
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
                        let better = own.get(lock).is_none_or(|r| candidate.stronger_than(r));
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

/// One edge occurrence of the crate's lock-order graph: `to` acquired at `location` while
/// `from` (acquired at `held_at`) is held, in `function` of `file`.
pub struct Edge<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub file: &'a str,
    pub function: &'a str,
    pub location: Location,
    pub held_at: &'a Location,
    /// For an acquisition reached through calls: each step (function, file, location).
    pub through: Vec<(String, String, Location)>,
    /// How `from` is held and `to` acquired (read / write / exclusive).
    pub from_mode: LockMode,
    pub to_mode: LockMode,
}

impl Edge<'_> {
    /// Two shared acquisitions do not exclude each other.
    pub fn both_shared(&self) -> bool {
        self.from_mode == LockMode::Shared && self.to_mode == LockMode::Shared
    }

    /// Whether `self` (A→B) and `other` (B→A) deadlock: at each lock, the two
    /// acquisitions conflict (at least one is exclusive). A read lock held while another
    /// task waits to write blocks new readers (tokio's and `std`'s RwLocks may be
    /// write-preferring), so read→read against write→write is a cycle.
    pub fn conflicts_with(&self, other: &Edge) -> bool {
        let conflict = |a: LockMode, b: LockMode| a != LockMode::Shared || b != LockMode::Shared;
        conflict(self.from_mode, other.to_mode) && conflict(self.to_mode, other.from_mode)
    }
}

/// The crate's lock-order graph: an edge A→B wherever B is acquired (blocking) while a
/// guard of A is alive, directly or through calls. Edges keep their modes: a read→read
/// edge deadlocks only against an opposite edge that writes.
pub struct LockGraph<'a> {
    pub edges: Vec<Edge<'a>>,
    successors: HashMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> LockGraph<'a> {
    pub fn build(files: &'a [CrateFile<'a>]) -> LockGraph<'a> {
        let mut edges = direct_edges(files);
        edges.extend(edges_through_calls(files));
        let mut successors: HashMap<&str, BTreeSet<&str>> = HashMap::default();
        for edge in &edges {
            successors.entry(edge.from).or_default().insert(edge.to);
        }
        LockGraph { edges, successors }
    }

    /// Whether a path of edges leads from `start` to `goal`.
    pub fn reaches(&self, start: &str, goal: &str) -> bool {
        let mut seen: HashSet<&str> = HashSet::default();
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            if node == goal {
                return true;
            }
            if seen.insert(node) {
                if let Some(next) = self.successors.get(node) {
                    stack.extend(next.iter().copied());
                }
            }
        }
        false
    }
}

/// Acquisitions made while another lock's guard is alive, in the same function.
fn direct_edges<'a>(files: &'a [CrateFile<'a>]) -> Vec<Edge<'a>> {
    let mut edges: Vec<Edge> = Vec::new();
    for file in files {
        for function in &file.facts.locks {
            for acquisition in &function.acquisitions {
                if !acquisition.blocks || !acquisition.tentative.holds() {
                    continue;
                }
                for held in &acquisition.held {
                    if held.lock == acquisition.lock || !held.tentative.holds() {
                        continue;
                    }
                    edges.push(Edge {
                        from: &held.lock,
                        to: &acquisition.lock,
                        file: file.display,
                        function: &function.function,
                        location: acquisition.location.clone(),
                        held_at: &held.acquired,
                        through: Vec::new(),
                        from_mode: held.mode,
                        to_mode: acquisition.mode,
                    });
                }
            }
        }
    }
    edges
}

/// A call made while `held` is alive into a function that (transitively) acquires another
/// lock adds the edge held → that lock, at the call.
fn edges_through_calls<'a>(files: &'a [CrateFile<'a>]) -> Vec<Edge<'a>> {
    let mut edges = Vec::new();
    let reachable = ReachableLocks::build(
        files.iter().flat_map(|f| f.facts.locks.iter()),
        files.iter().flat_map(|f| f.facts.functions.iter()),
    );
    for file in files {
        for function in &file.facts.locks {
            for call in &function.calls_under_guard {
                for (lock, reach) in reachable.locks_of(&call.callee) {
                    for held in &call.held {
                        if held.lock == lock || !held.tentative.holds() {
                            continue;
                        }
                        edges.push(Edge {
                            from: &held.lock,
                            to: lock,
                            file: file.display,
                            function: &function.function,
                            location: call.location.clone(),
                            held_at: &held.acquired,
                            through: reachable.chain(&call.callee, lock),
                            from_mode: held.mode,
                            to_mode: reach.mode,
                        });
                    }
                }
            }
        }
    }
    edges
}
