//! Guard liveness over the walk: which lock guards are alive in each body (function,
//! closure, async block) at every point, with their lock keys, modes and the `.await`s
//! they cross; where values come from ([`super::reads`]); and the per-function lock facts
//! ([`FunctionLocks`]) of the program layer. Updated by the walker before each event
//! reaches the rules; the guards that died and the bodies that closed are handed to the
//! rules as events of their own.

mod acquisition;
mod branches;

use super::liveness::GuardSet;
use super::lock_expr::{self, addr, GuardSource};
use super::reads::{self, ValueReads};
use crate::catalog::guards::GuardCatalog;
use crate::program::locks::{FunctionLocks, HeldLock};
use crate::semantic::events::{interest, Event, FunctionInfo};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;

pub use crate::semantic::guards::liveness::{Guard, Lifetime};
use syn::spanned::Spanned;
use syn::{Expr, Stmt};

/// What in a file can matter, by a cheap look at its text.
#[derive(Debug, Clone, Copy, Default)]
struct Interests {
    guards: bool,
    atomics: bool,
    /// The file names an async lock crate: a bare `.lock()` on a value of unknown type may
    /// be its future (`let fut = fork.lock(); select! { .. }`).
    async_locks: bool,
}

impl Interests {
    fn of(text: &str, catalog: &GuardCatalog) -> Interests {
        let m = NEEDLES.scan(text);
        // Acquire methods added by config are not among the needles: look for them too.
        let guards = m.any_of(&[0, 1, 2, 3, 4, 5])
            || catalog
                .acquire_needles()
                .filter(|name| !NEEDLE_COVERED.iter().any(|n| name.contains(n)))
                .any(|name| crate::semantic::mentions::mentions(text, name));
        Interests {
            guards,
            atomics: m.has(6) && m.has(7),
            // Only worth knowing (and scanning for) when there are locks at all.
            async_locks: guards && ASYNC_LOCK_NEEDLES.scan(text).any_of(&[0, 1, 2, 3, 4, 5, 6]),
        }
    }

    fn any(self) -> bool {
        self.guards || self.atomics
    }
}

/// Acquire-method names the needles below find (`read` in `.read()`, `try_read`, …).
const NEEDLE_COVERED: &[&str] = &["lock", "read", "write", "borrow"];

/// What a file's text must mention for each interest (indices used by `Interests::of`).
static NEEDLES: crate::semantic::mentions::Needles = crate::semantic::mentions::Needles::new(&[
    ".lock()",
    ".read()",
    ".write()",
    ".borrow",
    "try_lock",
    "upgradable_read",
    ".load(",
    ".store(",
]);

/// Crates whose `.lock()` may be an async lock's future.
static ASYNC_LOCK_NEEDLES: crate::semantic::mentions::Needles =
    crate::semantic::mentions::Needles::new(&[
        "tokio::sync",
        "futures_intrusive",
        "async_lock",
        "futures::lock",
        "futures_util::lock",
        "async_std::sync",
        "smol::lock",
    ]);

impl<'a> GuardTracker<'a> {
    /// The events that keep the model current.
    pub const INTERESTS: u16 = interest::FUNCTIONS
        | interest::BLOCKS
        | interest::STATEMENTS
        | interest::LOCALS
        | interest::EXPRESSIONS
        | interest::EXPRESSION_EXITS
        | interest::CALLS;

