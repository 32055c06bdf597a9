//! `io_in_rayon`: blocking I/O inside a rayon parallel iterator or rayon task.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Level, Model, Note};
use crate::semantic::events::{expr_kind, Checker};
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "io_in_rayon",
    group: Group::Compute,
    default_level: Level::Warn,
    summary: "blocking I/O inside a rayon parallel iterator or rayon task",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# io_in_rayon

## What it does
Finds blocking I/O — file system calls, network connects and reads, DNS lookups, HTTP and
database clients, process waits, `thread::sleep` (the I/O entries of
`rules/blocking.toml`) — inside code that runs on the rayon pool: the closures of a
parallel-iterator chain (`paths.par_iter().map(|p| std::fs::read(p))`), and of
`rayon::spawn`, `join`, `scope` (including `s.spawn` inside it) and `ThreadPool::install`.
Method calls are matched by receiver type where syntax shows it. Test code is not looked at.

## Why is this bad?
Rayon's global pool has one thread per core and is built for computation: a job is
expected to keep its core busy. A job that waits on the network or a disk leaves its core
idle while still occupying a pool thread, so every other parallel computation in the
process (rayon is shared) slows down, and a few slow requests can stall the pool.

## Example
```rust
let bodies: Vec<String> = urls
    .par_iter()
    .map(|url| reqwest::blocking::get(url).unwrap().text().unwrap())
    .collect();
```

## Use instead
Waiting belongs on async tasks with bounded concurrency; keep rayon for the compute stage:
```rust
use futures::stream::{self, StreamExt};
let bodies: Vec<String> = stream::iter(urls)
    .map(|url| async move { reqwest::get(url).await?.text().await })
    .buffer_unordered(16)
    .try_collect()
    .await?;
let parsed: Vec<Doc> = bodies.par_iter().map(|b| parse(b)).collect();
```
Without async, use a dedicated pool sized for waiting (`rayon::ThreadPoolBuilder::new()
.num_threads(32).build()?` used only for the I/O, or `std::thread::scope` workers).

## Model
`bounded-concurrency`: many independent waits run concurrently, with a limit, off the
compute pool.
"#;

pub(crate) fn diagnostic(walker: &Walker, primary: Location, api: &str) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!("blocking I/O `{api}` on the rayon pool"),
    );
    diagnostic.primary_label = "waits while holding a rayon worker thread".into();
    diagnostic.help = Some(
        "do the I/O with async and bounded concurrency (`futures::stream::iter(items).map(|x| fetch(x)).buffer_unordered(16)`) \
         or on a dedicated thread pool sized for waiting, and keep rayon for the compute stage"
            .into(),
    );
    diagnostic.model = Some(Model::BoundedConcurrency);
    diagnostic.notes.push(Note {
        message: "rayon's pool has one thread per core for computation: a thread blocked on I/O \
                  idles its core and starves every other rayon job in the process"
            .into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    (crate::semantic::mentions::mentions(cx.text, "par_")
        || crate::semantic::mentions::mentions(cx.text, "rayon"))
    .then(|| super::expr_rule(expr_kind::CALLS, detect))
}

/// A blocking I/O call in a closure that runs on rayon's pool.
fn detect(walker: &Walker, expr: &Expr) -> Option<Diagnostic> {
    let frames = walker.frames();
    if !frames.in_rayon() || frames.in_test() {
        return None;
    }
    let catalog = walker.cx.catalog;
    let (api, primary) = match expr {
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return None;
            };
            let api = catalog.blocking_function(&walker.resolve_callee(func)?)?;
            (api, Location::of_expr(&call.func))
        }
        Expr::MethodCall(call) => {
            let env = walker.type_env();
            let receiver = env.type_of(&call.receiver);
            let resolver = env.resolver;
            let api =
                catalog.blocking_method(receiver.as_deref(), &call.method.to_string(), &|t| {
                    resolver.is_imported(t)
                })?;
            (api, Location::from_span(call.method.span()))
        }
        _ => return None,
    };
    api.category
        .is_io()
        .then(|| diagnostic(walker, primary, &api.display))
}
