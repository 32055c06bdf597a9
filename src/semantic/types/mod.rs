//! Types as the semantic model infers them without compiling (SPEC §2, "The semantic
//! model sees what real code writes"). A [`Ty`] is plain data: either a named type with its
//! generic arguments (`crate::models::User`, `std::sync::Mutex<rusqlite::Connection>`), a
//! sequence of items, a tuple, or a *symbolic* type that names where the type comes from
//! when the walk of one file cannot know it (the return type of a crate function of another
//! file, a field of such a value, …). Symbolic types are resolved in the crate phase
//! against the workspace's item index (`program::items`), with the same operations
//! ([`field_of`], [`method_of`], [`elem_of`]) the walk uses, through [`TypeFacts`].
//!
//! Wrappers that method calls see through (`&`, `Box`, `Arc`, `Rc`, `Pin`, `Lazy`,
//! `LazyLock`, guards) are peeled when a type is built; `Option` and `Result` are kept
//! (their combinators are modelled) and peeled by `?`, `unwrap`, `Some(x)`/`Ok(x)`.

pub mod items;
pub mod syntax;

use crate::catalog::Catalog;
use crate::path_text::last_segment;

/// An inferred type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Ty {
    /// A named type, fully qualified as far as `use`s show, with its type arguments.
    Named(String, Vec<Ty>),
    /// A collection, slice or iterator of items of a type.
    Seq(Box<Ty>),
    Tuple(Vec<Ty>),
    /// The return type of the crate function at this path.
    Returns(String),
    /// The type of the static or const at this path.
    Value(String),
    /// A field of a value of a type.
    Field(Box<Ty>, String),
    /// What a method returns on a value of a type.
    Method(Box<Ty>, String),
    /// An item of a sequence (the element a `for` loop binds).
    Elem(Box<Ty>),
}

/// What typing needs to know beyond one expression: the catalogs, which paths belong to
/// the workspace, and what is known of its items. The walk knows the file's own struct
/// fields and keeps the rest symbolic; the crate phase knows every item.
pub trait TypeFacts {
    fn catalog(&self) -> &Catalog;
    /// A path of the workspace (`crate::…` or a member crate's).
    fn is_local(&self, path: &str) -> bool;
    fn field(&self, owner: &str, name: &str) -> Option<Ty>;
    fn returns(&self, path: &str) -> Option<Ty>;
    fn value(&self, path: &str) -> Option<Ty>;
    /// What a type alias or re-exported name stands for (the crate phase).
    fn alias(&self, _path: &str) -> Option<Ty> {
        None
    }
    /// Whether unknown workspace items stay symbolic (the walk) or are unknown (the crate
    /// phase, which knows them all).
    fn symbolic(&self) -> bool;
}

/// How a field typed by one of its struct's generic parameters (`handler: T`) names
/// that parameter: `<param>::T`, which no path of a crate can be. An `impl<T: Bound>` of
/// the struct gives it the bound (`Ty::with_parameters`).
const GENERIC_PARAMETER: &str = "<param>::";

impl Ty {
    pub fn named(path: impl Into<String>) -> Ty {
        Ty::Named(path.into(), Vec::new())
    }

    /// The type of a field written as the struct's generic parameter `name`.
    pub fn generic_parameter(name: &str) -> Ty {
        Ty::named(format!("{GENERIC_PARAMETER}{name}"))
    }

    /// The type with each of its struct's generic parameters that `parameters` bounds
    /// (`T` of `impl<T: RequestHandler> Server<T>`) replaced by that bound.
    pub fn with_parameters(&self, parameters: &[(String, Ty)]) -> Ty {
        let with = |ty: &Ty| Box::new(ty.with_parameters(parameters));
        match self {
            Ty::Named(path, args) => {
                let bound = path
                    .strip_prefix(GENERIC_PARAMETER)
                    .and_then(|name| parameters.iter().find(|(n, _)| n == name));
                match bound {
                    Some((_, bound)) => bound.clone(),
                    None => Ty::Named(
                        path.clone(),
                        args.iter().map(|a| a.with_parameters(parameters)).collect(),
                    ),
                }
            }
            Ty::Seq(item) => Ty::Seq(with(item)),
            Ty::Tuple(items) => Ty::Tuple(
                items
                    .iter()
                    .map(|i| i.with_parameters(parameters))
                    .collect(),
            ),
            Ty::Field(base, name) => Ty::Field(with(base), name.clone()),
            Ty::Method(base, name) => Ty::Method(with(base), name.clone()),
            Ty::Elem(item) => Ty::Elem(with(item)),
            Ty::Returns(_) | Ty::Value(_) => self.clone(),
        }
    }

