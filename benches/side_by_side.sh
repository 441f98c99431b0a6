#!/usr/bin/env bash
# Side by side, in one run, on the same rules: tripline compiling the rule library, and
# pySigma (the reference converter) loading and converting tripline's Sigma output of the
# same rules. Needs the conformance venv: bash tests/conformance/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=tests/conformance/.deps/venv/bin/python
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
