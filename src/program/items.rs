//! The workspace's item index, built in the crate phase from every file's
//! [`ItemFacts`](crate::semantic::types::items::ItemFacts): return types of functions and
//! methods, struct fields, type aliases, statics, `pub use` re-exports and trait
//! implementations. It resolves the types the walk of one file could only name
//! symbolically, and with them the method calls recorded as [`DeferredCall`]s: a call of
//! a workspace method becomes a call edge, a call of a blocking catalog method a blocking
//! fact. Every callee is made canonical (re-exports followed; a trait method with one
//! implementation in the workspace resolves to it).

use super::calls::{CallContext, CallEdge, DeferredCall, DirectBlocking, InferredBlocking};
use super::FileFacts;
use crate::catalog::{BlockingKind, Catalog};
use crate::path_text::{concat, first_segment, join, last_segment, split_last};
use crate::semantic::types::{resolve, Ty, TypeFacts};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::cell::RefCell;

/// Every item of the program, by canonical path.
pub struct ItemIndex<'c> {
    catalog: &'c Catalog,
    returns: HashMap<String, Ty>,
    fields: HashMap<String, HashMap<String, Ty>>,
    aliases: HashMap<String, Ty>,
    values: HashMap<String, Ty>,
    reexports: HashMap<String, String>,
    glob_reexports: Vec<(String, String)>,
    /// The same, by module.
    glob_reexports_of: HashMap<String, Vec<String>>,
    /// Modules' private glob imports of crate modules (`ItemFacts::glob_imports`), by
    /// module.
    glob_imports_of: HashMap<String, Vec<String>>,
    /// trait path → the types implementing it.
    impls: HashMap<String, Vec<String>>,
    /// Paths of items that exist: functions, types, statics.
    known: HashSet<String>,
    /// The crate names of the program (`crate`, or the members' names).
    crates: HashSet<String>,
    /// The first segments of the re-exported paths and glob re-exported modules: a path
    /// starting otherwise is canonical as it is.
    reexport_roots: HashSet<String>,
    /// `canonical` of the paths that follow re-exports, once computed.
    followed: RefCell<HashMap<String, String>>,
    /// `glob_names_item` of the paths a glob import may name, once computed.
    glob_named: RefCell<HashMap<String, bool>>,
}

/// The modules a name a glob import brings may be written in: the parent of `M::Name`,
/// and the grandparent of `M::Type::method`.
fn name_modules(path: &str) -> impl Iterator<Item = &str> {
    let parent = split_last(path).map(|(module, _)| module);
    let grandparent = parent.and_then(|p| split_last(p).map(|(module, _)| module));
    parent.into_iter().chain(grandparent)
}

/// An empty map with room for `capacity` entries.
fn sized<V>(capacity: usize) -> HashMap<String, V> {
    HashMap::with_capacity_and_hasher(capacity, Default::default())
}

