//! The server's model of the workspace: every file of the Cargo workspace, linted once at
//! startup with the per-file API the CLI uses (`app::lint_source_with`), and kept as a
//! cached summary (findings, facts for the crate phase, suppressions). An edit re-lints
//! only the edited file, then re-runs the crate-level phase (call chains, lock order) of
//! its crate over the cached facts of the other files.

use super::text::Document;
use crate::app::crate_phase::place;
use crate::app::plan::Settings;
use crate::app::run::{lint_source, SourceOptions};
use crate::app::verdict::{judge, Findings, Suppressions};
use crate::catalog::Runtime;
use crate::config;
use crate::diagnostic::Diagnostic;
use crate::program::contexts::{Contexts, CrateFiles, Placement};
use crate::program::FileFacts;
use crate::rules;
use crate::semantic::walker::ModDecl;
use crate::workspace::{self, ManifestCache, TargetSelection};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    crate_key: String,
    /// The crate's name as other crates write it, and whether it is a library (for where
    /// code runs: `program::contexts`).
    crate_name: String,
    is_lib: bool,
}

/// One file: its text (the editor's while it is open, else the disk's) and the cached
/// results of linting it.
pub struct FileState {
    job: Job,
    pub display: String,
    pub doc: Document,
    /// The editor's version while the file is open.
    pub version: Option<i32>,
    pub open: bool,
    /// Not part of the Cargo workspace's module trees (linted on its own).
    standalone: bool,
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
    /// What the client was last sent for this file.
    published: Option<Vec<Diagnostic>>,
}

