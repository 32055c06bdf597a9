//! The report as a terminal table, a JSON document (`schemas/report.schema.json`) and a
//! Markdown page.

use super::{FunctionReport, Report, Verdict};
use std::fmt::Write;

fn waits(f: &FunctionReport) -> String {
    if f.waits.is_empty() {
        return "-".into();
    }
    f.waits
        .iter()
        .map(|(kind, n)| format!("{kind}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn role(f: &FunctionReport) -> String {
    match f.entry {
        Some(entry) => format!("{entry} (entry)"),
        None => f.context.to_string(),
    }
}

/// The findings behind a verdict, one line each.
fn evidence_lines(f: &FunctionReport) -> Vec<String> {
    let mut lines = Vec::new();
    for (what, list) in [
        ("blocks", &f.blocks),
        ("computes", &f.computes),
        ("fans out", &f.fan_out),
    ] {
        for e in list {
            lines.push(format!(
                "{what}: {}:{} {} ({})",
                e.file, e.line, e.message, e.rule
            ));
        }
    }
    lines.extend(f.shares.iter().map(|s| format!("shares: {s}")));
    lines
}

/// Terminal output: per crate, then the functions whose verdict is not "as is" with the
/// findings behind them; the others are counted.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Concurrency report: {} entry points and async fns",
        report.functions.len()
    );
    for c in &report.crates {
        let counts: Vec<String> = Verdict::ALL
            .iter()
            .filter_map(|v| {
                c.verdicts
                    .get(v.name())
                    .map(|n| format!("{} {n}", v.name()))
            })
            .collect();
        let _ = writeln!(
            out,
            "\ncrate {} — worst: {} — {}",
            c.krate,
            c.worst.name(),
            counts.join(", ")
        );
        for f in report.functions.iter().filter(|f| f.krate == c.krate) {
            if f.verdict == Verdict::AsyncIo && f.entry.is_none() {
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<10} {}  [{}]  {}:{}  waits: {}",
                f.verdict.name(),
                super::short_path(&f.function),
                role(f),
                f.file,
                f.line,
                waits(f)
            );
            let _ = writeln!(out, "             model: {}", f.model);
            for line in evidence_lines(f) {
                let _ = writeln!(out, "             {line}");
            }
        }
        let quiet = report
            .functions
            .iter()
            .filter(|f| f.krate == c.krate && f.verdict == Verdict::AsyncIo && f.entry.is_none())
            .count();
        if quiet > 0 {
            let _ = writeln!(out, "  … and {quiet} more async fn(s): async I/O as is");
        }
    }
    out
}

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// A Markdown page for a review: the crate summary table, then one section per function
/// that needs a change.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# Concurrency report\n\n| crate | worst | ");
    let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.name()).collect();
    out.push_str(&names.join(" | "));
    out.push_str(" |\n|---|---|");
    out.push_str(&"---|".repeat(names.len()));
    out.push('\n');
    for c in &report.crates {
        let counts: Vec<String> = names
            .iter()
            .map(|n| c.verdicts.get(n).copied().unwrap_or(0).to_string())
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            c.krate,
            c.worst.name(),
            counts.join(" | ")
        );
    }
    out.push_str("\n## Functions\n\n| function | runs as | waits on | verdict | model |\n|---|---|---|---|---|\n");
    for f in &report.functions {
        if f.verdict == Verdict::AsyncIo && f.entry.is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "| `{}` ({}:{}) | {} | {} | **{}** | {} |",
            f.function,
            f.file,
            f.line,
            role(f),
            waits(f),
            f.verdict.name(),
            f.model.replace('|', "\\|")
        );
    }
    for f in report
        .functions
        .iter()
        .filter(|f| f.verdict != Verdict::AsyncIo)
    {
        let _ = writeln!(out, "\n### `{}`: {}\n", f.function, f.verdict.name());
        for line in evidence_lines(f) {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}