    /// The path of a named type.
    pub fn path(&self) -> Option<&str> {
        match self {
            Ty::Named(path, _) => Some(path),
            _ => None,
        }
    }

    /// Whether the type still names an unresolved workspace item.
    pub fn is_symbolic(&self) -> bool {
        matches!(
            self,
            Ty::Returns(_) | Ty::Value(_) | Ty::Field(..) | Ty::Method(..) | Ty::Elem(_)
        )
    }

    fn arg(&self, index: usize) -> Option<Ty> {
        match self {
            Ty::Named(_, args) => args.get(index).cloned(),
            _ => None,
        }
    }

    /// The value type method calls act on: `Option`/`Result` peeled (`x.unwrap().m()`
    /// and `x?.m()` are what real code writes; a method of the wrapper itself is not a
    /// workspace or catalog method).
    pub fn concrete_path(&self) -> Option<&str> {
        match self {
            Ty::Named(path, args) if is_option_like(path) => {
                args.first().and_then(Ty::concrete_path)
            }
            Ty::Named(path, _) => Some(path),
            _ => None,
        }
    }

    /// Every path the type mentions, for renaming `crate::` in the workspace program.
    pub fn paths_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        match self {
            Ty::Named(path, args) => {
                f(path);
                args.iter_mut().for_each(|a| a.paths_mut(f));
            }
            Ty::Seq(inner) | Ty::Elem(inner) => inner.paths_mut(f),
            Ty::Tuple(items) => items.iter_mut().for_each(|a| a.paths_mut(f)),
            Ty::Returns(path) | Ty::Value(path) => f(path),
            Ty::Field(base, _) | Ty::Method(base, _) => base.paths_mut(f),
        }
    }
}

/// `Option`, `Result` and the crates' `Result` aliases (`io::Result<T>`, `anyhow::Result`).
pub fn is_option_like(path: &str) -> bool {
    matches!(
        last_segment(path),
        "Option" | "Result" | "LockResult" | "TryLockResult"
    )
}

/// Named wrappers a method call sees through (their first type argument).
pub(crate) const DEREF_WRAPPERS: &[&str] = &[
    "Box",
    "Arc",
    "Rc",
    "Pin",
    "Lazy",
    "LazyLock",
    "LazyCell",
    "Cow",
    "MutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "MappedMutexGuard",
    "OwnedMutexGuard",
    "OwnedRwLockReadGuard",
    "OwnedRwLockWriteGuard",
    "Ref",
    "RefMut",
    "ManuallyDrop",
    "AssertUnwindSafe",
    "CachePadded",
];

const SEQUENCES: &[&str] = &[
    "Vec",
    "VecDeque",
    "HashSet",
    "BTreeSet",
    "BinaryHeap",
    "LinkedList",
    "IndexSet",
    "SmallVec",
    "FxHashSet",
    "AHashSet",
];

const MAPS: &[&str] = &[
    "HashMap",
    "BTreeMap",
    "IndexMap",
    "FxHashMap",
    "AHashMap",
    "DashMap",
];

