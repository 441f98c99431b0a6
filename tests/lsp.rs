//! `tripline lsp` as an editor sees it: the binary started as a process, JSON-RPC over its
//! stdin and stdout, one session through every feature.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{file_uri, Client, PATIENCE};
use serde_json::{json, Value};

/// The protocol position (line, UTF-16 column) of the `nth` occurrence of `needle`.
fn pos(text: &str, needle: &str, nth: usize) -> Value {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .expect("needle in text")
        .0;
    let line = text[..at].matches('\n').count();
    let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": text[from..at].encode_utf16().count()})
}

const RULE: &str = r#"list known_apps = ["00000002-0000-0ff1-ce00-000000000000"]

condition reads_mail = Operation == "MailItemsAccessed"

rule unexpected_app_reads_mail {
    title       "Mail read by an unexpected app (Größe 📬)"
    id          8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
    status      experimental
    level       high
    description "Mailbox items read by an application outside the allow-list."
    date        2026-12-02
    source m365.audit
    match reads_mail and Workload == "Exchange 📬" and AppID not in known_apps
}
"#;

#[test]
fn an_editor_session() {
    let dir = std::env::temp_dir().join(format!("tripline-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mail räder.trip");
    std::fs::write(&path, RULE).unwrap();
    let uri = file_uri(&path);
    assert!(uri.ends_with("mail%20r%C3%A4der.trip"));

    let mut c = Client::start(env!("CARGO_BIN_EXE_tripline"));
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    assert_eq!(init["serverInfo"]["name"], "tripline");
    c.notify("initialized", json!({}));

    // An unknown field: a coded diagnostic with a did-you-mean, at the right UTF-16 column
    // (non-ASCII text comes before it on its line).
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "trip", "version": 1, "text": RULE}}),
    );
    let diags = c.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "tripline::check::unknown_field");
    assert_eq!(d["severity"], 1);
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `AppId`?"),
        "{d}"
    );
    assert_eq!(d["range"]["start"], pos(RULE, "AppID", 0));

    // Completion after `match `: the source's fields, with their types.
    let half = RULE.replace("    match reads_mail", "    match \n    match reads_mail");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": half}]}),
    );
    let at = pos(&half, "match \n", 0);
    let at = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 6});
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for want in [
        "Operation",
        "Workload",
        "AppId",
        "ClientAppId",
        "reads_mail",
        "not",
    ] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }
    let app = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "AppId")
        .unwrap();
    assert_eq!(app["detail"], "string");
    // After a field: the operators its type takes.
    let ops = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": pos(&half, "== \"Exchange", 0)}),
    );
    let ops: Vec<&str> = ops
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        ops.contains(&"contains") && ops.contains(&"not in") && !ops.contains(&">="),
        "{ops:?}"
    );
    let _ = c.diagnostics(&uri);

    // ATT&CK tags: tactics and techniques with their names.
    let tagged = half.replace(
        "    status      experimental",
        "    tags        attack.t1114\n    status      experimental",
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": tagged}]}),
    );
    let at = pos(&tagged, "attack.t1114", 0);
    let at = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 12});
    let tags = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let t = tags
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "attack.t1114.002")
        .expect("a sub-technique");
    assert_eq!(t["detail"], "Remote Email Collection");
    let _ = c.diagnostics(&uri);

    // The fix: diagnostics are cleared.
    let fixed = RULE.replace("AppID", "AppId");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());

    // Hover on a field: its type and how each target writes it.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": pos(&fixed, "Workload", 0)}),
    );
    let text = h["contents"]["value"].as_str().unwrap();
    for want in [
        "field of `m365.audit`",
        "| kql.sentinel | `OfficeWorkload` |",
        "| spl |",
        "| duckdb |",
    ] {
        assert!(text.contains(want), "{want} not in hover:\n{text}");
    }
    assert_eq!(h["range"]["start"], pos(&fixed, "Workload", 0));
    // Hover on a list: its values.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": pos(&fixed, "known_apps", 1)}),
    );
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("00000002-0000-0ff1-ce00-000000000000"));

    // Definition of a list name, then its references.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": pos(&fixed, "known_apps", 1)}),
    );
    assert_eq!(def["uri"], uri.as_str());
    assert_eq!(def["range"]["start"], pos(&fixed, "known_apps", 0));
    let refs = c.request("textDocument/references", json!({"textDocument": {"uri": uri}, "position": pos(&fixed, "reads_mail", 0), "context": {"includeDeclaration": true}}));
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");

    // Rename a condition: every place, one edit each.
    let edit = c.request("textDocument/rename", json!({"textDocument": {"uri": uri}, "position": pos(&fixed, "reads_mail", 2), "newName": "mail_read"}));
    assert_eq!(
        edit["changes"][uri.as_str()].as_array().unwrap().len(),
        2,
        "{edit}"
    );

    // Symbols, the code lens, and the compiled queries behind it.
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = syms
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["known_apps", "reads_mail", "unexpected_app_reads_mail"]
    );
    let lenses = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(lenses[0]["command"]["command"], "tripline.showCompiled");
    let md = c.request(
        "workspace/executeCommand",
        json!({"command": "tripline.compiled", "arguments": [uri, "unexpected_app_reads_mail"]}),
    );
    let md = md.as_str().unwrap();
    assert!(
        md.contains("## kql (sentinel)") && md.contains("OfficeActivity") && md.contains("## spl"),
        "{md}"
    );

    // Formatting through `tripline fmt`: one edit of the whole text, and none once formatted.
    let messy = fixed.replace("    source m365.audit", "  source    m365.audit");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": messy}]}),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let formatted = edits[0]["newText"].as_str().unwrap().to_string();
    assert!(
        formatted.contains("\n    source m365.audit\n"),
        "{formatted}"
    );
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": formatted}]}));
    let none = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(none, json!([]));

    let _ = c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imports_and_the_user_catalog() {
    let dir = std::env::temp_dir().join(format!("tripline-lsp-imports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lists = dir.join("lists.trip");
    std::fs::write(
        &lists,
        "list admins = [\"root\", \"admin\"]\ncondition bad = Foo ==\n",
    )
    .unwrap();
    let catalog = dir.join("catalog.yml");
    std::fs::write(
        &catalog,
        "sources:\n  my.app:\n    description: x\n    fields:\n      User: strin\n",
    )
    .unwrap();
    let main = "import \"lists.trip\"\nimport \"missing.trip\"\n\nrule r {\n    source m365.audit\n    match UserId in admins\n}\n";
    let main_path = dir.join("main.trip");
    std::fs::write(&main_path, main).unwrap();
    let uri = file_uri(&main_path);

    let mut c = Client::start(env!("CARGO_BIN_EXE_tripline"));
    c.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": {"catalog": catalog.to_str().unwrap()}}));
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "trip", "version": 1, "text": main}}),
    );
    // The import that cannot be read is an error on its line; the imported file's own
    // errors are published for it; the catalog's for the catalog file.
    let own: Vec<Value> = c.diagnostics(&uri);
    assert!(
        own.iter()
            .any(|d| d["range"]["start"]["line"] == 1 && d["severity"] == 1),
        "{own:?}"
    );
    let imported = c.diagnostics(&file_uri(&lists));
    assert!(
        !imported.is_empty(),
        "the imported file's errors are published"
    );
    let cat = c.diagnostics(&file_uri(&catalog));
    assert!(
        cat.iter().any(|d| d["code"]
            .as_str()
            .unwrap()
            .starts_with("tripline::catalog::")),
        "{cat:?}"
    );

    // Definition of an imported list: in the imported file; definition of an import: the file.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": pos(main, "admins", 0)}),
    );
    assert_eq!(def["uri"], file_uri(&lists));
    assert_eq!(def["range"]["start"], json!({"line": 0, "character": 5}));
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": pos(main, "lists.trip", 0)}),
    );
    assert_eq!(def["uri"], file_uri(&lists));
    // References of an import: every import of that file.
    let refs = c.request("textDocument/references", json!({"textDocument": {"uri": uri}, "position": pos(main, "lists.trip", 0), "context": {"includeDeclaration": true}}));
    assert_eq!(refs.as_array().unwrap().len(), 1, "{refs}");
    assert_eq!(
        refs[0]["range"]["start"],
        json!({"line": 0, "character": 7})
    );
    // A rule cannot be renamed (its name names its output files).
    let id = c.next;
    c.next += 1;
    c.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/rename", "params": {"textDocument": {"uri": uri}, "position": pos(main, "r {", 0), "newName": "x"}}));
    let reply = loop {
        let m = c.rx.recv_timeout(PATIENCE).unwrap();
        if m["id"] == json!(id) {
            break m;
        }
    };
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("list or a condition"),
        "{reply}"
    );

    let _ = c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
