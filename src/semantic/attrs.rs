//! What attributes tell the walk: test-only code, `#[path]`, `cfg_attr` suppressions.

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

fn nested_metas(list: &syn::MetaList) -> Vec<Meta> {
    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// Whether a `cfg` predicate can only be true when compiling tests.
fn cfg_requires_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
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
    fn reads_cfg_attr_allows() {
        let a = attrs(
            "#[cfg_attr(concurrency_lint, allow(concurrency_lint::blocking_in_async, concurrency_lint::static_mut))]",
        );
        assert_eq!(cfg_attr_allows(&a), vec!["blocking_in_async", "static_mut"]);
    }
}
