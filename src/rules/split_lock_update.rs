//! `split_lock_update`: a read-modify-write split across two acquisitions of one lock.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::guards::lock_expr;
use crate::semantic::guards::tracker::{is_assign_op, Body, BodyKind};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "split_lock_update",
    group: Group::SharedState,
    default_level: Level::Warn,
    summary: "a read-modify-write split across two acquisitions of one lock (lost update)",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
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

fn diagnostic(file: &str, key: &str, write: &Location, read: &Location) -> Diagnostic {
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

fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(super::event_rule(interest::EXPRESSIONS, detect))
}

/// Methods that overwrite a value in the locked map or cell (a `push` appends: nothing is
/// lost even if the pushed value is stale).
const STORING_METHODS: &[&str] = &["insert", "set", "replace"];

/// A write whose value was read under an earlier guard of the same lock: through a new
/// acquisition (`*m.lock().unwrap() = b - x`, `m.lock().unwrap().insert(k, v + 1)`) or a
/// guard acquired after the read (`let mut g = m.lock(); *g = b - x;`).
fn detect(walker: &Walker, event: &Event) -> Option<Diagnostic> {
    let Event::ExprEnter(expr) = event else {
        return None;
    };
    let body = walker.guards()?.current()?;
    let file = walker.cx.file;
    match expr {
        Expr::Binary(b) if is_assign_op(&b.op) => assignment(walker, body, &b.left, &b.right),
        Expr::Assign(a) => assignment(walker, body, &a.left, &a.right),
        Expr::MethodCall(m) if STORING_METHODS.contains(&m.method.to_string().as_str()) => {
            storing_call(walker, body, m)
        }
        _ => None,
    }
    .map(|(key, write, read)| diagnostic(file, &key, &write, &read))
}

/// (the lock's key, the write's acquisition, the earlier read's acquisition)
type SplitWrite = (String, Location, Location);

/// `m.lock().unwrap().insert(k, v + 1)`: a write through a new acquisition whose value
/// comes from a read under an earlier guard (the per-key counter lost update).
fn storing_call(walker: &Walker, body: &Body, call: &syn::ExprMethodCall) -> Option<SplitWrite> {
    // In closures the `if let` temporaries' liveness is not modelled precisely enough
    // for this check (a cached-lookup closure in `cc` was a false positive).
    if matches!(body.kind, BodyKind::Nested(_)) {
        return None;
    }
    let catalog = walker.guards()?.catalog();
    let is_passthrough = |name: &str| catalog.is_passthrough(name);
    let acquire = lock_expr::place_root_call(&call.receiver, &is_passthrough)?;
    catalog.acquire_method(&acquire.method.to_string())?;
    let key = lock_expr::receiver_key(&acquire.receiver)?;
    let location = Location::from_span(acquire.method.span());
    call.args
        .iter()
        .find_map(|value| split_write(body, &key, value))
        .map(|read| (key, location, read))
}

/// `*m.lock().unwrap() = b - x` / `*g = b - x`.
fn assignment(walker: &Walker, body: &Body, left: &Expr, right: &Expr) -> Option<SplitWrite> {
    let catalog = walker.guards()?.catalog();
    let is_passthrough = |name: &str| catalog.is_passthrough(name);
    if let Some(call) = lock_expr::place_root_call(left, &is_passthrough) {
        catalog.acquire_method(&call.method.to_string())?;
        let key = lock_expr::receiver_key(&call.receiver)?;
        let read = split_write(body, &key, right)?;
        return Some((key, Location::from_span(call.method.span()), read));
    }
    let root = lock_expr::place_root_name(left)?;
    let guard = &body.guards.guards[body.guards.named(root)?];
    if matches!(left, Expr::Path(_)) || guard.is_tentative() {
        return None; // reassigning the guard's variable drops it
    }
    let key = guard.key.clone()?;
    let read = split_write_through_guard(body, &key, &guard.acquired, right)?;
    Some((key, guard.acquired.clone(), read))
}

/// A write through a new acquisition of `key`: the earlier read it depends on.
fn split_write(body: &Body, key: &str, value: &Expr) -> Option<Location> {
    if body
        .guards
        .guards
        .iter()
        .any(|g| g.key.as_deref() == Some(key))
    {
        return None; // still locked: that is double_lock's finding
    }
    let read = body
        .reads
        .lock_reads
        .iter()
        .rev()
        .find(|r| r.key == key && lock_expr::mentions_any(value, &r.names))?;
    Some(read.location.clone())
}

/// A write through a guard acquired after the read.
fn split_write_through_guard(
    body: &Body,
    key: &str,
    acquired: &Location,
    value: &Expr,
) -> Option<Location> {
    let live = body
        .guards
        .guards
        .iter()
        .filter(|g| g.key.as_deref() == Some(key))
        .count();
    if live != 1 {
        return None;
    }
    let read = body.reads.lock_reads.iter().rev().find(|r| {
        r.key == key
            && r.location.byte_start < acquired.byte_start
            && lock_expr::mentions_any(value, &r.names)
    })?;
    Some(read.location.clone())
}
