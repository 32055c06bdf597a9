//! The per-file phase, in parallel: each root file is read and analysed on a worker
//! thread, and the module tree is followed through its `mod` declarations. What comes
//! back is plain data per file (`FileOutcome`): the raw findings, the facts for the
//! crate-level phase, and the suppressions; levels are applied later (`verdict`).

use super::analyze;
use super::crate_phase;
use super::plan::{Plan, Settings};
use super::verdict::Suppressions;
use crate::catalog::{Catalog, Runtime};
use crate::cli::LintArgs;
use crate::diagnostic::Diagnostic;
use crate::output::CargoTarget;
use crate::program::packed::PackedFacts;
use crate::program::FileFacts;
use crate::rules;
use crate::semantic::walker::{FileContext, ModDecl};
use crate::suppress;
use crate::workspace::{self, normalized, LintRoot, ManifestCache, PackageInfo};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How to lint one source text.
#[derive(Clone, Copy)]
pub struct SourceOptions<'a> {
    pub module_path: &'a str,
    pub runtime: Runtime,
    pub include_tests: bool,
    /// Also report suppression comments that suppress nothing.
    pub report_unused_suppressions: bool,
    pub edition: &'a str,
    /// The other workspace crates the file's crate may name (cargo mode).
    pub local_crates: &'a [String],
}

/// One file to lint, as a job for a worker.
#[derive(Debug, Clone)]
struct FileJob {
    path: PathBuf,
    module_path: String,
    is_mod_rs: bool,
    follow_mods: bool,
    include_tests: bool,
    runtime: Runtime,
    /// The package and target the file belongs to (for cargo-style JSON).
    target: Arc<CargoTarget>,
    from_stdin: bool,
    edition: String,
    /// The directory walk saw a regular file at `path` (`LintRoot::seen_regular`).
    seen_regular: bool,
    /// The program the file belongs to (`crate_phase::program_of`).
    program: Arc<str>,
}

/// What the phases found in one file, before levels and suppressions.
pub(crate) struct FileOutcome {
    pub(crate) display: String,
    /// The file on disk (None for stdin).
    pub(crate) path: Option<PathBuf>,
    /// The per-file walk's findings.
    pub(crate) findings: Vec<Diagnostic>,
    /// The crate-level phase's findings in this file.
    pub(crate) crate_findings: Vec<Diagnostic>,
    /// The text, kept only when there may be something to render against it.
    pub(crate) text: Option<String>,
    pub(crate) target: Arc<CargoTarget>,
    /// The facts for the crate-level phase, once `crate_phase` has unpacked them.
    pub(crate) facts: FileFacts,
    /// The facts as the per-file phase keeps them: packed (see `program::packed`).
    pub(crate) packed_facts: Option<PackedFacts>,
    pub(crate) suppressions: Suppressions,
}

impl FileOutcome {
    fn failed(display: &str, diagnostic: Diagnostic, target: Arc<CargoTarget>) -> FileOutcome {
        FileOutcome {
            display: display.to_string(),
            path: None,
            findings: vec![diagnostic],
            crate_findings: Vec::new(),
            text: None,
            target,
            facts: FileFacts::default(),
            packed_facts: None,
            suppressions: Suppressions::default(),
        }
    }

    /// A file linted as a text of a crate (fixtures, tests): no path, no target.
    pub(crate) fn of_source(display: &str, linted: LintedSource) -> FileOutcome {
        FileOutcome {
            display: display.to_string(),
            path: None,
            findings: linted.findings,
            crate_findings: Vec::new(),
            text: None,
            target: Arc::new(CargoTarget::default()),
            facts: FileFacts::default(),
            packed_facts: Some(PackedFacts::pack(linted.facts)),
            suppressions: linted.suppressions,
        }
    }
}

/// One file's results: its findings (before levels and suppressions), the `mod` items to
/// follow, and what the crate-level phase and the verdict need.
pub(crate) struct LintedSource {
    pub(crate) findings: Vec<Diagnostic>,
    pub(crate) mod_decls: Vec<ModDecl>,
    pub(crate) facts: crate::program::FileFacts,
    pub(crate) suppressions: Suppressions,
}

