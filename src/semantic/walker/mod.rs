//! The one walk over a file. It tracks the semantic state every rule needs — names in scope,
//! local bindings and their types, whether code runs on the async executor — and hands each
//! call to the rules (ruff's `Checker`, rust-analyzer's inline-fixture spirit).

mod insulation;
mod macros;
mod walk;

use insulation::InsulatedNameFinder;

use super::attrs::{cfg_attr_allows, cfg_attr_paths, is_test_only, path_attribute};
use super::bindings::{bind_pattern, Bindings, StructFields, TypeEnv};
use super::events::interest::{EXPRESSIONS, EXPRESSION_EXITS};
use super::events::{expr_kind, Checker, Event, FunctionInfo};
use super::frames::Frames;
use super::guards::tracker::GuardTracker;
use super::types::{self, items::ItemFacts, Ty};
use crate::catalog::{Catalog, Runtime};
use crate::program::FileAnalysis;
use crate::semantic::resolve::{Resolver, Scope};
use crate::source::Location;
use proc_macro2::Span;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Item, Stmt, Token};

/// What the walk needs to know about the file being linted.
pub struct FileContext<'a> {
    /// The file's path as shown in findings.
    pub file: &'a str,
    pub text: &'a str,
    pub runtime: Runtime,
    pub catalog: &'a Catalog,
    pub include_tests: bool,
    /// The crate's edition (`2015` … `2024`): temporaries' lifetimes depend on it.
    pub edition: &'a str,
    /// The other workspace crates this crate may name (cargo mode: its path dependencies
    /// that are workspace members, and its package's lib for a bin), `-` as `_`.
    pub local_crates: &'a [String],
}

impl FileContext<'_> {
    /// A path of the workspace: `crate::…` or a member crate's.
    pub fn is_local_path(&self, path: &str) -> bool {
        super::bindings::is_local_path(path, self.local_crates)
    }
}

/// The kinds of async header (`Exec::Async::what`).
pub const ASYNC_FN: &str = "async fn";
pub const ASYNC_BLOCK: &str = "async block";
pub const ASYNC_CLOSURE: &str = "async closure";
pub const ASYNC_HEADER_KINDS: [&str; 3] = [ASYNC_FN, ASYNC_BLOCK, ASYNC_CLOSURE];

/// Where code runs.
#[derive(Debug, Clone)]
pub enum Exec {
    /// Plain synchronous code (a `fn` body).
    Sync,
    /// On the async executor: an `async fn`, block or closure, whose header is `header`.
    Async {
        header: Location,
        what: &'static str,
    },
    /// Inside a closure handed to an insulating wrapper (`spawn_blocking`, `thread::spawn`).
    Insulated,
}

#[derive(Debug, Clone)]
struct ExecFrame {
    exec: Exec,
    /// Reached through a non-async closure (so `.await` cannot be written here).
    in_sync_closure: bool,
}

/// A `mod name;` declaration whose file the driver should lint next.
#[derive(Debug, Clone)]
pub struct ModDecl {
    pub name: String,
    pub path_attribute: Option<String>,
    /// Names of the inline modules enclosing the declaration (`mod a { mod b; }` → ["a"]).
    pub inline_parents: Vec<String>,
    pub module_path: String,
    /// The `mod` item (a missing file is reported there, as rustc's E0583).
    pub location: Location,
    /// Under `#[cfg(..)]`: its file may legitimately be missing (another platform's).
    pub cfg_gated: bool,
    /// An item-position `include!("file.rs")`: the file's items are this module's
    /// (`module_path` is the including module's), its path is relative to the including
    /// file's directory (`path_attribute`).
    pub included: bool,
}

/// A suppression range from an item's attributes or the item's extent.
#[derive(Debug, Clone)]
pub struct ItemExtent {
    pub first_line: usize,
    pub last_line: usize,
    pub allowed_rules: Vec<String>,
}

