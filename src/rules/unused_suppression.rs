//! `unused_suppression`: a suppression comment that suppresses nothing (reported only
//! with `--report-unused-suppressions`).

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Level};
use crate::source::Location;

pub const UNUSED_SUPPRESSION: &str = "unused_suppression";

pub const INFO: RuleInfo = RuleInfo {
    name: UNUSED_SUPPRESSION,
    group: Group::Suppression,
    default_level: Level::Warn,
    summary: "a `concurrency-lint: allow(..)` comment that suppresses nothing (with --report-unused-suppressions)",
    doc: r#"# unused_suppression

## What it does
With `--report-unused-suppressions`, reports `// concurrency-lint: allow(rule)` comments
that suppress no finding, and comments naming a rule that does not exist.

## Why is this bad?
A stale suppression hides the next real finding on that line, and a misspelled rule name
suppresses nothing while looking as if it did.

## Example
```rust
// concurrency-lint: allow(blocking_in_async) -- the call below was moved to spawn_blocking
let text = tokio::fs::read_to_string(p).await?;
```

## Use instead
Delete the comment, or fix the rule name.

## Model
Not applicable.
"#,
    implemented: true,
    checker: None,
    crate_phase: None,
};

pub fn unused_suppression(file: &str, location: Location, message: String) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(UNUSED_SUPPRESSION, file, location, message);
    diagnostic.primary_label = "suppresses nothing".into();
    diagnostic.help = Some("remove the comment, or name the rule it should allow".into());
    diagnostic
}
