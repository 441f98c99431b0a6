#!/usr/bin/env python3
"""Run a Sigma rule over JSONL events with pySigma's SQLite backend.

Usage:
    .deps/venv/bin/python sigma_sqlite.py [options] RULE.yml EVENTS.jsonl

The rule file is converted with pySigma-backend-sqlite (default output format,
table `logs`, no processing pipeline: rule field names are used as-is). The
events are loaded into an in-memory SQLite table `logs`:

  * one row per non-blank JSONL line; a hidden INTEGER column `__line` holds the
    1-based line number of the event in the file (blank lines are skipped but
    still counted);
  * columns = union of the top-level keys; nested objects are flattened with
    dotted keys ({"a": {"b": 1}} -> column `a.b`); arrays are stored as JSON text
    (no multi-value matching);
  * JSON true/false are stored as 'true'/'false' (the backend matches both text
    and 1/0), JSON null and absent keys as NULL;
  * a column whose non-null values are all JSON numbers is declared NUMERIC, so
    `|gt`/`|lt` compare numerically and `EventID: '4624'` matches 4624; any
    other column is `TEXT COLLATE NOCASE` (Zircolite's layout: Sigma's plain
    equality is case-insensitive);
  * fields the rule names but no event has are added as NULL columns;
  * `regexp(pattern, value)` is registered with Python's `re` (false for NULL).

Output (stdout), for each matching event in line order:
    {"line": N}                        (plus "rule": <title> when the file has several rules)
For a correlation rule (the rules it refers to must be in the same file), one
line per alert: {"rule": <title>, "correlation": true, "group_keys": ..., "lines": [N, ...]}.
Summary on stderr. Exit status: 0 (matches or not), 2 on bad input, 3 when the
backend refuses the rule (e.g. keyword search, unsupported modifier).

Options:
    --show-sql            print the SQL on stderr
    --timestamp-field F   event time column for correlations (default: timestamp)
    --unicode-nocase      fold case with Python's str.lower() (Unicode simple lower-casing:
                          É = é, but ß != ss) instead of SQLite's ASCII-only NOCASE and
                          LIKE (overrides the NOCASE collation and like()); GLOB (|cased)
                          stays case-sensitive
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sqlite3
import sys
from pathlib import Path

TABLE = "logs"
LINE_COL = "__line"


def qident(name: str) -> str:
    """Quote an SQLite identifier the way the backend does (backticks)."""
    return "`" + name.replace("`", "``") + "`"


class InputError(Exception):
    pass


def flatten(obj: dict, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flatten(value, name + ".", out)
        else:
            if name in out:
                raise InputError(f"key {name!r} occurs twice after flattening")
            out[name] = value
    return out


def sql_value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)  # arrays, {} -> JSON text


def load_events(path: Path) -> tuple[list[tuple[int, dict]], dict[str, str]]:
    """Returns [(line, flat_event)], {column: declared type} (columns in first-seen order)."""
    events: list[tuple[int, dict]] = []
    numeric: dict[str, bool] = {}
    canon: dict[str, str] = {}  # lower-case name -> first spelling (SQLite names are case-insensitive)
    with path.open(encoding="utf-8") as fd:
        for lineno, line in enumerate(fd, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{lineno}: invalid JSON: {e}") from e
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{lineno}: not a JSON object")
            try:
                flat = flatten(obj)
            except InputError as e:
                raise InputError(f"{path}:{lineno}: {e}") from e
            for name, value in flat.items():
                if name.lower() == LINE_COL:
                    raise InputError(f"{path}:{lineno}: field name {LINE_COL!r} is reserved")
                first = canon.setdefault(name.lower(), name)
                if first != name:
                    raise InputError(
                        f"{path}:{lineno}: field {name!r} differs only in case from {first!r} "
                        "(SQLite column names are case-insensitive)"
                    )
                if value is None:
                    numeric.setdefault(name, True)
                else:
                    is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
                    numeric[name] = numeric.get(name, True) and is_num
            events.append((lineno, flat))
    types = {name: ("NUMERIC" if is_num else "TEXT COLLATE NOCASE") for name, is_num in numeric.items()}
    return events, types


def like_to_regex(pattern: str, escape: str | None) -> re.Pattern:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape is not None and c == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)


def setup_connection(unicode_nocase: bool) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")

    @functools.lru_cache(maxsize=4096)
    def compiled(pattern: str) -> re.Pattern:
        return re.compile(pattern)

    def regexp(pattern, value):
        if value is None or pattern is None:
            return False
        return compiled(pattern).search(str(value)) is not None

    con.create_function("regexp", 2, regexp, deterministic=True)

    if unicode_nocase:
        def nocase(a: str, b: str) -> int:
            fa, fb = a.lower(), b.lower()
            return (fa > fb) - (fa < fb)

        con.create_collation("NOCASE", nocase)

        @functools.lru_cache(maxsize=4096)
        def like_re(pattern: str, escape: str | None) -> re.Pattern:
            return like_to_regex(pattern.lower(), escape)

        def like(pattern, value, escape=None):
            if pattern is None or value is None:
                return None
            if not isinstance(value, str):
                value = str(value) if not isinstance(value, float) else repr(value)
            return like_re(str(pattern), escape).fullmatch(value.lower()) is not None

        con.create_function("like", 2, like, deterministic=True)
        con.create_function("like", 3, like, deterministic=True)
    return con


def create_table(con: sqlite3.Connection, types: dict[str, str], extra: list[str]) -> list[str]:
    cols = list(types)
    lowered = {c.lower() for c in cols}
    for f in extra:
        if f.lower() not in lowered and f.lower() != "rowid":
            types[f] = "TEXT COLLATE NOCASE"
            cols.append(f)
            lowered.add(f.lower())
    defs = [f"{qident(LINE_COL)} INTEGER PRIMARY KEY"] + [f"{qident(c)} {types[c]}" for c in cols]
    con.execute(f"CREATE TABLE {TABLE} ({', '.join(defs)})")
    return cols


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rule")
    ap.add_argument("events")
    ap.add_argument("--show-sql", action="store_true")
    ap.add_argument("--timestamp-field", default="timestamp")
    ap.add_argument("--unicode-nocase", action="store_true")
    args = ap.parse_args(argv)

    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.exceptions import SigmaError, SigmaFeatureNotSupportedByBackendError
    from sigma.rule import SigmaRule

    try:
        collection = SigmaCollection.from_yaml(Path(args.rule).read_text(encoding="utf-8"))
    except (OSError, SigmaError, Exception) as e:  # YAML errors are not SigmaErrors
        print(f"sigma-sqlite: cannot load rule {args.rule}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    try:
        events, types = load_events(Path(args.events))
    except (OSError, InputError) as e:
        print(f"sigma-sqlite: {e}", file=sys.stderr)
        return 2

    backend = sqliteBackend(
        table=TABLE, event_id_field=LINE_COL, timestamp_field=args.timestamp_field
    )
    output_rules = [r for r in collection.rules if r._output]
    if not output_rules:
        print("sigma-sqlite: no rule to run in the file", file=sys.stderr)
        return 2

    queries: list[tuple[object, str]] = []
    required: set[str] = set()
    try:
        for rule in collection.rules:  # referenced rules first (collection order)
            if isinstance(rule, SigmaRule):
                required.update(backend.required_fields(rule))
        # Convert every rule in collection order (referenced rules come first): a
        # correlation needs the conversion state of the rules it refers to.
        for rule in collection.rules:
            if isinstance(rule, SigmaCorrelationRule):
                converted = backend.convert_correlation_rule(rule)
            else:
                converted = backend.convert_rule(rule)
            if backend.errors:
                raise backend.errors[0][1]
            if rule._output:
                queries.extend((rule, q) for q in converted)
    except (SigmaFeatureNotSupportedByBackendError, SigmaError) as e:
        print(f"sigma-sqlite: backend refused the rule: {type(e).__name__}: {e}", file=sys.stderr)
        return 3
    if any(isinstance(r, SigmaCorrelationRule) for r, _ in queries):
        required.add(args.timestamp_field)

    con = setup_connection(args.unicode_nocase)
    cols = create_table(con, types, sorted(required))
    placeholders = ", ".join("?" for _ in range(len(cols) + 1))
    col_sql = ", ".join([qident(LINE_COL)] + [qident(c) for c in cols])
    con.executemany(
        f"INSERT INTO {TABLE} ({col_sql}) VALUES ({placeholders})",
        ([line] + [sql_value(ev.get(c)) for c in cols] for line, ev in events),
    )

    several = len(queries) > 1
    n_match = 0
    for rule, q in queries:
        title = rule.title
        if args.show_sql:
            print(f"sigma-sqlite: SQL for {title!r}: {q}", file=sys.stderr)
        try:
            if isinstance(rule, SigmaCorrelationRule):
                cur = con.execute(q)
                names = [d[0] for d in cur.description]
                for row in cur:
                    alert = dict(zip(names, row))
                    ids = json.loads(alert.get("event_ids") or "[]")
                    lines = sorted(int(str(i).split(":", 1)[1]) for i in ids)
                    gk = alert.get("group_keys")
                    rec = {"rule": title, "correlation": True,
                           "group_keys": json.loads(gk) if isinstance(gk, str) else gk,
                           "lines": lines}
                    print(json.dumps(rec, ensure_ascii=False, sort_keys=True))
                    n_match += 1
            else:
                cur = con.execute(f"SELECT q.{qident(LINE_COL)} FROM ({q}) AS q ORDER BY 1")
                for (line,) in cur:
                    rec = {"line": line}
                    if several:
                        rec["rule"] = title
                    print(json.dumps(rec, ensure_ascii=False))
                    n_match += 1
        except sqlite3.Error as e:
            print(f"sigma-sqlite: SQLite error for {title!r}: {e}\n  SQL: {q}", file=sys.stderr)
            return 2

    print(
        f"sigma-sqlite: {len(events)} events, {len(queries)} queries, {n_match} matches "
        f"(SQLite {sqlite3.sqlite_version})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