impl FileState {
    /// Every finding of the file at its level, suppressions applied, in report order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.judged.clone()
    }

    /// Apply levels and suppressions to the file's findings of both phases (once, as the
    /// command line does).
    fn judge(&mut self, settings: &Settings) {
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
            display: &self.display,
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
    /// Crate key → (runtime of its crate phase, member files).
    crates: HashMap<String, (Runtime, BTreeSet<PathBuf>)>,
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
            crates: HashMap::new(),
            dirty: BTreeSet::new(),
        };
        let mut jobs = Vec::new();
        for root in roots {
            let package = root.package.as_ref();
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
                crate_key: match package {
                    Some(p) => format!("{}#{}", p.id, root.target_name),
                    None => String::new(),
                },
                crate_name: root.target_name.replace('-', "_"),
                is_lib: root.target_kinds.is_empty()
                    || root
                        .target_kinds
                        .iter()
                        .any(|k| k.contains("lib") || k == "proc-macro"),
                path: root.path,
            });
        }
        let texts: HashMap<PathBuf, String> = open
            .iter()
            .map(|(path, (text, _))| (path.clone(), text.clone()))
            .collect();
        for file in state.lint_trees(jobs, HashSet::new(), &texts) {
            state.insert(file);
        }
        let keys: Vec<String> = state.crates.keys().cloned().collect();
        for key in keys {
            state.crate_phase(&key);
        }
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

    fn insert(&mut self, file: FileState) {
        self.crates
            .entry(file.job.crate_key.clone())
            .or_insert_with(|| (file.job.runtime, BTreeSet::new()))
            .1
            .insert(file.job.path.clone());
        self.by_display
            .insert(file.display.clone(), file.job.path.clone());
        self.files.insert(file.job.path.clone(), file);
    }

    fn remove(&mut self, path: &Path) {
        let Some(file) = self.files.remove(path) else {
            return;
        };
        self.by_display.remove(&file.display);
        if let Some((_, members)) = self.crates.get_mut(&file.job.crate_key) {
            members.remove(path);
            if members.is_empty() {
                self.crates.remove(&file.job.crate_key);
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
                crate_key: format!("file:{}", path.display()),
                crate_name: path
                    .file_stem()
                    .map_or_else(|| "main".into(), |s| s.to_string_lossy().replace('-', "_")),
                is_lib: true,
                path: path.clone(),
            };
            let display = display_path(&path, &self.root);
            let mut file = new_file(job, display, Document::default());
            file.standalone = true;
            self.insert(file);
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
        let mut crates = BTreeSet::new();
        let mut new_jobs = Vec::new();
        for path in &dirty {
            let Some(file) = self.files.get_mut(path) else {
                continue;
            };
            let old_mods = std::mem::take(&mut file.mod_decls);
            lint_file(&self.settings, file);
            crates.insert(file.job.crate_key.clone());
            if file.job.follow_mods {
                for decl in &file.mod_decls {
                    if old_mods
                        .iter()
                        .any(|old| old.module_path == decl.module_path)
                    {
                        continue;
                    }
                    if let Some(job) = child_job(&file.job, decl) {
                        new_jobs.push(job);
                    }
                }
            }
        }
        if !new_jobs.is_empty() {
            let seen: HashSet<PathBuf> = self.files.keys().cloned().collect();
            let texts = HashMap::new();
            for file in self.lint_trees(new_jobs, seen, &texts) {
                self.insert(file);
            }
        }
        for key in &crates {
            self.crate_phase(key);
        }
        let mut out = Vec::new();
        for key in &crates {
            let Some((_, members)) = self.crates.get(key) else {
                continue;
            };
            for path in members {
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

    /// The crate-level phase of one crate, over its members' cached facts.
    fn crate_phase(&mut self, key: &str) {
        let Some((runtime, members)) = self.crates.get(key) else {
            return;
        };
        {
            // In the members' order (by path), not the hash map's.
            let mut files: Vec<(&PathBuf, &mut FileState)> = self
                .files
                .iter_mut()
                .filter(|(path, _)| members.contains(*path))
                .collect();
            files.sort_by(|a, b| a.0.cmp(b.0));
            let mut facts: Vec<&mut crate::program::FileFacts> =
                files.into_iter().map(|(_, f)| &mut f.facts).collect();
            crate::program::items::resolve_program(&mut facts, &self.settings.catalog);
        }
        let found = {
            let files: Vec<rules::CrateFile> = members
                .iter()
                .filter_map(|path| self.files.get(path))
                .map(|f| rules::CrateFile {
                    display: &f.display,
                    facts: &f.facts,
                })
                .collect();
            rules::crate_findings(&rules::CrateProgram {
                files: &files,
                catalog: &self.settings.catalog,
                runtime: *runtime,
            })
        };
        let members: Vec<PathBuf> = members.iter().cloned().collect();
        for path in &members {
            if let Some(file) = self.files.get_mut(path) {
                file.crate_found.clear();
            }
        }
        for d in found {
            let Some(path) = self.by_display.get(&d.file) else {
                continue;
            };
            let Some(file) = self.files.get_mut(path) else {
                continue;
            };
            if file.job.crate_key != key {
                continue;
            }
            file.crate_found.push(d);
        }
        let placements = self.placements(&members);
        for (path, placements) in members.iter().zip(placements) {
            if let Some(file) = self.files.get_mut(path) {
                file.placements = placements;
                file.judge(&self.settings);
            }
        }
    }

    /// Where the findings of `members` run, from the entry points of every crate the
    /// server holds (a binary's `main` reaching its library), as the command line computes
    /// them. Files of other crates keep the placements of their own last crate phase.
    fn placements(&self, members: &[PathBuf]) -> Vec<Vec<Option<Placement>>> {
        // In a fixed order (crates by key, files by name), whatever the hash maps': which
        // entry a note names must not change from one computation to the next.
        let mut files: Vec<&FileState> = self.files.values().collect();
        files.sort_by(|a, b| a.display.cmp(&b.display));
        let mut crates: std::collections::BTreeMap<&str, CrateFiles> = Default::default();
        for file in files {
            let krate = crates
                .entry(file.job.crate_key.as_str())
                .or_insert_with(|| CrateFiles {
                    name: file.job.crate_name.clone(),
                    is_lib: false,
                    files: Vec::new(),
                });
            // A lib and a bin of one name are one crate here: a library if either is.
            krate.is_lib |= file.job.is_lib;
            krate.files.push((&file.display, &file.facts));
        }
        let crates: Vec<CrateFiles> = crates.into_values().collect();
        let contexts = Contexts::compute(&crates);
        members
            .iter()
            .map(|path| match self.files.get(path) {
                Some(file) => file
                    .own
                    .iter()
                    .chain(&file.crate_found)
                    .map(|d| contexts.placement(&file.display, d.primary.byte_start))
                    .collect(),
                None => Vec::new(),
            })
            .collect()
    }

    /// Read and lint module trees in parallel (as the CLI does), skipping `seen` files.
    fn lint_trees(
        &self,
        jobs: Vec<Job>,
        seen: HashSet<PathBuf>,
        texts: &HashMap<PathBuf, String>,
    ) -> Vec<FileState> {
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
        files.sort_by(|a, b| a.display.cmp(&b.display));
        files
    }
}

fn new_file(job: Job, display: String, doc: Document) -> FileState {
    FileState {
        job,
        display,
        doc,
        version: None,
        open: false,
        standalone: false,
        own: Vec::new(),
        facts: FileFacts::default(),
        suppressions: Suppressions::default(),
        mod_decls: Vec::new(),
        crate_found: Vec::new(),
        placements: Vec::new(),
        judged: Vec::new(),
        published: None,
    }
}

/// Lint a file's current text and cache the results.
fn lint_file(settings: &Settings, file: &mut FileState) {
    let options = SourceOptions {
        module_path: &file.job.module_path,
        runtime: file.job.runtime,
        include_tests: file.job.include_tests,
        report_unused_suppressions: false,
        edition: &file.job.edition,
        local_crates: &[],
    };
    // A long-lived server outlives a bug in one rule: the file gets an error, not the editor.
    let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lint_source(&file.display, file.doc.text(), &options, &settings.catalog)
    }));
    let Ok(linted) = linted else {
        file.own = vec![rules::file_error(
            &file.display,
            "internal error while linting this file (a bug in concurrency-lint; please report it)",
        )];
        file.facts = FileFacts::default();
        file.suppressions = Suppressions::default();
        file.mod_decls.clear();
        file.judge(settings);
        return;
    };
    file.own = linted.findings;
    file.facts = linted.facts;
    file.suppressions = linted.suppressions;
    file.judge(settings);
    file.mod_decls = linted.mod_decls;
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
    seen: Mutex<HashSet<PathBuf>>,
    out: Mutex<Vec<FileState>>,
}

impl TreeWalk<'_> {
    fn visit<'s>(&'s self, scope: &rayon::Scope<'s>, mut job: Job) {
        job.path = file_key(&job.path);
        let first = self
            .seen
            .lock()
            .map(|mut seen| seen.insert(job.path.clone()))
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
        let mut file = new_file(job, display, Document::default());
        match text {
            Ok(text) => {
                file.doc = Document::new(text);
                lint_file(self.settings, &mut file);
            }
            Err(error) => {
                file.own = vec![rules::file_error(&file.display, &error)];
                file.judge(self.settings);
            }
        }
        let children: Vec<Job> = if file.job.follow_mods {
            file.mod_decls
                .iter()
                .filter_map(|decl| child_job(&file.job, decl))
                .collect()
        } else {
            Vec::new()
        };
        if let Ok(mut out) = self.out.lock() {
            out.push(file);
        }
        for child in children {
            scope.spawn(move |s| self.visit(s, child));
        }
    }
}
