//! `cargo concurrency-lint server`: a language server over stdio (LSP 3.17, on the
//! `lsp-server` and `lsp-types` crates rust-analyzer uses).
//!
//! - At startup the whole Cargo workspace below the client's root is linted once (all
//!   targets, in parallel, the same per-file API and config as the CLI) and each file's
//!   summary is cached ([`state`]).
//! - `didOpen`/`didChange`/`didSave` re-lint only that file's text, re-run its crate's
//!   crate-level phase over the cached summaries, and publish the diagnostics of the open
//!   files that changed. Changes queued behind each other are coalesced: the lint runs
//!   once the queue is empty, or before answering a request.
//! - `codeAction` offers each suggestion as a quick fix; `hover` over a finding shows its
//!   rule's `explain` text, which `codeDescription` links to as well.
//!
//! Nothing the client sends can make it panic: bad parameters get an error response,
//! unknown documents and non-`file:` URIs are ignored, out-of-range positions are clamped.

mod convert;
mod state;
mod text;

use crate::EXIT_OK;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, HoverProviderCapability,
    InitializeResult, MessageType, PublishDiagnosticsParams, SaveOptions, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Url,
};
use state::{file_key, State};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// The protocol's exit code when the client leaves without `shutdown`.
const EXIT_WITHOUT_SHUTDOWN: i32 = 1;

/// Run the server on stdin/stdout until `exit`. Exit code 0 after `shutdown` + `exit`,
/// 1 when the client goes away or says `exit` without `shutdown` (as the protocol says).
pub fn run() -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let code = serve(&connection);
    drop(connection);
    if let Err(error) = io_threads.join() {
        // A client that hangs up mid-message, or sends something that is not JSON-RPC.
        eprintln!("concurrency-lint server: {error}");
    }
    code
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(true),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// The workspace root the client names: its first workspace folder, else `rootUri`, else
/// `rootPath`, else the current directory.
fn root_from(params: &serde_json::Value) -> PathBuf {
    let uri_path = |value: Option<&serde_json::Value>| {
        value
            .and_then(serde_json::Value::as_str)
            .and_then(|s| Url::parse(s).ok())
            .and_then(|u| u.to_file_path().ok())
    };
    uri_path(params.pointer("/workspaceFolders/0/uri"))
        .or_else(|| uri_path(params.get("rootUri")))
        .or_else(|| {
            params
                .get("rootPath")
                .and_then(serde_json::Value::as_str)
                .map(PathBuf::from)
        })
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

fn serve(connection: &Connection) -> i32 {
    let (id, params) = loop {
        match connection.receiver.recv() {
            Ok(Message::Request(req)) if req.method == "initialize" => break (req.id, req.params),
            Ok(Message::Request(req)) => send(
                connection,
                Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized".into(),
                ),
            ),
            Ok(Message::Notification(n)) if n.method == "exit" => return EXIT_WITHOUT_SHUTDOWN,
            Ok(_) => {}
            Err(_) => return EXIT_WITHOUT_SHUTDOWN,
        }
    };
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "concurrency-lint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    send(connection, Response::new_ok(id, result));
    let started = Instant::now();
    let mut server = Server {
        connection,
        state: State::load(&root_from(&params), &HashMap::new()),
        uris: HashMap::new(),
        shutdown: false,
    };
    server.announce_load(started);
    server.main_loop()
}

fn send(connection: &Connection, message: impl Into<Message>) {
    // The writer is gone only when the client is; the read side ends the loop then.
    let _ = connection.sender.send(message.into());
}

struct Server<'a> {
    connection: &'a Connection,
    state: State,
    /// The URI the client used for each open file (diagnostics go back under it).
    uris: HashMap<PathBuf, Url>,
    shutdown: bool,
}

