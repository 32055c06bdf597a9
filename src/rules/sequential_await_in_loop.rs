//! `sequential_await_in_loop`: a `for` loop over independent inputs awaiting one I/O future
//! per item, one after another.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::{expr_kind, Checker};
use crate::semantic::loops::{for_source, macro_awaits, LoopSource};
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::{snippet, Location};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "sequential_await_in_loop",
    group: Group::Structure,
    default_level: Level::Warn,
    summary: "a loop awaiting independent I/O one item at a time",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# sequential_await_in_loop

## What it does
Finds a `for` loop over a collection (or a run-time range) in async code that awaits a
call made from the loop's item — one future per item, each started only when the previous
one has finished. It reports only loops whose iterations are independent:
- the awaited call uses the item, and nothing the loop assigns (no cursor, token or
  accumulator carried from one iteration into the next call: pagination is sequential by
  nature);
- the loop does not `break` or `return` (a search or a retry stops at a result; a `?` is
  not a break: `try_join_all` keeps that fail-fast behaviour);
- no awaited call is an ordered or exclusive operation: sends, writes, reads and flushes on
  one stream or sink, channel receives, locks, permits, sleeps (rate limiting), commits,
  queueing or showing things in order (`push_*`, `replay_*`, `show_*`, `print_*` methods
  and functions),
  a `&mut` borrow passed to the call, a method on `&mut self`, a call through one
  connection or transaction (`rules/spawn.toml` `[serializing]`) or through a guard the
  function took (`let helper = state.locked_helper().await`, `let db = m.lock().await`:
  the lock is held to keep those updates in order);
- the awaited value is not a ready-made future or handle (`for h in handles { h.await }`).

Loops driven by an await of their own (`while let Some(x) = stream.next().await`, accept
loops, tickers) are not `for` loops over a collection and are not reported; nor are test
functions.

## Why is this bad?
Awaiting in a loop makes independent waits sequential: fifteen API calls of 650 ms take
ten seconds one after another, and under a second run concurrently. The executor is idle
the whole time — nothing is gained by the ordering.

## Example
```rust
async fn fetch_all(client: &Client, urls: Vec<String>) -> Result<Vec<String>> {
    let mut bodies = Vec::new();
    for url in urls {
        bodies.push(client.get(&url).send().await?.text().await?);
    }
    Ok(bodies)
}
```

## Use instead
Run them concurrently, bounded:
```rust
use futures::stream::{self, StreamExt, TryStreamExt};
async fn fetch_all(client: &Client, urls: Vec<String>) -> Result<Vec<String>> {
    stream::iter(urls)
        .map(|url| async move { client.get(&url).send().await?.text().await })
        .buffered(8) // or .buffer_unordered(8) when the order does not matter
        .try_collect()
        .await
}
```
For a handful of items, `futures::future::join_all` (`try_join_all` with `?`); for work that
should run as tasks, a `tokio::task::JoinSet` (with a `Semaphore` for a limit).

## Model
`bounded-concurrency`: many independent waits run concurrently, with a limit.
"#;

/// Awaited operations that are ordered, exclusive or deliberate pacing: a loop awaiting one
/// of these is sequential by design.
const ORDERED_METHODS: &[&str] = &[
    // Database writes: statements and migrations usually must apply in order.
    "execute",
    "execute_many",
    "batch_execute",
    "run",
    "apply",
    "migrate",
    "send",
    "send_all",
    "feed",
    "send_to",
    "write",
    "write_all",
    "write_buf",
    "write_vectored",
    "write_u8",
    "write_u16",
    "write_u32",
    "write_u64",
    "write_i32",
    "write_i64",
    "flush",
    "read",
    "read_exact",
    "read_to_end",
    "read_to_string",
    "read_line",
    "read_buf",
    "recv",
    "recv_from",
    "recv_async",
    "send_async",
    "next",
    "try_next",
    "lock",
    "write_lock",
    "read_lock",
    "acquire",
    "acquire_owned",
    "tick",
    "sleep",
    "sleep_until",
    "notified",
    "changed",
    "wait",
    "wait_for",
    "join",
    "closed",
    "shutdown",
    "commit",
    "rollback",
    "close",
    "ready",
    "reserve",
    "accept",
    "readable",
    "writable",
    "start_send",
    "transaction",
    "begin",
    "copy",
    "copy_in",
    "copy_out",
    "poll_fn",
    "yield_now",
    "into_future",
    // already concurrent inside the iteration (batches)
    "buffer_unordered",
    "buffered",
    "for_each_concurrent",
    "try_for_each_concurrent",
    "join_next",
    "join_all",
];

