//! `StructureChecker`: the compute and structure rules fed by the one walk. It keeps a stack
//! of the constructs that matter to them — loops, closures (and which of them run on the
//! rayon pool), async blocks, functions — and hands each interesting node to its rule.

use crate::catalog::structure::StructureCatalog;
use crate::diagnostic::Diagnostic;
use crate::program::CpuHeavyFn;
use crate::program::FileAnalysis;
use crate::rules::{
    busy_wait, cpu_heavy_in_async, detached_spawn, io_in_rayon, sequential_await_in_loop,
    unbounded_channel, unbounded_spawn,
};
use crate::semantic::attrs::is_test_only;
use crate::semantic::events::{Checker, Event, FunctionInfo};
use crate::semantic::loops::{cpu_loop_reason, loop_parts, scan_loop, LoopSource};
use crate::semantic::spawns::{discarded_call, may_spawn, spawn_loop_facts, SpawnLoopFacts};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;
use proc_macro2::Span;
use std::collections::HashSet;
use syn::{Expr, Item, Stmt};

fn addr<T>(value: &T) -> usize {
    value as *const T as usize
}

/// Blocking-catalog categories that are I/O (or sleeping) rather than synchronization.
const IO_CATEGORIES: &[&str] = &[
    "fs", "file", "net", "dns", "http", "db", "process", "stdin", "sleep",
];

/// What the file's text can contain at all (cheap substring tests decide which parts run).
struct FileInterest {
    rayon: bool,
    spawn: bool,
    channel: bool,
    sleep: bool,
    /// The whole file is test code (`tests/…`).
    test_file: bool,
}

struct LoopFrame {
    addr: usize,
    keyword: Span,
    source: LoopSource,
    /// Reported (or recorded) as a CPU loop: loops inside it are not looked at again.
    cpu_reported: bool,
    spawn: Option<SpawnLoopFacts>,
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

struct FunctionState {
    path: String,
    is_async: bool,
    is_test: bool,
    takes_mut_self: bool,
    /// Names bound `mut` (or typed `&mut`) in the function: receivers used exclusively.
    mut_names: HashSet<String>,
    /// Parameter names (a spawn of a parameter hands on the caller's future).
    params: Vec<String>,
    /// A CPU-heavy fact was recorded for it already.
    recorded: bool,
}

pub struct StructureChecker {
    catalog: &'static StructureCatalog,
    interest: FileInterest,
    frames: Vec<Frame>,
    functions: Vec<FunctionState>,
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
    diagnostics: Vec<Diagnostic>,
    cpu_heavy: Vec<CpuHeavyFn>,
}

impl StructureChecker {
    pub fn new(cx: &FileContext) -> StructureChecker {
        static NEEDLES: crate::semantic::mentions::Needles =
            crate::semantic::mentions::Needles::new(&[
                "par_",
                "rayon",
                "spawn",
                "channel",
                "unbounded",
                "sleep",
                "Timer",
            ]);
        let mentions = NEEDLES.scan(cx.text);
        let file = cx.file.replace('\\', "/");
        StructureChecker {
            catalog: StructureCatalog::get(),
            interest: FileInterest {
                rayon: mentions.any_of(&[0, 1]),
                spawn: mentions.has(2),
                channel: mentions.any_of(&[3, 4]),
                sleep: mentions.any_of(&[5, 6]),
                test_file: ["tests/", "benches/"]
                    .iter()
                    .any(|dir| file.starts_with(dir) || file.contains(&format!("/{dir}"))),
            },
            frames: Vec::new(),
            functions: Vec::new(),
            test_ranges: Vec::new(),
            test_fn_blocks: Vec::new(),
            rayon_closures: Vec::new(),
            elsewhere_closures: Vec::new(),
            awaited: 0,
            discarded: Vec::new(),
            diagnostics: Vec::new(),
            cpu_heavy: Vec::new(),
        }
    }

    fn in_test(&self) -> bool {
        self.interest.test_file || self.functions.last().is_some_and(|f| f.is_test)
    }

