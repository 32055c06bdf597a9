//! `cancel_unsafe_select`: in a loop, a `select!` branch or a `timeout` awaits a future
//! that is not cancellation safe (`rules/cancellation.toml`): when it loses, the partial
//! work is dropped with it, and the next iteration starts over.

use super::{Group, RuleInfo};
use crate::catalog::cancellation::CancelUnsafe;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::{FileAnalysis, IfCancelUnsafe};
use crate::semantic::events::{expr_kind, interest, Checker, Event};
use crate::semantic::frames::addr;
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::visit::Visit;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "cancel_unsafe_select",
    group: Group::Structure,
    default_level: Level::Warn,
    summary:
        "a `select!` branch or `timeout` in a loop awaits a future that is not cancellation safe",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: Some(crate_findings),
};

const DOC: &str = r#"# cancel_unsafe_select

## What it does
Finds, inside a loop in async code, a `tokio::select!` branch or a `tokio::time::timeout`
whose future is not cancellation safe: the calls tokio documents as such
(`rules/cancellation.toml`): `AsyncReadExt::read_exact`, the multi-byte `read_u16` …
`read_f64` (and `_le`), `read_to_end`, `read_to_string`, `AsyncBufReadExt::read_line`,
`AsyncWriteExt::write_all`. Also an `async` block awaiting one, and a crate `async fn`
that awaits one (through calls). Not reported: a future created before the loop and
polled by `&mut` (it survives the iterations); the cancellation-safe calls (`recv`,
`accept`, `read`, `read_buf`, `next_line`, `StreamExt::next`); a `select!` that runs once;
a `select!` whose other branches all leave the loop (`break`, `return`: nothing is read
again); a timeout whose expiry leaves the loop (`timeout(..).await?`, an `Err(_) => break`
arm); a call on a stream the loop opens anew in each pass (`let mut s =
TcpStream::connect(addr).await?;` in the body: a cancelled write dies with its connection,
and no later pass reads or writes it; not a `BufWriter::new(&mut stream)` over an outer
one). Test code is not looked at.

## Why is this bad?
`select!` drops the futures of the branches that lose; a loop then creates them anew.
A future dropped half way loses what it had done: the bytes of a frame already read, half
a line, how much of a buffer was written. The next iteration reads from the middle of a
message — data lost, or a stream out of step — and only when the other branch wins at the
wrong moment, so it shows up rarely and under load. A timeout that expires drops its
future the same way.

## Example
```rust
async fn session(mut reader: tokio::io::BufReader<tokio::net::TcpStream>, mut rx: tokio::sync::mpsc::Receiver<String>) {
    let mut line = String::new();
    loop {
        tokio::select! {
            n = reader.read_line(&mut line) => { let _ = n; line.clear(); }
            Some(msg) = rx.recv() => println!("{msg}"),
        }
    }
}
```

## Use instead
```rust
async fn session(reader: tokio::io::BufReader<tokio::net::TcpStream>, mut rx: tokio::sync::mpsc::Receiver<String>) {
    let mut lines = reader.lines();
    loop {
        tokio::select! {
            line = lines.next_line() => { let _ = line; }
            Some(msg) = rx.recv() => println!("{msg}"),
        }
    }
}
```

## Model
`structured-tasks`: create the future once, outside the loop, and `tokio::pin!` it (poll
it by `&mut`), or use a cancellation-safe call (`read_buf` into a buffer that outlives the
loop, `Lines::next_line`) or a framed codec (`tokio_util::codec`).
"#;

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    let text = cx.text;
    (crate::semantic::mentions::mentions(text, "select")
        || crate::semantic::mentions::mentions(text, "timeout"))
    .then(|| Box::new(CancelChecker::default()) as Box<dyn Checker>)
}

#[derive(Default)]
struct CancelChecker {
    found: Vec<Diagnostic>,
    /// Select arms calling a crate function: a finding if it awaits a cancel-unsafe call.
    conditional: Vec<IfCancelUnsafe>,
    /// Timeout calls whose expiry leaves the loop (`?`, an `Err(_) => break` arm).
    leaves: HashSet<usize>,
    /// Locals opened anew in each pass of a loop (`let mut stream =
    /// TcpStream::connect(addr).await?;` in the body), with that loop: cancelling a write
    /// to one loses nothing a later pass reads or writes.
    opened_in_loop: HashMap<String, usize>,
}

/// What an unsafe future is: a catalog method (direct) or a crate function (through calls).
enum Unsafe<'c> {
    Method(&'c CancelUnsafe, Location),
    Callee(String, Location),
}

