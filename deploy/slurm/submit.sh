#!/usr/bin/env bash
# Runs one gwsync sync as N Slurm jobs: plans the split points once, submits
# the shares as an array job and the merge as a job that waits for it.
#
# usage: deploy/slurm/submit.sh -n N [-r REPORTS] [-- SYNC_FLAGS...] SRC DST
#   -n N        shares (array tasks 0..N-1)
#   -r REPORTS  folder for the plan, the reports and Slurm's logs (shared by
#               all nodes; default ./gwsync-shards)
#   extra sbatch options in SBATCH_EXTRA (e.g. "--partition=backup")
# Prints "ARRAY_JOB_ID MERGE_JOB_ID". Re-run one failed share I with
#   sbatch --array=I --export=ALL,GWSYNC_SHARD_COUNT=N,GWSYNC_SRC=...,... \
#     deploy/slurm/gwsync-share.sbatch
# (or run `gwsync sync --shard I/N --shard-plan PLAN ...` by hand) and merge
# again: `gwsync report merge REPORTS/share-*.json`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N=""; REPORTS="$PWD/gwsync-shards"; FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2 ;;
    -r) REPORTS="$2"; shift 2 ;;
    --) shift; while [ $# -gt 2 ]; do FLAGS+=("$1"); shift; done ;;
    *) break ;;
  esac
done
if [ -z "$N" ] || [ $# -ne 2 ]; then sed -n '2,15p' "$0" >&2; exit 2; fi
SRC="$1"; DST="$2"
: "${GWSYNC_BIN:=$(command -v gwsync)}" "${GWSYNC_GLOBAL_FLAGS:=}" "${SBATCH_EXTRA:=}"
mkdir -p "$REPORTS"
REPORTS="$(cd "$REPORTS" && pwd)"
rm -f "$REPORTS"/share-*.json "$REPORTS"/merged.json
# shellcheck disable=SC2086
"$GWSYNC_BIN" $GWSYNC_GLOBAL_FLAGS -q shard-plan "$SRC" "$DST" -n "$N" -o "$REPORTS/plan.json"
export GWSYNC_BIN GWSYNC_SRC="$SRC" GWSYNC_DST="$DST" GWSYNC_PLAN="$REPORTS/plan.json"
export GWSYNC_REPORTS="$REPORTS" GWSYNC_SHARD_COUNT="$N" GWSYNC_FLAGS="${FLAGS[*]:-}" GWSYNC_GLOBAL_FLAGS
# shellcheck disable=SC2086
array=$(sbatch --parsable $SBATCH_EXTRA --array="0-$((N - 1))" --export=ALL \
  --output="$REPORTS/slurm-%A_%a.out" "$HERE/gwsync-share.sbatch")
array="${array%%;*}"
# shellcheck disable=SC2086
merge=$(sbatch --parsable $SBATCH_EXTRA --dependency="afterany:$array" --export=ALL \
  --output="$REPORTS/slurm-%j-merge.out" "$HERE/gwsync-merge.sbatch")
echo "$array ${merge%%;*}"
