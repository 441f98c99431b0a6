"""The `duckdb` and `spark` conformance checks: the SQL targets executed on the engines.

Called by run.py (`check(ctx, R, engine)`, R being the run.py module). Every rule of the
library compiled with `--target duckdb` / `--target spark` runs on its own test cases, as
rows of the lake layout the SQL targets read (src/targets/sql/mod.rs, docs/catalog.md):
one table per source, one text column per catalog field named as the field; numbers and
booleans as their JSON text, json fields as compact JSON text, missing = NULL. The verdict
is whether the case's row is selected; it must equal the evaluator's (`tripline test
--export`). DuckDB runs on the `duckdb` Python package, Spark SQL on PySpark (`local[1]`,
one session for every query).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class Unrepresentable(Exception):
    """The event's value cannot be held by the layout exactly."""


TIME_RX = None


def parse_time(text):
    """src/time.rs `parse`: `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]` -> ms (UTC)."""
    import calendar
    import re

    global TIME_RX
    if TIME_RX is None:
        TIME_RX = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
                             r"(Z|z|[+-]\d{2}:\d{2}|[+-]\d{4})?")
    if not isinstance(text, str):
        return None
    m = TIME_RX.fullmatch(text)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12) or d < 1 or d > calendar.monthrange(y, mo)[1] or h > 23 or mi > 59 or sec > 60:
        return None
    ms = int((m.group(7) or "")[:3].ljust(3, "0"))
    off = 0
    z = m.group(8)
    if z and z not in ("Z", "z"):
        sign = 1 if z[0] == "+" else -1
        digits = z[1:].replace(":", "")
        off = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    return (calendar.timegm((y, mo, d, h, mi, 0)) + sec - off * 60) * 1000 + ms


def format_time(ms: int) -> str:
    """src/time.rs `format`."""
    import datetime as dt

    t = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    return base + ("Z" if ms % 1000 == 0 else f".{ms % 1000:03d}Z")


def to_datetime(ms):
    import datetime as dt

    return None if ms is None else dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)


def to_ms(t) -> int:
    import datetime as dt

    return (t - dt.datetime(1970, 1, 1)) // dt.timedelta(milliseconds=1)


def cell(value, ftype: str):
    """The text the layout holds for a JSON value of a field of type `ftype`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "inf" in text or "nan" in text:
            raise Unrepresentable(f"the number {text} has no plain decimal text")
        return text
    if isinstance(value, str):
        return value
    if ftype == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    raise Unrepresentable("an object or array in a field that is not of type json")


def query_columns(query: str, engine: str) -> list[str]:
    """The quoted identifiers of a query after its FROM line (the columns it reads; string
    literals skipped): the source's fields and the keys its `recognize` predicate reads."""
    body = query.split("\n", 2)[2] if query.count("\n") >= 2 else ""
    quote = '"' if engine == "duckdb" else "`"
    out, i, n = [], 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "'":
            i += 1
            while i < n:
                if engine == "spark" and body[i] == "\\":
                    i += 2
                    continue
                if body[i] == "'":
                    if engine == "duckdb" and body[i + 1:i + 2] == "'":
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif ch == quote:
            j, name = i + 1, ""
            while j < n:
                if body[j] == quote:
                    if body[j + 1:j + 2] == quote:
                        name += quote
                        j += 2
                        continue
                    break
                name += body[j]
                j += 1
            out.append(name)
            i = j + 1
        else:
            i += 1
    return out


def table_of(query: str) -> str:
    """The table a compiled query reads (its first `FROM`, a quoted name)."""
    line = next(ln.strip() for ln in query.split("\n") if ln.strip().startswith("FROM "))
    return line[6:-1].replace('""', '"').replace("``", "`")


def columns(fields: dict) -> dict:
    """Column -> [(field, type)]: fields whose names differ only in letter case share the
    column of the first (SQL engines resolve identifiers without regard to case)."""
    out: dict = {}
    first: dict = {}
    for name, ftype in fields.items():
        col = first.setdefault(name.lower(), name)
        out.setdefault(col, []).append((name, ftype))
    return out


