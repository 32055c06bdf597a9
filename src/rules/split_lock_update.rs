//! `split_lock_update`: a read-modify-write split across two acquisitions of one lock.

use super::RuleInfo;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::source::Location;

pub const INFO: RuleInfo = RuleInfo {
    name: "split_lock_update",
    group: "shared_state",
    default_level: Level::Warn,
    summary: "a read-modify-write split across two acquisitions of one lock (lost update)",
    doc: DOC,
    implemented: true,
    checker: None,
    crate_phase: None,
};

const DOC: &str = r#"# split_lock_update

## What it does
Finds a value read under one guard of a lock (`let b = *m.lock().unwrap();`, or
`let b = *g;` with `g` a guard that is then dropped) and written back, as part of the new
value, under a *new* guard of the same lock (`*m.lock().unwrap() = b - x;`, or through a
guard acquired after the read). Locks are matched by receiver expression within a body.

## Why is this bad?
Between the two critical sections another thread can update the value; the write then
overwrites that update with one computed from stale data — a lost update. Each critical
section is correct on its own, which makes the bug easy to miss in review and rare in
tests.

## Example
```rust
fn withdraw(balance: &Mutex<u64>, amount: u64) {
    let current = *balance.lock().unwrap();
    if current >= amount {
        *balance.lock().unwrap() = current - amount; // another withdrawal may have happened
    }
}
```

## Use instead
One guard for the whole read-modify-write:
```rust
fn withdraw(balance: &Mutex<u64>, amount: u64) {
    let mut balance = balance.lock().unwrap();
    if *balance >= amount {
        *balance -= amount;
    }
}
```

## Model
`lock-scope`: one lock scope per read-modify-write (or an atomic RMW for a counter).
"#;

pub fn diagnostic(file: &str, key: &str, write: &Location, read: &Location) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        write.clone(),
        format!("`{key}` is updated under a new guard from a value read under an earlier one"),
    );
    diagnostic.primary_label = "written back under this acquisition".into();
    diagnostic.labels.push(Label {
        location: read.clone(),
        message: "the value was read under this earlier guard".into(),
    });
    diagnostic.help = Some(
        "hold one guard for the whole read-modify-write: `let mut g = m.lock().unwrap(); *g = f(*g);`"
            .into(),
    );
    diagnostic.model = Some(Model::LockScope);
    diagnostic.notes.push(Note {
        message: "another thread can update the value between the two critical sections; this write loses that update".into(),
        file: None,
        location: None,
    });
    diagnostic
}
