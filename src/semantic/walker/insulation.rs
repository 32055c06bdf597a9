//! Local closures bound to a name and later handed to an insulating wrapper
//! (`let job = || ..; spawn_blocking(job)`): their code runs off the executor.

use super::*;

/// Finds local closures passed by name to insulating wrappers inside one async body.
pub(super) struct InsulatedNameFinder<'w, 'a> {
    pub(super) walker: &'w Walker<'a>,
    pub(super) names: HashSet<String>,
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
