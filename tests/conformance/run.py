#!/usr/bin/env python3
"""tripline conformance run: check tripline's output with other people's engines.

Usage (normally through tests/conformance/run, which installs the engines and builds
the release binary first):

    .deps/venv/bin/python tests/conformance/run.py [--rules DIR] [--catalog FILE]
        [--bin PATH] [--work DIR] [--escaping-values N] [--seed N] [-v]

For every rule in the rules directory and every test event kept with the rules it runs
seven engine checks and prints ONE summary line per check:

  conformance sigma-load:     emitted Sigma loads in pySigma with zero errors
  conformance kusto-analyse:  both KQL flavours pass Microsoft's analyser with zero errors
  conformance duckdb-kql:     Sentinel KQL run in duckdb-kql agrees with the evaluator
  conformance sigma-sqlite:   Sigma run in pySigma's SQLite backend agrees with the evaluator
  conformance spl-structure:  every SPL search passes an independent structural checker
  conformance escaping:       adversarial strings round-trip through KQL, Sigma and SPL
  conformance stateful:       stream cases of threshold/new/sequence rules: Sentinel KQL in
                              duckdb-kql and Sigma correlations in SQLite agree with the
                              evaluator's alerts

then `N passed, N failed` (one count per check) and exits 1 when a check failed.
Details (each disagreement, each unsupported or not comparable construct) are printed
above the check's summary line. See README.md for what each check does and does not prove.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib.util
import io
import ipaddress
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
NODE = os.environ.get("NODE", "node")
VERBOSE = False


def note(msg: str = "") -> None:
    print(msg, flush=True)


def vnote(msg: str) -> None:
    if VERBOSE:
        print(msg, flush=True)


def load_script(name: str, path: Path):
    """Import one of the checker scripts as a module (so it runs in this process)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def call_main(mod, argv: list[str]) -> tuple[int, str, str]:
    """Run a checker script's main(argv) in-process, capturing its stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = mod.main(argv)
        except SystemExit as e:  # argparse errors
            rc = e.code if isinstance(e.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def read_jsonl(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            out.append(json.loads(line))
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


class Check:
    """One engine check: a summary line, detail lines, pass/fail."""

    def __init__(self, name: str):
        self.name = name
        self.failed = False
        self.details: list[str] = []
        self.summary = ""
        self.skipped = False  # the check could not run (its input is absent): reported, not passed

    def detail(self, msg: str) -> None:
        self.details.append(msg)

    def fail(self, msg: str) -> None:
        self.failed = True
        self.details.append("FAIL " + msg)

    def report(self) -> None:
        for d in self.details:
            note("  " + d)
        note(f"conformance {self.name}: {self.summary}" + (" [FAILED]" if self.failed else ""))


# --------------------------------------------------------------------------------------
# tripline
# --------------------------------------------------------------------------------------


class Tripline:
    def __init__(self, binary: Path, rules: Path, catalog: Path | None):
        self.binary = binary
        self.rules = rules
        self.catalog = catalog

    def catalog_args(self) -> list[str]:
        return ["--catalog", str(self.catalog)] if self.catalog else []

    def run(self, *args: str, paths: list[Path] | None = None) -> subprocess.CompletedProcess:
        paths = paths if paths is not None else [self.rules]
        cmd = [str(self.binary), args[0], *map(str, paths), *self.catalog_args(), *args[1:]]
        return subprocess.run(cmd, capture_output=True, text=True)

    def catalog_view(self) -> dict:
        """The catalog as the binary resolves it (built-in files, user overlay, templates), in
        the catalog file's shape: sources -> {fields: {name: type}, logsource, timestamp,
        recognize, targets: {key: {table, filter, base, index, timestamp, recognize,
        unavailable, fields: {name: column | {column, expr} | {unavailable}}}}}."""
        p = subprocess.run([str(self.binary), "sources", "--json", *self.catalog_args()],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"tripline sources --json exited {p.returncode}: {p.stderr[-2000:]}")
        out = {"sources": {}}
        for src in json.loads(p.stdout):
            targets = {}
            for key, t in src["targets"].items():
                sec = {k: v for k, v in t.items() if v is not None}
                sec["fields"] = {}
                targets[key] = sec
            fields = {}
            for f in src["fields"]:
                fields[f["name"]] = f["type"]
                for key, m in f["targets"].items():
                    if "unavailable" in m:
                        v = {"unavailable": m["unavailable"]}
                    elif "expr" in m:
                        v = {"column": m.get("column"), "expr": m["expr"]}
                    else:
                        v = m["column"]
                    targets[key]["fields"][f["name"]] = v
            out["sources"][src["name"]] = {
                "description": src["description"],
                "logsource": src["logsource"],
                "timestamp": src["timestamp"],
                "recognize": src["recognize"],
                "record": src["record"],
                "fields": fields,
                "targets": targets,
            }
        return out

    def compile(self, target: str, out: Path, flavor: str | None = None,
                paths: list[Path] | None = None) -> "CompileResult":
        args = ["compile", "--target", target, "--out", str(out), "--json"]
        if flavor:
            args += ["--flavor", flavor]
        out.mkdir(parents=True, exist_ok=True)
        p = self.run(*args, paths=paths)
        return CompileResult(target if not flavor else f"{target}-{flavor}", p, out)


class CompileResult:
    """Output files and JSON diagnostics of one `tripline compile --out --json`."""

    def __init__(self, label: str, proc: subprocess.CompletedProcess, out: Path):
        self.label = label
        self.rc = proc.returncode
        self.files = {p.stem: p for p in sorted(out.iterdir()) if p.is_file()}
        self.diagnostics: list[dict] = []
        self.junk: list[str] = []  # output lines that are not JSON diagnostics
        for line in (proc.stdout + "\n" + proc.stderr).split("\n"):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                self.junk.append(line)
                continue
            if isinstance(d, dict) and "code" in d:
                self.diagnostics.append(d)
            else:
                self.junk.append(line)

    def problems(self, rules: list[str]) -> list[str]:
        """Ways this compile run broke the contract: a crash, an uncoded error, a rule
        missing from the output without any coded diagnostic."""
        out = []
        if self.rc not in (0, 1):
            out.append(f"{self.label}: tripline compile exited {self.rc}: {' | '.join(self.junk[:5])}")
        for d in self.diagnostics:
            if not str(d.get("code", "")).startswith("tripline::"):
                out.append(f"{self.label}: diagnostic without a tripline code: {d}")
        missing = [r for r in rules if r not in self.files]
        if missing and not self.diagnostics:
            out.append(f"{self.label}: no output for {', '.join(missing)} and no coded diagnostic")
        if self.rc == 1 and not self.diagnostics:
            out.append(f"{self.label}: exit 1 without a coded diagnostic: {' | '.join(self.junk[:5])}")
        if self.rc == 0 and missing:
            out.append(f"{self.label}: exit 0 but no output for {', '.join(missing)}")
        return out

    def rule_of(self, d: dict) -> str | None:
        try:
            path = Path(str(d.get("path", ""))).resolve()
        except OSError:
            return None
        for r, (f, a, b) in RULE_SPANS.items():
            if f == path and a <= int(d.get("line") or 0) <= b:
                return r
        return None

    def refusals(self) -> str:
        """Codes of the diagnostics not attributable to an emitted rule (refusals)."""
        codes: dict[str, int] = {}
        for d in self.diagnostics:
            if self.rule_of(d) in self.files:
                continue
            codes[d["code"]] = codes.get(d["code"], 0) + 1
        return ", ".join(f"{c} x{n}" for c, n in sorted(codes.items()))

    def warnings(self) -> list[str]:
        """Coded diagnostics of rules that were emitted (the compiler's warnings)."""
        out = []
        for d in self.diagnostics:
            r = self.rule_of(d)
            if r in self.files:
                out.append(f"{r}: {d.get('code')}: {d.get('message')}")
        return out


# --------------------------------------------------------------------------------------
# The rule files: names and sources (a light scan of the rule language)
# --------------------------------------------------------------------------------------


def blank_strings_and_comments(text: str) -> str:
    """Replace the contents of string literals and comments by spaces (same length)."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            blank(i, j)
            i = j
        elif c == "r" and re.match(r'r(#*)"', text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            close = '"' + hashes
            j = text.find(close, i + 2 + len(hashes))
            j = n if j < 0 else j + len(close)
            blank(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            blank(i, j)
            i = j
        else:
            i += 1
    return "".join(out)


STAGE_RX = re.compile(r"(?m)^\s*(threshold|new|sequence)\b")


RULE_SPANS: dict[str, tuple[Path, int, int]] = {}  # rule -> (file, first line, last line)


def rule_sources(rules_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """rule name -> `source` name, and rule name -> stateful stage keyword, from the .trip
    files (also fills RULE_SPANS, used to attribute diagnostics to rules)."""
    out: dict[str, str] = {}
    stages: dict[str, str] = {}
    for f in sorted(rules_dir.rglob("*.trip")):
        text = blank_strings_and_comments(f.read_text(encoding="utf-8"))
        for m in re.finditer(r"\brule\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{", text):
            depth, i = 1, m.end()
            while i < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            body = text[m.end():i]
            RULE_SPANS[m.group(1)] = (f.resolve(), text.count("\n", 0, m.start()) + 1, text.count("\n", 0, i) + 1)
            s = re.search(r"(?m)^\s*source\s+([A-Za-z0-9_.\-]+)", body)
            if s:
                out[m.group(1)] = s.group(1)
            st = STAGE_RX.search(body)
            if st:
                stages[m.group(1)] = st.group(1)
    return out, stages


# --------------------------------------------------------------------------------------
# KQL text helpers
# --------------------------------------------------------------------------------------


def kql_literal_spans(q: str) -> list[tuple[int, int]]:
    """(start, end) of every string literal (and comment) in a KQL text."""
    spans = []
    i, n = 0, len(q)
    while i < n:
        if q.startswith("//", i):
            j = q.find("\n", i)
            j = n if j < 0 else j
            spans.append((i, j))
            i = j
            continue
        m = re.match(r'(?i)(h?@|h)?(["\'])', q[i:])
        if m and (m.group(1) is None or i == 0 or not (q[i - 1].isalnum() or q[i - 1] == "_")):
            quote = m.group(2)
            verbatim = "@" in (m.group(1) or "")
            j = i + m.end()
            while j < n:
                if verbatim:
                    if q[j] == quote:
                        if j + 1 < n and q[j + 1] == quote:
                            j += 2
                            continue
                        break
                    j += 1
                else:
                    if q[j] == "\\":
                        j += 2
                        continue
                    if q[j] == quote:
                        break
                    j += 1
            spans.append((i, min(j + 1, n)))
            i = min(j + 1, n)
            continue
        i += 1
    return spans


def in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def find_calls(q: str, name: str) -> list[tuple[int, int, list[str]]]:
    """Outside literals: every `name(...)` as (start, end, [argument texts])."""
    spans = kql_literal_spans(q)
    calls = []
    for m in re.finditer(r"(?<![\w.])" + re.escape(name) + r"\s*\(", q):
        if in_spans(m.start(), spans):
            continue
        depth, j, args, arg_start = 1, m.end(), [], m.end()
        while j < len(q) and depth:
            span = next(((a, b) for a, b in spans if a == j), None)
            if span:
                j = span[1]
                continue
            c = q[j]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0:
                    args.append(q[arg_start:j].strip())
            elif c == "," and depth == 1:
                args.append(q[arg_start:j].strip())
                arg_start = j + 1
            j += 1
        calls.append((m.start(), j, args))
    return calls


def kql_string_value(lit: str) -> str | None:
    """Value of a simple KQL string literal (used only for IP ranges in rewrites)."""
    m = re.fullmatch(r'(?i)h?(@?)(["\'])(.*)\2', lit.strip(), re.S)
    if not m:
        return None
    body = m.group(3)
    if m.group(1):
        return body.replace(m.group(2) * 2, m.group(2))
    if "\\" in body:
        return None
    return body


IPV4_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CANONICAL_IPV4 = rf"^{IPV4_OCTET}(\.{IPV4_OCTET}){{3}}$"


class Unsupported(Exception):
    """The query uses KQL that duckdb-kql cannot run and that has no exact rewrite."""


def rewrite_for_duckdb(q: str) -> tuple[str, list[str]]:
    """Exact rewrites of functions duckdb-kql lacks (for execution only).

    * `format_ipv4(X) == X` -> `(X matches regex @"^<canonical dotted quad>$" or X == "")`:
      format_ipv4 returns the canonical dotted-quad text of the address, or "" when the
      input does not parse, so it equals its input exactly for canonical dotted quads and
      for "".
    * `ipv4_is_in_range(X, "a.b.c.d/n")` and `ipv4_is_in_any_range(X, dynamic([...]))`
      (or variadic ranges) -> `(parse_ipv4(X) between (lo .. hi) or ...)` with the range
      bounds as numbers (kql.md: keeps the null behaviour for unparsable X).
    Returns the new query and the names of the functions rewritten."""
    done = []
    while True:
        calls = [c for c in find_calls(q, "format_ipv4") if len(c[2]) == 1]
        changed = False
        for start, end, (x,) in calls:
            m = re.match(r"\s*==\s*", q[end:])
            if m and q[end + m.end():].startswith(x):
                stop = end + m.end() + len(x)
                new = f'({x} matches regex @"{CANONICAL_IPV4}" or {x} == "")'
                q = q[:start] + new + q[stop:]
                done.append("format_ipv4")
                changed = True
                break
        if not changed:
            break
    for fname in ("ipv4_is_in_range", "ipv4_is_in_any_range"):
        while True:
            calls = find_calls(q, fname)
            if not calls:
                break
            start, end, args = calls[0]
            if len(args) < 2:
                raise Unsupported(fname)
            x, ranges = args[0], []
            for a in args[1:]:
                dm = re.fullmatch(r"(?s)dynamic\s*\(\s*\[(.*)\]\s*\)", a)
                items = [s for s in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", dm.group(1))] if dm else [a]
                for it in items:
                    v = kql_string_value(it)
                    if v is None:
                        raise Unsupported(fname)
                    ranges.append(v)
            parts = []
            for r in ranges:
                try:
                    net = ipaddress.ip_network(r, strict=False)
                except ValueError:
                    raise Unsupported(fname)
                if net.version != 4:
                    raise Unsupported(fname)
                lo, hi = int(net.network_address), int(net.broadcast_address)
                parts.append(f"parse_ipv4({x}) between ({lo} .. {hi})")
            q = q[:start] + "(" + " or ".join(parts) + ")" + q[end:]
            done.append(fname)
    return q, sorted(set(done))


# Boolean functions duckdb-kql lacks. Their value on a row is true, false or null, so when a
# case's verdict is the same for every substitution of those three constants, the verdict
# does not depend on the function and the case is still compared (exact).
BOOL_FUNCS = {
    "ipv6_is_in_range", "ipv6_is_in_any_range", "ipv4_is_in_range", "ipv4_is_in_any_range",
    "ipv4_is_private", "ipv4_is_match", "ipv6_is_match", "has_ipv4", "has_ipv4_prefix",
    "has_any_ipv4", "has_any_ipv4_prefix",
}
MAX_SUBSTITUTED_CALLS = 4


# --------------------------------------------------------------------------------------
# Catalog -> KQL table rows
# --------------------------------------------------------------------------------------


def parse_kql_schema(text: str) -> dict[str, str]:
    body = text.strip()[1:-1]
    out = {}
    for item in body.split(","):
        name, _, ty = item.strip().partition(":")
        out[name.strip()] = ty.strip()
    return out


def lookup(event, name: str):
    """The evaluator's field lookup: the key itself, else a dotted path into objects."""
    if isinstance(event, dict) and name in event:
        return event[name], True
    cur = event
    for part in name.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None, False
    return cur, True


def is_missing(v) -> bool:
    return v is None or v == ""


def dyn_path(expr: str, column: str) -> list[str] | None:
    """`tostring(Status.errorCode)` with column Status -> ["errorCode"]."""
    spans = kql_literal_spans(expr)
    for m in re.finditer(
        r"(?<![\w.])" + re.escape(column)
        + r"((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*|\s*\[\s*\"[^\"]*\"\s*\]|\s*\[\s*'[^']*'\s*\])+)",
        expr,
    ):
        if in_spans(m.start(), spans):
            continue
        parts = re.findall(r"\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*\"([^\"]*)\"\s*\]|\[\s*'([^']*)'\s*\]", m.group(1))
        return [a or b or c for a, b, c in parts]
    return None


def parse_constant_conjunction(cond: str) -> dict | None:
    """`Provider == "X" and EventID == 1` -> {"Provider": "X", "EventID": 1}; None when the
    condition is not a plain conjunction of `Col == value` / `Col =~ "v"` / `Col in (...)` /
    `Col has "v"`."""
    out = {}
    for part in re.split(r"\s+and\s+", cond.strip()):
        part = part.strip()
        while part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        m = re.fullmatch(r"([A-Za-z_]\w*)\s*(==|=~|has|has_cs)\s*(.+)", part)
        if m:
            raw = m.group(3).strip()
        else:
            m = re.fullmatch(r"([A-Za-z_]\w*)\s+in~?\s*\((.+?)(?:,.*)?\)", part)
            if not m:
                return None
            raw = m.group(2).strip()
        val = kql_string_value(raw) if raw[:1] in "\"'@hH" else None
        if val is None:
            if re.fullmatch(r"-?\d+", raw):
                val = int(raw)
            elif raw in ("true", "false"):
                val = raw == "true"
            else:
                return None
        out[m.group(1)] = val
    return out


# Fallback for sources whose rows in a shared table cannot be derived from the catalog
# (a non-simple `filter` or gate). Keyed by (source, catalog key): column -> constant value.
# Used only when derivation fails; empty today because every Sentinel source is derivable.
HARDCODED_ROW_CONSTANTS: dict[tuple[str, str], dict] = {
    # e.g. ("windows.process_creation", "kql.sentinel"): {"Provider": "Microsoft-Windows-Sysmon", "EventID": 1},
}


KQL_WORDS = {"and", "or", "not", "matches", "regex", "true", "false", "null", "has", "has_cs",
             "contains", "contains_cs", "startswith", "endswith", "in", "between"}


def gate_columns(cond: str) -> set[str]:
    """Column names a KQL condition reads (identifiers outside literals that are neither
    function names nor operator words; `Col.path` counts as `Col`)."""
    spans = kql_literal_spans(cond)
    out = set()
    for m in re.finditer(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)", cond):
        if in_spans(m.start(), spans) or m.group(1).lower() in KQL_WORDS:
            continue
        if re.match(r"\s*\(", cond[m.end():]):
            continue
        out.add(m.group(1))
    return out


def row_constants(source_name: str, tsrc: dict, key: str) -> tuple[dict, str | None]:
    """Columns a row must hold so that the catalog's `filter` and the `iff(<gate>, ...)`
    guards of its field expressions select it. Returns (constants, problem).

    A gate that reads only the mapping's own column (the number mappings
    `iff(tostring(C) matches regex @"^-?[0-9]+...$", toreal(C), real(null))`) is a test of the
    field's value, not of the row's source: the engine evaluates it on the stored value, so it
    adds no constant."""
    conds = []
    if tsrc.get("filter"):
        conds.append(tsrc["filter"])
    for m in (tsrc.get("fields") or {}).values():
        if isinstance(m, dict) and m.get("expr") and not m.get("unavailable"):
            expr = m["expr"].strip()
            if expr.startswith("iff("):
                calls = find_calls(expr, "iff")
                if calls and calls[0][0] == 0 and len(calls[0][2]) == 3:
                    gate = calls[0][2][0]
                    if m.get("column") and gate_columns(gate) <= {m["column"]}:
                        continue
                    conds.append(gate)
    consts: dict = {}
    for c in dict.fromkeys(conds):
        got = parse_constant_conjunction(c)
        if got is None:
            hard = HARDCODED_ROW_CONSTANTS.get((source_name, key))
            if hard is not None:
                return dict(hard), None
            return {}, f"cannot derive the row filter from `{c}`"
        for k, v in got.items():
            if k in consts and consts[k] != v:
                return {}, f"conflicting row filters on {k}"
            consts[k] = v
    return consts, None


class Unrepresentable(Exception):
    pass


def to_column(value, kind: str, where: str):
    """An event value as the value of a KQL column of type *kind* (JSON for duckdb_kql.py)."""
    if kind == "dynamic":
        return value
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if kind in ("long", "int"):
        if isinstance(value, bool):
            raise Unrepresentable(f"{where}: boolean in a {kind} column")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        raise Unrepresentable(f"{where}: {value!r} in a {kind} column")
    if kind in ("real", "double"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
            return float(value)
        raise Unrepresentable(f"{where}: {value!r} in a {kind} column")
    if kind in ("bool", "boolean"):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise Unrepresentable(f"{where}: {value!r} in a bool column")
    if kind in ("datetime", "date"):
        if isinstance(value, str):
            try:
                import datetime as dt
                dt.datetime.fromisoformat(value.strip())
                return value
            except ValueError:
                pass
        raise Unrepresentable(f"{where}: {value!r} in a datetime column")
    raise Unrepresentable(f"{where}: column type {kind}")


def event_to_row(event: dict, source_name: str, source: dict, key: str, schema: dict[str, str],
                 consts: dict) -> dict:
    tsrc = source.get("targets", {}).get(key, {})
    mappings = tsrc.get("fields") or {}
    row: dict = {}
    direct_from: dict[str, str] = {}
    xml_data: dict[str, list] = {}
    for field in source.get("fields", {}):
        v, found = lookup(event, field)
        if not found or is_missing(v):
            continue
        m = mappings.get(field)
        if m is None:
            col, path = field, None
        elif isinstance(m, str):
            col, path = m, None
        elif m.get("unavailable"):
            continue
        elif m.get("expr") is not None:
            col = m.get("column")
            if col is None:
                raise Unrepresentable(f"{field}: expr mapping without a column")
            xml = re.search(r'<Data Name=\[""\'\]([^\[<>]+)\[""\'\]>', m["expr"])
            if xml and schema.get(col) == "string":
                # Event / SecurityEvent: event data as XML text, read back by name with its
                # entities decoded: write the element the expression reads.
                xml_data.setdefault(col, []).append((xml.group(1), v))
                continue
            path = dyn_path(m["expr"], col)
        else:
            col, path = m.get("column") or field, None
        if col not in schema:
            raise Unrepresentable(f"{field}: column {col} is not in the {tsrc.get('table')} schema")
        if path:
            if schema[col] != "dynamic":
                raise Unrepresentable(f"{field}: {col} is {schema[col]}, not dynamic")
            obj = row.setdefault(col, {})
            if not isinstance(obj, dict):
                raise Unrepresentable(f"{field}: {col} already holds a value")
            for p in path[:-1]:
                obj = obj.setdefault(p, {})
                if not isinstance(obj, dict):
                    raise Unrepresentable(f"{field}: {col}.{p} already holds a value")
            obj[path[-1]] = v
        else:
            cv = to_column(v, schema[col], f"{field} -> {col}")
            if col in row and row[col] != cv:
                raise Unrepresentable(f"{field} and {direct_from[col]} both set {col}")
            row[col] = cv
            direct_from[col] = field
    for col, items in xml_data.items():
        if col in row:
            raise Unrepresentable(f"{col} holds both XML event data and a value")
        def esc(x) -> str:
            t = x if isinstance(x, str) else (json.dumps(x) if not isinstance(x, bool) else str(x).lower())
            return (t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace('"', "&quot;").replace("'", "&apos;"))
        row[col] = ("<EventData>" + "".join(f'<Data Name="{n}">{esc(x)}</Data>' for n, x in items)
                    + "</EventData>")
    for col, val in consts.items():
        if col not in schema:
            raise Unrepresentable(f"row filter column {col} is not in the schema")
        cv = to_column(val, schema[col], f"row filter {col}")
        if col in row and row[col] != cv:
            raise Unrepresentable(f"row filter column {col} conflicts with a field value")
        row[col] = cv
    return row


# --------------------------------------------------------------------------------------
# (a) Sigma load
# --------------------------------------------------------------------------------------


def check_sigma_load(ctx) -> Check:
    ch = Check("sigma-load")
    comp = ctx.compiled["sigma"]
    for p in comp.problems(ctx.rules):
        ch.fail(p)
    if not comp.files:
        ch.summary = "0 rules (nothing emitted)"
        return ch
    p = subprocess.run([ctx.py, str(HERE / "sigma_load.py"), "--skip-layout", "--json", str(ctx.work / "sigma")],
                       capture_output=True, text=True)
    rules = errors = issues = 0
    by_validator: dict[str, int] = {}
    for line in p.stdout.split("\n"):
        if not line.strip():
            continue
        d = json.loads(line)
        rules += d.get("rules", 0)
        for e in d.get("errors", []):
            errors += 1
            ch.fail(f"{Path(d['file']).name}: {e}")
        for i in d.get("issues", []):
            issues += 1
            by_validator[i.get("validator", "?")] = by_validator.get(i.get("validator", "?"), 0) + 1
            ch.detail(f"validator {i.get('validator')}: {Path(d['file']).name}: {i.get('description')}")
    if p.returncode not in (0, 1):
        ch.fail(f"sigma_load.py exited {p.returncode}: {p.stderr.strip()[-500:]}")
    summ = [l for l in p.stderr.split("\n") if l.startswith("sigma-load:") and "rules" in l]
    extra = ""
    m = re.search(r"\((\d+ files; .*?)\)\s*$", summ[-1]) if summ else None
    if m:
        extra = f" ({m.group(1)})"
    refused = [r for r in ctx.rules if r not in comp.files]
    for w in comp.warnings():
        ch.detail(f"compiler warning: {w}")
    ch.summary = (f"{rules} rules ({len(comp.files)} files), {errors} errors, {issues} validator issues"
                  + (f" ({', '.join(f'{k} {v}' for k, v in sorted(by_validator.items()))})" if by_validator else "")
                  + (f", {len(refused)} rules refused by the compiler ({comp.refusals()})" if refused else ""))
    if extra:
        ch.detail("sigma_load.py:" + extra)
    return ch


# --------------------------------------------------------------------------------------
# (b) Kusto analyser
# --------------------------------------------------------------------------------------


def analyse_kql(ctx, ch, queries: list, name: str, schemas: dict | None = None) -> tuple[int, int]:
    """Run `queries` ([{id, query}]) through Microsoft's analyser against the published
    schemas (or `schemas`); every error fails `ch` with the text around it. Returns
    (errors, warnings)."""
    inp = ctx.work / f"{name}.json"
    inp.write_text(json.dumps({"database": "db", "schemas": schemas or ctx.kql_schemas, "queries": queries}),
                   encoding="utf-8")
    p = subprocess.run([NODE, str(HERE / "kusto" / "analyse.js"), str(inp)], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        ch.fail(f"analyse.js exited {p.returncode}: {p.stderr.strip()[-500:]}")
    by_id = {q["id"]: q["query"] for q in queries}
    errors = warnings = seen = 0
    for line in p.stdout.split("\n"):
        if not line.strip():
            continue
        d = json.loads(line)
        seen += 1
        for e in d["errors"]:
            errors += 1
            q = by_id[d["id"]]
            frag = q[max(0, e["start"] - 30): e["start"] + e["length"] + 30].replace("\n", " ")
            ch.fail(f"{d['id']}: {e['code']} {e['message']} near `{frag}`")
        warnings += len(d["warnings"])
    if seen != len(queries):
        ch.fail(f"analyse.js answered {seen} of {len(queries)} queries")
    return errors, warnings


def check_kusto_analyse(ctx) -> Check:
    ch = Check("kusto-analyse")
    queries = []
    refused = {}
    for flavor in ("sentinel", "defender"):
        comp = ctx.compiled[f"kql-{flavor}"]
        for p in comp.problems(ctx.rules):
            ch.fail(p)
        for name, path in comp.files.items():
            queries.append({"id": f"{flavor}/{name}", "query": path.read_text(encoding="utf-8")})
        refused[flavor] = [r for r in ctx.rules if r not in comp.files]
    if not queries:
        ch.summary = "0 queries"
        return ch
    errors, warnings = analyse_kql(ctx, ch, queries, "kusto-analyse")
    ref = "; ".join(f"{k}: {len(v)} rules refused by the compiler ({ctx.compiled['kql-' + k].refusals()})"
                    for k, v in refused.items() if v)
    for k, v in refused.items():
        if v:
            ch.detail(f"refused for KQL {k}: {', '.join(v)}")
    ch.summary = (f"{len(queries)} queries ({sum(1 for q in queries if q['id'].startswith('sentinel/'))} sentinel, "
                  f"{sum(1 for q in queries if q['id'].startswith('defender/'))} defender), {errors} errors, "
                  f"{warnings} warnings" + (f"; {ref}" if ref else ""))
    return ch


def catalog_probe_queries(ctx) -> list[dict]:
    """One query per (source, KQL flavour) of the whole catalog: the table, its row filter,
    and every available field's mapping used as a value of the field's language type, so that
    Microsoft's analyser checks every table, column and expression the catalog can emit."""
    probe = {
        "string": lambda e: f"({e}) =~ \"x\"",
        "ip": lambda e: f"({e}) =~ \"10.0.0.1\"",
        "json": lambda e: f"({e}) contains \"x\"",
        "number": lambda e: f"({e}) > 0",
        "bool": lambda e: f"({e}) == true",
    }
    queries = []
    for name, src in ctx.catalog["sources"].items():
        for key in ("kql.sentinel", "kql.defender"):
            t = src["targets"].get(key)
            if not t or t.get("unavailable") or not t.get("table"):
                continue
            q = t["table"]
            if t.get("filter"):
                q += f"\n| where {t['filter']}"
            cols = []
            for i, (f, ty) in enumerate(src["fields"].items()):
                m = t["fields"].get(f)
                if isinstance(m, dict) and m.get("unavailable"):
                    continue
                e = m["expr"] if isinstance(m, dict) else (m or f)
                if not isinstance(m, dict) and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", e):
                    e = f"['{e}']"
                cols.append(f"f{i} = {probe[ty](e)}")
            if cols:
                q += "\n| project " + ", ".join(cols)
            queries.append({"id": f"catalog/{key}/{name}", "query": q})
    return queries


def check_catalog_kql(ctx) -> Check:
    ch = Check("catalog-kql")
    queries = catalog_probe_queries(ctx)
    inp = ctx.work / "catalog-analyse.json"
    inp.write_text(json.dumps({"database": "db", "schemas": ctx.kql_schemas, "queries": queries}), encoding="utf-8")
    p = subprocess.run([NODE, str(HERE / "kusto" / "analyse.js"), str(inp)], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        ch.fail(f"analyse.js exited {p.returncode}: {p.stderr.strip()[-500:]}")
    errors = 0
    tables = set()
    fields = sum(q["query"].count(" = ") for q in queries)
    for line in p.stdout.split("\n"):
        if not line.strip():
            continue
        d = json.loads(line)
        q = next(x["query"] for x in queries if x["id"] == d["id"])
        tables.add(q.split("\n")[0])
        for e in d["errors"]:
            errors += 1
            frag = q[max(0, e["start"] - 40): e["start"] + e["length"] + 40].replace("\n", " ")
            ch.fail(f"{d['id']}: {e['code']} {e['message']} near `{frag}`")
    ch.summary = (f"{len(queries)} source sections, {len(tables)} tables, {fields} field mappings "
                  f"type-probed, {errors} errors")
    return ch


def check_recognition(ctx) -> Check:
    """The Sentinel row selection of every source on a shared table agrees with the source's
    `recognize` on every test event of the library: each event is written as a row of the
    source's table (through the source's own mappings), the selection is run on duckdb-kql,
    and its verdict is compared with the evaluator's (`tripline hunt` of an always-true rule of
    the source). Events of other sources are part of the input, so a selection that lets a
    Sysmon event 1 into `windows.process_access` is a disagreement."""
    ch = Check("recognition")
    key = "kql.sentinel"
    events = [c["event"] for r in ctx.rules for c in ctx.cases[r]]
    if not events:
        ch.summary = "no test events"
        return ch
    evp = ctx.work / "recognition-events.jsonl"
    write_jsonl(evp, events)
    tables: dict[str, list[str]] = {}
    for name, src in ctx.catalog["sources"].items():
        t = src["targets"].get(key) or {}
        if t.get("table") and not t.get("unavailable"):
            tables.setdefault(t["table"], []).append(name)
    shared = {n for names in tables.values() if len(names) > 1 for n in names}
    used = set(ctx.sources.values())
    todo = sorted(n for n in shared if n in used or any(
        ctx.catalog["sources"][n]["targets"][key].get(k) for k in ("filter", "recognize")))
    r_dir = ctx.work / "recognition"
    r_dir.mkdir(exist_ok=True)
    compared = disagree = sources_run = 0
    unsupported: dict[str, int] = {}
    not_comparable: list[str] = []
    for n, name in enumerate(todo):
        src = ctx.catalog["sources"][name]
        t = src["targets"][key]
        if not (t.get("filter") or t.get("recognize")):
            continue
        # A selection whose predicate reads a field this table cannot give cannot be
        # derived from the event's fields: not comparable.
        rec_fields = set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_.]*)\s+(?:==|!=|in\b|exists|missing|contains)",
                                    src.get("recognize") or ""))
        blind = sorted(f for f in rec_fields
                       if isinstance(t["fields"].get(f), dict) and t["fields"][f].get("unavailable"))
        if blind:
            not_comparable.append(f"{name} (recognize reads {', '.join(blind)}, unavailable on {t['table']})")
            continue
        field = next((f for f, ty in src["fields"].items()
                      if not (isinstance(t["fields"].get(f), dict) and t["fields"][f].get("unavailable"))), None)
        if field is None:
            continue
        rule = (f"rule probe_{n} {{\n    title \"Probe\"\n    id {uuid.UUID(int=n + 1, version=4)}\n"
                f"    status test\n    level low\n    date 2026-01-01\n    description \"Every record\"\n"
                f"    source {name}\n    match {field} exists or {field} missing\n}}\n")
        rp = r_dir / f"probe_{n}.trip"
        rp.write_text(rule, encoding="utf-8")
        comp = subprocess.run([str(ctx.tl.binary), "compile", str(rp), "--target", "kql", "--flavor", "sentinel",
                               *ctx.tl.catalog_args()], capture_output=True, text=True)
        if comp.returncode != 0:
            ch.fail(f"{name}: the probe rule does not compile: {comp.stderr[-300:]}")
            continue
        query = "\n".join(l for l in comp.stdout.split("\n") if not l.startswith("//"))
        hunt = subprocess.run([str(ctx.tl.binary), "hunt", str(rp), "--events", str(evp), *ctx.tl.catalog_args()],
                              capture_output=True, text=True)
        want = {json.loads(l)["line"] for l in hunt.stdout.split("\n") if l.strip()}
        schema_text = ctx.kql_schemas[t["table"]]
        schema = parse_kql_schema(schema_text)
        rows, line_of = [], {}
        for i, e in enumerate(events, start=1):
            try:
                row = event_to_row(e, name, src, key, schema, {})
            except Unrepresentable:
                unsupported["event not representable"] = unsupported.get("event not representable", 0) + 1
                continue
            rows.append(row)
            line_of[len(rows)] = i
        rows_path = r_dir / f"probe_{n}.rows.jsonl"
        write_jsonl(rows_path, rows)
        try:
            q2, _ = rewrite_for_duckdb(query)
        except Unsupported as ex:
            unsupported[str(ex)] = unsupported.get(str(ex), 0) + len(rows)
            continue
        status, got = run_duckdb(ctx, q2, t["table"], rows_path, schema_text)
        if status != "ok":
            unsupported[f"{status}: {str(got)[:60]}"] = unsupported.get(f"{status}: {str(got)[:60]}", 0) + len(rows)
            continue
        sources_run += 1
        got_lines = {line_of[l] for l in got}
        for row_no, line in line_of.items():
            compared += 1
            if (line in got_lines) != (line in want):
                disagree += 1
                ch.fail(f"{name}: event {line} ({events[line - 1].get('Channel', '')} "
                        f"{events[line - 1].get('EventID', '')}): Sentinel selects it: {line in got_lines}, "
                        f"recognize: {line in want}")
    uns = ", ".join(f"{k}: {v}" for k, v in sorted(unsupported.items()))
    for x in not_comparable:
        ch.detail(f"not comparable: {x}")
    ch.summary = (f"{sources_run} sources on shared Sentinel tables, {len(events)} events each, "
                  f"{compared} verdicts compared, {disagree} disagreements"
                  + (f", {len(not_comparable)} sources not comparable" if not_comparable else "")
                  + (f", not run: {uns}" if uns else ""))
    return ch


