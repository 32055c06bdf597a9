//! The rules' documentation, checked against the code:
//! - each rule's doc examples are linted: every ```rust block under `## Example` must
//!   produce at least one finding of that rule, every block under `## Use instead` none
//!   (test `<rule>::doc_examples`, so `cargo test RULE` runs them with the rule's fixtures);
//! - the README's rule table lists the registry's rules (`rules::all()`), in its order, with
//!   their group and default level (test `readme_rule_table`).
//!
//! A doc example may be a fragment (statements, as in `let (tx, rx) = unbounded_channel();`):
//! one that does not parse as a file but does as a function body is linted inside
//! `fn example() { … }`, or `async fn example()` when it awaits. `file_error` alone has no
//! code example (its cause is a file that cannot be read).

use concurrency_lint::app::{lint_crate_sources, SourceOptions};
use concurrency_lint::catalog::{Catalog, Runtime};
use concurrency_lint::diagnostic::Level;
use concurrency_lint::levels::Levels;
use concurrency_lint::rules::{self, RuleInfo};
use libtest_mimic::{Arguments, Failed, Trial};
use std::sync::OnceLock;

fn setup() -> &'static (Catalog, Levels) {
    static SETUP: OnceLock<(Catalog, Levels)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let catalog = Catalog::builtin().unwrap();
        let mut levels = Levels::default();
        levels.set("all", Level::Warn).expect("`all` is a selector");
        (catalog, levels)
    })
}

/// The ```rust blocks of one `## heading` section of a rule's documentation, each with the
/// line of the doc it starts on.
fn code_blocks(doc: &str, heading: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut in_section = false;
    let mut block: Option<(usize, String)> = None;
    for (index, line) in doc.lines().enumerate() {
        if let Some((start, code)) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                blocks.push((*start, std::mem::take(code)));
                block = None;
            } else {
                code.push_str(line);
                code.push('\n');
            }
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            in_section = title.trim() == heading;
        } else if in_section && line.trim_start().starts_with("```rust") {
            block = Some((index + 1, String::new()));
        }
    }
    assert!(block.is_none(), "unclosed code block in `## {heading}`");
    blocks
}

/// A doc example as a file: itself, or a fragment wrapped in a function.
fn as_file(code: &str) -> String {
    if syn::parse_file(code).is_ok() {
        return code.to_string();
    }
    let asyncness = if code.contains(".await") {
        "async "
    } else {
        ""
    };
    let wrapped = format!("{asyncness}fn example() {{\n{code}}}\n");
    if syn::parse_file(&wrapped).is_ok() {
        wrapped
    } else {
        code.to_string() // not code at all: `syntax_error`'s example
    }
}

/// The findings (`rule (line:column)`) a doc example produces.
fn findings(code: &str) -> Vec<String> {
    let (catalog, levels) = setup();
    let options = SourceOptions {
        module_path: "crate",
        runtime: Runtime::Tokio,
        include_tests: true,
        edition: "2021",
        report_unused_suppressions: true,
        local_crates: &[],
    };
    let files = vec![("example.rs".to_string(), "crate".to_string(), as_file(code))];
    lint_crate_sources(&files, &options, catalog, levels)
        .iter()
        .map(|d| format!("{} ({}:{})", d.rule, d.primary.line, d.primary.column))
        .collect()
}

fn check_doc_examples(rule: &RuleInfo) -> Result<(), Failed> {
    let mut problems = Vec::new();
    let examples = code_blocks(rule.doc, "Example");
    if examples.is_empty() && rule.name != "file_error" {
        problems.push("no ```rust block under `## Example`".to_string());
    }
    let of_rule = |found: &[String]| {
        found
            .iter()
            .filter(|f| f.split(' ').next() == Some(rule.name))
            .count()
    };
    for (line, code) in &examples {
        let found = findings(code);
        if of_rule(&found) == 0 {
            problems.push(format!(
                "`## Example` block at doc line {line} produces no `{}` finding (found: {found:?}):\n{code}",
                rule.name
            ));
        }
    }
    for (line, code) in code_blocks(rule.doc, "Use instead") {
        let found = findings(&code);
        if of_rule(&found) > 0 {
            problems.push(format!(
                "`## Use instead` block at doc line {line} produces `{}` findings: {found:?}\n{code}",
                rule.name
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n\n").into())
    }
}

/// A rule's row as the README's table shows it: name, group, default level. The level is
/// the word `cargo concurrency-lint rules` prints (`error` for the always-on rules).
fn registry_row(rule: &RuleInfo) -> (String, String, String) {
    let level = if rules::is_always_on(rule.name) {
        "error"
    } else {
        rule.default_level.name()
    };
    (
        rule.name.to_string(),
        rule.group.to_string(),
        level.to_string(),
    )
}

/// The rows of the README's table under `## What it finds`: `| `a`, `b` | group | default |
/// finds |`, one row per rule name (a row may name several rules).
fn readme_rows(readme: &str) -> Vec<(String, String, String)> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("What it finds"))
        .expect("README has `## What it finds`");
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches('|').trim())
            .collect();
        assert!(
            cells.len() >= 4,
            "README table row with too few cells: {line}"
        );
        for name in cells[0].split(',') {
            let name = name.trim().trim_matches('`');
            rows.push((name.to_string(), cells[1].to_string(), cells[2].to_string()));
        }
    }
    rows
}

fn check_readme_rule_table() -> Result<(), Failed> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let listed = readme_rows(&readme);
    let registry: Vec<_> = rules::all().iter().map(registry_row).collect();
    if listed == registry {
        return Ok(());
    }
    let show = |rows: &[(String, String, String)]| {
        rows.iter()
            .map(|(n, g, l)| format!("    `{n}` | {g} | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(format!(
        "README.md's rule table does not match `rules::all()` (name | group | default, in order).\n  \
         the registry:\n{}\n  the README:\n{}",
        show(&registry),
        show(&listed)
    )
    .into())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test("readme_rule_table", check_readme_rule_table)];
    for rule in rules::all() {
        if !rule.implemented {
            continue;
        }
        trials.push(Trial::test(format!("{}::doc_examples", rule.name), || {
            check_doc_examples(rule)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
