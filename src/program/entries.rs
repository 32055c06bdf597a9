//! Where a file's code can start running: entry points (the program's `main`, tests,
//! functions handed to a framework or callback as a value, attribute-registered handlers,
//! trait-impl methods a framework calls, spawned futures), the extent of every function
//! (to find a finding's enclosing item) and of every async block handed to a spawner (its
//! code runs in a task). Plain data for [`super::contexts`].

use super::FileAnalysis;
use crate::path_text::{first_segment, is_qualified, last_segment};
use crate::semantic::events::{interest, Checker, Event, FunctionInfo};
use crate::semantic::spawns::spawn_at;
use crate::semantic::walker::Walker;
use crate::source::Location;
use serde::{Deserialize, Serialize};
use syn::Expr;

/// How an entry point starts running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    /// The program's `main` (`#[tokio::main]`, or `fn main` driving a runtime).
    Main,
    Test,
    /// Called by a framework or a callback holder, once per event (a request handler).
    Handler,
    /// A spawned future.
    Task,
}

/// One entry point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The function's path (`crate::api::login`).
    pub function: String,
    pub kind: EntryKind,
    /// Where it is registered, spawned or declared.
    pub at: Location,
    /// `at` is the function's own declaration (an attribute-registered handler, a trait
    /// impl method a framework calls, `main`), not a call that registers or spawns it.
    pub declared: bool,
}

/// A function's body, by byte range.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionExtent {
    pub path: String,
    pub start: usize,
    pub end: usize,
    pub is_pub: bool,
    pub is_async: bool,
}

/// A file's entry points and extents.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct EntryFacts {
    pub entries: Vec<Entry>,
    pub functions: Vec<FunctionExtent>,
    /// Byte ranges of async blocks (and closures) handed to a spawner, with the spawn's
    /// location.
    pub tasks: Vec<(usize, usize, Location)>,
    /// Byte ranges of closures and async blocks handed to a call that keeps them to run
    /// later (a route's handler, a callback), with the call's location; not those run
    /// during the call (`map`, `for_each`, …) or insulated (`spawn_blocking`).
    pub callbacks: Vec<(usize, usize, Location)>,
    /// Calls into other crates of the run as written (`my_lib::daemon::run`), by caller:
    /// a binary's `main` reaching its library. Crate-local calls are in the summaries.
    pub external_calls: Vec<(String, String, Location)>,
    /// Byte ranges of loops that repeat until the program stops: a `loop` that nothing in
    /// its body leaves (`break`, `return`), a `while let` over an awaited stream or
    /// channel. Code in them does not run once (SPEC §2, `main`).
    pub repeating: Vec<(usize, usize)>,
    /// The ranges above, indexed for "which contains this offset" (built on the first
    /// question, once the facts are final): a file's findings are placed in time linear
    /// in their number, however many functions it has.
    #[serde(skip)]
    nesting: std::sync::OnceLock<[Nesting; 4]>,
}

impl EntryFacts {
    fn nesting(&self) -> &[Nesting; 4] {
        self.nesting.get_or_init(|| {
            [
                Nesting::of(self.functions.iter().map(|f| (f.start, f.end))),
                Nesting::of(self.tasks.iter().map(|&(s, e, _)| (s, e))),
                Nesting::of(self.callbacks.iter().map(|&(s, e, _)| (s, e))),
                Nesting::of(self.repeating.iter().copied()),
            ]
        })
    }

    /// The innermost function whose body contains `offset`.
    pub fn function_at(&self, offset: usize) -> Option<&FunctionExtent> {
        let index = self.nesting()[0].innermost(offset)?;
        self.functions.get(index)
    }

    /// Whether `offset` is inside a loop that repeats until the program stops.
    pub fn repeats_at(&self, offset: usize) -> bool {
        self.nesting()[3].innermost(offset).is_some()
    }

    /// The spawn whose future contains `offset`, if any.
    pub fn task_at(&self, offset: usize) -> Option<&Location> {
        let index = self.nesting()[1].innermost(offset)?;
        self.tasks.get(index).map(|(_, _, at)| at)
    }

    /// The call that registered the callback containing `offset`, if any.
    pub fn callback_at(&self, offset: usize) -> Option<&Location> {
        let index = self.nesting()[2].innermost(offset)?;
        self.callbacks.get(index).map(|(_, _, at)| at)
    }
}

/// Byte ranges that nest or are disjoint (functions, closures, loops), ordered by start
/// with each one's nearest enclosing range: the innermost range containing an offset is
/// found by a binary search and a walk out through the enclosing ones.
#[derive(Debug, Clone, Default)]
struct Nesting {
    /// (start, end, index in the facts' list), by start (the longer first on a tie).
    ranges: Vec<(usize, usize, usize)>,
    /// For each range of `ranges`, the position of its nearest enclosing range.
    parent: Vec<Option<usize>>,
}