def check_tmgrammar(ctx) -> Check:
    """The editor grammar (editors/vscode/syntaxes/trip.tmLanguage.json) through
    editors/vscode/test/run.sh: vscode-tmgrammar-test's scope assertions, and every rule file
    highlighted by vscode-textmate with no unmatched or invalid region."""
    ch = Check("tmgrammar")
    script = REPO / "editors" / "vscode" / "test" / "run.sh"
    if not script.is_file():
        ch.fail(f"{script.relative_to(REPO)} is missing")
        ch.summary = "not run"
        return ch
    # run.sh covers this checkout's rules/ and tests/; another rule directory is added.
    extra = []
    if ctx.args.rules.resolve() != (REPO / "rules").resolve():
        extra.append(str(ctx.args.rules.resolve()))
    timeout = 300
    try:
        p = subprocess.run(["bash", str(script), *extra], capture_output=True, text=True, timeout=timeout)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        def text(b):
            return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")
        out, err, rc = text(e.stdout), text(e.stderr), None
    lines = [l for l in out.split("\n") if l.strip()]
    last = lines[-1] if lines else ""
    if last.startswith("tmgrammar: "):
        ch.summary = last[len("tmgrammar: "):]
    else:
        ch.summary = "no summary line from run.sh"
    for l in lines[:-1]:
        vnote(f"  {l}")
    if rc is None:
        ch.fail(f"run.sh did not finish in {timeout} s; its output ends:\n" + (out + err)[-2000:])
        ch.summary = f"timed out after {timeout} s"
    elif rc != 0:
        ch.fail(f"run.sh exited {rc}; its output ends:\n" + "\n".join((out + "\n" + err).strip().split("\n")[-40:]))
    return ch


