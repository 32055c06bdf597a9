//! The rules: one file each, holding its documentation (what `explain` prints) and its
//! logic. This module is the registry and the dispatch from the walk to the rules.

pub(crate) mod atomic_check_then_act;
mod block_on_in_async;
mod blocking_in_async;
pub(crate) mod busy_wait;
mod cancel_unsafe_select;
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
pub(crate) mod through_calls;
pub(crate) mod unbounded_channel;
pub(crate) mod unbounded_spawn;
pub(crate) mod unsafe_impl_sync;
mod unused_suppression;

use crate::diagnostic::{Diagnostic, Level};
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::walker::{FileContext, Walker};

pub use syntax_error::{file_error, file_error_at, missing_include, missing_module, syntax_error};
pub use unused_suppression::{unused_suppression, UNUSED_SUPPRESSION};

/// Makes a rule's checker for a file (None: the file cannot matter to the rule).
pub(crate) type CheckerFactory = fn(&FileContext) -> Option<Box<dyn Checker>>;

/// A rule as the registry knows it.
#[derive(Debug)]
pub struct RuleInfo {
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The full documentation (markdown), printed by `explain`.
    pub doc: &'static str,
    /// False for rules of the SPEC that are not built yet: they are accepted in config and
    /// listed by `rules`, but find nothing.
    pub implemented: bool,
    /// Per-file detection: the checker the one walk feeds (None: the file cannot matter).
    pub(crate) checker: Option<CheckerFactory>,
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
    cancel_unsafe_select::INFO,
    unbounded_channel::INFO,
    syntax_error::SYNTAX_ERROR,
    syntax_error::FILE_ERROR,
    unused_suppression::INFO,
];