/// Functions (last path segment) that pace a loop or yield: a loop awaiting one is sequential
/// on purpose.
const PACING_FUNCTIONS: &[&str] = &[
    "sleep",
    "sleep_until",
    "delay_for",
    "yield_now",
    "timeout",
    "after",
    "copy",
    "copy_buf",
    // already concurrent inside the iteration (batches)
    "join_all",
    "try_join_all",
    "join",
    "try_join",
    "select_all",
    "select_ok",
];

/// A loop body, as this rule needs it.
#[derive(Default)]
struct BodyFacts<'ast> {
    awaited: Vec<(&'ast Expr, proc_macro2::Span)>,
    /// Root names assigned in the body (`cursor = …`, `state.token = …`, `n += 1`).
    assigned: HashSet<String>,
    /// Root names of method-call receivers (`plan.add(..)`: a write when bound `mut`).
    receivers: HashSet<String>,
    /// How often each name appears in the body (a written name seen again is read).
    mentions: HashMap<String, usize>,
    /// Names the body binds itself (`let`): fresh in every iteration.
    bound: HashSet<String>,
    /// Macros invoked in the loop's own code (not in closures): may they leave it?
    macros: Vec<&'ast syn::Macro>,
    exits: bool,
    macro_awaits: bool,
    has_try: bool,
    depth: usize,
}

fn root_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Field(f) => root_name(&f.base),
        Expr::Index(i) => root_name(&i.expr),
        Expr::Unary(u) => root_name(&u.expr),
        Expr::Paren(p) => root_name(&p.expr),
        Expr::MethodCall(m) => root_name(&m.receiver),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for BodyFacts<'ast> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.depth += 1;
        visit::visit_expr_closure(self, closure);
        self.depth -= 1;
    }

    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        if self.depth == 0 {
            self.awaited.push((&expr.base, expr.await_token.span));
        }
        visit::visit_expr_await(self, expr);
    }

    fn visit_expr_assign(&mut self, expr: &'ast syn::ExprAssign) {
        if let Some(name) = root_name(&expr.left) {
            self.assigned.insert(name);
        }
        visit::visit_expr_assign(self, expr);
    }

    fn visit_expr_binary(&mut self, expr: &'ast syn::ExprBinary) {
        if crate::semantic::guards::tracker::is_assign_op(&expr.op) {
            if let Some(name) = root_name(&expr.left) {
                self.assigned.insert(name);
            }
        }
        visit::visit_expr_binary(self, expr);
    }

    fn visit_expr_break(&mut self, expr: &'ast syn::ExprBreak) {
        // Any break: one leaving an inner loop on a result is as sequential.
        self.exits = true;
        visit::visit_expr_break(self, expr);
    }

    fn visit_expr_return(&mut self, expr: &'ast syn::ExprReturn) {
        if self.depth == 0 {
            self.exits = true;
        }
        visit::visit_expr_return(self, expr);
    }

    fn visit_expr_try(&mut self, expr: &'ast syn::ExprTry) {
        self.has_try = true;
        visit::visit_expr_try(self, expr);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if let Some(root) = root_name(&call.receiver) {
            self.receivers.insert(root);
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        pattern_names(&local.pat, &mut self.bound);
        visit::visit_local(self, local);
    }

    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        *self.mentions.entry(ident.to_string()).or_default() += 1;
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_awaits(mac) {
            self.macro_awaits = true;
        }
        if self.depth == 0 {
            self.macros.push(mac);
        }
        let mut idents = HashSet::default();
        collect_idents(mac.tokens.clone(), &mut idents);
        for ident in idents {
            *self.mentions.entry(ident).or_default() += 1;
        }
    }
}

