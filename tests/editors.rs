//! The outputs as editors and CI read them: rustc-shaped human and short output parsed with
//! vim's `:compiler cargo` errorformat (a port, and the real vim/nvim when installed),
//! colors, and the JSON Schema of `--format json`.

mod common;

use common::{data, json, locations, run, run_env};
use regex::Regex;
use std::collections::BTreeSet;

/// vim's `:compiler cargo`: `compiler/rustc.vim` (rust.vim, 2023-09-11, as shipped with vim
/// and neovim) followed by the patterns `compiler/cargo.vim` adds, as the option's value
/// (after `CompilerSet`'s `\ ` and `\\` unescaping).
const CARGO_ERRORFORMAT: &[&str] = &[
    // rustc.vim, "new errorformat (after nightly 2016/08/10)"
    "%-G",
    "%-Gerror: aborting %.%#",
    "%-Gerror: Could not compile %.%#",
    "%Eerror: %m",
    "%Eerror[E%n]: %m",
    "%Wwarning: %m",
    "%Inote: %m",
    "%C %#--> %f:%l:%c",
    "%E  left:%m",
    "%C right:%m %f:%l:%c",
    "%Z",
    // rustc.vim, "old errorformat (before nightly 2016/08/10)" (rustc's short format)
    "%f:%l:%c: %t%*[^:]: %m",
    "%f:%l:%c: %*\\d:%*\\d %t%*[^:]: %m",
    "%-G%f:%l %s",
    "%-G%*[ ]^",
    "%-G%*[ ]^%*[~]",
    "%-G%*[ ]...",
    // rustc.vim, compatibility with standard unix tools
    "%f:%l:%c:%m",
    // cargo.vim
    "%-G%\\s%#Downloading%.%#",
    "%-G%\\s%#Compiling%.%#",
    "%-G%\\s%#Finished%.%#",
    "%-G%\\s%#error: Could not compile %.%#",
    "%-G%\\s%#To learn more,%.%#",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Single,
    Start(char),
    Continue,
    End,
    Ignore,
}

/// One errorformat pattern as (kind, anchored regex).
fn compile(efm: &str) -> (Kind, Regex) {
    let (kind, body) = if let Some(rest) = efm.strip_prefix("%-G") {
        (Kind::Ignore, rest)
    } else if let Some(rest) = efm.strip_prefix("%C") {
        (Kind::Continue, rest)
    } else if let Some(rest) = efm.strip_prefix("%Z") {
        (Kind::End, rest)
    } else if let Some(rest) = ["%E", "%W", "%I"].iter().find_map(|p| efm.strip_prefix(p)) {
        (Kind::Start(efm.as_bytes()[1] as char), rest)
    } else {
        (Kind::Single, efm)
    };
    let mut regex = String::from("^");
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            regex.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        match chars.next().expect("% at the end of a pattern") {
            'f' => regex.push_str("(?P<f>.+?)"),
            'l' => regex.push_str("(?P<l>\\d+)"),
            'c' => regex.push_str("(?P<c>\\d+)"),
            'm' => regex.push_str("(?P<m>.+)"),
            'n' => regex.push_str("(?P<n>\\d+)"),
            't' => regex.push_str("(?P<t>.)"),
            's' => regex.push_str("(?P<s>.+)"),
            '#' => regex.push('*'),
            '.' => regex.push('.'),
            '%' => regex.push('%'),
            '\\' => {
                regex.push('\\');
                regex.push(chars.next().unwrap());
            }
            '*' => {
                // %*[...] or %*\d: one or more, not captured
                let class: String = match chars.next().unwrap() {
                    '[' => {
                        let mut class = String::from("[");
                        for c in chars.by_ref() {
                            class.push(c);
                            if c == ']' {
                                break;
                            }
                        }
                        class
                    }
                    '\\' => format!("\\{}", chars.next().unwrap()),
                    other => panic!("unsupported %*{other}"),
                };
                regex.push_str(&class);
                regex.push('+');
            }
            other => panic!("unsupported %{other} in {efm}"),
        }
    }
    regex.push('$');
    (kind, Regex::new(&regex).unwrap())
}