    /// Inside a closure that runs on the rayon pool.
    fn in_rayon(&self) -> bool {
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

    fn inside_cpu_loop(&self) -> bool {
        self.frames
            .iter()
            .any(|f| matches!(f, Frame::Loop(l) if l.cpu_reported))
    }

    /// Where async-context compute rules apply: on the executor, not on rayon, not in tests.
    fn on_executor(&self, walker: &Walker) -> bool {
        walker.in_async() && !self.in_rayon() && !self.in_test()
    }

    /// Whether the current function still wants a CPU-heavy fact from code at this point
    /// (code that runs when the function runs, on its thread).
    fn wants_fact(&self, walker: &Walker) -> bool {
        self.functions.last().is_some_and(|f| {
            !f.recorded
                && walker.in_async() == f.is_async
                && !walker.in_insulated_closure()
                && !self.in_rayon()
        })
    }

    /// Record the function's CPU-heavy fact. A loop is recorded only when nothing else is;
    /// a CPU-heavy API call replaces an earlier loop fact (the stronger evidence).
    fn record_fact(&mut self, location: &Location, what: String, from_loop: bool) {
        let Some(function) = self.functions.last_mut() else {
            return;
        };
        let fact = CpuHeavyFn {
            function: function.path.clone(),
            is_async: function.is_async,
            location: location.clone(),
            what,
            from_loop,
        };
        if function.recorded {
            if let Some(previous) = self
                .cpu_heavy
                .iter_mut()
                .rev()
                .find(|f| f.function == fact.function)
            {
                if previous.from_loop && !from_loop {
                    *previous = fact;
                }
            }
            return;
        }
        function.recorded = true;
        self.cpu_heavy.push(fact);
    }

    /// A call to a CPU-heavy API: a finding on the executor, and the function's fact.
    fn cpu_heavy_api(
        &mut self,
        walker: &Walker,
        primary: Location,
        api: &crate::catalog::structure::ComputeApi,
    ) {
        if self.on_executor(walker) {
            self.diagnostics.push(cpu_heavy_in_async::api_diagnostic(
                walker,
                primary.clone(),
                api,
            ));
        }
        if self.wants_fact(walker) {
            self.record_fact(&primary, api.what.clone(), false);
        }
    }

    fn fn_enter(&mut self, info: &FunctionInfo) {
        let parent_test = self.functions.last().is_some_and(|f| f.is_test);
        let is_test = parent_test
            || self.test_fn_blocks.contains(&addr(info.block))
            || (!self.test_ranges.is_empty() && {
                let start = info.block.brace_token.span.open().byte_range().start;
                self.test_ranges
                    .iter()
                    .any(|(s, e)| (*s..*e).contains(&start))
            });
        let takes_mut_self = info
            .sig
            .inputs
            .iter()
            .any(|input| matches!(input, syn::FnArg::Receiver(r) if r.mutability.is_some()));
        let mut mut_names = HashSet::new();
        let mut params = Vec::new();
        for input in &info.sig.inputs {
            let syn::FnArg::Typed(typed) = input else {
                continue;
            };
            if let syn::Pat::Ident(ident) = &*typed.pat {
                let name = ident.ident.to_string();
                let mut_ref =
                    matches!(&*typed.ty, syn::Type::Reference(r) if r.mutability.is_some());
                if ident.mutability.is_some() || mut_ref {
                    mut_names.insert(name.clone());
                }
                params.push(name);
            }
        }
        self.functions.push(FunctionState {
            path: info.path.clone(),
            is_async: info.sig.asyncness.is_some(),
            is_test,
            takes_mut_self,
            mut_names,
            params,
            recorded: false,
        });
        self.frames.push(Frame::Function);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Fn(f) if is_test_only(&f.attrs) => self.test_fn_blocks.push(addr(&*f.block)),
            Item::Mod(m) if is_test_only(&m.attrs) => {
                if let Some((brace, _)) = &m.content {
                    let span = brace.span.join();
                    let range = span.byte_range();
                    self.test_ranges.push((range.start, range.end));
                }
            }
            _ => {}
        }
    }

