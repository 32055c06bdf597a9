//! `cargo concurrency-lint server` end to end: the built binary, spoken to over stdio with
//! JSON-RPC and Content-Length framing, as an editor does.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-concurrency-lint");
const TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh directory holding a small Cargo package with the given source files.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir()
        .join("concurrency-lint-server-tests")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"1\"\n",
    )
    .unwrap();
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    dir.canonicalize().unwrap()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    pending: Vec<Value>,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(BIN)
            .arg("server")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 1,
            pending: Vec::new(),
        };
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "capabilities": {},
            }),
        );
        let capabilities = &result["result"]["capabilities"];
        assert_eq!(capabilities["hoverProvider"], json!(true), "{result}");
        assert_eq!(capabilities["textDocumentSync"]["change"], json!(1));
        assert_eq!(
            capabilities["codeActionProvider"]["codeActionKinds"],
            json!(["quickfix"])
        );
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Send a request and wait for its response (whole message: `result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.next(deadline);
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
            self.pending.push(message);
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(index) = self.pending.iter().position(matches) {
            let message = self.pending.remove(index);
            return message["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.next(deadline);
            if matches(&message) {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push(message);
        }
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {
                "uri": uri(path), "languageId": "rust", "version": 1, "text": text,
            }}),
        );
    }

    fn change(&mut self, path: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri(path), "version": version},
                "contentChanges": [{"text": text}],
            }),
        );
    }

    /// `shutdown` then `exit`; the exit code of the server.
    fn finish(mut self) -> i32 {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

#[test]
fn diagnostics_quick_fix_and_clean_edit_over_stdio() {
    // The crab before the call makes UTF-16 columns differ from byte and char columns.
    let text = "pub async fn load(path: &str) -> String {\n    let _crab = \"🦀\"; let s = std::fs::read_to_string(path).unwrap();\n    s\n}\n";
    let dir = project("basic", &[("src/lib.rs", text)]);
    let lib = dir.join("src/lib.rs");
    let mut client = Client::start(&dir);
    client.open(&lib, text);
    let found = client.diagnostics(&uri(&lib));
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(d["code"], "blocking_in_async");
    assert_eq!(d["source"], "concurrency-lint");
    assert_eq!(d["severity"], 2, "warning");
    assert!(d["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .contains("blocking_in_async"));
    let line = text.lines().nth(1).unwrap();
    let start = utf16_len(&line[..line.find("std::fs").unwrap()]);
    let end = start + utf16_len("std::fs::read_to_string");
    assert_eq!(
        d["range"],
        json!({"start": {"line": 1, "character": start}, "end": {"line": 1, "character": end}})
    );
    let related = d["relatedInformation"]
        .as_array()
        .expect("notes as related information");
    assert!(related.iter().any(
        |r| r["message"] == "this async fn runs on the async executor"
            && r["location"]["range"]["start"] == json!({"line": 0, "character": 4})
    ));

    // The suggestion, as a quick fix over the finding's range.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri(&lib)},
            "range": d["range"],
            "context": {"diagnostics": [d]},
        }),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["diagnostics"][0]["code"], "blocking_in_async");
    let edits = &actions[0]["edit"]["changes"][uri(&lib)];
    assert_eq!(edits[0]["newText"], "tokio::fs::read_to_string(path).await");
    assert_eq!(edits[0]["range"]["start"], d["range"]["start"]);
    let call_end = utf16_len(&line[..line.find(".unwrap()").unwrap()]);
    assert_eq!(
        edits[0]["range"]["end"],
        json!({"line": 1, "character": call_end})
    );

    // Hover over the finding: the rule's explain text.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&lib)}, "position": d["range"]["start"]}),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("blocking_in_async") && shown.contains("## What it does"));
    let nothing = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&lib)}, "position": {"line": 3, "character": 0}}),
    );
    assert_eq!(nothing["result"], Value::Null);

    // Fixed in the editor: the diagnostics are cleared.
    client.change(
        &lib,
        2,
        "pub async fn load(path: &str) -> String {\n    tokio::fs::read_to_string(path).await.unwrap()\n}\n",
    );
    assert_eq!(client.diagnostics(&uri(&lib)), Vec::<Value>::new());
    assert_eq!(client.finish(), 0);
}

#[test]
fn crate_phase_reruns_over_cached_summaries() {
    // The finding in lib.rs comes from helper.rs (through calls): editing helper.rs alone
    // must clear it in lib.rs.
    let lib_text =
        "mod helper;\n\npub async fn handler() -> String {\n    helper::read_config()\n}\n";
    let helper_text =
        "pub fn read_config() -> String {\n    std::fs::read_to_string(\"app.toml\").unwrap()\n}\n";
    let dir = project(
        "through",
        &[("src/lib.rs", lib_text), ("src/helper.rs", helper_text)],
    );
    let (lib, helper) = (dir.join("src/lib.rs"), dir.join("src/helper.rs"));
    let mut client = Client::start(&dir);
    client.open(&lib, lib_text);
    let found = client.diagnostics(&uri(&lib));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "blocking_in_async");
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 3, "character": 4})
    );
    let related = found[0]["relatedInformation"].as_array().unwrap();
    assert!(
        related.iter().any(|r| r["location"]["uri"] == uri(&helper)
            && r["location"]["range"]["start"] == json!({"line": 1, "character": 4})),
        "the chain points into helper.rs: {related:#?}"
    );

    client.open(&helper, helper_text);
    assert_eq!(client.diagnostics(&uri(&helper)), Vec::<Value>::new());
    client.change(
        &helper,
        2,
        "pub fn read_config() -> String {\n    String::from(\"port = 80\")\n}\n",
    );
    assert_eq!(client.diagnostics(&uri(&helper)), Vec::<Value>::new());
    assert_eq!(
        client.diagnostics(&uri(&lib)),
        Vec::<Value>::new(),
        "lib.rs is re-published without the through-calls finding"
    );
    assert_eq!(client.finish(), 0);
}

#[test]
fn odd_input_gets_answers_not_panics() {
    let text = "pub async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }\n";
    let dir = project("odd", &[("src/lib.rs", text)]);
    let lib = dir.join("src/lib.rs");
    let mut client = Client::start(&dir);
    // Not a file, not Rust, not in the workspace, not open.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "untitled:Untitled-1", "languageId": "rust", "version": 1, "text": "fn"}}),
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&dir.join("src/nowhere.rs")), "version": 3},
               "contentChanges": [{"text": "x"}]}),
    );
    client.notify("textDocument/didOpen", json!({"bogus": true}));
    client.notify("$/unknownNotification", json!(null));
    let unknown = client.request("textDocument/definition", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    let bad = client.request("textDocument/codeAction", json!({"nonsense": 1}));
    assert_eq!(bad["error"]["code"], -32602);
    let elsewhere = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": "https://example.com/x.rs"},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(elsewhere["result"], json!([]));

    // A file outside the module tree is linted on its own.
    let loose = dir.join("scratch.rs");
    client.open(&loose, "async fn g() { std::thread::sleep(d); }\n");
    assert_eq!(client.diagnostics(&uri(&loose)).len(), 1);

    // Out-of-range edits are clamped, not fatal.
    client.open(&lib, text);
    assert_eq!(client.diagnostics(&uri(&lib)).len(), 1);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&lib), "version": 2},
               "contentChanges": [{"range": {"start": {"line": 40, "character": 9}, "end": {"line": 2, "character": 0}}, "text": "// tail\n"},
                                  {"range": {"start": {"line": 0, "character": 500}, "end": {"line": 0, "character": 900}}, "text": " "}]}),
    );
    assert_eq!(client.diagnostics(&uri(&lib)).len(), 1);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&lib)}, "position": {"line": 4000000000u32, "character": 4000000000u32}}),
    );
    assert_eq!(hover["result"], Value::Null);
    // A syntax error is a diagnostic too.
    client.change(&lib, 3, "pub async fn f( {\n");
    let broken = client.diagnostics(&uri(&lib));
    assert_eq!(broken[0]["code"], "syntax_error", "{broken:#?}");
    assert_eq!(broken[0]["severity"], 1);
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&lib)}}),
    );
    assert_eq!(client.diagnostics(&uri(&lib)), Vec::<Value>::new());
    assert_eq!(client.finish(), 0);
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let dir = project("noshutdown", &[("src/lib.rs", "pub fn f() {}\n")]);
    let mut client = Client::start(&dir);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn config_levels_apply() {
    let text = "pub async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }\n";
    let dir = project("config", &[("src/lib.rs", text)]);
    std::fs::write(
        dir.join("concurrency-lint.toml"),
        "[rules]\nblocking_in_async = \"deny\"\n",
    )
    .unwrap();
    let lib = dir.join("src/lib.rs");
    let mut client = Client::start(&dir);
    client.open(&lib, text);
    let found = client.diagnostics(&uri(&lib));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["severity"], 1, "deny is an error");
    assert_eq!(client.finish(), 0);
}

#[test]
fn findings_are_placed_and_capped_as_on_the_command_line() {
    // Blocking once at startup (reached only from the async `main`) is capped at `allow`
    // by default, as `cargo concurrency-lint` reports it; the same call in a spawned task
    // is a warning that says where it runs.
    let main_text = "async fn load() -> String {\n    std::fs::read_to_string(\"app.toml\").unwrap()\n}\n\nasync fn poll() {\n    let _ = std::fs::read(\"state\");\n}\n\n#[tokio::main]\nasync fn main() {\n    let _ = load().await;\n    tokio::spawn(poll());\n}\n";
    let dir = project("placed", &[("src/main.rs", main_text)]);
    let main = dir.join("src/main.rs");
    let mut client = Client::start(&dir);
    client.open(&main, main_text);
    let found = client.diagnostics(&uri(&main));
    assert_eq!(found.len(), 1, "only the task's finding: {found:#?}");
    assert_eq!(found[0]["range"]["start"]["line"], 5);
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("runs in a task spawned at src/main.rs:12"),
        "{message}"
    );
    // An edit re-places the file's findings.
    let edited = main_text.replace("tokio::spawn(poll());", "poll().await;");
    client.change(&main, 2, &edited);
    assert_eq!(client.diagnostics(&uri(&main)), Vec::<Value>::new());
    assert_eq!(client.finish(), 0);
}

#[test]
fn module_shared_by_lib_and_bin_is_reported_as_on_the_command_line() {
    // `mod shared;` in both `lib.rs` and `main.rs`: the command line lints the file as a
    // module of each crate and reports the library's copy (a `pub` async API) even though
    // the binary's copy runs only from `main`; the editor must say the same, whichever
    // file it opens first.
    let shared_text = "pub async fn load() {\n    let _ = std::fs::read(\"/etc/app.toml\");\n}\n";
    let main_text =
        "mod shared;\n\n#[tokio::main]\nasync fn main() {\n    shared::load().await;\n}\n";
    let lib_text = "pub mod shared;\n";
    for first in ["src/main.rs", "src/lib.rs", "src/shared.rs"] {
        let dir = project(
            "shared",
            &[
                ("src/lib.rs", lib_text),
                ("src/main.rs", main_text),
                ("src/shared.rs", shared_text),
            ],
        );
        let mut client = Client::start(&dir);
        let texts = [
            ("src/main.rs", main_text),
            ("src/lib.rs", lib_text),
            ("src/shared.rs", shared_text),
        ];
        let (path, text) = texts.iter().find(|(p, _)| *p == first).unwrap();
        client.open(&dir.join(path), text);
        let mut found = client.diagnostics(&uri(&dir.join(path)));
        let shared = dir.join("src/shared.rs");
        if first != "src/shared.rs" {
            client.open(&shared, shared_text);
            found = client.diagnostics(&uri(&shared));
        }
        assert_eq!(found.len(), 1, "opened {first} first: {found:#?}");
        assert_eq!(found[0]["range"]["start"]["line"], 1);
        assert_eq!(client.finish(), 0);
    }
}