impl Checker for CancelChecker {
    fn interests(&self) -> u16 {
        interest::SELECTS | interest::EXPRESSIONS | interest::LOCALS
    }

    fn expression_kinds(&self) -> u32 {
        expr_kind::TRY | expr_kind::MATCH | expr_kind::CALL
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::Select { mac, arms } => self.select(walker, mac, arms),
            Event::ExprEnter(expr) => self.expr(walker, expr),
            Event::LocalBound(local) => self.local(walker, local),
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.found);
        out.facts.if_cancel_unsafe.extend(self.conditional);
    }
}

impl CancelChecker {
    fn local(&mut self, walker: &Walker, local: &syn::Local) {
        let pat = match &local.pat {
            syn::Pat::Type(typed) => &*typed.pat,
            other => other,
        };
        let syn::Pat::Ident(name) = pat else {
            return;
        };
        let name = name.ident.to_string();
        let opened = local
            .init
            .as_ref()
            .is_some_and(|init| opens_anew(&init.expr));
        match walker.frames().innermost_loop() {
            Some(at) if opened => {
                self.opened_in_loop.insert(name, at);
            }
            _ => {
                self.opened_in_loop.remove(&name);
            }
        }
    }

    /// The receiver of a cancel-unsafe call is a local opened anew in this pass of the
    /// innermost loop.
    fn per_pass(&self, walker: &Walker, future: &Expr) -> bool {
        let Expr::MethodCall(call) = strip(future) else {
            return false;
        };
        let mut receiver = strip(&call.receiver);
        while let Expr::Reference(r) = receiver {
            receiver = strip(&r.expr);
        }
        let Expr::Path(path) = receiver else {
            return false;
        };
        let loop_now = walker.frames().innermost_loop();
        path.path
            .get_ident()
            .and_then(|name| self.opened_in_loop.get(&name.to_string()))
            .is_some_and(|at| Some(*at) == loop_now)
    }

    fn select(&mut self, walker: &Walker, mac: &syn::Macro, arms: &[(Expr, Expr)]) {
        let Some(loop_keyword) = in_loop(walker) else {
            return;
        };
        for (index, (future, _)) in arms.iter().enumerate() {
            let others_continue = arms
                .iter()
                .enumerate()
                .any(|(i, (_, handler))| i != index && !leaves(handler));
            if !others_continue {
                continue;
            }
            if self.per_pass(walker, future) {
                continue;
            }
            let Some(found) = unsafe_future(walker, future) else {
                continue;
            };
            let select = Location::from_span(
                mac.path
                    .segments
                    .last()
                    .map_or_else(proc_macro2::Span::call_site, |s| s.ident.span()),
            );
            let how = Via::Select(select);
            self.report(walker, found, &how, loop_keyword.clone());
        }
    }

    fn expr(&mut self, walker: &Walker, expr: &Expr) {
        match expr {
            Expr::Try(t) => {
                // `timeout(..).await?`, `.await.map_err(..)??`, `.await.context(..)?`
                let mut inner = strip(&t.expr);
                while let Expr::MethodCall(m) = inner {
                    if !["map_err", "context", "with_context", "wrap_err", "err_into"]
                        .contains(&m.method.to_string().as_str())
                    {
                        break;
                    }
                    inner = strip(&m.receiver);
                }
                if let Some(call) = awaited_timeout(walker, inner) {
                    self.leaves.insert(addr(call));
                }
            }
            Expr::Match(m) => {
                let expiry_leaves = m
                    .arms
                    .iter()
                    .any(|arm| is_err_pattern(&arm.pat) && leaves(&arm.body));
                if let (true, Some(call)) = (expiry_leaves, awaited_timeout(walker, &m.expr)) {
                    self.leaves.insert(addr(call));
                }
            }
            Expr::Call(call) => {
                if self.leaves.contains(&addr(call)) || !is_timeout(walker, call) {
                    return;
                }
                let (Some(loop_keyword), Some(future)) = (in_loop(walker), call.args.iter().nth(1))
                else {
                    return;
                };
                if self.per_pass(walker, future) {
                    return;
                }
                if let Some(found) = unsafe_future(walker, future) {
                    let how = Via::Timeout(Location::of_expr(&call.func));
                    self.report(walker, found, &how, loop_keyword);
                }
            }
            _ => {}
        }
    }

