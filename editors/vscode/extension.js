// VS Code client for the tripline language server (`tripline lsp`, stdio).
//
// - starts `${tripline.path} lsp` for `trip` documents (settings: tripline.path, tripline.catalog);
// - registers the command `tripline.showCompiled` ("Tripline: Show compiled queries", also run by
//   the code lens the server puts above each rule): it asks the server for the compiled queries
//   of the document (`workspace/executeCommand`, arguments `[documentUri]`, or
//   `[documentUri, ruleName]` from a code lens) and opens the Markdown it returns in a new
//   untitled document beside the editor.
"use strict";

const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind, ExecuteCommandRequest } = require("vscode-languageclient/node");

/** The VS Code command (palette, code lens). */
const SHOW_COMPILED = "tripline.showCompiled";
/** Server-side command names, most preferred first: the server advertises the one it runs in
 * its `executeCommandProvider` capability (tripline's server calls it `tripline.compiled`). */
const SERVER_COMMANDS = ["tripline.compiled", SHOW_COMPILED];

/** @type {LanguageClient | undefined} */
let client;
/** @type {Promise<void> | undefined} */
let starting;

/** A relative path is taken from the first workspace folder; with `command`, a bare name
 * (`tripline`) is left to PATH and only a path with a slash (`target/debug/tripline`) is resolved. */
function resolvePath(p, command) {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!p || path.isAbsolute(p) || (command && !p.includes("/")) || !folder || folder.uri.scheme !== "file") return p;
  return path.join(folder.uri.fsPath, p);
}

function settings() {
  const cfg = vscode.workspace.getConfiguration("tripline");
  return {
    path: resolvePath((cfg.get("path") || "tripline").trim() || "tripline", true),
    catalog: resolvePath((cfg.get("catalog") || "").trim(), false),
  };
}

function createClient() {
  const s = settings();
  /** @type {import("vscode-languageclient/node").ServerOptions} */
  const serverOptions = {
    run: { command: s.path, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command: s.path, args: ["lsp"], transport: TransportKind.stdio },
  };
  /** @type {import("vscode-languageclient/node").LanguageClientOptions} */
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "trip" },
      { scheme: "untitled", language: "trip" },
    ],
    initializationOptions: s.catalog ? { catalog: s.catalog } : {},
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.trip") },
  };
  const c = new LanguageClient("tripline", "Tripline", serverOptions, clientOptions);
  // The client registers a VS Code command for every command the server advertises; this
  // extension registers `tripline.showCompiled` itself (it also shows the result), so a server
  // that advertises that very name must not make the client register it a second time.
  const feature = c.getFeature(ExecuteCommandRequest.method);
  if (feature && typeof feature.register === "function") {
    const register = feature.register.bind(feature);
    feature.register = (data) => {
      const opts = data.registerOptions || {};
      const commands = (opts.commands || []).filter((cmd) => cmd !== SHOW_COMPILED);
      return register({ ...data, registerOptions: { ...opts, commands } });
    };
  }
  return c;
}

async function start() {
  client = createClient();
  starting = client.start().catch((e) => {
    const bin = settings().path;
    vscode.window.showErrorMessage(
      `Tripline: could not start \`${bin} lsp\` (${e && e.message ? e.message : e}). ` +
        "Put tripline on PATH or set the tripline.path setting."
    );
    throw e;
  });
  await starting;
}

async function stop() {
  const c = client;
  client = undefined;
  starting = undefined;
  if (c) {
    try {
      await c.stop();
    } catch (_) {
      // the server may already be gone
    }
  }
}

/** The server-side command to send: the one the server advertises, else tripline's name. */
function serverCommand(c) {
  const provider = c.initializeResult && c.initializeResult.capabilities.executeCommandProvider;
  const advertised = (provider && provider.commands) || [];
  return SERVER_COMMANDS.find((cmd) => advertised.includes(cmd)) || advertised[0] || SERVER_COMMANDS[0];
}

/**
 * `tripline.showCompiled [uri] [ruleName]`: without arguments, the active editor's document.
 * @param {string | vscode.Uri | undefined} uriArg
 * @param {string | undefined} rule
 */
async function showCompiled(uriArg, rule) {
  if (!client || !starting) {
    vscode.window.showErrorMessage("Tripline: the language server is not running.");
    return;
  }
  try {
    await starting;
  } catch (_) {
    return; // reported by start()
  }
  const c = client;
  let uri;
  if (typeof uriArg === "string" && uriArg) {
    uri = uriArg; // from a code lens: the server's own spelling of the URI
  } else {
    const doc = uriArg instanceof vscode.Uri
      ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uriArg.toString())
      : vscode.window.activeTextEditor && vscode.window.activeTextEditor.document;
    if (!doc || doc.languageId !== "trip") {
      vscode.window.showInformationMessage("Tripline: open a .trip file to see its compiled queries.");
      return;
    }
    uri = c.code2ProtocolConverter.asUri(doc.uri);
  }
  const args = typeof rule === "string" && rule ? [uri, rule] : [uri];
  let markdown;
  try {
    markdown = await c.sendRequest("workspace/executeCommand", { command: serverCommand(c), arguments: args });
  } catch (e) {
    vscode.window.showErrorMessage(`Tripline: ${e && e.message ? e.message : e}`);
    return;
  }
  const content = typeof markdown === "string" ? markdown : JSON.stringify(markdown, null, 2);
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand(SHOW_COMPILED, showCompiled),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("tripline.path") || e.affectsConfiguration("tripline.catalog")) {
        await stop();
        await start().catch(() => {});
      }
    }),
    { dispose: () => void stop() }
  );
  await start().catch(() => {});
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
