//! End-to-end tests of the built `cargo-concurrency-lint` binary (SPEC §1, §3, §4).
//!
//! Every test copies a small workspace from `tests/data/` (or writes one) into a fresh
//! temporary directory, runs the binary there and checks exit code, stdout and stderr.
//! Broken inputs (non-UTF-8 files, unreadable files, bad configs) are created at test time.

mod common;

use common::{data, f, findings, temp_dir, write, Out, BIN};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------

fn run_with_stdin(dir: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run cargo-concurrency-lint");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Out {
        code: output
            .status
            .code()
            .expect("exited normally (no signal / panic abort)"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let out = run_with_stdin(dir, args, None);
    assert!(
        !out.stderr.contains("panicked"),
        "the binary panicked:\n{out:?}"
    );
    out
}

/// Run with `--format json` added and parse the document.
fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let value: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{out:?}"));
    common::schema::assert_valid_json_output(&value);
    (out.code, value)
}

/// A `--format json` document, checked against `schemas/json-output.schema.json`.
fn json_output(text: &str) -> Value {
    let value: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"));
    common::schema::assert_valid_json_output(&value);
    value
}

fn diagnostics(doc: &Value) -> &Vec<Value> {
    doc["diagnostics"].as_array().expect("diagnostics array")
}

fn files_with_findings(doc: &Value) -> Vec<String> {
    let mut files: Vec<String> = findings(doc).into_iter().map(|(file, _, _)| file).collect();
    files.dedup();
    files
}

const BLOCKING: &str = "blocking_in_async";

/// The findings of the two_members workspace without test code.
fn two_members_default() -> Vec<(String, u64, String)> {
    vec![
        f("app/src/main.rs", 4, BLOCKING),
        f("lib_a/src/extra/special.rs", 2, BLOCKING),
        f("lib_a/src/lib.rs", 8, BLOCKING),
        f("lib_a/src/net/tcp.rs", 4, BLOCKING),
    ]
}

fn lib_a_default() -> Vec<(String, u64, String)> {
    two_members_default()
        .into_iter()
        .filter(|(file, _, _)| file.starts_with("lib_a/"))
        .collect()
}

const ASYNC_READ: &str =
    "pub async fn handler() -> String {\n    std::fs::read_to_string(\"a.txt\").unwrap()\n}\n";

// ---------------------------------------------------------------------------------------
// 1. workspace mode
// ---------------------------------------------------------------------------------------

#[test]
fn workspace_from_current_dir_lints_every_member_and_follows_mods() {
    let ws = data("two_members");
    let (code, doc) = json(&ws, &[]);
    assert_eq!(code, 0, "warnings only: exit 0\n{doc:#}");
    assert_eq!(findings(&doc), two_members_default());
    // main.rs, lib.rs, util.rs, net/mod.rs, net/tcp.rs, extra/special.rs
    assert_eq!(doc["summary"]["files"], 6, "{doc:#}");
}

#[test]
fn calls_into_a_workspace_member_are_followed_in_cargo_mode_only() {
    let ws = data("path_deps");
    let (_, doc) = json(&ws, &[]);
    assert_eq!(
        findings(&doc),
        vec![
            f("server/src/main.rs", 5, BLOCKING),
            f("server/src/main.rs", 6, BLOCKING),
            f("server/src/main.rs", 8, BLOCKING),
        ],
        "{doc:#}"
    );
    // PATH mode: each package is its own crate; the member's functions are not seen.
    let (_, doc) = json(&ws, &["server/src"]);
    assert_eq!(findings(&doc), vec![], "{doc:#}");
}

#[test]
fn binary_glob_importing_its_library_reaches_it_from_main() {
    // `pub use app::*;` in the binary: `Db::open()` is the library's, reached from `main`
    // only (startup, capped at `allow`); `--context-main warn` shows it with that context.
    let dir = temp_dir("bin_glob_lib");
    write(
        &dir,
        "Cargo.toml",
        manifest(
            "app",
            "[lib]\nname = \"app\"\npath = \"src/lib.rs\"\n\n\
             [[bin]]\nname = \"app\"\npath = \"src/main.rs\"\n",
            "tokio = \"1\"\n",
        ),
    );
    write(&dir, "src/lib.rs", "mod database;\npub use database::Db;\n");
    write(
        &dir,
        "src/database.rs",
        "pub struct Db;\n\nimpl Db {\n    pub async fn open() -> Db {\n        \
         let _ = std::fs::create_dir_all(\"/tmp/db\");\n        Db\n    }\n}\n",
    );
    write(
        &dir,
        "src/main.rs",
        "pub use app::*;\n\n#[tokio::main]\nasync fn main() {\n    let _db = Db::open().await;\n}\n",
    );
    let found = only_from_main(&dir);
    assert_eq!(found["file"], "src/database.rs", "{found:#}");
    assert_eq!(found["line"], 5, "{found:#}");
}

/// A package's Cargo.toml: `targets` (`[lib]`/`[[bin]]` tables, or nothing) and the
/// `[dependencies]` lines.
fn manifest(name: &str, targets: &str, dependencies: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         {targets}\n[dependencies]\n{dependencies}"
    )
}

/// The workspace's one finding, capped by default because its code runs only from `main`:
/// shown (with that context) under `--context-main warn`.
fn only_from_main(dir: &Path) -> serde_json::Value {
    let (_, doc) = json(dir, &[]);
    assert_eq!(findings(&doc), vec![], "{doc:#}");
    let (_, doc) = json(dir, &["--context-main", "warn"]);
    let found = doc["diagnostics"][0].clone();
    assert_eq!(found["context"], "main", "{doc:#}");
    found
}

