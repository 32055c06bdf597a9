//! `block_on_in_async`: driving a future to completion synchronously inside async code.

use super::RuleInfo;
use crate::catalog::BlockingApi;
use crate::catalog::BlockingKind;
use crate::diagnostic::{Applicability, Diagnostic, Label, Level, Model, Note, Suggestion};
use crate::program::FileAnalysis;
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::walker::{CallSite, Exec, FileContext, Walker};

pub const INFO: RuleInfo = RuleInfo {
    name: "block_on_in_async",
    group: "blocking",
    default_level: Level::Warn,
    summary: "block_on / blocking_recv / blocking_lock … inside async code (panics or deadlocks)",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
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
    let method = api.display.rsplit("::").next().unwrap_or_default();
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
