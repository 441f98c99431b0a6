#!/usr/bin/env node
// Coverage of the TextMate grammar over the repository's rule files.
//
//   node coverage.js [--only] [-v] [PATH...]
//
// Tokenizes every rules/**/*.trip and tests/**/*.trip of the repository (../../.. from this
// directory) with vscode-textmate and vscode-oniguruma (the engine VS Code uses) against
// ../syntaxes/trip.tmLanguage.json, and reports every non-whitespace character that
//   - no token pattern recognised: its scopes are only the root scope `source.trip`, or the
//     root and region scopes `meta.*` (a region such as a rule body or a JSON object whose
//     text no pattern inside it matched) -- an "unmatched region", or
//   - has an `invalid.*` scope (a bad escape, ...),
// as file:line:column, the kind and the text (-v: and its scopes). Adjacent offending
// characters of one line form one region.
//
// PATHs (files or directories, relative to the current directory) are checked in addition
// to rules/ and tests/ (with --only: instead of them); they must be fully covered.
// Files under tests/invalid/, and any tests/ file that expects a syntax error (a
// `// expect: tripline::syntax::...` line), are deliberately broken: their regions are
// listed but do not fail the run. Every other file must have none.
//
// Prints one summary line:
//   tmgrammar coverage: rules/ F files, L lines, T tokens, U unmatched, I invalid; tests/ ...
// and exits 1 when a file that must be fully covered has an unmatched or invalid region.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const HERE = __dirname;
const REPO = path.resolve(HERE, "..", "..", "..");
const GRAMMAR = path.resolve(HERE, "..", "syntaxes", "trip.tmLanguage.json");
const ROOT = "source.trip";

function usage(code) {
  process.stderr.write("usage: node coverage.js [--only] [-v] [PATH...]\n");
  process.exit(code);
}

function walk(p, out) {
  let st;
  try {
    st = fs.statSync(p);
  } catch (e) {
    process.stderr.write(`coverage.js: ${p}: ${e.code || e.message}\n`);
    process.exitCode = 2;
    return out;
  }
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) {
      if (name === "node_modules" || name === "target" || name.startsWith(".")) continue;
      walk(path.join(p, name), out);
    }
  } else if (st.isFile() && (p.endsWith(".trip") || out.explicit)) {
    out.push(p);
  }
  return out;
}

function tripFiles(p, explicit) {
  const out = [];
  out.explicit = explicit;
  return walk(p, out);
}

// A character's kind: null when covered, else "unmatched" or "invalid".
function kindOf(scopes) {
  if (scopes.some((s) => s.startsWith("invalid."))) return "invalid";
  if (scopes.every((s) => s === ROOT || s.startsWith("meta."))) return "unmatched";
  return null;
}

async function main(argv) {
  let only = false;
  let verbose = false;
  const extra = [];
  for (const a of argv) {
    if (a === "--only") only = true;
    else if (a === "-v" || a === "--verbose") verbose = true;
    else if (a === "-h" || a === "--help") usage(0);
    else if (a.startsWith("-")) usage(2);
    else extra.push(a);
  }

  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === ROOT ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null,
  });
  const grammar = await registry.loadGrammar(ROOT);
  if (!grammar) throw new Error(`cannot load ${GRAMMAR}`);

  // Groups: [label, files, strict?]
  const groups = [];
  if (!only) {
    for (const dir of ["rules", "tests"]) {
      const files = tripFiles(path.join(REPO, dir), false);
      groups.push({ label: dir + "/", files });
    }
  }
  if (extra.length) {
    const files = [];
    for (const p of extra) files.push(...tripFiles(path.resolve(p), true));
    groups.push({ label: "paths", files });
  }

  const invalidDir = path.join(REPO, "tests", "invalid") + path.sep;
  const testsDir = path.join(REPO, "tests") + path.sep;
  let failed = false;
  const parts = [];
  for (const g of groups) {
    const st = { files: 0, lines: 0, tokens: 0, unmatched: 0, invalid: 0, withRegions: 0, reportOnly: 0 };
    for (const file of g.files) {
      const text = fs.readFileSync(file, "utf8");
      const rel = file.startsWith(REPO + path.sep) ? path.relative(REPO, file) : file;
      const reportOnly =
        g.label === "tests/" &&
        file.startsWith(testsDir) &&
        (file.startsWith(invalidDir) || /^\s*\/\/\s*expect:\s*tripline::syntax::/m.test(text));
      st.files++;
      if (reportOnly) st.reportOnly++;
      const lines = text.split("\n");
      if (lines.length && lines[lines.length - 1] === "") lines.pop();
      let stack = vsctm.INITIAL;
      const regions = [];
      lines.forEach((raw, i) => {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        st.lines++;
        const r = grammar.tokenizeLine(line, stack);
        if (r.stoppedEarly) throw new Error(`${rel}:${i + 1}: tokenization stopped early`);
        stack = r.ruleStack;
        st.tokens += r.tokens.length;
        let cur = null;
        for (const t of r.tokens) {
          const kind = kindOf(t.scopes);
          for (let c = t.startIndex; c < t.endIndex && c < line.length; c++) {
            const ch = line[c];
            const blank = /\s/.test(ch) || ch === "\uFEFF";
            if (kind && !blank) {
              if (cur && cur.kind === kind && cur.end === c) {
                cur.end = c + 1;
              } else {
                cur = { kind, line: i + 1, start: c, end: c + 1, scopes: t.scopes, text: line };
                regions.push(cur);
              }
            } else if (!blank) {
              cur = null;
            }
          }
        }
      });
      if (regions.length) st.withRegions++;
      for (const r of regions) {
        if (r.kind === "invalid") st.invalid++;
        else st.unmatched++;
        if (!reportOnly) failed = true;
        const where = `${rel}:${r.line}:${r.start + 1}`;
        const snippet = r.text.slice(r.start, r.end);
        const shown = snippet.length > 60 ? snippet.slice(0, 57) + "..." : snippet;
        const tag = reportOnly ? " (deliberately invalid file: reported, not a failure)" : "";
        console.log(`${where}: ${r.kind} \`${shown}\`${verbose ? ` [${r.scopes.join(" ")}]` : ""}${tag}`);
      }
    }
    const bad = st.unmatched + st.invalid;
    const ro = st.reportOnly ? `; ${st.reportOnly} files report only` : "";
    parts.push(
      `${g.label} ${st.files} file${st.files === 1 ? "" : "s"}, ${st.lines} lines, ${st.tokens} tokens, ` +
        `${st.unmatched} unmatched, ${st.invalid} invalid` +
        (bad || ro ? ` (${bad ? `in ${st.withRegions} file${st.withRegions === 1 ? "" : "s"}` : "none"}${ro})` : "")
    );
  }
  console.log(`tmgrammar coverage: ${parts.join("; ")}` + (failed ? " [FAILED]" : ""));
  return failed ? 1 : process.exitCode || 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`coverage.js: ${e.stack || e}`);
    process.exit(2);
  }
);
