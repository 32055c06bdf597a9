//! `blocking_in_async`: a call to a known blocking API on the async executor.

use super::RuleInfo;
use crate::catalog::{BlockingApi, Catalog, Runtime};
use crate::diagnostic::{Applicability, Diagnostic, Label, Level, Model, Note, Suggestion};
use crate::program::callgraph::{CallGraph, DirectCause};
use crate::program::calls::CallContext;
use crate::rules::CrateFile;
use crate::semantic::walker::{CallSite, Exec, Walker};

pub const INFO: RuleInfo = RuleInfo {
    name: "blocking_in_async",
    group: "blocking",
    default_level: Level::Warn,
    summary:
        "a blocking call (std::fs, std::net, thread::sleep, blocking clients, …) in async code",
    doc: DOC,
    implemented: true,
};

const DOC: &str = r#"# blocking_in_async

## What it does
Finds calls to APIs that block the calling thread — `std::fs::*` and `std::fs::File`
reads and writes, `std::net` connects, accepts and reads, DNS lookups through
`ToSocketAddrs`, `std::thread::sleep`, `std::io::stdin` reads, `std::process::Command`
`output`/`status` and `Child::wait`, `std::sync::mpsc` `recv`, `Condvar` and `Barrier`
waits, `JoinHandle::join`, and blocking HTTP and database clients (`reqwest::blocking`,
`ureq`, `postgres`, `rusqlite`, …) — inside an `async fn`, `async` block or `async`
closure. Names are resolved through `use` declarations (`use std::thread; thread::sleep`)
and method calls are matched by the receiver's type where syntax shows it
(`let f = File::open(p)?; f.read_to_string(&mut s)`).

Code inside a closure handed to an insulating wrapper (`tokio::task::spawn_blocking`,
`block_in_place`, `std::thread::spawn`, `smol::unblock`, … — `rules/wrappers.toml`, and
config `[blocking] wrappers`) and nested `fn` items are not async context.

## Why is this bad?
An async executor runs many tasks on a few threads. A call that blocks one of those
threads stalls every task scheduled on it — timers fire late, connections stop being
served, and with a current-thread runtime the whole program freezes until the call
returns. The work itself is fine; it is on the wrong model.

## Example
```rust
async fn handler(path: &str) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?; // blocks the executor thread
    Ok(text)
}
```

## Use instead
The runtime's async equivalent, awaited:
```rust
async fn handler(path: &str) -> std::io::Result<String> {
    let text = tokio::fs::read_to_string(path).await?;
    Ok(text)
}
```
or, when there is no async equivalent (a blocking client library), the blocking pool:
```rust
let rows = tokio::task::spawn_blocking(move || client.query("SELECT 1", &[])).await??;
```
The suggestion names the equivalent for the package's runtime (tokio, async-std or smol,
read from Cargo.toml; config `[blocking] runtime` overrides).

## Model
I/O waits belong on async tasks (`async-io`); blocking libraries belong on the blocking
pool or a thread (`blocking-pool`); channel and synchronization waits have async
counterparts (`message-passing`, `sync-primitive`).

## Through calls
A blocking call is rarely written inside the async fn itself: the handler calls
`load_config()`, which calls `read_settings()`, which calls `std::fs::read_to_string`.
Calls to the crate's own synchronous functions (free functions, `Self::f`, `self.f()`,
`Type::f`, `crate::`/`super::` paths across files) are followed; an async fn calling a
sync function that may block is reported at the call, with the chain down to the blocking
API in the notes. Calls made inside insulating wrappers do not count, on either end.

## Configuration
`[blocking] extra = [{ path = "mycrate::db::query_sync", replacement = "mycrate::db::query" }]`
adds blocking APIs (write the crate's own functions as `crate::db::query_sync`);
`wrappers = ["mycrate::offload"]` adds insulating wrappers; `not_blocking =
["crate::cache::warm"]` marks crate functions that must not be treated as blocking.
"#;

const WHY: &str =
    "a blocking call stalls every task scheduled on this executor thread until it returns";

pub fn check(walker: &Walker, site: &CallSite, api: &BlockingApi) -> Diagnostic {
    let runtime = walker.runtime();
    let replacement = api.replacement(runtime);
    let model = api.model.unwrap_or(if replacement.is_some() {
        Model::AsyncIo
    } else {
        Model::BlockingPool
    });
    let what = match api.category.as_str() {
        "sleep" => "blocking sleep",
        "executor" => "blocking wait",
        _ => "blocking call",
    };
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        site.primary.clone(),
        format!("{what} `{}` in async context", api.display),
    );
    diagnostic.primary_label = "blocks the executor thread".into();
    if let Exec::Async { header, what } = walker.exec() {
        diagnostic.labels.push(Label {
            location: header.clone(),
            message: format!("this {what} runs on the async executor"),
        });
    }
    let pool = runtime.blocking_pool();
    diagnostic.help = Some(match replacement {
        Some(r) if api.is_function => {
            format!("use `{r}(..).await` instead ({} runtime)", runtime.name())
        }
        Some(r) => format!(
            "use {r} instead ({} runtime), or move the work into `{pool}`",
            runtime.name()
        ),
        None => format!("move the blocking work off the executor: `{pool}(move || ..).await`"),
    });
    if api.is_function && !site.is_reference && walker.can_await_here() {
        if let Some(r) = replacement {
            diagnostic.suggestion = Some(Suggestion {
                location: site.whole.clone(),
                replacement: format!("{r}({}).await", site.args_text),
                applicability: Applicability::MaybeIncorrect,
            });
        }
    }
    diagnostic.model = Some(model);
    diagnostic.notes.push(Note {
        message: api.note.clone().unwrap_or_else(|| WHY.to_string()),
        file: None,
        location: None,
    });
    diagnostic
}