/// A call that a rule may report: where it is and what its text looks like.
#[derive(Clone)]
pub struct CallSite {
    /// The primary location: the callee path, or the method name.
    pub primary: Location,
    /// The whole call expression (for suggestions that rewrite it).
    pub whole: Location,
    /// The source text of the receiver (method calls only).
    pub receiver_text: Option<String>,
    /// The source text between the parentheses.
    pub args_text: String,
    pub arg_count: usize,
    /// The single argument is a simple expression that `.await` can follow directly.
    pub arg_is_postfix_safe: bool,
    /// The source text of the single argument, if there is exactly one.
    pub single_arg_text: Option<String>,
    /// A function named, not called (`map(fs::read)`): no rewrite is suggested.
    pub is_reference: bool,
}

pub struct Walker<'a> {
    pub cx: &'a FileContext<'a>,
    resolver: Resolver,
    bindings: Bindings,
    struct_fields: StructFields,
    /// The file's statics and consts by path (their declared types).
    values: HashMap<String, Ty>,
    /// The file's items as types, for the workspace's item index.
    items: ItemFacts,
    /// Generic parameters of the enclosing `impl` and `fn` with usable bounds.
    generics: Vec<(String, Ty)>,
    /// A closure about to be walked whose first parameter's type is known
    /// (`users.iter().map(|u| ..)`): its address and that type.
    closure_param: Option<(usize, Ty)>,
    self_types: Vec<Option<String>>,
    /// The trait of each enclosing `impl` block (None: an inherent impl), as written (its
    /// last segment), and whether it is the workspace's own.
    impl_traits: Vec<Option<(String, bool)>>,
    exec: Vec<ExecFrame>,
    /// Names of local closures later passed to an insulating wrapper, per async body.
    insulated_names: Vec<HashSet<String>>,
    /// Names of locals awaited later in the async body (`fut.await`, `join!(a, fut)`).
    awaited_names: Vec<HashSet<String>>,
    /// Address of the call whose future is bound to a local awaited later.
    awaited_later_call: usize,
    /// Address of the closure expression about to be visited as insulated.
    insulated_closure: usize,
    /// Address of the call expression whose result is directly `.await`ed.
    awaited_call: usize,
    inline_mods: Vec<String>,
    pub mod_decls: Vec<ModDecl>,
    pub item_extents: Vec<ItemExtent>,
    /// The doc comments the parse skipped: items' extents start at them.
    pub doc_lines: crate::parse::DocLines,
    checkers: Vec<Box<dyn Checker>>,
    /// For each interest bit, the checkers that have it (in the order of `checkers`).
    checkers_by_kind: [Vec<usize>; 16],
    /// Loops, closures, functions and test code around the current node. Boxed, with an
    /// empty spare to stand in while an event updates them (a swap of two pointers).
    frames: Box<Frames>,
    spare_frames: Option<Box<Frames>>,
    /// Guard liveness and value origins (files that mention locks or atomics); boxed, so
    /// taking it out for an event moves a pointer.
    guards: Option<Box<GuardTracker<'a>>>,
    /// The union of the checkers' interests.
    checker_interests: u16,
    /// The expressions whose events anyone looks at: the checkers that want expression
    /// events, the frames, and the guard tracking (every expression).
    expression_kinds: u32,
    /// Each checker's `expression_kinds` (in the order of `checkers`).
    checker_expression_kinds: Vec<u32>,
    /// Macro bodies being walked that were themselves parsed out of a macro body.
    macro_depth: usize,
    /// The method name of the method call being entered, or the last segment of the
    /// called path, by the call's address: rules ask for it once each, and an
    /// identifier's text is a formatted copy every time.
    call_name: (usize, String),
}

/// How many macro calls inside macro calls have their bodies parsed: each level's parse
/// re-reads every token below it (syn flattens a body into a buffer), so a limit keeps
/// deeply nested `join!(join!(…))` linear; code nested deeper in macros is opaque.
const MAX_MACRO_DEPTH: usize = 8;

fn addr<T>(value: &T) -> usize {
    value as *const T as usize
}

fn line_of(span: Span) -> usize {
    span.start().line
}

