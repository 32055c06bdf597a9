//! The run: command line → plan (what to lint, with which config) → parallel lint → levels
//! and suppressions → report.

pub mod analyze;

use crate::catalog::{Catalog, Runtime};
use crate::cli::{self, Cli, Command, Format, LintArgs, MessageFormat};
use crate::config::{self, Config};
use crate::diagnostic::{Diagnostic, Level};
use crate::levels::Levels;
use crate::output::{self, CargoTarget, Report, SourceFile};
use crate::rules;
use crate::semantic::walker::FileContext;
use crate::suppress;
use crate::workspace::{self, LintRoot, ManifestCache, PackageInfo, TargetSelection};
use crate::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use clap::{CommandFactory, FromArgMatches};
use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

pub fn main(args: Vec<OsString>) -> i32 {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return EXIT_ERROR;
        }
    };
    match &cli.command {
        Some(Command::Server) => return crate::server::run(),
        Some(Command::Rules) => {
            print!("{}", output::rules_table());
            return EXIT_OK;
        }
        Some(Command::Explain { rule }) => {
            return match rules::find(rule) {
                Some(info) => {
                    println!("{}", info.doc.trim_end());
                    println!(
                        "\nGroup: {}. Default level: {}.",
                        info.group,
                        info.default_level.name()
                    );
                    EXIT_OK
                }
                None => fail(format!(
                    "unknown rule `{rule}` (see `cargo concurrency-lint rules`)"
                )),
            };
        }
        None => {}
    }
    let cli_levels = cli::ordered_levels(&matches);
    match lint(&cli.lint, &cli_levels) {
        Ok(code) => code,
        Err(message) => fail(message),
    }
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
}

/// What a worker hands back for one file.
struct FileOutcome {
    display: String,
    /// The file on disk (None for stdin).
    path: Option<PathBuf>,
    diagnostics: Vec<Diagnostic>,
    /// The text, kept only when there is something to render against it.
    text: Option<String>,
    target: Arc<CargoTarget>,
    facts: crate::program::FileFacts,
    comments: Vec<suppress::SuppressionComment>,
    extents: Vec<crate::semantic::walker::ItemExtent>,
}

impl FileOutcome {
    fn failed(display: &str, diagnostic: Diagnostic, target: Arc<CargoTarget>) -> FileOutcome {
        FileOutcome {
            display: display.to_string(),
            path: None,
            diagnostics: vec![diagnostic],
            text: None,
            target,
            facts: Default::default(),
            comments: Vec::new(),
            extents: Vec::new(),
        }
    }

    /// The crate this file was linted as part of (package and target).
    fn crate_key(&self) -> String {
        match &self.target.package {
            Some(p) => format!("{}#{}", p.id, self.target.name),
            None => String::new(),
        }
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

struct Plan {
    /// Paths in findings are shown relative to this.
    base: PathBuf,
    roots: Vec<LintRoot>,
    stdin: Option<(Vec<u8>, PathBuf)>,
    config: Config,
}

fn config_file_argument(cli: &LintArgs) -> Option<PathBuf> {
    // cargo's `--config KEY=VALUE` is accepted and ignored; a path is our config file.
    cli.config
        .iter()
        .rev()
        .find(|value| !value.contains('='))
        .map(PathBuf::from)
}

fn load_config(cli: &LintArgs, start: &Path, manifest: Option<&Path>) -> Result<Config, String> {
    if cli.no_config {
        return Ok(Config::default());
    }
    let result = match config_file_argument(cli) {
        Some(file) => config::load_file(&file),
        None => config::discover(start, manifest),
    };
    result.map_err(|e| e.to_string())
}

fn plan(cli: &LintArgs) -> Result<Plan, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read current directory: {e}"))?;
    if cli.paths.is_empty() {
        let selection = TargetSelection {
            tests: cli.tests,
            examples: cli.examples,
            benches: cli.benches,
            all_targets: cli.all_targets,
            packages: cli.packages.clone(),
            workspace: cli.workspace,
            exclude: cli.exclude.clone(),
        };
        let ws = workspace::discover(cli.manifest_path.as_deref(), &selection)?;
        let config = load_config(cli, &ws.root, Some(&ws.root_manifest))?;
        return Ok(Plan {
            base: ws.root,
            roots: ws.roots,
            stdin: None,
            config,
        });
    }
    let mut manifests = ManifestCache::default();
    let mut roots = Vec::new();
    let mut stdin = None;
    for path in &cli.paths {
        if path.as_os_str() == "-" {
            let name = cli
                .stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from("<stdin>"));
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            stdin = Some((bytes, name));
            continue;
        }
        if !path.exists() {
            return Err(format!("no such file or directory: `{}`", path.display()));
        }
        for file in workspace::files_below(path) {
            let package = manifests.package_for(&file);
            roots.push(LintRoot {
                module_path: workspace::guess_module_path(&file),
                path: file,
                follow_mods: false,
                include_tests: true,
                package,
                target_name: String::new(),
                target_kinds: Vec::new(),
            });
        }
    }
    let first = cli
        .paths
        .iter()
        .find(|p| p.as_os_str() != "-")
        .cloned()
        .or_else(|| cli.stdin_filename.clone())
        .unwrap_or_else(|| cwd.clone());
    let first_abs = std::path::absolute(&first).unwrap_or(first);
    let start = if first_abs.is_dir() {
        first_abs.clone()
    } else {
        first_abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(cwd.clone())
    };
    let manifest = manifests.package_for(&first_abs).map(|p| p.manifest_path);
    let config = load_config(cli, &start, manifest.as_deref())?;
    Ok(Plan {
        base: cwd,
        roots,
        stdin,
        config,
    })
}

