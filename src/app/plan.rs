//! What to lint and with which settings: the files (a Cargo workspace's selected targets,
//! or PATH arguments and stdin), the config file, and what it adds to the built-in
//! catalogs, levels, runtime and exclusions.

use crate::catalog::sources::Sources;
use crate::catalog::{Catalog, Runtime};
use crate::cli::LintArgs;
use crate::config::{self, Config};
use crate::diagnostic::Level;
use crate::levels::Levels;
use crate::workspace::{self, LintRoot, ManifestCache, TargetSelection};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The files to lint and the config that applies to them.
pub(crate) struct Plan {
    /// Paths in findings are shown relative to this.
    pub(crate) base: PathBuf,
    pub(crate) roots: Vec<LintRoot>,
    /// The text read from stdin (`-`) and the name it goes by.
    pub(crate) stdin: Option<(Vec<u8>, PathBuf)>,
    pub(crate) config: Config,
    /// Paths that could not be walked, with the error: each becomes a `file_error`.
    pub(crate) problems: Vec<(PathBuf, String)>,
}

/// `config` and the command line resolved into what the run uses.
pub(crate) struct Settings {
    pub(crate) catalog: Catalog,
    pub(crate) levels: Levels,
    /// `--runtime` or the config's `runtime`; None: each package's detected runtime.
    pub(crate) runtime: Option<Runtime>,
    /// The config's `exclude` globs and the directory they are relative to.
    pub(crate) exclude: Option<(globset::GlobSet, PathBuf)>,
}

impl Settings {
    /// As the command line builds them from a config, with no command-line flags (the
    /// language server).
    pub(crate) fn from_config(config: &Config, base: &Path) -> Result<Settings, String> {
        Ok(Settings {
            catalog: catalog(config)?,
            levels: levels(config, &[])?,
            runtime: config.runtime,
            exclude: exclude(config, base)?,
        })
    }

    /// The built-in catalog and default levels (a config that does not load).
    pub(crate) fn defaults() -> Settings {
        Settings {
            catalog: Catalog::builtin().unwrap_or_default(),
            levels: Levels::default(),
            runtime: None,
            exclude: None,
        }
    }

    /// Whether the config's `exclude` globs cover a path.
    pub(crate) fn excluded(&self, path: &Path) -> bool {
        let Some((set, dir)) = &self.exclude else {
            return false;
        };
        set.is_match(path.strip_prefix(dir).unwrap_or(path))
    }
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

/// What to lint: the workspace's selected targets, or the PATH arguments (discovered on
/// the threads of `pool`).
pub(crate) fn plan(cli: &LintArgs, pool: &rayon::ThreadPool) -> Result<Plan, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read current directory: {e}"))?;
    if cli.paths.is_empty() {
        plan_workspace(cli)
    } else {
        plan_paths(cli, cwd, pool)
    }
}

/// No PATH: the Cargo workspace's packages and targets, selected as cargo would.
fn plan_workspace(cli: &LintArgs) -> Result<Plan, String> {
    let selection = TargetSelection {
        lib: cli.lib,
        bins: cli.bins,
        bin: cli.bin.clone(),
        tests: cli.tests,
        test: cli.test.clone(),
        examples: cli.examples,
        example: cli.example.clone(),
        benches: cli.benches,
        bench: cli.bench.clone(),
        all_targets: cli.all_targets,
        packages: cli.packages.clone(),
        workspace: cli.workspace,
        exclude: cli.exclude.clone(),
    };
    let ws = workspace::discover(cli.manifest_path.as_deref(), &selection)?;
    let config = load_config(cli, &ws.root, Some(&ws.root_manifest))?;
    Ok(Plan {
        base: ws.root,
        roots: ws.roots,
        stdin: None,
        config,
        problems: Vec::new(),
    })
}

