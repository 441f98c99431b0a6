#!/usr/bin/env bash
# Side by side, in one run, on the same rules: tripline compiling the rule library, and
# pySigma (the reference converter) loading and converting tripline's Sigma output of the
# same rules. Needs the conformance venv: bash tests/conformance/install.sh (or PY=/path/to/python).
#
# Then the SigmaHQ corpus (../shared/corpus/sigmahq, or SIGMA_CORPUS=DIR): tripline reading
# and converting every rule to KQL and SPL (benches/sigma_corpus.rs), and pySigma loading and
# converting the same files with its SQLite backend (the venv has no Splunk or Kusto
# backend), skipping the rules it refuses.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-tests/conformance/.deps/venv/bin/python}
[ -x "$PY" ] || { echo "run bash tests/conformance/install.sh first" >&2; exit 2; }
cargo bench --bench compile 2>/dev/null | tail -n +1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo run -q --release -- compile rules --target sigma --out "$out" 2>/dev/null || true
"$PY" - "$out" <<'PY'
import glob, statistics, sys, time
from sigma.collection import SigmaCollection
from sigma.backends.sqlite import sqliteBackend
texts = [open(f).read() for f in sorted(glob.glob(sys.argv[1] + "/*.yml"))]
runs = []
for _ in range(15):
    t = time.perf_counter()
    for _ in range(5):
        for tx in texts:
            sqliteBackend().convert(SigmaCollection.from_yaml(tx))
    runs.append((time.perf_counter() - t) / (5 * len(texts)))
print(f"pySigma 2.0.1 load + convert (sqlite backend)  {len(texts)} files  median {statistics.median(runs) * 1e6:8.1f} µs/file")
PY

CORPUS=${SIGMA_CORPUS:-../shared/corpus/sigmahq}
if [ -d "$CORPUS" ]; then
    cargo bench --bench sigma_corpus -- "$CORPUS" 2>/dev/null
    "$PY" - "$CORPUS" <<'PY'
import pathlib, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
from sigma.collection import SigmaCollection
from sigma.backends.sqlite import sqliteBackend
root = pathlib.Path(sys.argv[1])
files = sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
texts = [p.read_text() for p in files]
runs, converted = [], 0
for _ in range(3):
    converted = 0
    t = time.perf_counter()
    for tx in texts:
        try:
            col = SigmaCollection.from_yaml(tx, collect_errors=True)
            out = sqliteBackend(collect_errors=True).convert(col)
            if out:
                converted += 1
        except Exception:
            pass
    runs.append(time.perf_counter() - t)
secs = statistics.median(runs)
print(f"pySigma SigmaCollection.from_yaml + sqliteBackend().convert  {len(texts)} files  median {secs:7.3f} s  {secs * 1e6 / len(texts):8.1f} µs/file  (converted: sqlite {converted})")
PY
else
    echo "SKIPPED: no Sigma corpus at $CORPUS"
fi