/// An absolute path with `.` and `..` folded away (without touching the file system).
fn normalized(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn display_path(path: &Path, base: &Path) -> String {
    let absolute = normalized(path);
    let shown = absolute.strip_prefix(base).unwrap_or(path);
    let text = shown.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(String::from).unwrap_or(text)
}

struct Linter<'a> {
    catalog: &'a Catalog,
    levels: &'a Levels,
    base: &'a Path,
    exclude: Option<(globset::GlobSet, PathBuf)>,
    seen: Mutex<HashSet<PathBuf>>,
    outcomes: Mutex<Vec<FileOutcome>>,
    verbose: bool,
    report_unused_suppressions: bool,
}

impl Linter<'_> {
    fn excluded(&self, path: &Path) -> bool {
        let Some((set, dir)) = &self.exclude else {
            return false;
        };
        let absolute = normalized(path);
        let relative = absolute.strip_prefix(dir).unwrap_or(&absolute);
        set.is_match(relative)
    }

    fn lint_tree<'s>(&'s self, scope: &rayon::Scope<'s>, job: FileJob) {
        // Module trees can reach one file twice (`#[path]`, lib + bin): dedupe by its real
        // path. PATH mode lists each file once already; a cheap lexical key does.
        let key = if job.follow_mods {
            std::fs::canonicalize(&job.path).unwrap_or_else(|_| job.path.clone())
        } else {
            normalized(&job.path)
        };
        if !self.seen.lock().map(|mut s| s.insert(key)).unwrap_or(false) {
            return;
        }
        if self.excluded(&job.path) {
            return;
        }
        let display = display_path(&job.path, self.base);
        if self.verbose {
            eprintln!("linting {display}");
        }
        let bytes = match std::fs::read(&job.path) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.push(FileOutcome::failed(
                    &display,
                    rules::file_error(&display, &e.to_string()),
                    job.target.clone(),
                ));
                return;
            }
        };
        let text = match decode(&display, bytes) {
            Ok(text) => text,
            Err(error) => {
                self.push(FileOutcome::failed(&display, *error, job.target.clone()));
                return;
            }
        };
        let (outcome, mod_decls) = self.lint_text(display, text, &job);
        self.push(outcome);
        if !job.follow_mods {
            return;
        }
        for decl in mod_decls {
            let Some((path, is_mod_rs)) = workspace::module_file(
                &job.path,
                job.is_mod_rs,
                &decl.name,
                decl.path_attribute.as_deref(),
                &decl.inline_parents,
            ) else {
                continue;
            };
            let child = FileJob {
                path,
                module_path: decl.module_path,
                is_mod_rs,
                ..job.clone()
            };
            scope.spawn(move |s| self.lint_tree(s, child));
        }
    }

    fn lint_text(
        &self,
        display: String,
        text: String,
        job: &FileJob,
    ) -> (FileOutcome, Vec<crate::semantic::walker::ModDecl>) {
        let options = SourceOptions {
            module_path: &job.module_path,
            runtime: job.runtime,
            include_tests: job.include_tests,
            report_unused_suppressions: self.report_unused_suppressions,
            edition: &job.edition,
        };
        let linted = lint_source_with(&display, &text, &options, self.catalog, self.levels);
        let keep_text = !linted.diagnostics.is_empty();
        (
            FileOutcome {
                display,
                path: (!job.from_stdin).then(|| job.path.clone()),
                diagnostics: linted.diagnostics,
                text: keep_text.then_some(text),
                target: job.target.clone(),
                facts: linted.facts,
                comments: linted.comments,
                extents: linted.extents,
            },
            linted.mod_decls,
        )
    }

    fn push(&self, outcome: FileOutcome) {
        if let Ok(mut outcomes) = self.outcomes.lock() {
            outcomes.push(outcome);
        }
    }
}

