//! The guards and shared-state checker: one state machine over the walk's events that
//! models which lock guards are alive in each body (`liveness`), and feeds the rules
//! `guard_across_await`, `double_lock`, `split_lock_update`, `atomic_check_then_act`,
//! `static_mut` and `unsafe_impl_sync`, plus the per-function lock facts
//! (`facts::FunctionLocks`) that `lock_order_inversion` and the cross-function analysis use.

mod acquisition;
mod items;
mod shared_state;

use crate::catalog::guards::GuardCatalog;
use crate::diagnostic::Diagnostic;
use crate::program::locks::FunctionLocks;
use crate::program::FileAnalysis;
use crate::rules;
use crate::semantic::events::{Checker, Event, FunctionInfo};
use crate::semantic::guards::liveness::GuardSet;
use crate::semantic::guards::lock_expr::{self, addr, GuardSource};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;
use items::StaticMuts;
use shared_state::SharedState;

pub use crate::semantic::guards::liveness::{Guard, Lifetime};
pub use items::{TypeSummary, UnsafeImpl};
use syn::spanned::Spanned;
use syn::{Expr, Stmt};

/// What in a file can matter, by a cheap look at its text.
#[derive(Debug, Clone, Copy, Default)]
struct Interests {
    guards: bool,
    atomics: bool,
    statics: bool,
    impls: bool,
    /// The file names an async lock crate: a bare `.lock()` on a value of unknown type may
    /// be its future (`let fut = fork.lock(); select! { .. }`).
    async_locks: bool,
}

impl Interests {
    fn of(text: &str) -> Interests {
        let m = NEEDLES.scan(text);
        let guards = m.any_of(&[0, 1, 2, 3, 4, 5]);
        Interests {
            guards,
            atomics: m.has(6) && m.has(7),
            statics: m.has(8),
            impls: m.has(9),
            // Only worth knowing (and scanning for) when there are locks at all.
            async_locks: guards && ASYNC_LOCK_NEEDLES.scan(text).any_of(&[0, 1, 2, 3, 4, 5, 6]),
        }
    }

    fn any(self) -> bool {
        self.guards || self.atomics || self.statics || self.impls
    }
}

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
    "static mut ",
    "unsafe impl",
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

