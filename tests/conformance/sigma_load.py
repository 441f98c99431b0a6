#!/usr/bin/env python3
"""Load Sigma rules with pySigma and run its validators (plus the SigmaHQ ones).

Usage:
    .deps/venv/bin/python sigma_load.py [options] PATH [PATH ...]

PATH is a Sigma YAML file or a directory (searched recursively for *.yml and
*.yaml). All files are loaded into one collection, so a correlation rule may
refer to a rule in another file, as with `sigma check`.

Output (stdout), text mode (default), sorted by file:
    ERROR <file>: <message>                      load/parse error (counts as failure)
    WARN  <file> [<rule titles>]: <validator>: <issue>   validator issue (never a failure)
    sigma-load: N rules, N errors, N validator issues[, ...]   (summary, last line)
With --json: one JSON object per file,
    {"file": ..., "rules": N, "errors": [str, ...], "issues": [{"validator", "issue",
     "severity", "description", "rules": [rule titles], "text"}, ...]}
and the summary line goes to stderr.

Exit status: 0 no load errors, 1 some load error (or, with --strict, some validator
issue), 2 usage error / nothing to load.

Other options: --skip-layout (skip file-name/repository-layout validators),
--exclude-validator NAME, --no-validators, --list-validators.

Offline data: several validators (ATT&CK/D3FEND tag checks, SigmaHQ field-name,
file-name, logsource and Windows provider/event-id checks) download reference
data from the internet at run time in pySigma 2.x. To keep runs deterministic
this script points those loaders at a non-existent local file and at a fresh
temporary cache, so such validators are reported as "unavailable" (listed on
stderr and counted in the summary) unless local data files are given with
--data NAME=PATH (NAME: mitre_attack, mitre_d3fend, sigmahq_taxonomy,
sigmahq_filename, sigmahq_windows_eventid, sigmahq_windows_provider), or
--online is given (library defaults: network + ~/.cache/pysigma).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from pathlib import Path

# name -> (module, an attribute whose access forces the data to load)
DATA_MODULES = {
    "mitre_attack": ("sigma.data.mitre_attack", "mitre_attack_version"),
    "mitre_d3fend": ("sigma.data.mitre_d3fend", "mitre_d3fend_version"),
    "sigmahq_taxonomy": ("sigma.validators.sigmahq.data.data_taxonomy", "sigmahq_taxonomy_version"),
    "sigmahq_filename": ("sigma.validators.sigmahq.data.data_filename", "sigmahq_filename_version"),
    "sigmahq_windows_eventid": (
        "sigma.validators.sigmahq.data.data_windows_eventid",
        "sigmahq_category_no_eventid_version",
    ),
    "sigmahq_windows_provider": (
        "sigma.validators.sigmahq.data.data_windows_provider",
        "sigmahq_provider_version",
    ),
}
# Validators that judge the rule's file name / place in the SigmaHQ repository,
# not its content: skipped with --skip-layout (emitted rules live in temp files).
LAYOUT_VALIDATORS = (
    "duplicate_filename",
    "filename_length",
    "sigmahq_correlation_filename_prefix",
    "sigmahq_filename_convention",
    "sigmahq_filename_prefix",
)
OFFLINE_SENTINEL = "/nonexistent/tripline-sigma-load-offline-data.json"


def configure_data(online: bool, data: dict[str, str], cache_dir: str) -> dict[str, tuple[object, str]]:
    """Point pySigma's remote-data loaders at local files (or nothing) and a private cache,
    then probe each one. Returns {name: (module, error)} for the data sets that failed to load."""
    failed: dict[str, tuple[object, str]] = {}
    for name, (modname, probe) in DATA_MODULES.items():
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue  # e.g. SigmaHQ validators not installed
        if not online or name in data:
            # Order matters: set_url() clears the cache, so move the cache first.
            mod.set_cache_dir(str(Path(cache_dir) / name))
            mod.set_url(data.get(name, OFFLINE_SENTINEL))
        try:
            getattr(mod, probe)
        except Exception as e:
            offline = not online and name not in data
            failed[name] = (mod, "offline, no --data given" if offline else f"{type(e).__name__}: {e}")
    return failed


def _code_names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def data_dependencies(cls, failed: dict[str, tuple[object, str]]) -> list[str]:
    """Names of failed data sets that the validator's own code refers to (global names in
    its methods, including those of base classes, bound to a data-loader module)."""
    deps: set[str] = set()
    for klass in cls.__mro__:
        mod = sys.modules.get(klass.__module__)
        if mod is None or klass is object:
            continue
        names: set[str] = set()
        for attr in vars(klass).values():
            func = getattr(attr, "__func__", attr)
            code = getattr(func, "__code__", None)
            if code is not None:
                names |= _code_names(code)
        for n in names:
            target = vars(mod).get(n)
            for dname, (dmod, _) in failed.items():
                if target is dmod:
                    deps.add(dname)
    return sorted(deps)


def collect_paths(inputs: list[str]) -> list[Path]:
    out: set[Path] = set()
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            out.update(q for q in p.rglob("*") if q.is_file() and q.suffix in (".yml", ".yaml"))
        elif p.is_file():
            out.add(p)
        else:
            raise FileNotFoundError(raw)
    return sorted(out)


def rule_path(rule) -> str | None:
    src = getattr(rule, "source", None)
    path = getattr(src, "path", None)
    return str(path) if path is not None else None


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    ap.add_argument("--no-validators", action="store_true", help="only load the rules")
    ap.add_argument(
        "--exclude-validator",
        action="append",
        default=[],
        metavar="NAME",
        help="skip a validator (identifier as printed by --list-validators); repeatable",
    )
    ap.add_argument(
        "--skip-layout",
        action="store_true",
        help="skip the validators that check file names / repository layout: "
        + ", ".join(LAYOUT_VALIDATORS),
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 on validator issues too")
    ap.add_argument("--list-validators", action="store_true")
    ap.add_argument("--online", action="store_true", help="let validators download reference data")
    ap.add_argument("--data", action="append", default=[], metavar="NAME=PATH")
    args = ap.parse_args(argv)

    data: dict[str, str] = {}
    for item in args.data:
        name, sep, path = item.partition("=")
        if not sep or name not in DATA_MODULES:
            ap.error(f"--data expects NAME=PATH with NAME in {sorted(DATA_MODULES)}")
        data[name] = path

    import sigma  # noqa: F401  (fail early with a clear message if the venv is missing)
    from importlib.metadata import PackageNotFoundError, version

    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.plugins import InstalledSigmaPlugins
    from sigma.exceptions import SigmaRuleLocation

    def pkg_version(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    cache_tmp = tempfile.TemporaryDirectory(prefix="sigma-load-cache-")
    failed_data = configure_data(args.online, data, cache_tmp.name)

    validator_classes: dict = {}
    if not args.no_validators:
        plugins = InstalledSigmaPlugins.autodiscover(include_backends=False, include_pipelines=False)
        validator_classes = dict(sorted(plugins.validators.items()))
    if args.list_validators:
        for name, cls in validator_classes.items():
            print(f"{name}\t{cls.__module__}.{cls.__name__}")
        return 0
    if args.skip_layout:
        args.exclude_validator += [v for v in LAYOUT_VALIDATORS if v in validator_classes]
    unknown = [v for v in args.exclude_validator if v not in validator_classes]
    if unknown and not args.no_validators:
        ap.error(f"unknown validator(s): {', '.join(unknown)} (see --list-validators)")

    if not args.paths:
        ap.error("no PATH given")
    try:
        files = collect_paths(args.paths)
    except FileNotFoundError as e:
        print(f"sigma_load.py: no such file or directory: {e}", file=sys.stderr)
        return 2
    if not files:
        print("sigma_load.py: no .yml/.yaml files found", file=sys.stderr)
        return 2

    per_file: dict[str, dict] = {
        str(f): {"file": str(f), "rules": 0, "errors": [], "issues": []} for f in files
    }

    def add_error(path: str | None, msg: str) -> None:
        per_file.setdefault(
            path or "<collection>", {"file": path or "<collection>", "rules": 0, "errors": [], "issues": []}
        )["errors"].append(msg)

    # 1. Load each file (no reference resolution yet), collecting errors.
    collections = []
    for f in files:
        key = str(f)
        try:
            text = f.read_text(encoding="utf-8")
            coll = SigmaCollection.from_yaml(
                text,
                collect_errors=True,
                source=SigmaRuleLocation(f),
                collect_filters=True,
                resolve_references=False,
            )
        except Exception as e:  # YAML syntax errors etc. are raised even with collect_errors
            add_error(key, f"{type(e).__name__}: {e}")
            continue
        n = len(coll.rules) + len(coll.filters)
        per_file[key]["rules"] = n
        if n == 0 and not coll.errors:
            add_error(key, "no Sigma rule in file")
        seen = set()
        for err in coll.errors:
            msg = f"{type(err).__name__}: {err}"
            if msg not in seen:
                seen.add(msg)
                add_error(key, msg)
        collections.append(coll)

    merged = SigmaCollection.merge(collections, resolve_references=False)

    # 2. Resolve correlation references across files; attribute failures to the file.
    for rule in merged.rules:
        if isinstance(rule, SigmaCorrelationRule):
            try:
                rule.resolve_rule_references(merged)
            except Exception as e:
                add_error(rule_path(rule), f"{type(e).__name__}: {e}")
    try:
        merged.resolve_rule_references()
    except Exception as e:
        # Already reported per correlation rule above; only report if new.
        msg = f"{type(e).__name__}: {e}"
        if not any(msg in v["errors"] for v in per_file.values()):
            add_error(None, msg)

    # 3. Validators (issues are warnings). Each one is run on its own so that one
    #    needing unavailable remote data is switched off instead of aborting the run.
    unavailable: dict[str, str] = {}
    crashed: dict[str, str] = {}
    validators = {}
    for name, cls in validator_classes.items():
        if name in args.exclude_validator:
            continue
        deps = data_dependencies(cls, failed_data)
        if deps:
            unavailable[name] = "; ".join(f"{d}: {failed_data[d][1]}" for d in deps)
            continue
        try:
            validators[name] = cls()
        except Exception as e:
            unavailable[name] = f"{type(e).__name__}: {e}"

    def is_data_error(e: Exception) -> bool:
        return isinstance(e, RuntimeError) and "Failed to load" in str(e)

    issues: list[tuple[str, object]] = []
    bad_files = {k for k, v in per_file.items() if v["errors"]}
    for rule in merged.rules:
        if rule.errors or rule_path(rule) in bad_files:
            continue  # broken rules are reported as errors, not validated
        for name in list(validators):
            try:
                for issue in validators[name].validate(rule):
                    issues.append((name, issue))
            except Exception as e:
                if is_data_error(e):
                    unavailable[name] = str(e)
                else:
                    crashed.setdefault(name, f"{type(e).__name__}: {e}")
                    continue
                del validators[name]
    for name, v in list(validators.items()):
        try:
            for issue in v.finalize():
                issues.append((name, issue))
        except Exception as e:
            (unavailable if is_data_error(e) else crashed)[name] = f"{type(e).__name__}: {e}"

    # A validator switched off for missing data may have reported on earlier rules:
    # drop all of its issues so the result does not depend on rule order.
    issues = [(name, issue) for name, issue in issues if name not in unavailable]
    n_issues = 0
    for name, issue in issues:
        paths = sorted({rule_path(r) or "<unknown>" for r in issue.rules}) or ["<collection>"]
        rec = {
            "validator": name,
            "issue": type(issue).__name__,
            "severity": issue.severity.name.lower(),
            "description": issue.description,
            "rules": [str(r.title) for r in issue.rules],
            "text": str(issue),
        }
        if len(paths) > 1:
            rec["files"] = paths
        per_file.setdefault(paths[0], {"file": paths[0], "rules": 0, "errors": [], "issues": []})[
            "issues"
        ].append(rec)
        n_issues += 1

    # 4. Report, deterministically ordered.
    n_rules = sum(v["rules"] for v in per_file.values())
    n_errors = sum(len(v["errors"]) for v in per_file.values())
    for key in sorted(per_file):
        rec = per_file[key]
        rec["errors"].sort()
        rec["issues"].sort(key=lambda i: (i["validator"], i["issue"], i["text"]))
        if args.json:
            print(json.dumps(rec, ensure_ascii=False, sort_keys=True))
        else:
            for err in rec["errors"]:
                print(f"ERROR {key}: {err}")
            for i in rec["issues"]:
                titles = "; ".join(i["rules"])
                print(f"WARN  {key} [{titles}]: {i['validator']}: {i['text']}")

    for name in sorted(unavailable):
        print(f"sigma-load: validator {name} unavailable (needs reference data: "
              f"{unavailable[name]})", file=sys.stderr)
    for name in sorted(crashed):
        print(f"sigma-load: validator {name} crashed: {crashed[name]}", file=sys.stderr)

    versions = ", ".join(
        f"{p} {pkg_version(p)}"
        for p in ("pySigma", "pySigma-validators-sigmahq")
        if pkg_version(p) is not None
    )
    summary = (
        f"sigma-load: {n_rules} rules, {n_errors} errors, {n_issues} validator issues "
        f"({len(files)} files; {len(validators)} validators run, "
        f"{len(set(args.exclude_validator))} excluded, "
        f"{len(unavailable)} unavailable offline, {len(crashed)} crashed; {versions})"
    )
    print(summary, file=sys.stderr if args.json else sys.stdout)
    cache_tmp.cleanup()
    return 1 if n_errors or (args.strict and n_issues) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
