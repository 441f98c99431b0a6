"""The `corpus` conformance check: tripline over the public SigmaHQ corpus.

Called by run.py (`check(ctx, R)`, R being the run.py module, whose helpers it uses). The
corpus (DRL 1.1 data) is read in place, never copied: default `../shared/corpus/sigmahq`
next to the repository, or `run.py --corpus DIR`; when it is absent the check is skipped
with a visible summary line.

1. `tripline convert-sigma CORPUS --target kql --flavor sentinel|defender` and
   `--target sigma`; every emitted KQL query goes through Microsoft's analyser
   (kusto/analyse.js) against schemas/kql.json (queries for placeholder tables, i.e. rules
   whose logsource no catalog source has, against a schema built from the rule's fields).
2. For every rule that compiles (Sentinel KQL or Sigma), events are synthesised from the
   rule's own values (corpus_gen.py). The evaluator's verdicts come from `tripline hunt`
   over the original Sigma files (batches of rules, each batch with its own events).
3. The Sentinel queries run on duckdb-kql over rows of the source's table (run.py's
   event_to_row, extended here for the catalog's XML-text and JSON-text mappings); the
   emitted Sigma rules run on pySigma's SQLite backend (one in-memory database, a table per
   rule). Every verdict is compared with the evaluator's; constructs an engine is known to
   get wrong or lacks are counted as not comparable with the reason.
See README.md (`corpus`) for what this proves and what it does not.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "sigmahq"
EVENTS_PER_RULE = 18
HUNT_BATCH = 40  # rules per `tripline hunt` run (each with its own events)
KEY = "kql.sentinel"
PLACEHOLDER_TABLE = "SigmaEvents"
SEED = "tripline-corpus-1"


def identifier(text: str) -> str:
    """The rule name tripline gives a Sigma file (src/sigma_in identifier() of its stem)."""
    out = ""
    for c in text:
        if c.isascii() and c.isalnum():
            out += c.lower()
        elif not out.endswith("_"):
            out += "_"
    out = out.strip("_")
    if not out:
        return "sigma_rule"
    return "_" + out if out[0].isdigit() else out


def source_for_logsource(catalog: dict, ls: dict) -> str | None:
    """src/catalog/logsource.rs source_for_logsource(): exact product/category/service match
    (case-insensitive), else the most specific source whose keys all appear; a tie is none."""
    def keys(d):
        return {(k, str(d[k]).lower()) for k in ("product", "category", "service") if d.get(k)}

    want = keys(ls)
    if not want:
        return None
    best, tie = None, False
    for name, src in catalog["sources"].items():
        have = keys(src.get("logsource") or {})
        if not have:
            continue
        if have == want:
            return name
        if have <= want:
            if best is not None and best[0] == len(have):
                tie = True
            elif best is None or best[0] < len(have):
                best, tie = (len(have), name), False
    return None if tie or best is None else best[1]


def count_str(d: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------------------
# Compiling the corpus
# --------------------------------------------------------------------------------------


class Compiled:
    def __init__(self, label: str, out: Path, proc: subprocess.Popen, stdout: str, stderr: str):
        self.label = label
        self.rc = proc.returncode
        self.files = {p.stem: p for p in sorted(out.iterdir()) if p.is_file()} if out.is_dir() else {}
        self.diags: dict[str, list[dict]] = collections.defaultdict(list)  # rule -> diagnostics
        self.junk: list[str] = []
        for line in (stdout + "\n" + stderr).split("\n"):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                self.junk.append(line)
                continue
            if isinstance(d, dict) and "code" in d:
                self.diags[identifier(Path(str(d.get("path", ""))).stem)].append(d)
            else:
                self.junk.append(line)

    def problems(self, names: list[str]) -> list[str]:
        out = []
        if self.rc not in (0, 1):
            out.append(f"{self.label}: convert-sigma exited {self.rc}: {' | '.join(self.junk[:3])}")
        for r, ds in self.diags.items():
            for d in ds:
                if not str(d.get("code", "")).startswith("tripline::"):
                    out.append(f"{self.label}: {r}: diagnostic without a tripline code: {d}")
        silent = [r for r in names if r not in self.files and not self.diags.get(r)]
        if silent:
            out.append(f"{self.label}: no output and no coded diagnostic for {len(silent)} rules: "
                       + ", ".join(silent[:5]))
        return out

    def refusal_codes(self, names: list[str]) -> dict:
        """Per code, the rules without output that carry it (their first diagnostic)."""
        c: dict[str, int] = {}
        for r in names:
            if r in self.files:
                continue
            ds = self.diags.get(r) or []
            code = ds[0]["code"].replace("tripline::", "") if ds else "?"
            c[code] = c.get(code, 0) + 1
        return c


def start_compile(ctx, corpus: Path, out: Path, target: str, flavor: str | None):
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(ctx.tl.binary), "convert-sigma", str(corpus), "--target", target, "--out", str(out), "--json",
           *ctx.tl.catalog_args()]
    if flavor:
        cmd += ["--flavor", flavor]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# --------------------------------------------------------------------------------------
# Rows of a source's Sentinel table: run.py's event_to_row, plus the catalog's mappings
# that read a text column (XML elements of Event.EventData / Syslog.SyslogMessage, JSON
# objects of AWSCloudTrail.RequestParameters ...): those columns are composed from every
# field that maps into them, and each field is read back through its mapping to check it.
# --------------------------------------------------------------------------------------

XML_SHAPES = [
    # <Data Name="X">v</Data>
    (re.compile(r'^<Data Name=\["\'\]([^"\'\[\]\\]+)\["\'\]>\(\[\^<\]\*\)</Data>$'),
     lambda m, v: f'<Data Name="{m.group(1)}">{v}</Data>'),
    # <X ...>v</X>
    (re.compile(r'^<([A-Za-z_][A-Za-z0-9_]*)\(\?:\\s\[\^>\]\*\)\?>\(\[\^<\]\*\)</\1>$'),
     lambda m, v: f"<{m.group(1)}>{v}</{m.group(1)}>"),
    # <Provider Name="v"
    (re.compile(r'^<([A-Za-z_][A-Za-z0-9_]*) ([A-Za-z_][A-Za-z0-9_]*)=\["\'\]\(\[\^"\'\]\*\)\["\'\]$'),
     lambda m, v: f'<{m.group(1)} {m.group(2)}="{v}"/>'),
]
XML_LIST_RX = re.compile(r'strcat_array\(\s*extract_all\(\s*@"<Data>\(\[\^<\]\*\)</Data>"\s*,\s*([A-Za-z_]\w*)\s*\)\s*,\s*"\\n"\s*\)')
EXTRACT_RX = re.compile(r'extract\(\s*@"((?:[^"]|"")*)"\s*,\s*1\s*,\s*([A-Za-z_]\w*)\s*\)')
REPLACE_RX = re.compile(r'replace_string\(')
PARSE_JSON_RX = re.compile(r'parse_json\(\s*([A-Za-z_]\w*)\s*\)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*|\s*\[\s*"[^"]*"\s*\])+)')


def xml_escape(t: str) -> str:
    return (t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def replace_pairs(expr: str, R) -> list[tuple[str, str]]:
    """The (from, to) pairs of nested replace_string() calls, innermost (applied first) first."""
    pairs = []
    for start, end, args in R.find_calls(expr, "replace_string"):
        if len(args) == 3:
            a, b = R.kql_string_value(args[1]), kql_text(args[2])
            if a is None or b is None:
                return []
            pairs.append((start, a, b))
    pairs.sort(key=lambda p: -p[0])  # the innermost call starts last
    return [(a, b) for _, a, b in pairs]


def kql_text(lit: str) -> str | None:
    """A regular or verbatim KQL string literal's value (escapes \\" \\\\ \\n \\t)."""
    lit = lit.strip()
    if lit.startswith("@"):
        body = lit[2:-1]
        return body.replace(lit[1] * 2, lit[1])
    if len(lit) < 2 or lit[0] not in "\"'" or lit[-1] != lit[0]:
        return None
    try:
        return json.loads('"' + lit[1:-1].replace("\\'", "'") + '"') if lit[0] == '"' else lit[1:-1]
    except json.JSONDecodeError:
        return None


