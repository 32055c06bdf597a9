//! The crate-level phase: rules that need every file of a crate (call chains, the
//! lock-order graph) run on the files' plain facts, once the per-file phase is done with
//! every file of the program (a command-line run starts each program as soon as its last
//! file is linted: `run::lint_files`). Each finding goes to the outcome of its file;
//! levels and suppressions come later (`verdict`), for the findings of both phases at
//! once. Contexts need the whole run: they come last (`check_and_place`).
//!
//! In cargo mode the whole workspace is one program: each crate's `crate::` paths are
//! renamed to its name first (`program::workspace`), so calls into another member resolve
//! to that member's items. PATH mode and lone sources keep one program per package. Before
//! the rules run, the program's item index resolves what the walk left symbolic
//! (`program::items`).

use super::run::FileOutcome;
use crate::catalog::{Catalog, Runtime};
use crate::diagnostic::{Context, Diagnostic, Note};
use crate::output::CargoTarget;
use crate::program::contexts::{Contexts, CrateFiles, Placement};
use crate::program::{items, workspace};
use crate::rules;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

const LIB_KINDS: &[&str] = &["lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"];

/// Which program the files of `target` belong to (its key), and the name their `crate::`
/// paths take there (None: kept as `crate`).
pub(crate) fn program_of(target: &CargoTarget) -> (String, Option<String>) {
    match &target.package {
        Some(package) if !package.local_crates.is_empty() => {
            let is_lib = target.kinds.iter().any(|k| LIB_KINDS.contains(&k.as_str()));
            let name = match (&package.lib_name, is_lib) {
                (Some(lib), true) => lib.clone(),
                _ => format!("crate@{}#{}", package.name, target.name),
            };
            ("workspace".into(), Some(name))
        }
        _ => (target.crate_key(), None),
    }
}

/// Run the crate-level rules over each program of `outcomes`. `runtime`: the run's
/// override, else each package's detected runtime (a workspace program runs its rules
/// once per runtime among its packages, each finding kept in the files of that runtime).
/// Then each finding, of both phases, is placed in its context.
pub(crate) fn crate_phase(
    outcomes: &mut [FileOutcome],
    catalog: &Catalog,
    runtime: Option<Runtime>,
) {
    let mut programs: BTreeMap<String, Vec<&mut FileOutcome>> = BTreeMap::new();
    for outcome in outcomes.iter_mut() {
        let (key, _) = program_of(&outcome.target);
        programs.entry(key).or_default().push(outcome);
    }
    let keys: BTreeSet<String> = programs.keys().cloned().collect();
    // Programs share no file: each resolves its files' facts in parallel.
    let mut programs: Vec<Vec<&mut FileOutcome>> = programs.into_values().collect();
    programs
        .par_iter_mut()
        .for_each(|files| prepare_program(files, catalog));
    check_and_place(outcomes, &keys, catalog, runtime);
}

/// Make one program's facts ready for its rules (`files`: its member files, in display
/// order): unpacked, `crate::` renamed in a workspace program (`program::workspace`), and
/// what the walk left symbolic resolved by the program's item index (`program::items`).
pub(crate) fn prepare_program(files: &mut [&mut FileOutcome], catalog: &Catalog) {
    files.par_iter_mut().for_each(|outcome| {
        if let Some(packed) = outcome.packed_facts.take() {
            outcome.facts = packed.unpack(&outcome.display);
        }
        rename_in_program(&mut outcome.facts, &outcome.target);
    });
    let mut facts: Vec<&mut crate::program::FileFacts> =
        files.iter_mut().map(|outcome| &mut outcome.facts).collect();
    items::resolve_program(&mut facts, catalog);
}

/// A file's `crate::` paths as its program names them (a workspace program: the crate's
/// name, `program::workspace`); nothing for a program of one crate.
pub(crate) fn rename_in_program(facts: &mut crate::program::FileFacts, target: &CargoTarget) {
    if let (_, Some(name)) = program_of(target) {
        let renames = target
            .package
            .as_ref()
            .map(|p| p.crate_renames.clone())
            .unwrap_or_default();
        workspace::rename_crate(facts, &name, &renames);
    }
}

/// One file of a program as the crate-level phase reads it. A file that two crates share
/// (a module that a package's lib and bin both declare) is a member of each.
pub(crate) struct Member<'a> {
    pub display: &'a str,
    /// Its crate: `CargoTarget::crate_key`, or the language server's own key for a file
    /// linted on its own.
    pub crate_key: &'a str,
    pub target: &'a CargoTarget,
    pub facts: &'a crate::program::FileFacts,
}

impl<'a> Member<'a> {
    fn of(outcome: &'a FileOutcome, crate_key: &'a str) -> Member<'a> {
        Member {
            display: &outcome.display,
            crate_key,
            target: &outcome.target,
            facts: &outcome.facts,
        }
    }
}

/// Run the rules of a prepared program, and give each of its files the findings in it.
pub(crate) fn check_program(
    files: &mut [&mut FileOutcome],
    catalog: &Catalog,
    runtime: Option<Runtime>,
) {
    let keys: Vec<String> = files.iter().map(|o| o.target.crate_key()).collect();
    let members: Vec<Member> = files
        .iter()
        .zip(&keys)
        .map(|(outcome, key)| Member::of(outcome, key))
        .collect();
    let found = program_findings(&members, catalog, runtime);
    for (index, d) in found {
        files[index].crate_findings.push(d);
    }
}

