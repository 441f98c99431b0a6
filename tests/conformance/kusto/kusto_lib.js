'use strict';
// Shared loader for Microsoft's Kusto.Language (Bridge.NET build shipped in the
// npm package @kusto/language-service-next, pinned in package.json /
// package-lock.json next to this file).
//
// bridge.js defines the global `Bridge` (and `System`); Kusto.Language.Bridge.js
// then defines the global `Kusto`. Both are loaded with require(): bridge.js
// detects CommonJS and attaches itself to `global`.

const fs = require('fs');
const path = require('path');

function packageDir() {
  const pkgJson = require.resolve('@kusto/language-service-next/package.json', {
    paths: [__dirname],
  });
  return path.dirname(pkgJson);
}

let loaded = null;

function load() {
  if (loaded) return loaded;
  const dir = packageDir();
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  require(path.join(dir, 'bridge.js'));
  require(path.join(dir, 'Kusto.Language.Bridge.js'));
  if (typeof global.Kusto === 'undefined' || typeof global.Bridge === 'undefined') {
    throw new Error('Kusto.Language bridge did not define the globals Bridge and Kusto');
  }
  loaded = { K: global.Kusto.Language, Bridge: global.Bridge, System: global.System, version, dir };
  return loaded;
}

// IReadOnlyList<T> (Bridge.NET) -> JS array.
function toArray(list) {
  const out = [];
  if (!list) return out;
  const n = list.Count;
  for (let i = 0; i < n; i++) out.push(list.getItem(i));
  return out;
}

function diagToJson(d) {
  return {
    message: d.Message,
    start: d.Start,
    length: d.Length,
    code: d.Code,
    severity: d.Severity,
    category: d.Category,
  };
}

function readInput(arg) {
  if (!arg || arg === '-') return fs.readFileSync(0, 'utf8');
  return fs.readFileSync(arg, 'utf8');
}

module.exports = { load, toArray, diagToJson, readInput };
