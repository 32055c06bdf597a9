//! `unbounded_spawn`: a task or thread spawned per item of input with no visible limit.

use super::{Group, RuleInfo};
use crate::catalog::structure::{SpawnApi, SpawnKind};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::Checker;
use crate::semantic::loops::LoopSource;
use crate::semantic::spawns::spawn_at;
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "unbounded_spawn",
    group: Group::Structure,
    default_level: Level::Warn,
    summary: "tasks or threads spawned per input item with no limit",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# unbounded_spawn

## What it does
Finds `tokio::spawn`, `task::spawn`, `async_std::task::spawn`, `smol::spawn`,
`std::thread::spawn` (the spawners of `rules/spawn.toml`) called directly in a loop over
input — a `for` loop over a collection or iterator, a `while let` over a stream, queue or
channel, a `loop` around `accept()`/`recv()`/`next()` — when no limit is visible in the
loop: no `Semaphore` permit (`acquire`/`acquire_owned`, a `permit` moved into the task), no
`JoinSet`/`FuturesUnordered` drained as it fills (`join_next`, a `.len()` check), no
`buffer_unordered`/`for_each_concurrent`, no in-flight counter checked before spawning
(`if in_flight.load(..) >= max { sleep; continue }`, `while running >= limit { wait }`).

Not reported: a fixed number of workers (`for _ in 0..4`, `for i in 0..n_workers` — a range
is a worker count, not input), a literal list or a constant array (`for x in [a, b, c]`,
`for level in &LEVELS`, a local bound to one), a collection from the configuration (`for
addr in &args.addrs`, `for pool in config.pools.values()`: configuration-sized, names in
`rules/spawn.toml` `[configured]`), `spawn_blocking` (the blocking pool has its own limit),
`JoinSet::spawn` and scoped spawns, a `for` loop that stops at the first spawn (`break`,
`return`), test code.

## Why is this bad?
The number of tasks grows with the input and nothing pushes back: a burst of connections or
a long list spawns them all at once — memory grows per task, every task contends for the
same database pool or upstream service, and overload turns into timeouts instead of a
queue. With threads it is worse: each OS thread reserves a stack (2–8 MB) and the scheduler
thrashes; a few thousand items can exhaust the process.

## Example
```rust
for url in urls {
    tokio::spawn(async move { fetch(url).await });
}
```

## Use instead
Bound the concurrency — a `Semaphore` permit moved into each task:
```rust
let limit = Arc::new(tokio::sync::Semaphore::new(16));
let mut set = tokio::task::JoinSet::new();
for url in urls {
    let permit = limit.clone().acquire_owned().await?;
    set.spawn(async move { let _permit = permit; fetch(url).await });
}
while let Some(result) = set.join_next().await { result??; }
```
or a stream: `futures::stream::iter(urls).map(fetch).buffer_unordered(16)`. For threads, a
fixed pool (`rayon`, or `n` workers fed by a bounded channel) or async tasks.

## Model
`bounded-concurrency`: run many independent jobs concurrently, with a limit.
"#;

pub(crate) fn diagnostic(
    walker: &Walker,
    primary: Location,
    loop_keyword: Location,
    source: LoopSource,
    api: &SpawnApi,
) -> Diagnostic {
    let thread = api.kind == SpawnKind::Thread;
    let what = if thread { "a thread" } else { "a task" };
    let input = match source {
        LoopSource::WhileLet => "for every item received",
        LoopSource::Loop => "for every connection or message",
        _ => "for every item",
    };
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!("`{}` spawns {what} {input} with no limit", api.display),
    );
    diagnostic.primary_label = format!("one {} per item", if thread { "thread" } else { "task" });
    diagnostic.labels.push(Label {
        location: loop_keyword,
        message: "this loop runs once per input item".into(),
    });
    diagnostic.help = Some(if thread {
        "use a fixed pool instead of a thread per item: `rayon` (`items.into_par_iter().for_each(..)`), \
         a few workers fed by a bounded `std::sync::mpsc::sync_channel(n)`, or async tasks bounded by a `Semaphore`"
            .into()
    } else {
        "bound it: take a permit before spawning (`let permit = semaphore.clone().acquire_owned().await?;` \
         moved into the task), or spawn into a `tokio::task::JoinSet` and `join_next().await` once \
         `set.len()` reaches the limit, or use `futures::stream::iter(items).for_each_concurrent(n, ..)`"
            .into()
    });
    diagnostic.model = Some(Model::BoundedConcurrency);
    diagnostic.notes.push(Note {
        message: if thread {
            "each OS thread reserves its own stack and competes for the CPU: the input decides how \
             many are created"
        } else {
            "nothing pushes back on the producer: a burst of input becomes a burst of tasks \
             contending for the same resources"
        }
        .into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    cx.text.contains("spawn").then(|| super::expr_rule(detect))
}

/// A spawn in a loop over input, with no limit on the loops directly around it.
fn detect(walker: &Walker, expr: &Expr) -> Option<Diagnostic> {
    let (api, primary) = spawn_at(walker, expr)?;
    let frames = walker.frames();
    if frames.in_test() || api.kind == SpawnKind::Blocking {
        return None;
    }
    let loops = frames.enclosing_loops();
    let limited = loops.last()?.spawn.is_some_and(|s| s.limited);
    let input_loop = loops
        .iter()
        .find(|l| l.spawn.is_some_and(|s| s.over_input))?;
    if limited {
        return None;
    }
    let keyword = Location::from_span(input_loop.keyword);
    Some(diagnostic(walker, primary, keyword, input_loop.source, api))
}
