//! `--message-format json`: cargo `compiler-message` lines, as `cargo check` prints them,
//! so rust-analyzer, bacon and other cargo-JSON consumers show findings and quick fixes.

use super::{human, CargoTarget, Report};
use crate::diagnostic::{Diagnostic, Level};
use crate::source::Location;
use serde_json::{json, Value};

fn span(
    file: &str,
    l: &Location,
    text: Option<&str>,
    primary: bool,
    label: Option<&str>,
    replacement: Option<(&str, &str)>,
) -> Value {
    let lines: Vec<Value> = match text {
        Some(text) => text
            .lines()
            .enumerate()
            .skip(l.line.saturating_sub(1))
            .take(l.end_line.saturating_sub(l.line) + 1)
            .map(|(index, line)| {
                let number = index + 1;
                let start = if number == l.line { l.column } else { 1 };
                let end = if number == l.end_line {
                    l.end_column
                } else {
                    line.chars().count() + 1
                };
                json!({ "text": line, "highlight_start": start, "highlight_end": end })
            })
            .collect(),
        None => Vec::new(),
    };
    json!({
        "file_name": file,
        "byte_start": l.byte_start,
        "byte_end": l.byte_end,
        "line_start": l.line,
        "line_end": l.end_line,
        "column_start": l.column,
        "column_end": l.end_column,
        "is_primary": primary,
        "text": lines,
        "label": label,
        "suggested_replacement": replacement.map(|r| r.0),
        "suggestion_applicability": replacement.map(|r| r.1),
        "expansion": null,
    })
}

fn child(message: String, level: &str, spans: Vec<Value>) -> Value {
    json!({
        "message": message,
        "code": null,
        "level": level,
        "spans": spans,
        "children": [],
        "rendered": null,
    })
}

fn message(d: &Diagnostic, text: Option<&str>) -> Value {
    let mut spans = vec![span(
        &d.file,
        &d.primary,
        text,
        true,
        Some(&d.primary_label),
        None,
    )];
    for label in &d.labels {
        spans.push(span(
            &d.file,
            &label.location,
            text,
            false,
            Some(&label.message),
            None,
        ));
    }
    let mut children = Vec::new();
    if let Some(help) = &d.help {
        let suggestion_spans = match &d.suggestion {
            Some(s) => vec![span(
                &d.file,
                &s.location,
                text,
                true,
                None,
                Some((&s.replacement, s.applicability.rustc_name())),
            )],
            None => Vec::new(),
        };
        children.push(child(help.clone(), "help", suggestion_spans));
    }
    for note in &d.notes {
        // A located note (a step of a call chain) gets its span, possibly in another file.
        let spans = match (&note.location, note.file.as_deref().unwrap_or(&d.file)) {
            (Some(location), file) => {
                let text = if file == d.file { text } else { None };
                vec![span(file, location, text, false, None, None)]
            }
            (None, _) => Vec::new(),
        };
        children.push(child(note.message.clone(), "note", spans));
    }
    json!({
        "$message_type": "diagnostic",
        "message": d.message,
        "code": { "code": format!("concurrency_lint::{}", d.rule), "explanation": null },
        "level": d.level.severity(),
        "spans": spans,
        "children": children,
        "rendered": human::render_one(d, text, false),
    })
}

fn target_json(target: &CargoTarget, base: &std::path::Path) -> Value {
    let kinds = if target.kinds.is_empty() {
        vec!["lib".to_string()]
    } else {
        target.kinds.clone()
    };
    let crate_types: Vec<&str> = kinds
        .iter()
        .map(|k| match k.as_str() {
            "bin" | "test" | "bench" | "example" => "bin",
            other => other,
        })
        .collect();
    let src_path = if target.src_path.is_absolute() {
        target.src_path.clone()
    } else {
        base.join(&target.src_path)
    };
    json!({
        "kind": kinds,
        "crate_types": crate_types,
        "name": target.name,
        "src_path": src_path.to_string_lossy(),
        "edition": target.package.as_ref().map_or("2021", |p| p.edition.as_str()),
        "doc": true,
        "doctest": kinds.iter().any(|k| k == "lib"),
        "test": true,
    })
}

pub fn render(report: &Report) -> Vec<u8> {
    let mut out = String::new();
    let fallback = CargoTarget::default();
    for d in &report.diagnostics {
        let target = report
            .targets
            .get(&d.file)
            .map_or(&fallback, |t| t.as_ref());
        let (package_id, manifest_path) = match &target.package {
            Some(p) => (p.id.clone(), p.manifest_path.to_string_lossy().into_owned()),
            None => (
                String::new(),
                report
                    .base
                    .join("Cargo.toml")
                    .to_string_lossy()
                    .into_owned(),
            ),
        };
        let line = json!({
            "reason": "compiler-message",
            "package_id": package_id,
            "manifest_path": manifest_path,
            "target": target_json(target, &report.base),
            "message": message(d, report.source(&d.file)),
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    let success = !report.diagnostics.iter().any(|d| d.level == Level::Deny);
    out.push_str(&json!({ "reason": "build-finished", "success": success }).to_string());
    out.push('\n');
    out.into_bytes()
}
