//! SARIF 2.1.0 for GitHub code scanning.

use super::anchor::{self, Anchor};
use super::Report;
use crate::diagnostic::{Diagnostic, Level};
use crate::rules;
use crate::source::Location;
use serde_json::{json, Value};

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `blocking_in_async` → `BlockingInAsync` (SARIF wants a name distinct from the id).
fn camel_case(id: &str) -> String {
    id.split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn region(l: &Location) -> Value {
    json!({
        "startLine": l.line,
        "startColumn": l.column,
        "endLine": l.end_line,
        "endColumn": l.end_column,
    })
}

fn artifact(file: &str) -> Value {
    json!({ "uri": uri(file), "uriBaseId": "%SRCROOT%" })
}

fn rule_descriptors() -> Vec<Value> {
    rules::all()
        .iter()
        .map(|r| {
            json!({
                "id": r.name,
                "name": camel_case(r.name),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.doc, "markdown": r.doc },
                "defaultConfiguration": { "level": sarif_level(r.default_level) },
                "properties": { "tags": ["concurrency", r.group.name()] },
            })
        })
        .collect()
}

/// One result. `path` turns a file name of the report into a repository-relative one.
fn result(d: &Diagnostic, anchor: &Anchor, path: &dyn Fn(&str) -> String) -> Value {
    let fingerprint = anchor.fingerprint();
    let mut result = json!({
        "ruleId": d.rule,
        "ruleIndex": rules::all().iter().position(|r| r.name == d.rule).unwrap_or(0),
        "level": sarif_level(d.level),
        "message": { "text": match &d.help {
            Some(help) => format!("{} (help: {help})", d.message),
            None => d.message.clone(),
        } },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&path(&d.file)),
                "region": region(&d.primary),
            }
        }],
        // GitHub keys alerts by primaryLocationLineHash when it is given.
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint,
            "concurrencyLintAnchor/v1": fingerprint,
        },
    });
    // Secondary labels, then the located notes (each step of a call chain).
    let located_notes = d.notes.iter().filter_map(|n| {
        let location = n.location.as_ref()?;
        Some((n.file.as_deref().unwrap_or(&d.file), location, &n.message))
    });
    let related: Vec<Value> = d
        .labels
        .iter()
        .map(|l| (d.file.as_str(), &l.location, &l.message))
        .chain(located_notes)
        .enumerate()
        .map(|(i, (file, location, message))| {
            json!({
                "id": i + 1,
                "message": { "text": message },
                "physicalLocation": {
                    "artifactLocation": artifact(&path(file)),
                    "region": region(location),
                }
            })
        })
        .collect();
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    if let Some(s) = &d.suggestion {
        result["fixes"] = json!([{
            "description": { "text": d.help.clone().unwrap_or_default() },
            "artifactChanges": [{
                "artifactLocation": artifact(&path(&d.file)),
                "replacements": [{
                    "deletedRegion": region(&s.location),
                    "insertedContent": { "text": s.replacement },
                }]
            }]
        }]);
    }
    result
}

pub fn render(report: &Report) -> Vec<u8> {
    let root = super::repository_root(&report.base);
    let path = |file: &str| super::repo_relative(&report.base, &root, file);
    let anchors = anchor::anchors(report, &|d: &Diagnostic| path(&d.file));
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(&anchors)
        .map(|(d, anchor)| result(d, anchor, &path))
        .collect();
    let base = uri(&root.to_string_lossy());
    let base = if base.ends_with('/') {
        base
    } else {
        format!("{base}/")
    };
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "concurrency-lint",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/concurrency-lint/concurrency-lint",
                "rules": rule_descriptors(),
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": format!("file://{base}") } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