def value_text(v) -> str | None:
    """The evaluator's text of a scalar event value (None: missing or composite)."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return None


class RowBuilder:
    """Rows of one source's Sentinel table from events."""

    def __init__(self, R, source_name: str, source: dict, schema: dict[str, str]):
        self.R = R
        self.source_name = source_name
        self.source = source
        self.schema = schema
        tsrc = source.get("targets", {}).get(KEY, {})
        self.table = tsrc.get("table")
        self.xml: dict[str, tuple] = {}  # field -> (column, kind, extra)
        self.jsontext: dict[str, tuple[str, list[str]]] = {}  # field -> (column, path)
        self.problem = None
        plain_fields = {}
        for f, ty in source.get("fields", {}).items():
            m = (tsrc.get("fields") or {}).get(f)
            if isinstance(m, dict) and m.get("expr") and not m.get("unavailable"):
                expr = m["expr"]
                col = m.get("column")
                if col in schema and schema[col] == "string" and "extract" in expr:
                    lm = XML_LIST_RX.search(expr)
                    ex = EXTRACT_RX.search(expr)
                    if lm and lm.group(1) == col:
                        self.xml[f] = (col, "list", replace_pairs(expr, R), expr)
                        continue
                    if ex and ex.group(2) == col:
                        pat = ex.group(1).replace('""', '"')
                        for rx, build in XML_SHAPES:
                            mm = rx.match(pat)
                            if mm:
                                self.xml[f] = (col, "one", (re.compile(pat), lambda v, mm=mm, b=build: b(mm, v),
                                                            replace_pairs(expr, R)), expr)
                                break
                        else:
                            self.xml[f] = (col, "unknown", pat, expr)
                        continue
                pj = PARSE_JSON_RX.search(expr)
                if pj and col in schema and schema[col] == "string" and pj.group(1) == col:
                    parts = re.findall(r'\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"]*)"\s*\]', pj.group(2))
                    self.jsontext[f] = (col, [a or b for a, b in parts])
                    continue
            plain_fields[f] = ty
        # Columns composed here, and the plain fields that write one of them (a whole JSON
        # object in a column that parse_json paths also read).
        self.json_cols = {c for c, _ in self.jsontext.values()}
        self.json_whole = {}
        for f in list(plain_fields):
            m = (tsrc.get("fields") or {}).get(f)
            if isinstance(m, str):
                col = m
            elif isinstance(m, dict):
                col = m.get("column")
            else:
                col = f
            if col in self.json_cols:
                self.json_whole[f] = col
                del plain_fields[f]
        self.plain_source = dict(source)
        self.plain_source["fields"] = plain_fields
        self.consts, self.post_checks, self.extra_tables, self.problem = self._row_filter(tsrc)

    def _row_filter(self, tsrc):
        """Constants every row of the source needs (run.py row_constants), the `COL
        contains_cs "x"` terms of the filter (checked on the composed column text), and
        tables a `DeviceId in ((DeviceInfo | where OSPlatform == "X" | distinct DeviceId))`
        term needs."""
        R = self.R
        post, extra = [], {}
        consts_extra = {}
        flt = tsrc.get("filter")
        rest = []
        if flt:
            for part in re.split(r"\s+and\s+(?![^()]*\))", flt.strip()):
                p = part.strip()
                m = re.fullmatch(r'([A-Za-z_]\w*)\s+contains_cs\s+(".*")', p)
                if m and m.group(1) in {c for c, *_ in self.xml.values()}:
                    post.append((m.group(1), kql_text(m.group(2))))
                    continue
                m = re.fullmatch(r'DeviceId\s+in\s+\(\(DeviceInfo\s*\|\s*where\s+OSPlatform\s+(==|startswith)\s+"([^"]+)"'
                                 r'\s*\|\s*distinct\s+DeviceId\)\)', p)
                if m:
                    consts_extra["DeviceId"] = "corpus-device-1"
                    extra["DeviceInfo"] = [{"DeviceId": "corpus-device-1", "OSPlatform": m.group(2)}]
                    continue
                rest.append(p)
        t2 = dict(tsrc)
        t2["filter"] = " and ".join(rest) if rest else None
        consts, problem = R.row_constants(self.source_name, t2, KEY)
        consts.update(consts_extra)
        return consts, post, extra, problem

    def row(self, event: dict) -> dict:
        R = self.R
        row = R.event_to_row(event, self.source_name, self.plain_source, KEY, self.schema, self.consts)
        texts: dict[str, list[str]] = {}
        checks = []
        for f, (col, kind, data, expr) in self.xml.items():
            v, found = R.lookup(event, f)
            if not found or R.is_missing(v):
                continue
            t = value_text(v)
            if t is None:
                raise R.Unrepresentable(f"{f}: an object or array in the XML text of {col}")
            if kind == "unknown":
                raise R.Unrepresentable(f"{f}: no XML element known for the pattern {data}")
            if kind == "list":
                pairs = data
                texts.setdefault(col, []).extend(f"<Data>{xml_escape(p)}</Data>" for p in t.split("\n"))
                checks.append((f, col, "list", None, pairs, t))
            else:
                rx, build, pairs = data
                esc = xml_escape(t)
                texts.setdefault(col, []).append(build(esc))
                checks.append((f, col, "one", rx, pairs, t))
        for col, frags in texts.items():
            if col in row:
                raise R.Unrepresentable(f"{col} is written both as XML text and directly")
            row[col] = "".join(frags)
        # Each field read back through its mapping (regex, entity decoding) must be its value.
        for f, col, kind, rx, pairs, t in checks:
            text = row[col]
            if kind == "list":
                got = "\n".join(re.findall(r"<Data>([^<]*)</Data>", text))
            else:
                m = rx.search(text)
                got = m.group(1) if m else None
            if got is not None:
                for a, b in pairs:
                    got = got.replace(a, b)
            if got != t:
                raise R.Unrepresentable(f"{f}: its mapping reads {got!r} back from {col}, not {t!r}")
        for col, lit in self.post_checks:
            if lit not in row.get(col, ""):
                raise R.Unrepresentable(f"{col} lacks {lit!r}, which the catalog's row filter requires")
        objs: dict[str, dict] = {}
        for f, col in self.json_whole.items():
            v, found = R.lookup(event, f)
            if not found or R.is_missing(v):
                continue
            if isinstance(v, dict):
                objs[col] = json.loads(json.dumps(v))
            else:
                objs[col] = v
        for f, (col, path) in self.jsontext.items():
            v, found = R.lookup(event, f)
            if not found or R.is_missing(v):
                continue
            obj = objs.setdefault(col, {})
            if not isinstance(obj, dict):
                raise R.Unrepresentable(f"{f}: {col} holds a non-object value and a path into it")
            for p in path[:-1]:
                obj = obj.setdefault(p, {})
                if not isinstance(obj, dict):
                    raise R.Unrepresentable(f"{f}: {col}.{p} is not an object")
            if path[-1] in obj and obj[path[-1]] != v:
                raise R.Unrepresentable(f"{f}: {col}.{'.'.join(path)} holds another value")
            obj[path[-1]] = v
        for col, obj in objs.items():
            row[col] = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return row