/// The valid quickfix entries vim makes of `output`: (file, line, column, type letter).
fn quickfix(output: &str) -> BTreeSet<(String, u64, u64, char)> {
    let patterns: Vec<(Kind, Regex)> = CARGO_ERRORFORMAT.iter().map(|e| compile(e)).collect();
    type Place = (String, u64, u64);
    let mut entries: Vec<(Option<Place>, char)> = Vec::new();
    let mut multiline = false;
    for line in output.lines() {
        let found = patterns
            .iter()
            .find_map(|(kind, regex)| regex.captures(line).map(|c| (*kind, c)));
        let Some((kind, captures)) = found else {
            multiline = false;
            continue;
        };
        let place = || {
            Some((
                captures.name("f")?.as_str().to_string(),
                captures.name("l")?.as_str().parse().ok()?,
                captures.name("c")?.as_str().parse().ok()?,
            ))
        };
        let kind_letter = || {
            captures
                .name("t")
                .and_then(|t| t.as_str().chars().next())
                .unwrap_or(' ')
        };
        match kind {
            Kind::Ignore => {}
            Kind::Single => {
                multiline = false;
                entries.push((place(), kind_letter().to_ascii_uppercase()));
            }
            Kind::Start(letter) => {
                multiline = true;
                entries.push((None, letter));
            }
            Kind::Continue if multiline => {
                if let (Some(last), Some(place)) = (entries.last_mut(), place()) {
                    last.0 = Some(place);
                }
            }
            Kind::Continue => {}
            Kind::End => multiline = false,
        }
    }
    entries
        .into_iter()
        .filter_map(|(place, letter)| place.map(|(f, l, c)| (f, l, c, letter)))
        .collect()
}

/// What `--format json` says the findings are, as quickfix entries.
fn expected(dir: &std::path::Path, args: &[&str]) -> BTreeSet<(String, u64, u64, char)> {
    let (_, doc) = json(dir, args);
    let levels: Vec<char> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| if d["level"] == "error" { 'E' } else { 'W' })
        .collect();
    let found: BTreeSet<_> = locations(&doc)
        .into_iter()
        .zip(levels)
        .map(|((f, l, c), t)| (f, l, c, t))
        .collect();
    assert!(found.len() >= 4, "a multi-finding run: {found:?}");
    found
}

