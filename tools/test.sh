#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts a local Ceph RGW
# (three gateways on one cluster), runs every ctest test against it, and stops
# the gateway again, even when a test fails. Extra arguments go to ctest
# (e.g. tools/test.sh -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
tools/install-deps.sh
tools/build.sh

export GWSYNC_RGW_DIR="${GWSYNC_RGW_DIR:-/tmp/gwsync-rgw-test-$$}"
# Absolute path: the trap runs after the cd into build/ below.
trap '"$ROOT/tools/gateway-stop.sh" --dir "$GWSYNC_RGW_DIR" >&2 || true' EXIT
eval "$(tools/gateway-start.sh --gateways "${GWSYNC_TEST_GATEWAYS:-3}" --dir "$GWSYNC_RGW_DIR" \
  --port "${GWSYNC_TEST_PORT:-7580}")"
export GWSYNC_BIN="$PWD/build/cli/gwsync"
cd build
ctest --output-on-failure -j "${GWSYNC_TEST_JOBS:-2}" --timeout 600 "$@"
