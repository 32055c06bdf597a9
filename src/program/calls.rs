//! Per-function call summaries, recorded during the walk for the crate-level call graph:
//! which crate functions each function calls (resolved as far as syntax allows) and which
//! blocking APIs it calls directly. Plain data; the fixed point runs in `callgraph`.

use super::FileAnalysis;
use crate::semantic::events::{Checker, Event, FunctionInfo};
use crate::semantic::walker::{Exec, Walker};
use crate::source::Location;
use serde::{Deserialize, Serialize};

/// How a call site runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallContext {
    /// On the async executor (an async body, or a sync closure inside one).
    Async,
    /// Plain synchronous code: it blocks whoever calls the enclosing function.
    Sync,
    /// Inside a closure handed to an insulating wrapper: runs elsewhere.
    Insulated,
}

/// The enclosing async fn or block of a call in async context: its header and what it is
/// (`async fn`, `async block`, …). Boxed: most calls have none, and the crate phase holds
/// every call of the program.
pub type AsyncHeader = Option<Box<(Location, &'static str)>>;

/// A call from one function to a (possibly) crate-local function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallEdge {
    /// Fully qualified callee path (`crate::config::load`, `crate::db::Store::save`).
    pub callee: String,
    /// The callee path of a call, or the method name of a method call.
    pub location: Location,
    pub context: CallContext,
    /// The enclosing async fn/block header when `context` is `Async`.
    #[serde(with = "async_header")]
    pub async_header: AsyncHeader,
    /// The call's result is `.await`ed directly (a call into an async fn): it tells where
    /// code runs (contexts), not what blocks.
    pub awaited: bool,
    /// Added by the crate phase from a [`DeferredCall`] (replaced when it runs again).
    pub inferred: bool,
    /// What it passes for the callee's `Option` parameters, and whether it runs only when
    /// one of the caller's is `Some`.
    pub args: super::optional_args::ArgFacts,
}

/// A blocking API called directly, in synchronous code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DirectBlocking {
    pub api: String,
    pub location: Location,
    /// Found by the crate phase from a [`DeferredCall`].
    pub inferred: bool,
    /// It runs only when the function's parameter at this index is `Some`
    /// (`optional_args`); an unconditional blocking call found later replaces it.
    pub if_some: Option<u8>,
}

/// A method call whose receiver's type the file alone cannot tell (`user.check_password()`
/// after `let Some(user) = User::find(..).await`): the crate phase resolves the type
/// against the workspace's items and turns the call into a call edge (a workspace method)
/// or a blocking call (a catalog method).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeferredCall {
    pub receiver: crate::semantic::types::Ty,
    pub method: String,
    /// The method name.
    pub location: Location,
    pub context: CallContext,
    #[serde(with = "async_header")]
    pub async_header: AsyncHeader,
    /// `.await`ed directly: it can only become an edge (where code runs), never a
    /// blocking call.
    pub awaited: bool,
    /// As `CallEdge::args`.
    pub args: super::optional_args::ArgFacts,
}

/// A blocking catalog method found by the crate phase on the executor (async context).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InferredBlocking {
    /// The receiver's resolved type and the method, as the catalog knows them.
    pub receiver: String,
    pub method: String,
    pub location: Location,
    #[serde(with = "async_header")]
    pub async_header: AsyncHeader,
}

/// One function of the crate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionSummary {
    /// Fully qualified path, `Type::method` for methods of inherent and trait impls.
    pub path: String,
    /// The file (display path) and the function's name. Not packed: it is the file's own
    /// (`packed`).
    #[serde(skip)]
    pub file: std::sync::Arc<str>,
    pub name_location: Location,
    pub is_async: bool,
    /// A method of an impl for a type of another crate (`impl MyTrait for
    /// std::path::Path`): its path starts with that crate's name, which is no crate of the
    /// program (`items::ItemIndex`).
    pub foreign_impl: bool,
    /// Its declared return type (of an `async fn`: the future's output) is a `Result`.
    pub returns_result: bool,
    pub calls: Vec<CallEdge>,
    /// Calls of a method of a workspace trait with several implementations, one edge to
    /// each implementation's method (`program::items::dispatched_calls`). Which one runs
    /// is not known, so nothing blocks through them: they tell where code runs
    /// (`contexts`) only. Made by the crate phase.
    #[serde(skip)]
    pub dispatched: Vec<CallEdge>,
    /// The first blocking API called in its own synchronous code (not insulated). Boxed,
    /// like the other facts most functions lack, to keep the summary small: the crate
    /// phase holds one per function of the program.
    pub blocks: Option<Box<DirectBlocking>>,
    /// The first call that blocks on a future (`block_on`, `blocking_recv`, …) in its own
    /// synchronous code, or the runtime a `#[tokio::main]` function builds and blocks on.
    pub blocks_on: Option<Box<DirectBlocking>>,
    /// Method calls on receivers typed only symbolically (resolved in the crate phase).
    pub deferred: Vec<DeferredCall>,
    /// What the crate phase found blocking among `deferred` in async context.
    pub inferred_blocking: Vec<InferredBlocking>,
    /// The first call that is not cancellation safe (`rules/cancellation.toml`) awaited
    /// in its own async body: the method name and where.
    pub cancel_unsafe: Option<Box<(String, Location)>>,
    /// Awaited calls in its own body by what they wait on (`rules/awaits.toml`:
    /// network, file, timer, channel, lock, subprocess, database; `other`), for `report`.
    pub awaits: std::collections::BTreeMap<String, u32>,
}

