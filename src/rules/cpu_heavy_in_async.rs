//! `cpu_heavy_in_async`: CPU-bound work (a CPU-heavy API, a rayon parallel iterator driven
//! to completion, a loop whose work grows with the input) on the async executor.

use super::{Group, RuleInfo};
use crate::catalog::structure::ComputeApi;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::FileAnalysis;
use crate::semantic::compute::{cpu_loop, cpu_work, CpuWork};
use crate::semantic::events::{expr_kind, interest, Checker, Event};
use crate::semantic::frames::addr;
use crate::semantic::walker::FileContext;
use crate::semantic::walker::{Exec, Walker};
use crate::source::Location;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "cpu_heavy_in_async",
    group: Group::Compute,
    default_level: Level::Warn,
    summary: "CPU-bound work (hashing, compression, growing loops) on the async executor",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: Some(|p| crate_findings(p.files)),
};

const DOC: &str = r#"# cpu_heavy_in_async

## What it does
Finds CPU-bound work in async context (an `async fn`, `async` block or `async` closure,
and non-async closures that run inline there, such as `.map(|x| …)`):
- calls to CPU-heavy APIs from `rules/compute.toml`: password hashing (`bcrypt`, `argon2`,
  `scrypt`, `pbkdf2`, the `PasswordHasher`/`PasswordVerifier` traits), compression of whole
  buffers (`zstd`, `lz4`, `brotli`, `miniz_oxide`, `flate2` encoders), image decoding and
  resampling (`image`), RSA key generation, `rayon::join`/`rayon::scope`;
- a rayon parallel iterator driven to completion (`v.par_iter().map(f).collect()`,
  `par_sort`): the calling thread waits until the pool is done;
- a CPU loop: a loop with no `.await` and no `yield` whose work grows with its input —
  nested loops over the input doing arithmetic, a range with a run-time bound whose body
  computes (several arithmetic operations or indexings), or a constant range of at least
  10 000 iterations. A loop over a small constant array or range is not, and neither is a
  loop that only moves data (pushes, clones, formatting), nor a nest that stops at the
  first match. Inner loops over a part of the current item (`for row in grid { for x in
  row {..} }`) traverse the input once rather than multiply it, so that nest needs a
  computing body (three or more operations); an index by a literal (`row[0]`,
  `json["name"]`) is field access, not arithmetic.

Closures handed to `spawn_blocking`, `thread::spawn` or rayon, and test code, are not
looked at.

## Why is this bad?
An async executor multiplexes many tasks on a few threads, switching only at `.await`.
Code that computes for milliseconds without awaiting holds its thread for all that time:
every other task on the thread waits — latency spikes for unrelated requests, timers fire
late, and on a current-thread runtime everything stops. A bcrypt hash at cost 12 takes
~250 ms; resizing an image or compressing a megabyte takes tens of milliseconds.

## Example
```rust
async fn register(form: Form) -> Result<User> {
    let hash = bcrypt::hash(&form.password, 12)?; // ~250 ms on the executor thread
    db.insert(&form.name, &hash).await
}
```

## Use instead
Run the computation on the blocking pool and await its result:
```rust
async fn register(form: Form) -> Result<User> {
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || bcrypt::hash(password, 12)).await??;
    db.insert(&form.name, &hash).await
}
```
or on rayon, with a oneshot channel to get the result back without blocking:
```rust
let (tx, rx) = tokio::sync::oneshot::channel();
rayon::spawn(move || { let _ = tx.send(checksum(&data)); });
let sum = rx.await?;
```
For a function that both awaits I/O and computes, split the compute stage into a sync fn
and call that through `spawn_blocking`.

## Model
Computation belongs on a pool: `blocking-pool` (`spawn_blocking`) for a single call,
`data-parallel` (rayon, reached through a oneshot channel) for loops over data.
"#;

fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(Box::<CpuHeavyInAsync>::default())
}

/// Detection: CPU-heavy work on the executor (not on rayon, not in tests). Loops and rayon
/// drives inside a loop already reported are not reported again.
#[derive(Default)]
struct CpuHeavyInAsync {
    reported_loops: Vec<usize>,
    found: Vec<Diagnostic>,
}

impl Checker for CpuHeavyInAsync {
    fn interests(&self) -> u16 {
        interest::EXPRESSIONS | interest::EXPRESSION_EXITS
    }

