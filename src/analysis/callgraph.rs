//! The crate-level call graph over `FunctionSummary`s: which synchronous functions may
//! block, directly or through other crate functions, and by which shortest chain.

use super::calls::{CallContext, FunctionSummary};
use std::collections::{HashMap, HashSet};

/// Why a function may block: its first step towards a blocking API.
#[derive(Debug, Clone)]
pub enum BlockingStep {
    /// It calls the blocking API itself (index into `FunctionSummary::blocks`).
    Direct,
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
    /// Build the graph and run the fixed point. Functions in `not_blocking` (config) never
    /// block; calls made inside insulating wrappers do not count. Recursion terminates:
    /// chain lengths only shrink.
    pub fn build(
        summaries: impl Iterator<Item = &'a FunctionSummary>,
        not_blocking: &HashSet<String>,
    ) -> CallGraph<'a> {
        let mut functions: HashMap<&str, &FunctionSummary> = HashMap::new();
        for summary in summaries {
            // Two functions with one path (cfg variants): keep the first.
            functions.entry(summary.path.as_str()).or_insert(summary);
        }
        let mut blocking: HashMap<&str, (usize, BlockingStep)> = HashMap::new();
        for (path, summary) in &functions {
            if !summary.is_async && summary.blocks.is_some() && !not_blocking.contains(*path) {
                blocking.insert(path, (1, BlockingStep::Direct));
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
                    if edge.context != CallContext::Sync {
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

    /// Whether a synchronous crate function may block.
    pub fn may_block(&self, path: &str) -> bool {
        self.blocking.contains_key(path)
    }

    /// The chain from `path` down to the blocking API: each function on the way.
    pub fn chain(&self, path: &str) -> Vec<&'a FunctionSummary> {
        let mut chain = Vec::new();
        let mut current = path.to_string();
        let mut seen = HashSet::new();
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
