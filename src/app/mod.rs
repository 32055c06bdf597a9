//! The run: command line → plan (what to lint, with which config) → per-file phase in
//! parallel (`run`) → crate-level phase (`crate_phase`, on the same workers) → levels and
//! suppressions, once, over the findings of both phases (`verdict`) → fixes (`fixes`) →
//! report.

pub(crate) mod analyze;
mod baseline;
pub(crate) mod crate_phase;
mod fixes;
pub(crate) mod plan;
pub(crate) mod run;
pub(crate) mod verdict;

pub use run::SourceOptions;

use crate::cli::{self, Cli, Command, Format, LintArgs, MessageFormat};
use crate::diagnostic::{Diagnostic, Level};
use crate::levels::Levels;
use crate::output::{self, Report, SourceFile};
use crate::rules;
use crate::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use clap::{CommandFactory, FromArgMatches};
use run::FileOutcome;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::Path;
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
        Some(Command::Rules(args)) => {
            let cli_levels = matches
                .subcommand_matches("rules")
                .map(cli::ordered_levels)
                .unwrap_or_default();
            return match plan::effective_levels(args, &cli_levels) {
                Ok(levels) => {
                    print!("{}", output::rules_table(&levels));
                    EXIT_OK
                }
                Err(message) => fail(message),
            };
        }
        Some(Command::Explain { rule }) => return explain(rule),
        Some(Command::Report(args)) => return report_command(args),
        None => {}
    }
    let cli_levels = cli::ordered_levels(&matches);
    match lint(&cli.lint, &cli_levels) {
        Ok(code) => code,
        Err(message) => fail(message),
    }
}

/// `report`: the lint's pipeline up to the judged findings, then the report over the same
/// facts (`crate::report`).
fn report_command(args: &cli::ReportArgs) -> i32 {
    let mut argv = vec![OsString::from("cargo-concurrency-lint")];
    argv.extend(args.lint.iter().cloned());
    let matches = match Cli::command().try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return EXIT_ERROR;
        }
    };
    let Ok(cli) = Cli::from_arg_matches(&matches) else {
        return EXIT_ERROR;
    };
    let run = || -> Result<String, String> {
        let lint = &cli.lint;
        let pool = run::worker_pool(lint.jobs)?;
        let plan = plan::plan(lint, &pool)?;
        let settings = plan::settings(lint, &plan, &cli::ordered_levels(&matches))?;
        let overlay = run::Overlay::default();
        let mut outcomes = run::lint_files(lint, &plan, &settings, &overlay, &pool, true);
        let mut findings = Vec::new();
        for outcome in outcomes.iter_mut() {
            findings.extend(judge(outcome, &settings.levels, false));
        }
        let files: Vec<crate::report::ReportFile> = outcomes
            .iter()
            .map(|o| crate::report::ReportFile {
                krate: o.target.name.clone(),
                is_lib: o.target.kinds.iter().any(|k| k.contains("lib"))
                    || o.target.kinds.is_empty(),
                display: &o.display,
                facts: &o.facts,
            })
            .collect();
        let report = crate::report::build(&files, &findings);
        Ok(match args.format {
            cli::ReportFormat::Human => crate::report::human(&report),
            cli::ReportFormat::Json => crate::report::json(&report),
            cli::ReportFormat::Markdown => crate::report::markdown(&report),
            cli::ReportFormat::Dot => crate::report::dot(&report),
        })
    };
    match run() {
        Ok(text) => match &cli.lint.output {
            Some(path) => std::fs::write(path, text).map_or_else(fail, |_| EXIT_OK),
            None => {
                print!("{text}");
                EXIT_OK
            }
        },
        Err(message) => fail(message),
    }
}

/// `explain RULE`: the rule's documentation.
fn explain(rule: &str) -> i32 {
    match rules::find(rule) {
        Some(info) => {
            println!("{}", info.doc.trim_end());
            println!(
                "\nGroup: {}. Default level: {}.",
                info.group,
                info.default_level.name()
            );
            EXIT_OK
        }
        None => {
            let hint = rules::closest_name(&rules::normalize(rule))
                .filter(|name| rules::find(name).is_some())
                .map(|name| format!("; did you mean `{name}`?"))
                .unwrap_or_default();
            fail(format!(
                "unknown rule `{rule}`{hint} (see `cargo concurrency-lint rules`)"
            ))
        }
    }
}

