//! The one walk over a file. It tracks the semantic state every rule needs — names in scope,
//! local bindings and their types, whether code runs on the async executor — and hands each
//! call to the rules (ruff's `Checker`, rust-analyzer's inline-fixture spirit).

use super::attrs::{cfg_attr_allows, is_test_only, path_attribute};
use super::bindings::{bind_pattern, Bindings, StructFields, TypeEnv};
use super::events::{Checker, Event, FunctionInfo};
use super::frames::Frames;
use super::guards::tracker::GuardTracker;
use super::types::{self, items::ItemFacts, Ty};
use crate::catalog::{Catalog, Runtime};
use crate::program::FileAnalysis;
use crate::semantic::resolve::{Resolver, Scope};
use crate::source::Location;
use proc_macro2::Span;
use std::collections::HashSet;
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
    /// The file's items as types, for the workspace's item index.
    items: ItemFacts,
    /// Generic parameters of the enclosing `impl` and `fn` with usable bounds.
    generics: Vec<(String, Ty)>,
    /// A closure about to be walked whose first parameter's type is known
    /// (`users.iter().map(|u| ..)`): its address and that type.
    closure_param: Option<(usize, Ty)>,
    self_types: Vec<Option<String>>,
    /// The trait of each enclosing `impl` block (None: an inherent impl).
    impl_traits: Vec<Option<String>>,
    exec: Vec<ExecFrame>,
    /// Names of local closures later passed to an insulating wrapper, per async body.
    insulated_names: Vec<HashSet<String>>,
    /// Address of the closure expression about to be visited as insulated.
    insulated_closure: usize,
    /// Address of the call expression whose result is directly `.await`ed.
    awaited_call: usize,
    inline_mods: Vec<String>,
    pub mod_decls: Vec<ModDecl>,
    pub item_extents: Vec<ItemExtent>,
    checkers: Vec<Box<dyn Checker>>,
    /// Loops, closures, functions and test code around the current node.
    frames: Frames,
    /// Guard liveness and value origins (files that mention locks or atomics).
    guards: Option<GuardTracker<'a>>,
    /// The union of the checkers' interests.
    checker_interests: u16,
    /// Macro bodies being walked that were themselves parsed out of a macro body.
    macro_depth: usize,
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
        let guards = GuardTracker::for_file(cx);
        Walker {
            cx,
            resolver: Resolver::default(),
            bindings: Bindings::default(),
            struct_fields: StructFields::new(),
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
            insulated_closure: 0,
            awaited_call: 0,
            inline_mods: Vec::new(),
            mod_decls: Vec::new(),
            item_extents: Vec::new(),
            frames: Frames::new(cx.file, cx.text),
            checker_interests: checkers.iter().fold(
                Frames::INTERESTS | guards.as_ref().map_or(0, |_| GuardTracker::INTERESTS),
                |all, c| all | c.interests(),
            ),
            guards,
            checkers,
            macro_depth: 0,
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
        let mut frames = std::mem::take(&mut self.frames);
        frames.enter(self, &event);
        self.frames = frames;
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
        let kind = event.kind();
        let mut checkers = std::mem::take(&mut self.checkers);
        for checker in &mut checkers {
            if checker.interests() & kind != 0 {
                checker.on(self, event);
            }
        }
        self.checkers = checkers;
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
        self.guards.as_ref()
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
            self_type: self.self_types.last().and_then(|t| t.as_deref()),
            generics: &self.generics,
            local_crates: self.cx.local_crates,
            depth: std::cell::Cell::new(0),
        }
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
            names: HashSet::new(),
        };
        finder.visit_block(body);
        let names = finder.names;
        self.insulated_names.push(names);
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

    fn visit_fn_body<'ast>(
        &mut self,
        attrs: &'ast [syn::Attribute],
        is_pub: bool,
        sig: &'ast syn::Signature,
        block: &syn::Block,
        start: Span,
    ) {
        self.record_extent(attrs, start, block.brace_token.span.close());
        let exec = match &sig.asyncness {
            Some(asyncness) => Exec::Async {
                header: Location::covering(asyncness.span, sig.ident.span()),
                what: "async fn",
            },
            None => Exec::Sync,
        };
        let is_async = sig.asyncness.is_some();
        if is_async {
            self.enter_async_root(block);
        }
        self.push_exec(exec, false);
        self.bindings.push();
        let generics_before = self.generics.len();
        let own_generics = self.type_env().naming().generics(&sig.generics);
        self.generics.extend(own_generics);
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => self.bindings.bind("self".into(), None),
                syn::FnArg::Typed(typed) => {
                    let ty = self.type_env().naming().ty(&typed.ty);
                    self.bind_typed(&typed.pat, ty.as_ref());
                }
            }
        }
        let info = FunctionInfo {
            path: match self.self_type() {
                Some(self_type) => format!("{self_type}::{}", sig.ident),
                None => format!("{}::{}", self.module_path(), sig.ident),
            },
            sig,
            block,
            async_header: match self.exec() {
                Exec::Async { header, .. } => Some(header.clone()),
                _ => None,
            },
            self_type: self.self_type().map(String::from),
            impl_trait: self.impl_traits.last().cloned().flatten(),
            attrs,
            is_pub: is_pub || self.impl_traits.last().is_some_and(Option::is_some),
        };
        self.emit(Event::FnEnter(&info));
        self.visit_block(block);
        self.emit(Event::FnExit(&info));
        self.generics.truncate(generics_before);
        self.bindings.pop();
        self.pop_exec();
        if is_async {
            self.insulated_names.pop();
        }
    }

    fn bind(&mut self, pat: &syn::Pat, init: Option<&Expr>) {
        let ty = init.and_then(|e| self.type_env().ty_of(e));
        self.bind_typed(pat, ty.as_ref());
    }

    /// Bind a pattern's names to the parts of a value of type `ty`.
    fn bind_typed(&mut self, pat: &syn::Pat, ty: Option<&Ty>) {
        let mut bindings = std::mem::take(&mut self.bindings);
        {
            let env = self.type_env();
            let naming = env.naming();
            bind_pattern(pat, ty, &mut bindings, &|t| naming.ty(t), &env);
        }
        self.bindings = bindings;
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

    /// Expressions inside a macro call whose arguments parse as `expr, expr, …`
    /// (`println!`, `assert!`, `join!`, `vec![a, b]`) or as `select!` arms
    /// (`pat = future => handler,`); other macro bodies are opaque.
    fn visit_macro_arguments(&mut self, mac: &syn::Macro) {
        let is_select = mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident.to_string().starts_with("select"));
        // `name! { … }` bodies are items or DSLs (`cfg_x! {}`, `thread_local! {}`), except
        // `select!`; most other bodies (log lines, format strings) call nothing: a token
        // scan is far cheaper than a parse.
        if matches!(mac.delimiter, syn::MacroDelimiter::Brace(_)) && !is_select {
            return;
        }
        // Outside async code only `vec![..]` and the join/select family are worth the
        // parse (their arguments are often calls the call graph needs); assertions, log
        // and format macros there cost ~5% of a run for next to nothing.
        if !self.in_async()
            && !is_select
            && !mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "vec" || s.ident == "join" || s.ident == "try_join")
        {
            return;
        }
        if self.macro_depth >= MAX_MACRO_DEPTH || !has_call(mac.tokens.clone()) {
            return;
        }
        self.macro_depth += 1;
        self.visit_macro_body(mac, is_select);
        self.macro_depth -= 1;
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro, is_select: bool) {
        if is_select {
            if let Ok(arms) = mac.parse_body_with(parse_select_arms) {
                self.emit(Event::Select { mac, arms: &arms });
                for (future, handler) in &arms {
                    self.visit_expr(future);
                    self.visit_expr(handler);
                }
            }
            return;
        }
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        if let Ok(args) = mac.parse_body_with(parser) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

impl Walker<'_> {
    /// `mod name;` declarations inside an item-position macro (`cfg_rt! { pub mod
    /// runtime; }`, `cfg_if! { if #[cfg(..)] { mod a; } else { mod b; } }`): the module tree
    /// continues through them, as rustc's does after expansion. A token scan, so any macro
    /// grammar works; each is cfg-gated (the macro may compile it out).
    fn macro_mod_decls(&mut self, mac: &syn::Macro) {
        let mut found = Vec::new();
        scan_mod_decls(mac.tokens.clone(), &mut found, 0);
        for (name, path_attribute, span) in found {
            let module_path = format!("{}::{}", self.resolver.module_path(), name);
            self.mod_decls.push(ModDecl {
                name,
                path_attribute,
                inline_parents: self.inline_mods.clone(),
                module_path,
                location: Location::from_span(span),
                cfg_gated: true,
            });
        }
    }
}

