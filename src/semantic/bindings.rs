//! Local bindings and what syntax tells about their types: annotations, typed parameters,
//! catalog constructors, method returns, struct fields, and what the crate's own functions
//! return (kept symbolic until the crate phase; see `semantic::types`).

use crate::catalog::{Catalog, TypeShape};
use crate::path_text::{first_segment, last_segment, split_last};
use crate::semantic::resolve::Resolver;
use crate::semantic::types::syntax::TypeNaming;
use crate::semantic::types::{self, Ty, TypeFacts};
use rustc_hash::FxHashMap as HashMap;
use syn::{Expr, Pat};

/// One local name and its inferred type (if any).
#[derive(Debug, Clone, Default)]
pub struct Binding {
    pub ty: Option<Ty>,
}

/// Block-structured local names. A name bound here shadows imports and items. A function
/// has few locals, so a flat list searched from the end beats hashing; past
/// `SCAN_LIMIT` names (a generated body with thousands of `let`s) a per-name index keeps
/// each lookup O(1) instead of linear.
#[derive(Debug, Default)]
pub struct Bindings {
    names: Vec<(String, Binding)>,
    /// Where each open scope starts in `names`.
    scope_starts: Vec<usize>,
    /// Positions in `names` of each name, innermost last.
    index: rustc_hash::FxHashMap<String, Vec<usize>>,
}

const SCAN_LIMIT: usize = 32;

impl Bindings {
    pub fn push(&mut self) {
        self.scope_starts.push(self.names.len());
    }

    pub fn pop(&mut self) {
        let start = self.scope_starts.pop().unwrap_or(0);
        for (name, _) in self.names.drain(start..) {
            if let Some(positions) = self.index.get_mut(&name) {
                positions.pop();
                if positions.is_empty() {
                    self.index.remove(&name);
                }
            }
        }
    }

    pub fn bind(&mut self, name: String, ty: Option<Ty>) {
        self.index
            .entry(name.clone())
            .or_default()
            .push(self.names.len());
        self.names.push((name, Binding { ty }));
    }

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        let at = *self.index.get(name)?.last()?;
        self.names.get(at).map(|(_, binding)| binding)
    }

    /// `lookup` without turning the identifier into a `String` (in a small scope).
    pub fn lookup_ident(&self, ident: &proc_macro2::Ident) -> Option<&Binding> {
        if self.names.len() > SCAN_LIMIT {
            return self.lookup(&ident.to_string());
        }
        self.names
            .iter()
            .rev()
            .find(|(bound, _)| ident == bound)
            .map(|(_, binding)| binding)
    }

    pub fn is_local(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }
}

/// Struct field types by the struct's fully qualified path (the file's structs), for
/// `self.field` and `value.field` receivers. Tuple-struct fields are named `0`, `1`, ….
pub type StructFields = HashMap<String, HashMap<String, Ty>>;

/// What typing an expression needs to see around it.
pub struct TypeEnv<'a> {
    pub resolver: &'a Resolver,
    pub bindings: &'a Bindings,
    pub catalog: &'a Catalog,
    pub struct_fields: &'a StructFields,
    /// The types of the file's statics and consts, by fully qualified path.
    pub values: &'a HashMap<String, Ty>,
    /// Fully qualified path of the `impl` block's self type, for `self.field` and `Self::`.
    pub self_type: Option<&'a str>,
    /// The generic parameters in scope with a usable bound.
    pub generics: &'a [(String, Ty)],
    /// The workspace's other crates this file may name (besides `crate`).
    pub local_crates: &'a [String],
    /// How deep the typing of the current expression has recursed: a long method chain
    /// is typed from at most `MAX_TYPING_DEPTH` steps back, so typing every call of a
    /// chain stays linear in its length.
    pub depth: std::cell::Cell<usize>,
}

const MAX_TYPING_DEPTH: usize = 32;

impl TypeFacts for TypeEnv<'_> {
    fn catalog(&self) -> &Catalog {
        self.catalog
    }

    fn is_local(&self, path: &str) -> bool {
        is_local_path(path, self.local_crates)
    }

    /// In an `impl<T: Bound> S<T>`, a field of `S` typed `T` has the type `Bound` (only
    /// the impl's own struct: another struct's `T` is whatever its value was made with).
    fn field(&self, owner: &str, name: &str) -> Option<Ty> {
        let ty = self.struct_fields.get(owner)?.get(name)?;
        Some(match self.self_type {
            Some(self_type) if self_type == owner => ty.with_parameters(self.generics),
            _ => ty.clone(),
        })
    }

    fn returns(&self, _: &str) -> Option<Ty> {
        None
    }

    fn value(&self, path: &str) -> Option<Ty> {
        self.values.get(path).cloned()
    }

    fn symbolic(&self) -> bool {
        true
    }
}

