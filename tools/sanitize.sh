#!/usr/bin/env bash
# Builds gwsync with AddressSanitizer + UndefinedBehaviorSanitizer in
# ./build-asan (with --thread: ThreadSanitizer in ./build-tsan) and runs the
# unit tests, then the gateway tests against a Ceph RGW of its own (stopped
# again on exit). Any sanitizer report fails the test it happens in.
#
# usage: tools/sanitize.sh [--thread] [--unit] [ctest args...]
#   --thread  ThreadSanitizer instead (suppressions: tools/tsan.supp)
#   --unit    the unit tests only, no gateway (what .ci/run adds to tools/test.sh)
# Env: GWSYNC_ASAN_PORT (gateway base port, default 7990), GWSYNC_ASAN_DIR
#      (its directory, default /tmp/gw-asan), GWSYNC_JOBS (build jobs, 2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
UNIT_ONLY=0
SANITIZE=ON BUILD=build-asan
if [ "${1:-}" = "--thread" ]; then SANITIZE=thread BUILD=build-tsan; shift; fi
if [ "${1:-}" = "--unit" ]; then UNIT_ONLY=1; shift; fi
# The unit tests need no Ceph.
if [ "$UNIT_ONLY" -eq 1 ]; then tools/install-deps.sh --unit; else tools/install-deps.sh; fi

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}" CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1: a sanitized -O2 build takes twice as long to compile on two cores and
# runs the tests barely faster; asserts stay on (no NDEBUG).
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DGWSYNC_SANITIZE="$SANITIZE" -DGWSYNC_BUILD_BENCH=OFF "${launcher[@]}" >"$BUILD.cmake.log" 2>&1 || {
  cat "$BUILD.cmake.log" >&2; echo "sanitize: cmake failed" >&2; exit 1; }
build() {
  local rc=0
  cmake --build "$BUILD" -j "${GWSYNC_JOBS:-2}" "$@" >"$BUILD.build.log" 2>&1 || rc=$?
  grep -E "(error|warning):" "$BUILD.build.log" >&2 || true
  if [ "$rc" -ne 0 ]; then
    tail -20 "$BUILD.build.log" >&2
    echo "sanitize: build failed (log: $BUILD.build.log)" >&2
    exit 1
  fi
}

# The sanitizer options (every report fatal, leaks included, tools/ubsan.supp
# and tools/tsan.supp applied) are compiled in: tests/support/sanitizer_defaults.cc.

start=$(date +%s)
build --target gwsync_unit_tests
echo "sanitize: unit tests built in $(( $(date +%s) - start )) s" >&2
start=$(date +%s)
(cd "$BUILD" && ctest --output-on-failure -j "${GWSYNC_TEST_JOBS:-2}" --timeout 600 -L unit "$@")
echo "sanitize: unit tests ran in $(( $(date +%s) - start )) s" >&2
[ "$UNIT_ONLY" -eq 1 ] && exit 0

start=$(date +%s)
build
echo "sanitize: everything built in $(( $(date +%s) - start )) s" >&2
export GWSYNC_RGW_DIR="${GWSYNC_ASAN_DIR:-/tmp/gw-asan}"
trap '"$ROOT/tools/gateway-stop.sh" --dir "$GWSYNC_RGW_DIR" >&2 || true' EXIT
eval "$(tools/gateway-start.sh --gateways 3 --dir "$GWSYNC_RGW_DIR" --port "${GWSYNC_ASAN_PORT:-7990}")"
export GWSYNC_BIN="$ROOT/$BUILD/cli/gwsync"
start=$(date +%s)
# ratelimit_gateway asserts a transfer rate within 5% of the limit; the
# sanitized build's slower start alone costs that (3.75 and 3.79 MiB/s of the
# 3.80 it wants), so it runs in tools/test.sh only.
(cd "$BUILD" && ctest --output-on-failure -j "${GWSYNC_TEST_JOBS:-2}" --timeout 900 -L gateway \
  -E '^ratelimit_gateway$' "$@")
echo "sanitize: gateway tests ran in $(( $(date +%s) - start )) s" >&2
