//! The crate-level phase: rules that need every file of a crate (call chains, the
//! lock-order graph) run on the files' plain facts, after the per-file phase. Each
//! finding goes to the outcome of its file; levels and suppressions come later
//! (`verdict`), for the findings of both phases at once.

use super::run::FileOutcome;
use crate::catalog::{Catalog, Runtime};
use crate::diagnostic::{Context, Diagnostic, Note};
use crate::program::contexts::{Contexts, CrateFiles, Placement};
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
    place_findings(outcomes);
}

/// Where each finding's code runs: its enclosing item and its context (a handler, a task,
/// `main`, …), computed over the entry points of every crate of the run; a note says so.
pub(crate) fn place_findings(outcomes: &mut [FileOutcome]) {
    let mut crates: BTreeMap<String, CrateFiles> = BTreeMap::new();
    for outcome in outcomes.iter() {
        let target = &outcome.target;
        crates
            .entry(outcome.crate_key())
            .or_insert_with(|| CrateFiles {
                name: target.name.replace('-', "_"),
                is_lib: target
                    .kinds
                    .iter()
                    .any(|k| k.contains("lib") || k == "proc-macro")
                    || target.kinds.is_empty(),
                files: Vec::new(),
            })
            .files
            .push((&outcome.display, &outcome.facts));
    }
    let crates: Vec<CrateFiles> = crates.into_values().collect();
    let contexts = Contexts::compute(&crates);
    drop(crates);
    for outcome in outcomes.iter_mut() {
        let display = outcome.display.clone();
        for d in outcome
            .findings
            .iter_mut()
            .chain(outcome.crate_findings.iter_mut())
        {
            if let Some(placement) = contexts.placement(&display, d.primary.byte_start) {
                place(d, placement);
            }
        }
    }
}

fn place(d: &mut Diagnostic, placement: Placement) {
    d.context = Some(placement.context);
    d.item = placement.item;
    if !rules::runs_on_executor(d.rule) {
        return;
    }
    let short = |path: &str| path.rsplit("::").next().unwrap_or(path).to_string();
    let message = match (placement.context, &placement.via) {
        (Context::Handler, Some(via)) if d.item.as_deref() == Some(via.function.as_str()) => {
            format!(
                "runs in a callback registered at {}:{}",
                via.file, via.at.line
            )
        }
        (Context::Handler, Some(via)) => format!(
            "runs in the handler `{}`, registered at {}:{}",
            short(&via.function),
            via.file,
            via.at.line
        ),
        (Context::Task, Some(via)) => {
            format!("runs in a task spawned at {}:{}", via.file, via.at.line)
        }
        (Context::Main, _) => {
            "runs only from the program's `main` (startup, or a command of a CLI): \
             once, in sequence"
                .to_string()
        }
        (Context::Library, _) => {
            "a public async API of this library: its callers, and how often they call it, are \
             unknown"
                .to_string()
        }
        _ => return,
    };
    d.notes.push(Note {
        message,
        file: None,
        location: None,
    });
}