    fn report(&mut self, walker: &Walker, found: Unsafe, how: &Via, loop_keyword: Location) {
        match found {
            Unsafe::Method(method, at) => {
                let d = diagnostic(walker, method, at, how, loop_keyword);
                self.found.push(d);
            }
            Unsafe::Callee(callee, at) => {
                let short = super::through_calls::short(&callee);
                let method = CancelUnsafe {
                    name: short,
                    from: String::new(),
                    loses: "what it has read or written so far".into(),
                    instead: "a cancellation-safe read (`read_buf` into a buffer that lives outside the loop) or a framed codec".into(),
                };
                let d = diagnostic(walker, &method, at, how, loop_keyword);
                self.conditional.push(IfCancelUnsafe {
                    callee,
                    diagnostic: d,
                });
            }
        }
    }
}

/// How the future is raced.
enum Via {
    Select(Location),
    Timeout(Location),
}

/// The loop directly around the current node (same async body), outside test code.
fn in_loop(walker: &Walker) -> Option<Location> {
    if !walker.in_async() || walker.frames().in_test() {
        return None;
    }
    let loops = walker.frames().enclosing_loops();
    loops.first().map(|l| Location::from_span(l.keyword))
}

fn is_timeout(walker: &Walker, call: &syn::ExprCall) -> bool {
    let Expr::Path(func) = &*call.func else {
        return false;
    };
    let named = func
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident == "timeout");
    named
        && call.args.len() == 2
        && walker
            .resolve_callee(func)
            .is_some_and(|p| walker.cx.catalog.cancellation.is_timeout(&p))
}

/// `timeout(d, fut).await` → the `timeout(..)` call.
fn awaited_timeout<'e>(walker: &Walker, expr: &'e Expr) -> Option<&'e syn::ExprCall> {
    let Expr::Await(awaited) = strip(expr) else {
        return None;
    };
    match strip(&awaited.base) {
        Expr::Call(call) if is_timeout(walker, call) => Some(call),
        _ => None,
    }
}

fn strip(mut expr: &Expr) -> &Expr {
    while let Expr::Paren(p) = expr {
        expr = &p.expr;
    }
    expr
}

/// The future expression of a branch, if it is not cancellation safe.
fn unsafe_future<'c>(walker: &Walker<'c>, future: &Expr) -> Option<Unsafe<'c>> {
    let catalog = &walker.cx.catalog.cancellation;
    match strip(future) {
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if let Some(method) = catalog.method(&name) {
                return Some(Unsafe::Method(method, Location::from_span(m.method.span())));
            }
            if crate::semantic::spawns::OUTPUT_PRESERVING.contains(&name.as_str()) {
                return unsafe_future(walker, &m.receiver);
            }
            // `self.read_frame()`: a crate method (through calls).
            let owner = matches!(&*m.receiver, Expr::Path(p) if p.path.is_ident("self"))
                .then(|| walker.self_type())
                .flatten()
                .filter(|o| walker.cx.is_local_path(o))?;
            Some(Unsafe::Callee(
                format!("{owner}::{name}"),
                Location::from_span(m.method.span()),
            ))
        }
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return None;
            };
            let callee = walker.resolve_callee(func)?;
            walker
                .cx
                .is_local_path(&callee)
                .then(|| Unsafe::Callee(callee, Location::of_expr(&call.func)))
        }
        Expr::Async(block) => {
            let mut finder = AwaitFinder {
                walker,
                found: None,
            };
            finder.visit_block(&block.block);
            finder.found
        }
        _ => None,
    }
}

/// The first awaited cancel-unsafe call in an async block (not in nested closures).
struct AwaitFinder<'w, 'c> {
    walker: &'w Walker<'c>,
    found: Option<Unsafe<'c>>,
}

