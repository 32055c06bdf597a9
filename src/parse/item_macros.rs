//! Items written inside item-position macro invocations: `cfg_if! { if #[cfg(unix)] { fn
//! a() { .. } } else { .. } }`, `cfg_rt! { pub fn spawn() { .. } }`. The compiler sees them
//! after expansion, so the walk should too. A body that parses as items (every branch of
//! `cfg_if!`: each is compiled on some platform) adds them after the invocation, in
//! modules and `impl` blocks alike (`thread_local! { static T: .. = init; }` adds its
//! static, whose initializer is code too); a body that does not (`lazy_static!`'s
//! `static ref`, a DSL) adds nothing. `mod` items stay with the invocation, whose
//! module files the walk follows on its own (`walker::macros`).

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{ImplItem, Item, Macro};

/// Macros inside expanded macros are expanded too, this deep.
const MAX_DEPTH: usize = 4;

/// Add the items of the item-position macro invocations among `items` (and in their
/// inline modules and `impl` blocks) after each invocation.
pub fn expand(items: &mut Vec<Item>) {
    expand_items(items, 0);
}

fn expand_items(items: &mut Vec<Item>, depth: usize) {
    // Rebuilt in one pass (not spliced in place): linear in the number of items, however
    // many invocations a generated file has.
    let mut expanded = Vec::with_capacity(items.len());
    for mut item in std::mem::take(items) {
        let mut added = Vec::new();
        match &mut item {
            Item::Mod(module) => {
                if let Some((_, inner)) = &mut module.content {
                    expand_items(inner, depth);
                }
            }
            Item::Impl(block) => expand_impl_items(&mut block.items, depth),
            Item::Macro(invocation) if invocation.ident.is_none() && depth < MAX_DEPTH => {
                if let Some(mut found) = body::<Item>(&invocation.mac) {
                    found.retain(|item| !matches!(item, Item::Mod(_)));
                    expand_items(&mut found, depth + 1);
                    added = found;
                }
            }
            _ => {}
        }
        expanded.push(item);
        expanded.append(&mut added);
    }
    *items = expanded;
}

fn expand_impl_items(items: &mut Vec<ImplItem>, depth: usize) {
    let mut expanded = Vec::with_capacity(items.len());
    for item in std::mem::take(items) {
        let mut added = Vec::new();
        if let ImplItem::Macro(invocation) = &item {
            if depth < MAX_DEPTH {
                if let Some(mut found) = body::<ImplItem>(&invocation.mac) {
                    expand_impl_items(&mut found, depth + 1);
                    added = found;
                }
            }
        }
        expanded.push(item);
        expanded.append(&mut added);
    }
    *items = expanded;
}

/// The items of a macro's body, if it is a list of them (every branch's, for `cfg_if!`).
fn body<T: Parse>(mac: &Macro) -> Option<Vec<T>> {
    let is_cfg_if = mac
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident == "cfg_if");
    if !is_cfg_if {
        return items_of::<T>(mac.tokens.clone());
    }
    let mut found = Vec::new();
    for branch in cfg_if_branches(mac.tokens.clone())? {
        found.extend(items_of::<T>(branch)?);
    }
    Some(found)
}

fn items_of<T: Parse>(tokens: TokenStream) -> Option<Vec<T>> {
    let parser = |input: ParseStream| {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse::<T>()?);
        }
        Ok(items)
    };
    let items = parser.parse2(tokens).ok()?;
    (!items.is_empty()).then_some(items)
}

/// The bodies of `cfg_if!`'s branches: `if #[cfg(..)] { .. } else if #[cfg(..)] { .. }
/// else { .. }` (the grammar of the `cfg-if` crate), None if the tokens are not that.
fn cfg_if_branches(tokens: TokenStream) -> Option<Vec<TokenStream>> {
    let mut branches = Vec::new();
    let mut expect_branch = true;
    for tree in tokens {
        match tree {
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                branches.push(group.stream());
                expect_branch = false;
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Bracket => {}
            TokenTree::Ident(word) if word == "if" || word == "else" => expect_branch = true,
            TokenTree::Punct(p) if p.as_char() == '#' => {}
            _ => return None,
        }
    }
    (!branches.is_empty() && !expect_branch).then_some(branches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(source: &str) -> Vec<String> {
        let mut file = syn::parse_file(source).unwrap();
        expand(&mut file.items);
        file.items
            .iter()
            .map(|item| match item {
                Item::Fn(f) => format!("fn {}", f.sig.ident),
                Item::Macro(m) => format!("macro {}", quote::quote!(#m).to_string().len()),
                Item::Mod(m) => format!("mod {}", m.ident),
                Item::Impl(i) => format!("impl {}", i.items.len()),
                Item::Static(s) => format!("static {}", s.ident),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn adds_the_items_of_item_macros() {
        let items = expanded(
            "cfg_rt! { pub fn spawn() {} mod runtime; }\n\
             cfg_if::cfg_if! { if #[cfg(unix)] { fn a() {} } else if #[cfg(windows)] { fn b() {} } else { fn c() {} } }\n\
             impl S { cfg_rt! { fn m(&self) {} } }\n\
             mod inner { outer! { inner! { fn deep() {} } } }\n\
             lazy_static::lazy_static! { static ref X: u8 = 1; }\n\
             thread_local! { static T: u8 = 1; }\n\
             macro_rules! keep { () => { fn never() {} } }\n",
        );
        let names: Vec<&str> = items
            .iter()
            .map(String::as_str)
            .filter(|s| !s.starts_with("macro "))
            .collect();
        assert_eq!(
            names,
            [
                "fn spawn",
                "fn a",
                "fn b",
                "fn c",
                "impl 2",
                "mod inner",
                "static T"
            ],
            "{items:?}"
        );
    }

    #[test]
    fn reads_nested_macros_inside_modules() {
        let mut file = syn::parse_file("mod inner { outer! { inner! { fn deep() {} } } }").unwrap();
        expand(&mut file.items);
        let Item::Mod(module) = &file.items[0] else {
            panic!()
        };
        let inner = &module.content.as_ref().unwrap().1;
        assert!(inner
            .iter()
            .any(|i| matches!(i, Item::Fn(f) if f.sig.ident == "deep")));
    }
}
