//! What a loop that spawns looks like: whether it iterates over input (a collection, a
//! stream, accepted connections) and whether a limit is visible in it (a `Semaphore`
//! permit, a `JoinSet` drained as it fills, a length check, a bounded stream combinator).

use super::loops::{tokens_contain_ident, LoopParts, LoopSource};
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
    };
    scanner.visit_block(parts.body);
    let over_input = match parts.source {
        // `for x in items`: one spawn per item, unless the loop stops at the first.
        LoopSource::Collection => !scanner.exits,
        LoopSource::WhileLet => true,
        LoopSource::Loop => scanner.input_calls,
        _ => false,
    };
    SpawnLoopFacts {
        over_input,
        limited: scanner.limited,
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
}

fn has_len_call(expr: &Expr) -> bool {
    match expr {
        Expr::MethodCall(call) => call.method == "len" || has_len_call(&call.receiver),
        Expr::Paren(p) => has_len_call(&p.expr),
        Expr::Reference(r) => has_len_call(&r.expr),
        Expr::Binary(b) => has_len_call(&b.left) || has_len_call(&b.right),
        _ => false,
    }
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
        let comparison = matches!(
            expr.op,
            BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) | BinOp::Eq(_)
        );
        if comparison && (has_len_call(&expr.left) || has_len_call(&expr.right)) {
            self.limited = true;
        }
        visit::visit_expr_binary(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let catalog = self.catalog;
        if catalog
            .limit_methods
            .iter()
            .chain(&catalog.limit_names)
            .any(|word| tokens_contain_ident(mac.tokens.clone(), word))
        {
            self.limited = true;
        }
        if self.depth == 0
            && INPUT_METHODS
                .iter()
                .any(|word| tokens_contain_ident(mac.tokens.clone(), word))
        {
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
            let name = func.path.segments.last()?.ident.to_string();
            if !may_spawn(&name) || !catalog.function_names.contains(&name) {
                return None;
            }
            let api = catalog.spawner(&walker.resolve_callee(func)?)?;
            Some((api, Location::of_expr(&call.func)))
        }
        Expr::MethodCall(call) => {
            let name = call.method.to_string();
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