def integer_fields(ctx, src: dict) -> set:
    """Number fields a KQL target stores in an int/long column (plain column mappings)."""
    out = set()
    for key in ("kql.sentinel", "kql.defender"):
        t = src.get("targets", {}).get(key) or {}
        sch = ctx.kql_schemas.get(t.get("table") or "")
        if not sch:
            continue
        cols = {}
        for item in sch.strip()[1:-1].split(","):
            c, _, ty = item.strip().partition(":")
            cols[c.strip()] = ty.strip()
        for f, ty in src.get("fields", {}).items():
            if ty != "number":
                continue
            m = (t.get("fields") or {}).get(f, f)
            if isinstance(m, str) and cols.get(m) in ("int", "long"):
                out.add(f)
    return out


def placeholder_source(name: str, types: dict) -> dict:
    return {"fields": types, "targets": {KEY: {"table": PLACEHOLDER_TABLE, "fields": {}}}}


def placeholder_schema(types: dict) -> str:
    def col(f):
        return f if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f) else "['" + f.replace("'", "\\'") + "']"
    return "(" + ", ".join(f"{col(f)}:{'real' if t == 'number' else 'string'}" for f, t in types.items()) + ")"


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------


class Timer:
    """Wall and CPU (this process) time of each phase; printed as it goes with -v."""

    def __init__(self, R):
        self.R = R
        self.t0 = time.monotonic()
        self.c0 = time.process_time()
        self.parts = []

    def mark(self, what):
        t, c = time.monotonic(), time.process_time()
        self.parts.append(f"{what} {t - self.t0:.1f}s (cpu {c - self.c0:.1f}s)")
        self.R.vnote(f"  (corpus: {self.parts[-1]})")
        self.t0, self.c0 = t, c


