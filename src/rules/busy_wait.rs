//! `busy_wait`: a loop that polls shared state and sleeps between polls.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::{expr_kind, Checker};
use crate::semantic::loops::loop_parts;
use crate::semantic::loops::{LoopParts, LoopSource};
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "busy_wait",
    group: Group::Structure,
    default_level: Level::Warn,
    summary: "a loop polling shared state with sleeps between polls",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# busy_wait

## What it does
Finds a `while`/`loop` whose only job is to wait for shared state to change: its condition
(or an `if` that leaves the loop) polls something — an atomic `load`, a `lock()`,
`try_lock`, `try_recv`, `is_empty`, `is_finished`, `try_wait` — and the body sleeps between
polls (`std::thread::sleep`, `tokio::time::sleep(..).await`, `async_std::task::sleep`,
`smol::Timer::after`). Loops that do other work between sleeps (periodic workers, retries
with backoff, loops that handle what they receive) are not reported; nor is test code.

## Why is this bad?
Polling trades latency for CPU: a short sleep burns cycles and wakes the thread (or task)
for nothing, a long one reacts late. The state change already happens somewhere in the
program — that code can signal the waiter directly, which then wakes exactly once, at
once.

## Example
```rust
while !ready.load(Ordering::Acquire) {
    tokio::time::sleep(Duration::from_millis(10)).await;
}
```

## Use instead
Wait for a notification:
```rust
let notify = Arc::new(tokio::sync::Notify::new());
// waiter
notify.notified().await;
// the code that sets the state
notify.notify_one();
```
or a `tokio::sync::watch` channel (`rx.changed().await` / `rx.wait_for(|v| *v).await`), a
oneshot, or a `JoinHandle` to await; in threads, a `std::sync::Condvar`
(`cvar.wait_while(guard, |ready| !*ready)`), a channel `recv()`, or `JoinHandle::join()`.

## Model
`sync-primitive`: wake the waiter with `Notify`, `watch`, `Condvar` or a channel instead of
polling.
"#;

/// Calls (last path segment, resolved path prefix) that sleep.
const SLEEP_FUNCTIONS: &[&str] = &[
    "std::thread::sleep",
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "async_std::task::sleep",
    "smol::Timer::after",
    "async_io::Timer::after",
    "futures_timer::Delay::new",
    "actix_rt::time::sleep",
];

/// Method calls that read shared state without waiting for it to change.
const POLL_METHODS: &[&str] = &[
    "load",
    "try_recv",
    "try_lock",
    "lock",
    "try_read",
    "try_write",
    "is_empty",
    "is_finished",
    "try_wait",
    "is_closed",
];

/// Calls that cost nothing worth a loop of their own (time arithmetic, unwrapping, flags).
const TRIVIAL_CALLS: &[&str] = &[
    "now",
    "elapsed",
    "duration_since",
    "from_millis",
    "from_secs",
    "from_micros",
    "from_nanos",
    "from_secs_f64",
    "from_secs_f32",
    "min",
    "max",
    "saturating_add",
    "saturating_sub",
    "saturating_mul",
    "checked_add",
    "checked_sub",
    "checked_mul",
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "into",
    "clone",
    "as_millis",
    "as_secs",
    "Some",
    "Ok",
    "Err",
    "get",
    "not",
    "deref",
];

struct PollScan<'w, 'a> {
    walker: &'w Walker<'a>,
    sleep: Option<proc_macro2::Span>,
    poll: Option<String>,
    other_work: bool,
}

fn polls(expr: &Expr) -> Option<String> {
    struct Finder(Option<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            let name = call.method.to_string();
            if self.0.is_none() && POLL_METHODS.contains(&name.as_str()) {
                self.0 = Some(name);
            }
            visit::visit_expr_method_call(self, call);
        }
    }
    let mut finder = Finder(None);
    finder.visit_expr(expr);
    finder.0
}

fn exits(block: &syn::Block) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    }
    let mut finder = Finder(false);
    finder.visit_block(block);
    finder.0
}

