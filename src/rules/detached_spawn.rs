//! `detached_spawn`: a spawned task's or thread's `JoinHandle` is discarded.

use super::{Group, RuleInfo};
use crate::catalog::structure::DropBehavior;
use crate::catalog::structure::{SpawnApi, SpawnKind};
use crate::diagnostic::{Diagnostic, Level, Model, Note};
use crate::semantic::events::Checker;
use crate::semantic::spawns::spawn_at;
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "detached_spawn",
    group: Group::Structure,
    default_level: Level::Warn,
    summary: "a spawned task's JoinHandle is discarded",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# detached_spawn

## What it does
Finds a spawn whose `JoinHandle` is thrown away: the call is a statement of its own
(`tokio::spawn(fut);`, `std::thread::spawn(f);`, `builder.spawn(f).unwrap();`) or is bound
to `_` (`let _ = tokio::spawn(fut);`). Spawners are those of `rules/spawn.toml` (tokio,
async-std, std threads, a tokio `Runtime`/`Handle`).

Not reported: a handle kept in a variable (also `_handle`), pushed into a `Vec` or returned;
`JoinSet::spawn` and `TaskTracker::spawn` (the set owns the task); scoped threads;
`smol::spawn(..).detach()` (an explicit, visible decision; a smol `Task` dropped without it
is cancelled instead); test code.

## Why is this bad?
A detached task has no owner: if it panics or returns an error, nobody hears of it (the
panic is printed at most); it keeps running after the code that started it has returned or
been cancelled, so shutdown cannot wait for it and its work may be cut off half-way; and
tests cannot tell when it is done.

## Example
```rust
async fn on_upload(file: Upload) {
    tokio::spawn(async move { index(file).await.unwrap() });
}
```

## Use instead
Keep the handle and await it, or let a `JoinSet` own the tasks:
```rust
struct Indexer { tasks: tokio::task::JoinSet<Result<()>> }

impl Indexer {
    fn on_upload(&mut self, file: Upload) {
        self.tasks.spawn(async move { index(file).await });
    }
    async fn shutdown(&mut self) -> Result<()> {
        while let Some(result) = self.tasks.join_next().await { result??; }
        Ok(())
    }
}
```
For fire-and-forget tasks that must still finish before shutdown, a
`tokio_util::task::TaskTracker`; for threads, keep the `JoinHandle` and `join()` it, or use
`std::thread::scope`.

## Model
`structured-tasks`: every task has an owner that waits for it and sees how it ended.
"#;

pub(crate) fn diagnostic(walker: &Walker, primary: Location, api: &SpawnApi) -> Diagnostic {
    let thread = api.kind == SpawnKind::Thread;
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!(
            "the `{}` of this `{}` is discarded: the {} is detached",
            api.handle.rsplit("::").next().unwrap_or("JoinHandle"),
            api.display,
            if thread { "thread" } else { "task" }
        ),
    );
    diagnostic.primary_label = "nobody owns what this starts".into();
    diagnostic.help = Some(if thread {
        "keep the `JoinHandle` and `join()` it (its `Err` carries the panic), or use `std::thread::scope` \
         so the threads are joined before the scope returns"
            .into()
    } else {
        "keep the handle and await it (`handle.await?` surfaces panics and errors), or spawn into a \
         `tokio::task::JoinSet` owned by the caller (`set.spawn(fut)`, then `set.join_next().await`); \
         a `tokio_util::task::TaskTracker` for background tasks that must finish before shutdown"
            .into()
    });
    diagnostic.model = Some(Model::StructuredTasks);
    diagnostic.notes.push(Note {
        message: "a panic or error in a detached task is lost, and the task outlives the code \
                  that started it"
            .into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    cx.text.contains("spawn").then(|| super::expr_rule(detect))
}

/// A spawn whose handle a statement discards.
fn detect(walker: &Walker, expr: &Expr) -> Option<Diagnostic> {
    let (api, primary) = spawn_at(walker, expr)?;
    let frames = walker.frames();
    let detached = frames.is_discarded(expr)
        && api.detach == DropBehavior::Drop
        && !frames.in_test()
        && !frames.spawns_parameter(expr);
    detached.then(|| diagnostic(walker, primary, api))
}