fn lint(cli: &LintArgs, cli_levels: &[(String, Level)]) -> Result<i32, String> {
    let started = Instant::now();
    let plan = plan(cli)?;
    let mut catalog = Catalog::builtin()?;
    let config_place = plan
        .config
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for extra in plan.config.extra_blocking.iter().cloned() {
        catalog.add_function(extra, &config_place)?;
    }
    for wrapper in &plan.config.extra_wrappers {
        catalog.add_wrapper(wrapper.clone());
    }
    for path in &plan.config.not_blocking {
        catalog.add_not_blocking(path.clone());
    }
    let mut levels = Levels::default();
    for (selector, level) in &plan.config.levels {
        levels.set(selector, *level);
    }
    for (selector, level) in cli_levels {
        if !levels.set(selector, *level) {
            return Err(format!(
                "unknown rule or group `{selector}` (see `cargo concurrency-lint rules`)"
            ));
        }
    }
    let runtime_override = match &cli.runtime {
        Some(name) => Some(Runtime::parse(name).ok_or_else(|| {
            format!("unknown runtime `{name}`: expected tokio, async-std or smol")
        })?),
        None => plan.config.runtime,
    };
    let exclude = if plan.config.exclude.is_empty() {
        None
    } else {
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in &plan.config.exclude {
            builder.add(globset::Glob::new(pattern).map_err(|e| e.to_string())?);
        }
        let dir = plan
            .config
            .source
            .as_ref()
            .and_then(|p| p.parent())
            .and_then(|p| std::path::absolute(p).ok())
            .unwrap_or_else(|| plan.base.clone());
        Some((builder.build().map_err(|e| e.to_string())?, dir))
    };
    if plan.roots.is_empty() && plan.stdin.is_none() {
        return Err("nothing to lint: no Rust files found".into());
    }
    let runtime_of = |package: Option<&PackageInfo>| {
        runtime_override
            .or(package.map(|p| p.runtime))
            .unwrap_or(Runtime::Tokio)
    };
    let linter = Linter {
        catalog: &catalog,
        levels: &levels,
        base: &plan.base,
        exclude,
        seen: Mutex::new(HashSet::new()),
        outcomes: Mutex::new(Vec::new()),
        verbose: cli.verbose,
        report_unused_suppressions: cli.report_unused_suppressions,
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = cli.jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    let pool = builder
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    pool.scope(|scope| {
        for root in &plan.roots {
            let job = FileJob {
                path: root.path.clone(),
                module_path: root.module_path.clone(),
                is_mod_rs: root.follow_mods || workspace::is_mod_rs(&root.path),
                follow_mods: root.follow_mods,
                include_tests: root.include_tests,
                runtime: runtime_of(root.package.as_ref()),
                target: Arc::new(if root.target_kinds.is_empty() {
                    CargoTarget::for_file(root.package.clone(), &root.path)
                } else {
                    CargoTarget {
                        package: root.package.clone(),
                        name: root.target_name.clone(),
                        kinds: root.target_kinds.clone(),
                        src_path: root.path.clone(),
                    }
                }),
                from_stdin: false,
                edition: root
                    .package
                    .as_ref()
                    .map_or_else(|| cli.edition.clone(), |p| p.edition.clone()),
            };
            let linter = &linter;
            scope.spawn(move |s| linter.lint_tree(s, job));
        }
    });
    if let Some((bytes, name)) = &plan.stdin {
        let package = ManifestCache::default().package_for(name);
        let job = FileJob {
            path: name.clone(),
            module_path: workspace::guess_module_path(name),
            is_mod_rs: false,
            follow_mods: false,
            include_tests: true,
            runtime: runtime_of(package.as_ref()),
            edition: package
                .as_ref()
                .map_or_else(|| cli.edition.clone(), |p| p.edition.clone()),
            target: Arc::new(CargoTarget::for_file(package, name)),
            from_stdin: true,
        };
        let display = display_path(name, &plan.base);
        match decode(&display, bytes.clone()) {
            Ok(text) => {
                let (outcome, _) = linter.lint_text(display, text, &job);
                linter.push(outcome);
            }
            Err(error) => linter.push(FileOutcome::failed(&display, *error, job.target.clone())),
        }
    }
    let mut outcomes = linter.outcomes.into_inner().unwrap_or_default();
    outcomes.sort_by(|a, b| a.display.cmp(&b.display));
    crate_phase(&mut outcomes, &levels, &catalog, runtime_override);
    let files = outcomes.len();
    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    let mut targets = std::collections::HashMap::new();
    for outcome in outcomes {
        if !outcome.diagnostics.is_empty() {
            targets.insert(outcome.display.clone(), outcome.target.clone());
        }
        if let Some(text) = outcome.text {
            sources.push(SourceFile {
                name: outcome.display.clone(),
                path: outcome.path.clone(),
                text,
            });
        }
        diagnostics.extend(outcome.diagnostics);
    }
    let mut report = Report {
        diagnostics,
        sources,
        files,
        elapsed: started.elapsed(),
        targets,
        base: plan.base.clone(),
    };
    if cli.fix || cli.diff {
        if let Some(code) = apply_fixes(cli, &mut report)? {
            return Ok(code);
        }
    }
    let format = match cli.message_format {
        Some(MessageFormat::Short) => Format::Short,
        Some(MessageFormat::Human) => Format::Human,
        Some(_) => return render_cargo(cli, &report),
        None => cli.format,
    };
    output::write(&report, format, cli)?;
    Ok(exit_code(cli, &report))
}

fn render_cargo(cli: &LintArgs, report: &Report) -> Result<i32, String> {
    output::write_cargo_json(report, cli)?;
    Ok(exit_code(cli, report))
}

fn exit_code(cli: &LintArgs, report: &Report) -> i32 {
    if cli.exit_zero {
        return EXIT_OK;
    }
    let errors = report.diagnostics.iter().any(|d| d.level == Level::Deny);
    let warnings = report.diagnostics.iter().any(|d| d.level == Level::Warn);
    if errors || (cli.deny_warnings && warnings) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// How to lint one source text.
#[derive(Clone, Copy)]
pub struct SourceOptions<'a> {
    pub module_path: &'a str,
    pub runtime: Runtime,
    pub include_tests: bool,
    /// Also report suppression comments that suppress nothing.
    pub report_unused_suppressions: bool,
    pub edition: &'a str,
}

/// One file's results: findings after levels and suppressions, plus what the crate-level
/// phase needs (facts, and the suppressions to apply to its findings).
pub struct LintedSource {
    pub diagnostics: Vec<Diagnostic>,
    pub mod_decls: Vec<crate::semantic::walker::ModDecl>,
    pub facts: crate::program::FileFacts,
    pub comments: Vec<suppress::SuppressionComment>,
    pub extents: Vec<crate::semantic::walker::ItemExtent>,
}

/// Apply levels and suppressions to a finding; None when it is off or suppressed.
pub fn admit(
    mut d: Diagnostic,
    levels: &Levels,
    comments: &[suppress::SuppressionComment],
    extents: &[crate::semantic::walker::ItemExtent],
) -> Option<Diagnostic> {
    let level = levels.level(d.rule);
    if level == Level::Allow
        || (!rules::is_always_on(d.rule) && suppress::is_suppressed(&d, comments, extents))
    {
        return None;
    }
    d.level = level;
    Some(d)
}

/// Lint one file's text.
pub fn lint_source_with(
    display: &str,
    text: &str,
    options: &SourceOptions,
    catalog: &Catalog,
    levels: &Levels,
) -> LintedSource {
    let cx = FileContext {
        file: display,
        text,
        runtime: options.runtime,
        catalog,
        include_tests: options.include_tests,
        edition: options.edition,
    };
    let analysis = analyze::analyze(&cx, options.module_path);
    let comments = suppress::comments(text);
    let all_findings = if options.report_unused_suppressions {
        analysis.diagnostics.clone()
    } else {
        Vec::new()
    };
    let mut diagnostics: Vec<Diagnostic> = analysis
        .diagnostics
        .into_iter()
        .filter_map(|d| admit(d, levels, &comments, &analysis.item_extents))
        .collect();
    if options.report_unused_suppressions && levels.level(rules::UNUSED_SUPPRESSION) != Level::Allow
    {
        let enabled: Vec<Diagnostic> = all_findings
            .into_iter()
            .filter(|d| levels.level(d.rule) != Level::Allow)
            .collect();
        let exists = |name: &str| rules::find(name).is_some();
        for (comment, message) in
            suppress::unused(&comments, &enabled, &analysis.item_extents, &exists)
        {
            let mut d = rules::unused_suppression(display, comment.location.clone(), message);
            d.level = levels.level(d.rule);
            diagnostics.push(d);
        }
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    LintedSource {
        diagnostics,
        mod_decls: analysis.mod_decls,
        facts: analysis.facts,
        comments,
        extents: analysis.item_extents,
    }
}

/// Lint several source texts as the files of one crate (fixtures, tests): each file's
/// findings plus the crate-level phase. `files` are (display name, module path, text).
pub fn lint_crate_sources(
    files: &[(String, String, String)],
    options: &SourceOptions,
    catalog: &Catalog,
    levels: &Levels,
) -> Vec<Diagnostic> {
    let mut outcomes: Vec<FileOutcome> = files
        .iter()
        .map(|(display, module_path, text)| {
            let options = SourceOptions {
                module_path,
                ..*options
            };
            let linted = lint_source_with(display, text, &options, catalog, levels);
            FileOutcome {
                display: display.clone(),
                path: None,
                diagnostics: linted.diagnostics,
                text: None,
                target: Arc::new(CargoTarget::default()),
                facts: linted.facts,
                comments: linted.comments,
                extents: linted.extents,
            }
        })
        .collect();
    crate_phase(&mut outcomes, levels, catalog, Some(options.runtime));
    outcomes.into_iter().flat_map(|o| o.diagnostics).collect()
}

/// The crate-level phase: rules that need every file of a crate (call chains, lock order)
/// run on the files' plain facts; their findings get the file's levels and suppressions.
fn crate_phase(
    outcomes: &mut [FileOutcome],
    levels: &Levels,
    catalog: &Catalog,
    runtime: Option<Runtime>,
) {
    let mut crates: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
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
        let found = rules::crate_findings(&files, catalog, runtime);
        for d in found {
            let Some(&index) = members.iter().find(|&&i| outcomes[i].display == d.file) else {
                continue;
            };
            let outcome = &mut outcomes[index];
            if let Some(d) = admit(d, levels, &outcome.comments, &outcome.extents) {
                outcome.diagnostics.push(d);
                if outcome.text.is_none() {
                    outcome.text = outcome
                        .path
                        .as_ref()
                        .and_then(|p| std::fs::read_to_string(p).ok());
                }
            }
        }
        for &index in members {
            outcomes[index]
                .diagnostics
                .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        }
    }
}
/// `--fix` / `--diff`. Returns an exit code when the run ends here (`--diff`, or `--fix`
/// on stdin, which prints the fixed source).
fn apply_fixes(cli: &LintArgs, report: &mut Report) -> Result<Option<i32>, String> {
    let mut diffs = String::new();
    let mut fixed_keys = HashSet::new();
    for source in &report.sources {
        let findings: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.file == source.name)
            .collect();
        let (fixed, applied) = crate::fix::apply(&source.text, &findings, cli.unsafe_fixes);
        if cli.diff {
            diffs.push_str(&crate::fix::unified_diff(
                &source.name,
                &source.text,
                &fixed,
            ));
            continue;
        }
        match &source.path {
            Some(path) => {
                if applied.is_empty() {
                    continue;
                }
                std::fs::write(path, &fixed)
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            }
            None => {
                print!("{fixed}");
                return Ok(Some(EXIT_OK));
            }
        }
        for index in applied {
            let d = findings[index];
            fixed_keys.insert((d.file.clone(), d.primary.byte_start, d.rule));
        }
    }
    if cli.diff {
        print!("{diffs}");
        return Ok(Some(if diffs.is_empty() {
            EXIT_OK
        } else {
            EXIT_FINDINGS
        }));
    }
    if !fixed_keys.is_empty() {
        report
            .diagnostics
            .retain(|d| !fixed_keys.contains(&(d.file.clone(), d.primary.byte_start, d.rule)));
        if !cli.quiet {
            eprintln!("fixed {} finding(s)", fixed_keys.len());
        }
    }
    Ok(None)
}
