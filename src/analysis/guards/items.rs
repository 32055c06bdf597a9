//! Item-level shared state: `static mut` items and their accesses, `unsafe impl Send/Sync`
//! and the fields and generics of the types they are for. Collected during the walk as plain
//! data; judged at the end of the file (an impl may come before its struct).

use crate::catalog::guards::GuardCatalog;
use crate::source::Location;
use syn::spanned::Spanned;

/// `static mut NAME` items of the file and where they are used.
#[derive(Debug, Default)]
pub struct StaticMuts {
    /// Names found by a text scan (so path expressions can be matched without allocating).
    pub names: Vec<String>,
    /// The item's name and fully qualified path, by index of `names`, once its item was
    /// seen.
    pub declared: Vec<Option<(Location, String)>>,
    /// (index of `names`, location, the path it resolves to) of each use of the name: a
    /// read or write when it resolves to the declared static (not a local variable or a
    /// same-named item of another module).
    pub accesses: Vec<(usize, Location, String)>,
}

impl StaticMuts {
    pub fn scan(text: &str) -> StaticMuts {
        let mut names = Vec::new();
        for (at, _) in text.match_indices("static mut ") {
            let rest = &text[at + "static mut ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        let declared = vec![None; names.len()];
        StaticMuts {
            names,
            declared,
            accesses: Vec::new(),
        }
    }

    pub fn item(&mut self, walker: &crate::semantic::walker::Walker, item: &syn::ItemStatic) {
        if !matches!(item.mutability, syn::StaticMutability::Mut(_)) {
            return;
        }
        if let Some(index) = self.names.iter().position(|n| item.ident == n) {
            let full_path = format!("{}::{}", walker.module_path(), item.ident);
            self.declared[index] = Some((Location::from_span(item.ident.span()), full_path));
        }
    }

    pub fn path(&mut self, walker: &crate::semantic::walker::Walker, path: &syn::ExprPath) {
        let Some(last) = path.path.segments.last() else {
            return;
        };
        if path.path.segments.len() > 1
            && !path
                .path
                .segments
                .first()
                .is_some_and(|s| s.ident == "crate" || s.ident == "self" || s.ident == "super")
        {
            return;
        }
        if let Some(index) = self.names.iter().position(|n| last.ident == n) {
            let Some(resolved) = walker.resolve_callee(path) else {
                return; // a local variable of the same name
            };
            self.accesses
                .push((index, Location::from_span(path.path.span()), resolved));
        }
    }
}

/// What an `unsafe impl Send/Sync` needs to know about its self type's definition.
#[derive(Debug, Clone)]
pub struct TypeSummary {
    pub name: String,
    /// The first field that is not thread-safe by itself: (kind, field location).
    pub unsync_field: Option<(String, Location)>,
    pub has_raw_pointer: Option<Location>,
    pub has_sync_field: bool,
    /// Generic parameters used only inside `PhantomData<..>` (or not at all).
    pub phantom_params: Vec<String>,
}

/// One `unsafe impl Send/Sync for Type`.
#[derive(Debug, Clone)]
pub struct UnsafeImpl {
    /// `Send` or `Sync`.
    pub trait_name: String,
    pub trait_location: Location,
    /// The self type's last path segment.
    pub type_name: String,
    /// The self type as written (`Foo<T>`).
    pub type_text: String,
    /// Type parameters that appear in the self type and carry no trait bound at all.
    pub unbounded_params: Vec<String>,
    /// The impl has type parameters.
    pub generic: bool,
    /// Byte offset of the `unsafe` keyword.
    pub impl_start: usize,
}

pub fn summarize_struct(item: &syn::ItemStruct, catalog: &GuardCatalog) -> TypeSummary {
    summarize(&item.ident, &item.generics, item.fields.iter(), catalog)
}

pub fn summarize_enum(item: &syn::ItemEnum, catalog: &GuardCatalog) -> TypeSummary {
    let fields = item.variants.iter().flat_map(|v| v.fields.iter());
    summarize(&item.ident, &item.generics, fields, catalog)
}

fn summarize<'a>(
    ident: &syn::Ident,
    generics: &syn::Generics,
    fields: impl Iterator<Item = &'a syn::Field>,
    catalog: &GuardCatalog,
) -> TypeSummary {
    let mut summary = TypeSummary {
        name: ident.to_string(),
        unsync_field: None,
        has_raw_pointer: None,
        has_sync_field: false,
        phantom_params: Vec::new(),
    };
    let params: Vec<String> = generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let mut used_params = vec![false; params.len()];
    for field in fields {
        let mut scan = FieldScan {
            catalog,
            params: &params,
            used: &mut used_params,
            unsync: None,
            raw: false,
            sync: false,
        };
        scan.ty(&field.ty);
        let location = Location::from_span(field.ty.span());
        if let Some(kind) = scan.unsync {
            if summary.unsync_field.is_none() {
                summary.unsync_field = Some((kind, location.clone()));
            }
        }
        if scan.raw && summary.has_raw_pointer.is_none() {
            summary.has_raw_pointer = Some(location);
        }
        summary.has_sync_field |= scan.sync;
    }
    summary.phantom_params = params
        .into_iter()
        .zip(used_params)
        .filter(|(_, used)| !used)
        .map(|(p, _)| p)
        .collect();
    summary
}

struct FieldScan<'a> {
    catalog: &'a GuardCatalog,
    params: &'a [String],
    used: &'a mut [bool],
    unsync: Option<String>,
    raw: bool,
    sync: bool,
}