impl BodyFacts<'_> {
    /// A variable from outside the loop that the body writes (assigns, or calls a method
    /// on while it is bound `mut`) and also reads: each iteration sees what the previous
    /// one left (`idx = last + 1; last = idx`, `if plan.count(..) { .. plan.add(..) }`).
    fn carries_state(&self, items: &HashSet<String>, mut_names: &HashSet<String>) -> bool {
        let method_writes = self.receivers.iter().filter(|r| mut_names.contains(*r));
        self.assigned
            .iter()
            .chain(method_writes)
            .filter(|name| *name != "self" && !items.contains(*name) && !self.bound.contains(*name))
            .any(|name| self.mentions.get(name).is_some_and(|n| *n >= 2))
    }
}

/// Names a pattern binds.
fn pattern_names(pat: &syn::Pat, out: &mut HashSet<String>) {
    match pat {
        syn::Pat::Ident(i) => {
            out.insert(i.ident.to_string());
        }
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| pattern_names(&f.pat, out)),
        syn::Pat::Reference(r) => pattern_names(&r.pat, out),
        syn::Pat::Type(t) => pattern_names(&t.pat, out),
        syn::Pat::Paren(p) => pattern_names(&p.pat, out),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| pattern_names(p, out)),
        _ => {}
    }
}

/// What an awaited expression mentions.
#[derive(Default)]
struct Mentions {
    idents: HashSet<String>,
    mut_borrow: bool,
    ordered: bool,
    self_method: bool,
    /// Root names of method-call receivers.
    receivers: Vec<String>,
    /// Names of the methods and functions called.
    methods: Vec<String>,
}

impl<'ast> Visit<'ast> for Mentions {
    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.idents.insert(ident.to_string());
    }

    fn visit_expr_reference(&mut self, expr: &'ast syn::ExprReference) {
        if expr.mutability.is_some() {
            self.mut_borrow = true;
        }
        visit::visit_expr_reference(self, expr);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let name = call.method.to_string();
        self.methods.push(name.clone());
        // `request.send()` (HTTP) starts a request; `tx.send(item)` feeds a channel or sink.
        let http_send = name == "send" && call.args.is_empty();
        if !http_send && (ORDERED_METHODS.contains(&name.as_str()) || name.starts_with("write_")) {
            self.ordered = true;
        }
        match root_name(&call.receiver) {
            Some(root) if root == "self" => self.self_method = true,
            Some(root) => self.receivers.push(root),
            None => {}
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Some(last) = match &*call.func {
            Expr::Path(p) => p.path.segments.last(),
            _ => None,
        } {
            let name = last.ident.to_string();
            if PACING_FUNCTIONS.contains(&name.as_str()) {
                self.ordered = true;
            }
            // `replay_message(..)`, `show_startup_message(..)`: named like a method.
            self.methods.push(name);
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        collect_idents(mac.tokens.clone(), &mut self.idents);
    }
}

fn collect_idents(tokens: proc_macro2::TokenStream, out: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            proc_macro2::TokenTree::Group(group) => collect_idents(group.stream(), out),
            proc_macro2::TokenTree::Literal(literal) => {
                // `format!("…{page}…")`: inline format arguments name variables too.
                let text = literal.to_string();
                if text.starts_with('"') {
                    for part in text.split('{').skip(1) {
                        let name: String = part
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            out.insert(name);
                        }
                    }
                }
            }
            proc_macro2::TokenTree::Punct(_) => {}
        }
    }
}

