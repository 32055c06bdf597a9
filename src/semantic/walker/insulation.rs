//! Local closures bound to a name and later handed to an insulating wrapper
//! (`let job = || ..; spawn_blocking(job)`): their code runs off the executor. And locals
//! awaited later (`let fut = offload(|| ..); join!(fut, other)`): a closure handed to the
//! call that made the future is shipped like one handed to an awaited call.

use super::*;

/// Finds local closures passed by name to insulating wrappers inside one async body.
pub(super) struct InsulatedNameFinder<'w, 'a> {
    pub(super) walker: &'w Walker<'a>,
    pub(super) names: HashSet<String>,
    /// Locals awaited (`fut.await`) or joined (`join!(a, fut)`, `select!`).
    pub(super) awaited: HashSet<String>,
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
            match arg {
                Expr::Path(path) => {
                    if let Some(ident) = path.path.get_ident() {
                        self.names.insert(ident.to_string());
                    }
                }
                // `thread::spawn(move || tx.send(job()))`: `job` runs on that thread too.
                Expr::Closure(closure) => {
                    let mut called = CalledNames(&mut self.names);
                    called.visit_expr(&closure.body);
                }
                _ => {}
            }
        }
    }
}

/// The plain names a closure body calls (`job()`).
struct CalledNames<'n>(&'n mut HashSet<String>);

impl<'ast> Visit<'ast> for CalledNames<'_> {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(path) = &*call.func {
            if let Some(ident) = path.path.get_ident() {
                self.0.insert(ident.to_string());
            }
        }
        visit::visit_expr_call(self, call);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
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

    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        if let Expr::Path(path) = &*expr.base {
            if let Some(ident) = path.path.get_ident() {
                self.awaited.insert(ident.to_string());
            }
        }
        visit::visit_expr_await(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let joins = mac.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.ends_with("join") || name.starts_with("select")
        });
        if joins {
            for tree in mac.tokens.clone() {
                if let proc_macro2::TokenTree::Ident(ident) = tree {
                    self.awaited.insert(ident.to_string());
                }
            }
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}
