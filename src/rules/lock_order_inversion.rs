//! `lock_order_inversion`: the crate's lock-order graph has a cycle.

use super::{CrateFile, Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::lockgraph::{Edge, LockGraph};
use crate::source::Location;
use rustc_hash::FxHashSet as HashSet;

pub const INFO: RuleInfo = RuleInfo {
    name: "lock_order_inversion",
    group: Group::Guards,
    default_level: Level::Warn,
    summary: "two locks acquired in opposite orders in different places (deadlock)",
    doc: DOC,
    implemented: true,
    checker: None,
    crate_phase: Some(|p| crate_findings(p.files)),
};

const DOC: &str = r#"# lock_order_inversion

## What it does
Builds the crate's lock-order graph — an edge A → B wherever lock B is acquired while a
guard of lock A is alive — from every function of the crate, and reports each acquisition
on a cycle: `self.accounts` then `self.log` in one method, `self.log` then
`self.accounts` in another; or longer cycles A → B → C → A. Locks are identified across
functions by their receiver path within a type (`self.accounts` in `impl Bank` is
`Bank.accounts`) or by a static's path; locks reached through locals and parameters are
not. `try_lock` never waits and adds no edge; two read locks do not conflict.

## Why is this bad?
Two threads running the two functions at once can each take their first lock and wait
forever for the other's: a deadlock that depends on timing, so it survives tests and
shows up under load.

## Example
```rust
impl Bank {
    fn transfer(&self) {
        let accounts = self.accounts.lock().unwrap();
        let log = self.log.lock().unwrap();      // accounts → log
    }
    fn audit(&self) {
        let log = self.log.lock().unwrap();
        let accounts = self.accounts.lock().unwrap(); // log → accounts: deadlock
    }
}
```

## Use instead
One global order (always `accounts` before `log`), or one lock over both pieces of state:
```rust
fn audit(&self) {
    let accounts = self.accounts.lock().unwrap();
    let log = self.log.lock().unwrap();
}
```

## Model
`lock-scope`: a fixed lock order (or one lock) for every critical section.
"#;

pub(crate) fn crate_findings(files: &[CrateFile]) -> Vec<Diagnostic> {
    let graph = LockGraph::build(files);
    let edges = &graph.edges;
    let reaches = |start: &str, goal: &str| graph.reaches(start, goal);
    let mut reported: HashSet<(&str, &Location)> = HashSet::default();
    let mut found = Vec::new();
    for edge in edges {
        // On a cycle: the acquired lock leads back to the held one.
        if !reaches(edge.to, edge.from) || !reported.insert((edge.file, &edge.location)) {
            continue;
        }
        // A direct opposite edge must conflict at both locks; a longer cycle is taken
        // only when this edge itself excludes (not read→read).
        let opposite = edges
            .iter()
            .find(|o| o.from == edge.to && o.to == edge.from && edge.conflicts_with(o))
            .or_else(|| {
                edges.iter().find(|o| {
                    !edge.both_shared()
                        && o.from == edge.to
                        && o.to != edge.from
                        && reaches(o.to, edge.from)
                })
            });
        if opposite.is_none() {
            continue;
        }
        found.push(diagnostic(edge, opposite));
    }
    found
}

/// The finding at one edge of a cycle, with the opposite edge (or path) as a note.
fn diagnostic(edge: &Edge, opposite: Option<&Edge>) -> Diagnostic {
    {
        let mut diagnostic = Diagnostic::new(
            INFO.name,
            edge.file,
            edge.location.clone(),
            format!(
                "`{}` is acquired while `{}` is held, but elsewhere the order is reversed: deadlock",
                short(edge.to),
                short(edge.from)
            ),
        );
        diagnostic.primary_label = if edge.through.is_empty() {
            format!("`{}` acquired second", short(edge.to))
        } else {
            format!("this call acquires `{}`", short(edge.to))
        };
        for (step, (function, file, location)) in edge.through.iter().enumerate() {
            let last = step + 1 == edge.through.len();
            diagnostic.notes.push(Note {
                message: if last {
                    format!(
                        "`{}` acquires `{}`",
                        super::through_calls::short(function),
                        short(edge.to)
                    )
                } else {
                    format!(
                        "`{}` calls `{}`",
                        super::through_calls::short(function),
                        super::through_calls::short(&edge.through[step + 1].0)
                    )
                },
                file: Some(file.clone()),
                location: Some(location.clone()),
            });
        }
        diagnostic.labels.push(Label {
            location: edge.held_at.clone(),
            message: format!("`{}` acquired first", short(edge.from)),
        });
        if let Some(o) = opposite {
            diagnostic.notes.push(Note {
                message: format!(
                    "`{}` then `{}` in `{}`",
                    short(o.from),
                    short(o.to),
                    o.function
                ),
                file: Some(o.file.to_string()),
                location: Some(o.location.clone()),
            });
        }
        diagnostic.notes.push(Note {
            message: format!(
                "in `{}`; two threads taking these locks in opposite orders can each wait for the other forever",
                edge.function
            ),
            file: None,
            location: None,
        });
        diagnostic.help = Some(format!(
            "acquire the locks in one order everywhere (e.g. `{}` before `{}`), or put the state behind one lock",
            short(edge.from),
            short(edge.to)
        ));
        diagnostic.model = Some(Model::LockScope);
        diagnostic
    }
}

/// `crate::bank::Bank.accounts` → `Bank.accounts`; `crate::STATE` → `STATE`.
pub(crate) fn short(lock: &str) -> &str {
    let (path, _) = lock.split_once('.').unwrap_or((lock, ""));
    match path.rfind("::") {
        Some(at) => &lock[at + 2..],
        None => lock,
    }
}
