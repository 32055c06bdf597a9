//! Types from what the code writes: a type annotation, a parameter's type, a generic
//! parameter's bounds (`P: AsRef<Path>`, `impl AsRef<Path>`), a field's declared type.

use super::{named, Ty};
use crate::catalog::Catalog;
use crate::semantic::resolve::{path_text, Resolver};

/// Generic parameters in scope and what a value of each is used as: the target of an
/// `AsRef`/`Borrow`/`Deref` bound (`as_ref()` gives it), or a workspace trait.
pub type Generics = Vec<(String, Ty)>;

/// How to name the types of one place: its `use`s, the catalogs, the `impl` self type.
pub struct TypeNaming<'a> {
    pub resolver: &'a Resolver,
    pub catalog: &'a Catalog,
    pub self_type: Option<&'a str>,
    pub generics: &'a [(String, Ty)],
}

impl TypeNaming<'_> {
    pub fn path(&self, path: &syn::Path) -> String {
        let mut text = String::with_capacity(16 * path.segments.len());
        path_text(path, &mut text);
        if path.leading_colon.is_none() {
            if let (Some(self_type), Some(rest)) = (self.self_type, strip_self(&text)) {
                return format!("{self_type}{rest}");
            }
        }
        if path.leading_colon.is_some() {
            return text;
        }
        // The segments as slices of `text`, on the stack for all but the longest paths.
        let mut parts = [""; 8];
        let long: Vec<&str>;
        let segments: &[&str] = if path.segments.len() <= parts.len() {
            for (slot, part) in parts.iter_mut().zip(crate::path_text::segments(&text)) {
                *slot = part;
            }
            &parts[..path.segments.len()]
        } else {
            long = crate::path_text::segments(&text).collect();
            &long
        };
        let knows = |p: &str| self.catalog.knows_path(p);
        self.resolver.resolve(segments, false, &knows)
    }

    /// The type a written type denotes, as far as method calls care.
    pub fn ty(&self, ty: &syn::Type) -> Option<Ty> {
        match ty {
            syn::Type::Reference(r) => self.ty(&r.elem),
            syn::Type::Paren(p) => self.ty(&p.elem),
            syn::Type::Group(g) => self.ty(&g.elem),
            syn::Type::Slice(s) => Some(Ty::Seq(Box::new(self.ty(&s.elem)?))),
            syn::Type::Array(a) => Some(Ty::Seq(Box::new(self.ty(&a.elem)?))),
            syn::Type::Tuple(t) => Some(Ty::Tuple(
                t.elems
                    .iter()
                    .map(|e| self.ty(e).unwrap_or(Ty::Tuple(Vec::new())))
                    .collect(),
            )),
            syn::Type::ImplTrait(i) => self.bounds(i.bounds.iter()),
            syn::Type::TraitObject(o) => self.bounds(o.bounds.iter()),
            syn::Type::Path(p) if p.qself.is_none() => {
                if let Some(ident) = p.path.get_ident() {
                    if let Some((_, bound)) = self.generics.iter().find(|(n, _)| ident == n) {
                        return Some(bound.clone());
                    }
                }
                let last = p.path.segments.last()?;
                let args = self.args(&last.arguments);
                named(self.path(&p.path), args, self.catalog)
            }
            _ => None,
        }
    }

    fn args(&self, arguments: &syn::PathArguments) -> Vec<Ty> {
        let syn::PathArguments::AngleBracketed(args) = arguments else {
            return Vec::new();
        };
        args.args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(self.ty(t).unwrap_or(Ty::Tuple(Vec::new()))),
                _ => None,
            })
            .collect()
    }

    /// What a value bounded by these traits is used as: `AsRef<T>`/`Borrow<T>`/
    /// `Deref<Target = T>` give `T`; `Iterator<Item = T>`/`IntoIterator<..>` a sequence of
    /// `T`; a workspace trait its path (trait calls with one implementation resolve to it).
    pub fn bounds<'b>(&self, bounds: impl Iterator<Item = &'b syn::TypeParamBound>) -> Option<Ty> {
        let mut trait_ty = None;
        for bound in bounds {
            let syn::TypeParamBound::Trait(t) = bound else {
                continue;
            };
            let Some(last) = t.path.segments.last() else {
                continue;
            };
            let name = last.ident.to_string();
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                if trait_ty.is_none() {
                    let path = self.path(&t.path);
                    trait_ty = Some(Ty::named(path));
                }
                continue;
            };
            for arg in &args.args {
                match (name.as_str(), arg) {
                    ("AsRef" | "Borrow" | "AsMut", syn::GenericArgument::Type(inner)) => {
                        return self.ty(inner);
                    }
                    (
                        "Iterator" | "IntoIterator" | "DoubleEndedIterator" | "ExactSizeIterator",
                        syn::GenericArgument::AssocType(a),
                    ) if a.ident == "Item" => {
                        return Some(Ty::Seq(Box::new(self.ty(&a.ty)?)));
                    }
                    ("Deref" | "DerefMut", syn::GenericArgument::AssocType(a))
                        if a.ident == "Target" =>
                    {
                        return self.ty(&a.ty);
                    }
                    ("Future", syn::GenericArgument::AssocType(a)) if a.ident == "Output" => {
                        return self.ty(&a.ty);
                    }
                    _ => {}
                }
            }
        }
        trait_ty
    }

    /// The generic parameters of a signature (and its `where` clause) with a usable bound.
    pub fn generics(&self, generics: &syn::Generics) -> Generics {
        let mut out = Generics::new();
        for param in &generics.params {
            if let syn::GenericParam::Type(t) = param {
                if let Some(ty) = self.bounds(t.bounds.iter()) {
                    out.push((t.ident.to_string(), ty));
                }
            }
        }
        if let Some(clause) = &generics.where_clause {
            for predicate in &clause.predicates {
                let syn::WherePredicate::Type(p) = predicate else {
                    continue;
                };
                let syn::Type::Path(tp) = &p.bounded_ty else {
                    continue;
                };
                let Some(ident) = tp.path.get_ident() else {
                    continue;
                };
                if let Some(ty) = self.bounds(p.bounds.iter()) {
                    out.push((ident.to_string(), ty));
                }
            }
        }
        out
    }
}

/// What follows a leading `Self` segment (`::new` of `Self::new`, empty for `Self`).
fn strip_self(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("Self")?;
    (rest.is_empty() || rest.starts_with("::")).then_some(rest)
}
