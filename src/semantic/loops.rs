//! What syntax tells about a loop: what it iterates over, whether it waits (`.await`,
//! `yield`), how much arithmetic its body does, whether it nests loops over input, and
//! whether it leaves early (`break`/`return`). Shared by the loop rules.

use syn::visit::{self, Visit};
use syn::{BinOp, Expr, Lit};

/// A constant loop of at least this many iterations counts as heavy on its own.
pub const LARGE_CONSTANT_ITERATIONS: u128 = 10_000;

/// What a loop iterates over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopSource {
    /// `for _ in 0..4`, `for x in [a, b]`, `for name in NAMES`: a small fixed set.
    SmallConstant,
    /// `for i in 0..1_000_000`: fixed, but large.
    LargeConstant(u128),
    /// `for i in 0..n`: a range with a bound known only at run time.
    Range,
    /// `for x in items`, `for x in v.iter()`: a collection or iterator from the input.
    Collection,
    /// `while let Some(x) = …`: one item at a time from an iterator, queue or stream.
    WhileLet,
    /// `while cond`.
    While,
    /// `loop`.
    Loop,
}

impl LoopSource {
    /// Whether the number of iterations depends on the input (or is large anyway).
    pub fn grows(self) -> bool {
        !matches!(self, LoopSource::SmallConstant | LoopSource::Loop)
    }
}

/// The loop keyword's span, the loop's label and body, for any loop expression.
pub struct LoopParts<'a> {
    pub keyword: proc_macro2::Span,
    pub label: Option<&'a syn::Lifetime>,
    pub body: &'a syn::Block,
    pub source: LoopSource,
    /// The pattern a `for` loop binds each item to.
    pub pattern: Option<&'a syn::Pat>,
}

pub fn loop_parts(expr: &Expr) -> Option<LoopParts<'_>> {
    match expr {
        Expr::ForLoop(l) => Some(LoopParts {
            keyword: l.for_token.span,
            label: l.label.as_ref().map(|l| &l.name),
            body: &l.body,
            source: for_source(&l.expr),
            pattern: Some(&l.pat),
        }),
        Expr::While(l) => Some(LoopParts {
            keyword: l.while_token.span,
            label: l.label.as_ref().map(|l| &l.name),
            body: &l.body,
            source: if matches!(&*l.cond, Expr::Let(_)) {
                LoopSource::WhileLet
            } else {
                LoopSource::While
            },
            pattern: None,
        }),
        Expr::Loop(l) => Some(LoopParts {
            keyword: l.loop_token.span,
            label: l.label.as_ref().map(|l| &l.name),
            body: &l.body,
            source: LoopSource::Loop,
            pattern: None,
        }),
        _ => None,
    }
}

fn int_literal(expr: &Expr) -> Option<u128> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse().ok(),
            _ => None,
        },
        Expr::Paren(p) => int_literal(&p.expr),
        Expr::Group(g) => int_literal(&g.expr),
        _ => None,
    }
}

fn is_constant_name(expr: &Expr) -> bool {
    let Expr::Path(path) = expr else { return false };
    path.path.segments.last().is_some_and(|s| {
        let name = s.ident.to_string();
        name.len() > 1
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
    })
}

/// Classify the iterable of a `for` loop.
pub fn for_source(expr: &Expr) -> LoopSource {
    match expr {
        Expr::Paren(p) => for_source(&p.expr),
        Expr::Group(g) => for_source(&g.expr),
        Expr::Reference(r) => for_source(&r.expr),
        Expr::Range(range) => {
            let start = match &range.start {
                Some(s) => int_literal(s),
                None => Some(0),
            };
            let end = range.end.as_deref().and_then(int_literal);
            match (start, end) {
                (Some(s), Some(e)) => {
                    let count = e.saturating_sub(s);
                    if count >= LARGE_CONSTANT_ITERATIONS {
                        LoopSource::LargeConstant(count)
                    } else {
                        LoopSource::SmallConstant
                    }
                }
                _ if range.end.as_deref().is_some_and(is_constant_name) => {
                    LoopSource::SmallConstant
                }
                _ => LoopSource::Range,
            }
        }
        Expr::Array(_) => LoopSource::SmallConstant,
        Expr::Macro(m) if m.mac.path.is_ident("vec") => LoopSource::SmallConstant,
        Expr::MethodCall(call) => {
            let name = call.method.to_string();
            // `.take(10)` anywhere in the chain caps the iterations.
            if name == "take" {
                if let Some(n) = call.args.first().and_then(int_literal) {
                    return if n >= LARGE_CONSTANT_ITERATIONS {
                        LoopSource::LargeConstant(n)
                    } else {
                        LoopSource::SmallConstant
                    };
                }
            }
            match name.as_str() {
                "rev" | "step_by" | "iter" | "into_iter" | "iter_mut" | "copied" | "cloned"
                | "enumerate" | "skip" => match for_source(&call.receiver) {
                    LoopSource::SmallConstant => LoopSource::SmallConstant,
                    LoopSource::LargeConstant(n) => LoopSource::LargeConstant(n),
                    LoopSource::Range => LoopSource::Range,
                    _ => LoopSource::Collection,
                },
                _ => LoopSource::Collection,
            }
        }
        _ if is_constant_name(expr) => LoopSource::SmallConstant,
        _ => LoopSource::Collection,
    }
}