def check(ctx, R):
    ch = R.Check("corpus")
    corpus = Path(getattr(ctx.args, "corpus", None) or os.environ.get("TRIPLINE_SIGMA_CORPUS") or DEFAULT_CORPUS)
    if not corpus.is_dir():
        ch.skipped = True
        ch.summary = (f"SKIPPED: no SigmaHQ corpus at {corpus} (DRL 1.1 data, read in place; "
                      f"give --corpus DIR or TRIPLINE_SIGMA_CORPUS)")
        return ch
    tm = Timer(R)
    t_start = time.monotonic()
    work = ctx.work / "corpus"
    work.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    by_name: dict[str, Path] = {}
    for p in files:
        n = identifier(p.stem)
        if n in by_name:
            ch.fail(f"two corpus files give the rule name {n}: {by_name[n]} and {p}")
        by_name[n] = p
    names = sorted(by_name)

    # ---- 1. compile (three targets at once) ----
    procs = {}
    for label, target, flavor in (("kql-sentinel", "kql", "sentinel"), ("kql-defender", "kql", "defender"),
                                  ("sigma", "sigma", None), ("duckdb", "duckdb", None)):
        procs[label] = (start_compile(ctx, corpus, work / label, target, flavor), work / label)
    comp: dict[str, Compiled] = {}
    for label, (p, out) in procs.items():
        so, se = p.communicate()
        comp[label] = Compiled(label, out, p, so, se)
        for prob in comp[label].problems(names):
            ch.fail(prob)
    tm.mark("compile")

    # ---- 2. Microsoft's analyser, in the background ----
    schemas = ctx.kql_schemas
    real_q, ph_names = [], {}
    for flavor in ("sentinel", "defender"):
        for name, path in comp[f"kql-{flavor}"].files.items():
            q = path.read_text(encoding="utf-8")
            first = q.lstrip().split("\n", 1)[0].split("|")[0].strip()
            if first == PLACEHOLDER_TABLE and PLACEHOLDER_TABLE not in schemas:
                ph_names.setdefault(name, {})[flavor] = q
            else:
                real_q.append({"id": f"{flavor}/{name}", "query": q})
    pool = ThreadPoolExecutor(max_workers=1)
    an_real = pool.submit(R.analyse_kql, ctx, ch, real_q, "corpus-analyse-real")

    # ---- 3. the rules, read with pySigma; events ----
    from sigma.collection import SigmaCollection
    from sigma.rule import SigmaRule
    G = R.load_script("tripline_conf_corpus_gen", HERE / "corpus_gen.py")

    sent, sig = comp["kql-sentinel"], comp["sigma"]
    todo = [n for n in names if n in sent.files or n in sig.files]
    rules: dict[str, dict] = {}
    unusable: dict[str, int] = {}
    srcinfo_cache: dict[str, object] = {}
    events: list[dict] = []
    owner: list[str] = []
    for name in todo:
        text = by_name[name].read_text(encoding="utf-8")
        try:
            coll = SigmaCollection.from_yaml(text, collect_errors=True)
            rule = next(r for r in coll.rules if isinstance(r, SigmaRule))
            if rule.errors:
                raise G.Unusable(f"pySigma: {rule.errors[0]}")
            node = G.rule_formula(rule)
        except (G.Unusable, StopIteration, Exception) as e:  # noqa: BLE001 (pySigma raises many kinds)
            why = str(e).split(":")[0] if isinstance(e, G.Unusable) else type(e).__name__
            unusable[why] = unusable.get(why, 0) + 1
            ch.detail(f"no events for {name}: the generator cannot drive it ({type(e).__name__}: {str(e)[:120]})")
            continue
        ls = {k: getattr(rule.logsource, k) for k in ("product", "category", "service")
              if getattr(rule.logsource, k, None)}
        sname = source_for_logsource(ctx.catalog, ls)
        if sname is None:
            types = G.placeholder_types(node)
            src = placeholder_source(name, types)
            info = G.SourceInfo(f"sigma:{name}", types, None, None)
            sname = f"sigma:{name}"
        else:
            src = ctx.catalog["sources"][sname]
            info = srcinfo_cache.get(sname)
            if info is None:
                info = G.SourceInfo(sname, src["fields"], src.get("recognize"), src.get("timestamp"),
                                    integer_fields(ctx, src))
                srcinfo_cache[sname] = info
        # The emitted Sigma rule names the catalog source's logsource: the same source.
        if name in sig.files and not sname.startswith("sigma:"):
            em = sig.files[name].read_text(encoding="utf-8")
            m = re.search(r"(?m)^logsource:\n((?:[ \t]+\S.*\n)+)", em)
            emitted = dict(re.findall(r"(?m)^\s+(product|category|service):\s*(.+?)\s*$", m.group(1))) if m else {}
            if {k: v.lower() for k, v in emitted.items()} != {k: str(v).lower() for k, v in (src.get("logsource") or {}).items()}:
                ch.fail(f"{name}: the emitted Sigma logsource {emitted} is not that of {sname}, which the "
                        f"driver's copy of source_for_logsource picked")
        rng = random.Random(f"{SEED}:{name}")
        evs = G.events_for_rule(node, info, rng, EVENTS_PER_RULE)
        first = len(events) + 1
        for e in evs:
            events.append(e)
            owner.append(name)
        rules[name] = {"rule": rule, "node": node, "source": sname, "src": src, "info": info,
                       "lines": list(range(first, first + len(evs)))}
    tm.mark(f"{len(rules)} rules read, {len(events)} events")

    # Placeholder queries: analysed with a schema from the rule's own fields (types as the reader
    # gives them), in as few batches as the column types allow.
    ph_batches: list[dict] = []
    for name, qs in sorted(ph_names.items()):
        r = rules.get(name)
        if r is None:
            ch.fail(f"{name}: placeholder-table query, but no field types for it (rule not read)")
            continue
        types = r["src"]["fields"]
        for b in ph_batches:
            if all(b["cols"].get(f, t) == t for f, t in types.items()):
                break
        else:
            b = {"cols": {}, "queries": []}
            ph_batches.append(b)
        b["cols"].update(types)
        for flavor, q in qs.items():
            b["queries"].append({"id": f"{flavor}/{name}", "query": q})
    an_ph = []
    for i, b in enumerate(ph_batches):
        sch = dict(schemas)
        sch[PLACEHOLDER_TABLE] = placeholder_schema(b["cols"])
        an_ph.append(pool.submit(R.analyse_kql, ctx, ch, b["queries"], f"corpus-analyse-placeholder-{i}", sch))
    tm.mark("placeholder analysis")

    # ---- 4. the evaluator: tripline hunt, in batches of rules with their own events ----
    order = sorted(rules, key=lambda n: (rules[n]["source"], n))
    batches = [order[i:i + HUNT_BATCH] for i in range(0, len(order), HUNT_BATCH)]
    batch_of = {n: k for k, b in enumerate(batches) for n in b}
    hdir = work / "hunt"
    hdir.mkdir(exist_ok=True)

    def hunt(k):
        b = batches[k]
        lines = [l for n in b for l in rules[n]["lines"]]
        p = hdir / f"batch{k}.jsonl"
        R.write_jsonl(p, [events[l - 1] for l in lines])
        out = subprocess.run([str(ctx.tl.binary), "hunt", *[str(by_name[n]) for n in b], "--events", str(p),
                              *ctx.tl.catalog_args()], capture_output=True, text=True)
        hits, probs = set(), []
        if out.returncode != 0:
            probs.append(f"tripline hunt (batch {k}: {b[0]} ...) exited {out.returncode}: {out.stderr.strip()[-400:]}")
        for line in out.stdout.split("\n"):
            if not line.strip():
                continue
            d = json.loads(line)
            if "line" not in d:
                probs.append(f"tripline hunt: an alert, not an event verdict: {line[:200]}")
                continue
            hits.add((d["rule"], lines[d["line"] - 1]))
        if "skipped" in out.stderr:
            probs.append(f"tripline hunt skipped event lines: {out.stderr.strip()[-300:]}")
        return hits, probs

    hits: set = set()
    with ThreadPoolExecutor(max_workers=2) as ex:
        for h, probs in ex.map(hunt, range(len(batches))):
            hits |= h
            for p in probs:
                ch.fail(p)
    own_match = sum(1 for n, r in rules.items() for l in r["lines"] if (n, l) in hits)
    no_match = [n for n, r in rules.items() if not any((n, l) in hits for l in r["lines"])]
    all_match = [n for n, r in rules.items() if all((n, l) in hits for l in r["lines"])]
    tm.mark("hunt")

    # ---- 5. Sentinel KQL on duckdb-kql ----
    kq = run_duckdb(ctx, R, ch, rules, events, owner, batch_of, hits, sent)
    tm.mark("duckdb-kql")

    # ---- 5b. DuckDB SQL on the lake layout ----
    dq = run_lake(ctx, R, ch, rules, events, owner, batch_of, hits, comp["duckdb"])
    tm.mark("duckdb-sql")

    # ---- 6. Sigma on SQLite ----
    sq = run_sqlite(ctx, R, ch, rules, events, hits, sig)
    tm.mark("sqlite")

    # ---- 7. the analyser's answers (R.analyse_kql fails `ch` on every error) ----
    n_err = warn = 0
    for f in [an_real, *an_ph]:
        e, w = f.result()
        n_err += e
        warn += w
    pool.shutdown()
    tm.mark("analyser wait")

    n_sent = len(sent.files)
    n_def = len(comp["kql-defender"].files)
    n_ph = sum(len(b["queries"]) for b in ph_batches)
    ref = "; ".join(f"{lab} refused {len(names) - len(comp[lab].files)} ({count_str(comp[lab].refusal_codes(names))})"
                    for lab in ("kql-sentinel", "kql-defender", "sigma"))
    ch.detail(f"corpus {corpus}: {len(names)} rules; {ref}")
    ch.detail(f"events: {len(events)} for {len(rules)} rules ({own_match} match their rule; "
              f"{len(no_match)} rules with no matching event, {len(all_match)} with no non-matching one)"
              + (f"; no events for {sum(unusable.values())} rules ({count_str(unusable)})" if unusable else ""))
    if R.VERBOSE:
        ch.detail("rules with no matching event: " + ", ".join(sorted(no_match)))
        ch.detail("times: " + ", ".join(tm.parts))
    nc_all = {}
    for k, v in kq["nc"].items():
        nc_all[f"kql {k}"] = v
    for k, v in sq["nc"].items():
        nc_all[f"sigma {k}"] = v
    for k, v in dq["nc"].items():
        nc_all[f"duckdb {k}"] = v
    compared = kq["own"] + kq["cross"] + sq["own"] + dq["own"] + dq["cross"]
    disagree = kq["disagree"] + sq["disagree"] + dq["disagree"]
    ch.summary = (
        f"{n_sent + n_def} queries of {len(set(sent.files) | set(comp['kql-defender'].files))} rules analysed "
        f"({n_sent} sentinel, {n_def} defender, {n_ph} of them on placeholder tables), {n_err} analyser errors, "
        f"{warn} warnings; {len(events)} events for {len(rules)} rules; "
        f"{compared} verdicts compared (duckdb-kql: {kq['rules']} rules, {kq['own']} own events + {kq['cross']} "
        f"other rules' events of the same source; duckdb-sql: {dq['rules']} rules, {dq['own']} own events + "
        f"{dq['cross']} other rules' events; sigma-sqlite: {sq['rules']} rules, {sq['own']} own events), "
        f"{disagree} disagreements, {sum(nc_all.values())} not comparable ({count_str(nc_all)})"
        + (f"; rewritten for execution: {count_str(kq['rewritten'])}" if kq["rewritten"] else "")
        + f"; {time.monotonic() - t_start:.0f} s")
    return ch


