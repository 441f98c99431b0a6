//! The protocol loop: the handshake, then each message in turn. Diagnostics are published
//! when a document opens or is saved, and after a pause in typing (the debounce) when it
//! changes; every request is answered from the text as it is at that moment.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CompletionParams, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentSymbolParams,
    ExecuteCommandParams, GotoDefinitionParams, HoverParams, PublishDiagnosticsParams,
    ReferenceParams, RenameParams, TextDocumentPositionParams, Uri,
};
use serde_json::{json, Value};

use super::workspace::Workspace;
use super::{compiled, complete, diagnostics, hover, navigate, uri};

/// How long typing must pause before a changed document is checked again.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Why the server stopped other than by `shutdown` and `exit`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ServeError {
    /// The client closed the connection or broke the protocol.
    #[error("language server: {0}")]
    #[diagnostic(code(tripline::lsp::protocol), help("start the server from an editor: it speaks the Language Server Protocol on stdin and stdout"))]
    Protocol(String),
}

fn lost<E: std::fmt::Display>(e: E) -> ServeError {
    ServeError::Protocol(e.to_string())
}

/// What the server can do, as sent in the `initialize` response.
pub fn capabilities() -> Value {
    json!({
        "positionEncoding": "utf-16",
        "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
        "completionProvider": { "triggerCharacters": [" ", "."] },
        "hoverProvider": true,
        "definitionProvider": true,
        "referencesProvider": true,
        "renameProvider": { "prepareProvider": true },
        "documentSymbolProvider": true,
        "documentFormattingProvider": true,
        "codeLensProvider": { "resolveProvider": false },
        "executeCommandProvider": { "commands": [compiled::COMMAND] },
    })
}

/// Serve one client on `conn` until it sends `exit` (or goes away). The user catalog comes
/// from the `catalog` initialization option (a path), else from `catalog`.
pub fn serve(conn: &Connection, catalog: Option<PathBuf>) -> Result<(), ServeError> {
    let init = loop {
        match conn.receiver.recv().map_err(lost)? {
            Message::Request(r) if r.method == "initialize" => break r,
            Message::Request(r) => send(
                conn,
                Response::new_err(
                    r.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "initialize first".into(),
                ),
            )?,
            Message::Notification(n) if n.method == "exit" => return Ok(()),
            _ => {}
        }
    };
    let from_client = init
        .params
        .get("initializationOptions")
        .and_then(|o| o.get("catalog"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from);
    let result = json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "tripline", "version": env!("CARGO_PKG_VERSION") },
    });
    send(conn, Response::new_ok(init.id, result))?;
    let mut server = Server {
        conn,
        ws: Workspace::new(from_client.or(catalog)),
        dirty: BTreeSet::new(),
        due: None,
        shutdown: false,
    };
    server.run()
}

struct Server<'c> {
    conn: &'c Connection,
    ws: Workspace,
    /// Documents changed since they were last checked.
    dirty: BTreeSet<Uri>,
    /// When to check them.
    due: Option<Instant>,
    shutdown: bool,
}

fn send(conn: &Connection, m: impl Into<Message>) -> Result<(), ServeError> {
    conn.sender.send(m.into()).map_err(lost)
}