#[test]
fn included_files_are_part_of_the_module_tree() {
    // `include!("../opt/cli.rs")` in the library root: the included file is linted (its
    // own blocking call is found), its names are the root module's (the subcommand enum
    // types `commands`, so `RawOpt::exec` is reached from `main` only: capped), and an
    // include whose file is missing is a file_error at the `include!`.
    let dir = temp_dir("include_file");
    write(
        &dir,
        "Cargo.toml",
        manifest(
            "tool",
            "[lib]\nname = \"tool_cli\"\npath = \"src/cli/lib.rs\"\n\n\
             [[bin]]\nname = \"tool\"\npath = \"src/cli/main.rs\"\n",
            "tokio = \"1\"\n",
        ),
    );
    write(
        &dir,
        "src/opt/cli.rs",
        "pub struct Parser {\n    pub command: Command,\n}\n\n\
         pub enum Command {\n    Raw { commands: RawOpt },\n}\n\n\
         pub struct RawOpt;\n\n\
         pub async fn status() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    );
    write(
        &dir,
        "src/cli/lib.rs",
        "include!(\"../opt/cli.rs\");\nmod raw;\n\n\
         impl Parser {\n    pub async fn exec(self) {\n        match self.command {\n            \
         Command::Raw { commands } => commands.exec().await,\n        }\n    }\n}\n",
    );
    write(
        &dir,
        "src/cli/raw.rs",
        "use crate::RawOpt;\n\nimpl RawOpt {\n    pub async fn exec(&self) {\n        \
         let _ = std::fs::read(\"/tmp/raw\");\n    }\n}\n",
    );
    write(
        &dir,
        "src/cli/main.rs",
        "use tool_cli::{Command, Parser, RawOpt};\n\n#[tokio::main]\nasync fn main() {\n    \
         let parser = Parser { command: Command::Raw { commands: RawOpt } };\n    \
         parser.exec().await;\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        findings(&doc),
        vec![f("src/opt/cli.rs", 12, BLOCKING)],
        "{doc:#}"
    );
    // lib.rs, the included cli.rs, raw.rs, main.rs
    assert_eq!(doc["summary"]["files"], 4, "{doc:#}");
    write(&dir, "src/cli/lib.rs", "include!(\"../opt/gone.rs\");\n");
    let (code, doc) = json(&dir, &[]);
    assert_eq!(code, 1, "{doc:#}");
    let error = &doc["diagnostics"][0];
    assert_eq!(error["rule"], "file_error", "{doc:#}");
    assert_eq!(error["file"], "src/cli/lib.rs", "{doc:#}");
    assert_eq!(error["line"], 1, "{doc:#}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("include!(\"../opt/gone.rs\")"),
        "{doc:#}"
    );
}

#[test]
fn methods_through_a_glob_imported_prelude_are_the_types_own() {
    // A library's `prelude` re-exports `Qs`; its methods are written in an `impl Qs` of
    // a module that glob-imports the prelude, and a sibling member calls them through a
    // glob of the same prelude (`Qs::new()?` then `qs.init().await`): one method, reached
    // from the daemon's `main` only (startup, capped at `allow`).
    let dir = temp_dir("prelude_glob");
    write(
        &dir,
        "Cargo.toml",
        "[workspace]\nmembers = [\"lib\", \"core\", \"daemon\"]\nresolver = \"2\"\n",
    );
    write(&dir, "lib/Cargo.toml", manifest("kdlib", "", ""));
    write(
        &dir,
        "lib/src/lib.rs",
        "pub mod server;\n\npub mod prelude {\n    pub use crate::server::Qs;\n}\n",
    );
    write(
        &dir,
        "lib/src/server/mod.rs",
        "mod migrations;\n\npub struct Qs {\n    pub n: u8,\n}\n\nimpl Qs {\n    \
         pub fn new() -> Result<Self, ()> {\n        Ok(Qs { n: 1 })\n    }\n}\n",
    );
    write(
        &dir,
        "lib/src/server/migrations.rs",
        "use crate::prelude::*;\n\nimpl Qs {\n    pub async fn init(&self) {\n        \
         let _ = std::fs::read(\"/var/lib/x\");\n    }\n}\n",
    );
    write(
        &dir,
        "core/Cargo.toml",
        manifest("kdcore", "", "kdlib = { path = \"../lib\" }\n"),
    );
    write(
        &dir,
        "core/src/lib.rs",
        "use kdlib::prelude::*;\n\nasync fn setup() -> Result<Qs, ()> {\n    \
         let qs = Qs::new()?;\n    qs.init().await;\n    Ok(qs)\n}\n\n\
         pub async fn create() {\n    let _ = setup().await;\n}\n",
    );
    write(
        &dir,
        "daemon/Cargo.toml",
        manifest("kd", "", "kdcore = { path = \"../core\" }\ntokio = \"1\"\n"),
    );
    write(
        &dir,
        "daemon/src/main.rs",
        "#[tokio::main]\nasync fn main() {\n    kdcore::create().await;\n}\n",
    );
    let found = only_from_main(&dir);
    assert_eq!(found["file"], "lib/src/server/migrations.rs", "{found:#}");
    assert_eq!(found["item"], "kdlib::server::Qs::init", "{found:#}");
}

#[test]
fn workspace_cfg_test_code_only_with_tests_or_all_targets() {
    let ws = data("two_members");
    for flag in ["--tests", "--all-targets"] {
        let (_, doc) = json(&ws, &[flag]);
        let got = findings(&doc);
        assert!(
            got.contains(&f("lib_a/src/lib.rs", 15, BLOCKING)),
            "{flag}: the #[cfg(test)] sleep is linted\n{got:?}"
        );
        assert_eq!(got.len(), 5, "{flag}: {got:?}");
    }
    let (_, doc) = json(&ws, &[]);
    assert!(!findings(&doc).contains(&f("lib_a/src/lib.rs", 15, BLOCKING)));
}

#[test]
fn workspace_via_manifest_path_from_elsewhere() {
    let ws = data("two_members");
    let elsewhere = temp_dir("elsewhere");
    let manifest = ws.join("Cargo.toml");
    let (code, doc) = json(&elsewhere, &["--manifest-path", manifest.to_str().unwrap()]);
    assert_eq!(code, 0);
    // `file` is relative to the workspace root, not to the current directory.
    assert_eq!(findings(&doc), two_members_default());
}

#[test]
fn package_flag_limits_to_one_member() {
    let ws = data("two_members");
    for args in [&["-p", "lib_a"][..], &["--package", "lib_a"][..]] {
        let (code, doc) = json(&ws, args);
        assert_eq!(code, 0);
        assert_eq!(findings(&doc), lib_a_default(), "{args:?}");
        assert_eq!(doc["summary"]["files"], 5, "{args:?}");
    }
    let (_, doc) = json(&ws, &["-p", "app"]);
    assert_eq!(findings(&doc), vec![f("app/src/main.rs", 4, BLOCKING)]);
}

#[test]
fn workspace_exclude_drops_a_member() {
    let ws = data("two_members");
    let (code, doc) = json(&ws, &["--workspace", "--exclude", "app"]);
    assert_eq!(code, 0);
    assert_eq!(findings(&doc), lib_a_default());
}

#[test]
fn unknown_package_is_a_usage_error() {
    let ws = data("two_members");
    let out = run(&ws, &["-p", "nope"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("nope"), "{out:?}");
}

#[test]
fn running_inside_a_member_lints_that_member_like_cargo_check() {
    // `cargo check` run in a member directory of a virtual workspace checks only that member.
    let ws = data("two_members");
    let (code, doc) = json(&ws.join("lib_a"), &[]);
    assert_eq!(code, 0);
    assert_eq!(findings(&doc), lib_a_default(), "{doc:#}");
}

// ---------------------------------------------------------------------------------------
// 2. PATH mode
// ---------------------------------------------------------------------------------------

#[test]
fn path_mode_directory_skips_target_hidden_and_gitignored() {
    let dir = data("single");
    let blocking = "async fn f() { std::thread::sleep(std::time::Duration::ZERO); }\n";
    write(&dir, "target/debug/build/out.rs", blocking);
    write(&dir, "sub/target/gen.rs", blocking);
    // cargo tags its build directories; a `target` folder that is neither tagged nor
    // beside a Cargo.toml is source (the `cc` crate has `src/target/`)
    write(
        &dir,
        "sub/target/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55",
    );
    write(&dir, "src/target/real.rs", blocking);
    write(&dir, ".hidden/x.rs", blocking);
    write(&dir, "src/.cache/y.rs", blocking);
    write(&dir, "ignored/z.rs", blocking);
    write(&dir, "src/skip_me.rs", blocking);
    write(&dir, ".gitignore", "ignored/\nskip_me.rs\n");
    write(
        &dir,
        "src/tested.rs",
        "#[cfg(test)]\nmod tests {\n    async fn t() { std::thread::sleep(std::time::Duration::ZERO); }\n}\n",
    );
    let (code, doc) = json(&dir, &["."]);
    assert_eq!(code, 0);
    assert_eq!(
        findings(&doc),
        vec![
            f("src/lib.rs", 2, BLOCKING),
            f("src/target/real.rs", 1, BLOCKING),
            f("src/tested.rs", 3, BLOCKING)
        ],
        "test code inside given paths is linted; nothing below cargo's target/, hidden or ignored dirs\n{doc:#}"
    );
    assert_eq!(doc["summary"]["files"], 3);
}

#[test]
fn path_mode_paths_are_relative_to_the_current_directory() {
    let dir = data("single");
    write(&dir, "src/more/deep.rs", ASYNC_READ);
    // a directory below the current one
    let (_, doc) = json(&dir, &["src"]);
    assert_eq!(
        files_with_findings(&doc),
        ["src/lib.rs", "src/more/deep.rs"]
    );
    // a single file
    let (code, doc) = json(&dir, &["src/more/deep.rs"]);
    assert_eq!(code, 0);
    assert_eq!(findings(&doc), vec![f("src/more/deep.rs", 2, BLOCKING)]);
    assert_eq!(doc["summary"]["files"], 1);
    // run from inside src/
    let (_, doc) = json(&dir.join("src"), &["lib.rs"]);
    assert_eq!(files_with_findings(&doc), ["lib.rs"]);
    // an absolute path below the current directory is shown relative to it
    let absolute = dir.join("src/lib.rs");
    let (_, doc) = json(&dir, &[absolute.to_str().unwrap()]);
    assert_eq!(files_with_findings(&doc), ["src/lib.rs"]);
    // run from the parent directory
    let parent = dir.parent().unwrap();
    let name = dir.file_name().unwrap().to_str().unwrap();
    let (_, doc) = json(parent, &[&format!("{name}/src/lib.rs")]);
    assert_eq!(files_with_findings(&doc), [format!("{name}/src/lib.rs")]);
}

// ---------------------------------------------------------------------------------------
// 3. stdin
// ---------------------------------------------------------------------------------------

#[test]
fn stdin_is_linted_under_the_stdin_filename() {
    let dir = data("single");
    let source =
        "use std::thread;\n\nasync fn wait() {\n    thread::sleep(std::time::Duration::ZERO);\n}\n";
    let out = run_with_stdin(
        &dir,
        &["--format", "json", "-", "--stdin-filename", "src/x.rs"],
        Some(source),
    );
    assert_eq!(out.code, 0, "{out:?}");
    let doc: Value = json_output(&out.stdout);
    assert_eq!(findings(&doc), vec![f("src/x.rs", 4, BLOCKING)]);
    let d = &diagnostics(&doc)[0];
    assert_eq!(d["column"], 5);
    assert_eq!(d["end_column"], 18); // `thread::sleep`
    assert_eq!(doc["summary"]["files"], 1);

    // Short format names the stdin file too, and a clean text gives exit 0 and no output.
    let out = run_with_stdin(
        &dir,
        &["--format", "short", "-", "--stdin-filename", "src/x.rs"],
        Some(source),
    );
    assert!(
        out.stdout
            .starts_with("src/x.rs:4:5: warning[blocking_in_async]: "),
        "{out:?}"
    );
    let out = run_with_stdin(
        &dir,
        &["--format", "short", "-", "--stdin-filename", "src/x.rs"],
        Some("fn main() {}\n"),
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
}

// ---------------------------------------------------------------------------------------
// 4. output formats
// ---------------------------------------------------------------------------------------

#[test]
fn format_json_has_every_spec_field_and_exact_byte_offsets() {
    let dir = data("single");
    let (code, doc) = json(&dir, &["src/lib.rs"]);
    assert_eq!(code, 0);
    assert_eq!(doc["version"], 1);
    let d = &diagnostics(&doc)[0];
    assert_eq!(d["rule"], BLOCKING);
    assert_eq!(d["level"], "warning");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("std::fs::read_to_string"),
        "{d:#}"
    );
    assert_eq!(d["file"], "src/lib.rs");
    assert_eq!(
        (&d["line"], &d["column"], &d["end_line"], &d["end_column"]),
        (
            &Value::from(2),
            &Value::from(5),
            &Value::from(2),
            &Value::from(28)
        ),
        "{d:#}"
    );
    let text = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let start = d["byte_start"].as_u64().unwrap() as usize;
    let end = d["byte_end"].as_u64().unwrap() as usize;
    assert_eq!(&text[start..end], "std::fs::read_to_string");
    assert_eq!(d["model"], "async-io");
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .contains("tokio::fs::read_to_string"),
        "{d:#}"
    );
    let suggestion = &d["suggestion"];
    assert!(
        suggestion.is_null() || suggestion["replacement"].is_string(),
        "{d:#}"
    );
    if suggestion.is_object() {
        assert!(
            [
                "machine-applicable",
                "maybe-incorrect",
                "has-placeholders",
                "unspecified"
            ]
            .contains(&suggestion["applicability"].as_str().unwrap()),
            "{d:#}"
        );
    }
    let notes = d["notes"].as_array().expect("notes array");
    for note in notes {
        assert!(note["message"].is_string(), "{note:#}");
    }
    assert!(
        notes
            .iter()
            .any(|n| n["line"] == 1 && n["file"] == "src/lib.rs"),
        "a note points at the async fn header: {d:#}"
    );
    let summary = &doc["summary"];
    assert_eq!(summary["files"], 1);
    assert_eq!(summary["diagnostics"], 1);
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["warnings"], 1);
    assert_eq!(summary["parse_errors"], 0);
}

