#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts a local Ceph RGW
# (three gateways on one cluster), runs every ctest test against it, and stops
# the gateway again, even when a test fails. Extra arguments go to ctest
# (e.g. tools/test.sh -L unit).
#
# Arguments that select the unit label alone (-L unit, -Lunit, --label-regex
# unit; other filters such as -R may come too) need no gateway: then only the
# build packages are installed, only the unit tests built, and no Ceph started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

unit_only=0 other_label=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -L | --label-regex)
      if [[ "${args[i + 1]:-}" =~ ^\^?unit\$?$ ]]; then unit_only=1; else other_label=1; fi ;;
    -Lunit | --label-regex=unit) unit_only=1 ;;
    -L* | --label-regex=*) other_label=1 ;;
  esac
done
[ "$other_label" -eq 0 ] || unit_only=0
if [ "$unit_only" -eq 1 ]; then
  tools/install-deps.sh --unit
  tools/build.sh --unit
  cd build
  exec ctest --output-on-failure -j "${GWSYNC_TEST_JOBS:-2}" --timeout 600 "$@"
fi

tools/install-deps.sh
tools/build.sh

export GWSYNC_RGW_DIR="${GWSYNC_RGW_DIR:-/tmp/gwsync-rgw-test-$$}"
# Absolute path: the trap runs after the cd into build/ below.
trap '"$ROOT/tools/gateway-stop.sh" --dir "$GWSYNC_RGW_DIR" >&2 || true' EXIT
eval "$(tools/gateway-start.sh --gateways "${GWSYNC_TEST_GATEWAYS:-3}" --dir "$GWSYNC_RGW_DIR" \
  --port "${GWSYNC_TEST_PORT:-7580}")"
export GWSYNC_BIN="$PWD/build/cli/gwsync"
cd build
rc=0
ctest --output-on-failure -j "${GWSYNC_TEST_JOBS:-2}" --timeout 600 "$@" || rc=$?
# radosgw 16.2 has been seen to die of a segfault of its own (in a messenger
# thread, under bucket notifications): every test after it then fails to
# connect. Say so, with the time, so such a run is read for what it is.
if [ "$rc" -ne 0 ]; then
  for log in "$GWSYNC_RGW_DIR"/log/client.rgw.*.log; do
    line="$(grep -m1 -h 'Caught signal' "$log" 2>/dev/null || true)"
    [ -n "$line" ] || continue
    echo "test: the gateway $(basename "$log" .log) died during the run, at ${line%% *}:" \
      "tests failing after that could not reach it; its last words:" >&2
    sed -n '1,6p' "${log%.log}.out" >&2 || true
  done
fi
exit "$rc"
