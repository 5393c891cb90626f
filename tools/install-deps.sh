#!/usr/bin/env bash
# Installs everything gwsync needs to build and test, from Debian's packages.
# Idempotent: a second run installs nothing and takes a second.
#
# usage: tools/install-deps.sh [--unit]
#   --unit   only what building and running the unit tests needs: no Ceph,
#            no nginx, no fuzzing toolchain (tools/test.sh -L unit)
set -euo pipefail
UNIT_ONLY=0
if [ "${1:-}" = "--unit" ]; then UNIT_ONLY=1; shift; fi

# clang-format, clang-tidy: tools/lint.sh.
BUILD_PKGS=(build-essential cmake pkg-config clang-format clang-tidy
  libcurl4-openssl-dev libssl-dev libtbb-dev libzstd-dev libxxhash-dev librocksdb-dev
  libbenchmark-dev libgtest-dev libgmock-dev libpugixml-dev libcli11-dev nlohmann-json3-dev libinih-dev
  librabbitmq-dev)  # librabbitmq-dev: rabbitmq-c, the change feed's AMQP client
# The unit tests written in Python: the synthetic S3 server's self-test
# (boto3) and the Kubernetes manifests' check (yaml).
# zsh: checks the generated zsh completion (tests/cli/zsh_completion_test.py).
UNIT_PKGS=(python3-boto3 python3-yaml zsh)
# tools/fuzz.sh: clang and libFuzzer (libclang-rt-dev pulls in libclang-rt-14-dev,
# which holds libclang_rt.fuzzer); gcc's ASan/UBSan come with build-essential.
FUZZ_PKGS=(clang libclang-rt-dev)
GATEWAY_PKGS=(ceph-mon ceph-osd radosgw ceph-common curl uuid-runtime)
# The change feed's tests: a RabbitMQ of their own (tools/rabbitmq-start.sh).
FEED_PKGS=(rabbitmq-server)
# boto3: UNIT_PKGS; nginx: a real proxy with a body-size limit in front of RGW; zstd: reads
# put --zstd objects; xxhash and jq: a backup's manifest checked by xxh128sum (the docs test)
INTEROP_PKGS=(s3cmd nginx zstd xxhash jq)

if [ "$UNIT_ONLY" -eq 1 ]; then
  want=("${BUILD_PKGS[@]}" "${UNIT_PKGS[@]}")
else
  want=("${BUILD_PKGS[@]}" "${UNIT_PKGS[@]}" "${FUZZ_PKGS[@]}" "${GATEWAY_PKGS[@]}"
    "${INTEROP_PKGS[@]}" "${FEED_PKGS[@]}")
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/gwsync-apt.log 2>&1; then
  $SUDO apt-get update -qq >>/tmp/gwsync-apt.log 2>&1
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/gwsync-apt.log 2>&1 || {
    tail -20 /tmp/gwsync-apt.log >&2
    echo "install-deps: apt-get install failed (log: /tmp/gwsync-apt.log)" >&2
    exit 1
  }
fi
echo "install-deps: done" >&2