impl Nesting {
    fn of(ranges: impl Iterator<Item = (usize, usize)>) -> Nesting {
        let mut ranges: Vec<(usize, usize, usize)> = ranges
            .enumerate()
            .map(|(index, (start, end))| (start, end, index))
            .collect();
        ranges.sort_by_key(|&(start, end, index)| (start, std::cmp::Reverse(end), index));
        let mut parent = Vec::with_capacity(ranges.len());
        let mut open: Vec<usize> = Vec::new();
        for &(start, _, _) in &ranges {
            while open.last().is_some_and(|&at| ranges[at].1 <= start) {
                open.pop();
            }
            parent.push(open.last().copied());
            open.push(parent.len() - 1);
        }
        Nesting { ranges, parent }
    }

    /// The index (in the facts' list) of the innermost range containing `offset`.
    fn innermost(&self, offset: usize) -> Option<usize> {
        let after = self
            .ranges
            .partition_point(|&(start, _, _)| start <= offset);
        let mut at = after.checked_sub(1);
        while let Some(position) = at {
            let (start, end, index) = self.ranges[position];
            if (start..end).contains(&offset) {
                return Some(index);
            }
            at = self.parent[position];
        }
        None
    }
}

/// The value a block argument evaluates to: `{ let a = a.clone(); async move { .. } }` hands
/// over its tail (the clones before it run in the caller).
pub(crate) fn block_tail(expr: &Expr) -> &Expr {
    let mut expr = expr;
    loop {
        match expr {
            Expr::Block(block) if block.label.is_none() => match block.block.stmts.last() {
                Some(syn::Stmt::Expr(tail, None)) => expr = tail,
                _ => return expr,
            },
            Expr::Paren(paren) => expr = &paren.expr,
            _ => return expr,
        }
    }
}

/// Route attributes of web frameworks (`#[get("/")]`, `#[actix_web::post(..)]`).
const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "route", "connect", "trace",
];

#[derive(Default)]
pub struct EntryRecorder {
    facts: EntryFacts,
    /// The functions being walked (innermost last).
    open: Vec<String>,
}

/// Paths that are never another crate of the run.
const FOREIGN_ROOTS: &[&str] = &["std", "core", "alloc", "self", "super", "crate", "Self"];

impl EntryRecorder {
    fn function(&mut self, walker: &Walker, info: &FunctionInfo) {
        let start = crate::source::byte_range(info.block.brace_token.span.open()).start;
        let end = crate::source::byte_range(info.block.brace_token.span.close()).end;
        self.facts.functions.push(FunctionExtent {
            path: info.path.clone(),
            start,
            end,
            is_pub: info.is_pub,
            is_async: info.sig.asyncness.is_some(),
        });
        let at = Location::from_span(info.sig.ident.span());
        if let Some(kind) = attribute_entry(info, walker) {
            self.facts.entries.push(Entry {
                function: info.path.clone(),
                kind,
                at,
                declared: true,
            });
        }
    }

    /// Functions passed as values: handlers (or tasks, when handed to a spawner); closures
    /// and async blocks kept by the callee to run later: callbacks.
    fn arguments<'e>(
        &mut self,
        walker: &Walker,
        args: impl Iterator<Item = &'e Expr>,
        spawned: bool,
        keeps_closures: impl Fn() -> bool,
        at: impl Fn() -> Location,
    ) {
        for arg in args {
            let arg = block_tail(arg);
            if matches!(arg, Expr::Closure(_) | Expr::Async(_)) && keeps_closures() {
                let range = crate::source::expr_byte_range(arg);
                self.facts.callbacks.push((range.start, range.end, at()));
            }
            if let Expr::Path(path) = arg {
                let function = walker
                    .resolve_callee(path)
                    .filter(|f| walker.cx.is_local_path(f));
                if let Some(function) = function {
                    self.facts.entries.push(Entry {
                        function,
                        kind: if spawned {
                            EntryKind::Task
                        } else {
                            EntryKind::Handler
                        },
                        at: Location::of_expr(arg),
                        declared: false,
                    });
                }
            }
        }
    }

    /// A spawn: a call in its argument starts a task; an async block's code is a task.
    fn spawn(&mut self, walker: &Walker, expr: &Expr, at: Location) {
        let args = match expr {
            Expr::Call(call) => &call.args,
            Expr::MethodCall(call) => &call.args,
            _ => return,
        };
        for arg in args {
            let mut future = block_tail(arg);
            while let Expr::MethodCall(m) = future {
                future = block_tail(&m.receiver); // `run(x).instrument(span)`, `.boxed()`
            }
            match future {
                Expr::Call(call) => {
                    if let Expr::Path(func) = &*call.func {
                        if let Some(function) = walker.resolve_callee(func) {
                            self.facts.entries.push(Entry {
                                function,
                                kind: EntryKind::Task,
                                at: at.clone(),
                                declared: false,
                            });
                        }
                    }
                }
                Expr::Async(_) | Expr::Closure(_) => {
                    let range = crate::source::expr_byte_range(future);
                    self.facts.tasks.push((range.start, range.end, at.clone()));
                }
                // `spawn(server.run())`: the method's code is the task (its call, inside
                // the range, starts it: `Contexts::compute`).
                _ if matches!(block_tail(arg), Expr::MethodCall(_)) => {
                    let range = crate::source::expr_byte_range(block_tail(arg));
                    self.facts.tasks.push((range.start, range.end, at.clone()));
                }
                _ => {}
            }
        }
    }
}

