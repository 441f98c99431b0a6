#!/usr/bin/env python3
"""Run a KQL query on JSONL rows with duckdb-kql (KQL -> DuckDB SQL, executed in DuckDB).

Usage:
    .deps/venv/bin/python duckdb_kql.py [options] QUERY TABLE ROWS.jsonl
    (QUERY may be @file to read the query text from a file)

ROWS.jsonl holds one JSON object per line, keys = the table's column names
(blank lines are skipped but still counted). The rows are loaded into an
in-memory DuckDB table TABLE with an extra hidden BIGINT column `__line` = the
1-based line number of the row in the file.

Column types:
  --schema "(Col:type, ...)"   KQL types, as for kusto/analyse.js (string, long, int,
                               real/double, bool/boolean, datetime/date, dynamic, guid/uuid,
                               timespan/time, decimal). Columns of the schema missing from a
                               row are empty ("" for string, as Kusto ingests a missing
                               string; NULL otherwise); keys not in the schema are an error.
  --schemas-json FILE          the same, read from {"schemas": {"TABLE": "(...)"}} (the
                               analyse.js input format).
  (neither)                    inferred per column from the JSON values: all strings ->
                               string, all booleans -> bool, all integers -> long, numbers ->
                               real, anything else (objects, arrays, mixed) -> dynamic. ISO
                               date strings stay strings: pass a schema for datetime columns.

Output (stdout):
  * if the query's result still has the `__line` column (e.g. `T | where ...`): one
    {"line": N} per result row, in ascending line order;
  * otherwise (project, summarize, ...) or with --rows: one {"row": {...}} per result
    row (plus "line" when available), rows sorted by their JSON text unless --ordered.
Summary on stderr. Exit status: 0 success, 2 bad input / KQL syntax or schema
error / DuckDB error, 3 the query uses KQL that duckdb-kql does not support.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import re
import sys
import uuid
from pathlib import Path

# This file is named like the package it drives: drop its own folder from the
# import path so that `import duckdb_kql` finds the installed package, not this script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

LINE_COL = "__line"

KQL_TO_DUCKDB = {
    "string": "VARCHAR",
    "long": "BIGINT",
    "int": "INTEGER",
    "real": "DOUBLE",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "boolean": "BOOLEAN",
    "datetime": "TIMESTAMP",
    "date": "TIMESTAMP",
    "dynamic": "JSON",
    "guid": "UUID",
    "uuid": "UUID",
    "timespan": "INTERVAL",
    "time": "INTERVAL",
    "decimal": "DECIMAL(38,9)",
}


class InputError(Exception):
    pass


def parse_schema(text: str) -> dict[str, str]:
    """'(A:string, ['b c']:long)' -> {'A': 'string', 'b c': 'long'} (order kept)."""
    body = text.strip()
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    cols: dict[str, str] = {}
    # name: bare identifier, ['quoted'] or ["quoted"]
    item = re.compile(
        r"\s*(?:\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]|([A-Za-z_$][\w$]*))"
        r"\s*:\s*([A-Za-z]+)\s*(?:,|$)"
    )
    pos = 0
    while pos < len(body):
        if not body[pos:].strip():
            break
        m = item.match(body, pos)
        if not m:
            raise InputError(f"cannot parse schema near {body[pos:pos + 30]!r}")
        name = m.group(1) or m.group(2) or m.group(3)
        kind = m.group(4).lower()
        if kind not in KQL_TO_DUCKDB:
            raise InputError(f"unknown KQL type {kind!r} for column {name!r}")
        if name.lower() in (c.lower() for c in cols):
            raise InputError(f"column {name!r} declared twice (DuckDB names are case-insensitive)")
        cols[name] = kind
        pos = m.end()
    if not cols:
        raise InputError("empty schema")
    return cols


def infer_schema(rows: list[tuple[int, dict]]) -> dict[str, str]:
    kinds: dict[str, set[str]] = {}
    for _, row in rows:
        for k, v in row.items():
            s = kinds.setdefault(k, set())
            if v is None:
                continue
            if isinstance(v, bool):
                s.add("bool")
            elif isinstance(v, int):
                s.add("long")
            elif isinstance(v, float):
                s.add("real")
            elif isinstance(v, str):
                s.add("string")
            else:
                s.add("dynamic")
    out: dict[str, str] = {}
    for k, s in kinds.items():
        if s <= {"long"}:
            out[k] = "long" if s else "string"
        elif s <= {"long", "real"}:
            out[k] = "real"
        elif len(s) == 1:
            out[k] = next(iter(s))
        else:
            out[k] = "dynamic"
    return out


def to_utc_naive(value: str) -> dt.datetime:
    d = dt.datetime.fromisoformat(value.strip())
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d


def convert(value, kind: str, where: str):
    """JSON value -> Python value for a DuckDB column of KQL type *kind*."""
    if kind == "string":
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if value is None:
        return None
    try:
        if kind == "dynamic":
            return json.dumps(value, ensure_ascii=False)
        if kind in ("long", "int"):
            if isinstance(value, bool):
                raise ValueError("boolean")
            if isinstance(value, float) and not value.is_integer():
                raise ValueError("not an integer")
            return int(value)
        if kind in ("real", "double"):
            if isinstance(value, bool):
                raise ValueError("boolean")
            return float(value)
        if kind in ("bool", "boolean"):
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise ValueError("not a boolean")
        if kind in ("datetime", "date"):
            if not isinstance(value, str):
                raise ValueError("datetime must be an ISO 8601 string")
            return to_utc_naive(value)
        if kind in ("guid", "uuid"):
            return str(uuid.UUID(str(value)))
        if kind in ("timespan", "time"):
            return str(value)  # cast by DuckDB (e.g. '01:00:00', '1 hour')
        if kind == "decimal":
            return str(decimal.Decimal(str(value)))
    except (ValueError, TypeError, decimal.InvalidOperation) as e:
        raise InputError(f"{where}: cannot convert {value!r} to {kind}: {e}") from e
    raise InputError(f"{where}: unsupported type {kind}")


def read_rows(path: Path) -> list[tuple[int, dict]]:
    rows = []
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
            if any(k.lower() == LINE_COL for k in obj):
                raise InputError(f"{path}:{lineno}: column name {LINE_COL!r} is reserved")
            rows.append((lineno, obj))
    return rows


def qident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def jsonable(v):
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, (uuid.UUID, decimal.Decimal)):
        return str(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return v


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("query", help="KQL text, or @FILE")
    ap.add_argument("table")
    ap.add_argument("rows")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--schema", help='KQL schema "(Col:type, ...)"')
    g.add_argument("--schemas-json", help='file with {"schemas": {"TABLE": "(...)"}}')
    ap.add_argument("--rows", dest="print_rows", action="store_true", help="print result rows")
    ap.add_argument("--ordered", action="store_true", help="keep the engine's row order")
    ap.add_argument("--show-sql", action="store_true", help="print the translated SQL on stderr")
    args = ap.parse_args(argv)

    import duckdb
    import duckdb_kql
    from duckdb_kql import KqlError, KqlUnsupportedError

    query = args.query
    if query.startswith("@"):
        query = Path(query[1:]).read_text(encoding="utf-8")

    try:
        rows = read_rows(Path(args.rows))
        if args.schema:
            schema = parse_schema(args.schema)
        elif args.schemas_json:
            doc = json.loads(Path(args.schemas_json).read_text(encoding="utf-8"))
            schemas = doc.get("schemas", {})
            if args.table not in schemas:
                raise InputError(f"{args.schemas_json}: no schema for table {args.table!r}")
            schema = parse_schema(schemas[args.table])
        else:
            schema = infer_schema(rows)
        by_lower: dict[str, str] = {}
        for name in schema:
            other = by_lower.setdefault(name.lower(), name)
            if other != name:
                raise InputError(f"columns {other!r} and {name!r} differ only in case")
        declared = set(schema)
        for lineno, row in rows:
            extra = sorted(set(row) - declared)
            if extra:
                raise InputError(f"{args.rows}:{lineno}: keys not in the schema: {extra}")
        values = [
            [convert(row.get(c), kind, f"{args.rows}:{lineno}: {c}") for c, kind in schema.items()]
            + [lineno]
            for lineno, row in rows
        ]
    except (OSError, InputError, json.JSONDecodeError) as e:
        print(f"duckdb-kql: {e}", file=sys.stderr)
        return 2

    con = duckdb_kql.connect()
    cols_sql = ", ".join(
        [f"{qident(c)} {KQL_TO_DUCKDB[k]}" for c, k in schema.items()] + [f"{qident(LINE_COL)} BIGINT"]
    )
    con.execute(f"CREATE TABLE {qident(args.table)} ({cols_sql})")
    if values:
        ph = ", ".join("?" for _ in range(len(schema) + 1))
        con.executemany(f"INSERT INTO {qident(args.table)} VALUES ({ph})", values)

    try:
        if args.show_sql:
            print(f"duckdb-kql: SQL: {duckdb_kql.to_sql(query)}", file=sys.stderr)
        rel = duckdb_kql.kql(con, query)
        names = list(rel.columns)
        json_cols = {n for n, t in zip(names, rel.types) if str(t).upper() == "JSON"}
        result = rel.fetchall()
    except KqlUnsupportedError as e:
        print(f"duckdb-kql: unsupported by duckdb-kql {duckdb_kql.__version__}: {e}", file=sys.stderr)
        return 3
    except (KqlError, duckdb.Error) as e:
        print(f"duckdb-kql: {type(e).__name__}: {e}", file=sys.stderr)
        return 2

    has_line = LINE_COL in names
    if has_line and not args.print_rows:
        li = names.index(LINE_COL)
        lines = [r[li] for r in result]
        if not args.ordered:
            lines.sort()
        for n in lines:
            print(json.dumps({"line": n}))
    else:
        recs = []
        for r in result:
            row = {
                n: (json.loads(v) if n in json_cols and isinstance(v, str) else jsonable(v))
                for n, v in zip(names, r)
                if n != LINE_COL
            }
            rec = {"row": row}
            if has_line:
                rec["line"] = r[names.index(LINE_COL)]
            recs.append(json.dumps(rec, ensure_ascii=False, sort_keys=True))
        if not args.ordered:
            recs.sort()
        for s in recs:
            print(s)
    print(
        f"duckdb-kql: {len(rows)} rows loaded into {args.table}, {len(result)} result rows "
        f"(duckdb-kql {duckdb_kql.__version__}, duckdb {duckdb.__version__})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