def check_regression(ctx) -> Check:
    """SigmaHQ's regression events through the emitted KQL and Sigma (regression.py)."""
    mod = load_script("tripline_conf_regression", HERE / "regression.py")
    helpers = {
        "parse_kql_schema": parse_kql_schema, "event_to_row": event_to_row,
        "Unrepresentable": Unrepresentable, "write_jsonl": write_jsonl,
        "rewrite_for_duckdb": rewrite_for_duckdb, "Unsupported": Unsupported,
        "run_duckdb": run_duckdb, "call_main": call_main,
    }
    return mod.run(ctx, helpers, Check)


# --------------------------------------------------------------------------------------
# (c) duckdb-kql execution
# --------------------------------------------------------------------------------------


def run_duckdb(ctx, query: str, table: str, rows_path: Path, schema_text: str) -> tuple[str, object]:
    """('ok', set of lines) | ('unsupported', construct) | ('error', message) | ('notfilter', '')"""
    rc, out, err = call_main(ctx.duckdb_mod, [query, table, str(rows_path), "--schema", schema_text])
    if rc == 3:
        m = re.search(r"unsupported KQL construct '([^']+)'", err)
        what = m.group(1) if m else err.strip().split("\n")[-1] if err.strip() else "?"
        what = what.split(":", 1)[1] if what.startswith(("function:", "expression:", "operator:")) else what
        return "unsupported", what
    if rc != 0:
        return "error", err.strip()[-800:]
    lines = set()
    for line in out.split("\n"):
        if not line.strip():
            continue
        d = json.loads(line)
        if "line" not in d or "row" in d:
            return "notfilter", ""
        lines.add(d["line"])
    return "ok", lines


def check_duckdb_kql(ctx) -> Check:
    ch = Check("duckdb-kql")
    comp = ctx.compiled["kql-sentinel"]
    for p in comp.problems(ctx.rules):
        ch.fail(p)
    key = "kql.sentinel"
    n_rules = n_cases = n_compared = n_disagree = 0
    unsupported: dict[str, int] = {}
    rewritten: dict[str, int] = {}
    not_repr = 0
    refused = []
    d_dir = ctx.work / "duckdb"
    d_dir.mkdir(exist_ok=True)
    for rule in ctx.rules:
        cases = ctx.cases[rule]
        if rule not in comp.files:
            refused.append(rule)
            continue
        n_rules += 1
        if not cases:
            continue
        if rule in ctx.stages:
            key_nc = f"stateful stage ({ctx.stages[rule]})"
            unsupported[key_nc] = unsupported.get(key_nc, 0) + len(cases)
            n_cases += len(cases)
            ch.detail(f"not comparable: {rule}: its query has a `{ctx.stages[rule]}` stage, its "
                      f"{len(cases)} single-event cases test the match expression alone")
            continue
        source_name = ctx.sources.get(rule)
        source = ctx.catalog["sources"].get(source_name or "", None)
        if source is None:
            ch.fail(f"{rule}: cannot find its source ({source_name}) in the catalog")
            continue
        tsrc = source.get("targets", {}).get(key, {})
        table = tsrc.get("table")
        query = comp.files[rule].read_text(encoding="utf-8")
        if table not in ctx.kql_schemas:
            ch.fail(f"{rule}: table {table} has no schema in schemas/kql.json")
            continue
        schema_text = ctx.kql_schemas[table]
        schema = parse_kql_schema(schema_text)
        consts, problem = row_constants(source_name, tsrc, key)
        n_cases += len(cases)
        if problem:
            unsupported[f"row filter of {source_name}"] = unsupported.get(f"row filter of {source_name}", 0) + len(cases)
            ch.detail(f"unsupported: {rule}: {problem}; {len(cases)} cases not run")
            continue
        rows, line_of_case = [], {}
        for i, c in enumerate(cases):
            try:
                row = event_to_row(c["event"], source_name, source, key, schema, consts)
            except Unrepresentable as e:
                not_repr += 1
                ch.detail(f"not representable in {table}: {rule} / {c['name']}: {e}")
                continue
            rows.append(row)
            line_of_case[len(rows)] = i
        rows_path = d_dir / f"{rule}.jsonl"
        write_jsonl(rows_path, rows)
        try:
            q2, done = rewrite_for_duckdb(query)
        except Unsupported as e:
            unsupported[str(e)] = unsupported.get(str(e), 0) + len(line_of_case)
            ch.detail(f"unsupported by duckdb-kql: {rule}: {e} (no exact rewrite); {len(line_of_case)} cases not run")
            continue
        for f in done:
            rewritten[f] = rewritten.get(f, 0) + 1
        # Boolean functions duckdb-kql lacks: substitute true/false/null, keep the cases
        # whose verdict does not depend on them.
        subst_funcs = []
        calls = []
        for f in sorted(BOOL_FUNCS):
            for c in find_calls(q2, f):
                calls.append((c[0], c[1], f))
        calls.sort()
        outer = []
        for c in calls:
            if outer and c[0] < outer[-1][1]:
                continue
            outer.append(c)
        if len(outer) > MAX_SUBSTITUTED_CALLS:
            names = sorted({c[2] for c in outer})
            for nm in names:
                unsupported[nm] = unsupported.get(nm, 0) + len(line_of_case)
            ch.detail(f"unsupported by duckdb-kql: {rule}: {', '.join(names)} ({len(outer)} calls); "
                      f"{len(line_of_case)} cases not run")
            continue
        variants = []
        for combo in itertools.product(["true", "false", "bool(null)"], repeat=len(outer)):
            q3 = q2
            for (a, b, _), v in sorted(zip(outer, combo), reverse=True):
                q3 = q3[:a] + v + q3[b:]
            variants.append(q3)
        subst_funcs = sorted({c[2] for c in outer})
        results = []
        status = "ok"
        for q3 in variants:
            st, val = run_duckdb(ctx, q3, table, rows_path, schema_text)
            if st != "ok":
                status = st
                results = val
                break
            results.append(val)
        if status == "unsupported":
            unsupported[results] = unsupported.get(results, 0) + len(line_of_case)
            ch.detail(f"unsupported by duckdb-kql: {rule}: {results}; {len(line_of_case)} cases not run")
            continue
        if status == "notfilter":
            unsupported["not a row filter"] = unsupported.get("not a row filter", 0) + len(line_of_case)
            ch.detail(f"not comparable: {rule}: the query does not return the table's rows (stateful stage?)")
            continue
        if status == "error":
            ch.fail(f"{rule}: duckdb-kql error: {results}\n    query: {q2}")
            continue
        for line, i in sorted(line_of_case.items()):
            c = cases[i]
            verdicts = {line in r for r in results}
            if len(verdicts) > 1:
                fk = " + ".join(subst_funcs)
                unsupported[fk] = unsupported.get(fk, 0) + 1
                ch.detail(f"unsupported by duckdb-kql: {rule} / {c['name']}: the verdict depends on {fk}")
                continue
            got = verdicts.pop()
            n_compared += 1
            if got != c["actual"]:
                n_disagree += 1
                ch.fail(f"disagreement: rule {rule}, case {c['name']!r}: evaluator {'match' if c['actual'] else 'nomatch'}, "
                        f"duckdb-kql {'match' if got else 'nomatch'}\n    event: {json.dumps(c['event'], ensure_ascii=False)}"
                        f"\n    row:   {json.dumps(rows[line - 1], ensure_ascii=False)}")
    n_unsup = sum(unsupported.values())
    parts = [f"{n_rules} rules, {n_cases} cases, {n_compared} compared, {n_disagree} disagreements, "
             f"{n_unsup} cases unsupported"
             + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(unsupported.items()))})" if unsupported else "")]
    if not_repr:
        parts.append(f"{not_repr} cases not representable in the table")
    if rewritten:
        parts.append("rewritten for execution: " + ", ".join(f"{k} in {v} rules" for k, v in sorted(rewritten.items())))
    if refused:
        parts.append(f"{len(refused)} rules refused by the compiler ({comp.refusals()})")
        ch.detail(f"refused for KQL sentinel: {', '.join(refused)}")
    ch.summary = ", ".join(parts)
    if n_cases and not n_compared:
        ch.detail("note: no case could be compared")
    return ch


