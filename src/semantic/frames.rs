//! Where in the code's structure the walk is: the loops, closures (and where each runs:
//! on rayon's pool, on another thread), async blocks and functions around the current
//! node, which functions are test code, which expressions are `.await`ed and which spawn
//! calls have their handle discarded. Updated by the walker before a node's event reaches
//! the rules (and after its exit event), so a rule asks instead of keeping its own stack.

use super::attrs::is_test_only;
use super::events::{expr_kind, interest, Event, FunctionInfo};
use super::loops::{loop_parts, LoopSource};
use super::spawns::{discarded_call, may_spawn, spawn_loop_facts, SpawnLoopFacts};
use super::walker::Walker;
use crate::catalog::structure::StructureCatalog;
use proc_macro2::Span;
use rustc_hash::FxHashSet as HashSet;
use syn::{Expr, Item, Stmt};

pub(crate) fn addr<T>(value: &T) -> usize {
    value as *const T as usize
}

/// A loop around the current node.
pub struct LoopFrame {
    pub addr: usize,
    pub keyword: Span,
    pub source: LoopSource,
    /// What bounds the spawns in it (only in files that mention spawning).
    pub spawn: Option<SpawnLoopFacts>,
}

enum Frame {
    Loop(LoopFrame),
    Closure {
        addr: usize,
        /// Runs on the rayon pool (`par_iter().map(|x| ..)`, `rayon::spawn(|| ..)`).
        rayon: bool,
        /// Runs on another thread that is not rayon's (`std::thread::spawn(|| ..)`).
        elsewhere: bool,
    },
    Async(usize),
    Function,
}

/// The function being walked.
pub struct FunctionFrame {
    pub path: String,
    pub is_async: bool,
    pub is_test: bool,
    pub takes_mut_self: bool,
    /// Names bound `mut` (or typed `&mut`) in the function: receivers used exclusively.
    pub mut_names: HashSet<String>,
    /// Parameters and locals holding a `&mut` (typed `&mut T`, or bound to `&mut expr`):
    /// passed on as they are, they lend exclusive access without a `&mut` at the call.
    pub mut_refs: HashSet<String>,
    /// Parameters and locals that are one connection, transaction or single-writer store
    /// (by name or declared type, `rules/spawn.toml` `[serializing]`).
    pub serializing: HashSet<String>,
    /// Locals bound to a small fixed list (`let paths = if lib { LIB_PATHS } else {
    /// OTHER_PATHS };`, `let v = vec![a, b];`): a loop over one is bounded by the code.
    pub constant_locals: HashSet<String>,
    /// Locals and loop variables taken from the configuration (`let addrs =
    /// args.addrs.clone();`, `for pool in &config.pools`): configuration-sized.
    pub configured_locals: HashSet<String>,
    /// Parameter names (a spawn of a parameter hands on the caller's future).
    pub params: Vec<String>,
    /// Its parameters as positions, and the code that runs only when one is `Some`.
    pub optional_params: crate::program::optional_args::OptionalParams,
}

#[derive(Default)]
pub struct Frames {
    /// The file mentions rayon / spawning (cheap text tests by the walker's caller).
    rayon_file: bool,
    spawn_file: bool,
    /// The whole file is test code (`tests/…`, `benches/…`).
    test_file: bool,
    frames: Vec<Frame>,
    functions: Vec<FunctionFrame>,
    /// Byte ranges of `#[cfg(test)]` modules and addresses of `#[test]` fn bodies.
    test_ranges: Vec<(usize, usize)>,
    test_fn_blocks: Vec<usize>,
    /// Closure arguments about to be walked that run on rayon / on another thread.
    rayon_closures: Vec<usize>,
    elsewhere_closures: Vec<usize>,
    /// The expression whose value the innermost `.await` waits on.
    awaited: usize,
    /// Spawn calls whose result a statement discards.
    discarded: Vec<usize>,
    /// The file's `macro_rules!` whose body returns (`macro_rules! ensure_ok { .. return
    /// Err(..) .. }`), as defined so far.
    returning_macros: HashSet<String>,
}

