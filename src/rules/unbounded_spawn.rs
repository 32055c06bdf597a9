//! `unbounded_spawn`: a task or thread spawned per item of input with no visible limit.

use super::{Group, RuleInfo};
use crate::catalog::structure::{SpawnApi, SpawnKind};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::{expr_kind, interest, Checker, Event};
use crate::semantic::frames::addr;
use crate::semantic::loops::LoopSource;
use crate::semantic::spawns::spawn_at;
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::visit::{self, Visit};
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
(`if in_flight.load(..) >= max { sleep; continue }`, `while running >= limit { wait }`), no
budget the loop counts down to its end (`budget -= 1; if budget == 0 { break }`).

Not reported: a fixed number of workers (`for _ in 0..4`, `for i in 0..n_workers` — a range
is a worker count, not input), a literal list or a constant array (`for x in [a, b, c]`,
`for level in &LEVELS`, a local bound to one), a collection from the configuration (`for
addr in &args.addrs`, `for pool in config.pools.values()`, or a collection named for
configured services, `for svr in self.socks_servers`: configuration-sized, names in
`rules/spawn.toml` `[configured]`), `spawn_blocking` (the blocking pool has its own limit),
`JoinSet::spawn` and scoped spawns, a `for` loop that stops at the first spawn (`break`,
`return`), a spawn the loop runs at most once (behind a latch: `if done { continue }
done = true;`, `if !started { started = true; spawn(..) }`, `if let Some(x) = slot.take()`;
in a block that ends in `return`, or in a `break` out of the only loop),
a spawn whose handle replaces the one task of a slot the loop reads (`if let Some(h) =
last { h.await }` … `last = Some(spawn(..))`: one live task at a time), test code.

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
    crate::semantic::mentions::mentions(cx.text, "spawn")
        .then(|| Box::new(SpawnLoops::default()) as Box<dyn Checker>)
}

/// Follows, besides the spawns themselves, the blocks of a loop that run at most once
/// (a latch) and the task slots a loop replaces, so that a spawn in them is not counted
/// once per item.
#[derive(Default)]
struct SpawnLoops {
    found: Vec<Diagnostic>,
    /// Blocks being walked that run at most once, with the innermost loop around them.
    once_blocks: Vec<(usize, Option<usize>)>,
    /// `then` blocks of `if !flag { flag = true; .. }` / `if let Some(x) = slot.take()`
    /// about to be entered.
    latched_then: Vec<usize>,
    /// Loops being walked, with the task slots their bodies read and assign.
    loop_slots: Vec<(usize, Slots)>,
    /// Spawns whose handle replaces the one in a slot the loop reads.
    replacing: Vec<usize>,
}

impl Checker for SpawnLoops {
    fn interests(&self) -> u16 {
        interest::EXPRESSIONS | interest::EXPRESSION_EXITS | interest::BLOCKS
    }

    /// Loops and their slots, latches (`if`), slots refilled (`=`), spawns.
    fn expression_kinds(&self) -> u32 {
        expr_kind::LOOPS | expr_kind::IF | expr_kind::ASSIGN | expr_kind::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::BlockEnter(block) => {
                let at = addr(*block);
                let latched = self.latched_then.last() == Some(&at);
                if latched {
                    self.latched_then.pop();
                }
                if latched || once_latch(block) || ends_the_loops(walker, block) {
                    let innermost = walker.frames().innermost_loop();
                    self.once_blocks.push((at, innermost));
                }
            }
            Event::BlockExit(block)
                if self.once_blocks.last().map(|b| b.0) == Some(addr(*block)) =>
            {
                self.once_blocks.pop();
            }
            Event::ExprEnter(expr) => self.enter(walker, expr),
            Event::ExprExit(expr) if self.loop_slots.last().map(|l| l.0) == Some(addr(*expr)) => {
                self.loop_slots.pop();
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut crate::program::FileAnalysis) {
        out.diagnostics.extend(self.found);
    }
}

impl SpawnLoops {
    fn enter(&mut self, walker: &Walker, expr: &Expr) {
        match expr {
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                self.loop_slots.push((addr(expr), slots_read(expr)));
            }
            Expr::If(branch) => {
                let refilled = |slot: &str| {
                    self.loop_slots
                        .last()
                        .is_some_and(|(_, slots)| slots.assigned.iter().any(|s| s == slot))
                };
                if latches(&branch.cond, &branch.then_branch, refilled) {
                    self.latched_then.push(addr(&branch.then_branch));
                }
            }
            Expr::Assign(assign) => {
                let innermost = walker.frames().innermost_loop();
                let slot = simple_name(&assign.left);
                let read = self
                    .loop_slots
                    .last()
                    .filter(|(at, _)| Some(*at) == innermost)
                    .zip(slot)
                    .is_some_and(|((_, slots), slot)| slots.read.contains(&slot));
                if read {
                    if let Some(spawn) = stored_call(&assign.right) {
                        self.replacing.push(addr(spawn));
                    }
                }
            }
            _ => {}
        }
        if self.replacing.contains(&addr(expr)) {
            return;
        }
        if !self.once_blocks.is_empty() {
            let innermost = walker.frames().innermost_loop();
            if innermost.is_some() && self.once_blocks.iter().any(|(_, l)| *l == innermost) {
                return;
            }
        }
        self.found.extend(detect(walker, expr));
    }
}

