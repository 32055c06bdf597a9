//! Where the code runs (SPEC §2): the entry points of every crate of the run, propagated
//! over the call graph of the whole run, give each function the set of contexts it is
//! reached from — a request handler, a spawned task, the program's `main`, a test. Paths
//! are made run-wide by naming each crate (`crate::api::login` in crate `app` is
//! `app::api::login`), so a binary's `main` reaches the handlers of its library.

use super::entries::{Entry, EntryFacts, EntryKind};
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
    /// Run-wide function path → its index in `reach`.
    ids: HashMap<String, usize>,
    reach: Vec<Reach>,
    /// The entry points, with the display path of their file.
    entries: Vec<(Entry, &'a str)>,
    /// (crate name, is_lib) by file display path, and the file's entry facts.
    files: HashMap<&'a str, (String, bool, &'a EntryFacts)>,
}

/// `crate::x` in crate `name` is `name::x` run-wide.
fn global(crate_name: &str, path: &str) -> String {
    match path.strip_prefix("crate::") {
        Some(rest) => crate::path_text::join(crate_name, rest),
        None if path == "crate" => crate_name.to_string(),
        None => path.to_string(),
    }
}

/// `global`, written into `buf` only when the path changes (most calls name another
/// crate's or a library's path as is): no copy per call edge for a path already known.
fn global_in<'p>(buf: &'p mut String, crate_name: &str, path: &'p str) -> &'p str {
    let rest = match path.strip_prefix("crate::") {
        Some(rest) => rest,
        None if path == "crate" => "",
        None => return path,
    };
    buf.clear();
    buf.push_str(crate_name);
    if !rest.is_empty() {
        buf.push_str("::");
        buf.push_str(rest);
    }
    buf
}

/// The run's call graph, over function indices.
struct RunGraph {
    ids: HashMap<String, usize>,
    /// Each function's callees, and whether the call sits in a loop that repeats until the
    /// program stops.
    callees: Vec<Vec<(usize, bool)>>,
}

impl RunGraph {
    /// The index of a run-wide path, added if new.
    fn id(&mut self, path: &str) -> usize {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.callees.len();
        self.ids.insert(path.to_string(), id);
        self.callees.push(Vec::new());
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
        let mut entries: Vec<(Entry, &str)> = Vec::new();
        let mut files = HashMap::default();
        let mut scratch = String::new();
        for krate in crates {
            for (display, facts) in &krate.files {
                for function in &facts.functions {
                    let mut caller = None;
                    for edge in &function.calls {
                        // A call inside a spawned future starts a task.
                        if let Some(at) = facts.entries.task_at(edge.location.byte_start) {
                            entries.push((
                                Entry {
                                    function: global(&krate.name, &edge.callee),
                                    kind: EntryKind::Task,
                                    at: at.clone(),
                                    declared: false,
                                },
                                display,
                            ));
                        } else {
                            let caller = match caller {
                                Some(caller) => caller,
                                None => {
                                    let path = global_in(&mut scratch, &krate.name, &function.path);
                                    *caller.insert(graph.id(path))
                                }
                            };
                            let callee =
                                graph.id(global_in(&mut scratch, &krate.name, &edge.callee));
                            let repeats = facts.entries.repeats_at(edge.location.byte_start);
                            graph.callees[caller].push((callee, repeats));
                        }
                    }
                }
                for (caller, callee, location) in &facts.entries.external_calls {
                    if let Some(at) = facts.entries.task_at(location.byte_start) {
                        let entry = Entry {
                            function: callee.clone(),
                            kind: EntryKind::Task,
                            at: at.clone(),
                            declared: false,
                        };
                        entries.push((entry, display));
                        continue;
                    }
                    let caller = graph.id(global_in(&mut scratch, &krate.name, caller));
                    let callee = graph.id(callee);
                    let repeats = facts.entries.repeats_at(location.byte_start);
                    graph.callees[caller].push((callee, repeats));
                }
                for entry in &facts.entries.entries {
                    let mut entry = entry.clone();
                    entry.function = global(&krate.name, &entry.function);
                    entries.push((entry, display));
                }
                files.insert(*display, (krate.name.clone(), krate.is_lib, &facts.entries));
            }
        }
        let starts: Vec<usize> = entries
            .iter()
            .map(|(entry, _)| graph.id(&entry.function))
            .collect();
        let mut reach = vec![Reach::default(); graph.callees.len()];
        for (index, ((entry, _), start)) in entries.iter().zip(starts).enumerate() {
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
            ids: graph.ids,
            reach,
            entries,
            files,
        }
    }

    /// The entry at `index` of `entries`, for messages.
    fn via(&self, index: usize) -> Via {
        let (entry, file) = &self.entries[index];
        Via {
            function: entry.function.clone(),
            file: file.to_string(),
            at: entry.at.clone(),
            declared: entry.declared,
        }
    }

    /// Where the code at `offset` of `file` runs.
    pub fn placement(&self, file: &str, offset: usize) -> Option<Placement> {
        let (crate_name, is_lib, facts) = self.files.get(file)?;
        let function = facts.function_at(offset);
        let item = function.map(|f| f.path.clone());
        let reach = function
            .and_then(|f| self.ids.get(&global(crate_name, &f.path)))
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
        } else if *is_lib && function.is_some_and(|f| f.is_pub && f.is_async) {
            (Context::Library, None)
        } else {
            (Context::Unknown, None)
        };
        Some(Placement { context, item, via })
    }
}