/// The last two segments of a path, for messages: `Store::save`, `config::load`.
pub fn short(path: &str) -> String {
    let mut parts: Vec<&str> = path.rsplit("::").take(2).collect();
    parts.reverse();
    parts.join("::")
}

/// Async code calling crate functions that may block (SPEC §2, "through calls").
pub fn through_calls(files: &[CrateFile], catalog: &Catalog, runtime: Runtime) -> Vec<Diagnostic> {
    let summaries = files.iter().flat_map(|f| f.facts.functions.iter());
    let direct = |f: &crate::program::calls::FunctionSummary| {
        f.blocks.as_ref().map(|b| DirectCause {
            what: format!("`{}`", b.api),
            location: b.location.clone(),
        })
    };
    let graph = CallGraph::build(summaries, direct, catalog.not_blocking());
    let mut found = Vec::new();
    for file in files {
        for caller in &file.facts.functions {
            for edge in &caller.calls {
                if edge.context != CallContext::Async || !graph.may_block(&edge.callee) {
                    continue;
                }
                found.push(chain_finding(
                    &graph,
                    caller,
                    edge,
                    ChainRule::Blocking(runtime),
                ));
            }
        }
    }
    found
}

/// Which rule a chain finding is for.
pub enum ChainRule {
    Blocking(Runtime),
    CpuHeavy,
}

/// A finding at an async call of a crate function whose chain ends in a blocking API or a
/// CPU-heavy place; the notes walk the chain.
pub fn chain_finding(
    graph: &CallGraph,
    caller: &crate::program::calls::FunctionSummary,
    edge: &crate::program::calls::CallEdge,
    rule: ChainRule,
) -> Diagnostic {
    let chain = graph.chain(&edge.callee);
    let cause = graph.cause(&edge.callee);
    let what = cause.map(|c| c.what.clone()).unwrap_or_default();
    let names: Vec<String> = chain
        .iter()
        .map(|f| format!("`{}`", short(&f.path)))
        .collect();
    let callee = names.first().cloned().unwrap_or_default();
    let verb = match rule {
        ChainRule::Blocking(_) => "calls",
        ChainRule::CpuHeavy => "runs",
    };
    let (rule_name, message) = match rule {
        ChainRule::Blocking(_) => (
            INFO.name,
            format!("call to {callee} blocks the async executor: it reaches {what}"),
        ),
        ChainRule::CpuHeavy => (
            "cpu_heavy_in_async",
            format!("call to {callee} runs CPU-bound work on the async executor: {what}"),
        ),
    };
    let mut diagnostic = Diagnostic::new(rule_name, &caller.file, edge.location.clone(), message);
    diagnostic.primary_label = format!("{} → {what}", names.join(" → "));
    if let Some((header, what)) = &edge.async_header {
        diagnostic.labels.push(Label {
            location: header.clone(),
            message: format!("this {what} runs on the async executor"),
        });
    }
    for (index, function) in chain.iter().enumerate() {
        let (message, location) = match graph.step_call(&function.path) {
            Some(step) => (
                format!(
                    "`{}` calls {}",
                    short(&function.path),
                    names.get(index + 1).cloned().unwrap_or_default()
                ),
                step.location.clone(),
            ),
            None => match cause {
                Some(cause) => (
                    format!("`{}` {verb} {}", short(&function.path), cause.what),
                    cause.location.clone(),
                ),
                None => continue,
            },
        };
        diagnostic.notes.push(Note {
            message,
            file: Some(function.file.clone()),
            location: Some(location),
        });
    }
    match rule {
        ChainRule::Blocking(runtime) => {
            diagnostic.help = Some(format!(
                "run it on the blocking pool: `{}(move || ..).await`, or make {callee} async",
                runtime.blocking_pool()
            ));
            diagnostic.model = Some(Model::BlockingPool);
        }
        ChainRule::CpuHeavy => {
            diagnostic.help = Some(format!(
                "move the computation off the executor: `tokio::task::spawn_blocking(move || ..).await`, or rayon with a oneshot channel for the result (call {callee} there)"
            ));
            diagnostic.model = Some(Model::DataParallel);
        }
    }
    diagnostic
}
