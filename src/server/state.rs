//! The server's model of the workspace: every file of the Cargo workspace, linted once at
//! startup with the per-file API the CLI uses (`app::lint_source_with`), and kept as a
//! cached summary (findings, facts for the crate phase, suppressions). An edit re-lints
//! only the edited file, then re-runs the crate-level phase (call chains, lock order) of
//! its program over the cached facts of the other files: as on the command line, a Cargo
//! workspace is one program (`app::crate_phase`), and a module that a package's lib and
//! bin both declare is a file of each crate, linted and placed in each.

use super::text::Document;
use crate::app::crate_phase::{self, place, Member};
use crate::app::plan::Settings;
use crate::app::run::{lint_source, SourceOptions};
use crate::app::verdict::{judge, Findings, Suppressions};
use crate::catalog::Runtime;
use crate::config;
use crate::diagnostic::Diagnostic;
use crate::output::CargoTarget;
use crate::program::contexts::{Contexts, Placement};
use crate::program::FileFacts;
use crate::rules;
use crate::semantic::walker::ModDecl;
use crate::workspace::{self, ManifestCache, TargetSelection};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How a file is linted: its place in its crate.
#[derive(Debug, Clone)]
struct Job {
    path: PathBuf,
    module_path: String,
    is_mod_rs: bool,
    follow_mods: bool,
    include_tests: bool,
    runtime: Runtime,
    edition: String,
    /// The package and target, as the command line has them (its crate's name and
    /// whether it is a library: where code runs, `program::contexts`).
    target: Arc<CargoTarget>,
    /// Its crate: `CargoTarget::crate_key` (a lib and a bin of one name are two), or
    /// `file:<path>` for a file linted on its own.
    crate_key: String,
    /// The program whose crate-level phase it takes part in (`crate_phase::program_of`:
    /// the whole workspace in a Cargo workspace).
    program: String,
}

/// One file: its text (the editor's while it is open, else the disk's) and the cached
/// results of linting it as a module of each crate that declares it.
pub struct FileState {
    pub display: String,
    pub doc: Document,
    /// The editor's version while the file is open.
    pub version: Option<i32>,
    pub open: bool,
    /// Not part of the Cargo workspace's module trees (linted on its own).
    standalone: bool,
    /// One per crate (usually one; two for a module a package's lib and bin both declare).
    copies: Vec<CrateCopy>,
    /// What the client was last sent for this file.
    published: Option<Vec<Diagnostic>>,
}

/// A file as a module of one crate, and the cached results of linting it as such.
struct CrateCopy {
    job: Job,
    /// Per-file findings (before levels and suppressions).
    own: Vec<Diagnostic>,
    facts: FileFacts,
    suppressions: Suppressions,
    mod_decls: Vec<ModDecl>,
    /// This file's findings from its crate's crate-level phase (before levels and
    /// suppressions).
    crate_found: Vec<Diagnostic>,
    /// Where each finding of `own` then `crate_found` runs, from the last crate phase.
    placements: Vec<Option<Placement>>,
    /// `own` and `crate_found` at their levels, suppressions applied.
    judged: Vec<Diagnostic>,
    /// `facts` name their crate as the program does (`crate_phase::rename_in_program`),
    /// since the file was last linted.
    renamed: bool,
}

impl FileState {
    /// Every finding of the file at its level, suppressions applied, in report order;
    /// each once, whichever crate's copy found it (as the command line reports them).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self.copies.as_slice() {
            [one] => one.judged.clone(),
            copies => crate::app::merge_copies(copies.iter().map(|c| c.judged.clone()).collect()),
        }
    }
}

impl CrateCopy {
    fn new(job: Job) -> CrateCopy {
        CrateCopy {
            job,
            own: Vec::new(),
            facts: FileFacts::default(),
            suppressions: Suppressions::default(),
            mod_decls: Vec::new(),
            crate_found: Vec::new(),
            placements: Vec::new(),
            judged: Vec::new(),
            renamed: false,
        }
    }