def rows_for(R, fields: dict, cases: list, time_field: str | None = None) -> tuple[list, dict]:
    """Rows (column -> text or None, plus __line) for the cases (each {"event": …}); the
    time field as a datetime (UTC); {case index: why} for the cases the layout cannot hold."""
    rows, bad = [], {}
    cols = columns(fields)
    for i, c in enumerate(cases):
        try:
            row = {}
            for col, variants in cols.items():
                if col == time_field:
                    v, _ = R.lookup(c["event"], col)
                    ms = parse_time(v)
                    if ms is None and v not in (None, ""):
                        raise Unrepresentable(f"the time {v!r} is not one the language reads, "
                                              f"and the layout holds times as TIMESTAMP")
                    row[col] = to_datetime(ms)
                    continue
                texts = set()
                for name, ftype in variants:
                    v, _ = R.lookup(c["event"], name)
                    t = cell(v, ftype)
                    if t not in (None, ""):
                        texts.add(t)
                if len(texts) > 1:
                    raise Unrepresentable(f"{' and '.join(n for n, _ in variants)} hold different values "
                                          f"and are one column")
                row[col] = texts.pop() if texts else None
            row["__line"] = i + 1
            rows.append(row)
        except Unrepresentable as e:
            bad[i] = str(e)
    return rows, bad


class DuckEngine:
    name = "duckdb"
    now_token = "now()"

    def __init__(self):
        import duckdb

        self.con = duckdb.connect()

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def load(self, table: str, fields: list, rows: list, time_field: str | None = None) -> None:
        cols = [*fields, "__line"]
        kind = lambda c: "BIGINT" if c == "__line" else "TIMESTAMP" if c == time_field else "VARCHAR"  # noqa: E731
        defs = ", ".join(f"{self.quote(c)} {kind(c)}" for c in cols)
        self.con.execute(f"CREATE OR REPLACE TABLE {self.quote(table)} ({defs})")
        if rows:
            ph = ", ".join("?" for _ in cols)
            self.con.executemany(f"INSERT INTO {self.quote(table)} VALUES ({ph})",
                                 [[r.get(c) for c in cols] for r in rows])

    def rows(self, query: str) -> list[dict]:
        rel = self.con.execute(query)
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r)) for r in rel.fetchall()]

    def run(self, query: str) -> set:
        return {r["__line"] for r in self.rows(query)}