impl Frames {
    /// The expressions `enter` and `exit` look at.
    pub const EXPRESSION_KINDS: u32 = expr_kind::CALLS
        | expr_kind::AWAIT
        | expr_kind::LOOPS
        | expr_kind::CLOSURE
        | expr_kind::ASYNC
        | expr_kind::IF
        | expr_kind::MATCH;

    /// The events that keep the frames current.
    pub const INTERESTS: u16 = interest::FUNCTIONS
        | interest::BLOCKS
        | interest::LOCALS
        | interest::EXPRESSIONS
        | interest::EXPRESSION_EXITS
        | interest::ITEMS;

    pub fn new(file: &str, text: &str) -> Frames {
        static NEEDLES: super::mentions::Needles =
            super::mentions::Needles::new(&["par_", "rayon", "spawn"]);
        let mentions = NEEDLES.scan(text);
        let file = file.replace('\\', "/");
        Frames {
            rayon_file: mentions.any_of(&[0, 1]),
            spawn_file: mentions.has(2),
            test_file: ["tests/", "benches/"]
                .iter()
                .any(|dir| file.starts_with(dir) || file.contains(&format!("/{dir}"))),
            ..Frames::default()
        }
    }

    // ----- what rules ask -----

    /// The file mentions spawning.
    pub fn spawn_file(&self) -> bool {
        self.spawn_file
    }

    /// The file mentions rayon (`par_`, `rayon`).
    pub fn rayon_file(&self) -> bool {
        self.rayon_file
    }

    /// Test code: a test file, a `#[test]` fn, or a `#[cfg(test)]` module.
    pub fn in_test(&self) -> bool {
        self.test_file || self.functions.last().is_some_and(|f| f.is_test)
    }

    /// Inside a closure that runs on the rayon pool.
    pub fn in_rayon(&self) -> bool {
        for frame in self.frames.iter().rev() {
            match frame {
                Frame::Closure { rayon: true, .. } => return true,
                Frame::Closure {
                    elsewhere: true, ..
                }
                | Frame::Async(_)
                | Frame::Function => return false,
                _ => {}
            }
        }
        false
    }

    /// The function being walked.
    pub fn function(&self) -> Option<&FunctionFrame> {
        self.functions.last()
    }

    /// The loops directly around the current node (no closure or async block in between),
    /// innermost first.
    pub fn enclosing_loops(&self) -> Vec<&LoopFrame> {
        self.frames
            .iter()
            .rev()
            .map_while(|f| match f {
                Frame::Loop(l) => Some(l),
                _ => None,
            })
            .collect()
    }

    /// The innermost loop directly around the current node (no closure or async block
    /// between), by address.
    pub fn innermost_loop(&self) -> Option<usize> {
        match self.frames.last() {
            Some(Frame::Loop(l)) => Some(l.addr),
            _ => None,
        }
    }

    /// A macro that may leave the function: `bail!`, `ensure!`, or one of the file's
    /// `macro_rules!` whose body contains `return`.
    pub fn macro_returns(&self, mac: &syn::Macro) -> bool {
        mac.path.segments.last().is_some_and(|s| {
            s.ident == "bail"
                || s.ident == "ensure"
                || self.returning_macros.contains(&s.ident.to_string())
        })
    }

    /// The expression is the operand of an `.await`.
    pub fn is_awaited(&self, expr: &Expr) -> bool {
        self.awaited == addr(expr)
    }

    /// A statement discards this call's result (`tokio::spawn(f);`, `let _ = …`).
    pub fn is_discarded(&self, expr: &Expr) -> bool {
        self.discarded.contains(&addr(expr))
    }