impl FieldScan<'_> {
    fn ty(&mut self, ty: &syn::Type) {
        match ty {
            syn::Type::Ptr(ptr) => {
                self.raw = true;
                self.ty(&ptr.elem);
            }
            syn::Type::Reference(r) => self.ty(&r.elem),
            syn::Type::Paren(p) => self.ty(&p.elem),
            syn::Type::Group(g) => self.ty(&g.elem),
            syn::Type::Array(a) => self.ty(&a.elem),
            syn::Type::Slice(s) => self.ty(&s.elem),
            syn::Type::Tuple(t) => t.elems.iter().for_each(|e| self.ty(e)),
            syn::Type::Path(p) => {
                let Some(last) = p.path.segments.last() else {
                    return;
                };
                let name = last.ident.to_string();
                if p.path.segments.len() == 1 {
                    if let Some(index) = self.params.iter().position(|n| *n == name) {
                        self.used[index] = true;
                    }
                }
                if name == "PhantomData" {
                    return;
                }
                if self.catalog.is_sync_field(&name) {
                    self.sync = true;
                }
                if self.catalog.is_unsync_field(&name) && self.unsync.is_none() {
                    self.unsync = Some(name);
                }
                for segment in &p.path.segments {
                    if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                        for arg in &args.args {
                            if let syn::GenericArgument::Type(inner) = arg {
                                self.ty(inner);
                            }
                        }
                    }
                }
            }
            // Trait objects, fn pointers, impl Trait, macros: nothing visible.
            _ => {}
        }
    }
}

pub fn unsafe_impl(item: &syn::ItemImpl) -> Option<UnsafeImpl> {
    item.unsafety?;
    let (_, trait_path, _) = item.trait_.as_ref()?;
    let trait_segment = trait_path.segments.last()?;
    let trait_name = trait_segment.ident.to_string();
    if trait_name != "Send" && trait_name != "Sync" {
        return None;
    }
    let syn::Type::Path(self_path) = &*item.self_ty else {
        return None;
    };
    let type_segment = self_path.path.segments.last()?;
    let mut in_self_type: Vec<String> = Vec::new();
    if let syn::PathArguments::AngleBracketed(args) = &type_segment.arguments {
        for arg in &args.args {
            if let syn::GenericArgument::Type(syn::Type::Path(p)) = arg {
                if let Some(ident) = p.path.get_ident() {
                    in_self_type.push(ident.to_string());
                }
            }
        }
    }
    let mut unbounded_params = Vec::new();
    for param in item.generics.type_params() {
        let name = param.ident.to_string();
        if !in_self_type.contains(&name) {
            continue;
        }
        let mut bounded = has_trait_bound(param.bounds.iter());
        if let Some(where_clause) = &item.generics.where_clause {
            for predicate in &where_clause.predicates {
                if let syn::WherePredicate::Type(t) = predicate {
                    let names_param = matches!(&t.bounded_ty, syn::Type::Path(p) if p.path.is_ident(&param.ident));
                    // `where Foo<T>: Send` and friends also bound it.
                    let mentions = names_param
                        || quote::ToTokens::to_token_stream(&t.bounded_ty)
                            .into_iter()
                            .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(i) if i == param.ident));
                    if mentions && has_trait_bound(t.bounds.iter()) {
                        bounded = true;
                    }
                }
            }
        }
        if !bounded {
            unbounded_params.push(name);
        }
    }
    let type_text = quote::ToTokens::to_token_stream(&item.self_ty)
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace(" ,", ",");
    Some(UnsafeImpl {
        trait_name,
        trait_location: Location::from_span(trait_segment.ident.span()),
        type_name: type_segment.ident.to_string(),
        type_text,
        unbounded_params,
        generic: item.generics.type_params().next().is_some(),
        impl_start: item.impl_token.span.byte_range().start,
    })
}

/// Any trait bound other than `?Sized`/`Sized` (a bound like `T: MyTrait` may imply `Send`).
fn has_trait_bound<'a>(bounds: impl Iterator<Item = &'a syn::TypeParamBound>) -> bool {
    bounds.into_iter().any(|bound| match bound {
        syn::TypeParamBound::Trait(t) => {
            t.modifier == syn::TraitBoundModifier::None
                && t.path.segments.last().is_none_or(|s| s.ident != "Sized")
        }
        _ => false,
    })
}

/// A `// SAFETY:` (or `Safety`) comment in the three lines before an `unsafe impl`: the
/// author has argued for it, which is all a syntactic check can ask for.
pub fn has_safety_comment(text: &str, impl_start: usize) -> bool {
    let before = text.get(..impl_start).unwrap_or("");
    before.lines().rev().take(4).any(|line| {
        let line = line.trim_start();
        (line.starts_with("//") || line.starts_with("/*") || line.starts_with('*'))
            && line.to_ascii_lowercase().contains("safety")
    })
}
