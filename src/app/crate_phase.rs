//! The crate-level phase: rules that need every file of a crate (call chains, the
//! lock-order graph) run on the files' plain facts, after the per-file phase. Each
//! finding goes to the outcome of its file; levels and suppressions come later
//! (`verdict`), for the findings of both phases at once.
//!
//! In cargo mode the whole workspace is one program: each crate's `crate::` paths are
//! renamed to its name first (`program::workspace`), so calls into another member resolve
//! to that member's items. PATH mode and lone sources keep one program per package. Before
//! the rules run, the program's item index resolves what the walk left symbolic
//! (`program::items`).

use super::run::FileOutcome;
use crate::catalog::{Catalog, Runtime};
use crate::diagnostic::{Context, Diagnostic, Note};
use crate::program::contexts::{Contexts, CrateFiles, Placement};
use crate::program::{items, workspace};
use crate::rules;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;

const LIB_KINDS: &[&str] = &["lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"];

/// Which program a file belongs to, and the name its `crate::` paths take there (None:
/// kept as `crate`).
fn program_of(outcome: &FileOutcome) -> (String, Option<String>) {
    let target = &outcome.target;
    match &target.package {
        Some(package) if !package.local_crates.is_empty() => {
            let is_lib = target.kinds.iter().any(|k| LIB_KINDS.contains(&k.as_str()));
            let name = match (&package.lib_name, is_lib) {
                (Some(lib), true) => lib.clone(),
                _ => format!("crate@{}#{}", package.name, target.name),
            };
            ("workspace".into(), Some(name))
        }
        _ => (outcome.crate_key(), None),
    }
}

/// Run the crate-level rules over each program of `outcomes`. `runtime`: the run's
/// override, else each package's detected runtime (a workspace program runs its rules
/// once per runtime among its packages, each finding kept in the files of that runtime).
pub(crate) fn crate_phase(
    outcomes: &mut [FileOutcome],
    catalog: &Catalog,
    runtime: Option<Runtime>,
) {
    outcomes.par_iter_mut().for_each(|outcome| {
        if let Some(packed) = outcome.packed_facts.take() {
            outcome.facts = packed.unpack();
        }
    });
    let mut programs: BTreeMap<String, Vec<&mut FileOutcome>> = BTreeMap::new();
    for outcome in outcomes.iter_mut() {
        let (key, rename) = program_of(outcome);
        if let Some(name) = rename {
            let renames = outcome
                .target
                .package
                .as_ref()
                .map(|p| p.crate_renames.clone())
                .unwrap_or_default();
            workspace::rename_crate(&mut outcome.facts, &name, &renames);
        }
        programs.entry(key).or_default().push(outcome);
    }
    // Programs share no file: they run in parallel.
    programs
        .into_values()
        .collect::<Vec<_>>()
        .into_par_iter()
        .for_each(|members| program_phase(members, catalog, runtime));
    place_findings(outcomes);
}

/// The crate-level rules over one program: its item index resolves its files' facts,
/// then each finding goes to the file it names, among the files of the runtime it was
/// found for.
fn program_phase(mut members: Vec<&mut FileOutcome>, catalog: &Catalog, runtime: Option<Runtime>) {
    let runtime_of = |outcome: &FileOutcome| {
        runtime
            .or_else(|| outcome.target.package.as_ref().map(|p| p.runtime))
            .unwrap_or(Runtime::Tokio)
    };
    {
        let mut facts: Vec<&mut crate::program::FileFacts> =
            members.iter_mut().map(|o| &mut o.facts).collect();
        items::resolve_program(&mut facts, catalog);
    }
    let files: Vec<rules::CrateFile> = members
        .iter()
        .map(|o| rules::CrateFile {
            display: &o.display,
            facts: &o.facts,
        })
        .collect();
    let mut runtimes: Vec<Runtime> = members.iter().map(|o| runtime_of(o)).collect();
    runtimes.sort_by_key(|r| r.name());
    runtimes.dedup();
    let found: Vec<(Runtime, Vec<Diagnostic>)> = runtimes
        .into_iter()
        .map(|rt| {
            let program = rules::CrateProgram {
                files: &files,
                catalog,
                runtime: rt,
            };
            (rt, rules::crate_findings(&program))
        })
        .collect();
    drop(files);
    // The first member of each (file, runtime), as the findings name them.
    let mut owners: HashMap<(String, Runtime), usize> = HashMap::default();
    for (index, outcome) in members.iter().enumerate() {
        owners
            .entry((outcome.display.clone(), runtime_of(outcome)))
            .or_insert(index);
    }
    for (rt, found) in found {
        for d in found {
            if let Some(&index) = owners.get(&(d.file.clone(), rt)) {
                members[index].crate_findings.push(d);
            }
        }
    }
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
    let placements: Vec<Vec<Option<Placement>>> = outcomes
        .iter()
        .map(|outcome| {
            let findings = outcome.findings.iter().chain(&outcome.crate_findings);
            findings
                .map(|d| contexts.placement(&outcome.display, d.primary.byte_start))
                .collect()
        })
        .collect();
    drop(contexts);
    for (outcome, placements) in outcomes.iter_mut().zip(placements) {
        let findings = outcome.findings.iter_mut();
        for (d, placement) in findings.chain(&mut outcome.crate_findings).zip(placements) {
            if let Some(placement) = placement {
                place(d, placement);
            }
        }
    }
}

/// Give a finding its context and enclosing item, with a note that says where it runs.
pub(crate) fn place(d: &mut Diagnostic, placement: Placement) {
    d.context = Some(placement.context);
    d.item = placement.item;
    if !rules::runs_on_executor(d.rule) {
        return;
    }
    let short = |path: &str| crate::path_text::last_segment(path).to_string();
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
