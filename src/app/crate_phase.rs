//! The crate-level phase: rules that need every file of a crate (call chains, the
//! lock-order graph) run on the files' plain facts, after the per-file phase. Each
//! finding goes to the outcome of its file; levels and suppressions come later
//! (`verdict`), for the findings of both phases at once.

use super::run::FileOutcome;
use crate::catalog::{Catalog, Runtime};
use crate::rules;
use std::collections::BTreeMap;

/// Run the crate-level rules over each crate of `outcomes` (files grouped by package and
/// target). `runtime`: the run's override, else each crate's detected runtime.
pub(crate) fn crate_phase(
    outcomes: &mut [FileOutcome],
    catalog: &Catalog,
    runtime: Option<Runtime>,
) {
    let mut crates: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, outcome) in outcomes.iter().enumerate() {
        crates.entry(outcome.crate_key()).or_default().push(index);
    }
    for members in crates.values() {
        let files: Vec<rules::CrateFile> = members
            .iter()
            .map(|&i| rules::CrateFile {
                display: &outcomes[i].display,
                facts: &outcomes[i].facts,
            })
            .collect();
        let runtime = runtime
            .or_else(|| {
                members
                    .first()
                    .and_then(|&i| outcomes[i].target.package.as_ref())
                    .map(|p| p.runtime)
            })
            .unwrap_or(Runtime::Tokio);
        let found = rules::crate_findings(&rules::CrateProgram {
            files: &files,
            catalog,
            runtime,
        });
        for d in found {
            if let Some(&index) = members.iter().find(|&&i| outcomes[i].display == d.file) {
                outcomes[index].crate_findings.push(d);
            }
        }
    }
}
