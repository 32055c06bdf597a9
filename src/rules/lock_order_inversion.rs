//! `lock_order_inversion`: the crate's lock-order graph has a cycle.

use super::{CrateFile, Group, RuleInfo};
use crate::catalog::guards::LockMode;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::lockgraph::ReachableLocks;
use crate::source::Location;
use std::collections::{BTreeSet, HashMap, HashSet};

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

/// One edge occurrence: `to` acquired at `location` while `from` (acquired at `held_at`) is
/// held, in `function` of `file`.
struct Edge<'a> {
    from: &'a str,
    to: &'a str,
    file: &'a str,
    function: &'a str,
    location: Location,
    held_at: &'a Location,
    /// For an acquisition reached through calls: each step (function, file, location).
    through: Vec<(String, String, Location)>,
}

pub fn crate_findings(files: &[CrateFile]) -> Vec<Diagnostic> {
    let mut edges: Vec<Edge> = Vec::new();
    for file in files {
        for function in &file.facts.locks {
            for acquisition in &function.acquisitions {
                if !acquisition.blocks {
                    continue;
                }
                for held in &acquisition.held {
                    if held.lock == acquisition.lock
                        || (held.mode == LockMode::Shared && acquisition.mode == LockMode::Shared)
                    {
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
                    });
                }
            }
        }
    }
    // Through calls: a call made while `held` is alive into a function that (transitively)
    // acquires another lock adds the edge held → that lock, at the call.
    let reachable = ReachableLocks::build(
        files.iter().flat_map(|f| f.facts.locks.iter()),
        files.iter().flat_map(|f| f.facts.functions.iter()),
    );
    for file in files {
        for function in &file.facts.locks {
            for call in &function.calls_under_guard {
                for (lock, reach) in reachable.locks_of(&call.callee) {
                    for held in &call.held {
                        if held.lock == lock
                            || (held.mode == LockMode::Shared && reach.mode == LockMode::Shared)
                        {
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
                        });
                    }
                }
            }
        }
    }
    if edges.is_empty() {
        return Vec::new();
    }
    let mut successors: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for edge in &edges {
        successors.entry(edge.from).or_default().insert(edge.to);
    }
    let reaches = |start: &str, goal: &str| -> bool {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            if node == goal {
                return true;
            }
            if seen.insert(node) {
                if let Some(next) = successors.get(node) {
                    stack.extend(next.iter().copied());
                }
            }
        }
        false
    };
    let mut reported: HashSet<(&str, &Location)> = HashSet::new();
    let mut found = Vec::new();
    for edge in &edges {
        // On a cycle: the acquired lock leads back to the held one.
        if !reaches(edge.to, edge.from) || !reported.insert((edge.file, &edge.location)) {
            continue;
        }
        let opposite = edges
            .iter()
            .find(|o| o.from == edge.to && o.to == edge.from)
            .or_else(|| {
                edges
                    .iter()
                    .find(|o| o.from == edge.to && reaches(o.to, edge.from))
            });
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
        found.push(diagnostic);
    }
    found
}

/// `crate::bank::Bank.accounts` → `Bank.accounts`; `crate::STATE` → `STATE`.
pub(crate) fn short(lock: &str) -> &str {
    let (path, _) = lock.split_once('.').unwrap_or((lock, ""));
    match path.rfind("::") {
        Some(at) => &lock[at + 2..],
        None => lock,
    }
}
