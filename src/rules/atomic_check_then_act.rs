//! `atomic_check_then_act`: an atomic load followed by a dependent store.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::FileAnalysis;
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::guards::lock_expr;
use crate::semantic::guards::reads::{token_text, ValueReads};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;

pub const INFO: RuleInfo = RuleInfo {
    name: "atomic_check_then_act",
    group: Group::SharedState,
    default_level: Level::Warn,
    summary: "an atomic load followed by a dependent store instead of an atomic RMW",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# atomic_check_then_act

## What it does
Finds a `store` to an atomic whose value comes from a `load` of the same atomic
(`a.store(a.load(..) + 1, ..)`, or through a binding: `let v = a.load(..); a.store(v + 1, ..)`)
or that is decided by a condition on such a load (`if a.load(..) == 0 { a.store(1, ..) }`).
Atomics are recognized by the ordering argument of `load`/`store`; the receiver expression
identifies the atomic. Not reported: stores under a live lock guard (double-checked
locking), stores to `self`'s atomics in `&mut self` methods (exclusive access), and
`if a.load(..) != v { a.store(v, ..) }` (a skipped redundant write).

## Why is this bad?
Each operation is atomic, the pair is not: two threads can both load the same value and
both store, so one increment is lost, or both see "not yet claimed" and both act.

## Example
```rust
fn next_id(counter: &AtomicU64) -> u64 {
    let id = counter.load(Ordering::SeqCst);
    counter.store(id + 1, Ordering::SeqCst); // two callers can get the same id
    id
}
```

## Use instead
A read-modify-write operation:
```rust
fn next_id(counter: &AtomicU64) -> u64 {
    counter.fetch_add(1, Ordering::SeqCst)
}
```
and for a claim, `compare_exchange(false, true, ..)`; for anything else, `fetch_update`.

## Model
`atomic-rmw`: one atomic read-modify-write instead of a load and a store.
"#;

fn diagnostic(
    file: &str,
    key: &str,
    store: &Location,
    load: &Location,
    value_depends: bool,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        store.clone(),
        if value_depends {
            format!("`{key}` is stored from a value loaded separately: the update is not atomic")
        } else {
            format!("`{key}` is stored after checking a separate load: check-then-act race")
        },
    );
    diagnostic.primary_label = "dependent store".into();
    diagnostic.labels.push(Label {
        location: load.clone(),
        message: "loaded here".into(),
    });
    diagnostic.help = Some(if value_depends {
        "use one atomic read-modify-write: `fetch_add`/`fetch_sub`/`fetch_max`, or `fetch_update`"
            .into()
    } else {
        "use `compare_exchange` (or `swap`) so that the check and the store are one atomic step"
            .into()
    });
    diagnostic.model = Some(Model::AtomicRmw);
    diagnostic.notes.push(Note {
        message: "another thread can store between this load and this store".into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(Box::<AtomicCheckThenAct>::default())
}

/// Detection: a `store` whose value or enclosing condition comes from a load of the same
/// atomic, outside any lock. Findings wait for their body's end: a body that also uses
/// compare-and-swap or other RMW operations is a lock-free protocol, not a counter.
#[derive(Default)]
struct AtomicCheckThenAct {
    /// (body id, its findings so far)
    pending: Vec<(usize, Vec<Diagnostic>)>,
    found: Vec<Diagnostic>,
}

impl Checker for AtomicCheckThenAct {
    fn interests(&self) -> u16 {
        interest::CALLS | interest::GUARDS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::MethodCall { call, .. } if call.method == "store" => {
                let Some(tracker) = walker.guards().filter(|t| t.atomics()) else {
                    return;
                };
                let Some(body) = tracker.current() else {
                    return;
                };
                // Under a lock the check and the act are one critical section.
                if tracker.lock_held() {
                    return;
                }
                if let Some(found) = dependent_store(walker.cx.file, &body.reads, call) {
                    match self.pending.iter_mut().find(|(id, _)| *id == body.id) {
                        Some((_, list)) => list.push(found),
                        None => self.pending.push((body.id, vec![found])),
                    }
                }
            }
            Event::BodyClosed { body, uses_rmw } => {
                if let Some(at) = self.pending.iter().position(|(id, _)| id == body) {
                    let (_, list) = self.pending.remove(at);
                    if !uses_rmw {
                        self.found.extend(list);
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

/// `a.store(value, ordering)`: does the value or an enclosing condition come from a load
/// of `a`?
fn dependent_store(
    file: &str,
    reads: &ValueReads,
    call: &syn::ExprMethodCall,
) -> Option<Diagnostic> {
    if call.args.len() != 2 || !call.args.last().is_some_and(lock_expr::is_ordering) {
        return None;
    }
    let key = lock_expr::receiver_key(&call.receiver)?;
    if reads.exclusive_self && key.starts_with("self.") {
        return None;
    }
    let value = call.args.first()?;
    let store = Location::from_span(call.method.span());
    let mut loads = Vec::new();
    lock_expr::atomic_loads(value, &mut loads);
    if let Some((load, _)) = loads.iter().find(|(_, k)| *k == key) {
        let location = Location::from_span(load.method.span());
        return Some(diagnostic(file, &key, &store, &location, true));
    }
    if let Some(read) = reads
        .atomic_reads
        .iter()
        .rev()
        .find(|r| r.key == key && lock_expr::mentions_any(value, &r.names))
    {
        return Some(diagnostic(file, &key, &store, &read.location, true));
    }
    for condition in reads.conditions.iter().rev() {
        let Some((_, location)) = condition.loads.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        // `if a.load() != v { a.store(v) }` only skips a redundant write.
        if condition
            .unequal_to
            .as_ref()
            .is_some_and(|v| *v == token_text(value))
        {
            return None;
        }
        return Some(diagnostic(file, &key, &store, location, false));
    }
    None
}