    /// A spawn hands on one of the function's parameters (`fn execute(&self, fut: F) {
    /// tokio::spawn(fut); }`): an executor adapter.
    pub fn spawns_parameter(&self, expr: &Expr) -> bool {
        let args = match expr {
            Expr::Call(call) => &call.args,
            Expr::MethodCall(call) => &call.args,
            _ => return false,
        };
        let Some(function) = self.functions.last() else {
            return false;
        };
        args.iter().any(|arg| {
            // `fut`, `fut.boxed()`, `fut.instrument(span)`: the parameter itself, wrapped
            // (not `server.serve()`, a future the function makes).
            let mut root = arg;
            while let Expr::MethodCall(m) = root {
                if !super::spawns::OUTPUT_PRESERVING.contains(&m.method.to_string().as_str()) {
                    return false;
                }
                root = &m.receiver;
            }
            matches!(root, Expr::Path(p) if p.path.get_ident().is_some_and(|i| {
                function.params.iter().any(|param| i == param)
            }))
        })
    }

    // ----- kept up to date by the walker -----

    /// Before the event reaches the rules.
    pub(crate) fn enter(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::ExprEnter(expr) => match expr {
                Expr::Call(call) => self.call_enter(walker, call),
                Expr::MethodCall(call) => self.method_enter(
                    call,
                    &walker.method_name(call),
                    &walker.cx.catalog.structure,
                ),
                Expr::Await(a) => self.awaited = addr(&*a.base),
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.optional_params_enter(expr);
                    self.loop_enter(expr, &walker.cx.catalog.structure)
                }
                Expr::Closure(_) => {
                    self.optional_params_enter(expr);
                    self.closure_enter(expr)
                }
                Expr::Async(_) => self.frames.push(Frame::Async(addr(*expr))),
                Expr::If(_) | Expr::Match(_) => self.optional_params_enter(expr),
                _ => {}
            },
            Event::BlockEnter(block) => self.block_enter(block),
            Event::FnEnter(info) => self.fn_enter(info, &walker.cx.catalog.structure),
            Event::Item(item) => self.item(item),
            Event::LocalBound(local) => {
                let pat = match &local.pat {
                    syn::Pat::Type(typed) => &*typed.pat,
                    other => other,
                };
                let catalog = &walker.cx.catalog.structure;
                let ty = match &local.pat {
                    syn::Pat::Type(typed) => Some(&*typed.ty),
                    _ => None,
                };
                if let Some(function) = self.functions.last_mut() {
                    let init = local.init.as_ref().map(|init| &*init.expr);
                    function.optional_params.bind_local(pat, init);
                }
                if let (syn::Pat::Ident(ident), Some(function)) = (pat, self.functions.last_mut()) {
                    let name = ident.ident.to_string();
                    if ident.mutability.is_some() {
                        function.mut_names.insert(name.clone());
                    }
                    let init_mut_ref = local.init.as_ref().is_some_and(
                        |init| matches!(&*init.expr, Expr::Reference(r) if r.mutability.is_some()),
                    );
                    if init_mut_ref || ty.is_some_and(is_mut_ref_type) {
                        function.mut_refs.insert(name.clone());
                    }
                    if let Some(init) = &local.init {
                        if is_small_constant(&init.expr) {
                            function.constant_locals.insert(name.clone());
                        }
                        if is_configured(&init.expr, catalog, &function.configured_locals) {
                            function.configured_locals.insert(name.clone());
                        }
                    }
                    let guard = local.init.as_ref().is_some_and(|i| takes_lock(&i.expr));
                    if guard || catalog.is_serializing(&name, ty) {
                        function.serializing.insert(name);
                    }
                }
            }
            _ => {}
        }
    }

    /// After the rules saw the event.
    pub(crate) fn exit(&mut self, event: &Event) {
        match event {
            Event::ExprExit(expr) => {
                if matches!(
                    expr,
                    Expr::ForLoop(_)
                        | Expr::While(_)
                        | Expr::Loop(_)
                        | Expr::Closure(_)
                        | Expr::Async(_)
                ) {
                    self.pop_frame(addr(*expr));
                }
            }
            Event::FnExit(_) => {
                self.functions.pop();
                while let Some(frame) = self.frames.pop() {
                    if matches!(frame, Frame::Function) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }

    /// The open function's `Some`-only branches and rebound parameter names.
    fn optional_params_enter(&mut self, expr: &Expr) {
        if let Some(function) = self.functions.last_mut() {
            function.optional_params.enter(expr);
        }
    }

    fn fn_enter(&mut self, info: &FunctionInfo, catalog: &StructureCatalog) {
        let parent_test = self.functions.last().is_some_and(|f| f.is_test);
        let is_test = parent_test
            || self.test_fn_blocks.contains(&addr(info.block))
            || (!self.test_ranges.is_empty() && {
                let start = crate::source::byte_range(info.block.brace_token.span.open()).start;
                self.test_ranges
                    .iter()
                    .any(|(s, e)| (*s..*e).contains(&start))
            });
        let takes_mut_self = info
            .sig
            .inputs
            .iter()
            .any(|input| matches!(input, syn::FnArg::Receiver(r) if r.mutability.is_some()));
        let mut mut_names = HashSet::default();
        let mut mut_refs = HashSet::default();
        let mut serializing = HashSet::default();
        let mut params = Vec::new();
        for input in &info.sig.inputs {
            let syn::FnArg::Typed(typed) = input else {
                continue;
            };
            if let syn::Pat::Ident(ident) = &*typed.pat {
                let name = ident.ident.to_string();
                let mut_ref = is_mut_ref_type(&typed.ty);
                if ident.mutability.is_some() || mut_ref {
                    mut_names.insert(name.clone());
                }
                if mut_ref {
                    mut_refs.insert(name.clone());
                }
                if catalog.is_serializing(&name, Some(&typed.ty)) {
                    serializing.insert(name.clone());
                }
                params.push(name);
            }
        }
        self.functions.push(FunctionFrame {
            path: info.path.clone(),
            is_async: info.sig.asyncness.is_some(),
            is_test,
            takes_mut_self,
            mut_names,
            mut_refs,
            serializing,
            constant_locals: HashSet::default(),
            configured_locals: HashSet::default(),
            params,
            optional_params: crate::program::optional_args::OptionalParams::of(info.sig),
        });
        self.frames.push(Frame::Function);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Macro(m)
                if m.mac.path.is_ident("macro_rules")
                    && super::loops::tokens_contain_ident(m.mac.tokens.clone(), "return") =>
            {
                if let Some(name) = &m.ident {
                    self.returning_macros.insert(name.to_string());
                }
            }
            Item::Fn(f) if is_test_only(&f.attrs) => self.test_fn_blocks.push(addr(&*f.block)),
            Item::Mod(m) if is_test_only(&m.attrs) => {
                if let Some((brace, _)) = &m.content {
                    let range = crate::source::byte_range(brace.span.join());
                    self.test_ranges.push((range.start, range.end));
                }
            }
            _ => {}
        }
    }

    fn block_enter(&mut self, block: &syn::Block) {
        if !self.spawn_file {
            return;
        }
        for stmt in &block.stmts {
            let discarded = match stmt {
                Stmt::Expr(expr, Some(_)) => discarded_call(expr),
                Stmt::Local(local) if matches!(local.pat, syn::Pat::Wild(_)) => {
                    local.init.as_ref().and_then(|i| discarded_call(&i.expr))
                }
                _ => None,
            };
            let Some(call) = discarded else { continue };
            let name = match call {
                Expr::Call(c) => match &*c.func {
                    Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                },
                Expr::MethodCall(m) => Some(m.method.to_string()),
                _ => None,
            };
            if name.as_deref().is_some_and(may_spawn) {
                self.discarded.push(addr(call));
            }
        }
    }

    fn loop_enter(&mut self, expr: &Expr, catalog: &StructureCatalog) {
        let Some(mut parts) = loop_parts(expr) else {
            return;
        };
        if let (Expr::ForLoop(for_loop), LoopSource::Collection, Some(function)) =
            (expr, parts.source, self.functions.last_mut())
        {
            if iterated_name(&for_loop.expr)
                .is_some_and(|name| function.constant_locals.contains(&name))
            {
                parts.source = LoopSource::SmallConstant;
            }
            if is_configured(&for_loop.expr, catalog, &function.configured_locals) {
                parts.source = LoopSource::SmallConstant;
                let mut names = Vec::new();
                pattern_idents(&for_loop.pat, &mut names);
                function.configured_locals.extend(names);
            }
        }
        let spawn = self.spawn_file.then(|| spawn_loop_facts(&parts, catalog));
        self.frames.push(Frame::Loop(LoopFrame {
            addr: addr(expr),
            keyword: parts.keyword,
            source: parts.source,
            spawn,
        }));
    }

    fn pop_frame(&mut self, expr_addr: usize) {
        let matches = match self.frames.last() {
            Some(Frame::Loop(l)) => l.addr == expr_addr,
            Some(Frame::Closure { addr: at, .. }) | Some(Frame::Async(at)) => *at == expr_addr,
            _ => false,
        };
        if matches {
            self.frames.pop();
        }
    }

    /// Mark the closure arguments of a call as running on rayon (or elsewhere).
    fn mark_closures<'e>(&mut self, args: impl Iterator<Item = &'e Expr>, rayon: bool) {
        for arg in args {
            let mut arg = arg;
            while let Expr::Paren(p) = arg {
                arg = &p.expr;
            }
            if let Expr::Closure(_) = arg {
                if rayon {
                    self.rayon_closures.push(addr(arg));
                } else {
                    self.elsewhere_closures.push(addr(arg));
                }
            }
        }
    }

    fn closure_enter(&mut self, expr: &Expr) {
        let at = addr(expr);
        let rayon = take(&mut self.rayon_closures, at);
        let elsewhere = !rayon && take(&mut self.elsewhere_closures, at);
        self.frames.push(Frame::Closure {
            addr: at,
            rayon,
            elsewhere,
        });
    }

    fn call_enter(&mut self, walker: &Walker, call: &syn::ExprCall) {
        if !self.rayon_file {
            return;
        }
        let Expr::Path(func) = &*call.func else {
            return;
        };
        let Some(name) = walker.called_name(call, func) else {
            return;
        };
        let catalog = &walker.cx.catalog.structure;
        let in_rayon = self.in_rayon();
        if !in_rayon && !catalog.function_names.contains(&*name) {
            return;
        }
        let Some(callee) = walker.resolve_callee(func) else {
            return;
        };
        if catalog.rayon_closure_functions.contains(&callee) {
            self.mark_closures(call.args.iter(), true);
        } else if in_rayon && walker.cx.catalog.is_wrapper_function(&callee) {
            self.mark_closures(call.args.iter(), false);
        }
    }

    fn method_enter(&mut self, call: &syn::ExprMethodCall, name: &str, catalog: &StructureCatalog) {
        if !self.rayon_file {
            return;
        }
        if chain_has_rayon_source(&call.receiver, catalog)
            || catalog.rayon_closure_methods.contains(name)
        {
            self.mark_closures(call.args.iter(), true);
        }
    }
}

