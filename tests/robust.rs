//! The binary never aborts and never loses a file (SPEC §1, issue 11): deep nesting,
//! byte-order marks, fixes that must re-parse and reach a fixed point, and every path
//! given or discovered either linted or reported with the OS error.

mod common;

use common::{f, findings};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-concurrency-lint");
const SLEEP: &str = "std::thread::sleep(std::time::Duration::ZERO)";

/// A fresh temporary directory (removed when the test passes).
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn temp_dir(name: &str) -> Dir {
    let dir = std::env::temp_dir()
        .join("concurrency-lint-robust-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Dir(dir.canonicalize().unwrap())
}

fn write(dir: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Run the binary in `dir`; (exit code, stdout, stderr). A crash fails the test.
fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or_else(|| {
        panic!("the binary was killed ({:?}):\n{stderr}", out.status);
    });
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    assert!(code <= 2, "exit {code}:\n{stderr}");
    (code, stdout, stderr)
}

fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json", "--no-config"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(dir, &all, None);
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\n{stderr}"));
    (code, doc)
}

/// A file nesting one construct `n` levels deep (bench/deep.py has more).
fn deep(kind: &str, n: usize) -> String {
    let r = |s: &str, k: usize| s.repeat(k);
    match kind {
        "blocks" => format!("fn f() {}{}\n", r("{", n), r("}", n)),
        "async" => format!("async fn f() {{ {}{}; }}\n", r("async {", n), r("}", n)),
        "closures" => format!("fn f() {{ let c = {}0; }}\n", r("|| ", n)),
        "parens" => format!("fn f() {{ let x = {}1{}; }}\n", r("(", n), r(")", n)),
        "generics" => format!("type T = {}u8{};\n", r("Vec<", n), r(">", n)),
        "modules" => format!("{}fn f() {{}}{}\n", r("mod m { ", n), r(" }", n)),
        "chain" => format!("fn f(x: X) {{ x{}; }}\n", r(".a()", n)),
        "binary" => format!("fn f() {{ let x = 1{}; }}\n", r(" + 1", n)),
        "else_if" => format!("fn f(a: bool) {{ if a {{}}{} }}\n", r(" else if a {}", n)),
        "join" => format!(
            "async fn f() {{ {}g(){}; }}\n",
            r("futures::join!(", n),
            r(")", n)
        ),
        _ => unreachable!(),
    }
}

#[test]
fn deep_nesting_as_deep_as_rustc_compiles_is_linted() {
    let dir = temp_dir("deep-ok");
    let cases = [
        ("blocks", 1000),
        ("async", 1000),
        ("closures", 1000),
        ("parens", 1000),
        ("generics", 1000),
        ("modules", 1000),
        ("chain", 4000),
        ("binary", 27_000),
        ("else_if", 1000),
        ("join", 1000),
    ];
    for (kind, n) in cases {
        write(&dir.0, &format!("{kind}.rs"), deep(kind, n));
    }
    write(&dir.0, "z.rs", format!("async fn z() {{ {SLEEP}; }}\n"));
    let (code, doc) = json(&dir.0, &["."]);
    assert_eq!(findings(&doc), vec![f("z.rs", 1, "blocking_in_async")]);
    assert_eq!(doc["summary"]["files"], cases.len() + 1);
    assert_eq!(code, 0);
}

#[test]
fn nesting_too_deep_is_a_file_error_and_other_files_are_linted() {
    let dir = temp_dir("deep-too");
    write(
        &dir.0,
        "parens.rs",
        format!("\n{}", deep("parens", 200_000)),
    );
    write(&dir.0, "blocks.rs", deep("blocks", 200_000));
    write(&dir.0, "binary.rs", deep("binary", 1_000_000));
    write(&dir.0, "z.rs", format!("async fn z() {{ {SLEEP}; }}\n"));
    let (code, doc) = json(&dir.0, &["."]);
    assert_eq!(code, 1);
    let got = findings(&doc);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.contains(&f("parens.rs", 2, "file_error")), "{got:?}");
    assert!(got.contains(&f("z.rs", 1, "blocking_in_async")), "{got:?}");
    let message = doc["diagnostics"][1]["message"].as_str().unwrap();
    assert!(
        message.contains("nesting too deep to analyse at line"),
        "{message}"
    );
    // stdin runs on a worker's stack too
    let text = deep("closures", 500_000);
    let (code, _, _) = run(&dir.0, &["-", "--format", "short"], Some(&text));
    assert_eq!(code, 1);
}

#[test]
fn byte_order_mark_does_not_shift_offsets_or_fixes() {
    let dir = temp_dir("bom");
    let text = format!("\u{feff}async fn f() {{ {SLEEP}; }}\nasync fn g() {{\n    futures::executor::block_on(h(),\n    );\n}}\n");
    write(&dir.0, "b.rs", &text);
    let (_, doc) = json(&dir.0, &["b.rs"]);
    for d in doc["diagnostics"].as_array().unwrap() {
        let (start, end) = (
            d["byte_start"].as_u64().unwrap() as usize,
            d["byte_end"].as_u64().unwrap() as usize,
        );
        let shown = &text[start..end];
        assert!(
            shown == "std::thread::sleep" || shown == "futures::executor::block_on",
            "{shown:?}"
        );
    }
    run(&dir.0, &["b.rs", "--fix", "--unsafe-fixes"], None);
    let fixed = std::fs::read_to_string(dir.0.join("b.rs")).unwrap();
    assert!(fixed.starts_with('\u{feff}'));
    assert!(
        fixed.contains("tokio::time::sleep(std::time::Duration::ZERO).await;"),
        "{fixed}"
    );
    assert!(
        fixed.contains("    h().await;\n"),
        "trailing comma: {fixed}"
    );
}

