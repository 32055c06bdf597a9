//! Name resolution without a compiler: the file's `use` declarations and local items turn
//! an expression path (`fs::read`, `sleep`, `File::open`) into a fully qualified path
//! (`std::fs::read`, `std::thread::sleep`, `std::fs::File::open`). Every rule asks this.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::{Item, UseTree};

/// Names every module sees without importing them: the standard prelude (edition 2021)
/// and the primitive types.
const STD_PRELUDE: &[&str] = &[
    "Copy",
    "Send",
    "Sized",
    "Sync",
    "Unpin",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "drop",
    "Box",
    "ToOwned",
    "Clone",
    "PartialEq",
    "PartialOrd",
    "Eq",
    "Ord",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "Default",
    "Iterator",
    "Extend",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "ToString",
    "Vec",
    "TryFrom",
    "TryInto",
    "FromIterator",
    "Self",
    "bool",
    "char",
    "str",
    "f32",
    "f64",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
];

/// The names one module or block brings into scope.
#[derive(Debug, Default)]
pub struct Scope {
    /// alias → fully qualified path (`fs` → `std::fs`, `Sleep` → `std::thread::sleep`)
    uses: HashMap<String, String>,
    /// paths imported only for their traits (`use std::io::Read as _;`) and all use targets
    imported: HashSet<String>,
    /// `use x::*;` prefixes
    globs: Vec<String>,
    /// items defined here: name → fully qualified path (`helper` → `crate::net::helper`)
    items: HashMap<String, String>,
    /// the names of `items` that are modules: a module lives in the type namespace only,
    /// so `mod edit; use edit::edit;` leaves the value `edit` to the import.
    modules: HashSet<String>,
    /// The module `include!`s a file: the names it declares are this module's, unseen here.
    includes_file: bool,
}

impl Scope {
    /// The scope of a list of items (a module's body, or the items of a block).
    pub fn of_items<'a>(items: impl IntoIterator<Item = &'a Item>, module_path: &str) -> Scope {
        let items: Vec<&Item> = items.into_iter().collect();
        let mut scope = Scope::default();
        for item in &items {
            if let Some(name) = item_name(item) {
                if matches!(item, Item::Mod(_)) {
                    scope.modules.insert(name.clone());
                }
                scope
                    .items
                    .insert(name.clone(), format!("{module_path}::{name}"));
            }
            if let Item::Macro(mac) = item {
                scope.includes_file |= mac.mac.path.is_ident("include");
            }
            if let Item::ExternCrate(extern_crate) = item {
                let name = extern_crate.ident.to_string();
                let alias = extern_crate
                    .rename
                    .as_ref()
                    .map(|(_, ident)| ident.to_string())
                    .unwrap_or_else(|| name.clone());
                if alias != "_" {
                    scope.uses.insert(alias, name);
                }
            }
        }
        for item in &items {
            if let Item::Use(item_use) = item {
                let mut prefix = Vec::new();
                let root = if item_use.leading_colon.is_some() {
                    UseRoot::Absolute
                } else {
                    UseRoot::Relative
                };
                scope.add_use_tree(&item_use.tree, &mut prefix, root, module_path);
            }
        }
        scope
    }

    fn add_use_tree(
        &mut self,
        tree: &UseTree,
        prefix: &mut Vec<String>,
        root: UseRoot,
        module_path: &str,
    ) {
        match tree {
            UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.add_use_tree(&path.tree, prefix, root, module_path);
                prefix.pop();
            }
            UseTree::Name(name) => {
                let ident = name.ident.to_string();
                if ident == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        let full = self.absolute(prefix, root, module_path);
                        self.imported.insert(full.clone());
                        self.uses.insert(last, full);
                    }
                } else {
                    prefix.push(ident.clone());
                    let full = self.absolute(prefix, root, module_path);
                    prefix.pop();
                    self.imported.insert(full.clone());
                    self.uses.insert(ident, full);
                }
            }
            UseTree::Rename(rename) => {
                let ident = rename.ident.to_string();
                let alias = rename.rename.to_string();
                let full = if ident == "self" {
                    self.absolute(prefix, root, module_path)
                } else {
                    prefix.push(ident);
                    let full = self.absolute(prefix, root, module_path);
                    prefix.pop();
                    full
                };
                self.imported.insert(full.clone());
                if alias != "_" {
                    self.uses.insert(alias, full);
                }
            }
            UseTree::Glob(_) => {
                let full = self.absolute(prefix, root, module_path);
                self.globs.push(full);
            }
            UseTree::Group(group) => {
                for tree in &group.items {
                    self.add_use_tree(tree, prefix, root, module_path);
                }
            }
        }
    }

    /// A `use` path made absolute: `self`/`super`/`crate` and local modules expanded.
    fn absolute(&self, segments: &[String], root: UseRoot, module_path: &str) -> String {
        if root == UseRoot::Absolute {
            return segments.join("::");
        }
        let Some(first) = segments.first() else {
            return String::new();
        };
        match first.as_str() {
            "crate" | "self" | "super" => expand_relative(segments, module_path),
            _ => match self.items.get(first) {
                Some(local) => join_rest(local, &segments[1..]),
                None => segments.join("::"),
            },
        }
    }
}

