//! What a call passes for a callee's `Option` parameter, and whether a call runs only when
//! one of its own function's parameters is `Some`: so that a helper that blocks only in its
//! `if let Some(password) = password { hash(password) }` branch does not block a caller that
//! passes `None` (`set_password(user, None)`). The call graph uses it
//! (`callgraph::CallGraph::build`); plain data for the crate phase.

use serde::{Deserialize, Serialize};
use syn::Expr;

/// Arguments are described up to this position.
const MAX_ARGS: usize = 8;

/// A call's arguments as a callee's `Option` parameters see them, by position among the
/// callee's inputs: a method call's receiver is position 0, its arguments follow, as in
/// the callee's signature (`self` first) and in a call by path (`Type::save(&store, None)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgFacts {
    /// Positions whose argument is the literal `None`.
    pub none_at: u8,
    /// For each position: 1 + the index of the caller's own parameter passed there as it
    /// is (`password`, `&password`), or 0.
    pub param_at: [u8; MAX_ARGS],
    /// The call runs only when the caller's parameter at this index is `Some`.
    pub if_some: Option<u8>,
}

impl ArgFacts {
    /// The argument at `position` is the literal `None`.
    pub fn passes_none(&self, position: u8) -> bool {
        (position as usize) < MAX_ARGS && self.none_at & (1 << position) != 0
    }

    /// The caller's parameter passed as it is at `position`, if any.
    pub fn param_at(&self, position: u8) -> Option<u8> {
        let index = *self.param_at.get(position as usize)?;
        index.checked_sub(1)
    }
}

/// The parameters of the function being walked and the ranges of its code that run only
/// when one of them is `Some`.
#[derive(Debug, Default)]
pub struct OptionalParams {
    /// Parameter names by position among the inputs (`self` included; None: `self`, not a
    /// plain name, or a name bound again in the body).
    names: Vec<Option<String>>,
    /// (start, end byte, parameter index): code that runs only when it is `Some`.
    guarded: Vec<(usize, usize, u8)>,
}

impl OptionalParams {
    pub fn of(sig: &syn::Signature) -> OptionalParams {
        let names = sig
            .inputs
            .iter()
            .map(|input| match input {
                syn::FnArg::Receiver(_) => None,
                syn::FnArg::Typed(typed) => match &*typed.pat {
                    syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
                    _ => None,
                },
            })
            .take(MAX_ARGS)
            .collect();
        OptionalParams {
            names,
            guarded: Vec::new(),
        }
    }

    fn index_of(&self, expr: &Expr) -> Option<u8> {
        let Expr::Path(path) = strip(expr) else {
            return None;
        };
        let ident = path.path.get_ident()?;
        let position = self
            .names
            .iter()
            .position(|name| name.as_ref().is_some_and(|n| ident == n))?;
        u8::try_from(position).ok()
    }

    /// Note the branches of `expr` that run only when a parameter is `Some`: the body of
    /// `if let Some(..) = param`, the `Some(..)` arms of `match param`. A name that a
    /// pattern binds again (a `for` loop's, a closure's, an arm's of another value) is
    /// no longer taken for the parameter, from here to the end of the function.
    pub fn enter(&mut self, expr: &Expr) {
        if self.names.iter().all(Option::is_none) {
            return;
        }
        match expr {
            Expr::If(if_expr) => {
                if let Expr::Let(binding) = &*if_expr.cond {
                    match self.index_of(&binding.expr) {
                        Some(index) if is_some(&binding.pat) => {
                            let range = block_range(&if_expr.then_branch);
                            self.guarded.push((range.start, range.end, index));
                        }
                        _ => self.shadow(&binding.pat),
                    }
                }
            }
            Expr::Match(match_expr) => match self.index_of(&match_expr.expr) {
                Some(index) => {
                    for arm in match_expr.arms.iter().filter(|arm| is_some(&arm.pat)) {
                        let range = match &*arm.body {
                            Expr::Block(block) => block_range(&block.block),
                            body => crate::source::expr_byte_range(body),
                        };
                        self.guarded.push((range.start, range.end, index));
                    }
                }
                None => match_expr.arms.iter().for_each(|arm| self.shadow(&arm.pat)),
            },
            Expr::While(while_expr) => {
                if let Expr::Let(binding) = &*while_expr.cond {
                    self.shadow(&binding.pat);
                }
            }
            Expr::ForLoop(for_loop) => self.shadow(&for_loop.pat),
            Expr::Closure(closure) => closure.inputs.iter().for_each(|pat| self.shadow(pat)),
            _ => {}
        }
    }

