//! `--format json`: one document, SPEC §4.

use super::Report;
use crate::diagnostic::Level;
use serde_json::{json, Value};

pub fn render(report: &Report) -> Vec<u8> {
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let suggestion = d.suggestion.as_ref().map(|s| {
                json!({
                    "replacement": s.replacement,
                    "applicability": s.applicability,
                    "line": s.location.line,
                    "column": s.location.column,
                    "end_line": s.location.end_line,
                    "end_column": s.location.end_column,
                    "byte_start": s.location.byte_start,
                    "byte_end": s.location.byte_end,
                })
            });
            let mut notes: Vec<Value> = d
                .labels
                .iter()
                .map(|l| {
                    json!({
                        "message": l.message,
                        "file": d.file,
                        "line": l.location.line,
                        "column": l.location.column,
                    })
                })
                .collect();
            for note in &d.notes {
                notes.push(json!({
                    "message": note.message,
                    "file": note.file.clone().or_else(|| note.location.as_ref().map(|_| d.file.clone())),
                    "line": note.location.as_ref().map(|l| l.line),
                    "column": note.location.as_ref().map(|l| l.column),
                }));
            }
            json!({
                "rule": d.rule,
                "level": d.level.severity(),
                "message": d.message,
                "file": d.file,
                "line": d.primary.line,
                "column": d.primary.column,
                "end_line": d.primary.end_line,
                "end_column": d.primary.end_column,
                "byte_start": d.primary.byte_start,
                "byte_end": d.primary.byte_end,
                "model": d.model,
                "help": d.help,
                "suggestion": suggestion,
                "notes": notes,
                "context": d.context.map(|c| c.name()),
                "item": d.item,
            })
        })
        .collect();
    let mut document = json!({
        "version": 1,
        "diagnostics": diagnostics,
        "summary": {
            "files": report.files,
            "diagnostics": report.diagnostics.len(),
            "errors": report.count(Level::Deny),
            "warnings": report.count(Level::Warn),
            "parse_errors": report.parse_errors(),
        }
    });
    if let Some(baselined) = report.baselined {
        document["summary"]["baselined"] = json!(baselined);
    }
    let mut bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