fn short_snippet(walker: &Walker, span: proc_macro2::Span) -> Option<String> {
    let text = snippet(walker.cx.text, &Location::from_span(span));
    (!text.is_empty() && text.len() <= 60 && !text.contains('\n')).then_some(text)
}

/// What the enclosing function holds exclusively: calls on these run one at a time anyway.
pub(crate) struct Exclusive<'a> {
    /// `&mut self`: `self.method(..).await` cannot overlap.
    pub takes_mut_self: bool,
    /// Locals and parameters bound `mut` or typed `&mut` (a connection, a transaction).
    pub mut_names: &'a HashSet<String>,
    /// Locals and parameters holding a `&mut` (passed on without `&mut` at the call).
    pub mut_refs: &'a HashSet<String>,
    /// Locals and parameters that are one connection, transaction or single-writer store.
    pub serializing: &'a HashSet<String>,
    /// Whether a macro may leave the loop (`bail!`, a file's `macro_rules!` that returns).
    pub macro_returns: &'a dyn Fn(&syn::Macro) -> bool,
}

/// Words (of a snake_case name) of items that are applied in order: a log of changes,
/// events, operations or migrations replayed one after another.
const ORDERED_ITEM_WORDS: &[&str] = &[
    "change",
    "changes",
    "event",
    "events",
    "op",
    "ops",
    "operation",
    "operations",
    "migration",
    "migrations",
    "modification",
    "modifications",
    "mods",
    "patch",
    "patches",
    "delta",
    "deltas",
    "mutation",
    "mutations",
    "step",
    "steps",
    "command",
    "commands",
    "instruction",
    "instructions",
    "transition",
    "transitions",
];

/// Words of awaited method names that write into one ordered sequence (`add_to_queue`,
/// `append_entry`, `replay`): the order of the calls is the result.
const ORDERED_WRITE_WORDS: &[&str] = &[
    "queue", "enqueue", "append", "prepend", "push", "replay", "reorder",
    // output a user reads in order
    "show", "print", "echo", "display",
];

fn has_word(name: &str, words: &[&str]) -> bool {
    name.trim_start_matches('_')
        .split('_')
        .any(|word| words.contains(&word.to_ascii_lowercase().as_str()))
}

/// `for x in items.iter_mut()`, `for x in &mut items`: each item is borrowed exclusively,
/// usually for ordered shutdown or dispatch.
fn iterates_mut(expr: &Expr) -> bool {
    match expr {
        Expr::Reference(r) => r.mutability.is_some(),
        Expr::Paren(p) => iterates_mut(&p.expr),
        Expr::MethodCall(m) => {
            matches!(m.method.to_string().as_str(), "iter_mut" | "values_mut")
                || iterates_mut(&m.receiver)
        }
        _ => false,
    }
}

