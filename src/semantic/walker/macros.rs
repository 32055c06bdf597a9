//! Macro invocations: the bodies worth walking (`println!`-style argument lists, `join!`,
//! `select!` arms with their own grammar), and `mod` declarations inside item-position
//! macros (`cfg_rt! { pub mod runtime; }`) so the module tree continues through them.

use super::*;

impl Walker<'_> {
    /// Expressions inside a macro call whose arguments parse as `expr, expr, …`
    /// (`println!`, `assert!`, `join!`, `vec![a, b]`) or as `select!` arms
    /// (`pat = future => handler,`); other macro bodies are opaque.
    pub(super) fn visit_macro_arguments(&mut self, mac: &syn::Macro) {
        let is_select = mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident.to_string().starts_with("select"));
        // `name! { … }` bodies are items or DSLs (`cfg_x! {}`, `thread_local! {}`), except
        // `select!`; most other bodies (log lines, format strings) call nothing: a token
        // scan is far cheaper than a parse.
        if matches!(mac.delimiter, syn::MacroDelimiter::Brace(_)) && !is_select {
            return;
        }
        // Outside async code only `vec![..]` and the join/select family are worth the
        // parse (their arguments are often calls the call graph needs); assertions, log
        // and format macros there cost ~5% of a run for next to nothing.
        if !self.in_async()
            && !is_select
            && !mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "vec" || s.ident == "join" || s.ident == "try_join")
        {
            return;
        }
        if self.macro_depth >= MAX_MACRO_DEPTH || !has_call(mac.tokens.clone()) {
            return;
        }
        self.macro_depth += 1;
        self.visit_macro_body(mac, is_select);
        self.macro_depth -= 1;
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro, is_select: bool) {
        if is_select {
            if let Ok(arms) = mac.parse_body_with(parse_select_arms) {
                self.emit(Event::Select { mac, arms: &arms });
                for (future, handler) in &arms {
                    self.visit_expr(future);
                    self.visit_expr(handler);
                }
            }
            return;
        }
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        if let Ok(args) = mac.parse_body_with(parser) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

impl Walker<'_> {
    /// `mod name;` declarations inside an item-position macro (`cfg_rt! { pub mod
    /// runtime; }`, `cfg_if! { if #[cfg(..)] { mod a; } else { mod b; } }`): the module tree
    /// continues through them, as rustc's does after expansion. A token scan, so any macro
    /// grammar works; each is cfg-gated (the macro may compile it out).
    pub(super) fn macro_mod_decls(&mut self, mac: &syn::Macro) {
        // Most bodies (`macro_rules!` definitions, DSLs) declare no module: a look at the
        // text is far cheaper than walking (and cloning) their tokens.
        let body = crate::source::byte_range(mac.delimiter.span().join());
        if self
            .cx
            .text
            .get(body)
            .is_some_and(|text| !crate::semantic::mentions::mentions(text, "mod"))
        {
            return;
        }
        let mut found = Vec::new();
        scan_mod_decls(mac.tokens.clone(), &mut found, &mut Vec::new(), 0);
        for MacroModDecl {
            name,
            path_attribute,
            span,
            parents,
        } in found
        {
            let mut module_path = self.resolver.module_path().to_string();
            for parent in parents.iter().chain(std::iter::once(&name)) {
                module_path.push_str("::");
                module_path.push_str(parent);
            }
            let mut inline_parents = self.inline_mods.clone();
            inline_parents.extend(
                parents
                    .iter()
                    .map(|p| p.trim_start_matches("r#").to_string()),
            );
            self.mod_decls.push(ModDecl {
                name: name.trim_start_matches("r#").to_string(),
                path_attribute,
                inline_parents,
                module_path,
                location: Location::from_span(span),
                cfg_gated: true,
                included: false,
            });
        }
    }
}

impl Walker<'_> {
    /// `include!("opt.rs");` among a module's items: the file's items are the module's
    /// (a file `cargo check` compiles), so the module tree continues into it. Only a
    /// string literal: a path built by macros (`concat!(env!("OUT_DIR"), ..)`) names
    /// generated code, not a file of the package.
    pub(super) fn included_file(&mut self, item: &syn::ItemMacro) {
        let mac = &item.mac;
        if !mac.path.is_ident("include") {
            return;
        }
        let Ok(file) = mac.parse_body::<syn::LitStr>() else {
            return;
        };
        let path = file.value();
        self.mod_decls.push(ModDecl {
            name: path.clone(),
            path_attribute: Some(path),
            inline_parents: Vec::new(),
            module_path: self.resolver.module_path().to_string(),
            location: Location::covering(mac.path.segments[0].ident.span(), file.span()),
            cfg_gated: item
                .attrs
                .iter()
                .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")),
            included: true,
        });
    }
}

