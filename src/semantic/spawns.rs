//! What a loop that spawns looks like: whether it iterates over input (a collection, a
//! stream, accepted connections) and whether a limit is visible in it (a `Semaphore`
//! permit, a `JoinSet` drained as it fills, a length check, a bounded stream combinator).

use super::loops::{tokens_contain_ident_where, LoopParts, LoopSource};
use crate::catalog::structure::StructureCatalog;
use syn::visit::{self, Visit};
use syn::{BinOp, Expr};

/// Calls that hand a loop one item of input at a time.
const INPUT_METHODS: &[&str] = &[
    "accept",
    "incoming",
    "recv",
    "recv_async",
    "next",
    "try_next",
    "next_message",
    "accept_bi",
    "accept_uni",
    "poll_accept",
];

/// A loop that may spawn, as far as bounding goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpawnLoopFacts {
    /// Iterates over input, so the number of spawns grows with it.
    pub over_input: bool,
    /// A limit is visible somewhere in the loop.
    pub limited: bool,
}

pub fn spawn_loop_facts(parts: &LoopParts, catalog: &StructureCatalog) -> SpawnLoopFacts {
    let mut scanner = LimitScanner {
        catalog,
        limited: false,
        input_calls: false,
        exits: false,
        depth: 0,
        label: parts.label,
        counted: Vec::new(),
        compared: Vec::new(),
    };
    scanner.visit_block(parts.body);
    // `budget -= 1; if budget == 0 { break }`: a count of spawns left, checked before the
    // loop goes round again.
    let budget = scanner
        .counted
        .iter()
        .any(|name| scanner.compared.contains(name));
    let over_input = match parts.source {
        // `for x in items`: one spawn per item, unless the loop stops at the first.
        LoopSource::Collection => !scanner.exits,
        LoopSource::WhileLet => true,
        LoopSource::Loop => scanner.input_calls,
        _ => false,
    };
    SpawnLoopFacts {
        over_input,
        limited: scanner.limited || budget,
    }
}

struct LimitScanner<'c, 'l> {
    catalog: &'c StructureCatalog,
    limited: bool,
    input_calls: bool,
    exits: bool,
    /// Closures, async blocks and inner loops entered (input calls count only outside).
    depth: usize,
    label: Option<&'l syn::Lifetime>,
    /// Locals the loop counts up or down (`n -= 1`, `sent += 1`).
    counted: Vec<String>,
    /// Locals a comparison reads (`n == 0`, `sent >= max`).
    compared: Vec<String>,
}

/// A count of what is in flight: a length (`set.len()`), an atomic counter
/// (`in_flight.load(..)`), the permits left.
fn has_count_call(expr: &Expr) -> bool {
    match expr {
        Expr::MethodCall(call) => {
            matches!(
                call.method.to_string().as_str(),
                "len" | "load" | "available_permits"
            ) || has_count_call(&call.receiver)
        }
        Expr::Paren(p) => has_count_call(&p.expr),
        Expr::Reference(r) => has_count_call(&r.expr),
        Expr::Unary(u) => has_count_call(&u.expr),
        Expr::Binary(b) => has_count_call(&b.left) || has_count_call(&b.right),
        _ => false,
    }
}

/// The local a plain path names (`budget`).
fn local_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

fn is_comparison(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) | BinOp::Eq(_)
    )
}

/// Whether a body waits: an `.await`, or a `sleep`/`wait`/`yield_now` call.
fn waits(block: &syn::Block) -> bool {
    struct Waits(bool);
    impl<'ast> Visit<'ast> for Waits {
        fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
            self.0 = true;
        }
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            let name = call.method.to_string();
            self.0 |= name.starts_with("wait") || name == "sleep";
            visit::visit_expr_method_call(self, call);
        }
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            self.0 |=
                path.path.segments.last().is_some_and(|s| {
                    s.ident == "sleep" || s.ident == "yield_now" || s.ident == "park"
                });
        }
    }
    let mut w = Waits(false);
    w.visit_block(block);
    w.0
}