/// A path of the workspace: `crate::…`, or one of the member crates the file may name.
pub fn is_local_path(path: &str, local_crates: &[String]) -> bool {
    let first = first_segment(path);
    first == "crate" || local_crates.iter().any(|c| c == first)
}

fn shape_ty(shape: &TypeShape) -> Ty {
    match shape {
        TypeShape::One(t) => Ty::named(t.clone()),
        TypeShape::Tuple(ts) => Ty::Tuple(ts.iter().map(|t| Ty::named(t.clone())).collect()),
    }
}

impl TypeEnv<'_> {
    pub fn resolve_path(&self, path: &syn::Path) -> String {
        self.naming().path(path)
    }

    /// How to name written types here.
    pub fn naming(&self) -> TypeNaming<'_> {
        TypeNaming {
            resolver: self.resolver,
            catalog: self.catalog,
            self_type: self.self_type,
            generics: self.generics,
        }
    }

    /// The path of an expression's type, as far as the file shows it (`Option`/`Result`
    /// peeled: what method calls act on).
    pub fn type_of(&self, expr: &Expr) -> Option<String> {
        self.ty_of(expr)?.concrete_path().map(String::from)
    }

    /// The type of an expression, possibly symbolic (resolved in the crate phase).
    pub fn ty_of(&self, expr: &Expr) -> Option<Ty> {
        let depth = self.depth.get();
        if depth > MAX_TYPING_DEPTH {
            return None;
        }
        self.depth.set(depth + 1);
        let ty = self.ty_at(expr);
        self.depth.set(depth);
        ty
    }

    fn ty_at(&self, expr: &Expr) -> Option<Ty> {
        match expr {
            Expr::Path(path) if path.qself.is_none() => {
                if let Some(ident) = path.path.get_ident() {
                    if ident == "self" {
                        return self.self_type.map(Ty::named);
                    }
                    if let Some(binding) = self.bindings.lookup_ident(ident) {
                        return binding.ty.clone();
                    }
                }
                let full = self.resolve_path(&path.path);
                if !self.is_local(&full) {
                    return None;
                }
                Some(self.value(&full).unwrap_or(Ty::Value(full)))
            }
            Expr::Field(field) => {
                let member = match &field.member {
                    syn::Member::Named(name) => name.to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                };
                types::field_of(&self.ty_of(&field.base)?, &member, self)
            }
            Expr::Call(call) => self.call_ty(call),
            Expr::MethodCall(call) => {
                let base = self.ty_of(&call.receiver)?;
                types::method_of(&base, &call.method.to_string(), self)
            }
            Expr::Try(t) => self.ty_of(&t.expr).map(types::try_of),
            Expr::Await(a) => self.ty_of(&a.base),
            Expr::Paren(p) => self.ty_of(&p.expr),
            Expr::Group(g) => self.ty_of(&g.expr),
            Expr::Reference(r) => self.ty_of(&r.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.ty_of(&u.expr),
            Expr::Index(i) => types::elem_of(&self.ty_of(&i.expr)?, self),
            Expr::Struct(s) if s.qself.is_none() => Some(Ty::named(self.resolve_path(&s.path))),
            Expr::Tuple(t) if !t.elems.is_empty() => Some(Ty::Tuple(
                t.elems
                    .iter()
                    .map(|e| self.ty_of(e).unwrap_or(Ty::Tuple(Vec::new())))
                    .collect(),
            )),
            _ => None,
        }
    }

    fn call_ty(&self, call: &syn::ExprCall) -> Option<Ty> {
        let Expr::Path(func) = &*call.func else {
            return None;
        };
        if func.qself.is_some() {
            return None;
        }
        if let Some(ident) = func.path.get_ident() {
            if self.bindings.lookup_ident(ident).is_some() {
                return None;
            }
            if ident == "Some" || ident == "Ok" {
                let inner = self.ty_of(call.args.first()?)?;
                return Some(Ty::Named("Option".into(), vec![inner]));
            }
        }
        let full = self.resolve_path(&func.path);
        if let Some(shape) = self.catalog.constructor(&full) {
            return Some(shape_ty(shape));
        }
        if let Some((owner, name)) = split_last(&full) {
            if matches!(name, "new" | "from") && call.args.len() == 1 {
                let owner_name = last_segment(owner);
                if types::DEREF_WRAPPERS.contains(&owner_name) {
                    return self.ty_of(call.args.first()?);
                }
                if matches!(
                    owner_name,
                    "Mutex" | "RwLock" | "RefCell" | "OnceLock" | "OnceCell"
                ) {
                    let inner = self.ty_of(call.args.first()?)?;
                    return Some(Ty::Named(
                        self.catalog.canonical_type(owner).to_string(),
                        vec![inner],
                    ));
                }
            }
        }
        types::returns_of(&full, self)
    }
}