impl<'c> ItemIndex<'c> {
    pub fn build<'f>(
        files: impl Iterator<Item = &'f FileFacts> + Clone,
        catalog: &'c Catalog,
    ) -> Self {
        // Sized up front: a table grown by doubling lands on fresh memory at every step,
        // which the kernel must zero.
        let count = |of: fn(&FileFacts) -> usize| files.clone().map(of).sum::<usize>();
        let mut index = ItemIndex {
            catalog,
            returns: sized(count(|f| f.items.returns.len())),
            fields: HashMap::default(),
            aliases: sized(count(|f| f.items.aliases.len())),
            values: sized(count(|f| f.items.values.len())),
            reexports: sized(count(|f| f.items.reexports.len())),
            glob_reexports: Vec::new(),
            glob_reexports_of: HashMap::default(),
            glob_imports_of: HashMap::default(),
            impls: HashMap::default(),
            known: HashSet::with_capacity_and_hasher(
                count(|f| f.functions.len()),
                Default::default(),
            ),
            crates: HashSet::default(),
            reexport_roots: HashSet::default(),
            followed: RefCell::default(),
            glob_named: RefCell::default(),
        };
        for facts in files {
            index.add(facts);
        }
        // Traits by their canonical path, as calls name them (`impl RequestHandler for ..`
        // may name the trait through a re-export).
        for (trait_path, types) in std::mem::take(&mut index.impls) {
            let canonical = index.canonical(&trait_path).into_owned();
            let all = index.impls.entry(canonical).or_default();
            for ty in types {
                if !all.contains(&ty) {
                    all.push(ty);
                }
            }
        }
        index
    }

    fn add(&mut self, facts: &FileFacts) {
        for function in &facts.functions {
            self.known.insert(function.path.clone());
            let first = first_segment(&function.path);
            if !function.foreign_impl && !self.crates.contains(first) {
                self.crates.insert(first.to_string());
            }
        }
        let items = &facts.items;
        for (path, ty) in &items.returns {
            self.known.insert(path.clone());
            self.returns
                .entry(path.clone())
                .or_insert_with(|| ty.clone());
        }
        for (owner, name, ty) in &items.fields {
            self.known.insert(owner.clone());
            let fields = self.fields.entry(owner.clone()).or_default();
            fields.entry(name.clone()).or_insert_with(|| ty.clone());
        }
        for (path, ty) in &items.aliases {
            self.known.insert(path.clone());
            self.aliases
                .entry(path.clone())
                .or_insert_with(|| ty.clone());
        }
        for (path, ty) in &items.values {
            self.known.insert(path.clone());
            self.values
                .entry(path.clone())
                .or_insert_with(|| ty.clone());
        }
        for (name, target) in &items.reexports {
            self.reexports.insert(name.clone(), target.clone());
        }
        self.glob_reexports
            .extend(items.glob_reexports.iter().cloned());
        for (module, target) in &items.glob_reexports {
            let targets = self.glob_reexports_of.entry(module.clone()).or_default();
            targets.push(target.clone());
        }
        for (module, target) in &items.glob_imports {
            let targets = self.glob_imports_of.entry(module.clone()).or_default();
            targets.push(target.clone());
        }
        let reexported = items
            .reexports
            .iter()
            .chain(&items.glob_reexports)
            .chain(&items.glob_imports);
        for (path, _) in reexported {
            if !self.reexport_roots.contains(first_segment(path)) {
                self.reexport_roots.insert(first_segment(path).to_string());
            }
        }
        for path in &items.enums {
            self.known.insert(path.clone());
        }
        for (trait_path, self_path) in &items.impls {
            self.known.insert(self_path.clone());
            self.impls
                .entry(trait_path.clone())
                .or_default()
                .push(self_path.clone());
        }
    }

    fn is_known(&self, path: &str) -> bool {
        self.known.contains(path)
    }

    /// A path with re-exports followed (`crate::api::User::find` →
    /// `crate::models::User::find` after `pub use crate::models::User;` in `api`).
    pub fn canonical<'p>(&self, path: &'p str) -> Cow<'p, str> {
        if self.is_known(path) || !self.reexport_roots.contains(first_segment(path)) {
            return Cow::Borrowed(path);
        }
        // Owned only when it differs: most paths under a re-exporting root are canonical.
        if let Some(followed) = self.followed.borrow().get(path) {
            return if followed == path {
                Cow::Borrowed(path)
            } else {
                Cow::Owned(followed.clone())
            };
        }
        let followed = self.follow_reexports(path);
        self.followed
            .borrow_mut()
            .insert(path.to_string(), followed.clone());
        if followed == path {
            Cow::Borrowed(path)
        } else {
            Cow::Owned(followed)
        }
    }

    fn follow_reexports(&self, path: &str) -> String {
        let mut current = path.to_string();
        for _ in 0..8 {
            if self.is_known(&current) {
                return current;
            }
            let Some(next) = self.reexported(&current) else {
                return current;
            };
            current = next;
        }
        current
    }

    /// One re-export step on `path` or its longest re-exported prefix; else, for a name
    /// the walk named in a module that imports crate modules by glob
    /// (`crate::ui::SharedState`), the one of those modules that has it.
    fn reexported(&self, path: &str) -> Option<String> {
        self.reexport_step(path)
            .or_else(|| self.glob_imported(path))
    }

    fn reexport_step(&self, path: &str) -> Option<String> {
        let mut end = path.len();
        let mut candidate_prefix = String::new();
        loop {
            let prefix = &path[..end];
            let rest = &path[end..];
            if let Some(target) = self.reexports.get(prefix) {
                if target != prefix {
                    return Some(concat(&[target, rest]));
                }
            }
            for (module, target) in &self.glob_reexports {
                if prefix.len() > module.len()
                    && prefix.starts_with(module.as_str())
                    && prefix[module.len()..].starts_with("::")
                {
                    candidate_prefix.clear();
                    candidate_prefix.push_str(target);
                    candidate_prefix.push_str(&prefix[module.len()..]);
                    if self.is_known(&candidate_prefix)
                        || self.reexports.contains_key(&candidate_prefix)
                    {
                        return Some(concat(&[target, &path[module.len()..]]));
                    }
                }
            }
            end = split_last(prefix)?.0.len();
        }
    }

    /// `M::Name` or `M::Type::method` in a module `M` with glob imports of crate modules:
    /// the same in the first of those that has it, itself or through its `pub use …::*`.
    fn glob_imported(&self, path: &str) -> Option<String> {
        for module in name_modules(path) {
            let Some(targets) = self.glob_imports_of.get(module) else {
                continue;
            };
            let rest = &path[module.len()..];
            for target in targets {
                let candidate = concat(&[target, rest]);
                if self.glob_names_item(&candidate) {
                    return Some(candidate);
                }
            }
        }
        None
    }

    /// Whether a path a glob import may name is an item, a re-export, or one through the
    /// `pub use …::*` of its module (`use crate::prelude::*` of a `pub use
    /// crate::store::*`); once per path.
    fn glob_names_item(&self, path: &str) -> bool {
        if self.is_known(path) || self.reexports.contains_key(path) {
            return true;
        }
        // `M::Type::method` where `M` re-exports `Type` (`pub use crate::server::Qs;`).
        if split_last(path).is_some_and(|(owner, _)| self.reexports.contains_key(owner)) {
            return true;
        }
        if let Some(&found) = self.glob_named.borrow().get(path) {
            return found;
        }
        let found = name_modules(path).any(|module| {
            let rest = &path[module.len()..];
            self.glob_reexports_of.get(module).is_some_and(|targets| {
                targets.iter().any(|target| {
                    let candidate = concat(&[target, rest]);
                    self.is_known(&candidate) || self.reexports.contains_key(&candidate)
                })
            })
        });
        self.glob_named.borrow_mut().insert(path.to_string(), found);
        found
    }

    /// A callee made canonical: re-exports followed, and `Trait::method` of a trait with
    /// one implementation in the workspace resolved to that implementation's method.
    pub fn callee<'p>(&self, path: &'p str) -> Cow<'p, str> {
        let canonical = self.canonical(path);
        if let Some((owner, method)) = split_last(&canonical) {
            // `Alias::new()` after `type Alias = inner::Client;`: the aliased type's method.
            if let Some(Ty::Named(target, _)) = self.aliases.get(owner) {
                let candidate = join(&self.canonical(target), method);
                if self.is_known(&candidate) {
                    return Cow::Owned(candidate);
                }
            }
            if let Some([only]) = self.impls.get(owner).map(Vec::as_slice) {
                let candidate = join(only, method);
                if self.is_known(&candidate) {
                    return Cow::Owned(candidate);
                }
            }
        }
        canonical
    }
}

