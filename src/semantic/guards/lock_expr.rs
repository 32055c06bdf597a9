//! What lock and atomic expressions look like in syntax: the identity of a lock's receiver,
//! which part of a `let` initializer hands a guard to the bound pattern, atomic loads and
//! stores, and whether an expression mentions some names.

use syn::visit::{self, Visit};
use syn::{Expr, Pat};

/// Address of a syntax node: its identity during the walk.
pub fn addr<T>(value: &T) -> usize {
    value as *const T as usize
}

/// Methods that hand back their receiver (an `Arc` clone, a deref): same lock.
const SAME_VALUE_METHODS: &[&str] = &["clone", "as_ref", "deref", "get_ref"];

/// The receiver of a lock or atomic call as a stable key: `self.accounts`, `STATE`,
/// `crate::LOCK`, `inner.queue`. None when the receiver is computed (a call, an index by a
/// variable) and two occurrences need not be the same object.
pub fn receiver_key(expr: &Expr) -> Option<String> {
    let mut key = String::new();
    write_key(expr, &mut key).then_some(key)
}

fn write_key(expr: &Expr, out: &mut String) -> bool {
    match expr {
        Expr::Path(path) if path.qself.is_none() => {
            for (index, segment) in path.path.segments.iter().enumerate() {
                if !segment.arguments.is_none() {
                    return false;
                }
                if index > 0 {
                    out.push_str("::");
                }
                out.push_str(&segment.ident.to_string());
            }
            true
        }
        Expr::Field(field) => {
            if !write_key(&field.base, out) {
                return false;
            }
            out.push('.');
            match &field.member {
                syn::Member::Named(name) => out.push_str(&name.to_string()),
                syn::Member::Unnamed(index) => out.push_str(&index.index.to_string()),
            }
            true
        }
        Expr::Paren(p) => write_key(&p.expr, out),
        Expr::Group(g) => write_key(&g.expr, out),
        Expr::Reference(r) => write_key(&r.expr, out),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => write_key(&u.expr, out),
        Expr::MethodCall(m)
            if m.args.is_empty() && SAME_VALUE_METHODS.contains(&m.method.to_string().as_str()) =>
        {
            write_key(&m.receiver, out)
        }
        _ => false,
    }
}

/// A local key's crate-wide identity: `self.f` within `impl T` → `T.f`; a path that is not a
/// local binding (a static) → its resolved path. `is_local(name)` tells local bindings.
pub fn global_lock_id(
    key: &str,
    self_type: Option<&str>,
    is_local: &dyn Fn(&str) -> bool,
    resolve: &dyn Fn() -> Option<String>,
) -> Option<String> {
    if let Some(rest) = key.strip_prefix("self.") {
        return self_type.map(|t| format!("{t}.{rest}"));
    }
    let root = key.split('.').next().unwrap_or(key);
    if root == "self" || root.is_empty() {
        return None;
    }
    if !crate::path_text::is_qualified(root) && is_local(root) {
        return None;
    }
    // Statics are written in upper case; a lower-case path is a local or a parameter the
    // walker did not bind (macro arguments): not an identity shared across functions.
    let last = crate::path_text::last_segment(root);
    if !last.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let resolved = resolve()?;
    let tail = &key[root.len()..];
    Some(format!("{resolved}{tail}"))
}

/// Where a `let` gets a guard from: a lock call (by address) or an existing guard moved by
/// name (`let h = g;`).
#[derive(Debug, Clone, Copy)]
pub enum GuardSource<'a> {
    LockCall(usize),
    Moved(&'a syn::Ident),
}

/// The guards an initializer hands over to its binding, with the index of the tuple element
/// they go to (None: the whole pattern). `is_lock_call(addr)` tells the calls that acquired.
pub fn guard_sources<'a>(
    expr: &'a Expr,
    element: Option<usize>,
    is_acquire: &dyn Fn(&syn::ExprMethodCall) -> bool,
    is_passthrough: &dyn Fn(&str) -> bool,
    out: &mut Vec<(Option<usize>, GuardSource<'a>)>,
) {
    match expr {
        Expr::Paren(p) => guard_sources(&p.expr, element, is_acquire, is_passthrough, out),
        Expr::Group(g) => guard_sources(&g.expr, element, is_acquire, is_passthrough, out),
        Expr::Try(t) => guard_sources(&t.expr, element, is_acquire, is_passthrough, out),
        // `m.lock().await`: an async lock's guard.
        Expr::Await(a) => guard_sources(&a.base, element, is_acquire, is_passthrough, out),
        Expr::MethodCall(m) if is_acquire(m) => out.push((element, GuardSource::LockCall(addr(m)))),
        Expr::MethodCall(m) if is_passthrough(&m.method.to_string()) => {
            guard_sources(&m.receiver, element, is_acquire, is_passthrough, out)
        }
        // `&mut *m.lock().unwrap()`, `&m.lock().unwrap().field`: the temporary is extended to
        // the end of the block.
        Expr::Reference(r) => {
            if let Some(call) = place_root_call(&r.expr, is_passthrough) {
                if is_acquire(call) {
                    out.push((element, GuardSource::LockCall(addr(call))));
                }
            }
        }
        Expr::Tuple(tuple) => {
            for (index, elem) in tuple.elems.iter().enumerate() {
                let element = element.or(Some(index));
                guard_sources(elem, element, is_acquire, is_passthrough, out);
            }
        }
        Expr::Struct(s) => {
            for field in &s.fields {
                guard_sources(&field.expr, element, is_acquire, is_passthrough, out);
            }
        }
        Expr::Array(array) => {
            for elem in &array.elems {
                guard_sources(elem, element, is_acquire, is_passthrough, out);
            }
        }
        Expr::Call(call) if call.args.len() == 1 => {
            let wraps = matches!(&*call.func, Expr::Path(p) if p.path.segments.last()
                .is_some_and(|s| matches!(s.ident.to_string().as_str(), "Some" | "Ok" | "new")));
            if wraps {
                if let Some(arg) = call.args.first() {
                    guard_sources(arg, element, is_acquire, is_passthrough, out);
                }
            }
        }
        // `match m.lock() { Ok(g) => g, Err(e) => e.into_inner() }`
        Expr::Match(m) => {
            let hands_back = m.arms.iter().any(|arm| {
                matches!(&*arm.body, Expr::Path(_))
                    || matches!(&*arm.body, Expr::MethodCall(c) if c.method == "into_inner")
            });
            if hands_back {
                guard_sources(&m.expr, element, is_acquire, is_passthrough, out);
            }
        }
        Expr::Path(p) => {
            if let Some(ident) = p.path.get_ident() {
                out.push((element, GuardSource::Moved(ident)));
            }
        }
        _ => {}
    }
}