    /// The tracker for this file, or None when its text mentions no lock and no atomic.
    pub fn for_file(cx: &FileContext<'a>) -> Option<GuardTracker<'a>> {
        let interests = Interests::of(cx.text, &cx.catalog.guards);
        if !interests.any() {
            return None;
        }
        Some(GuardTracker {
            file: cx.file.into(),
            edition_2024: cx.edition >= "2024",
            interests,
            catalog: &cx.catalog.guards,
            bodies: Vec::new(),
            open_functions: Vec::new(),
            open_params: Vec::new(),
            done_functions: Vec::new(),
            closed: Vec::new(),
            bodies_opened: 0,
            acquired: false,
            awaited: Vec::new(),
            unwrapped: 0,
            passed_as_argument: Vec::new(),
            spawned_calls: Vec::new(),
            inline_closures: Vec::new(),
            value_block: 0,
            scrutinee_names: None,
            dead: Vec::new(),
            cfg_gated: Vec::new(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Function,
    /// A closure or async block, by address: its code runs apart from the enclosing body.
    Nested(usize),
}

/// `self` as a receiver.
fn is_self(expr: &Expr) -> bool {
    matches!(expr, Expr::Path(p) if p.path.is_ident("self"))
}

/// The method call an `Option` scrutinee is (`map.get(k)`), by address.
fn option_scrutinee(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::MethodCall(m) => Some(addr(m)),
        Expr::Paren(p) => option_scrutinee(&p.expr),
        _ => None,
    }
}

/// A call's (or method call's) last name and its arguments.
fn called_name_and_args(
    expr: &Expr,
) -> Option<(
    Option<&syn::Ident>,
    &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
)> {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => Some((p.path.segments.last().map(|s| &s.ident), &call.args)),
            _ => None,
        },
        Expr::MethodCall(call) => Some((Some(&call.method), &call.args)),
        _ => None,
    }
}

fn is_none_pattern(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Ident(p) => p.ident == "None" && p.subpat.is_none(),
        syn::Pat::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "None"),
        _ => false,
    }
}

fn is_some_pattern(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::TupleStruct(t)
        if t.path.segments.last().is_some_and(|s| s.ident == "Some"))
}

/// One body being walked: a function, closure or async block.
pub struct Body {
    /// Unique within the file.
    pub id: usize,
    pub kind: BodyKind,
    pub guards: GuardSet,
    /// Expressions that open a temporary scope when entered.
    pending_scopes: Vec<usize>,
    /// `if let` (edition 2024): (the `if`, its `else` branch).
    if_let_else: Vec<(usize, usize)>,
    /// Branches where an `Option` scrutinee is `None` (a `None =>` arm, the `else` of
    /// `if let Some(..)`), with the acquisition it came from: its guard is not held there.
    none_branches: Vec<(usize, usize)>,
    /// Guards set aside while such a branch is walked, by branch.
    set_aside: Vec<(usize, Vec<Guard>)>,
    /// Guards across the branches of the open `if`/`match` expressions.
    branches: branches::Branches,
    /// Where the body's values come from.
    pub reads: ValueReads,
    /// A closure that runs during the call it is handed to (`get_or_insert_with(|| ..)`,
    /// `map(|x| ..)`: `runs_inline` in `rules/wrappers.toml`): the locks held around that
    /// call, held while it runs (lock order).
    pub inherited: Vec<HeldLock>,
}

impl Body {
    fn new(id: usize, kind: BodyKind, exclusive_self: bool) -> Body {
        Body {
            id,
            kind,
            guards: GuardSet::default(),
            pending_scopes: Vec::new(),
            if_let_else: Vec::new(),
            none_branches: Vec::new(),
            set_aside: Vec::new(),
            branches: branches::Branches::default(),
            reads: ValueReads::new(exclusive_self),
            inherited: Vec::new(),
        }
    }
}

pub struct GuardTracker<'a> {
    file: std::sync::Arc<str>,
    edition_2024: bool,
    interests: Interests,
    catalog: &'a GuardCatalog,
    bodies: Vec<Body>,
    open_functions: Vec<FunctionLocks>,
    /// The typed parameters' names of each open function (None: a pattern).
    open_params: Vec<Vec<Option<String>>>,
    done_functions: Vec<FunctionLocks>,
    /// The bodies that closed during the last event: (id, whether it used atomic RMW
    /// operations).
    closed: Vec<(usize, bool)>,
    bodies_opened: usize,
    /// The last event acquired a guard (the last of the current body's guards).
    acquired: bool,
    /// Bases of the `.await`s being walked.
    awaited: Vec<usize>,
    /// A lock call whose result is unwrapped (`.read().unwrap()`: std's `LockResult`).
    unwrapped: usize,
    /// Lock calls passed as arguments (`timeout(d, m.lock())`): futures, not guards.
    passed_as_argument: Vec<usize>,
    /// Calls whose future a spawn takes (`tokio::spawn(monitor(state.clone()))`): their
    /// bodies run in the new task, not under the caller's guards.
    spawned_calls: Vec<usize>,
    /// Closures handed to a call that runs them inline, while a guard is alive.
    inline_closures: Vec<usize>,
    /// A `{ .. }` block expression's block about to be entered.
    value_block: usize,
    /// Names the patterns of a `match`/`if let` bind from a lock-call scrutinee.
    scrutinee_names: Option<(usize, Vec<String>)>,
    dead: Vec<Guard>,
    /// Byte ranges of `#[cfg(..)]`-gated `let`s (`#[cfg(feature = "std")] let g = m.lock();`
    /// next to its `no_std` twin).
    cfg_gated: Vec<(usize, usize)>,
}