impl TypeFacts for ItemIndex<'_> {
    fn catalog(&self) -> &Catalog {
        self.catalog
    }

    fn is_local(&self, path: &str) -> bool {
        self.crates.contains(first_segment(path))
    }

    fn field(&self, owner: &str, name: &str) -> Option<Ty> {
        self.fields.get(&*self.canonical(owner))?.get(name).cloned()
    }

    fn returns(&self, path: &str) -> Option<Ty> {
        let callee = self.callee(path);
        if let Some(ty) = self.returns.get(&*callee) {
            return Some(ty.clone());
        }
        // `Command::Raw(opts)` builds a `Command`; `Wrapper(x)` builds a `Wrapper`.
        let (owner, name) = split_last(&callee)?;
        if self.fields.contains_key(&*callee) {
            let variant = last_segment(owner).starts_with(|c: char| c.is_ascii_uppercase());
            return Some(Ty::named(
                if variant { owner } else { &*callee }.to_string(),
            ));
        }
        // `Args::parse()`, `Config::default()`: derived, so not in the index.
        (!self.is_known(&callee)
            && self.catalog.is_derived_constructor(name)
            && self.is_known(owner))
        .then(|| Ty::named(owner.to_string()))
    }

    fn value(&self, path: &str) -> Option<Ty> {
        self.values.get(&*self.canonical(path)).cloned()
    }

    fn alias(&self, path: &str) -> Option<Ty> {
        let canonical = self.canonical(path);
        match self.aliases.get(&*canonical) {
            Some(ty) => Some(ty.clone()),
            None => (canonical != path).then(|| Ty::named(canonical.into_owned())),
        }
    }

    fn symbolic(&self) -> bool {
        false
    }
}

/// A method of an `impl` whose type the file names through an import or a glob (`impl Qs`
/// after `use crate::prelude::*;`, named `crate::server::migrations::Qs`) is the type's
/// own: its path is made the canonical type's (`crate::server::Qs::init`), the path its
/// callers resolve to, wherever the file speaks of it.
fn canonical_definitions(index: &ItemIndex, facts: &mut FileFacts) {
    facts.definition_paths_mut(&mut |path: &mut String| {
        let Some((owner, name)) = split_last(path) else {
            return;
        };
        if !last_segment(owner).starts_with(|c: char| c.is_ascii_uppercase()) {
            return;
        }
        if let Cow::Owned(canonical) = index.canonical(owner) {
            *path = join(&canonical, name);
        }
    });
}

