//! The rules: one file each, holding its documentation (what `explain` prints) and its
//! logic. This module is the registry and the dispatch from the walk to the rules.

pub(crate) mod atomic_check_then_act;
mod block_on_in_async;
mod blocking_in_async;
pub(crate) mod busy_wait;
pub(crate) mod cpu_heavy_in_async;
pub(crate) mod detached_spawn;
pub(crate) mod double_lock;
pub(crate) mod guard_across_await;
pub(crate) mod io_in_rayon;
mod lock_order_inversion;
pub(crate) mod sequential_await_in_loop;
pub(crate) mod split_lock_update;
pub(crate) mod static_mut;
mod syntax_error;
mod through_calls;
pub(crate) mod unbounded_channel;
pub(crate) mod unbounded_spawn;
pub(crate) mod unsafe_impl_sync;
mod unused_suppression;

use crate::diagnostic::{Diagnostic, Level};
use crate::program::FileFacts;
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::walker::{FileContext, Walker};

pub use syntax_error::{file_error, file_error_at, missing_module, syntax_error};
pub use unused_suppression::{unused_suppression, UNUSED_SUPPRESSION};

/// A rule as the registry knows it.
#[derive(Debug)]
pub struct RuleInfo {
    pub name: &'static str,
    pub group: &'static str,
    pub default_level: Level,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The full documentation (markdown), printed by `explain`.
    pub doc: &'static str,
    /// False for rules of the SPEC that are not built yet: they are accepted in config and
    /// listed by `rules`, but find nothing.
    pub implemented: bool,
    /// Per-file detection: the checker the one walk feeds (None: the file cannot matter).
    pub(crate) checker: Option<fn(&FileContext) -> Option<Box<dyn Checker>>>,
    /// Crate-level detection, over the crate's per-file summaries.
    pub(crate) crate_phase: Option<fn(&CrateProgram) -> Vec<Diagnostic>>,
}

/// Every rule, in the SPEC's order.
pub fn all() -> &'static [RuleInfo] {
    RULES
}

static RULES: &[RuleInfo] = &[
    blocking_in_async::INFO,
    block_on_in_async::INFO,
    cpu_heavy_in_async::INFO,
    io_in_rayon::INFO,
    guard_across_await::INFO,
    double_lock::INFO,
    lock_order_inversion::INFO,
    split_lock_update::INFO,
    atomic_check_then_act::INFO,
    static_mut::INFO,
    unsafe_impl_sync::INFO,
    sequential_await_in_loop::INFO,
    unbounded_spawn::INFO,
    detached_spawn::INFO,
    busy_wait::INFO,
    unbounded_channel::INFO,
    syntax_error::SYNTAX_ERROR,
    syntax_error::FILE_ERROR,
    unused_suppression::INFO,
];

/// Group names accepted by `-W/-A/-D` and config, besides rule names and `all`.
pub const GROUPS: &[&str] = &[
    "blocking",
    "compute",
    "guards",
    "shared_state",
    "structure",
    "pedantic",
];

pub fn find(name: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.name == name)
}

/// Whether a rule belongs to a group (`pedantic` = rules off by default).
pub fn in_group(rule: &RuleInfo, group: &str) -> bool {
    rule.group == group || (group == "pedantic" && rule.default_level == Level::Allow)
}

/// Rules that are always on at error level and cannot be configured.
pub fn is_always_on(name: &str) -> bool {
    name == "syntax_error" || name == "file_error"
}

/// The checkers to run over a file: the program summaries' recorder, then each rule's
/// own. A rule may decline a file whose text cannot contain what it looks for (a cheap
/// substring test), so it costs nothing there.
pub fn checkers(cx: &FileContext) -> Vec<Box<dyn Checker>> {
    let mut checkers: Vec<Box<dyn Checker>> = vec![
        Box::new(crate::program::calls::CallRecorder::default()),
        Box::new(crate::program::cpu::CpuHeavyRecorder::default()),
    ];
    checkers.extend(RULES.iter().filter_map(|rule| rule.checker?(cx)));
    checkers
}

/// A rule whose detection is one function of an event (asking the semantic model), with
/// no state of its own.
struct EventRule {
    interests: u16,
    detect: fn(&Walker, &Event) -> Option<Diagnostic>,
    found: Vec<Diagnostic>,
}

fn event_rule(
    interests: u16,
    detect: fn(&Walker, &Event) -> Option<Diagnostic>,
) -> Box<dyn Checker> {
    Box::new(EventRule {
        interests,
        detect,
        found: Vec::new(),
    })
}

/// A rule that judges one expression at a time, as it is entered.
fn expr_rule(detect: fn(&Walker, &syn::Expr) -> Option<Diagnostic>) -> Box<dyn Checker> {
    Box::new(ExprRule {
        detect,
        found: Vec::new(),
    })
}

struct ExprRule {
    detect: fn(&Walker, &syn::Expr) -> Option<Diagnostic>,
    found: Vec<Diagnostic>,
}

impl Checker for ExprRule {
    fn interests(&self) -> u16 {
        interest::EXPRESSIONS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        if let Event::ExprEnter(expr) = event {
            self.found.extend((self.detect)(walker, expr));
        }
    }

    fn finish(self: Box<Self>, out: &mut crate::program::FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

impl Checker for EventRule {
    fn interests(&self) -> u16 {
        self.interests
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        self.found.extend((self.detect)(walker, event));
    }

    fn finish(self: Box<Self>, out: &mut crate::program::FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

/// One file of a crate, as the crate-level phase sees it.
pub struct CrateFile<'a> {
    pub display: &'a str,
    pub facts: &'a FileFacts,
}

/// The crate as the crate-level rules see it.
pub struct CrateProgram<'a> {
    pub files: &'a [CrateFile<'a>],
    pub catalog: &'a crate::catalog::Catalog,
    pub runtime: crate::catalog::Runtime,
}

/// Findings that need the whole crate (call chains, the lock-order graph).
pub fn crate_findings(program: &CrateProgram) -> Vec<Diagnostic> {
    RULES
        .iter()
        .filter_map(|rule| rule.crate_phase)
        .flat_map(|phase| phase(program))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_docs_with_the_fixed_sections() {
        for rule in all() {
            assert!(!rule.summary.is_empty(), "{} has no summary", rule.name);
            if rule.implemented {
                for section in [
                    "## What it does",
                    "## Why is this bad?",
                    "## Example",
                    "## Use instead",
                    "## Model",
                ] {
                    assert!(
                        rule.doc.contains(section),
                        "{} lacks `{section}`",
                        rule.name
                    );
                }
            }
        }
    }
}