class SparkEngine:
    name = "spark"
    now_token = "current_timestamp()"

    def __init__(self):
        os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ["TZ"] = "UTC"  # naive datetimes are UTC on both sides
        time.tzset()
        from pyspark.sql import SparkSession

        self.spark = (SparkSession.builder.master("local[1]").appName("tripline-conformance")
                      .config("spark.ui.enabled", "false")
                      .config("spark.ui.showConsoleProgress", "false")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.sql.shuffle.partitions", "1")
                      .config("spark.driver.memory", "1g")
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def load(self, table: str, fields: list, rows: list, time_field: str | None = None) -> None:
        from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

        cols = [*fields, "__line"]
        kind = lambda c: LongType() if c == "__line" else TimestampType() if c == time_field else StringType()  # noqa: E731
        schema = StructType([StructField(c, kind(c), True) for c in cols])
        df = self.spark.createDataFrame([tuple(r.get(c) for c in cols) for r in rows], schema)
        df.createOrReplaceTempView(table)

    def rows(self, query: str) -> list[dict]:
        return [r.asDict() for r in self.spark.sql(query).collect()]

    def run(self, query: str) -> set:
        return {r["__line"] for r in self.rows(query)}


def run_streams(ctx, R, ch, engine, rule, query, table, fields, tf):
    """A stateful rule's stream cases: the query's alerts must be the evaluator's. Returns
    (cases, compared, disagreements)."""
    path = ctx.work / "cases" / f"{rule}.streams.json"
    streams = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    compared = disagree = 0
    for c in streams:
        rows, bad = rows_for(R, fields, [{"event": e} for e in c["events"]], tf)
        if bad:
            ch.detail(f"not representable: {rule} / {c['name']}: {sorted(set(bad.values()))}")
            continue
        now = format_time(parse_time(c["now"])).replace("T", " ").rstrip("Z")
        q = query.replace(engine.now_token, f"TIMESTAMP '{now}'")
        try:
            engine.load(table, list(columns(fields)), rows, tf)
            got = engine.rows(q)
        except Exception as e:  # noqa: BLE001
            ch.fail(f"{engine.name} error on {rule} / {c['name']}: {type(e).__name__}: {str(e)[:500]}\n    query: {query}")
            continue
        alerts = []
        for r in got:
            a = {}
            for k, v in r.items():
                if k in ("window_start", "first_seen", "start", "end"):
                    a[k] = format_time(to_ms(v))
                elif k in ("count", "distinct"):
                    a[k] = int(v)
                else:
                    a[k] = v
            alerts.append(a)
        want = c.get("evaluator") or []
        compared += 1
        if not (R.alerts_match(want, alerts) and R.alerts_match(alerts, want)):
            disagree += 1
            ch.fail(f"disagreement: {rule} / {c['name']}: evaluator alerts {want}, {engine.name} {alerts}"
                    f"\n    query: {query}")
    return len(streams), compared, disagree


def check(ctx, R, engine_name: str):
    ch = R.Check(engine_name)
    comp = ctx.compiled[engine_name]
    for p in comp.problems(ctx.rules):
        ch.fail(p)
    t0 = time.monotonic()
    try:
        engine = DuckEngine() if engine_name == "duckdb" else SparkEngine()
    except Exception as e:  # noqa: BLE001 (an engine that cannot start is a failure, not a skip)
        ch.fail(f"{engine_name} could not start: {type(e).__name__}: {e}")
        return ch
    start = time.monotonic() - t0
    n_rules = n_cases = n_compared = n_disagree = n_bad = n_stream = n_stream_cmp = 0
    refused = []
    for rule in ctx.rules:
        cases = ctx.cases[rule]
        n_cases += len(cases)
        if rule not in comp.files:
            refused.append(rule)
            continue
        n_rules += 1
        source = ctx.catalog["sources"][ctx.sources[rule]]
        query = open(comp.files[rule], encoding="utf-8", newline="").read()
        table = table_of(query)
        fields = dict(source["fields"])
        for col in query_columns(query, engine_name):
            if not any(col.lower() == f.lower() for f in fields):
                fields[col] = "string"  # a key the source's recognize predicate reads
        tf = source.get("timestamp")
        if rule in ctx.stages:
            s_cases, s_cmp, s_dis = run_streams(ctx, R, ch, engine, rule, query, table, fields, tf)
            n_stream += s_cases
            n_stream_cmp += s_cmp
            n_disagree += s_dis
            # The single-event cases test the match expression: the stage query's clauses
            # before the stage's own (the time guard and what follows), as a row filter.
            lines = query.split("\n")
            if ctx.stages[rule] == "sequence":
                # Each step's CTE holds the match and the step: no clause is the match alone.
                ch.detail(f"not comparable: {rule}: single-event cases of a sequence ({len(cases)})")
                continue
            guard = next(i for i, ln in enumerate(lines)
                         if ln.strip().startswith("AND ") and ln.endswith(f"{engine.quote(tf)} IS NOT NULL"))
            if lines[0].startswith("WITH "):  # first-seen: the CTE's clauses, dedented
                frm = next(ln for ln in lines if ln.startswith("  FROM "))
                query = "SELECT *\n" + frm[2:] + "\n" + "\n".join(ln[2:] for ln in lines[3:guard]) + "\n"
            else:
                query = "SELECT *\n" + lines[1] + "\n" + "\n".join(lines[2:guard]) + "\n"
        rows, bad = rows_for(R, fields, cases, tf)
        n_bad += len(bad)
        for i, why in sorted(bad.items()):
            ch.detail(f"not representable: {rule} / {cases[i]['name']}: {why}")
        try:
            engine.load(table, list(columns(fields)), rows, tf)
            got = engine.run(query)
        except Exception as e:  # noqa: BLE001 (the engine's own error types)
            ch.fail(f"{engine_name} error on {rule}: {type(e).__name__}: {str(e)[:600]}\n    query: {query}")
            continue
        for r in rows:
            c = cases[r["__line"] - 1]
            n_compared += 1
            verdict = r["__line"] in got
            # A stateful rule's single-event cases test its match expression: `tripline test`
            # checked the evaluator against their `expect` (hunt gives such rules alerts).
            want = c["expect"] if rule in ctx.stages else c["actual"]
            if verdict != want:
                n_disagree += 1
                ch.fail(f"disagreement: rule {rule}, case {c['name']!r}: evaluator "
                        f"{'match' if want else 'nomatch'}, {engine_name} {'match' if verdict else 'nomatch'}"
                        f"\n    event: {json.dumps(c['event'], ensure_ascii=False)}\n    query: {query}")
    not_run = sum(len(ctx.cases[r]) for r in refused)
    share = 100.0 * n_compared / n_cases if n_cases else 0.0
    ch.summary = (f"{n_rules} rules, {n_cases} cases, {n_compared} compared ({share:.1f} %), "
                  f"{n_disagree} disagreements; stream cases of stateful rules: {n_stream_cmp} of {n_stream} "
                  f"compared; {not_run} cases of {len(refused)} refused rules not run "
                  f"({comp.refusals()}); {n_bad} cases not representable; engine start {start:.1f} s")
    if refused:
        ch.detail(f"refused for {engine_name}: {', '.join(refused)}")
    return ch


ESCAPING_CATALOG = """sources:
  escaping.values:
    description: 'One text field, for the escaping check.'
    logsource: {product: escaping, service: values}
    fields: {Value: string}
"""


def trip_rule(name: str, ns, match: str) -> str:
    """A minimal `.trip` rule on the `escaping.values` source."""
    import uuid

    return (f"rule {name} {{\n    title \"{name}\"\n    id {uuid.uuid5(ns, name)}\n    status test\n"
            f"    level low\n    date 2026-11-28\n    description \"Conformance\"\n"
            f"    source escaping.values\n    match {match}\n}}\n")


def versus_evaluator(ctx, ch, engine_name: str, engine, d: Path, rules: list[str], names: list[tuple],
                     values: list) -> tuple[int, int, int, set]:
    """Compile `rules` (texts) for the engine and hunt them over `values` (one `Value` each);
    run every compiled query over one table of all the values; each selected set must be
    the evaluator's matches. `names`: (rule name, what it tests, for messages). Returns (ok,
    wrong, refused, refusal codes)."""
    import subprocess

    (d / "catalog.yml").write_text(ESCAPING_CATALOG, encoding="utf-8")
    (d / "rules.trip").write_text("\n".join(rules), encoding="utf-8")
    events = d / "events.jsonl"
    events.write_text("".join(json.dumps({"Value": x}) + "\n" for x in values), encoding="utf-8")
    out = d / "out"
    out.mkdir(exist_ok=True)
    common = ["--catalog", str(d / "catalog.yml")]
    p = subprocess.run([str(ctx.tl.binary), "compile", str(d / "rules.trip"), "--target", engine_name,
                        "--out", str(out), "--json", *common], capture_output=True, text=True)
    h = subprocess.run([str(ctx.tl.binary), "hunt", str(d / "rules.trip"), "--events", str(events), *common],
                       capture_output=True, text=True)
    if p.returncode not in (0, 1) or h.returncode not in (0, 1):
        ch.fail(f"compile exited {p.returncode}, hunt exited {h.returncode}: {(p.stderr + h.stderr)[-400:]}")
    codes = set()
    for line in p.stderr.split("\n"):
        if line.startswith("{"):
            code = str(json.loads(line).get("code", ""))
            if not code.startswith("tripline::"):
                ch.fail(f"a diagnostic without a tripline code: {line[:300]}")
            codes.add(code)
    want: dict = {}
    for line in h.stdout.split("\n"):
        if line.strip():
            m = json.loads(line)
            want.setdefault(m["rule"], set()).add(m["line"])
    engine.load("escaping_values", ["Value"], [{"Value": x, "__line": k + 1} for k, x in enumerate(values)])
    ok = wrong = refused = 0
    for name, what in names:
        f = out / f"{name}.sql"
        if not f.exists():
            refused += 1
            continue
        query = open(f, encoding="utf-8", newline="").read()
        try:
            got = engine.run(query)
        except Exception as e:  # noqa: BLE001 (the engine's own error types)
            wrong += 1
            ch.fail(f"{name} {what!r}: {type(e).__name__}: {str(e)[:300]}\n    query: {query}")
            continue
        w = want.get(name, set())
        if got != w:
            wrong += 1
            ch.fail(f"{name} {what!r}: {engine_name} and the evaluator differ on "
                    f"{[values[k - 1] for k in sorted(got ^ w)][:5]}\n    query: {query}")
        else:
            ok += 1
    if refused and not codes:
        ch.fail(f"{refused} rules without output and without a diagnostic")
    return ok, wrong, refused, codes


def engine_for(engine_name: str, engine=None):
    return engine or (DuckEngine() if engine_name == "duckdb" else SparkEngine())


def check_escaping(ctx, R, engine_name: str, engine=None):
    """Adversarial values (run.py's gen_values: quotes, backslashes, `%`, `_`, newlines,
    control and non-ASCII characters) written as `Value == v` (case-sensitive for every
    third value) and `Value like v` (values without `*`/`?`): each query must parse in the
    engine and select, among every value's near misses, exactly the rows the evaluator
    matches (`tripline hunt`)."""
    import uuid

    ch = R.Check(f"{engine_name}-escaping")
    values = R.gen_values(ctx.args.escaping_values, ctx.args.seed)
    d = ctx.work / f"escaping-{engine_name}"
    d.mkdir(exist_ok=True)
    ns = uuid.UUID("0d4c6f0e-3f5b-4d2e-8a66-0b9e2f6a7c11")
    rules, names, near = [], [], []
    for i, v in enumerate(values):
        forms = ["==", "like"] if "*" not in v and "?" not in v else ["=="]
        for op in forms:
            name = f"esc_{'eq' if op == '==' else 'like'}_{i:04d}"
            lit = R.lang_literal(v, raw_non_ascii=i % 2 == 0)
            rules.append(trip_rule(name, ns, f"Value {op} {'cased ' if i % 3 == 2 else ''}{lit}"))
            names.append((name, v))
        near += [v, v + "x", "x" + v, v[:-1], v[1:], v.upper(), v.lower(), v.swapcase(), v + "\n"]
    near = list(dict.fromkeys(near)) + ["", None]
    ok, wrong, refused, codes = versus_evaluator(ctx, ch, engine_name, engine_for(engine_name, engine), d,
                                                 rules, names, near)
    ch.summary = (f"{len(values)} values, {len(names)} queries over {len(near)} near misses: {ok} exact, "
                  f"{wrong} wrong, {refused} refused with a code ({', '.join(sorted(codes))})")
    return ch


REGEX_ATOMS = ["a", "b", "K", "k", "s", "ſ", "é", "😀", "\\n", ".", "\\.", "\\d", "\\w", "\\s", "\\D", "\\W",
               "[a-c]", "[^ab]", "[\\n-]", "[&&]", "\\[", "\\b", "\\B", "^", "$", "x"]
REGEX_INPUT_CHARS = ["a", "b", "K", "k", "S", "s", "ſ", "\u212a", "é", "É", "😀", "\n", "\r", ".", "-", "&",
                     "[", "1", "_", " ", "x", "\u2028", "\u0085", "%", "\\", "\u0130", "i"]


def gen_pattern(rng) -> str:
    def piece(depth):
        r = rng.random()
        if depth < 2 and r < 0.15:
            return "(?:" + "|".join(piece(depth + 1) for _ in range(rng.randint(1, 3))) + ")"
        if depth < 2 and r < 0.25:
            return "(" + "".join(piece(depth + 1) for _ in range(rng.randint(1, 3))) + ")"
        a = rng.choice(REGEX_ATOMS)
        if a not in ("^", "$", "\\b", "\\B") and rng.random() < 0.3:
            a += rng.choice(["*", "+", "?", "{2}", "{1,2}", "*?", "+?"])
        return a
    body = "".join(piece(0) for _ in range(rng.randint(1, 4)))
    flags = rng.choice(["", "", "(?m)", "(?s)", "(?ms)"])
    return flags + body


def check_regex(ctx, R, engine_name: str, engine=None, n_patterns: int = 300):
    """Random patterns of the portable subset (anchors with and without `(?m)`, `(?s)`,
    classes, `\\b`, case folding with `ſ` and the Kelvin sign, line terminators Java treats
    specially), and random globs, each compiled for the engine and run over random inputs,
    against the evaluator's verdicts (`tripline hunt`)."""
    import random
    import uuid

    ch = R.Check(f"{engine_name}-regex")
    rng = random.Random(ctx.args.seed)
    d = ctx.work / f"regex-{engine_name}"
    d.mkdir(exist_ok=True)
    ns = uuid.UUID("3a9f1c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b")
    rules, names = [], []
    glob_chars = ["*", "?", "a", "s", "S", "ſ", "k", "K", "\u212a", "é", "😀", "%", "_", "\\", "\n", "."]
    for i in range(n_patterns + n_patterns // 2):
        # Regexes, then globs (`like`: case folded as a regex folds it, `*`/`?` spanning newlines).
        glob = i >= n_patterns
        pat = ("".join(rng.choice(glob_chars) for _ in range(rng.randint(1, 5))) if glob
               else gen_pattern(rng))
        name = f"{'glob' if glob else 'rx'}_{i:04d}"
        lit = R.lang_literal(pat, raw_non_ascii=True)
        rules.append(trip_rule(name, ns, f"Value {'like' if glob else 'matches'} {'cased ' if i % 2 else ''}{lit}"))
        names.append((name, pat))
    inputs = list(dict.fromkeys("".join(rng.choice(REGEX_INPUT_CHARS) for _ in range(rng.randint(1, 6)))
                                for _ in range(120)))
    ok, wrong, refused, _ = versus_evaluator(ctx, ch, engine_name, engine_for(engine_name, engine), d,
                                             rules, names, inputs)
    ch.summary = (f"{n_patterns} patterns and {n_patterns // 2} globs x {len(inputs)} inputs: {ok} agree on "
                  f"every input, {wrong} differ, {refused} refused by check or target")
    return ch
