#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, builds gwsync,
# starts a local Ceph RGW on 127.0.0.1, and runs a round trip through it
# (make a bucket, upload a 64 MiB file as multipart, download it, check it
# byte for byte), printing each step. The gateway is stopped at the end
# unless --keep-gateway is given.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep-gateway" ] && keep=1

step() { printf '\n== %s\n' "$*"; }
step "installing dependencies (Debian packages)"
tools/install-deps.sh
step "building"
tools/build.sh
GW="$PWD/build/cli/gwsync"

export GWSYNC_RGW_DIR="${GWSYNC_RGW_DIR:-/tmp/gwsync-quickstart}"
if [ "$keep" -eq 0 ]; then
  trap 'tools/gateway-stop.sh --dir "$GWSYNC_RGW_DIR" >/dev/null 2>&1 || true' EXIT
fi
step "starting a local Ceph RGW"
eval "$(tools/gateway-start.sh --dir "$GWSYNC_RGW_DIR" --port "${GWSYNC_PORT:-7480}")"
export AWS_ACCESS_KEY_ID="$GWSYNC_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$GWSYNC_TEST_SECRET_KEY"
export AWS_ENDPOINT_URL="$GWSYNC_TEST_ENDPOINT"
echo "gateway: $AWS_ENDPOINT_URL"

work=$(mktemp -d)
trap_cmd="rm -rf '$work'"
trap "$trap_cmd; $(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT$//")" EXIT
head -c $((64 << 20)) /dev/urandom >"$work/blob"

step "gwsync mb s3://quickstart"
"$GW" rb --force s3://quickstart >/dev/null 2>&1 || true
"$GW" mb s3://quickstart
step "gwsync put (64 MiB, multipart)"
"$GW" put --part-size 8MiB --multipart-threshold 16MiB "$work/blob" s3://quickstart/data/blob
step "gwsync ls -r s3://quickstart"
"$GW" ls -r s3://quickstart
step "gwsync get"
"$GW" get s3://quickstart/data/blob "$work/blob.back"
step "verifying"
cmp "$work/blob" "$work/blob.back"
echo "byte-exact: $(sha256sum <"$work/blob" | cut -c1-16)... = $(sha256sum <"$work/blob.back" | cut -c1-16)..."
"$GW" rb --force s3://quickstart
echo
echo "quickstart: OK"
[ "$keep" -eq 1 ] && echo "the gateway keeps running at $AWS_ENDPOINT_URL (stop: tools/gateway-stop.sh --dir $GWSYNC_RGW_DIR)"
exit 0
