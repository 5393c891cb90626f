#!/usr/bin/env bash
# Configures and builds gwsync in ./build (Release with debug info), 2 jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/tmp/gwsync-cmake.log 2>&1 || {
  cat /tmp/gwsync-cmake.log >&2
  exit 1
}
cmake --build build -j "${GWSYNC_JOBS:-2}" 2>&1 | grep -E "error|warning|Error" >&2 || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build: failed" >&2; exit 1; }
test -x build/cli/gwsync || { echo "build: failed" >&2; exit 1; }
echo "build: build/cli/gwsync ready" >&2