/// The real vim (or neovim), headless, reading `output` with `:compiler cargo`.
fn real_vim(dir: &std::path::Path, output: &str) -> Option<BTreeSet<(String, u64, u64, char)>> {
    let editor = ["vim", "nvim"].into_iter().find(|e| {
        std::process::Command::new(e)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })?;
    std::fs::write(dir.join("out.txt"), output).unwrap();
    let script = "for e in getqflist() | if e.valid | call append('$', bufname(e.bufnr).'|'.e.lnum.'|'.e.col.'|'.toupper(e.type)) | endif | endfor";
    let result = std::process::Command::new(editor)
        .args(["-u", "NONE", "-i", "NONE", "-N", "-es", "--cmd", "set nocp"])
        .args([
            "-c",
            "compiler cargo",
            "-c",
            "cgetfile out.txt",
            "-c",
            script,
        ])
        .args(["-c", "%p", "-c", "qa!"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&result.stdout);
    Some(
        text.lines()
            .filter_map(|line| {
                let parts: Vec<&str> = line.trim().split('|').collect();
                (parts.len() == 4).then(|| {
                    (
                        parts[0].to_string(),
                        parts[1].parse().unwrap(),
                        parts[2].parse().unwrap(),
                        parts[3].chars().next().unwrap_or(' '),
                    )
                })
            })
            .collect(),
    )
}

#[test]
fn human_and_short_outputs_parse_with_vims_cargo_errorformat() {
    let ws = data("two_members");
    for levels in [&[][..], &["-D", "blocking_in_async"][..]] {
        let want = expected(&ws, levels);
        for format in ["human", "short"] {
            let mut args = vec!["--format", format, "--color", "never"];
            args.extend_from_slice(levels);
            let out = run(&ws, &args);
            assert_eq!(quickfix(&out.stdout), want, "{format} {levels:?}:\n{out:?}");
            if let Some(found) = real_vim(&ws, &out.stdout) {
                assert_eq!(found, want, "real vim, {format} {levels:?}:\n{out:?}");
            }
        }
    }
}

#[test]
fn human_output_is_shaped_like_rustc() {
    let ws = data("two_members");
    let out = run(&ws, &["--color", "never"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("warning: blocking sleep"))
        .expect("a `warning: message` header");
    assert_eq!(lines[header + 1].trim_start(), "--> app/src/main.rs:4:5");
    assert!(out
        .stdout
        .contains("= note: `#[warn(concurrency_lint::blocking_in_async)]` on by default"));
    assert!(
        !out.stdout.contains('┌') && !out.stdout.contains('│'),
        "{out:?}"
    );
    let short = run(&ws, &["--format", "short"]);
    assert!(short
        .stdout
        .lines()
        .any(|l| l.starts_with("app/src/main.rs:4:5: warning[blocking_in_async]: blocking sleep")));
}

#[test]
fn color_follows_flag_then_cargo_term_color() {
    let ws = data("two_members");
    let colored = |out: &common::Out| out.stdout.contains("\u{1b}[");
    assert!(!colored(&run(&ws, &[])), "not a terminal: no color");
    assert!(colored(&run_env(
        &ws,
        &[],
        &[("CARGO_TERM_COLOR", "always")]
    )));
    assert!(colored(&run(&ws, &["--color", "always"])));
    assert!(!colored(&run_env(
        &ws,
        &["--color", "never"],
        &[("CARGO_TERM_COLOR", "always")]
    )));
    assert!(!colored(&run_env(
        &ws,
        &[],
        &[("CARGO_TERM_COLOR", "never")]
    )));
    assert_eq!(run(&ws, &["--color", "sometimes"]).code, 2);
}

#[test]
fn explain_takes_every_spelling_and_suggests_the_closest_name() {
    let ws = data("two_members");
    for name in [
        "blocking_in_async",
        "concurrency_lint::blocking_in_async",
        "blocking-in-async",
    ] {
        let out = run(&ws, &["explain", name]);
        assert_eq!(out.code, 0, "{name}: {out:?}");
        assert!(out.stdout.contains("Group: blocking"), "{out:?}");
    }
    let out = run(&ws, &["explain", "blocking_in_asnyc"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("did you mean `blocking_in_async`?"),
        "{out:?}"
    );
}

#[test]
fn suppression_comments_take_every_spelling_and_suggest_for_typos() {
    let dir = common::temp_dir("suppression-spellings");
    common::write(
        &dir,
        "src/lib.rs",
        "pub async fn a() {\n    // concurrency-lint: allow(blocking-in-async)\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\
         pub async fn b() {\n    // concurrency-lint: allow(concurrency_lint::blocking_in_async)\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\
         pub async fn c() {\n    // concurrency-lint: allow(blocking_in_asnyc)\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
    );
    let (_, doc) = json(&dir, &["--report-unused-suppressions", "src"]);
    let found: Vec<(String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("unused_suppression".to_string(), 10),
            ("blocking_in_async".to_string(), 11)
        ],
        "{doc:#}"
    );
    let message = doc["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("did you mean `blocking_in_async`?"),
        "{message}"
    );
}

/// The crate roots `cargo check -v` compiles for `flags` in `dir`, each with whether it is
/// compiled in test mode (`--test`: `#[cfg(test)]` code counts); Err(stderr) when cargo
/// refuses the flags.
fn cargo_check_roots(
    dir: &std::path::Path,
    flags: &[&str],
) -> Result<std::collections::BTreeMap<String, bool>, String> {
    let target = dir
        .join("target-cargo")
        .join(flags.join("_").replace('-', ""));
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["check", "-v", "--offline"])
        .args(flags)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_TERM_COLOR")
        .current_dir(dir)
        .output()
        .expect("run cargo check");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(stderr);
    }
    let mut roots = std::collections::BTreeMap::new();
    for line in stderr.lines().filter(|l| l.contains("--crate-name")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let name = words[words.iter().position(|w| *w == "--crate-name").unwrap() + 1];
        if name == "build_script_build" {
            continue; // build scripts are not linted
        }
        let file = words
            .iter()
            .find(|w| w.ends_with(".rs"))
            .unwrap()
            .to_string();
        let as_test = words.contains(&"--test");
        *roots.entry(file).or_insert(false) |= as_test;
    }
    Ok(roots)
}

/// What we lint for `flags`: the files (`--verbose` names each), and whether the library's
/// `#[cfg(test)]` code was linted (its finding at alpha/src/lib.rs:8).
fn linted_roots(dir: &std::path::Path, flags: &[&str]) -> Result<(BTreeSet<String>, bool), String> {
    let mut args = vec!["--verbose", "--format", "json", "--exit-zero"];
    args.extend_from_slice(flags);
    let out = run(dir, &args);
    if out.code != 0 {
        return Err(out.stderr);
    }
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    common::schema::assert_valid_json_output(&doc);
    let files = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("linting "))
        .map(String::from)
        .collect();
    let test_code = locations(&doc).contains(&("alpha/src/lib.rs".into(), 8, 9));
    Ok((files, test_code))
}

