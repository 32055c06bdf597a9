//! Guards coming and going: recognizing a synchronous acquisition, the lock facts it adds, `let` bindings taking guards over, and
//! moves (`drop(g)`, `cvar.wait(g)`) releasing them.

use super::{Body, BodyKind, GuardTracker};
use crate::catalog::guards::LockMode;
use crate::program::locks::{
    CallUnderGuard, HeldLock, HeldPlace, LockAcquisition, ParamAcquisition, Tentative,
};
use crate::semantic::guards::liveness::{Guard, Lifetime};
use crate::semantic::guards::lock_expr::{self, addr, GuardSource};
use crate::semantic::types::Ty;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::Expr;

/// The place an argument hands over: `state`, `&self.cache`, `x.clone()`, `&mut *g`.
fn argument_place(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Reference(r) => argument_place(&r.expr),
        Expr::Paren(p) => argument_place(&p.expr),
        Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
            argument_place(&m.receiver)
        }
        _ => lock_expr::receiver_key(arg),
    }
}

impl GuardTracker<'_> {
    pub(super) fn held_locks(body: &Body, held: &dyn Fn(&Guard) -> bool) -> Vec<HeldLock> {
        body.guards
            .guards
            .iter()
            .filter(|g| held(g) && !g.mode.is_refcell())
            .filter_map(|g| {
                Some(HeldLock {
                    lock: g.global.clone()?,
                    mode: g.mode,
                    acquired: g.acquired.clone(),
                    readers_share: g.readers_share,
                    tentative: Tentative::if_lock(g.if_lock.clone()),
                })
            })
            .collect()
    }

    /// Whether an awaited method call acquires an async lock's guard (`m.lock().await`,
    /// `rw.write().await`): on a receiver typed as an async lock, or, in a file that names
    /// an async lock crate, any zero-argument `lock`/`read`/`write` that is awaited.
    fn async_acquisition(
        &self,
        call: &syn::ExprMethodCall,
        name: &str,
        receiver_type: Option<&str>,
    ) -> Option<LockMode> {
        let method = self.catalog.acquire_method(name)?;
        if call.args.len() > method.max_args
            || method.mode.is_refcell()
            || !method.blocks
            || !method.receiver_types.is_empty()
        {
            return None;
        }
        let known = receiver_type.is_some_and(|t| self.catalog.is_async_lock(t));
        let plausible =
            receiver_type.is_none() && self.interests.async_locks && call.args.is_empty();
        (known || plausible).then_some(method.mode)
    }

    /// Whether a method call acquires a synchronous guard: (mode, blocks, reentrant, the
    /// receiver's type if only the crate phase can tell). A `read()`/`write()` on a
    /// receiver the walk could only name (`symbolic`: a field of a struct declared in
    /// another file) is tentatively one. See `uncertain` for calls that may be async-lock
    /// futures.
    pub(super) fn acquisition(
        &self,
        call: &syn::ExprMethodCall,
        name: &str,
        receiver_type: Option<&str>,
        symbolic: Option<&Ty>,
        awaited: bool,
    ) -> Option<(LockMode, bool, bool, Option<Ty>)> {
        let method = self.catalog.acquire_method(name)?;
        if awaited || call.args.len() > method.max_args {
            return None;
        }
        if self.passed_as_argument.contains(&addr(call)) {
            return None;
        }
        if !method.receiver_types.is_empty() {
            return receiver_type
                .filter(|t| method.receiver_types.iter().any(|r| r == t))
                .map(|_| (method.mode, method.blocks, false, None));
        }
        if let Some(ty) = receiver_type {
            if self.catalog.is_async_lock(ty) || self.catalog.is_not_lock(ty) {
                return None;
            }
        }
        if method.known_types_only {
            let known = receiver_type.is_some_and(|t| self.catalog.is_sync_lock(t));
            if !known && self.unwrapped != addr(call) {
                let ty = symbolic?;
                return Some((method.mode, method.blocks, false, Some(ty.clone())));
            }
        }
        let reentrant = receiver_type.is_some_and(|t| self.catalog.is_reentrant(t));
        Some((method.mode, method.blocks, reentrant, None))
    }

    /// A bare `.lock()` on a value not known to be a sync lock in a file that names an async lock crate
    /// may be that lock's future (`let fut = fork.lock(); select! { .. }`): kept only as
    /// evidence that a lock is held (it silences `atomic_check_then_act`), never reported.
    fn uncertain(
        &self,
        call: &syn::ExprMethodCall,
        name: &str,
        receiver_type: Option<&str>,
    ) -> bool {
        let typed = self
            .catalog
            .acquire_method(name)
            .is_some_and(|m| !m.receiver_types.is_empty());
        !typed
            && self.interests.async_locks
            && receiver_type.is_none_or(|t| !self.catalog.is_sync_lock(t))
            && self.unwrapped != addr(call)
    }

    pub(super) fn acquire(
        &mut self,
        walker: &Walker,
        call: &syn::ExprMethodCall,
        receiver_type: Option<&str>,
        receiver_ty: Option<&Ty>,
        awaited: bool,
    ) {
        if self.bodies.is_empty() {
            return;
        }
        let name = walker.method_name(call);
        let async_mode = if awaited {
            self.async_acquisition(call, &name, receiver_type)
        } else {
            None
        };
        let is_async = async_mode.is_some();
        // A type the crate phase may resolve to a lock: still symbolic here, or a
        // workspace path the walk does not know (an alias declared in another file).
        let symbolic = receiver_ty.filter(|ty| match receiver_type {
            None => ty.is_symbolic(),
            Some(path) => walker.cx.is_local_path(path) && !walker.knows_struct(path),
        });
        let acquired = match async_mode {
            Some(mode) => Some((mode, true, false, None)),
            None => self.acquisition(call, &name, receiver_type, symbolic, awaited),
        };
        let Some((mode, blocks, reentrant, if_lock)) = acquired else {
            return;
        };
        // The crate phase confirms only a synchronous lock: a tentative guard is never an
        // async lock's future.
        let uncertain =
            !is_async && if_lock.is_none() && self.uncertain(call, &name, receiver_type);
        let key = lock_expr::receiver_key(&call.receiver);
        let global = key.as_deref().filter(|_| !uncertain).and_then(|key| {
            lock_expr::global_lock_id(
                key,
                walker.self_type(),
                &|name| walker.type_env().bindings.is_local(name),
                &|| {
                    let root = key.split('.').next()?;
                    let path: syn::Path = syn::parse_str(root).ok()?;
                    Some(walker.type_env().resolve_path(&path))
                },
            )
        });
        let acquired = Location::from_span(call.method.span());
        let cfg_gated = self
            .cfg_gated
            .iter()
            .any(|(start, end)| (*start..*end).contains(&acquired.byte_start));
        let names = match self.scrutinee_names.take() {
            Some((scrutinee, names)) if scrutinee == addr(call) => names,
            other => {
                self.scrutinee_names = other;
                Vec::new()
            }
        };
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        if let Some(lock) = &global {
            if !mode.is_refcell() {
                let mut held = body.inherited.clone();
                held.extend(Self::held_locks(body, &|_| true));
                let nested = matches!(body.kind, BodyKind::Nested(_));
                if let Some(function) = self.open_functions.last_mut() {
                    function.acquisitions.push(LockAcquisition {
                        lock: lock.clone(),
                        mode,
                        blocks,
                        location: acquired.clone(),
                        held,
                        nested,
                        tentative: Tentative::if_lock(if_lock.clone()),
                    });
                }
            }
        }
        // A lock taken through a parameter (`state.player.read()` in `fn f(state: &S)`):
        // a caller holding that place's guard while calling deadlocks.
        let nested = matches!(body.kind, BodyKind::Nested(_));
        if global.is_none() && blocks && !reentrant && !uncertain && !mode.is_refcell() && !nested {
            if let (Some(key), Some(params)) = (&key, self.open_params.last()) {
                let root = key.split('.').next().unwrap_or(key);
                let param = params.iter().position(|p| p.as_deref() == Some(root));
                if let (Some(param), Some(function)) = (param, self.open_functions.last_mut()) {
                    function.param_acquisitions.push(ParamAcquisition {
                        param,
                        rest: key[root.len()..].to_string(),
                        mode,
                        location: acquired.clone(),
                        tentative: Tentative::if_lock(if_lock.clone()),
                    });
                }
            }
        }
        let lifetime = body.guards.temporary();
        body.guards.add(Guard {
            key,
            global,
            mode,
            reentrant,
            blocks,
            uncertain,
            cfg_gated,
            acquired,
            call: addr(call),
            names,
            lifetime,
            awaits: Vec::new(),
            is_async,
            optional: !is_async
                && self
                    .catalog
                    .acquire_method(&call.method.to_string())
                    .is_some_and(|m| m.optional),
            readers_share: receiver_type.is_some_and(|t| self.catalog.readers_share(t)),
            transient: self
                .catalog
                .acquire_method(&call.method.to_string())
                .is_some_and(|m| m.transient),
            if_lock,
        });
        self.acquired = true;
    }

    /// A crate function called while guards are alive (facts for the call graph): the
    /// guards `held` selects (those alive as the call is entered, or those its own
    /// arguments took as temporaries).
    pub(super) fn call_under_guard(
        &mut self,
        callee: Option<String>,
        location: impl FnOnce() -> Location,
        method_call: bool,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        held: impl Fn(&Guard) -> bool,
    ) {
        let Some(callee) = callee.filter(|c| c.starts_with("crate::")) else {
            return;
        };
        let Some(body) = self.bodies.last() else {
            return;
        };
        let held_locks = Self::held_locks(body, &held);
        let held_places: Vec<HeldPlace> = body
            .guards
            .guards
            .iter()
            .filter(|g| held(g))
            .filter(|g| g.blocks && !g.reentrant && !g.uncertain && !g.mode.is_refcell())
            .filter_map(|g| {
                Some(HeldPlace {
                    place: g.key.clone()?,
                    mode: g.mode,
                    acquired: g.acquired.clone(),
                    readers_share: g.readers_share,
                    tentative: Tentative::if_lock(g.if_lock.clone()),
                })
            })
            .collect();
        if held_locks.is_empty() && held_places.is_empty() {
            return;
        }
        let args = args.iter().map(argument_place).collect();
        if let Some(function) = self.open_functions.last_mut() {
            function.calls_under_guard.push(CallUnderGuard {
                callee,
                held: held_locks,
                location: location(),
                method_call,
                args,
                held_places,
            });
        }
    }

    /// Arguments that move a guard (`drop(g)`, `cvar.wait(g)`) release it; lock calls passed
    /// as arguments are futures.
    pub(super) fn arguments<'a>(&mut self, args: impl Iterator<Item = &'a Expr>) {
        for arg in args {
            match arg {
                Expr::Path(path) => {
                    let Some(ident) = path.path.get_ident() else {
                        continue;
                    };
                    if let Some(body) = self.bodies.last_mut() {
                        if let Some(index) = body.guards.named(ident) {
                            self.dead.push(body.guards.guards.remove(index));
                        }
                    }
                }
                Expr::MethodCall(call)
                    if self
                        .catalog
                        .acquire_method(&call.method.to_string())
                        .is_some() =>
                {
                    self.passed_as_argument.push(addr(call));
                }
                _ => {}
            }
        }
    }

    pub(super) fn local_bound(&mut self, local: &syn::Local) {
        let catalog = self.catalog;
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        let mut names = Vec::new();
        lock_expr::pattern_names(&local.pat, &mut names);
        let Some(init) = &local.init else {
            names.iter().for_each(|n| body.guards.shadow(n));
            return;
        };
        // Which guards the pattern takes over.
        let mut taken: Vec<(usize, Vec<String>)> = Vec::new();
        if !body.guards.is_empty() && !matches!(local.pat, syn::Pat::Wild(_)) {
            let guards = &body.guards.guards;
            let is_acquire = |call: &syn::ExprMethodCall| {
                guards.iter().any(|g| {
                    g.call == addr(call) && matches!(g.lifetime, Lifetime::Temporary { .. })
                })
            };
            let is_passthrough = |name: &str| catalog.is_passthrough(name);
            let mut sources = Vec::new();
            lock_expr::guard_sources(&init.expr, None, &is_acquire, &is_passthrough, &mut sources);
            for (element, source) in sources {
                let index = match source {
                    GuardSource::LockCall(call) => guards.iter().position(|g| g.call == call),
                    GuardSource::Moved(ident) => body.guards.named(ident),
                };
                let Some(index) = index else { continue };
                let mut holders = Vec::new();
                match element.and_then(|e| lock_expr::tuple_element(&local.pat, e)) {
                    Some(sub) => lock_expr::pattern_names(sub, &mut holders),
                    None => holders.clone_from(&names),
                }
                if matches!(
                    local.pat,
                    syn::Pat::Ident(_)
                        | syn::Pat::Type(_)
                        | syn::Pat::Tuple(_)
                        | syn::Pat::Struct(_)
                        | syn::Pat::TupleStruct(_)
                ) && !(holders.is_empty() && element.is_some())
                {
                    taken.push((index, holders));
                }
            }
        }
        body.reads.local_bound(
            &body.guards,
            &names,
            &init.expr,
            &taken,
            self.interests.atomics,
        );
        for name in &names {
            body.guards.shadow(name);
        }
        let depth = body.guards.block_depth;
        for (index, holders) in taken {
            if let Some(guard) = body.guards.guards.get_mut(index) {
                guard.names = holders;
                guard.lifetime = Lifetime::Bound { block_depth: depth };
            }
        }
    }
}