/// The last step of the crate phase, once every program of `outcomes` is prepared: the
/// rules of the programs in `unchecked` (by key) run while the run's context graph is built
/// from every file's resolved facts; then each finding, of both phases, is placed in its
/// context.
pub(crate) fn check_and_place(
    outcomes: &mut [FileOutcome],
    unchecked: &BTreeSet<String>,
    catalog: &Catalog,
    runtime: Option<Runtime>,
) {
    // Each unchecked program's member files, by index in `outcomes`.
    let mut programs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, outcome) in outcomes.iter().enumerate() {
        let (key, _) = program_of(&outcome.target);
        if unchecked.contains(&key) {
            programs.entry(key).or_default().push(index);
        }
    }
    let programs: Vec<Vec<usize>> = programs.into_values().collect();
    // The rules read the resolved facts while the run's context graph is built from them.
    let shared: &[FileOutcome] = outcomes;
    let keys: Vec<String> = shared.iter().map(|o| o.target.crate_key()).collect();
    let (found, (contexts, crate_keys)) = rayon::join(
        || {
            programs
                .par_iter()
                .map(|files| {
                    let members: Vec<Member> = files
                        .iter()
                        .map(|&i| Member::of(&shared[i], &keys[i]))
                        .collect();
                    let found = program_findings(&members, catalog, runtime);
                    found.into_iter().map(|(i, d)| (files[i], d)).collect()
                })
                .collect::<Vec<Vec<_>>>()
        },
        || {
            let members = shared.iter().zip(&keys).map(|(o, key)| Member::of(o, key));
            let (crates, crate_keys) = crate_files(members);
            (Contexts::compute(&crates), crate_keys)
        },
    );
    // Each outcome's crate, as its index in `crate_files`' crates.
    let crate_index = |index: usize| crate_keys.iter().position(|k| *k == keys[index]);
    let mut crate_findings: Vec<Vec<Diagnostic>> = outcomes.iter().map(|_| Vec::new()).collect();
    for (index, d) in found.into_iter().flatten() {
        crate_findings[index].push(d);
    }
    let placements: Vec<Vec<Option<Placement>>> = outcomes
        .iter()
        .zip(&crate_findings)
        .enumerate()
        .map(|(index, (outcome, found))| {
            let krate = crate_index(index);
            let findings = outcome
                .findings
                .iter()
                .chain(&outcome.crate_findings)
                .chain(found);
            findings
                .map(|d| contexts.placement_in(&outcome.display, krate, d.primary.byte_start))
                .collect()
        })
        .collect();
    drop(contexts);
    for ((outcome, found), placements) in outcomes.iter_mut().zip(crate_findings).zip(placements) {
        outcome.crate_findings.extend(found);
        apply_placements(outcome, placements);
    }
}

/// The crate-level rules over one prepared program (`files`: its member files), each
/// finding with the index in `files` of the file it names, among the files of the runtime
/// it was found for.
pub(crate) fn program_findings(
    files: &[Member],
    catalog: &Catalog,
    runtime: Option<Runtime>,
) -> Vec<(usize, Diagnostic)> {
    let runtime_of = |member: &Member| {
        runtime
            .or_else(|| member.target.package.as_ref().map(|p| p.runtime))
            .unwrap_or(Runtime::Tokio)
    };
    let members: Vec<rules::CrateFile> = files
        .iter()
        .map(|member| rules::CrateFile {
            display: member.display,
            facts: member.facts,
        })
        .collect();
    let mut runtimes: Vec<Runtime> = files.iter().map(runtime_of).collect();
    runtimes.sort_by_key(|r| r.name());
    runtimes.dedup();
    // The members of each (file, runtime), as the findings name them: a file that two
    // crates of the program share (a package's lib and bin) has a copy in each, and each
    // copy gets the finding, to be placed in its own crate's contexts (`app::report` keeps
    // one of them).
    let mut owners: HashMap<(&str, Runtime), Vec<usize>> = HashMap::default();
    for (index, member) in files.iter().enumerate() {
        owners
            .entry((member.display, runtime_of(member)))
            .or_default()
            .push(index);
    }
    let mut found = Vec::new();
    for rt in runtimes {
        let program = rules::CrateProgram {
            files: &members,
            catalog,
            runtime: rt,
        };
        for d in rules::crate_findings(&program) {
            let Some(copies) = owners.get(&(d.file.as_str(), rt)) else {
                continue;
            };
            if let Some((&last, others)) = copies.split_last() {
                found.extend(others.iter().map(|&index| (index, d.clone())));
                found.push((last, d));
            }
        }
    }
    found
}

/// Every member, by crate, for the context graph; and the crates' keys, in the same
/// order (for `Contexts::placement_in`).
pub(crate) fn crate_files<'a>(
    members: impl IntoIterator<Item = Member<'a>>,
) -> (Vec<CrateFiles<'a>>, Vec<String>) {
    let mut crates: BTreeMap<&str, CrateFiles> = BTreeMap::new();
    for member in members {
        let target = member.target;
        crates
            .entry(member.crate_key)
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
            .push((member.display, member.facts));
    }
    let keys = crates.keys().map(|k| k.to_string()).collect();
    (crates.into_values().collect(), keys)
}

/// Give each finding of `outcome` (of both phases, in order) its placement.
fn apply_placements(outcome: &mut FileOutcome, placements: Vec<Option<Placement>>) {
    let findings = outcome.findings.iter_mut();
    for (d, placement) in findings.chain(&mut outcome.crate_findings).zip(placements) {
        if let Some(placement) = placement {
            place(d, placement);
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
        (Context::Handler, Some(via)) if via.callback => {
            format!(
                "runs in a callback registered at {}:{}",
                via.file, via.at.line
            )
        }
        (Context::Handler, Some(via)) if via.declared => format!(
            "runs in the handler `{}`, which a framework calls (declared at {}:{})",
            short(&via.function),
            via.file,
            via.at.line
        ),
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