# --------------------------------------------------------------------------------------
# duckdb-kql
# --------------------------------------------------------------------------------------


def run_duckdb(ctx, R, ch, rules, events, owner, batch_of, hits, sent) -> dict:
    dk = ctx.duckdb_mod
    import duckdb_kql  # noqa: E402 (the venv's package; duckdb_kql.py removed its own folder from sys.path)
    from duckdb_kql import KqlUnsupportedError

    res = {"rules": 0, "own": 0, "cross": 0, "disagree": 0, "nc": {}, "rewritten": {}}
    nc = res["nc"]

    def add_nc(k, n=1):
        if n:
            nc[k] = nc.get(k, 0) + n

    con = duckdb_kql.connect()
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for n, r in rules.items():
        groups[r["source"]].append(n)
    shown = 0
    extra_made = set()
    for sname, members in sorted(groups.items()):
        with_q = [n for n in members if n in sent.files]
        if not with_q:
            continue
        src = rules[members[0]]["src"]
        tsrc = src["targets"].get(KEY) or {}
        table = tsrc.get("table")
        if sname.startswith("sigma:"):
            schema_text = placeholder_schema(src["fields"])
        else:
            schema_text = ctx.kql_schemas.get(table)
        if schema_text is None:
            ch.fail(f"{sname}: table {table} has no schema in schemas/kql.json")
            continue
        schema = dk.parse_schema(schema_text)
        rb = RowBuilder(R, sname, src, schema)
        lines = [l for n in members for l in rules[n]["lines"]]
        if rb.problem:
            for n in with_q:
                add_nc(f"row filter of {sname} not derivable", len(rules[n]["lines"]))
            ch.detail(f"not comparable (duckdb-kql): {sname}: {rb.problem}")
            continue
        rows, bad = {}, {}
        for l in lines:
            try:
                rows[l] = rb.row(events[l - 1])
            except R.Unrepresentable as e:
                bad[l] = str(e)
        for tname, trows in rb.extra_tables.items():
            if tname not in extra_made:
                tsch = dk.parse_schema(ctx.kql_schemas[tname])
                load_table(con, dk, tname, tsch, [(i + 1, r) for i, r in enumerate(trows)])
                extra_made.add(tname)
        # One table per hunt batch: the rows of the batch's events of this source (the
        # evaluator judged every rule of the batch on every event of the batch).
        by_batch: dict[int, list[str]] = collections.defaultdict(list)
        for n in with_q:
            by_batch[batch_of[n]].append(n)
        for k, bnames in sorted(by_batch.items()):
            peers = [l for l in lines if batch_of.get(owner[l - 1]) == k]
            try:
                load_table(con, dk, table, schema, [(l, rows[l]) for l in peers if l in rows])
            except dk.InputError as e:
                ch.fail(f"{sname}: rows rejected by duckdb_kql.py's conversion: {e}")
                continue
            for n in bnames:
                r = rules[n]
                mine = set(r["lines"])
                q = sent.files[n].read_text(encoding="utf-8")
                got_sets, why = run_kql(R, con, q, res["rewritten"], KqlUnsupportedError, duckdb_kql)
                if why is not None:
                    kind, msg = why
                    if kind == "error":
                        ch.fail(f"duckdb-kql error on {n}: {msg}\n    query: {q[:600]}")
                    else:
                        add_nc(msg, len(peers))
                        ch.detail(f"not comparable (duckdb-kql): {n}: {msg}; {len(peers)} events not run")
                    continue
                res["rules"] += 1
                for l in peers:
                    if l in bad:
                        add_nc("event not representable in the table")
                        if R.VERBOSE and l in mine:
                            ch.detail(f"not representable in {table}: {n} / event {l}: {bad[l]}")
                        continue
                    verdicts = {l in s for s in got_sets}
                    if len(verdicts) > 1:
                        add_nc("verdict depends on a function duckdb-kql lacks ("
                               + "+".join(sorted(got_sets.funcs)) + ")")
                        continue
                    got = verdicts.pop()
                    want = (n, l) in hits
                    if l in mine:
                        res["own"] += 1
                    else:
                        res["cross"] += 1
                    if got != want:
                        res["disagree"] += 1
                        if shown < 25:
                            shown += 1
                            ch.fail(f"disagreement (duckdb-kql): rule {n}, event {l}"
                                    f"{'' if l in mine else ' (of ' + owner[l - 1] + ')'}: evaluator "
                                    f"{'match' if want else 'no match'}, duckdb-kql {'match' if got else 'no match'}"
                                    f"\n    event: {json.dumps(events[l - 1], ensure_ascii=False)}"
                                    f"\n    row:   {json.dumps(rows[l], ensure_ascii=False)}")
    if res["disagree"] > shown:
        ch.fail(f"duckdb-kql: {res['disagree'] - shown} more disagreements")
    return res