impl<'a> GuardTracker<'a> {
    fn body(&mut self) -> Option<&mut Body> {
        self.bodies.last_mut()
    }

    fn open_body(&mut self, kind: BodyKind, exclusive_self: bool) {
        self.bodies_opened += 1;
        self.bodies
            .push(Body::new(self.bodies_opened, kind, exclusive_self));
    }

    // ----- what rules ask -----

    /// The body being walked.
    pub fn current(&self) -> Option<&Body> {
        self.bodies.last()
    }

    /// A lock guard (not a `RefCell` borrow) is alive in this body or one around it
    /// (closures usually run inline: a lock held around one covers it).
    pub fn lock_held(&self) -> bool {
        self.bodies.iter().any(|b| {
            b.guards
                .guards
                .iter()
                .any(|g| !g.mode.is_refcell() && !g.is_tentative())
        })
    }

    /// The guard the last event acquired, if any.
    pub fn just_acquired(&self) -> Option<&Guard> {
        self.acquired
            .then(|| self.bodies.last()?.guards.guards.last())
            .flatten()
    }

    /// What the last event changed, for the rules: the guards that died, and for each body
    /// that closed whether it used atomic RMW operations.
    pub(crate) fn take_changes(&mut self) -> (Vec<Guard>, Vec<(usize, bool)>) {
        // A lock taken and released within one call holds nothing afterwards.
        if self.acquired {
            if let Some(body) = self.bodies.last_mut() {
                if body.guards.guards.last().is_some_and(|g| g.transient) {
                    body.guards.guards.pop();
                }
            }
        }
        self.acquired = false;
        (
            std::mem::take(&mut self.dead),
            std::mem::take(&mut self.closed),
        )
    }

