//! Levels and suppressions, applied once per file after every phase: the findings of the
//! per-file walk and of the crate-level phase are judged together, so a suppression that
//! silences only a crate-level finding (a through-calls chain) counts as used.

use crate::diagnostic::{Diagnostic, Level};
use crate::levels::Levels;
use crate::rules;
use crate::semantic::walker::ItemExtent;
use crate::suppress::{self, SuppressionComment};

/// A file's suppressions: its comments, and its items' extents (which carry the
/// `cfg_attr(concurrency_lint, allow(..))` attributes and the span a comment above an item
/// covers).
#[derive(Default)]
pub(crate) struct Suppressions {
    pub(crate) comments: Vec<SuppressionComment>,
    pub(crate) extents: Vec<ItemExtent>,
}

impl Suppressions {
    /// Whether a file with these suppressions can have an `unused_suppression` finding.
    pub(crate) fn is_empty(&self) -> bool {
        self.comments.is_empty()
    }
}

/// One file's findings from every phase.
pub(crate) struct Findings<'a> {
    pub(crate) display: &'a str,
    /// From the per-file walk.
    pub(crate) file: Vec<Diagnostic>,
    /// From the crate-level phase.
    pub(crate) crate_level: Vec<Diagnostic>,
    pub(crate) suppressions: &'a Suppressions,
}

/// The findings to report for one file: each finding at its rule's level, without those
/// whose rule is off or that a suppression covers, plus (with
/// `--report-unused-suppressions`) the suppressions that cover no enabled finding; sorted.
pub(crate) fn judge(
    findings: Findings,
    levels: &Levels,
    report_unused_suppressions: bool,
) -> Vec<Diagnostic> {
    let Findings {
        display,
        file,
        crate_level,
        suppressions,
    } = findings;
    let unused =
        if report_unused_suppressions && levels.level(rules::UNUSED_SUPPRESSION) != Level::Allow {
            let enabled: Vec<Diagnostic> = file
                .iter()
                .chain(&crate_level)
                .filter(|d| levels.of(d) != Level::Allow)
                .cloned()
                .collect();
            unused_suppressions(display, &enabled, suppressions, levels)
        } else {
            Vec::new()
        };
    let index = suppress::SuppressionIndex::new(&suppressions.comments, &suppressions.extents);
    let mut diagnostics: Vec<Diagnostic> = file
        .into_iter()
        .filter_map(|d| admit(d, levels, &index))
        .collect();
    diagnostics.extend(unused);
    diagnostics.extend(
        crate_level
            .into_iter()
            .filter_map(|d| admit(d, levels, &index)),
    );
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics
}

/// A finding at its rule's level; None when the rule is off or a suppression covers it.
fn admit(
    mut d: Diagnostic,
    levels: &Levels,
    suppressions: &suppress::SuppressionIndex,
) -> Option<Diagnostic> {
    let level = levels.of(&d);
    if level == Level::Allow || (!rules::is_always_on(d.rule) && suppressions.suppresses(&d)) {
        return None;
    }
    d.level = level;
    Some(d)
}

/// An `unused_suppression` finding for each comment that covers none of `enabled`.
fn unused_suppressions(
    display: &str,
    enabled: &[Diagnostic],
    suppressions: &Suppressions,
    levels: &Levels,
) -> Vec<Diagnostic> {
    let exists = |name: &str| rules::find(name).is_some();
    suppress::unused(
        &suppressions.comments,
        enabled,
        &suppressions.extents,
        &exists,
    )
    .into_iter()
    .map(|(comment, message)| {
        let mut d = rules::unused_suppression(display, comment.location.clone(), message);
        d.level = levels.level(d.rule);
        d
    })
    .collect()
}
