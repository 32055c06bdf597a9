//! Local bindings and what syntax tells about their types: annotations, typed parameters,
//! catalog constructors, method returns, struct fields. Types are fully qualified paths.

use crate::catalog::{Catalog, TypeShape};
use crate::semantic::resolve::{path_segments, Resolver};
use std::collections::HashMap;
use syn::{Expr, Pat, Type};

/// One local name: its inferred type (if any) and whether a closure bound to it is later
/// handed to an insulating wrapper (`let work = || …; spawn_blocking(work)`).
#[derive(Debug, Clone, Default)]
pub struct Binding {
    pub ty: Option<String>,
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

    pub fn bind(&mut self, name: String, ty: Option<String>) {
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
pub type StructFields = HashMap<String, HashMap<String, String>>;

/// Resolves a written type to the fully qualified path of the value's type, looking through
/// references, `Box`, `Arc`, `Rc` (method calls auto-deref through them).
pub fn resolve_type(ty: &Type, resolver: &Resolver, catalog: &Catalog) -> Option<String> {
    match ty {
        Type::Reference(reference) => resolve_type(&reference.elem, resolver, catalog),
        Type::Paren(paren) => resolve_type(&paren.elem, resolver, catalog),
        Type::Group(group) => resolve_type(&group.elem, resolver, catalog),
        Type::Path(type_path) if type_path.qself.is_none() => {
            let last = type_path.path.segments.last()?;
            let name = last.ident.to_string();
            if matches!(name.as_str(), "Box" | "Arc" | "Rc") {
                if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                        return resolve_type(inner, resolver, catalog);
                    }
                }
            }
            let segments = path_segments(&type_path.path);
            let knows = |p: &str| catalog.knows_path(p);
            let full = resolver.resolve(&segments, type_path.path.leading_colon.is_some(), &knows);
            Some(catalog.canonical_type(&full).to_string())
        }
        _ => None,
    }
}

/// The element types of a tuple type annotation, or the one type.
pub fn resolve_type_shape(ty: &Type, resolver: &Resolver, catalog: &Catalog) -> Option<TypeShape> {
    match ty {
        Type::Reference(reference) => resolve_type_shape(&reference.elem, resolver, catalog),
        Type::Paren(paren) => resolve_type_shape(&paren.elem, resolver, catalog),
        Type::Tuple(tuple) => Some(TypeShape::Tuple(
            tuple
                .elems
                .iter()
                .map(|t| resolve_type(t, resolver, catalog).unwrap_or_default())
                .collect(),
        )),
        _ => resolve_type(ty, resolver, catalog).map(TypeShape::One),
    }
}

/// Methods that hand back (a view of) their receiver's value: the type passes through.
const TRANSPARENT_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or_default",
    "unwrap_unchecked",
    "as_ref",
    "as_mut",
    "clone",
    "by_ref",
    "deref",
    "deref_mut",
];

/// What typing an expression needs to see around it.
pub struct TypeEnv<'a> {
    pub resolver: &'a Resolver,
    pub bindings: &'a Bindings,
    pub catalog: &'a Catalog,
    pub struct_fields: &'a StructFields,
    /// Fully qualified path of the `impl` block's self type, for `self.field` and `Self::`.
    pub self_type: Option<&'a str>,
}