/// The names a module re-exports (`pub use …`, any visibility but private): (the path
/// the name makes, the path it names), and its `pub use …::*` globs.
pub fn reexports(items: &[Item], module_path: &str) -> (Vec<(String, String)>, Vec<String>) {
    let public_uses: Vec<&syn::ItemUse> = items
        .iter()
        .filter_map(|item| match item {
            Item::Use(u) if !matches!(u.vis, syn::Visibility::Inherited) => Some(u),
            _ => None,
        })
        .collect();
    if public_uses.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let defined = items
        .iter()
        .filter(|item| !matches!(item, Item::Use(_) | Item::ExternCrate(_)));
    let mut scope = Scope::of_items(defined, module_path);
    for item_use in public_uses {
        let root = if item_use.leading_colon.is_some() {
            UseRoot::Absolute
        } else {
            UseRoot::Relative
        };
        scope.add_use_tree(&item_use.tree, &mut Vec::new(), root, module_path);
    }
    let named = scope
        .uses
        .into_iter()
        .map(|(alias, full)| (format!("{module_path}::{alias}"), full))
        .collect();
    (named, scope.globs)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UseRoot {
    Absolute,
    Relative,
}

fn item_name(item: &Item) -> Option<String> {
    Some(
        match item {
            Item::Fn(f) => &f.sig.ident,
            Item::Struct(s) => &s.ident,
            Item::Enum(e) => &e.ident,
            Item::Mod(m) => &m.ident,
            Item::Const(c) => &c.ident,
            Item::Static(s) => &s.ident,
            Item::Type(t) => &t.ident,
            Item::Trait(t) => &t.ident,
            Item::Union(u) => &u.ident,
            _ => return None,
        }
        .to_string(),
    )
}

fn join_rest<S: AsRef<str>>(base: &str, rest: &[S]) -> String {
    let rest_len: usize = rest.iter().map(|s| s.as_ref().len() + 2).sum();
    let mut out = String::with_capacity(base.len() + rest_len);
    out.push_str(base);
    for segment in rest {
        out.push_str("::");
        out.push_str(segment.as_ref());
    }
    out
}

/// `crate::a`, `self::a`, `super::super::a` relative to `module_path` (`crate::x::y`).
fn expand_relative<S: AsRef<str>>(segments: &[S], module_path: &str) -> String {
    let mut base: Vec<&str> = module_path.split("::").collect();
    let mut rest = segments;
    while let Some(first) = rest.first() {
        match first.as_ref() {
            "crate" => base = vec!["crate"],
            "self" => {}
            "super" => {
                if base.len() > 1 {
                    base.pop();
                }
            }
            _ => break,
        }
        rest = &rest[1..];
    }
    join_rest(&base.join("::"), rest)
}

/// The scopes visible at a point: one module's scope plus the blocks opened inside it.
/// Entering a nested `mod` starts a new frame: modules do not see their parent's imports.
#[derive(Debug, Default)]
pub struct Resolver {
    frames: Vec<ModuleFrame>,
    /// The other workspace crates the file's crate may name (`FileContext::local_crates`):
    /// a glob import of one of them (`pub use my_lib::*;` in a binary) is a glob of crate
    /// items, as `use crate::state::*;` is.
    local_crates: Vec<String>,
}

#[derive(Debug)]
struct ModuleFrame {
    module_path: String,
    scopes: Vec<Scope>,
}

impl Resolver {
    pub fn new(local_crates: &[String]) -> Resolver {
        Resolver {
            frames: Vec::new(),
            local_crates: local_crates.to_vec(),
        }
    }

    pub fn enter_module(&mut self, module_path: String, scope: Scope) {
        self.frames.push(ModuleFrame {
            module_path,
            scopes: vec![scope],
        });
    }

    pub fn exit_module(&mut self) {
        self.frames.pop();
    }

    pub fn enter_block(&mut self, scope: Scope) {
        if let Some(frame) = self.frames.last_mut() {
            frame.scopes.push(scope);
        }
    }

    pub fn exit_block(&mut self) {
        if let Some(frame) = self.frames.last_mut() {
            frame.scopes.pop();
        }
    }

    pub fn module_path(&self) -> &str {
        self.frames
            .last()
            .map(|f| f.module_path.as_str())
            .unwrap_or("crate")
    }

    fn scopes(&self) -> impl Iterator<Item = &Scope> {
        self.frames
            .last()
            .into_iter()
            .flat_map(|frame| frame.scopes.iter().rev())
    }

    /// Resolve path segments to a fully qualified path. `knows` tells which candidate
    /// paths exist (used only to choose among glob imports).
    pub fn resolve(
        &self,
        segments: &[&str],
        leading_colon: bool,
        knows: &dyn Fn(&str) -> bool,
    ) -> String {
        let Some(&first) = segments.first() else {
            return String::new();
        };
        if leading_colon {
            return segments.join("::");
        }
        if matches!(first, "crate" | "self" | "super") {
            return expand_relative(segments, self.module_path());
        }
        // A path of one segment names a value (a call, a function passed as a value) or a
        // type, never a module: a module of that name does not shadow an import of it.
        let single = segments.len() == 1;
        for scope in self.scopes() {
            let module_only = single && scope.modules.contains(first);
            if let Some(local) = scope.items.get(first).filter(|_| !module_only) {
                return join_rest(local, &segments[1..]);
            }
            if let Some(full) = scope.uses.get(first) {
                return join_rest(full, &segments[1..]);
            }
        }
        for scope in self.scopes() {
            for glob in &scope.globs {
                // `use super::*;` (a test module): the enclosing module's own items and
                // imports, when that module is in this file.
                if let Some(frame) = self
                    .frames
                    .iter()
                    .rev()
                    .skip(1)
                    .find(|f| &f.module_path == glob)
                {
                    if let Some(module_scope) = frame.scopes.first() {
                        if let Some(local) = module_scope.items.get(first) {
                            return join_rest(local, &segments[1..]);
                        }
                        if let Some(full) = module_scope.uses.get(first) {
                            return join_rest(full, &segments[1..]);
                        }
                    }
                }
                let candidate = join_rest(glob, segments);
                if knows(&candidate) {
                    return candidate;
                }
            }
        }
        // A name nothing here brings in, in a module that glob-imports crate modules
        // (`use crate::state::*;`): named in this module (`crate::ui::SharedState`), which
        // the crate phase's item index follows through those globs (`ItemFacts::
        // glob_imports`). Only a lone name or a type's (`Player::new`): a lower-case
        // first segment of a longer path is a crate (`std::thread::sleep`). The prelude's
        // names stay as written.
        // The same in a module that `include!`s a file: its names are this module's.
        let glob_imported = single || first.starts_with(|c: char| c.is_ascii_uppercase());
        if glob_imported
            && !STD_PRELUDE.contains(&first)
            && (self.crate_globs().next().is_some() || self.includes_file())
        {
            return join_rest(self.module_path(), segments);
        }
        segments.join("::")
    }

    /// The module's glob imports of crate modules (`use crate::state::*;`, `use super::*;`)
    /// and of the workspace's other crates (`pub use my_lib::*;`).
    pub fn crate_globs(&self) -> impl Iterator<Item = &str> {
        self.scopes()
            .flat_map(|scope| &scope.globs)
            .map(String::as_str)
            .filter(|glob| {
                let root = crate::path_text::first_segment(glob);
                root == "crate" || self.local_crates.iter().any(|c| c == root)
            })
    }

    /// The module (or an enclosing block) `include!`s a file.
    fn includes_file(&self) -> bool {
        self.scopes().any(|scope| scope.includes_file)
    }

    /// Whether `path` (a trait) is imported by name, rename, `as _`, or a glob of its module.
    pub fn is_imported(&self, path: &str) -> bool {
        let module = crate::path_text::split_last(path).map(|(m, _)| m);
        self.scopes().any(|scope| {
            scope.imported.contains(path)
                || module.is_some_and(|m| scope.globs.iter().any(|g| g == m))
        })
    }
}

/// A path's segments, without generic arguments, written once into `text` (`a::b::c`);
/// the segments are slices of it. One buffer instead of a `String` per segment: the walk
/// names every path it meets.
pub fn path_text(path: &syn::Path, text: &mut String) {
    use std::fmt::Write;
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            text.push_str("::");
        }
        let _ = write!(text, "{}", segment.ident);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver_for(source: &str) -> Resolver {
        let file = syn::parse_file(source).unwrap();
        let mut resolver = Resolver::default();
        resolver.enter_module("crate::m".into(), Scope::of_items(&file.items, "crate::m"));
        resolver
    }

    fn resolve(resolver: &Resolver, path: &str) -> String {
        let segments: Vec<&str> = path.split("::").collect();
        resolver.resolve(&segments, false, &|p| p == "std::fs::read")
    }

    #[test]
    fn renames_groups_globs_and_relative_paths() {
        let r = resolver_for(
            "use std::{fs::{self, File}, thread::sleep as nap}; use std::fs::*; use super::util; use crate::a::b as c;",
        );
        assert_eq!(resolve(&r, "fs::read_to_string"), "std::fs::read_to_string");
        assert_eq!(resolve(&r, "File::open"), "std::fs::File::open");
        assert_eq!(resolve(&r, "nap"), "std::thread::sleep");
        assert_eq!(resolve(&r, "read"), "std::fs::read");
        assert_eq!(resolve(&r, "util::go"), "crate::util::go");
        assert_eq!(resolve(&r, "c::d"), "crate::a::b::d");
        assert_eq!(resolve(&r, "self::x"), "crate::m::x");
        assert_eq!(resolve(&r, "super::x"), "crate::x");
    }

    #[test]
    fn glob_of_the_parent_module_sees_its_imports() {
        let file =
            syn::parse_file("use std::fs; fn helper() {} mod tests { use super::*; }").unwrap();
        let mut r = Resolver::default();
        r.enter_module("crate".into(), Scope::of_items(&file.items, "crate"));
        let syn::Item::Mod(m) = &file.items[2] else {
            panic!()
        };
        let items = &m.content.as_ref().unwrap().1;
        r.enter_module(
            "crate::tests".into(),
            Scope::of_items(items, "crate::tests"),
        );
        let segments = |p: &'static str| p.split("::").collect::<Vec<_>>();
        assert_eq!(
            r.resolve(&segments("fs::read"), false, &|_| false),
            "std::fs::read"
        );
        assert_eq!(
            r.resolve(&segments("helper"), false, &|_| false),
            "crate::helper"
        );
    }

    #[test]
    fn a_module_does_not_shadow_the_function_imported_from_it() {
        let r = resolver_for("mod edit; use edit::edit; use std::fs;");
        assert_eq!(resolve(&r, "edit"), "crate::m::edit::edit");
        assert_eq!(resolve(&r, "edit::helper"), "crate::m::edit::helper");
    }

    #[test]
    fn local_items_shadow_glob_imports() {
        let r = resolver_for("use std::fs::*; fn read() {}");
        assert_eq!(resolve(&r, "read"), "crate::m::read");
    }

    #[test]
    fn names_a_crate_glob_may_bring_are_named_in_the_module() {
        let r = resolver_for("use crate::state::*; use std::fs::*;");
        // found through the glob in the crate phase (`ItemIndex::canonical`)
        assert_eq!(resolve(&r, "SharedState"), "crate::m::SharedState");
        assert_eq!(resolve(&r, "Player::new"), "crate::m::Player::new");
        assert_eq!(resolve(&r, "render"), "crate::m::render");
        // a crate's path, the prelude, and what another glob names stay as they are
        assert_eq!(resolve(&r, "std::thread::sleep"), "std::thread::sleep");
        assert_eq!(resolve(&r, "tokio::spawn"), "tokio::spawn");
        assert_eq!(resolve(&r, "Vec::new"), "Vec::new");
        assert_eq!(resolve(&r, "Some"), "Some");
        assert_eq!(resolve(&r, "read"), "std::fs::read");
        // without a crate glob nothing changes
        let r = resolver_for("use std::fs::*;");
        assert_eq!(resolve(&r, "SharedState"), "SharedState");
    }

    #[test]
    fn traits_imported_anonymously_count() {
        let r = resolver_for("use std::net::ToSocketAddrs as _; use std::io::*;");
        assert!(r.is_imported("std::net::ToSocketAddrs"));
        assert!(r.is_imported("std::io::Read"));
        assert!(!r.is_imported("std::io::Write2::X"));
    }
}