impl<'ast> Visit<'ast> for LimitScanner<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let name = call.method.to_string();
        if self.catalog.limit_methods.contains(&name) {
            self.limited = true;
        }
        if self.depth == 0 && INPUT_METHODS.contains(&name.as_str()) {
            self.input_calls = true;
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        if self.catalog.limit_names.contains(&ident.to_string()) {
            self.limited = true;
        }
    }

    fn visit_expr_binary(&mut self, expr: &'ast syn::ExprBinary) {
        // `if set.len() >= max { .. }`, `if in_flight.load(..) >= max { sleep; continue }`
        if is_comparison(&expr.op) && (has_count_call(&expr.left) || has_count_call(&expr.right)) {
            self.limited = true;
        }
        if self.depth == 0 && matches!(expr.op, BinOp::SubAssign(_) | BinOp::AddAssign(_)) {
            self.counted.extend(local_name(&expr.left));
        }

        visit::visit_expr_binary(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let catalog = self.catalog;
        let limit = |ident: &proc_macro2::Ident| {
            let named = |word: &String| ident == word;
            catalog.limit_methods.iter().any(named) || catalog.limit_names.iter().any(named)
        };
        if tokens_contain_ident_where(mac.tokens.clone(), &limit) {
            self.limited = true;
        }
        let input = |ident: &proc_macro2::Ident| INPUT_METHODS.iter().any(|word| ident == word);
        if self.depth == 0 && tokens_contain_ident_where(mac.tokens.clone(), &input) {
            self.input_calls = true;
        }
    }

    fn visit_expr_break(&mut self, expr: &'ast syn::ExprBreak) {
        let leaves = match &expr.label {
            Some(label) => self.label.is_some_and(|l| l.ident == label.ident),
            None => self.depth == 0,
        };
        self.exits |= leaves;
        visit::visit_expr_break(self, expr);
    }

    fn visit_expr_return(&mut self, expr: &'ast syn::ExprReturn) {
        self.exits |= self.depth == 0;
        visit::visit_expr_return(self, expr);
    }

    fn visit_expr_if(&mut self, expr: &'ast syn::ExprIf) {
        // `if budget == 0 { break }`: the locals that decide whether the loop ends.
        let ends = matches!(
            expr.then_branch.stmts.last(),
            Some(syn::Stmt::Expr(Expr::Break(_) | Expr::Return(_), _))
        );
        if let (true, 0, Expr::Binary(cond)) = (ends, self.depth, &*expr.cond) {
            if is_comparison(&cond.op) {
                self.compared.extend(local_name(&cond.left));
                self.compared.extend(local_name(&cond.right));
            }
        }
        visit::visit_expr_if(self, expr);
    }

    fn visit_expr_closure(&mut self, expr: &'ast syn::ExprClosure) {
        self.depth += 1;
        visit::visit_expr_closure(self, expr);
        self.depth -= 1;
    }

    fn visit_expr_async(&mut self, expr: &'ast syn::ExprAsync) {
        self.depth += 1;
        visit::visit_expr_async(self, expr);
        self.depth -= 1;
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        self.depth += 1;
        visit::visit_expr_for_loop(self, expr);
        self.depth -= 1;
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        // `while running >= limit { wait }`: waits for a slot before going on.
        if matches!(&*expr.cond, Expr::Binary(b) if is_comparison(&b.op)) && waits(&expr.body) {
            self.limited = true;
        }
        self.depth += 1;
        visit::visit_expr_while(self, expr);
        self.depth -= 1;
    }

    fn visit_expr_loop(&mut self, expr: &'ast syn::ExprLoop) {
        self.depth += 1;
        visit::visit_expr_loop(self, expr);
        self.depth -= 1;
    }
}

/// The call a statement discards (`spawn(..);`, `spawn(..).unwrap();`, `let _ = spawn(..);`),
/// looking through `?`, `.unwrap()` and `.expect(..)`.
pub fn discarded_call(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::Try(t) => discarded_call(&t.expr),
        Expr::Paren(p) => discarded_call(&p.expr),
        Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
            discarded_call(&m.receiver)
        }
        Expr::Call(_) | Expr::MethodCall(_) => Some(expr),
        _ => None,
    }
}

