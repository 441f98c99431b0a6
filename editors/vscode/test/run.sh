#!/usr/bin/env bash
# Tests of the TextMate grammar editors/vscode/syntaxes/trip.tmLanguage.json:
#   1. vscode-tmgrammar-test: the scope assertions in cases/**/*.trip;
#   2. coverage.js: every rules/**/*.trip and tests/**/*.trip of the repository highlights
#      with no unmatched or invalid region (files under tests/invalid/ are only reported).
# Installs the pinned npm packages (package-lock.json) with `npm ci` when node_modules is
# absent or was installed from another lock file or Node version (a stamp file records the
# hash of package.json + package-lock.json and the Node version); afterwards it runs offline.
# Prints the details, then one summary line last:
#   tmgrammar: N case files, N assertions passed; coverage: rules/ ...; tests/ ...
# and exits non-zero when a test failed. Env: FORCE=1 reinstalls.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Extra arguments go to coverage.js: paths are taken relative to the caller's directory.
args=()
for a in "$@"; do
  case "$a" in
    -*|/*) args+=("$a") ;;
    *) args+=("$PWD/$a") ;;
  esac
done
cd "$HERE"
FORCE="${FORCE:-0}"

log() { printf 'run.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; echo "tmgrammar: setup failed: $*"; exit 2; }

command -v node >/dev/null || die "node not found (need Node >= 18)"
command -v npm >/dev/null || die "npm not found"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "Node >= 18 required, found $(node --version)"

stamp="$HERE/.npm-ci.stamp"
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1) node$(node --version)"
if [ "$FORCE" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && [ -x node_modules/.bin/vscode-tmgrammar-test ] && [ -d node_modules/vscode-textmate ] \
   && [ -d node_modules/vscode-oniguruma ]; then
  :
else
  log "npm ci (pinned vscode-tmgrammar-test, vscode-textmate, vscode-oniguruma)"
  rm -f "$stamp"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
  printf '%s\n' "$want" > "$stamp"
fi

status=0

# 1. Scope assertions. (The CLI takes the grammar with -g and quoted globs of test files.)
cases=(cases/*.trip)
assertions=$(grep -cE '^//[[:space:]]*(\^|<~*-)' "${cases[@]}" | awk -F: '{ n += $NF } END { print n + 0 }')
if out=$(node_modules/.bin/vscode-tmgrammar-test -c -g ../syntaxes/trip.tmLanguage.json 'cases/**/*.trip' 2>&1); then
  unit="${#cases[@]} case files, $assertions assertions passed"
else
  status=1
  printf '%s\n' "$out"
  unit="case files FAILED ($(printf '%s\n' "$out" | grep -c '^ERROR') failed assertions of $assertions)"
fi

# 2. Coverage of the repository's rule files.
cov=$(node coverage.js ${args[@]+"${args[@]}"} 2>&1)
cov_rc=$?
printf '%s\n' "$cov" | sed '$d'
cov_summary=$(printf '%s\n' "$cov" | tail -n 1 | sed -e 's/^tmgrammar coverage: //' -e 's/ \[FAILED\]$//')
[ "$cov_rc" -eq 0 ] || status=1

echo "tmgrammar: $unit; coverage: $cov_summary$([ "$status" -eq 0 ] || echo ' (FAILED)')"
exit "$status"