/// What a call site contributes to its function's summary.
enum Recorded<'a> {
    Callee(String),
    Blocking(&'a str),
    Deferred(&'a crate::semantic::types::Ty, String),
}

/// Records `FunctionSummary`s for every function of a file.
#[derive(Default)]
pub struct CallRecorder {
    open: Vec<FunctionSummary>,
    done: Vec<FunctionSummary>,
    /// Closures handed to calls that run them on the spot (`map`, `for_each`, …), by
    /// address.
    inline_closures: Vec<usize>,
    /// Closures handed to a spawner (`thread::spawn(|| ..)`, `Builder::spawn`), by address.
    spawned_closures: Vec<usize>,
    /// Open closures: (function depth, when they run). Calls inside a closure that is
    /// returned, stored or handed to an unknown call (a panic hook, a callback) do not run
    /// when the function runs: they are not the function's calls.
    closures: Vec<(usize, ClosureRuns)>,
}

/// When a closure's code runs, for the calls in it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClosureRuns {
    /// During the call it is handed to (`map`, `for_each`): the function's own calls.
    Inline,
    /// Later or elsewhere, by whoever keeps it: not the function's calls.
    Later,
    /// On a thread or task it starts: kept, insulated, as calls that start a task where
    /// the code runs (`Contexts::compute`); they do not block the function.
    Spawned,
}

/// The name of a blocking API (`blocking_in_async`'s, not `block_on`'s) a call is.
/// The name of a `block_on`-kind API a call is.
fn block_on_name(api: Option<&crate::catalog::BlockingApi>) -> Option<&str> {
    api.filter(|api| api.kind == crate::catalog::BlockingKind::BlocksOn)
        .map(|api| api.display.as_str())
}

/// `#[tokio::main]`, `#[async_std::main]`, `#[actix_web::main]`, …: the function builds a
/// runtime and blocks on its body.
fn runtime_main_attribute(attrs: &[syn::Attribute]) -> Option<&syn::Attribute> {
    attrs.iter().find(|attr| {
        let segments = &attr.path().segments;
        segments.len() > 1 && segments.last().is_some_and(|s| s.ident == "main")
    })
}

fn blocking_name(api: Option<&crate::catalog::BlockingApi>) -> Option<&str> {
    api.filter(|api| api.kind == crate::catalog::BlockingKind::Blocks)
        .map(|api| api.display.as_str())
}

/// A closure that borrows what it captures (no `move`) and does not make a future, handed
/// to a call (`self.with_next(|item| build(item))`, `sandbox.run(|dir| ..)`): the callee
/// runs it before it returns, as a closure it keeps would have to own its captures. A
/// spawner's closure is `Spawned` first (`spawned_closures`).
fn borrowing_closure_address(expr: &syn::Expr) -> Option<usize> {
    match expr {
        syn::Expr::Closure(c) if c.capture.is_none() && !makes_future(&c.body) => {
            closure_address(expr)
        }
        _ => None,
    }
}

/// `|| async { .. }`: a closure that makes a future for whoever keeps it (a handler).
fn makes_future(body: &syn::Expr) -> bool {
    match body {
        syn::Expr::Async(_) => true,
        syn::Expr::Block(block) => matches!(
            block.block.stmts.last(),
            Some(syn::Stmt::Expr(syn::Expr::Async(_), None))
        ),
        _ => false,
    }
}

/// The closure a spawner's argument evaluates to, also as the tail of a block that clones
/// what it moves (`{ let ctx = ctx.clone(); move || run(&ctx) }`).
fn spawned_closure_address(expr: &syn::Expr) -> Option<usize> {
    closure_address(super::entries::block_tail(expr))
}