#[test]
fn format_json_columns_count_unicode_scalar_values() {
    let dir = temp_dir("unicode");
    // "é" and "🦀" are one column each but 2 and 4 bytes.
    write(
        &dir,
        "u.rs",
        "async fn f() { let _é = \"🦀\"; std::thread::sleep(std::time::Duration::ZERO); }\n",
    );
    let (_, doc) = json(&dir, &["u.rs"]);
    let d = &diagnostics(&doc)[0];
    let text = std::fs::read_to_string(dir.join("u.rs")).unwrap();
    let start = d["byte_start"].as_u64().unwrap() as usize;
    let end = d["byte_end"].as_u64().unwrap() as usize;
    assert_eq!(&text[start..end], "std::thread::sleep");
    let column = text[..start].chars().count() + 1;
    assert_eq!(d["column"], column, "{d:#}");
    assert_eq!(
        d["end_column"],
        column + "std::thread::sleep".len(),
        "{d:#}"
    );
}

#[test]
fn format_short_is_one_line_per_finding() {
    let ws = data("two_members");
    let out = run(&ws, &["--format", "short"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{out:?}");
    for line in &lines {
        // path:line:col: warning[rule]: message
        let (location, rest) = line.split_once(": ").unwrap();
        let parts: Vec<&str> = location.split(':').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert!(parts[0].ends_with(".rs"), "{line}");
        assert!(
            parts[1].parse::<u32>().is_ok() && parts[2].parse::<u32>().is_ok(),
            "{line}"
        );
        assert!(rest.starts_with("warning[blocking_in_async]: "), "{line}");
    }
    assert!(lines.contains(
        &"app/src/main.rs:4:5: warning[blocking_in_async]: blocking sleep `std::thread::sleep` in async context"
    ), "{out:?}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("lib_a/src/net/tcp.rs:4:5: ")));
}

#[test]
fn format_human_is_rustc_style_with_summary() {
    let ws = data("two_members");
    let out = run(&ws, &["--format", "human"]);
    assert_eq!(out.code, 0, "{out:?}");
    let s = &out.stdout;
    // rustc's lint shape: `warning: message`, the lint named in a note (see tests/editors.rs)
    assert!(
        s.contains("warning: blocking sleep")
            && s.contains("`#[warn(concurrency_lint::blocking_in_async)]` on by default"),
        "{out:?}"
    );
    assert!(
        !s.contains("\u{1b}["),
        "no color when stdout is not a terminal:\n{s}"
    );
    assert!(s.contains("--> app/src/main.rs:4:5"), "{out:?}");
    assert!(s.contains("help:"), "{out:?}");
    assert!(
        s.contains("runs on the async executor"),
        "secondary label on the async fn: {out:?}"
    );
    let summary = s.lines().last().unwrap();
    assert!(
        summary.starts_with("4 warnings, 0 errors in 6 files"),
        "summary line: {summary:?}"
    );
    // the default format is human
    let default = run(&ws, &[]);
    assert!(default
        .stdout
        .contains("#[warn(concurrency_lint::blocking_in_async)]"));
    // --quiet drops the summary
    let quiet = run(&ws, &["--quiet"]);
    assert!(!quiet.stdout.contains("warnings, 0 errors"), "{quiet:?}");
    // --color always colors
    let color = run(&ws, &["--color", "always"]);
    assert!(color.stdout.contains("\u{1b}["), "{color:?}");
}

#[test]
fn format_github_workflow_commands() {
    let ws = data("two_members");
    let out = run(&ws, &["--format", "github"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "one command per finding, newlines escaped: {out:?}"
    );
    assert!(
        lines.contains(&"::warning file=app/src/main.rs,line=4,col=5,endLine=4,endColumn=23,title=concurrency_lint%3A%3Ablocking_in_async::blocking sleep `std::thread::sleep` in async context%0Ahelp: use `tokio::time::sleep(..).await` instead (tokio runtime)")
            || lines.iter().any(|l| l.starts_with("::warning file=app/src/main.rs,line=4,col=5,endLine=4,endColumn=23,title=")),
        "{out:?}"
    );
    for line in lines {
        assert!(line.starts_with("::warning file="), "{line}");
    }
    // deny → ::error
    let out = run(&ws, &["--format", "github", "-D", BLOCKING]);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("::error file=")),
        "{out:?}"
    );
}

#[test]
fn format_sarif_is_sarif_2_1_0() {
    let ws = data("two_members");
    let out = run(&ws, &["--format", "sarif"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(doc["version"], "2.1.0");
    assert!(
        doc["$schema"].as_str().unwrap_or("").contains("sarif"),
        "{doc:#}"
    );
    let run0 = &doc["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for result in results {
        assert_eq!(result["ruleId"], BLOCKING);
        assert_eq!(result["level"], "warning");
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"].is_string(),
            "{result:#}"
        );
        assert!(location["region"]["startLine"].is_u64(), "{result:#}");
        assert!(result["partialFingerprints"].is_object(), "{result:#}");
    }
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(&"app/src/main.rs"),
        "repo-relative URIs: {uris:?}"
    );
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == BLOCKING), "{rules:?}");
}

