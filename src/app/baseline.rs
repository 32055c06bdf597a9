//! `--baseline FILE` / `--write-baseline FILE`: adopting the linter on a codebase with
//! existing findings. A baseline records each finding by its anchor (rule, file, enclosing
//! item, normalized line text — see `output::anchor`), never by line number, so edits
//! elsewhere in a file do not bring recorded findings back; only new ones are reported.

use crate::output::anchor::{self, Anchor};
use crate::output::Report;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    /// Format version (1).
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    rule: String,
    file: String,
    item: String,
    line: String,
    /// The message when recorded: for the reader of the file, not matched.
    #[serde(default)]
    message: String,
}

type Key = (String, String, String, String);

fn key(anchor: &Anchor) -> Key {
    (
        anchor.rule.clone(),
        anchor.file.clone(),
        anchor.item.clone(),
        anchor.line.clone(),
    )
}

fn anchors(report: &Report) -> Vec<Anchor> {
    anchor::anchors(report, &|d| d.file.replace('\\', "/"))
}

/// Record the report's findings in `path`; returns how many.
pub(crate) fn write(report: &Report, path: &Path) -> Result<usize, String> {
    let findings: Vec<Entry> = report
        .diagnostics
        .iter()
        .zip(anchors(report))
        .map(|(d, a)| Entry {
            rule: a.rule,
            file: a.file,
            item: a.item,
            line: a.line,
            message: d.message.clone(),
        })
        .collect();
    let count = findings.len();
    let document = BaselineFile {
        version: 1,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    Ok(count)
}

/// Drop the findings `path` records (each entry covers one finding with its key, in file
/// order); returns how many were dropped.
pub(crate) fn apply(report: &mut Report, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline `{}`: {e}", path.display()))?;
    let baseline: BaselineFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not a concurrency-lint baseline: {e}",
            path.display()
        )
    })?;
    if baseline.version != 1 {
        return Err(format!(
            "`{}`: unsupported baseline version {}",
            path.display(),
            baseline.version
        ));
    }
    let mut recorded: HashMap<Key, usize> = HashMap::new();
    for entry in baseline.findings {
        *recorded
            .entry((entry.rule, entry.file, entry.item, entry.line))
            .or_insert(0) += 1;
    }
    let keep: Vec<bool> = anchors(report)
        .iter()
        .map(|a| a.occurrence >= recorded.get(&key(a)).copied().unwrap_or(0))
        .collect();
    let before = report.diagnostics.len();
    let mut flags = keep.into_iter();
    report.diagnostics.retain(|_| flags.next().unwrap_or(true));
    Ok(before - report.diagnostics.len())
}
