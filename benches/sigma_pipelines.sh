#!/usr/bin/env bash
# Side by side, in one run, on the same SigmaHQ corpus: how many rules tripline's
# convert-sigma puts onto real tables (Sentinel, Defender XDR, Splunk), and how many pySigma's
# pipelines convert (microsoft_xdr and sentinel_asim from pySigma-backend-kusto,
# splunk_windows from pySigma-backend-splunk), with the time each takes. A converted pySigma
# query is not checked for meaning here: see the README for what the conformance run found.
#
#   benches/sigma_pipelines.sh [CORPUS]     (default ../shared/corpus/sigmahq)
#
# Installs the pySigma backends into tests/conformance/.deps/pipelines-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus/sigmahq}
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 2; }
V=tests/conformance/.deps/pipelines-venv
if [ ! -x "$V/bin/python" ]; then
  python3 -m venv "$V"
  "$V/bin/pip" install -q --disable-pip-version-check \
    'pySigma==1.*' 'pySigma-backend-kusto' 'pySigma-backend-splunk' >/dev/null
fi
cargo build -q --release
B=target/release/tripline
for t in "kql --flavor sentinel" "kql --flavor defender" "spl"; do
  out=$(mktemp -d)
  start=$(date +%s.%N)
  $B convert-sigma "$CORPUS" --target $t --out "$out" --json 2> "$out.err" >/dev/null || true
  end=$(date +%s.%N)
  n=$(ls "$out" | wc -l)
  ph=$(grep -c unmapped_logsource "$out.err" || true)
  printf 'tripline %-22s %5d rules compiled, %4d of them on placeholder tables, %5.2f s\n' \
    "$t" "$n" "$ph" "$(echo "$end - $start" | bc)"
  rm -rf "$out" "$out.err"
done
"$V/bin/python" - "$CORPUS" <<'PY'
import pathlib, sys, time, warnings
warnings.filterwarnings("ignore")
from sigma.collection import SigmaCollection
from sigma.backends.kusto import KustoBackend
from sigma.backends.splunk import SplunkBackend
from sigma.pipelines.microsoftxdr import microsoft_xdr_pipeline
from sigma.pipelines.sentinelasim import sentinel_asim_pipeline
from sigma.pipelines.splunk import splunk_windows_pipeline
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.yml"))
texts = [f.read_text(encoding="utf-8") for f in files]
for name, mk in [("microsoft_xdr (kusto)", lambda: KustoBackend(processing_pipeline=microsoft_xdr_pipeline())),
                 ("sentinel_asim (kusto)", lambda: KustoBackend(processing_pipeline=sentinel_asim_pipeline())),
                 ("splunk_windows (splunk)", lambda: SplunkBackend(processing_pipeline=splunk_windows_pipeline()))]:
    ok = 0
    t = time.perf_counter()
    for tx in texts:
        try:
            if mk().convert(SigmaCollection.from_yaml(tx)):
                ok += 1
        except Exception:
            pass
    print(f"pySigma  {name:<24} {ok:5d} rules converted,                          {time.perf_counter() - t:5.2f} s")
PY
