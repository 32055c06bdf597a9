//! `unbounded_channel`: a channel with no capacity limit (no backpressure).

use super::{Group, RuleInfo};
use crate::catalog::structure::UnboundedChannel;
use crate::diagnostic::{Diagnostic, Level, Model, Note};
use crate::semantic::events::{expr_kind, Checker};
use crate::semantic::walker::FileContext;
use crate::semantic::walker::Walker;
use crate::source::Location;
use syn::Expr;

pub const INFO: RuleInfo = RuleInfo {
    name: "unbounded_channel",
    group: Group::Structure,
    default_level: Level::Allow,
    summary: "an unbounded channel (no backpressure)",
    doc: DOC,
    implemented: true,
    checker: Some(checker),
    crate_phase: None,
};

const DOC: &str = r#"# unbounded_channel

## What it does
Finds calls to unbounded channel constructors (`rules/channels.toml`):
`tokio::sync::mpsc::unbounded_channel`, `std::sync::mpsc::channel`,
`crossbeam_channel::unbounded`, `flume::unbounded`, `async_channel::unbounded`,
`futures::channel::mpsc::unbounded`, `async_std`/`smol` `channel::unbounded`, `kanal`.
Bounded constructors (`mpsc::channel(n)`, `sync_channel(n)`, `bounded(n)`) are fine. Off by
default (group `pedantic`): an unbounded channel is right when the producer is bounded by
construction (one message per request it already waits on, a shutdown signal). Test code is
not looked at.

## Why is this bad?
A queue without a limit never pushes back: when the consumer is slower than the producer,
the queue grows until memory runs out, and latency grows with it — the overload shows up
late and far from its cause.

## Example
```rust
let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
```

## Use instead
```rust
let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
tx.send(event).await?; // waits while the queue is full: the producer slows down
```

## Model
`message-passing` with backpressure: a bounded channel.
"#;

pub(crate) fn diagnostic(
    walker: &Walker,
    primary: Location,
    channel: &UnboundedChannel,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        INFO.name,
        walker.cx.file,
        primary,
        format!(
            "unbounded channel `{}`: no backpressure on the sender",
            channel.path
        ),
    );
    diagnostic.primary_label = "this queue can grow without limit".into();
    diagnostic.help = Some(format!(
        "use a bounded channel, `{}`: {}, so a fast producer slows down instead of growing the queue",
        channel.instead, channel.send
    ));
    diagnostic.model = Some(Model::MessagePassing);
    diagnostic.notes.push(Note {
        message: "when the receiver falls behind, an unbounded queue grows until memory runs out"
            .into(),
        file: None,
        location: None,
    });
    diagnostic
}

fn checker(cx: &FileContext) -> Option<Box<dyn Checker>> {
    (crate::semantic::mentions::mentions(cx.text, "channel")
        || crate::semantic::mentions::mentions(cx.text, "unbounded"))
    .then(|| super::expr_rule(expr_kind::CALL, detect))
}

/// A call of an unbounded channel constructor outside tests.
fn detect(walker: &Walker, expr: &Expr) -> Option<Diagnostic> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let catalog = &walker.cx.catalog.structure;
    let name = func.path.segments.last()?.ident.to_string();
    if !catalog.function_names.contains(&name) || walker.frames().in_test() {
        return None;
    }
    let channel = catalog.unbounded_channel(&walker.resolve_callee(func)?)?;
    Some(diagnostic(walker, Location::of_expr(&call.func), channel))
}
