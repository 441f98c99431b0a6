#!/usr/bin/env node
'use strict';
// Decode KQL string literals with Microsoft's Kusto.Language parser, to prove
// that tripline's literal escaping round-trips.
//
// Usage: node literal.js INPUT.json     (INPUT may be "-" for stdin)
// INPUT: a JSON array of KQL literal source texts, e.g. ["\"a\\\"b\\\\c\"", "@\"C:\\x\""]
//
// Each literal L is parsed as the query `print x = L`. It is accepted only when
// the query has no diagnostics, the value expression spans the whole of L (so
// `"a" | take 1` or `"a"; print y=1` are rejected), it is a (possibly
// compound/concatenated) string literal and is constant.
//
// Output (stdout): one JSON line per literal, in input order:
//   {"index": i, "literal": L, "ok": true,  "value": "<decoded>", "kind": "StringLiteralExpression"}
//   {"index": i, "literal": L, "ok": false, "reason": "...", "errors": [...]}
// (diagnostic "start" offsets are relative to L)
// Summary on stderr. Exit 0 if all ok, 1 if any literal was rejected, 2 bad input.

const { load, toArray, diagToJson, readInput } = require('./kusto_lib');

const PREFIX = 'print x = ';

function walk(node, f) {
  if (!node) return;
  f(node);
  const n = node.ChildCount;
  for (let i = 0; i < n; i++) walk(node.GetChild(i), f);
}

function decode(env, literal) {
  const { K, Bridge, System } = env;
  const text = PREFIX + literal;
  const code = K.KustoCode.ParseAndAnalyze(text);
  // Positions are made relative to the literal text (the `print x = ` prefix removed).
  const diags = toArray(code.GetDiagnostics())
    .map(diagToJson)
    .map((d) => ({ ...d, start: d.start - PREFIX.length }));
  if (diags.some((d) => d.severity === K.DiagnosticSeverity.Error)) {
    return { ok: false, reason: 'diagnostics', errors: diags };
  }
  const named = [];
  walk(code.Syntax, (n) => {
    if (Bridge.is(n, K.Syntax.SimpleNamedExpression)) named.push(n);
  });
  if (named.length !== 1) return { ok: false, reason: `expected one named expression, found ${named.length}` };
  const e = named[0].Expression;
  const kind = System.Enum.getName(K.Syntax.SyntaxKind, e.Kind);
  // The literal must be the whole input after the prefix (allowing surrounding trivia).
  const rest = text.slice(e.End);
  if (e.TextStart < PREFIX.length || rest.trim() !== '' ) {
    return { ok: false, reason: `literal does not span the whole input (trailing ${JSON.stringify(rest)})`, kind };
  }
  // And the parse tree must contain nothing after the expression (e.g. `"a"; print ...`).
  if (code.Syntax.End !== e.End) {
    return { ok: false, reason: 'input contains more than one expression or statement', kind };
  }
  if (kind !== 'StringLiteralExpression' && kind !== 'CompoundStringLiteralExpression') {
    return { ok: false, reason: `not a string literal: ${kind}`, kind };
  }
  if (!e.IsConstant || typeof e.ConstantValue !== 'string') {
    return { ok: false, reason: 'literal has no constant string value', kind };
  }
  const out = { ok: true, value: e.ConstantValue, kind };
  if (diags.length) out.warnings = diags;
  return out;
}

function main(argv) {
  const args = argv.slice(2);
  if (args.length !== 1) {
    process.stderr.write('usage: node literal.js INPUT.json   (a JSON array of KQL literal texts)\n');
    return 2;
  }
  let literals;
  try {
    literals = JSON.parse(readInput(args[0]));
  } catch (e) {
    process.stderr.write(`literal.js: cannot read input: ${e.message}\n`);
    return 2;
  }
  if (!Array.isArray(literals) || literals.some((l) => typeof l !== 'string')) {
    process.stderr.write('literal.js: input must be a JSON array of strings\n');
    return 2;
  }
  const env = load();
  let bad = 0;
  literals.forEach((literal, index) => {
    const r = decode(env, literal);
    if (!r.ok) bad += 1;
    process.stdout.write(JSON.stringify({ index, literal, ...r }) + '\n');
  });
  process.stderr.write(
    `kusto-literal (@kusto/language-service-next ${env.version}): ${literals.length} literals, ${bad} rejected\n`,
  );
  return bad ? 1 : 0;
}

process.exitCode = main(process.argv);
