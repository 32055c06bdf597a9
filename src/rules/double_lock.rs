//! `double_lock`: the same lock acquired again while a guard from it is alive.

use super::{Group, RuleInfo};
use crate::catalog::guards::LockMode;
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::semantic::events::{Checker, Event};
use crate::semantic::guards::liveness::Guard;
use crate::semantic::types::Ty;
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;

pub const INFO: RuleInfo = RuleInfo {
    name: "double_lock",
    group: Group::Guards,
    default_level: Level::Deny,
    summary: "the same lock acquired again while its guard is alive (deadlock)",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: Some(|p| {
        let mut found = crate_findings(p.files);
        found.extend(super::if_lock_findings(p, INFO.name));
        found
    }),
};

const DOC: &str = r#"# double_lock

## What it does
Finds a lock acquired again — the same receiver expression (`self.state`, `STATE`,
`inner.queue`) — while a guard from an earlier acquisition in the same body is still
alive: a guard bound by `let` that has not been dropped, a statement temporary, or the
scrutinee temporary of a `match`/`if let`/`while let`
(`match m.lock().unwrap().get(k) { None => { m.lock().unwrap().insert(..) } .. }`).
A read lock taken again while a read guard lives counts too (use `read_recursive` when
that is intended); re-entrant locks (`parking_lot::ReentrantMutex`) and `try_lock` do not.
Liveness is `guard_across_await`'s model (drops, moves, scopes, edition-dependent
temporaries).