/// Lint what the command line names and report; returns the exit code.
fn lint(cli: &LintArgs, cli_levels: &[(String, Level)]) -> Result<i32, String> {
    let started = Instant::now();
    let pool = run::worker_pool(cli.jobs)?;
    // All of it on a worker: the main thread has allocated nothing yet, so whatever it
    // allocated would be memory the kernel must zero, while a worker reuses what the
    // lint freed (the sort, the report and the output: bench/README.md).
    pool.install(|| lint_on(cli, cli_levels, &pool, started))
}

fn lint_on(
    cli: &LintArgs,
    cli_levels: &[(String, Level)],
    pool: &rayon::ThreadPool,
    started: Instant,
) -> Result<i32, String> {
    let plan = plan::plan(cli, pool)?;
    let settings = plan::settings(cli, &plan, cli_levels)?;
    if plan.roots.is_empty() && plan.stdin.is_none() && plan.problems.is_empty() {
        return Err("nothing to lint: no Rust files found".into());
    }
    let lint_all = |overlay: &run::Overlay| -> Result<Report, String> {
        let outcomes = run::lint_files(cli, &plan, &settings, overlay, pool, false);
        Ok(report(outcomes, &settings.levels, cli, &plan.base, started))
    };
    let mut report = lint_all(&run::Overlay::default())?;
    if let Some(path) = &cli.write_baseline {
        let count = baseline::write(&report, path)?;
        eprintln!(
            "recorded {count} finding(s) in `{}`; run with `--baseline {}` to report only new ones",
            path.display(),
            path.display()
        );
        return Ok(EXIT_OK);
    }
    if let Some(path) = &cli.baseline {
        report.baselined = Some(baseline::apply(&mut report, path)?);
    }
    if cli.fix || cli.diff {
        let hidden = fixes::unsafe_only(cli, &report);
        if cli.diff && hidden > 0 && !cli.quiet {
            eprintln!("{hidden} fix(es) available with --unsafe-fixes");
        }
        if let Some(code) = fixes::apply_fixes(cli, &mut report, &lint_all)? {
            return Ok(code);
        }
        report.unsafe_fixes_left = fixes::unsafe_only(cli, &report);
    }
    let format = match cli.message_format {
        Some(MessageFormat::Short) => Format::Short,
        Some(MessageFormat::Human) => Format::Human,
        Some(_) => {
            output::write_cargo_json(&report, cli)?;
            return Ok(exit_code(cli, &report));
        }
        None => cli.format,
    };
    output::write(&report, format, cli)?;
    Ok(exit_code(cli, &report))
}

/// The report: each file's findings judged (levels and suppressions), with the texts of
/// the files that have findings, to render against.
fn report(
    outcomes: Vec<FileOutcome>,
    levels: &Levels,
    cli: &LintArgs,
    base: &Path,
    started: Instant,
) -> Report {
    let mut files = 0;
    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    let mut targets = HashMap::new();
    let mut outcomes = outcomes.into_iter().peekable();
    while let Some(mut outcome) = outcomes.next() {
        files += 1;
        let mut judged = judge(&mut outcome, levels, cli.report_unused_suppressions);
        // The other crates' copies of the same file (sorted next to it): one finding each.
        let mut copies = Vec::new();
        while let Some(mut copy) = outcomes.next_if(|o| o.display == outcome.display) {
            copies.push(judge(&mut copy, levels, cli.report_unused_suppressions));
            if outcome.text.is_none() {
                outcome.text = copy.text;
            }
        }
        if !copies.is_empty() {
            copies.insert(0, judged);
            judged = merge_copies(copies);
        }
        if judged.is_empty() {
            continue;
        }
        targets.insert(outcome.display.clone(), outcome.target.clone());
        let text = outcome.text.or_else(|| {
            outcome
                .path
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
        });
        if let Some(text) = text {
            sources.push(SourceFile {
                name: outcome.display.clone(),
                path: outcome.path.clone(),
                text,
            });
        }
        diagnostics.extend(judged);
    }
    Report {
        diagnostics,
        sources,
        files,
        elapsed: started.elapsed(),
        targets,
        base: base.to_path_buf(),
        baselined: None,
        unsafe_fixes_left: 0,
    }
}

