//! Read-modify-write split across synchronization: values read under a guard that has since
//! died and written back under a new one (`split_lock_update`), and atomic loads whose value
//! or condition decides a later store to the same atomic (`atomic_check_then_act`).

use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::semantic::guards::liveness::{GuardSet, Lifetime};
use crate::semantic::guards::lock_expr;
use crate::source::Location;
use syn::Expr;

/// Names bound from a value read under a guard of `key`.
struct LockRead {
    key: String,
    names: Vec<String>,
    /// The lock method of the earlier acquisition.
    location: Location,
    block_depth: usize,
}

/// Names bound from an atomic load of `key`.
struct AtomicRead {
    key: String,
    names: Vec<String>,
    location: Location,
    block_depth: usize,
}

/// An `if`/`match` whose condition reads atomics: (the expression, each atomic's key and
/// the load's location).
struct Condition {
    expr: usize,
    loads: Vec<(String, Location)>,
    /// `if a.load(..) != v { a.store(v, ..) }`: the value compared with by `!=`.
    unequal_to: Option<String>,
}

pub struct SharedState {
    /// `&mut self` or `self` by value: the body has exclusive access to `self`'s atomics.
    exclusive_self: bool,
    lock_reads: Vec<LockRead>,
    atomic_reads: Vec<AtomicRead>,
    conditions: Vec<Condition>,
    /// The body also uses compare-and-swap or other RMW operations: a lock-free protocol
    /// (where a plain store after a successful CAS is correct), not a counter.
    uses_rmw: bool,
    findings: Vec<Diagnostic>,
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

impl SharedState {
    pub fn saw_rmw(&mut self) {
        self.uses_rmw = true;
    }

    /// The body ended: its atomic findings, unless it turned out to be lock-free code.
    pub fn finish(&mut self, out: &mut Vec<Diagnostic>) {
        if !self.uses_rmw {
            out.append(&mut self.findings);
        }
    }

    pub fn new(exclusive_self: bool) -> SharedState {
        SharedState {
            exclusive_self,
            lock_reads: Vec::new(),
            atomic_reads: Vec::new(),
            conditions: Vec::new(),
            uses_rmw: false,
            findings: Vec::new(),
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
            if guard.mode.is_refcell() || taken.iter().any(|(i, _)| *i == index) {
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

    /// A write through a new acquisition of `key` (`*m.lock().unwrap() = value`).
    pub fn split_write(
        &self,
        file: &str,
        guards: &GuardSet,
        key: &str,
        location: &Location,
        value: &Expr,
    ) -> Option<Diagnostic> {
        if guards.guards.iter().any(|g| g.key.as_deref() == Some(key)) {
            return None; // still locked: that is double_lock's finding
        }
        let read = self
            .lock_reads
            .iter()
            .rev()
            .find(|r| r.key == key && lock_expr::mentions_any(value, &r.names))?;
        Some(rules::split_lock_update::diagnostic(
            file,
            key,
            location,
            &read.location,
        ))
    }

    /// A write through a guard acquired after the read (`let mut g = m.lock(); *g = b - x;`).
    pub fn split_write_through_guard(
        &self,
        file: &str,
        guards: &GuardSet,
        key: &str,
        acquired: &Location,
        value: &Expr,
    ) -> Option<Diagnostic> {
        let live = guards
            .guards
            .iter()
            .filter(|g| g.key.as_deref() == Some(key))
            .count();
        if live != 1 {
            return None;
        }
        let read = self.lock_reads.iter().rev().find(|r| {
            r.key == key
                && r.location.byte_start < acquired.byte_start
                && lock_expr::mentions_any(value, &r.names)
        })?;
        Some(rules::split_lock_update::diagnostic(
            file,
            key,
            acquired,
            &read.location,
        ))
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

    /// `a.store(value, ordering)`: does the value or an enclosing condition come from a load
    /// of `a`?
    pub fn store(&mut self, file: &str, lock_held: bool, call: &syn::ExprMethodCall) {
        if let Some(found) = self.dependent_store(file, lock_held, call) {
            self.findings.push(found);
        }
    }

    fn dependent_store(
        &self,
        file: &str,
        lock_held: bool,
        call: &syn::ExprMethodCall,
    ) -> Option<Diagnostic> {
        if call.args.len() != 2 || !call.args.last().is_some_and(lock_expr::is_ordering) {
            return None;
        }
        // Under a lock the check and the act are one critical section.
        if lock_held {
            return None;
        }
        let key = lock_expr::receiver_key(&call.receiver)?;
        if self.exclusive_self && key.starts_with("self.") {
            return None;
        }
        let value = call.args.first()?;
        let store = Location::from_span(call.method.span());
        let mut loads = Vec::new();
        lock_expr::atomic_loads(value, &mut loads);
        if let Some((load, _)) = loads.iter().find(|(_, k)| *k == key) {
            let location = Location::from_span(load.method.span());
            return Some(rules::atomic_check_then_act::diagnostic(
                file, &key, &store, &location, true,
            ));
        }
        if let Some(read) = self
            .atomic_reads
            .iter()
            .rev()
            .find(|r| r.key == key && lock_expr::mentions_any(value, &r.names))
        {
            return Some(rules::atomic_check_then_act::diagnostic(
                file,
                &key,
                &store,
                &read.location,
                true,
            ));
        }
        for condition in self.conditions.iter().rev() {
            let Some((_, location)) = condition.loads.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            // `if a.load() != v { a.store(v) }` only skips a redundant write.
            if condition
                .unequal_to
                .as_ref()
                .is_some_and(|v| *v == token_text(value))
            {
                return None;
            }
            return Some(rules::atomic_check_then_act::diagnostic(
                file, &key, &store, location, false,
            ));
        }
        None
    }
}

/// A read's names after `let names = init;`.
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

fn token_text(expr: &Expr) -> String {
    quote::ToTokens::to_token_stream(expr).to_string()
}