/// The facts of one loop body (not counting nested `fn` items and `async` blocks, which do
/// not run as part of the loop).
#[derive(Debug, Default)]
pub struct LoopScan {
    /// `.await`s in the body, nested loops included.
    pub awaits: usize,
    pub yields: bool,
    /// A macro whose tokens hold `.await` (`select!`, `join!`): it waits, we cannot see how.
    pub macro_awaits: bool,
    /// Nested loops whose iteration count grows with the input.
    pub nested_growing_loops: usize,
    /// Of those, `for` loops over a part of the current item (`for row in grid { for x in
    /// row {..} }`): together they traverse the input once, they do not multiply it.
    pub nested_traversals: usize,
    /// Arithmetic operators, compound assignments and indexing.
    pub arithmetic: usize,
    /// Method and function calls.
    pub calls: usize,
    /// A `break` that leaves this loop, or a `return`.
    pub exits: bool,
}

pub fn scan_loop(parts: &LoopParts) -> LoopScan {
    let mut scanner = Scanner {
        scan: LoopScan::default(),
        label: parts.label,
        inner_loops: 0,
        closures: 0,
        item_names: Vec::new(),
    };
    if let Some(pattern) = parts.pattern {
        bound_names(pattern, &mut scanner.item_names);
    }
    scanner.visit_block(parts.body);
    scanner.scan
}

struct Scanner<'l> {
    scan: LoopScan,
    label: Option<&'l syn::Lifetime>,
    inner_loops: usize,
    closures: usize,
    /// Names bound to the current item or to parts of it: the loop patterns and the
    /// locals bound inside the body.
    item_names: Vec<String>,
}

/// The identifiers a pattern binds.
fn bound_names(pattern: &syn::Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
    }
    Names(out).visit_pat(pattern);
}

/// Whether `expr` mentions one of `names` as a plain path.
fn mentions_any(expr: &Expr, names: &[String]) -> bool {
    struct Mentions<'n>(&'n [String], bool);
    impl<'ast> Visit<'ast> for Mentions<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(ident) = p.path.get_ident() {
                self.1 |= self.0.iter().any(|n| ident == n);
            }
        }
    }
    let mut m = Mentions(names, false);
    m.visit_expr(expr);
    m.1
}
impl Scanner<'_> {
    fn inner_loop(&mut self, source: LoopSource, walk: impl FnOnce(&mut Self)) {
        self.inner_loop_over(source, false, walk)
    }

    fn inner_loop_over(
        &mut self,
        source: LoopSource,
        traversal: bool,
        walk: impl FnOnce(&mut Self),
    ) {
        if source.grows() {
            self.scan.nested_growing_loops += 1;
            if traversal {
                self.scan.nested_traversals += 1;
            }
        }
        self.inner_loops += 1;
        walk(self);
        self.inner_loops -= 1;
    }
}

fn is_arithmetic(op: &BinOp) -> bool {
    !matches!(
        op,
        BinOp::And(_)
            | BinOp::Or(_)
            | BinOp::Eq(_)
            | BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Ne(_)
            | BinOp::Ge(_)
            | BinOp::Gt(_)
    )
}

/// Whether a macro's tokens contain `.await` (or it is a `select!`/`join!` that waits).
pub fn macro_awaits(mac: &syn::Macro) -> bool {
    let name = mac.path.segments.last().map(|s| s.ident.to_string());
    if matches!(
        name.as_deref(),
        Some("select" | "join" | "try_join" | "select_biased")
    ) {
        return true;
    }
    tokens_contain_ident(mac.tokens.clone(), "await")
}

pub fn tokens_contain_ident(tokens: proc_macro2::TokenStream, word: &str) -> bool {
    tokens_contain_ident_where(tokens, &|ident| ident == word)
}

/// Whether an identifier in `tokens` satisfies `wanted` (one pass: iterating a shared
/// token stream copies it, so ask for all the words at once).
pub fn tokens_contain_ident_where(
    tokens: proc_macro2::TokenStream,
    wanted: &impl Fn(&proc_macro2::Ident) -> bool,
) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => wanted(&ident),
        proc_macro2::TokenTree::Group(group) => tokens_contain_ident_where(group.stream(), wanted),
        _ => false,
    })
}