/// The findings of several crates' copies of one file (a module file that a package's
/// lib and bin both declare), each copy's findings placed in its own crate: each finding
/// once, as the first copy that reports it has it; an `unused_suppression` only if no copy
/// used the comment.
pub(crate) fn merge_copies(copies: Vec<Vec<Diagnostic>>) -> Vec<Diagnostic> {
    let key = |d: &Diagnostic| {
        (
            d.rule,
            d.primary.byte_start,
            d.primary.byte_end,
            d.message.clone(),
        )
    };
    let unused = |d: &Diagnostic| d.rule == rules::UNUSED_SUPPRESSION;
    let unused_in_every_copy = |d: &Diagnostic| {
        copies.iter().all(|copy| {
            copy.iter()
                .any(|other| unused(other) && key(other) == key(d))
        })
    };
    let mut seen = HashSet::new();
    let mut merged: Vec<Diagnostic> = Vec::new();
    for d in copies.iter().flatten() {
        if (!unused(d) || unused_in_every_copy(d)) && seen.insert(key(d)) {
            merged.push(d.clone());
        }
    }
    merged.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    merged
}

/// Levels and suppressions over one file's findings from both phases (see `verdict`).
fn judge(outcome: &mut FileOutcome, levels: &Levels, report_unused: bool) -> Vec<Diagnostic> {
    let findings = verdict::Findings {
        display: &outcome.display,
        file: std::mem::take(&mut outcome.findings),
        crate_level: std::mem::take(&mut outcome.crate_findings),
        suppressions: &outcome.suppressions,
    };
    verdict::judge(findings, levels, report_unused)
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

/// Lint several source texts as the files of one crate (fixtures, tests): each file's
/// findings plus the crate-level phase, then levels and suppressions. `files` are
/// (display name, module path, text).
pub fn lint_crate_sources(
    files: &[(String, String, String)],
    options: &SourceOptions,
    catalog: &crate::catalog::Catalog,
    levels: &Levels,
) -> Vec<Diagnostic> {
    let mut outcomes: Vec<FileOutcome> = files
        .iter()
        .map(|(display, module_path, text)| {
            let options = SourceOptions {
                module_path,
                ..*options
            };
            let linted = run::lint_source(display, text, &options, catalog);
            FileOutcome::of_source(display, linted)
        })
        .collect();
    crate_phase::crate_phase(&mut outcomes, catalog, Some(options.runtime));
    outcomes
        .iter_mut()
        .flat_map(|outcome| judge(outcome, levels, options.report_unused_suppressions))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Location;

    fn at(byte_start: usize) -> Location {
        Location {
            line: 1,
            column: byte_start + 1,
            end_line: 1,
            end_column: byte_start + 2,
            byte_start,
            byte_end: byte_start + 1,
        }
    }

    fn unused(byte_start: usize) -> Diagnostic {
        rules::unused_suppression("src/a.rs", at(byte_start), "unused".into())
    }

    #[test]
    fn copies_of_a_file_keep_each_finding_once() {
        let error = rules::file_error("src/a.rs", "e");
        let merged = merge_copies(vec![
            vec![error.clone(), unused(3), unused(7)],
            vec![error.clone(), unused(7)],
        ]);
        let kept: Vec<(&str, usize)> = merged
            .iter()
            .map(|d| (d.rule, d.primary.byte_start))
            .collect();
        // The comment at 3 is used by the second copy's findings: not unused.
        assert_eq!(
            kept,
            vec![(error.rule, 0), (rules::UNUSED_SUPPRESSION, 7)],
            "{merged:#?}"
        );
    }
}