/// Bind every name a pattern introduces; types come from `ty` where the pattern's
/// structure matches it (an identifier, a tuple, `Some(x)`/`Ok(x)`, a struct's fields).
pub fn bind_pattern(
    pat: &Pat,
    ty: Option<&Ty>,
    bindings: &mut Bindings,
    env: &dyn Fn(&syn::Type) -> Option<Ty>,
    facts: &dyn TypeFacts,
) {
    let each = |pat: &Pat, ty: Option<&Ty>, bindings: &mut Bindings| {
        bind_pattern(pat, ty, bindings, env, facts)
    };
    match pat {
        Pat::Ident(ident) => {
            bindings.bind(ident.ident.to_string(), ty.cloned());
            if let Some((_, sub)) = &ident.subpat {
                each(sub, ty, bindings);
            }
        }
        Pat::Type(typed) => {
            let annotated = env(&typed.ty);
            each(&typed.pat, annotated.as_ref().or(ty), bindings);
        }
        Pat::Tuple(tuple) => {
            for (index, elem) in tuple.elems.iter().enumerate() {
                let elem_ty = match ty {
                    Some(Ty::Tuple(types)) if types.len() == tuple.elems.len() => types.get(index),
                    _ => None,
                };
                each(elem, elem_ty, bindings);
            }
        }
        Pat::Reference(r) => each(&r.pat, ty, bindings),
        Pat::Paren(p) => each(&p.pat, ty, bindings),
        Pat::Or(or) => {
            for case in &or.cases {
                each(case, ty, bindings);
            }
        }
        Pat::Slice(slice) => {
            let item = ty.and_then(|t| types::elem_of(t, facts));
            for elem in &slice.elems {
                each(elem, item.as_ref(), bindings);
            }
        }
        Pat::Struct(s) => {
            let owner = pattern_owner(&s.qself, &s.path, ty, env);
            for field in &s.fields {
                let member = match &field.member {
                    syn::Member::Named(name) => name.to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                };
                let field_ty = owner
                    .as_ref()
                    .and_then(|t| types::field_of(t, &member, facts));
                each(&field.pat, field_ty.as_ref(), bindings);
            }
        }
        Pat::TupleStruct(ts) => {
            // `Ok(f)` / `Some(f)`: `f` has the value's type.
            let passes_through = ts.elems.len() == 1
                && ts
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Ok" || s.ident == "Some");
            if passes_through {
                let inner = ty.map(|t| types::try_of(t.clone()));
                each(&ts.elems[0], inner.as_ref(), bindings);
                return;
            }
            // `Command::Login(opts)`: the variant's (or tuple struct's) fields by index.
            let is_err = ts.path.segments.last().is_some_and(|s| s.ident == "Err");
            let owner = (!is_err)
                .then(|| pattern_owner(&ts.qself, &ts.path, ty, env))
                .flatten();
            for (index, elem) in ts.elems.iter().enumerate() {
                let field_ty = owner
                    .as_ref()
                    .and_then(|t| types::field_of(t, &index.to_string(), facts));
                each(elem, field_ty.as_ref(), bindings);
            }
        }
        _ => {}
    }
}

/// The type whose fields a struct or tuple-struct pattern binds: the pattern's own path
/// (a struct, or an enum variant `Command::Raw { commands }`, whose fields the item index
/// keeps under the variant's path), or the matched value's type when it is the same
/// struct with its generic arguments, or when the path names nothing known.
fn pattern_owner(
    qself: &Option<syn::QSelf>,
    path: &syn::Path,
    ty: Option<&Ty>,
    env: &dyn Fn(&syn::Type) -> Option<Ty>,
) -> Option<Ty> {
    let named = env(&syn::Type::Path(syn::TypePath {
        qself: qself.clone(),
        path: path.clone(),
    }));
    match (ty, named) {
        (Some(matched @ Ty::Named(a, _)), Some(Ty::Named(b, _))) if *a == b => {
            Some(matched.clone())
        }
        (_, Some(named)) => Some(named),
        (matched, None) => matched.cloned(),
    }
}