    /// Apply levels and suppressions to the copy's findings of both phases (once, as the
    /// command line does).
    fn judge(&mut self, settings: &Settings, display: &str) {
        let mut own = self.own.clone();
        let mut crate_level = self.crate_found.clone();
        // Placed as the command line places them (a finding that runs only from `main` is
        // capped), unless the findings changed since the crate phase placed them.
        if self.placements.len() == own.len() + crate_level.len() {
            for (d, placement) in own.iter_mut().chain(&mut crate_level).zip(&self.placements) {
                if let Some(placement) = placement {
                    place(d, placement.clone());
                }
            }
        }
        let findings = Findings {
            display,
            file: own,
            crate_level,
            suppressions: &self.suppressions,
        };
        self.judged = judge(findings, &settings.levels, false);
    }
}

/// Diagnostics to send for one file.
pub struct Publish {
    pub path: PathBuf,
    pub version: Option<i32>,
    pub diagnostics: Vec<Diagnostic>,
}

pub struct State {
    pub root: PathBuf,
    settings: Settings,
    /// A config that could not be loaded (the server then runs on the defaults).
    pub config_error: Option<String>,
    files: HashMap<PathBuf, FileState>,
    by_display: HashMap<String, PathBuf>,
    /// Program key → the files with a copy in it.
    programs: HashMap<String, BTreeSet<PathBuf>>,
    /// Files whose text changed since they were last linted.
    dirty: BTreeSet<PathBuf>,
}

/// The key a file is known by: its canonical path when it exists, else the absolute path
/// with `.`/`..` folded.
pub fn file_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| workspace::normalized(path))
}

fn display_path(path: &Path, root: &Path) -> String {
    let shown = path.strip_prefix(root).unwrap_or(path);
    shown.to_string_lossy().replace('\\', "/")
}

/// Whether saving this file changes what the server knows beyond one file's text.
pub fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "Cargo.toml" || config::CONFIG_FILE_NAMES.contains(&n))
}

impl State {
    /// Discover the workspace below `root`, read its config and lint every file of it.
    /// `open` are the texts of documents already open in the editor.
    pub fn load(root: &Path, open: &HashMap<PathBuf, (String, Option<i32>)>) -> State {
        let mut root = file_key(root);
        // The package or workspace the client's root is in (a Cargo.toml there or above);
        // all targets of every member, test code included: the editor shows every file.
        let selection = TargetSelection {
            all_targets: true,
            workspace: true,
            ..TargetSelection::default()
        };
        let discovered = root
            .ancestors()
            .map(|dir| dir.join("Cargo.toml"))
            .find(|manifest| manifest.is_file())
            .and_then(|manifest| workspace::discover(Some(&manifest), &selection).ok());
        let mut manifest = None;
        let mut roots = Vec::new();
        if let Some(ws) = discovered {
            root = file_key(&ws.root);
            manifest = Some(ws.root_manifest);
            roots = ws.roots;
        }
        let (settings, config_error) =
            match config::discover(&root, manifest.as_deref()).map_err(|e| e.to_string()) {
                Ok(config) => match Settings::from_config(&config, &root) {
                    Ok(settings) => (settings, None),
                    Err(e) => (Settings::defaults(), Some(e)),
                },
                Err(e) => (Settings::defaults(), Some(e)),
            };
        let mut state = State {
            root,
            settings,
            config_error,
            files: HashMap::new(),
            by_display: HashMap::new(),
            programs: HashMap::new(),
            dirty: BTreeSet::new(),
        };
        let mut jobs = Vec::new();
        for root in roots {
            let package = root.package.as_ref();
            let target = Arc::new(crate::app::run::target_of(&root));
            jobs.push(Job {
                is_mod_rs: root.follow_mods || workspace::is_mod_rs(&root.path),
                module_path: root.module_path,
                follow_mods: root.follow_mods,
                include_tests: root.include_tests,
                runtime: state
                    .settings
                    .runtime
                    .or(package.map(|p| p.runtime))
                    .unwrap_or(Runtime::Tokio),
                edition: package.map_or_else(|| "2021".into(), |p| p.edition.clone()),
                crate_key: target.crate_key(),
                program: crate_phase::program_of(&target).0,
                target,
                path: root.path,
            });
        }
        let texts: HashMap<PathBuf, String> = open
            .iter()
            .map(|(path, (text, _))| (path.clone(), text.clone()))
            .collect();
        for (path, file) in state.lint_trees(jobs, HashSet::new(), &texts) {
            state.insert(path, file);
        }
        let keys: BTreeSet<String> = state.programs.keys().cloned().collect();
        for key in &keys {
            state.program_phase(key);
        }
        state.place(&keys);
        for (path, (text, version)) in open {
            state.open(path.clone(), text.clone(), version.unwrap_or(0));
        }
        state
    }