impl<'ast> Visit<'ast> for PollScan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {
        self.other_work = true;
    }

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {
        self.other_work = true;
    }

    fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {
        self.other_work = true;
    }

    fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {
        self.other_work = true;
    }

    fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {
        self.other_work = true;
    }

    fn visit_expr_if(&mut self, expr: &'ast syn::ExprIf) {
        if self.poll.is_none() && exits(&expr.then_branch) {
            self.poll = polls(&expr.cond);
        }
        visit::visit_expr_if(self, expr);
    }

    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        let sleeps = match &*expr.base {
            Expr::Call(call) => self.is_sleep(call),
            _ => false,
        };
        if !sleeps {
            self.other_work = true;
        }
        visit::visit_expr_await(self, expr);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if self.is_sleep(call) {
            if self.sleep.is_none() {
                self.sleep = Some(call.func.span());
            }
        } else {
            let trivial = match &*call.func {
                Expr::Path(p) => p
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| TRIVIAL_CALLS.contains(&s.ident.to_string().as_str())),
                _ => false,
            };
            if !trivial {
                self.other_work = true;
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let name = call.method.to_string();
        if !TRIVIAL_CALLS.contains(&name.as_str()) && !POLL_METHODS.contains(&name.as_str()) {
            self.other_work = true;
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_macro(&mut self, _: &'ast syn::Macro) {
        // A log line or a print is what such a loop is for (a progress or stats
        // reporter), not a wait for a condition.
        self.other_work = true;
    }
}

impl PollScan<'_, '_> {
    fn is_sleep(&self, call: &syn::ExprCall) -> bool {
        let Expr::Path(path) = &*call.func else {
            return false;
        };
        let Some(last) = path.path.segments.last() else {
            return false;
        };
        let name = last.ident.to_string();
        if !matches!(name.as_str(), "sleep" | "sleep_until" | "after" | "new") {
            return false;
        }
        self.walker
            .resolve_callee(path)
            .is_some_and(|callee| SLEEP_FUNCTIONS.contains(&callee.as_str()))
    }
}

pub(crate) fn check(walker: &Walker, expr: &Expr, parts: &LoopParts) -> Option<Diagnostic> {
    let condition = match (expr, parts.source) {
        (Expr::While(w), LoopSource::While | LoopSource::WhileLet) => Some(&*w.cond),
        (Expr::Loop(_), LoopSource::Loop) => None,
        _ => return None,
    };
    let mut scan = PollScan {
        walker,
        sleep: None,
        poll: None,
        other_work: false,
    };
    scan.visit_block(parts.body);
    if let Some(condition) = condition {
        scan.poll = polls(condition).or(scan.poll);
    }
    let sleep = scan.sleep?;
    let poll = scan.poll?;
    if scan.other_work {
        return None;
    }
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        Location::from_span(parts.keyword),
        format!("busy-wait: this loop polls `{poll}` and sleeps between polls"),
    );
    diagnostic.primary_label = "polls until the state changes".into();
    diagnostic.labels.push(Label {
        location: Location::from_span(sleep),
        message: "sleeps between polls".into(),
    });
    diagnostic.help = Some(if walker.in_async() {
        "wait for a notification instead: a `tokio::sync::Notify` (`notify.notified().await`, \
         `notify_one()` where the state changes), a `tokio::sync::watch` channel \
         (`rx.wait_for(|v| *v).await`), a oneshot, or the task's `JoinHandle`"
            .to_string()
    } else {
        "block until signalled instead: a `std::sync::Condvar` (`cvar.wait_while(guard, |ready| !*ready)`, \
         `notify_one()` where the state changes), a channel `recv()`, or `JoinHandle::join()`"
            .to_string()
    });
    diagnostic.model = Some(Model::SyncPrimitive);
    diagnostic.notes.push(Note {
        message: "polling wakes up for nothing on every short sleep and reacts late on every long \
                  one; the code that changes the state can wake the waiter directly"
            .into(),
        file: None,
        location: None,
    });
    Some(diagnostic)
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    (crate::semantic::mentions::mentions(cx.text, "sleep")
        || crate::semantic::mentions::mentions(cx.text, "Timer"))
    .then(|| super::expr_rule(expr_kind::LOOPS, detect))
}

fn detect(walker: &Walker, expr: &Expr) -> Option<Diagnostic> {
    let frames = walker.frames();
    if frames.in_test() || frames.in_rayon() {
        return None;
    }
    check(walker, expr, &loop_parts(expr)?)
}
