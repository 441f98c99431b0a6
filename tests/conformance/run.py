#!/usr/bin/env python3
"""tripline conformance run: check tripline's output with other people's engines.

Usage (normally through tests/conformance/run, which installs the engines and builds
the release binary first):

    .deps/venv/bin/python tests/conformance/run.py [--rules DIR] [--catalog FILE]
        [--bin PATH] [--work DIR] [--escaping-values N] [--seed N] [-v]

For every rule in the rules directory and every test event kept with the rules it runs
six engine checks and prints ONE summary line per check:

  conformance sigma-load:     emitted Sigma loads in pySigma with zero errors
  conformance kusto-analyse:  both KQL flavours pass Microsoft's analyser with zero errors
  conformance duckdb-kql:     Sentinel KQL run in duckdb-kql agrees with the evaluator
  conformance sigma-sqlite:   Sigma run in pySigma's SQLite backend agrees with the evaluator
  conformance spl-structure:  every SPL search passes an independent structural checker
  conformance escaping:       adversarial strings round-trip through KQL, Sigma and SPL

then `N passed, N failed` (one count per check) and exits 1 when a check failed.
Details (each disagreement, each unsupported or not comparable construct) are printed
above the check's summary line. See README.md for what each check does and does not prove.
"""

from __future__ import annotations

import argparse
import contextlib
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
    def __init__(self, binary: Path, rules: Path, catalog: Path):
        self.binary = binary
        self.rules = rules
        self.catalog = catalog

    def run(self, *args: str, paths: list[Path] | None = None) -> subprocess.CompletedProcess:
        paths = paths if paths is not None else [self.rules]
        cmd = [str(self.binary), args[0], *map(str, paths), "--catalog", str(self.catalog), *args[1:]]
        return subprocess.run(cmd, capture_output=True, text=True)

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


def row_constants(source_name: str, tsrc: dict, key: str) -> tuple[dict, str | None]:
    """Columns a row must hold so that the catalog's `filter` and the `iff(<gate>, ...)`
    guards of its field expressions select it. Returns (constants, problem)."""
    conds = []
    if tsrc.get("filter"):
        conds.append(tsrc["filter"])
    for m in (tsrc.get("fields") or {}).values():
        if isinstance(m, dict) and m.get("expr") and not m.get("unavailable"):
            expr = m["expr"].strip()
            if expr.startswith("iff("):
                calls = find_calls(expr, "iff")
                if calls and calls[0][0] == 0 and len(calls[0][2]) == 3:
                    conds.append(calls[0][2][0])
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
    inp = ctx.work / "kusto-analyse.json"
    inp.write_text(json.dumps({"database": "db", "schemas": ctx.kql_schemas, "queries": queries}), encoding="utf-8")
    p = subprocess.run([NODE, str(HERE / "kusto" / "analyse.js"), str(inp)], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        ch.fail(f"analyse.js exited {p.returncode}: {p.stderr.strip()[-500:]}")
    errors = warnings = 0
    seen = 0
    for line in p.stdout.split("\n"):
        if not line.strip():
            continue
        d = json.loads(line)
        seen += 1
        for e in d["errors"]:
            errors += 1
            q = next(x["query"] for x in queries if x["id"] == d["id"])
            frag = q[max(0, e["start"] - 30): e["start"] + e["length"] + 30].replace("\n", " ")
            ch.fail(f"{d['id']}: {e['code']} {e['message']} near `{frag}`")
        warnings += len(d["warnings"])
    if seen != len(queries):
        ch.fail(f"analyse.js answered {seen} of {len(queries)} queries")
    ref = "; ".join(f"{k}: {len(v)} rules refused by the compiler ({ctx.compiled['kql-' + k].refusals()})"
                    for k, v in refused.items() if v)
    for k, v in refused.items():
        if v:
            ch.detail(f"refused for KQL {k}: {', '.join(v)}")
    ch.summary = (f"{len(queries)} queries ({sum(1 for q in queries if q['id'].startswith('sentinel/'))} sentinel, "
                  f"{sum(1 for q in queries if q['id'].startswith('defender/'))} defender), {errors} errors, "
                  f"{warnings} warnings" + (f"; {ref}" if ref else ""))
    return ch


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


def check_duckdb(ctx) -> Check:
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
    from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
    from sigma.types import SigmaCIDRExpression, SigmaCompareExpression, SigmaExists

    coll = SigmaCollection.from_yaml(yml_text)
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
            why = None
            for f in sorted(info["fields"]):
                v = fe.get(f)
                if isinstance(v, list) and ftypes.get(f) != "json":
                    why = "array value in a non-json field (no multi-value matching)"
                elif f not in fe and isinstance(lookup(events[i], f)[0], dict):
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
# main
# --------------------------------------------------------------------------------------


class Ctx:
    pass


def main(argv: list[str]) -> int:
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", type=Path, default=REPO / "rules")
    ap.add_argument("--catalog", type=Path, default=REPO / "src" / "catalog" / "builtin.yml")
    ap.add_argument("--bin", type=Path, default=REPO / "target" / "release" / "tripline")
    ap.add_argument("--work", type=Path, help="keep intermediate files here (default: a temp dir)")
    ap.add_argument("--escaping-values", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261128)
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
    ctx.tl = Tripline(args.bin.resolve(), args.rules.resolve(), args.catalog.resolve())
    ctx.catalog = yaml.safe_load(args.catalog.read_text(encoding="utf-8"))
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
                                 "event": {k: v for k, v in e.items() if k not in ("_expect", "_case")}})
            all_events.append(e)
            owner.append((r, len(ctx.cases[r]) - 1))
    allp = ctx.work / "all-cases.jsonl"
    write_jsonl(allp, all_events)
    hits = set()
    if all_events:
        p = subprocess.run([str(ctx.tl.binary), "hunt", str(ctx.tl.rules), "--catalog", str(ctx.tl.catalog),
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
    }
    checks = []
    for fn in (check_sigma_load, check_kusto_analyse, check_duckdb, check_sigma_sqlite,
               check_spl_structure, check_escaping):
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
    note(f"conformance: done in {time.monotonic() - t0:.1f} s" + (f", work files in {ctx.work}" if args.work else ""))
    note(f"{len(checks) - failed} passed, {failed} failed")
    if tmp:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