# --------------------------------------------------------------------------------------
# (d) Sigma execution in SQLite
# --------------------------------------------------------------------------------------


def flatten(obj: dict, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for k, v in obj.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            flatten(v, name + ".", out)
        else:
            out[name] = v
    return out


def like_match(pattern: str, value: str) -> bool:
    rx = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(rx, value, re.S | re.I) is not None


def true_cidr(value: str, net) -> bool | None:
    """CIDR membership as the Sigma specification means it; None when the value is an
    address only in a non-canonical spelling (then the meaning is not clear-cut)."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    if str(addr) != value.lower():
        return None
    return addr.version == net.version and addr in net


def sigma_constructs(yml_text: str):
    """Constructs of an emitted Sigma rule that the SQLite backend gets wrong, by field."""
    from sigma.collection import SigmaCollection

    return sigma_constructs_of(SigmaCollection.from_yaml(yml_text))


def sigma_constructs_of(coll):
    """sigma_constructs() of an already loaded SigmaCollection."""
    from sigma.rule import SigmaDetection, SigmaRule
    from sigma.types import SigmaCIDRExpression, SigmaCompareExpression, SigmaExists

    info = {"keywords": False, "correlation": False, "cidr": [], "compare": set(), "exists": set(), "fields": set()}
    for r in coll.rules:
        if not isinstance(r, SigmaRule):
            info["correlation"] = True
            continue

        def walk(d):
            for it in d.detection_items:
                if isinstance(it, SigmaDetection):
                    walk(it)
                    continue
                if it.field is None:
                    info["keywords"] = True
                    continue
                info["fields"].add(it.field)
                cidrs = [v for v in it.value if isinstance(v, SigmaCIDRExpression)]
                if cidrs:
                    # one detection item = an OR over its values: what must agree is the
                    # item's verdict, not each network's
                    info["cidr"].append((it.field, cidrs))
                for v in it.value:
                    if isinstance(v, SigmaCIDRExpression):
                        pass
                    elif isinstance(v, SigmaCompareExpression):
                        info["compare"].add(it.field)
                    elif isinstance(v, SigmaExists):
                        info["exists"].add(it.field)

        for det in r.detection.detections.values():
            walk(det)
    return info


def sqlite_event_problem(info: dict, event: dict, fe: dict, ftypes: dict, spelling: dict) -> tuple[str | None, str | None]:
    """Why SQLite cannot judge this (flattened) event the way the Sigma specification does,
    or (None, None). *spelling* maps lower-cased keys to the spelling seen in earlier events."""
    why = None
    for f in sorted(info["fields"]):
        v = fe.get(f)
        if isinstance(v, list) and ftypes.get(f) != "json":
            why = "array value in a non-json field (no multi-value matching)"
        elif f not in fe and isinstance(lookup(event, f)[0], dict):
            why = "object value (SQLite flattens objects into dotted columns)"
    for f in sorted(info["exists"]):
        if f in fe and fe[f] is None:
            why = "|exists on a JSON null"
    for f in sorted(info["compare"]):
        v = fe.get(f)
        if v is not None and not (isinstance(v, (int, float)) and not isinstance(v, bool)):
            # the case runs in a file of its own only with numeric columns; a string
            # value makes SQLite compare |lt/|gt as text
            why = "|lt/|gt on a string value"
    for f, vs in info["cidr"]:
        v = fe.get(f)
        if v is None:
            continue
        sv = v if isinstance(v, str) else json.dumps(v)
        prefix = any(like_match(p, sv) for cexp in vs for p in cexp.expand(wildcard="*"))
        truth = [true_cidr(sv, cexp.network) for cexp in vs]
        if None in truth:
            why = "|cidr on a non-canonical address spelling"
        elif prefix != any(truth):
            why = "|cidr (SQLite's prefix expansion differs from CIDR membership for this value)"
    # SQLite column names are case-insensitive: a key that differs from a rule field
    # (or from another event's key) only in letter case would be the same column.
    lower_fields = {f.lower(): f for f in info["fields"]}
    detail = None
    for k in fe:
        if k.lower() in lower_fields and lower_fields[k.lower()] != k:
            why = "event key differing from a field name only in letter case"
            detail = f"{k!r} vs the field {lower_fields[k.lower()]!r}"
        seen = spelling.get(k.lower())
        if seen is not None and seen != k:
            why = "event keys differing only in letter case"
            detail = f"{seen!r} and {k!r}"
    return why, detail


def check_sigma_sqlite(ctx) -> Check:
    ch = Check("sigma-sqlite")
    comp = ctx.compiled["sigma"]
    n_rules = n_cases = n_compared = n_disagree = 0
    nc: dict[str, int] = {}
    cidr_checked = 0
    refused = []
    s_dir = ctx.work / "sqlite"
    s_dir.mkdir(exist_ok=True)
    for rule in ctx.rules:
        cases = ctx.cases[rule]
        if rule not in comp.files:
            refused.append(rule)
            continue
        n_rules += 1
        yml = comp.files[rule].read_text(encoding="utf-8")
        try:
            info = sigma_constructs(yml)
        except Exception as e:  # the load check reports it
            ch.fail(f"{rule}: pySigma cannot load the emitted rule: {e}")
            continue
        # |cidr values are checked textually against the KQL networks of the same rule.
        if info["cidr"]:
            kq = ctx.compiled["kql-sentinel"].files.get(rule)
            sig_nets = {str(v.network) for _, vs in info["cidr"] for v in vs}
            for _, vs in info["cidr"]:
                for v in vs:
                    try:
                        ipaddress.ip_network(v.cidr, strict=True)
                    except ValueError as e:
                        ch.fail(f"{rule}: |cidr value {v.cidr!r} is not a network: {e}")
            if kq is not None:
                kql_nets = set()
                for lit in re.findall(r'"([0-9A-Fa-f:.]+/\d+)"', kq.read_text(encoding="utf-8")):
                    try:
                        kql_nets.add(str(ipaddress.ip_network(lit, strict=True)))
                    except ValueError:
                        pass
                if kql_nets != sig_nets:
                    ch.fail(f"{rule}: |cidr networks {sorted(sig_nets)} differ from the KQL query's {sorted(kql_nets)}")
                else:
                    cidr_checked += 1
        if not cases:
            continue
        n_cases += len(cases)
        if rule in ctx.stages:
            key_nc = f"stateful stage ({ctx.stages[rule]})"
            nc[key_nc] = nc.get(key_nc, 0) + len(cases)
            ch.detail(f"not comparable: {rule}: it has a `{ctx.stages[rule]}` stage, its "
                      f"{len(cases)} single-event cases test the match expression alone")
            continue
        if info["correlation"]:
            nc["correlation rule"] = nc.get("correlation rule", 0) + len(cases)
            ch.detail(f"not comparable: {rule}: correlation rule (stateful stage)")
            continue
        if info["keywords"]:
            nc["keywords"] = nc.get("keywords", 0) + len(cases)
            ch.detail(f"not comparable: {rule}: keywords (the SQLite backend refuses unfielded search)")
            continue
        events = [{k: v for k, v in c["event"].items() if k not in ("_expect", "_case")} for c in cases]
        flat = [flatten(e) for e in events]
        src_fields = ctx.catalog["sources"].get(ctx.sources.get(rule, ""), {}).get("fields", {})
        ftypes = {f: (d.get("type") if isinstance(d, dict) else d) for f, d in src_fields.items()}
        # |gt etc.: SQLite compares as text when the column holds any non-number.
        # Which cases SQLite can judge the way the Sigma specification does.
        comparable = []
        spelling: dict[str, str] = {}
        for i, c in enumerate(cases):
            fe = flat[i]
            if c.get("recognized") is False:
                # Not a record of the rule's source (a System-log event for a Security-log
                # rule): Sigma leaves selecting the logsource's events to the backend's
                # pipeline, and the SQLite backend has none, so it cannot judge the case.
                why = "event outside the rule's logsource (the SQLite backend selects no logsource)"
                nc[why] = nc.get(why, 0) + 1
                ch.detail(f"not comparable: {rule} / {c['name']}: {why}")
                continue
            why, detail = sqlite_event_problem(info, events[i], fe, ftypes, spelling)
            if why:
                nc[why] = nc.get(why, 0) + 1
                ch.detail(f"not comparable: {rule} / {c['name']}: {why}" + (f" ({detail})" if detail else ""))
                continue
            for k in fe:
                spelling.setdefault(k.lower(), k)
            comparable.append(i)
        if not comparable:
            continue
        ev_path = s_dir / f"{rule}.jsonl"
        write_jsonl(ev_path, [events[i] for i in comparable])
        rc, out, err = call_main(ctx.sqlite_mod, [str(comp.files[rule]), str(ev_path), "--unicode-nocase"])
        if rc == 3:
            nc["refused by the SQLite backend"] = nc.get("refused by the SQLite backend", 0) + len(comparable)
            ch.detail(f"not comparable: {rule}: the SQLite backend refuses it: {err.strip()[-300:]}")
            continue
        if rc != 0:
            ch.fail(f"{rule}: sigma_sqlite.py exited {rc}: {err.strip()[-500:]}")
            continue
        lines = {json.loads(l)["line"] for l in out.split("\n") if l.strip()}
        for line, i in enumerate(comparable, start=1):
            c = cases[i]
            n_compared += 1
            got = line in lines
            if got != c["actual"]:
                n_disagree += 1
                ch.fail(f"disagreement: rule {rule}, case {c['name']!r}: evaluator {'match' if c['actual'] else 'nomatch'}, "
                        f"sigma-sqlite {'match' if got else 'nomatch'}\n    event: {json.dumps(events[i], ensure_ascii=False)}")
    n_nc = sum(nc.values())
    s = (f"{n_rules} rules, {n_cases} cases, {n_compared} compared, {n_disagree} disagreements, {n_nc} cases not comparable"
         + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(nc.items()))})" if nc else ""))
    if cidr_checked:
        s += f", |cidr values of {cidr_checked} rules checked textually against KQL"
    if refused:
        s += f", {len(refused)} rules refused by the compiler ({comp.refusals()})"
        ch.detail(f"refused for Sigma: {', '.join(refused)}")
    ch.summary = s
    return ch


# --------------------------------------------------------------------------------------
# (e) SPL structure
# --------------------------------------------------------------------------------------

SPL_COMMANDS = {"search", "where"}
# Accepted only in the search of a rule with a stateful stage (threshold/new/sequence), and
# then checked for quotes and parentheses only; counted separately in the summary.
# `eval` assignments are checked like `where` expressions; stats-like commands, field lists
# and `rename` by a small grammar (check_spl_command); the rest for quotes and parentheses.
SPL_STATEFUL_COMMANDS = {"bin", "bucket", "stats", "eventstats", "streamstats", "eval", "sort",
                         "dedup", "fields", "table", "rename", "lookup", "inputlookup", "append",
                         "join", "transaction"}
SPL_STATS_FUNCS = {"count", "dc", "distinct_count", "values", "list", "min", "max", "sum", "avg",
                   "earliest", "latest", "first", "last", "mode", "median", "range", "stdev"}
# Eval functions the checker knows; anything else in a `where` is an error.
SPL_EVAL_FUNCS = {
    "isnull", "isnotnull", "isnum", "isstr", "isint", "len", "lower", "upper", "match", "like",
    "cidrmatch", "tonumber", "tostring", "in", "searchmatch", "coalesce", "if", "case", "mvcount",
    "mvindex", "mvfilter", "trim", "ltrim", "rtrim", "substr", "replace", "abs", "round", "now",
    "relative_time", "strftime", "strptime", "true", "false", "null", "json_extract", "spath",
    "floor", "ceiling", "ceil", "exp", "ln", "log", "pow", "sqrt", "max", "min", "exact",
    "nullif", "validate", "split", "mvjoin", "mvappend", "printf", "time",
}
SPL_KEYWORDS = {"AND", "OR", "NOT", "XOR", "IN", "LIKE"}


class SplError(Exception):
    pass


def spl_decode_string(body: str, where: str) -> str:
    """Decode the inside of an SPL double-quoted string: \\\\ -> \\, \\" -> "."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if ord(c) < 0x20 or ord(c) == 0x7F:
            raise SplError(f"{where}: raw control character U+{ord(c):04X} inside a string")
        if c == "\\":
            if i + 1 >= len(body):
                raise SplError(f"{where}: string ends with a lone backslash")
            n = body[i + 1]
            if n not in "\\\"":
                raise SplError(f"{where}: escape \\{n} in a string (only \\\\ and \\\" have a documented meaning)")
            out.append(n)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def split_spl(spl: str) -> list[tuple[str, str]]:
    """Split a search into (command, text) segments at top-level `|`; checks quotes."""
    segs, cur, i, n = [], [], 0, len(spl)
    cmd = "search"
    quote = None
    while i < n:
        c = spl[i]
        if quote:
            cur.append(c)
            if c == "\\" and quote == '"' and i + 1 < n:
                cur.append(spl[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c == '"' or (c == "'" and cmd != "search"):
            quote = c
            cur.append(c)
            i += 1
            continue
        if c == "|":
            segs.append((cmd, "".join(cur)))
            cur = []
            m = re.match(r"\s*([A-Za-z_]+)", spl[i + 1:])
            cmd = m.group(1) if m else ""
            i += 1 + (m.end() if m else 0)
            continue
        cur.append(c)
        i += 1
    if quote:
        raise SplError(f"unterminated {quote} quote")
    segs.append((cmd, "".join(cur)))
    return segs


FIELD_RX = re.compile(r"[A-Za-z_][A-Za-z0-9_.{}]*")


def spl_search_tokens(text: str) -> list[tuple[str, str]]:
    toks, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            toks.append(("paren", c))
            i += 1
            continue
        if c == ",":
            toks.append(("comma", c))
            i += 1
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise SplError("unterminated string")
            toks.append(("str", text[i + 1:j]))
            i = j + 1
            continue
        m = re.match(r"!=|<=|>=|=|<|>", text[i:])
        if m:
            toks.append(("op", m.group(0)))
            i += m.end()
            continue
        m = re.match(r"[^\s()\",=!<>]+", text[i:])
        toks.append(("word", m.group(0)))
        i += m.end()
    return toks


def check_spl_search(text: str, where: str, found: list) -> None:
    toks = spl_search_tokens(text)
    depth, i = 0, 0
    while i < len(toks):
        kind, val = toks[i]
        if kind == "paren":
            depth += 1 if val == "(" else -1
            if depth < 0:
                raise SplError(f"{where}: unbalanced ')'")
            i += 1
            continue
        if kind == "word" and val in ("NOT", "OR", "AND"):
            i += 1
            continue
        if kind == "word" and val.lower() in ("not", "or", "and"):
            raise SplError(f"{where}: lower-case boolean operator {val!r} is a search term")
        if kind == "str":
            spl_decode_string(val, where)
            found.append(("term", None, val))
            i += 1
            continue
        if kind == "word":
            nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
            if nxt[0] == "op":
                if not FIELD_RX.fullmatch(val):
                    raise SplError(f"{where}: field name {val!r} needs quoting")
                if i + 2 >= len(toks):
                    raise SplError(f"{where}: {val}{nxt[1]} without a value")
                vk, vv = toks[i + 2]
                if vk == "str":
                    found.append(("cmp", val, nxt[1], spl_decode_string(vv, where)))
                    i += 3
                    continue
                if vk == "word" and vv in ("CASE", "TERM") and i + 5 < len(toks) + 1 and toks[i + 3] == ("paren", "("):
                    if toks[i + 4][0] != "str" or toks[i + 5] != ("paren", ")"):
                        raise SplError(f"{where}: {vv}() must hold one quoted string")
                    found.append(("cmp", val, nxt[1] + vv, spl_decode_string(toks[i + 4][1], where)))
                    i += 6
                    continue
                if vk == "word" and re.fullmatch(r"[A-Za-z0-9_.:*/@\-]+", vv):
                    found.append(("cmp", val, nxt[1], vv))
                    i += 3
                    continue
                raise SplError(f"{where}: value after {val}{nxt[1]} is not a quoted string or plain word: {vv!r}")
            if nxt == ("word", "IN"):
                if not FIELD_RX.fullmatch(val):
                    raise SplError(f"{where}: field name {val!r} needs quoting")
                if i + 2 >= len(toks) or toks[i + 2] != ("paren", "("):
                    raise SplError(f"{where}: IN without a list")
                j = i + 3
                vals = []
                while True:
                    if j >= len(toks):
                        raise SplError(f"{where}: unterminated IN list")
                    k2, v2 = toks[j]
                    if k2 == "str":
                        vals.append(spl_decode_string(v2, where))
                    elif k2 == "word" and re.fullmatch(r"[A-Za-z0-9_.:*/@\-]+", v2):
                        vals.append(v2)
                    else:
                        raise SplError(f"{where}: bad IN list element {v2!r}")
                    j += 1
                    if toks[j] == ("paren", ")"):
                        break
                    if toks[j] != ("comma", ","):
                        raise SplError(f"{where}: IN list elements must be separated by commas")
                    j += 1
                found.append(("in", val, vals))
                i = j + 1
                continue
            raise SplError(f"{where}: bare search word {val!r} (not field=value)")
        raise SplError(f"{where}: unexpected {val!r}")
    if depth != 0:
        raise SplError(f"{where}: unbalanced parentheses")


def pcre_to_python(rx: str) -> str:
    """Translate the PCRE features tripline emits that Python's `re` spells differently."""
    out, i, n = [], 0, len(rx)
    while i < n:
        c = rx[i]
        if c == "\\" and i + 1 < n:
            d = rx[i + 1]
            if d == "z":
                out.append(r"\Z")
                i += 2
                continue
            if d == "Z":
                out.append(r"(?=\n?\Z)")
                i += 2
                continue
            if d == "x" and i + 2 < n and rx[i + 2] == "{":
                j = rx.index("}", i)
                out.append("\\U%08X" % int(rx[i + 3:j], 16))
                i = j + 1
                continue
            out.append(rx[i:i + 2])
            i += 2
            continue
        if rx.startswith("(?<", i) and i + 3 < n and rx[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def spl_where_tokens(text: str, where: str) -> list[tuple[str, str]]:
    toks, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise SplError(f"{where}: unterminated string")
            toks.append(("str", spl_decode_string(text[i + 1:j], where)))
            i = j + 1
            continue
        if c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise SplError(f"{where}: unterminated field name quote")
            name = text[i + 1:j]
            if "\\" in name or not name:
                raise SplError(f"{where}: bad quoted field name {name!r}")
            toks.append(("field", name))
            i = j + 1
            continue
        m = re.match(r"-?\d+(\.\d+)?", text[i:])
        if m and (not toks or toks[-1][0] in ("op", "paren", "comma", "kw")):
            toks.append(("num", m.group(0)))
            i += m.end()
            continue
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i:])
        if m:
            w = m.group(0)
            rest = text[i + m.end():]
            if rest[:1] in (".", "{", "}", ":", "@") and re.match(r"[.{}:@][A-Za-z0-9_{}]", rest):
                raise SplError(f"{where}: field name {w + rest.split()[0]!r} must be single-quoted in where")
            if w in SPL_KEYWORDS:
                toks.append(("kw", w))
            elif rest.startswith("("):
                # eval functions are lower-case and written directly before "("
                # (`in(f, "a")`, `like(f, "a%")` are functions, `IN`/`LIKE` operators)
                if w not in SPL_EVAL_FUNCS:
                    raise SplError(f"{where}: unknown eval function {w}()")
                toks.append(("func", w))
            elif w.lower() in ("and", "or", "not", "xor", "in", "like"):
                raise SplError(f"{where}: lower-case operator {w!r} (SPL operators are upper-case)")
            elif rest.lstrip().startswith("("):
                raise SplError(f"{where}: space between function name {w!r} and '('")
            else:
                toks.append(("field", w))
            i += m.end()
            continue
        m = re.match(r"==|!=|<=|>=|=|<|>|\+|-|\*|/|%|\.", text[i:])
        if m:
            toks.append(("op", m.group(0)))
            i += m.end()
            continue
        if c in "()":
            toks.append(("paren", c))
            i += 1
            continue
        if c == ",":
            toks.append(("comma", c))
            i += 1
            continue
        raise SplError(f"{where}: unexpected character {c!r}")
    depth = 0
    for k, v in toks:
        if k == "paren":
            depth += 1 if v == "(" else -1
            if depth < 0:
                raise SplError(f"{where}: unbalanced ')'")
    if depth:
        raise SplError(f"{where}: unbalanced parentheses")
    return toks


def call_args(toks: list, i: int) -> tuple[list[list], int]:
    """toks[i] is a func token followed by '(': its argument token lists and the index after ')'."""
    assert toks[i + 1] == ("paren", "(")
    depth, j, args, cur = 1, i + 2, [], []
    while j < len(toks):
        t = toks[j]
        if t == ("paren", "("):
            depth += 1
        elif t == ("paren", ")"):
            depth -= 1
            if depth == 0:
                if cur or args:
                    args.append(cur)
                return args, j + 1
        elif t == ("comma", ",") and depth == 1:
            args.append(cur)
            cur = []
            j += 1
            continue
        cur.append(t)
        j += 1
    raise SplError("unterminated call")


def check_spl_where(text: str, where: str, found: list) -> None:
    toks = spl_where_tokens(text, where)
    for i, (k, v) in enumerate(toks):
        if k != "func":
            continue
        args, _ = call_args(toks, i)
        if v == "match":
            if len(args) != 2 or len(args[1]) != 1 or args[1][0][0] != "str":
                raise SplError(f"{where}: match() needs a field and one string pattern")
            pat = args[1][0][1]
            try:
                re.compile(pcre_to_python(pat))
            except re.error as e:
                raise SplError(f"{where}: regex {pat!r} does not compile: {e}")
            found.append(("match", args[0], pat))
        elif v == "cidrmatch":
            if len(args) != 2 or len(args[0]) != 1 or args[0][0][0] != "str":
                raise SplError(f"{where}: cidrmatch() needs a string network first")
            try:
                ipaddress.ip_network(args[0][0][1], strict=True)
            except ValueError as e:
                raise SplError(f"{where}: cidrmatch network {args[0][0][1]!r}: {e}")
    # comparisons: [lower(] field [)] == "str"
    for i in range(len(toks)):
        if toks[i] == ("op", "==") or toks[i] == ("op", "!="):
            lhs = toks[max(0, i - 4):i]
            rhs = toks[i + 1] if i + 1 < len(toks) else None
            if rhs and rhs[0] == "str":
                found.append(("eq", lhs, rhs[1]))


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at *sep* outside strings, quoted names and parentheses."""
    parts, cur, depth, quote, i = [], [], 0, None, 0
    while i < len(text):
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
            cur.append(c)
        elif c in "(":
            depth += 1
            cur.append(c)
        elif c == ")":
            depth -= 1
            cur.append(c)
        elif c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


SPL_FIELD_LIST_RX = re.compile(r"\s*(?:[A-Za-z_][A-Za-z0-9_.{}]*\s*)+")


def check_spl_command(cmd: str, text: str, where: str) -> None:
    """A small grammar for the commands the stateful stages emit."""
    if cmd == "eval":
        for part in split_top(text):
            m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*|'[^'\\]+')\s*=(?!=)(.+)", part, re.S)
            if not m:
                raise SplError(f"{where}: not an assignment: {part.strip()!r}")
            spl_where_tokens(m.group(2), where)
    elif cmd in ("stats", "eventstats", "streamstats"):
        body, _, by = text.partition(" by ")
        if by and not SPL_FIELD_LIST_RX.fullmatch(by):
            raise SplError(f"{where}: bad by-clause {by.strip()!r}")
        body = re.sub(r"\b[a-z_]+=[A-Za-z0-9_]+\b", " ", body)  # options: current=f, ...
        item = re.compile(r"\s*(?:([a-z_]+)\(\s*([A-Za-z_][A-Za-z0-9_.{}]*)?\s*\)|(count))"
                          r"(?:\s+as\s+([A-Za-z_][A-Za-z0-9_]*))?")
        pos, n = 0, 0
        while body[pos:].strip():
            m = item.match(body, pos)
            if not m:
                raise SplError(f"{where}: cannot parse {body[pos:].strip()!r}")
            fn = m.group(1) or m.group(3)
            if fn not in SPL_STATS_FUNCS:
                raise SplError(f"{where}: unknown stats function {fn}")
            pos, n = m.end(), n + 1
        if not n:
            raise SplError(f"{where}: no aggregation")
    elif cmd in ("table", "fields", "dedup"):
        if not SPL_FIELD_LIST_RX.fullmatch(re.sub(r"^\s*[-+]\s", " ", text)):
            raise SplError(f"{where}: bad field list {text.strip()!r}")
    elif cmd == "sort":
        if not re.fullmatch(r"\s*(?:\d+\s+)?(?:[-+]?[A-Za-z_][A-Za-z0-9_.{}]*\s*)+", text):
            raise SplError(f"{where}: bad sort {text.strip()!r}")
    elif cmd == "rename":
        for part in split_top(text):
            if not re.fullmatch(r"\s*[A-Za-z_][A-Za-z0-9_.{}]*\s+(?:AS|as)\s+[A-Za-z_][A-Za-z0-9_]*\s*", part):
                raise SplError(f"{where}: bad rename {part.strip()!r}")
    elif cmd in ("bin", "bucket"):
        if not re.fullmatch(r"\s*[A-Za-z_][A-Za-z0-9_.{}]*(?:\s+[a-z_]+=[A-Za-z0-9_.@]+)*\s*", text):
            raise SplError(f"{where}: bad {cmd} {text.strip()!r}")


def check_spl_text(spl: str, where: str, stateful: bool = False) -> tuple[list, dict]:
    """Structural check of one search. Returns what it found (for the escaping check) and
    the commands used. Raises SplError."""
    found: list = []
    cmds: dict[str, int] = {}
    segs = split_spl(spl)
    for n, (cmd, text) in enumerate(segs):
        cmds[cmd] = cmds.get(cmd, 0) + 1
        if n > 0 and cmd not in SPL_COMMANDS:
            if stateful and cmd in SPL_STATEFUL_COMMANDS:
                check_spl_command(cmd, text, f"{where} ({cmd})")
                depth = 0
                for c in re.sub(r'"(?:[^"\\]|\\.)*"', '""', text):
                    depth += {"(": 1, ")": -1}.get(c, 0)
                    if depth < 0:
                        raise SplError(f"{where} ({cmd}): unbalanced ')'")
                if depth:
                    raise SplError(f"{where} ({cmd}): unbalanced parentheses")
                continue
            raise SplError(f"{where}: unknown command `| {cmd}`")
        if cmd == "search":
            check_spl_search(text, f"{where} (search)", found)
        elif cmd == "where":
            if not text.strip():
                raise SplError(f"{where}: empty where")
            check_spl_where(text, f"{where} (where)", found)
    return found, cmds


def check_spl_structure(ctx) -> Check:
    ch = Check("spl-structure")
    comp = ctx.compiled["spl"]
    for p in comp.problems(ctx.rules):
        ch.fail(p)
    n = bad = 0
    cmds: dict[str, int] = {}
    regexes = 0
    for rule, path in comp.files.items():
        n += 1
        try:
            found, c = check_spl_text(path.read_text(encoding="utf-8"), rule, stateful=rule in ctx.stages)
        except SplError as e:
            bad += 1
            ch.fail(str(e))
            continue
        regexes += sum(1 for f in found if f[0] == "match")
        for k, v in c.items():
            cmds[k] = cmds.get(k, 0) + v
    refused = [r for r in ctx.rules if r not in comp.files]
    if refused:
        ch.detail(f"refused for SPL: {', '.join(refused)}")
    for w in comp.warnings():
        ch.detail(f"compiler warning: {w}")
    ch.summary = (f"{n} searches, {bad} malformed, {regexes} regexes compiled, commands: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(cmds.items()))
                  + (f", {len(refused)} rules refused by the compiler ({comp.refusals()})" if refused else "")
                  + "; meaning rests on reference facts and unit tests (no SPL engine offline)")
    return ch


# --------------------------------------------------------------------------------------
# (f) Escaping round-trips
# --------------------------------------------------------------------------------------

ADVERSARIAL = [
    '"', "'", "\\", "\\\\", "*", "?", "|", "\n", "\r", "\t", "\0", "\\*", "\\?", "\\\"", "\"\\",
    "a*b?c", "C:\\Windows\\System32\\", "end\\", "\\start", "%", "%d%", "_", "[x]", "{x}", "${x}",
    "$(x)", "`x`", "#", "//", "/*", "*/", "--", "---", "- x", ": x", "x: y", "@x", "&x", "!x",
    "null", "~", "true", "yes", "No", "0x1f", "1e3", "-1", "007", " lead", "trail ", "  ", "=",
    "==", "a=b", "(", ")", "((", "\"\"", "''", "\u00e9", "\u00c9cole", "stra\u00dfe", "\u212a",
    "\u0130", "\u00df", "\U0001F600", "\u200b", "\u200d", "\ufeff", "\u2028", "\u2029", "\u0085",
    "\u00a0", "\u202e", "\x7f", "\x1b[31m", "\x01\x02", "\u3042", "\u0645\u0631\u062d\u0628\u0627",
    "a\r\nb", "tab\there", "q\"q'q", "\\n", "\\t", "\\u0041", "\\x41", "h\"x\"", "@\"x\"",
    "\"; print 1; //", "\" | take 1 //", "x\" or \"1\"==\"1", "| where 1==1", "index=* | delete",
    "[search x]", "` ", "*.*", "**", "?*?", "\\*\\", "\\\\*", "\\\\\\", "'\\''", "\\'",
]
PIECES = (["\\", '"', "'", "*", "?", "|", "\n", "\r", "\t", "\0", "\x01", "\x1f", "\x7f", "%", "_",
           "$", "{", "}", "(", ")", "[", "]", ",", ";", ":", "#", "=", "<", ">", "!", "/", "`", "@",
           " ", "\u00e9", "\u00df", "\u212a", "\U0001F600", "\u2028", "\u200b", "\u0130", "\uff21"]
          + list("abcXYZ019") * 3)


def gen_values(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vals = list(dict.fromkeys(v for v in ADVERSARIAL if v))
    while len(vals) < n:
        k = rng.randint(1, 12)
        v = "".join(rng.choice(PIECES) for _ in range(k))
        if rng.random() < 0.2:
            v += "\\"
        if v and v not in vals:
            vals.append(v)
    return vals[:n]


def lang_literal(v: str, raw_non_ascii: bool) -> str:
    out = []
    for c in v:
        o = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\0":
            out.append("\\0")
        elif o < 0x20 or o == 0x7F or (0x80 <= o < 0xA0) or unicodedata.category(c) in ("Zl", "Zp", "Cf", "Cs", "Co", "Cn"):
            out.append("\\u{%X}" % o)
        elif o > 0x7E and not raw_non_ascii:
            out.append("\\u{%X}" % o)
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def regex_literal(pattern: str, dialect: str) -> tuple[str, bool] | None:
    """If *pattern* matches exactly one string (optionally case-insensitively), return it and
    whether (?i) is set. Accepts only: leading inline flags, whole-value anchors, literal
    characters and escaped characters."""
    i, n = 0, len(pattern)
    flags = ""
    m = re.match(r"\(\?([imsU]+)\)", pattern)
    if m:
        flags = m.group(1)
        i = m.end()
    starts = ("\\A", "^") if dialect == "re2" else ("\\A",) if dialect == "pcre" else ("^",)
    st = next((s for s in starts if pattern.startswith(s, i)), None)
    if st is None:
        return None
    i += len(st)
    ends = ("\\z", "$") if dialect == "re2" else ("\\z",) if dialect == "pcre" else ("$",)
    def unescaped_suffix(e: str) -> bool:
        if not pattern.endswith(e) or len(pattern) - len(e) < i:
            return False
        k, slashes = len(pattern) - len(e) - 1, 0
        while k >= i and pattern[k] == "\\":
            slashes += 1
            k -= 1
        return slashes % 2 == 0

    en = next((e for e in ends if unescaped_suffix(e)), None)
    if en is None:
        return None
    body = pattern[i:len(pattern) - len(en)]
    out, j = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "e": "\x1b"}
    while j < len(body):
        c = body[j]
        if c == "\\":
            if j + 1 >= len(body):
                return None
            d = body[j + 1]
            if d == "Q":
                k = body.find("\\E", j + 2)
                k = len(body) if k < 0 else k
                out.append(body[j + 2:k])
                j = k + 2
                continue
            if d == "x":
                mm = re.match(r"\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2})", body[j + 2:])
                if not mm:
                    return None
                out.append(chr(int(mm.group(1) or mm.group(2), 16)))
                j += 2 + mm.end()
                continue
            if d in simple:
                out.append(simple[d])
                j += 2
                continue
            if d.isalnum():
                return None
            out.append(d)
            j += 2
            continue
        if c in ".^$|?*+()[]{}":
            return None
        out.append(c)
        j += 1
    return "".join(out), "i" in flags


def check_escaping(ctx) -> Check:
    ch = Check("escaping")
    values = gen_values(ctx.args.escaping_values, ctx.args.seed)
    e_dir = ctx.work / "escaping"
    e_dir.mkdir(exist_ok=True)
    batch_size = 100
    ns = uuid.UUID("6c1b5f1e-8d0a-4a8e-9c1e-7d1b2a3c4d5e")
    items = []  # (rule name, value, cased)
    files = []
    where_is: dict[tuple[str, int], str] = {}  # (file name, line) -> rule
    for b in range(0, len(values), batch_size):
        lines = []
        fname = f"batch_{b // batch_size}.trip"
        for k, v in enumerate(values[b:b + batch_size]):
            idx = b + k
            name = f"esc_{idx:04d}"
            cased = idx % 3 == 2
            lit = lang_literal(v, raw_non_ascii=idx % 2 == 0)
            lines.append(
                f"rule {name} {{\n    title \"Escaping {idx}\"\n    id {uuid.uuid5(ns, name)}\n"
                f"    status test\n    level low\n    date 2026-11-28\n    description \"Escaping round trip\"\n"
                f"    source m365.audit\n    match UserId == {'cased ' if cased else ''}{lit}\n}}\n")
            items.append((name, v, cased))
            first = sum(x.count("\n") + 1 for x in lines[:-1]) + 1
            for ln in range(first, first + lines[-1].count("\n")):
                where_is[(fname, ln)] = name
        f = e_dir / fname
        f.write_text("\n".join(lines), encoding="utf-8")
        files.append(f)
    counts = {"kql": [0, 0, 0], "sigma": [0, 0, 0], "spl": [0, 0, 0]}  # ok, refused, wrong
    outs = {}
    for target in ("kql", "sigma", "spl"):
        outs[target] = ctx.tl.compile(target, e_dir / f"out-{target}", flavor="sentinel" if target == "kql" else None,
                                      paths=files)
        for d in outs[target].diagnostics:
            if not str(d.get("code", "")).startswith("tripline::"):
                ch.fail(f"{target}: diagnostic without a tripline code: {d}")
        if outs[target].rc not in (0, 1):
            ch.fail(f"{target}: tripline compile exited {outs[target].rc}: {' | '.join(outs[target].junk[:3])}")

    diags_of: dict[tuple[str, str], list[dict]] = {}
    for target in outs:
        for d in outs[target].diagnostics:
            r = where_is.get((Path(str(d.get("path", ""))).name, d.get("line")))
            diags_of.setdefault((target, r), []).append(d)
        for name, v, cased in items:
            if name not in outs[target].files and not diags_of.get((target, name)):
                ch.fail(f"{target}: {name} value {v!r}: no output and no coded diagnostic for it")

    def refused(target, name, v):
        counts[target][1] += 1
        ds = diags_of.get((target, name), [])
        why = "; ".join(f"{d.get('code')}: {d.get('message')}" for d in ds)
        (vnote if target == "spl" else ch.detail)(f"  {target} refused {name} {v!r}: {why}")
        for d in ds:
            key = f"{target}: {d.get('code')}: {d.get('message')}"
            refusal_kinds[key] = refusal_kinds.get(key, 0) + 1

    refusal_kinds: dict[str, int] = {}

    def wrong(target, name, v, msg):
        counts[target][2] += 1
        ch.fail(f"{target}: {name} value {v!r}: {msg}")

    # KQL: decode the literal with Microsoft's lexer.
    kql_items = []
    for name, v, cased in items:
        path = outs["kql"].files.get(name)
        if path is None:
            refused("kql", name, v)
            continue
        q = path.read_text(encoding="utf-8")
        m = re.search(r"\|\s*where\s+UserId\s+(==|=~|matches regex)\s+(.*)\s*$", q, re.S)
        spans = kql_literal_spans(q)
        if not m or not any(a == m.start(2) and b == len(q.rstrip()) for a, b in spans):
            wrong("kql", name, v, f"unrecognised query form: {q!r}")
            continue
        kql_items.append((name, v, cased, m.group(1), m.group(2).strip()))
    if kql_items:
        lit_in = e_dir / "literals.json"
        lit_in.write_text(json.dumps([it[4] for it in kql_items]), encoding="utf-8")
        p = subprocess.run([NODE, str(HERE / "kusto" / "literal.js"), str(lit_in)], capture_output=True, text=True)
        if p.returncode == 2:
            ch.fail(f"literal.js: {p.stderr.strip()[-300:]}")
        res = [json.loads(l) for l in p.stdout.split("\n") if l.strip()]
        for (name, v, cased, op, lit), r in zip(kql_items, res):
            if not r.get("ok"):
                wrong("kql", name, v, f"Kusto rejects the literal {lit}: {r.get('reason')} {r.get('errors', '')}")
                continue
            got = r["value"]
            if op == "matches regex":
                rl = regex_literal(got, "re2")
                if rl is None:
                    wrong("kql", name, v, f"regex {got!r} is not an anchored literal")
                elif rl[0] != v or rl[1] == cased:
                    wrong("kql", name, v, f"regex {got!r} means {rl[0]!r} (case-insensitive: {rl[1]})")
                else:
                    counts["kql"][0] += 1
            elif (op == "==") != cased:
                wrong("kql", name, v, f"operator {op} for a {'cased' if cased else 'case-insensitive'} comparison")
            elif got != v:
                wrong("kql", name, v, f"literal {lit} decodes to {got!r}")
            else:
                counts["kql"][0] += 1

    # Sigma: YAML must parse, pySigma's value must be the plain value.
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule
    from sigma.types import SigmaRegularExpression, SigmaString
    for name, v, cased in items:
        path = outs["sigma"].files.get(name)
        if path is None:
            refused("sigma", name, v)
            continue
        text = path.read_text(encoding="utf-8")
        try:
            yaml.safe_load(text)
            r = SigmaRule.from_yaml(text)
            its = [it for det in r.detection.detections.values() for it in det.detection_items]
        except (yaml.YAMLError, SigmaError, Exception) as e:
            wrong("sigma", name, v, f"does not load: {type(e).__name__}: {e}")
            continue
        if len(its) != 1 or getattr(its[0], "field", None) != "UserId" or len(its[0].value) != 1:
            wrong("sigma", name, v, f"unexpected detection: {its}")
            continue
        it = its[0]
        mods = [m.__name__ for m in it.modifiers]
        val = it.value[0]
        if isinstance(val, SigmaString):
            if mods not in ([], ["SigmaCaseSensitiveModifier"]) or (mods == ["SigmaCaseSensitiveModifier"]) != cased:
                wrong("sigma", name, v, f"modifiers {mods} for a {'cased' if cased else 'case-insensitive'} comparison")
            elif not all(isinstance(p, str) for p in val.s):
                wrong("sigma", name, v, f"value has wildcards or placeholders: {val.s}")
            elif "".join(val.s) != v:
                wrong("sigma", name, v, f"value parses as {''.join(val.s)!r}")
            else:
                counts["sigma"][0] += 1
        elif isinstance(val, SigmaRegularExpression):
            rl = regex_literal(val.regexp, "pcre")
            ci = "SigmaRegularExpressionIFlagModifier" in mods or (rl is not None and rl[1])
            if rl is None:
                wrong("sigma", name, v, f"|re {val.regexp!r} is not an anchored literal")
            elif rl[0] != v or ci == cased:
                wrong("sigma", name, v, f"|re {val.regexp!r} means {rl[0]!r} (case-insensitive: {ci})")
            else:
                counts["sigma"][0] += 1
        else:
            wrong("sigma", name, v, f"value type {type(val).__name__}")

    # SPL: structural check, then decode the comparison.
    for name, v, cased in items:
        path = outs["spl"].files.get(name)
        if path is None:
            refused("spl", name, v)
            continue
        text = path.read_text(encoding="utf-8")
        try:
            found, _ = check_spl_text(text, name)
        except SplError as e:
            wrong("spl", name, v, f"malformed: {e}\n    {text!r}")
            continue
        cmps = [f for f in found if f[0] in ("cmp", "match", "eq") and
                ((f[0] == "cmp" and f[1] == "UserId") or (f[0] != "cmp" and any(t == ("field", "UserId") for t in f[1])))]
        if len(cmps) != 1:
            wrong("spl", name, v, f"expected one comparison on UserId, found {cmps}: {text!r}")
            continue
        f = cmps[0]
        lowered = f[0] != "cmp" and any(t == ("func", "lower") for t in f[1])
        if f[0] == "cmp":
            op, lit = f[2], f[3]
            if op not in ("=", "=CASE"):
                wrong("spl", name, v, f"operator {op}")
            elif ("*" in lit) or lit != v:
                wrong("spl", name, v, f"search value {lit!r} (a * is a wildcard in search)")
            elif (op == "=CASE") != cased:
                wrong("spl", name, v, f"{'CASE()' if op == '=CASE' else 'no CASE()'} for a {'cased' if cased else 'case-insensitive'} comparison")
            else:
                counts["spl"][0] += 1
        elif f[0] == "eq":
            want = v.lower() if lowered else v
            if f[2] != want or lowered == cased:
                wrong("spl", name, v, f"where literal {f[2]!r} (lower(): {lowered})")
            else:
                counts["spl"][0] += 1
        else:
            rl = regex_literal(f[2], "pcre")
            if rl is None:
                wrong("spl", name, v, f"match() regex {f[2]!r} is not an anchored literal")
                continue
            ci = rl[1] or lowered
            want = v.lower() if lowered else v
            subject = v.lower() if lowered else v
            if rl[0] != want or ci == cased:
                wrong("spl", name, v, f"match() regex {f[2]!r} means {rl[0]!r} (case-insensitive: {ci})")
            elif not re.search(pcre_to_python(f[2]), subject):
                wrong("spl", name, v, f"match() regex {f[2]!r} does not match the value in Python re")
            else:
                counts["spl"][0] += 1
    # Refusals are fine when coded (checked above): list them by diagnostic.
    for k, n in sorted(refusal_kinds.items()):
        ch.detail(f"refused ({n} values): {k}")
    ch.summary = (f"{len(values)} values (seed {ctx.args.seed}, 1/3 cased): "
                  + "; ".join(f"{t} {c[0]} round-trip, {c[1]} refused, {c[2]} wrong" for t, c in counts.items()))
    return ch


# --------------------------------------------------------------------------------------
# (g) Stateful stages: stream cases executed (KQL on duckdb-kql, Sigma correlations in SQLite)
# --------------------------------------------------------------------------------------

TIME_KEYS = ("window_start", "first_seen", "start", "end")
FIGURE_KEYS = ("count", "distinct")
EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
DAY_US = 86_400_000_000


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (as src/time.rs)."""
    y -= 1 if m <= 2 else 0
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def eval_time_ms(v) -> int | None:
    """An event's time as the evaluator reads it: src/time.rs `parse` of the field's text
    (ms since the epoch; None when the evaluator ignores the event)."""
    if v is None or v == "" or isinstance(v, (dict, list)):
        return None
    s = ("true" if v else "false") if isinstance(v, bool) else v if isinstance(v, str) else json.dumps(v)
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(.*)", s, re.S)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    if not (1 <= mo <= 12) or d < 1 or d > days_in_month(y, mo) or h > 23 or mi > 59 or sec > 60:
        return None
    rest, millis = m.group(7), 0
    if rest.startswith("."):
        digits = re.match(r"[0-9]*", rest[1:]).group(0)
        if not digits:
            return None
        millis = int(digits[:3].ljust(3, "0"))
        rest = rest[1 + len(digits):]
    if rest in ("", "Z", "z"):
        off = 0
    else:
        if rest[0] not in "+-":
            return None
        z = rest[1:]
        num = r"[+-]?[0-9]+"  # Rust's i64 parse of a two-character slice
        if len(z) == 5 and z[2] == ":" and re.fullmatch(num, z[0:2]) and re.fullmatch(num, z[3:5]):
            oh, om = int(z[0:2]), int(z[3:5])
        elif len(z) == 4 and re.fullmatch(num, z[0:2]) and re.fullmatch(num, z[2:4]):
            oh, om = int(z[0:2]), int(z[2:4])
        else:
            return None
        off = (1 if rest[0] == "+" else -1) * (oh * 60 + om)
    secs = days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + sec - off * 60
    return secs * 1000 + millis


def ms_to_iso(ms: int) -> str:
    d = EPOCH_UTC + _dt.timedelta(milliseconds=ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def instant_us(v) -> int | None:
    """An ISO time (with a zone, or naive = UTC) as µs since the epoch."""
    if not isinstance(v, str):
        return None
    try:
        d = _dt.datetime.fromisoformat(v.strip())
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return (d - EPOCH_UTC) // _dt.timedelta(microseconds=1)


def key_text(v):
    """A key value as text, the evaluator's way (numbers and booleans in their JSON text;
    a number with an integral value without a fraction, so a KQL real 5.0 equals "5")."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def norm_alert(a: dict) -> tuple:
    """An alert for comparison: keys as text, figures as numbers, times as instants."""
    out = []
    for k, v in sorted(a.items()):
        if k in TIME_KEYS and instant_us(v) is not None:
            out.append((k, "time", instant_us(v)))
        elif k in FIGURE_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append((k, "num", float(v)))
        else:
            out.append((k, "key", key_text(v)))
    return tuple(out)


def alerts_match(expected: list, actual: list) -> bool:
    """src/eval/stage.rs `alerts_match`: the same number of alerts, each expected alert
    agreeing with a different actual alert on every key it names (numbers numerically)."""
    if len(expected) != len(actual):
        return False
    used = [False] * len(actual)

    def same(x, y) -> bool:
        nx = isinstance(x, (int, float)) and not isinstance(x, bool)
        ny = isinstance(y, (int, float)) and not isinstance(y, bool)
        if nx and ny:
            return float(x) == float(y)
        return type(x) is type(y) and x == y

    for exp in expected:
        if not isinstance(exp, dict):
            return False
        for i, a in enumerate(actual):
            if not used[i] and all(k in a and same(a[k], v) for k, v in exp.items()):
                used[i] = True
                break
        else:
            return False
    return True


def parse_timespan_us(text: str) -> int | None:
    """A KQL timespan literal `30m`, `1h`, `14d`, `1.5h`, `100ms` as µs (None otherwise)."""
    import decimal
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(d|h|m|s|ms)\s*", text)
    if not m:
        return None
    unit = {"d": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1_000}[m.group(2)]
    v = decimal.Decimal(m.group(1)) * unit
    return int(v) if v == int(v) and v > 0 else None


def kql_datetime_us(text: str) -> int | None:
    m = re.fullmatch(r"\s*datetime\(\s*([^)]*?)\s*\)\s*", text)
    return instant_us(m.group(1)) if m else None


def rewrite_stateful_for_duckdb(q: str, now_iso: str) -> tuple[str, list[str]]:
    """Execution-only rewrites of a stateful query for duckdb-kql (exact ones only):

    * `bin_at(T, W, datetime(1970-01-01))` -> `bin(T, W)` when W divides a day: Kusto's
      `bin` rounds down to a multiple of W counted from 0001-01-01, a midnight, so for such
      W both align to midnight UTC (duckdb-kql's `bin` floors the epoch seconds, which is
      epoch-aligned for every W; the rewrite does not rely on that). Other W, or another
      fixed point: Unsupported.
    * `ago(X)` -> `(datetime(<now>) - X)`, `now()` -> `datetime(<now>)`, `now(X)` ->
      `(datetime(<now>) + X)`: the case's query time as a fixed literal (Kusto evaluates
      `now()` once per query, so this is the query run at that instant).
    Then the single-event rewrites (`rewrite_for_duckdb`). Returns (query, rewrites done)."""
    done = []
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z", now_iso):
        raise Unsupported(f"query time {now_iso!r} is not an ISO UTC time")
    while True:
        calls = find_calls(q, "bin_at")
        if not calls:
            break
        start, end, args = calls[0]
        if len(args) != 3:
            raise Unsupported(f"bin_at with {len(args)} arguments")
        t, w, p = args
        if kql_datetime_us(p) != 0:
            raise Unsupported(f"bin_at with the fixed point {p} (not the Unix epoch)")
        wu = parse_timespan_us(w)
        if wu is None:
            raise Unsupported(f"bin_at with the window {w!r} (not a plain timespan literal)")
        if DAY_US % wu:
            raise Unsupported(f"bin_at with a {w} window (does not divide a day, so bin() would align differently)")
        q = q[:start] + f"bin({t}, {w})" + q[end:]
        done.append("bin_at(T, W, datetime(1970-01-01)) -> bin(T, W)")
    lit = f"datetime({now_iso})"
    while True:
        calls = find_calls(q, "ago")
        if not calls:
            break
        start, end, args = calls[0]
        if len(args) != 1 or not args[0]:
            raise Unsupported("ago with other than one argument")
        q = q[:start] + f"({lit} - {args[0]})" + q[end:]
        done.append("ago()/now() -> datetime(<case now>)")
    while True:
        calls = find_calls(q, "now")
        if not calls:
            break
        start, end, args = calls[0]
        if args in ([], [""]):
            new = lit
        elif len(args) == 1:
            new = f"({lit} + {args[0]})"
        else:
            raise Unsupported("now with more than one argument")
        q = q[:start] + new + q[end:]
        done.append("ago()/now() -> datetime(<case now>)")
    q, more = rewrite_for_duckdb(q)
    done += more
    left = sorted({f for f in BOOL_FUNCS if find_calls(q, f)})
    if left:
        # no per-case substitution for alert streams: which events a function selects
        # changes the alerts, not one verdict
        raise Unsupported(" + ".join(left))
    return q, sorted(set(done))


def run_duckdb_rows(ctx, query: str, table: str, rows_path: Path, schema_text: str) -> tuple[str, object]:
    """('ok', [row dicts]) | ('unsupported', construct) | ('error', message)"""
    rc, out, err = call_main(ctx.duckdb_mod, [query, table, str(rows_path), "--schema", schema_text, "--rows"])
    if rc == 3:
        m = re.search(r"unsupported KQL construct '([^']+)'", err)
        what = m.group(1) if m else err.strip().split("\n")[-1] if err.strip() else "?"
        what = what.split(":", 1)[1] if what.startswith(("function:", "expression:", "operator:")) else what
        return "unsupported", what
    if rc != 0:
        return "error", err.strip()[-800:]
    rows = []
    for line in out.split("\n"):
        if line.strip():
            rows.append(json.loads(line)["row"])
    return "ok", rows


def stream_rows(events: list, ts_field: str, source_name: str, source: dict, key: str,
                schema: dict[str, str], consts: dict, time_col: str) -> list[dict]:
    """The table rows of a stream: as the single-event check builds them, plus the table's
    time column set from the source's timestamp field as the evaluator reads it (ms
    precision; left null when the evaluator ignores the event for lack of a valid time)."""
    if schema.get(time_col) not in ("datetime", "date"):
        raise Unrepresentable(f"time column {time_col} is not a datetime column of the schema")
    rows = []
    for i, e in enumerate(events, start=1):
        try:
            row = event_to_row(e, source_name, source, key, schema, consts)
        except Unrepresentable as ex:
            raise Unrepresentable(f"event {i}: {ex}")
        v, found = lookup(e, ts_field)
        ms = eval_time_ms(v) if found else None
        if ms is None:
            if row.get(time_col) is not None:
                raise Unrepresentable(f"event {i}: {time_col} holds {row[time_col]!r} from a field mapping, "
                                      f"but the evaluator reads no time from {ts_field}={v!r}")
        else:
            try:
                iso = ms_to_iso(ms)
            except (OverflowError, ValueError):
                raise Unrepresentable(f"event {i}: time {v!r} out of range")
            if row.get(time_col) is not None and instant_us(row[time_col]) != ms * 1000:
                raise Unrepresentable(f"event {i}: {time_col} is set to {row[time_col]!r} by a field mapping "
                                      f"and to {iso} by the timestamp field {ts_field}")
            row[time_col] = iso
        rows.append(row)
    return rows


def ascii_lower(s):
    """SQLite's lower() (the backend's group key): ASCII letters only."""
    if not isinstance(s, str):
        return s
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def sqlite_time_ms(values: list) -> list:
    """How the SQLite backend reads each timestamp value (its julianday() expression, in
    ms), for values stored as sigma_sqlite.py stores them."""
    import sqlite3
    con = sqlite3.connect(":memory:")
    out = []
    for v in values:
        sv = sqlite_stored_value(v)
        r = con.execute("SELECT ROUND((julianday(?) - 2440587.5) * 86400000)", (sv,)).fetchone()[0]
        out.append(None if r is None else int(r))
    con.close()
    return out


def sqlite_stored_value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def stage_duration(rule: str) -> int | None:
    """Seconds of a rule's `threshold ... window D` or `sequence ... within D`, read from its
    .trip file (strings and comments blanked); None when not found."""
    if rule not in RULE_SPANS:
        return None
    f, a, b = RULE_SPANS[rule]
    text = "\n".join(blank_strings_and_comments(f.read_text(encoding="utf-8")).split("\n")[a - 1:b])
    m = (re.search(r"(?s)\bthreshold\b.*?\bwindow\s+((?:[0-9]+[dhms])+)\b", text)
         or re.search(r"(?s)\bsequence\b.*?\bwithin\s+((?:[0-9]+[dhms])+)\b", text))
    if not m:
        return None
    unit = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
    return sum(int(n) * unit[u] for n, u in re.findall(r"([0-9]+)([dhms])", m.group(1)))


def sigma_correlation(yml_text: str):
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    coll = SigmaCollection.from_yaml(yml_text)
    return [r for r in coll.rules if isinstance(r, SigmaCorrelationRule)]


def fmt_alerts(alerts: list) -> str:
    return json.dumps(alerts, ensure_ascii=False, sort_keys=True)


def check_stateful(ctx) -> Check:
    ch = Check("stateful")
    export = ctx.work / "cases"
    streams: dict[str, list] = {}
    for p in sorted(export.glob("*.streams.json")):
        streams[p.name[: -len(".streams.json")]] = json.loads(p.read_text(encoding="utf-8"))
    for r in sorted(set(ctx.stages) - set(streams)):
        ch.fail(f"{r}: has a `{ctx.stages[r]}` stage but `tripline test --export` wrote no {r}.streams.json")
    for r in sorted(set(streams) - set(ctx.stages)):
        ch.fail(f"{r}: {r}.streams.json was exported but no stage was found in its source")
    rules = sorted(streams)
    kinds: dict[str, int] = {}
    n_cases = 0
    s_dir = ctx.work / "stateful"
    s_dir.mkdir(exist_ok=True)
    for r in rules:
        kinds[ctx.stages.get(r, "?")] = kinds.get(ctx.stages.get(r, "?"), 0) + 1
        n_cases += len(streams[r])
        if not streams[r]:
            ch.detail(f"no stream cases: {r} (`{ctx.stages.get(r, '?')}`) has no `expect alerts` test")
        for c in streams[r]:
            if not alerts_match(c.get("expected") or [], c.get("evaluator") or []):
                ch.detail(f"note: {r} / {c['name']}: the evaluator's alerts do not satisfy the expected ones "
                          f"(tripline test reports it): expected {fmt_alerts(c.get('expected'))}, "
                          f"evaluator {fmt_alerts(c.get('evaluator'))}")

    # ---- (a) KQL (Sentinel) on duckdb-kql -------------------------------------------------
    comp = ctx.compiled["kql-sentinel"]
    key = "kql.sentinel"
    k = {"cases": 0, "compared": 0, "disagree": 0, "not_repr": 0, "refused": 0}
    k_unsup: dict[str, int] = {}
    k_rewritten: dict[str, set] = {}
    for r in rules:
        cases = streams[r]
        if r not in comp.files:
            k["refused"] += len(cases)
            ch.detail(f"kql: refused by the compiler: {r} ({len(cases)} cases)")
            continue
        k["cases"] += len(cases)
        if not cases:
            continue
        source_name = ctx.sources.get(r)
        source = ctx.catalog["sources"].get(source_name or "")
        if source is None:
            ch.fail(f"kql: {r}: cannot find its source ({source_name}) in the catalog")
            continue
        tsrc = source.get("targets", {}).get(key, {})
        table, time_col = tsrc.get("table"), tsrc.get("timestamp")
        if table not in ctx.kql_schemas:
            ch.fail(f"kql: {r}: table {table} has no schema in schemas/kql.json")
            continue
        if not time_col:
            ch.fail(f"kql: {r}: the catalog gives no time column for {source_name} on {key}")
            continue
        schema_text = ctx.kql_schemas[table]
        schema = parse_kql_schema(schema_text)
        consts, problem = row_constants(source_name, tsrc, key)
        if problem:
            k_unsup[f"row filter of {source_name}"] = k_unsup.get(f"row filter of {source_name}", 0) + len(cases)
            ch.detail(f"kql: unsupported: {r}: {problem}; {len(cases)} cases not run")
            continue
        query = comp.files[r].read_text(encoding="utf-8")
        for i, c in enumerate(cases):
            label = f"{r} / {c['name']}"
            try:
                q2, done = rewrite_stateful_for_duckdb(query, c["now"])
            except Unsupported as e:
                k_unsup[str(e)] = k_unsup.get(str(e), 0) + 1
                ch.detail(f"kql: unsupported by duckdb-kql: {label}: {e} (no exact rewrite)")
                continue
            for d in done:
                k_rewritten.setdefault(d, set()).add(r)
            try:
                rows = stream_rows(c["events"], c["timestamp_field"], source_name, source, key, schema,
                                   consts, time_col)
            except Unrepresentable as e:
                k["not_repr"] += 1
                ch.detail(f"kql: not representable in {table}: {label}: {e}")
                continue
            rows_path = s_dir / f"{r}.{i}.kql-rows.jsonl"
            write_jsonl(rows_path, rows)
            (s_dir / f"{r}.{i}.kql").write_text(q2, encoding="utf-8")
            st, val = run_duckdb_rows(ctx, q2, table, rows_path, schema_text)
            if st == "unsupported":
                k_unsup[val] = k_unsup.get(val, 0) + 1
                ch.detail(f"kql: unsupported by duckdb-kql: {label}: {val}")
                continue
            if st == "error":
                ch.fail(f"kql: {label}: duckdb-kql error: {val}\n    query (rewritten for execution): {q2}")
                continue
            k["compared"] += 1
            ev_alerts = c.get("evaluator") or []
            if sorted(map(norm_alert, ev_alerts)) != sorted(map(norm_alert, val)):
                k["disagree"] += 1
                ch.fail(f"disagreement (kql-sentinel on duckdb-kql): rule {r}, case {c['name']!r} (now {c['now']}):"
                        f"\n    evaluator: {fmt_alerts(ev_alerts)}\n    duckdb-kql: {fmt_alerts(val)}"
                        f"\n    query (rewritten for execution): {' '.join(q2.split())}")
            else:
                vnote(f"  kql: {label}: {len(val)} alerts agree")

    # ---- (b) Sigma correlations on pySigma's SQLite backend --------------------------------
    scomp = ctx.compiled["sigma"]
    s = {"cases": 0, "compared": 0, "disagree": 0, "aligned": 0, "refused": 0}
    s_nc: dict[str, int] = {}
    s_types: dict[str, int] = {}
    refused_codes: dict[str, set] = {}
    for r in rules:
        cases = streams[r]
        if r not in scomp.files:
            s["refused"] += len(cases)
            codes = sorted({d.get("code") for d in scomp.diagnostics if scomp.rule_of(d) == r})
            refused_codes[r] = set(codes)
            ch.detail(f"sigma: refused by the compiler: {r} (`{ctx.stages.get(r, '?')}`; "
                      f"{', '.join(codes) or 'no diagnostic attributed'}); {len(cases)} cases not run")
            if not codes:
                ch.fail(f"sigma: {r}: no Sigma output and no coded diagnostic attributed to it")
            continue
        s["cases"] += len(cases)
        yml = scomp.files[r].read_text(encoding="utf-8")
        try:
            corrs = sigma_correlation(yml)
            info = sigma_constructs(yml)
        except Exception as e:  # the load check reports it
            ch.fail(f"sigma: {r}: pySigma cannot load the emitted rule: {e}")
            continue
        if len(corrs) != 1:
            ch.fail(f"sigma: {r}: expected one correlation rule in the emitted Sigma, found {len(corrs)}")
            continue
        corr = corrs[0]
        ctype = corr.type.name.lower()
        s_types[ctype] = s_types.get(ctype, 0) + 1
        group = list(corr.group_by or [])
        window_s = stage_duration(r)
        if window_s is None:
            window_s = int(corr.timespan.seconds)
            ch.detail(f"sigma: {r}: could not read the stage's window from the rule; using the "
                      f"correlation's timespan {corr.timespan.spec}")
        elif int(corr.timespan.seconds) != window_s:
            ch.fail(f"sigma: {r}: the correlation's timespan {corr.timespan.spec} ({corr.timespan.seconds} s) "
                    f"differs from the stage's {window_s} s")
        span_ms = window_s * 1000
        src_fields = ctx.catalog["sources"].get(ctx.sources.get(r, ""), {}).get("fields", {})
        ftypes = {f: (d.get("type") if isinstance(d, dict) else d) for f, d in src_fields.items()}
        for i, c in enumerate(cases):
            label = f"{r} / {c['name']}"
            events = c["events"]
            ts_field = c["timestamp_field"]
            # per-event constructs SQLite judges differently (as in sigma-sqlite), and the
            # timestamp as SQLite's julianday() reads it
            why = None
            spelling: dict[str, str] = {}
            for j, e in enumerate(events, start=1):
                fe = flatten(e)
                w, d = sqlite_event_problem(info, e, fe, ftypes, spelling)
                if w:
                    why = f"event {j}: {w}" + (f" ({d})" if d else "")
                    break
                for kk in fe:
                    spelling.setdefault(kk.lower(), kk)
            if why is None:
                tvals = [flatten(e).get(ts_field) for e in events]
                for j, (v, sq) in enumerate(zip(tvals, sqlite_time_ms(tvals)), start=1):
                    if sq != eval_time_ms(v):
                        why = f"event {j}: SQLite's julianday() reads the time {v!r} differently from the evaluator"
                        break
            if why:
                kind = why.split(": ", 1)[1].split(" (")[0]
                s_nc[kind] = s_nc.get(kind, 0) + 1
                ch.detail(f"sigma: not comparable: {label}: {why}")
                continue
            ev_path = s_dir / f"{r}.{i}.sigma-events.jsonl"
            write_jsonl(ev_path, events)
            rc, out, err = call_main(ctx.sqlite_mod, [str(scomp.files[r]), str(ev_path), "--unicode-nocase",
                                                      "--timestamp-field", ts_field])
            if rc == 3:
                s_nc["refused by the SQLite backend"] = s_nc.get("refused by the SQLite backend", 0) + 1
                ch.detail(f"sigma: not comparable: {label}: the SQLite backend refuses it: {err.strip()[-300:]}")
                continue
            if rc != 0:
                ch.fail(f"sigma: {label}: sigma_sqlite.py exited {rc}: {err.strip()[-500:]}")
                continue
            sq_alerts = [a for a in (json.loads(l) for l in out.split("\n") if l.strip()) if a.get("correlation")]
            ev_alerts = c.get("evaluator") or []

            def kt(d: dict) -> tuple:
                return tuple(ascii_lower(key_text(d.get(f))) for f in group)

            ev_keys = {kt(a) for a in ev_alerts}
            sq_keys: dict[tuple, list] = {}
            for a in sq_alerts:
                sq_keys.setdefault(kt(a.get("group_keys") or {}), []).append(a)
            s["compared"] += 1
            missing = sorted(ev_keys - set(sq_keys), key=str)
            extra = sorted(set(sq_keys) - ev_keys, key=str)
            aligned, other = [], []
            threshold = ctype in ("event_count", "value_count")
            for kx in extra:
                straddles = []
                for a in sq_keys[kx]:
                    ts = [eval_time_ms(lookup(events[n - 1], ts_field)[0]) for n in a.get("lines", [])
                          if 1 <= n <= len(events)]
                    ts = [t for t in ts if t is not None]
                    straddles.append(bool(ts) and len({t // span_ms for t in ts}) > 1
                                     and max(ts) - min(ts) <= span_ms)
                (aligned if threshold and straddles and all(straddles) else other).append(kx)
            if aligned:
                s["aligned"] += 1
                ch.detail(f"sigma: window alignment (documented): {label}: SQLite's sliding {corr.timespan.spec} frame "
                          f"alerts for {', '.join(map(str, aligned))} on events that straddle a fixed "
                          f"epoch-aligned window boundary (evaluator: no alert for that key)")
            if missing or other:
                s["disagree"] += 1
                msg = [f"disagreement (sigma {ctype} on SQLite): rule {r}, case {c['name']!r}:"]
                if missing:
                    msg.append(f"keys alerting in the evaluator only: {missing}")
                if other:
                    msg.append(f"keys alerting in SQLite only (not explained by window alignment): {other}")
                # SQLite's group keys are lower() of the value and value_count counts
                # COLLATE NOCASE; the language compares exact text: say so when it matters
                folded = []
                vfield = getattr(corr.condition, "fieldref", None)
                for f in group + ([vfield] if isinstance(vfield, str) else []):
                    vals = {key_text(lookup(e, f)[0]) for e in events} - {None, ""}
                    if len({ascii_lower(v) for v in vals}) < len(vals):
                        folded.append(f)
                if folded:
                    msg.append(f"(values of {', '.join(folded)} differ only in letter case: the SQLite backend "
                               f"groups and counts them case-insensitively, the language as exact text)")
                ch.fail(" ".join(msg) + f"\n    evaluator: {fmt_alerts(ev_alerts)}"
                        f"\n    sigma-sqlite: {fmt_alerts([{'group_keys': a.get('group_keys'), 'lines': a.get('lines')} for a in sq_alerts])}")
            else:
                vnote(f"  sigma: {label}: alerting keys agree ({len(ev_keys)})")

    # ---- (c) SPL ----------------------------------------------------------------------------
    spl_emitted = sum(len(streams[r]) for r in rules if r in ctx.compiled["spl"].files)

    n_k_unsup = sum(k_unsup.values())
    n_s_nc = sum(s_nc.values())
    parts = [f"{len(rules)} rules ({', '.join(f'{kk} {v}' for kk, v in sorted(kinds.items()))}), {n_cases} stream cases"]
    kp = (f"kql-sentinel on duckdb-kql: {k['cases']} cases, {k['compared']} compared, {k['disagree']} disagreements, "
          f"{n_k_unsup} unsupported" + (f" ({'; '.join(f'{kk}: {v}' for kk, v in sorted(k_unsup.items()))})" if k_unsup else ""))
    if k["not_repr"]:
        kp += f", {k['not_repr']} not representable"
    if k["refused"]:
        kp += f", {k['refused']} cases of rules refused by the compiler"
    if k_rewritten:
        kp += (" [rewritten for execution only: "
               + "; ".join(f"{kk} in {len(v)} rules" for kk, v in sorted(k_rewritten.items())) + "]")
    sp = (f"sigma correlations on SQLite: {s['cases']} cases (rules: {', '.join(f'{kk} {v}' for kk, v in sorted(s_types.items()))}), "
          f"{s['compared']} compared, {s['disagree']} disagreements, {s['aligned']} window alignment (documented), "
          f"{n_s_nc} not comparable" + (f" ({'; '.join(f'{kk}: {v}' for kk, v in sorted(s_nc.items()))})" if s_nc else ""))
    if s["refused"]:
        sp += (f", {s['refused']} cases refused by the compiler ("
               + "; ".join(f"{rr}: {', '.join(sorted(cs)) or '?'}" for rr, cs in sorted(refused_codes.items())) + ")")
    parts += [kp, sp, f"spl: {spl_emitted} cases not executed (no SPL engine offline)"]
    ch.summary = "; ".join(parts)
    return ch


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


class Ctx:
    pass


def main(argv: list[str]) -> int:
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", type=Path, default=REPO / "rules")
    ap.add_argument("--catalog", type=Path, default=None,
                    help="a user catalog laid over the built-in one (default: the built-in catalog)")
    ap.add_argument("--bin", type=Path, default=REPO / "target" / "release" / "tripline")
    ap.add_argument("--work", type=Path, help="keep intermediate files here (default: a temp dir)")
    ap.add_argument("--escaping-values", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--only", default="", help="comma-separated check names to run (default: all)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    VERBOSE = args.verbose
    t0 = time.monotonic()

    ctx = Ctx()
    ctx.args = args
    ctx.py = sys.executable
    tmp = None
    if args.work:
        ctx.work = args.work.resolve()
        ctx.work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tripline-conformance-")
        ctx.work = Path(tmp.name)
    ctx.tl = Tripline(args.bin.resolve(), args.rules.resolve(),
                      args.catalog.resolve() if args.catalog else None)
    ctx.catalog = ctx.tl.catalog_view()
    ctx.kql_schemas = json.loads((HERE / "schemas" / "kql.json").read_text(encoding="utf-8"))
    ctx.duckdb_mod = load_script("tripline_conf_duckdb_kql", HERE / "duckdb_kql.py")
    ctx.sqlite_mod = load_script("tripline_conf_sigma_sqlite", HERE / "sigma_sqlite.py")

    note(f"conformance: rules {args.rules}, catalog {args.catalog}, binary {args.bin}")
    # Test cases: export, then the evaluator's actual verdicts with `tripline hunt`.
    export = ctx.work / "cases"
    p = ctx.tl.run("test", "--export", str(export))
    last = (p.stdout.strip().split("\n") or [""])[-1]
    note(f"conformance: tripline test: {last}" + (f" (exit {p.returncode})" if p.returncode else ""))
    if not export.is_dir():
        note("conformance: tripline test --export wrote nothing:\n" + p.stdout[-2000:] + p.stderr[-2000:])
        note("0 passed, 1 failed")
        return 1
    ctx.rules = sorted(f.stem for f in export.glob("*.jsonl"))
    ctx.sources, ctx.stages = rule_sources(args.rules)
    all_events, owner = [], []
    ctx.cases = {}
    for r in ctx.rules:
        evs = read_jsonl(export / f"{r}.jsonl")
        ctx.cases[r] = []
        for e in evs:
            ctx.cases[r].append({"name": e.get("_case", "?"), "expect": e.get("_expect"),
                                 "recognized": e.get("_recognized"),
                                 "event": {k: v for k, v in e.items() if not k.startswith("_")}})
            all_events.append(e)
            owner.append((r, len(ctx.cases[r]) - 1))
    allp = ctx.work / "all-cases.jsonl"
    write_jsonl(allp, all_events)
    hits = set()
    if all_events:
        p = subprocess.run([str(ctx.tl.binary), "hunt", str(ctx.tl.rules), *ctx.tl.catalog_args(),
                            "--events", str(allp)], capture_output=True, text=True)
        if p.returncode not in (0, 1):
            note(f"conformance: tripline hunt exited {p.returncode}: {p.stderr[-1000:]}")
            note("0 passed, 1 failed")
            return 1
        for line in p.stdout.split("\n"):
            if not line.strip():
                continue
            d = json.loads(line)
            if "line" not in d:  # an alert of a stateful rule
                continue
            r, i = owner[d["line"] - 1]
            if d["rule"] == r:
                hits.add((r, i))
    n_cases = len(all_events)
    mismatch = 0
    for r in ctx.rules:
        for i, c in enumerate(ctx.cases[r]):
            if r in ctx.stages:
                # `hunt` reports a stateful rule's alerts, not its per-event verdicts: such
                # cases are never compared (see the checks), so no actual verdict is needed.
                c["actual"] = None
                continue
            c["actual"] = (r, i) in hits
            if c["expect"] is not None and c["actual"] != c["expect"]:
                mismatch += 1
                note(f"  note: evaluator verdict differs from _expect: {r} / {c['name']} (tripline test reports it)")
    note(f"conformance: {len(ctx.rules)} rules, {n_cases} test events, "
         f"{sum(1 for r in ctx.rules if not ctx.cases[r])} rules without test cases")

    ctx.compiled = {
        "sigma": ctx.tl.compile("sigma", ctx.work / "sigma"),
        "kql-sentinel": ctx.tl.compile("kql", ctx.work / "kql-sentinel", flavor="sentinel"),
        "kql-defender": ctx.tl.compile("kql", ctx.work / "kql-defender", flavor="defender"),
        "spl": ctx.tl.compile("spl", ctx.work / "spl"),
        "duckdb": ctx.tl.compile("duckdb", ctx.work / "duckdb-sql"),
        "spark": ctx.tl.compile("spark", ctx.work / "spark-sql"),
    }
    checks = []
    corpus = load_script("tripline_conf_corpus", HERE / "corpus.py")

    def check_corpus(ctx):
        return corpus.check(ctx, sys.modules[__name__])

    lake = load_script("tripline_conf_lake", HERE / "lake.py")

    def check_duckdb(ctx):
        return lake.check(ctx, sys.modules[__name__], "duckdb")

    def check_spark(ctx):
        return lake.check(ctx, sys.modules[__name__], "spark")

    def check_duckdb_escaping(ctx):
        return lake.check_escaping(ctx, sys.modules[__name__], "duckdb")

    def check_spark_escaping(ctx):
        return lake.check_escaping(ctx, sys.modules[__name__], "spark")

    def check_duckdb_regex(ctx):
        return lake.check_regex(ctx, sys.modules[__name__], "duckdb")

    def check_spark_regex(ctx):
        return lake.check_regex(ctx, sys.modules[__name__], "spark")

    sarif = load_script("tripline_conf_sarif", HERE / "sarif.py")

    def check_sarif(ctx):
        return sarif.check(ctx, sys.modules[__name__])

    for fn in (check_sigma_load, check_kusto_analyse, check_catalog_kql, check_recognition, check_duckdb_kql, check_sigma_sqlite,
               check_spl_structure, check_escaping, check_stateful, check_duckdb, check_spark, check_duckdb_escaping, check_spark_escaping, check_duckdb_regex, check_spark_regex, check_tmgrammar, check_sarif, check_regression, check_corpus):
        name = fn.__name__.replace("check_", "").replace("_", "-")
        if args.only and name not in args.only.split(","):
            continue
        t = time.monotonic()
        try:
            ch = fn(ctx)
        except Exception as e:  # a bug in the driver must not pass silently
            import traceback
            ch = Check(fn.__name__.replace("check_", "").replace("_", "-"))
            ch.fail(f"driver error: {type(e).__name__}: {e}\n{traceback.format_exc()}")
            ch.summary = "driver error"
        vnote(f"  ({ch.name}: {time.monotonic() - t:.1f} s)")
        ch.report()
        checks.append(ch)
    failed = sum(1 for c in checks if c.failed)
    skipped = [c.name for c in checks if c.skipped]
    note(f"conformance: done in {time.monotonic() - t0:.1f} s" + (f", work files in {ctx.work}" if args.work else ""))
    note(f"{len(checks) - failed - len(skipped)} passed, {failed} failed"
         + (f" ({len(skipped)} skipped: {', '.join(skipped)})" if skipped else ""))
    if tmp:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