    /// How many files the server holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn file(&self, path: &Path) -> Option<&FileState> {
        self.files.get(path)
    }

    /// The file a finding's display path names.
    pub fn path_of_display(&self, display: &str) -> PathBuf {
        self.by_display
            .get(display)
            .cloned()
            .unwrap_or_else(|| self.root.join(display))
    }

    pub fn open_documents(&self) -> HashMap<PathBuf, (String, Option<i32>)> {
        self.files
            .iter()
            .filter(|(_, f)| f.open)
            .map(|(path, f)| (path.clone(), (f.doc.text().to_string(), f.version)))
            .collect()
    }

    pub fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Add a linted file, or its copy in another crate to the file already held.
    fn insert(&mut self, path: PathBuf, file: FileState) {
        for copy in &file.copies {
            self.programs
                .entry(copy.job.program.clone())
                .or_default()
                .insert(path.clone());
        }
        self.by_display.insert(file.display.clone(), path.clone());
        match self.files.get_mut(&path) {
            Some(held) => {
                for copy in file.copies {
                    if !held
                        .copies
                        .iter()
                        .any(|c| c.job.crate_key == copy.job.crate_key)
                    {
                        held.copies.push(copy);
                    }
                }
                held.copies
                    .sort_by(|a, b| a.job.crate_key.cmp(&b.job.crate_key));
            }
            None => {
                self.files.insert(path, file);
            }
        }
    }

    fn remove(&mut self, path: &Path) {
        let Some(file) = self.files.remove(path) else {
            return;
        };
        self.by_display.remove(&file.display);
        for copy in &file.copies {
            if let Some(members) = self.programs.get_mut(&copy.job.program) {
                members.remove(path);
                if members.is_empty() {
                    self.programs.remove(&copy.job.program);
                }
            }
        }
    }

    /// A document was opened. A file outside the workspace's module trees is linted on its
    /// own (its own crate), with the package facts of the nearest Cargo.toml.
    pub fn open(&mut self, path: PathBuf, text: String, version: i32) {
        if self.settings.excluded(&path) {
            return;
        }
        if !self.files.contains_key(&path) {
            let package = ManifestCache::default().package_for(&path);
            let mut target = CargoTarget::for_file(package.clone(), &path);
            target.name = path
                .file_stem()
                .map_or_else(|| "main".into(), |s| s.to_string_lossy().replace('-', "_"));
            let crate_key = format!("file:{}", path.display());
            let job = Job {
                module_path: workspace::guess_module_path(&path),
                is_mod_rs: workspace::is_mod_rs(&path),
                follow_mods: false,
                include_tests: true,
                runtime: self
                    .settings
                    .runtime
                    .or(package.as_ref().map(|p| p.runtime))
                    .unwrap_or(Runtime::Tokio),
                edition: package.map_or_else(|| "2021".into(), |p| p.edition.clone()),
                program: crate_key.clone(),
                crate_key,
                target: Arc::new(target),
                path: path.clone(),
            };
            let display = display_path(&path, &self.root);
            let mut file = new_file(job, display, Document::default());
            file.standalone = true;
            self.insert(path.clone(), file);
        }
        if let Some(file) = self.files.get_mut(&path) {
            file.open = true;
            file.version = Some(version);
            file.published = None;
            if file.doc.text() != text {
                file.doc = Document::new(text);
            }
        }
        // Always answer an open with diagnostics, even when the text is unchanged.
        self.dirty.insert(path);
    }

    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: Vec<lsp_types::TextDocumentContentChangeEvent>,
    ) {
        let Some(file) = self.files.get_mut(path) else {
            return;
        };
        for change in changes {
            file.doc.apply(change);
        }
        file.version = Some(version);
        self.dirty.insert(path.to_path_buf());
    }

    pub fn save(&mut self, path: &Path, text: Option<String>) {
        let Some(file) = self.files.get_mut(path) else {
            return;
        };
        if let Some(text) = text {
            if text != file.doc.text() {
                file.doc = Document::new(text);
            }
        }
        self.dirty.insert(path.to_path_buf());
    }

    /// A document was closed: the disk's text is the truth again. Returns whether the
    /// client should be sent an empty diagnostics list for it.
    pub fn close(&mut self, path: &Path) -> bool {
        let Some(file) = self.files.get_mut(path) else {
            return false;
        };
        file.open = false;
        file.version = None;
        file.published = None;
        if file.standalone {
            self.remove(path);
            self.dirty.remove(path);
            return true;
        }
        if let Ok(text) = std::fs::read_to_string(path) {
            if text != file.doc.text() {
                file.doc = Document::new(text);
                self.dirty.insert(path.to_path_buf());
            }
        }
        true
    }

    /// Re-lint the changed files, follow `mod` declarations they gained, re-run their
    /// crates' crate-level phase over the cached summaries, and say what to publish: the
    /// changed open files, and every other open file whose findings changed.
    pub fn flush(&mut self) -> Vec<Publish> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut programs = BTreeSet::new();
        let mut new_jobs = Vec::new();
        for path in &dirty {
            let Some(file) = self.files.get_mut(path) else {
                continue;
            };
            for copy in &mut file.copies {
                let old_mods = std::mem::take(&mut copy.mod_decls);
                lint_copy(&self.settings, copy, &file.display, file.doc.text());
                programs.insert(copy.job.program.clone());
                if copy.job.follow_mods {
                    for decl in &copy.mod_decls {
                        if old_mods
                            .iter()
                            .any(|old| old.module_path == decl.module_path)
                        {
                            continue;
                        }
                        if let Some(job) = child_job(&copy.job, decl) {
                            new_jobs.push(job);
                        }
                    }
                }
            }
        }
        if !new_jobs.is_empty() {
            let seen: HashSet<(PathBuf, String)> = self
                .files
                .iter()
                .flat_map(|(path, f)| {
                    f.copies
                        .iter()
                        .map(|c| (path.clone(), c.job.crate_key.clone()))
                })
                .collect();
            let texts = HashMap::new();
            for (path, file) in self.lint_trees(new_jobs, seen, &texts) {
                for copy in &file.copies {
                    programs.insert(copy.job.program.clone());
                }
                self.insert(path, file);
            }
        }
        for key in &programs {
            self.program_phase(key);
        }
        self.place(&programs);
        let mut out = Vec::new();
        let mut published = HashSet::new();
        for key in &programs {
            let Some(members) = self.programs.get(key) else {
                continue;
            };
            for path in members {
                if !published.insert(path.clone()) {
                    continue;
                }
                let Some(file) = self.files.get_mut(path) else {
                    continue;
                };
                if !file.open {
                    continue;
                }
                let diagnostics = file.diagnostics();
                if !dirty.contains(path) && file.published.as_ref() == Some(&diagnostics) {
                    continue;
                }
                file.published = Some(diagnostics.clone());
                out.push(Publish {
                    path: path.clone(),
                    version: file.version,
                    diagnostics,
                });
            }
        }
        out
    }

    /// The crate-level phase of one program, over its members' cached facts (as the
    /// command line runs it: `crate_phase::prepare_program`, `program_findings`).
    fn program_phase(&mut self, key: &str) {
        let Some(members) = self.programs.get(key) else {
            return;
        };
        // The program's copies, in the command line's order (by file, then crate).
        let mut copies: Vec<(&str, &mut CrateCopy)> = Vec::new();
        for (path, file) in self.files.iter_mut() {
            if !members.contains(path) {
                continue;
            }
            let FileState {
                display,
                copies: own,
                ..
            } = file;
            for copy in own.iter_mut().filter(|c| c.job.program == key) {
                copies.push((display.as_str(), copy));
            }
        }
        copies.sort_by(|a, b| (a.0, &a.1.job.crate_key).cmp(&(b.0, &b.1.job.crate_key)));
        for (_, copy) in copies.iter_mut().filter(|(_, c)| !c.renamed) {
            crate_phase::rename_in_program(&mut copy.facts, &copy.job.target);
            copy.renamed = true;
        }
        let mut facts: Vec<&mut FileFacts> = copies.iter_mut().map(|(_, c)| &mut c.facts).collect();
        crate::program::items::resolve_program(&mut facts, &self.settings.catalog);
        let found = {
            let members: Vec<Member> = copies
                .iter()
                .map(|(display, copy)| Member {
                    display,
                    crate_key: &copy.job.crate_key,
                    target: &copy.job.target,
                    facts: &copy.facts,
                })
                .collect();
            crate_phase::program_findings(&members, &self.settings.catalog, self.settings.runtime)
        };
        for (_, copy) in copies.iter_mut() {
            copy.crate_found.clear();
        }
        for (index, d) in found {
            copies[index].1.crate_found.push(d);
        }
    }

    /// Place the findings of the files of `programs` (where they run, from the entry
    /// points of every crate the server holds, as the command line computes them) and
    /// judge them. Files of other programs keep their placements.
    fn place(&mut self, programs: &BTreeSet<String>) {
        let placements: Vec<(PathBuf, Vec<Vec<Option<Placement>>>)> = {
            // In a fixed order (by file, then crate), whatever the hash map's: which entry
            // a note names must not change from one computation to the next.
            let mut all: Vec<(&PathBuf, &FileState)> = self.files.iter().collect();
            all.sort_by(|a, b| a.1.display.cmp(&b.1.display));
            let members = all.iter().flat_map(|(_, file)| {
                file.copies.iter().map(|copy| Member {
                    display: &file.display,
                    crate_key: &copy.job.crate_key,
                    target: &copy.job.target,
                    facts: &copy.facts,
                })
            });
            let (crates, keys) = crate_phase::crate_files(members);
            let contexts = Contexts::compute(&crates);
            all.iter()
                .filter(|(_, file)| {
                    file.copies
                        .iter()
                        .any(|c| programs.contains(&c.job.program))
                })
                .map(|(path, file)| {
                    let copies = file
                        .copies
                        .iter()
                        .map(|copy| {
                            let krate = keys.iter().position(|k| *k == copy.job.crate_key);
                            copy.own
                                .iter()
                                .chain(&copy.crate_found)
                                .map(|d| {
                                    contexts.placement_in(
                                        &file.display,
                                        krate,
                                        d.primary.byte_start,
                                    )
                                })
                                .collect()
                        })
                        .collect();
                    ((*path).clone(), copies)
                })
                .collect()
        };
        for (path, copies) in placements {
            let Some(file) = self.files.get_mut(&path) else {
                continue;
            };
            for (copy, placements) in file.copies.iter_mut().zip(copies) {
                copy.placements = placements;
                copy.judge(&self.settings, &file.display);
            }
        }
    }

    /// Read and lint module trees in parallel (as the CLI does), skipping `seen` files.
    fn lint_trees(
        &self,
        jobs: Vec<Job>,
        seen: HashSet<(PathBuf, String)>,
        texts: &HashMap<PathBuf, String>,
    ) -> Vec<(PathBuf, FileState)> {
        let walk = TreeWalk {
            settings: &self.settings,
            root: &self.root,
            texts,
            seen: Mutex::new(seen),
            out: Mutex::new(Vec::new()),
        };
        rayon::scope(|scope| {
            for job in jobs {
                let walk = &walk;
                scope.spawn(move |s| walk.visit(s, job));
            }
        });
        let mut files = walk.out.into_inner().unwrap_or_default();
        files.sort_by(|a, b| (&a.1.display, a.1.crate_key()).cmp(&(&b.1.display, b.1.crate_key())));
        files
    }
}