/// The name a simple place expression names (`slot`, `self.slot`).
fn simple_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(name) => Some(name.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        Expr::Paren(p) => simple_name(&p.expr),
        _ => None,
    }
}

/// The call whose value is stored: `spawn(..)`, `Some(spawn(..))`, `Some((spawn(..), tx))`.
fn stored_call(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) if p.path.is_ident("Some") || p.path.is_ident("Ok") => {
                call.args.first().and_then(stored_call)
            }
            _ => Some(expr),
        },
        Expr::MethodCall(_) => Some(expr),
        Expr::Tuple(t) => t.elems.first().and_then(stored_call),
        Expr::Paren(p) => stored_call(&p.expr),
        _ => None,
    }
}

/// The names a loop body reads as a task slot (`if let Some(h) = slot`, `match slot`,
/// `slot.take()`, `slot.abort()`, `slot.await`) and the names it assigns.
#[derive(Default)]
struct Slots {
    read: Vec<String>,
    assigned: Vec<String>,
}

impl<'ast> Visit<'ast> for Slots {
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr_let(&mut self, e: &'ast syn::ExprLet) {
        self.read.extend(simple_name(&e.expr));
        visit::visit_expr_let(self, e);
    }
    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        self.read.extend(simple_name(&e.expr));
        visit::visit_expr_match(self, e);
    }
    fn visit_expr_await(&mut self, e: &'ast syn::ExprAwait) {
        self.read.extend(simple_name(&e.base));
        visit::visit_expr_await(self, e);
    }
    fn visit_expr_method_call(&mut self, e: &'ast syn::ExprMethodCall) {
        if matches!(
            e.method.to_string().as_str(),
            "take" | "abort" | "is_finished" | "replace"
        ) {
            self.read.extend(simple_name(&e.receiver));
        }
        visit::visit_expr_method_call(self, e);
    }
    fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
        self.assigned.extend(simple_name(&e.left));
        visit::visit_expr_assign(self, e);
    }
}

fn slots_read(expr: &Expr) -> Slots {
    let mut slots = Slots::default();
    match expr {
        Expr::ForLoop(l) => slots.visit_block(&l.body),
        Expr::While(l) => slots.visit_block(&l.body),
        Expr::Loop(l) => slots.visit_block(&l.body),
        _ => {}
    }
    slots
}

/// `if !flag { flag = true; .. }` (the block sets the flag it tests) or
/// `if let Some(x) = slot.take() { .. }` (the slot is emptied, and the loop does not refill
/// it): the block runs once.
fn latches(cond: &Expr, then: &syn::Block, refilled: impl Fn(&str) -> bool) -> bool {
    match cond {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            simple_name(&u.expr).is_some_and(|flag| sets_flag(then, &flag))
        }
        Expr::Let(l) => match &*l.expr {
            Expr::MethodCall(m) if m.method == "take" && m.args.is_empty() => {
                simple_name(&m.receiver).is_some_and(|slot| !refilled(&slot))
            }
            _ => false,
        },
        _ => false,
    }
}

/// A block with `if flag { continue }` (or `break`, `return`, an exit) and `flag = true`
/// among its statements: what follows the check runs at most once.
fn once_latch(block: &syn::Block) -> bool {
    block.stmts.iter().any(|stmt| {
        let syn::Stmt::Expr(Expr::If(branch), _) = stmt else {
            return false;
        };
        branch.else_branch.is_none()
            && diverges(&branch.then_branch)
            && simple_name(&branch.cond).is_some_and(|flag| sets_flag(block, &flag))
    })
}

/// The block ends every loop around it: it ends in `return`, or in a `break` out of the
/// only loop. The loops run it at most once (`if quorum_reached {
/// spawn(finish_in_background); return Ok(..); }`). A `break` out of a retry loop nested in
/// a loop over input still spawns once per item.
fn ends_the_loops(walker: &Walker, block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(Expr::Return(_), _)) => true,
        Some(syn::Stmt::Expr(Expr::Break(_), _)) => walker.frames().enclosing_loops().len() == 1,
        _ => false,
    }
}

/// A statement `flag = true;` directly in the block.
fn sets_flag(block: &syn::Block, flag: &str) -> bool {
    block.stmts.iter().any(|stmt| match stmt {
        syn::Stmt::Expr(Expr::Assign(a), _) => {
            simple_name(&a.left).is_some_and(|n| n == flag)
                && matches!(&*a.right, Expr::Lit(l) if matches!(&l.lit, syn::Lit::Bool(b) if b.value))
        }
        _ => false,
    })
}

/// The block always leaves: it ends in `continue`, `break`, `return`, a process exit or a
/// panicking macro.
fn diverges(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(expr, _)) => match expr {
            Expr::Continue(_) | Expr::Break(_) | Expr::Return(_) => true,
            Expr::Call(call) => matches!(&*call.func, Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "exit" || s.ident == "abort")),
            Expr::Macro(m) => is_panic_macro(&m.mac),
            _ => false,
        },
        Some(syn::Stmt::Macro(m)) => is_panic_macro(&m.mac),
        _ => false,
    }
}

fn is_panic_macro(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "panic" | "unreachable" | "bail"
        )
    })
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