impl Server<'_> {
    fn run(&mut self) -> Result<(), ServeError> {
        loop {
            let msg = match self.due {
                Some(due) => match self
                    .conn
                    .receiver
                    .recv_timeout(due.saturating_duration_since(Instant::now()))
                {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        self.flush()?;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                },
                None => match self.conn.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                },
            };
            match msg {
                Message::Request(r) => self.request(r)?,
                Message::Notification(n) if n.method == "exit" => return Ok(()),
                Message::Notification(n) => self.notification(n)?,
                Message::Response(_) => {}
            }
        }
    }

    /// Check every changed document now.
    fn flush(&mut self) -> Result<(), ServeError> {
        self.due = None;
        let dirty = std::mem::take(&mut self.dirty);
        for u in dirty {
            self.publish(&u)?;
        }
        Ok(())
    }

    fn publish(&mut self, u: &Uri) -> Result<(), ServeError> {
        if self.ws.catalog.refresh() {
            // The catalog changed: every open document is checked again.
            self.dirty
                .extend(self.ws.docs().keys().filter(|d| *d != u).cloned());
            self.due.get_or_insert_with(Instant::now);
        }
        let mut all = diagnostics::for_document(&self.ws, u);
        if let Some(c) = self.ws.catalog.path.as_deref().and_then(uri::from_path) {
            all.entry(c).or_default();
        }
        for (uri, diagnostics) in all {
            let version = None;
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            };
            send(
                self.conn,
                Notification::new("textDocument/publishDiagnostics".into(), params),
            )?;
        }
        Ok(())
    }

    fn notification(&mut self, n: Notification) -> Result<(), ServeError> {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                self.ws
                    .open(p.text_document.uri.clone(), p.text_document.text);
                self.dirty.remove(&p.text_document.uri);
                self.publish(&p.text_document.uri)?;
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let open = self.ws.docs().contains_key(&p.text_document.uri);
                if let (true, Some(change)) = (open, p.content_changes.into_iter().last()) {
                    // Full synchronisation: each change carries the whole text.
                    self.ws.open(p.text_document.uri.clone(), change.text);
                    self.dirty.insert(p.text_document.uri);
                    self.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didSave" => {
                let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                self.dirty.remove(&p.text_document.uri);
                if self.ws.docs().contains_key(&p.text_document.uri) {
                    self.publish(&p.text_document.uri)?;
                }
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                self.ws.close(&p.text_document.uri);
                self.dirty.remove(&p.text_document.uri);
                let params = PublishDiagnosticsParams {
                    uri: p.text_document.uri,
                    diagnostics: Vec::new(),
                    version: None,
                };
                send(
                    self.conn,
                    Notification::new("textDocument/publishDiagnostics".into(), params),
                )?;
            }
            _ => {}
        }
        Ok(())
    }

    fn request(&mut self, r: Request) -> Result<(), ServeError> {
        if r.method == "shutdown" {
            self.shutdown = true;
            return send(self.conn, Response::new_ok(r.id, Value::Null));
        }
        if self.shutdown {
            return send(
                self.conn,
                Response::new_err(
                    r.id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down".into(),
                ),
            );
        }
        let id = r.id.clone();
        let reply = match self.answer(r) {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        send(self.conn, reply)
    }

    fn answer(&mut self, r: Request) -> Result<Value, (ErrorCode, String)> {
        let ws = &self.ws;
        fn params<P: serde::de::DeserializeOwned>(
            r: Request,
        ) -> Result<(RequestId, P), (ErrorCode, String)> {
            let id = r.id.clone();
            serde_json::from_value(r.params)
                .map(|p| (id, p))
                .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
        }
        let v = match r.method.as_str() {
            "textDocument/completion" => {
                let (_, p): (_, CompletionParams) = params(r)?;
                let tp = p.text_document_position;
                json!(complete::complete(ws, &tp.text_document.uri, tp.position))
            }
            "textDocument/hover" => {
                let (_, p): (_, HoverParams) = params(r)?;
                let tp = p.text_document_position_params;
                json!(hover::hover(ws, &tp.text_document.uri, tp.position))
            }
            "textDocument/definition" => {
                let (_, p): (_, GotoDefinitionParams) = params(r)?;
                let tp = p.text_document_position_params;
                json!(navigate::definition(ws, &tp.text_document.uri, tp.position))
            }
            "textDocument/references" => {
                let (_, p): (_, ReferenceParams) = params(r)?;
                let tp = p.text_document_position;
                json!(navigate::references(
                    ws,
                    &tp.text_document.uri,
                    tp.position,
                    p.context.include_declaration
                ))
            }
            "textDocument/prepareRename" => {
                let (_, p): (_, TextDocumentPositionParams) = params(r)?;
                json!(navigate::prepare_rename(
                    ws,
                    &p.text_document.uri,
                    p.position
                ))
            }
            "textDocument/rename" => {
                let (_, p): (_, RenameParams) = params(r)?;
                let tp = p.text_document_position;
                match navigate::rename(ws, &tp.text_document.uri, tp.position, &p.new_name) {
                    Ok(edit) => json!(edit),
                    Err(why) => return Err((ErrorCode::InvalidParams, why)),
                }
            }
            "textDocument/documentSymbol" => {
                let (_, p): (_, DocumentSymbolParams) = params(r)?;
                json!(navigate::symbols(ws, &p.text_document.uri))
            }
            "textDocument/formatting" => {
                let (_, p): (_, lsp_types::DocumentFormattingParams) = params(r)?;
                json!(navigate::format(ws, &p.text_document.uri))
            }
            "textDocument/codeLens" => {
                let (_, p): (_, lsp_types::CodeLensParams) = params(r)?;
                json!(compiled::lenses(ws, &p.text_document.uri))
            }
            "workspace/executeCommand" => {
                let (_, p): (_, ExecuteCommandParams) = params(r)?;
                if p.command != compiled::COMMAND {
                    return Err((
                        ErrorCode::InvalidParams,
                        format!("unknown command `{}`", p.command),
                    ));
                }
                let args: Vec<&str> = p.arguments.iter().filter_map(Value::as_str).collect();
                let Some(u) = args.first().and_then(|s| s.parse::<Uri>().ok()) else {
                    return Err((
                        ErrorCode::InvalidParams,
                        "expected the document's URI as the first argument".into(),
                    ));
                };
                json!(compiled::markdown(ws, &u, args.get(1).copied()))
            }
            other => {
                return Err((
                    ErrorCode::MethodNotFound,
                    format!("`{other}` is not supported"),
                ))
            }
        };
        Ok(v)
    }
}