    pub fn catalog(&self) -> &'a GuardCatalog {
        self.catalog
    }

    /// The file mentions atomics' `load` and `store`.
    pub fn atomics(&self) -> bool {
        self.interests.atomics
    }

    /// Close every open body (end of file); the lock facts of the file's functions.
    pub(crate) fn finish(&mut self) -> Vec<FunctionLocks> {
        while !self.bodies.is_empty() {
            self.exit_body();
        }
        std::mem::take(&mut self.done_functions)
    }

    fn enter_function(&mut self, info: &FunctionInfo) {
        let exclusive_self = info.sig.inputs.first().is_some_and(|input| match input {
            syn::FnArg::Receiver(r) => r.mutability.is_some() || r.reference.is_none(),
            _ => false,
        });
        self.open_body(BodyKind::Function, exclusive_self);
        self.open_functions.push(FunctionLocks {
            function: info.path.clone(),
            file: self.file.clone(),
            has_receiver: matches!(info.sig.inputs.first(), Some(syn::FnArg::Receiver(_))),
            ..FunctionLocks::default()
        });
        let params = info
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                syn::FnArg::Typed(typed) => Some(match &*typed.pat {
                    syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
                    _ => None,
                }),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        self.open_params.push(params);
    }

    fn exit_body(&mut self) {
        if let Some(mut body) = self.bodies.pop() {
            body.guards.kill_all(&mut self.dead);
            self.closed.push((body.id, body.reads.uses_rmw));
            if body.kind == BodyKind::Function {
                self.open_params.pop();
                if let Some(done) = self.open_functions.pop() {
                    if !done.acquisitions.is_empty()
                        || !done.calls_under_guard.is_empty()
                        || !done.param_acquisitions.is_empty()
                    {
                        self.done_functions.push(done);
                    }
                }
            }
        }
    }

    fn expr_enter(&mut self, expr: &Expr) {
        let edition_2024 = self.edition_2024;
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        let here = addr(expr);
        if let Some(at) = body.pending_scopes.iter().rposition(|p| *p == here) {
            body.pending_scopes.swap_remove(at);
            body.guards.enter_expression_scope(here);
        }
        body.branches.enter(&mut body.guards, expr, here);
        if let Some(at) = body.none_branches.iter().rposition(|(b, _)| *b == here) {
            let (_, call) = body.none_branches.swap_remove(at);
            let (aside, kept) = std::mem::take(&mut body.guards.guards)
                .into_iter()
                .partition(|g| g.optional && g.call == call);
            body.guards.guards = kept;
            body.set_aside.push((here, aside));
        }
        if body.if_let_else.last().is_some_and(|(_, e)| *e == here) {
            let (if_expr, _) = body.if_let_else.pop().unwrap_or_default();
            if body.guards.in_expression_scope(if_expr) {
                body.guards.clear_expression_scope(&mut self.dead);
            }
        }
        match expr {
            Expr::If(e) => {
                if let Expr::Let(l) = &*e.cond {
                    if let (Some(call), Some((_, else_branch))) =
                        (option_scrutinee(&l.expr), &e.else_branch)
                    {
                        if is_some_pattern(&l.pat) {
                            body.none_branches.push((addr(&**else_branch), call));
                        }
                    }
                    self.scrutinee(&e.cond);
                    let body = self.bodies.last_mut().expect("body");
                    if edition_2024 {
                        body.guards.enter_expression_scope(here);
                        if let Some((_, else_branch)) = &e.else_branch {
                            body.if_let_else.push((here, addr(&**else_branch)));
                        }
                    }
                } else {
                    body.pending_scopes.push(addr(&*e.cond));
                }
                if self.interests.atomics {
                    let body = self.bodies.last_mut().expect("body");
                    body.reads.enter_condition(here, &e.cond);
                }
            }
            Expr::While(e) => {
                if let Expr::Let(_) = &*e.cond {
                    self.scrutinee(&e.cond);
                    let body = self.bodies.last_mut().expect("body");
                    body.guards.enter_expression_scope(here);
                } else {
                    body.pending_scopes.push(addr(&*e.cond));
                }
            }
            Expr::Match(m) => {
                if let Some(call) = option_scrutinee(&m.expr) {
                    for arm in m.arms.iter().filter(|a| is_none_pattern(&a.pat)) {
                        body.none_branches.push((addr(&*arm.body), call));
                    }
                }
                for arm in &m.arms {
                    body.pending_scopes.push(addr(&*arm.body));
                    if let Some((_, guard)) = &arm.guard {
                        body.pending_scopes.push(addr(&**guard));
                    }
                }
                if self.interests.atomics {
                    body.reads.enter_condition(here, &m.expr);
                }
                let patterns: Vec<&syn::Pat> = m.arms.iter().map(|a| &a.pat).collect();
                self.scrutinee_of_match(&m.expr, &patterns);
            }
            Expr::Binary(b) => {
                if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
                    body.pending_scopes.push(addr(&*b.right));
                } else if is_assign_op(&b.op) {
                    self.assignment(&b.left, &b.right);
                }
            }
            Expr::Assign(a) => self.assignment(&a.left, &a.right),
            Expr::Await(a) => self.awaited.push(addr(&*a.base)),
            Expr::Block(b) => self.value_block = addr(&b.block),
            Expr::Unsafe(u) => self.value_block = addr(&u.block),
            Expr::Closure(c) => {
                if c.capture.is_some() {
                    // `move` closures take the guards they name.
                    let named: Vec<String> = body
                        .guards
                        .guards
                        .iter()
                        .flat_map(|g| g.names.iter().cloned())
                        .collect();
                    if lock_expr::mentions_any(&c.body, &named) {
                        body.guards.kill_where(
                            |g| {
                                g.names.iter().any(|n| {
                                    lock_expr::mentions_any(&c.body, std::slice::from_ref(n))
                                })
                            },
                            &mut self.dead,
                        );
                    }
                }
                let inherited = match self.inline_closures.iter().rposition(|c| *c == here) {
                    Some(at) => {
                        self.inline_closures.swap_remove(at);
                        let mut held = body.inherited.clone();
                        held.extend(Self::held_locks(body, &|_| true));
                        held
                    }
                    None => Vec::new(),
                };
                self.open_body(BodyKind::Nested(here), false);
                if let Some(body) = self.bodies.last_mut() {
                    body.inherited = inherited;
                }
            }
            Expr::Async(_) => self.open_body(BodyKind::Nested(here), false),
            _ => {}
        }
    }

    /// `if let` / `while let`: a lock call as the scrutinee hands its guard to the pattern.
    fn scrutinee(&mut self, cond: &Expr) {
        if let Expr::Let(l) = cond {
            self.scrutinee_of_match(&l.expr, &[&*l.pat]);
        }
    }

    fn scrutinee_of_match(&mut self, scrutinee: &Expr, patterns: &[&syn::Pat]) {
        if !self.interests.guards {
            return;
        }
        let catalog = self.catalog;
        let mut call = scrutinee;
        loop {
            match call {
                Expr::MethodCall(m) if catalog.is_passthrough(&m.method.to_string()) => {
                    call = &m.receiver
                }
                Expr::Try(t) => call = &t.expr,
                Expr::Paren(p) => call = &p.expr,
                _ => break,
            }
        }
        if let Expr::MethodCall(m) = call {
            if catalog.acquire_method(&m.method.to_string()).is_some() {
                let mut names = Vec::new();
                for pattern in patterns {
                    lock_expr::pattern_names(pattern, &mut names);
                }
                if !names.is_empty() {
                    self.scrutinee_names = Some((addr(m), names));
                }
            }
        }
    }

    /// `g = other`: reassigning a guard's variable drops the old guard.
    fn assignment(&mut self, left: &Expr, _right: &Expr) {
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        if let Expr::Path(path) = left {
            if let Some(index) = path.path.get_ident().and_then(|i| body.guards.named(i)) {
                self.dead.push(body.guards.guards.remove(index));
            }
        }
    }

    fn expr_exit(&mut self, walker: &Walker, expr: &Expr) {
        let here = addr(expr);
        if let Some(body) = self.bodies.last_mut() {
            if body.set_aside.last().is_some_and(|(b, _)| *b == here) {
                let (_, aside) = body.set_aside.pop().unwrap_or_default();
                body.guards.guards.extend(aside);
            }
            body.branches.exit(&mut body.guards, here);
        }
        match expr {
            Expr::Await(a) => {
                self.awaited.pop();
                if walker.can_await_here() {
                    if let Some(body) = self.bodies.last_mut() {
                        if !body.guards.is_empty() {
                            let location = Location::covering(a.dot_token.span, a.await_token.span);
                            for guard in &mut body.guards.guards {
                                guard.awaits.push(location.clone());
                            }
                        }
                    }
                }
            }
            Expr::Closure(_) | Expr::Async(_) => {
                if self
                    .bodies
                    .last()
                    .is_some_and(|b| b.kind == BodyKind::Nested(here))
                {
                    self.exit_body();
                }
                return;
            }
            Expr::Assign(a) => {
                // `g = m.lock().unwrap()`: the new guard is held by `g`.
                if let Expr::Path(p) = &*a.left {
                    if let (Some(ident), Some(body)) = (p.path.get_ident(), self.bodies.last_mut())
                    {
                        let catalog = self.catalog;
                        let guards = &body.guards.guards;
                        let is_acquire = |call: &syn::ExprMethodCall| {
                            guards.iter().any(|g| g.call == addr(call))
                        };
                        let is_passthrough = |name: &str| catalog.is_passthrough(name);
                        let mut sources = Vec::new();
                        lock_expr::guard_sources(
                            &a.right,
                            None,
                            &is_acquire,
                            &is_passthrough,
                            &mut sources,
                        );
                        let depth = body.guards.block_depth;
                        for (_, source) in sources {
                            if let GuardSource::LockCall(call) = source {
                                if let Some(guard) =
                                    body.guards.guards.iter_mut().find(|g| g.call == call)
                                {
                                    guard.names = vec![ident.to_string()];
                                    guard.lifetime = Lifetime::Bound { block_depth: depth };
                                }
                            }
                        }
                    }
                }
            }
            Expr::If(_) | Expr::Match(_) => {
                if let Some(body) = self.bodies.last_mut() {
                    body.reads.exit_condition(here);
                }
            }
            // `f(*m.read().await, &m)`: a guard one of its arguments took as a temporary is
            // alive while the function runs (to the end of the statement).
            Expr::Call(call) => {
                let callee = || match &*call.func {
                    Expr::Path(path) => walker.resolve_callee(path),
                    _ => None,
                };
                let location = || Location::of_expr(&call.func);
                self.guards_taken_by_arguments(
                    callee,
                    location,
                    false,
                    &call.args,
                    call.paren_token,
                );
            }
            Expr::MethodCall(call) if is_self(&call.receiver) => {
                let callee = || walker.self_type().map(|t| format!("{t}::{}", call.method));
                let location = || Location::from_span(call.method.span());
                self.guards_taken_by_arguments(
                    callee,
                    location,
                    true,
                    &call.args,
                    call.paren_token,
                );
            }
            _ => {}
        }
        if let Some(body) = self.bodies.last_mut() {
            if body.guards.in_expression_scope(here) {
                body.guards.exit_expression_scope(&mut self.dead);
            }
        }
    }

    fn note_cfg_gated(&mut self, block: &syn::Block) {
        for stmt in &block.stmts {
            let attrs = match stmt {
                Stmt::Local(local) => &local.attrs,
                Stmt::Macro(mac) => &mac.attrs,
                _ => continue,
            };
            if attrs.iter().any(|a| a.path().is_ident("cfg")) {
                let span = stmt.span().byte_range();
                self.cfg_gated.push((span.start, span.end));
            }
        }
    }
}

