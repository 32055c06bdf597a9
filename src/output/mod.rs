//! Rendering a report: one file per format.

pub mod anchor;
mod cargo;
mod github;
mod human;
mod json;
mod sarif;
mod short;

use crate::cli::{Format, LintArgs as Cli};
use crate::diagnostic::{Diagnostic, Level};
use crate::rules;
use crate::workspace::PackageInfo;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The text of a file with findings, for snippets.
pub struct SourceFile {
    pub name: String,
    /// Where the file is (None for stdin).
    pub path: Option<PathBuf>,
    pub text: String,
}

/// Everything a format needs.
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<SourceFile>,
    pub files: usize,
    pub elapsed: Duration,
    /// The package and target of each file with findings (cargo-style JSON).
    pub targets: HashMap<String, Arc<CargoTarget>>,
    pub base: PathBuf,
    /// With `--baseline`: how many findings the baseline left out.
    pub baselined: Option<usize>,
    /// Set by `--fix`/`--diff` runs: the fixes left for `--unsafe-fixes`, for the summary.
    pub unsafe_fixes_left: usize,
}

/// The Cargo package and target a file was linted as part of.
#[derive(Debug, Clone, Default)]
pub struct CargoTarget {
    pub package: Option<Arc<PackageInfo>>,
    pub name: String,
    pub kinds: Vec<String>,
    pub src_path: PathBuf,
}

impl CargoTarget {
    /// The crate a file of this target is linted as part of (package, target and its
    /// kinds: a package's lib and bin may share a name, and are two crates).
    pub fn crate_key(&self) -> String {
        match &self.package {
            Some(p) => format!("{}#{}:{}", p.id, self.name, self.kinds.join(",")),
            None => String::new(),
        }
    }

    /// For a file linted by PATH: its enclosing package, as if it were the lib target.
    pub fn for_file(package: Option<Arc<PackageInfo>>, file: &std::path::Path) -> CargoTarget {
        CargoTarget {
            name: package
                .as_ref()
                .map(|p| p.name.replace('-', "_"))
                .unwrap_or_default(),
            package,
            kinds: vec!["lib".into()],
            src_path: file.to_path_buf(),
        }
    }
}

impl Report {
    pub fn count(&self, level: Level) -> usize {
        self.diagnostics.iter().filter(|d| d.level == level).count()
    }

    pub fn parse_errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| rules::is_always_on(d.rule))
            .count()
    }

    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.text.as_str())
    }

    /// `N warnings, M errors in F files (T ms)`
    pub fn summary_line(&self) -> String {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let mut line = format!(
            "{}, {} in {} ({} ms)",
            plural(self.count(Level::Warn), "warning"),
            plural(self.count(Level::Deny), "error"),
            plural(self.files, "file"),
            self.elapsed.as_millis()
        );
        if let Some(baselined) = self.baselined {
            line.push_str(&format!("; {baselined} in the baseline not shown"));
        }
        match self.unsafe_fixes_left {
            0 => {}
            1 => line.push_str("; 1 fix available with --unsafe-fixes"),
            n => line.push_str(&format!("; {n} fixes available with --unsafe-fixes")),
        }
        line
    }
}

/// `--color`, else `CARGO_TERM_COLOR` (as cargo reads it), else whether stdout is a
/// terminal (and `NO_COLOR` is unset).
/// The repository the workspace is in: `git rev-parse --show-toplevel` run in `base`,
/// else `base` itself. SARIF and GitHub annotations name files relative to it.
pub fn repository_root(base: &std::path::Path) -> PathBuf {
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(base)
        .stderr(std::process::Stdio::null())
        .output();
    match git {
        Ok(out) if out.status.success() => {
            let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
            PathBuf::from(top)
        }
        _ => base.canonicalize().unwrap_or_else(|_| base.to_path_buf()),
    }
}

/// `..` and `.` removed without touching the file system.
fn lexically_normal(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A finding's file (relative to `base`) relative to the repository `root`, with `/`;
/// unchanged when it is not below the root (or is `<stdin>`).
pub fn repo_relative(base: &std::path::Path, root: &std::path::Path, file: &str) -> String {
    let joined = base.join(file);
    let absolute = joined
        .canonicalize()
        .unwrap_or_else(|_| lexically_normal(&std::path::absolute(&joined).unwrap_or(joined)));
    match absolute.strip_prefix(root) {
        Ok(relative) => relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => file.to_string(),
    }
}

fn use_color(cli: &Cli) -> bool {
    let from_env = std::env::var("CARGO_TERM_COLOR").ok();
    let when = cli
        .color
        .as_deref()
        .or(from_env.as_deref())
        .unwrap_or("auto");
    match when.trim() {
        "always" => true,
        "never" => false,
        _ => {
            cli.output.is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

fn emit(cli: &Cli, bytes: &[u8]) -> Result<(), String> {
    match &cli.output {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|_| stdout.flush())
                .or_else(|e| {
                    // A closed pipe (`| head`) is not an error worth reporting.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| format!("cannot write output: {e}"))
        }
    }
}

pub fn write(report: &Report, format: Format, cli: &Cli) -> Result<(), String> {
    let bytes = match format {
        Format::Human => human::render(report, use_color(cli), cli.quiet),
        Format::Short => short::render(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
    };
    emit(cli, &bytes)?;
    if format == Format::Short && !cli.quiet {
        eprintln!("{}", report.summary_line());
    }
    Ok(())
}

pub fn write_cargo_json(report: &Report, cli: &Cli) -> Result<(), String> {
    emit(cli, &cargo::render(report))
}

/// The table printed by `rules`: each rule's group, default level and the level it has
/// in this run (after the config and `-W/-A/-D`).
pub fn rules_table(levels: &crate::levels::Levels) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<26} {:<13} {:<8} {:<9} {}\n",
        "RULE", "GROUP", "DEFAULT", "LEVEL", "FINDS"
    ));
    for rule in rules::all() {
        let summary = if rule.implemented {
            rule.summary.to_string()
        } else {
            format!("{} (not implemented yet)", rule.summary)
        };
        let (default, effective) = if rules::is_always_on(rule.name) {
            ("error", "error")
        } else {
            (rule.default_level.name(), levels.level(rule.name).name())
        };
        out.push_str(&format!(
            "{:<26} {:<13} {:<8} {:<9} {}\n",
            rule.name, rule.group, default, effective, summary
        ));
    }
    out
}
