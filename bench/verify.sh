#!/usr/bin/env bash
# How fast `gwsync verify --content` proves a backup folder against its run
# manifest, beside `md5sum` over the same files with the same parallelism
# (what an operator would run by hand), both from a warm page cache.
#
# usage: bench/verify.sh [--dir DIR] [--files N] [--size SIZE] [--parallel P]
#                        [--rounds R]
#
#   --dir DIR       a backup folder gwsync wrote (with .gwsync/manifest-latest);
#                   default: one made here from N generated files, uploaded to
#                   the gateway of $GWSYNC_TEST_ENDPOINT (tools/gateway-start.sh
#                   prints it) and synced down, then removed
#   --files N       generated files (default 64)
#   --size SIZE     bytes each, a dd size (default 16M: 1 GiB in all)
#   --parallel P    files read at once by both (default 2, the cores here)
#   --rounds R      timed rounds of each, the best kept (default 3)
#
# Prints one line per tool (seconds, MiB/s, CPU seconds) and the ratio. The
# files are read once before timing so both read from the page cache: the
# figure is the hashing, not the disk.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GWSYNC="${GWSYNC:-$HERE/../build/cli/gwsync}"
DIR="" FILES=64 SIZE=16M PARALLEL=2 ROUNDS=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --files) FILES="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --parallel) PARALLEL="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    *) echo "bench/verify.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

made="" bucket=""
timing="$(mktemp)"
cleanup() {
  rm -f "$timing"
  if [[ -n "$bucket" ]]; then "$GWSYNC" rb --force "s3://$bucket" >/dev/null 2>&1 || true; fi
  if [[ -n "$made" ]]; then rm -rf "$made"; fi
}
trap cleanup EXIT

if [[ -z "$DIR" ]]; then
  : "${GWSYNC_TEST_ENDPOINT:?start a gateway (tools/gateway-start.sh) and source its env, or give --dir}"
  export AWS_ENDPOINT_URL="$GWSYNC_TEST_ENDPOINT"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-$GWSYNC_TEST_ACCESS_KEY}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-$GWSYNC_TEST_SECRET_KEY}"
  made="$(mktemp -d /tmp/gwsync-verify-bench.XXXXXX)"
  mkdir -p "$made/src"
  for i in $(seq 1 "$FILES"); do
    head -c "$SIZE" /dev/urandom >"$made/src/f$i" 2>/dev/null ||
      dd if=/dev/urandom of="$made/src/f$i" bs="$SIZE" count=1 status=none
  done
  bucket="verify-bench-$$"
  "$GWSYNC" mb "s3://$bucket" >/dev/null
  "$GWSYNC" sync --quiet --no-index "$made/src/" "s3://$bucket"
  "$GWSYNC" sync --quiet --no-index "s3://$bucket" "$made/backup"
  rm -rf "$made/src"
  DIR="$made/backup"
fi

files() { find "$DIR" -path "$DIR/.gwsync" -prune -o -type f -print0; }
bytes=$(files | du -cb --files0-from=- | tail -1 | cut -f1)
count=$(files | tr -cd '\0' | wc -c)
files | xargs -0 cat >/dev/null  # into the page cache

# best of R rounds: "wall cpu"
best() {
  local best_wall="" best_cpu=""
  for _ in $(seq 1 "$ROUNDS"); do
    local out
    /usr/bin/time -o "$timing" -f '%e %U %S' "$@" >/dev/null 2>&1
    out=$(tail -1 "$timing")
    local wall cpu
    wall=$(awk '{print $1}' <<<"$out")
    cpu=$(awk '{print $2 + $3}' <<<"$out")
    if [[ -z "$best_wall" ]] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a < b)}'; then
      best_wall=$wall best_cpu=$cpu
    fi
  done
  echo "$best_wall $best_cpu"
}

"$GWSYNC" verify --content --parallel "$PARALLEL" "$DIR/.gwsync/manifest-latest" "$DIR" |
  grep -q "by xxh3" || { echo "bench/verify.sh: the manifest records no xxh3" >&2; exit 1; }
read -r g_wall g_cpu < <(best "$GWSYNC" verify --content --parallel "$PARALLEL" \
  "$DIR/.gwsync/manifest-latest" "$DIR")
read -r m_wall m_cpu < <(best bash -c \
  'find "$1" -path "$1/.gwsync" -prune -o -type f -print0 | xargs -0 -P "$2" -n 4 md5sum' \
  _ "$DIR" "$PARALLEL")

mib() { awk -v b="$bytes" -v s="$1" 'BEGIN{printf "%.0f", b / 1048576 / (s > 0 ? s : 0.001)}'; }
printf '%d files, %.1f MiB, --parallel %d, best of %d, warm page cache\n' \
  "$count" "$(awk -v b="$bytes" 'BEGIN{print b / 1048576}')" "$PARALLEL" "$ROUNDS"
printf '%-34s %6.2f s %6s MiB/s %6.2f CPU s\n' "gwsync verify --content (xxh3)" \
  "$g_wall" "$(mib "$g_wall")" "$g_cpu"
printf '%-34s %6.2f s %6s MiB/s %6.2f CPU s\n' "md5sum (xargs -P $PARALLEL)" \
  "$m_wall" "$(mib "$m_wall")" "$m_cpu"
awk -v g="$g_wall" -v m="$m_wall" 'BEGIN{printf "verify --content is %.1fx md5sum\n", m / (g > 0 ? g : 0.001)}'
