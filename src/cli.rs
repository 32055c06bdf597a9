//! Command-line definitions. Also accepts (and ignores) the cargo flags editors pass, so
//! rust-analyzer's `check.overrideCommand` can run us like `cargo check`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cargo concurrency-lint",
    bin_name = "cargo concurrency-lint",
    version,
    about = "Finds Rust code that uses the wrong concurrency model, and says which model fits.",
    long_about = "Finds Rust code that uses the wrong concurrency model — blocking calls and \
CPU-heavy loops on the async executor, block_on inside async code, guards held across \
.await, double locks and lock-order inversions, split read-modify-writes, unbounded or \
detached spawning, unbounded channels, busy waiting — and for every finding says which \
model the work belongs on and how to move it there.\n\nWith no PATH, lints the Cargo \
workspace found from the current directory, selecting packages and targets like `cargo \
check`. With PATHs, lints those files and directories. `cargo concurrency-lint rules` \
lists the rules; a rule may be written `blocking_in_async`, \
`concurrency_lint::blocking_in_async` or `blocking-in-async`.",
    after_help = "Examples:\n  cargo concurrency-lint                      lint the workspace's lib and bin targets\n  cargo concurrency-lint --all-targets -D all  lint tests/examples too, every finding an error\n  cargo concurrency-lint src/handlers.rs      lint one file\n  cargo concurrency-lint explain blocking_in_async\n  cargo concurrency-lint --write-baseline lint-baseline.json   adopt: record today's findings\n  cargo concurrency-lint --baseline lint-baseline.json         then report only new ones\n  cargo concurrency-lint --format sarif -o results.sarif       for GitHub code scanning\n  cargo concurrency-lint server               language server for editors (LSP over stdio)\n\nExit status: 0 no errors, 1 findings at error level (or any with --deny-warnings), 2 usage/config error or nothing to lint.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the full documentation of one rule.
    Explain {
        /// The rule name, e.g. blocking_in_async.
        rule: String,
    },
    /// List all rules with their group, default level and effective level (after the
    /// config and -W/-A/-D).
    Rules(RulesArgs),
    /// Run the language server over stdio (LSP 3.17: diagnostics as files are opened,
    /// edited and saved, quick fixes from the suggestions, hover docs from `explain`). It
    /// reads the same config as the command line.
    Server,
    /// The decision table applied (SPEC §6): for every entry point and async fn, what it
    /// waits on, what blocks, what computes, what it shares, and the model that fits.
    /// Report options come first; the rest are the lint's (`--manifest-path`, PATHs, …).
    Report(ReportArgs),
}

/// `report`'s own options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format: a terminal table, JSON (`schemas/report.schema.json`), a Markdown
    /// page, or a Graphviz call graph colored by verdict.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
    /// The lint's arguments (`--manifest-path`, PATHs, `-W`, …).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "LINT ARGS"
    )]
    pub lint: Vec<std::ffi::OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
    Markdown,
    Dot,
}

