//! What a function's signature declares, read from syntax: whether its output carries an
//! error (a `Result`, `io::Result`, `anyhow::Result`, a crate alias such as `AppResult<T>`,
//! or a future whose `Output` is one).

use syn::{GenericArgument, PathArguments, ReturnType, Type, TypeParamBound};

/// The declared return type of `sig` (of an `async fn`: its future's output) is a `Result`.
pub fn declares_result(sig: &syn::Signature) -> bool {
    match &sig.output {
        ReturnType::Default => false,
        ReturnType::Type(_, ty) => is_result_type(ty),
    }
}

/// `Result<..>`, `io::Result<..>`, `anyhow::Result<()>`, `AppResult<T>` (an alias ending in
/// `Result` with type arguments), `impl Future<Output = Result<..>>`, `BoxFuture<'_, Result<..>>`.
pub fn is_result_type(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => is_result_type(&p.elem),
        Type::Group(g) => is_result_type(&g.elem),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            let generic = matches!(last.arguments, PathArguments::AngleBracketed(_));
            if name == "Result" || (name.ends_with("Result") && generic) {
                return true;
            }
            // `Pin<Box<dyn Future<Output = ..>>>`, `BoxFuture<'_, Result<..>>`.
            if matches!(
                name.as_str(),
                "Pin" | "Box" | "BoxFuture" | "LocalBoxFuture"
            ) {
                if let PathArguments::AngleBracketed(args) = &last.arguments {
                    return args.args.iter().any(|arg| match arg {
                        GenericArgument::Type(ty) => is_result_type(ty),
                        _ => false,
                    });
                }
            }
            false
        }
        Type::ImplTrait(t) => future_output_is_result(t.bounds.iter()),
        Type::TraitObject(t) => future_output_is_result(t.bounds.iter()),
        _ => false,
    }
}

fn future_output_is_result<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> bool {
    bounds.any(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return false;
        };
        let Some(last) = bound.path.segments.last() else {
            return false;
        };
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return false;
        };
        last.ident == "Future"
            && args.args.iter().any(|arg| {
                matches!(arg, GenericArgument::AssocType(assoc)
                    if assoc.ident == "Output" && is_result_type(&assoc.ty))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declares(text: &str) -> bool {
        declares_result(&syn::parse_str::<syn::ItemFn>(text).unwrap().sig)
    }

    #[test]
    fn result_types() {
        assert!(declares("async fn f() -> Result<(), E> {}"));
        assert!(declares("fn f() -> anyhow::Result<()> {}"));
        assert!(declares("fn f() -> std::io::Result<()> {}"));
        assert!(declares("fn f() -> AppResult<u8> {}"));
        assert!(declares(
            "fn f() -> impl Future<Output = Result<(), E>> + Send {}"
        ));
        assert!(declares(
            "fn f() -> Pin<Box<dyn Future<Output = io::Result<()>> + Send>> {}"
        ));
        assert!(!declares("async fn f() {}"));
        assert!(!declares("fn f() -> SearchResult {}"));
        assert!(!declares("fn f() -> Option<u8> {}"));
        assert!(!declares("fn f() -> impl Future<Output = ()> {}"));
    }
}