/// Types whose accessors hand out their first type argument (behind a guard or a
/// reference, which method calls see through).
const CELLS: &[(&str, &[&str])] = &[
    (
        "Mutex",
        &[
            "lock",
            "try_lock",
            "blocking_lock",
            "lock_owned",
            "try_lock_owned",
            "get_mut",
            "into_inner",
            "lock_arc",
        ],
    ),
    (
        "RwLock",
        &[
            "read",
            "write",
            "try_read",
            "try_write",
            "blocking_read",
            "blocking_write",
            "read_owned",
            "write_owned",
            "upgradable_read",
            "get_mut",
            "into_inner",
            "read_arc",
            "write_arc",
        ],
    ),
    ("ReentrantMutex", &["lock", "try_lock"]),
    ("FairMutex", &["lock", "try_lock"]),
    (
        "RefCell",
        &[
            "borrow",
            "borrow_mut",
            "try_borrow",
            "try_borrow_mut",
            "get_mut",
            "into_inner",
        ],
    ),
    (
        "OnceLock",
        &[
            "get",
            "get_or_init",
            "get_or_try_init",
            "get_mut",
            "wait",
            "into_inner",
        ],
    ),
    (
        "OnceCell",
        &[
            "get",
            "get_or_init",
            "get_or_try_init",
            "get_mut",
            "wait",
            "into_inner",
        ],
    ),
    ("ArcSwap", &["load", "load_full"]),
    ("ArcSwapOption", &["load", "load_full"]),
    (
        "Receiver",
        &[
            "recv",
            "try_recv",
            "recv_timeout",
            "blocking_recv",
            "recv_async",
            "borrow",
            "borrow_and_update",
        ],
    ),
    ("UnboundedReceiver", &["recv", "try_recv", "blocking_recv"]),
    ("Weak", &["upgrade"]),
];

/// Methods that hand back (a view of) their receiver's value.
const TRANSPARENT: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or_default",
    "unwrap_unchecked",
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "clone",
    "by_ref",
    "deref",
    "deref_mut",
    "borrow",
    "borrow_mut",
    "to_owned",
];

/// Combinators of `Option`/`Result` whose result is the wrapper again.
const OPTION_SAME: &[&str] = &[
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "clone",
    "cloned",
    "copied",
    "take",
    "ok",
    "ok_or",
    "ok_or_else",
    "context",
    "with_context",
    "map_err",
    "or",
    "or_else",
    "filter",
    "inspect",
    "inspect_err",
    "wrap_err",
    "wrap_err_with",
];

/// Combinators of `Option`/`Result` that give the value.
const OPTION_INNER: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "unwrap_unchecked",
    "get_or_insert",
    "get_or_insert_with",
    "insert",
    "expect_throw",
    "unwrap_throw",
];

/// Closures of these combinators receive the value of an `Option`/`Result`.
const OPTION_CLOSURES: &[&str] = &[
    "map",
    "and_then",
    "filter",
    "is_some_and",
    "is_ok_and",
    "map_or",
    "map_or_else",
    "inspect",
    "take_if",
    "is_none_or",
];

/// Iterator/collection methods whose result is a sequence of the same items.
const SEQ_SAME: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "drain",
    "rev",
    "skip",
    "take",
    "filter",
    "cloned",
    "copied",
    "peekable",
    "skip_while",
    "take_while",
    "step_by",
    "inspect",
    "fuse",
    "by_ref",
    "as_slice",
    "as_mut_slice",
    "to_vec",
    "clone",
    "chain",
    "cycle",
    "sorted",
    "dedup",
    "unique",
    "collect",
    "as_ref",
    "par_iter",
    "into_par_iter",
    "par_iter_mut",
];

/// Iterator/collection methods that give one item.
const SEQ_ITEM: &[&str] = &[
    "first",
    "last",
    "get",
    "get_mut",
    "pop",
    "pop_front",
    "pop_back",
    "front",
    "back",
    "front_mut",
    "back_mut",
    "next",
    "next_back",
    "find",
    "min",
    "max",
    "min_by_key",
    "max_by_key",
    "min_by",
    "max_by",
    "nth",
    "remove",
    "swap_remove",
    "first_mut",
    "last_mut",
    "peek",
    "choose",
    "take_first",
];

