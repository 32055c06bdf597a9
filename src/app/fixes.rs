//! `--fix` and `--diff`: apply the report's suggestions to the files, or print them as a
//! unified diff.

use crate::cli::LintArgs;
use crate::diagnostic::Diagnostic;
use crate::output::Report;
use crate::{EXIT_FINDINGS, EXIT_OK};
use std::collections::HashSet;

/// `--fix` / `--diff`. Returns an exit code when the run ends here (`--diff`, or `--fix`
/// on stdin, which prints the fixed source).
pub(crate) fn apply_fixes(cli: &LintArgs, report: &mut Report) -> Result<Option<i32>, String> {
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

/// How many findings left after `--fix` have a fix that only `--unsafe-fixes` applies (0
/// with `--unsafe-fixes`): the summary says so, as ruff does.
pub(crate) fn unsafe_only(cli: &LintArgs, report: &Report) -> usize {
    if cli.unsafe_fixes {
        return 0;
    }
    report
        .diagnostics
        .iter()
        .filter_map(|d| d.suggestion.as_ref())
        .filter(|s| {
            !crate::fix::is_applicable(s.applicability, false)
                && crate::fix::is_applicable(s.applicability, true)
        })
        .count()
}