/// A small fixed list: a literal array or `vec!`, a constant, or an `if`/`match` choosing
/// between such.
fn is_small_constant(expr: &Expr) -> bool {
    let tail = |block: &syn::Block| match block.stmts.last() {
        Some(Stmt::Expr(tail, None)) => is_small_constant(tail),
        _ => false,
    };
    match expr {
        Expr::If(i) => {
            tail(&i.then_branch)
                && i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| is_small_constant(e))
        }
        Expr::Block(b) => tail(&b.block),
        Expr::Match(m) => m.arms.iter().all(|arm| is_small_constant(&arm.body)),
        Expr::Paren(p) => is_small_constant(&p.expr),
        Expr::Reference(r) => is_small_constant(&r.expr),
        // `vec![]` is a collection about to be filled.
        Expr::Macro(m) if m.mac.tokens.is_empty() => false,
        Expr::Array(a) if a.elems.is_empty() => false,
        Expr::Array(_) | Expr::Path(_) | Expr::Macro(_) => {
            super::loops::for_source(expr) == LoopSource::SmallConstant
        }
        _ => false,
    }
}

/// A value reached from the configuration: a path, field or method chain whose root or one
/// of whose fields is a configuration name (`args.addrs`, `self.config.pools.values()`), or
/// a local already taken from one.
fn is_configured(expr: &Expr, catalog: &StructureCatalog, locals: &HashSet<String>) -> bool {
    match expr {
        Expr::Path(p) => p.path.get_ident().is_some_and(|i| {
            let name = i.to_string();
            catalog.configured_names.contains(&name)
                || catalog.is_configured_collection(&name)
                || locals.contains(&name)
        }),
        Expr::Field(f) => {
            matches!(&f.member, syn::Member::Named(n) if {
                let name = n.to_string();
                catalog.configured_names.contains(&name) || catalog.is_configured_collection(&name)
            }) || is_configured(&f.base, catalog, locals)
        }
        Expr::MethodCall(m) => is_configured(&m.receiver, catalog, locals),
        Expr::Reference(r) => is_configured(&r.expr, catalog, locals),
        Expr::Paren(p) => is_configured(&p.expr, catalog, locals),
        Expr::Try(t) => is_configured(&t.expr, catalog, locals),
        _ => false,
    }
}