/// The closure an argument evaluates to (`|x| …`, `move || …`, `Box::new(|| …)`).
fn closure_address(expr: &syn::Expr) -> Option<usize> {
    match expr {
        syn::Expr::Closure(c) if c.asyncness.is_none() => Some(c as *const _ as usize),
        syn::Expr::Paren(p) => closure_address(&p.expr),
        syn::Expr::Reference(r) => closure_address(&r.expr),
        // `catch_unwind(AssertUnwindSafe(|| ..))`
        syn::Expr::Call(call)
            if call.args.len() == 1
                && matches!(&*call.func, syn::Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == "AssertUnwindSafe")) =>
        {
            closure_address(&call.args[0])
        }
        _ => None,
    }
}

impl CallRecorder {
    fn context(walker: &Walker) -> (CallContext, AsyncHeader) {
        match walker.exec() {
            Exec::Async { header, what } => {
                (CallContext::Async, Some(Box::new((header.clone(), *what))))
            }
            Exec::Insulated => (CallContext::Insulated, None),
            Exec::Sync => (CallContext::Sync, None),
        }
    }

    /// What a call at `offset` passes for `Option` parameters (`Frames` keeps the open
    /// function's parameters and its `Some`-only branches).
    fn arg_facts<'e>(
        walker: &Walker,
        offset: usize,
        args: impl Iterator<Item = &'e syn::Expr>,
    ) -> super::optional_args::ArgFacts {
        walker
            .frames()
            .function()
            .map(|f| f.optional_params.call(offset, args))
            .unwrap_or_default()
    }

    /// Record a call: a blocking API (the first one, in synchronous code) or a
    /// crate-local callee. `location` is computed only when something is recorded.
    fn record<'e>(
        &mut self,
        walker: &Walker,
        what: Recorded,
        location: impl Fn() -> Location,
        awaited: bool,
        args: impl Iterator<Item = &'e syn::Expr>,
    ) {
        if self.in_deferred_closure() {
            return;
        }
        let spawned = self.in_spawned_closure();
        let Some(current) = self.open.last_mut() else {
            return;
        };
        let (context, async_header) = if spawned {
            (CallContext::Insulated, None)
        } else {
            Self::context(walker)
        };
        match what {
            Recorded::Blocking(api) => {
                let conditional = current.blocks.as_ref().map(|b| b.if_some.is_some());
                if context == CallContext::Sync && conditional != Some(false) {
                    let location = location();
                    let if_some = Self::arg_facts(walker, location.byte_start, [].iter()).if_some;
                    let current = self.open.last_mut().expect("an open function");
                    if conditional.is_none() || if_some.is_none() {
                        current.blocks = Some(Box::new(DirectBlocking {
                            api: api.to_string(),
                            location,
                            inferred: false,
                            if_some,
                        }));
                    }
                }
            }
            Recorded::Callee(callee) => {
                let location = location();
                let args = Self::arg_facts(walker, location.byte_start, args);
                let current = self.open.last_mut().expect("an open function");
                current.calls.push(CallEdge {
                    callee,
                    location,
                    context,
                    async_header,
                    awaited,
                    inferred: false,
                    args,
                })
            }
            Recorded::Deferred(receiver, method) if context != CallContext::Insulated => {
                let location = location();
                let args = Self::arg_facts(walker, location.byte_start, args);
                let current = self.open.last_mut().expect("an open function");
                current.deferred.push(DeferredCall {
                    receiver: receiver.clone(),
                    method,
                    location,
                    context,
                    async_header,
                    awaited,
                    args,
                })
            }
            Recorded::Deferred(..) => {}
        }
    }

    /// Inside a closure of the current function that runs later or elsewhere (returned,
    /// stored, handed to an unknown call): its calls are not the function's.
    fn in_deferred_closure(&self) -> bool {
        let depth = self.open.len();
        self.closures
            .iter()
            .any(|&(at, runs)| at == depth && runs == ClosureRuns::Later)
    }

    /// Inside a closure of the current function that a spawner runs on its own thread.
    fn in_spawned_closure(&self) -> bool {
        let depth = self.open.len();
        self.closures
            .iter()
            .any(|&(at, runs)| at == depth && runs == ClosureRuns::Spawned)
    }

    /// A `block_on`-kind call in the function's own synchronous code (the first one).
    fn record_block_on(&mut self, walker: &Walker, api: &str, location: impl Fn() -> Location) {
        if self.in_deferred_closure() {
            return;
        }
        let Some(current) = self.open.last_mut() else {
            return;
        };
        if Self::context(walker).0 == CallContext::Sync && current.blocks_on.is_none() {
            current.blocks_on = Some(Box::new(DirectBlocking {
                if_some: None,
                api: format!("`{api}`"),
                location: location(),
                inferred: false,
            }));
        }
    }

    /// Count an awaited call by what it waits on (not in closures that run later).
    fn note_await(&mut self, walker: &Walker, path: Option<&str>, method: Option<&str>) {
        if self.in_deferred_closure() {
            return;
        }
        let kind = walker
            .cx
            .catalog
            .awaits
            .kind(path, method)
            .unwrap_or("other");
        if let Some(current) = self.open.last_mut() {
            *current.awaits.entry(kind.to_string()).or_default() += 1;
        }
    }

    /// An awaited call that is not cancellation safe, in the function's own async body.
    fn note_cancel_unsafe(&mut self, walker: &Walker, method: &str, call: &syn::ExprMethodCall) {
        if walker.cx.catalog.cancellation.method(method).is_none() || !self.closures.is_empty() {
            return;
        }
        if let Some(current) = self.open.last_mut() {
            if current.is_async && current.cancel_unsafe.is_none() {
                let at = Location::from_span(call.method.span());
                current.cancel_unsafe = Some(Box::new((method.to_string(), at)));
            }
        }
    }

    fn enter(&mut self, walker: &Walker, info: &FunctionInfo) {
        // After expansion a `#[tokio::main] async fn` is a sync fn that blocks on a runtime.
        let runtime_main = runtime_main_attribute(info.attrs);
        self.open.push(FunctionSummary {
            path: info.path.clone(),
            file: walker.cx.file.into(),
            name_location: Location::from_span(info.sig.ident.span()),
            is_async: info.sig.asyncness.is_some() && runtime_main.is_none(),
            foreign_impl: info
                .self_type
                .as_deref()
                .is_some_and(|ty| !walker.cx.is_local_path(ty)),
            blocks_on: runtime_main.map(|attr| {
                Box::new(DirectBlocking {
                    if_some: None,
                    api: format!(
                        "the runtime of `#[{}]`",
                        quote::ToTokens::to_token_stream(attr.path())
                            .to_string()
                            .replace(' ', "")
                    ),
                    location: Location::from_span(syn::spanned::Spanned::span(attr)),
                    inferred: false,
                })
            }),
            returns_result: crate::semantic::signatures::declares_result(info.sig),
            calls: Vec::new(),
            dispatched: Vec::new(),
            blocks: None,
            deferred: Vec::new(),
            inferred_blocking: Vec::new(),
            cancel_unsafe: None,
            awaits: Default::default(),
        });
    }
}

