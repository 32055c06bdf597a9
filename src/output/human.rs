//! rustc-style output through `codespan-reporting`.

use super::Report;
use crate::diagnostic::{Diagnostic, Level};
use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};

/// A byte range that is valid in `text` (clamped to it, on character boundaries).
fn clamp(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let mut start = start.min(text.len());
    let mut end = end.max(start).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The notes shown under a finding: `help:`, the suggested code, `note:`s.
pub fn note_lines(d: &Diagnostic) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    if let Some(s) = &d.suggestion {
        notes.push(format!("help: replace with `{}`", s.replacement));
    }
    if let Some(model) = d.model {
        notes.push(format!("note: model: {model}"));
    }
    for note in &d.notes {
        match (&note.file, &note.location) {
            (Some(file), Some(l)) => notes.push(format!(
                "note: {} ({}:{}:{})",
                note.message, file, l.line, l.column
            )),
            _ => notes.push(format!("note: {}", note.message)),
        }
    }
    notes
}

/// The note rustc and clippy end a lint's first report with: which lint, at which level
/// and why (`#[warn(concurrency_lint::rule)]` on by default).
pub fn level_note(d: &Diagnostic) -> String {
    let attribute = match d.level {
        Level::Deny => "deny",
        Level::Warn => "warn",
        Level::Allow => "allow",
    };
    let name = format!("concurrency_lint::{}", d.rule);
    match crate::rules::find(d.rule) {
        _ if crate::rules::is_always_on(d.rule) => format!("`{name}` is always on"),
        Some(info) if info.default_level == d.level => {
            format!("`#[{attribute}({name})]` on by default")
        }
        _ => format!("`#[{attribute}({name})]` set by the config or the command line"),
    }
}

/// The header and location lines as rustc writes them for a lint, so that the tools that
/// parse rustc's output find the location: `warning: message`, then `  --> file:line:col`.
/// (rustc only puts a code in brackets for error codes such as `E0425`; vim's
/// `:compiler cargo` errorformat matches `warning: ` / `error: ` and `error[E%n]: `, so a
/// bracketed lint name would make the location invisible to it.) The lint's name is in
/// the `= note:` below, as rustc and clippy print it.
pub fn render_one(d: &Diagnostic, text: Option<&str>, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut notes = note_lines(d);
    notes.push(format!("note: {}", level_note(d)));
    let mut rendered = match d.level {
        Level::Deny => Rendered::new(Severity::Error),
        _ => Rendered::new(Severity::Warning),
    }
    .with_message(&d.message)
    .with_notes(notes);
    if let Some(text) = text {
        let id = files.add(d.file.clone(), text.to_string());
        let mut labels =
            vec![
                Label::primary(id, clamp(text, d.primary.byte_start, d.primary.byte_end))
                    .with_message(&d.primary_label),
            ];
        for label in &d.labels {
            labels.push(
                Label::secondary(
                    id,
                    clamp(text, label.location.byte_start, label.location.byte_end),
                )
                .with_message(&label.message),
            );
        }
        rendered = rendered.with_labels(labels);
    } else {
        rendered.message = format!(
            "{}\n  --> {}:{}:{}",
            d.message, d.file, d.primary.line, d.primary.column
        );
    }
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    // ASCII characters are rustc's: `-->` before the location, `|` for the gutter.
    let config = term::Config {
        chars: term::Chars::ascii(),
        ..term::Config::default()
    };
    if term::emit(&mut buffer, &config, &files, &rendered).is_err() {
        return format!(
            "{}: {} ({}:{}:{})\n",
            d.level.severity(),
            d.message,
            d.file,
            d.primary.line,
            d.primary.column
        );
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

pub fn render(report: &Report, color: bool, quiet: bool) -> Vec<u8> {
    let mut out = String::new();
    for d in &report.diagnostics {
        let rendered = render_one(d, report.source(&d.file), color);
        out.push_str(&rendered);
        if !rendered.ends_with("\n\n") {
            out.push('\n');
        }
    }
    if !quiet {
        out.push_str(&report.summary_line());
        out.push('\n');
    }
    out.into_bytes()
}
