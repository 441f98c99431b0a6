#!/usr/bin/env bash
# Side by side, in one run, on the same generated events: the floor (serde_json parsing
# alone), `tripline hunt` with every rule in rules/ and with the SigmaHQ Windows rules, at 1
# and 2 threads, and a peer engine (rsigma) on the same Sigma rules and the same events.
#
#   bash benches/hunt.sh                  # 1 GiB files in /tmp/tripline-bench
#   BYTES=50M bash benches/hunt.sh        # a quick trial
#
# Environment:
#   BYTES       size of each generated file (K, M, G suffixes, powers of 2), default 1G
#   SEED        generator seed, default 1
#   BENCH_DIR   scratch directory, default /tmp/tripline-bench (files are kept for reruns)
#   SIGMA_RULES SigmaHQ Windows rules, default ../shared/corpus/sigmahq/rules/windows
#   SIGMA_EVENTS EVTX JSON events mixed into the Windows file as matches, default
#               ../shared/corpus/sigmahq-regression (skipped when absent)
#   THREADS     thread counts for tripline hunt, default "1 2"
#   RSIGMA      the rsigma binary, default: rsigma on PATH, else /tmp/peers/rsigma/bin/rsigma
#   TIMEOUT     seconds allowed per run, default 3600
#
# Wall time, CPU time and peak RSS come from GNU time (`apt-get install -y time`). MB are
# 10^6 bytes. "per core" divides by the CPU seconds the run used (user + sys), so it stays
# meaningful on a machine shared with other work; "MB/s" is by wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${BYTES:-1G}
SEED=${SEED:-1}
DIR=${BENCH_DIR:-/tmp/tripline-bench}
SIGMA_RULES=${SIGMA_RULES:-../shared/corpus/sigmahq/rules/windows}
SIGMA_EVENTS=${SIGMA_EVENTS:-../shared/corpus/sigmahq-regression}
THREADS=${THREADS:-1 2}
TIMEOUT=${TIMEOUT:-3600}
GNU_TIME=/usr/bin/time
[ -x "$GNU_TIME" ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 2; }
mkdir -p "$DIR"

cargo build -q --release --bin tripline --example gen_events --example json_floor
T=target/release/tripline
GEN=target/release/examples/gen_events
FLOOR=target/release/examples/json_floor

RSIGMA=${RSIGMA:-$(command -v rsigma || echo /tmp/peers/rsigma/bin/rsigma)}
[ -x "$RSIGMA" ] || RSIGMA=""

# The files: the mixed one, the Windows one, and the Windows one flat for engines that read
# no EVTX JSON (the same events, header fields beside the EventData fields).
F=$DIR/mixed-$BYTES-s$SEED.jsonl
FWIN=$DIR/windows-$BYTES-s$SEED.jsonl
FWINFLAT=$DIR/windows-flat-$BYTES-s$SEED.jsonl
MATCHDIR=()
[ -d "$SIGMA_EVENTS" ] && MATCHDIR=(--match-dir "$SIGMA_EVENTS")
[ -s "$F" ] || $GEN --bytes "$BYTES" --seed "$SEED" --out "$F"
[ -s "$FWIN" ] || $GEN --bytes "$BYTES" --seed "$SEED" --mix windows "${MATCHDIR[@]}" --out "$FWIN"
if [ -n "$RSIGMA" ] && [ ! -s "$FWINFLAT" ]; then
    $GEN --bytes "$BYTES" --seed "$SEED" --mix windows "${MATCHDIR[@]}" --flat \
        --events "$(wc -l < "$FWIN")" --out "$FWINFLAT"
fi

count_trip() { grep -rhoE '^rule [A-Za-z_][A-Za-z0-9_]*' "$1" --include='*.trip' | wc -l; }
count_yml() { find "$1" -name '*.yml' -o -name '*.yaml' | wc -l; }
RULES_TRIP="rules/ ($(count_trip rules))"
RULES_SIGMA="SigmaHQ windows ($(count_yml "$SIGMA_RULES"))"

# Does this tripline hunt take --threads (the streaming engine) or not (the in-memory one)?
if $T hunt --help 2>/dev/null | grep -q -- '--threads'; then HAS_THREADS=1; else HAS_THREADS=0; fi

