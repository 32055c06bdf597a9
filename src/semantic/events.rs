//! The walk's extension point. A `Checker` is a rule family's state machine fed by the one
//! walk: it sees every node as an event, with the walker's semantic state (scopes,
//! bindings and their types, async context) available through `&Walker`, and hands its
//! findings and crate-level facts over at the end of the file.

use super::guards::liveness::Guard;
use super::walker::{CallSite, Walker};
use crate::catalog::BlockingApi;
use crate::program::FileAnalysis;
use crate::source::Location;

/// A function body about to be walked.
pub struct FunctionInfo<'ast> {
    /// Fully qualified path: `crate::net::serve`, `crate::db::Store::save`.
    pub path: String,
    pub sig: &'ast syn::Signature,
    pub block: &'ast syn::Block,
    /// `async fn`: its header (`async fn name`), for secondary labels.
    pub async_header: Option<Location>,
    /// The `impl` block's self type, fully qualified, if any.
    pub self_type: Option<String>,
    /// The trait of the `impl` block, as written (its last segment: `Service`), if any.
    pub impl_trait: Option<String>,
    /// The `impl` block's trait is the workspace's own (`crate::…` or a member crate's):
    /// the workspace's code calls its methods, not a framework.
    pub impl_trait_is_local: bool,
    pub attrs: &'ast [syn::Attribute],
    /// `pub` (any `pub(..)` too), or a method of a trait impl.
    pub is_pub: bool,
}