    /// A `let` binds `pat` to `init`: `let password = password.as_deref();` is still the
    /// parameter (by another type), any other binding of its name shadows it.
    pub fn bind_local(&mut self, pat: &syn::Pat, init: Option<&Expr>) {
        if let (syn::Pat::Ident(ident), Some(init)) = (pat, init) {
            if ident.subpat.is_none()
                && self.index_of(init).is_some_and(|index| {
                    self.names[index as usize]
                        .as_ref()
                        .is_some_and(|n| ident.ident == n)
                })
            {
                return;
            }
        }
        self.shadow(pat);
    }

    /// A `let` (or another pattern) binds these names: from here on they may name another
    /// value, so they no longer count as the parameters (`let password =
    /// password.or(default);`).
    pub fn shadow(&mut self, pat: &syn::Pat) {
        if self.names.iter().all(Option::is_none) {
            return;
        }
        bound_names(pat, &mut |ident| {
            for name in &mut self.names {
                if name.as_ref().is_some_and(|n| ident == n) {
                    *name = None;
                }
            }
        });
    }

    /// The facts of a call at byte `offset` with these arguments.
    pub fn call<'e>(&self, offset: usize, args: impl Iterator<Item = &'e Expr>) -> ArgFacts {
        let mut facts = ArgFacts {
            if_some: self
                .guarded
                .iter()
                .filter(|(start, end, _)| (*start..*end).contains(&offset))
                .min_by_key(|(start, end, _)| end - start)
                .map(|(_, _, index)| *index),
            ..ArgFacts::default()
        };
        for (position, arg) in args.take(MAX_ARGS).enumerate() {
            if matches!(strip(arg), Expr::Path(p) if p.path.is_ident("None")) {
                facts.none_at |= 1 << position;
            } else if let Some(index) = self.index_of(arg) {
                facts.param_at[position] = index + 1;
            }
        }
        facts
    }
}

/// The bytes of a block, braces included.
fn block_range(block: &syn::Block) -> std::ops::Range<usize> {
    let open = crate::source::byte_range(block.brace_token.span.open());
    let close = crate::source::byte_range(block.brace_token.span.close());
    open.start..close.end
}

/// `x`, `&x`, `(x)`, `x.as_ref()`, `x.as_deref()`, `x.clone()` as `x`.
fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Reference(r) => strip(&r.expr),
        Expr::Paren(p) => strip(&p.expr),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && ["as_ref", "as_deref", "clone", "as_mut", "as_deref_mut"]
                    .iter()
                    .any(|name| m.method == name) =>
        {
            strip(&m.receiver)
        }
        _ => expr,
    }
}

/// Each name `pat` binds.
fn bound_names(pat: &syn::Pat, each: &mut impl FnMut(&syn::Ident)) {
    match pat {
        syn::Pat::Ident(ident) => {
            each(&ident.ident);
            if let Some((_, sub)) = &ident.subpat {
                bound_names(sub, each);
            }
        }
        syn::Pat::Type(t) => bound_names(&t.pat, each),
        syn::Pat::Reference(r) => bound_names(&r.pat, each),
        syn::Pat::Paren(p) => bound_names(&p.pat, each),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| bound_names(p, each)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bound_names(p, each)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| bound_names(p, each)),
        syn::Pat::Or(o) => o.cases.iter().for_each(|p| bound_names(p, each)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| bound_names(&f.pat, each)),
        _ => {}
    }
}

/// `Some(..)` (also `Option::Some(..)`, `ref`-free or not).
fn is_some(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::TupleStruct(t)
        if t.path.segments.last().is_some_and(|s| s.ident == "Some"))
}
