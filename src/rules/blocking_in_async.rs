//! `blocking_in_async`: a call to a known blocking API on the async executor.

use super::{Group, RuleInfo};
use crate::catalog::{BlockingApi, Catalog, Runtime};
use crate::catalog::{BlockingCategory, BlockingKind};
use crate::diagnostic::{Applicability, Diagnostic, Label, Level, Model, Note, Suggestion};
use crate::program::callgraph::{CallGraph, DirectCause};
use crate::program::FileAnalysis;
use crate::rules::through_calls::{async_calls_reaching, ChainReport};
use crate::rules::CrateFile;
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::walker::FileContext;
use crate::semantic::walker::{CallSite, Exec, Walker};

pub const INFO: RuleInfo = RuleInfo {
    name: "blocking_in_async",
    group: Group::Blocking,
    default_level: Level::Warn,
    summary:
        "a blocking call (std::fs, std::net, thread::sleep, blocking clients, …) in async code",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: Some(|p| crate_findings(p.files, p.catalog, p.runtime)),
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
config `[blocking] wrappers`) and nested `fn` items are not async context; nor is a local
closure handed to one by name (`let job = || ..; spawn_blocking(job)`) or called inside the
closure it is handed (`thread::spawn(move || tx.send(job()))`).

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

/// Detection: a call of a blocking-catalog API of this rule's kind on the executor.
#[derive(Default)]
struct BlockingInAsync {
    found: Vec<Diagnostic>,
}

pub(crate) fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(Box::<BlockingInAsync>::default())
}

impl Checker for BlockingInAsync {
    fn interests(&self) -> u16 {
        interest::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        if let Some(call) = event.blocking_call(walker) {
            if call.api.kind == BlockingKind::Blocks {
                self.found.push(diagnostic(walker, &call.site, call.api));
            }
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

fn diagnostic(walker: &Walker, site: &CallSite, api: &BlockingApi) -> Diagnostic {
    let header = match walker.exec() {
        Exec::Async { header, what } => Some((header.clone(), *what)),
        _ => None,
    };
    let mut diagnostic = diagnostic_at(
        walker.cx.file,
        site.primary.clone(),
        api,
        walker.runtime(),
        header.as_ref(),
    );
    if api.is_function && !site.is_reference && walker.can_await_here() {
        // A constructor (`File::open`) returns a handle whose later uses (`Read` methods,
        // `BufReader::new(f)`) would need rewriting too: no fix, the help says what to do.
        let replacement = api.replacement(walker.runtime());
        if let Some(r) = replacement.filter(|r| !constructs_a_handle(r)) {
            diagnostic.suggestion = Some(Suggestion {
                location: site.whole.clone(),
                replacement: format!("{r}({}).await", site.args_text),
                applicability: Applicability::MaybeIncorrect,
            });
        }
    }
    diagnostic
}

/// The finding for a blocking API called at `primary` in the async body at `header`.
fn diagnostic_at(
    file: &str,
    primary: crate::source::Location,
    api: &BlockingApi,
    runtime: Runtime,
    header: Option<&(crate::source::Location, &'static str)>,
) -> Diagnostic {
    let replacement = api.replacement(runtime);
    let model = api.model.unwrap_or(if replacement.is_some() {
        Model::AsyncIo
    } else {
        Model::BlockingPool
    });
    let what = match api.category {
        BlockingCategory::Sleep => "blocking sleep",
        BlockingCategory::Executor => "blocking wait",
        _ => "blocking call",
    };
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        primary,
        format!("{what} `{}` in async context", api.display),
    );
    diagnostic.primary_label = "blocks the executor thread".into();
    if let Some((header, what)) = header {
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
    diagnostic.model = Some(model);
    diagnostic.notes.push(Note {
        message: api.note.clone().unwrap_or_else(|| WHY.to_string()),
        file: None,
        location: None,
    });
    diagnostic
}

/// Whether a replacement is an associated function of a type (`tokio::fs::File::open`),
/// not a free function returning plain data (`tokio::fs::read_to_string`).
fn constructs_a_handle(replacement: &str) -> bool {
    let mut segments = replacement.rsplit("::");
    segments.next();
    segments
        .next()
        .is_some_and(|owner| owner.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// Async code calling crate functions that may block (SPEC §2, "through calls").
pub(crate) fn crate_findings(
    files: &[CrateFile],
    catalog: &Catalog,
    runtime: Runtime,
) -> Vec<Diagnostic> {
    let summaries = files.iter().flat_map(|f| f.facts.functions.iter());
    let direct = |f: &crate::program::calls::FunctionSummary| {
        f.blocks.as_ref().map(|b| DirectCause {
            if_some: b.if_some,
            what: format!("`{}`", b.api),
            location: b.location.clone(),
        })
    };
    let graph = CallGraph::build(summaries, direct, catalog.not_blocking());
    let report = ChainReport {
        rule: INFO.name,
        message: &|callee, what| {
            format!("call to {callee} blocks the async executor: it reaches {what}")
        },
        verb: "calls",
        help: &|callee| {
            format!(
                "run it on the blocking pool: `{}(move || ..).await`, or make {callee} async",
                runtime.blocking_pool()
            )
        },
        model: Model::BlockingPool,
    };
    let mut found = async_calls_reaching(files, &graph, &report);
    found.extend(inferred_findings(files, catalog, runtime));
    found
}

/// Blocking catalog methods on receivers whose type only the workspace's signatures tell
/// (`let conn = self.pool.get()?; conn.execute(..)` with the pool's type in another file).
fn inferred_findings(files: &[CrateFile], catalog: &Catalog, runtime: Runtime) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for file in files {
        for function in &file.facts.functions {
            for call in &function.inferred_blocking {
                let api = catalog.blocking_method_of(&call.receiver, &call.method);
                if let Some(api) = api.filter(|api| api.kind == BlockingKind::Blocks) {
                    found.push(diagnostic_at(
                        &function.file,
                        call.location.clone(),
                        api,
                        runtime,
                        call.async_header.as_deref(),
                    ));
                }
            }
        }
    }
    found
}
