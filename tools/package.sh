#!/usr/bin/env bash
# Builds the Debian package: build/gwsync_VERSION_ARCH.deb with the binary,
# its man page and bash completion (generated from the binary's options),
# example configs and the nightly systemd units. Needs dpkg-dev
# (dpkg-shlibdeps works out the dependencies from the shared libraries).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dpkg-shlibdeps >/dev/null || { echo "package: install dpkg-dev first" >&2; exit 1; }
LAUNCHER=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$PWD"
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LAUNCHER[@]}" >/dev/null
cmake --build build -j "${GWSYNC_JOBS:-2}" --target gwsync gwsync_docs
(cd build && cpack -G DEB)
ls build/gwsync_*.deb