/// Analyse one file's text.
pub(crate) fn lint_source(
    display: &str,
    text: &str,
    options: &SourceOptions,
    catalog: &Catalog,
) -> LintedSource {
    let cx = FileContext {
        file: display,
        text,
        runtime: options.runtime,
        catalog,
        include_tests: options.include_tests,
        edition: options.edition,
        local_crates: options.local_crates,
    };
    let analysis = analyze::analyze(&cx, options.module_path);
    LintedSource {
        findings: analysis.diagnostics,
        mod_decls: analysis.mod_decls,
        facts: analysis.facts,
        suppressions: Suppressions {
            comments: suppress::comments(text),
            extents: analysis.item_extents,
        },
    }
}

/// Texts that replace files' contents on disk (`--fix` re-lints its fixes in memory).
#[derive(Default)]
pub(crate) struct Overlay {
    pub(crate) files: std::collections::HashMap<PathBuf, String>,
    pub(crate) stdin: Option<String>,
}

/// Lint every planned file (module trees followed) and stdin on the `-j` worker threads
/// of `pool`, and run the crate-level phase on the same threads; the outcomes sorted by
/// file name. The crate-level rules of a program run as soon as its last file is linted,
/// while the workers lint the other programs' files (`Linter::job_done`); the run's
/// context graph, which needs every program, comes last. The files' facts are kept only
/// if `keep_facts` (the `report` command reads them); otherwise the worker threads, which
/// unpacked them, free them.
pub(crate) fn lint_files(
    cli: &LintArgs,
    plan: &Plan,
    settings: &Settings,
    overlay: &Overlay,
    pool: &rayon::ThreadPool,
    keep_facts: bool,
) -> Vec<FileOutcome> {
    let (catalog, runtime) = (&settings.catalog, settings.runtime);
    let linter = Linter {
        overlay,
        catalog,
        runtime,
        base: &plan.base,
        exclude: settings.exclude.as_ref(),
        seen: Mutex::new(HashSet::new()),
        programs: Mutex::new(HashMap::new()),
        programs_open: AtomicUsize::new(0),
        finished: Mutex::new(Vec::new()),
        unchecked: Mutex::new(BTreeSet::new()),
        verbose: cli.verbose,
    };
    let jobs: Vec<FileJob> = plan
        .roots
        .iter()
        .map(|root| root_job(root, cli, runtime))
        .collect();
    let stdin = plan
        .stdin
        .as_ref()
        .map(|(bytes, name)| (bytes, stdin_job(name, cli, runtime)));
    // Every root is counted before any runs, so that no program looks done too early.
    for job in jobs.iter().chain(stdin.as_ref().map(|(_, job)| job)) {
        linter.job_added(&job.program);
    }
    pool.scope(|scope| {
        let linter = &linter;
        for job in jobs {
            scope.spawn(move |s| linter.lint_tree(s, job));
        }
        if let Some((bytes, job)) = stdin {
            scope.spawn(move |_| linter.lint_stdin(bytes, job));
        }
    });
    let mut outcomes = linter.finished.into_inner().unwrap_or_default();
    for (path, error) in &plan.problems {
        let display = display_path(path, &plan.base);
        let target = Arc::new(CargoTarget::default());
        let failure = rules::file_error(&display, error);
        outcomes.push(FileOutcome::failed(&display, failure, target));
    }
    // By file, then by crate: the order must not depend on which worker finished first.
    outcomes.sort_by_cached_key(|o| (o.display.clone(), o.target.crate_key()));
    let unchecked = linter.unchecked.into_inner().unwrap_or_default();
    pool.install(|| {
        crate_phase::check_and_place(&mut outcomes, &unchecked, catalog, runtime);
        if !keep_facts {
            outcomes
                .par_iter_mut()
                .for_each(|o| o.facts = FileFacts::default());
        }
    });
    outcomes
}