/// Whether a callee's last path segment or a method name can be a spawner (cheap filter).
pub fn may_spawn(name: &str) -> bool {
    name.starts_with("spawn")
}

/// A spawn at `expr` (a call or method call of `rules/spawn.toml`): the API and the callee
/// path / method name. Only in files that mention spawning.
pub fn spawn_at<'a>(
    walker: &crate::semantic::walker::Walker<'a>,
    expr: &Expr,
) -> Option<(
    &'a crate::catalog::structure::SpawnApi,
    crate::source::Location,
)> {
    use crate::source::Location;
    if !walker.frames().spawn_file() {
        return None;
    }
    let catalog: &'a crate::catalog::structure::StructureCatalog = &walker.cx.catalog.structure;
    match expr {
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return None;
            };
            let name = walker.called_name(call, func)?;
            if !may_spawn(&name) || !catalog.function_names.contains(&*name) {
                return None;
            }
            let api = catalog.spawner(&walker.resolve_callee(func)?)?;
            Some((api, Location::of_expr(&call.func)))
        }
        Expr::MethodCall(call) => {
            let name = walker.method_name(call);
            if !may_spawn(&name) {
                return None;
            }
            let receiver = walker.type_env().type_of(&call.receiver)?;
            let api = catalog.spawner_method(&receiver, &name)?;
            Some((api, Location::from_span(call.method.span())))
        }
        _ => None,
    }
}

/// What a spawned task (or thread) hands back through its handle, as far as the spawn shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutput {
    /// An error can come out: the body uses `?`, returns or ends in `Ok(..)`/`Err(..)`.
    Error,
    /// Whatever this crate function returns (fully qualified path): its declared return type
    /// decides (`tokio::spawn(run(..))`, `async move { server.run().await }`).
    Returns(String),
    /// Nothing that carries an error is visible: `()`, a loop, an unknown value.
    Plain,
}

/// Methods that wrap a future or closure without changing its output.
pub(crate) const OUTPUT_PRESERVING: &[&str] = &[
    "instrument",
    "into_future",
    "fuse",
    "in_current_span",
    "with_current_subscriber",
    "boxed",
    "boxed_local",
];

/// The output of the task a spawn call starts (its first argument: the future or closure).
pub fn task_output(walker: &crate::semantic::walker::Walker, spawn: &Expr) -> TaskOutput {
    let arg = match spawn {
        Expr::Call(call) => call.args.first(),
        Expr::MethodCall(call) => call.args.first(),
        _ => None,
    };
    arg.map_or(TaskOutput::Plain, |arg| value_output(walker, arg))
}

/// The output of a future or closure value.
fn value_output(walker: &crate::semantic::walker::Walker, expr: &Expr) -> TaskOutput {
    match expr {
        Expr::Paren(p) => value_output(walker, &p.expr),
        Expr::Group(g) => value_output(walker, &g.expr),
        // `{ let state = state.clone(); move || run(&state) }`
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(tail, None)) => value_output(walker, tail),
            _ => TaskOutput::Plain,
        },
        Expr::Async(a) => body_output(walker, &a.block),
        Expr::Closure(c) => match &*c.body {
            Expr::Block(b) => body_output(walker, &b.block),
            body => {
                if has_try(body) {
                    TaskOutput::Error
                } else {
                    tail_output(walker, body)
                }
            }
        },
        Expr::Call(call) => {
            let wraps = matches!(&*call.func, Expr::Path(p)
                if p.path.segments.len() >= 2
                    && p.path.segments.last().is_some_and(|s| s.ident == "pin" || s.ident == "new")
                    && p.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "Box"));
            match call.args.first() {
                Some(inner) if wraps => value_output(walker, inner),
                _ => call_output(walker, expr),
            }
        }
        Expr::MethodCall(call) if OUTPUT_PRESERVING.contains(&call.method.to_string().as_str()) => {
            value_output(walker, &call.receiver)
        }
        Expr::MethodCall(_) => call_output(walker, expr),
        _ => TaskOutput::Plain,
    }
}

