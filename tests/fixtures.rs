//! The fixture harness: every `tests/fixtures/<rule>/*.rs` file is linted and its findings
//! compared, both ways, with the annotations written under the code. Each fixture is its
//! own test, named `<rule>::<fixture>` (a `harness = false` test on `libtest-mimic`), so
//! `cargo test split_lock_update` runs one rule's fixtures and
//! `cargo test split_lock_update::check_out` one fixture:
//!
//! ```text
//!     std::thread::sleep(d);
//!   //^^^^^^^^^^^^^^^^^^ blocking_in_async
//! ```
//!
//! The carets mark the exact columns of the primary location on the nearest code line
//! above. Nothing unannotated may fire. `//^^^ todo: rule` marks a known gap: a finding
//! that should exist but is not produced yet (the test fails if it starts to appear, so the
//! annotation gets promoted). A comment in the first three lines, `// runtime: async-std`, picks the
//! runtime (`// edition: 2024` the edition); `// exclude-tests` lints as a non-test build (skipping `#[cfg(test)]`);
//! `// report-unused-suppressions` turns that report on; `// detached_spawn.report: all` sets
//! that rule option as config would.
//!
//! A folder `tests/fixtures/<rule>/<name>/` is one crate of several files (`lib.rs` is the
//! root, `a.rs` is `crate::a`, `a/b.rs` is `crate::a::b`): linted together, with the
//! crate-level phase (call chains, lock order). Annotations work the same in each file.

use concurrency_lint::app::{lint_crate_sources, SourceOptions};
use concurrency_lint::catalog::{Catalog, RuleOptions, Runtime};
use concurrency_lint::diagnostic::Level;
use concurrency_lint::levels::Levels;
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    line: usize,
    column: usize,
    end_column: usize,
    rule: String,
}

struct Annotations {
    expected: BTreeSet<Expected>,
    todo: BTreeSet<Expected>,
}

fn annotation(line: &str) -> Option<(usize, usize, String, bool)> {
    let trimmed = line.trim_start();
    let rest = trimmed.strip_prefix("//")?;
    if !rest.starts_with('^') {
        return None;
    }
    let indent = line.len() - trimmed.len();
    let carets = rest.chars().take_while(|c| *c == '^').count();
    let start = indent + 2; // byte index of the first caret == column - 1 (ASCII indent)
    let mut label = rest[carets..].trim();
    let todo = label.starts_with("todo:");
    if todo {
        label = label["todo:".len()..].trim();
    }
    Some((start + 1, start + 1 + carets, label.to_string(), todo))
}

fn parse_annotations(text: &str) -> Annotations {
    let mut expected = BTreeSet::new();
    let mut todo = BTreeSet::new();
    let mut last_code_line = 0;
    for (index, line) in text.lines().enumerate() {
        match annotation(line) {
            Some((column, end_column, rule, is_todo)) => {
                assert!(
                    last_code_line > 0,
                    "annotation before any code at line {}",
                    index + 1
                );
                let item = Expected {
                    line: last_code_line,
                    column,
                    end_column,
                    rule,
                };
                if is_todo {
                    todo.insert(item);
                } else {
                    expected.insert(item);
                }
            }
            None => last_code_line = index + 1,
        }
    }
    Annotations { expected, todo }
}

/// A fixture: one file, or a folder of files linted as one crate.
struct Fixture {
    /// `<rule>::<file stem or folder name>`: the test's name.
    test_name: String,
    name: PathBuf,
    /// (name inside the fixture, module path, path on disk)
    files: Vec<(String, String, PathBuf)>,
}

fn rust_files_below(dir: &Path, base: &Path, out: &mut Vec<(String, String, PathBuf)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files_below(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let stem = relative.trim_end_matches(".rs");
            let module = match stem {
                "lib" | "main" => "crate".to_string(),
                _ => format!(
                    "crate::{}",
                    stem.trim_end_matches("/mod").replace('/', "::")
                ),
            };
            out.push((relative, module, path));
        }
    }
}

fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut fixtures = Vec::new();
    for rule_dir in std::fs::read_dir(&root).expect("tests/fixtures exists") {
        let rule_dir = rule_dir.unwrap().path();
        if !rule_dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&rule_dir).unwrap() {
            let path = entry.unwrap().path();
            let test_name = format!(
                "{}::{}",
                rule_dir.file_name().unwrap().to_string_lossy(),
                path.file_stem().unwrap().to_string_lossy()
            );
            if path.is_dir() {
                let mut files = Vec::new();
                rust_files_below(&path, &path, &mut files);
                fixtures.push(Fixture {
                    test_name,
                    name: path,
                    files,
                });
            } else if path.extension().is_some_and(|e| e == "rs") {
                fixtures.push(Fixture {
                    test_name,
                    name: path.clone(),
                    files: vec![("fixture.rs".into(), "crate".into(), path)],
                });
            }
        }
    }
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    fixtures
}

