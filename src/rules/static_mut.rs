//! `static_mut`: a `static mut` item that is read or written.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Label, Level, Model, Note};
use crate::program::FileAnalysis;
use crate::semantic::events::{expr_kind, interest, Checker, Event};
use crate::semantic::walker::{FileContext, Walker};
use crate::source::Location;
use syn::spanned::Spanned;

pub const INFO: RuleInfo = RuleInfo {
    name: "static_mut",
    group: Group::SharedState,
    default_level: Level::Warn,
    summary: "a `static mut` that is read or written",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# static_mut

## What it does
Finds `static mut` items of a file that are read or written in it (also through
`addr_of!`/`&raw`), and points at each access.

## Why is this bad?
Every access to a `static mut` is `unsafe` because nothing stops two threads from
touching it at once: a data race, undefined behaviour. References to it are denied in
edition 2024 (`static_mut_refs`). The synchronization the code relies on is implicit
("only called from main", "only during init") and breaks silently when that changes.

## Example
```rust
static mut COUNTER: u64 = 0;

fn hit() {
    unsafe { COUNTER += 1 };
}
```

## Use instead
An atomic for a counter or flag, a `Mutex`/`RwLock` for a value, `OnceLock`/`LazyLock`
for something initialized once, `thread_local!` for per-thread state:
```rust
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn hit() {
    COUNTER.fetch_add(1, Ordering::Relaxed);
}
```

## Model
`sync-primitive`: the shared state carries its own synchronization.
"#;

const SHOWN_ACCESSES: usize = 5;

fn diagnostic(file: &str, name: &str, item: &Location, accesses: &[&Location]) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        file,
        item.clone(),
        format!("`static mut {name}` is shared mutable state without synchronization"),
    );
    diagnostic.primary_label = "declared here".into();
    for access in accesses.iter().take(SHOWN_ACCESSES) {
        diagnostic.labels.push(Label {
            location: (*access).clone(),
            message: "accessed here".into(),
        });
    }
    if accesses.len() > SHOWN_ACCESSES {
        diagnostic.notes.push(Note {
            message: format!("and {} more accesses", accesses.len() - SHOWN_ACCESSES),
            file: None,
            location: None,
        });
    }
    diagnostic.help = Some(
        "use an atomic (`AtomicU64`, `AtomicBool`), a `Mutex`/`RwLock`, `OnceLock`/`LazyLock`, or `thread_local!`"
            .into(),
    );
    diagnostic.model = Some(Model::SyncPrimitive);
    diagnostic.notes.push(Note {
        message: "any two threads reaching these accesses at once race: undefined behaviour".into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    if !crate::semantic::mentions::mentions(cx.text, "static mut ") {
        return None;
    }
    Some(Box::new(StaticMutChecker {
        file: cx.file.to_string(),
        statics: StaticMuts::scan(cx.text),
    }))
}

/// Detection: the file's `static mut` items and the paths that resolve to them; judged at
/// the end of the file (an access may come before its item).
struct StaticMutChecker {
    file: String,
    statics: StaticMuts,
}

impl Checker for StaticMutChecker {
    fn interests(&self) -> u16 {
        interest::EXPRESSIONS | interest::ITEMS
    }

    fn expression_kinds(&self) -> u32 {
        expr_kind::PATH
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::ExprEnter(syn::Expr::Path(path)) => self.statics.path(walker, path),
            Event::Item(syn::Item::Static(item)) => self.statics.item(walker, item),
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        let statics = &self.statics;
        for (index, name) in statics.names.iter().enumerate() {
            let Some((declared, full_path)) = &statics.declared[index] else {
                continue;
            };
            let accesses: Vec<&Location> = statics
                .accesses
                .iter()
                .filter(|(i, l, resolved)| *i == index && l != declared && resolved == full_path)
                .map(|(_, l, _)| l)
                .collect();
            if !accesses.is_empty() {
                out.diagnostics
                    .push(diagnostic(&self.file, name, declared, &accesses));
            }
        }
    }
}

/// `static mut NAME` items of the file and where they are used.
#[derive(Debug, Default)]
struct StaticMuts {
    /// Names found by a text scan (so path expressions can be matched without allocating).
    names: Vec<String>,
    /// The item's name and fully qualified path, by index of `names`, once its item was
    /// seen.
    declared: Vec<Option<(Location, String)>>,
    /// (index of `names`, location, the path it resolves to) of each use of the name: a
    /// read or write when it resolves to the declared static (not a local variable or a
    /// same-named item of another module).
    accesses: Vec<(usize, Location, String)>,
}

impl StaticMuts {
    fn scan(text: &str) -> StaticMuts {
        let mut names = Vec::new();
        for (at, _) in text.match_indices("static mut ") {
            let rest = &text[at + "static mut ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        let declared = vec![None; names.len()];
        StaticMuts {
            names,
            declared,
            accesses: Vec::new(),
        }
    }

    fn item(&mut self, walker: &Walker, item: &syn::ItemStatic) {
        if !matches!(item.mutability, syn::StaticMutability::Mut(_)) {
            return;
        }
        if let Some(index) = self.names.iter().position(|n| item.ident == n) {
            let full_path = format!("{}::{}", walker.module_path(), item.ident);
            self.declared[index] = Some((Location::from_span(item.ident.span()), full_path));
        }
    }

    fn path(&mut self, walker: &Walker, path: &syn::ExprPath) {
        let Some(last) = path.path.segments.last() else {
            return;
        };
        if path.path.segments.len() > 1
            && !path
                .path
                .segments
                .first()
                .is_some_and(|s| s.ident == "crate" || s.ident == "self" || s.ident == "super")
        {
            return;
        }
        if let Some(index) = self.names.iter().position(|n| last.ident == n) {
            let Some(resolved) = walker.resolve_callee(path) else {
                return; // a local variable of the same name
            };
            self.accesses
                .push((index, Location::from_span(path.path.span()), resolved));
        }
    }
}
