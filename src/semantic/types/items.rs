//! What a file tells the workspace's item index (`program::items`): each function's and
//! method's return type, struct fields, type aliases, statics and consts, `pub use`
//! re-exports and trait implementations. Collected once per module as the walk enters it,
//! with the module's `use`s; plain data.

use super::syntax::TypeNaming;
use super::Ty;
use crate::catalog::Catalog;
use crate::semantic::resolve::{reexports, Resolver};
use syn::{ImplItem, Item, TraitItem};

/// The items of one file, as types.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ItemFacts {
    /// Function or method path → its return type (`crate::db::User::find` → `Option<User>`).
    pub returns: Vec<(String, Ty)>,
    /// (struct path, field name or tuple index, field type).
    pub fields: Vec<(String, String, Ty)>,
    /// Type alias path → the type it names.
    pub aliases: Vec<(String, Ty)>,
    /// Static or const path → its type.
    pub values: Vec<(String, Ty)>,
    /// `pub use` re-exports: the name it makes → the path it names.
    pub reexports: Vec<(String, String)>,
    /// `pub use path::*`: (module, the module it re-exports).
    pub glob_reexports: Vec<(String, String)>,
    /// The module's other glob imports of crate modules (`use crate::state::*;`):
    /// (module, the module it imports). A name the walk could not resolve in the module
    /// is named in it (`crate::ui::SharedState`) and found through them.
    pub glob_imports: Vec<(String, String)>,
    /// Trait implementations: (trait path, self type path).
    pub impls: Vec<(String, String)>,
    /// Enums declared here: types of the workspace even without fields (`Mode::default()`,
    /// `Cli::from_arg_matches(&m)` of a clap subcommand enum).
    pub enums: Vec<String>,
}

impl ItemFacts {
    /// Every path the facts mention, for renaming `crate::` in the workspace program.
    pub fn paths_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        for (path, ty) in self
            .returns
            .iter_mut()
            .chain(&mut self.aliases)
            .chain(&mut self.values)
        {
            f(path);
            ty.paths_mut(f);
        }
        for (owner, _, ty) in &mut self.fields {
            f(owner);
            ty.paths_mut(f);
        }
        for (a, b) in self
            .reexports
            .iter_mut()
            .chain(&mut self.glob_reexports)
            .chain(&mut self.glob_imports)
            .chain(&mut self.impls)
        {
            f(a);
            f(b);
        }
        for path in &mut self.enums {
            f(path);
        }
    }
}

fn return_type(naming: &TypeNaming, sig: &syn::Signature) -> Option<Ty> {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    // No bounds of its own (the common case): the enclosing ones, without a copy.
    if sig.generics.params.is_empty() && sig.generics.where_clause.is_none() {
        return naming.ty(ty);
    }
    let mut generics = naming.generics.to_vec();
    generics.extend(naming.generics(&sig.generics));
    let naming = TypeNaming {
        generics: &generics,
        ..*naming
    };
    naming.ty(ty)
}

/// Collect the items of one module (`module_path`), whose scope `resolver` has entered.
pub fn collect(
    items: &[Item],
    module_path: &str,
    resolver: &Resolver,
    catalog: &Catalog,
    out: &mut ItemFacts,
) {
    let naming = TypeNaming {
        resolver,
        catalog,
        self_type: None,
        generics: &[],
    };
    for item in items {
        match item {
            Item::Fn(f) => {
                if let Some(ty) = return_type(&naming, &f.sig) {
                    out.returns
                        .push((format!("{module_path}::{}", f.sig.ident), ty));
                }
            }
            Item::Struct(s) => {
                let owner = format!("{module_path}::{}", s.ident);
                let parameters = generic_parameters(&s.generics);
                let naming = TypeNaming {
                    generics: &parameters,
                    ..naming
                };
                collect_fields(&naming, owner, &s.fields, out);
            }
            // A variant's fields, as a struct's named by the variant's path
            // (`Command::Raw { commands }` binds `commands` to the field's type).
            Item::Enum(e) => {
                out.enums.push(format!("{module_path}::{}", e.ident));
                let parameters = generic_parameters(&e.generics);
                let naming = TypeNaming {
                    generics: &parameters,
                    ..naming
                };
                for variant in &e.variants {
                    let owner = format!("{module_path}::{}::{}", e.ident, variant.ident);
                    collect_fields(&naming, owner, &variant.fields, out);
                }
            }
            Item::Type(t) => {
                if let Some(ty) = naming.ty(&t.ty) {
                    out.aliases
                        .push((format!("{module_path}::{}", t.ident), ty));
                }
            }
            Item::Static(s) => {
                if let Some(ty) = naming.ty(&s.ty) {
                    out.values.push((format!("{module_path}::{}", s.ident), ty));
                }
            }
            Item::Const(c) => {
                if let Some(ty) = naming.ty(&c.ty) {
                    out.values.push((format!("{module_path}::{}", c.ident), ty));
                }
            }
            Item::Impl(i) => collect_impl(i, &naming, out),
            Item::Trait(t) => {
                let path = format!("{module_path}::{}", t.ident);
                let naming = TypeNaming {
                    self_type: Some(&path),
                    ..naming
                };
                for item in &t.items {
                    if let TraitItem::Fn(f) = item {
                        if let Some(ty) = return_type(&naming, &f.sig) {
                            out.returns.push((format!("{path}::{}", f.sig.ident), ty));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let (named, globs) = reexports(items, module_path);
    out.reexports.extend(named);
    for glob in resolver.crate_globs() {
        if !globs.iter().any(|g| g == glob) {
            out.glob_imports
                .push((module_path.to_string(), glob.to_string()));
        }
    }
    out.glob_reexports
        .extend(globs.into_iter().map(|g| (module_path.to_string(), g)));
}

/// A struct's or enum's type parameters, each standing for itself in its fields' types
/// (`Ty::generic_parameter`).
fn generic_parameters(generics: &syn::Generics) -> Vec<(String, Ty)> {
    generics
        .type_params()
        .map(|p| {
            let name = p.ident.to_string();
            let ty = Ty::generic_parameter(&name);
            (name, ty)
        })
        .collect()
}

/// The fields of a struct or an enum variant (`owner`): by name, or by index for a tuple's.
fn collect_fields(naming: &TypeNaming, owner: String, fields: &syn::Fields, out: &mut ItemFacts) {
    for (index, field) in fields.iter().enumerate() {
        let name = field
            .ident
            .as_ref()
            .map_or_else(|| index.to_string(), |i| i.to_string());
        if let Some(ty) = naming.ty(&field.ty) {
            out.fields.push((owner.clone(), name, ty));
        }
    }
}

fn collect_impl(item: &syn::ItemImpl, naming: &TypeNaming, out: &mut ItemFacts) {
    let Some(self_path) = naming
        .ty(&item.self_ty)
        .and_then(|t| t.path().map(String::from))
    else {
        return;
    };
    if let Some((_, trait_path, _)) = &item.trait_ {
        out.impls.push((naming.path(trait_path), self_path.clone()));
    }
    let generics = naming.generics(&item.generics);
    let naming = TypeNaming {
        self_type: Some(&self_path),
        generics: &generics,
        ..*naming
    };
    for impl_item in &item.items {
        if let ImplItem::Fn(f) = impl_item {
            if let Some(ty) = return_type(&naming, &f.sig) {
                out.returns
                    .push((format!("{self_path}::{}", f.sig.ident), ty));
            }
        }
    }
}
