//! `unsafe_impl_sync`: `unsafe impl Send/Sync` for a type that is not thread-safe.

use super::RuleInfo;
use crate::analysis::guards::{TypeSummary, UnsafeImpl};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};

pub const INFO: RuleInfo = RuleInfo {
    name: "unsafe_impl_sync",
    group: "shared_state",
    default_level: Level::Warn,
    summary: "`unsafe impl Send/Sync` for a type that is not thread-safe",
    doc: DOC,
    implemented: true,
    checker: None,
    crate_phase: None,
};

const DOC: &str = r#"# unsafe_impl_sync

## What it does
Finds `unsafe impl Send`/`Sync` that assert thread safety the type does not visibly have:
- a generic type whose parameter has no bound at all (`unsafe impl<T> Send for Wrapper<T>`:
  it needs `T: Send`; `Sync` needs `T: Sync` or `T: Send`) — parameters only used in
  `PhantomData` and parameters with some other trait bound (which may imply it) are left
  alone;
- `Sync` for a type (defined in the same file) with `Cell`, `RefCell`, `UnsafeCell`, `Rc`
  or raw-pointer fields and no synchronizing field (a `Mutex`, `RwLock`, atomic, `Once*`,
  …); `Send` for one with `Rc` fields.

## Why is this bad?
The compiler derives `Send`/`Sync` from the fields; an `unsafe impl` overrides that
judgement. If it is wrong, safe code can race: two threads mutating a `Cell` through `&T`,
two threads cloning an `Rc` (its count is not atomic), a `Wrapper<Rc<_>>` sent to another
thread. These were among the most frequent soundness bugs found in published crates.

## Example
```rust
pub struct Wrapper<T> { inner: *mut T }
unsafe impl<T> Send for Wrapper<T> {}
```

## Use instead
```rust
unsafe impl<T: Send> Send for Wrapper<T> {}
```
and for interior mutability, a `Mutex`/`RwLock` or atomics instead of `Cell`/`RefCell`
(then the impl is usually not needed at all).

## Model
`sync-primitive`: thread safety comes from the fields' own synchronization.
"#;

pub fn diagnostic(
    file: &str,
    found: &UnsafeImpl,
    summary: Option<&TypeSummary>,
) -> Option<Diagnostic> {
    let trait_name = &found.trait_name;
    let is_sync = trait_name == "Sync";
    let unbounded: Vec<&String> = found
        .unbounded_params
        .iter()
        .filter(|p| !summary.is_some_and(|s| s.phantom_params.contains(p)))
        .collect();
    if let Some(param) = unbounded.first() {
        let mut diagnostic = Diagnostic::new(
            INFO.name,
            file,
            found.trait_location.clone(),
            format!(
                "`unsafe impl {trait_name} for {}` without a `{param}: {trait_name}` bound",
                found.type_text
            ),
        );
        diagnostic.primary_label = format!("`{param}` may not be `{trait_name}`");
        diagnostic.help = Some(format!(
            "add the missing bound: `unsafe impl<{param}: {trait_name}> {trait_name} for {}`",
            found.type_text
        ));
        diagnostic.model = Some(Model::SyncPrimitive);
        diagnostic.notes.push(Note {
            message: format!(
                "with `{param}` = `Rc<_>` or `Cell<_>`, safe code can now race across threads"
            ),
            file: None,
            location: None,
        });
        return Some(diagnostic);
    }
    let summary = summary?;
    if summary.has_sync_field {
        return None;
    }
    let (kind, field) = match (&summary.unsync_field, &summary.has_raw_pointer) {
        (Some((kind, field)), _) if is_sync || kind == "Rc" => (kind.clone(), field.clone()),
        _ => return None,
    };
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        found.trait_location.clone(),
        format!(
            "`unsafe impl {trait_name} for {}`, which holds a `{kind}` and no synchronization",
            found.type_text
        ),
    );
    diagnostic.primary_label = format!("asserts `{trait_name}`");
    diagnostic.labels.push(Label {
        location: field,
        message: format!("this `{kind}` field is not thread-safe by itself"),
    });
    diagnostic.help = Some(
        "protect the state with a `Mutex`/`RwLock` or atomics (then the impl is usually unnecessary), or remove the impl".into(),
    );
    diagnostic.model = Some(Model::SyncPrimitive);
    diagnostic.notes.push(Note {
        message: if is_sync {
            "through `&T`, several threads can now mutate this field at once".into()
        } else {
            "an `Rc`'s count is not atomic: sending a clone to another thread races".into()
        },
        file: None,
        location: None,
    });
    Some(diagnostic)
}