/// A `mod name;` found in a macro's tokens.
struct MacroModDecl {
    name: String,
    path_attribute: Option<String>,
    span: Span,
    /// The inline modules around it within the macro (`cfg_aio! { pub mod bsd { mod
    /// poll_aio; } }` → `bsd`): its file is in their directory.
    parents: Vec<String>,
}

/// `[#[path = ".."]] [pub[(..)]] mod name ;` anywhere in a token stream (nested groups
/// included, to a bounded depth), inside inline `mod name { .. }` too.
fn scan_mod_decls(
    tokens: proc_macro2::TokenStream,
    found: &mut Vec<MacroModDecl>,
    parents: &mut Vec<String>,
    depth: usize,
) {
    use proc_macro2::TokenTree;
    if depth > 8 {
        return;
    }
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut path_attribute: Option<String> = None;
    for (at, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => {
                if group.delimiter() == proc_macro2::Delimiter::Bracket {
                    let attr: Vec<TokenTree> = group.stream().into_iter().collect();
                    if let [TokenTree::Ident(name), TokenTree::Punct(eq), TokenTree::Literal(lit)] =
                        attr.as_slice()
                    {
                        if name == "path" && eq.as_char() == '=' {
                            let text = lit.to_string();
                            path_attribute = Some(text.trim_matches('"').to_string());
                            continue;
                        }
                    }
                }
                // An inline module's body: its `mod`s live in its directory.
                let before = |back: usize| at.checked_sub(back).map(|i| &trees[i]);
                let inline_module = match (before(2), before(1)) {
                    (Some(TokenTree::Ident(keyword)), Some(TokenTree::Ident(name)))
                        if keyword == "mod"
                            && group.delimiter() == proc_macro2::Delimiter::Brace =>
                    {
                        Some(name.to_string())
                    }
                    _ => None,
                };
                if let Some(name) = &inline_module {
                    parents.push(name.clone());
                }
                scan_mod_decls(group.stream(), found, parents, depth + 1);
                if inline_module.is_some() {
                    parents.pop();
                }
            }
            TokenTree::Ident(keyword) if keyword == "mod" => {
                if let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(semi))) =
                    (trees.get(at + 1), trees.get(at + 2))
                {
                    if semi.as_char() == ';' {
                        found.push(MacroModDecl {
                            name: name.to_string(),
                            path_attribute: path_attribute.take(),
                            span: keyword.span(),
                            parents: parents.clone(),
                        });
                    }
                }
            }
            TokenTree::Punct(p) if p.as_char() == ';' => path_attribute = None,
            _ => {}
        }
    }
}

/// Whether a token stream contains `name(…)` or `name!(…)`: something a rule could see.
pub(super) fn has_call(tokens: proc_macro2::TokenStream) -> bool {
    let mut previous_is_name = false;
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(_) => previous_is_name = true,
            proc_macro2::TokenTree::Punct(p) => {
                previous_is_name = previous_is_name && p.as_char() == '!'
            }
            proc_macro2::TokenTree::Group(group) => {
                if previous_is_name && group.delimiter() == proc_macro2::Delimiter::Parenthesis {
                    return true;
                }
                if has_call(group.stream()) {
                    return true;
                }
                previous_is_name = false;
            }
            proc_macro2::TokenTree::Literal(_) => previous_is_name = false,
        }
    }
    false
}

/// `tokio::select!` / `futures::select!` arms: `[biased;] pat = future [, if cond] => handler,`
/// and `else => handler`. Returns (future, handler) pairs (`else` has a `()` future).
fn parse_select_arms(input: syn::parse::ParseStream) -> syn::Result<Vec<(Expr, Expr)>> {
    let mut arms = Vec::new();
    if input.peek(syn::Ident) && input.peek2(Token![;]) {
        let _biased: syn::Ident = input.parse()?;
        let _: Token![;] = input.parse()?;
    }
    while !input.is_empty() {
        let future = if input.peek(Token![else]) {
            let _: Token![else] = input.parse()?;
            syn::parse_quote!(())
        } else {
            let _pattern = syn::Pat::parse_multi(input)?;
            let _: Token![=] = input.parse()?;
            let future = Expr::parse_without_eager_brace(input)?;
            if input.peek(Token![,]) && input.peek2(Token![if]) {
                let _: Token![,] = input.parse()?;
                let _: Token![if] = input.parse()?;
                let _condition = Expr::parse_without_eager_brace(input)?;
            }
            future
        };
        let _: Token![=>] = input.parse()?;
        let handler: Expr = input.parse()?;
        if !input.is_empty() {
            let _: Token![,] = input.parse().or_else(|e| {
                if matches!(handler, Expr::Block(_)) {
                    Ok(Token![,](input.span()))
                } else {
                    Err(e)
                }
            })?;
        }
        arms.push((future, handler));
    }
    Ok(arms)
}