/// Whether `expr.await` parses as intended without parentheses.
fn is_postfix_safe(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Path(_)
            | Expr::Call(_)
            | Expr::MethodCall(_)
            | Expr::Field(_)
            | Expr::Paren(_)
            | Expr::Async(_)
            | Expr::Block(_)
            | Expr::Macro(_)
            | Expr::Index(_)
            | Expr::Try(_)
            | Expr::Await(_)
    )
}

/// The non-async closure an argument evaluates to: `move || …`, `(…)`,
/// `{ let p = p.clone(); move || … }`, `Box::new(move || …)`.
fn as_sync_closure(expr: &Expr) -> Option<&syn::ExprClosure> {
    match expr {
        Expr::Closure(closure) if closure.asyncness.is_none() => Some(closure),
        Expr::Paren(paren) => as_sync_closure(&paren.expr),
        Expr::Block(block) => match block.block.stmts.last() {
            Some(Stmt::Expr(tail, None)) => as_sync_closure(tail),
            _ => None,
        },
        Expr::Call(call) if call.args.len() == 1 => match &*call.func {
            Expr::Path(p)
                if p.path.segments.len() >= 2
                    && p.path
                        .segments
                        .iter()
                        .rev()
                        .nth(1)
                        .is_some_and(|s| s.ident == "Box")
                    && p.path.segments.last().is_some_and(|s| s.ident == "new") =>
            {
                call.args.first().and_then(as_sync_closure)
            }
            _ => None,
        },
        _ => None,
    }
}