/// `[#[path = ".."]] [pub[(..)]] mod name ;` anywhere in a token stream (nested groups
/// included, to a bounded depth).
fn scan_mod_decls(
    tokens: proc_macro2::TokenStream,
    found: &mut Vec<(String, Option<String>, Span)>,
    depth: usize,
) {
    use proc_macro2::TokenTree;
    if depth > 8 {
        return;
    }
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut path_attribute: Option<String> = None;
    for (at, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => {
                if group.delimiter() == proc_macro2::Delimiter::Bracket {
                    let attr: Vec<TokenTree> = group.stream().into_iter().collect();
                    if let [TokenTree::Ident(name), TokenTree::Punct(eq), TokenTree::Literal(lit)] =
                        attr.as_slice()
                    {
                        if name == "path" && eq.as_char() == '=' {
                            let text = lit.to_string();
                            path_attribute = Some(text.trim_matches('"').to_string());
                            continue;
                        }
                    }
                }
                scan_mod_decls(group.stream(), found, depth + 1);
            }
            TokenTree::Ident(keyword) if keyword == "mod" => {
                if let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(semi))) =
                    (trees.get(at + 1), trees.get(at + 2))
                {
                    if semi.as_char() == ';' {
                        found.push((name.to_string(), path_attribute.take(), keyword.span()));
                    }
                }
            }
            TokenTree::Punct(p) if p.as_char() == ';' => path_attribute = None,
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        // Macro definitions and item macros are opaque (seen as items, not walked);
        // everything else may hold code.
        self.emit(Event::Item(item));
        if let Item::Macro(mac) = item {
            self.macro_mod_decls(&mac.mac);
            return;
        }
        visit::visit_item(self, item);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if self.skip_item(&item.attrs) {
            return;
        }
        let name = item.ident.to_string();
        let module_path = format!("{}::{}", self.resolver.module_path(), name);
        match &item.content {
            None => {
                let end = item.semi.map_or(item.ident.span(), |semi| semi.span);
                self.mod_decls.push(ModDecl {
                    name,
                    path_attribute: path_attribute(&item.attrs),
                    inline_parents: self.inline_mods.clone(),
                    module_path,
                    location: Location::covering(item.mod_token.span, end),
                    cfg_gated: item
                        .attrs
                        .iter()
                        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")),
                });
            }
            Some((brace, items)) => {
                self.record_extent(&item.attrs, item.mod_token.span, brace.span.close());
                self.inline_mods.push(name);
                self.enter_module(items, module_path);
                // A module does not inherit its parent's locals or self type.
                let saved_bindings = std::mem::take(&mut self.bindings);
                for item in items {
                    self.visit_item(item);
                }
                self.bindings = saved_bindings;
                self.resolver.exit_module();
                self.inline_mods.pop();
            }
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if self.skip_item(&item.attrs) {
            return;
        }
        let start = item.sig.fn_token.span;
        let is_pub = !matches!(item.vis, syn::Visibility::Inherited);
        self.visit_fn_body(&item.attrs, is_pub, &item.sig, &item.block, start);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if self.skip_item(&item.attrs) {
            return;
        }
        let start = item.sig.fn_token.span;
        let is_pub = !matches!(item.vis, syn::Visibility::Inherited);
        self.visit_fn_body(&item.attrs, is_pub, &item.sig, &item.block, start);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if self.skip_item(&item.attrs) {
            return;
        }
        if let Some(block) = &item.default {
            let start = item.sig.fn_token.span;
            self.visit_fn_body(&item.attrs, false, &item.sig, block, start);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if self.skip_item(&item.attrs) {
            return;
        }
        self.record_extent(
            &item.attrs,
            item.impl_token.span,
            item.brace_token.span.close(),
        );
        let self_type = match &*item.self_ty {
            syn::Type::Path(p) if p.qself.is_none() => Some(self.type_env().resolve_path(&p.path)),
            _ => None,
        };
        self.self_types.push(self_type);
        let impl_trait = item
            .trait_
            .as_ref()
            .and_then(|(_, path, _)| path.segments.last().map(|s| s.ident.to_string()));
        self.impl_traits.push(impl_trait);
        let generics_before = self.generics.len();
        let impl_generics = self.type_env().naming().generics(&item.generics);
        self.generics.extend(impl_generics);
        for impl_item in &item.items {
            self.visit_impl_item(impl_item);
        }
        self.generics.truncate(generics_before);
        self.impl_traits.pop();
        self.self_types.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        if self.skip_item(&item.attrs) {
            return;
        }
        self.record_extent(
            &item.attrs,
            item.trait_token.span,
            item.brace_token.span.close(),
        );
        self.self_types.push(None);
        visit::visit_item_trait(self, item);
        self.self_types.pop();
    }

    fn visit_item_const(&mut self, item: &'ast syn::ItemConst) {
        if !self.skip_item(&item.attrs) {
            visit::visit_item_const(self, item);
        }
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        if !self.skip_item(&item.attrs) {
            visit::visit_item_static(self, item);
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let has_items = block.stmts.iter().any(|s| matches!(s, Stmt::Item(_)));
        if has_items {
            let items = block.stmts.iter().filter_map(|s| match s {
                Stmt::Item(item) => Some(item),
                _ => None,
            });
            let scope = Scope::of_items(items, self.resolver.module_path());
            self.resolver.enter_block(scope);
        }
        self.bindings.push();
        self.emit(Event::BlockEnter(block));
        for stmt in &block.stmts {
            self.visit_stmt(stmt);
            self.emit(Event::StmtExit(stmt));
        }
        self.emit(Event::BlockExit(block));
        self.bindings.pop();
        if has_items {
            self.resolver.exit_block();
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        match stmt {
            Stmt::Item(item) => {
                // Items nested in a body do not run in the body's context.
                self.push_exec(Exec::Sync, false);
                let saved_bindings = std::mem::take(&mut self.bindings);
                self.visit_item(item);
                self.bindings = saved_bindings;
                self.pop_exec();
            }
            Stmt::Macro(stmt_macro) => {
                if !self.skip_item(&stmt_macro.attrs) {
                    self.visit_macro_arguments(&stmt_macro.mac);
                }
            }
            _ => visit::visit_stmt(self, stmt),
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if self.skip_item(&local.attrs) {
            return;
        }
        let allowed = cfg_attr_allows(&local.attrs);
        if !allowed.is_empty() {
            let first = local.let_token.span;
            let last = local.semi_token.span;
            self.item_extents.push(ItemExtent {
                first_line: line_of(first),
                last_line: last.end().line,
                allowed_rules: allowed,
            });
        }
        if let Some(init) = &local.init {
            let pattern = match &local.pat {
                syn::Pat::Type(typed) => &*typed.pat,
                other => other,
            };
            if let (syn::Pat::Ident(name), Some(closure)) = (pattern, as_sync_closure(&init.expr)) {
                let name = name.ident.to_string();
                if self
                    .insulated_names
                    .last()
                    .is_some_and(|n| n.contains(&name))
                {
                    self.insulated_closure = addr(closure);
                }
            }
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind(&local.pat, local.init.as_ref().map(|i| &*i.expr));
        self.emit(Event::LocalBound(local));
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        self.emit(Event::ExprEnter(expr));
        visit::visit_expr(self, expr);
        self.emit(Event::ExprExit(expr));
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        let header_end = block
            .capture
            .map(|c| c.span)
            .unwrap_or(block.async_token.span);
        let root = !self.in_async();
        if root {
            self.enter_async_root(&block.block);
        }
        self.push_exec(
            Exec::Async {
                header: Location::covering(block.async_token.span, header_end),
                what: "async block",
            },
            false,
        );
        self.visit_block(&block.block);
        self.pop_exec();
        if root {
            self.insulated_names.pop();
        }
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        let insulated = self.insulated_closure == addr(closure);
        if insulated {
            self.insulated_closure = 0;
        }
        let (exec, in_sync_closure) = if let Some(asyncness) = &closure.asyncness {
            (
                Exec::Async {
                    header: Location::covering(asyncness.span, closure.or1_token.span),
                    what: "async closure",
                },
                false,
            )
        } else if insulated {
            (Exec::Insulated, false)
        } else {
            (self.exec().clone(), true)
        };
        self.push_exec(exec, in_sync_closure);
        self.bindings.push();
        let first_param = match self.closure_param.take() {
            Some((at, ty)) if at == addr(closure) => Some(ty),
            _ => None,
        };
        for (index, input) in closure.inputs.iter().enumerate() {
            let ty = if index == 0 {
                first_param.as_ref()
            } else {
                None
            };
            self.bind_typed(input, ty);
        }
        self.visit_expr(&closure.body);
        self.bindings.pop();
        self.pop_exec();
    }

    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        match &*expr.base {
            Expr::Call(call) => self.awaited_call = addr(call),
            Expr::MethodCall(call) => self.awaited_call = addr(call),
            _ => {}
        }
        self.visit_expr(&expr.base);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        let awaited = self.awaited_call == addr(call);
        let callee = match &*call.func {
            Expr::Path(path) => self.resolve_callee(path),
            _ => None,
        };
        let blocking = callee
            .as_deref()
            .and_then(|c| self.cx.catalog.blocking_function(c));
        self.emit(Event::Call {
            call,
            callee: callee.as_deref(),
            awaited,
            blocking,
        });
        // A sync closure handed to a call whose future is awaited (`asyncify(|| …).await`,
        // `conn.interact(|c| …).await`) is shipped elsewhere to run, as far as syntax can
        // tell: not reported (precision over recall).
        let last_segment = callee.as_deref().and_then(|c| c.rsplit("::").next());
        let ships_closures =
            awaited && !last_segment.is_some_and(|n| self.cx.catalog.runs_inline(n));
        let wrapper = ships_closures || self.is_wrapper_call(callee.as_deref());
        self.visit_expr(&call.func);
        if !wrapper {
            self.check_function_references(call.args.iter());
        }
        for arg in &call.args {
            if wrapper {
                if let Some(closure) = as_sync_closure(arg) {
                    self.insulated_closure = addr(closure);
                }
            }
            self.visit_expr(arg);
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let awaited = self.awaited_call == addr(call);
        let name = call.method.to_string();
        let receiver_ty = self.type_env().ty_of(&call.receiver);
        let receiver_type = receiver_ty
            .as_ref()
            .and_then(Ty::concrete_path)
            .map(String::from);
        let resolver = &self.resolver;
        let blocking = self
            .cx
            .catalog
            .blocking_method(receiver_type.as_deref(), &name, &|t| {
                resolver.is_imported(t)
            });
        self.emit(Event::MethodCall {
            call,
            receiver_type: receiver_type.as_deref(),
            receiver_ty: receiver_ty.as_ref(),
            awaited,
            blocking,
        });
        let param = receiver_ty
            .as_ref()
            .and_then(|base| types::closure_param_of(base, &name, &self.type_env()));
        let ships_closures = awaited && !self.cx.catalog.runs_inline(&name);
        let wrapper = ships_closures || self.cx.catalog.is_wrapper_method(&name);
        self.visit_expr(&call.receiver);
        if !wrapper {
            self.check_function_references(call.args.iter());
        }
        for arg in &call.args {
            if wrapper {
                if let Some(closure) = as_sync_closure(arg) {
                    self.insulated_closure = addr(closure);
                }
            }
            if let (Some(ty), Expr::Closure(closure)) = (&param, arg) {
                self.closure_param = Some((addr(closure), ty.clone()));
            }
            self.visit_expr(arg);
        }
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        self.visit_expr(&expr.expr);
        self.bindings.push();
        let item = self.type_env().ty_of(&expr.expr).and_then(|collection| {
            let env = self.type_env();
            types::elem_of(&collection, &env)
        });
        self.bind_typed(&expr.pat, item.as_ref());
        self.visit_block(&expr.body);
        self.bindings.pop();
    }

    fn visit_expr_let(&mut self, expr: &'ast syn::ExprLet) {
        self.visit_expr(&expr.expr);
        self.bind(&expr.pat, Some(&expr.expr));
    }

    fn visit_expr_match(&mut self, expr: &'ast syn::ExprMatch) {
        self.visit_expr(&expr.expr);
        for arm in &expr.arms {
            self.bindings.push();
            self.bind(&arm.pat, Some(&expr.expr));
            if let Some((_, guard)) = &arm.guard {
                self.visit_expr(guard);
            }
            self.visit_expr(&arm.body);
            self.bindings.pop();
        }
    }

    fn visit_expr_macro(&mut self, expr: &'ast syn::ExprMacro) {
        self.visit_macro_arguments(&expr.mac);
    }
}

/// Whether a token stream contains `name(…)` or `name!(…)`: something a rule could see.
fn has_call(tokens: proc_macro2::TokenStream) -> bool {
    let mut previous_is_name = false;
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(_) => previous_is_name = true,
            proc_macro2::TokenTree::Punct(p) => {
                previous_is_name = previous_is_name && p.as_char() == '!'
            }
            proc_macro2::TokenTree::Group(group) => {
                if previous_is_name && group.delimiter() == proc_macro2::Delimiter::Parenthesis {
                    return true;
                }
                if has_call(group.stream()) {
                    return true;
                }
                previous_is_name = false;
            }
            proc_macro2::TokenTree::Literal(_) => previous_is_name = false,
        }
    }
    false
}

/// `tokio::select!` / `futures::select!` arms: `[biased;] pat = future [, if cond] => handler,`
/// and `else => handler`. Returns (future, handler) pairs (`else` has a `()` future).
fn parse_select_arms(input: syn::parse::ParseStream) -> syn::Result<Vec<(Expr, Expr)>> {
    let mut arms = Vec::new();
    if input.peek(syn::Ident) && input.peek2(Token![;]) {
        let _biased: syn::Ident = input.parse()?;
        let _: Token![;] = input.parse()?;
    }
    while !input.is_empty() {
        let future = if input.peek(Token![else]) {
            let _: Token![else] = input.parse()?;
            syn::parse_quote!(())
        } else {
            let _pattern = syn::Pat::parse_multi(input)?;
            let _: Token![=] = input.parse()?;
            let future = Expr::parse_without_eager_brace(input)?;
            if input.peek(Token![,]) && input.peek2(Token![if]) {
                let _: Token![,] = input.parse()?;
                let _: Token![if] = input.parse()?;
                let _condition = Expr::parse_without_eager_brace(input)?;
            }
            future
        };
        let _: Token![=>] = input.parse()?;
        let handler: Expr = input.parse()?;
        if !input.is_empty() {
            let _: Token![,] = input.parse().or_else(|e| {
                if matches!(handler, Expr::Block(_)) {
                    Ok(Token![,](input.span()))
                } else {
                    Err(e)
                }
            })?;
        }
        arms.push((future, handler));
    }
    Ok(arms)
}

/// Finds local closures passed by name to insulating wrappers inside one async body.
struct InsulatedNameFinder<'w, 'a> {
    walker: &'w Walker<'a>,
    names: HashSet<String>,
}

impl InsulatedNameFinder<'_, '_> {
    fn note_args<'e>(&mut self, args: impl Iterator<Item = &'e Expr>) {
        for arg in args {
            // `job`, `job.clone()`, `&job`
            let arg = match arg {
                Expr::MethodCall(m) if m.method == "clone" => &*m.receiver,
                Expr::Reference(r) => &*r.expr,
                other => other,
            };
            if let Expr::Path(path) = arg {
                if let Some(ident) = path.path.get_ident() {
                    self.names.insert(ident.to_string());
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for InsulatedNameFinder<'_, '_> {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(path) = &*call.func {
            let callee = self.walker.type_env().resolve_path(&path.path);
            if self.walker.cx.catalog.is_wrapper_function(&callee) {
                self.note_args(call.args.iter());
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if self
            .walker
            .cx
            .catalog
            .is_wrapper_method(&call.method.to_string())
        {
            self.note_args(call.args.iter());
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}
