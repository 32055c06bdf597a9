//! `syntax_error` and `file_error`: files that cannot be linted, reported as findings so
//! that CI sees them and every other file is still linted.

use super::{Group, RuleInfo};
use crate::diagnostic::{Diagnostic, Level, Note};
use crate::source::Location;

pub const SYNTAX_ERROR: RuleInfo = RuleInfo {
    name: "syntax_error",
    group: Group::Errors,
    default_level: Level::Deny,
    summary: "a file that does not parse (always on, level error)",
    doc: r#"# syntax_error

## What it does
Reports a Rust file that `syn` cannot parse, at the location of the parse error. The rest
of the files are still linted.

## Why is this bad?
Nothing in the file can be checked. Either the file is not valid Rust (rustc will say the
same) or it uses syntax newer than the linter's parser.

## Example
```rust
fn broken( {
```

## Use instead
Fix the syntax; `cargo check` shows the same error with more context.

## Model
Not applicable.
"#,
    implemented: true,
    checker: None,
    crate_phase: None,
};

pub const FILE_ERROR: RuleInfo = RuleInfo {
    name: "file_error",
    group: Group::Errors,
    default_level: Level::Deny,
    summary: "a file that cannot be read or is not UTF-8 (always on, level error)",
    doc: r#"# file_error

## What it does
Reports a source file that cannot be read (missing, permission denied) or is not valid
UTF-8, naming the file and the operating system's error. The rest of the files are still
linted.

## Why is this bad?
The file cannot be checked, and rustc would reject it too.

## Example
A module file saved in Latin-1.

## Use instead
Re-encode the file as UTF-8, or fix its permissions.

## Model
Not applicable.
"#,
    implemented: true,
    checker: None,
    crate_phase: None,
};

pub fn syntax_error(file: &str, error: &syn::Error, text: &str) -> Diagnostic {
    let mut location = Location::from_span(error.span());
    if location.byte_end <= location.byte_start {
        // Point at one character, as rustc does.
        let width = text
            .get(location.byte_start.min(text.len())..)
            .unwrap_or("")
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        location.byte_end = location.byte_start + width;
        if location.end_line == location.line && width > 0 {
            location.end_column = location.column + 1;
        }
    }
    let message = match error.to_string().as_str() {
        // proc-macro2's lexer error: unbalanced delimiters or an invalid token.
        "cannot parse string into token stream" => {
            "unclosed or unbalanced delimiter, or an invalid token".to_string()
        }
        other => other.to_string(),
    };
    let mut diagnostic = Diagnostic::new(
        SYNTAX_ERROR.name,
        file,
        location,
        format!("syntax error: {message}"),
    );
    diagnostic.level = Level::Deny;
    diagnostic.primary_label = message;
    diagnostic.notes.push(Note {
        message: "this file was not linted".into(),
        file: None,
        location: None,
    });
    diagnostic
}

pub fn file_error(file: &str, error: &str) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        FILE_ERROR.name,
        file,
        Location::file_start(),
        format!("cannot lint `{file}`: {error}"),
    );
    diagnostic.level = Level::Deny;
    diagnostic
}

/// A `file_error` at the start of a line of the file (1-based), when the reason has a
/// place: the line where the nesting got too deep, a `mod` item whose file is missing.
pub fn file_error_at(file: &str, error: &str, text: &str, line: usize) -> Diagnostic {
    let mut diagnostic = file_error(file, error);
    let starts = crate::source::line_starts(text);
    if let Some(&start) = starts.get(line.saturating_sub(1)) {
        let end = starts.get(line).map_or(text.len(), |&next| next - 1);
        let end = if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        diagnostic.primary = Location {
            line,
            column: 1,
            end_line: line,
            end_column: text[start..end].chars().count() + 1,
            byte_start: start,
            byte_end: end,
        };
    }
    diagnostic
}

/// A `mod name;` whose file does not exist (rustc's E0583), at the `mod` item.
pub fn missing_module(
    file: &str,
    location: Location,
    name: &str,
    candidates: &[String],
) -> Diagnostic {
    missing_file(
        file,
        location,
        format!("file not found for module `{name}`"),
        "no file for this module",
        format!("to create the module `{name}`, create file"),
        "the module's code was not linted",
        candidates,
    )
}

/// `include!("file.rs")` whose file does not exist (rustc: "couldn't read `..`"), at the
/// `include!`.
pub fn missing_include(
    file: &str,
    location: Location,
    path: &str,
    candidates: &[String],
) -> Diagnostic {
    missing_file(
        file,
        location,
        format!("file not found for `include!(\"{path}\")`"),
        "no file to include",
        "the path is relative to this file's directory:".to_string(),
        "the included code was not linted",
        candidates,
    )
}

/// A `file_error` (deny) for source the module tree names but that does not exist; `help`
/// is followed by the candidate paths.
fn missing_file(
    file: &str,
    location: Location,
    message: String,
    label: &str,
    help: String,
    note: &str,
    candidates: &[String],
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(FILE_ERROR.name, file, location, message);
    diagnostic.level = Level::Deny;
    diagnostic.primary_label = label.into();
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    diagnostic.help = Some(format!("{help} {}", quoted.join(" or ")));
    diagnostic.notes.push(Note {
        message: note.into(),
        file: None,
        location: None,
    });
    diagnostic
}
