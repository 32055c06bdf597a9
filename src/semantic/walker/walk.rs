//! The walk itself: `syn`'s visitor over items, statements and expressions, keeping the
//! semantic state (scopes, bindings, execution context) current and emitting each node's
//! events to the rules.

use super::*;

impl Walker<'_> {
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
                what: super::ASYNC_FN,
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
            impl_trait: self.impl_traits.last().cloned().flatten().map(|(t, _)| t),
            impl_trait_is_local: self
                .impl_traits
                .last()
                .is_some_and(|t| t.as_ref().is_some_and(|(_, local)| *local)),
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
            self.awaited_names.pop();
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
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        // Macro definitions and item macros are opaque (seen as items, not walked);
        // everything else may hold code.
        self.emit(Event::Item(item));
        if let Item::Macro(mac) = item {
            if !self.skip_item(&mac.attrs) {
                self.included_file(mac);
            }
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
                let decl = ModDecl {
                    // `mod r#async;` is in `async.rs`; paths keep naming it `r#async`.
                    name: syn::ext::IdentExt::unraw(&item.ident).to_string(),
                    path_attribute: path_attribute(&item.attrs),
                    inline_parents: self.inline_mods.clone(),
                    module_path,
                    location: Location::covering(item.mod_token.span, end),
                    cfg_gated: item
                        .attrs
                        .iter()
                        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")),
                    included: false,
                };
                // Each file a `#[cfg_attr(.., path = ..)]` names is the module under some
                // cfg (cargo check compiles one of them on each platform): all are linted,
                // as is the default file when it exists.
                if decl.path_attribute.is_none() {
                    for path in cfg_attr_paths(&item.attrs) {
                        self.mod_decls.push(ModDecl {
                            path_attribute: Some(path),
                            ..decl.clone()
                        });
                    }
                }
                self.mod_decls.push(decl);
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
        // A free `fn` (also one nested in a method's body) has no `Self` and implements no
        // trait method: it is `module::name`, as the block's scope names it.
        self.self_types.push(None);
        self.impl_traits.push(None);
        self.visit_fn_body(&item.attrs, is_pub, &item.sig, &item.block, start);
        self.impl_traits.pop();
        self.self_types.pop();
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
        let impl_trait = item.trait_.as_ref().and_then(|(_, path, _)| {
            let name = path.segments.last()?.ident.to_string();
            let is_local = self.cx.is_local_path(&self.type_env().resolve_path(path));
            Some((name, is_local))
        });
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
            // `let fut = offload(|| ..); .. join!(fut, other)`: awaited, only later.
            if let syn::Pat::Ident(name) = pattern {
                let awaited_later = self
                    .awaited_names
                    .last()
                    .is_some_and(|n| n.contains(&name.ident.to_string()));
                match &*init.expr {
                    Expr::Call(call) if awaited_later => self.awaited_later_call = addr(call),
                    Expr::MethodCall(call) if awaited_later => self.awaited_later_call = addr(call),
                    _ => {}
                }
            }
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
        if !self.wants_expression(expr) {
            return visit::visit_expr(self, expr);
        }
        self.enter_call(expr);
        self.emit(Event::ExprEnter(expr));
        visit::visit_expr(self, expr);
        self.emit(Event::ExprExit(expr));
        self.exit_call(expr);
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
                what: super::ASYNC_BLOCK,
            },
            false,
        );
        self.visit_block(&block.block);
        self.pop_exec();
        if root {
            self.insulated_names.pop();
            self.awaited_names.pop();
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
                    what: super::ASYNC_CLOSURE,
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
        let last_segment = callee.as_deref().map(crate::path_text::last_segment);
        let awaited_later = self.awaited_later_call == addr(call);
        let ships_closures = (awaited || awaited_later)
            && !last_segment.is_some_and(|n| self.cx.catalog.runs_inline(n));
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
        let name = self.method_name(call).into_owned();
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
        let awaited_later = self.awaited_later_call == addr(call);
        let ships_closures = (awaited || awaited_later) && !self.cx.catalog.runs_inline(&name);
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