ROWS=()
NOTES=()
# run NAME RULES FILE THREADS MATCH_MODE CMD...   (MATCH_MODE: lines | rsigma | none)
run() {
    local name=$1 rules=$2 file=$3 threads=$4 mode=$5
    shift 5
    local out=$DIR/out.$$ tv=$DIR/time.$$
    local mb events
    mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN{printf "%.1f", b/1e6}')
    events=$(wc -l < "$file")
    echo "running: $name ($*)" >&2
    set +e
    timeout "$TIMEOUT" "$GNU_TIME" -v -o "$tv" "$@" > "$out" 2> "$out.err"
    local rc=$?
    set -e
    if [ "$rc" = 124 ]; then
        ROWS+=("| $name | $rules | $mb | $events | timeout (${TIMEOUT}s) | | | | | |")
        return
    fi
    local wall cpu rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tv")
    cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$tv")
    rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$tv")
    local matches
    case $mode in
        lines) matches=$(grep -c . "$out" || true) ;;
        rsigma) matches=$(grep -c '"rule_title"\|"title"' "$out" || true) ;;
        *) matches="-" ;;
    esac
    if [ "$rc" != 0 ]; then
        local keep
        keep=$DIR/$(echo "$name $rules" | tr -c 'A-Za-z0-9\n' '_').err
        mv "$out.err" "$keep"
        NOTES+=("$name ($rules) exited $rc; its stderr ($(wc -l < "$keep") lines, $(grep -c 'error' "$keep" || true) with \"error\") is in $keep")
    fi
    ROWS+=("$(awk -v n="$name" -v r="$rules" -v mb="$mb" -v ev="$events" -v w="$wall" -v c="$cpu" -v t="$threads" -v rss="$rss" -v m="$matches" 'BEGIN{
        if (w <= 0) w = 0.001; if (c <= 0) c = 0.001;
        printf "| %s | %s | %s | %d | %.2f | %.1f | %.0f | %.1f MB/s, %.0f ev/s (%.2f CPU s, %s thr) | %s | %s |", n, r, mb, ev, w, mb / w, ev / w, mb / c, ev / c, c, t, rss, m }')")
    rm -f "$out" "$out.err" "$tv"
}

run "floor: serde_json::Value" "-" "$F" 1 none $FLOOR --value "$F"
run "floor: serde::de::IgnoredAny" "-" "$F" 1 none $FLOOR --ignored "$F"
run "floor: serde_json::Value" "-" "$FWIN" 1 none $FLOOR --value "$FWIN"

for t in $THREADS; do
    if [ "$HAS_THREADS" = 1 ]; then
        run "tripline hunt --threads $t" "$RULES_TRIP" "$F" "$t" lines $T hunt rules --events "$F" --threads "$t"
    elif [ "$t" = 1 ]; then
        run "tripline hunt (in-memory, no --threads)" "$RULES_TRIP" "$F" 1 lines $T hunt rules --events "$F"
    else
        ROWS+=("| tripline hunt --threads $t | $RULES_TRIP | | | not supported by this build | | | | | |")
    fi
done
for t in $THREADS; do
    if [ "$HAS_THREADS" = 1 ]; then
        run "tripline hunt --threads $t" "$RULES_SIGMA" "$FWIN" "$t" lines $T hunt "$SIGMA_RULES" --events "$FWIN" --threads "$t"
    elif [ "$t" = 1 ]; then
        run "tripline hunt (in-memory, no --threads)" "$RULES_SIGMA" "$FWIN" 1 lines $T hunt "$SIGMA_RULES" --events "$FWIN"
    else
        ROWS+=("| tripline hunt --threads $t | $RULES_SIGMA | | | not supported by this build | | | | | |")
    fi
done

if [ -n "$RSIGMA" ]; then
    V=$("$RSIGMA" --version 2>/dev/null | head -n 1)
    # rsigma reads flat JSON objects (no EVTX shape): the flat file holds the same events.
    run "$V engine eval (flat events)" "$RULES_SIGMA" "$FWINFLAT" "?" rsigma \
        "$RSIGMA" engine eval -r "$SIGMA_RULES" -e "@$FWINFLAT"
else
    ROWS+=("| rsigma | $RULES_SIGMA | | | not installed (cargo install rsigma --version 0.23.0 --root /tmp/peers/rsigma) | | | | | |")
fi

echo
echo "Input: $F and $FWIN ($BYTES each, seed $SEED); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo
echo "| engine | rules | input MB | events | seconds | MB/s | events/s | per core (by CPU time) | peak RSS MB | matches |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
if [ "${#NOTES[@]}" -gt 0 ]; then
    echo
    printf -- '- %s\n' "${NOTES[@]}"
fi