    fn expression_kinds(&self) -> u32 {
        expr_kind::LOOPS | expr_kind::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::ExprEnter(expr) => {
                let frames = walker.frames();
                if !walker.in_async() || frames.in_rayon() || frames.in_test() {
                    return;
                }
                let in_reported_loop = !self.reported_loops.is_empty();
                if let Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) = expr {
                    if let Some(site) = cpu_loop(expr).filter(|_| !in_reported_loop) {
                        let reason = site.what();
                        self.found
                            .push(loop_diagnostic(walker, site.location, &reason));
                        self.reported_loops.push(addr(*expr));
                    }
                    return;
                }
                for site in cpu_work(walker, expr) {
                    match &site.work {
                        CpuWork::Api(api) => {
                            self.found.push(api_diagnostic(walker, site.location, api))
                        }
                        CpuWork::RayonDrive(method) if !in_reported_loop => self
                            .found
                            .push(rayon_diagnostic(walker, site.location.clone(), method)),
                        _ => {}
                    }
                }
            }
            Event::ExprExit(expr) if self.reported_loops.last() == Some(&addr(*expr)) => {
                self.reported_loops.pop();
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

fn header_label(walker: &Walker, diagnostic: &mut Diagnostic) {
    if let Exec::Async { header, what } = walker.exec() {
        diagnostic.labels.push(Label {
            location: header.clone(),
            message: format!("this {what} runs on the async executor"),
        });
    }
}

fn note(message: &str) -> Note {
    Note {
        message: message.to_string(),
        file: None,
        location: None,
    }
}

/// A call to a CPU-heavy API of `rules/compute.toml`.
fn api_diagnostic(walker: &Walker, primary: Location, api: &ComputeApi) -> Diagnostic {
    let pool = walker.runtime().blocking_pool();
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!("CPU-heavy {} in async context", api.what),
    );
    diagnostic.primary_label = "computes on the executor thread".into();
    header_label(walker, &mut diagnostic);
    diagnostic.help = Some(format!(
        "run it on the blocking pool and await the result: `{pool}(move || {}(..)).await`",
        api.display
    ));
    diagnostic.model = Some(Model::BlockingPool);
    diagnostic.notes.push(note(
        "the executor switches tasks only at `.await`: while this computes, every other task on \
         the thread waits",
    ));
    diagnostic
}

/// A rayon parallel iterator driven to completion (or `par_sort`) in async context.
fn rayon_diagnostic(walker: &Walker, primary: Location, method: &str) -> Diagnostic {
    let pool = walker.runtime().blocking_pool();
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!("rayon parallel work driven to completion by `{method}` in async context"),
    );
    diagnostic.primary_label = "blocks the executor thread until the rayon pool is done".into();
    header_label(walker, &mut diagnostic);
    diagnostic.help = Some(format!(
        "run the parallel stage off the executor: `{pool}(move || items.par_iter()..).await`, \
         or `rayon::spawn` it and send the result back through a `tokio::sync::oneshot` channel"
    ));
    diagnostic.model = Some(Model::DataParallel);
    diagnostic.notes.push(note(
        "the calling thread waits (and helps) until every rayon job has finished: the executor \
         thread is blocked for the whole parallel computation",
    ));
    diagnostic
}

/// A CPU loop (no `.await`, work growing with the input) in async context.
fn loop_diagnostic(walker: &Walker, primary: Location, reason: &str) -> Diagnostic {
    let pool = walker.runtime().blocking_pool();
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!("CPU-bound loop in async context: {reason}, with no `.await`"),
    );
    diagnostic.primary_label = "computes on the executor thread without yielding".into();
    header_label(walker, &mut diagnostic);
    diagnostic.help = Some(format!(
        "move the loop into a sync fn and run it off the executor: `{pool}(move || compute(data)).await` \
         (or `rayon` with a `tokio::sync::oneshot` channel for the result; a `par_iter` inside \
         it for large inputs); if this function also awaits I/O, split the compute stage out"
    ));
    diagnostic.model = Some(Model::DataParallel);
    diagnostic.notes.push(note(
        "the loop never reaches an `.await`, so the executor cannot run other tasks on this \
         thread until it ends; its run time grows with the input",
    ));
    diagnostic
}

/// Async code calling a crate function that is CPU-heavy, directly or through other crate
/// functions (the call graph of `blocking_in_async`, with CPU-heavy API calls as sources).
/// Loops in sync helpers are not propagated: on real code (sqlx's 20-byte `xor_eq`, redis'
/// slot-table parse) they are almost always over small data, and precision comes first.
pub(crate) fn crate_findings(files: &[super::CrateFile]) -> Vec<Diagnostic> {
    use crate::program::callgraph::{CallGraph, DirectCause};
    use crate::program::calls::FunctionSummary;
    use crate::rules::through_calls::{async_calls_reaching, ChainReport};
    use rustc_hash::FxHashMap as HashMap;
    use std::collections::HashSet;
    let heavy: HashMap<&str, &crate::program::CpuHeavyFn> = files
        .iter()
        .flat_map(|f| f.facts.cpu_heavy.iter())
        .filter(|c| !c.is_async && !c.from_loop)
        .map(|c| (c.function.as_str(), c))
        .collect();
    if heavy.is_empty() {
        return Vec::new();
    }
    let direct = |f: &FunctionSummary| {
        heavy.get(f.path.as_str()).map(|c| DirectCause {
            if_some: c.if_some,
            what: c.what.clone(),
            location: c.location.clone(),
        })
    };
    let summaries = files.iter().flat_map(|f| f.facts.functions.iter());
    let graph = CallGraph::build(summaries, direct, &HashSet::new());
    let report = ChainReport {
        rule: INFO.name,
        message: &|callee, what| {
            format!("call to {callee} runs CPU-bound work on the async executor: {what}")
        },
        verb: "runs",
        help: &|callee| {
            format!(
                "move the computation off the executor: `tokio::task::spawn_blocking(move || ..).await`, or rayon with a oneshot channel for the result (call {callee} there)"
            )
        },
        model: Model::DataParallel,
    };
    async_calls_reaching(files, &graph, &report)
}
