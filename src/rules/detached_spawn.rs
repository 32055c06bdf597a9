//! `detached_spawn`: a spawned task's or thread's `JoinHandle` is discarded.

use super::{Group, RuleInfo};
use crate::catalog::structure::DropBehavior;
use crate::catalog::structure::{SpawnApi, SpawnKind};
use crate::diagnostic::{Diagnostic, Level, Model, Note};
use crate::program::signatures::ReturnIndex;
use crate::program::{FileAnalysis, IfReturnsResult};
use crate::semantic::events::{expr_kind, interest, Checker, Event};
use crate::semantic::spawns::{spawn_at, task_output, TaskOutput};
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
    crate_phase: Some(crate_findings),
};

const DOC: &str = r#"# detached_spawn

## What it does
Finds a spawn whose `JoinHandle` is thrown away — the call is a statement of its own
(`tokio::spawn(fut);`, `std::thread::spawn(f);`, `builder.spawn(f).unwrap();`) or is bound
to `_` (`let _ = tokio::spawn(fut);`) — *when the task's output carries an error*: the
spawned async block or closure uses `?`, returns or ends in `Ok(..)`/`Err(..)`, or ends in
(or is) a call to a crate function whose declared return type is a `Result`
(`tokio::spawn(run(cfg))`, `async move { server.serve().await }`, a thread running
`move || ui::run(state)`). Spawners are those of `rules/spawn.toml` (tokio, async-std, std
threads, a tokio `Runtime`/`Handle`).

Fire-and-forget tasks whose output is `()` — the error handled inside
(`if let Err(e) = work().await { log }`), a signal handler, an accept loop — are a
deliberate pattern and are reported only with the option
```toml
[detached_spawn]
report = "all"   # default "errors"
```
Not reported either way: a handle kept in a variable (also `_handle`), pushed into a `Vec`
or returned; `JoinSet::spawn` and `TaskTracker::spawn` (the set owns the task); scoped
threads; `smol::spawn(..).detach()` (an explicit, visible decision; a smol `Task` dropped
without it is cancelled instead); a spawn of the function's own future parameter (an
executor adapter); test code.

## Why is this bad?
A detached task has no owner: if it panics or returns an error, nobody hears of it (the
panic is printed at most); it keeps running after the code that started it has returned or
been cancelled, so shutdown cannot wait for it and its work may be cut off half-way; and
tests cannot tell when it is done.

## Example
```rust
async fn index(file: Upload) -> Result<()> {
    let text = extract(&file).await?;
    search::add(&file.name, &text).await
}

async fn on_upload(file: Upload) {
    tokio::spawn(index(file)); // an indexing error vanishes with the handle
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
            crate::path_text::last_segment(&api.handle),
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
        message: "the task's output carries an error: with the handle dropped, that error (or a \
                  panic) is lost, and the task outlives the code that started it"
            .into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    crate::semantic::mentions::mentions(cx.text, "spawn").then(|| {
        Box::new(DetachedSpawns {
            report_all: cx.catalog.options().detached_spawn_all,
            found: Vec::new(),
            conditional: Vec::new(),
        }) as Box<dyn Checker>
    })
}

struct DetachedSpawns {
    report_all: bool,
    found: Vec<Diagnostic>,
    /// Spawns of a crate function's future: reported if it declares a `Result`.
    conditional: Vec<IfReturnsResult>,
}

impl Checker for DetachedSpawns {
    fn interests(&self) -> u16 {
        interest::EXPRESSIONS
    }

    fn expression_kinds(&self) -> u32 {
        expr_kind::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        let Event::ExprEnter(expr) = event else {
            return;
        };
        let Some((api, primary)) = detached(walker, expr) else {
            return;
        };
        if self.report_all {
            self.found.push(diagnostic(walker, primary, api));
            return;
        }
        match task_output(walker, expr) {
            TaskOutput::Error => self.found.push(diagnostic(walker, primary, api)),
            TaskOutput::Returns(callee) => self.conditional.push(IfReturnsResult {
                callee,
                diagnostic: diagnostic(walker, primary, api),
            }),
            TaskOutput::Plain => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.found);
        out.facts.if_returns_result.extend(self.conditional);
    }
}

/// A spawn whose handle a statement discards.
fn detached<'a>(walker: &Walker<'a>, expr: &Expr) -> Option<(&'a SpawnApi, Location)> {
    let (api, primary) = spawn_at(walker, expr)?;
    let frames = walker.frames();
    let detached = frames.is_discarded(expr)
        && api.detach == DropBehavior::Drop
        && !frames.in_test()
        && !frames.spawns_parameter(expr);
    detached.then_some((api, primary))
}

/// The spawns of crate functions whose declared return type is a `Result`.
fn crate_findings(program: &super::CrateProgram) -> Vec<Diagnostic> {
    let index = ReturnIndex::of_files(program.files.iter().map(|f| f.facts));
    program
        .files
        .iter()
        .flat_map(|f| &f.facts.if_returns_result)
        .filter(|c| c.diagnostic.rule == INFO.name && index.returns_result(&c.callee) == Some(true))
        .map(|c| c.diagnostic.clone())
        .collect()
}