/// The method call a place expression is rooted at: `*m.lock().unwrap()`,
/// `m.lock().unwrap().field[0]` → the `lock` call (through pass-through methods).
pub fn place_root_call<'a>(
    expr: &'a Expr,
    is_passthrough: &dyn Fn(&str) -> bool,
) -> Option<&'a syn::ExprMethodCall> {
    match expr {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
            place_root_call(&u.expr, is_passthrough)
        }
        Expr::Field(f) => place_root_call(&f.base, is_passthrough),
        Expr::Index(i) => place_root_call(&i.expr, is_passthrough),
        Expr::Paren(p) => place_root_call(&p.expr, is_passthrough),
        Expr::Try(t) => place_root_call(&t.expr, is_passthrough),
        Expr::MethodCall(m) if is_passthrough(&m.method.to_string()) => {
            place_root_call(&m.receiver, is_passthrough)
        }
        Expr::MethodCall(m) => Some(m),
        _ => None,
    }
}

/// The local name a place expression is rooted at: `*g`, `g.field[i]` → `g`.
pub fn place_root_name(expr: &Expr) -> Option<&syn::Ident> {
    match expr {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => place_root_name(&u.expr),
        Expr::Field(f) => place_root_name(&f.base),
        Expr::Index(i) => place_root_name(&i.expr),
        Expr::Paren(p) => place_root_name(&p.expr),
        Expr::Path(p) => p.path.get_ident(),
        _ => None,
    }
}

/// Names a pattern binds, in order (`(a, _)` → `a`).
pub fn pattern_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(ident) => {
            out.push(ident.ident.to_string());
            if let Some((_, sub)) = &ident.subpat {
                pattern_names(sub, out);
            }
        }
        Pat::Type(t) => pattern_names(&t.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pattern_names(&f.pat, out)),
        Pat::Reference(r) => pattern_names(&r.pat, out),
        Pat::Paren(p) => pattern_names(&p.pat, out),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pattern_names(p, out)),
        _ => {}
    }
}

/// The sub-pattern for tuple element `index` (`let (g, n) = (m.lock(), 1)` → `g`).
pub fn tuple_element(pat: &Pat, index: usize) -> Option<&Pat> {
    match pat {
        Pat::Type(t) => tuple_element(&t.pat, index),
        Pat::Tuple(t) => t.elems.iter().nth(index),
        _ => None,
    }
}

/// Whether an expression reads any of `names` (as a path `x`, not a field name).
pub fn mentions_any(expr: &Expr, names: &[String]) -> bool {
    if names.is_empty() {
        return false;
    }
    let mut finder = NameFinder {
        names,
        found: false,
    };
    finder.visit_expr(expr);
    finder.found
}

struct NameFinder<'n> {
    names: &'n [String],
    found: bool,
}

impl<'ast> Visit<'ast> for NameFinder<'_> {
    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if let Some(ident) = path.path.get_ident() {
            if self.names.iter().any(|n| ident == n) {
                self.found = true;
            }
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// A memory-ordering argument: `Ordering::SeqCst`, `Relaxed`, `atomic::Ordering::Acquire`.
pub fn is_ordering(expr: &Expr) -> bool {
    let Expr::Path(path) = expr else {
        return false;
    };
    path.path.segments.iter().any(|s| s.ident == "Ordering")
        || path.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "Relaxed" | "SeqCst" | "Acquire" | "Release" | "AcqRel"
            )
        })
}

/// `a.load(Ordering::X)`: the atomic's key.
pub fn atomic_load(expr: &Expr) -> Option<(&syn::ExprMethodCall, String)> {
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    if call.method != "load" || call.args.len() != 1 || !call.args.first().is_some_and(is_ordering)
    {
        return None;
    }
    Some((call, receiver_key(&call.receiver)?))
}

/// Every atomic load inside an expression (not inside closures or items).
pub fn atomic_loads<'a>(expr: &'a Expr, out: &mut Vec<(&'a syn::ExprMethodCall, String)>) {
    struct Loads<'a, 'o> {
        out: &'o mut Vec<(&'a syn::ExprMethodCall, String)>,
    }
    impl<'a> Visit<'a> for Loads<'a, '_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Some(found) = atomic_load(expr) {
                self.out.push(found);
            }
            visit::visit_expr(self, expr);
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    Loads { out }.visit_expr(expr);
}