#[test]
fn target_selection_is_what_cargo_check_compiles() {
    let ws = data("targets");
    let cases: &[&[&str]] = &[
        &[],
        &["--lib"],
        &["--bins"],
        &["--bin", "alpha"],
        &["--bin", "tool"],
        &["--bin", "t*"],
        &["--tests"],
        &["--test", "it"],
        &["--examples"],
        &["--example", "demo"],
        &["--example", "beta_demo"],
        &["--benches"],
        &["--bench", "speed"],
        &["--all-targets"],
        &["--lib", "--bins"],
        &["--lib", "--example", "demo"],
        &["-p", "beta"],
        &["-p", "beta", "--examples"],
        &["-p", "alpha", "--lib", "--bin", "tool"],
        &["--workspace", "--exclude", "beta"],
        &["--workspace", "--exclude", "alpha", "--all-targets"],
        // refused by cargo, and so by us
        &["--exclude", "beta"],
        &["--bin", "nope"],
        &["-p", "beta", "--bin", "tool"],
        &["-p", "alpha", "--bins", "--bin", "nope"],
        &["--test", "nope"],
    ];
    for flags in cases {
        let cargo = cargo_check_roots(&ws, flags);
        let ours = linted_roots(&ws, flags);
        match (cargo, ours) {
            (Ok(cargo), Ok((files, test_code))) => {
                let cargo_files: BTreeSet<String> = cargo.keys().cloned().collect();
                assert_eq!(files, cargo_files, "files for {flags:?}");
                let lib_as_test = cargo.get("alpha/src/lib.rs").copied().unwrap_or(false);
                assert_eq!(test_code, lib_as_test, "#[cfg(test)] code for {flags:?}");
            }
            (Err(cargo), Err(ours)) => {
                if flags.contains(&"--exclude") {
                    assert!(cargo.contains("--exclude can only be used together with --workspace"));
                    assert!(ours.contains("--exclude can only be used together with --workspace"));
                }
            }
            (cargo, ours) => panic!("{flags:?}: cargo {cargo:?}, we {ours:?}"),
        }
    }
}

/// A git repository with the Cargo workspace in `services/api/` (a monorepo).
fn monorepo(source: &str) -> common::Dir {
    let repo = common::temp_dir("monorepo");
    common::write(
        &repo,
        "services/api/Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    common::write(&repo, "services/api/src/lib.rs", source);
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&*repo)
        .status();
    assert!(git.is_ok_and(|s| s.success()), "git init");
    repo
}

const TWICE: &str = "pub async fn poll() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";