/// Iterator/collection methods whose closure receives one item.
const SEQ_CLOSURES: &[&str] = &[
    "map",
    "filter",
    "for_each",
    "find",
    "any",
    "all",
    "filter_map",
    "flat_map",
    "take_while",
    "skip_while",
    "inspect",
    "position",
    "partition",
    "retain",
    "find_map",
    "map_while",
    "try_for_each",
    "sort_by_key",
    "max_by_key",
    "min_by_key",
    "sort_by_cached_key",
    "group_by",
    "chunk_by",
    "retain_mut",
    "then",
];

fn is_in(path: &str, names: &[&str]) -> bool {
    names.contains(&last_segment(path))
}

/// A type made from a written path and its arguments: deref wrappers peeled, catalog
/// aliases canonical.
pub fn named(path: String, args: Vec<Ty>, catalog: &Catalog) -> Option<Ty> {
    if is_in(&path, DEREF_WRAPPERS) {
        return args.into_iter().next();
    }
    if is_in(&path, SEQUENCES) {
        return Some(Ty::Seq(Box::new(args.into_iter().next()?)));
    }
    let path = catalog.canonical_type(&path).to_string();
    Some(Ty::Named(path, args))
}

/// The item a sequence (or a map, as (key, value) pairs) yields.
pub fn elem_of(base: &Ty, facts: &dyn TypeFacts) -> Option<Ty> {
    match base {
        Ty::Seq(item) => Some((**item).clone()),
        Ty::Named(path, args) if is_in(path, MAPS) && args.len() == 2 => {
            Some(Ty::Tuple(args.clone()))
        }
        Ty::Named(path, args) if is_option_like(path) => args.first().cloned(),
        other if other.is_symbolic() && facts.symbolic() => Some(Ty::Elem(Box::new(other.clone()))),
        _ => None,
    }
}

/// The type of `base.name`.
pub fn field_of(base: &Ty, name: &str, facts: &dyn TypeFacts) -> Option<Ty> {
    match base {
        Ty::Tuple(items) => items.get(name.parse::<usize>().ok()?).cloned(),
        Ty::Named(path, _) => facts.field(path, name).or_else(|| {
            (facts.symbolic() && facts.is_local(path))
                .then(|| Ty::Field(Box::new(base.clone()), name.to_string()))
        }),
        other if other.is_symbolic() && facts.symbolic() => {
            Some(Ty::Field(Box::new(other.clone()), name.to_string()))
        }
        _ => None,
    }
}

/// The type the function at `path` returns (a crate function; catalog constructors are
/// the caller's business).
pub fn returns_of(path: &str, facts: &dyn TypeFacts) -> Option<Ty> {
    facts
        .returns(path)
        .or_else(|| (facts.symbolic() && facts.is_local(path)).then(|| Ty::Returns(path.into())))
}

/// The type of `base.name(..)`.
pub fn method_of(base: &Ty, name: &str, facts: &dyn TypeFacts) -> Option<Ty> {
    match base {
        Ty::Seq(item) => {
            if SEQ_SAME.contains(&name) {
                Some(base.clone())
            } else if SEQ_ITEM.contains(&name) {
                Some((**item).clone())
            } else {
                None
            }
        }
        Ty::Named(path, args) if is_option_like(path) => {
            if OPTION_INNER.contains(&name) {
                args.first().cloned()
            } else if OPTION_SAME.contains(&name) {
                Some(base.clone())
            } else if name == "into_iter" || name == "iter" {
                Some(Ty::Seq(Box::new(args.first()?.clone())))
            } else {
                None
            }
        }
        Ty::Named(path, args) if is_in(path, MAPS) && args.len() == 2 => match name {
            "get" | "get_mut" | "remove" | "or_insert" | "or_default" | "or_insert_with" => {
                args.get(1).cloned()
            }
            "values" | "values_mut" | "into_values" => Some(Ty::Seq(Box::new(args[1].clone()))),
            "keys" | "into_keys" => Some(Ty::Seq(Box::new(args[0].clone()))),
            "iter" | "iter_mut" | "into_iter" | "drain" => {
                Some(Ty::Seq(Box::new(Ty::Tuple(args.clone()))))
            }
            "entry" => Some(base.clone()),
            "clone" => Some(base.clone()),
            _ => None,
        },
        Ty::Named(path, _) => {
            let last = last_segment(path);
            if let Some((_, methods)) = CELLS.iter().find(|(cell, _)| *cell == last) {
                if methods.contains(&name) {
                    return base.arg(0);
                }
            }
            if let Some(returned) = facts.catalog().method_return(path, name) {
                return Some(Ty::named(returned));
            }
            if TRANSPARENT.contains(&name) {
                return Some(base.clone());
            }
            if facts.is_local(path) {
                return facts
                    .returns(&crate::path_text::join(path, name))
                    .or_else(|| {
                        facts
                            .symbolic()
                            .then(|| Ty::Method(Box::new(base.clone()), name.to_string()))
                    });
            }
            None
        }
        Ty::Tuple(_) => TRANSPARENT.contains(&name).then(|| base.clone()),
        other if other.is_symbolic() && facts.symbolic() => {
            Some(Ty::Method(Box::new(other.clone()), name.to_string()))
        }
        _ => None,
    }
}

