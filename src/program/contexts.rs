//! Where the code runs (SPEC §2): the entry points of every crate of the run, propagated
//! over the call graph of the whole run, give each function the set of contexts it is
//! reached from — a request handler, a spawned task, the program's `main`, a test. Paths
//! are made run-wide by naming each crate (`crate::api::login` in crate `app` is
//! `app::api::login`), so a binary's `main` reaches the handlers of its library.

use super::entries::{EntryFacts, EntryKind};
use super::FileFacts;
use crate::diagnostic::Context;
use crate::source::Location;
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;

/// One crate of the run, as the context computation sees it.
pub struct CrateFiles<'a> {
    /// The crate's name as other crates write it (`my_lib`).
    pub name: String,
    /// A library target: its `pub` async fns are an API with unknown callers.
    pub is_lib: bool,
    /// (display path, facts)
    pub files: Vec<(&'a str, &'a FileFacts)>,
}

/// What reaches a function: the entry kinds, and the first handler / task entry (its index
/// in `Contexts::entries`, for the note that says where the code runs).
#[derive(Debug, Default, Clone, Copy)]
struct Reach {
    main: bool,
    /// Reached from `main` through a call in a loop that repeats until the program stops
    /// (`EntryFacts::repeating`): not code that runs once.
    main_repeats: bool,
    test: bool,
    handler: Option<usize>,
    task: Option<usize>,
}

/// An entry point, for messages.
#[derive(Debug, Clone)]
pub struct Via {
    /// The entry function's path.
    pub function: String,
    pub file: String,
    pub at: Location,
    /// `at` declares the entry function (see `Entry::declared`).
    pub declared: bool,
    /// The code is a closure or async block handed to the call at `at` (a callback), not
    /// a named function.
    pub callback: bool,
}

/// A finding's context, with the entry it comes from.
#[derive(Debug, Clone)]
pub struct Placement {
    pub context: Context,
    pub item: Option<String>,
    pub via: Option<Via>,
}

/// The contexts of every function of the run.
pub struct Contexts<'a> {
    names: CrateNames,
    /// Run-wide function path → its index in `reach`.
    ids: HashMap<RunPath<'a>, usize>,
    reach: Vec<Reach>,
    /// The entry points.
    entries: Vec<EntryAt<'a>>,
    /// By file display path, each copy of the file: the index in `compute`'s `crates` of
    /// the crate it is a file of (a module file that two targets declare, such as a
    /// package's lib and bin, is a file of each), its crate id, is_lib, and its entry facts.
    files: HashMap<&'a str, Vec<FileCopy<'a>>>,
}

/// One crate's copy of a file, for `Contexts::placement_in`.
struct FileCopy<'a> {
    /// The crate's index in the crates the contexts were computed from.
    index: usize,
    krate: u32,
    is_lib: bool,
    entries: &'a EntryFacts,
}

/// A function's run-wide path, as the facts' own text: `crate::x` in crate `app` is
/// (`app`, `x`), and so is `app::x` written in another crate of the run. The crate is an
/// index in `CrateNames` (`NO_CRATE`: a path of no crate of the run, kept whole).
type RunPath<'a> = (u32, &'a str);

const NO_CRATE: u32 = u32::MAX;

/// The names of the run's crates, as other crates write them (`my_lib`).
#[derive(Default)]
struct CrateNames {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl CrateNames {
    fn add(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    /// `path` as written in crate `krate`, run-wide.
    fn run_path<'p>(&self, krate: u32, path: &'p str) -> RunPath<'p> {
        if path == "crate" {
            return (krate, "");
        }
        if let Some(rest) = path.strip_prefix("crate::") {
            return (krate, rest);
        }
        let first = crate::path_text::first_segment(path);
        match self.ids.get(first) {
            Some(&id) => (id, path.get(first.len() + 2..).unwrap_or("")),
            None => (NO_CRATE, path),
        }
    }

    /// A run-wide path as text (`app::api::login`).
    fn text(&self, (krate, rest): RunPath) -> String {
        match self.names.get(krate as usize) {
            Some(name) if rest.is_empty() => name.clone(),
            Some(name) => crate::path_text::join(name, rest),
            None => rest.to_string(),
        }
    }
}

