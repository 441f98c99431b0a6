"""SigmaHQ's positive regression tests through the emitted queries.

Each test of ../shared/corpus/sigmahq-regression names a SigmaHQ rule by id and holds the
Windows events recorded for it (EVTX exported as JSON). `cargo test` runs them natively in
the evaluator (tests/sigma_regression.rs). Here the same events go through what tripline
emits for the rule:

  * Sentinel KQL on duckdb-kql, each event written as a row of the table the catalog reads
    the rule's source from (WindowsEvent, SecurityEvent, Event, ...), through the source's
    own mappings;
  * the Sigma output on pySigma's SQLite backend, each event as its source's flat fields.

A test passes on an engine when the query matches at least one of its events, as the
regression suite requires. SPL has no executor offline: not run. Events are read with
`tripline events` (the catalog's record shapes), so every engine sees the fields the
evaluator sees.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def index_rules(corpus: Path) -> dict[str, Path]:
    out = {}
    for p in sorted(corpus.rglob("*.yml")):
        for line in p.read_text(encoding="utf-8", errors="replace").split("\n"):
            if line.startswith("id:"):
                out[line[3:].strip().strip("'\"").lower()] = p
                break
    return out


def run(ctx, h, Check) -> "Check":
    ch = Check("regression")
    root = Path(__file__).resolve().parent.parent.parent.parent / "shared" / "corpus"
    corpus, data = root / "sigmahq", root / "sigmahq-regression"
    if not corpus.is_dir() or not data.is_dir():
        ch.skipped = True
        ch.summary = f"SKIPPED: SigmaHQ corpus or regression data not found under {root}"
        return ch
    rules = index_rules(corpus)
    work = ctx.work / "regression"
    work.mkdir(exist_ok=True)
    tests = sorted(p.parent for p in data.rglob("info.yml"))
    kql_pass = kql_fail = kql_nr = sig_pass = sig_fail = sig_nr = 0
    not_run: dict[str, int] = {}

    def nr(reason: str):
        not_run[reason] = not_run.get(reason, 0) + 1

    for n, d in enumerate(tests):
        info = (d / "info.yml").read_text(encoding="utf-8")
        rid = next((l.split(":", 1)[1].strip() for l in info.split("\n")
                    if l.strip().startswith("- id:")), "").lower()
        rule = rules.get(rid)
        events_file = d / f"{rid}.json"
        name = str(d.relative_to(data))
        if rule is None or not events_file.is_file():
            nr("no rule or no JSON events")
            kql_nr += 1
            sig_nr += 1
            continue
        ev = subprocess.run([str(ctx.tl.binary), "events", str(events_file), *ctx.tl.catalog_args()],
                            capture_output=True, text=True)
        events = [json.loads(l) for l in ev.stdout.split("\n") if l.strip()]
        out_dir = work / f"t{n}"
        out_dir.mkdir(exist_ok=True)
        # KQL (Sentinel) on duckdb-kql.
        comp = subprocess.run([str(ctx.tl.binary), "convert-sigma", str(rule), "--target", "kql",
                               "--flavor", "sentinel", "--out", str(out_dir / "kql"), "--json",
                               *ctx.tl.catalog_args()], capture_output=True, text=True)
        kql_files = list((out_dir / "kql").glob("*.kql")) if (out_dir / "kql").is_dir() else []
        source_name = None
        for line in comp.stderr.split("\n"):
            if "unmapped_logsource" in line:
                source_name = None
        if not kql_files:
            codes = sorted({json.loads(l)["code"] for l in comp.stderr.split("\n") if l.strip().startswith("{")})
            nr(f"kql refused ({', '.join(codes)})")
            kql_nr += 1
        else:
            query = "\n".join(l for l in kql_files[0].read_text(encoding="utf-8").split("\n")
                              if not l.startswith("//"))
            table = query.split("\n")[0].strip()
            # The rule's catalog source: the one of the events' sources whose table this is.
            srcs = [s for e in events for s in e["sources"]]
            source_name = next((s for s in srcs
                                if ctx.catalog["sources"][s]["targets"].get("kql.sentinel", {}).get("table") == table
                                and rule_source_matches(ctx, s, rule)), None)
            if source_name is None or table not in ctx.kql_schemas:
                nr("no table schema or source for the rule's table")
                kql_nr += 1
            else:
                source = ctx.catalog["sources"][source_name]
                schema_text = ctx.kql_schemas[table]
                schema = h["parse_kql_schema"](schema_text)
                rows = []
                for e in events:
                    try:
                        rows.append(h["event_to_row"](e["fields"], source_name, source, "kql.sentinel", schema, {}))
                    except h["Unrepresentable"]:
                        pass
                rows_path = out_dir / "rows.jsonl"
                h["write_jsonl"](rows_path, rows)
                try:
                    q2, _ = h["rewrite_for_duckdb"](query)
                    status, got = h["run_duckdb"](ctx, q2, table, rows_path, schema_text)
                except h["Unsupported"] as ex:
                    status, got = "unsupported", str(ex)
                if status != "ok":
                    nr(f"duckdb-kql: {status}: {str(got)[:50]}")
                    kql_nr += 1
                elif got:
                    kql_pass += 1
                else:
                    kql_fail += 1
                    ch.fail(f"kql-sentinel: {name}: no event matched ({len(rows)} rows of {table})")
        # Sigma on pySigma's SQLite backend.
        comp = subprocess.run([str(ctx.tl.binary), "convert-sigma", str(rule), "--target", "sigma",
                               "--out", str(out_dir / "sigma"), *ctx.tl.catalog_args()],
                              capture_output=True, text=True)
        ymls = list((out_dir / "sigma").glob("*.yml")) if (out_dir / "sigma").is_dir() else []
        if not ymls:
            nr("sigma refused")
            sig_nr += 1
            continue
        evp = out_dir / "events.jsonl"
        h["write_jsonl"](evp, [e["fields"] for e in events])
        rc, out, err = h["call_main"](ctx.sqlite_mod, [str(ymls[0]), str(evp)])
        if rc == 3:
            nr("pySigma SQLite refuses the rule")
            sig_nr += 1
        elif rc != 0:
            nr(f"sigma_sqlite exited {rc}")
            sig_nr += 1
        elif any(l.strip() for l in out.split("\n")):
            sig_pass += 1
        else:
            sig_fail += 1
            ch.fail(f"sigma-sqlite: {name}: no event matched")
    nrs = ", ".join(f"{k}: {v}" for k, v in sorted(not_run.items()))
    ch.summary = (f"{len(tests)} tests; kql-sentinel on duckdb-kql: {kql_pass} pass, {kql_fail} fail, "
                  f"{kql_nr} not run; sigma on SQLite: {sig_pass} pass, {sig_fail} fail, {sig_nr} not run; "
                  f"spl: not run (no SPL engine offline)" + (f" [not run: {nrs}]" if nrs else ""))
    return ch


def rule_source_matches(ctx, source_name: str, rule: Path) -> bool:
    """Whether the rule's logsource names `source_name` (exact product/category/service)."""
    import yaml
    try:
        doc = next(iter(yaml.safe_load_all(rule.read_text(encoding="utf-8"))))
    except Exception:
        return False
    ls = {k: str(v).lower() for k, v in (doc.get("logsource") or {}).items()
          if k in ("product", "category", "service")}
    have = {k: str(v).lower() for k, v in ctx.catalog["sources"][source_name]["logsource"].items()
            if k in ("product", "category", "service")}
    return ls == have or (have and all(ls.get(k) == v for k, v in have.items()))