fn new_file(job: Job, display: String, doc: Document) -> FileState {
    FileState {
        display,
        doc,
        version: None,
        open: false,
        standalone: false,
        copies: vec![CrateCopy::new(job)],
        published: None,
    }
}

impl FileState {
    /// The crate of a file just read (one copy).
    fn crate_key(&self) -> &str {
        self.copies.first().map_or("", |c| c.job.crate_key.as_str())
    }
}

/// Lint a file's current text as a module of one crate and cache the results.
fn lint_copy(settings: &Settings, copy: &mut CrateCopy, display: &str, text: &str) {
    let local_crates = copy
        .job
        .target
        .package
        .as_ref()
        .map_or(&[][..], |p| p.local_crates.as_slice());
    let options = SourceOptions {
        module_path: &copy.job.module_path,
        runtime: copy.job.runtime,
        include_tests: copy.job.include_tests,
        report_unused_suppressions: false,
        edition: &copy.job.edition,
        local_crates,
    };
    // A long-lived server outlives a bug in one rule: the file gets an error, not the editor.
    let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lint_source(display, text, &options, &settings.catalog)
    }));
    let Ok(linted) = linted else {
        copy.own = vec![rules::file_error(
            display,
            "internal error while linting this file (a bug in concurrency-lint; please report it)",
        )];
        copy.facts = FileFacts::default();
        copy.renamed = false;
        copy.suppressions = Suppressions::default();
        copy.mod_decls.clear();
        copy.judge(settings, display);
        return;
    };
    copy.own = linted.findings;
    copy.facts = linted.facts;
    copy.renamed = false;
    copy.suppressions = linted.suppressions;
    copy.judge(settings, display);
    copy.mod_decls = linted.mod_decls;
}

