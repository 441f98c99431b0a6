#!/usr/bin/env bash
# Build the seed corpora of the fuzz targets under fuzz/corpus/<target>/ (gitignored):
#   compile   rules/**/*.trip, tests/invalid/**/*.trip
#   sigma_in  the SigmaHQ rules in ../shared/corpus/sigmahq (and the regression rules beside
#             it), plus tripline's own Sigma snapshots
#   eval      rules/**/*.jsonl (whole files and one event per file), and the EVTX-JSON events
#             of ../shared/corpus/sigmahq-regression, compacted to one line, as they are and
#             with Event.System and Event.EventData lifted to the top level
# and every kept finding under tests/fuzz_regressions/<target>/.
# The shared corpus is data under DRL 1.1: it is only ever copied into fuzz/corpus/, never
# into a tracked file. When it is absent, its seeds are skipped loudly and the rest is built.
# Seeds are named by content hash, as libFuzzer names what it adds, so re-running is
# idempotent. SHARED=<dir> overrides the location of the shared corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED:-$root/../shared/corpus}
out=$root/fuzz/corpus
mkdir -p "$out/compile" "$out/sigma_in" "$out/eval"

# seed TARGET FILE: copy FILE into the target's corpus under its content hash.
seed() {
  local h
  h=$(sha1sum "$2" | cut -d' ' -f1)
  cp "$2" "$out/$1/$h"
}

n_compile=0
while IFS= read -r -d '' f; do
  seed compile "$f"
  n_compile=$((n_compile + 1))
done < <(find rules tests/invalid -name '*.trip' -print0 | sort -z)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n_sigma=0
while IFS= read -r -d '' f; do
  # Drop insta's header (the first two `---` lines and what is between them).
  awk 'n >= 2 { print; next } /^---$/ { n++ }' "$f" >"$tmp/snap"
  seed sigma_in "$tmp/snap"
  n_sigma=$((n_sigma + 1))
done < <(find snapshots -name '*.sigma.snap' -print0 | sort -z)
n_eval=0
while IFS= read -r -d '' f; do
  seed eval "$f"
  n_eval=$((n_eval + 1))
  # One event per seed too: small inputs mutate faster.
  i=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    printf '%s\n' "$line" >"$tmp/line"
    seed eval "$tmp/line"
    n_eval=$((n_eval + 1))
    i=$((i + 1))
    [ "$i" -lt 50 ] || break
  done <"$f"
done < <(find rules -name '*.jsonl' -print0 | sort -z)

# Every kept finding (tests/fuzz_regressions/<target>/) seeds its target again.
for t in compile sigma_in eval; do
  while IFS= read -r -d '' f; do
    seed "$t" "$f"
  done < <(find "tests/fuzz_regressions/$t" -type f ! -name .gitkeep -print0 2>/dev/null | sort -z)
done

if [ -d "$shared/sigmahq" ]; then
  while IFS= read -r -d '' f; do
    seed sigma_in "$f"
    n_sigma=$((n_sigma + 1))
  done < <(find "$shared/sigmahq" "$shared/sigmahq-regression" \( -name '*.yml' -o -name '*.yaml' \) -print0 2>/dev/null | sort -z)
else
  echo "SKIPPED: SigmaHQ corpus not found at $shared/sigmahq -- sigma_in has only tripline's own seeds" >&2
fi

if [ -d "$shared/sigmahq-regression" ]; then
  if command -v jq >/dev/null; then
    while IFS= read -r -d '' f; do
      jq -c . "$f" >"$tmp/raw" 2>/dev/null || continue
      seed eval "$tmp/raw"
      jq -c '(.Event.System // {}) + (.Event.EventData // {}) | with_entries(select(.key != "#attributes"))' \
        "$f" >"$tmp/flat" 2>/dev/null || continue
      seed eval "$tmp/flat"
      n_eval=$((n_eval + 2))
    done < <(find "$shared/sigmahq-regression" -name '*.json' -print0 | sort -z)
  else
    echo "SKIPPED: jq not found -- the EVTX-JSON seeds of eval were not built" >&2
  fi
else
  echo "SKIPPED: SigmaHQ regression data not found at $shared/sigmahq-regression -- eval has only the library's events" >&2
fi

echo "seeds: compile $n_compile, sigma_in $n_sigma, eval $n_eval (in $out)"
