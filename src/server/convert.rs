//! Findings as LSP values: diagnostics, quick fixes, hovers.

use super::state::{FileState, State};
use super::text::{touches, Document};
use crate::diagnostic::{Applicability, Diagnostic, Level};
use crate::rules;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, DiagnosticRelatedInformation,
    DiagnosticSeverity, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, Range, TextEdit, Url, WorkspaceEdit,
};
use std::collections::HashMap;

/// The `source` of every diagnostic.
pub const SOURCE: &str = "concurrency-lint";

/// Where a rule's documentation lives online (the same home as SARIF's `informationUri`).
const RULE_DOCS: &str = "https://github.com/concurrency-lint/concurrency-lint/blob/main/src/rules/";

fn rule_doc_url(rule: &str) -> Option<Url> {
    let file = match rule {
        "file_error" => "syntax_error",
        other => other,
    };
    Url::parse(&format!("{RULE_DOCS}{file}.rs")).ok()
}

/// The range of a location in another file of the workspace (its cached text), or from
/// its line and column when the server does not hold that file.
fn range_in(state: &State, path: &std::path::Path, location: &crate::source::Location) -> Range {
    match state.file(path) {
        Some(file) => file.doc.range(location.byte_start, location.byte_end),
        None => {
            let at = |line: usize, column: usize| {
                Position::new(
                    line.saturating_sub(1) as u32,
                    column.saturating_sub(1) as u32,
                )
            };
            Range::new(
                at(location.line, location.column),
                at(location.end_line, location.end_column),
            )
        }
    }
}

/// One finding as an LSP diagnostic of the file `uri` whose text is `doc`.
pub fn diagnostic(
    state: &State,
    uri: &Url,
    doc: &Document,
    d: &Diagnostic,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let mut related = Vec::new();
    if !d.primary_label.is_empty() {
        related.push(DiagnosticRelatedInformation {
            location: Location::new(
                uri.clone(),
                doc.range(d.primary.byte_start, d.primary.byte_end),
            ),
            message: d.primary_label.clone(),
        });
    }
    for label in &d.labels {
        related.push(DiagnosticRelatedInformation {
            location: Location::new(
                uri.clone(),
                doc.range(label.location.byte_start, label.location.byte_end),
            ),
            message: label.message.clone(),
        });
    }
    for note in &d.notes {
        let place = match (&note.file, &note.location) {
            (Some(file), Some(location)) if *file != d.file => {
                let path = state.path_of_display(file);
                Url::from_file_path(&path)
                    .ok()
                    .map(|u| Location::new(u, range_in(state, &path, location)))
            }
            (_, Some(location)) => Some(Location::new(
                uri.clone(),
                doc.range(location.byte_start, location.byte_end),
            )),
            _ => None,
        };
        match place {
            Some(location) => related.push(DiagnosticRelatedInformation {
                location,
                message: note.message.clone(),
            }),
            None => message.push_str(&format!("\nnote: {}", note.message)),
        }
    }
    if let Some(model) = d.model {
        message.push_str(&format!("\nnote: model: {model}"));
    }
    lsp_types::Diagnostic {
        range: doc.range(d.primary.byte_start, d.primary.byte_end),
        severity: Some(match d.level {
            Level::Deny => DiagnosticSeverity::ERROR,
            _ => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description: rule_doc_url(d.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// Quick fixes for the findings of `file` at `range`: each suggestion as an edit.
pub fn code_actions(
    state: &State,
    uri: &Url,
    file: &FileState,
    range: &Range,
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    for d in file.diagnostics() {
        let Some(suggestion) = &d.suggestion else {
            continue;
        };
        let at = file.doc.range(d.primary.byte_start, d.primary.byte_end);
        let edit_range = file
            .doc
            .range(suggestion.location.byte_start, suggestion.location.byte_end);
        if !touches(range, &at) && !touches(range, &edit_range) {
            continue;
        }
        let shown: String = suggestion.replacement.chars().take(60).collect();
        let ellipsis = if shown.len() < suggestion.replacement.len() {
            "…"
        } else {
            ""
        };
        let review = match suggestion.applicability {
            Applicability::MachineApplicable => "",
            _ => " (review the change)",
        };
        let edit = TextEdit::new(edit_range, suggestion.replacement.clone());
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Replace with `{shown}{ellipsis}`{review}"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic(state, uri, &file.doc, &d)]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                ..WorkspaceEdit::default()
            }),
            command: None,
            is_preferred: Some(suggestion.applicability == Applicability::MachineApplicable),
            disabled: None,
            data: None,
        }));
    }
    actions
}

/// The `explain` text of the rules of the findings under `position`.
pub fn hover(file: &FileState, position: Position) -> Option<Hover> {
    let at = Range::new(position, position);
    let mut rules_seen: Vec<&'static str> = Vec::new();
    let mut range = None;
    for d in file.diagnostics() {
        let r = file.doc.range(d.primary.byte_start, d.primary.byte_end);
        if touches(&at, &r) && !rules_seen.contains(&d.rule) {
            rules_seen.push(d.rule);
            range.get_or_insert(r);
        }
    }
    let sections: Vec<String> = rules_seen
        .iter()
        .filter_map(|name| rules::find(name))
        .map(|info| {
            format!(
                "**concurrency_lint::{}** (group `{}`, default level `{}`)\n\n{}",
                info.name,
                info.group,
                info.default_level.name(),
                info.doc.trim()
            )
        })
        .collect();
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range,
    })
}
