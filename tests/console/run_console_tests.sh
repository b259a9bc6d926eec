#!/usr/bin/env bash
# Builds the agent console and runs its browser tests against a real cluster (ctest: console_e2e).
#   tests/console/run_console_tests.sh [--screenshots]
# --screenshots: also save docs/console/agent.png and admin.png from the run.
# Needs: node >= 20 with npm, Debian's chromium (tools/install-deps.sh), python3, sipp,
# redis-server and the services built in $CALLMESH_BUILD_DIR (default build/).
# npm ci runs only when package-lock.json changed since the last install, so a machine without the
# npm registry can run this once node_modules exists.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
APP="$ROOT/services/notification/console"
export CALLMESH_BUILD_DIR="${CALLMESH_BUILD_DIR:-$ROOT/build}"
export CONSOLE_DIR="$CALLMESH_BUILD_DIR/console"
SHOTS=""
for arg in "$@"; do
  case "$arg" in
    --screenshots) SHOTS="$ROOT/docs/console" ;;
    *) echo "usage: $0 [--screenshots]" >&2; exit 2 ;;
  esac
done

fail() {
  echo "console e2e: FAILED: $*" >&2
  exit 1
}

# npm ci into $1 unless node_modules already holds exactly its package-lock.json.
install_locked() {
  local dir="$1" stamp="$1/node_modules/.callmesh-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "console e2e: $dir/node_modules matches package-lock.json (npm ci skipped)"
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) || return 1
  echo "$want" >"$stamp"
}

command -v node >/dev/null || fail "node not found (Node.js >= 20 with npm is needed)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no ${CHROMIUM:-/usr/bin/chromium} (run tools/install-deps.sh: Debian package chromium)"
[ -x "$CALLMESH_BUILD_DIR/services/notification/callmesh-notification" ] ||
  fail "services not built in $CALLMESH_BUILD_DIR (set CALLMESH_BUILD_DIR)"

install_locked "$APP" || fail "npm ci in $APP"
install_locked "$HERE" || fail "npm ci in $HERE"
echo "console e2e: building the console into $CONSOLE_DIR"
(cd "$APP" && CONSOLE_OUT_DIR="$CONSOLE_DIR" npm run --silent build) || fail "console build (tsc + vite)"

if [ -n "$SHOTS" ]; then
  mkdir -p "$SHOTS"
  export CONSOLE_SCREENSHOTS="$SHOTS"
fi
start=$(date +%s)
node --test --test-reporter=spec --test-concurrency=1 "$HERE"/*.test.mjs
rc=$?
secs=$(($(date +%s) - start))
if [ $rc -eq 0 ]; then
  echo "console e2e: PASSED (browser tests in ${secs}s)${SHOTS:+; screenshots in $SHOTS}"
else
  echo "console e2e: FAILED (node --test exit $rc after ${secs}s; see the failing test above)" >&2
fi
exit $rc