Through calls too: a crate function called while the guard is alive that locks the same
lock (`self.a.lock()` then `self.bump()`, which locks `self.a`), or that locks the place
handed to it (`match state.player.read() { .. render(state) .. }` with `fn render(state:
&State)` reading `state.player`; `push(&self.cache, ..)` with `fn push(cache: &Mutex<..>)`).
A `.read()`/`.write()` on a field of a struct declared in another file counts once the
crate phase has resolved the field's type to a synchronous lock (`pub player:
RwLock<Player>` in `state.rs`, read in `ui.rs` through `state: &SharedState`).

`DashMap` references are shard guards: `get` holds a shard's read lock and
`get_mut`/`entry` its write lock until the `Ref`/`RefMut`/`Entry` is dropped, and the
map's own `insert`/`remove`/`len`/`retain`/… lock shards for the call, so they wait for any
reference still alive (`if let Some(r) = map.get(k) { map.insert(k2, ..) }` deadlocks when
both keys hash to one shard). Where `get` returned `None` (a `None =>` arm, the `else` of
`if let Some(..)`) nothing is held, and two `get`s do not wait for each other.

## Why is this bad?
`std::sync::Mutex`, `parking_lot::Mutex` and `spin::Mutex` are not re-entrant: the second
`lock()` waits for the first guard, which the same thread holds. The thread deadlocks (or
`std` panics). With `RwLock`, a second `read()` deadlocks as soon as a writer queues up
between the two reads. This is the most common blocking bug in real Rust programs, and it
mostly comes from misjudging how long a guard — especially a temporary — lives.

## Example
```rust
fn add(cache: &Mutex<HashMap<String, u32>>, key: &str) {
    match cache.lock().unwrap().get(key) {   // the guard lives through the whole match
        Some(_) => {}
        None => {
            cache.lock().unwrap().insert(key.to_string(), 1); // deadlock
        }
    }
}
```

## Use instead
One guard for the whole operation:
```rust
fn add(cache: &Mutex<HashMap<String, u32>>, key: &str) {
    let mut cache = cache.lock().unwrap();
    cache.entry(key.to_string()).or_insert(1);
}
```

## Model
`lock-scope`: one critical section per operation, with one guard.
"#;

fn diagnostic(
    file: &str,
    key: &str,
    first: &Guard,
    second: &Location,
    mode: LockMode,
) -> Diagnostic {
    let read_again = mode == LockMode::Shared && first.mode == LockMode::Shared;
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        second.clone(),
        if read_again {
            format!("`{key}` is read-locked again while a read guard from it is alive")
        } else {
            format!("`{key}` is locked again while a guard from it is alive: deadlock")
        },
    );
    diagnostic.primary_label = "second acquisition".into();
    diagnostic.labels.push(Label {
        location: first.acquired.clone(),
        message: match first.lifetime {
            crate::semantic::guards::liveness::Lifetime::Temporary { .. } => {
                "first acquired here; this temporary guard is still alive".into()
            }
            _ => "first acquired here; its guard is still alive".into(),
        },
    });
    diagnostic.help = Some(if read_again {
        "reuse the first read guard, drop it before reading again, or use `read_recursive`".into()
    } else {
        "reuse the first guard, or end its scope (`drop(guard)`, a block) before locking again"
            .into()
    });
    diagnostic.model = Some(Model::LockScope);
    diagnostic.notes.push(Note {
        message: "these locks are not re-entrant: the thread waits for a guard it holds itself"
            .into(),
        file: None,
        location: None,
    });
    diagnostic
}

/// A call that acquires `lock` again while the caller's guard from it (acquired at
/// `held_at`) is alive: the message, the primary label and the label at the first lock.
fn relocking_call(
    file: &str,
    at: &Location,
    lock: &str,
    read_again: bool,
    held_at: &Location,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        at.clone(),
        if read_again {
            format!("this call read-locks `{lock}` again while a read guard from it is alive")
        } else {
            format!("this call locks `{lock}` again while a guard from it is alive: deadlock")
        },
    );
    diagnostic.primary_label = format!("acquires `{lock}` again");
    diagnostic.labels.push(Label {
        location: held_at.clone(),
        message: format!("`{lock}` locked here, guard still alive at the call"),
    });
    diagnostic
}

/// A call made while a guard of a place is alive, handing that place (or what holds it) to
/// a crate function that locks it through its parameter: `match state.player.read() { ..
/// render(state) .. }` with `fn render(state: &State) { state.player.read() }`.
fn through_parameters(files: &[super::CrateFile], found: &mut Vec<Diagnostic>) {
    use std::collections::HashMap;
    let callees: HashMap<&str, &crate::program::locks::FunctionLocks> = files
        .iter()
        .flat_map(|f| f.facts.locks.iter())
        .filter(|l| !l.param_acquisitions.is_empty())
        .map(|l| (l.function.as_str(), l))
        .collect();
    if callees.is_empty() {
        return;
    }
    for file in files {
        for function in &file.facts.locks {
            for call in &function.calls_under_guard {
                let Some(callee) = callees.get(call.callee.as_str()) else {
                    continue;
                };
                let shift = usize::from(callee.has_receiver && !call.method_call);
                let taken = callee.param_acquisitions.iter();
                let hit = taken.filter(|t| t.tentative.holds()).find_map(|taken| {
                    let arg = call.args.get(taken.param + shift)?.as_deref()?;
                    let place = format!("{arg}{}", taken.rest);
                    let held = call.held_places.iter().find(|h| {
                        h.place == place
                            && h.tentative.holds()
                            && !(h.mode == LockMode::Shared
                                && taken.mode == LockMode::Shared
                                && h.readers_share)
                    })?;
                    Some((held, taken, place))
                });
                let Some((held, taken, place)) = hit else {
                    continue;
                };
                let read_again = held.mode == LockMode::Shared && taken.mode == LockMode::Shared;
                let callee_name = super::through_calls::short(&callee.function);
                let mut diagnostic = relocking_call(
                    file.display,
                    &call.location,
                    &place,
                    read_again,
                    &held.acquired,
                );
                diagnostic.primary_label = format!("`{callee_name}` acquires `{place}` again");
                diagnostic.notes.push(Note {
                    message: format!("`{callee_name}` locks it through its parameter"),
                    file: Some(callee.file.to_string()),
                    location: Some(taken.location.clone()),
                });
                diagnostic.help = Some(format!(
                    "drop the guard before the call, or pass the locked data (`&*guard`) to `{callee_name}` instead of `{place}`'s owner"
                ));
                diagnostic.model = Some(Model::LockScope);
                found.push(diagnostic);
            }
        }
    }
}

/// A call made while a guard of `L` is alive into a crate function that (transitively)
/// acquires `L` again: the deadlock happens inside the callee, reported at the call.
pub(crate) fn crate_findings(files: &[super::CrateFile]) -> Vec<Diagnostic> {
    use crate::program::lockgraph::ReachableLocks;
    if files.iter().all(|f| f.facts.locks.is_empty()) {
        return Vec::new();
    }
    let reachable = ReachableLocks::build(
        files.iter().flat_map(|f| f.facts.locks.iter()),
        files.iter().flat_map(|f| f.facts.functions.iter()),
    );
    let mut found = Vec::new();
    for file in files {
        for function in &file.facts.locks {
            for call in &function.calls_under_guard {
                for held in &call.held {
                    if held.mode.is_refcell() || !held.tentative.holds() {
                        continue;
                    }
                    let Some((lock, reach)) = reachable
                        .locks_of(&call.callee)
                        .find(|(lock, _)| *lock == held.lock)
                    else {
                        continue;
                    };
                    let name = super::lock_order_inversion::short(lock);
                    let read_again =
                        held.mode == LockMode::Shared && reach.mode == LockMode::Shared;
                    if read_again && held.readers_share {
                        continue;
                    }
                    let mut diagnostic = relocking_call(
                        file.display,
                        &call.location,
                        name,
                        read_again,
                        &held.acquired,
                    );
                    let chain = reachable.chain(&call.callee, lock);
                    for (step, (callee, callee_file, location)) in chain.iter().enumerate() {
                        let message = match chain.get(step + 1) {
                            Some((next, _, _)) => format!(
                                "`{}` calls `{}`",
                                super::through_calls::short(callee),
                                super::through_calls::short(next)
                            ),
                            None => {
                                format!("`{}` locks `{name}`", super::through_calls::short(callee))
                            }
                        };
                        diagnostic.notes.push(Note {
                            message,
                            file: Some(callee_file.clone()),
                            location: Some(location.clone()),
                        });
                    }
                    diagnostic.help = Some(format!(
                        "drop the guard before the call, or pass the locked data (`&mut *guard`) to a helper that does not lock `{name}` itself"
                    ));
                    diagnostic.model = Some(Model::LockScope);
                    found.push(diagnostic);
                }
            }
        }
    }
    through_parameters(files, &mut found);
    found
}

fn checker(_: &FileContext) -> Option<Box<dyn Checker>> {
    Some(super::guard_rule(detect))
}

/// A blocking, non-re-entrant acquisition while a guard of the same receiver is alive.
/// When either is only tentatively a guard, the finding waits for the crate phase to
/// confirm that the receiver's type is a lock.
fn detect(walker: &Walker, event: &Event) -> Option<(Diagnostic, Option<Ty>)> {
    let Event::GuardAcquired(second) = event else {
        return None;
    };
    if !second.blocks || second.reentrant || second.mode.is_refcell() || second.uncertain {
        return None;
    }
    let key = second.key.as_ref()?;
    let alive = &walker.guards()?.current()?.guards.guards;
    // A transient acquisition (`DashMap::insert`) is gone from the guards already.
    let earlier = if second.transient {
        &alive[..]
    } else {
        &alive[..alive.len().saturating_sub(1)]
    };
    let first = earlier.iter().find(|g| {
        let readers_pass = g.mode == LockMode::Shared
            && second.mode == LockMode::Shared
            && g.readers_share
            && second.readers_share;
        g.key.as_ref() == Some(key)
            && !readers_pass
            && !g.reentrant
            && g.blocks
            && !g.uncertain
            && !g.mode.is_refcell()
            && (!g.cfg_gated || !second.cfg_gated)
    })?;
    let if_lock = second.if_lock.clone().or_else(|| first.if_lock.clone());
    let found = diagnostic(walker.cx.file, key, first, &second.acquired, second.mode);
    Some((found, if_lock))
}