/// `-j` worker threads, each with a stack sized for the deepest file `parse` accepts;
/// smaller stacks (and a proportionally lower nesting bound) only if the system refuses
/// to reserve that much address space.
pub(crate) fn worker_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut last_error = String::new();
    let wanted = crate::parse::stack_size();
    for stack in [wanted, wanted / 4, wanted / 16] {
        let mut builder = rayon::ThreadPoolBuilder::new().stack_size(stack.max(1 << 20));
        if let Some(jobs) = jobs {
            builder = builder.num_threads(jobs.max(1));
        }
        match builder.build() {
            Ok(pool) => {
                crate::parse::set_stack_in_use(stack);
                return Ok(pool);
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(format!("cannot start worker threads: {last_error}"))
}

fn runtime_of(runtime: Option<Runtime>, package: Option<&PackageInfo>) -> Runtime {
    runtime
        .or(package.map(|p| p.runtime))
        .unwrap_or(Runtime::Tokio)
}

fn edition_of(cli: &LintArgs, package: Option<&PackageInfo>) -> String {
    package.map_or_else(|| cli.edition.clone(), |p| p.edition.clone())
}

/// The package and target of a root file of the plan (a target's root; a PATH file: its
/// package, as if it were the lib).
pub(crate) fn target_of(root: &LintRoot) -> CargoTarget {
    if root.target_kinds.is_empty() {
        CargoTarget::for_file(root.package.clone(), &root.path)
    } else {
        CargoTarget {
            package: root.package.clone(),
            name: root.target_name.clone(),
            kinds: root.target_kinds.clone(),
            src_path: root.path.clone(),
        }
    }
}

/// The job for a root file of the plan (a target's root, or a PATH file).
fn root_job(root: &LintRoot, cli: &LintArgs, runtime: Option<Runtime>) -> FileJob {
    let target = Arc::new(target_of(root));
    FileJob {
        path: root.path.clone(),
        module_path: root.module_path.clone(),
        is_mod_rs: root.follow_mods || workspace::is_mod_rs(&root.path),
        follow_mods: root.follow_mods,
        include_tests: root.include_tests,
        runtime: runtime_of(runtime, root.package.as_deref()),
        program: crate_phase::program_of(&target).0.into(),
        target,
        from_stdin: false,
        edition: edition_of(cli, root.package.as_deref()),
        seen_regular: root.seen_regular,
    }
}

/// The job for the file given on stdin (`-`), named by `--stdin-filename`.
fn stdin_job(name: &Path, cli: &LintArgs, runtime: Option<Runtime>) -> FileJob {
    let package = ManifestCache::default().package_for(name);
    let target = Arc::new(CargoTarget::for_file(package.clone(), name));
    FileJob {
        path: name.to_path_buf(),
        module_path: workspace::guess_module_path(name),
        is_mod_rs: false,
        follow_mods: false,
        include_tests: true,
        runtime: runtime_of(runtime, package.as_deref()),
        edition: edition_of(cli, package.as_deref()),
        program: crate_phase::program_of(&target).0.into(),
        target,
        from_stdin: true,
        seen_regular: false,
    }
}

/// A file's bytes as UTF-8 text, or the `file_error` saying why not.
fn decode(display: &str, bytes: Vec<u8>) -> Result<String, Box<Diagnostic>> {
    String::from_utf8(bytes).map_err(|e| {
        let error = format!(
            "not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        );
        Box::new(rules::file_error(display, &error))
    })
}

/// What a path that is not a regular file is.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

fn display_path(path: &Path, base: &Path) -> String {
    let absolute = normalized(path);
    let shown = absolute.strip_prefix(base).unwrap_or(path);
    let text = shown.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(String::from).unwrap_or(text)
}

/// The state the workers share.
struct Linter<'a> {
    overlay: &'a Overlay,
    catalog: &'a Catalog,
    base: &'a Path,
    exclude: Option<&'a (globset::GlobSet, PathBuf)>,
    runtime: Option<Runtime>,
    /// The files linted so far, each with the crate it was linted as a file of (its
    /// `CargoTarget::crate_key`; empty in PATH mode). A module file that two targets
    /// declare (a package's lib and bin both saying `mod agent;`) is a file of each, as
    /// cargo compiles it for each: which target reaches it first must not decide what it
    /// is (`app::report` keeps one copy of each finding).
    seen: Mutex<HashSet<(PathBuf, String)>>,
    /// The programs with files still being linted, by key.
    programs: Mutex<HashMap<Arc<str>, PendingProgram>>,
    /// How many programs have files still being linted.
    programs_open: AtomicUsize,
    /// The files of the programs whose files are all linted.
    finished: Mutex<Vec<FileOutcome>>,
    /// The programs prepared but whose rules have not run (the last one, whose rules run
    /// while the run's context graph is built).
    unchecked: Mutex<BTreeSet<String>>,
    verbose: bool,
}

/// A program whose files are still being linted.
#[derive(Default)]
struct PendingProgram {
    /// Jobs spawned and not done (a root counts from the start, a `mod` file from when
    /// its parent finds it).
    jobs_left: usize,
    outcomes: Vec<FileOutcome>,
}

impl Linter<'_> {
    fn excluded(&self, path: &Path) -> bool {
        let Some((set, dir)) = self.exclude else {
            return false;
        };
        let absolute = normalized(path);
        let relative = absolute.strip_prefix(dir).unwrap_or(&absolute);
        set.is_match(relative)
    }

    /// Lint one file, then (in module-tree mode) spawn a job for each of its `mod` files.
    fn lint_tree<'s>(&'s self, scope: &rayon::Scope<'s>, job: FileJob) {
        let outcome = self.lint_one(scope, &job);
        self.job_done(&job.program, outcome);
    }

    /// `lint_tree`'s outcome: None for a file already linted or excluded.
    fn lint_one<'s>(&'s self, scope: &rayon::Scope<'s>, job: &FileJob) -> Option<FileOutcome> {
        // A crate's module tree can reach one file twice (`#[path]`): dedupe by its real
        // path, per crate (see `seen`). PATH mode lists each file once already; a cheap
        // lexical key does.
        let key = if job.follow_mods {
            let path = std::fs::canonicalize(&job.path).unwrap_or_else(|_| job.path.clone());
            (path, job.target.crate_key())
        } else {
            (normalized(&job.path), String::new())
        };
        if !self.seen.lock().map(|mut s| s.insert(key)).unwrap_or(false) {
            return None;
        }
        if self.excluded(&job.path) {
            return None;
        }
        let display = display_path(&job.path, self.base);
        if self.verbose {
            eprintln!("linting {display}");
        }
        let text = match self.read(&job.path, &display, job.seen_regular) {
            Ok(text) => text,
            Err(error) => return Some(FileOutcome::failed(&display, *error, job.target.clone())),
        };
        let (mut outcome, mod_decls) = self.lint_text(display, text, job);
        if job.follow_mods {
            let missing = self.follow_mods(scope, job, &outcome.display, mod_decls);
            outcome.findings.extend(missing);
        }
        if outcome.findings.is_empty() && outcome.suppressions.is_empty() && !job.from_stdin {
            // nothing to render against this text: free it
            outcome.text = None;
        }
        Some(outcome)
    }

    /// A file's text (or its fixed text in the overlay), or the `file_error` saying why it
    /// cannot be read: the OS error, a dangling symlink, not a regular file (a FIFO would
    /// block the read forever). A file the directory walk saw as regular is read without
    /// that look first (one path lookup less per file).
    fn read(
        &self,
        path: &Path,
        display: &str,
        seen_regular: bool,
    ) -> Result<String, Box<Diagnostic>> {
        if let Some(text) = self.overlay.files.get(path) {
            return Ok(text.clone());
        }
        let fail = |error: String| Box::new(rules::file_error(display, &error));
        let checked = if seen_regular {
            Ok(())
        } else {
            Self::check_readable(path)
        };
        checked.map_err(fail)?;
        let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        decode(display, bytes)
    }

    /// Why `path` must not be read: not a regular file, or a dangling symlink.
    fn check_readable(path: &Path) -> Result<(), String> {
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => {
                Err(format!("not a regular file ({})", file_kind(&meta)))
            }
            Err(e) if std::fs::symlink_metadata(path).is_ok() => {
                let to = std::fs::read_link(path).unwrap_or_default();
                Err(format!(
                    "symbolic link to `{}` cannot be followed: {e}",
                    to.display()
                ))
            }
            _ => Ok(()),
        }
    }

    /// A job for each `mod` declaration's file; the findings for those whose file is
    /// missing (unless the `mod` is under `#[cfg]`).
    fn follow_mods<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        job: &FileJob,
        display: &str,
        decls: Vec<ModDecl>,
    ) -> Vec<Diagnostic> {
        let mut missing = Vec::new();
        for decl in decls {
            let found = workspace::module_file(
                &job.path,
                job.is_mod_rs,
                &decl.name,
                decl.path_attribute.as_deref(),
                &decl.inline_parents,
            );
            let (path, is_mod_rs) = match found {
                Ok(found) => found,
                Err(candidates) => {
                    if !decl.cfg_gated {
                        let shown: Vec<String> = candidates
                            .iter()
                            .map(|c| display_path(c, self.base))
                            .collect();
                        let location = decl.location.clone();
                        missing.push(if decl.included {
                            rules::missing_include(display, location, &decl.name, &shown)
                        } else {
                            rules::missing_module(display, location, &decl.name, &shown)
                        });
                    }
                    continue;
                }
            };
            let child = FileJob {
                path,
                module_path: decl.module_path,
                // An included file's `mod`s are the including module's.
                is_mod_rs: if decl.included {
                    job.is_mod_rs
                } else {
                    is_mod_rs
                },
                seen_regular: false,
                ..job.clone()
            };
            self.job_added(&child.program);
            scope.spawn(move |s| self.lint_tree(s, child));
        }
        missing
    }

    /// The file given on stdin (`-`), named by `--stdin-filename`.
    fn lint_stdin(&self, bytes: &[u8], job: FileJob) {
        let display = display_path(&job.path, self.base);
        let bytes = match &self.overlay.stdin {
            Some(text) => text.clone().into_bytes(),
            None => bytes.to_vec(),
        };
        let outcome = match decode(&display, bytes) {
            // stdin's text cannot be read again later: kept
            Ok(text) => self.lint_text(display, text, &job).0,
            Err(error) => FileOutcome::failed(&display, *error, job.target.clone()),
        };
        self.job_done(&job.program, Some(outcome));
    }

    fn lint_text(
        &self,
        display: String,
        text: String,
        job: &FileJob,
    ) -> (FileOutcome, Vec<ModDecl>) {
        let options = SourceOptions {
            module_path: &job.module_path,
            runtime: job.runtime,
            include_tests: job.include_tests,
            // unused suppressions are judged after every phase (`verdict`)
            report_unused_suppressions: false,
            edition: &job.edition,
            local_crates: job
                .target
                .package
                .as_ref()
                .map_or(&[][..], |p| &p.local_crates),
        };
        let linted = lint_source(&display, &text, &options, self.catalog);
        (
            FileOutcome {
                display,
                path: (!job.from_stdin).then(|| job.path.clone()),
                findings: linted.findings,
                crate_findings: Vec::new(),
                // Findings are rendered against the text; the caller frees it if unused.
                text: Some(text),
                target: job.target.clone(),
                facts: FileFacts::default(),
                packed_facts: Some(PackedFacts::pack(linted.facts)),
                suppressions: linted.suppressions,
            },
            linted.mod_decls,
        )
    }

    /// One more job of `program` to wait for.
    fn job_added(&self, program: &Arc<str>) {
        let Ok(mut programs) = self.programs.lock() else {
            return;
        };
        let pending = programs.entry(program.clone()).or_insert_with(|| {
            self.programs_open.fetch_add(1, Ordering::SeqCst);
            PendingProgram::default()
        });
        pending.jobs_left += 1;
    }

    /// A job of `program` is done, with the file's outcome (None: the file was skipped).
    /// After the program's last job, its facts are prepared and its rules run here, while
    /// the other workers lint on; the last program's rules wait to run beside the context
    /// graph (`crate_phase::check_and_place`).
    fn job_done(&self, program: &Arc<str>, outcome: Option<FileOutcome>) {
        let done = {
            let Ok(mut programs) = self.programs.lock() else {
                return;
            };
            let Some(pending) = programs.get_mut(program) else {
                return;
            };
            pending.outcomes.extend(outcome);
            pending.jobs_left -= 1;
            if pending.jobs_left > 0 {
                return;
            }
            programs.remove(program)
        };
        let Some(PendingProgram { mut outcomes, .. }) = done else {
            return;
        };
        let last = self.programs_open.fetch_sub(1, Ordering::SeqCst) == 1;
        outcomes.sort_by_cached_key(|o| (o.display.clone(), o.target.crate_key()));
        let mut files: Vec<&mut FileOutcome> = outcomes.iter_mut().collect();
        crate_phase::prepare_program(&mut files, self.catalog);
        if last {
            if let Ok(mut unchecked) = self.unchecked.lock() {
                unchecked.insert(program.to_string());
            }
        } else {
            crate_phase::check_program(&mut files, self.catalog, self.runtime);
        }
        if let Ok(mut finished) = self.finished.lock() {
            finished.extend(outcomes);
        }
    }
}