def run_lake(ctx, R, ch, rules, events, owner, batch_of, hits, duck) -> dict:
    """The DuckDB output on the lake layout (lake.py): per source and hunt batch, one table of
    the batch's events of that source; every rule of the batch on every row."""
    lake = R.load_script("tripline_conf_lake", HERE / "lake.py")
    eng = lake.DuckEngine()
    res = {"rules": 0, "own": 0, "cross": 0, "disagree": 0, "nc": {}}
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for n, r in rules.items():
        if n in duck.files:
            groups[r["source"]].append(n)
    shown = 0
    for sname, members in sorted(groups.items()):
        src = rules[members[0]]["src"]
        tf = None if sname.startswith("sigma:") else src.get("timestamp")
        by_batch: dict[int, list[str]] = collections.defaultdict(list)
        for n in members:
            by_batch[batch_of[n]].append(n)
        for k, bnames in sorted(by_batch.items()):
            queries = {n: open(duck.files[n], encoding="utf-8", newline="").read() for n in bnames}
            fields = dict(src["fields"])
            for q in queries.values():
                for col in lake.query_columns(q, "duckdb"):
                    if not any(col.lower() == f.lower() for f in fields):
                        fields[col] = "string"
            lines = [l for l in range(1, len(events) + 1)
                     if batch_of.get(owner[l - 1]) == k and rules[owner[l - 1]]["source"] == sname]
            rows, bad = lake.rows_for(R, fields, [{"event": events[l - 1]} for l in lines], tf)
            for r in rows:
                r["__line"] = lines[r["__line"] - 1]
            bad_lines = {lines[i] for i in bad}
            table = lake.table_of(next(iter(queries.values())))
            eng.load(table, list(lake.columns(fields)), rows, tf)
            for n, q in sorted(queries.items()):
                try:
                    got = eng.run(q)
                except Exception as e:  # noqa: BLE001
                    ch.fail(f"duckdb-sql error on {n}: {type(e).__name__}: {str(e)[:300]}\n    query: {q[:600]}")
                    continue
                res["rules"] += 1
                mine = set(rules[n]["lines"])
                for l in lines:
                    if l in bad_lines:
                        res["nc"]["event not representable in the lake layout"] = \
                            res["nc"].get("event not representable in the lake layout", 0) + 1
                        continue
                    want = (n, l) in hits
                    res["own" if l in mine else "cross"] += 1
                    if (l in got) != want:
                        res["disagree"] += 1
                        if shown < 25:
                            shown += 1
                            ch.fail(f"disagreement (duckdb-sql): rule {n}, event {l}: evaluator "
                                    f"{'match' if want else 'no match'}, duckdb {'match' if l in got else 'no match'}"
                                    f"\n    event: {json.dumps(events[l - 1], ensure_ascii=False)}\n    query: {q[:800]}")
    if res["disagree"] > shown:
        ch.fail(f"duckdb-sql: {res['disagree'] - shown} more disagreements")
    return res