/// A rule's group: `-W/-A/-D`, config `[rules]` and `rules` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Blocking,
    Compute,
    Guards,
    SharedState,
    Structure,
    Suppression,
    /// `syntax_error`, `file_error`: always on.
    Errors,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Blocking,
        Group::Compute,
        Group::Guards,
        Group::SharedState,
        Group::Structure,
        Group::Suppression,
        Group::Errors,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Blocking => "blocking",
            Group::Compute => "compute",
            Group::Guards => "guards",
            Group::SharedState => "shared_state",
            Group::Structure => "structure",
            Group::Suppression => "suppression",
            Group::Errors => "errors",
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `-W/-A/-D RULE` and config `[rules]` name: a rule, a group, `pedantic` (the rules
/// off by default) or `all`.
#[derive(Debug, Clone, Copy)]
pub enum Selector {
    All,
    Pedantic,
    Group(Group),
    Rule(&'static RuleInfo),
}

/// A rule or group name as a user may write it: `blocking_in_async`,
/// `concurrency_lint::blocking_in_async` (as printed) or `blocking-in-async`.
pub fn normalize(name: &str) -> String {
    let name = name.trim();
    let name = name
        .strip_prefix("concurrency_lint::")
        .or_else(|| name.strip_prefix("concurrency-lint::"))
        .unwrap_or(name);
    name.replace('-', "_")
}

impl Selector {
    /// Parse a selector; an unknown name is an error that suggests the closest one.
    pub fn parse(name: &str) -> Result<Selector, String> {
        let normalized = normalize(name);
        if normalized == "all" {
            return Ok(Selector::All);
        }
        if normalized == "pedantic" {
            return Ok(Selector::Pedantic);
        }
        if let Some(group) = Group::ALL.iter().find(|g| g.name() == normalized) {
            return Ok(Selector::Group(*group));
        }
        if let Some(rule) = RULES.iter().find(|r| r.name == normalized) {
            return Ok(Selector::Rule(rule));
        }
        let mut message = format!("unknown rule or group `{name}`");
        if let Some(closest) = closest_name(&normalized) {
            message.push_str(&format!("; did you mean `{closest}`?"));
        }
        message.push_str(" (see `cargo concurrency-lint rules`)");
        Err(message)
    }

    /// Whether the selector covers a rule.
    pub fn matches(&self, rule: &RuleInfo) -> bool {
        match self {
            Selector::All => true,
            Selector::Pedantic => rule.default_level == Level::Allow,
            Selector::Group(group) => rule.group == *group,
            Selector::Rule(selected) => selected.name == rule.name,
        }
    }
}

/// The rule or group name closest to `name` (edit distance at most a third of its length).
pub fn closest_name(name: &str) -> Option<&'static str> {
    let names = RULES
        .iter()
        .map(|r| r.name)
        .chain(Group::ALL.iter().map(|g| g.name()))
        .chain(["all", "pedantic"]);
    names
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= candidate.len().max(3) / 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A rule by any of its spellings (see [`normalize`]).
pub fn find(name: &str) -> Option<&'static RuleInfo> {
    let name = normalize(name);
    RULES.iter().find(|r| r.name == name)
}

/// Rules about code on the async executor: their findings say where the code runs.
pub fn runs_on_executor(name: &str) -> bool {
    [
        blocking_in_async::INFO.name,
        block_on_in_async::INFO.name,
        cpu_heavy_in_async::INFO.name,
        sequential_await_in_loop::INFO.name,
        guard_across_await::INFO.name,
    ]
    .contains(&name)
}

/// Rules whose findings in code that runs only from `main` are capped at the
/// `[context] main` level (allow by default): blocking once at startup is harmless.
pub fn capped_in_main(name: &str) -> bool {
    [
        blocking_in_async::INFO.name,
        cpu_heavy_in_async::INFO.name,
        sequential_await_in_loop::INFO.name,
    ]
    .contains(&name)
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
        Box::new(crate::program::entries::EntryRecorder::default()),
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

/// A rule whose detection is one function of an event, like `EventRule`, whose findings
/// about a tentative guard (`Guard::if_lock`) wait for the crate phase to confirm the lock
/// (`if_lock_findings`).
struct GuardRule {
    detect: GuardDetect,
    found: Vec<Diagnostic>,
    conditional: Vec<crate::program::IfLock>,
}

/// A finding, and the receiver's type it waits on (None: it holds as it is).
type GuardFinding = (Diagnostic, Option<crate::semantic::types::Ty>);
type GuardDetect = fn(&Walker, &Event) -> Option<GuardFinding>;

fn guard_rule(detect: GuardDetect) -> Box<dyn Checker> {
    Box::new(GuardRule {
        detect,
        found: Vec::new(),
        conditional: Vec::new(),
    })
}

impl Checker for GuardRule {
    fn interests(&self) -> u16 {
        interest::GUARDS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        let found = (self.detect)(walker, event);
        // One finding per place: a guard that branches drop one after the other (each
        // `if`/`match` branch starts with the guards alive before it) is released again.
        let seen = |d: &Diagnostic| {
            self.found
                .iter()
                .chain(self.conditional.iter().map(|c| &c.diagnostic))
                .any(|f| f.primary == d.primary)
        };
        match found {
            Some((diagnostic, _)) if seen(&diagnostic) => {}
            Some((diagnostic, None)) => self.found.push(diagnostic),
            Some((diagnostic, if_lock)) => self.conditional.push(crate::program::IfLock {
                receiver: crate::program::locks::Tentative::if_lock(if_lock),
                diagnostic,
            }),
            None => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut crate::program::FileAnalysis) {
        out.diagnostics.extend(self.found);
        out.facts.if_lock.extend(self.conditional);
    }
}

/// The rule's findings about tentative guards whose lock the crate phase confirmed.
fn if_lock_findings(program: &CrateProgram, rule: &str) -> Vec<Diagnostic> {
    program
        .files
        .iter()
        .flat_map(|f| &f.facts.if_lock)
        .filter(|c| c.diagnostic.rule == rule && c.receiver.holds())
        .map(|c| c.diagnostic.clone())
        .collect()
}

/// A rule that judges one expression at a time, as it is entered.
/// `kinds`: the expressions `detect` can report (`expr_kind::*` bits).
fn expr_rule(
    kinds: u32,
    detect: fn(&Walker, &syn::Expr) -> Option<Diagnostic>,
) -> Box<dyn Checker> {
    Box::new(ExprRule {
        kinds,
        detect,
        found: Vec::new(),
    })
}

struct ExprRule {
    kinds: u32,
    detect: fn(&Walker, &syn::Expr) -> Option<Diagnostic>,
    found: Vec<Diagnostic>,
}

impl Checker for ExprRule {
    fn interests(&self) -> u16 {
        interest::EXPRESSIONS
    }

    fn expression_kinds(&self) -> u32 {
        self.kinds
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

pub use crate::program::CrateFile;

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