/// What decides the effective levels `rules` shows.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Set RULE (or group, or `all`) to warn.
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,
    /// Set RULE (or group, or `all`) to allow (off).
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Set RULE (or group, or `all`) to deny (error).
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,
    /// Config file to use instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore config files.
    #[arg(long)]
    pub no_config: bool,
    /// Path to Cargo.toml (where the config is looked for).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Short,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Short,
    Json,
    #[value(name = "json-diagnostic-short")]
    JsonDiagnosticShort,
    #[value(name = "json-diagnostic-rendered-ansi")]
    JsonDiagnosticRenderedAnsi,
    #[value(name = "json-render-diagnostics")]
    JsonRenderDiagnostics,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint (`-` reads one file from stdin). Default: the workspace.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Package(s) to lint.
    #[arg(
        help_heading = "Package selection (as cargo check)",
        short = 'p',
        long = "package",
        value_name = "SPEC"
    )]
    pub packages: Vec<String>,

    /// Lint all packages in the workspace.
    #[arg(help_heading = "Package selection (as cargo check)", long)]
    pub workspace: bool,

    /// Exclude packages from --workspace (only with --workspace, as in cargo).
    #[arg(
        help_heading = "Package selection (as cargo check)",
        long,
        value_name = "SPEC"
    )]
    pub exclude: Vec<String>,

    /// Lint only the library (with other target flags: also the library).
    #[arg(long, help_heading = "Target selection (as cargo check)")]
    pub lib: bool,

    /// Lint only all binaries.
    #[arg(long, help_heading = "Target selection (as cargo check)")]
    pub bins: bool,

    /// Lint only the named binary (repeatable; globs as in cargo).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Target selection (as cargo check)"
    )]
    pub bin: Vec<String>,

    /// Lint only the targets with `test = true` (lib, bins, integration tests) and their
    /// test code: #[cfg(test)] items and items behind a test-support feature
    /// (#[cfg(feature = "test-util")]: a feature named `test`, `testing`, `*-test-util`, …).
    #[arg(long, help_heading = "Target selection (as cargo check)")]
    pub tests: bool,

    /// Lint only the named integration test (repeatable).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Target selection (as cargo check)"
    )]
    pub test: Vec<String>,

    /// Lint only all examples.
    #[arg(long, help_heading = "Target selection (as cargo check)")]
    pub examples: bool,

    /// Lint only the named example (repeatable).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Target selection (as cargo check)"
    )]
    pub example: Vec<String>,

    /// Lint only the targets with `bench = true` (lib, bins, benches), as benchmarks.
    #[arg(long, help_heading = "Target selection (as cargo check)")]
    pub benches: bool,

    /// Lint only the named benchmark (repeatable).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Target selection (as cargo check)"
    )]
    pub bench: Vec<String>,

    /// Lint all targets (lib, bins, tests, examples, benches) and test code (#[cfg(test)],
    /// #[cfg(feature = "test-util")] and other test-support features).
    #[arg(long, help_heading = "Target selection (as cargo check)")]
    pub all_targets: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Cargo-compatible output (`json` = one compiler-message per line, as cargo check).
    #[arg(long, value_enum, value_name = "FMT")]
    pub message_format: Option<MessageFormat>,

    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Set RULE (or group, or `all`) to warn.
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,

    /// Set RULE (or group, or `all`) to allow (off).
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,

    /// Set RULE (or group, or `all`) to deny (error).
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,

    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Always exit 0 unless there is a usage or config error.
    #[arg(long)]
    pub exit_zero: bool,

    /// Level cap for `blocking_in_async`, `cpu_heavy_in_async` and
    /// `sequential_await_in_loop` findings whose code runs only from the program's `main`
    /// (startup, a CLI's commands): allow (default), warn or deny. Overrides config
    /// `[context] main`.
    #[arg(long, value_name = "LEVEL")]
    pub context_main: Option<String>,

    /// Config file to use instead of discovering one. (A cargo `--config KEY=VALUE` is
    /// accepted and ignored.)
    #[arg(long, value_name = "FILE")]
    pub config: Vec<String>,

    /// Ignore config files.
    #[arg(long)]
    pub no_config: bool,

    /// Name of the file read from stdin (`-`), for messages, config and edition lookup.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Edition when no enclosing package says (PATH mode).
    #[arg(long, default_value = "2021")]
    pub edition: String,

    /// Async runtime for suggestions (overrides Cargo.toml detection and config).
    #[arg(long, value_name = "tokio|async-std|smol")]
    pub runtime: Option<String>,

    /// Number of threads (default: all cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,

    /// Only print findings (no summary line).
    #[arg(short, long)]
    pub quiet: bool,

    /// Print the files being linted and other progress to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Color: auto, always, never [default: auto; or $CARGO_TERM_COLOR]. Auto colors a
    /// terminal unless NO_COLOR is set.
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"])]
    pub color: Option<String>,

    /// Apply machine-applicable suggestions in place (stdin: print the fixed source).
    #[arg(long)]
    pub fix: bool,

    /// Print the suggested fixes as a unified diff instead of applying them.
    #[arg(long)]
    pub diff: bool,

    /// With --fix/--diff, also apply suggestions that may need review (maybe-incorrect).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Report only the findings not recorded in FILE (written by --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in FILE (matched later by rule, file, enclosing item
    /// and line text, not line numbers) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Report suppression comments that suppress nothing.
    #[arg(long)]
    pub report_unused_suppressions: bool,

    // ---- cargo flags editors pass; accepted and ignored ----
    #[arg(long, hide = true)]
    pub all_features: bool,
    #[arg(long, hide = true, num_args = 1)]
    pub features: Vec<String>,
    #[arg(short = 'F', hide = true, num_args = 1)]
    pub features_short: Vec<String>,
    #[arg(long, hide = true)]
    pub no_default_features: bool,
    #[arg(long, hide = true)]
    pub target: Vec<String>,
    #[arg(long, hide = true)]
    pub target_dir: Option<PathBuf>,
    #[arg(long, hide = true)]
    pub keep_going: bool,
    #[arg(long, hide = true)]
    pub locked: bool,
    #[arg(long, hide = true)]
    pub offline: bool,
    #[arg(long, hide = true)]
    pub frozen: bool,
}

/// Levels given on the command line, in the order given (later wins).
pub fn ordered_levels(matches: &clap::ArgMatches) -> Vec<(String, crate::diagnostic::Level)> {
    use crate::diagnostic::Level;
    let mut levels: Vec<(usize, String, Level)> = Vec::new();
    for (id, level) in [
        ("warn", Level::Warn),
        ("allow", Level::Allow),
        ("deny", Level::Deny),
    ] {
        if let (Some(values), Some(indices)) =
            (matches.get_many::<String>(id), matches.indices_of(id))
        {
            for (value, index) in values.zip(indices) {
                levels.push((index, value.clone(), level));
            }
        }
    }
    levels.sort_by_key(|(index, _, _)| *index);
    levels
        .into_iter()
        .map(|(_, name, level)| (name, level))
        .collect()
}