/// The calls among `calls` of a method of a workspace trait with several implementations
/// (`handler.update(..)` on a `dyn ZoneHandler`), fanned out: one edge to each
/// implementation's method. A trait with one implementation is resolved to it already
/// (`ItemIndex::callee`).
fn dispatched_calls(index: &ItemIndex, calls: &[CallEdge]) -> Vec<CallEdge> {
    let mut dispatched = Vec::new();
    for edge in calls {
        let Some((owner, method)) = split_last(&edge.callee) else {
            continue;
        };
        let Some(implementations) = index.impls.get(owner).filter(|i| i.len() > 1) else {
            continue;
        };
        for implementation in implementations {
            let callee = join(implementation, method);
            if index.is_known(&callee) {
                dispatched.push(CallEdge {
                    callee,
                    ..edge.clone()
                });
            }
        }
    }
    dispatched
}

/// Resolve the program's deferred calls, make every callee (and method definition)
/// canonical, and confirm the lock facts whose receiver's type only the index knows
/// (`locks::Tentative`). Idempotent: what an earlier run inferred is replaced (the language server runs it
/// again).
pub fn resolve_program(files: &mut [&mut FileFacts], catalog: &Catalog) {
    let index = ItemIndex::build(files.iter().map(|f| &**f), catalog);
    for facts in files.iter_mut() {
        canonical_definitions(&index, facts);
        for function in &mut facts.functions {
            function.calls.retain(|edge| !edge.inferred);
            if function.blocks.as_ref().is_some_and(|b| b.inferred) {
                function.blocks = None;
            }
            if function.blocks_on.as_ref().is_some_and(|b| b.inferred) {
                function.blocks_on = None;
            }
            function.inferred_blocking.clear();
            for edge in &mut function.calls {
                if let Cow::Owned(callee) = index.callee(&edge.callee) {
                    edge.callee = callee;
                }
            }
            let deferred = std::mem::take(&mut function.deferred);
            for call in &deferred {
                match resolve_call(&index, call) {
                    Some(Resolved::Edge(edge)) => function.calls.push(edge),
                    Some(Resolved::Blocking(receiver, api, kind)) => match call.context {
                        CallContext::Sync => {
                            let fact = match kind {
                                BlockingKind::Blocks => &mut function.blocks,
                                BlockingKind::BlocksOn => &mut function.blocks_on,
                            };
                            // The first; an unconditional one replaces a conditional
                            // one inferred before it (never the walk's own: a rerun
                            // drops what was inferred).
                            let if_some = call.args.if_some;
                            let replaces = fact.as_ref().is_none_or(|b| {
                                b.inferred && b.if_some.is_some() && if_some.is_none()
                            });
                            if replaces {
                                *fact = Some(Box::new(DirectBlocking {
                                    api,
                                    location: call.location.clone(),
                                    inferred: true,
                                    if_some,
                                }));
                            }
                        }
                        CallContext::Async => function.inferred_blocking.push(InferredBlocking {
                            receiver,
                            method: call.method.clone(),
                            location: call.location.clone(),
                            async_header: call.async_header.clone(),
                        }),
                        _ => {}
                    },
                    None => {}
                }
            }
            function.deferred = deferred;
            function.dispatched = dispatched_calls(&index, &function.calls);
        }
        let mut confirm = |tentative: &mut super::locks::Tentative| {
            tentative.confirmed = tentative
                .if_lock
                .as_ref()
                .is_some_and(|ty| is_sync_lock(&index, ty));
        };
        for locks in &mut facts.locks {
            locks.tentative_mut(&mut confirm);
        }
        for conditional in &mut facts.if_lock {
            confirm(&mut conditional.receiver);
        }
    }
}

/// Whether a receiver's type, as the walk named it, is a synchronous lock that a second
/// acquisition waits on (not re-entrant).
fn is_sync_lock(index: &ItemIndex, ty: &Ty) -> bool {
    let locks = &index.catalog.guards;
    resolve(ty, index, 0)
        .as_ref()
        .and_then(Ty::concrete_path)
        .is_some_and(|path| locks.is_sync_lock(path) && !locks.is_reentrant(path))
}

enum Resolved {
    Edge(CallEdge),
    /// (the receiver's type, the blocking API's display name, its kind)
    Blocking(String, String, BlockingKind),
}

fn resolve_call(index: &ItemIndex, call: &DeferredCall) -> Option<Resolved> {
    let ty = resolve(&call.receiver, index, 0)?;
    let path = ty.concrete_path()?;
    if index.is_local(path) {
        let method = join(&index.canonical(path), &call.method);
        return Some(Resolved::Edge(CallEdge {
            callee: index.callee(&method).into_owned(),
            location: call.location.clone(),
            context: call.context,
            async_header: call.async_header.clone(),
            awaited: call.awaited,
            inferred: true,
            args: call.args,
        }));
    }
    if call.awaited {
        return None;
    }
    let api = index.catalog.blocking_method_of(path, &call.method)?;
    Some(Resolved::Blocking(
        path.to_string(),
        api.display.clone(),
        api.kind,
    ))
}