impl<'ast> Visit<'ast> for Scanner<'_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        if closure.asyncness.is_some() {
            return;
        }
        self.closures += 1;
        visit::visit_expr_closure(self, closure);
        self.closures -= 1;
    }

    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        self.scan.awaits += 1;
        visit::visit_expr_await(self, expr);
    }

    fn visit_expr_yield(&mut self, expr: &'ast syn::ExprYield) {
        self.scan.yields = true;
        visit::visit_expr_yield(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_awaits(mac) {
            self.scan.macro_awaits = true;
        }
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        let traversal = mentions_any(&expr.expr, &self.item_names);
        bound_names(&expr.pat, &mut self.item_names);
        self.inner_loop_over(for_source(&expr.expr), traversal, |s| {
            visit::visit_expr_for_loop(s, expr)
        });
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        bound_names(&local.pat, &mut self.item_names);
        visit::visit_local(self, local);
    }

    fn visit_expr_let(&mut self, expr: &'ast syn::ExprLet) {
        bound_names(&expr.pat, &mut self.item_names);
        visit::visit_expr_let(self, expr);
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        let source = if matches!(&*expr.cond, Expr::Let(_)) {
            LoopSource::WhileLet
        } else {
            LoopSource::While
        };
        self.inner_loop(source, |s| visit::visit_expr_while(s, expr));
    }

    fn visit_expr_loop(&mut self, expr: &'ast syn::ExprLoop) {
        self.inner_loop(LoopSource::Loop, |s| visit::visit_expr_loop(s, expr));
    }

    fn visit_expr_break(&mut self, expr: &'ast syn::ExprBreak) {
        let leaves = match &expr.label {
            Some(label) => self.label.is_some_and(|l| l.ident == label.ident),
            None => self.inner_loops == 0 && self.closures == 0,
        };
        if leaves {
            self.scan.exits = true;
        }
        visit::visit_expr_break(self, expr);
    }

    fn visit_expr_return(&mut self, expr: &'ast syn::ExprReturn) {
        if self.closures == 0 {
            self.scan.exits = true;
        }
        visit::visit_expr_return(self, expr);
    }

    fn visit_expr_binary(&mut self, expr: &'ast syn::ExprBinary) {
        if is_arithmetic(&expr.op) {
            self.scan.arithmetic += 1;
        }
        visit::visit_expr_binary(self, expr);
    }

    fn visit_expr_index(&mut self, expr: &'ast syn::ExprIndex) {
        // `row[0]`, `json["name"]`: a field by another name, not arithmetic.
        if !matches!(&*expr.index, Expr::Lit(_)) {
            self.scan.arithmetic += 1;
        }
        visit::visit_expr_index(self, expr);
    }

    fn visit_expr_call(&mut self, expr: &'ast syn::ExprCall) {
        self.scan.calls += 1;
        visit::visit_expr_call(self, expr);
    }

    fn visit_expr_method_call(&mut self, expr: &'ast syn::ExprMethodCall) {
        self.scan.calls += 1;
        visit::visit_expr_method_call(self, expr);
    }
}

/// Why a loop is CPU-bound, or None. A CPU loop never waits (no `.await`, no `yield`) and
/// its work grows with the input: nested loops over input doing arithmetic (that do not stop
/// at the first match), a large constant range, or a run-time range whose body computes.
pub fn cpu_loop_reason(parts: &LoopParts, scan: &LoopScan) -> Option<String> {
    if scan.awaits > 0 || scan.yields || scan.macro_awaits {
        return None;
    }
    let source = parts.source;
    // A nest that stops at the first match (`return Some(line)`, `break 'outer`) is a
    // search over a few short inputs, not a crunch.
    // Inner loops over parts of the current item traverse the input once, like one loop
    // over it: they need the body of a computing loop, not of a data-moving one.
    let multiplying = scan.nested_growing_loops > scan.nested_traversals;
    let needed = if multiplying { 2 } else { 3 };
    if source.grows() && scan.nested_growing_loops > 0 && scan.arithmetic >= needed && !scan.exits {
        return Some("nested loops whose work grows with the input".into());
    }
    match source {
        LoopSource::LargeConstant(count) if scan.arithmetic >= 1 => {
            Some(format!("a loop of {count} iterations that computes"))
        }
        LoopSource::Range if scan.arithmetic >= 3 && !scan.exits => {
            Some("a loop over a run-time range whose body computes".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_of(text: &str) -> LoopSource {
        for_source(&syn::parse_str::<Expr>(text).unwrap())
    }

    #[test]
    fn classifies_iterables() {
        assert_eq!(source_of("0..4"), LoopSource::SmallConstant);
        assert_eq!(source_of("[1, 2, 3].iter()"), LoopSource::SmallConstant);
        assert_eq!(source_of("0..MAX_RETRIES"), LoopSource::SmallConstant);
        assert_eq!(
            source_of("0..1_000_000"),
            LoopSource::LargeConstant(1_000_000)
        );
        assert_eq!(source_of("(0..n).rev()"), LoopSource::Range);
        assert_eq!(
            source_of("items.iter().enumerate()"),
            LoopSource::Collection
        );
        assert_eq!(source_of("&items"), LoopSource::Collection);
    }
}
