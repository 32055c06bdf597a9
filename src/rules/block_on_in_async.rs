//! `block_on_in_async`: driving a future to completion synchronously inside async code.

use super::{Group, RuleInfo};
use crate::catalog::BlockingApi;
use crate::catalog::BlockingKind;
use crate::diagnostic::{Applicability, Diagnostic, Label, Level, Model, Note, Suggestion};
use crate::program::FileAnalysis;
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::walker::{CallSite, Exec, FileContext, Walker};

pub const INFO: RuleInfo = RuleInfo {
    name: "block_on_in_async",
    group: Group::Blocking,
    default_level: Level::Warn,
    summary: "block_on / blocking_recv / blocking_lock … inside async code (panics or deadlocks)",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: Some(|p| crate_findings(p.files, p.catalog)),
};

const DOC: &str = r#"# block_on_in_async

## What it does
Finds synchronous waits on futures inside async code: `futures::executor::block_on`,
`futures_lite::future::block_on`, `async_std::task::block_on`, `smol::block_on`,
`pollster::block_on`, tokio's `Runtime::block_on` and `Handle::block_on`, and tokio's
`blocking_recv`, `blocking_send`, `blocking_lock`, `blocking_read`, `blocking_write`.

## Why is this bad?
The executor thread stops to wait for a future that may need that very thread to make
progress: with a current-thread runtime it deadlocks; tokio's `block_on` and the
`blocking_*` methods detect it and panic ("Cannot start a runtime from within a
runtime", "Cannot block the current thread from within a runtime"); elsewhere it
starves every other task on the thread.

## Example
```rust
async fn get(store: &Store, key: &str) -> Option<String> {
    futures::executor::block_on(store.fetch(key))
}
```

## Use instead
```rust
async fn get(store: &Store, key: &str) -> Option<String> {
    store.fetch(key).await
}
```
`rx.blocking_recv()` becomes `rx.recv().await`, `m.blocking_lock()` becomes
`m.lock().await`.

## Model
The future is already async work: `.await` it (`async-io`). If the caller truly must be
synchronous, it belongs on the blocking pool, where `Handle::block_on` is allowed.
"#;

/// Detection: a call of a blocking-catalog API of this rule's kind on the executor.
#[derive(Default)]
struct BlockOnInAsync {
    found: Vec<Diagnostic>,
}

pub(crate) fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(Box::<BlockOnInAsync>::default())
}

impl Checker for BlockOnInAsync {
    fn interests(&self) -> u16 {
        interest::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        if let Some(call) = event.blocking_call(walker) {
            if call.api.kind == BlockingKind::BlocksOn {
                self.found.push(diagnostic(walker, &call.site, call.api));
            }
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

fn diagnostic(walker: &Walker, site: &CallSite, api: &BlockingApi) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        site.primary.clone(),
        format!("`{}` inside async code blocks the executor", api.display),
    );
    diagnostic.primary_label = "waits synchronously for a future".into();
    if let Exec::Async { header, what } = walker.exec() {
        diagnostic.labels.push(Label {
            location: header.clone(),
            message: format!("this {what} runs on the async executor"),
        });
    }
    let method = crate::path_text::last_segment(&api.display);
    let awaited_method = method.strip_prefix("blocking_");
    diagnostic.help = Some(match awaited_method {
        Some(name) => format!("use `.{name}(..).await` instead"),
        None => "`.await` the future instead".to_string(),
    });
    if walker.can_await_here() && !site.is_reference {
        let replacement = match (awaited_method, &site.receiver_text) {
            (Some(name), Some(receiver)) => {
                Some(format!("{receiver}.{name}({}).await", site.args_text))
            }
            (None, _) => site.single_arg_text.as_deref().map(|arg| {
                if site.arg_is_postfix_safe {
                    format!("{arg}.await")
                } else {
                    format!("({arg}).await")
                }
            }),
            _ => None,
        };
        diagnostic.suggestion = replacement.map(|replacement| Suggestion {
            location: site.whole.clone(),
            replacement,
            applicability: Applicability::MaybeIncorrect,
        });
    }
    diagnostic.model = Some(Model::AsyncIo);
    diagnostic.notes.push(Note {
        message: "blocking on a future from inside the executor panics (tokio) or deadlocks (a current-thread executor)".into(),
        file: None,
        location: None,
    });
    diagnostic
}

/// Async code calling crate functions that (transitively) block on a future: a helper
/// that calls `Handle::current().block_on(..)` or `futures::executor::block_on`, or a
/// function annotated `#[tokio::main]` (it builds a runtime and blocks on it).
fn crate_findings(
    files: &[super::CrateFile],
    catalog: &crate::catalog::Catalog,
) -> Vec<Diagnostic> {
    use crate::program::callgraph::{CallGraph, DirectCause};
    use crate::rules::through_calls::{async_calls_reaching, ChainReport};
    let summaries = files.iter().flat_map(|f| f.facts.functions.iter());
    let direct = |f: &crate::program::calls::FunctionSummary| {
        f.blocks_on.as_ref().map(|b| DirectCause {
            if_some: b.if_some,
            what: b.api.clone(),
            location: b.location.clone(),
        })
    };
    let graph = CallGraph::build(summaries, direct, &std::collections::HashSet::new());
    let report = ChainReport {
        rule: INFO.name,
        message: &|callee, what| {
            format!("call to {callee} blocks on a future inside async code: it reaches {what}")
        },
        verb: "blocks on",
        help: &|callee| {
            format!("make {callee} async and `.await` the future instead of blocking on it")
        },
        model: Model::AsyncIo,
    };
    let mut found = async_calls_reaching(files, &graph, &report);
    found.extend(inferred(files, catalog));
    found
}

/// `block_on` methods on receivers only the crate phase can type (a runtime behind
/// `static RT: Lazy<Runtime>`, a handle returned by a crate function), in async code.
fn inferred(files: &[super::CrateFile], catalog: &crate::catalog::Catalog) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for function in files.iter().flat_map(|f| f.facts.functions.iter()) {
        for call in &function.inferred_blocking {
            let api = catalog.blocking_method_of(&call.receiver, &call.method);
            let Some(api) = api.filter(|api| api.kind == BlockingKind::BlocksOn) else {
                continue;
            };
            let mut d = Diagnostic::new(
                INFO.name,
                &function.file,
                call.location.clone(),
                format!("`{}` inside async code blocks the executor", api.display),
            );
            d.primary_label = "waits synchronously for a future".into();
            if let Some((header, what)) = call.async_header.as_deref() {
                d.labels.push(Label {
                    location: header.clone(),
                    message: format!("this {what} runs on the async executor"),
                });
            }
            d.help = Some("`.await` the future instead".into());
            d.model = Some(Model::AsyncIo);
            found.push(d);
        }
    }
    found
}
