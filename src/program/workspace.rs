//! The workspace as one program (cargo mode): each crate's `crate::` paths are renamed to
//! the crate's name (a lib: its lib name, which its dependents write; any other target a
//! name of its own), so that calls into another member (`use other_member::f; f()`)
//! meet that member's functions in one call graph, lock graph and item index.

use super::FileFacts;

/// Rename the `crate` root of every path in a file's facts to `name`, and the root of each
/// path dependency its package renamed (`renames`: (the name written, the lib name)).
pub fn rename_crate(facts: &mut FileFacts, name: &str, renames: &[(String, String)]) {
    let mut rename = |path: &mut String| {
        let root = crate::path_text::first_segment(path);
        let to = match root {
            "crate" => name,
            _ => match renames.iter().find(|(from, _)| from == root) {
                Some((_, lib)) => lib.as_str(),
                None => return,
            },
        };
        *path = format!("{to}{}", &path[root.len()..]);
    };
    facts.definition_paths_mut(&mut rename);
    for function in &mut facts.functions {
        for edge in &mut function.calls {
            rename(&mut edge.callee);
        }
        for call in &mut function.deferred {
            call.receiver.paths_mut(&mut rename);
        }
    }
    for locks in &mut facts.locks {
        locks.tentative_mut(&mut |tentative| {
            if let Some(ty) = &mut tentative.if_lock {
                ty.paths_mut(&mut rename);
            }
        });
        for acquisition in &mut locks.acquisitions {
            rename(&mut acquisition.lock);
            for held in &mut acquisition.held {
                rename(&mut held.lock);
            }
        }
        for call in &mut locks.calls_under_guard {
            rename(&mut call.callee);
            for held in &mut call.held {
                rename(&mut held.lock);
            }
        }
    }
    facts.items.paths_mut(&mut rename);
    for conditional in &mut facts.if_returns_result {
        rename(&mut conditional.callee);
    }
    for conditional in &mut facts.if_cancel_unsafe {
        rename(&mut conditional.callee);
    }
    for conditional in &mut facts.if_lock {
        if let Some(ty) = &mut conditional.receiver.if_lock {
            ty.paths_mut(&mut rename);
        }
    }
    for (_, callee, _) in &mut facts.entries.external_calls {
        rename(callee);
    }
}