impl Checker for CallRecorder {
    fn interests(&self) -> u16 {
        use crate::semantic::events::interest;
        interest::FUNCTIONS | interest::CALLS | interest::EXPRESSIONS | interest::EXPRESSION_EXITS
    }

    fn expression_kinds(&self) -> u32 {
        use crate::semantic::events::expr_kind;
        expr_kind::CLOSURE | expr_kind::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::ExprEnter(syn::Expr::Closure(closure)) => {
                let at = closure as *const syn::ExprClosure as usize;
                let runs = if self.spawned_closures.contains(&at) {
                    ClosureRuns::Spawned
                } else if self.inline_closures.contains(&at) {
                    ClosureRuns::Inline
                } else {
                    ClosureRuns::Later
                };
                self.closures.push((self.open.len(), runs));
            }
            Event::ExprEnter(expr @ (syn::Expr::Call(_) | syn::Expr::MethodCall(_)))
                if crate::semantic::spawns::spawn_at(walker, expr).is_some() =>
            {
                let args = match expr {
                    syn::Expr::Call(call) => &call.args,
                    syn::Expr::MethodCall(call) => &call.args,
                    _ => return,
                };
                self.spawned_closures
                    .extend(args.iter().filter_map(spawned_closure_address));
            }
            Event::ExprExit(syn::Expr::Closure(_)) => {
                self.closures.pop();
            }
            Event::ExprEnter(_) | Event::ExprExit(_) => {}
            Event::FnEnter(info) => self.enter(walker, info),
            Event::FnExit(_) => {
                if let Some(done) = self.open.pop() {
                    self.done.push(done);
                }
                if self.open.is_empty() {
                    self.inline_closures.clear();
                    self.spawned_closures.clear();
                }
            }
            Event::Call {
                call,
                callee,
                awaited,
                blocking,
            } => {
                let name = callee.map(crate::path_text::last_segment);
                if name.is_some_and(|n| walker.cx.catalog.runs_inline(n)) {
                    self.inline_closures
                        .extend(call.args.iter().filter_map(closure_address));
                } else {
                    self.inline_closures
                        .extend(call.args.iter().filter_map(borrowing_closure_address));
                }
                // `(|| -> Result<_> { .. })()`: called on the spot
                self.inline_closures.extend(closure_address(&call.func));
                if *awaited {
                    let name = callee.map(crate::path_text::last_segment);
                    self.note_await(walker, *callee, name);
                }
                let blocks_on = block_on_name(*blocking).filter(|_| !awaited);
                let blocking = blocking_name(*blocking).filter(|_| !awaited);
                let what = match (blocking, callee) {
                    (Some(api), _) => Recorded::Blocking(api),
                    (None, _) if blocks_on.is_some() => {
                        let api = blocks_on.unwrap_or_default();
                        self.record_block_on(walker, api, || Location::of_expr(&call.func));
                        return;
                    }
                    (None, Some(c)) if walker.cx.is_local_path(c) => {
                        Recorded::Callee(c.to_string())
                    }
                    _ => return,
                };
                self.record(
                    walker,
                    what,
                    || Location::of_expr(&call.func),
                    *awaited,
                    call.args.iter(),
                );
            }
            Event::MethodCall {
                call,
                receiver_ty,
                receiver_type,
                awaited,
                blocking,
            } => {
                let method = walker.method_name(call);
                if walker.cx.catalog.runs_inline(&method) {
                    self.inline_closures
                        .extend(call.args.iter().filter_map(closure_address));
                } else {
                    self.inline_closures
                        .extend(call.args.iter().filter_map(borrowing_closure_address));
                }
                // `self.helper()` → `SelfType::helper`; `store.save()` with `store: Store`,
                // or `user.check()` with `user` from `User::find(..)`: resolved in the crate
                // phase (re-exports, aliases, other files' signatures).
                if *awaited {
                    self.note_cancel_unsafe(walker, &method, call);
                    let receiver = receiver_ty
                        .and_then(|t| t.concrete_path())
                        .or(*receiver_type);
                    self.note_await(walker, receiver, Some(&method));
                }
                let what = match (blocking_name(*blocking), &*call.receiver) {
                    (Some(api), _) => Recorded::Blocking(api),
                    (None, _) if block_on_name(*blocking).is_some() && !awaited => {
                        let api = block_on_name(*blocking).unwrap_or_default();
                        let location = || Location::from_span(call.method.span());
                        self.record_block_on(walker, api, location);
                        return;
                    }
                    (None, syn::Expr::Path(p)) if p.path.is_ident("self") => {
                        match walker.self_type().filter(|o| walker.cx.is_local_path(o)) {
                            Some(owner) => Recorded::Callee(format!("{owner}::{method}")),
                            None => return,
                        }
                    }
                    (None, _) => match receiver_ty {
                        Some(ty) if ty.is_symbolic() => Recorded::Deferred(ty, method.to_string()),
                        Some(ty)
                            if ty
                                .concrete_path()
                                .is_some_and(|p| walker.cx.is_local_path(p)) =>
                        {
                            Recorded::Deferred(ty, method.to_string())
                        }
                        _ => return,
                    },
                };
                // An awaited call into an async fn tells where code runs, not what blocks.
                if *awaited && matches!(what, Recorded::Blocking(_)) {
                    return;
                }
                self.record(
                    walker,
                    what,
                    || Location::from_span(call.method.span()),
                    *awaited,
                    // the receiver is the callee's first input (`self`)
                    std::iter::once(&*call.receiver).chain(call.args.iter()),
                );
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.facts.functions = self.done;
    }
}

/// An async header's kind as text, read back as its `&'static str` (for facts packed
/// between the phases, `program::packed`).
mod async_header {
    use super::AsyncHeader;
    use crate::semantic::walker::ASYNC_HEADER_KINDS;
    use crate::source::Location;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        header: &AsyncHeader,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        header.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<AsyncHeader, D::Error> {
        let header = Option::<(Location, &str)>::deserialize(deserializer)?;
        header
            .map(
                |(at, kind)| match ASYNC_HEADER_KINDS.iter().find(|k| **k == kind) {
                    Some(kind) => Ok(Box::new((at, *kind))),
                    None => Err(serde::de::Error::custom(format!(
                        "unknown async header `{kind}`"
                    ))),
                },
            )
            .transpose()
    }
}