fn child_job(parent: &Job, decl: &ModDecl) -> Option<Job> {
    let (path, is_mod_rs) = workspace::module_file(
        &parent.path,
        parent.is_mod_rs,
        &decl.name,
        decl.path_attribute.as_deref(),
        &decl.inline_parents,
    )
    .ok()?;
    Some(Job {
        path,
        module_path: decl.module_path.clone(),
        // An included file's `mod`s are the including module's.
        is_mod_rs: if decl.included {
            parent.is_mod_rs
        } else {
            is_mod_rs
        },
        ..parent.clone()
    })
}

struct TreeWalk<'a> {
    settings: &'a Settings,
    root: &'a Path,
    texts: &'a HashMap<PathBuf, String>,
    /// (file, crate): a file is read once per crate that declares it.
    seen: Mutex<HashSet<(PathBuf, String)>>,
    out: Mutex<Vec<(PathBuf, FileState)>>,
}

impl TreeWalk<'_> {
    fn visit<'s>(&'s self, scope: &rayon::Scope<'s>, mut job: Job) {
        job.path = file_key(&job.path);
        let first = self
            .seen
            .lock()
            .map(|mut seen| seen.insert((job.path.clone(), job.crate_key.clone())))
            .unwrap_or(false);
        if !first || self.settings.excluded(&job.path) {
            return;
        }
        let display = display_path(&job.path, self.root);
        let text = match self.texts.get(&job.path) {
            Some(text) => Ok(text.clone()),
            None => std::fs::read(&job.path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|e| {
                        format!(
                            "not valid UTF-8 (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        )
                    })
                }),
        };
        let path = job.path.clone();
        let mut copy = CrateCopy::new(job);
        let doc = match text {
            Ok(text) => {
                lint_copy(self.settings, &mut copy, &display, &text);
                Document::new(text)
            }
            Err(error) => {
                copy.own = vec![rules::file_error(&display, &error)];
                copy.judge(self.settings, &display);
                Document::default()
            }
        };
        let children: Vec<Job> = if copy.job.follow_mods {
            copy.mod_decls
                .iter()
                .filter_map(|decl| child_job(&copy.job, decl))
                .collect()
        } else {
            Vec::new()
        };
        let mut file = new_file(copy.job.clone(), display, doc);
        file.copies = vec![copy];
        if let Ok(mut out) = self.out.lock() {
            out.push((path, file));
        }
        for child in children {
            scope.spawn(move |s| self.visit(s, child));
        }
    }
}