/// A compound assignment (`+=`, `^=`, …).
pub(crate) fn is_assign_op(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

impl<'a> GuardTracker<'a> {
    /// While guards are alive, the calls a spawn's arguments make (through
    /// `.instrument(..)`, `.boxed()` and the like): the spawned task runs them.
    /// The closures a call runs inline (`rules/wrappers.toml` `runs_inline`), handed to it
    /// while a lock is held: they run with it held.
    fn note_inline_closures(&mut self, walker: &Walker, expr: &Expr) {
        let Some(body) = self.bodies.last() else {
            return;
        };
        if body.guards.is_empty() && body.inherited.is_empty() {
            return;
        }
        let Some((name, args)) = called_name_and_args(expr) else {
            return;
        };
        if !name.is_some_and(|n| walker.cx.catalog.runs_inline(&n.to_string())) {
            return;
        }
        for arg in args {
            if let Expr::Closure(closure) = arg {
                if closure.asyncness.is_none() {
                    self.inline_closures.push(addr(arg));
                }
            }
        }
    }

    fn note_spawned_calls(&mut self, walker: &Walker, expr: &Expr) {
        if self.bodies.last().is_none_or(|b| b.guards.is_empty()) {
            return;
        }
        let Some((name, args)) = called_name_and_args(expr) else {
            return;
        };
        let may_spawn = name.is_some_and(|n| crate::semantic::spawns::may_spawn(&n.to_string()));
        if !may_spawn || crate::semantic::spawns::spawn_at(walker, expr).is_none() {
            return;
        }
        for arg in args {
            let mut future = arg;
            while let Expr::MethodCall(m) = future {
                self.spawned_calls.push(addr(m));
                future = &m.receiver;
            }
            if let Expr::Call(call) = future {
                self.spawned_calls.push(addr(call));
            }
        }
    }

    /// A crate function called with guards its own arguments took as temporaries: they are
    /// held while it runs (facts for the call graph, as `call_under_guard`).
    fn guards_taken_by_arguments(
        &mut self,
        callee: impl FnOnce() -> Option<String>,
        location: impl FnOnce() -> Location,
        method_call: bool,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        parens: syn::token::Paren,
    ) {
        if self.bodies.last().is_none_or(|b| b.guards.is_empty()) {
            return;
        }
        let range = crate::source::byte_range(parens.span.join());
        let taken = |g: &Guard| g.names.is_empty() && range.contains(&g.acquired.byte_start);
        if self
            .bodies
            .last()
            .is_some_and(|b| b.guards.guards.iter().any(&taken))
        {
            self.call_under_guard(callee(), location, method_call, args, taken);
        }
    }

    /// Update the model for an event, before the rules see it.
    pub(crate) fn observe(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::FnEnter(info) => self.enter_function(info),
            Event::FnExit(_) => {
                if self
                    .bodies
                    .last()
                    .is_some_and(|b| b.kind == BodyKind::Function)
                {
                    self.exit_body();
                }
            }
            Event::BlockEnter(block) => {
                self.note_cfg_gated(block);
                let value_block = std::mem::take(&mut self.value_block) == addr(*block);
                if let Some(body) = self.body() {
                    body.guards.enter_block(value_block);
                }
            }
            Event::BlockExit(_) => {
                if let Some(body) = self.bodies.last_mut() {
                    body.guards.exit_block(&mut self.dead);
                    let depth = body.guards.block_depth;
                    body.reads.exit_block(depth);
                }
            }
            Event::StmtExit(stmt) => {
                let is_tail = matches!(stmt, Stmt::Expr(_, None));
                let edition_2024 = self.edition_2024;
                if let Some(body) = self.bodies.last_mut() {
                    body.guards
                        .end_statement(is_tail, edition_2024, &mut self.dead);
                    self.passed_as_argument.clear();
                    self.spawned_calls.clear();
                }
            }
            Event::LocalBound(local) => self.local_bound(local),
            Event::ExprEnter(expr) => {
                self.note_spawned_calls(walker, expr);
                self.note_inline_closures(walker, expr);
                self.expr_enter(expr)
            }
            Event::ExprExit(expr) => self.expr_exit(walker, expr),
            Event::Call { call, callee, .. } => {
                let spawned = self.spawned_calls.contains(&addr(*call));
                if !spawned && self.bodies.last().is_some_and(|b| !b.guards.is_empty()) {
                    self.call_under_guard(
                        callee.map(String::from),
                        || Location::of_expr(&call.func),
                        false,
                        &call.args,
                        |_| true,
                    );
                }
                self.arguments(call.args.iter());
            }
            Event::MethodCall {
                call,
                receiver_type,
                receiver_ty,
                awaited,
                ..
            } => {
                let name = &call.method;
                if self.catalog.is_passthrough(&name.to_string()) {
                    if let Expr::MethodCall(inner) = &*call.receiver {
                        self.unwrapped = addr(inner);
                    }
                }
                if self.interests.guards {
                    self.acquire(walker, call, *receiver_type, *receiver_ty, *awaited);
                }
                if self.interests.atomics && reads::is_rmw(name) {
                    if let Some(body) = self.bodies.last_mut() {
                        body.reads.saw_rmw();
                    }
                }
                let spawned = self.spawned_calls.contains(&addr(*call));
                if !spawned && self.bodies.last().is_some_and(|b| !b.guards.is_empty()) {
                    if let Expr::Path(p) = &*call.receiver {
                        if p.path.is_ident("self") {
                            let callee = walker.self_type().map(|t| format!("{t}::{name}"));
                            self.call_under_guard(
                                callee,
                                || Location::from_span(name.span()),
                                true,
                                &call.args,
                                |_| true,
                            );
                        }
                    }
                }
                self.arguments(call.args.iter());
            }
            Event::FunctionReference { .. }
            | Event::Item(_)
            | Event::Select { .. }
            | Event::GuardAcquired(_)
            | Event::GuardReleased(_)
            | Event::BodyClosed { .. } => {}
        }
    }
}