/// `handle.spawn_bg(fut)`, `executor.spawn(fut)` that the catalog does not list (a runtime
/// abstraction, a custom executor): for where the code runs, the future handed over is a
/// task, not code the caller runs. Not `spawn_blocking`-like names (a blocking pool), not a
/// closure (a thread, or a pool's job).
fn spawner_of_unknown_type(walker: &Walker, expr: &Expr) -> Option<Location> {
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    if call.args.len() != 1 || !walker.frames().spawn_file() {
        return None;
    }
    let name = walker.method_name(call);
    if !crate::semantic::spawns::may_spawn(&name) || name.contains("blocking") {
        return None;
    }
    let future = block_tail(&call.args[0]);
    matches!(future, Expr::Async(_) | Expr::Call(_) | Expr::MethodCall(_))
        .then(|| Location::from_span(call.method.span()))
}

impl EntryRecorder {
    /// A call into another crate of the run (a path dependency, or a binary's library).
    fn external_call(&mut self, walker: &Walker, callee: &str, location: impl Fn() -> Location) {
        if !is_qualified(callee) || !in_another_crate(walker, callee) {
            return;
        }
        if let Some(caller) = self.open.last() {
            self.facts
                .external_calls
                .push((caller.clone(), callee.to_string(), location()));
        }
    }
}

/// A loop that repeats until the program stops: `loop { .. }` with no `break` or `return`
/// that leaves it (a daemon's or server's loop; a retry loop leaves when it succeeds),
/// or `while let .. = x.recv().await` over the next message or connection (what the
/// awaited call waits on is `channel` or `network` in `rules/awaits.toml`; not a
/// directory listing or a finite stream at startup).
fn repeats_until_stopped(walker: &Walker, expr: &Expr) -> bool {
    match expr {
        // A loop that only sleeps keeps the program alive: it does no work.
        Expr::Loop(l) if only_sleeps(&l.body) => false,
        Expr::Loop(l) => {
            let mut exits = LoopExits {
                label: l.label.as_ref().map(|l| &l.name.ident),
                inner_loops: 0,
                closures: 0,
                leaves: false,
            };
            syn::visit::visit_block(&mut exits, &l.body);
            !exits.leaves
        }
        Expr::While(w) => matches!(&*w.cond, Expr::Let(l) if awaits_next_message(walker, &l.expr)),
        _ => false,
    }
}

/// `{ sleep(d); }`, `{ sleep(d).await }`: a body that does nothing but wait.
fn only_sleeps(body: &syn::Block) -> bool {
    let [syn::Stmt::Expr(expr, _)] = body.stmts.as_slice() else {
        return false;
    };
    let expr = match expr {
        Expr::Await(awaited) => &*awaited.base,
        other => other,
    };
    matches!(expr, Expr::Call(call) if matches!(&*call.func, Expr::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "sleep")))
}

/// `rx.recv().await`, `listener.accept().await`: waits for the next message or connection.
fn awaits_next_message(walker: &Walker, expr: &Expr) -> bool {
    let Expr::Await(awaited) = expr else {
        return false;
    };
    let Expr::MethodCall(call) = &*awaited.base else {
        return false;
    };
    let method = walker.method_name(call);
    matches!(
        walker.cx.catalog.awaits.kind(None, Some(&method)),
        Some("channel" | "network")
    )
}

/// Finds a `break` or `return` that leaves the loop whose body it visits.
struct LoopExits<'a> {
    label: Option<&'a proc_macro2::Ident>,
    inner_loops: usize,
    closures: usize,
    leaves: bool,
}