impl<'ast> Visit<'ast> for AwaitFinder<'_, '_> {
    fn visit_expr_await(&mut self, awaited: &'ast syn::ExprAwait) {
        if self.found.is_none() {
            if let Some(Unsafe::Method(m, at)) = unsafe_future(self.walker, &awaited.base) {
                self.found = Some(Unsafe::Method(m, at));
            }
        }
        syn::visit::visit_expr_await(self, awaited);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// A new object, not a view of one that outlives the pass: a constructor or connect call
/// (`UnixStream::connect(path)`), through `.await`, `?`, `unwrap`/`expect`/`context`, a
/// `timeout(..)` around it and a `match` on its result, with no `&mut` argument (a
/// `BufWriter::new(&mut stream)` writes into the stream of the loop around it).
fn opens_anew(expr: &Expr) -> bool {
    match strip(expr) {
        Expr::Await(a) => opens_anew(&a.base),
        Expr::Try(t) => opens_anew(&t.expr),
        Expr::MethodCall(m) => {
            matches!(
                m.method.to_string().as_str(),
                "unwrap" | "expect" | "context" | "with_context" | "map_err"
            ) && opens_anew(&m.receiver)
        }
        Expr::Match(m) => opens_anew(&m.expr),
        Expr::Call(call) => {
            matches!(&*call.func, Expr::Path(_)) && call.args.iter().all(|arg| !borrows_mut(arg))
        }
        _ => false,
    }
}

/// `&mut x`, `x.by_ref()`, `x.as_mut()`, `x.get_mut()` anywhere in the expression.
fn borrows_mut(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_reference(&mut self, r: &'ast syn::ExprReference) {
            self.0 |= r.mutability.is_some();
            syn::visit::visit_expr_reference(self, r);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.0 |= matches!(
                m.method.to_string().as_str(),
                "by_ref" | "as_mut" | "get_mut"
            );
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut finder = Finder(false);
    finder.visit_expr(expr);
    finder.0
}

/// `Err(_)`, `Err(e)`.
fn is_err_pattern(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::TupleStruct(t) if t.path.segments.last().is_some_and(|s| s.ident == "Err"))
}

/// A handler that always leaves the loop: `break`, `return`, a block with one at its top
/// level, a `match`/`if` whose every arm leaves, `panic!`-like macros.
fn leaves(expr: &Expr) -> bool {
    match strip(expr) {
        Expr::Break(_) | Expr::Return(_) => true,
        Expr::Block(b) => block_leaves(&b.block),
        Expr::Match(m) => !m.arms.is_empty() && m.arms.iter().all(|a| leaves(&a.body)),
        Expr::If(i) => {
            block_leaves(&i.then_branch) && i.else_branch.as_ref().is_some_and(|(_, e)| leaves(e))
        }
        Expr::Macro(m) => diverging_macro(&m.mac),
        _ => false,
    }
}

fn block_leaves(block: &syn::Block) -> bool {
    block.stmts.iter().any(|stmt| match stmt {
        syn::Stmt::Expr(e, _) => leaves(e),
        syn::Stmt::Macro(m) => diverging_macro(&m.mac),
        _ => false,
    })
}

fn diverging_macro(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        ["panic", "unreachable", "bail", "todo", "unimplemented"]
            .contains(&s.ident.to_string().as_str())
    })
}

fn diagnostic(
    walker: &Walker,
    method: &CancelUnsafe,
    primary: Location,
    how: &Via,
    loop_keyword: Location,
) -> Diagnostic {
    let (raced, label) = match how {
        Via::Select(at) => (
            "a `select!` branch",
            Label {
                location: at.clone(),
                message: "when another branch wins, this branch's future is dropped".into(),
            },
        ),
        Via::Timeout(at) => (
            "the future of a `timeout`",
            Label {
                location: at.clone(),
                message: "when the time runs out, the future is dropped".into(),
            },
        ),
    };
    let mut d = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!(
            "`{}` is not cancellation safe, and it is {raced} in a loop",
            method.name
        ),
    );
    d.primary_label = format!("dropped half way, this loses {}", method.loses);
    d.labels.push(label);
    d.labels.push(Label {
        location: loop_keyword,
        message: "the next iteration starts a new one".into(),
    });
    d.help = Some(format!(
        "create the future once, outside the loop, `tokio::pin!` it and poll it by `&mut`; or use {}",
        method.instead
    ));
    d.model = Some(Model::StructuredTasks);
    if !method.from.is_empty() {
        d.notes.push(Note {
            message: format!(
                "tokio documents `{}::{}` as not cancel safe",
                method.from, method.name
            ),
            file: None,
            location: None,
        });
    }
    d
}

/// Select arms calling a crate async fn that awaits a cancel-unsafe call in its own body.
fn crate_findings(program: &super::CrateProgram) -> Vec<Diagnostic> {
    let unsafe_fns: rustc_hash::FxHashMap<&str, &crate::program::calls::FunctionSummary> = program
        .files
        .iter()
        .flat_map(|f| &f.facts.functions)
        .filter(|f| f.is_async && f.cancel_unsafe.is_some())
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut found = Vec::new();
    for conditional in program.files.iter().flat_map(|f| &f.facts.if_cancel_unsafe) {
        let Some(callee) = unsafe_fns.get(conditional.callee.as_str()) else {
            continue;
        };
        let Some((method, at)) = callee.cancel_unsafe.as_deref() else {
            continue;
        };
        let mut d = conditional.diagnostic.clone();
        d.notes.push(Note {
            message: format!(
                "`{}` awaits `{method}`, which is not cancel safe",
                super::through_calls::short(&callee.path)
            ),
            file: Some(callee.file.to_string()),
            location: Some(at.clone()),
        });
        found.push(d);
    }
    found
}
