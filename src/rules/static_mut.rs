//! `static_mut`: a `static mut` item that is read or written.

use super::RuleInfo;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::source::Location;

pub const INFO: RuleInfo = RuleInfo {
    name: "static_mut",
    group: "shared_state",
    default_level: Level::Warn,
    summary: "a `static mut` that is read or written",
    doc: DOC,
    implemented: true,
    checker: None,
    crate_phase: None,
};

const DOC: &str = r#"# static_mut

## What it does
Finds `static mut` items of a file that are read or written in it (also through
`addr_of!`/`&raw`), and points at each access.

## Why is this bad?
Every access to a `static mut` is `unsafe` because nothing stops two threads from
touching it at once: a data race, undefined behaviour. References to it are denied in
edition 2024 (`static_mut_refs`). The synchronization the code relies on is implicit
("only called from main", "only during init") and breaks silently when that changes.

## Example
```rust
static mut COUNTER: u64 = 0;

fn hit() {
    unsafe { COUNTER += 1 };
}
```

## Use instead
An atomic for a counter or flag, a `Mutex`/`RwLock` for a value, `OnceLock`/`LazyLock`
for something initialized once, `thread_local!` for per-thread state:
```rust
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn hit() {
    COUNTER.fetch_add(1, Ordering::Relaxed);
}
```

## Model
`sync-primitive`: the shared state carries its own synchronization.
"#;

const SHOWN_ACCESSES: usize = 5;

pub fn diagnostic(file: &str, name: &str, item: &Location, accesses: &[&Location]) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        item.clone(),
        format!("`static mut {name}` is shared mutable state without synchronization"),
    );
    diagnostic.primary_label = "declared here".into();
    for access in accesses.iter().take(SHOWN_ACCESSES) {
        diagnostic.labels.push(Label {
            location: (*access).clone(),
            message: "accessed here".into(),
        });
    }
    if accesses.len() > SHOWN_ACCESSES {
        diagnostic.notes.push(Note {
            message: format!("and {} more accesses", accesses.len() - SHOWN_ACCESSES),
            file: None,
            location: None,
        });
    }
    diagnostic.help = Some(
        "use an atomic (`AtomicU64`, `AtomicBool`), a `Mutex`/`RwLock`, `OnceLock`/`LazyLock`, or `thread_local!`"
            .into(),
    );
    diagnostic.model = Some(Model::SyncPrimitive);
    diagnostic.notes.push(Note {
        message: "any two threads reaching these accesses at once race: undefined behaviour".into(),
        file: None,
        location: None,
    });
    diagnostic
}
