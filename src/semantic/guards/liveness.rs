//! Which guards are alive, per body: the `GuardSet` of one function, closure or async block.
//!
//! A guard is either *bound* (moved into a `let` binding: alive to the end of that block,
//! unless dropped, moved or reassigned) or a *temporary* (alive to the end of its temporary
//! scope). Temporary scopes are statements, plus the expressions Rust drops temporaries at:
//! `if`/`while` conditions, match arm bodies and guards, the right operand of `&&`/`||`,
//! `while let` loops; and, in edition 2024, the `if let` scrutinee before `else` and a
//! block's tail expression (before 2024, the tail's temporaries live on in the enclosing
//! statement; that is modelled for plain `{ .. }` block expressions).

use crate::catalog::guards::LockMode;
use crate::source::Location;

/// How long a guard lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// A temporary of the temporary scope at this index of the scope stack.
    Temporary { scope: usize },
    /// Bound to a local of the block at this depth.
    Bound { block_depth: usize },
}

#[derive(Debug, Clone)]
pub struct Guard {
    /// The receiver key within the body (`self.accounts`, `m`), if it has one.
    pub key: Option<String>,
    /// Crate-wide identity (see `facts`).
    pub global: Option<String>,
    pub mode: LockMode,
    pub reentrant: bool,
    /// False for `try_lock` and friends (in a `match`, the failing arm holds nothing).
    pub blocks: bool,
    /// Maybe an async lock's future rather than a guard: never reported.
    pub uncertain: bool,
    /// Acquired in a `#[cfg(..)]`-gated statement (its alternatives are not both compiled).
    pub cfg_gated: bool,
    /// The lock method name.
    pub acquired: Location,
    /// The lock call (to find it again when a `let` binds it).
    pub call: usize,
    /// Names that hold it (empty for temporaries, or when shadowed).
    pub names: Vec<String>,
    pub lifetime: Lifetime,
    /// `.await`s reached while it was alive.
    pub awaits: Vec<Location>,
    /// An async lock's guard (`m.lock().await`): made to be held across `.await`s, but
    /// locking the same lock again in the same task never completes.
    pub is_async: bool,
    /// From an acquisition that returns an `Option` of the guard (`DashMap::get`): where
    /// the scrutinee is `None` nothing is held.
    pub optional: bool,
    /// Readers of this lock never wait for each other (`DashMap`'s shards).
    pub readers_share: bool,
    /// Released within the call that took it (`DashMap::insert`): seen by the rules as it
    /// is acquired, gone right after.
    pub transient: bool,
    /// The receiver's type, when only the crate phase can tell whether it is a lock (a
    /// field of a struct declared in another file): such a guard is tracked for the lock
    /// facts, and no rule of the walk sees it.
    pub if_lock: Option<crate::semantic::types::Ty>,
}

impl Guard {
    /// Only tentatively a guard (see `if_lock`).
    pub fn is_tentative(&self) -> bool {
        self.if_lock.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// The current statement of a block at this depth; `value_block`: a `{ .. }` block
    /// expression whose tail temporaries outlive it (before edition 2024).
    Statement { value_block: bool },
    /// A terminating expression (by address).
    Expression(usize),
}

/// The guards of one body.
#[derive(Debug, Default)]
pub struct GuardSet {
    pub guards: Vec<Guard>,
    scopes: Vec<ScopeKind>,
    pub block_depth: usize,
    /// Set when a tail expression's temporaries are to be handed to the enclosing scope.
    extend_tail: bool,
}

impl GuardSet {
    pub fn current_scope(&self) -> usize {
        self.scopes.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.guards.is_empty()
    }

    pub fn add(&mut self, guard: Guard) {
        self.guards.push(guard);
    }

    pub fn temporary(&self) -> Lifetime {
        Lifetime::Temporary {
            scope: self.current_scope(),
        }
    }

    pub fn enter_block(&mut self, value_block: bool) {
        self.block_depth += 1;
        self.scopes.push(ScopeKind::Statement { value_block });
    }

    /// A statement ended: its temporaries die (a tail expression's may live on).
    pub fn end_statement(&mut self, is_tail: bool, edition_2024: bool, dead: &mut Vec<Guard>) {
        if is_tail
            && !edition_2024
            && matches!(
                self.scopes.last(),
                Some(ScopeKind::Statement { value_block: true })
            )
        {
            self.extend_tail = true;
            return;
        }
        let scope = self.current_scope();
        self.kill_temporaries_from(scope, dead);
    }

    pub fn exit_block(&mut self, dead: &mut Vec<Guard>) {
        let scope = self.current_scope();
        if std::mem::take(&mut self.extend_tail) && scope > 0 {
            for guard in &mut self.guards {
                if let Lifetime::Temporary { scope: s } = &mut guard.lifetime {
                    if *s >= scope {
                        *s = scope - 1;
                    }
                }
            }
        } else {
            self.kill_temporaries_from(scope, dead);
        }
        self.scopes.pop();
        let depth = self.block_depth;
        self.kill_where(
            |g| matches!(g.lifetime, Lifetime::Bound { block_depth } if block_depth >= depth),
            dead,
        );
        self.block_depth = self.block_depth.saturating_sub(1);
    }

    pub fn enter_expression_scope(&mut self, expr: usize) {
        self.scopes.push(ScopeKind::Expression(expr));
    }

    /// Whether the innermost scope is the expression scope of `expr`.
    pub fn in_expression_scope(&self, expr: usize) -> bool {
        self.scopes.last() == Some(&ScopeKind::Expression(expr))
    }

    /// Kill the temporaries of the innermost (expression) scope, keeping the scope.
    pub fn clear_expression_scope(&mut self, dead: &mut Vec<Guard>) {
        let scope = self.current_scope();
        self.kill_temporaries_from(scope, dead);
    }

    pub fn exit_expression_scope(&mut self, dead: &mut Vec<Guard>) {
        self.clear_expression_scope(dead);
        self.scopes.pop();
    }

    fn kill_temporaries_from(&mut self, scope: usize, dead: &mut Vec<Guard>) {
        self.kill_where(
            |g| matches!(g.lifetime, Lifetime::Temporary { scope: s } if s >= scope),
            dead,
        );
    }

    /// Remove the guards `doomed` selects, in acquisition order, into `dead`.
    pub fn kill_where(&mut self, doomed: impl Fn(&Guard) -> bool, dead: &mut Vec<Guard>) {
        if self.guards.is_empty() {
            return;
        }
        let mut index = 0;
        while index < self.guards.len() {
            if doomed(&self.guards[index]) {
                dead.push(self.guards.remove(index));
            } else {
                index += 1;
            }
        }
    }

    /// The live guard bound to `name`, if any.
    pub fn named(&self, name: &syn::Ident) -> Option<usize> {
        self.guards
            .iter()
            .rposition(|g| g.names.iter().any(|n| name == n))
    }

    /// `let name = ..` shadows `name`: a guard held by it stays alive but unnamed, and a
    /// guard whose lock was reached through the old `name` (`name`, `name.field`) no
    /// longer matches a lock reached through the new one.
    pub fn shadow(&mut self, name: &str) {
        for guard in &mut self.guards {
            guard.names.retain(|n| n != name);
            let rooted_here = guard.key.as_deref().is_some_and(|key| {
                key.strip_prefix(name)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[', '(']))
            });
            if rooted_here {
                guard.key = None;
            }
        }
    }

    pub fn kill_all(&mut self, dead: &mut Vec<Guard>) {
        dead.append(&mut self.guards);
    }
}
