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
}

/// Why a function has the property: its first step towards the direct cause.
#[derive(Debug, Clone)]
pub enum BlockingStep {
    /// It has the property itself.
    Direct(DirectCause),
    /// It calls another function that may block: (callee path, index of the call edge).
    Through(String, usize),
}

/// The may-block facts of one crate.
pub struct CallGraph<'a> {
    functions: HashMap<&'a str, &'a FunctionSummary>,
    /// function path → (chain length to a blocking API, first step)
    blocking: HashMap<&'a str, (usize, BlockingStep)>,
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
        let mut blocking: HashMap<&str, (usize, BlockingStep)> = HashMap::default();
        for (path, summary) in &functions {
            if summary.is_async || not_blocking.contains(*path) {
                continue;
            }
            if let Some(cause) = direct(summary) {
                blocking.insert(path, (1, BlockingStep::Direct(cause)));
            }
        }
        loop {
            let mut changed = false;
            for (path, summary) in &functions {
                if summary.is_async || not_blocking.contains(*path) {
                    continue;
                }
                let mut best = blocking.get(path).map(|(len, _)| *len);
                let mut best_step = None;
                for (index, edge) in summary.calls.iter().enumerate() {
                    if edge.context != CallContext::Sync || edge.awaited {
                        continue;
                    }
                    let Some((len, _)) = blocking.get(edge.callee.as_str()) else {
                        continue;
                    };
                    if best.is_none_or(|b| len + 1 < b) {
                        best = Some(len + 1);
                        best_step = Some(BlockingStep::Through(edge.callee.clone(), index));
                    }
                }
                if let (Some(len), Some(step)) = (best, best_step) {
                    blocking.insert(path, (len, step));
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
        match self.blocking.get(last.path.as_str()) {
            Some((_, BlockingStep::Direct(cause))) => Some(cause),
            _ => None,
        }
    }

    /// Whether a synchronous crate function has the property.
    pub fn may_block(&self, path: &str) -> bool {
        self.blocking.contains_key(path)
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
            match self.blocking.get(current.as_str()) {
                Some((_, BlockingStep::Through(next, _))) => current = next.clone(),
                _ => break,
            }
        }
        chain
    }

    /// The call edge a chain step takes out of `path` (its location), if it goes through
    /// another function.
    pub fn step_call(&self, path: &str) -> Option<&'a super::calls::CallEdge> {
        match self.blocking.get(path) {
            Some((_, BlockingStep::Through(_, index))) => {
                self.function(path).and_then(|f| f.calls.get(*index))
            }
            _ => None,
        }
    }
}
