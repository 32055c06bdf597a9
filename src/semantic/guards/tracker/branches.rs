//! Guards across the branches of an `if`/`else` or a `match`: the walk takes the branches
//! one after the other, but each starts with the guards alive before the expression. A
//! guard the first branch drops (`if done { drop(g) } else { m.lock() }`) is alive again in
//! the next one, and, as dropped on some path, not after the expression.

use super::super::liveness::{Guard, GuardSet, Lifetime};
use super::super::lock_expr::addr;
use syn::Expr;

/// The open `if`/`match` expressions with more than one branch of one body (innermost
/// last).
#[derive(Default)]
pub(super) struct Branches(Vec<BranchPoint>);

struct BranchPoint {
    /// The `if` or `match`.
    at: usize,
    /// Its branches after the first (the `else` expression; the arm bodies after the first).
    later: Vec<usize>,
    /// The guards bound before it.
    before: Vec<Guard>,
    /// The acquisitions (`Guard::call`) of the guards made alive again in a branch.
    restored: Vec<usize>,
}

impl Branches {
    /// `expr` (at `here`) is entered: a later branch gets back the guards an earlier one
    /// dropped; an `if`/`match` with guards alive opens a branch point.
    pub(super) fn enter(&mut self, guards: &mut GuardSet, expr: &Expr, here: usize) {
        if let Some(point) = self.0.last_mut().filter(|p| p.later.contains(&here)) {
            for guard in &point.before {
                if !guards.guards.iter().any(|g| g.call == guard.call) {
                    let mut guard = guard.clone();
                    // what crossed an `.await` before was reported when it was dropped
                    guard.awaits.clear();
                    point.restored.push(guard.call);
                    guards.guards.push(guard);
                }
            }
        }
        let later: Option<Vec<usize>> = match expr {
            Expr::If(e) => e
                .else_branch
                .as_ref()
                .map(|(_, other)| vec![addr(&**other)]),
            Expr::Match(m) if m.arms.len() > 1 => {
                Some(m.arms[1..].iter().map(|arm| addr(&*arm.body)).collect())
            }
            _ => None,
        };
        if let Some(later) = later.filter(|_| !guards.is_empty()) {
            let before = guards
                .guards
                .iter()
                .filter(|g| matches!(g.lifetime, Lifetime::Bound { .. }))
                .cloned()
                .collect();
            self.0.push(BranchPoint {
                at: here,
                later,
                before,
                restored: Vec::new(),
            });
        }
    }

    /// The expression at `here` is left: a guard made alive again for a later branch is
    /// taken for dropped after it (as before), without a second release.
    pub(super) fn exit(&mut self, guards: &mut GuardSet, here: usize) {
        if self.0.last().is_some_and(|p| p.at == here) {
            if let Some(point) = self.0.pop() {
                guards.guards.retain(|g| !point.restored.contains(&g.call));
            }
        }
    }
}