#[test]
fn message_format_json_is_cargo_compatible() {
    let ws = data("two_members");
    let out = run(&ws, &["--message-format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (last, messages) = lines.split_last().unwrap();
    assert_eq!(last["reason"], "build-finished");
    assert_eq!(last["success"], true);
    assert_eq!(messages.len(), 4);
    for m in messages {
        assert_eq!(m["reason"], "compiler-message");
        assert!(
            m["package_id"].is_string() && m["manifest_path"].is_string(),
            "{m:#}"
        );
        assert!(m["target"]["kind"].is_array(), "{m:#}");
        let message = &m["message"];
        assert_eq!(
            message["code"]["code"],
            "concurrency_lint::blocking_in_async"
        );
        assert_eq!(message["level"], "warning");
        assert!(message["rendered"]
            .as_str()
            .unwrap()
            .contains("blocking_in_async"));
        let spans = message["spans"].as_array().unwrap();
        let primary: Vec<&Value> = spans.iter().filter(|s| s["is_primary"] == true).collect();
        assert_eq!(primary.len(), 1, "{message:#}");
        let text = primary[0]["text"].as_array().unwrap();
        assert!(!text.is_empty(), "{message:#}");
        assert!(text[0]["text"].is_string() && text[0]["highlight_start"].is_u64());
    }
    // The app finding: its span slices `std::thread::sleep`, and its package is app.
    let app = messages
        .iter()
        .find(|m| m["message"]["spans"][0]["file_name"] == "app/src/main.rs")
        .expect("a message for app/src/main.rs");
    let span = &app["message"]["spans"][0];
    assert_eq!(
        (&span["line_start"], &span["column_start"]),
        (&Value::from(4), &Value::from(5))
    );
    assert_eq!(
        span["text"][0]["text"],
        "    std::thread::sleep(Duration::from_millis(10));"
    );
    // Each message names the package and target its file belongs to, as cargo does.
    for m in messages {
        let file = m["message"]["spans"][0]["file_name"].as_str().unwrap();
        let member = file.split('/').next().unwrap();
        let manifest = m["manifest_path"].as_str().unwrap();
        assert_eq!(
            Path::new(manifest),
            ws.join(member).join("Cargo.toml"),
            "{file}: manifest_path of its own package"
        );
        assert!(
            m["package_id"]
                .as_str()
                .unwrap()
                .contains(&format!("/{member}#")),
            "{file}: package_id of its own package: {}",
            m["package_id"]
        );
        let src_path = m["target"]["src_path"].as_str().unwrap();
        assert!(
            Path::new(src_path).is_file(),
            "{file}: target.src_path {src_path} exists"
        );
        let (kind, src) = if member == "app" {
            ("bin", "app/src/main.rs")
        } else {
            ("lib", "lib_a/src/lib.rs")
        };
        assert_eq!(m["target"]["kind"][0], kind, "{file}: {}", m["target"]);
        assert_eq!(Path::new(src_path), ws.join(src), "{file}");
        assert_eq!(
            m["target"]["name"],
            if member == "app" { "app" } else { "lib_a" },
            "{file}"
        );
    }
    // deny → build-finished success false
    let out = run(&ws, &["--message-format", "json", "-D", BLOCKING]);
    let last: Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["success"], false);
    assert_eq!(out.code, 1);
}

#[test]
fn editor_flags_are_accepted_and_ignored() {
    // rust-analyzer: check.overrideCommand = ["cargo", "concurrency-lint", "--workspace",
    // "--message-format=json", "--all-targets", ...]
    let ws = data("two_members");
    let out = run(
        &ws,
        &[
            "concurrency-lint",
            "--workspace",
            "--message-format=json",
            "--all-targets",
            "--all-features",
            "--keep-going",
            "--target-dir",
            "target/ra",
            "--features",
            "x",
            "--no-default-features",
            "--locked",
            "--config",
            "build.jobs=1",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .lines()
            .last()
            .unwrap()
            .contains("build-finished"),
        "{out:?}"
    );
    assert_eq!(
        out.stdout.lines().count(),
        6,
        "5 findings with test code + build-finished: {out:?}"
    );
}

#[test]
fn output_flag_writes_the_report_to_a_file() {
    let dir = data("single");
    let out = run(
        &dir,
        &["--format", "json", "-o", "report.json", "src/lib.rs"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "");
    let doc: Value = json_output(&std::fs::read_to_string(dir.join("report.json")).unwrap());
    assert_eq!(findings(&doc), vec![f("src/lib.rs", 2, BLOCKING)]);
}

// ---------------------------------------------------------------------------------------
// 5. exit codes and levels
// ---------------------------------------------------------------------------------------

#[test]
fn exit_0_when_clean() {
    let dir = temp_dir("clean");
    write(
        &dir,
        "ok.rs",
        "async fn f() { tokio::fs::read(\"a\").await.ok(); }\n",
    );
    let (code, doc) = json(&dir, &["ok.rs"]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["diagnostics"], 0);
    let out = run(&dir, &["ok.rs"]);
    assert!(
        out.stdout.contains("0 warnings, 0 errors in 1 file"),
        "{out:?}"
    );
}

#[test]
fn exit_codes_follow_levels() {
    let ws = data("two_members");
    let code = |args: &[&str]| {
        let out = run(&ws, args);
        (out.code, out)
    };
    assert_eq!(code(&[]).0, 0, "warnings only");
    assert_eq!(code(&["--deny-warnings"]).0, 1);
    for deny in [BLOCKING, "blocking", "all"] {
        let (c, out) = code(&["-D", deny]);
        assert_eq!(c, 1, "-D {deny}: {out:?}");
        assert!(
            out.stdout
                .contains("`#[deny(concurrency_lint::blocking_in_async)]`"),
            "{out:?}"
        );
    }
    assert_eq!(code(&["--deny", BLOCKING]).0, 1);
    assert_eq!(code(&["-D", "all", "--exit-zero"]).0, 0);
    assert_eq!(code(&["--deny-warnings", "--exit-zero"]).0, 0);
}

#[test]
fn allow_silences_and_later_flags_win() {
    let ws = data("two_members");
    let (code, doc) = json(&ws, &["-A", BLOCKING]);
    assert_eq!(
        (code, doc["summary"]["diagnostics"].clone()),
        (0, Value::from(0))
    );
    let (code, doc) = json(&ws, &["-D", "all", "-A", BLOCKING]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["diagnostics"], 0);
    // and the other way round
    let (code, doc) = json(&ws, &["-A", BLOCKING, "-D", "all"]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["errors"], 4);
    // -W lowers a deny back to a warning
    let (code, doc) = json(&ws, &["-D", "all", "-W", "blocking"]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["warnings"], 4);
    // --deny-warnings with everything allowed
    let (code, _) = json(&ws, &["-A", "all", "--deny-warnings"]);
    assert_eq!(code, 0);
}

#[test]
fn unknown_rule_on_the_command_line_is_exit_2() {
    let ws = data("two_members");
    let out = run(&ws, &["-D", "nope"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("nope"), "{out:?}");
    assert_eq!(out.stdout, "", "no report on a usage error: {out:?}");
}

#[test]
fn missing_path_is_exit_2() {
    let dir = temp_dir("missing");
    let out = run(&dir, &["does/not/exist.rs"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("does/not/exist.rs"), "{out:?}");
}

#[test]
fn no_cargo_project_and_no_path_is_exit_2() {
    let dir = temp_dir("empty");
    let out = run(&dir, &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("error"), "{out:?}");
}

#[test]
fn directory_without_rust_files_is_exit_2() {
    let dir = temp_dir("no_rs");
    write(&dir, "README.md", "hi\n");
    let out = run(&dir, &["."]);
    assert_eq!(out.code, 2, "nothing could be linted: {out:?}");
}

#[test]
fn bad_command_line_usage_is_exit_2() {
    let dir = temp_dir("usage");
    let out = run(&dir, &["--format", "xml", "."]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = run(&dir, &["--no-such-flag"]);
    assert_eq!(out.code, 2, "{out:?}");
    write(&dir, "a.rs", "fn f() {}\n");
    let out = run(&dir, &["--runtime", "bogus", "a.rs"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("bogus"), "{out:?}");
}

// ---------------------------------------------------------------------------------------
// 6. bad inputs
// ---------------------------------------------------------------------------------------

#[test]
fn syntax_error_is_a_finding_and_other_files_are_still_linted() {
    let dir = data("single");
    write(
        &dir,
        "src/broken.rs",
        "pub fn ok() {}\n\nfn broken() {\n    let x = ;\n}\n",
    );
    let (code, doc) = json(&dir, &["src"]);
    assert_eq!(code, 1, "a syntax error is level error\n{doc:#}");
    let got = findings(&doc);
    assert!(got.contains(&f("src/lib.rs", 2, BLOCKING)), "{got:?}");
    let error = diagnostics(&doc)
        .iter()
        .find(|d| d["rule"] == "syntax_error")
        .unwrap_or_else(|| panic!("a syntax_error finding: {doc:#}"));
    assert_eq!(error["file"], "src/broken.rs");
    assert_eq!(error["level"], "error");
    assert_eq!(
        (&error["line"], &error["column"]),
        (&Value::from(4), &Value::from(13)),
        "{error:#}"
    );
    assert_eq!(doc["summary"]["parse_errors"], 1);
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["summary"]["files"], 2);
}

#[test]
fn syntax_error_in_a_module_file_in_workspace_mode() {
    let dir = data("single");
    write(&dir, "src/lib.rs", format!("mod broken;\n{ASYNC_READ}"));
    write(&dir, "src/broken.rs", "fn broken( {\n");
    let (code, doc) = json(&dir, &[]);
    assert_eq!(code, 1, "{doc:#}");
    let got = findings(&doc);
    assert!(got.contains(&f("src/lib.rs", 3, BLOCKING)), "{got:?}");
    assert!(
        got.iter().any(|(file, line, rule)| file == "src/broken.rs"
            && *line == 1
            && rule == "syntax_error"),
        "{got:?}"
    );
    // the human format shows it as an error and counts it
    let out = run(&dir, &[]);
    assert!(
        out.stdout.contains("error: syntax error")
            && out
                .stdout
                .contains("`concurrency_lint::syntax_error` is always on"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("1 warning, 1 error in 2 files"),
        "{out:?}"
    );
    // -A cannot turn it off (always on)
    let out = run(&dir, &["-A", "all"]);
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn non_utf8_file_is_a_file_error_and_others_are_still_linted() {
    let dir = data("single");
    write(&dir, "src/latin1.rs", b"// caf\xe9\nfn f() {}\n");
    let (code, doc) = json(&dir, &["src"]);
    assert_eq!(code, 1, "{doc:#}");
    let got = findings(&doc);
    assert!(got.contains(&f("src/lib.rs", 2, BLOCKING)), "{got:?}");
    assert!(
        got.contains(&f("src/latin1.rs", 1, "file_error")),
        "{got:?}"
    );
    let error = diagnostics(&doc)
        .iter()
        .find(|d| d["rule"] == "file_error")
        .unwrap();
    assert_eq!(error["level"], "error");
    assert!(
        error["message"].as_str().unwrap().contains("UTF-8"),
        "{error:#}"
    );
    // human output names the file
    let out = run(&dir, &["src"]);
    assert!(out.stdout.contains("src/latin1.rs"), "{out:?}");
    assert!(
        out.stdout.contains("error: cannot lint `src/latin1.rs`")
            && out
                .stdout
                .contains("`concurrency_lint::file_error` is always on"),
        "{out:?}"
    );
}

#[test]
fn non_utf8_stdin_is_a_file_error_not_a_crash() {
    let dir = temp_dir("stdin_bytes");
    let mut child = Command::new(BIN)
        .args(["--format", "json", "-", "--stdin-filename", "x.rs"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"fn f() {}\n// \xff\n")
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let doc: Value = json_output(&stdout);
    assert_eq!(findings(&doc), vec![f("x.rs", 1, "file_error")]);
}

#[cfg(unix)]
#[test]
fn unreadable_module_file_is_a_file_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = data("single");
    write(&dir, "src/lib.rs", format!("mod secret;\n{ASYNC_READ}"));
    write(&dir, "src/secret.rs", "pub fn s() {}\n");
    let secret = dir.join("src/secret.rs");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut expected_error = "ermission denied";
    if std::fs::read(&secret).is_ok() {
        // Root reads mode-000 files. On Linux, /proc/self/mem is a regular file whose
        // read at offset 0 fails (EIO) even for root: link the module file to it.
        if !cfg!(target_os = "linux") {
            eprintln!("skipped: running as root, a mode-000 file is still readable");
            return;
        }
        std::fs::remove_file(&secret).unwrap();
        std::os::unix::fs::symlink("/proc/self/mem", &secret).unwrap();
        expected_error = "os error";
    }
    let (code, doc) = json(&dir, &[]);
    let _ = std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644));
    assert_eq!(code, 1, "{doc:#}");
    let got = findings(&doc);
    assert!(got.contains(&f("src/lib.rs", 3, BLOCKING)), "{got:?}");
    let error = diagnostics(&doc)
        .iter()
        .find(|d| d["rule"] == "file_error")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(error["file"], "src/secret.rs");
    assert!(
        error["message"].as_str().unwrap().contains(expected_error),
        "{error:#}"
    );
}

#[test]
fn missing_manifest_path_is_exit_2_naming_it() {
    let dir = temp_dir("no_manifest");
    let out = run(&dir, &["--manifest-path", "nowhere/Cargo.toml"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("nowhere/Cargo.toml"), "{out:?}");
}

#[test]
fn broken_cargo_toml_is_exit_2() {
    let dir = data("single");
    write(&dir, "Cargo.toml", "[package\nname = \"single\"\n");
    let out = run(&dir, &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("Cargo.toml"), "{out:?}");
    // There is a Cargo.toml: the hint for a directory without one would mislead.
    assert!(!out.stderr.contains("no Cargo.toml here"), "{out:?}");
}

#[test]
fn no_cargo_toml_is_exit_2_with_a_hint() {
    let dir = temp_dir("no_cargo_toml");
    let out = run(&dir, &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("no Cargo.toml here or above: pass PATHs or --manifest-path"),
        "{out:?}"
    );
}

fn config_error(config: &str) -> Out {
    let dir = data("single");
    write(&dir, "concurrency-lint.toml", config);
    let out = run(&dir, &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    out
}

#[test]
fn config_unknown_key_names_file_and_line() {
    let out = config_error("[rules]\nblocking_in_async = \"warn\"\n\n[blockng]\nextra = []\n");
    assert!(out.stderr.contains("concurrency-lint.toml:4"), "{out:?}");
    assert!(out.stderr.contains("blockng"), "{out:?}");
    let out = config_error("# top\n\nexclude = []\nfrobnicate = true\n");
    assert!(out.stderr.contains("concurrency-lint.toml:4"), "{out:?}");
    let out = config_error("[blocking]\nwrappers = []\nwraper = [\"x\"]\n");
    assert!(out.stderr.contains("concurrency-lint.toml:3"), "{out:?}");
}

#[test]
fn config_unknown_rule_names_file_and_line() {
    let out = config_error("[rules]\nblocking_in_async = \"warn\"\nnot_a_rule = \"deny\"\n");
    assert!(out.stderr.contains("concurrency-lint.toml:3"), "{out:?}");
    assert!(out.stderr.contains("not_a_rule"), "{out:?}");
}

#[test]
fn config_bad_level_names_file_and_line() {
    let out = config_error("\n[rules]\nblocking_in_async = \"loud\"\n");
    assert!(out.stderr.contains("concurrency-lint.toml:3"), "{out:?}");
    assert!(out.stderr.contains("loud"), "{out:?}");
}

#[test]
fn config_invalid_toml_names_file_and_line() {
    let out = config_error("[rules]\nblocking_in_async = \n");
    assert!(out.stderr.contains("concurrency-lint.toml:2"), "{out:?}");
}

#[test]
fn package_metadata_config_in_cargo_toml() {
    let dir = data("single");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    write(
        &dir,
        "Cargo.toml",
        format!(
            "{manifest}\n[package.metadata.concurrency-lint.rules]\nblocking_in_async = \"deny\"\n"
        ),
    );
    let out = run(&dir, &[]);
    assert_eq!(out.code, 1, "workspace mode: {out:?}");
    let out = run(&dir, &["src/lib.rs"]);
    assert_eq!(
        out.code, 1,
        "PATH mode uses the enclosing package's Cargo.toml too: {out:?}"
    );
}

#[test]
fn workspace_metadata_config_in_virtual_manifest() {
    let ws = data("two_members");
    let manifest = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    write(
        &ws,
        "Cargo.toml",
        format!("{manifest}\n[workspace.metadata.concurrency-lint.rules]\nblocking = \"allow\"\n"),
    );
    let (code, doc) = json(&ws, &[]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
}

#[test]
fn package_metadata_bad_level_names_cargo_toml_and_line() {
    let dir = data("single");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let line = manifest.lines().count() + 3;
    write(
        &dir,
        "Cargo.toml",
        format!(
            "{manifest}\n[package.metadata.concurrency-lint.rules]\nblocking_in_async = \"loud\"\n"
        ),
    );
    let out = run(&dir, &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(&format!("Cargo.toml:{line}")),
        "expected Cargo.toml:{line}\n{out:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 7. configuration
// ---------------------------------------------------------------------------------------

#[test]
fn config_rules_allow_silences() {
    let dir = data("single");
    write(
        &dir,
        "concurrency-lint.toml",
        "[rules]\nblocking_in_async = \"allow\"\n",
    );
    let (code, doc) = json(&dir, &[]);
    assert_eq!(
        (code, doc["summary"]["diagnostics"].clone()),
        (0, Value::from(0))
    );
    // the hidden file name works too
    let dir = data("single");
    write(
        &dir,
        ".concurrency-lint.toml",
        "[rules]\nblocking_in_async = \"deny\"\n",
    );
    let (code, _) = json(&dir, &[]);
    assert_eq!(code, 1);
    // the command line overrides the config file
    let (code, doc) = json(&dir, &["-W", BLOCKING]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["warnings"], 1);
}

#[test]
fn config_extra_blocking_function() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "pub async fn handler() {\n    mycrate::db::query_sync();\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        doc["summary"]["diagnostics"], 0,
        "unknown function: no finding"
    );
    write(
        &dir,
        "concurrency-lint.toml",
        "[blocking]\nextra = [{ path = \"mycrate::db::query_sync\", replacement = \"mycrate::db::query\" }]\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        findings(&doc),
        vec![f("src/lib.rs", 2, BLOCKING)],
        "{doc:#}"
    );
    let d = &diagnostics(&doc)[0];
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("mycrate::db::query_sync"),
        "{d:#}"
    );
    let mentioned = d["help"]
        .as_str()
        .unwrap_or("")
        .contains("mycrate::db::query")
        || d["suggestion"]["replacement"]
            .as_str()
            .unwrap_or("")
            .contains("mycrate::db::query");
    assert!(mentioned, "the configured replacement is suggested: {d:#}");
    // without a replacement
    write(
        &dir,
        "concurrency-lint.toml",
        "[blocking]\nextra = [{ path = \"mycrate::db::query_sync\" }]\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        findings(&doc),
        vec![f("src/lib.rs", 2, BLOCKING)],
        "{doc:#}"
    );
}

#[test]
fn config_extra_wrapper_insulates() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "pub async fn handler() {\n    mycrate::offload(|| std::fs::read(\"a\"));\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        findings(&doc),
        vec![f("src/lib.rs", 2, BLOCKING)],
        "not a wrapper yet"
    );
    write(
        &dir,
        "concurrency-lint.toml",
        "[blocking]\nwrappers = [\"mycrate::offload\"]\n",
    );
    let (code, doc) = json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
}

#[test]
fn config_exclude_skips_a_folder() {
    let dir = data("single");
    write(&dir, "generated/gen.rs", ASYNC_READ);
    write(&dir, "generated/deep/more.rs", ASYNC_READ);
    let (_, doc) = json(&dir, &["."]);
    assert_eq!(
        files_with_findings(&doc),
        ["generated/deep/more.rs", "generated/gen.rs", "src/lib.rs"]
    );
    write(
        &dir,
        "concurrency-lint.toml",
        "exclude = [\"generated/**\"]\n",
    );
    let (_, doc) = json(&dir, &["."]);
    assert_eq!(files_with_findings(&doc), ["src/lib.rs"], "{doc:#}");
    // the same given as a directory path, and from a subdirectory
    let (_, doc) = json(&dir, &["generated"]);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
    let (_, doc) = json(&dir.join("generated"), &["."]);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
    // in the [blocking] table, as the SPEC example writes it
    write(
        &dir,
        "concurrency-lint.toml",
        "[blocking]\nexclude = [\"generated/**\"]\n",
    );
    let (_, doc) = json(&dir, &["."]);
    assert_eq!(files_with_findings(&doc), ["src/lib.rs"], "{doc:#}");
}

#[test]
fn path_attribute_with_parent_dir_is_shown_normalized_and_can_be_excluded() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        format!("#[path = \"../generated/gen.rs\"]\nmod gen;\n{ASYNC_READ}"),
    );
    write(&dir, "generated/gen.rs", ASYNC_READ);
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        files_with_findings(&doc),
        ["generated/gen.rs", "src/lib.rs"],
        "`file` is a clean relative path, not src/../generated/gen.rs\n{doc:#}"
    );
    write(
        &dir,
        "concurrency-lint.toml",
        "exclude = [\"generated/**\"]\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(files_with_findings(&doc), ["src/lib.rs"], "{doc:#}");
}

#[test]
fn config_exclude_in_workspace_mode() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        format!("pub mod generated;\n{ASYNC_READ}"),
    );
    write(&dir, "src/generated/mod.rs", ASYNC_READ);
    write(
        &dir,
        "concurrency-lint.toml",
        "exclude = [\"src/generated/**\"]\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(files_with_findings(&doc), ["src/lib.rs"], "{doc:#}");
}

#[test]
fn no_config_and_config_flag() {
    let dir = data("single");
    write(
        &dir,
        "concurrency-lint.toml",
        "[rules]\nblocking_in_async = \"allow\"\n",
    );
    write(
        &dir,
        "other.toml",
        "[rules]\nblocking_in_async = \"deny\"\n",
    );
    let (code, doc) = json(&dir, &[]);
    assert_eq!(
        (code, doc["summary"]["diagnostics"].clone()),
        (0, Value::from(0))
    );
    let (code, doc) = json(&dir, &["--no-config"]);
    assert_eq!(code, 0);
    assert_eq!(
        doc["summary"]["warnings"], 1,
        "--no-config: defaults\n{doc:#}"
    );
    let (code, doc) = json(&dir, &["--config", "other.toml"]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["errors"], 1);
    // --no-config also skips a broken config file
    write(&dir, "concurrency-lint.toml", "nonsense = 1\n");
    let (code, _) = json(&dir, &["--no-config"]);
    assert_eq!(code, 0);
    // a missing --config file is an error naming it
    let out = run(&dir, &["--config", "missing.toml", "--no-config"]);
    assert_eq!(out.code, 0, "--no-config wins: {out:?}");
    let out = run(&dir, &["--config", "missing.toml"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("missing.toml"), "{out:?}");
}

#[test]
fn config_is_found_from_a_path_argument_upward() {
    let dir = data("single");
    write(
        &dir,
        "concurrency-lint.toml",
        "[rules]\nblocking_in_async = \"deny\"\n",
    );
    let (code, _) = json(&dir.join("src"), &["lib.rs"]);
    assert_eq!(code, 1, "config in a parent directory of the PATH is used");
}

// ---------------------------------------------------------------------------------------
// 8. suppression, explain, rules, help, cargo shim
// ---------------------------------------------------------------------------------------

#[test]
fn suppression_comment_end_to_end() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "pub async fn handler() {\n    // concurrency-lint: allow(blocking_in_async) -- tiny file at startup\n    let _ = std::fs::read(\"a\");\n    let _ = std::fs::read(\"b\");\n}\n",
    );
    let (code, doc) = json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(findings(&doc), vec![f("src/lib.rs", 4, BLOCKING)]);
    // a file-level suppression covers the file, and works through stdin too
    let text = "//! concurrency-lint: allow(blocking_in_async)\npub async fn handler() {\n    let _ = std::fs::read(\"b\");\n}\n";
    let out = run_with_stdin(
        &dir,
        &["--format", "json", "-", "--stdin-filename", "src/lib.rs"],
        Some(text),
    );
    let doc: Value = json_output(&out.stdout);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
}

/// A comment that silences a finding only the crate-level phase produces (a through-calls
/// `blocking_in_async` at a call into a sync helper that blocks) is used: suppressions are
/// judged after every phase (SPEC §3).
#[test]
fn suppression_of_a_through_calls_finding_is_used() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "fn load() -> Vec<u8> {\n    std::fs::read(\"a\").unwrap()\n}\n\npub async fn handler() {\n    // concurrency-lint: allow(blocking_in_async)\n    let _ = load();\n}\n",
    );
    // without the comment the call is a through-calls finding (the premise of the test)
    let unsuppressed = std::fs::read_to_string(dir.join("src/lib.rs"))
        .unwrap()
        .replace("    // concurrency-lint: allow(blocking_in_async)\n", "");
    let out = run_with_stdin(
        &dir,
        &["--format", "json", "-", "--stdin-filename", "src/lib.rs"],
        Some(&unsuppressed),
    );
    let doc: Value = json_output(&out.stdout);
    assert_eq!(
        findings(&doc),
        vec![f("src/lib.rs", 6, BLOCKING)],
        "{doc:#}"
    );
    // with it: no finding, and the comment is not reported as unused
    let (code, doc) = json(&dir, &["--report-unused-suppressions"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(findings(&doc), vec![], "{doc:#}");
}

#[test]
fn explain_prints_the_rule_docs() {
    let dir = temp_dir("explain");
    let out = run(&dir, &["explain", BLOCKING]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("## What it does"), "{out:?}");
    let out = run(&dir, &["explain", "nope"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("nope"), "{out:?}");
    // the cargo form
    let out = run(&dir, &["concurrency-lint", "explain", BLOCKING]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("## What it does"), "{out:?}");
}

#[test]
fn rules_lists_rules_with_group_and_default_level() {
    let dir = temp_dir("rules");
    let out = run(&dir, &["rules"]);
    assert_eq!(out.code, 0, "{out:?}");
    let row = out
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(BLOCKING))
        .unwrap_or_else(|| panic!("{out:?}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&columns[..3], &[BLOCKING, "blocking", "warn"], "{row}");
    for rule in ["block_on_in_async", "syntax_error", "file_error"] {
        assert!(out.stdout.contains(rule), "{rule}: {out:?}");
    }
}

#[test]
fn help_and_version() {
    let dir = temp_dir("help");
    let out = run(&dir, &["--help"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("--format"), "{out:?}");
    assert!(out.stdout.contains("explain"), "{out:?}");
    let out = run(&dir, &["concurrency-lint", "--help"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = run(&dir, &["--version"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(env!("CARGO_PKG_VERSION")), "{out:?}");
}

#[test]
fn cargo_subcommand_shim_drops_the_subcommand_name() {
    let ws = data("two_members");
    let direct = run(&ws, &["--format", "short", "-p", "lib_a"]);
    let shim = run(
        &ws,
        &["concurrency-lint", "--format", "short", "-p", "lib_a"],
    );
    assert_eq!(direct.code, shim.code);
    assert_eq!(direct.stdout, shim.stdout);
    assert_eq!(shim.stdout.lines().count(), 3, "{shim:?}");
    let out = run(&ws, &["concurrency-lint", "rules"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(BLOCKING));
    let out = run(&ws, &["concurrency-lint", "-D", "all"]);
    assert_eq!(out.code, 1, "{out:?}");
}

// ---------------------------------------------------------------------------------------
// 9. runtime detection
// ---------------------------------------------------------------------------------------

/// The help and suggestion text of the single finding.
fn advice(dir: &Path, args: &[&str]) -> String {
    let (_, doc) = json(dir, args);
    let ds = diagnostics(&doc);
    assert_eq!(ds.len(), 1, "{doc:#}");
    format!("{} {}", ds[0]["help"], ds[0]["suggestion"])
}

#[test]
fn runtime_detected_from_cargo_toml() {
    let tokio = data("single");
    let text = advice(&tokio, &[]);
    assert!(text.contains("tokio::fs::read_to_string"), "{text}");

    let async_std = data("runtime_async_std");
    for args in [&[][..], &["src/lib.rs"][..]] {
        let text = advice(&async_std, args);
        assert!(
            text.contains("async_std::fs::read_to_string"),
            "{args:?}: {text}"
        );
        assert!(!text.contains("tokio"), "{args:?}: {text}");
    }

    let smol = data("runtime_smol");
    for args in [&[][..], &["src/lib.rs"][..]] {
        let text = advice(&smol, args);
        assert!(
            text.contains("smol::fs::read_to_string"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn runtime_detected_per_member_of_a_workspace() {
    let ws = data("two_members");
    write(
        &ws,
        "lib_a/Cargo.toml",
        "[package]\nname = \"lib_a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsmol = \"2\"\n",
    );
    let (_, doc) = json(&ws, &[]);
    let lib = diagnostics(&doc)
        .iter()
        .find(|d| d["file"] == "lib_a/src/lib.rs")
        .unwrap();
    assert!(
        lib["help"]
            .as_str()
            .unwrap()
            .contains("smol::fs::read_to_string"),
        "{lib:#}"
    );
    let app = diagnostics(&doc)
        .iter()
        .find(|d| d["file"] == "app/src/main.rs")
        .unwrap();
    assert!(
        app["help"].as_str().unwrap().contains("tokio::time::sleep"),
        "{app:#}"
    );
}

#[test]
fn runtime_flag_and_config_override_detection() {
    let tokio = data("single");
    let text = advice(&tokio, &["--runtime", "smol"]);
    assert!(text.contains("smol::fs::read_to_string"), "{text}");
    let text = advice(&tokio, &["--runtime", "async-std", "src/lib.rs"]);
    assert!(text.contains("async_std::fs::read_to_string"), "{text}");
    write(&tokio, "concurrency-lint.toml", "runtime = \"async-std\"\n");
    let text = advice(&tokio, &[]);
    assert!(text.contains("async_std::fs::read_to_string"), "{text}");
    // the flag beats the config
    let text = advice(&tokio, &["--runtime", "smol"]);
    assert!(text.contains("smol::fs::read_to_string"), "{text}");
}

#[test]
fn stdin_runtime_comes_from_the_enclosing_package() {
    let dir = data("runtime_smol");
    let out = run_with_stdin(
        &dir,
        &["--format", "json", "-", "--stdin-filename", "src/lib.rs"],
        Some(ASYNC_READ),
    );
    let doc: Value = json_output(&out.stdout);
    assert!(
        diagnostics(&doc)[0]["help"]
            .as_str()
            .unwrap()
            .contains("smol::fs"),
        "{doc:#}"
    );
}

#[test]
fn diff_and_fix_apply_suggestions_by_safety() {
    let dir = data("single");
    let source = "pub async fn f() -> u32 {\n    1\n}\n\npub async fn g() -> u32 {\n    futures::executor::block_on(f())\n}\n";
    write(&dir, "src/lib.rs", source);
    // Our suggestions are maybe-incorrect: plain --diff / --fix change nothing.
    let out = run(&dir, &["--diff"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    let out = run(&dir, &["--diff", "--unsafe-fixes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("--- a/src/lib.rs"), "{out:?}");
    assert!(
        out.stdout
            .contains("-    futures::executor::block_on(f())\n+    f().await\n"),
        "{out:?}"
    );
    // --diff leaves the file alone; --fix --unsafe-fixes rewrites it and reports the rest.
    assert_eq!(
        std::fs::read_to_string(dir.join("src/lib.rs")).unwrap(),
        source
    );
    let (code, doc) = json(&dir, &["--fix", "--unsafe-fixes"]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
    let fixed = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(fixed.contains("    f().await\n"), "{fixed}");
}

/// The demo workspace marks every intended finding with `// MISTAKE(rule[, rule])`; the
/// linter must report exactly those (file, line, rule), nothing more, nothing less.
#[test]
fn demo_findings_match_its_mistake_comments() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    let manifest = demo.join("Cargo.toml");
    let (_, doc) = json(&demo, &["--manifest-path", manifest.to_str().unwrap()]);
    let mut actual: Vec<(String, u64, String)> = findings(&doc);
    actual.sort();
    let mut expected = Vec::new();
    let mut stack = vec![demo.join("crates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let file = path
                .strip_prefix(&demo)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for (index, line) in text.lines().enumerate() {
                let Some(at) = line.find("MISTAKE(") else {
                    continue;
                };
                let rules = &line[at + "MISTAKE(".len()..];
                let rules = &rules[..rules.find(')').unwrap()];
                for rule in rules.split(',') {
                    expected.push((file.clone(), index as u64 + 1, rule.trim().to_string()));
                }
            }
        }
    }
    expected.sort();
    assert_eq!(actual, expected);
}

#[test]
fn config_extends_every_catalog_in_its_own_schema() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "pub async fn login(p: &str) -> bool {\n    mycrate::auth::slow_hash(p)\n}\n\
         pub fn guarded(m: &mycrate::Lock) {\n    let _a = m.grab();\n    let _b = m.grab();\n}\n",
    );
    write(
        &dir,
        "concurrency-lint.toml",
        "[compute]\nfunction = [{ path = \"mycrate::auth::slow_hash\", category = \"password-hash\", what = \"custom password hashing\" }]\n\
         [guards]\nacquire = [{ names = [\"grab\"], mode = \"exclusive\" }]\n",
    );
    let (_, doc) = json(&dir, &[]);
    let found = findings(&doc);
    assert!(
        found.contains(&f("src/lib.rs", 2, "cpu_heavy_in_async")),
        "{doc:#}"
    );
    assert!(
        found.contains(&f("src/lib.rs", 6, "double_lock")),
        "{doc:#}"
    );
}

#[test]
fn config_catalog_extension_errors_name_file_and_line() {
    let out = config_error(
        "[rules]\nblocking_in_async = \"warn\"\n\n[spawn]\nspawner = [{ path = \"x::go\" }]\n",
    );
    assert!(out.stderr.contains("concurrency-lint.toml:4"), "{out:?}");
    assert!(out.stderr.contains("spawn"), "{out:?}");
}

#[test]
fn config_accepts_groups_and_every_spelling_of_a_rule() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "pub async fn handler() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    );
    for name in [
        "suppression",
        "blocking",
        "concurrency_lint::blocking_in_async",
        "blocking-in-async",
    ] {
        write(
            &dir,
            "concurrency-lint.toml",
            format!("[rules]\n\"{name}\" = \"deny\"\n"),
        );
        let out = run(&dir, &["--format", "short", "--color", "never"]);
        assert_ne!(out.code, 2, "{name}: {out:?}");
    }
    let out = config_error("[rules]\nblocking_in_asnyc = \"deny\"\n");
    assert!(
        out.stderr.contains("did you mean `blocking_in_async`"),
        "{out:?}"
    );
}

#[test]
fn findings_that_run_only_from_main_are_capped_unless_asked() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "#[tokio::main]\nasync fn main() {\n    let _ = std::fs::read_to_string(\"settings.toml\");\n}\n",
    );
    let (_, doc) = json(&dir, &["-W", "all"]);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
    let (_, doc) = json(&dir, &["--context-main", "warn"]);
    assert_eq!(
        findings(&doc),
        vec![f("src/lib.rs", 3, BLOCKING)],
        "{doc:#}"
    );
    assert_eq!(diagnostics(&doc)[0]["context"], "main", "{doc:#}");
    write(
        &dir,
        "concurrency-lint.toml",
        "[context]\nmain = \"warn\"\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(
        findings(&doc),
        vec![f("src/lib.rs", 3, BLOCKING)],
        "{doc:#}"
    );
    let out = config_error("[context]\nmain = \"loud\"\n");
    assert!(out.stderr.contains("concurrency-lint.toml:2"), "{out:?}");
}

/// A `#!` line is not parsed: the offsets of functions, tasks and callbacks are the
/// file's own, as findings' are, so a spawned block is still found to run in its task.
#[test]
fn contexts_in_a_script_with_a_long_shebang_line() {
    let dir = data("single");
    write(
        &dir,
        "src/main.rs",
        "#!/usr/bin/env -S cargo +nightly -Zscript --manifest-path=a/path/long/enough/to/be/longer/than/the/spawned/block/Cargo.toml\n\
         #[tokio::main]\n\
         async fn main() {\n    tokio::spawn(async { std::fs::read(\"x\") });\n}\n",
    );
    let (_, doc) = json(&dir, &["src/main.rs"]);
    assert_eq!(
        findings(&doc),
        vec![f("src/main.rs", 4, BLOCKING)],
        "{doc:#}"
    );
    assert_eq!(diagnostics(&doc)[0]["context"], "task", "{doc:#}");
}

#[test]
fn modules_declared_inside_item_macros_are_followed_in_cargo_mode() {
    let dir = data("single");
    write(
        &dir,
        "src/lib.rs",
        "macro_rules! cfg_rt { ($($item:item)*) => { $($item)* } }\n\
         cfg_rt! {\n    pub mod runtime;\n}\n\
         cfg_if::cfg_if! {\n    if #[cfg(unix)] {\n        #[path = \"sys_unix.rs\"]\n        mod sys;\n    }\n}\n\
         cfg_rt! {\n    pub mod bsd {\n        mod poll_aio;\n    }\n}\n",
    );
    // A `mod` inside an inline module of the macro lives in that module's directory.
    write(
        &dir,
        "src/bsd/poll_aio.rs",
        "pub async fn wait() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n",
    );
    write(
        &dir,
        "src/runtime.rs",
        "pub async fn handler() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    );
    write(
        &dir,
        "src/sys_unix.rs",
        "pub async fn poll() {\n    let _ = std::fs::read(\"/proc/stat\");\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(doc["summary"]["files"], 4, "{doc:#}");
    let found = findings(&doc);
    assert!(found.contains(&f("src/runtime.rs", 2, BLOCKING)), "{doc:#}");
    assert!(
        found.contains(&f("src/bsd/poll_aio.rs", 2, BLOCKING)),
        "{doc:#}"
    );
    assert!(
        found.contains(&f("src/sys_unix.rs", 2, BLOCKING)),
        "{doc:#}"
    );
}

/// `report --format json` on the demo matches `schemas/report.schema.json`, and its
/// verdicts name the demo's planted mistakes.
#[test]
fn report_json_matches_its_schema() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    let manifest = demo.join("Cargo.toml");
    let out = run(
        &demo,
        &[
            "report",
            "--format",
            "json",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    let schema = common::schema::load("report.schema.json");
    let problems = common::schema::errors(&schema, &value);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let verdict = |name: &str| {
        value["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["function"].as_str().unwrap().ends_with(name))
            .map(|f| f["verdict"].as_str().unwrap().to_string())
    };
    assert_eq!(
        verdict("handlers::serve_file_v1").as_deref(),
        Some("blocking")
    );
    assert_eq!(
        verdict("upstream::fetch_many_sequential").as_deref(),
        Some("fan-out")
    );
    for format in ["human", "markdown", "dot"] {
        let out = run(
            &demo,
            &[
                "report",
                "--format",
                format,
                "--manifest-path",
                manifest.to_str().unwrap(),
            ],
        );
        assert_eq!(out.code, 0, "{format}: {out:?}");
    }
}

#[test]
fn renamed_path_dependencies_are_followed_to_their_functions() {
    // `store = { path = .., package = "store-impl" }`: the app writes `store::open`, the
    // member's functions are `store_impl::..`; the call still reaches them, so code reached
    // only from the app's async `main` is `main` (capped), not a library API.
    let dir = temp_dir("renamed_dep");
    write(
        &dir,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"store-impl\"]\nresolver = \"2\"\n",
    );
    write(
        &dir,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nstore = { path = \"../store-impl\", package = \"store-impl\" }\ntokio = { version = \"1\", features = [\"full\"] }\n",
    );
    write(
        &dir,
        "app/src/main.rs",
        "#[tokio::main]\nasync fn main() {\n    store::open().await;\n}\n",
    );
    write(
        &dir,
        "store-impl/Cargo.toml",
        "[package]\nname = \"store-impl\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    );
    write(
        &dir,
        "store-impl/src/lib.rs",
        "pub async fn open() {\n    let _ = std::fs::create_dir_all(\"/tmp/store\");\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(doc["summary"]["diagnostics"], 0, "{doc:#}");
    let (_, doc) = json(&dir, &["--context-main", "warn"]);
    assert_eq!(
        findings(&doc),
        vec![f("store-impl/src/lib.rs", 2, BLOCKING)],
        "{doc:#}"
    );
    assert_eq!(diagnostics(&doc)[0]["context"], "main", "{doc:#}");
}

#[test]
fn raw_identifier_modules_are_found_in_their_files() {
    // `pub mod r#async;` lives in `async.rs` (also inside an item-position macro); cargo
    // mode skipped it silently.
    let dir = temp_dir("raw_mod");
    write(
        &dir,
        "Cargo.toml",
        "[package]\nname = \"rawmod\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    );
    write(
        &dir,
        "src/lib.rs",
        "pub mod r#async;\nmacro_rules! keep { ($($i:item)*) => { $($i)* } }\nkeep! { pub mod r#type; }\n",
    );
    let body = "pub async fn load() -> String {\n    std::fs::read_to_string(\"a\").unwrap()\n}\n";
    write(&dir, "src/async.rs", body);
    write(&dir, "src/type.rs", body);
    let expected = vec![
        f("src/async.rs", 2, BLOCKING),
        f("src/type.rs", 2, BLOCKING),
    ];
    let (_, doc) = json(&dir, &[]);
    assert_eq!(findings(&doc), expected, "{doc:#}");
    assert_eq!(doc["summary"]["files"], 3, "{doc:#}");
}

/// The note that says where a finding runs names the kind of entry it comes from: a
/// handler registered by name, a trait method a framework calls, a closure handed over as
/// a callback.
#[test]
fn context_notes_name_the_entry() {
    let dir = temp_dir("context_notes");
    let dependencies = "axum = \"0.7\"\ntokio = \"1\"\n";
    write(&dir, "Cargo.toml", manifest("app", "", dependencies));
    write(
        &dir,
        "src/lib.rs",
        "use axum::{routing::get, Router};\n\
         \n\
         async fn login() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n\
         \n\
         struct Echo;\n\
         \n\
         impl hyper_like::Handler for Echo {\n    async fn handle(&self) {\n        \
         let _ = std::fs::read(\"/etc/motd\");\n    }\n}\n\
         \n\
         pub fn app() -> Router {\n    Router::new()\n        .route(\"/login\", get(login))\n        \
         .route(\"/cb\", get(|| async { std::thread::sleep(std::time::Duration::ZERO) }))\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    let note_of = |line: u64| -> String {
        let d = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["line"] == line)
            .unwrap_or_else(|| panic!("a finding at line {line}: {doc:#}"));
        d["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["message"].as_str())
            .find(|m| m.starts_with("runs in"))
            .unwrap_or_else(|| panic!("a context note at line {line}: {d:#}"))
            .to_string()
    };
    assert_eq!(
        note_of(4),
        "runs in the handler `login`, registered at src/lib.rs:17"
    );
    assert_eq!(
        note_of(11),
        "runs in the handler `handle`, which a framework calls (declared at src/lib.rs:10)"
    );
    assert_eq!(
        note_of(18),
        "runs in a callback registered at src/lib.rs:18"
    );
}

/// A module file that a package's lib and bin both declare is a file of each crate, as
/// cargo compiles it twice: which target's module tree reaches it first must not decide
/// its findings. Here the bin's copy runs only from `main` (capped), the lib's is a public
/// async API: the finding is reported, once, whatever the thread count, in every run.
#[test]
fn cfg_attr_path_modules_are_linted_for_every_platform() {
    // `#[cfg_attr(unix, path = "unix.rs")] #[cfg_attr(windows, path = "windows.rs")] mod
    // platform;` (pueue's sockets): cargo check compiles one of the two files on each
    // platform, so both are linted; the default `platform.rs` need not exist.
    let dir = temp_dir("cfg_attr_path");
    write(&dir, "Cargo.toml", manifest("app", "", "tokio = \"1\"\n"));
    write(
        &dir,
        "src/lib.rs",
        "#[cfg_attr(unix, path = \"unix.rs\")]\n#[cfg_attr(windows, path = \"windows.rs\")]\nmod platform;\npub use platform::*;\n",
    );
    write(
        &dir,
        "src/unix.rs",
        "pub async fn listen() {\n    let _ = std::fs::remove_file(\"/run/app.sock\");\n}\n",
    );
    write(
        &dir,
        "src/windows.rs",
        "pub async fn listen() {\n    let _ = std::fs::remove_file(\"app.pipe\");\n}\n",
    );
    let (_, doc) = json(&dir, &[]);
    assert_eq!(doc["summary"]["files"], 3, "{doc:#}");
    let files: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["src/unix.rs", "src/windows.rs"], "{doc:#}");
}

#[test]
fn module_shared_by_lib_and_bin_is_linted_as_both() {
    let dir = temp_dir("shared_module");
    write(&dir, "Cargo.toml", manifest("app", "", "tokio = \"1\"\n"));
    write(&dir, "src/lib.rs", "pub mod shared;\n");
    write(
        &dir,
        "src/main.rs",
        "mod shared;\n\n#[tokio::main]\nasync fn main() {\n    shared::load().await;\n}\n",
    );
    write(
        &dir,
        "src/shared.rs",
        "pub async fn load() {\n    let _ = std::fs::read(\"/etc/app.toml\");\n}\n",
    );
    let mut runs = Vec::new();
    for jobs in ["1", "2", "1", "2"] {
        let (_, doc) = json(&dir, &["-j", jobs]);
        assert_eq!(doc["summary"]["files"], 3, "{doc:#}");
        let found: Vec<(String, u64, String)> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let context = d["context"].as_str().unwrap_or_default().to_string();
                (
                    d["file"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap(),
                    context,
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![("src/shared.rs".into(), 2, "library".into())],
            "{doc:#}"
        );
        runs.push(doc["diagnostics"].clone());
    }
    assert!(runs.windows(2).all(|w| w[0] == w[1]), "{runs:#?}");
}