impl TypeEnv<'_> {
    pub fn resolve_path(&self, path: &syn::Path) -> String {
        let segments = path_segments(path);
        if path.leading_colon.is_none() && segments.first().is_some_and(|s| s == "Self") {
            if let Some(self_type) = self.self_type {
                let mut full = self
                    .resolver
                    .resolve(&[self_type.to_string()], false, &|p| {
                        self.catalog.knows_path(p)
                    });
                for segment in &segments[1..] {
                    full.push_str("::");
                    full.push_str(segment);
                }
                return full;
            }
        }
        self.resolver
            .resolve(&segments, path.leading_colon.is_some(), &|p| {
                self.catalog.knows_path(p)
            })
    }

    /// The type of an expression, as far as syntax shows it.
    pub fn type_of(&self, expr: &Expr) -> Option<String> {
        match self.shape_of(expr)? {
            TypeShape::One(ty) => Some(ty),
            TypeShape::Tuple(_) => None,
        }
    }

    pub fn shape_of(&self, expr: &Expr) -> Option<TypeShape> {
        self.shape_at(expr, 0)
    }

    /// The type of a value whose expression is `depth` steps into an enclosing one: a long
    /// method chain is typed from at most `MAX_TYPING_DEPTH` steps back, so typing every
    /// call of a chain stays linear in its length.
    fn shape_at(&self, expr: &Expr, depth: usize) -> Option<TypeShape> {
        if depth > MAX_TYPING_DEPTH {
            return None;
        }
        let one = |shape: Option<TypeShape>| match shape? {
            TypeShape::One(ty) => Some(ty),
            TypeShape::Tuple(_) => None,
        };
        match expr {
            Expr::Path(path) if path.qself.is_none() => {
                let ident = path.path.get_ident()?;
                self.bindings
                    .lookup_ident(ident)?
                    .ty
                    .clone()
                    .map(TypeShape::One)
            }
            Expr::Field(field) => {
                let member = match &field.member {
                    syn::Member::Named(name) => name.to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                };
                let owner = match &*field.base {
                    Expr::Path(p) if p.path.is_ident("self") => self.self_type?.to_string(),
                    base => one(self.shape_at(base, depth + 1))?,
                };
                self.struct_fields
                    .get(&owner)?
                    .get(&member)
                    .cloned()
                    .map(TypeShape::One)
            }
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else {
                    return None;
                };
                let full = self.resolve_path(&func.path);
                self.catalog.constructor(&full).cloned()
            }
            Expr::MethodCall(call) => {
                let name = call.method.to_string();
                if TRANSPARENT_METHODS.contains(&name.as_str()) {
                    return self.shape_at(&call.receiver, depth + 1);
                }
                let receiver = one(self.shape_at(&call.receiver, depth + 1))?;
                self.catalog
                    .method_return(&receiver, &name)
                    .map(|t| TypeShape::One(t.to_string()))
            }
            Expr::Try(t) => self.shape_at(&t.expr, depth + 1),
            Expr::Paren(p) => self.shape_at(&p.expr, depth + 1),
            Expr::Group(g) => self.shape_at(&g.expr, depth + 1),
            Expr::Reference(r) => self.shape_at(&r.expr, depth + 1),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.shape_at(&u.expr, depth + 1)
            }
            _ => None,
        }
    }
}

/// How many steps into an expression typing looks (see `TypeEnv::shape_at`).
const MAX_TYPING_DEPTH: usize = 32;

/// Bind every name a pattern introduces; types come from `shape` where the pattern's
/// structure matches it (an identifier, or a tuple of identifiers).
pub fn bind_pattern(
    pat: &Pat,
    shape: Option<&TypeShape>,
    bindings: &mut Bindings,
    env_type: &dyn Fn(&Type) -> Option<TypeShape>,
) {
    match pat {
        Pat::Ident(ident) => {
            let ty = match shape {
                Some(TypeShape::One(t)) if !t.is_empty() => Some(t.clone()),
                _ => None,
            };
            bindings.bind(ident.ident.to_string(), ty);
            if let Some((_, sub)) = &ident.subpat {
                bind_pattern(sub, None, bindings, env_type);
            }
        }
        Pat::Type(typed) => {
            let annotated = env_type(&typed.ty);
            bind_pattern(&typed.pat, annotated.as_ref().or(shape), bindings, env_type);
        }
        Pat::Tuple(tuple) => {
            for (index, elem) in tuple.elems.iter().enumerate() {
                let elem_shape = match shape {
                    Some(TypeShape::Tuple(types)) if types.len() == tuple.elems.len() => {
                        Some(TypeShape::One(types[index].clone()))
                    }
                    _ => None,
                };
                bind_pattern(elem, elem_shape.as_ref(), bindings, env_type);
            }
        }
        Pat::Reference(r) => bind_pattern(&r.pat, shape, bindings, env_type),
        Pat::Paren(p) => bind_pattern(&p.pat, shape, bindings, env_type),
        Pat::Or(or) => {
            for case in &or.cases {
                bind_pattern(case, None, bindings, env_type);
            }
        }
        Pat::Slice(slice) => {
            for elem in &slice.elems {
                bind_pattern(elem, None, bindings, env_type);
            }
        }
        Pat::Struct(s) => {
            for field in &s.fields {
                bind_pattern(&field.pat, None, bindings, env_type);
            }
        }
        Pat::TupleStruct(ts) => {
            // `Ok(f)` / `Some(f)` over a constructor's result: `f` has the result's type.
            let passes_through = ts.elems.len() == 1
                && ts
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Ok" || s.ident == "Some");
            for elem in &ts.elems {
                bind_pattern(
                    elem,
                    if passes_through { shape } else { None },
                    bindings,
                    env_type,
                );
            }
        }
        _ => {}
    }
}