class Variants(list):
    funcs: set = set()


def run_kql(R, con, q, rewritten, unsupported_exc, duckdb_kql):
    """Sets of matching __line values, one per substitution of the boolean functions duckdb-kql
    lacks (run.py's check_duckdb method), or (None, (kind, message))."""
    q2 = q
    if any(f in q for f in ("format_ipv4", "ipv4_is_in_range", "ipv4_is_in_any_range")):
        try:
            q2, done = R.rewrite_for_duckdb(q)
        except R.Unsupported as e:
            return None, ("unsupported", f"unsupported by duckdb-kql: {e} (no exact rewrite)")
        for f in done:
            rewritten[f] = rewritten.get(f, 0) + 1
    outer = []
    if any(f in q2 for f in R.BOOL_FUNCS):
        calls = sorted((c[0], c[1], f) for f in sorted(R.BOOL_FUNCS) for c in R.find_calls(q2, f))
        for c in calls:
            if outer and c[0] < outer[-1][1]:
                continue
            outer.append(c)
        if len(outer) > R.MAX_SUBSTITUTED_CALLS:
            return None, ("unsupported", "unsupported by duckdb-kql: " + "+".join(sorted({c[2] for c in outer}))
                          + f" ({len(outer)} calls)")
    out = Variants()
    out.funcs = {c[2] for c in outer}
    for combo in itertools.product(["true", "false", "bool(null)"], repeat=len(outer)):
        q3 = q2
        for (a, b, _), v in sorted(zip(outer, combo), reverse=True):
            q3 = q3[:a] + v + q3[b:]
        try:
            rel = duckdb_kql.kql(con, q3)
            cols = list(rel.columns)
            if "__line" not in cols:
                return None, ("unsupported", "not a row filter")
            li = cols.index("__line")
            out.append({r[li] for r in rel.fetchall()})
        except unsupported_exc as e:
            m = re.search(r"'([^']+)'", str(e))
            what = (m.group(1) if m else str(e)).split(":", 1)[-1]
            return None, ("unsupported", f"unsupported by duckdb-kql: {what}")
        except Exception as e:  # noqa: BLE001 (KqlError, duckdb.Error)
            return None, ("error", f"{type(e).__name__}: {str(e)[:500]}")
    return out, None


def load_table(con, dk, table, schema, rows):
    """Rows into a fresh DuckDB table, converted exactly as duckdb_kql.py does."""
    cols_sql = ", ".join([f"{dk.qident(c)} {dk.KQL_TO_DUCKDB[k]}" for c, k in schema.items()]
                         + [f"{dk.qident('__line')} BIGINT"])
    con.execute(f"CREATE OR REPLACE TABLE {dk.qident(table)} ({cols_sql})")
    declared = set(schema)
    values = []
    for line, row in rows:
        extra = sorted(set(row) - declared)
        if extra:
            raise dk.InputError(f"row {line}: keys not in the schema: {extra}")
        values.append([dk.convert(row.get(c), kind, f"row {line}: {c}") for c, kind in schema.items()] + [line])
    if values:
        ph = ", ".join("?" for _ in range(len(schema) + 1))
        con.executemany(f"INSERT INTO {dk.qident(table)} VALUES ({ph})", values)


# --------------------------------------------------------------------------------------
# Sigma on pySigma's SQLite backend
# --------------------------------------------------------------------------------------

CANON_INT = re.compile(r"-?(0|[1-9][0-9]*)")


