//! `--fix` and `--diff`: apply the report's suggestions, re-lint the fixed texts (in
//! memory, through an overlay) and apply again until nothing changes (a fix inside a
//! fix), then write the files or print a unified diff. A set of fixes that would leave a
//! file that does not parse is never applied (`fix::apply_parsing`). The findings
//! reported afterwards are those of the fixed texts.

use super::run::Overlay;
use crate::cli::LintArgs;
use crate::diagnostic::Diagnostic;
use crate::output::Report;
use crate::{EXIT_FINDINGS, EXIT_OK};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Rounds of fix → re-lint before giving up on reaching a fixed point.
const MAX_ROUNDS: usize = 10;

/// A changed file: where it lives (None: stdin) and its text before any fix.
struct Original {
    path: Option<PathBuf>,
    text: String,
}

/// `--fix` / `--diff`. `relint` lints again with fixed texts overlaid on the files.
/// Returns an exit code when the run ends here (`--diff`, or `--fix` on stdin, which
/// prints the fixed source); otherwise `report` becomes that of the fixed texts.
pub(crate) fn apply_fixes(
    cli: &LintArgs,
    report: &mut Report,
    relint: &dyn Fn(&Overlay) -> Result<Report, String>,
) -> Result<Option<i32>, String> {
    let mut overlay = Overlay::default();
    let mut originals: BTreeMap<String, Original> = BTreeMap::new();
    let mut fixed_count = 0;
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for source in &report.sources {
            let findings: Vec<&Diagnostic> = report
                .diagnostics
                .iter()
                .filter(|d| d.file == source.name)
                .collect();
            let (fixed, applied) =
                crate::fix::apply_parsing(&source.text, &findings, cli.unsafe_fixes);
            if applied.is_empty() || fixed == source.text {
                continue;
            }
            originals
                .entry(source.name.clone())
                .or_insert_with(|| Original {
                    path: source.path.clone(),
                    text: source.text.clone(),
                });
            match &source.path {
                Some(path) => {
                    overlay.files.insert(path.clone(), fixed);
                }
                None => overlay.stdin = Some(fixed),
            }
            fixed_count += applied.len();
            changed = true;
        }
        if !changed {
            break;
        }
        *report = relint(&overlay)?;
    }
    if cli.diff {
        let mut diffs = String::new();
        for (name, original) in &originals {
            let fixed = fixed_text(&overlay, original);
            diffs.push_str(&crate::fix::unified_diff(name, &original.text, fixed));
        }
        print!("{diffs}");
        return Ok(Some(if diffs.is_empty() {
            EXIT_OK
        } else {
            EXIT_FINDINGS
        }));
    }
    for original in originals.values() {
        let fixed = fixed_text(&overlay, original);
        match &original.path {
            Some(path) => std::fs::write(path, fixed)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
            None => {
                print!("{fixed}");
                return Ok(Some(EXIT_OK));
            }
        }
    }
    // stdin with findings but nothing to fix: `--fix` on stdin always prints the source
    if let Some(source) = report.sources.iter().find(|s| s.path.is_none()) {
        print!("{}", source.text);
        return Ok(Some(EXIT_OK));
    }
    if fixed_count > 0 && !cli.quiet {
        eprintln!("fixed {fixed_count} finding(s)");
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

fn fixed_text<'a>(overlay: &'a Overlay, original: &'a Original) -> &'a str {
    let fixed = match &original.path {
        Some(path) => overlay.files.get(path),
        None => overlay.stdin.as_ref(),
    };
    fixed.map_or(&original.text, |text| text)
}
