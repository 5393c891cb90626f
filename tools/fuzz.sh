#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, clang with ASan + UBSan) in
# ./build-fuzz, replays each one's seed corpus, then fuzzes each for SECONDS
# (default 10). New inputs go to build-fuzz/corpus/NAME, never into the repo;
# a crash leaves build-fuzz/artifacts/NAME/crash-* and fails the run.
#
# usage: tools/fuzz.sh [SECONDS] [NAME...]     e.g. tools/fuzz.sh 600 xml
# Reproduce:  build-fuzz/tests/fuzz/NAME_fuzz build-fuzz/artifacts/NAME/crash-...
# Keep what a long run found (small inputs that add coverage) as seeds:
#   build-fuzz/tests/fuzz/NAME_fuzz -merge=1 tests/fuzz/corpus/NAME build-fuzz/corpus/NAME
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
tools/install-deps.sh
SECONDS_EACH="${1:-10}"
[ $# -gt 0 ] && shift
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(xml errors url config metadata pages manifest headers resume)

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}" CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DGWSYNC_FUZZ=ON -DGWSYNC_BUILD_TESTS=OFF \
  -DGWSYNC_BUILD_BENCH=OFF "${launcher[@]}" >build-fuzz.cmake.log 2>&1 || {
  cat build-fuzz.cmake.log >&2; echo "fuzz: cmake failed" >&2; exit 1; }
targets=()
for n in "${NAMES[@]}"; do targets+=("${n}_fuzz"); done
start=$(date +%s)
if ! cmake --build build-fuzz -j "${GWSYNC_JOBS:-2}" --target "${targets[@]}" \
    >build-fuzz.build.log 2>&1; then
  grep -E "(error|warning):" build-fuzz.build.log >&2 || tail -20 build-fuzz.build.log >&2
  echo "fuzz: build failed (log: build-fuzz.build.log)" >&2
  exit 1
fi
echo "fuzz: built in $(( $(date +%s) - start )) s" >&2

# The sanitizer options (every report fatal, leaks included, tools/ubsan.supp
# applied) are compiled in: tests/support/sanitizer_defaults.cc.
failed=()
for n in "${NAMES[@]}"; do
  bin="build-fuzz/tests/fuzz/${n}_fuzz"
  mkdir -p "build-fuzz/corpus/$n" "build-fuzz/artifacts/$n"
  dict=()
  [ -f "tests/fuzz/$n.dict" ] && dict=(-dict="tests/fuzz/$n.dict")
  log="build-fuzz/artifacts/$n/fuzz.log"
  # -max_len: the seeds are small; longer inputs mostly slow the search.
  if "$bin" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$n/" "${dict[@]}" \
      "build-fuzz/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    echo "fuzz: $n: ${SECONDS_EACH} s, ${runs:-?} runs, ${cov:-cov ?}, no findings" >&2
  else
    echo "fuzz: $n: FAILED, see $log:" >&2
    grep -E "ERROR|FUZZ_CHECK|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2
    failed+=("$n")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