pub(crate) fn check(
    walker: &Walker,
    for_loop: &syn::ExprForLoop,
    exclusive: &Exclusive,
) -> Option<Diagnostic> {
    let source = walker
        .frames()
        .enclosing_loops()
        .first()
        .map_or_else(|| for_source(&for_loop.expr), |l| l.source);
    if !matches!(source, LoopSource::Collection | LoopSource::Range) {
        return None;
    }
    if iterates_mut(&for_loop.expr) {
        return None;
    }
    let mut items = HashSet::default();
    pattern_names(&for_loop.pat, &mut items);
    if items.is_empty() {
        return None;
    }
    // Applying a log of changes, events or operations: in order by nature.
    let iterable = root_name(&for_loop.expr);
    if items
        .iter()
        .chain(iterable.as_ref())
        .any(|name| has_word(name, ORDERED_ITEM_WORDS))
    {
        return None;
    }
    let mut body = BodyFacts::default();
    body.visit_block(&for_loop.body);
    if body.exits
        || body.macro_awaits
        || body.awaited.is_empty()
        || body.macros.iter().any(|m| (exclusive.macro_returns)(m))
        || body.carries_state(&items, exclusive.mut_names)
    {
        return None;
    }
    // A name from outside the loop (not rebound in each iteration).
    let shared = |name: &String| !items.contains(name) && !body.bound.contains(name);
    let mut per_item = None;
    for (awaited, await_span) in &body.awaited {
        // A ready-made future or handle (`h.await`, `self.rx.await`): nothing to start.
        if !matches!(awaited, Expr::Call(_) | Expr::MethodCall(_)) {
            return None;
        }
        let mut mentions = Mentions::default();
        mentions.visit_expr(awaited);
        if mentions.ordered
            || mentions.mut_borrow
            || mentions
                .idents
                .iter()
                .filter(|i| shared(i))
                .any(|i| exclusive.mut_refs.contains(i) || exclusive.serializing.contains(i))
            || mentions
                .methods
                .iter()
                .any(|m| has_word(m, ORDERED_WRITE_WORDS))
            || (mentions.self_method && exclusive.takes_mut_self)
            || mentions
                .receivers
                .iter()
                .any(|r| exclusive.mut_names.contains(r))
            || mentions.idents.iter().any(|i| body.assigned.contains(i))
        {
            return None;
        }
        if per_item.is_none() && mentions.idents.iter().any(|i| items.contains(i)) {
            per_item = Some((*awaited, *await_span));
        }
    }
    let (awaited, await_span) = per_item?;

    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        Location::from_span(for_loop.for_token.span),
        "independent `.await`s run one at a time in this loop: each item waits for the previous one"
            .into(),
    );
    diagnostic.primary_label = "one wait per item, in sequence".into();
    diagnostic.labels.push(Label {
        location: Location::from_span(await_span),
        message: "the next iteration starts only when this finishes".into(),
    });
    let iterable = short_snippet(walker, for_loop.expr.span());
    let pattern = short_snippet(walker, for_loop.pat.span());
    let call = short_snippet(walker, awaited.span());
    let concurrent = match (iterable, pattern, call) {
        (Some(iterable), Some(pattern), Some(call)) => {
            format!("futures::stream::iter({iterable}).map(|{pattern}| {call}).buffer_unordered(8)")
        }
        _ => "futures::stream::iter(items).map(|item| fetch(item)).buffer_unordered(8)".into(),
    };
    let (collect, join_all) = if body.has_try {
        (
            ".try_collect::<Vec<_>>().await?",
            "futures::future::try_join_all",
        )
    } else {
        (".collect::<Vec<_>>().await", "futures::future::join_all")
    };
    diagnostic.help = Some(format!(
        "run them concurrently, bounded: `{concurrent}{collect}` (`.buffered(8)` keeps the order); \
         `{join_all}` for a handful, or a `tokio::task::JoinSet` with a `Semaphore` for tasks"
    ));
    diagnostic.model = Some(Model::BoundedConcurrency);
    diagnostic.notes.push(Note {
        message: "the awaited calls do not depend on earlier iterations: N items take the sum of \
                  their latencies instead of about the longest one"
            .into(),
        file: None,
        location: None,
    });
    Some(diagnostic)
}

fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(super::expr_rule(expr_kind::FOR_LOOP, detect))
}

fn detect(walker: &Walker, expr: &Expr) -> Option<Diagnostic> {
    let Expr::ForLoop(for_loop) = expr else {
        return None;
    };
    let frames = walker.frames();
    if frames.in_test() || frames.in_rayon() || !walker.can_await_here() {
        return None;
    }
    let function = frames.function()?;
    let macro_returns = |mac: &syn::Macro| frames.macro_returns(mac);
    let exclusive = Exclusive {
        takes_mut_self: function.takes_mut_self,
        mut_names: &function.mut_names,
        mut_refs: &function.mut_refs,
        serializing: &function.serializing,
        macro_returns: &macro_returns,
    };
    check(walker, for_loop, &exclusive)
}