fn check(fixture: &Fixture, catalog: &Catalog, levels: &Levels) -> Result<usize, String> {
    let texts: Vec<(String, String, String)> = fixture
        .files
        .iter()
        .map(|(name, module, path)| {
            (
                name.clone(),
                module.clone(),
                std::fs::read_to_string(path).unwrap(),
            )
        })
        .collect();
    let mut expected = BTreeSet::new();
    let mut todo = BTreeSet::new();
    for (name, _, text) in &texts {
        let annotations = parse_annotations(text);
        let tag = |e: Expected| (name.clone(), e);
        expected.extend(annotations.expected.into_iter().map(tag));
        todo.extend(annotations.todo.into_iter().map(tag));
    }
    // Options come from the header of the first file (the crate root, or the one file).
    let text = &texts[0].2;
    let header = |key: &str| {
        text.lines()
            .take(3)
            .find_map(|l| l.strip_prefix(key).map(str::trim))
    };
    let runtime = header("// runtime:")
        .and_then(Runtime::parse)
        .unwrap_or(Runtime::Tokio);
    let include_tests = !text.lines().take(3).any(|l| l.trim() == "// exclude-tests");
    let options = SourceOptions {
        module_path: "crate",
        runtime,
        include_tests,
        edition: header("// edition:").unwrap_or("2021"),
        report_unused_suppressions: text
            .lines()
            .take(3)
            .any(|l| l.trim() == "// report-unused-suppressions"),
        local_crates: &[],
    };
    let configured;
    let catalog = match header("// detached_spawn.report:") {
        Some(report) => {
            let mut with_options = Catalog::builtin().unwrap();
            with_options.set_options(RuleOptions {
                detached_spawn_all: report == "all",
            });
            configured = with_options;
            &configured
        }
        None => catalog,
    };
    let diagnostics = lint_crate_sources(&texts, &options, catalog, levels);
    let actual: BTreeSet<(String, Expected)> = diagnostics
        .iter()
        .map(|d| {
            (
                d.file.clone(),
                Expected {
                    line: d.primary.line,
                    column: d.primary.column,
                    end_column: if d.primary.end_line == d.primary.line {
                        d.primary.end_column
                    } else {
                        d.primary.column + 1
                    },
                    rule: d.rule.to_string(),
                },
            )
        })
        .collect();
    let false_positives: Vec<_> = actual.difference(&expected).collect();
    let false_negatives: Vec<_> = expected.difference(&actual).collect();
    let fixed_todos: Vec<_> = todo.intersection(&actual).collect();
    if false_positives.is_empty() && false_negatives.is_empty() && fixed_todos.is_empty() {
        return Ok(expected.len());
    }
    let show = |items: &[&(String, Expected)]| {
        items
            .iter()
            .map(|(file, e)| {
                format!(
                    "    {file}:{}:{}-{} {}",
                    e.line, e.column, e.end_column, e.rule
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut message = format!("{}:\n", fixture.name.display());
    if !false_positives.is_empty() {
        message.push_str(&format!("  false positives:\n{}\n", show(&false_positives)));
    }
    if !false_negatives.is_empty() {
        message.push_str(&format!("  false negatives:\n{}\n", show(&false_negatives)));
    }
    if !fixed_todos.is_empty() {
        message.push_str(&format!(
            "  todo annotations now found (drop `todo:`):\n{}\n",
            show(&fixed_todos)
        ));
    }
    Err(message)
}

/// The built-in catalog and every rule at warn, built once and shared by the tests.
fn setup() -> &'static (Catalog, Levels) {
    static SETUP: OnceLock<(Catalog, Levels)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let catalog = Catalog::builtin().unwrap();
        let mut levels = Levels::default();
        levels.set("all", Level::Warn).expect("`all` is a selector");
        (catalog, levels)
    })
}

fn main() {
    let args = Arguments::from_args();
    let fixtures = fixtures();
    assert!(!fixtures.is_empty(), "no fixtures found");
    let names: BTreeSet<&str> = fixtures.iter().map(|f| f.test_name.as_str()).collect();
    assert_eq!(
        names.len(),
        fixtures.len(),
        "two fixtures of one rule share a name (a file and a folder?)"
    );
    let expect_findings: Vec<PathBuf> = fixtures
        .iter()
        .flat_map(|f| f.files.iter().map(|(_, _, path)| path.clone()))
        .collect();
    let mut trials: Vec<Trial> = fixtures
        .into_iter()
        .map(|fixture| {
            Trial::test(fixture.test_name.clone(), move || {
                let (catalog, levels) = setup();
                check(&fixture, catalog, levels)
                    .map(|_| ())
                    .map_err(Failed::from)
            })
        })
        .collect();
    trials.push(Trial::test("fixtures_expect_findings", move || {
        let positives: usize = expect_findings
            .iter()
            .map(|path| {
                parse_annotations(&std::fs::read_to_string(path).unwrap())
                    .expected
                    .len()
            })
            .sum();
        if positives == 0 {
            return Err("fixtures expect no findings at all".into());
        }
        Ok(())
    }));
    trials.push(Trial::test(
        "fixture_folders_are_rules",
        fixture_folders_are_rules,
    ));
    trials.push(Trial::test("annotations_parse_columns", || {
        annotations_parse_columns();
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// Each folder of `tests/fixtures/` is named after a rule (so `cargo test RULE` runs its
/// fixtures), or is `suppression` (the comments and attributes shared by all rules); every
/// rule has a folder but `file_error`, whose cause (an unreadable file) a fixture cannot hold.
fn fixture_folders_are_rules() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let folders: BTreeSet<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let rules: BTreeSet<String> = concurrency_lint::rules::all()
        .iter()
        .map(|r| r.name.to_string())
        .collect();
    let mut problems = Vec::new();
    for folder in &folders {
        if !rules.contains(folder) && folder != "suppression" {
            problems.push(format!(
                "tests/fixtures/{folder}/ is not named after a rule"
            ));
        }
    }
    for rule in &rules {
        if !folders.contains(rule) && rule != "file_error" {
            problems.push(format!("rule `{rule}` has no tests/fixtures/{rule}/"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn annotations_parse_columns() {
    let a = parse_annotations(
        "fn f() {\n    std::thread::sleep(d);\n  //^^^^^^^^^^^^^^^^^^ blocking_in_async\n}\n",
    );
    let e = a.expected.iter().next().unwrap();
    assert_eq!((e.line, e.column, e.end_column), (2, 5, 23));
}