fn sarif_results(dir: &std::path::Path) -> (serde_json::Value, Vec<(String, u64, String)>) {
    let out = run(dir, &["--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                location["region"]["startLine"].as_u64().unwrap(),
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    (doc, results)
}

#[test]
fn sarif_fingerprints_are_distinct_and_stable_and_paths_repository_relative() {
    let repo = monorepo(TWICE);
    let ws = repo.join("services/api");
    let (doc, before) = sarif_results(&ws);
    assert_eq!(before.len(), 2, "{doc:#}");
    assert!(
        before
            .iter()
            .all(|(uri, _, _)| uri == "services/api/src/lib.rs"),
        "{before:?}"
    );
    assert_ne!(
        before[0].2, before[1].2,
        "identical lines get distinct fingerprints"
    );
    let base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(base.starts_with("file://") && base.ends_with('/'), "{base}");
    assert!(
        !base.contains("services"),
        "the repository root, not the workspace: {base}"
    );
    let artifact = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(artifact["artifactLocation"]["uriBaseId"], "%SRCROOT%");

    // unrelated edits above: same fingerprints, new lines
    common::write(
        &ws,
        "src/lib.rs",
        format!("use std::time::Duration;\n\n// a comment\n{TWICE}"),
    );
    let (_, after) = sarif_results(&ws);
    assert_eq!(after.iter().map(|r| r.1).collect::<Vec<_>>(), vec![5, 6]);
    let fingerprints =
        |r: &[(String, u64, String)]| r.iter().map(|r| r.2.clone()).collect::<BTreeSet<_>>();
    assert_eq!(fingerprints(&before), fingerprints(&after));

    // GitHub annotations name the file from the repository root too
    let out = run(&ws, &["--format", "github"]);
    assert!(
        out.stdout.contains("file=services/api/src/lib.rs,line=5"),
        "{out:?}"
    );
}

#[test]
fn outside_a_repository_paths_are_workspace_relative() {
    let ws = data("two_members");
    let (_, results) = sarif_results(&ws);
    assert!(
        results.iter().any(|r| r.0 == "app/src/main.rs"),
        "{results:?}"
    );
}

#[test]
fn baseline_reports_only_new_findings_across_unrelated_edits() {
    let dir = common::temp_dir("baseline");
    common::write(
        &dir,
        "Cargo.toml",
        "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    common::write(&dir, "src/lib.rs", TWICE);
    let out = run(&dir, &["--write-baseline", "baseline.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("recorded 2 finding(s)"), "{out:?}");

    // lines inserted above, the function moved: nothing new
    let moved = format!("//! docs\n\nuse std::time::Duration;\n\npub fn helper() {{}}\n\n{TWICE}");
    common::write(&dir, "src/lib.rs", &moved);
    let (code, doc) = json(&dir, &["--baseline", "baseline.json", "--deny-warnings"]);
    assert_eq!((code, locations(&doc)), (0, vec![]), "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
    let out = run(&dir, &["--baseline", "baseline.json"]);
    assert!(
        out.stdout.contains("2 in the baseline not shown"),
        "{out:?}"
    );

    // a new finding (a third identical line, and one in another function): only they show
    let grown = moved.replace(
        "    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        "    std::thread::sleep(std::time::Duration::from_millis(1));\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\npub async fn load() -> String {\n    std::fs::read_to_string(\"x\").unwrap()\n}\n",
    );
    common::write(&dir, "src/lib.rs", &grown);
    let (code, doc) = json(&dir, &["--baseline", "baseline.json"]);
    let found: Vec<(String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("blocking_in_async".to_string(), 10),
            ("blocking_in_async".to_string(), 14)
        ],
        "{doc:#}"
    );
    assert_eq!(code, 0);

    // a missing or foreign baseline is a usage error
    assert_eq!(run(&dir, &["--baseline", "nope.json"]).code, 2);
    common::write(&dir, "bad.json", "{}");
    assert_eq!(run(&dir, &["--baseline", "bad.json"]).code, 2);
}

#[test]
fn fix_without_unsafe_fixes_says_what_it_left() {
    let dir = data("single");
    let source = "pub async fn f() -> u32 {\n    1\n}\n\npub async fn g() -> u32 {\n    futures::executor::block_on(f())\n}\n";
    common::write(&dir, "src/lib.rs", source);
    let out = run(&dir, &["--fix"]);
    assert!(
        out.stdout.contains("; 1 fix available with --unsafe-fixes"),
        "{out:?}"
    );
    let out = run(&dir, &["--diff"]);
    assert!(
        out.stderr
            .contains("1 fix(es) available with --unsafe-fixes"),
        "{out:?}"
    );
    let out = run(&dir, &["--fix", "--unsafe-fixes"]);
    assert!(!out.stdout.contains("--unsafe-fixes"), "{out:?}");
}

#[test]
fn rules_shows_group_default_and_effective_level() {
    let dir = common::temp_dir("rules-levels");
    common::write(
        &dir,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    common::write(
        &dir,
        "concurrency-lint.toml",
        "[rules]\nunbounded_channel = \"warn\"\nbusy_wait = \"allow\"\n",
    );
    let row = |out: &common::Out, rule: &str| -> Vec<String> {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(rule))
            .unwrap_or_else(|| panic!("no row for {rule}: {out:?}"));
        line.split_whitespace().take(4).map(String::from).collect()
    };
    let out = run(&dir, &["rules"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("RULE"), "{out:?}");
    assert_eq!(
        row(&out, "unbounded_channel"),
        ["unbounded_channel", "structure", "allow", "warn"]
    );
    assert_eq!(row(&out, "busy_wait")[3], "allow");
    assert_eq!(
        row(&out, "double_lock"),
        ["double_lock", "guards", "deny", "deny"]
    );
    assert_eq!(row(&out, "syntax_error")[2..], ["error", "error"]);
    let out = run(
        &dir,
        &["rules", "-D", "concurrency_lint::busy_wait", "-A", "guards"],
    );
    assert_eq!(row(&out, "busy_wait")[3], "deny");
    assert_eq!(row(&out, "double_lock")[3], "allow");
    let out = run(&dir, &["rules", "--no-config"]);
    assert_eq!(row(&out, "unbounded_channel")[3], "allow");
    let out = run(&dir, &["rules", "-D", "busy_wiat"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean `busy_wait`?"), "{out:?}");
}

#[test]
fn help_is_current() {
    let out = run(std::path::Path::new("."), &["--help"]);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("planned"), "{}", out.stdout);
    for needle in [
        "server",
        "rules",
        "explain",
        "--baseline",
        "--write-baseline",
        "--bin <NAME>",
        "--all-targets",
    ] {
        assert!(
            out.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            out.stdout
        );
    }
    let out = run(std::path::Path::new("."), &["rules"]);
    assert!(!out.stdout.contains("not implemented"), "{}", out.stdout);
}
