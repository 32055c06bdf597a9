//! `guard_across_await`: a synchronous lock guard or `RefCell` borrow alive at an `.await`.

use super::{Group, RuleInfo};
use crate::catalog::guards::LockMode;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::{Checker, Event};
use crate::semantic::guards::liveness::Guard;
use crate::semantic::types::Ty;
use crate::semantic::walker::{FileContext, Walker};

pub const INFO: RuleInfo = RuleInfo {
    name: "guard_across_await",
    group: Group::Guards,
    default_level: Level::Warn,
    summary: "a synchronous lock guard or RefCell borrow alive across an `.await`",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: Some(|p| super::if_lock_findings(p, INFO.name)),
};

const DOC: &str = r#"# guard_across_await

## What it does
Finds a guard of a synchronous lock — `std::sync::Mutex`/`RwLock`, `parking_lot`, `spin`
(`rules/guards.toml`) — or a `RefCell` borrow that is still alive when the async body
reaches an `.await`. A `.lock()` that is not directly followed by `.await`, and a
zero-argument `.read()`/`.write()` on a known lock type (or unwrapped like std's
`LockResult`), is a synchronous acquisition; `.borrow()`/`.borrow_mut()` count on values
typed `RefCell`. When the receiver is a field of a struct declared in another file
(`state.config.read()`), the file alone cannot tell whether it is a lock: the finding is
reported once the crate phase has resolved the field's type to a synchronous lock.

Liveness follows Rust's drop rules, per body: a guard bound by `let` (also inside a tuple,
a struct literal or `Some(..)`) lives to the end of its block unless `drop(guard)`, a move
into a call or another binding, or a reassignment releases it first; shadowing does not
release it. A temporary guard lives to the end of its statement — and the scrutinee of a
`match`, `if let` (before edition 2024) and `while let` keeps its temporaries alive through
the arms.

## Why is this bad?
While the task is suspended at the `.await`, the lock stays held. Any other task (or
thread) that needs it blocks its executor thread; if that task runs on the same thread as
the holder, the program deadlocks. A `std::sync::MutexGuard` also makes the future
`!Send`, so it cannot be spawned on a multi-threaded runtime. A `RefCell` borrow held
across an `.await` panics when another task borrows it meanwhile.

## Example
```rust
async fn bump(state: &std::sync::Mutex<u64>, db: &Db) {
    let mut count = state.lock().unwrap();
    *count += 1;
    db.save(*count).await; // the guard is still alive here
}
```

## Use instead
Narrow the guard's scope so that it dies before the await:
```rust
async fn bump(state: &std::sync::Mutex<u64>, db: &Db) {
    let count = {
        let mut count = state.lock().unwrap();
        *count += 1;
        *count
    };
    db.save(count).await;
}
```
or, when the lock must be held across the wait, an async lock: `tokio::sync::Mutex` and
`state.lock().await`.

## Model
`lock-scope`: one short critical section per update, never spanning a wait.
"#;

fn diagnostic(file: &str, guard: &Guard) -> Diagnostic {
    let what = match guard.mode {
        LockMode::Borrow | LockMode::BorrowMut => "`RefCell` borrow",
        _ => "lock guard",
    };
    let of = guard
        .key
        .as_deref()
        .map(|k| format!(" of `{k}`"))
        .unwrap_or_default();
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        guard.acquired.clone(),
        format!("{what}{of} is held across an `.await`"),
    );
    diagnostic.primary_label = "acquired here".into();
    for location in &guard.awaits {
        diagnostic.labels.push(Label {
            location: location.clone(),
            message: "still held at this `.await`".into(),
        });
    }
    diagnostic.help = Some(if guard.mode.is_refcell() {
        "end the borrow before the `.await` (a block or `drop(..)`), or keep the value out of the `RefCell` while waiting".into()
    } else {
        "drop the guard before the `.await` (end its block or `drop(guard)`), or use `tokio::sync::Mutex` if the lock must be held across the wait".into()
    });
    diagnostic.model = Some(Model::LockScope);
    diagnostic.notes.push(Note {
        message: if guard.mode.is_refcell() {
            "while the task is suspended, the borrow stays active: any other borrow of the cell panics".into()
        } else {
            "while the task is suspended, the lock stays held: other tasks block on it, and the future is not `Send`".into()
        },
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    Some(super::guard_rule(detect)).filter(|_| !cx.text.is_empty())
}

/// A guard that crossed an `.await` before it died (not a possible async-lock future); a
/// tentative guard's finding waits for the crate phase to confirm the lock.
fn detect(walker: &Walker, event: &Event) -> Option<(Diagnostic, Option<Ty>)> {
    let Event::GuardReleased(guard) = event else {
        return None;
    };
    (!guard.awaits.is_empty() && !guard.uncertain && !guard.is_async)
        .then(|| (diagnostic(walker.cx.file, guard), guard.if_lock.clone()))
}