impl<'ast> syn::visit::Visit<'ast> for LoopExits<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        if self.leaves {
            return;
        }
        match expr {
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                self.inner_loops += 1;
                syn::visit::visit_expr(self, expr);
                self.inner_loops -= 1;
            }
            Expr::Closure(_) | Expr::Async(_) => {
                self.closures += 1;
                syn::visit::visit_expr(self, expr);
                self.closures -= 1;
            }
            Expr::Break(b) => {
                self.leaves |= match &b.label {
                    Some(label) => self.label == Some(&label.ident),
                    None => self.inner_loops == 0 && self.closures == 0,
                };
                syn::visit::visit_expr(self, expr);
            }
            Expr::Return(_) => {
                self.leaves |= self.closures == 0;
            }
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether `path` starts with another crate of the run (not `crate`, `std`, ...).
fn in_another_crate(walker: &Walker, path: &str) -> bool {
    let root = first_segment(path);
    !FOREIGN_ROOTS.contains(&root) && walker.cx.is_local_path(path)
}

/// An entry point declared by the function's attributes, name or impl.
fn attribute_entry(info: &FunctionInfo, walker: &Walker) -> Option<EntryKind> {
    if walker.frames().in_test() {
        return Some(EntryKind::Test);
    }
    for attr in info.attrs {
        let segments = &attr.path().segments;
        let Some(last) = segments.last().map(|s| &s.ident) else {
            continue;
        };
        if last == "doc" {
            continue; // every `///` line: the common case, and never an entry
        }
        if last == "main" && segments.len() > 1 {
            return Some(EntryKind::Main);
        }
        if last == "test" || last == "bench" {
            return Some(EntryKind::Test);
        }
        if ROUTE_ATTRIBUTES.iter().any(|route| last == route) {
            return Some(EntryKind::Handler);
        }
    }
    if info.path == "crate::main" {
        return Some(EntryKind::Main);
    }
    // A trait impl's async method (or `Service::call`) is called by whoever holds the
    // trait: a framework, per request. Not the methods of the workspace's own traits: its
    // own code calls them, through the trait (`dispatched` calls reach every
    // implementation).
    let trait_method = info.impl_trait.as_deref().is_some_and(|t| {
        let service_call = t == "Service" && info.sig.ident == "call";
        service_call || (info.sig.asyncness.is_some() && !info.impl_trait_is_local)
    });
    trait_method.then_some(EntryKind::Handler)
}

impl Checker for EntryRecorder {
    fn interests(&self) -> u16 {
        interest::FUNCTIONS | interest::EXPRESSIONS | interest::CALLS
    }

    fn expression_kinds(&self) -> u32 {
        use crate::semantic::events::expr_kind;
        expr_kind::CALLS | expr_kind::LOOP | expr_kind::WHILE
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::FnEnter(info) => {
                self.open.push(info.path.clone());
                self.function(walker, info);
            }
            Event::FnExit(_) => {
                self.open.pop();
            }
            Event::Call {
                call,
                callee: Some(callee),
                ..
            } => self.external_call(walker, callee, || Location::of_expr(&call.func)),
            Event::MethodCall {
                call,
                receiver_type: Some(owner),
                ..
            } if in_another_crate(walker, owner) => {
                let callee = format!("{owner}::{}", call.method);
                self.external_call(walker, &callee, || Location::from_span(call.method.span()));
            }
            Event::ExprEnter(expr) => {
                let spawn = spawn_at(walker, expr)
                    .map(|(_, at)| at)
                    .or_else(|| spawner_of_unknown_type(walker, expr));
                let spawned = spawn.is_some();
                if let Some(at) = spawn {
                    self.spawn(walker, expr, at);
                }
                if repeats_until_stopped(walker, expr) {
                    let range = crate::source::expr_byte_range(expr);
                    self.facts.repeating.push((range.start, range.end));
                }
                let catalog = walker.cx.catalog;
                match expr {
                    Expr::Call(call) => {
                        // resolved only when a closure argument asks
                        let keeps = || {
                            let callee = match &*call.func {
                                Expr::Path(func) if !spawned => walker.resolve_callee(func),
                                _ => None,
                            };
                            callee.is_some_and(|c| {
                                !catalog.is_wrapper_function(&c)
                                    && !catalog.runs_inline(last_segment(&c))
                            })
                        };
                        let at = || Location::of_expr(&call.func);
                        self.arguments(walker, call.args.iter(), spawned, keeps, at);
                    }
                    Expr::MethodCall(call) => {
                        let keeps = || {
                            let name = walker.method_name(call);
                            !spawned
                                && !catalog.is_wrapper_method(&name)
                                && !catalog.runs_inline(&name)
                        };
                        let at = || Location::from_span(call.method.span());
                        self.arguments(walker, call.args.iter(), spawned, keeps, at);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.facts.entries = self.facts;
    }
}
