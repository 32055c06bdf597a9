//! `unsafe_impl_sync`: `unsafe impl Send/Sync` for a type that is not thread-safe.

use super::{Group, RuleInfo};
use crate::catalog::guards::GuardCatalog;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::FileAnalysis;
use crate::semantic::events::{interest, Checker, Event};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;
use syn::spanned::Spanned;

pub const INFO: RuleInfo = RuleInfo {
    name: "unsafe_impl_sync",
    group: Group::SharedState,
    default_level: Level::Warn,
    summary: "`unsafe impl Send/Sync` for a type that is not thread-safe",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# unsafe_impl_sync

## What it does
Finds `unsafe impl Send`/`Sync` that assert thread safety the type does not visibly have:
- a generic type whose parameter has no bound at all (`unsafe impl<T> Send for Wrapper<T>`:
  it needs `T: Send`; `Sync` needs `T: Sync` or `T: Send`) — parameters only used in
  `PhantomData` and parameters with some other trait bound (which may imply it) are left
  alone;
- `Sync` for a type (defined in the same file) with `Cell`, `RefCell`, `UnsafeCell`, `Rc`
  or raw-pointer fields and no synchronizing field (a `Mutex`, `RwLock`, atomic, `Once*`,
  …); `Send` for one with `Rc` fields.

## Why is this bad?
The compiler derives `Send`/`Sync` from the fields; an `unsafe impl` overrides that
judgement. If it is wrong, safe code can race: two threads mutating a `Cell` through `&T`,
two threads cloning an `Rc` (its count is not atomic), a `Wrapper<Rc<_>>` sent to another
thread. These were among the most frequent soundness bugs found in published crates.

## Example
```rust
pub struct Wrapper<T> { inner: *mut T }
unsafe impl<T> Send for Wrapper<T> {}
```

## Use instead
```rust
unsafe impl<T: Send> Send for Wrapper<T> {}
```
and for interior mutability, a `Mutex`/`RwLock` or atomics instead of `Cell`/`RefCell`
(then the impl is usually not needed at all).

## Model
`sync-primitive`: thread safety comes from the fields' own synchronization.
"#;

fn diagnostic(file: &str, found: &UnsafeImpl, summary: Option<&TypeSummary>) -> Option<Diagnostic> {
    let trait_name = &found.trait_name;
    let is_sync = trait_name == "Sync";
    let unbounded: Vec<&String> = found
        .unbounded_params
        .iter()
        .filter(|p| !summary.is_some_and(|s| s.phantom_params.contains(p)))
        .collect();
    if let Some(param) = unbounded.first() {
        let mut diagnostic = Diagnostic::new(
            INFO.name,
            file,
            found.trait_location.clone(),
            format!(
                "`unsafe impl {trait_name} for {}` without a `{param}: {trait_name}` bound",
                found.type_text
            ),
        );
        diagnostic.primary_label = format!("`{param}` may not be `{trait_name}`");
        diagnostic.help = Some(format!(
            "add the missing bound: `unsafe impl<{param}: {trait_name}> {trait_name} for {}`",
            found.type_text
        ));
        diagnostic.model = Some(Model::SyncPrimitive);
        diagnostic.notes.push(Note {
            message: format!(
                "with `{param}` = `Rc<_>` or `Cell<_>`, safe code can now race across threads"
            ),
            file: None,
            location: None,
        });
        return Some(diagnostic);
    }
    let summary = summary?;
    if summary.has_sync_field {
        return None;
    }
    let (kind, field) = match (&summary.unsync_field, &summary.has_raw_pointer) {
        (Some((kind, field)), _) if is_sync || kind == "Rc" => (kind.clone(), field.clone()),
        _ => return None,
    };
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        found.trait_location.clone(),
        format!(
            "`unsafe impl {trait_name} for {}`, which holds a `{kind}` and no synchronization",
            found.type_text
        ),
    );
    diagnostic.primary_label = format!("asserts `{trait_name}`");
    diagnostic.labels.push(Label {
        location: field,
        message: format!("this `{kind}` field is not thread-safe by itself"),
    });
    diagnostic.help = Some(
        "protect the state with a `Mutex`/`RwLock` or atomics (then the impl is usually unnecessary), or remove the impl".into(),
    );
    diagnostic.model = Some(Model::SyncPrimitive);
    diagnostic.notes.push(Note {
        message: if is_sync {
            "through `&T`, several threads can now mutate this field at once".into()
        } else {
            "an `Rc`'s count is not atomic: sending a clone to another thread races".into()
        },
        file: None,
        location: None,
    });
    Some(diagnostic)
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    crate::semantic::mentions::mentions(cx.text, "unsafe impl").then(|| {
        Box::new(UnsafeImplChecker {
            file: cx.file.to_string(),
            ..UnsafeImplChecker::default()
        }) as Box<dyn Checker>
    })
}

/// Detection: `unsafe impl Send/Sync` items and the definitions of the file's types,
/// judged at the end of the file (an impl may come before its struct).
#[derive(Default)]
struct UnsafeImplChecker {
    file: String,
    impls: Vec<UnsafeImpl>,
    types: Vec<TypeSummary>,
}

impl Checker for UnsafeImplChecker {
    fn interests(&self) -> u16 {
        interest::ITEMS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        let catalog = &walker.cx.catalog.guards;
        match event {
            Event::Item(syn::Item::Impl(item)) => {
                if let Some(found) = unsafe_impl(item) {
                    if !has_safety_comment(walker.cx.text, found.impl_start) {
                        self.impls.push(found);
                    }
                }
            }
            Event::Item(syn::Item::Struct(item)) => {
                self.types.push(summarize_struct(item, catalog))
            }
            Event::Item(syn::Item::Enum(item)) => self.types.push(summarize_enum(item, catalog)),
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        for found in &self.impls {
            let summary = self.types.iter().find(|t| t.name == found.type_name);
            out.diagnostics
                .extend(diagnostic(&self.file, found, summary));
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
        impl_start: crate::source::byte_range(item.impl_token.span).start,
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
