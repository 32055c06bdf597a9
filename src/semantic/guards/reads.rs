//! Where values come from, per body: names bound from a value read under a lock guard
//! (`let b = *m.lock().unwrap();`, carried on through `let c = b - x;`), names bound from an
//! atomic load, the `if`/`match` conditions around the current node that read atomics, and
//! whether the body uses atomic read-modify-write operations (a lock-free protocol).

use crate::semantic::guards::liveness::{GuardSet, Lifetime};
use crate::semantic::guards::lock_expr;
use crate::source::Location;
use syn::Expr;

/// Names bound from a value read under a guard of `key`.
pub struct LockRead {
    pub key: String,
    pub names: Vec<String>,
    /// The lock method of the earlier acquisition.
    pub location: Location,
    pub block_depth: usize,
}

/// Names bound from an atomic load of `key`.
pub struct AtomicRead {
    pub key: String,
    pub names: Vec<String>,
    pub location: Location,
    pub block_depth: usize,
}

/// An `if`/`match` whose condition reads atomics: (the expression, each atomic's key and
/// the load's location).
pub struct Condition {
    pub expr: usize,
    pub loads: Vec<(String, Location)>,
    /// `if a.load(..) != v { a.store(v, ..) }`: the value compared with by `!=`.
    pub unequal_to: Option<String>,
}

pub struct ValueReads {
    /// `&mut self` or `self` by value: the body has exclusive access to `self`'s atomics.
    pub exclusive_self: bool,
    pub lock_reads: Vec<LockRead>,
    pub atomic_reads: Vec<AtomicRead>,
    pub conditions: Vec<Condition>,
    /// The body also uses compare-and-swap or other RMW operations: a lock-free protocol
    /// (where a plain store after a successful CAS is correct), not a counter.
    pub uses_rmw: bool,
}

/// Atomic read-modify-write methods.
pub fn is_rmw(method: &syn::Ident) -> bool {
    matches!(
        method.to_string().as_str(),
        "compare_exchange"
            | "compare_exchange_weak"
            | "compare_and_swap"
            | "fetch_update"
            | "fetch_add"
            | "fetch_sub"
            | "fetch_or"
            | "fetch_and"
            | "fetch_xor"
            | "fetch_max"
            | "fetch_min"
            | "swap"
    )
}

impl ValueReads {
    pub fn saw_rmw(&mut self) {
        self.uses_rmw = true;
    }

    pub fn new(exclusive_self: bool) -> ValueReads {
        ValueReads {
            exclusive_self,
            lock_reads: Vec::new(),
            atomic_reads: Vec::new(),
            conditions: Vec::new(),
            uses_rmw: false,
        }
    }

    /// A `let` bound `names` from `init`; `taken` are the guards the pattern now holds.
    pub fn local_bound(
        &mut self,
        guards: &GuardSet,
        names: &[String],
        init: &Expr,
        taken: &[(usize, Vec<String>)],
        atomics: bool,
    ) {
        if names.is_empty() {
            return;
        }
        // Values computed from a read carry it on (`let after = before + x;`); other new
        // bindings shadow earlier reads of the same names.
        for read in &mut self.lock_reads {
            carry(&mut read.names, names, init);
        }
        self.lock_reads.retain(|r| !r.names.is_empty());
        for read in &mut self.atomic_reads {
            carry(&mut read.names, names, init);
        }
        self.atomic_reads.retain(|r| !r.names.is_empty());
        let depth = guards.block_depth;
        let scope = guards.current_scope();
        for (index, guard) in guards.guards.iter().enumerate() {
            let Some(key) = &guard.key else { continue };
            if guard.mode.is_refcell()
                || guard.is_tentative()
                || taken.iter().any(|(i, _)| *i == index)
            {
                continue;
            }
            // A temporary guard of this statement, or a read through a bound guard.
            let reads = match guard.lifetime {
                Lifetime::Temporary { scope: s } => s == scope,
                Lifetime::Bound { .. } => lock_expr::mentions_any(init, &guard.names),
            };
            // Moving the value out (`.take()`, `.pop()`, `mem::replace`) checks it out of
            // the lock: writing it back later loses nothing.
            if reads && !checks_out(init) {
                self.lock_reads.push(LockRead {
                    key: key.clone(),
                    names: names.to_vec(),
                    location: guard.acquired.clone(),
                    block_depth: depth,
                });
            }
        }
        if atomics {
            let mut loads = Vec::new();
            lock_expr::atomic_loads(init, &mut loads);
            for (call, key) in loads {
                self.atomic_reads.push(AtomicRead {
                    key,
                    names: names.to_vec(),
                    location: Location::from_span(call.method.span()),
                    block_depth: depth,
                });
            }
        }
    }

    pub fn exit_block(&mut self, depth: usize) {
        self.lock_reads.retain(|r| r.block_depth <= depth);
        self.atomic_reads.retain(|r| r.block_depth <= depth);
    }

    pub fn enter_condition(&mut self, expr: usize, condition: &Expr) {
        let mut found = Vec::new();
        lock_expr::atomic_loads(condition, &mut found);
        let mut loads: Vec<(String, Location)> = found
            .into_iter()
            .map(|(call, key)| (key, Location::from_span(call.method.span())))
            .collect();
        for read in &self.atomic_reads {
            if lock_expr::mentions_any(condition, &read.names) {
                loads.push((read.key.clone(), read.location.clone()));
            }
        }
        if loads.is_empty() {
            return;
        }
        let unequal_to = match condition {
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Ne(_)) => {
                let loaded = |e: &Expr| {
                    lock_expr::atomic_load(e).is_some()
                        || self.atomic_reads.iter().any(|r| {
                            matches!(e, Expr::Path(p) if p.path.get_ident().is_some_and(|i| r.names.iter().any(|n| i == n)))
                        })
                };
                let other = if loaded(&b.left) {
                    Some(&*b.right)
                } else if loaded(&b.right) {
                    Some(&*b.left)
                } else {
                    None
                };
                other.map(token_text)
            }
            _ => None,
        };
        self.conditions.push(Condition {
            expr,
            loads,
            unequal_to,
        });
    }

    pub fn exit_condition(&mut self, expr: usize) {
        if self.conditions.last().is_some_and(|c| c.expr == expr) {
            self.conditions.pop();
        }
    }
}

/// Whether an initializer moves the value out of the locked place (a check-out).
fn checks_out(init: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            let name = call.method.to_string();
            if matches!(
                name.as_str(),
                "take"
                    | "replace"
                    | "pop"
                    | "pop_front"
                    | "pop_back"
                    | "remove"
                    | "swap_remove"
                    | "drain"
                    | "split_off"
            ) {
                self.0 = true;
            }
            syn::visit::visit_expr_method_call(self, call);
        }
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let Expr::Path(p) = &*call.func {
                let segments: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segments.len() >= 2
                    && segments[segments.len() - 2] == "mem"
                    && matches!(segments[segments.len() - 1].as_str(), "take" | "replace")
                {
                    self.0 = true;
                }
            }
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_expr(&mut finder, init);
    finder.0
}

/// A read's names after `let names = init;`.
fn carry(read_names: &mut Vec<String>, names: &[String], init: &Expr) {
    if lock_expr::mentions_any(init, read_names) {
        for name in names {
            if !read_names.contains(name) {
                read_names.push(name.clone());
            }
        }
    } else {
        read_names.retain(|n| !names.contains(n));
    }
}

pub fn token_text(expr: &Expr) -> String {
    quote::ToTokens::to_token_stream(expr).to_string()
}