/// The checker for this file, or None when its text cannot contain anything it looks for.
pub fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    let interests = Interests::of(cx.text);
    if !interests.any() {
        return None;
    }
    Some(Box::new(GuardChecker {
        file: cx.file.to_string(),
        edition_2024: cx.edition >= "2024",
        interests,
        catalog: GuardCatalog::builtin(),
        statics: if interests.statics {
            StaticMuts::scan(cx.text)
        } else {
            StaticMuts::default()
        },
        ..GuardChecker::default()
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Function,
    /// A closure or async block, by address: its code runs apart from the enclosing body.
    Nested(usize),
}

/// One body being walked: a function, closure or async block.
struct Body {
    kind: BodyKind,
    guards: GuardSet,
    /// Expressions that open a temporary scope when entered.
    pending_scopes: Vec<usize>,
    /// `if let` (edition 2024): (the `if`, its `else` branch).
    if_let_else: Vec<(usize, usize)>,
    shared: SharedState,
}

impl Body {
    fn new(kind: BodyKind, exclusive_self: bool) -> Body {
        Body {
            kind,
            guards: GuardSet::default(),
            pending_scopes: Vec::new(),
            if_let_else: Vec::new(),
            shared: SharedState::new(exclusive_self),
        }
    }
}

#[derive(Default)]
struct GuardChecker {
    file: String,
    edition_2024: bool,
    interests: Interests,
    catalog: &'static GuardCatalog,
    bodies: Vec<Body>,
    open_functions: Vec<FunctionLocks>,
    done_functions: Vec<FunctionLocks>,
    diagnostics: Vec<Diagnostic>,
    /// Bases of the `.await`s being walked.
    awaited: Vec<usize>,
    /// A lock call whose result is unwrapped (`.read().unwrap()`: std's `LockResult`).
    unwrapped: usize,
    /// Lock calls passed as arguments (`timeout(d, m.lock())`): futures, not guards.
    passed_as_argument: Vec<usize>,
    /// A `{ .. }` block expression's block about to be entered.
    value_block: usize,
    /// Names the patterns of a `match`/`if let` bind from a lock-call scrutinee.
    scrutinee_names: Option<(usize, Vec<String>)>,
    dead: Vec<Guard>,
    /// Byte ranges of `#[cfg(..)]`-gated `let`s (`#[cfg(feature = "std")] let g = m.lock();`
    /// next to its `no_std` twin).
    cfg_gated: Vec<(usize, usize)>,
    statics: StaticMuts,
    unsafe_impls: Vec<UnsafeImpl>,
    types: Vec<TypeSummary>,
}

impl Default for &'static GuardCatalog {
    fn default() -> Self {
        GuardCatalog::builtin()
    }
}

impl GuardChecker {
    fn body(&mut self) -> Option<&mut Body> {
        self.bodies.last_mut()
    }

    fn enter_function(&mut self, info: &FunctionInfo) {
        let exclusive_self = info.sig.inputs.first().is_some_and(|input| match input {
            syn::FnArg::Receiver(r) => r.mutability.is_some() || r.reference.is_none(),
            _ => false,
        });
        self.bodies
            .push(Body::new(BodyKind::Function, exclusive_self));
        self.open_functions.push(FunctionLocks {
            function: info.path.clone(),
            file: self.file.clone(),
            ..FunctionLocks::default()
        });
    }

    fn exit_body(&mut self) {
        if let Some(mut body) = self.bodies.pop() {
            body.guards.kill_all(&mut self.dead);
            body.shared.finish(&mut self.diagnostics);
            self.bury();
            if body.kind == BodyKind::Function {
                if let Some(done) = self.open_functions.pop() {
                    if !done.acquisitions.is_empty() || !done.calls_under_guard.is_empty() {
                        self.done_functions.push(done);
                    }
                }
            }
        }
    }

    /// Guards that died: those that crossed an `.await` are findings.
    fn bury(&mut self) {
        for guard in self.dead.drain(..) {
            if !guard.awaits.is_empty() && !guard.uncertain {
                self.diagnostics
                    .push(rules::guard_across_await::diagnostic(&self.file, &guard));
            }
        }
    }

    fn expr_enter(&mut self, walker: &Walker, expr: &Expr) {
        let edition_2024 = self.edition_2024;
        let Some(body) = self.bodies.last_mut() else {
            if let (Expr::Path(path), true) = (expr, self.interests.statics) {
                self.statics.path(walker, path);
            }
            return;
        };
        let here = addr(expr);
        if let Some(at) = body.pending_scopes.iter().rposition(|p| *p == here) {
            body.pending_scopes.swap_remove(at);
            body.guards.enter_expression_scope(here);
        }
        if body.if_let_else.last().is_some_and(|(_, e)| *e == here) {
            let (if_expr, _) = body.if_let_else.pop().unwrap_or_default();
            if body.guards.in_expression_scope(if_expr) {
                body.guards.clear_expression_scope(&mut self.dead);
            }
        }
        match expr {
            Expr::If(e) => {
                if let Expr::Let(_) = &*e.cond {
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
                    body.shared.enter_condition(here, &e.cond);
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
                for arm in &m.arms {
                    body.pending_scopes.push(addr(&*arm.body));
                    if let Some((_, guard)) = &arm.guard {
                        body.pending_scopes.push(addr(&**guard));
                    }
                }
                if self.interests.atomics {
                    body.shared.enter_condition(here, &m.expr);
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
            Expr::MethodCall(m) if STORING_METHODS.contains(&m.method.to_string().as_str()) => {
                self.storing_call(m)
            }
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
                        self.bury();
                    }
                }
                self.bodies.push(Body::new(BodyKind::Nested(here), false));
            }
            Expr::Async(_) => self.bodies.push(Body::new(BodyKind::Nested(here), false)),
            Expr::Path(path) if self.interests.statics => self.statics.path(walker, path),
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

    /// `m.lock().unwrap().insert(k, v + 1)`: a write through a new acquisition whose value
    /// comes from a read under an earlier guard (the per-key counter lost update).
    fn storing_call(&mut self, call: &syn::ExprMethodCall) {
        let catalog = self.catalog;
        let file = self.file.clone();
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        // In closures the `if let` temporaries' liveness is not modelled precisely enough
        // for this newer check (a cached-lookup closure in `cc` was a false positive).
        if matches!(body.kind, BodyKind::Nested(_)) {
            return;
        }
        let is_passthrough = |name: &str| catalog.is_passthrough(name);
        let Some(acquire) = lock_expr::place_root_call(&call.receiver, &is_passthrough) else {
            return;
        };
        if catalog
            .acquire_method(&acquire.method.to_string())
            .is_none()
        {
            return;
        }
        let Some(key) = lock_expr::receiver_key(&acquire.receiver) else {
            return;
        };
        let location = Location::from_span(acquire.method.span());
        for value in &call.args {
            if let Some(d) = body
                .shared
                .split_write(&file, &body.guards, &key, &location, value)
            {
                self.diagnostics.push(d);
                return;
            }
        }
    }

    /// `*m.lock().unwrap() = b - x` / `g = m.lock()`.
    fn assignment(&mut self, left: &Expr, right: &Expr) {
        let catalog = self.catalog;
        let file = self.file.clone();
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        let is_passthrough = |name: &str| catalog.is_passthrough(name);
        if let Some(call) = lock_expr::place_root_call(left, &is_passthrough) {
            if catalog.acquire_method(&call.method.to_string()).is_some() {
                if let Some(key) = lock_expr::receiver_key(&call.receiver) {
                    let location = Location::from_span(call.method.span());
                    if let Some(d) =
                        body.shared
                            .split_write(&file, &body.guards, &key, &location, right)
                    {
                        self.diagnostics.push(d);
                    }
                }
            }
        } else if let Some(root) = lock_expr::place_root_name(left) {
            if let Some(index) = body.guards.named(root) {
                let guard = &body.guards.guards[index];
                if matches!(left, Expr::Path(_)) {
                    // Reassigning the guard's variable drops the old guard.
                    self.dead.push(body.guards.guards.remove(index));
                    self.bury();
                } else if let Some(key) = guard.key.clone() {
                    let location = guard.acquired.clone();
                    if let Some(d) = body.shared.split_write_through_guard(
                        &file,
                        &body.guards,
                        &key,
                        &location,
                        right,
                    ) {
                        self.diagnostics.push(d);
                    }
                }
            }
        }
    }

    fn expr_exit(&mut self, walker: &Walker, expr: &Expr) {
        let here = addr(expr);
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
                    body.shared.exit_condition(here);
                }
            }
            _ => {}
        }
        if let Some(body) = self.bodies.last_mut() {
            if body.guards.in_expression_scope(here) {
                body.guards.exit_expression_scope(&mut self.dead);
                self.bury();
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

    fn item(&mut self, walker: &Walker, item: &syn::Item) {
        match item {
            syn::Item::Static(s) if self.interests.statics => self.statics.item(walker, s),
            syn::Item::Impl(i) if self.interests.impls => {
                if let Some(found) = items::unsafe_impl(i) {
                    if !items::has_safety_comment(walker.cx.text, found.impl_start) {
                        self.unsafe_impls.push(found);
                    }
                }
            }
            syn::Item::Struct(s) if self.interests.impls => {
                self.types.push(items::summarize_struct(s, self.catalog))
            }
            syn::Item::Enum(e) if self.interests.impls => {
                self.types.push(items::summarize_enum(e, self.catalog))
            }
            _ => {}
        }
    }
}

/// Methods that overwrite a value in the locked map or cell (a `push` appends: nothing is
/// lost even if the pushed value is stale).
const STORING_METHODS: &[&str] = &["insert", "set", "replace"];

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

impl Checker for GuardChecker {
    fn on(&mut self, walker: &Walker, event: &Event) {
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
                    body.shared.exit_block(depth);
                    self.bury();
                }
            }
            Event::StmtExit(stmt) => {
                let is_tail = matches!(stmt, Stmt::Expr(_, None));
                let edition_2024 = self.edition_2024;
                if let Some(body) = self.bodies.last_mut() {
                    body.guards
                        .end_statement(is_tail, edition_2024, &mut self.dead);
                    self.passed_as_argument.clear();
                    self.bury();
                }
            }
            Event::LocalBound(local) => self.local_bound(local),
            Event::ExprEnter(expr) => self.expr_enter(walker, expr),
            Event::ExprExit(expr) => self.expr_exit(walker, expr),
            Event::Call { call, callee, .. } => {
                if self.bodies.last().is_some_and(|b| !b.guards.is_empty()) {
                    self.call_under_guard(callee.map(String::from), || {
                        Location::of_expr(&call.func)
                    });
                }
                self.arguments(call.args.iter());
            }
            Event::MethodCall {
                call,
                receiver_type,
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
                    self.acquire(walker, call, *receiver_type, *awaited);
                }
                if self.interests.atomics && shared_state::is_rmw(name) {
                    if let Some(body) = self.bodies.last_mut() {
                        body.shared.saw_rmw();
                    }
                }
                if self.interests.atomics && name == "store" {
                    let file = self.file.clone();
                    // Closures usually run inline: a lock held around one covers it.
                    let lock_held = self
                        .bodies
                        .iter()
                        .any(|b| b.guards.guards.iter().any(|g| !g.mode.is_refcell()));
                    if let Some(body) = self.bodies.last_mut() {
                        body.shared.store(&file, lock_held, call);
                    }
                }
                if self.bodies.last().is_some_and(|b| !b.guards.is_empty()) {
                    if let Expr::Path(p) = &*call.receiver {
                        if p.path.is_ident("self") {
                            let callee = walker.self_type().map(|t| format!("{t}::{name}"));
                            self.call_under_guard(callee, || Location::from_span(name.span()));
                        }
                    }
                }
                self.arguments(call.args.iter());
            }
            Event::Item(item) => self.item(walker, item),
            Event::FunctionReference { .. } => {}
        }
    }

    fn finish(mut self: Box<Self>, out: &mut FileAnalysis) {
        while !self.bodies.is_empty() {
            self.exit_body();
        }
        out.diagnostics.append(&mut self.diagnostics);
        for (index, name) in self.statics.names.iter().enumerate() {
            let Some((declared, full_path)) = &self.statics.declared[index] else {
                continue;
            };
            let accesses: Vec<&Location> = self
                .statics
                .accesses
                .iter()
                .filter(|(i, l, resolved)| *i == index && l != declared && resolved == full_path)
                .map(|(_, l, _)| l)
                .collect();
            if !accesses.is_empty() {
                out.diagnostics.push(rules::static_mut::diagnostic(
                    &self.file, name, declared, &accesses,
                ));
            }
        }
        for found in &self.unsafe_impls {
            let summary = self.types.iter().find(|t| t.name == found.type_name);
            if let Some(d) = rules::unsafe_impl_sync::diagnostic(&self.file, found, summary) {
                out.diagnostics.push(d);
            }
        }
        out.facts.locks.append(&mut self.done_functions);
    }
}