/// The output of an async block's or closure's body: a `?` or an `Ok`/`Err` return in it,
/// else its tail.
fn body_output(walker: &crate::semantic::walker::Walker, block: &syn::Block) -> TaskOutput {
    let mut scan = ErrorScan::default();
    scan.visit_block(block);
    if scan.found {
        return TaskOutput::Error;
    }
    match block.stmts.last() {
        Some(syn::Stmt::Expr(tail, None)) => tail_output(walker, tail),
        _ => TaskOutput::Plain,
    }
}

fn has_try(expr: &Expr) -> bool {
    let mut scan = ErrorScan::default();
    scan.visit_expr(expr);
    scan.found
}

/// The value a body ends in.
fn tail_output(walker: &crate::semantic::walker::Walker, expr: &Expr) -> TaskOutput {
    match expr {
        Expr::Paren(p) => tail_output(walker, &p.expr),
        Expr::Group(g) => tail_output(walker, &g.expr),
        Expr::Await(a) => match &*a.base {
            Expr::Call(_) | Expr::MethodCall(_) => value_output_of_call(walker, &a.base),
            _ => TaskOutput::Plain,
        },
        Expr::Call(_) | Expr::MethodCall(_) => value_output_of_call(walker, expr),
        Expr::Block(b) => body_output(walker, &b.block),
        Expr::Unsafe(b) => body_output(walker, &b.block),
        Expr::If(i) => {
            let then = body_output(walker, &i.then_branch);
            match (&then, &i.else_branch) {
                (TaskOutput::Plain, Some((_, other))) => tail_output(walker, other),
                _ => then,
            }
        }
        Expr::Match(m) => m
            .arms
            .iter()
            .map(|arm| tail_output(walker, &arm.body))
            .find(|o| *o != TaskOutput::Plain)
            .unwrap_or(TaskOutput::Plain),
        _ => TaskOutput::Plain,
    }
}

/// A call's value, seen through wrappers that keep the output (`fut.instrument(span)`).
fn value_output_of_call(walker: &crate::semantic::walker::Walker, expr: &Expr) -> TaskOutput {
    match expr {
        Expr::MethodCall(call) if OUTPUT_PRESERVING.contains(&call.method.to_string().as_str()) => {
            value_output_of_call(walker, &call.receiver)
        }
        _ => call_output(walker, expr),
    }
}

/// What a call returns: `Ok(..)`/`Err(..)` carry an error; a crate function's declared
/// return type decides.
fn call_output(walker: &crate::semantic::walker::Walker, expr: &Expr) -> TaskOutput {
    match expr {
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return TaskOutput::Plain;
            };
            if func
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Ok" || s.ident == "Err")
            {
                return TaskOutput::Error;
            }
            match walker.resolve_callee(func) {
                Some(path) if path.starts_with("crate::") => TaskOutput::Returns(path),
                _ => TaskOutput::Plain,
            }
        }
        Expr::MethodCall(call) => {
            let owner = match &*call.receiver {
                Expr::Path(p) if p.path.is_ident("self") => walker.self_type().map(String::from),
                receiver => walker.type_env().type_of(receiver),
            };
            match owner {
                Some(owner) if owner.starts_with("crate::") => {
                    TaskOutput::Returns(format!("{owner}::{}", call.method))
                }
                _ => TaskOutput::Plain,
            }
        }
        _ => TaskOutput::Plain,
    }
}

/// A `?`, or a `return Ok(..)`/`return Err(..)`, in a body (not in closures, async blocks
/// or items nested in it, which return elsewhere).
#[derive(Default)]
struct ErrorScan {
    found: bool,
}

impl<'ast> Visit<'ast> for ErrorScan {
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_expr_try(&mut self, expr: &'ast syn::ExprTry) {
        self.found = true;
        visit::visit_expr_try(self, expr);
    }

    fn visit_expr_return(&mut self, expr: &'ast syn::ExprReturn) {
        if let Some(Expr::Call(call)) = expr.expr.as_deref() {
            if matches!(&*call.func, Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Ok" || s.ident == "Err"))
            {
                self.found = true;
            }
        }
        visit::visit_expr_return(self, expr);
    }
}
