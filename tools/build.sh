#!/usr/bin/env bash
# Configures and builds gwsync in ./build (Release with debug info), 2 jobs.
# Prints only warnings and errors; exits non-zero when the build fails.
#
# usage: tools/build.sh [--unit | --configure]
#   --unit       only the unit tests (target gwsync_unit_tests), not the binary
#   --configure  only configure (build/compile_commands.json, for tools/lint.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
TARGET=() CONFIGURE_ONLY=0
if [ "${1:-}" = "--unit" ]; then TARGET=(--target gwsync_unit_tests); fi
if [ "${1:-}" = "--configure" ]; then CONFIGURE_ONLY=1; fi
# Logs beside the build, so two clones can build at once.
LOG_DIR="$PWD/build"
mkdir -p "$LOG_DIR"
# ccache, when the machine has it, makes a rebuild from a fresh clone cheap
# (paths are hashed relative to the clone, and the clone's folder is left out
# of the debug info's hash, so any clone shares the cache).
LAUNCHER=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LAUNCHER[@]}" >"$LOG_DIR/cmake.log" 2>&1 || {
  cat "$LOG_DIR/cmake.log" >&2
  echo "build: cmake failed" >&2
  exit 1
}
[ "$CONFIGURE_ONLY" -eq 0 ] || exit 0
cmake --build build -j "${GWSYNC_JOBS:-2}" "${TARGET[@]}" >"$LOG_DIR/build.log" 2>&1
rc=$?
grep -E "(error|warning):" "$LOG_DIR/build.log" >&2
if [ ${#TARGET[@]} -gt 0 ]; then
  [ "$rc" -eq 0 ] && { echo "build: unit tests ready" >&2; exit 0; }
  tail -20 "$LOG_DIR/build.log" >&2
  echo "build: failed (log: $LOG_DIR/build.log)" >&2
  exit 1
fi
if [ "$rc" -ne 0 ] || [ ! -x build/cli/gwsync ]; then
  tail -20 "$LOG_DIR/build.log" >&2
  echo "build: failed (log: $LOG_DIR/build.log)" >&2
  exit 1
fi
echo "build: build/cli/gwsync ready" >&2