/// PATH arguments: every `.rs` file below them (and stdin for `-`), each PATH walked on
/// its own thread; the config is found from the first PATH.
fn plan_paths(cli: &LintArgs, cwd: PathBuf, pool: &rayon::ThreadPool) -> Result<Plan, String> {
    let mut stdin = None;
    for path in &cli.paths {
        if path.as_os_str() == "-" {
            stdin = Some(read_stdin(cli)?);
            continue;
        }
        // Only a path that does not exist at all is a usage error; one that exists but
        // cannot be read (permissions, a symlink loop, a dangling symlink) is reported as
        // a `file_error` with the OS error when its read fails.
        if let Err(e) = std::fs::symlink_metadata(path) {
            if e.kind() == std::io::ErrorKind::NotFound {
                return Err(format!("no such file or directory: `{}`", path.display()));
            }
        }
    }
    let walks: Vec<PathWalk> = pool.install(|| {
        let paths = cli.paths.par_iter().filter(|p| p.as_os_str() != "-");
        paths.map(|path| walk_path(path)).collect()
    });
    // Sized up front: a vector grown by doubling lands on fresh memory at every step.
    let mut roots = Vec::with_capacity(walks.iter().map(|w| w.roots.len()).sum());
    let mut problems = Vec::new();
    for walk in walks {
        roots.extend(walk.roots);
        problems.extend(walk.problems);
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
    let manifest = ManifestCache::default()
        .package_for(&first_abs)
        .map(|p| p.manifest_path.clone());
    let config = load_config(cli, &start, manifest.as_deref())?;
    Ok(Plan {
        base: cwd,
        roots,
        stdin,
        config,
        problems,
    })
}

/// What one PATH holds.
struct PathWalk {
    /// Its `.rs` files, each with its package.
    roots: Vec<LintRoot>,
    /// What could not be walked, with the OS error.
    problems: Vec<(PathBuf, String)>,
}

fn walk_path(path: &Path) -> PathWalk {
    let mut manifests = ManifestCache::default();
    let (files, problems) = workspace::files_below(path);
    let roots = files
        .into_iter()
        .map(|file| LintRoot {
            module_path: workspace::guess_module_path(&file.path),
            package: manifests.package_for(&file.path),
            seen_regular: file.regular,
            path: file.path,
            follow_mods: false,
            include_tests: true,
            target_name: String::new(),
            target_kinds: Vec::new(),
        })
        .collect();
    PathWalk { roots, problems }
}

fn read_stdin(cli: &LintArgs) -> Result<(Vec<u8>, PathBuf), String> {
    let name = cli
        .stdin_filename
        .clone()
        .unwrap_or_else(|| PathBuf::from("<stdin>"));
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok((bytes, name))
}

/// The catalogs, levels, runtime and exclusions of the run: built-ins, then the config,
/// then the command line.
pub(crate) fn settings(
    cli: &LintArgs,
    plan: &Plan,
    cli_levels: &[(String, Level)],
) -> Result<Settings, String> {
    Ok(Settings {
        catalog: catalog(&plan.config)?,
        levels: {
            let mut levels = levels(&plan.config, cli_levels)?;
            if let Some(text) = &cli.context_main {
                levels.context_main = Level::parse(text).ok_or_else(|| {
                    format!(
                        "unknown level `{text}` for --context-main: expected allow, warn or deny"
                    )
                })?;
            }
            levels
        },
        runtime: runtime(cli, &plan.config)?,
        exclude: exclude(&plan.config, &plan.base)?,
    })
}

/// The built-in catalog extended by the config.
fn catalog(config: &Config) -> Result<Catalog, String> {
    let mut sources = Sources::builtin()?;
    for (name, table) in &config.catalogs {
        sources.extend(name, table.clone())?;
    }
    let mut catalog = Catalog::load(&sources)?;
    let config_place = config
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for extra in config.extra_blocking.iter().cloned() {
        catalog.add_function(extra, &config_place)?;
    }
    for wrapper in &config.extra_wrappers {
        catalog.add_wrapper(wrapper.clone());
    }
    for path in &config.not_blocking {
        catalog.add_not_blocking(path.clone());
    }
    catalog.set_options(config.options);
    Ok(catalog)
}

/// The levels `rules` shows: the config found from the current directory (or
/// `--manifest-path`, `--config`), then `-W/-A/-D`.
pub(crate) fn effective_levels(
    args: &crate::cli::RulesArgs,
    cli_levels: &[(String, Level)],
) -> Result<Levels, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read current directory: {e}"))?;
    let manifest = match &args.manifest_path {
        Some(path) => Some(path.clone()),
        None => cwd
            .ancestors()
            .map(|dir| dir.join("Cargo.toml"))
            .find(|m| m.is_file()),
    };
    let start = manifest
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or(cwd);
    let config = if args.no_config {
        Config::default()
    } else if let Some(file) = &args.config {
        config::load_file(file).map_err(|e| e.to_string())?
    } else {
        config::discover(&start, manifest.as_deref()).map_err(|e| e.to_string())?
    };
    levels(&config, cli_levels)
}

/// Default levels, then the config's `[rules]`, then `-W/-A/-D` in order.
fn levels(config: &Config, cli_levels: &[(String, Level)]) -> Result<Levels, String> {
    let mut levels = Levels::default();
    for (selector, level) in config.levels.iter().chain(cli_levels) {
        levels.set(selector, *level)?;
    }
    if let Some(level) = config.context_main {
        levels.context_main = level;
    }
    Ok(levels)
}

fn runtime(cli: &LintArgs, config: &Config) -> Result<Option<Runtime>, String> {
    match &cli.runtime {
        Some(name) => Runtime::parse(name)
            .map(Some)
            .ok_or_else(|| format!("unknown runtime `{name}`: expected tokio, async-std or smol")),
        None => Ok(config.runtime),
    }
}

/// The config's `exclude` globs, relative to the config file's directory.
fn exclude(config: &Config, base: &Path) -> Result<Option<(globset::GlobSet, PathBuf)>, String> {
    if config.exclude.is_empty() {
        return Ok(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in &config.exclude {
        builder.add(globset::Glob::new(pattern).map_err(|e| e.to_string())?);
    }
    let dir = config
        .source
        .as_ref()
        .and_then(|p| p.parent())
        .and_then(|p| std::path::absolute(p).ok())
        .unwrap_or_else(|| base.to_path_buf());
    Ok(Some((builder.build().map_err(|e| e.to_string())?, dir)))
}