/// An exclusive lock taken for what follows: `m.lock().await`, `rw.write()?`,
/// `state.locked_helper().await` (through `.await`, `?`, `unwrap`/`expect`). A loop that
/// awaits through the guard holds the lock to keep those updates in order.
fn takes_lock(expr: &Expr) -> bool {
    match expr {
        Expr::Await(a) => takes_lock(&a.base),
        Expr::Try(t) => takes_lock(&t.expr),
        Expr::Paren(p) => takes_lock(&p.expr),
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            match name.as_str() {
                "unwrap" | "expect" => takes_lock(&m.receiver),
                "lock" | "lock_owned" | "write" | "write_owned" => true,
                _ => name.starts_with("locked_") || name.starts_with("lock_"),
            }
        }
        _ => false,
    }
}

fn pattern_idents(pat: &syn::Pat, out: &mut Vec<String>) {
    match pat {
        syn::Pat::Ident(i) => out.push(i.ident.to_string()),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_idents(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_idents(p, out)),
        syn::Pat::Reference(r) => pattern_idents(&r.pat, out),
        syn::Pat::Type(t) => pattern_idents(&t.pat, out),
        _ => {}
    }
}

/// The local a `for` loop iterates: `paths`, `&paths`, `paths.iter()`.
fn iterated_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Reference(r) => iterated_name(&r.expr),
        Expr::Paren(p) => iterated_name(&p.expr),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "iter" | "into_iter" | "copied" | "cloned" | "enumerate"
            ) =>
        {
            iterated_name(&m.receiver)
        }
        _ => None,
    }
}

fn is_mut_ref_type(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Reference(r) if r.mutability.is_some())
}

/// Remove `value` from a small list of pending addresses; whether it was there.
fn take(list: &mut Vec<usize>, value: usize) -> bool {
    match list.iter().position(|v| *v == value) {
        Some(index) => {
            list.swap_remove(index);
            true
        }
        None => false,
    }
}

/// Whether a method-call chain starts from a rayon parallel iterator (`x.par_iter().map(..)`).
pub fn chain_has_rayon_source(mut expr: &Expr, catalog: &StructureCatalog) -> bool {
    loop {
        match expr {
            Expr::MethodCall(call) => {
                if catalog.rayon_sources.contains(&call.method.to_string()) {
                    return true;
                }
                expr = &call.receiver;
            }
            Expr::Try(t) => expr = &t.expr,
            Expr::Paren(p) => expr = &p.expr,
            _ => return false,
        }
    }
}