/// The type the first parameter of a closure passed to `base.name(..)` receives.
pub fn closure_param_of(base: &Ty, name: &str, facts: &dyn TypeFacts) -> Option<Ty> {
    match base {
        Ty::Seq(item) if SEQ_CLOSURES.contains(&name) => Some((**item).clone()),
        Ty::Named(path, args) if is_option_like(path) && OPTION_CLOSURES.contains(&name) => {
            args.first().cloned()
        }
        Ty::Named(path, args) if is_in(path, MAPS) && SEQ_CLOSURES.contains(&name) => {
            Some(Ty::Tuple(args.clone()))
        }
        Ty::Named(path, args)
            if CELLS.iter().any(|(c, _)| *c == last_segment(path))
                && name.starts_with("get_or") =>
        {
            args.first().cloned()
        }
        other if other.is_symbolic() && facts.symbolic() && SEQ_CLOSURES.contains(&name) => {
            Some(Ty::Elem(Box::new(other.clone())))
        }
        _ => None,
    }
}

/// `expr?`: the value of an `Option`/`Result`.
pub fn try_of(base: Ty) -> Ty {
    match base {
        Ty::Named(path, args) if is_option_like(&path) && !args.is_empty() => {
            args.into_iter().next().unwrap_or(Ty::Tuple(Vec::new()))
        }
        // Known once the crate phase resolves it (`if let Some(zones) = self.find(..)`):
        // the value inside, as `unwrap` gives it.
        symbolic if symbolic.is_symbolic() => Ty::Method(Box::new(symbolic), "unwrap".into()),
        other => other,
    }
}

/// A symbolic type reduced as far as `facts` know (the crate phase), within a depth bound.
pub fn resolve(ty: &Ty, facts: &dyn TypeFacts, depth: usize) -> Option<Ty> {
    if depth > 12 {
        return None;
    }
    let next = depth + 1;
    match ty {
        Ty::Named(path, args) => match facts.alias(path) {
            Some(Ty::Named(target, target_args)) => {
                let args = if target_args.is_empty() {
                    args.clone()
                } else {
                    target_args
                };
                resolve(&Ty::Named(target, args), facts, next)
            }
            Some(other) => resolve(&other, facts, next),
            None => Some(ty.clone()),
        },
        Ty::Tuple(_) => Some(ty.clone()),
        Ty::Seq(item) => Some(Ty::Seq(Box::new(resolve(item, facts, next)?))),
        Ty::Returns(path) => resolve(&facts.returns(path)?, facts, next),
        Ty::Value(path) => resolve(&facts.value(path)?, facts, next),
        Ty::Field(base, name) => resolve(
            &field_of(&resolve(base, facts, next)?, name, facts)?,
            facts,
            next,
        ),
        Ty::Method(base, name) => resolve(
            &method_of(&resolve(base, facts, next)?, name, facts)?,
            facts,
            next,
        ),
        Ty::Elem(base) => resolve(&elem_of(&resolve(base, facts, next)?, facts)?, facts, next),
    }
}