/// An entry point of the run, as its file's facts give it.
struct EntryAt<'a> {
    function: RunPath<'a>,
    kind: EntryKind,
    at: &'a Location,
    declared: bool,
    /// The display path of its file.
    file: &'a str,
}

/// The run's call graph, over function indices.
struct RunGraph<'a> {
    ids: HashMap<RunPath<'a>, usize>,
    /// Each function's callees, and whether the call sits in a loop that repeats until the
    /// program stops.
    callees: Vec<Vec<(usize, bool)>>,
}

impl<'a> RunGraph<'a> {
    /// The index of a run-wide path, added if new.
    fn id(&mut self, path: RunPath<'a>) -> usize {
        let next = self.callees.len();
        let id = *self.ids.entry(path).or_insert(next);
        if id == next {
            self.callees.push(Vec::new());
        }
        id
    }
}

impl<'a> Contexts<'a> {
    pub fn compute(crates: &[CrateFiles<'a>]) -> Contexts<'a> {
        // Sized for the callers up front: a table grown by doubling lands on fresh memory
        // at every step, which the kernel must zero.
        let functions = crates
            .iter()
            .flat_map(|krate| &krate.files)
            .map(|(_, facts)| facts.functions.len())
            .sum();
        let mut graph = RunGraph {
            ids: HashMap::with_capacity_and_hasher(functions, Default::default()),
            callees: Vec::with_capacity(functions),
        };
        // Every crate is named before any path is read: a call into a crate read later
        // must find it.
        let mut names = CrateNames::default();
        let crate_ids: Vec<u32> = crates.iter().map(|krate| names.add(&krate.name)).collect();
        let mut entries: Vec<EntryAt> = Vec::new();
        let mut files = HashMap::default();
        for (index, (krate, &crate_id)) in crates.iter().zip(&crate_ids).enumerate() {
            for &(display, facts) in &krate.files {
                let run_path = |path| names.run_path(crate_id, path);
                for function in &facts.functions {
                    let mut caller = None;
                    for edge in function.calls.iter().chain(&function.dispatched) {
                        // A call inside a spawned future starts a task.
                        if let Some(at) = facts.entries.task_at(edge.location.byte_start) {
                            entries.push(EntryAt {
                                function: run_path(&edge.callee),
                                kind: EntryKind::Task,
                                at,
                                declared: false,
                                file: display,
                            });
                        } else {
                            let caller =
                                *caller.get_or_insert_with(|| graph.id(run_path(&function.path)));
                            let callee = graph.id(run_path(&edge.callee));
                            let repeats = facts.entries.repeats_at(edge.location.byte_start);
                            graph.callees[caller].push((callee, repeats));
                        }
                    }
                }
                for (caller, callee, location) in &facts.entries.external_calls {
                    if let Some(at) = facts.entries.task_at(location.byte_start) {
                        entries.push(EntryAt {
                            function: run_path(callee),
                            kind: EntryKind::Task,
                            at,
                            declared: false,
                            file: display,
                        });
                        continue;
                    }
                    let caller = graph.id(run_path(caller));
                    let callee = graph.id(run_path(callee));
                    let repeats = facts.entries.repeats_at(location.byte_start);
                    graph.callees[caller].push((callee, repeats));
                }
                entries.extend(facts.entries.entries.iter().map(|entry| EntryAt {
                    function: run_path(&entry.function),
                    kind: entry.kind,
                    at: &entry.at,
                    declared: entry.declared,
                    file: display,
                }));
                files
                    .entry(display)
                    .or_insert_with(Vec::new)
                    .push(FileCopy {
                        index,
                        krate: crate_id,
                        is_lib: krate.is_lib,
                        entries: &facts.entries,
                    });
            }
        }
        let starts: Vec<usize> = entries
            .iter()
            .map(|entry| graph.id(entry.function))
            .collect();
        let mut reach = vec![Reach::default(); graph.callees.len()];
        for (index, (entry, start)) in entries.iter().zip(starts).enumerate() {
            // (function, reached through a repeating loop): only `main` tells them apart.
            let mut queue = VecDeque::from([(start, false)]);
            while let Some((function, repeats)) = queue.pop_front() {
                let r = &mut reach[function];
                let new = match entry.kind {
                    EntryKind::Main if repeats => {
                        r.main = true;
                        !std::mem::replace(&mut r.main_repeats, true)
                    }
                    EntryKind::Main => !std::mem::replace(&mut r.main, true),
                    EntryKind::Test => !std::mem::replace(&mut r.test, true),
                    EntryKind::Handler => r.handler.is_none() && r.handler.replace(index).is_none(),
                    EntryKind::Task => r.task.is_none() && r.task.replace(index).is_none(),
                };
                if new {
                    let main = entry.kind == EntryKind::Main;
                    queue.extend(
                        graph.callees[function]
                            .iter()
                            .map(|&(callee, in_loop)| (callee, repeats || (main && in_loop))),
                    );
                }
            }
        }
        Contexts {
            names,
            ids: graph.ids,
            reach,
            entries,
            files,
        }
    }

    /// The entry at `index` of `entries`, for messages.
    fn via(&self, index: usize) -> Via {
        let entry = &self.entries[index];
        Via {
            function: self.names.text(entry.function),
            file: entry.file.to_string(),
            at: entry.at.clone(),
            declared: entry.declared,
            callback: false,
        }
    }

    /// Where the code at `offset` of `file` runs (in the first crate that has the file).
    pub fn placement(&self, file: &str, offset: usize) -> Option<Placement> {
        self.placement_in(file, None, offset)
    }

    /// Where the code at `offset` of `file` runs, in the copy of the file that is a file of
    /// crate `crate_index` (its index in `compute`'s `crates`; the first copy if None or
    /// if that crate does not have the file).
    pub fn placement_in(
        &self,
        file: &str,
        crate_index: Option<usize>,
        offset: usize,
    ) -> Option<Placement> {
        let copies = self.files.get(file)?;
        let copy = crate_index
            .and_then(|index| copies.iter().find(|copy| copy.index == index))
            .or_else(|| copies.first())?;
        let (krate, is_lib, facts) = (copy.krate, copy.is_lib, copy.entries);
        let function = facts.function_at(offset);
        let item = function.map(|f| f.path.clone());
        let reach = function
            .and_then(|f| self.ids.get(&self.names.run_path(krate, &f.path)))
            .map(|&id| self.reach[id])
            .unwrap_or_default();
        // Test code stays test code, whatever it spawns or registers.
        if reach.test && !reach.main && reach.handler.is_none() && reach.task.is_none() {
            return Some(Placement {
                context: Context::Test,
                item,
                via: None,
            });
        }
        if let Some(at) = facts.task_at(offset) {
            let via = Via {
                function: item.clone().unwrap_or_default(),
                file: file.to_string(),
                at: at.clone(),
                declared: false,
                callback: false,
            };
            return Some(Placement {
                context: Context::Task,
                item,
                via: Some(via),
            });
        }
        if let Some(at) = facts.callback_at(offset) {
            let via = Via {
                function: item.clone().unwrap_or_default(),
                file: file.to_string(),
                at: at.clone(),
                declared: false,
                callback: true,
            };
            return Some(Placement {
                context: Context::Handler,
                item,
                via: Some(via),
            });
        }
        let (context, via) = if let Some(entry) = reach.handler {
            (Context::Handler, Some(self.via(entry)))
        } else if let Some(entry) = reach.task {
            (Context::Task, Some(self.via(entry)))
        } else if reach.main && !reach.main_repeats && !facts.repeats_at(offset) {
            // Code that runs once; reached through a loop that repeats until the program
            // stops (a daemon's), it is not `main`'s one-off work.
            (Context::Main, None)
        } else if reach.test {
            (Context::Test, None)
        } else if is_lib && function.is_some_and(|f| f.is_pub && f.is_async) {
            (Context::Library, None)
        } else {
            (Context::Unknown, None)
        };
        Some(Placement { context, item, via })
    }
}
