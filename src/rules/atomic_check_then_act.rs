//! `atomic_check_then_act`: an atomic load followed by a dependent store.

use super::RuleInfo;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::source::Location;

pub const INFO: RuleInfo = RuleInfo {
    name: "atomic_check_then_act",
    group: "shared_state",
    default_level: Level::Warn,
    summary: "an atomic load followed by a dependent store instead of an atomic RMW",
    doc: DOC,
    implemented: true,
    checker: None,
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

pub fn diagnostic(
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
