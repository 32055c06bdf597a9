//! Mutation fuzzing of the whole binary over the fixture corpus (tests/fixtures/**):
//! byte flips, token deletions and duplications, splices, truncations, deep nesting
//! insertions, a BOM, CRLF line ends. Each batch of mutants is linted in one run, in one
//! of the output formats, then fixed with `--fix --unsafe-fixes`. What must hold: no
//! panic, no abort, exit 0 or 1, valid JSON, every file counted, and every fixed file
//! that parsed before still parses.
//!
//! `cargo test --test fuzz` runs a short deterministic campaign. Maintainers run longer
//! ones: `FUZZ_ITERATIONS=100000 FUZZ_SEED=7 FUZZ_BIN=target/release/cargo-concurrency-lint
//! cargo test --release --test fuzz -- --nocapture`. Failing mutants are kept under
//! `target/fuzz-failures/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// splitmix64: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn corpus() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Byte ranges of the whitespace-separated words of `text`.
fn words(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in text.iter().enumerate() {
        match (b.is_ascii_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// One mutation of `text`; `other` is another corpus file for splices.
fn mutate(rng: &mut Rng, text: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    let at = rng.below(out.len() + 1);
    match rng.below(10) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                if !out.is_empty() {
                    let i = rng.below(out.len());
                    const BYTES: &[u8] = b" {}()<>[];,.&|!?:'\"#/*\\xA\xc3\x00";
                    out[i] = BYTES[rng.below(BYTES.len())];
                }
            }
        }
        1 | 2 => {
            let w = words(&out);
            if !w.is_empty() {
                let (s, e) = w[rng.below(w.len())];
                if rng.below(2) == 0 {
                    out.drain(s..e);
                } else {
                    let word = out[s..e].to_vec();
                    out.splice(e..e, [b" ".as_slice(), &word].concat());
                }
            }
        }
        3 => {
            let len = rng.below(200);
            let end = (at + len).min(out.len());
            let chunk = out[at..end].to_vec();
            out.splice(at..at, chunk);
        }
        4 => {
            let s = rng.below(other.len() + 1);
            let e = (s + rng.below(400)).min(other.len());
            out.splice(at..at, other[s..e].iter().copied());
        }
        5 => out.truncate(at),
        6 => {
            let pairs: [(&str, &str); 8] = [
                ("{", "}"),
                ("(", ")"),
                ("[", "]"),
                ("async {", "}"),
                ("|| ", ""),
                ("Vec<", ">"),
                ("!", ""),
                ("x.a()", ""),
            ];
            let (open, close) = pairs[rng.below(pairs.len())];
            let depth = [3, 50, 800, 5_000, 100_000][rng.below(5)];
            let insert = format!("{}{}", open.repeat(depth), close.repeat(depth));
            out.splice(at..at, insert.into_bytes());
        }
        7 => {
            let mut bom = "\u{feff}".as_bytes().to_vec();
            bom.extend_from_slice(&out);
            out = bom;
        }
        8 => {
            let text = String::from_utf8_lossy(&out).replace('\n', "\r\n");
            out = text.into_bytes();
        }
        _ => {
            let snippet = [
                "futures::executor::block_on(f(),\n)",
                "std::fs::File::open(p)",
                "async fn z() { std::thread::sleep(d); }",
                "mod missing;",
                "#!/bin/sh\n",
                "'a",
                "r#\"",
                "/*",
            ][rng.below(8)];
            out.splice(at..at, snippet.bytes());
        }
    }
    out
}

fn run(bin: &Path, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Lint one batch directory, then fix it; the problems found.
fn check_batch(bin: &Path, dir: &Path, count: usize, format: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let (code, stdout, stderr) = run(bin, dir, &["--no-config", "--format", format, "."]);
    if !(code == 0 || code == 1) || stderr.contains("panicked") {
        problems.push(format!("lint --format {format}: exit {code}\n{stderr}"));
    }
    let (code, stdout_json, stderr) = run(bin, dir, &["--no-config", "--format", "json", "."]);
    match serde_json::from_str::<serde_json::Value>(&stdout_json) {
        Ok(doc) if doc["summary"]["files"] == count => {}
        Ok(doc) => problems.push(format!(
            "{} files counted of {count}",
            doc["summary"]["files"]
        )),
        Err(e) => problems.push(format!("invalid JSON ({e}), exit {code}: {stderr}")),
    }
    let _ = stdout;
    let before: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    let (code, _, stderr) = run(bin, dir, &["--no-config", "--fix", "--unsafe-fixes", "."]);
    if !(code == 0 || code == 1) || stderr.contains("panicked") {
        problems.push(format!("--fix: exit {code}\n{stderr}"));
    }
    for (path, old) in before {
        let new = std::fs::read(&path).unwrap();
        if new == old {
            continue;
        }
        let old_parses = std::str::from_utf8(&old).is_ok_and(concurrency_lint::parse::parses);
        let new_parses = std::str::from_utf8(&new).is_ok_and(concurrency_lint::parse::parses);
        if old_parses && !new_parses {
            problems.push(format!("--fix broke {}", path.display()));
        }
    }
    problems
}

#[test]
fn mutants_never_crash_and_fixes_reparse() {
    let iterations = env_number("FUZZ_ITERATIONS", 180) as usize;
    let mut rng = Rng(env_number("FUZZ_SEED", 11));
    let bin = std::env::var_os("FUZZ_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cargo-concurrency-lint")));
    let corpus = corpus();
    assert!(!corpus.is_empty());
    let root = std::env::temp_dir().join(format!("concurrency-lint-fuzz-{}", std::process::id()));
    let failures = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let formats = ["json", "human", "short", "sarif", "github"];
    let batch_size = 60;
    let mut failed = Vec::new();
    let mut done = 0;
    let mut batch_index = 0;
    while done < iterations {
        let dir = root.join(format!("batch{batch_index}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let count = batch_size.min(iterations - done);
        for i in 0..count {
            let base = &corpus[rng.below(corpus.len())];
            let other = &corpus[rng.below(corpus.len())];
            let mut text = mutate(&mut rng, base, other);
            if rng.below(4) == 0 {
                text = mutate(&mut rng, &text, other);
            }
            std::fs::write(dir.join(format!("m{i}.rs")), text).unwrap();
        }
        let saved = root.join(format!("saved{batch_index}"));
        let _ = std::fs::remove_dir_all(&saved);
        copy_dir(&dir, &saved);
        let format = formats[batch_index % formats.len()];
        let problems = check_batch(&bin, &dir, count, format);
        if !problems.is_empty() {
            let keep = failures.join(format!("batch{batch_index}"));
            let _ = std::fs::remove_dir_all(&keep);
            copy_dir(&saved, &keep);
            failed.push(format!(
                "batch {batch_index} (kept in {}): {problems:#?}",
                keep.display()
            ));
        }
        let _ = std::fs::remove_dir_all(&saved);
        let _ = std::fs::remove_dir_all(&dir);
        done += count;
        batch_index += 1;
    }
    let _ = std::fs::remove_dir_all(&root);
    eprintln!(
        "fuzz: {done} mutants in {batch_index} batches, {} failing batches",
        failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}