impl Server<'_> {
    fn main_loop(&mut self) -> i32 {
        loop {
            let message = if self.state.has_dirty() {
                match self.connection.receiver.try_recv() {
                    Ok(message) => message,
                    Err(e) if e.is_empty() => {
                        self.flush();
                        continue;
                    }
                    Err(_) => return EXIT_WITHOUT_SHUTDOWN,
                }
            } else {
                match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return EXIT_WITHOUT_SHUTDOWN,
                }
            };
            match message {
                Message::Request(req) => self.request(req),
                Message::Notification(n) if n.method == "exit" => {
                    return if self.shutdown {
                        EXIT_OK
                    } else {
                        EXIT_WITHOUT_SHUTDOWN
                    };
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn log(&self, typ: MessageType, message: String) {
        let params = lsp_types::LogMessageParams { typ, message };
        send(
            self.connection,
            Notification::new(LogMessage::METHOD.into(), params),
        );
    }

    fn announce_load(&self, started: Instant) {
        if let Some(error) = &self.state.config_error {
            let params = lsp_types::ShowMessageParams {
                typ: MessageType::WARNING,
                message: format!("concurrency-lint: {error} (using the default config)"),
            };
            send(
                self.connection,
                Notification::new(ShowMessage::METHOD.into(), params),
            );
        }
        self.log(
            MessageType::INFO,
            format!(
                "concurrency-lint: {} files of {} linted in {} ms",
                self.state.len(),
                self.state.root.display(),
                started.elapsed().as_millis()
            ),
        );
    }

    fn flush(&mut self) {
        for publish in self.state.flush() {
            let uri = match self.uris.get(&publish.path) {
                Some(uri) => uri.clone(),
                None => match Url::from_file_path(&publish.path) {
                    Ok(uri) => uri,
                    Err(()) => continue,
                },
            };
            let Some(file) = self.state.file(&publish.path) else {
                continue;
            };
            let diagnostics = publish
                .diagnostics
                .iter()
                .map(|d| convert::diagnostic(&self.state, &uri, &file.doc, d))
                .collect();
            self.publish(uri, diagnostics, publish.version);
        }
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        send(
            self.connection,
            Notification::new(PublishDiagnostics::METHOD.into(), params),
        );
    }

    fn request(&mut self, req: Request) {
        if self.shutdown {
            return self.error(
                req.id,
                ErrorCode::InvalidRequest,
                "the server is shutting down".into(),
            );
        }
        match req.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                send(self.connection, Response::new_ok(req.id, ()));
            }
            CodeActionRequest::METHOD => {
                self.flush();
                match serde_json::from_value::<lsp_types::CodeActionParams>(req.params) {
                    Ok(params) => {
                        let uri = params.text_document.uri;
                        let actions = path_of(&uri)
                            .and_then(|path| self.state.file(&path))
                            .map(|file| {
                                convert::code_actions(&self.state, &uri, file, &params.range)
                            })
                            .unwrap_or_default();
                        send(self.connection, Response::new_ok(req.id, actions));
                    }
                    Err(e) => self.error(req.id, ErrorCode::InvalidParams, e.to_string()),
                }
            }
            HoverRequest::METHOD => {
                self.flush();
                match serde_json::from_value::<lsp_types::HoverParams>(req.params) {
                    Ok(params) => {
                        let position = params.text_document_position_params;
                        let hover = path_of(&position.text_document.uri)
                            .and_then(|path| self.state.file(&path))
                            .and_then(|file| convert::hover(file, position.position));
                        send(self.connection, Response::new_ok(req.id, hover));
                    }
                    Err(e) => self.error(req.id, ErrorCode::InvalidParams, e.to_string()),
                }
            }
            _ => self.error(
                req.id,
                ErrorCode::MethodNotFound,
                format!("unsupported request `{}`", req.method),
            ),
        }
    }

    fn error(&self, id: RequestId, code: ErrorCode, message: String) {
        send(self.connection, Response::new_err(id, code as i32, message));
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let document = params.text_document;
                let Some(path) = rust_path_of(&document.uri) else {
                    return;
                };
                self.uris.insert(path.clone(), document.uri);
                self.state.open(path, document.text, document.version);
            }
            DidChangeTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                if let Some(path) = rust_path_of(&params.text_document.uri) {
                    self.state
                        .change(&path, params.text_document.version, params.content_changes);
                }
            }
            DidSaveTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(path) = path_of(&params.text_document.uri) else {
                    return;
                };
                if state::is_config_file(&path) {
                    self.reload();
                } else {
                    self.state.save(&path, params.text);
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                let uri = params.text_document.uri;
                let Some(path) = rust_path_of(&uri) else {
                    return;
                };
                self.uris.remove(&path);
                if self.state.close(&path) {
                    self.publish(uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    /// The config or a manifest changed: start over, keeping the open documents.
    fn reload(&mut self) {
        let started = Instant::now();
        let open = self.state.open_documents();
        self.state = State::load(&self.state.root.clone(), &open);
        self.log(
            MessageType::INFO,
            "concurrency-lint: config or manifest saved; reloading".into(),
        );
        self.announce_load(started);
    }
}

/// The file a `file:` URI names (with the key the state knows it by).
fn path_of(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok().map(|p| file_key(&p))
}

/// Like [`path_of`], for Rust source files only.
fn rust_path_of(uri: &Url) -> Option<PathBuf> {
    path_of(uri).filter(|p| p.extension().is_some_and(|e| e == "rs"))
}