/// What the walk reports to checkers, in source order. `*Enter` comes before the node's
/// children are walked, `*Exit` after.
pub enum Event<'e, 'ast> {
    /// A `fn` body (free fn, method, trait default, nested fn item). Parameters are bound.
    FnEnter(&'e FunctionInfo<'ast>),
    FnExit(&'e FunctionInfo<'ast>),
    BlockEnter(&'ast syn::Block),
    BlockExit(&'ast syn::Block),
    /// A statement has been walked (temporaries of an expression statement die here).
    StmtExit(&'ast syn::Stmt),
    /// A `let` whose initializer has been walked and whose pattern is now bound.
    LocalBound(&'ast syn::Local),
    ExprEnter(&'ast syn::Expr),
    ExprExit(&'ast syn::Expr),
    /// A call `f(..)`, before its arguments are walked: the callee resolved (None for a
    /// local variable or a non-path callee), whether its result is `.await`ed directly,
    /// and the blocking API it is, if the catalog knows it.
    Call {
        call: &'ast syn::ExprCall,
        callee: Option<&'e str>,
        awaited: bool,
        blocking: Option<&'e BlockingApi>,
    },
    /// A method call `x.m(..)`, before its receiver and arguments are walked: the
    /// receiver's type where syntax shows it, awaited, and the blocking API it is, if any.
    MethodCall {
        call: &'ast syn::ExprMethodCall,
        receiver_type: Option<&'e str>,
        /// The receiver's type, possibly symbolic (a crate function's result, resolved in
        /// the crate phase).
        receiver_ty: Option<&'e crate::semantic::types::Ty>,
        awaited: bool,
        blocking: Option<&'e BlockingApi>,
    },
    /// A catalog blocking function named (not called) as a callback in async context
    /// (`iter.map(fs::read_to_string)`): it runs where the closure would.
    FunctionReference {
        site: &'e CallSite,
        api: &'e BlockingApi,
    },
    /// A lock guard was acquired (it is the last of the current body's guards; the others
    /// were alive before it).
    GuardAcquired(&'e Guard),
    /// A guard died (end of scope, `drop`, a move, reassignment), with the `.await`s it
    /// crossed.
    GuardReleased(&'e Guard),
    /// A body (function, closure, async block) ended; whether it used atomic
    /// read-modify-write operations.
    BodyClosed {
        body: usize,
        uses_rmw: bool,
    },
    /// An item anywhere in the file (also items nested in bodies and inline modules).
    Item(&'ast syn::Item),
    /// A `select!` whose arms parsed, before they are walked: (future, handler) pairs
    /// (`else` has a `()` future).
    Select {
        mac: &'e syn::Macro,
        arms: &'e [(syn::Expr, syn::Expr)],
    },
}

/// Which events a checker wants (bits of `Event::kind`); the walk skips the others.
pub mod interest {
    pub const FUNCTIONS: u16 = 1;
    pub const BLOCKS: u16 = 1 << 1;
    pub const STATEMENTS: u16 = 1 << 2;
    pub const LOCALS: u16 = 1 << 3;
    /// Expressions as they are entered (`ExprEnter`).
    pub const EXPRESSIONS: u16 = 1 << 4;
    pub const CALLS: u16 = 1 << 5;
    pub const ITEMS: u16 = 1 << 6;
    /// Guards acquired and released, bodies closed (files that mention locks or atomics).
    pub const GUARDS: u16 = 1 << 7;
    /// `select!` macros with their arms.
    pub const SELECTS: u16 = 1 << 8;
    /// Expressions as they are left (`ExprExit`): few checkers need them.
    pub const EXPRESSION_EXITS: u16 = 1 << 9;
    pub const ALL: u16 = u16::MAX;
}

/// Kinds of expression, as bits, for `Checker::expression_kinds`.
pub mod expr_kind {
    use syn::Expr;

    pub const CALL: u32 = 1;
    pub const METHOD_CALL: u32 = 1 << 1;
    pub const CLOSURE: u32 = 1 << 2;
    pub const ASYNC: u32 = 1 << 3;
    pub const AWAIT: u32 = 1 << 4;
    pub const LOOP: u32 = 1 << 5;
    pub const WHILE: u32 = 1 << 6;
    pub const FOR_LOOP: u32 = 1 << 7;
    pub const IF: u32 = 1 << 8;
    pub const ASSIGN: u32 = 1 << 9;
    pub const TRY: u32 = 1 << 10;
    pub const MATCH: u32 = 1 << 11;
    pub const PATH: u32 = 1 << 12;
    /// Every other expression.
    pub const OTHER: u32 = 1 << 13;
    pub const CALLS: u32 = CALL | METHOD_CALL;
    pub const LOOPS: u32 = LOOP | WHILE | FOR_LOOP;
    pub const ALL: u32 = u32::MAX;

    /// The kind of `expr`.
    pub fn of(expr: &Expr) -> u32 {
        match expr {
            Expr::Call(_) => CALL,
            Expr::MethodCall(_) => METHOD_CALL,
            Expr::Closure(_) => CLOSURE,
            Expr::Async(_) => ASYNC,
            Expr::Await(_) => AWAIT,
            Expr::Loop(_) => LOOP,
            Expr::While(_) => WHILE,
            Expr::ForLoop(_) => FOR_LOOP,
            Expr::If(_) => IF,
            Expr::Assign(_) => ASSIGN,
            Expr::Try(_) => TRY,
            Expr::Match(_) => MATCH,
            Expr::Path(_) => PATH,
            _ => OTHER,
        }
    }
}

impl Event<'_, '_> {
    /// The `interest` bit of this event.
    pub fn kind(&self) -> u16 {
        match self {
            Event::FnEnter(_) | Event::FnExit(_) => interest::FUNCTIONS,
            Event::BlockEnter(_) | Event::BlockExit(_) => interest::BLOCKS,
            Event::StmtExit(_) => interest::STATEMENTS,
            Event::LocalBound(_) => interest::LOCALS,
            Event::ExprEnter(_) => interest::EXPRESSIONS,
            Event::ExprExit(_) => interest::EXPRESSION_EXITS,
            Event::Call { .. } | Event::MethodCall { .. } | Event::FunctionReference { .. } => {
                interest::CALLS
            }
            Event::Item(_) => interest::ITEMS,
            Event::Select { .. } => interest::SELECTS,
            Event::GuardAcquired(_) | Event::GuardReleased(_) | Event::BodyClosed { .. } => {
                interest::GUARDS
            }
        }
    }
}

/// A call of a blocking-catalog API that runs on the executor: in async context and not
/// `.await`ed directly (a named callback counts too). The site and the API.
pub struct BlockingCall<'e> {
    pub site: std::borrow::Cow<'e, CallSite>,
    pub api: &'e BlockingApi,
}

impl<'e> Event<'e, '_> {
    pub fn blocking_call(&self, walker: &Walker) -> Option<BlockingCall<'e>> {
        use std::borrow::Cow;
        match *self {
            Event::Call {
                call,
                awaited: false,
                blocking: Some(api),
                ..
            } if walker.in_async() => Some(BlockingCall {
                site: Cow::Owned(walker.call_site_for_call(call)),
                api,
            }),
            Event::MethodCall {
                call,
                awaited: false,
                blocking: Some(api),
                ..
            } if walker.in_async() => Some(BlockingCall {
                site: Cow::Owned(walker.call_site_for_method(call)),
                api,
            }),
            Event::FunctionReference { site, api } => Some(BlockingCall {
                site: Cow::Borrowed(site),
                api,
            }),
            _ => None,
        }
    }
}

pub trait Checker {
    /// The events this checker wants (`interest::*` bits); all by default.
    fn interests(&self) -> u16 {
        interest::ALL
    }

    /// The expressions whose `ExprEnter` and `ExprExit` it wants (`expr_kind::*` bits);
    /// all by default. The walk sends no event for an expression that no checker, no
    /// frame and no guard tracking looks at (most are paths, literals and operators).
    fn expression_kinds(&self) -> u32 {
        expr_kind::ALL
    }

    fn on(&mut self, walker: &Walker, event: &Event);
    /// Hand findings and facts over; called once after the file's walk.
    fn finish(self: Box<Self>, out: &mut FileAnalysis);
}