#[test]
fn nested_fixes_reach_a_fixed_point_and_findings_are_of_the_fixed_text() {
    let dir = temp_dir("fixpoint");
    let text = "use futures::executor::block_on;\nasync fn f() {\n    block_on(async { block_on(g()) });\n    std::fs::File::open(\"x\").unwrap();\n}\n";
    write(&dir.0, "n.rs", text);
    let (_, stdout, _) = run(
        &dir.0,
        &["n.rs", "--fix", "--unsafe-fixes", "--format", "json"],
        None,
    );
    let fixed = std::fs::read_to_string(dir.0.join("n.rs")).unwrap();
    assert!(
        fixed.contains("    async { g().await }.await;\n"),
        "{fixed}"
    );
    // a handle constructor is not rewritten: its later uses would not follow
    assert!(fixed.contains("std::fs::File::open(\"x\")"), "{fixed}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(findings(&doc), vec![f("n.rs", 4, "blocking_in_async")]);
    // a second run changes nothing
    run(&dir.0, &["n.rs", "--fix", "--unsafe-fixes"], None);
    assert_eq!(std::fs::read_to_string(dir.0.join("n.rs")).unwrap(), fixed);
}

#[cfg(unix)]
#[test]
fn paths_that_cannot_be_read_are_reported_with_the_os_error() {
    let dir = temp_dir("paths");
    let d = &dir.0;
    write(d, "ok.rs", format!("async fn z() {{ {SLEEP}; }}\n"));
    write(
        d,
        "src/target/real.rs",
        format!("async fn z() {{ {SLEEP}; }}\n"),
    );
    std::os::unix::fs::symlink("loop_b", d.join("loop_a.rs")).unwrap();
    std::os::unix::fs::symlink("loop_a.rs", d.join("loop_b")).unwrap();
    std::os::unix::fs::symlink("nowhere.rs", d.join("dangling.rs")).unwrap();
    // a FIFO found by the directory walk is not opened (its read would block forever)
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("pipe.rs"))
        .status()
        .is_ok_and(|s| s.success());
    let (code, doc) = json(d, &["."]);
    assert_eq!(code, 1);
    let got = findings(&doc);
    assert!(got.contains(&f("dangling.rs", 1, "file_error")), "{got:?}");
    if made {
        assert!(got.contains(&f("pipe.rs", 1, "file_error")), "{got:?}");
        assert!(
            doc.to_string().contains("not a regular file (a FIFO)"),
            "{doc}"
        );
    }
    assert!(got.contains(&f("loop_a.rs", 1, "file_error")), "{got:?}");
    assert!(
        got.contains(&f("src/target/real.rs", 1, "blocking_in_async")),
        "{got:?}"
    );
    let text = doc.to_string();
    assert!(text.contains("os error 40"), "ELOOP: {text}");
    assert!(text.contains("os error 2"), "ENOENT: {text}");
    // given on the command line: a finding, and the other paths are still linted
    let (code, doc) = json(d, &["loop_a.rs", "ok.rs"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&doc),
        vec![
            f("loop_a.rs", 1, "file_error"),
            f("ok.rs", 1, "blocking_in_async")
        ]
    );
}

#[test]
fn missing_module_file_is_a_file_error_at_its_mod_item_and_build_rs_is_linted() {
    let dir = temp_dir("modules");
    let d = &dir.0;
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"m\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        d,
        "src/lib.rs",
        "mod present;\nmod missing;\n#[cfg(windows)]\nmod windows_only;\n#[path = \"gone.rs\"]\nmod renamed;\n",
    );
    write(
        d,
        "src/present.rs",
        format!("async fn z() {{ {SLEEP}; }}\n"),
    );
    write(
        d,
        "build.rs",
        format!("fn main() {{}}\nasync fn b() {{ {SLEEP}; }}\n"),
    );
    let (code, doc) = json(d, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&doc),
        vec![
            f("build.rs", 2, "blocking_in_async"),
            f("src/lib.rs", 2, "file_error"),
            f("src/lib.rs", 6, "file_error"),
            f("src/present.rs", 1, "blocking_in_async"),
        ]
    );
    let message = doc["diagnostics"][1]["message"].as_str().unwrap();
    assert_eq!(message, "file not found for module `missing`");
}

#[test]
fn edition_2015_bare_trait_objects_are_parsed_with_exact_locations() {
    let dir = temp_dir("edition");
    let text = format!("async fn f(x: Box<Fn(u8)>, y: &FnMut()) {{ {SLEEP}; }}\nfn g(z: Box<std::ops::FnOnce() -> u8 + Send>) {{}}\n");
    write(&dir.0, "old.rs", &text);
    let (_, doc) = json(&dir.0, &["old.rs", "--edition", "2015"]);
    assert_eq!(findings(&doc), vec![f("old.rs", 1, "blocking_in_async")]);
    let d = &doc["diagnostics"][0];
    let start = d["byte_start"].as_u64().unwrap() as usize;
    assert_eq!(&text[start..start + 18], "std::thread::sleep");
    assert_eq!(d["column"], start + 1);
    // edition 2021 rejects them, as rustc does
    let (_, doc) = json(&dir.0, &["old.rs", "--edition", "2021"]);
    assert_eq!(findings(&doc), vec![f("old.rs", 1, "syntax_error")]);
}
