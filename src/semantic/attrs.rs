//! What attributes tell the walk: test-only code, `#[path]`, `cfg_attr` suppressions.

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

fn nested_metas(list: &syn::MetaList) -> Vec<Meta> {
    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// Whether a `cfg` predicate can only be true when compiling tests: `test`, or a
/// test-support feature (`feature = "test-util"`, see `is_test_support_feature`).
fn cfg_requires_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
        Meta::NameValue(nv) if nv.path.is_ident("feature") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(name),
                ..
            }) => is_test_support_feature(&name.value()),
            _ => false,
        },
        Meta::List(list) if list.path.is_ident("all") => {
            nested_metas(list).iter().any(cfg_requires_test)
        }
        Meta::List(list) if list.path.is_ident("any") => {
            let items = nested_metas(list);
            !items.is_empty() && items.iter().all(cfg_requires_test)
        }
        _ => false,
    }
}

/// A feature that only tests enable, by the name crates give it: one of its words (split
/// at `-` and `_`) is `test`, `tests`, `testing`, `testkit` or `testutils` (`test`,
/// `test-util`, `testing`, `integration-tests`, `test_helpers`). Code behind it is test
/// support (`#[cfg(any(test, feature = "test-util"))] pub mod mock;`), like `#[cfg(test)]`.
pub fn is_test_support_feature(name: &str) -> bool {
    const WORDS: &[&str] = &["test", "tests", "testing", "testkit", "testutils"];
    name.split(['-', '_'])
        .any(|word| WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

/// `#[cfg(test)]` (or a predicate that implies it), `#[test]`, `#[tokio::test]`, ….
pub fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        if path.is_ident("cfg") {
            if let Meta::List(list) = &attr.meta {
                return nested_metas(list).iter().any(cfg_requires_test);
            }
            return false;
        }
        path.segments.last().is_some_and(|s| s.ident == "test") && path.segments.len() <= 2
    })
}

/// The value of `#[path = "…"]`.
pub fn path_attribute(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// The files a `mod` item may name under some cfg through `#[cfg_attr(cond, path =
/// "x.rs")]` (`unix.rs` and `windows.rs` of `#[cfg_attr(unix, path = "unix.rs")]
/// #[cfg_attr(windows, path = "windows.rs")] mod platform;`), nested `cfg_attr`s included.
pub fn cfg_attr_paths(attrs: &[Attribute]) -> Vec<String> {
    fn collect(meta: &Meta, out: &mut Vec<String>) {
        match meta {
            Meta::NameValue(nv) if nv.path.is_ident("path") => {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                {
                    out.push(s.value());
                }
            }
            Meta::List(list) if list.path.is_ident("cfg_attr") => {
                for meta in nested_metas(list).iter().skip(1) {
                    collect(meta, out);
                }
            }
            _ => {}
        }
    }
    let mut paths = Vec::new();
    for attr in attrs {
        if let Meta::List(list) = &attr.meta {
            if list.path.is_ident("cfg_attr") {
                collect(&attr.meta, &mut paths);
            }
        }
    }
    paths
}

/// Rules allowed by `#[cfg_attr(concurrency_lint, allow(concurrency_lint::rule, …))]`.
pub fn cfg_attr_allows(attrs: &[Attribute]) -> Vec<String> {
    let mut rules = Vec::new();
    for attr in attrs {
        let Meta::List(list) = &attr.meta else {
            continue;
        };
        if !list.path.is_ident("cfg_attr") {
            continue;
        }
        let metas = nested_metas(list);
        let Some((condition, rest)) = metas.split_first() else {
            continue;
        };
        if !condition.path().is_ident("concurrency_lint") {
            continue;
        }
        for meta in rest {
            let Meta::List(allow) = meta else { continue };
            if !allow.path.is_ident("allow") {
                continue;
            }
            for lint in nested_metas(allow) {
                let segments: Vec<String> = lint
                    .path()
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segments.len() == 2 && segments[0] == "concurrency_lint" {
                    rules.push(segments[1].clone());
                }
            }
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(source: &str) -> Vec<Attribute> {
        let item: syn::ItemFn = syn::parse_str(&format!("{source} fn f() {{}}")).unwrap();
        item.attrs
    }

    #[test]
    fn recognises_test_only_code() {
        assert!(is_test_only(&attrs("#[cfg(test)]")));
        assert!(is_test_only(&attrs("#[cfg(all(test, unix))]")));
        assert!(is_test_only(&attrs("#[tokio::test]")));
        assert!(!is_test_only(&attrs("#[cfg(not(test))]")));
        assert!(!is_test_only(&attrs("#[cfg(any(test, feature = \"x\"))]")));
    }

    #[test]
    fn test_support_features_are_test_only() {
        assert!(is_test_only(&attrs("#[cfg(feature = \"test\")]")));
        assert!(is_test_only(&attrs(
            "#[cfg(any(test, feature = \"test-util\"))]"
        )));
        assert!(is_test_only(&attrs(
            "#[cfg(feature = \"integration_tests\")]"
        )));
        assert!(is_test_only(&attrs(
            "#[cfg(all(unix, feature = \"testing\"))]"
        )));
        assert!(!is_test_only(&attrs("#[cfg(feature = \"attestation\")]")));
        assert!(!is_test_only(&attrs("#[cfg(feature = \"proptest\")]")));
        assert!(!is_test_only(&attrs("#[cfg(not(feature = \"test\"))]")));
        assert!(!is_test_only(&attrs(
            "#[cfg(any(test, feature = \"tokio\"))]"
        )));
    }

    #[test]
    fn reads_cfg_attr_paths() {
        let a = attrs(
            "#[cfg_attr(unix, path = \"unix.rs\")] #[cfg_attr(windows, path = \"win.rs\")] \
             #[cfg_attr(feature = \"x\", cfg_attr(test, path = \"t.rs\"), allow(dead_code))] \
             #[cfg_attr(unix, allow(unused))] #[doc = \"d\"]",
        );
        assert_eq!(cfg_attr_paths(&a), vec!["unix.rs", "win.rs", "t.rs"]);
        assert!(cfg_attr_paths(&attrs("#[path = \"p.rs\"]")).is_empty());
    }

    #[test]
    fn reads_cfg_attr_allows() {
        let a = attrs(
            "#[cfg_attr(concurrency_lint, allow(concurrency_lint::blocking_in_async, concurrency_lint::static_mut))]",
        );
        assert_eq!(cfg_attr_allows(&a), vec!["blocking_in_async", "static_mut"]);
    }
}