impl<'a> Walker<'a> {
    pub fn new(cx: &'a FileContext<'a>, checkers: Vec<Box<dyn Checker>>) -> Walker<'a> {
        let guards = GuardTracker::for_file(cx).map(Box::new);
        Walker {
            cx,
            resolver: Resolver::new(cx.local_crates),
            bindings: Bindings::default(),
            struct_fields: StructFields::default(),
            values: HashMap::default(),
            items: ItemFacts::default(),
            generics: Vec::new(),
            closure_param: None,
            self_types: Vec::new(),
            impl_traits: Vec::new(),
            exec: vec![ExecFrame {
                exec: Exec::Sync,
                in_sync_closure: false,
            }],
            insulated_names: Vec::new(),
            awaited_names: Vec::new(),
            awaited_later_call: 0,
            insulated_closure: 0,
            awaited_call: 0,
            inline_mods: Vec::new(),
            mod_decls: Vec::new(),
            item_extents: Vec::new(),
            doc_lines: Default::default(),
            frames: Box::new(Frames::new(cx.file, cx.text)),
            spare_frames: Some(Box::default()),
            checker_interests: checkers.iter().fold(
                Frames::INTERESTS | guards.as_ref().map_or(0, |_| GuardTracker::INTERESTS),
                |all, c| all | c.interests(),
            ),
            expression_kinds: if guards.is_some() {
                expr_kind::ALL
            } else {
                checkers
                    .iter()
                    .filter(|c| c.interests() & (EXPRESSIONS | EXPRESSION_EXITS) != 0)
                    .fold(Frames::EXPRESSION_KINDS, |all, c| {
                        all | c.expression_kinds()
                    })
            },
            checker_expression_kinds: checkers.iter().map(|c| c.expression_kinds()).collect(),
            guards,
            checkers_by_kind: std::array::from_fn(|bit| {
                (0..checkers.len())
                    .filter(|&i| checkers[i].interests() & (1 << bit) != 0)
                    .collect()
            }),
            checkers,
            macro_depth: 0,
            call_name: (0, String::new()),
        }
    }

    /// The file's results, with every checker's findings and facts.
    pub fn finish(mut self) -> FileAnalysis {
        let mut out = FileAnalysis {
            diagnostics: Vec::new(),
            mod_decls: std::mem::take(&mut self.mod_decls),
            item_extents: std::mem::take(&mut self.item_extents),
            parsed: true,
            facts: Default::default(),
        };
        out.facts.items = std::mem::take(&mut self.items);
        if let Some(tracker) = &mut self.guards {
            out.facts.locks = tracker.finish();
            self.guard_changes();
        }
        for checker in std::mem::take(&mut self.checkers) {
            checker.finish(&mut out);
        }
        out
    }

    /// Hand an event to every checker.
    fn emit(&mut self, event: Event) {
        if self.checkers.is_empty() {
            return;
        }
        let kind = event.kind();
        if self.checker_interests & kind == 0 {
            return;
        }
        let spare = self.spare_frames.take().unwrap_or_default();
        let mut frames = std::mem::replace(&mut self.frames, spare);
        frames.enter(self, &event);
        self.spare_frames = Some(std::mem::replace(&mut self.frames, frames));
        let mut guards = self.guards.take();
        if let Some(tracker) = &mut guards {
            tracker.observe(self, &event);
        }
        self.guards = guards;
        self.dispatch(&event);
        self.guard_changes();
        self.frames.exit(&event);
    }

    fn dispatch(&mut self, event: &Event) {
        let kind = event.kind().trailing_zeros() as usize;
        let expression = match event {
            Event::ExprEnter(expr) | Event::ExprExit(expr) => expr_kind::of(expr),
            _ => expr_kind::ALL,
        };
        let mut checkers = std::mem::take(&mut self.checkers);
        for &index in &self.checkers_by_kind[kind] {
            if self.checker_expression_kinds[index] & expression != 0 {
                checkers[index].on(self, event);
            }
        }
        self.checkers = checkers;
    }

    /// Whether anyone looks at the events of this expression (`expression_kinds`).
    fn wants_expression(&self, expr: &Expr) -> bool {
        self.expression_kinds & expr_kind::of(expr) != 0
    }

    /// Hand the guards that the last event acquired or released, and the bodies it closed,
    /// to the rules.
    fn guard_changes(&mut self) {
        let Some(tracker) = &mut self.guards else {
            return;
        };
        let acquired = tracker.just_acquired().cloned();
        let (released, closed) = tracker.take_changes();
        if let Some(guard) = &acquired {
            self.dispatch(&Event::GuardAcquired(guard));
        }
        for guard in &released {
            self.dispatch(&Event::GuardReleased(guard));
        }
        for (body, uses_rmw) in closed {
            self.dispatch(&Event::BodyClosed { body, uses_rmw });
        }
    }

    /// Guard liveness and value origins, in files that mention locks or atomics.
    pub fn guards(&self) -> Option<&GuardTracker<'a>> {
        self.guards.as_deref()
    }

    /// The name of a method call's method; no copy while that call's events are out.
    pub fn method_name(&self, call: &syn::ExprMethodCall) -> std::borrow::Cow<'_, str> {
        match self.entered_call_name(addr(call)) {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(call.method.to_string()),
        }
    }

    /// The last segment of a called path (`spawn` in `tokio::spawn(..)`); no copy while
    /// that call's events are out.
    pub fn called_name<'s>(
        &'s self,
        call: &syn::ExprCall,
        func: &syn::ExprPath,
    ) -> Option<std::borrow::Cow<'s, str>> {
        match self.entered_call_name(addr(call)) {
            Some(name) => Some(std::borrow::Cow::Borrowed(name)),
            None => Some(std::borrow::Cow::Owned(
                func.path.segments.last()?.ident.to_string(),
            )),
        }
    }

    fn entered_call_name(&self, at: usize) -> Option<&str> {
        (self.call_name.0 == at).then_some(self.call_name.1.as_str())
    }

    /// Forget the call's name once the call is left: its node may be a macro argument's,
    /// freed after the walk, and another node parsed later could take its address.
    fn exit_call(&mut self, expr: &Expr) {
        let at = match expr {
            Expr::MethodCall(call) => addr(call),
            Expr::Call(call) => addr(call),
            _ => return,
        };
        if self.call_name.0 == at {
            self.call_name.0 = 0;
        }
    }

    /// Note the call or method call being entered (see `method_name`, `called_name`).
    fn enter_call(&mut self, expr: &Expr) {
        use std::fmt::Write;
        let (at, ident) = match expr {
            Expr::MethodCall(call) => (addr(call), &call.method),
            Expr::Call(call) => match &*call.func {
                Expr::Path(func) => match func.path.segments.last() {
                    Some(last) => (addr(call), &last.ident),
                    None => return,
                },
                _ => return,
            },
            _ => return,
        };
        let (cached, name) = &mut self.call_name;
        *cached = at;
        name.clear();
        let _ = write!(name, "{ident}");
    }

    /// Loops, closures, functions and test code around the current node.
    pub fn frames(&self) -> &Frames {
        &self.frames
    }

    pub fn walk_file(&mut self, file: &syn::File, module_path: &str) {
        self.enter_module(&file.items, module_path.to_string());
        for item in &file.items {
            self.visit_item(item);
        }
        self.resolver.exit_module();
    }

    fn enter_module(&mut self, items: &[Item], module_path: String) {
        let scope = Scope::of_items(items, &module_path);
        self.resolver.enter_module(module_path, scope);
        let first_field = self.items.fields.len();
        let first_value = self.items.values.len();
        types::items::collect(
            items,
            self.resolver.module_path(),
            &self.resolver,
            self.cx.catalog,
            &mut self.items,
        );
        for (owner, name, ty) in &self.items.fields[first_field..] {
            self.struct_fields
                .entry(owner.clone())
                .or_default()
                .insert(name.clone(), ty.clone());
        }
        for (path, ty) in &self.items.values[first_value..] {
            self.values.insert(path.clone(), ty.clone());
        }
    }

    fn skip_item(&self, attrs: &[syn::Attribute]) -> bool {
        !self.cx.include_tests && is_test_only(attrs)
    }

    fn record_extent(&mut self, attrs: &[syn::Attribute], start: Span, end: Span) {
        let first_line = attrs
            .first()
            .map(|a| line_of(a.pound_token.span))
            .unwrap_or_else(|| line_of(start))
            .min(line_of(start));
        let first_line = self.doc_lines.first_line(first_line);
        self.item_extents.push(ItemExtent {
            first_line,
            last_line: end.end().line,
            allowed_rules: cfg_attr_allows(attrs),
        });
    }

    // ----- what rules ask -----

    /// The innermost execution context.
    pub fn exec(&self) -> &Exec {
        &self.exec.last().expect("exec stack never empty").exec
    }

    pub fn in_async(&self) -> bool {
        matches!(self.exec(), Exec::Async { .. })
    }

    /// In async context and directly in the async body (`.await` can be written here).
    pub fn can_await_here(&self) -> bool {
        self.exec.last().is_some_and(|f| !f.in_sync_closure) && self.in_async()
    }

    pub fn runtime(&self) -> Runtime {
        self.cx.runtime
    }

    /// Typing and name resolution at the current point of the walk.
    pub fn type_env(&self) -> TypeEnv<'_> {
        TypeEnv {
            resolver: &self.resolver,
            bindings: &self.bindings,
            catalog: self.cx.catalog,
            struct_fields: &self.struct_fields,
            values: &self.values,
            self_type: self.self_types.last().and_then(|t| t.as_deref()),
            generics: &self.generics,
            local_crates: self.cx.local_crates,
            depth: std::cell::Cell::new(0),
        }
    }

    /// A struct of this file, whose fields the walk knows.
    pub fn knows_struct(&self, path: &str) -> bool {
        self.struct_fields.contains_key(path)
    }

    /// The fully qualified path a callee names, or None when it is a local variable.
    pub fn resolve_callee(&self, path: &syn::ExprPath) -> Option<String> {
        if path.qself.is_some() {
            return None;
        }
        if let Some(ident) = path.path.get_ident() {
            if self.bindings.lookup_ident(ident).is_some() {
                return None;
            }
        }
        Some(self.type_env().resolve_path(&path.path))
    }

    fn push_exec(&mut self, exec: Exec, in_sync_closure: bool) {
        self.exec.push(ExecFrame {
            exec,
            in_sync_closure,
        });
    }

    fn pop_exec(&mut self) {
        if self.exec.len() > 1 {
            self.exec.pop();
        }
    }

    /// Entering an async body from non-async code: find closures it names and later hands
    /// to insulating wrappers (`let job = || …; spawn_blocking(job)`).
    fn enter_async_root(&mut self, body: &syn::Block) {
        let mut finder = InsulatedNameFinder {
            walker: self,
            names: HashSet::default(),
            awaited: HashSet::default(),
        };
        finder.visit_block(body);
        let (names, awaited) = (finder.names, finder.awaited);
        self.insulated_names.push(names);
        self.awaited_names.push(awaited);
    }

    /// Whether the innermost closure being walked was handed to an insulating wrapper.
    pub fn in_insulated_closure(&self) -> bool {
        matches!(self.exec(), Exec::Insulated)
    }

    /// The module being walked (`crate::net`).
    pub fn module_path(&self) -> &str {
        self.resolver.module_path()
    }

    /// The `impl` block's self type, fully qualified.
    pub fn self_type(&self) -> Option<&str> {
        self.self_types.last().and_then(|t| t.as_deref())
    }

    fn is_wrapper_call(&self, callee: Option<&str>) -> bool {
        callee.is_some_and(|c| self.cx.catalog.is_wrapper_function(c))
    }

    pub fn call_site_for_call(&self, call: &syn::ExprCall) -> CallSite {
        let open = call.paren_token.span.open();
        let close = call.paren_token.span.close();
        let args_text = self.text_between(open, close);
        CallSite {
            primary: Location::of_expr(&call.func),
            whole: Location::covering(call.func.span(), close),
            receiver_text: None,
            args_text,
            arg_count: call.args.len(),
            arg_is_postfix_safe: call.args.len() == 1
                && call.args.first().is_some_and(is_postfix_safe),
            single_arg_text: self.single_arg_text(&call.args),
            is_reference: false,
        }
    }

    /// The file's text between two delimiters (both excluded).
    fn text_between(&self, open: Span, close: Span) -> String {
        let start = crate::source::byte_range(open).end;
        let end = crate::source::byte_range(close).start;
        self.cx.text.get(start..end).unwrap_or("").to_string()
    }

    /// The text of a call's only argument (without a trailing comma or comments).
    fn single_arg_text(&self, args: &Punctuated<Expr, Token![,]>) -> Option<String> {
        let [arg] = args.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let range = crate::source::byte_range(arg.span());
        self.cx.text.get(range).map(String::from)
    }

    pub fn call_site_for_method(&self, call: &syn::ExprMethodCall) -> CallSite {
        let open = call.paren_token.span.open();
        let close = call.paren_token.span.close();
        let args_text = self.text_between(open, close);
        let receiver_span = call.receiver.span();
        let receiver = Location::from_span(receiver_span);
        CallSite {
            primary: Location::from_span(call.method.span()),
            whole: Location::covering(receiver_span, close),
            receiver_text: self
                .cx
                .text
                .get(receiver.byte_start..receiver.byte_end)
                .map(String::from),
            args_text,
            arg_count: call.args.len(),
            arg_is_postfix_safe: call.args.len() == 1
                && call.args.first().is_some_and(is_postfix_safe),
            single_arg_text: self.single_arg_text(&call.args),
            is_reference: false,
        }
    }

    /// A blocking function passed by path as a callback (`iter.map(fs::read_to_string)`)
    /// runs where the closure would: on the executor, in async context.
    fn check_function_references<'e>(&mut self, args: impl Iterator<Item = &'e Expr>) {
        if !self.in_async() {
            return;
        }
        for arg in args {
            let Expr::Path(path) = arg else { continue };
            let Some(callee) = self.resolve_callee(path) else {
                continue;
            };
            if let Some(api) = self.cx.catalog.blocking_function(&callee) {
                let primary = Location::from_span(path.span());
                let site = CallSite {
                    whole: primary.clone(),
                    primary,
                    receiver_text: None,
                    args_text: String::new(),
                    arg_count: 0,
                    arg_is_postfix_safe: false,
                    single_arg_text: None,
                    is_reference: true,
                };
                self.emit(Event::FunctionReference { site: &site, api });
            }
        }
    }
}
