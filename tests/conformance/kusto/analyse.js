#!/usr/bin/env node
'use strict';
// Semantic check of KQL queries with Microsoft's Kusto.Language analyser.
//
// Usage: node analyse.js INPUT.json [--analyzers]
//        (INPUT may be "-" for stdin)
//
// INPUT: {"database": "db" (optional),
//         "schemas": {"TableName": "(Col:type, Col2:type, ...)", ...},
//         "queries": [{"id": "...", "query": "..."}, ...]}
//
// Output (stdout): one JSON line per query, in input order:
//   {"id": ..., "errors": [{"message","start","length","code","severity","category"}],
//    "warnings": [...]}
// "errors" holds diagnostics of severity Error only; every other severity
// (Warning, Suggestion, Information) goes to "warnings". With --analyzers, the
// editor's extra analyzer diagnostics (KustoCodeService.GetAnalyzerDiagnostics:
// performance/style hints) are added to "warnings" with "analyzer": true.
// Summary line on stderr. Exit status: 0 no errors, 1 some query has errors,
// 2 bad input / usage.

const { load, toArray, diagToJson, readInput } = require('./kusto_lib');

function usage(msg) {
  if (msg) process.stderr.write(`analyse.js: ${msg}\n`);
  process.stderr.write('usage: node analyse.js INPUT.json [--analyzers]\n');
  process.exit(2);
}

function main(argv) {
  const args = argv.slice(2);
  const analyzers = args.includes('--analyzers');
  const files = args.filter((a) => a !== '--analyzers');
  if (files.length !== 1) usage('expected exactly one input file');

  let doc;
  try {
    doc = JSON.parse(readInput(files[0]));
  } catch (e) {
    usage(`cannot read input: ${e.message}`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.queries)) usage('input needs a "queries" array');
  const schemas = doc.schemas || {};
  if (typeof schemas !== 'object' || Array.isArray(schemas)) usage('"schemas" must be an object');

  const { K, version } = load();

  // Build tables (sorted by name for determinism) and reject unknown column types:
  // TableSymbol's schema parser silently turns an unknown type into `unknown`.
  const tables = [];
  for (const name of Object.keys(schemas).sort()) {
    const schema = schemas[name];
    if (typeof schema !== 'string') usage(`schema of ${name} must be a string "(Col:type, ...)"`);
    const table = new K.Symbols.TableSymbol.$ctor7(name, schema, null);
    const cols = toArray(table.Columns);
    if (cols.length === 0) usage(`schema of ${name} has no columns: ${schema}`);
    for (const c of cols) {
      const t = c.Type;
      if (!t || t === K.Symbols.ScalarTypes.Unknown || t === K.Symbols.ErrorSymbol.Instance || t.Name === 'unknown') {
        usage(`schema of ${name}: column ${c.Name} has an unknown type in ${schema}`);
      }
    }
    tables.push(table);
  }
  const db = new K.Symbols.DatabaseSymbol.ctor(doc.database || 'db', tables);
  const globals = K.GlobalState.Default.WithDatabase(db);

  let nErr = 0;
  let nWarn = 0;
  let nBad = 0;
  const seen = new Set();
  doc.queries.forEach((q, i) => {
    const id = q && q.id !== undefined ? q.id : i;
    if (seen.has(id)) usage(`duplicate query id ${JSON.stringify(id)}`);
    seen.add(id);
    if (!q || typeof q.query !== 'string') usage(`query ${JSON.stringify(id)} has no "query" string`);
    const code = K.KustoCode.ParseAndAnalyze(q.query, globals);
    const errors = [];
    const warnings = [];
    for (const d of toArray(code.GetDiagnostics())) {
      (d.Severity === K.DiagnosticSeverity.Error ? errors : warnings).push(diagToJson(d));
    }
    if (analyzers) {
      const svc = new K.Editor.KustoCodeService.ctor(code);
      for (const d of toArray(svc.GetAnalyzerDiagnostics(true))) {
        const j = diagToJson(d);
        j.analyzer = true;
        (d.Severity === K.DiagnosticSeverity.Error ? errors : warnings).push(j);
      }
    }
    nErr += errors.length;
    nWarn += warnings.length;
    if (errors.length) nBad += 1;
    process.stdout.write(JSON.stringify({ id, errors, warnings }) + '\n');
  });
  process.stderr.write(
    `kusto-analyse (@kusto/language-service-next ${version}): ${doc.queries.length} queries, ` +
      `${nBad} with errors, ${nErr} errors, ${nWarn} warnings\n`,
  );
  return nBad ? 1 : 0;
}

process.exitCode = main(process.argv);