    fn block_enter(&mut self, block: &syn::Block) {
        if !self.interest.spawn {
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

    fn loop_enter(&mut self, walker: &Walker, expr: &Expr) {
        let Some(parts) = loop_parts(expr) else {
            return;
        };
        let mut frame = LoopFrame {
            addr: addr(expr),
            keyword: parts.keyword,
            source: parts.source,
            cpu_reported: false,
            spawn: None,
        };
        let report_cpu = self.on_executor(walker) && !self.inside_cpu_loop();
        let want_fact = self.wants_fact(walker);
        if (report_cpu || want_fact) && parts.source.grows() {
            let scan = scan_loop(&parts);
            if let Some(reason) = cpu_loop_reason(&parts, &scan) {
                let location = Location::from_span(parts.keyword);
                if report_cpu {
                    frame.cpu_reported = true;
                    self.diagnostics.push(cpu_heavy_in_async::loop_diagnostic(
                        walker,
                        location.clone(),
                        &reason,
                    ));
                }
                if want_fact {
                    self.record_fact(&location, reason, true);
                }
            }
        }
        if self.interest.spawn {
            frame.spawn = Some(spawn_loop_facts(&parts, self.catalog));
        }
        if !self.in_test() && !self.in_rayon() {
            if let Expr::ForLoop(for_loop) = expr {
                if walker.can_await_here() {
                    if let Some(function) = self.functions.last() {
                        let exclusive = sequential_await_in_loop::Exclusive {
                            takes_mut_self: function.takes_mut_self,
                            mut_names: &function.mut_names,
                        };
                        if let Some(d) =
                            sequential_await_in_loop::check(walker, for_loop, &exclusive)
                        {
                            self.diagnostics.push(d);
                        }
                    }
                }
            }
            if self.interest.sleep {
                if let Some(d) = busy_wait::check(walker, expr, &parts) {
                    self.diagnostics.push(d);
                }
            }
        }
        self.frames.push(Frame::Loop(frame));
    }

    fn pop_frame(&mut self, expr_addr: usize) {
        let matches = match self.frames.last() {
            Some(Frame::Loop(l)) => l.addr == expr_addr,
            Some(Frame::Closure { addr, .. }) | Some(Frame::Async(addr)) => *addr == expr_addr,
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

    fn call_enter(&mut self, walker: &Walker, expr: &Expr, call: &syn::ExprCall) {
        let Expr::Path(func) = &*call.func else {
            return;
        };
        let Some(last) = func.path.segments.last() else {
            return;
        };
        let in_rayon = self.interest.rayon && self.in_rayon();
        let name = last.ident.to_string();
        if !in_rayon && !self.catalog.function_names.contains(&name) {
            return;
        }
        let Some(callee) = walker.resolve_callee(func) else {
            return;
        };
        let awaited = self.awaited == addr(expr);
        let primary = || Location::of_expr(&call.func);
        if let Some(api) = self.catalog.compute_function(&callee) {
            if !awaited {
                self.cpu_heavy_api(walker, primary(), api);
            }
        }
        if self.interest.rayon {
            if self.catalog.rayon_closure_functions.contains(&callee) {
                self.mark_closures(call.args.iter(), true);
            } else if in_rayon && walker.cx.catalog.is_wrapper_function(&callee) {
                self.mark_closures(call.args.iter(), false);
            }
            if in_rayon && !self.in_test() {
                if let Some(api) = walker.cx.catalog.blocking_function(&callee) {
                    if IO_CATEGORIES.contains(&api.category.as_str()) {
                        let d = io_in_rayon::diagnostic(walker, primary(), &api.display);
                        self.diagnostics.push(d);
                    }
                }
            }
        }
        if self.interest.spawn && may_spawn(&name) {
            if let Some(api) = self.catalog.spawner(&callee) {
                let api = api.clone();
                self.spawn_found(walker, expr, primary(), &api);
            }
        }
        if self.interest.channel && !self.in_test() {
            if let Some(channel) = self.catalog.unbounded_channel(&callee) {
                let d = unbounded_channel::diagnostic(walker, primary(), channel);
                self.diagnostics.push(d);
            }
        }
    }

    fn method_enter(&mut self, walker: &Walker, expr: &Expr, call: &syn::ExprMethodCall) {
        let name = call.method.to_string();
        let primary = || Location::from_span(call.method.span());
        let awaited = self.awaited == addr(expr);
        if self.interest.rayon {
            self.rayon_method(walker, call, &name, primary());
        }
        if !awaited && self.catalog.has_compute_method_name(&name) {
            let env = walker.type_env();
            let receiver = env.type_of(&call.receiver);
            let resolver = env.resolver;
            if let Some(api) = self
                .catalog
                .compute_method(receiver.as_deref(), &name, &|t| resolver.is_imported(t))
            {
                self.cpu_heavy_api(walker, primary(), api);
            }
        }
        if self.interest.spawn && may_spawn(&name) {
            if let Some(receiver) = walker.type_env().type_of(&call.receiver) {
                if let Some(api) = self.catalog.spawner_method(&receiver, &name) {
                    let api = api.clone();
                    self.spawn_found(walker, expr, primary(), &api);
                }
            }
        }
    }

    fn rayon_method(
        &mut self,
        walker: &Walker,
        call: &syn::ExprMethodCall,
        name: &str,
        primary: Location,
    ) {
        let catalog = self.catalog;
        let after_source = chain_has_source(&call.receiver, catalog);
        if after_source || catalog.rayon_closure_methods.contains(name) {
            self.mark_closures(call.args.iter(), true);
        }
        let drives = (after_source && catalog.rayon_consumers.contains(name))
            || catalog.rayon_blocking_methods.contains(name);
        if drives {
            let what = format!("a rayon parallel iterator driven to completion by `{name}`");
            if self.on_executor(walker) && !self.inside_cpu_loop() {
                self.diagnostics.push(cpu_heavy_in_async::rayon_diagnostic(
                    walker,
                    primary.clone(),
                    name,
                ));
            }
            if self.wants_fact(walker) {
                self.record_fact(&primary, what, false);
            }
        }
        if self.in_rayon() && !self.in_test() {
            let env = walker.type_env();
            let receiver = env.type_of(&call.receiver);
            let resolver = env.resolver;
            if let Some(api) = walker
                .cx
                .catalog
                .blocking_method(receiver.as_deref(), name, &|t| resolver.is_imported(t))
            {
                if IO_CATEGORIES.contains(&api.category.as_str()) {
                    let d = io_in_rayon::diagnostic(walker, primary, &api.display);
                    self.diagnostics.push(d);
                }
            }
        }
    }

    fn spawn_found(
        &mut self,
        walker: &Walker,
        expr: &Expr,
        primary: Location,
        api: &crate::catalog::structure::SpawnApi,
    ) {
        let discarded = take(&mut self.discarded, addr(expr));
        if self.in_test() {
            return;
        }
        if discarded
            && api.detach == crate::catalog::structure::DropBehavior::Drop
            && !self.spawns_parameter(expr)
        {
            self.diagnostics
                .push(detached_spawn::diagnostic(walker, primary.clone(), api));
        }
        if api.kind == crate::catalog::structure::SpawnKind::Blocking {
            return;
        }
        // The loops directly around the spawn (no closure or async block in between).
        let loops: Vec<&LoopFrame> = self
            .frames
            .iter()
            .rev()
            .map_while(|f| match f {
                Frame::Loop(l) => Some(l),
                _ => None,
            })
            .collect();
        let Some(outermost) = loops.last() else {
            return;
        };
        let limited = outermost.spawn.is_some_and(|s| s.limited);
        let input_loop = loops.iter().find(|l| l.spawn.is_some_and(|s| s.over_input));
        if let (false, Some(input_loop)) = (limited, input_loop) {
            let keyword = Location::from_span(input_loop.keyword);
            let d = unbounded_spawn::diagnostic(walker, primary, keyword, input_loop.source, api);
            self.diagnostics.push(d);
        }
    }
}

impl StructureChecker {
    /// `fn execute(&self, fut: F) { tokio::spawn(fut); }`: an executor adapter spawns what
    /// its caller hands it; whether to keep a handle is the caller's decision.
    fn spawns_parameter(&self, expr: &Expr) -> bool {
        let args = match expr {
            Expr::Call(call) => &call.args,
            Expr::MethodCall(call) => &call.args,
            _ => return false,
        };
        let Some(function) = self.functions.last() else {
            return false;
        };
        args.iter().any(|arg| {
            let mut root = arg;
            while let Expr::MethodCall(m) = root {
                root = &m.receiver;
            }
            matches!(root, Expr::Path(p) if p.path.get_ident().is_some_and(|i| {
                function.params.iter().any(|param| i == param)
            }))
        })
    }
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
fn chain_has_source(mut expr: &Expr, catalog: &StructureCatalog) -> bool {
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

impl Checker for StructureChecker {
    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::ExprEnter(expr) => match expr {
                Expr::Call(call) => self.call_enter(walker, expr, call),
                Expr::MethodCall(call) => self.method_enter(walker, expr, call),
                Expr::Await(a) => self.awaited = addr(&*a.base),
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => self.loop_enter(walker, expr),
                Expr::Closure(_) => self.closure_enter(expr),
                Expr::Async(_) => self.frames.push(Frame::Async(addr(*expr))),
                _ => {}
            },
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
            Event::BlockEnter(block) => self.block_enter(block),
            Event::FnEnter(info) => self.fn_enter(info),
            Event::FnExit(_) => {
                self.functions.pop();
                while let Some(frame) = self.frames.pop() {
                    if matches!(frame, Frame::Function) {
                        break;
                    }
                }
            }
            Event::Item(item) => self.item(item),
            Event::LocalBound(local) => {
                let pat = match &local.pat {
                    syn::Pat::Type(typed) => &*typed.pat,
                    other => other,
                };
                if let (syn::Pat::Ident(ident), Some(function)) = (pat, self.functions.last_mut()) {
                    if ident.mutability.is_some() {
                        function.mut_names.insert(ident.ident.to_string());
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.diagnostics.extend(self.diagnostics);
        out.facts.cpu_heavy.extend(self.cpu_heavy);
    }
}