def run_sqlite(ctx, R, ch, rules, events, hits, sig) -> dict:
    sm = ctx.sqlite_mod
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.exceptions import SigmaError

    res = {"rules": 0, "own": 0, "disagree": 0, "nc": {}}
    nc = res["nc"]

    def add_nc(k, n=1):
        if n:
            nc[k] = nc.get(k, 0) + n

    con = sm.setup_connection(True)
    shown = 0
    for ti, (n, r) in enumerate(sorted(rules.items())):
        if n not in sig.files:
            continue
        yml = sig.files[n].read_text(encoding="utf-8")
        try:
            coll = SigmaCollection.from_yaml(yml)
            info = R.sigma_constructs_of(coll)
        except Exception as e:  # noqa: BLE001
            ch.fail(f"{n}: pySigma cannot load the emitted rule: {e}")
            continue
        lines = r["lines"]
        if info["correlation"]:
            add_nc("correlation rule", len(lines))
            continue
        if info["keywords"]:
            add_nc("keywords (the SQLite backend refuses unfielded search)", len(lines))
            continue
        ftypes = dict(r["src"]["fields"])
        evs = {l: {k: v for k, v in events[l - 1].items()} for l in lines}
        flat = {l: R.flatten(e) for l, e in evs.items()}
        comparable, spelling = [], {}
        for l in lines:
            why, detail = R.sqlite_event_problem(info, evs[l], flat[l], ftypes, spelling)
            if why:
                add_nc(why)
                continue
            for k in flat[l]:
                spelling.setdefault(k.lower(), k)
            comparable.append(l)
        # Numbers: SQLite compares a number with a TEXT column's text (one string value makes a
        # column TEXT) and a NUMERIC column numerically, the language compares number fields
        # numerically and string fields as text. Drop, until nothing changes, the events whose
        # verdict would rest on that.
        while True:
            numeric = {}
            for l in comparable:
                for k, v in flat[l].items():
                    if v is None:
                        numeric.setdefault(k, True)
                    else:
                        numeric[k] = numeric.get(k, True) and isinstance(v, (int, float)) and not isinstance(v, bool)
            drop = {}
            for l in comparable:
                for f in info["fields"]:
                    v = flat[l].get(f)
                    if v is None or isinstance(v, bool):
                        continue
                    ty = ftypes.get(f, "string")
                    if ty == "number" and not numeric.get(f, True):
                        t = v if isinstance(v, str) else (str(v) if isinstance(v, int) else repr(v))
                        if not CANON_INT.fullmatch(t):
                            drop[l] = ("number field holding a non-canonical number text in a TEXT column "
                                       "(SQLite compares the text)")
                    elif ty != "number" and numeric.get(f) and isinstance(v, float):
                        drop[l] = "string field holding a JSON fraction in a NUMERIC column (SQLite compares numbers)"
            if not drop:
                break
            for l, why in drop.items():
                add_nc(why)
            comparable = [l for l in comparable if l not in drop]
        if not comparable:
            continue
        tname = f"r{ti}"
        backend = sqliteBackend(table=tname, event_id_field=sm.LINE_COL, timestamp_field="timestamp")
        try:
            queries = []
            required = set()
            for rule in coll.rules:
                if isinstance(rule, SigmaCorrelationRule):
                    continue
                required.update(backend.required_fields(rule))
                queries.extend(backend.convert_rule(rule))
                if backend.errors:
                    raise backend.errors[0][1]
        except SigmaError as e:
            add_nc("refused by the SQLite backend", len(comparable))
            ch.detail(f"not comparable (sigma-sqlite): {n}: the backend refuses it: {str(e)[:200]}")
            continue
        # The table, as sigma_sqlite.py lays it out for these events.
        types: dict[str, str] = {}
        numeric: dict[str, bool] = {}
        for l in comparable:
            for k, v in flat[l].items():
                if v is None:
                    numeric.setdefault(k, True)
                else:
                    numeric[k] = numeric.get(k, True) and isinstance(v, (int, float)) and not isinstance(v, bool)
        types = {k: ("NUMERIC" if isnum else "TEXT COLLATE NOCASE") for k, isnum in numeric.items()}
        cols = list(types)
        low = {c.lower() for c in cols}
        for f in sorted(required):
            if f.lower() not in low and f.lower() != "rowid":
                types[f] = "TEXT COLLATE NOCASE"
                cols.append(f)
                low.add(f.lower())
        defs = [f"{sm.qident(sm.LINE_COL)} INTEGER PRIMARY KEY"] + [f"{sm.qident(c)} {types[c]}" for c in cols]
        con.execute(f"CREATE TABLE {tname} ({', '.join(defs)})")
        col_sql = ", ".join([sm.qident(sm.LINE_COL)] + [sm.qident(c) for c in cols])
        con.executemany(f"INSERT INTO {tname} ({col_sql}) VALUES ({', '.join('?' for _ in range(len(cols) + 1))})",
                        ([l] + [sm.sql_value(flat[l].get(c)) for c in cols] for l in comparable))
        got = set()
        try:
            for q in queries:
                got |= {row[0] for row in con.execute(f"SELECT q.{sm.qident(sm.LINE_COL)} FROM ({q}) AS q")}
        except Exception as e:  # noqa: BLE001 (sqlite3.Error)
            ch.fail(f"{n}: SQLite error: {e}\n    SQL: {queries[0][:500] if queries else ''}")
            continue
        con.execute(f"DROP TABLE {tname}")
        res["rules"] += 1
        for l in comparable:
            res["own"] += 1
            g = l in got
            want = (n, l) in hits
            if g != want:
                res["disagree"] += 1
                if shown < 25:
                    shown += 1
                    ch.fail(f"disagreement (sigma-sqlite): rule {n}, event {l}: evaluator "
                            f"{'match' if want else 'no match'}, sigma-sqlite {'match' if g else 'no match'}"
                            f"\n    event: {json.dumps(events[l - 1], ensure_ascii=False)}")
    if res["disagree"] > shown:
        ch.fail(f"sigma-sqlite: {res['disagree'] - shown} more disagreements")
    return res
