//! The crate-level call graph over `FunctionSummary`s: which synchronous functions have a
//! property (may block; are CPU-heavy) directly or through other crate functions, and by
//! which shortest chain.

use super::calls::{CallContext, FunctionSummary};
use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::collections::HashSet;

/// The place a function has the property itself: the blocking API it calls, or the
/// CPU-heavy call or loop.
#[derive(Debug, Clone)]
pub struct DirectCause {
    pub what: String,
    pub location: crate::source::Location,
    /// Only when the function's parameter at this index is `Some` (`optional_args`).
    pub if_some: Option<u8>,
}

/// Why a function has the property: its first step towards the direct cause.
#[derive(Debug, Clone)]
pub enum BlockingStep {
    /// It has the property itself.
    Direct(DirectCause),
    /// It calls another function that may block: (callee path, index of the call edge).
    Through(String, usize),
}

/// How a function has the property.
#[derive(Debug, Clone)]
struct Reach {
    /// The chain's length down to the direct cause.
    len: usize,
    step: BlockingStep,
    /// Only when its parameter at this index is `Some` (the chain starts in an
    /// `if let Some(..) = param` branch, or passes the parameter on to a callee that has
    /// the property only then): a caller passing `None` there does not reach it.
    if_some: Option<u8>,
}

impl Reach {
    /// Unconditional chains first, then shorter ones.
    fn rank(&self) -> (bool, usize) {
        (self.if_some.is_some(), self.len)
    }
}

/// The may-block facts of one crate.
pub struct CallGraph<'a> {
    functions: HashMap<&'a str, &'a FunctionSummary>,
    /// function path → how it has the property
    blocking: HashMap<&'a str, Reach>,
}

impl<'a> CallGraph<'a> {
    /// Build the graph and run the fixed point. `direct` says which synchronous functions
    /// have the property themselves; functions in `excluded` (config `not_blocking`) never
    /// have it; calls made inside insulating wrappers do not count. Recursion terminates:
    /// chain lengths only shrink.
    pub fn build(
        summaries: impl Iterator<Item = &'a FunctionSummary>,
        direct: impl Fn(&FunctionSummary) -> Option<DirectCause>,
        not_blocking: &HashSet<String>,
    ) -> CallGraph<'a> {
        let mut functions: HashMap<&str, &FunctionSummary> = HashMap::default();
        for summary in summaries {
            // Two functions with one path (cfg variants): keep the first.
            functions.entry(summary.path.as_str()).or_insert(summary);
        }
        let mut blocking: HashMap<&str, Reach> = HashMap::default();
        for (path, summary) in &functions {
            if summary.is_async || not_blocking.contains(*path) {
                continue;
            }
            if let Some(cause) = direct(summary) {
                let if_some = cause.if_some;
                let step = BlockingStep::Direct(cause);
                blocking.insert(
                    path,
                    Reach {
                        len: 1,
                        step,
                        if_some,
                    },
                );
            }
        }
        loop {
            let mut changed = false;
            for (path, summary) in &functions {
                if summary.is_async || not_blocking.contains(*path) {
                    continue;
                }
                let mut best = blocking.get(path).map(Reach::rank);
                let mut best_reach = None;
                for (index, edge) in summary.calls.iter().enumerate() {
                    if edge.context != CallContext::Sync || edge.awaited {
                        continue;
                    }
                    let Some(callee) = blocking.get(edge.callee.as_str()) else {
                        continue;
                    };
                    let if_some = match callee.if_some {
                        None => edge.args.if_some,
                        // `set_password(user, None)` of a helper that hashes only `Some`
                        Some(k) if edge.args.passes_none(k) => continue,
                        Some(k) => edge.args.param_at(k).or(edge.args.if_some),
                    };
                    let reach = Reach {
                        len: callee.len + 1,
                        step: BlockingStep::Through(edge.callee.clone(), index),
                        if_some,
                    };
                    if best.is_none_or(|b| reach.rank() < b) {
                        best = Some(reach.rank());
                        best_reach = Some(reach);
                    }
                }
                if let Some(reach) = best_reach {
                    blocking.insert(path, reach);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        CallGraph {
            functions,
            blocking,
        }
    }

    pub fn function(&self, path: &str) -> Option<&'a FunctionSummary> {
        self.functions.get(path).copied()
    }

    /// The direct cause at the end of `path`'s chain.
    pub fn cause(&self, path: &str) -> Option<&DirectCause> {
        let chain = self.chain(path);
        let last = chain.last()?;
        match self
            .blocking
            .get(last.path.as_str())
            .map(|reach| &reach.step)
        {
            Some(BlockingStep::Direct(cause)) => Some(cause),
            _ => None,
        }
    }

    /// Whether a call reaches the property through its callee: not a call passing `None`
    /// where the callee has it only for `Some`.
    pub fn reached_by(&self, edge: &super::calls::CallEdge) -> bool {
        self.blocking
            .get(edge.callee.as_str())
            .is_some_and(|reach| reach.if_some.is_none_or(|k| !edge.args.passes_none(k)))
    }

    /// The chain from `path` down to the blocking API: each function on the way.
    pub fn chain(&self, path: &str) -> Vec<&'a FunctionSummary> {
        let mut chain = Vec::new();
        let mut current = path.to_string();
        let mut seen = FxHashSet::default();
        while let Some(summary) = self.function(&current) {
            if !seen.insert(current.clone()) {
                break;
            }
            chain.push(summary);
            match self.blocking.get(current.as_str()).map(|reach| &reach.step) {
                Some(BlockingStep::Through(next, _)) => current = next.clone(),
                _ => break,
            }
        }
        chain
    }

    /// The call edge a chain step takes out of `path` (its location), if it goes through
    /// another function.
    pub fn step_call(&self, path: &str) -> Option<&'a super::calls::CallEdge> {
        match self.blocking.get(path).map(|reach| &reach.step) {
            Some(BlockingStep::Through(_, index)) => {
                self.function(path).and_then(|f| f.calls.get(*index))
            }
            _ => None,
        }
    }
}
